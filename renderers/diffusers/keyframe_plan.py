"""What every keyframe backend prepares the same way: prompts, token spans, starting noise, batches.

`plan_keyframes` turns a `KeyframeRequest` into per-frame prompts (entity phrases
first), the tokens of each visible entity, the attention regions, and starting
latents (shared background noise, per-entity noise at each box). `batches` splits
the frames into denoising batches that all begin with frame 0, so identity
attention has the same reference in every batch (frame 0 is made again in later
batches, identically, and dropped from their output).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from PIL import Image

from director.renderer import KeyframeRequest
from director.storyboard import Box
from renderers.diffusers.identity import FramePrompt, frame_prompt, initial_latents, token_spans
from renderers.diffusers.layout_attention import AttentionPlan, Region, regions_for

if TYPE_CHECKING:
    from renderers.diffusers.config import KeyframeConfig


@dataclass
class KeyframePlan:
    prompts: list[FramePrompt]
    boxes: list[Mapping[str, Box]]
    regions: list[list[Region]]
    latents: torch.Tensor  # (frames, channels, latent height, latent width), standard normal
    latent_size: tuple[int, int]

    def attention(self, frames: list[int], **options) -> AttentionPlan:
        return AttentionPlan(latent_size=self.latent_size, regions=[self.regions[f] for f in frames], **options)


def visible_in_order(request: KeyframeRequest, boxes: Mapping[str, Box]) -> list[str]:
    """The visible entities in cast order (the scene's order), so phrases keep their places."""
    return [e.id for e in request.scene.entities if e.id in boxes]


def plan_keyframes(
    request: KeyframeRequest,
    tokenizer,
    latent_shape: tuple[int, int, int],
    *,
    extra_prompt: str = "",
    entity_noise: bool = True,
    seed_offset: int = 0,
) -> KeyframePlan:
    boxes = [dict(frame.boxes) for frame in request.frames]
    prompts = [frame_prompt(request.scene, visible_in_order(request, b), extra_prompt) for b in boxes]
    spans = [token_spans(tokenizer, p) for p in prompts]
    latents = initial_latents(boxes, latent_shape, request.seed, entity_noise=entity_noise, entity_base_seed=seed_offset)
    return KeyframePlan(prompts, boxes, regions_for(boxes, spans), latents, latent_shape[1:])


def plan_for_pipeline(request: KeyframeRequest, pipe, config: KeyframeConfig) -> tuple[int, int, KeyframePlan]:
    """Width, height and plan of a Stable Diffusion-family pipeline's keyframes: the model's size for the
    scene, and latents at that size."""
    width, height = model_size(request.scene.width, request.scene.height, unet_size_multiple(pipe), config.width, config.height)
    latent_shape = (pipe.unet.config.in_channels, height // pipe.vae_scale_factor, width // pipe.vae_scale_factor)
    plan = plan_keyframes(
        request, pipe.tokenizer, latent_shape,
        extra_prompt=config.extra_prompt, entity_noise=config.entity_noise, seed_offset=config.seed_offset,
    )
    return width, height, plan


def batches(num_frames: int, batch: int) -> Iterator[list[int]]:
    """Frame indices per denoising batch, each batch starting with frame 0 (the identity reference)."""
    if num_frames <= batch:
        yield list(range(num_frames))
        return
    if batch == 1:  # no room for a reference: each frame alone
        yield from ([i] for i in range(num_frames))
        return
    yield list(range(batch))
    for start in range(batch, num_frames, batch - 1):
        yield [0, *range(start, min(start + batch - 1, num_frames))]


def to_uint8(images: np.ndarray, width: int, height: int) -> np.ndarray:
    """(n, h, w, 3) floats in [0, 1] -> (n, height, width, 3) uint8, resized when the model's size differs."""
    frames = (np.clip(images, 0.0, 1.0) * 255).round().astype(np.uint8)
    if frames.shape[1:3] == (height, width):
        return frames
    return np.stack([np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.BICUBIC)) for f in frames])


def unet_size_multiple(pipe) -> int:
    """What a UNet pipeline's width and height must be multiples of: latents must halve cleanly through every level."""
    return pipe.vae_scale_factor * 2 ** (len(pipe.unet.config.block_out_channels) - 1)


def model_size(width: int, height: int, multiple: int, override_width: int | None, override_height: int | None) -> tuple[int, int]:
    """The size a model renders at: the configured one, or the scene's rounded to the nearest `multiple`."""
    def fit(value: int) -> int:
        return max(multiple, round(value / multiple) * multiple)

    w = override_width if override_width is not None else fit(width)
    h = override_height if override_height is not None else fit(height)
    if w % multiple or h % multiple:
        raise ValueError(f"`width` and `height` have to be divisible by {multiple} for this model but are {w} and {h}.")
    return w, h
