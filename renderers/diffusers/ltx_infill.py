"""Infill with LTX-Video's `LTXConditionPipeline`: known frames at any index of the window.

This is NUWA-XL's local model as masked temporal diffusion: every known frame is a
`LTXVideoCondition(image, frame_index)`; the pipeline encodes it, pins its latent
(the first frame's latents are replaced and never denoised; frames elsewhere
become extra tokens at their time coordinate), and denoises the rest of the
window around them. `condition_noise` is the pipeline's `image_cond_noise_scale`
(0 keeps the known frames exact). One prompt per window. LTX makes 8k+1 frames.

Layout of the in-between frames: with `attention_box_bias` > 0 the transformer's
cross-attention (`attn2` of every block) adds +bias to an entity's prompt tokens
at the video tokens inside its box and -bias outside, per latent frame, from the
layout track at that frame's time. Those layers then use PyTorch SDPA whatever
`runtime.attention_backend` says; self-attention keeps the configured backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F

from director.renderer import InfillJob
from director.storyboard import Box
from renderers.diffusers.config import InfillConfig
from renderers.diffusers.identity import box_mask, token_spans
from renderers.diffusers.infill_window import frame_boxes, known_image, map_window, pipeline_arguments, read_targets, window_prompt
from renderers.diffusers.keyframe_plan import model_size

LTX_DEFAULT_MAX_SEQUENCE_LENGTH = 128  # LTXConditionPipeline.__call__'s default


class LtxBoxCrossAttention:
    """LTX cross-attention with a box bias on the video tokens of the conditional batch half."""

    def __init__(self, frames: Sequence[Mapping[str, Box]], spans: Mapping[str, Sequence[int]], grid: tuple[int, int, int], bias: float):
        self.frames, self.spans, self.grid, self.bias = frames, spans, grid, bias  # frames: boxes per latent frame

    def _bias(self, batch: int, tokens: int, keys: int, like: torch.Tensor) -> torch.Tensor:
        """(batch, 1, tokens, keys); video tokens are the last F*H*W, in (frame, row, column) order."""
        latent_frames, height, width = self.grid
        video = latent_frames * height * width
        bias = torch.zeros(batch, 1, tokens, keys, dtype=like.dtype, device=like.device)
        per_frame = torch.zeros(latent_frames, height * width, keys, dtype=like.dtype)
        for f, boxes in enumerate(self.frames):
            for entity, box in boxes.items():
                ids = [t for t in self.spans.get(entity, ()) if t < keys]
                if ids:
                    sign = box_mask(box, height, width).flatten().to(like.dtype) * 2 - 1  # (height * width,)
                    per_frame[f][:, ids] = self.bias * sign[:, None]
        bias[batch - 1, 0, tokens - video :] = per_frame.reshape(video, keys).to(like.device)  # one video: its conditional row
        return bias

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, image_rotary_emb=None):
        batch, tokens, _ = hidden_states.shape
        keys = encoder_hidden_states.shape[1]
        query, key, value = attn.to_q(hidden_states), attn.to_k(encoder_hidden_states), attn.to_v(encoder_hidden_states)
        query, key = attn.norm_q(query), attn.norm_k(key)
        query, key, value = (x.unflatten(2, (attn.heads, -1)).transpose(1, 2) for x in (query, key, value))  # (batch, heads, tokens, head_dim)
        mask = self._bias(batch, tokens, keys, query)
        if attention_mask is not None:  # the prompt's padding, as an additive bias (batch, 1, keys)
            mask = mask + attn.prepare_attention_mask(attention_mask, keys, batch).view(batch, attn.heads, -1, keys)
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=0.0, is_causal=False)
        out = out.transpose(1, 2).flatten(2, 3).to(query.dtype)
        return attn.to_out[1](attn.to_out[0](out))


@contextmanager
def box_attention(transformer, processor: LtxBoxCrossAttention) -> Iterator[None]:
    """The box processor on every cross-attention layer for the block; the model's own ones after."""
    original = transformer.attn_processors
    transformer.set_attn_processor({name: processor if name.endswith("attn2.processor") else p for name, p in original.items()})
    try:
        yield
    finally:
        transformer.set_attn_processor(original)


class LtxInfill:
    def __init__(self, pipe, config: InfillConfig) -> None:
        from diffusers import LTXConditionPipeline

        if not isinstance(pipe, LTXConditionPipeline):
            raise ValueError(f"the ltx backend needs an LTXConditionPipeline, but {config.model!r} loads as {type(pipe).__name__}")
        self.pipe, self.config = pipe, config

    @property
    def frame_step(self) -> int:
        """The VAE's temporal compression: windows of frame_step * k + 1 frames (8 for LTX-Video)."""
        return self.pipe.vae_temporal_compression_ratio

    @property
    def size_multiple(self) -> int:
        # The pipeline insists on multiples of 32 (LTX-Video's VAE compresses 32x); smaller test VAEs too.
        return max(32, self.pipe.vae_spatial_compression_ratio * self.pipe.transformer_spatial_patch_size)

    @torch.no_grad()
    def render(self, job: InfillJob) -> np.ndarray:
        """(len(job.targets), scene height, scene width, 3) uint8."""
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        config, pipe = self.config, self.pipe
        # 1. Sizes, the window over the pipeline's frames, the prompt
        width, height = model_size(job.scene.width, job.scene.height, self.size_multiple, config.width, config.height)
        window = map_window(job, self.frame_step)
        prompt = window_prompt(job, config.extra_prompt)
        max_length = config.max_sequence_length or LTX_DEFAULT_MAX_SEQUENCE_LENGTH
        # 2. The known frames, each at its pipeline frame
        conditions = [
            LTXVideoCondition(image=known_image(job, position, width, height), frame_index=frame, strength=1.0)
            for frame, position in window.known
        ]
        call = dict(
            pipeline_arguments(job, config, prompt.text, width, height, window),
            conditions=conditions or None,
            frame_rate=config.frame_rate,
            image_cond_noise_scale=config.condition_noise,
            max_sequence_length=max_length,
        )
        # 3. Generate, with the layout in the cross-attention when asked
        if config.attention_box_bias > 0:
            with box_attention(pipe.transformer, self._box_processor(job, window, prompt, width, height, max_length)):
                video = pipe(**call).frames[0]
        else:
            video = pipe(**call).frames[0]
        return read_targets(np.asarray(video), job, window)

    def _box_processor(self, job, window, prompt, width, height, max_length) -> LtxBoxCrossAttention:
        pipe, r = self.pipe, self.frame_step
        latent_frames = (window.num_frames - 1) // r + 1
        patch = pipe.transformer_spatial_patch_size
        grid = (latent_frames, height // pipe.vae_spatial_compression_ratio // patch, width // pipe.vae_spatial_compression_ratio // patch)
        boxes = frame_boxes(job, window)
        # Latent frame 0 is pixel frame 0; latent frame j > 0 covers pixel frames (j-1)r+1 .. jr: take its middle.
        per_latent = [boxes[0 if j == 0 else min((j - 1) * r + (r + 1) // 2, window.num_frames - 1)] for j in range(latent_frames)]
        spans = token_spans(pipe.tokenizer, prompt, max_length)
        return LtxBoxCrossAttention(per_latent, spans, grid, self.config.attention_box_bias)
