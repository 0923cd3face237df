"""What keeps a cast member the same everywhere: a fixed phrase, a fixed seed, and where its tokens are.

- `entity_phrase(entity)`: the words that describe an identity, made only from its
  identity fields (description, attributes, category), so the same entity gets the
  same words in every scene and frame.
- `frame_prompt(scene, boxes)`: a frame's prompt with the visible entities' phrases
  first (so truncation at the text encoder's limit never drops them), then the shot's
  framing (`framing.py`) and the scene, and the
  character span of each phrase, from which `token_spans` finds its token indices
  for box-guided attention.
- `entity_seed(entity_id)` and `initial_latents(...)`: each entity's starting noise is
  drawn from its own seed and pasted where its box is, so an identity starts from
  the same noise in every keyframe of every scene and that noise moves with its box;
  the background noise comes from the request's seed and is shared by all keyframes
  of a request, so the setting stays put while the cast moves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from director.renderer import SceneContext
from director.storyboard import Box, Entity


def entity_phrase(entity: Entity) -> str:
    """'a small black cat'; from identity fields only, never from the scene."""
    if entity.description.strip():
        return entity.description.strip()
    words = [value for _, value in sorted(entity.attributes.items()) if value]
    return " ".join([*words, entity.category])


def entity_seed(entity_id: str, base_seed: int = 0) -> int:
    """A seed that depends on the entity's id (and a config-wide base) and nothing else."""
    return int.from_bytes(hashlib.sha256(f"{base_seed}:entity:{entity_id}".encode()).digest()[:4], "big")


@dataclass(frozen=True)
class FramePrompt:
    text: str
    spans: Mapping[str, tuple[int, int]]  # entity id -> (start, end) characters of its phrase in `text`


def frame_prompt(scene: SceneContext, entity_ids: Sequence[str], extra: str = "") -> FramePrompt:
    """The prompt for a frame showing `entity_ids`: their phrases, then the shot's framing ('close-up, low
    angle, the camera pans left', `renderers.diffusers.framing`), the scene, setting and style."""
    from renderers.diffusers.framing import framing_phrase

    text, spans = "", {}
    for entity_id in entity_ids:
        phrase = entity_phrase(scene.entity(entity_id))
        if text:
            text += ", "
        spans[entity_id] = (len(text), len(text) + len(phrase))
        text += phrase
    for part in (framing_phrase(scene.shot, scene), scene.prompt, scene.background, scene.style, extra):
        part = part.strip().rstrip(".")
        if part:
            text += (", " if text else "") + part
    return FramePrompt(text, spans)


def token_spans(tokenizer, prompt: FramePrompt, max_length: int | None = None) -> dict[str, list[int]]:
    """Entity id -> the indices of the tokens its phrase became, as the text encoder sees them (padded
    to `max_length`, by default the tokenizer's limit; phrases cut off by it keep what is left)."""
    encoded = tokenizer(
        prompt.text, padding="max_length", max_length=max_length or tokenizer.model_max_length, truncation=True,
        return_offsets_mapping=True,
    )
    spans: dict[str, list[int]] = {}
    for entity_id, (start, end) in prompt.spans.items():
        spans[entity_id] = [
            i for i, (a, b) in enumerate(encoded["offset_mapping"]) if b > a and a < end and b > start
        ]
    return spans


def box_cells(box: Box, height: int, width: int) -> tuple[slice, slice]:
    """The rows and columns of a `height` x `width` grid a box covers (at least one cell each way)."""
    y0 = min(int(box.y0 * height), height - 1)
    x0 = min(int(box.x0 * width), width - 1)
    y1 = max(y0 + 1, round(box.y1 * height))
    x1 = max(x0 + 1, round(box.x1 * width))
    return slice(y0, y1), slice(x0, x1)


def box_mask(box: Box, height: int, width: int) -> torch.Tensor:
    """(height, width) bool: True inside the box."""
    mask = torch.zeros(height, width, dtype=torch.bool)
    rows, cols = box_cells(box, height, width)
    mask[rows, cols] = True
    return mask


def initial_latents(
    frames_boxes: Sequence[Mapping[str, Box]],
    shape: tuple[int, int, int],
    seed: int,
    entity_noise: bool = True,
    entity_base_seed: int = 0,
) -> torch.Tensor:
    """(frames, channels, height, width) float32 standard-normal noise for a batch of frames.

    The background is one draw from `seed`, the same for every frame. With
    `entity_noise`, each visible entity's box is overwritten with its own noise (drawn
    once from `entity_seed`, anchored at the box's top-left corner), larger boxes first
    so smaller ones in front keep theirs. Pasting standard-normal noise into
    standard-normal noise keeps it standard normal."""
    channels, height, width = shape
    background = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    latents = background.unsqueeze(0).repeat(len(frames_boxes), 1, 1, 1)
    if not entity_noise:
        return latents
    patches: dict[str, torch.Tensor] = {}
    for f, boxes in enumerate(frames_boxes):
        for entity_id, box in sorted(boxes.items(), key=lambda item: -item[1].area):
            if entity_id not in patches:
                generator = torch.Generator().manual_seed(entity_seed(entity_id, entity_base_seed))
                patches[entity_id] = torch.randn(shape, generator=generator)
            rows, cols = box_cells(box, height, width)
            h, w = rows.stop - rows.start, cols.stop - cols.start
            latents[f, :, rows, cols] = patches[entity_id][:, :h, :w]
    return latents
