"""A memory estimate made before a pipeline goes onto the GPU, so a render that cannot fit stops
with a message that says what to change, instead of an out-of-memory crash halfway through.

The estimate is deliberately simple and errs high:

- **weights**: the bytes of every component's parameters and buffers, counted on the
  CPU after loading in the configured dtype (exact);
- **denoiser activations**: rows x tokens x width x bytes x a factor: rows are the
  images or frames of one call (doubled under classifier-free guidance), tokens the
  latent positions the first layer sees, width its channels. Factor 24 covers a
  UNet or transformer block's intermediates in inference with PyTorch's
  memory-efficient attention; layout guidance also backpropagates through the
  UNet, which keeps every block's activations: x20 on its conditional half;
- **VAE decode**: frames x pixels x the decoder's widest layer x bytes x 6, over a
  512 x 512 tile instead of the frame when tiling is on, one image at a time when
  slicing is on;
- **offload**: none keeps all weights on the GPU; model keeps the largest component;
  sequential keeps the largest single layer.

`benchmarks/bench_diffusers.py` prints this estimate next to the measured peak, so
it can be checked on a real GPU.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from director.errors import InputError

GIB = 1024**3


@dataclass(frozen=True)
class Workload:
    """What one call of the pipeline processes."""

    images: int  # images, or videos, per call
    frames: int  # frames per video (1 for images)
    width: int
    height: int
    guidance: bool  # classifier-free guidance doubles the rows
    layout_guidance: bool = False  # a backward pass through the UNet


@dataclass(frozen=True)
class MemoryEstimate:
    weights: dict[str, int]  # component -> bytes
    largest_layer: int
    denoiser: int  # activation bytes
    decode: int

    def total(self, offload: str) -> int:
        resident = {
            "none": sum(self.weights.values()),
            "model": max(self.weights.values(), default=0),
            "sequential": self.largest_layer,
        }[offload]
        return resident + max(self.denoiser, self.decode)

    def describe(self, offload: str) -> str:
        parts = ", ".join(f"{name} {size / GIB:.2f}" for name, size in sorted(self.weights.items(), key=lambda kv: -kv[1]))
        return (
            f"about {self.total(offload) / GIB:.1f} GiB with offload={offload!r} "
            f"(weights GiB: {parts}; denoising {self.denoiser / GIB:.2f} GiB, VAE decode {self.decode / GIB:.2f} GiB)"
        )


def _bytes(module: torch.nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))


def estimate_memory(pipe, workload: Workload, vae_tiling: bool = False, vae_slicing: bool = False) -> MemoryEstimate:
    components = {name: c for name, c in pipe.components.items() if isinstance(c, torch.nn.Module)}
    weights = {name: _bytes(c) for name, c in components.items()}
    largest_layer = max(
        (_bytes(m) for c in components.values() for m in c.modules() if not list(m.children())), default=0
    )
    denoiser = getattr(pipe, "transformer", None) or pipe.unet
    dtype_bytes = next(denoiser.parameters()).element_size()
    rows = workload.images * workload.frames * (2 if workload.guidance else 1)
    config = denoiser.config
    if hasattr(pipe, "vae_scale_factor_spatial"):  # Wan
        spatial, temporal = pipe.vae_scale_factor_spatial, pipe.vae_scale_factor_temporal
    elif hasattr(pipe, "vae_spatial_compression_ratio"):  # LTX
        spatial, temporal = pipe.vae_spatial_compression_ratio, pipe.vae_temporal_compression_ratio
    else:  # Stable Diffusion family
        spatial, temporal = pipe.vae_scale_factor, 1
    tokens = (workload.width // spatial) * (workload.height // spatial)
    if "block_out_channels" in config:  # UNet: widest map is the first level
        width = config.block_out_channels[0]
        latent_frames = 1
    else:  # transformer over (latent frames x patches)
        patch = config.get("patch_size", 1)
        patch_area = patch[1] * patch[2] if isinstance(patch, (list, tuple)) else patch * patch
        tokens //= patch_area
        width = config.num_attention_heads * config.attention_head_dim
        latent_frames = (workload.frames - 1) // temporal + 1
        rows = workload.images * (2 if workload.guidance else 1)
    activations = rows * latent_frames * tokens * width * dtype_bytes * 24
    if workload.layout_guidance:
        activations += workload.images * tokens * width * dtype_bytes * 24 * 20
    vae = pipe.vae
    decoder_width = max(vae.config.get("decoder_block_out_channels") or vae.config.get("block_out_channels") or [vae.config.get("base_dim", 96) * 4])
    pixels = min(workload.width * workload.height, 512 * 512) if vae_tiling else workload.width * workload.height
    decode_images = (1 if vae_slicing else workload.images) * workload.frames
    decode = decode_images * pixels * decoder_width * next(vae.parameters()).element_size() * 6
    return MemoryEstimate(weights, largest_layer, activations, decode)


def check_memory(estimate: MemoryEstimate, offload: str, free_bytes: int, device: str, mode: str, what: str) -> None:
    """Stop (mode 'error') or warn (mode 'warn') when the estimate exceeds the free memory."""
    if mode == "off":
        return
    needed = estimate.total(offload)
    if needed <= free_bytes:
        return
    lighter = [
        f"runtime.offload = {option!r} (about {estimate.total(option) / GIB:.1f} GiB)"
        for option in ("model", "sequential")
        if option != offload and estimate.total(option) < estimate.total(offload)
    ]
    hints = lighter + [
        "runtime.vae_tiling = true",
        'runtime.dtype = "bfloat16" or "float16"',
        "a smaller sampling width/height or infill.window, or keyframes.batch",
    ]
    message = (
        f"the {what} needs {estimate.describe(offload)}, but only {free_bytes / GIB:.1f} GiB are free on {device}. "
        f"To fit, try: {'; '.join(hints)}. (runtime.memory_check = \"warn\" or \"off\" skips this check.)"
    )
    if mode == "error":
        raise InputError(message)
    warnings.warn(message, ResourceWarning, stacklevel=2)
