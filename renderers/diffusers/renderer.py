"""The `diffusers` renderer: public pretrained checkpoints, by hub id or local folder, on a GPU.

- keyframes (NUWA-XL's global model): `layout_guidance` (training-free cross-attention
  energy guidance on any Stable Diffusion 1.x/2.x/XL checkpoint,
  `renderers/diffusers/layout_guidance.py`) or `gligen` (`renderers/diffusers/gligen.py`), with fixed
  per-entity phrases and noise and consistent self-attention across a scene's keyframes;
- infill (the local model): `ltx` (`LTXConditionPipeline`, known frames at any index, box-biased
  cross-attention in every frame),
  `wan` (`WanImageToVideoPipeline`, first and last frame) or `sparsectrl`
  (`AnimateDiffSparseControlNetPipeline`, frames at chosen indices, box-biased attention
  in every frame).

Everything is chosen in a config file (`renderers/diffusers/config.py`). Pipelines load
lazily, the keyframe one for level 0 and the infill one after; with `offload = "none"`
the one not in use goes back to the CPU. Before a pipeline goes onto a CUDA device its
memory need is estimated (`renderers/diffusers/preflight.py`) and a render that cannot fit stops
with a message saying what to change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from director.errors import InputError
from director.renderer import InfillJob, KeyframeRequest, RendererInfo
from renderers.diffusers.config import DiffusersConfig, InfillConfig, KeyframeConfig, RuntimeConfig
from renderers.diffusers.config import RANDOM_PREFIX

VERSION = 1


class DiffusersRenderer:
    """Pretrained diffusers pipelines: layout-guided keyframes (SD/SDXL or GLIGEN) and LTX/Wan/SparseCtrl infill."""

    def __init__(self, config: str | Path | DiffusersConfig | dict[str, Any] | None = None) -> None:
        import importlib.util

        missing = [name for name in ("torch", "diffusers", "transformers") if importlib.util.find_spec(name) is None]
        if missing:
            raise InputError(
                f"the diffusers renderer needs {', '.join(missing)}: pip install -e \".[diffusers]\" "
                "(install the torch build for your GPU first)"
            )
        if config is None:
            self.config = DiffusersConfig()
        elif isinstance(config, DiffusersConfig):
            self.config = config
        elif isinstance(config, dict):
            from pydantic import ValidationError

            from director.errors import format_validation_error

            try:
                self.config = DiffusersConfig.model_validate(config)
            except ValidationError as e:
                raise InputError(f"renderer config: {format_validation_error(e)}") from None
        else:
            self.config = DiffusersConfig.load(config)
        keyframes, infill = self.config.keyframes, self.config.infill
        self.info = RendererInfo(
            name="diffusers",
            description=f"keyframes: {keyframes.backend} ({keyframes.model}); infill: {infill.backend} ({infill.model})",
            window=self.config.window,
            max_batch=4,  # jobs per call; each is its own pipeline call, so this only bounds frames held
            supports=frozenset({"layout", "identity", "infill"}),
            # The ray executor gives each worker this many GPUs: one, unless the config pins a CPU (or MPS).
            gpus=0.0 if self.config.runtime.device.startswith(("cpu", "mps")) else 1.0,
        )
        self._backends: dict[str, Any] = {}

    @property
    def fingerprint(self) -> str:
        """Models and every option that changes pixels; not offload or the memory check."""
        import diffusers

        content = self.config.model_dump(mode="json")
        for key in ("offload", "memory_check", "local_files_only", "device"):
            content["runtime"].pop(key)
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
        return f"diffusers/v{VERSION}/diffusers={diffusers.__version__}/{digest}"

    def keyframes(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        backend = self._backend("keyframes")
        return [backend.render(request) for request in requests]

    def infill(self, jobs: Sequence[InfillJob]) -> list[np.ndarray]:
        backend = self._backend("infill")
        return [backend.render(job) for job in jobs]

    # Loading ------------------------------------------------------------------------------------

    def _backend(self, stage: str) -> Any:
        other = "infill" if stage == "keyframes" else "keyframes"
        if self.config.runtime.offload == "none" and other in self._backends:
            _to_cpu(self._backends[other].pipe)  # one stage at a time on the GPU
        if stage not in self._backends:
            self._backends[stage] = self._load(stage)
        backend = self._backends[stage]
        device = resolve_device(self.config.runtime.device)
        if self.config.runtime.offload == "none" and backend.pipe.device.type != device.split(":")[0]:
            backend.pipe.to(device)  # back from the CPU, where the other stage sent it
        return backend

    def _load(self, stage: str) -> Any:
        runtime = self.config.runtime
        if stage == "keyframes":
            options: KeyframeConfig | InfillConfig = self.config.keyframes
            kind = "gligen" if options.backend == "gligen" else "sd"
        else:
            options = self.config.infill
            kind = options.backend
        pipe = load_pipeline(kind, options, runtime)
        backend = _make_backend(stage, options, pipe)
        place_pipeline(pipe, runtime, self._workload(stage, backend), f"{stage} model {options.model!r}")
        return backend

    def _workload(self, stage: str, backend: Any):
        from renderers.diffusers.keyframe_plan import model_size
        from renderers.diffusers.preflight import Workload

        # A typical scene size; the real one is known per request, the order of magnitude is what matters here.
        if stage == "keyframes":
            k = self.config.keyframes
            width, height = model_size(512, 288, backend.size_multiple, k.width, k.height)
            return Workload(
                images=min(k.batch, self.config.window), frames=1, width=width, height=height, guidance=k.guidance_scale > 1,
                layout_guidance=k.backend == "layout_guidance" and k.layout_guidance_strength > 0,
            )
        i = self.config.infill
        width, height = model_size(512, 288, backend.size_multiple, i.width, i.height)
        return Workload(images=1, frames=self.config.window, width=width, height=height, guidance=i.guidance_scale > 1)


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(dtype: str, device: str):
    import torch

    if dtype != "auto":
        return getattr(torch, dtype)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.startswith("mps"):
        return torch.float16
    return torch.float32


def _make_backend(stage: str, options: Any, pipe: Any) -> Any:
    try:
        if stage == "keyframes":
            if options.backend == "gligen":
                from renderers.diffusers.gligen import GligenKeyframes

                return GligenKeyframes(pipe, options)
            from renderers.diffusers.layout_guidance import LayoutGuidanceKeyframes

            return LayoutGuidanceKeyframes(pipe, options)
        if options.backend == "ltx":
            from renderers.diffusers.ltx_infill import LtxInfill

            return LtxInfill(pipe, options)
        if options.backend == "wan":
            from renderers.diffusers.wan_infill import WanInfill

            return WanInfill(pipe, options)
        from renderers.diffusers.sparsectrl_infill import SparseCtrlInfill

        return SparseCtrlInfill(pipe, options)
    except ValueError as e:
        raise InputError(f"renderer config, [{stage}]: {e}") from None


def load_pipeline(kind: str, options: Any, runtime: RuntimeConfig) -> Any:
    """The pipeline named by `options.model` (hub id, local folder, or random:<size>[:<kind>]), on the CPU."""
    dtype = resolve_dtype(runtime.dtype, resolve_device(runtime.device))
    model: str = options.model
    if model.startswith(RANDOM_PREFIX):
        from renderers.diffusers.random_pipelines import build_pipeline

        size, _, random_kind = model.removeprefix(RANDOM_PREFIX).partition(":")
        if size not in ("tiny", "full"):
            raise InputError(f"renderer config: model {model!r}: use random:tiny or random:full (optionally :sd, :sdxl ...)")
        pipe = build_pipeline(random_kind or kind, size, open_gates=True)  # type: ignore[arg-type]
        return pipe.to(dtype=dtype)
    import diffusers

    load = dict(dtype=dtype, local_files_only=runtime.local_files_only)
    try:
        if kind == "gligen":
            pipe = diffusers.StableDiffusionGLIGENPipeline.from_pretrained(model, **load)
        elif kind == "sd":
            pipe = diffusers.DiffusionPipeline.from_pretrained(model, **load)
        elif kind == "ltx":
            pipe = diffusers.LTXConditionPipeline.from_pretrained(model, **load)
        elif kind == "wan":
            pipe = diffusers.WanImageToVideoPipeline.from_pretrained(model, **load)
        else:
            adapter = diffusers.MotionAdapter.from_pretrained(options.motion_adapter, **load)
            controlnet = diffusers.SparseControlNetModel.from_pretrained(options.controlnet, **load)
            pipe = diffusers.AnimateDiffSparseControlNetPipeline.from_pretrained(model, motion_adapter=adapter, controlnet=controlnet, **load)
            pipe.scheduler = diffusers.DDIMScheduler.from_config(
                pipe.scheduler.config, beta_schedule="linear", clip_sample=False, timestep_spacing="linspace", steps_offset=1
            )
    except (OSError, ValueError, EnvironmentError) as e:
        raise InputError(
            f"cannot load {model!r} for the {kind} backend: {e}. Give a diffusers checkpoint: a hub id (downloaded once, "
            "then cached) or a local folder with model_index.json."
        ) from None
    pipe.set_progress_bar_config(disable=True)
    return pipe


def place_pipeline(pipe: Any, runtime: RuntimeConfig, workload: Any, what: str) -> None:
    """Attention backend, VAE tiling/slicing, memory check, then onto the device (or offload hooks)."""
    import torch

    from renderers.diffusers.preflight import check_memory, estimate_memory

    device = resolve_device(runtime.device)
    if runtime.attention_backend:
        denoiser = getattr(pipe, "transformer", None) or pipe.unet
        try:
            if runtime.attention_backend == "xformers":
                pipe.enable_xformers_memory_efficient_attention()
            else:
                denoiser.set_attention_backend(runtime.attention_backend)
        except (ValueError, ImportError, ModuleNotFoundError) as e:
            raise InputError(f"runtime.attention_backend {runtime.attention_backend!r}: {e}") from None
    if runtime.vae_tiling:
        pipe.vae.enable_tiling()
    if runtime.vae_slicing and hasattr(pipe.vae, "enable_slicing"):
        pipe.vae.enable_slicing()
    if device.startswith("cuda"):
        index = torch.device(device).index or 0
        free, _ = torch.cuda.mem_get_info(index)
        estimate = estimate_memory(pipe, workload, runtime.vae_tiling, runtime.vae_slicing)
        check_memory(estimate, runtime.offload, free, device, runtime.memory_check, what)
    if runtime.offload == "none" or device == "cpu":
        pipe.to(device)
    elif runtime.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.enable_sequential_cpu_offload(device=device)


def _to_cpu(pipe: Any) -> None:
    import torch

    if pipe.device.type != "cpu":
        pipe.to("cpu")
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
