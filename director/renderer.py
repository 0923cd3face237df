"""The renderer protocol: what a renderer is given and what it must return.

A renderer has two calls, both on batches of independent jobs:

- `keyframes(requests)`: the global model. Each `KeyframeRequest` holds a
  scene's keyframe specs (time, boxes, captions); the renderer makes them
  together, so they agree with each other.
- `infill(jobs)`: the local model (masked temporal diffusion). Each `InfillJob`
  is one window of the timeline: frames already made at some positions (the
  window's ends), specs for every position; the renderer makes the rest.

`scene_context(board, scene, shot)` and `frame_spec(board, scene, index)` read
what a shot of a scene shares and what one frame must show from a storyboard.
Boxes reach a renderer in *frame* coordinates: the scene's layout seen through
the camera of the shot the frame belongs to (`director.camera`). Frames are numpy
arrays of uint8, `(frames, height, width, 3)` RGB, at the size the scene context
asks for. Everything a renderer is given is plain data, so jobs can be cached by
content and shipped to other processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from director.camera import framed_layout
from director.storyboard import Box, Entity, Relation, Scene, Shot, Storyboard


@dataclass(frozen=True)
class Caption:
    """A line being spoken at a frame's time."""

    speaker: str | None  # the speaker's id, or None for a narrator
    speaker_name: str | None
    text: str


@dataclass(frozen=True)
class FrameSpec:
    """What one frame must show."""

    index: int  # frame index within the scene
    t: float  # seconds from the start of the scene
    boxes: Mapping[str, Box]  # entity id -> its box in frame coordinates; absent means not visible
    captions: tuple[Caption, ...] = ()
    shot: str = "shot_1"  # the id of the shot the frame belongs to
    # entity id -> its whole box (x0, y0, x1, y1) in frame coordinates where the frame crops it, reaching
    # outside 0-1 (a medium shot's person, legs below the frame); entities shown whole are not in it
    cropped: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class SceneContext:
    """What every job of one scene shares: its text, cast and output size; and, for the jobs of one shot,
    that shot (its size, angle and move, for renderers that prompt or draw the framing)."""

    scene_id: str
    heading: str
    prompt: str  # the scene description
    background: str
    style: str
    entities: tuple[Entity, ...]  # the cast members present, with their identity (look) fields
    relations: tuple[Relation, ...]  # the scene graph, for renderers that use it
    width: int
    height: int
    shot: Shot | None = None  # None: not one shot's jobs (a whole-scene preview)
    # The storyboard's whole cast, for renderers that choose each look across it ("cast" in their
    # `RendererInfo.supports`: then every job's cache key holds the cast too); () when not given.
    cast: tuple[Entity, ...] = ()

    def entity(self, entity_id: str) -> Entity:
        for e in self.entities:
            if e.id == entity_id:
                return e
        raise KeyError(entity_id)


def scene_context(board: Storyboard, scene: Scene, shot: Shot | None = None) -> SceneContext:
    """What every job of `scene` (of its `shot`, if given) shares, read from the board."""
    return SceneContext(
        scene_id=scene.id,
        heading=scene.heading,
        prompt=scene.description,
        background=scene.background,
        style=board.style,
        entities=tuple(board.entity(entity_id) for entity_id in scene.entities),
        relations=tuple(scene.relations),
        width=board.width,
        height=board.height,
        shot=shot,
        cast=tuple(board.entities),
    )


def frame_spec(board: Storyboard, scene: Scene, index: int, shot: Shot | None = None) -> FrameSpec:
    """What frame `index` of `scene` must show: its time, the boxes its shot's camera sees then, and the
    lines spoken then. `shot` is the shot that shows the frame, when the caller knows it (a render's jobs
    do); otherwise it is looked up."""
    t = index / board.fps
    shot = shot or scene.shot_at(index, board.fps)
    names = {e.id: e.name for e in board.entities}
    captions = tuple(
        Caption(line.speaker, names.get(line.speaker) if line.speaker else None, line.text) for line in scene.dialogue_at(t)
    )
    boxes, cropped = (dict(sorted(part.items())) for part in framed_layout(scene, shot, t))
    return FrameSpec(index=index, t=t, boxes=boxes, captions=captions, shot=shot.id, cropped=cropped)


@dataclass(frozen=True)
class KeyframeRequest:
    scene: SceneContext
    frames: tuple[FrameSpec, ...]
    seed: int


@dataclass(frozen=True)
class InfillJob:
    scene: SceneContext
    frames: tuple[FrameSpec, ...]  # every position of the window, in order
    known: Mapping[int, np.ndarray] = field(default_factory=dict)  # frame index -> (height, width, 3) uint8
    seed: int = 0

    @property
    def targets(self) -> tuple[FrameSpec, ...]:
        """The frames to make, in order."""
        return tuple(f for f in self.frames if f.index not in self.known)


@dataclass(frozen=True)
class RendererInfo:
    name: str
    description: str
    window: int = 16  # L: frames per keyframe request and per infill window (NUWA-XL's L)
    max_batch: int = 8  # jobs per call
    supports: frozenset[str] = frozenset()  # "layout", "identity", "captions", "infill", "cast" (looks chosen across the whole cast)
    gpus: float = 0.0  # GPUs one instance needs (0: runs on a CPU); the ray executor reserves this many per worker


@runtime_checkable
class Renderer(Protocol):
    info: RendererInfo

    @property
    def fingerprint(self) -> str:
        """Everything about this renderer that changes its pixels (name, version, weights hash, options).
        It is part of every cache key."""
        ...

    def keyframes(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        """One array per request: (len(request.frames), height, width, 3) uint8."""
        ...

    def infill(self, jobs: Sequence[InfillJob]) -> list[np.ndarray]:
        """One array per job: (len(job.targets), height, width, 3) uint8."""
        ...


def check_frames(frames: np.ndarray, count: int, width: int, height: int, who: str) -> np.ndarray:
    """Raise a clear error when a renderer returns the wrong shape or type."""
    expected = (count, height, width, 3)
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.shape != expected:
        got = f"{type(frames).__name__} {getattr(frames, 'dtype', '')} {getattr(frames, 'shape', '')}"
        raise RuntimeError(f"renderer {who!r} returned {got}; expected uint8 frames of shape {expected}")
    return frames
