"""End-to-end time of `director make` on the bundled examples (rules planner; animatic renderer unless told).

    python benchmarks/bench_make.py                    # cold cache, then warm cache, for each example
    python benchmarks/bench_make.py --renderer tiny    # the same with the embedded diffusion renderer

Prints a markdown table: frames, movie seconds, wall time cold and warm, frames rendered per second.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["the_kite.fountain", "the_lost_ball.txt", "robot_day.txt"]


def make(script: Path, out: Path, cache: Path, renderer: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "director.cli", "make", str(script), "-o", str(out), "--cache-dir", str(cache), "--planner", "rules", "--renderer", renderer],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderer", default="animatic")
    args = parser.parse_args()
    from director.storyboard import Storyboard

    print("| example | scenes | frames | movie s | cold make s | warm make s | frames/s (cold) |")
    print("|---|---|---|---|---|---|---|")
    for name in EXAMPLES:
        with tempfile.TemporaryDirectory() as tmp:
            out, cache = Path(tmp) / "movie.mp4", Path(tmp) / "cache"
            cold = make(ROOT / "examples" / name, out, cache, args.renderer)
            warm = make(ROOT / "examples" / name, Path(tmp) / "again.mp4", cache, args.renderer)
            board = Storyboard.load(Path(tmp) / "movie.storyboard.json")
            frames = sum(s.num_frames(board.fps) for s in board.scenes)
            seconds = sum(s.duration for s in board.scenes)
            print(f"| {name} | {len(board.scenes)} | {frames} | {seconds:.1f} | {cold:.2f} | {warm:.2f} | {frames / cold:.0f} |")


if __name__ == "__main__":
    main()
