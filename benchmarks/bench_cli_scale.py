"""Rendering a board of many scenes: `director render` against the Python API, jobs per second.

    python benchmarks/bench_cli_scale.py --scenes 20000 --window 60

Builds a storyboard of `--scenes` one-second scenes (a cat crossing a room, each scene's boxes a
little different, so every scene is its own jobs), then runs, each in its own process for a fixed
`--window` of wall seconds, with the animatic and a fresh cache:

- `api`: `Director(renderer="animatic").render(board, movie)` (the state file on, no progress bars);
- `cli`: `director render board.json -o movie.mp4 --renderer animatic` (Rich bars on a terminal-less
  stdout, which Rich still lays out and renders).

Each process is killed at the end of the window. Finished jobs are counted as the cache entries on
disk, sampled every half second; the rate is taken from the first finished job to the end of the
window, so loading and planning the board (the same for both) are not in it, and are reported apart
as "first job after".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

API = """
import sys
from director import Director, Storyboard
board = Storyboard.load(sys.argv[1])
Director(renderer="animatic", cache_dir=sys.argv[2]).render(board, sys.argv[3])
"""


def build_board(scenes: int, path: Path, width: int, height: int) -> None:
    """`scenes` one-second scenes, written as JSON (built as plain data: validation is the reader's)."""
    board = {
        "title": f"{scenes} scenes",
        "fps": 12,
        "width": width,
        "height": height,
        "entities": [{"id": "cat", "name": "cat", "category": "cat"}],
        "scenes": [
            {
                "id": f"s{i}",
                "heading": f"scene {i}",
                "description": "a cat crosses the room",
                "duration": 1.0,
                "entities": ["cat"],
                "layouts": [
                    {"t": 0.0, "boxes": {"cat": {"x0": 0.05, "y0": 0.5, "x1": 0.25, "y1": 0.8}}},
                    {"t": 1.0, "boxes": {"cat": {"x0": 0.5 + (i % 997) / 4000, "y0": 0.5, "x1": 0.75 + (i % 997) / 4000, "y1": 0.8}}},
                ],
            }
            for i in range(scenes)
        ],
    }
    path.write_text(json.dumps(board), encoding="utf-8")


def run_for(command: list[str], cache: Path, window: float) -> dict:
    """Run `command` for `window` seconds (or until it ends); count finished jobs as it goes."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first: float | None = None
    first_count = count = 0
    while time.perf_counter() - started < window and process.poll() is None:
        time.sleep(0.5)
        count = sum(1 for _ in (cache / "jobs").rglob("*.npz")) if (cache / "jobs").exists() else 0
        if count and first is None:
            first, first_count = time.perf_counter() - started, count
    ended = time.perf_counter() - started
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()
    count = sum(1 for _ in (cache / "jobs").rglob("*.npz")) if (cache / "jobs").exists() else 0
    rate = (count - first_count) / (ended - first) if first is not None and ended > first else 0.0
    return {"jobs": count, "first_job_s": first, "jobs_per_s": rate, "exit": process.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=20000)
    parser.add_argument("--window", type=float, default=60.0, help="wall seconds each door gets")
    parser.add_argument("--size", default="128x72", help="movie size (small: the animatic's drawing is not what is measured)")
    parser.add_argument("--doors", nargs="+", default=["api", "cli"], choices=["api", "cli"])
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        board = Path(tmp) / "board.json"
        build_board(args.scenes, board, width, height)
        for door in args.doors:
            cache, movie = Path(tmp) / f"cache-{door}", Path(tmp) / f"{door}.mp4"
            if door == "api":
                command = [sys.executable, "-c", API, str(board), str(cache), str(movie)]
            else:
                command = [sys.executable, "-m", "director.cli", "render", str(board), "-o", str(movie),
                           "--renderer", "animatic", "--cache-dir", str(cache)]
            rows.append((door, run_for(command, cache, args.window)))

    print("| door | scenes | window s | jobs done | first job after s | jobs/s after the first |")
    print("|---|---|---|---|---|---|")
    for door, row in rows:
        first = "-" if row["first_job_s"] is None else f"{row['first_job_s']:.1f}"
        print(f"| {door} | {args.scenes} | {args.window:.0f} | {row['jobs']} | {first} | {row['jobs_per_s']:.1f} |")


if __name__ == "__main__":
    main()
