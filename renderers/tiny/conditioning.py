"""What the tiny models are given, as tensors: rasterised layouts and box-warped references.

A *layout* here is a list of `Placed` entities in drawing order (larger boxes
first, as the world draws them). `rasterise` turns it into per-entity pixel
weights (anti-aliased box coverage, with later entities occluding earlier
ones) and box-local coordinates; the models mix each entity's features
(category embedding, colour) into a layout map with these weights, so the map
is differentiable in the features.

`warp_guess` is the infill model's first guess at a frame it must make:
each entity's pixels are taken from the known frame nearest in time (where the
entity is visible there) and resampled from its box there into its box here;
the background comes from the known frames where no box covers it. A
confidence channel says which pixels the guess could fill. It uses only the
known frames and the layouts, which is what an infill job is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

BoxTuple = tuple[float, float, float, float]
MAX_ENTITIES = 6  # per frame; more are dropped, smallest first (a storyboard rarely has more in one shot)


@dataclass(frozen=True)
class Placed:
    """One entity in one frame: who (a key shared across the frames of a job), where, and its look."""

    key: str
    box: BoxTuple
    noun: torch.Tensor  # (384,) the category's sentence embedding
    color: tuple[int, int, int]


def draw_order(placed: Sequence[Placed]) -> list[Placed]:
    """Larger boxes first, so smaller things are in front; at most MAX_ENTITIES."""
    ordered = sorted(placed, key=lambda p: -(p.box[2] - p.box[0]) * (p.box[3] - p.box[1]))
    return ordered[:MAX_ENTITIES]


def coverage(box: BoxTuple, size: int) -> torch.Tensor:
    """(size, size): the fraction of each pixel the box covers."""
    grid = torch.arange(size, dtype=torch.float32)
    x0, y0, x1, y1 = (v * size for v in box)
    cx = (torch.minimum(grid + 1, torch.tensor(x1)) - torch.maximum(grid, torch.tensor(x0))).clamp(0, 1)
    cy = (torch.minimum(grid + 1, torch.tensor(y1)) - torch.maximum(grid, torch.tensor(y0))).clamp(0, 1)
    return cy[:, None] * cx[None, :]


def box_coords(box: BoxTuple, size: int) -> torch.Tensor:
    """(2, size, size): each pixel centre's position inside the box (0-1, clamped), u then v."""
    centres = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    u = ((centres - box[0]) / max(box[2] - box[0], 1e-6)).clamp(0, 1)
    v = ((centres - box[1]) / max(box[3] - box[1], 1e-6)).clamp(0, 1)
    return torch.stack([u[None, :].expand(size, size), v[:, None].expand(size, size)])


@dataclass
class LayoutTensors:
    """A batch of rasterised layouts, padded to MAX_ENTITIES entities."""

    weights: torch.Tensor  # (batch, entities, H, W) visible coverage of each entity
    coords: torch.Tensor  # (batch, entities, 2, H, W) box-local u, v
    nouns: torch.Tensor  # (batch, entities, 384)
    colors: torch.Tensor  # (batch, entities, 3) in [-1, 1]


def rasterise(layouts: Sequence[Sequence[Placed]], size: int) -> LayoutTensors:
    batch = len(layouts)
    weights = torch.zeros(batch, MAX_ENTITIES, size, size)
    coords = torch.zeros(batch, MAX_ENTITIES, 2, size, size)
    nouns = torch.zeros(batch, MAX_ENTITIES, 384)
    colors = torch.zeros(batch, MAX_ENTITIES, 3)
    for b, layout in enumerate(layouts):
        ordered = draw_order(layout)
        covers = [coverage(p.box, size) for p in ordered]
        for i, p in enumerate(ordered):
            visible = covers[i].clone()
            for later in covers[i + 1 :]:
                visible *= 1 - later
            weights[b, i] = visible
            coords[b, i] = box_coords(p.box, size)
            nouns[b, i] = p.noun
            colors[b, i] = torch.tensor(p.color, dtype=torch.float32) / 127.5 - 1
    return LayoutTensors(weights, coords, nouns, colors)


def occupancy(layout: Sequence[Placed], size: int) -> torch.Tensor:
    """(size, size): how much of each pixel some entity covers (1 - the background's share)."""
    free = torch.ones(size, size)
    for p in layout:
        free *= 1 - coverage(p.box, size)
    return 1 - free


def _resample(frame: torch.Tensor, source: BoxTuple, target: BoxTuple, size: int) -> torch.Tensor:
    """(3, size, size): `frame` resampled so that its `source` box lands on the `target` box."""
    centres = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    u = (centres - target[0]) / max(target[2] - target[0], 1e-6)
    v = (centres - target[1]) / max(target[3] - target[1], 1e-6)
    sx = source[0] + u * (source[2] - source[0])
    sy = source[1] + v * (source[3] - source[1])
    grid = torch.stack([sx[None, :].expand(size, size), sy[:, None].expand(size, size)], dim=-1) * 2 - 1
    return F.grid_sample(frame[None], grid[None], mode="bilinear", padding_mode="border", align_corners=False)[0]


def warp_guess(
    known: Sequence[tuple[torch.Tensor, Sequence[Placed], float]],
    target: Sequence[Placed],
    t: float,
    size: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A first guess at the frame at time `t` from the known frames, and where it is trustworthy.

    `known`: (frame (3, H, W) in [-1, 1], its layout, its time) for each known frame.
    Returns (guess (3, H, W), confidence (1, H, W)); pixels nothing could fill are 0 in both.
    """
    guess = torch.zeros(3, size, size)
    weight = torch.zeros(1, size, size)
    # Background: from each known frame where no box covers it, nearer frames weighing more.
    for frame, layout, time in known:
        w = (1 - occupancy(layout, size))[None] / (abs(time - t) + 0.05)
        guess += w * frame
        weight += w
    filled = (weight > 1e-3).float()
    guess = guess / weight.clamp_min(1e-3) * filled
    confidence = filled * (weight / (weight + 1e-3))
    # Entities: from the nearest known frame that shows them, resampled into their box here.
    for p in draw_order(target):
        sources = [(abs(time - t), frame, q.box) for frame, layout, time in known for q in layout if q.key == p.key]
        cover = coverage(p.box, size)[None]
        if not sources:
            guess, confidence = guess * (1 - cover), confidence * (1 - cover)
            continue
        _, frame, source_box = min(sources, key=lambda item: item[0])
        pasted = _resample(frame, source_box, p.box, size)
        guess = guess * (1 - cover) + pasted * cover
        confidence = confidence * (1 - cover) + cover
    return guess, confidence
