"""LVD's stage-1 rules: does a layout (six frames of boxes) do what the prompt says?

Rebuilt from `utils/eval/utils.py` (the predicates, `get_box`, `box_to_valid_frames`),
`utils/eval/lvd.py` (the left/right and quadrant tests) and `utils/parse.py`
(`parsed_layout_to_condition`, `interpolate_box`, `convert_box`) of
TonyLianLong/LLM-groundedVideoDiffusion at commit 22d90d2994ac3a938367383a11a5608f7fe73147.

What LVD does, and so what these rules do:

- A layout is six frames (`Frame 1` .. `Frame 6`); each object, known by its id, has a
  phrase (its name at its first appearance, digits and spaces stripped from both ends)
  and an ``[x, y, w, h]`` box in pixels of a 512x512 canvas, turned into
  ``(x_min, y_min, x_max, y_max)`` in 0-1. Frames where the object is missing are all
  zeros. The six frames are resampled to six with LVD's `interpolate_box` (frame k at
  k/5 of the clip, queried on ``linspace(0, 1 - 1e-5, 6)``), which moves the last frame
  a hair towards the fifth.
- An object is present in a frame when the third and fourth numbers of its box are not
  zero (LVD reads them as width and height; after conversion they are x_max and y_max).
- A rule finds an object by name as LVD's `get_box` does: the first phrase that contains
  ``name + " "`` or ends with ``name`` (so "car" matches "moving car" and "red car",
  never "cars" or "carrot").
- numeracy: the number of present boxes of *any* name in each frame; the most frequent
  count (the smallest on a tie) must equal the number asked for.
- attribution: "<colour> <class>" found for both objects, each present in at least half
  of the frames.
- visibility: frames 1-2 and 5-6 are the halves (the two middle frames are ignored);
  "appears only in the second half" is absent from the first and present somewhere in
  the second; "only in the first half" the other way round.
- dynamic spatial, one object: present in the first and last frames, and the centre of
  its box further right (or left) in the last than in the first; two objects: both
  present in the first and last frames, A left of B at the start and B left of A at the
  end (or mirrored).
- sequential: present in frames 1, 4 and 6, with the box centre in the named quadrant
  in each ("lower" is y > 0.5, "left" is x < 0.5, strictly).

Each rule returns None when the layout passes, else a sentence saying what it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

FRAMES = 6  # LVD's template asks for six frames; its stage-1 evaluation resamples them to six


@dataclass(frozen=True)
class Track:
    """One object of a layout, as LVD's evaluation sees it."""

    phrase: str
    boxes: np.ndarray  # (frames, 4): x_min, y_min, x_max, y_max in 0-1; zeros where absent

    @property
    def present(self) -> np.ndarray:
        """(frames,) bool: LVD's `box_to_valid_frames`, which tests columns 2 and 3."""
        return (self.boxes[:, 2] != 0) & (self.boxes[:, 3] != 0)


@dataclass(frozen=True)
class Video:
    """A layout as LVD's rules read it: the objects in order of first appearance."""

    tracks: tuple[Track, ...]
    frames: int = FRAMES

    def find(self, names: tuple[str, ...]) -> Track | None:
        """LVD's `get_box`: the first object whose phrase contains `name + ' '` or ends with `name`."""
        for track in self.tracks:
            if any(name + " " in track.phrase or track.phrase.endswith(name) for name in names):
                return track
        return None

    def describe(self) -> str:
        """Each object's phrase and the frames it is present in (1-based), for failure reports."""
        if not self.tracks:
            return "no objects"
        parts = []
        for track in self.tracks:
            frames = "".join(str(k + 1) if p else "." for k, p in enumerate(track.present))
            parts.append(f"{track.phrase!r} [{frames}]")
        return ", ".join(parts)


def resample(frames: dict[int, tuple[float, float, float, float]], frames_in: int = FRAMES, frames_out: int = FRAMES) -> np.ndarray:
    """LVD's `interpolate_box` with repeat 1: an object's boxes (frame index -> xyxy) as (frames_out, 4), zeros where absent."""
    known = np.array(sorted(frames))
    at = known / (frames_in - 1)  # input frame k sits at k / (frames_in - 1) of the clip
    queries = np.linspace(0, 1 - 1e-5, frames_out)  # LVD keeps the last query just below 1
    present = np.isin(np.floor((queries % 1.0) * frames_in), known)
    values = np.array([frames[k] for k in known], dtype=float)  # (known frames, 4)
    out = np.stack([np.interp(queries, at, values[:, i]) for i in range(4)], axis=1)  # (frames_out, 4)
    return out * present[:, None]


def _centre_x(box: np.ndarray) -> float:
    return float(box[0] + box[2]) / 2


def _centre_y(box: np.ndarray) -> float:
    return float(box[1] + box[3]) / 2


def _side_order(side: str, box: np.ndarray, other: np.ndarray) -> bool:
    """LVD's verify_fn for ('left', 'right'): `box` is left of `other` by centre; mirrored for 'right'."""
    if side == "left":
        return _centre_x(box) < _centre_x(other)
    if side == "right":
        return _centre_x(box) > _centre_x(other)
    raise ValueError(f"side must be 'left' or 'right', got {side!r}")


def in_quadrant(quadrant: str, box: np.ndarray) -> bool:
    """LVD's sequential verify_fns: 'lower' is a centre below 0.5, 'left' a centre left of 0.5, strictly."""
    vertical, horizontal = quadrant.split()
    if vertical not in ("lower", "upper") or horizontal not in ("left", "right"):
        raise ValueError(f"quadrant must be '<lower|upper> <left|right>', got {quadrant!r}")
    y, x = _centre_y(box), _centre_x(box)
    return (y > 0.5 if vertical == "lower" else y < 0.5) and (x < 0.5 if horizontal == "left" else x > 0.5)


def _where(box: np.ndarray) -> str:
    return f"centre ({_centre_x(box):.2f}, {_centre_y(box):.2f})"


class Rule(Protocol):
    def check(self, video: Video) -> str | None:
        """None when the layout passes; else what the rule saw."""


@dataclass(frozen=True)
class Count:
    """numeracy: `predicate_numeracy`."""

    noun: str
    count: int

    def check(self, video: Video) -> str | None:
        if not video.tracks:
            seen = 0
        else:
            per_frame = np.sum([track.present for track in video.tracks], axis=0)  # (frames,) boxes of any name
            seen = int(np.bincount(per_frame).argmax())
        if seen == self.count:
            return None
        return f"{seen} boxes in most frames, want {self.count} {self.noun}: {video.describe()}"


@dataclass(frozen=True)
class Attribution:
    """attribution: `predicate_attribution` (one of each, counts not checked, as in LVD)."""

    noun1: str
    colour1: str
    noun2: str
    colour2: str

    def check(self, video: Video) -> str | None:
        for colour, noun in ((self.colour1, self.noun1), (self.colour2, self.noun2)):
            track = video.find((f"{colour} {noun}",))
            if track is None:
                return f"no object named '{colour} {noun}': {video.describe()}"
            if track.present.mean() < 0.5:
                return f"'{colour} {noun}' present in fewer than half the frames: {video.describe()}"
        return None


@dataclass(frozen=True)
class Visibility:
    """visibility: `predicate_visibility`; `appears` is 'only in the second half', else 'only in the first half'."""

    noun: str
    appears: bool

    def check(self, video: Video) -> str | None:
        track = video.find((self.noun,))
        if track is None:
            return f"no {self.noun}: {video.describe()}"
        middle = video.frames // 2
        first, second = bool(track.present[: middle - 1].any()), bool(track.present[middle + 1 :].any())
        ok = (not first and second) if self.appears else (first and not second)
        if ok:
            return None
        half = "second" if self.appears else "first"
        return f"want {self.noun} only in the {half} half; present in first half {first}, in second half {second}: {video.describe()}"


@dataclass(frozen=True)
class MovesTo:
    """dynamic spatial, one object: `predicate_1obj_dynamic_spatial` ('moving from the left to the right')."""

    noun: str
    start: str
    end: str

    def check(self, video: Video) -> str | None:
        track = video.find((self.noun,))
        if track is None:
            return f"no {self.noun}: {video.describe()}"
        if not (track.present[0] and track.present[-1]):
            return f"{self.noun} not present in both the first and the last frame: {video.describe()}"
        first, last = track.boxes[0], track.boxes[-1]
        if _side_order(self.start, first, last):
            return None
        return f"{self.noun} from {_where(first)} to {_where(last)}, want {self.start} to {self.end}"


@dataclass(frozen=True)
class MovesPast:
    """dynamic spatial, two objects: `predicate_2obj_dynamic_spatial` ('from the left of a dog to its right')."""

    noun: str
    other: str
    start: str
    end: str

    def check(self, video: Video) -> str | None:
        mover, other = video.find((self.noun,)), video.find((self.other,))
        if mover is None or other is None:
            return f"no {self.noun if mover is None else self.other}: {video.describe()}"
        if not (mover.present[0] and mover.present[-1] and other.present[0] and other.present[-1]):
            return f"{self.noun} and {self.other} not both present in the first and last frames: {video.describe()}"
        before = _side_order(self.start, mover.boxes[0], other.boxes[0])
        after = _side_order(self.start, other.boxes[-1], mover.boxes[-1])
        if before and after:
            return None
        return (
            f"{self.noun} {_where(mover.boxes[0])} -> {_where(mover.boxes[-1])}, {self.other} "
            f"{_where(other.boxes[0])} -> {_where(other.boxes[-1])}; want the {self.noun} on the {self.start} "
            f"of it first ({before}) and on its {self.end} last ({after})"
        )


@dataclass(frozen=True)
class Visits:
    """sequential: `predicate_sequentialv2`: the named quadrant in the first, middle and last frame."""

    noun: str
    quadrants: tuple[str, str, str]

    def check(self, video: Video) -> str | None:
        track = video.find((self.noun,))
        if track is None:
            return f"no {self.noun}: {video.describe()}"
        frames = (0, video.frames // 2, video.frames - 1)
        if not all(track.present[k] for k in frames):
            return f"{self.noun} not present in frames 1, {frames[1] + 1} and {frames[2] + 1}: {video.describe()}"
        wrong = [
            f"frame {k + 1} {_where(track.boxes[k])} not {quadrant}"
            for k, quadrant in zip(frames, self.quadrants, strict=True)
            if not in_quadrant(quadrant, track.boxes[k])
        ]
        return None if not wrong else f"{self.noun}: " + "; ".join(wrong)
