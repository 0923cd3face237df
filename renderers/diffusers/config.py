"""The `diffusers` renderer's configuration: which checkpoints, how to sample, how to fit a GPU.

A TOML (or JSON) file with up to three tables, every field optional:

```toml
[keyframes]                      # the global model: layout-guided images
backend = "layout_guidance"      # or "gligen"
model = "stable-diffusion-v1-5/stable-diffusion-v1-5"   # hub id or local folder

[infill]                         # the local model: keyframe-conditioned video
backend = "ltx"                  # "ltx", "wan" or "sparsectrl"
model = "Lightricks/LTX-Video-0.9.5"

[runtime]
dtype = "bfloat16"
offload = "model"                # "none", "model" or "sequential"
vae_tiling = true
```

`director render board.json -o movie.mp4 --renderer diffusers --renderer-config
this.toml`. Unknown keys are errors that name the key; `DiffusersConfig.model_json_schema()`
documents every field. A model named `random:tiny` or `random:full` is a randomly
initialised copy of the backend's architecture (`renderers/diffusers/random_pipelines.py`),
for tests and benchmarks without downloads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from director.errors import InputError, format_validation_error

RANDOM_PREFIX = "random:"
"""A model named random:tiny or random:full[:kind] is built with random weights, not loaded."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sampling(_Strict):
    num_inference_steps: Annotated[int, Field(ge=1, le=1000, description="Denoising steps per call.")] = 30
    guidance_scale: Annotated[float, Field(ge=0.0, description="Classifier-free guidance; 1 or less turns it off.")] = 7.0
    negative_prompt: Annotated[str, Field(description="What to steer away from, in every call.")] = (
        "blurry, low quality, deformed, watermark, text"
    )
    width: Annotated[int | None, Field(ge=16, description="Width the model renders at; none: the scene's width rounded to what the model accepts.")] = None
    height: Annotated[int | None, Field(ge=16, description="Height the model renders at; none: the scene's, rounded likewise.")] = None
    extra_prompt: Annotated[str, Field(description="Words appended to every prompt, e.g. 'cinematic lighting'.")] = ""


class KeyframeConfig(Sampling):
    backend: Annotated[
        Literal["layout_guidance", "gligen"],
        Field(description="layout_guidance: cross-attention energy guidance on any SD 1.x/2.x/XL checkpoint; gligen: GLIGEN's grounding tokens."),
    ] = "layout_guidance"
    model: Annotated[str, Field(description="Hub id or local folder of a diffusers checkpoint.")] = "stable-diffusion-v1-5/stable-diffusion-v1-5"
    batch: Annotated[int, Field(ge=1, description="Keyframes denoised together (they share identity attention within a batch).")] = 8
    layout_guidance_strength: Annotated[float, Field(ge=0.0, description="Step size of the layout energy gradient, in latent standard deviations; 0 turns guidance off.")] = 0.6
    layout_guidance_fraction: Annotated[float, Field(ge=0.0, le=1.0, description="Fraction of the steps, from the first, that are guided.")] = 0.4
    layout_guidance_iterations: Annotated[int, Field(ge=1, le=10, description="Gradient steps per guided step.")] = 1
    attention_box_bias: Annotated[float, Field(ge=0.0, description="Extra forward-only box bias on cross-attention logits; 0 = off.")] = 0.0
    gligen_beta: Annotated[float, Field(ge=0.0, le=1.0, description="GLIGEN's scheduled sampling: fraction of steps with grounding on.")] = 0.3
    entity_noise: Annotated[bool, Field(description="Start each entity from its own fixed noise, placed at its box.")] = True
    identity_attention: Annotated[bool, Field(description="Consistent self-attention: keyframes attend to the first keyframe's entity regions.")] = True
    identity_weight: Annotated[float, Field(gt=0.0, description="Weight of the shared appearance in that attention (1 = as much as the frame itself).")] = 1.0
    seed_offset: Annotated[int, Field(description="Added to every per-entity seed; change it to recast every identity.")] = 0


class InfillConfig(Sampling):
    backend: Annotated[
        Literal["ltx", "wan", "sparsectrl"],
        Field(description="ltx: LTXConditionPipeline (known frames at any index); wan: WanImageToVideoPipeline (first and last frame); sparsectrl: AnimateDiffSparseControlNetPipeline (frames at chosen indices)."),
    ] = "ltx"
    model: Annotated[str, Field(description="Hub id or local folder; for sparsectrl the Stable Diffusion 1.5 base.")] = "Lightricks/LTX-Video-0.9.5"
    motion_adapter: Annotated[str, Field(description="sparsectrl only: the AnimateDiff motion adapter.")] = "guoyww/animatediff-motion-adapter-v1-5-3"
    controlnet: Annotated[str, Field(description="sparsectrl only: the SparseCtrl RGB ControlNet.")] = "guoyww/animatediff-sparsectrl-rgb"
    window: Annotated[int | None, Field(ge=3, description="Frames per window (NUWA-XL's L); none: the backend's natural length (17 for ltx and wan, 16 for sparsectrl).")] = None
    guidance_scale: Annotated[float, Field(ge=0.0, description="Classifier-free guidance; 1 or less turns it off.")] = 3.0
    attention_box_bias: Annotated[float, Field(ge=0.0, description="ltx and sparsectrl: box bias on the cross-attention logits of every frame made, from the layout track; 0 = off.")] = 2.0
    condition_noise: Annotated[float, Field(ge=0.0, description="ltx only: noise re-added to the known frames each step (its image_cond_noise_scale); 0 keeps them exact.")] = 0.0
    frame_rate: Annotated[int, Field(ge=1, description="ltx only: frame rate the model is told.")] = 25
    max_sequence_length: Annotated[int | None, Field(ge=8, description="ltx and wan: T5 tokens per prompt; none: the pipeline's default (128 for ltx, 512 for wan).")] = None


class RuntimeConfig(_Strict):
    device: Annotated[str, Field(description="'auto' (cuda, then mps, then cpu), or a torch device such as 'cuda:1'.")] = "auto"
    dtype: Annotated[
        Literal["auto", "float32", "float16", "bfloat16"],
        Field(description="Weights and activations; auto: bfloat16 on GPUs that have it, else float16 on GPUs, float32 on CPU."),
    ] = "auto"
    offload: Annotated[
        Literal["none", "model", "sequential"],
        Field(description="none: everything on the GPU; model: one component at a time (enable_model_cpu_offload); sequential: one layer at a time (slowest, least memory)."),
    ] = "none"
    vae_tiling: Annotated[bool, Field(description="Decode in tiles: less memory for large frames and long windows.")] = False
    vae_slicing: Annotated[bool, Field(description="Decode one image of a batch at a time.")] = False
    attention_backend: Annotated[
        str | None,
        Field(description="diffusers attention backend for transformer models (e.g. 'native', 'flash', '_native_cudnn', 'sage'); 'xformers' for UNets; none: PyTorch SDPA."),
    ] = None
    memory_check: Annotated[
        Literal["error", "warn", "off"],
        Field(description="Before loading onto the GPU, estimate the memory needed and stop (or warn) if it will not fit."),
    ] = "error"
    local_files_only: Annotated[bool, Field(description="Never reach the hub: only the local cache and folders.")] = False


class DiffusersConfig(_Strict):
    """Configuration of the `diffusers` renderer."""

    keyframes: KeyframeConfig = KeyframeConfig()
    infill: InfillConfig = InfillConfig()
    runtime: RuntimeConfig = RuntimeConfig()

    @model_validator(mode="after")
    def _check(self) -> DiffusersConfig:
        if self.infill.backend == "sparsectrl" and self.infill.window is not None and self.infill.window > 32:
            raise ValueError(f"`infill.window` is {self.infill.window}, but AnimateDiff motion modules see at most 32 frames")
        if self.infill.backend in ("ltx", "wan") and self.infill.window is not None:
            step = 8 if self.infill.backend == "ltx" else 4
            if (self.infill.window - 1) % step:
                raise ValueError(
                    f"`infill.window` is {self.infill.window}, but {self.infill.backend} makes {step}k+1 frames: "
                    f"use {((self.infill.window - 1) // step) * step + 1} or {((self.infill.window - 1) // step + 1) * step + 1}"
                )
        return self

    @property
    def window(self) -> int:
        if self.infill.window is not None:
            return self.infill.window
        return 16 if self.infill.backend == "sparsectrl" else 17

    @classmethod
    def load(cls, path: str | Path) -> DiffusersConfig:
        """Read a .toml or .json file; any problem is an `InputError` naming the file and the field."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise InputError(f"{path}: cannot read the renderer config ({e.strerror or e})") from None
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                data = _toml().loads(text)
        except ValueError as e:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
            raise InputError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {e}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise InputError(f"{path}: {format_validation_error(e)}") from None


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib
