"""Instant previews: one animatic frame of a scene being edited, as PNG bytes.

The page sends the scene as it stands (saved or not), the cast and the
storyboard's settings; the animatic renderer draws the frame nearest to time
`t` exactly as the movie will show it (`director.renderer.frame_spec`),
scaled down to at most `max_width` pixels so a preview stays cheap whatever
the movie's size. No cache, no files: a frame takes a few milliseconds.
The animatic comes through the registry, like every renderer `director` uses.
"""

from __future__ import annotations

import functools
import io
from dataclasses import replace
from typing import Any

from PIL import Image

from director import registry
from director.drawing import identity_color
from director.renderer import frame_spec, scene_context
from director.camera import View, shot_view
from director.storyboard import Entity, Scene, Shot, Storyboard, Transition


@functools.cache
def animatic(show_time: bool = True) -> Any:
    """The animatic renderer, made once (with its clock drawn, or without for a bare backdrop)."""
    return registry.create("renderer", "animatic", show_time=show_time)


def preview_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """The board's size scaled to at most `max_width` wide, keeping the aspect (even numbers)."""
    if width <= max_width:
        return width, height
    scaled_height = max(16, round(height * max_width / width / 2) * 2)
    return max_width - max_width % 2, scaled_height


def preview_board(scene: Scene, cast: list[Entity], *, fps: int, width: int, height: int, style: str) -> Storyboard:
    """A one-scene storyboard around `scene` (validated: an unknown entity id is an error here too)."""
    used = set(scene.entities) | {line.speaker for line in scene.dialogue if line.speaker}
    return Storyboard(
        title="preview",
        fps=fps,
        width=width,
        height=height,
        style=style,
        entities=[e for e in cast if e.id in used],
        scenes=[scene.model_copy(update={"transition": Transition()})],  # a lone scene has no next one to cross into
    )


def preview_frame(board: Storyboard, t: float, backdrop_only: bool = False) -> Image.Image:
    """The frame of the board's only scene nearest to `t` seconds (or only its painted setting)."""
    scene = board.scenes[0]
    index = min(max(0, round(t * board.fps)), scene.num_frames(board.fps) - 1)
    spec = frame_spec(board, scene, index)
    if backdrop_only:
        pixels = animatic(show_time=False).draw_frame(scene_context(board, scene), replace(spec, boxes={}, captions=()))
    else:
        pixels = animatic().draw_frame(scene_context(board, scene), spec)
    return Image.fromarray(pixels)


def preview_view(board: Storyboard, t: float) -> tuple[Shot, View]:
    """The shot of the frame `preview_frame` draws for `t`, and where its camera looks then (scene units)."""
    scene = board.scenes[0]
    index = min(max(0, round(t * board.fps)), scene.num_frames(board.fps) - 1)
    shot = scene.shot_at(index, board.fps)
    return shot, shot_view(scene, shot, index / board.fps)


def identity_colors(board: Storyboard) -> dict[str, str]:
    """Each cast member's colour as '#rrggbb', the one the animatic draws it in."""
    return {e.id: "#{:02x}{:02x}{:02x}".format(*identity_color(e)) for e in board.entities}


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast; previews are not kept
    return buffer.getvalue()
