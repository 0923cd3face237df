"""The v3 conditioning at any frame size (16:9 and others): box coverage and the box-warped guess.

The same rules as v2's `renderers/tiny/conditioning.py`, which works on square
frames: a layout is a list of (key, box) in drawing order (larger boxes first),
and `warp_guess` is the infill model's first guess at a frame, each entity's
pixels taken from the known frame nearest in time that shows it and resampled
from its box there into its box here, the background from the known frames
where no box covers it, with a confidence channel saying where the guess could
fill. It uses only the known frames and the layouts: what an infill job is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

BoxTuple = tuple[float, float, float, float]
Layout = Sequence[tuple[str, BoxTuple]]  # (key, box), larger boxes first
Size = tuple[int, int]  # width, height


def coverage(box: BoxTuple, size: Size) -> torch.Tensor:
    """(height, width): the fraction of each pixel the box covers."""
    width, height = size
    xs, ys = torch.arange(width, dtype=torch.float32), torch.arange(height, dtype=torch.float32)
    x0, y0, x1, y1 = box[0] * width, box[1] * height, box[2] * width, box[3] * height
    cx = (torch.clamp(xs + 1, max=x1) - torch.clamp(xs, min=x0)).clamp(0, 1)
    cy = (torch.clamp(ys + 1, max=y1) - torch.clamp(ys, min=y0)).clamp(0, 1)
    return cy[:, None] * cx[None, :]


def occupancy(layout: Layout, size: Size) -> torch.Tensor:
    """(height, width): how much of each pixel some box covers."""
    free = torch.ones(size[1], size[0])
    for _, box in layout:
        free *= 1 - coverage(box, size)
    return 1 - free


def _resample(frame: torch.Tensor, source: BoxTuple, target: BoxTuple) -> torch.Tensor:
    """(3, H, W): `frame` resampled so that its `source` box lands on the `target` box."""
    _, height, width = frame.shape
    u = ((torch.arange(width, dtype=torch.float32) + 0.5) / width - target[0]) / max(target[2] - target[0], 1e-6)
    v = ((torch.arange(height, dtype=torch.float32) + 0.5) / height - target[1]) / max(target[3] - target[1], 1e-6)
    sx, sy = source[0] + u * (source[2] - source[0]), source[1] + v * (source[3] - source[1])
    grid = torch.stack([sx[None, :].expand(height, width), sy[:, None].expand(height, width)], dim=-1) * 2 - 1
    return F.grid_sample(frame[None], grid[None], mode="bilinear", padding_mode="border", align_corners=False)[0]


def source_time(known: Sequence[tuple[Layout, float]], key: str, t: float) -> float | None:
    """The time of the known frame `warp_guess` takes entity `key` from at time `t`: the nearest in time that
    shows it (the first listed of two as near), or None where none does. `known`: (layout, time) of each."""
    times = [time for layout, time in known if any(k == key for k, _ in layout)]
    return min(times, key=lambda time: abs(time - t)) if times else None


def warp_guess(known: Sequence[tuple[torch.Tensor, Layout, float]], target: Layout, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A first guess at the frame at time `t` from the known frames, and where it is trustworthy.

    `known`: (frame (3, H, W) in [-1, 1], its layout, its time) for each known frame.
    Returns (guess (3, H, W), confidence (1, H, W)); pixels nothing could fill are 0 in both."""
    if not known:
        raise ValueError("warp_guess needs at least one known frame")
    _, height, width = known[0][0].shape
    size = (width, height)
    guess, weight = torch.zeros(3, height, width), torch.zeros(1, height, width)
    for frame, layout, time in known:  # background: where no box covers it, nearer frames weighing more
        w = (1 - occupancy(layout, size))[None] / (abs(time - t) + 0.05)
        guess, weight = guess + w * frame, weight + w
    filled = (weight > 1e-3).float()
    guess = guess / weight.clamp_min(1e-3) * filled
    confidence = filled * (weight / (weight + 1e-3))
    layouts = [(layout, time) for _, layout, time in known]
    for key, box in target:  # entities: from the nearest known frame that shows them
        source = source_time(layouts, key, t)
        cover = coverage(box, size)[None]
        if source is None:
            guess, confidence = guess * (1 - cover), confidence * (1 - cover)
            continue
        frame, source_box = next((frame, b) for frame, layout, time in known if time == source for k, b in layout if k == key)
        guess = guess * (1 - cover) + _resample(frame, source_box, box) * cover
        confidence = confidence * (1 - cover) + cover
    return guess, confidence
