"""Peak memory of rendering one long scene: should not grow with length (streaming).

    python benchmarks/bench_memory.py --frames 256 3376
    python benchmarks/bench_memory.py --frames 256 1024 3376 --schedule autoregressive --executor ray
    python benchmarks/bench_memory.py --frames 256 1024 3376 --renderer tiny   # the embedded diffusion renderer

Each length renders in a fresh process (a one-scene storyboard, 12 fps, 512x288, window 16) and reports
that process's peak RSS, wall time, and the timeline's depth. (ffmpeg runs as a child process
with its own, constant, memory; it is not included.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from director import Director
from director.storyboard import Box, Entity, LayoutFrame, Scene, Storyboard
frames, out, cache = int(sys.argv[1]), sys.argv[2], sys.argv[3]
schedule, executor, renderer = sys.argv[4], sys.argv[5], sys.argv[6]
options = {"workers": 2} if executor == "ray" else {}
fps = 12
duration = frames / fps
board = Storyboard(fps=fps, entities=[Entity(id="cat", name="cat", category="cat")], scenes=[Scene(
    id="long", duration=duration, entities=["cat"],
    layouts=[LayoutFrame(t=0, boxes={"cat": Box(x0=0.05, y0=0.6, x1=0.25, y1=0.9)}),
             LayoutFrame(t=duration, boxes={"cat": Box(x0=0.75, y0=0.6, x1=0.95, y1=0.9)})])])
started = time.perf_counter()
with Director(planner="rules", renderer=renderer, cache_dir=cache, schedule=schedule, executor=executor,
              executor_options=options) as director:
    result = director.render(board, out)
print(json.dumps({"frames": result.stats.frames, "seconds": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, nargs="+", default=[256, 3376])
    parser.add_argument("--schedule", nargs="+", default=["hierarchical"], choices=["hierarchical", "autoregressive"])
    parser.add_argument("--executor", nargs="+", default=["local"], choices=["local", "ray"],
                        help="ray: a local 2-worker cluster; the row is the driver's RSS (workers not included)")
    parser.add_argument("--renderer", default="animatic", help="animatic (default) or tiny")
    args = parser.parse_args()
    from director.timeline import plan_timeline

    print("| frames | renderer | schedule | executor | levels | jobs | wall s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for executor in args.executor:
        for schedule in args.schedule:
            for frames in args.frames:
                with tempfile.TemporaryDirectory() as tmp:
                    out = subprocess.run(
                        [sys.executable, "-c", CHILD, str(frames), f"{tmp}/movie.mp4", f"{tmp}/cache", schedule, executor, args.renderer],
                        check=True, capture_output=True, text=True, cwd=ROOT,
                    )
                    row = json.loads(out.stdout.strip().splitlines()[-1])
                    plan = plan_timeline(frames, 16, schedule)  # type: ignore[arg-type]
                    print(
                        f"| {row['frames']} | {args.renderer} | {schedule} | {executor} | {plan.depth} | {plan.num_jobs} "
                        f"| {row['seconds']:.1f} | {row['peak_rss_mb']:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
