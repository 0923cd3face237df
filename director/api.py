"""The Python API: `Director(planner=..., renderer=...).plan(text)`, `.render(board, path)`, `.make(text, path)`.

    from director import Director
    d = Director(planner="llm", renderer="animatic", cache_dir="cache")   # defaults: "llm"; "tiny" where installed, else "animatic"
    board = d.plan("A cat sits on a table. A dog runs from the left to the right.")
    board.scenes[0].layouts[0].boxes["cat"] = board.scenes[0].layouts[0].boxes["cat"].model_copy(update={"x0": 0.1})
    d.render(board, "out/movie.mp4")   # only what the edit changed is rendered again

The planner, renderer and executor are looked up by name in the registry
(`director planners` / `director renderers` list them), built once, and reused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from director import registry
from director.assemble import MovieFiles, SubtitleMode, assemble_movie
from director.cache import FrameCache
from director.errors import InputError
from director.execute import ProgressCallback, ProgressWatcher, RendererSpec, RenderStats, render_storyboard
from director.planner import PlanOptions
from director.script import Script, parse_script, read_script
from director.storyboard import Storyboard
from director.timeline import SCHEDULES, Schedule

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "director"


@dataclass(frozen=True)
class RenderResult:
    files: MovieFiles
    stats: RenderStats
    storyboard: Storyboard

    @property
    def movie(self) -> Path:
        return self.files.movie


class Director:
    """Script -> storyboard -> movie, with a named planner, renderer and executor."""

    def __init__(
        self,
        planner: str = "llm",
        renderer: str | None = None,  # None: registry.default_renderer() (tiny where installed, else animatic)
        executor: str = "local",
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        seed: int = 0,
        fps: int | None = None,
        size: tuple[int, int] | None = None,
        style: str = "",
        subtitles: SubtitleMode = "auto",
        planner_options: dict[str, Any] | None = None,
        renderer_options: dict[str, Any] | None = None,
        executor_options: dict[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        schedule: Schedule = "hierarchical",
        state_file: bool = True,
        watch: ProgressWatcher | None = None,
    ) -> None:
        if renderer is None:
            renderer = registry.default_renderer()  # found by what is installed; imported when first used
        else:
            registry.load("renderer", renderer)  # fail now, with the list of names, if the name is unknown
        self.planner_name, self.renderer_name, self.executor_name = planner, renderer, executor
        self.cache_dir = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
        self.seed, self.fps, self.size, self.style = seed, fps, size, style
        self.subtitles: SubtitleMode = subtitles
        self.progress = progress
        if schedule not in SCHEDULES:
            raise InputError(f"unknown schedule {schedule!r}; use one of {', '.join(SCHEDULES)}")
        self.schedule: Schedule = schedule
        self.state_file = state_file  # write MOVIE.render.json beside each movie (director.state)
        self.watch = watch
        self.last_state: Any = None  # the RenderStateFile of the last render, if any
        self._options = {
            "planner": planner_options or {},
            "renderer": renderer_options or {},
            "executor": executor_options or {},
        }
        self._built: dict[str, Any] = {}
        for kind, name in (("planner", planner), ("executor", executor)):
            registry.load(kind, name)  # fail now, with the list of names, if a name is unknown

    def _get(self, kind: registry.Kind) -> Any:
        if kind not in self._built:
            name = {"planner": self.planner_name, "renderer": self.renderer_name, "executor": self.executor_name}[kind]
            options = dict(self._options[kind])
            if kind == "planner" and "cache_dir" not in options and _accepts(registry.load(kind, name), "cache_dir"):
                options["cache_dir"] = self.cache_dir  # planners that cache their plans share the Director's cache
            self._built[kind] = registry.create(kind, name, **options)
        return self._built[kind]

    @property
    def renderer(self) -> Any:
        return self._get("renderer")

    def plan_options(self, title: str | None = None) -> PlanOptions:
        width, height = self.size or (PlanOptions.model_fields["width"].default, PlanOptions.model_fields["height"].default)
        return PlanOptions(
            fps=self.fps or PlanOptions.model_fields["fps"].default,
            width=width,
            height=height,
            seed=self.seed,
            style=self.style,
            title=title,
        )

    def plan(self, script: str | Script, *, title: str | None = None) -> Storyboard:
        """Plan a script (its text, or a parsed `Script`) into a storyboard."""
        if isinstance(script, str):
            script = parse_script(script)
        return self._get("planner").plan(script, self.plan_options(title))

    def plan_file(self, path: str | os.PathLike[str], *, title: str | None = None) -> Storyboard:
        return self.plan(read_script(path), title=title)

    def render(self, board: Storyboard, path: str | os.PathLike[str]) -> RenderResult:
        """Render a storyboard into a movie at `path` (.mp4), with .srt, contact sheet and storyboard beside it.
        Jobs already in the cache are not rendered again."""
        path = Path(path)
        if path.suffix.lower() != ".mp4":
            raise InputError(f"{path}: the movie must be an .mp4 file")
        board = self._with_overrides(board.revalidated())
        renderer = self.renderer
        state = self._state_file(board, renderer, path) if self.state_file else None
        watchers = [w for w in (state, self.watch) if w is not None]
        try:
            rendered = render_storyboard(
                board,
                renderer,
                FrameCache(self.cache_dir),
                executor=self._get("executor"),
                seed=self.seed,
                progress=self.progress,
                schedule=self.schedule,
                renderer_spec=RendererSpec.of(self.renderer_name, self._options["renderer"]),
                watch=(lambda snapshot: [w(snapshot) for w in watchers]) if watchers else None,
            )
            if state:
                state.mark("encoding")
            files = assemble_movie(
                rendered,
                path,
                subtitles=self.subtitles,
                renderer_draws_captions="captions" in renderer.info.supports,
                progress=self.progress,
            )
        except BaseException as e:
            if state:
                state.mark("interrupted" if isinstance(e, KeyboardInterrupt) else "failed")
            raise
        if state:
            state.mark("done")
        return RenderResult(files, rendered.stats, board)

    def close(self) -> None:
        """Release what the executor holds (a Ray executor's workers, and the local cluster it started)."""
        executor = self._built.pop("executor", None)
        if executor is not None and hasattr(executor, "close"):
            executor.close()

    def __enter__(self) -> Director:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _state_file(self, board: Storyboard, renderer: Any, path: Path) -> Any:
        from director.cache import content_key
        from director.state import RenderStateFile

        render = {
            "storyboard": content_key(board.model_dump(mode="json")),
            "renderer": renderer.fingerprint,
            "schedule": self.schedule,
            "seed": self.seed,
        }
        self.last_state = RenderStateFile(path, render, executor=self.executor_name)
        return self.last_state

    def make(self, script: str | Script, path: str | os.PathLike[str], *, title: str | None = None) -> RenderResult:
        """Plan and render in one go."""
        return self.render(self.plan(script, title=title), path)

    def _with_overrides(self, board: Storyboard) -> Storyboard:
        """Apply fps / size given to this Director over the storyboard's own."""
        update: dict[str, Any] = {}
        if self.fps is not None:
            update["fps"] = self.fps
        if self.size is not None:
            update["width"], update["height"] = self.size
        return Storyboard.model_validate({**board.model_dump(), **update}) if update else board


def _accepts(factory: Any, parameter: str) -> bool:
    import inspect

    try:
        return parameter in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
