"""Local executor vs a local Ray cluster of N workers, and the scaling model for N GPUs written from the measurement.

    python benchmarks/bench_ray.py --frames 1024 --workers 2

Renders one scene (256x144, 12 fps, window 16) into a fresh cache with the local executor, then with the ray
executor (a local cluster, `--workers` warm workers; cluster and worker start-up are timed separately and
left out of the render time), for each renderer and schedule. Then it fits per-level job cost c_l (from the
local run) and Ray's overhead per job o (from the Ray run), checks the model against one Ray worker (a point
it was not fitted on), and predicts, for a cluster of N workers (GPUs):

    T(N) = sum over levels l of ceil(J_l / N) * (c_l + o)        (hierarchical: J_l jobs at level l)
    T(N) = c_0 + o + (J - 1) * (c_1 + o)                         (autoregressive, one scene: one job at a time)

At 3376 frames every window is full: the keyframe job costs c_0 and every infill window c_1 (level 1's
windows are full at 1024 frames too, so c_1 is a full window's measured cost).

The renderers: FixedCostRenderer (a benchmark stand-in that sleeps a fixed time per window frame, see
benchmarks/fixed_cost_renderer.py: it models a device-bound model) and the animatic (CPU-bound drawing, which
on a 2-core machine competes with the driver and the encoder for the same cores).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_schedules import long_scene  # noqa: E402
from director.cache import FrameCache  # noqa: E402
from director.execute import LocalExecutor, RendererSpec, render_storyboard  # noqa: E402
from director.timeline import plan_timeline  # noqa: E402

FIXED = "benchmarks.fixed_cost_renderer:FixedCostRenderer"


def timed_render(board, spec, executor, schedule):
    """Wall seconds of the whole render, and of each progress stage (levels run one after another)."""
    last: dict[str, float] = {}  # stage -> when it last reported (all are announced at the start)

    def progress(stage, done, total):
        last[stage] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        rendered = render_storyboard(
            board, spec, FrameCache(tmp), executor=executor, schedule=schedule, progress=progress
        )
        wall = time.perf_counter() - started
    stages, previous = {}, started
    for stage, when in last.items():
        stages[stage], previous = when - previous, when
    return wall, stages, rendered.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds-per-frame", type=float, default=0.01, help="the stand-in's cost per window frame")
    parser.add_argument("--model-frames", type=int, nargs="+", default=[1024, 3376], help="lengths to predict for")
    args = parser.parse_args()

    from director.ray_executor import RayExecutor

    board = long_scene(args.frames)
    fixed = RendererSpec.of(FIXED, {"seconds_per_frame": args.seconds_per_frame})
    runs = [
        ("fixed cost, batch 1", fixed, "hierarchical"),
        ("fixed cost, batch 1", fixed, "autoregressive"),
        ("animatic, batch 4", RendererSpec.of("animatic"), "hierarchical"),
    ]
    started = time.perf_counter()
    ray_executor = RayExecutor(workers=args.workers)
    ray_executor._connect()
    cluster_start = time.perf_counter() - started

    print(f"fixed cost: {args.seconds_per_frame * 1000:g} ms per window frame; {args.frames} frames; Ray cluster start {cluster_start:.1f} s\n")
    print(f"| renderer | schedule | jobs | local s | ray ({args.workers} workers) s | worker start s | local / ray |")
    print("|---|---|---|---|---|---|---|")
    local_stages, ray_wall = {}, 0.0
    for label, spec, schedule in runs:
        local_wall, stages, stats = timed_render(board, spec, LocalExecutor(), schedule)
        worker_start = warm_up(ray_executor, spec)
        wall, _, _ = timed_render(board, spec, ray_executor, schedule)
        print(f"| {label} | {schedule} | {stats.jobs} | {local_wall:.2f} | {wall:.2f} | {worker_start:.1f} | {local_wall / wall:.2f} |", flush=True)
        if spec == fixed and schedule == "hierarchical":
            local_stages, ray_wall = stages, wall

    # The scaling model, fitted on the fixed-cost hierarchical runs: c_l from the local run, o from the Ray one.
    sizes = [len(level) for level in plan_timeline(args.frames, 16).levels]
    cost = [local_stages[f"level {k}" + (" (keyframes)" if k == 0 else "")] / n for k, n in enumerate(sizes)]
    overhead = max(0.0, (ray_wall - predict(sizes, cost, 0.0, args.workers)) / sum(math.ceil(n / args.workers) for n in sizes))
    print(f"\nfitted: c_l = {', '.join(f'{c:.3f}' for c in cost)} s per job at levels 0.. (local run); o = {overhead * 1000:.1f} ms per job (Ray run)")

    # A check of the model on a point it was not fitted on: one Ray worker.
    ray_executor.stop_workers()
    one = RayExecutor(workers=1)
    warm_up(one, fixed)
    measured_one, _, _ = timed_render(board, fixed, one, "hierarchical")
    one.stop_workers()
    ray_executor.close()
    print(f"check: 1 Ray worker, predicted {predict(sizes, cost, overhead, 1):.1f} s, measured {measured_one:.1f} s")

    # Every window full (3376 frames): the keyframe job costs c_0, every infill window c_1 (a full window at this length).
    print("\nPredicted render time of one scene on N workers (GPUs), T(N) = sum_l ceil(J_l / N) (c_l + o):\n")
    print("| frames | N | hierarchical s | autoregressive s | autoregressive / hierarchical |")
    print("|---|---|---|---|---|")
    for frames in args.model_frames:
        levels = [len(level) for level in plan_timeline(frames, 16).levels]
        level_cost = cost[: len(levels)] if frames == args.frames else [cost[0]] + [cost[1]] * (len(levels) - 1)
        autoregressive = cost[0] + overhead + (plan_timeline(frames, 16, "autoregressive").num_jobs - 1) * (cost[1] + overhead)
        for n in (1, 2, 4, 8, 16, 64, 225):
            hierarchical = predict(levels, level_cost, overhead, n)
            print(f"| {frames} | {n} | {hierarchical:.1f} | {autoregressive:.1f} | {autoregressive / hierarchical:.1f} |")


def predict(level_sizes, level_costs, overhead, workers) -> float:
    return sum(math.ceil(n / workers) * (c + overhead) for n, c in zip(level_sizes, level_costs, strict=True))


def warm_up(executor, spec) -> float:
    """Start the workers (build the renderer) with a one-window render; return the seconds it took."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        render_storyboard(long_scene(16), spec, FrameCache(tmp), executor=executor)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
