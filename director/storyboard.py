"""The storyboard: the data model every part of director reads and writes.

A `Storyboard` is what a planner makes from a script and what a renderer turns
into frames. It holds the cast (identities that persist across scenes), the
scenes with their scene graphs (relations and actions with time spans), the
motions and visibility the writer asked for, and the *layout track*: a box for
every visible entity at each `LayoutFrame` (VideoDirectorGPT / LVD style,
coordinates normalised to 0-1, origin top-left).

Every model validates on load and says which field is wrong; nothing is
silently clamped. Storyboards round-trip through JSON exactly and carry
`schema_version`. `Storyboard.model_json_schema()` is the contract an LLM
planner is constrained to.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import unicodedata
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from director.atomic import write_text_atomically
from director.errors import InputError, format_validation_error

SCHEMA_VERSION = "1.1"
"""1.1 added `Scene.shots`. A 1.0 file is read as 1.1 with no shots listed, which means what 1.0 meant:
the scene is one locked-off wide shot (`Scene.cut`)."""
READABLE_VERSIONS = ("1.0", SCHEMA_VERSION)

IDENTIFIER_LENGTH = 64
MAX_SCENES = 100_000
"""The most scenes one storyboard may have (27 hours of one-second scenes). A render holds its whole job
graph in memory (every job's key is known before any renders, so progress is exact and edits re-render
only what changed); this bound keeps that within a few GB. Longer works: one storyboard per part."""

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=IDENTIFIER_LENGTH),
    Field(description="A stable id: lower-case letters, digits and '_', starting with a letter."),
]
Width = Annotated[int, Field(ge=16, le=7680, multiple_of=2, description="Movie width in pixels (even, for H.264).")]
Height = Annotated[int, Field(ge=16, le=4320, multiple_of=2, description="Movie height in pixels (even).")]
Seconds = Annotated[float, Field(ge=0.0, description="Seconds from the start of the scene.")]
Region = Literal[
    "left",
    "right",
    "top",
    "bottom",
    "center",
    "upper_left",
    "upper_right",
    "lower_left",
    "lower_right",
]
"""Named places in the frame, used by motions (and by the layout benchmark)."""


class StrictModel(BaseModel):
    """Base for everything that crosses a boundary: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


def make_identifier(text: str, taken: Collection[str] = (), fallback: str = "thing") -> str:
    """A valid `Identifier` made from a name in a script ('Mira', 'the RED BALL', 'Zoë'): its letters and
    digits in lower-case ASCII joined by '_', 'e_' before a leading digit, `fallback` when nothing is left,
    clipped to 64 characters, and '_2', '_3' ... added until it is not in `taken`. Planners and importers
    make every id from user text with this, so no script, however long its words, makes an invalid id."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or fallback
    if not base[0].isalpha():
        base = f"e_{base}"
    candidate, k = base[:IDENTIFIER_LENGTH].rstrip("_"), 2
    while candidate in taken:
        suffix = f"_{k}"
        candidate, k = base[: IDENTIFIER_LENGTH - len(suffix)].rstrip("_") + suffix, k + 1
    return candidate


class FrameSize(StrictModel):
    """A frame size given on its own (`--size WxH`), checked by the same rules as a storyboard's."""

    width: Width
    height: Height


class Box(StrictModel):
    """An axis-aligned box in normalised frame coordinates (0-1, origin top-left)."""

    x0: Annotated[float, Field(ge=0.0, le=1.0, description="Left edge.")]
    y0: Annotated[float, Field(ge=0.0, le=1.0, description="Top edge.")]
    x1: Annotated[float, Field(ge=0.0, le=1.0, description="Right edge; greater than x0.")]
    y1: Annotated[float, Field(ge=0.0, le=1.0, description="Bottom edge; greater than y0.")]

    @model_validator(mode="after")
    def _check_order(self) -> Box:
        if not self.x0 < self.x1:
            raise ValueError(f"`x0` must be less than `x1`, but they are {self.x0} and {self.x1}")
        if not self.y0 < self.y1:
            raise ValueError(f"`y0` must be less than `y1`, but they are {self.y0} and {self.y1}")
        return self

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    @property
    def area(self) -> float:
        return self.width * self.height

    def iou(self, other: Box) -> float:
        """Intersection over union with `other` (0 when they do not touch)."""
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        return inter / (self.area + other.area - inter)

    def lerp(self, other: Box, a: float) -> Box:
        """The box a fraction `a` of the way from this one to `other`."""
        return Box(
            x0=self.x0 + (other.x0 - self.x0) * a,
            y0=self.y0 + (other.y0 - self.y0) * a,
            x1=self.x1 + (other.x1 - self.x1) * a,
            y1=self.y1 + (other.y1 - self.y1) * a,
        )


class Entity(StrictModel):
    """One identity of the cast. The same id means the same look in every scene."""

    id: Identifier
    name: Annotated[str, Field(min_length=1, description="How the script calls it: 'Mira', 'the red ball'.")]
    category: Annotated[
        str,
        Field(min_length=1, description="What it is, one lower-case noun: person, cat, car, tree ..."),
    ]
    description: Annotated[str, Field(description="Its look, for renderers: 'a small black cat'.")] = ""
    attributes: Annotated[
        dict[str, str],
        Field(description="Visual attributes that must persist: {'color': 'red', 'size': 'large'}."),
    ] = {}


class Relation(StrictModel):
    """An edge of the scene graph: a spatial relation or an action, optionally timed.

    Spatial predicates the layout solver enforces: left_of, right_of, above,
    below, on, under, beside, near, in_front_of, behind. Any other predicate
    (chases, holds, looks_at ...) is an action: it is kept in the scene graph
    and passed to renderers, and does not move boxes.
    """

    subject: Identifier
    predicate: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$"), Field(description="snake_case verb or preposition.")]
    object: Annotated[Identifier | None, Field(description="The other entity; none for intransitive actions.")] = None
    start: Annotated[Seconds | None, Field(description="When it begins; none means the start of the scene.")] = None
    end: Annotated[Seconds | None, Field(description="When it ends; none means the end of the scene.")] = None

    @model_validator(mode="after")
    def _check_span(self) -> Relation:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"`end` ({self.end}) is before `start` ({self.start})")
        if self.object is not None and self.object == self.subject:
            raise ValueError(f"`subject` and `object` are both '{self.subject}'")
        return self


class Motion(StrictModel):
    """A move the writer asked for: 'runs from the left to the right',
    'enters from the upper right', 'first flies to the top left, then to the bottom right'."""

    entity: Identifier
    origin: Annotated[
        Region | None, Field(description="Where the move starts; none: where the entity rests.")
    ] = None
    path: Annotated[
        list[Region],
        Field(description="Places visited in order after the origin; empty: it ends where it rests."),
    ] = []
    start: Annotated[Seconds | None, Field(description="When the move begins; none: scene start.")] = None
    end: Annotated[Seconds | None, Field(description="When the move ends; none: scene end.")] = None
    enters: Annotated[bool, Field(description="Hidden before `start`; comes in at the frame edge of the origin.")] = False
    exits: Annotated[bool, Field(description="Hidden after `end`; leaves at the frame edge of the last place.")] = False

    @model_validator(mode="after")
    def _check(self) -> Motion:
        if self.origin is None and not self.path and not self.enters and not self.exits:
            raise ValueError("a motion needs an `origin`, a `path`, `enters` or `exits`")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"`end` ({self.end}) must be after `start` ({self.start})")
        return self


class Visibility(StrictModel):
    """The entity is visible only between `start` and `end` ('appears only in the second half')."""

    entity: Identifier
    start: Seconds
    end: Seconds

    @model_validator(mode="after")
    def _check_span(self) -> Visibility:
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end}) must be after `start` ({self.start})")
        return self


class LayoutFrame(StrictModel):
    """The boxes of the visible entities at time `t`.

    Between two layout frames an entity present in both moves linearly from
    one box to the other; an entity present in only one of them is visible
    only at that frame's instant (so it appears and disappears at layout
    frames). An entity absent from a frame is not visible then.
    """

    t: Seconds
    boxes: Annotated[dict[Identifier, Box], Field(description="Entity id -> its box at time t.")] = {}


class DialogueLine(StrictModel):
    """A line spoken in the scene; becomes a subtitle and a caption."""

    speaker: Annotated[Identifier | None, Field(description="The cast member who speaks; none for a narrator.")] = None
    text: Annotated[str, Field(min_length=1)]
    start: Seconds
    end: Seconds

    @model_validator(mode="after")
    def _check_span(self) -> DialogueLine:
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end}) must be after `start` ({self.start})")
        return self


class Transition(StrictModel):
    """How a scene hands over to the next one."""

    kind: Literal["cut", "crossfade", "fade_to_black"] = "cut"
    duration: Annotated[float, Field(ge=0.0, description="Seconds; 0 for a cut.")] = 0.0

    @model_validator(mode="after")
    def _check(self) -> Transition:
        if self.kind == "cut" and self.duration != 0:
            raise ValueError(f"a cut has no `duration`, but it is {self.duration}")
        if self.kind != "cut" and self.duration <= 0:
            raise ValueError(f"a {self.kind} needs a `duration` above 0")
        return self



ShotSize = Literal["extreme_wide", "wide", "full", "medium", "close_up", "extreme_close_up", "insert"]
"""How much of the scene a shot shows, widest first. `wide` shows the whole layout as it is (scene
coordinates are frame coordinates); the others frame the shot's subjects (see `director.camera`)."""
ShotAngle = Literal["eye_level", "high", "low", "overhead", "pov"]
"""Where the camera looks from. `pov` is through the eyes of `Shot.pov`, who is then not in the frame."""
MoveKind = Literal["static", "pan", "tilt", "zoom", "dolly", "truck", "follow"]
Direction = Literal["left", "right", "up", "down", "in", "out"]

MOVE_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "pan": ("left", "right"),
    "truck": ("left", "right"),
    "tilt": ("up", "down"),
    "zoom": ("in", "out"),
    "dolly": ("in", "out"),
}
"""The directions each directed move takes; `static` and `follow` take none."""
DEFAULT_MOVE_AMOUNT = 0.5
"""A move's `amount` when none is given: half the view's width (pan, truck) or height (tilt), or 1.5x
closer or farther (zoom, dolly) over the shot."""


class CameraMove(StrictModel):
    """What the camera does during a shot: 'PAN LEFT', 'PUSH IN', 'we FOLLOW Nora'.

    On the layout's flat plane a pan and a truck both slide the view sideways, and a zoom and a dolly both
    scale it; they differ in what a renderer is told (its prompt), not in where the boxes go."""

    kind: MoveKind = "static"
    direction: Annotated[Direction | None, Field(description="pan/truck: left or right; tilt: up or down; zoom/dolly: in or out.")] = None
    amount: Annotated[
        float | None,
        Field(
            gt=0.0,
            le=4.0,
            description=f"pan/truck/tilt: how far the view travels, in view widths; zoom/dolly: how much closer "
            f"(in) or farther (out) it ends, 0.5 = 1.5x. None: {DEFAULT_MOVE_AMOUNT}.",
        ),
    ] = None
    target: Annotated[Identifier | None, Field(description="follow: the entity the camera keeps framed.")] = None

    @model_validator(mode="after")
    def _check(self) -> CameraMove:
        directions = MOVE_DIRECTIONS.get(self.kind, ())
        if directions and self.direction not in directions:
            raise ValueError(f"a {self.kind} needs a `direction` of {' or '.join(directions)}, but it is {self.direction!r}")
        if not directions and self.direction is not None:
            raise ValueError(f"a {self.kind} camera has no `direction`, but it is {self.direction!r}")
        if not directions and self.amount is not None:
            raise ValueError(f"a {self.kind} camera has no `amount`, but it is {self.amount}")
        if (self.kind == "follow") != (self.target is not None):
            raise ValueError("a follow needs a `target` (the entity it keeps framed), and only a follow has one")
        return self

    @property
    def extent(self) -> float:
        """`amount`, or its default."""
        return DEFAULT_MOVE_AMOUNT if self.amount is None else self.amount


class Shot(StrictModel):
    """A stretch of a scene seen one way: from `start` to `end`, at a size and angle, with a camera move,
    framing `subjects`. Cuts between shots are hard cuts."""

    id: Identifier
    start: Seconds
    end: Annotated[float, Field(gt=0.0, description="Seconds from the start of the scene; after `start`.")]
    size: ShotSize = "wide"
    angle: ShotAngle = "eye_level"
    pov: Annotated[Identifier | None, Field(description="Whose eyes a `pov` shot looks through (a cast member).")] = None
    move: CameraMove = CameraMove()
    subjects: Annotated[
        list[Identifier], Field(description="The entities it frames; empty: it frames the scene's middle.")
    ] = []
    description: Annotated[str, Field(description="The shot as the script says it: 'CLOSE ON the key'.")] = ""

    @model_validator(mode="after")
    def _check(self) -> Shot:
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end}) must be after `start` ({self.start})")
        if (self.angle == "pov") != (self.pov is not None):
            raise ValueError(f"a pov shot names whose eyes it looks through in `pov`, and only a pov shot does (angle {self.angle!r}, pov {self.pov!r})")
        if len(set(self.subjects)) != len(self.subjects):
            raise ValueError(f"`subjects` lists an id twice: {self.subjects}")
        return self

    @property
    def duration(self) -> float:
        return self.end - self.start


SHOT_COVER_TOLERANCE = 1e-6
"""Seconds by which adjacent shots may miss each other (float arithmetic); anything more is a gap or an overlap."""


class Scene(StrictModel):
    """One scene: who is in it, what holds between them, and where they are when."""

    id: Identifier
    heading: Annotated[str, Field(description="'EXT. PARK - DAY' or a short title.")] = ""
    description: Annotated[str, Field(description="What happens, in prose; the scene's prompt.")] = ""
    background: Annotated[str, Field(description="The setting: 'a park at night', 'a kitchen'.")] = ""
    duration: Annotated[float, Field(gt=0.0, le=3600.0, description="Seconds.")]
    entities: Annotated[list[Identifier], Field(description="Ids of the cast members present.")] = []
    relations: list[Relation] = []
    motions: list[Motion] = []
    visibility: list[Visibility] = []
    layouts: Annotated[list[LayoutFrame], Field(description="The layout track, in increasing `t`.")] = []
    dialogue: list[DialogueLine] = []
    shots: Annotated[
        list[Shot],
        Field(description="The shots, in order, covering the scene from 0 to `duration`; empty: one wide static shot."),
    ] = []
    transition: Annotated[Transition, Field(description="How this scene hands over to the next.")] = Transition()

    @model_validator(mode="after")
    def _check_references(self) -> Scene:
        present = set(self.entities)
        if len(present) != len(self.entities):
            raise ValueError(f"`entities` lists an id twice: {self.entities}")

        def check_id(field: str, entity_id: str | None) -> None:
            if entity_id is not None and entity_id not in present:
                raise ValueError(f"{field} names '{entity_id}', which is not in this scene's `entities` {sorted(present)}")

        def check_time(field: str, t: float | None) -> None:
            if t is not None and t > self.duration:
                raise ValueError(f"{field} is {t} s, outside the scene, which lasts {self.duration} s")

        for i, r in enumerate(self.relations):
            check_id(f"relations[{i}].subject", r.subject)
            check_id(f"relations[{i}].object", r.object)
            check_time(f"relations[{i}].start", r.start)
            check_time(f"relations[{i}].end", r.end)
        for i, m in enumerate(self.motions):
            check_id(f"motions[{i}].entity", m.entity)
            check_time(f"motions[{i}].start", m.start)
            check_time(f"motions[{i}].end", m.end)
        for i, v in enumerate(self.visibility):
            check_id(f"visibility[{i}].entity", v.entity)
            check_time(f"visibility[{i}].end", v.end)
        previous_t = -1.0
        for i, frame in enumerate(self.layouts):
            check_time(f"layouts[{i}].t", frame.t)
            if frame.t <= previous_t:
                raise ValueError(f"layouts[{i}].t is {frame.t}, not after the previous layout frame's {previous_t}")
            previous_t = frame.t
            for entity_id in frame.boxes:
                check_id(f"layouts[{i}].boxes", entity_id)
        for i, line in enumerate(self.dialogue):
            check_time(f"dialogue[{i}].end", line.end)
        self._check_shots(check_id)
        return self

    def _check_shots(self, check_id: Callable[[str, str | None], None]) -> None:
        """Shots cover the scene in order, without gaps or overlaps, and frame only who is present."""
        ids = [shot.id for shot in self.shots]
        if len(set(ids)) != len(ids):
            raise ValueError(f"`shots` has the id {sorted({i for i in ids if ids.count(i) > 1})[0]!r} more than once")
        reached = 0.0
        for i, shot in enumerate(self.shots):
            if abs(shot.start - reached) > SHOT_COVER_TOLERANCE:
                what = "a gap" if shot.start > reached else "an overlap"
                raise ValueError(f"shots[{i}].start is {shot.start} s, but the shots before it end at {reached} s: {what}; shots must cover the scene in order")
            reached = shot.end
            for subject in shot.subjects:
                check_id(f"shots[{i}].subjects", subject)
            check_id(f"shots[{i}].move.target", shot.move.target)
        if self.shots and abs(reached - self.duration) > SHOT_COVER_TOLERANCE:
            raise ValueError(f"the shots end at {reached} s, but the scene lasts {self.duration} s; the last shot must end with the scene")

    @property
    def cut(self) -> list[Shot]:
        """The shots the scene is cut into: `shots`, or, when none are listed, one wide static shot of it all."""
        return self.shots or [Shot(id="shot_1", start=0.0, end=self.duration)]

    def shot_frames(self, fps: int) -> list[tuple[Shot, range]]:
        """Each shot with the frame indices it shows at `fps`: a frame belongs to the shot its time falls in
        (frame i is at i/fps), the first shot starts at frame 0 and the last ends at `num_frames`."""
        shots, n = self.cut, self.num_frames(fps)
        starts = [0] + [min(n, round(shot.start * fps)) for shot in shots[1:]] + [n]
        return [(shot, range(a, b)) for shot, a, b in zip(shots, starts, starts[1:], strict=False)]

    def shot_at(self, index: int, fps: int) -> Shot:
        """The shot that shows frame `index`."""
        for shot, frames in self.shot_frames(fps):
            if index < frames.stop:
                return shot
        raise IndexError(f"frame {index} is past the end of scene {self.id!r} ({self.num_frames(fps)} frames)")

    def num_frames(self, fps: int) -> int:
        """Frames this scene takes at `fps` (at least 2, so it has two ends)."""
        return max(2, round(self.duration * fps))

    def layout_at(self, t: float) -> dict[str, Box]:
        """The boxes at time `t`, interpolated along the layout track (see `LayoutFrame`)."""
        if not self.layouts:
            return {}
        times = [f.t for f in self.layouts]
        if t <= times[0]:
            return dict(self.layouts[0].boxes)
        if t >= times[-1]:
            return dict(self.layouts[-1].boxes)
        i = bisect.bisect_right(times, t) - 1
        before, after = self.layouts[i], self.layouts[i + 1]
        if t == before.t:
            return dict(before.boxes)
        a = (t - before.t) / (after.t - before.t)
        return {
            entity_id: box.lerp(after.boxes[entity_id], a)
            for entity_id, box in before.boxes.items()
            if entity_id in after.boxes
        }

    def dialogue_at(self, t: float) -> list[DialogueLine]:
        """The lines being spoken at time `t`."""
        return [line for line in self.dialogue if line.start <= t < line.end]


class Provenance(StrictModel):
    """Who made this storyboard, so a plan can be reproduced."""

    planner: str = "manual"
    model: str | None = None
    prompt_version: str | None = None
    seed: int = 0


class Storyboard(StrictModel):
    """A whole film: the cast, the scenes and how to render them."""

    schema_version: Literal["1.1"] = SCHEMA_VERSION
    title: str = "Untitled"
    fps: Annotated[int, Field(ge=1, le=120, description="Frames per second of the movie.")] = 12
    width: Width = 512
    height: Height = 288
    style: Annotated[str, Field(description="A visual style for every scene: 'storybook watercolour'.")] = ""
    entities: Annotated[list[Entity], Field(description="The cast: every identity that appears anywhere.")] = []
    scenes: Annotated[list[Scene], Field(min_length=1, max_length=MAX_SCENES, description="The scenes, in order.")]
    provenance: Provenance = Provenance()

    @model_validator(mode="before")
    @classmethod
    def _upgrade_and_check_length(cls, data: object) -> object:
        """Read a 1.0 board as 1.1 (it has no shots: each scene is one wide shot, as 1.0 drew it), and refuse
        a board of too many scenes before validating any of them (which would cost memory and time)."""
        if isinstance(data, dict) and data.get("schema_version") == "1.0":
            data = {**data, "schema_version": SCHEMA_VERSION}
        scenes = data.get("scenes") if isinstance(data, dict) else None
        if isinstance(scenes, list) and len(scenes) > MAX_SCENES:
            raise ValueError(f"`scenes` has {len(scenes)} scenes; a storyboard may have at most {MAX_SCENES} (split the work into parts)")
        return data

    @model_validator(mode="after")
    def _check_references(self) -> Storyboard:
        cast = {e.id for e in self.entities}
        if len(cast) != len(self.entities):
            ids = [e.id for e in self.entities]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"`entities` has the id {twice[0]!r} more than once")
        scene_ids = [s.id for s in self.scenes]
        if len(set(scene_ids)) != len(scene_ids):
            twice = sorted({i for i in scene_ids if scene_ids.count(i) > 1})
            raise ValueError(f"`scenes` has the id {twice[0]!r} more than once")
        for i, scene in enumerate(self.scenes):
            for entity_id in scene.entities:
                if entity_id not in cast:
                    raise ValueError(f"scenes[{i}].entities names '{entity_id}', which is not in the cast (`entities`)")
            for j, line in enumerate(scene.dialogue):
                if line.speaker is not None and line.speaker not in cast:
                    raise ValueError(f"scenes[{i}].dialogue[{j}].speaker is '{line.speaker}', which is not in the cast")
            for j, shot in enumerate(scene.shots):
                if shot.pov is not None and shot.pov not in cast:
                    raise ValueError(f"scenes[{i}].shots[{j}].pov is '{shot.pov}', which is not in the cast")
                frames = round(shot.end * self.fps) - round(shot.start * self.fps)
                if frames < 1:
                    raise ValueError(
                        f"scenes[{i}].shots[{j}] lasts {shot.duration:.3g} s, less than one frame at {self.fps} fps"
                    )
            transition = scene.transition
            if transition.kind == "crossfade":
                if i == len(self.scenes) - 1:
                    raise ValueError(f"scenes[{i}].transition is a crossfade, but it is the last scene (use fade_to_black or cut)")
                shortest = min(scene.duration, self.scenes[i + 1].duration)
                if transition.duration >= shortest:
                    raise ValueError(
                        f"scenes[{i}].transition.duration is {transition.duration} s, but a crossfade must be "
                        f"shorter than both scenes it joins ({shortest} s)"
                    )
            elif transition.kind == "fade_to_black" and transition.duration > scene.duration:
                raise ValueError(f"scenes[{i}].transition.duration is longer than the scene ({scene.duration} s)")
        return self

    def entity(self, entity_id: str) -> Entity:
        for e in self.entities:
            if e.id == entity_id:
                return e
        raise KeyError(f"no entity {entity_id!r} in the cast")

    def scene(self, scene_id: str) -> Scene:
        for s in self.scenes:
            if s.id == scene_id:
                return s
        raise KeyError(f"no scene {scene_id!r}")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the storyboard as JSON, atomically (a crash never leaves half a file)."""
        path = Path(path)
        write_text_atomically(path, self.to_json())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Storyboard:
        """Read and validate a storyboard file; bad files raise `InputError` naming the problem."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: is not UTF-8 text ({e.reason} at byte {e.start}), so it is not a storyboard") from None
        except OSError as e:
            raise InputError(f"{path}: cannot be read ({e.strerror})") from None
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_json(cls, text: str, source: str = "<storyboard>") -> Storyboard:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{source}: is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        except RecursionError:
            raise InputError(f"{source}: is nested too deeply to be a storyboard") from None
        except ValueError as e:  # e.g. an integer of more digits than Python converts
            raise InputError(f"{source}: is not valid JSON ({e})") from None
        if isinstance(data, dict) and data.get("schema_version") not in (None, *READABLE_VERSIONS):
            raise InputError(
                f"{source}: has schema_version {data.get('schema_version')!r}; this director reads "
                f"{' and '.join(map(repr, READABLE_VERSIONS))} (1.0 is upgraded on load)"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise InputError(f"{source}: is not a valid storyboard: {format_validation_error(e)}") from None
        except RecursionError:
            raise InputError(f"{source}: is nested too deeply to be a storyboard") from None

    def revalidated(self) -> Storyboard:
        """Check a storyboard edited in Python (assignments are not validated as they happen)."""
        try:
            return Storyboard.model_validate(self.model_dump())
        except ValidationError as e:
            raise InputError(f"the storyboard is not valid: {format_validation_error(e)}") from None
