"""NUWA-XL's "diffusion over diffusion" schedule, as plain data.

For a scene of N frames and a renderer window of L frames:

- level 0 makes up to L *keyframes* spread over the whole scene (the global model);
- each further level fills the gap between every pair of adjacent frames made so
  far, with up to L-2 new frames per gap: a window of at most L frames whose two
  ends are known (the local model, masked temporal diffusion).

Depth m (the number of levels) makes at most (L-1)^m + 1 frames: L=16, m=3 gives
3376. When N is exactly (L-1)^m + 1 every window is full and evenly spaced; for
any other N the frames are spread as evenly as integers allow, windows near the
end of the schedule are shorter, and `TimelinePlan.explanation` says so.

Every frame is made exactly once, and the windows of one level share no frame
they make and depend only on earlier levels: a level's jobs can all run at
once, which is where batching and distribution come from.

The `autoregressive` schedule is the baseline NUWA-XL compares against (and
what a renderer that can only extend forward needs): the first window makes
frames 0..L-1, and every later window is conditioned on the last `context`
frames of the one before and makes the next L-context. Each window waits for
the previous one, so its plan has one window per level and as many levels as
windows: nothing in a scene can run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Schedule = Literal["hierarchical", "autoregressive"]
SCHEDULES: tuple[Schedule, ...] = ("hierarchical", "autoregressive")

AUTOREGRESSIVE_CONTEXT = 2
"""Frames each autoregressive window is conditioned on. Two carry position and velocity, and with L=16 leave
14 new frames a window: as many as a full hierarchical infill window, so both schedules make 3376 frames in
241 jobs and differ only in what can run at once."""


@dataclass(frozen=True)
class Window:
    """One job of the schedule: make `targets`, given the frames at `known` (made at earlier levels)."""

    level: int
    frames: tuple[int, ...]
    """Every frame index the window covers, in order (its known ends included)."""
    known: tuple[int, ...]
    """Frames already made that condition this window: empty at level 0, the two ends after."""

    @property
    def targets(self) -> tuple[int, ...]:
        known = set(self.known)
        return tuple(i for i in self.frames if i not in known)


@dataclass(frozen=True)
class TimelinePlan:
    num_frames: int
    window: int
    levels: tuple[tuple[Window, ...], ...]
    schedule: Schedule = "hierarchical"

    @property
    def depth(self) -> int:
        return len(self.levels)

    @cached_property
    def made_by(self) -> dict[int, Window]:
        """Frame index -> the window that makes it."""
        return {i: w for level in self.levels for w in level for i in w.targets}

    @property
    def keyframes(self) -> tuple[int, ...]:
        return self.levels[0][0].frames

    @property
    def num_jobs(self) -> int:
        return sum(len(level) for level in self.levels)

    @property
    def explanation(self) -> str:
        if self.schedule == "autoregressive":
            return self._autoregressive_explanation()
        n, L, m = self.num_frames, self.window, self.depth
        lines = [
            f"{_count(n, 'frame')} with a window of {L}: {_count(m, 'level')} "
            f"(depth {m} holds up to {capacity(L, m)} frames)."
        ]
        if n == capacity(L, m):
            lines.append("The frame count fits the window exactly: every window is full and evenly spaced.")
        elif m > 1:
            lines.append(
                f"{n} is not (L-1)^m+1, so the frames are spread as evenly as whole numbers allow "
                "and some windows are shorter than L."
            )
        for level in self.levels:
            sizes = sorted({len(w.targets) for w in level})
            made = sum(len(w.targets) for w in level)
            what = "keyframe" if level[0].level == 0 else "in-between frame"
            span = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
            lines.append(
                f"level {level[0].level}: {_count(len(level), 'window')} making {_count(made, what)} ({span} per window)"
            )
        return "\n".join(lines)

    def _autoregressive_explanation(self) -> str:
        n, L, m = self.num_frames, self.window, self.depth
        first = self.levels[0][0]
        lines = [f"{_count(n, 'frame')} with a window of {L}, autoregressive: {_count(m, 'window')}, one after another."]
        lines.append(f"window 1 makes frames 0-{first.frames[-1]} ({_count(len(first.targets), 'keyframe')}).")
        if m > 1:
            context = len(self.levels[1][0].known)
            made = sorted({len(level[0].targets) for level in self.levels[1:]})
            span = f"{made[0]}" if len(made) == 1 else f"{made[0]}-{made[-1]}"
            lines.append(
                f"windows 2-{m} are each conditioned on the last {_count(context, 'frame')} of the window before "
                f"and make {span} new frames; each waits for the one before, so no two run at once."
            )
        return "\n".join(lines)


def capacity(window: int, depth: int) -> int:
    """The most frames `depth` levels of windows of `window` frames can make: (L-1)^m + 1."""
    return (window - 1) ** depth + 1


def depth_for(num_frames: int, window: int) -> int:
    """The fewest levels that make `num_frames` frames."""
    depth = 1
    while capacity(window, depth) < num_frames:
        depth += 1
    return depth


def plan_timeline(
    num_frames: int, window: int = 16, schedule: Schedule = "hierarchical", context: int = AUTOREGRESSIVE_CONTEXT
) -> TimelinePlan:
    """The level-by-level schedule for a scene of `num_frames` frames and a renderer window of `window`.

    `schedule` is NUWA-XL's `hierarchical` one (the default) or `autoregressive`, whose windows are each
    conditioned on the last `context` frames of the window before."""
    if window < 3:
        raise ValueError(f"`window` must be at least 3 (two known ends and one frame to make), but is {window}")
    if num_frames < 1:
        raise ValueError(f"`num_frames` must be at least 1, but is {num_frames}")
    if schedule == "autoregressive":
        return plan_autoregressive(num_frames, window, context)
    if schedule != "hierarchical":
        raise ValueError(f"`schedule` must be one of {', '.join(SCHEDULES)}, but is {schedule!r}")
    depth = depth_for(num_frames, window)
    keyframes = _spread(0, num_frames - 1, min(window, num_frames))
    levels: list[tuple[Window, ...]] = [(Window(0, tuple(keyframes), ()),)]
    made = keyframes
    for level in range(1, depth):
        windows = []
        for left, right in zip(made, made[1:]):
            if right - left < 2:
                continue  # adjacent already: nothing between them
            inner = _spread(left, right, min(window, right - left + 1))
            windows.append(Window(level, tuple(inner), (left, right)))
        if not windows:
            break
        levels.append(tuple(windows))
        made = sorted(set(made).union(*(w.frames for w in windows)))
    return TimelinePlan(num_frames, window, tuple(levels))


def plan_autoregressive(num_frames: int, window: int = 16, context: int = AUTOREGRESSIVE_CONTEXT) -> TimelinePlan:
    """Windows one after another: the first makes frames 0..L-1, each later one the next L-context frames,
    conditioned on the last `context` frames already made. The last window is shorter when the frames run out."""
    if not 1 <= context <= window - 1:
        raise ValueError(f"`context` must be between 1 and window-1 ({window - 1}), but is {context}")
    first = tuple(range(min(window, num_frames)))
    levels: list[tuple[Window, ...]] = [(Window(0, first, ()),)]
    made = len(first)
    while made < num_frames:
        known = tuple(range(made - context, made))
        new = tuple(range(made, min(made + window - context, num_frames)))
        levels.append((Window(len(levels), known + new, known),))
        made += len(new)
    return TimelinePlan(num_frames, window, tuple(levels), "autoregressive")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _spread(first: int, last: int, count: int) -> list[int]:
    """`count` integer indices from `first` to `last` inclusive, as evenly spaced as possible."""
    if count == 1:
        return [first]
    span = last - first
    return [first + (k * span + (count - 1) // 2) // (count - 1) for k in range(count)]
