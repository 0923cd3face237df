"""Attention processors that tie entities to their boxes and keep identities consistent.

One processor class, installed on the spatial self-attention (`attn1`) and
cross-attention (`attn2`) layers of a Stable Diffusion-family UNet (SD 1.x/2.x,
SDXL, GLIGEN, AnimateDiff's motion UNet; temporal motion layers are left alone),
computes ordinary scaled dot-product attention, plus whatever the current
`AttentionPlan` asks for:

- **record** (cross-attention): keep the text-token attention maps of layers no
  larger than `record_max_tokens` queries, for the layout energy of training-free
  layout guidance (Chen et al. 2023, "Training-Free Layout Control with
  Cross-Attention Guidance"; the same energy LVD and BoxDiff minimise);
- **box bias** (cross-attention): add `+bias` to the logits of an entity's tokens at
  queries inside its box and `-bias` outside (attention modulation as in
  DenseDiffusion), a forward-only way to place entities, used for video frames;
- **identity** (self-attention): every image of the batch also attends to the
  tokens of the batch's first image that lie inside the boxes of the entities both
  show (StoryDiffusion's consistent self-attention, restricted to shared entities),
  so a scene's keyframes draw each cast member from one appearance.

The processors read the plan from a shared `AttentionController`; `installed(unet)`
puts them in for the duration of a call and restores the model's own processors
afterwards, so a shared model is never left changed.

Batch layout: the plan describes `n` images (the conditional half). A layer seeing
`2n` rows is under classifier-free guidance ([unconditional; conditional]); the
plan's bias applies to the conditional half only. A video UNet folds frames into
the batch, so there `n` is videos x frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from director.storyboard import Box
from renderers.diffusers.identity import box_mask


@dataclass(frozen=True)
class Region:
    """One entity in one image: its text tokens and its box."""

    entity: str
    tokens: tuple[int, ...]
    box: Box


@dataclass
class AttentionPlan:
    latent_size: tuple[int, int]  # (height, width) of the latent grid the UNet's first layer sees
    regions: Sequence[Sequence[Region]]  # per image of the conditional batch
    bias: float = 0.0  # box bias on cross-attention logits; 0 = off
    record: bool = False
    record_max_tokens: int = 1024  # layouts live at low resolution; skipping 64x64 layers saves memory
    identity: bool = False
    identity_weight: float = 1.0  # >1 leans on the reference appearance more


@dataclass
class AttentionController:
    plan: AttentionPlan | None = None
    maps: list[tuple[tuple[int, int], torch.Tensor]] = field(default_factory=list)
    """Recorded cross-attention: ((grid height, grid width), (images, queries, text tokens) head-averaged)."""


def grid_for(tokens: int, latent_size: tuple[int, int]) -> tuple[int, int]:
    """The (height, width) of a layer with `tokens` queries: the latent grid halved k times."""
    height, width = latent_size
    for k in range(8):
        h, w = math.ceil(height / 2**k), math.ceil(width / 2**k)
        if h * w == tokens:
            return h, w
    raise ValueError(f"a layer with {tokens} tokens does not fit a latent grid of {height}x{width} halved")


class LayoutAttnProcessor:
    """Scaled dot-product attention with the plan's box bias, recording and identity sharing."""

    def __init__(self, controller: AttentionController, cross: bool) -> None:
        self.controller = controller
        self.cross = cross

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channels, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channels, height * width).transpose(1, 2)
        batch, queries, _ = hidden_states.shape
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)

        query = attn.to_q(hidden_states)
        context = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        if encoder_hidden_states is not None and attn.norm_cross:
            context = attn.norm_encoder_hidden_states(context)
        key, value = attn.to_k(context), attn.to_v(context)
        head_dim = key.shape[-1] // attn.heads
        query, key, value = (x.view(batch, -1, attn.heads, head_dim).transpose(1, 2) for x in (query, key, value))
        # query, key, value: (batch, heads, tokens, head_dim)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)

        mask = None  # additive, broadcastable to (batch, heads, queries, keys)
        if attention_mask is not None:
            mask = attn.prepare_attention_mask(attention_mask, key.shape[2], batch).view(batch, attn.heads, -1, key.shape[2])
            if mask.dtype == torch.bool:
                mask = torch.zeros_like(mask, dtype=query.dtype).masked_fill(~mask, float("-inf"))
        plan = self.controller.plan
        record = False
        if plan is not None:
            grid = grid_for(queries, plan.latent_size)
            if self.cross:
                if plan.bias:
                    bias = self._box_bias(plan, grid, batch, key.shape[2], query)
                    mask = bias if mask is None else mask + bias
                record = plan.record and queries <= plan.record_max_tokens
            elif plan.identity:
                key, value, mask = self._share_identity(plan, grid, key, value, mask)

        if record:
            scores = query @ key.transpose(-1, -2) * attn.scale
            if mask is not None:
                scores = scores + mask
            probs = scores.softmax(dim=-1)  # (batch, heads, queries, keys)
            n = len(plan.regions)
            self.controller.maps.append((grid, probs[batch - n :].mean(dim=1)))
            out = probs @ value
        else:
            out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=0.0, is_causal=False, scale=attn.scale)

        out = out.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim).to(query.dtype)
        out = attn.to_out[1](attn.to_out[0](out))
        if input_ndim == 4:
            out = out.transpose(-1, -2).reshape(batch, channels, height, width)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor

    @staticmethod
    def _conditional_rows(plan: AttentionPlan, batch: int) -> int:
        """Index of the first conditional row in a batch of `batch` rows."""
        n = len(plan.regions)
        if batch == n:
            return 0
        if batch == 2 * n:
            return n
        raise ValueError(f"attention plan describes {n} images but the layer sees a batch of {batch}")

    def _box_bias(self, plan: AttentionPlan, grid: tuple[int, int], batch: int, keys: int, like: torch.Tensor) -> torch.Tensor:
        """(batch, 1, queries, keys): +bias where an entity's tokens meet its box, -bias where they do not."""
        start = self._conditional_rows(plan, batch)
        bias = torch.zeros(batch, 1, grid[0] * grid[1], keys, dtype=like.dtype, device=like.device)
        for i, regions in enumerate(plan.regions):
            for region in regions:
                tokens = [t for t in region.tokens if t < keys]
                if not tokens:
                    continue
                inside = box_mask(region.box, *grid).flatten().to(like.device)  # (queries,)
                sign = inside.to(like.dtype) * 2 - 1
                bias[start + i, 0][:, tokens] = plan.bias * sign[:, None]
        return bias

    def _share_identity(self, plan, grid, key, value, mask):
        """Append to every image's keys and values those of its half's first image, where a shared entity is."""
        batch, heads, tokens, _ = key.shape
        n = len(plan.regions)
        halves = [0] if batch == n else [0, n] if batch == 2 * n else None
        if halves is None:
            raise ValueError(f"attention plan describes {n} images but the layer sees a batch of {batch}")
        reference_boxes = {r.entity: r.box for r in plan.regions[0]}
        extra = torch.full((batch, 1, 1, tokens), float("-inf"), dtype=key.dtype, device=key.device)
        shared_any = False
        for i, regions in enumerate(plan.regions):
            if i == 0:
                continue
            shared = [reference_boxes[r.entity] for r in regions if r.entity in reference_boxes]
            if not shared:
                continue
            allowed = torch.zeros(grid, dtype=torch.bool)
            for box in shared:
                allowed |= box_mask(box, *grid)
            for start in halves:
                extra[start + i, 0, 0, allowed.flatten().to(key.device)] = math.log(plan.identity_weight)
            shared_any = True
        if not shared_any:
            return key, value, mask
        reference_rows = torch.tensor([start for start in halves for _ in range(n)], device=key.device)
        key = torch.cat([key, key[reference_rows]], dim=2)  # (batch, heads, 2 * tokens, head_dim)
        value = torch.cat([value, value[reference_rows]], dim=2)
        if mask is None:
            own = torch.zeros(batch, 1, 1, tokens, dtype=key.dtype, device=key.device)
            return key, value, torch.cat([own, extra], dim=-1)  # (batch, 1, 1, 2 * tokens)
        return key, value, torch.cat([mask, extra.expand(-1, mask.shape[1], mask.shape[2], -1)], dim=-1)


def _targets(name: str) -> bool:
    """Spatial self- and cross-attention layers; not AnimateDiff's temporal layers, not GLIGEN's fuser."""
    return "motion_modules" not in name and name.endswith(("attn1.processor", "attn2.processor"))


@contextmanager
def installed(unet) -> Iterator[AttentionController]:
    """Put layout processors on `unet` for the duration of the block; its own processors come back after."""
    original = unet.attn_processors
    controller = AttentionController()
    processors = {
        name: LayoutAttnProcessor(controller, cross=name.endswith("attn2.processor")) if _targets(name) else processor
        for name, processor in original.items()
    }
    unet.set_attn_processor(processors)
    try:
        yield controller
    finally:
        unet.set_attn_processor(original)


def regions_for(
    frames_boxes: Sequence[Mapping[str, Box]], spans: Sequence[Mapping[str, Sequence[int]]]
) -> list[list[Region]]:
    """Per image, a Region for every visible entity that has tokens in that image's prompt."""
    return [
        [Region(entity, tuple(spans[i][entity]), box) for entity, box in boxes.items() if spans[i].get(entity)]
        for i, boxes in enumerate(frames_boxes)
    ]
