"""Hierarchical (NUWA-XL) vs autoregressive scheduling: wall time of rendering one long scene, both in one run.

    python benchmarks/bench_schedules.py --frames 256 1024

For each length and renderer, renders one scene (256x144, 12 fps, window 16) with each schedule on the local
executor, into a fresh cache, and reports jobs, the steps that must run one after another (levels), renderer
calls, wall time and the autoregressive/hierarchical ratio. Rendering only: the encode is the same for both.

Renderers: the animatic (real, CPU-bound drawing, milliseconds a frame) and `FixedCostRenderer`, a benchmark
stand-in that sleeps a fixed time per window frame (see benchmarks/fixed_cost_renderer.py), with batches
costing the sum of their windows (no batching gain) or the longest window (a GPU with room to spare).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fixed_cost_renderer import FixedCostRenderer  # noqa: E402
from director.cache import FrameCache  # noqa: E402
from director.execute import render_storyboard  # noqa: E402
from director.storyboard import Box, Entity, LayoutFrame, Scene, Storyboard  # noqa: E402
from renderers.animatic import AnimaticRenderer  # noqa: E402


def long_scene(frames: int, fps: int = 12) -> Storyboard:
    duration = frames / fps
    return Storyboard(
        fps=fps, width=256, height=144, entities=[Entity(id="cat", name="cat", category="cat")],
        scenes=[Scene(id="long", duration=duration, entities=["cat"], layouts=[
            LayoutFrame(t=0, boxes={"cat": Box(x0=0.05, y0=0.6, x1=0.25, y1=0.9)}),
            LayoutFrame(t=duration, boxes={"cat": Box(x0=0.75, y0=0.6, x1=0.95, y1=0.9)})])],
    )  # fmt: skip


RENDERERS = {
    "animatic (batch 4)": lambda spf: AnimaticRenderer(),
    "fixed cost, batch 1": lambda spf: FixedCostRenderer(spf, max_batch=1),
    "fixed cost, batch 8, batch costs its longest window": lambda spf: FixedCostRenderer(spf, max_batch=8, batch_cost="max"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--seconds-per-frame", type=float, default=0.01, help="the stand-in's cost per window frame")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs (the CPU may be shared)")
    args = parser.parse_args()
    print(f"fixed cost: {args.seconds_per_frame * 1000:g} ms per window frame ({args.seconds_per_frame * 16:.2f} s a 16-frame window)\n")
    print("| frames | renderer | schedule | jobs | steps | calls | wall s | autoregressive / hierarchical |")
    print("|---|---|---|---|---|---|---|---|")
    for frames in args.frames:
        board = long_scene(frames)
        for label, make in RENDERERS.items():
            walls = {}
            for schedule in ("hierarchical", "autoregressive"):
                renderer = make(args.seconds_per_frame)
                calls = []
                original = renderer.keyframes, renderer.infill
                renderer.keyframes = lambda r, f=original[0]: (calls.append(1), f(r))[1]
                renderer.infill = lambda j, f=original[1]: (calls.append(1), f(j))[1]
                for _ in range(args.repeat):
                    calls.clear()
                    with tempfile.TemporaryDirectory() as tmp:
                        started = time.perf_counter()
                        rendered = render_storyboard(board, renderer, FrameCache(tmp), schedule=schedule)
                        walls[schedule] = min(walls.get(schedule, float("inf")), time.perf_counter() - started)
                stats = rendered.stats
                ratio = f"{walls['autoregressive'] / walls['hierarchical']:.2f}" if schedule == "autoregressive" else ""
                print(f"| {frames} | {label} | {schedule} | {stats.jobs} | {stats.steps} | {len(calls)} | {walls[schedule]:.2f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
