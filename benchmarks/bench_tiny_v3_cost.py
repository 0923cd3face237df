"""Where renderer v3's time goes, against v2's, on the jobs of `examples/the_kite.fountain` (issue 15's cost).

    python benchmarks/bench_tiny_v3_cost.py [--threads 1] [--repeats 3]

v3 runs with randomly initialised weights of the shipped architecture and size
(`renderers.tiny.v3.train.write_untrained_weights`): a model's time does not depend on its
weights' values. For each renderer and setting it times, in this process and alternating
the variants every repeat (so a busy machine slows them alike), one call of the Kite's
first keyframe batch (8 requests, as the local executor batches them) and one call of 8 of
its infill jobs, and prints seconds per keyframe and per infilled frame (medians), the
split of a v3 keyframe into its parts, and what those rates make of the Kite's whole
render for each window length (keyframes and infilled frames counted by `plan_jobs`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent


def kite_board():
    from director.script import read_script
    from planners.rules import RulesPlanner

    return RulesPlanner().plan(read_script(ROOT / "examples" / "the_kite.fountain"))


def jobs(board, window: int):
    from director.execute import plan_jobs

    graph = plan_jobs(board, "cost", window, cast_in_keys=True)
    tasks = [t for level in graph.levels for t in level]
    return [t for t in tasks if t.kind == "keyframes"], [t for t in tasks if t.kind == "infill"]


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from director.renderer import InfillJob, KeyframeRequest
    from renderers.tiny.renderer import TinyRenderer
    from renderers.tiny.v3.renderer import TinyV3Renderer
    from renderers.tiny.v3.train import write_untrained_weights

    board = kite_board()
    keyframe_tasks, infill_tasks = jobs(board, 16)
    requests = [KeyframeRequest(t.scene, t.frames, t.seed) for t in keyframe_tasks[:8]]
    rng = np.random.default_rng(0)
    infills = [
        InfillJob(t.scene, t.frames, {i: rng.integers(0, 256, (board.height, board.width, 3), dtype=np.uint8) for i, _ in t.known}, t.seed)
        for t in infill_tasks[:8]
    ]
    keyframes_made = sum(len(r.frames) for r in requests)
    infilled = sum(len(j.targets) for j in infills)
    with tempfile.TemporaryDirectory() as tmp:
        full, warp = write_untrained_weights(Path(tmp) / "v3"), write_untrained_weights(Path(tmp) / "v3-warp", infill=False)
        variants = {
            "v2 (shipped)": TinyRenderer(),
            "v3, defaults (8 steps, strength 0.6), infill model": TinyV3Renderer(weights_dir=full),
            "v3, defaults, infill = the warp (no infill weights)": TinyV3Renderer(weights_dir=warp),
            "v3, other keyframes from strength 0.4": TinyV3Renderer(weights_dir=full, keyframe_strength=0.4),
            "v3, 6 steps": TinyV3Renderer(weights_dir=full, keyframe_steps=6),
        }
        for renderer in variants.values():  # load the models and warm up
            renderer.keyframes(requests[:1])
            renderer.infill(infills[:1])
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in variants}
        for _ in range(args.repeats):
            for name, renderer in variants.items():
                times[name][0].append(timed(lambda r=renderer: r.keyframes(requests)) / keyframes_made)
                times[name][1].append(timed(lambda r=renderer: r.infill(infills)) / infilled)
        parts = split_v3_keyframes(variants["v3, defaults (8 steps, strength 0.6), infill model"], requests, args.repeats)

    counts = {window: jobs(board, window) for window in (16, 8)}
    print(f"threads {args.threads}, {keyframes_made} keyframes and {infilled} infilled frames a call, median of {args.repeats}\n")
    print("| renderer | s / keyframe | s / infilled frame | Kite, window 16: render s | Kite, window 8: render s |")
    print("|---|---|---|---|---|")
    for name, (k, i) in times.items():
        per_keyframe, per_frame = statistics.median(k), statistics.median(i)
        estimates = []
        for window in (16, 8):
            if name.startswith("v2") and window != 16:
                estimates.append("")
                continue
            kf, inf = counts[window]
            total = sum(t.num_targets for t in kf) * per_keyframe + sum(t.num_targets for t in inf) * per_frame
            estimates.append(f"{total:.0f}")
        print(f"| {name} | {per_keyframe:.3f} | {per_frame:.4f} | {estimates[0]} | {estimates[1]} |")
    print("\nKite jobs:", {w: (sum(t.num_targets for t in kf), sum(t.num_targets for t in inf)) for w, (kf, inf) in counts.items()},
          "(keyframes, infilled frames)")
    print("\nv3 keyframe, s / keyframe:", ", ".join(f"{part} {seconds:.3f}" for part, seconds in parts.items()))


def split_v3_keyframes(renderer, requests, repeats: int) -> dict[str, float]:
    """Seconds per keyframe in the keyframe model's steps (at 64x36) and in the upscaler (at 256x144)."""
    spent = {"model steps": [], "upscaler": []}
    originals = {"model steps": renderer._draw_small, "upscaler": renderer._upscale}
    frames = sum(len(r.frames) for r in requests)
    for _ in range(repeats):
        clock = dict.fromkeys(spent, 0.0)

        def wrap(part, clock=clock):
            def call(*a, **k):
                started = time.perf_counter()
                out = originals[part](*a, **k)
                clock[part] += time.perf_counter() - started
                return out
            return call

        renderer._draw_small, renderer._upscale = wrap("model steps"), wrap("upscaler")
        renderer.keyframes(requests)
        for part, values in spent.items():
            values.append(clock[part] / frames)
    del renderer._draw_small, renderer._upscale
    return {part: statistics.median(values) for part, values in spent.items()}


if __name__ == "__main__":
    main()
