"""Rendering from the editor: one render at a time, in a background thread, with progress to poll.

The render goes through `Director.render` with the project's own cache
(`PROJECT/cache`), so jobs whose inputs an edit did not touch come from the
cache: re-rendering after editing one scene renders that scene's jobs only.
The movie and its companions land in `PROJECT/renders/`.

`stale_scenes` tells the page which scenes changed since the last render (by
comparing with the storyboard written beside the movie), so it can say what a
render will cost before it starts.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Literal

from director.editor.project import MOVIE_FILE, RENDERED_BOARD_FILE, Project
from director.errors import InputError
from director.storyboard import Storyboard

State = Literal["idle", "running", "done", "failed"]


@dataclass
class RenderStatus:
    state: State = "idle"
    renderer: str = ""
    version: int = 0  # the storyboard version being (or last) rendered
    stage: str = ""
    done: int = 0
    total: int = 0
    stages: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    jobs_rendered: int = 0
    jobs_cached: int = 0
    rendered_by_scene: dict[str, int] = field(default_factory=dict)
    frames: int = 0
    started: float = 0.0

    def as_json(self) -> dict:
        return asdict(self)


class RenderRunner:
    """Starts renders of a project's current version and reports their progress."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.status = RenderStatus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, renderer: str) -> RenderStatus:
        from director import registry

        registry.load("renderer", renderer)  # an unknown name fails now, listing the known ones
        with self._lock:
            if self.status.state == "running":
                raise InputError(f"a render of version {self.status.version} is already running")
            with self.project.lock:
                board, version = self.project.board, self.project.version
            self.status = RenderStatus(state="running", renderer=renderer, version=version, started=time.time())
            self._thread = threading.Thread(target=self._run, args=(board, renderer), name="director-render", daemon=True)
            self._thread.start()
            return self.status

    def wait(self, timeout: float | None = None) -> RenderStatus:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status

    def _progress(self, stage: str, done: int, total: int) -> None:
        status = self.status
        if stage not in status.stages:
            status.stages.append(stage)
        status.stage, status.done, status.total = stage, done, total

    def _run(self, board: Storyboard, renderer: str) -> None:
        from director.api import Director

        status = self.status
        started = time.perf_counter()
        try:
            director = Director(renderer=renderer, cache_dir=self.project.path("cache"))
            result = director.render(board, self.project.path(MOVIE_FILE), progress=self._progress)
        except InputError as e:
            status.error, status.state = str(e), "failed"
        except Exception as e:  # a renderer's bug: show it in the page, keep the server up
            traceback.print_exc()
            status.error, status.state = f"internal error: {type(e).__name__}: {e}", "failed"
        else:
            stats = result.stats
            status.jobs_rendered, status.jobs_cached = stats.jobs_rendered, stats.jobs_cached
            status.rendered_by_scene, status.frames = dict(stats.rendered_by_scene), stats.frames
            status.state = "done"
        finally:
            status.seconds = time.perf_counter() - started


def stale_scenes(project: Project) -> list[str]:
    """Ids of the scenes of the current storyboard whose frames differ from the last render's."""
    board = project.board
    rendered_path = project.path(RENDERED_BOARD_FILE)
    if not rendered_path.is_file() or not project.path(MOVIE_FILE).is_file():
        return [s.id for s in board.scenes]
    try:
        rendered = Storyboard.load(rendered_path)
    except InputError:
        return [s.id for s in board.scenes]
    before = {s.id: _render_content(rendered, s.id) for s in rendered.scenes}
    return [s.id for s in board.scenes if before.get(s.id) != _render_content(board, s.id)]


def _render_content(board: Storyboard, scene_id: str) -> tuple:
    """What decides a scene's frames: the scene, its cast members' looks and the movie's settings."""
    scene = board.scene(scene_id)
    cast = {e.id: e for e in board.entities}
    used = [cast[i] for i in scene.entities if i in cast]
    return (scene.model_dump(exclude={"id", "transition"}), [e.model_dump() for e in used], board.fps, board.width, board.height, board.style)
