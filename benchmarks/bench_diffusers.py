"""Speed and memory of the diffusers renderer's backends at realistic sizes, with random weights.

Speed does not depend on weight values, so the real architectures are built with
random weights (`renderers/diffusers/random_pipelines.py`, size "full") directly on the GPU:
no download. For each backend it times one keyframe batch or one infill window
(after one warm-up call) and reports the peak GPU memory next to the pre-flight
estimate (`renderers/diffusers/preflight.py`), so the estimate can be checked.

    python benchmarks/bench_diffusers.py                       # all backends, on cuda, bfloat16
    python benchmarks/bench_diffusers.py --backends layout_guidance ltx --steps 30
    python benchmarks/bench_diffusers.py --device cpu --size tiny --steps 2   # smoke test without a GPU

Needs `pip install -e ".[diffusers]"` and, for the real sizes, a CUDA GPU (Wan 2.1's
14B transformer alone is 28 GiB in bfloat16; the T5 text encoders are built with 4
of their 24 layers, which only changes the one-off prompt encoding).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from director.renderer import FrameSpec, InfillJob, KeyframeRequest, SceneContext  # noqa: E402
from director.storyboard import Box, Entity  # noqa: E402
from renderers.diffusers.config import InfillConfig, KeyframeConfig  # noqa: E402
from renderers.diffusers.preflight import GIB, Workload, estimate_memory  # noqa: E402
from renderers.diffusers.random_pipelines import build_pipeline  # noqa: E402

# backend -> (pipeline kind, width, height, frames): the checkpoints' native sizes
CASES = {
    "layout_guidance": ("sd", 512, 512, 4),  # SD 1.5, a batch of 4 keyframes
    "gligen": ("gligen", 512, 512, 4),
    "layout_guidance_xl": ("sdxl", 1024, 1024, 2),
    "ltx": ("ltx", 768, 512, 17),  # LTX-Video 0.9.x, one 17-frame window
    "wan": ("wan", 832, 480, 17),  # Wan 2.1 FLF2V 14B, one 17-frame window
    "sparsectrl": ("sparsectrl", 512, 512, 16),  # AnimateDiff v3 + SparseCtrl RGB, one 16-frame window
}
CAST = (Entity(id="cat", name="cat", category="cat", attributes={"color": "black"}), Entity(id="kite", name="kite", category="kite", attributes={"color": "red"}))


def boxes_at(a: float) -> dict[str, Box]:
    return {"cat": Box(x0=0.05 + 0.5 * a, y0=0.5, x1=0.35 + 0.5 * a, y1=0.9), "kite": Box(x0=0.6, y0=0.05, x1=0.8, y1=0.3)}


def make_backend(name: str, pipe, steps: int):
    if name in ("layout_guidance", "layout_guidance_xl"):
        from renderers.diffusers.layout_guidance import LayoutGuidanceKeyframes

        return LayoutGuidanceKeyframes(pipe, KeyframeConfig(num_inference_steps=steps, batch=8))
    if name == "gligen":
        from renderers.diffusers.gligen import GligenKeyframes

        return GligenKeyframes(pipe, KeyframeConfig(backend="gligen", num_inference_steps=steps, batch=8))
    from renderers.diffusers.ltx_infill import LtxInfill
    from renderers.diffusers.sparsectrl_infill import SparseCtrlInfill
    from renderers.diffusers.wan_infill import WanInfill

    backend = {"ltx": LtxInfill, "wan": WanInfill, "sparsectrl": SparseCtrlInfill}[name]
    return backend(pipe, InfillConfig(backend=name, model="random:full", num_inference_steps=steps))


def work(name: str, width: int, height: int, frames: int):
    scene = SceneContext("bench", "EXT. PARK - DAY", "a black cat chases a red kite", "a sunny park", "", CAST, (), width, height)
    specs = tuple(FrameSpec(index=i, t=i / 12, boxes=boxes_at(i / max(frames - 1, 1))) for i in range(frames))
    if name.startswith(("layout_guidance", "gligen")):
        return KeyframeRequest(scene, specs, seed=0)
    rng = np.random.default_rng(0)
    ends = {0: rng.integers(0, 255, (height, width, 3), dtype=np.uint8), frames - 1: rng.integers(0, 255, (height, width, 3), dtype=np.uint8)}
    return InfillJob(scene, specs, ends, seed=0)


def run(name: str, size: str, device: str, dtype: torch.dtype, steps: int) -> dict:
    kind, width, height, frames = CASES[name]
    if size == "tiny":
        width, height, frames = 32, 32, min(frames, 5)
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):  # build the weights where they will run
            pipe = build_pipeline(kind, size, open_gates=True)
    finally:
        torch.set_default_dtype(default_dtype)
    pipe.to(device)  # built in `dtype` already (the default dtype during construction)
    backend = make_backend(name, pipe, steps)
    job = work(name, width, height, frames)
    keyframes = isinstance(job, KeyframeRequest)
    estimate = estimate_memory(pipe, Workload(
        images=frames if keyframes else 1, frames=1 if keyframes else frames, width=width, height=height,
        guidance=True, layout_guidance=name.startswith("layout_guidance"),
    ))
    backend.render(job)  # warm-up: kernels, allocator
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    out = backend.render(job)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / GIB if device.startswith("cuda") else float("nan")
    made = out.shape[0]
    del pipe, backend
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {
        "backend": name, "size": f"{width}x{height}", "frames made": made, "steps": steps, "seconds": seconds,
        "s/frame": seconds / made, "peak GiB": peak, "estimate GiB": estimate.total("none") / GIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--size", choices=["full", "tiny"], default="full")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], default="bfloat16")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("no CUDA GPU here: this benchmark measures GPU speed (use --device cpu --size tiny for a smoke test)")
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"device: {device_name}, dtype {args.dtype}, torch {torch.__version__}\n")
    print("| backend | size | frames made | steps | seconds | s/frame | peak GiB | estimate GiB |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.backends:
        row = run(name, args.size, args.device, getattr(torch, args.dtype), args.steps)
        print(
            f"| {row['backend']} | {row['size']} | {row['frames made']} | {row['steps']} | {row['seconds']:.2f} | "
            f"{row['s/frame']:.3f} | {row['peak GiB']:.2f} | {row['estimate GiB']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
