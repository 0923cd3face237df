"""The render state file: `MOVIE.render.json` beside the movie, saying how far its render has got.

It is rewritten (atomically) as the render advances, at most once a second
and whenever a render starts, finishes or fails, so another terminal (or
`director status MOVIE.mp4`) can see a long render's progress, and a render
that was killed leaves a file saying where it stopped. Running the same
command again resumes from the cache; the state file tells that run what the
last one did (how many jobs were finished, how long a job took), so its
progress and ETA are honest from the first second.

The file is identified by what determines the jobs (the storyboard's hash,
the renderer's fingerprint, the schedule and the seed): a state file from a
different render is replaced, not resumed.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from director.execute import RenderProgress
from director.atomic import write_text_atomically

STATE_FORMAT = 1


def state_path(movie: str | os.PathLike[str]) -> Path:
    """Where the state file of a movie lives: MOVIE.render.json beside it."""
    movie = Path(movie)
    return movie.with_name(movie.with_suffix("").name + ".render.json")


def read_render_state(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The state file at `path` (or beside the movie at `path`), or None if there is none or it is unreadable."""
    path = Path(path)
    if path.suffix.lower() == ".mp4":
        path = state_path(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("format") == STATE_FORMAT else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RenderStateFile:
    """Keeps MOVIE.render.json up to date: `start` it with what identifies the render (which reads what the
    last run of the same render left, see `resuming`), call it with each `RenderProgress`, then `mark` the
    outcome. `Director.render` does all three; give it one (`state=`) to read `resuming` as it renders."""

    def __init__(self, movie: str | os.PathLike[str], min_interval: float = 1.0) -> None:
        self.path = state_path(movie)
        self.movie = Path(movie).name
        self.min_interval = min_interval
        self.previous: dict[str, Any] | None = None  # the last run's state, if it was this same render
        self.state: dict[str, Any] = {}
        self._next_write = 0.0
        self._progress: RenderProgress | None = None

    def start(self, render: dict[str, Any], executor: str) -> None:
        """Begin a run of the render identified by `render` (storyboard hash, renderer fingerprint, schedule, seed)."""
        previous = read_render_state(self.path)
        self.previous = previous if previous is not None and previous.get("render") == render else None
        self.state = {
            "format": STATE_FORMAT,
            "movie": self.movie,
            "status": "planning",
            "render": render,
            "executor": executor,
            "run": (self.previous or {}).get("run", 0) + 1,
            "started_at": _now(),
            "updated_at": _now(),
        }
        self._next_write, self._progress = 0.0, None

    @property
    def resuming(self) -> bool:
        """Whether the last run of this same render stopped before the movie was written."""
        return self.previous is not None and self.previous.get("status") != "done"

    def __call__(self, progress: RenderProgress) -> None:
        """Record a snapshot; the file is rewritten at most once per `min_interval`, and so that writing takes
        at most 1/20 of the time (a board of many scenes), besides the first, the last and any before a job
        is rendered; the scene list is built only when the file is written."""
        if not self.state:
            raise RuntimeError("RenderStateFile: call start(render, executor) before the first snapshot")
        self.state["status"] = "rendering"
        self._progress = progress
        if progress.rendered == 0 or progress.finished or time.monotonic() >= self._next_write:
            self._write()

    def mark(self, status: str) -> None:
        """Record how the render ended: 'encoding', 'done', 'failed' or 'interrupted'."""
        if not self.state:
            return  # never started: nothing to say
        self.state["status"] = status
        self._write()

    def _write(self) -> None:
        progress = self._progress
        if progress is not None:
            self.state.update(
                jobs={
                    "total": progress.jobs,
                    "cached": progress.cached,
                    "rendered": progress.rendered,
                    "remaining": progress.to_render - progress.rendered,
                },
                stages=[{"stage": s.name, "done": s.done, "total": s.total} for s in progress.levels],
                scenes=[{"scene": s.name, "done": s.done, "total": s.total} for s in progress.scenes],
                seconds=round(progress.elapsed, 3),
                seconds_per_job=None if progress.seconds_per_job is None else round(progress.seconds_per_job, 4),
                eta_seconds=None if progress.eta is None else round(progress.eta, 1),
            )
            self._progress = None  # written: the next write needs a newer snapshot to redo this
        if self.state["status"] == "done":
            self.state["eta_seconds"] = 0
        self.state["updated_at"] = _now()
        started = time.monotonic()
        write_text_atomically(self.path, json.dumps(self.state, indent=1) + "\n")
        # At most once per min_interval, and never more than 1/20 of the time (a board of many scenes).
        self._next_write = time.monotonic() + max(self.min_interval, 20 * (time.monotonic() - started))
