"""The Python API: `Director(planner=..., renderer=...).plan(text)`, `.render(board, path)`, `.make(text, path)`.

    from director import Director
    d = Director(planner="llm", renderer="animatic", cache_dir="cache")   # defaults: "llm"; "tiny-v3" where installed, else "animatic"
    board = d.plan("A cat sits on a table. A dog runs from the left to the right.")
    board.scenes[0].layouts[0].boxes["cat"] = board.scenes[0].layouts[0].boxes["cat"].model_copy(update={"x0": 0.1})
    d.render(board, "out/movie.mp4")   # only what the edit changed is rendered again
    Director(audio="scratch").render(board, "out/talk.mp4")   # every line spoken (eSpeak NG), scenes retimed to fit

The planner, renderer and executor are looked up by name in the registry
(`director planners` / `director renderers` list them), built once, and reused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from director import registry
from director.assemble import MovieFiles, SubtitleMode, assemble_movie
from director.cache import FrameCache, content_key
from director.errors import InputError, format_validation_error
from director.execute import ProgressCallback, ProgressWatcher, RendererSpec, RenderStats, RenderWork, plan_jobs, run_jobs
from director.planner import PlanOptions
from director.script import Script, parse_script, read_script
from director.state import RenderStateFile, state_path
from director.storyboard import MAX_SCENES, Storyboard
from director.timeline import SCHEDULES, Schedule

if TYPE_CHECKING:
    from director.voices import ScratchVoices

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "director"
AudioMode = Literal["none", "scratch"]
AUDIO_MODES = ("none", "scratch")


@dataclass(frozen=True)
class RenderResult:
    files: MovieFiles
    stats: RenderStats
    storyboard: Storyboard  # as rendered: with scratch audio, retimed so every line is heard in full
    scratch: ScratchVoices | None = None  # with scratch audio: the voices cast, the lines spoken, what was retimed

    @property
    def movie(self) -> Path:
        return self.files.movie


class Director:
    """Script -> storyboard -> movie, with a named planner, renderer and executor."""

    def __init__(
        self,
        planner: str = "llm",
        renderer: str | None = None,  # None: registry.default_renderer() (tiny-v3 where installed, else animatic)
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
        schedule: Schedule = "hierarchical",
        audio: AudioMode = "none",  # none: a silent movie; scratch: dialogue spoken offline (voices.py), mixed in as AAC
    ) -> None:
        if renderer is None:
            renderer = registry.default_renderer()  # found by what is installed; imported when first used
        else:
            registry.load("renderer", renderer)  # fail now, with the list of names, if the name is unknown
        self.planner_name, self.renderer_name, self.executor_name = planner, renderer, executor
        self.cache_dir = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
        self.seed, self.fps, self.size, self.style = seed, fps, size, style
        self.subtitles: SubtitleMode = subtitles
        if schedule not in SCHEDULES:
            raise InputError(f"unknown schedule {schedule!r}; use one of {', '.join(SCHEDULES)}")
        self.schedule: Schedule = schedule
        if audio not in AUDIO_MODES:
            raise InputError(f"unknown audio {audio!r}; use none or scratch")
        self.audio: AudioMode = audio
        self._options = {
            "planner": planner_options or {},
            "renderer": renderer_options or {},
            "executor": executor_options or {},
        }
        self._built: dict[str, Any] = {}
        self._renderer = RendererSpec(renderer, self._options["renderer"])  # built on first use, once
        for kind, name in (("planner", planner), ("executor", executor)):
            registry.load(kind, name)  # fail now, with the list of names, if a name is unknown

    def _get(self, kind: Literal["planner", "executor"]) -> Any:
        if kind not in self._built:
            name = {"planner": self.planner_name, "executor": self.executor_name}[kind]  # the renderer: self._renderer
            options = dict(self._options[kind])
            if kind == "planner" and "cache_dir" not in options and _accepts(registry.load(kind, name), "cache_dir"):
                options["cache_dir"] = self.cache_dir  # planners that cache their plans share the Director's cache
            self._built[kind] = registry.create(kind, name, **options)
        return self._built[kind]

    @property
    def renderer(self) -> Any:
        """The renderer, built from its name and options the first time it is asked for."""
        return self._renderer.renderer

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

    def render(
        self,
        board: Storyboard,
        path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        watch: ProgressWatcher | None = None,
        state: RenderStateFile | bool = True,
    ) -> RenderResult:
        """Render a storyboard into a movie at `path` (.mp4), with .srt, contact sheet and storyboard beside it.
        Jobs already in the cache are not rendered again.

        `progress(stage, done, total)` hears each level and the encode; `watch` receives a `RenderProgress`
        snapshot as the render advances. `state`: write MOVIE.render.json beside the movie (True), don't
        (False), or keep this `RenderStateFile` of `path` up to date (to read what the last run left).

        With `audio="scratch"` every line is spoken first (an error before anything renders if eSpeak NG is
        missing), the storyboard is retimed so no line is cut off (`result.storyboard`, also saved beside the
        movie), and the voices are mixed into the movie's AAC track (`result.scratch` says who got which voice)."""
        path = Path(path)
        if path.suffix.lower() != ".mp4":
            raise InputError(f"{path}: the movie must be an .mp4 file")
        board = self._validated(board)
        scratch = None
        if self.audio == "scratch":
            from director.voices import prepare_scratch_voices

            scratch = prepare_scratch_voices(board)
            board = scratch.board
        work = RenderWork(FrameCache(self.cache_dir), self._renderer)
        renderer = work.renderer
        graph = plan_jobs(board, renderer.fingerprint, renderer.info.window, seed=self.seed, schedule=self.schedule,
                          cast_in_keys="cast" in renderer.info.supports)
        state_file = self._state_file(state, path, board, renderer.fingerprint)
        watchers = [w for w in (state_file, watch) if w is not None]
        try:
            rendered = run_jobs(
                graph,
                work,
                executor=self._get("executor"),
                progress=progress,
                watch=(lambda snapshot: [w(snapshot) for w in watchers]) if watchers else None,
            )
            if state_file:
                state_file.mark("encoding")
            files = assemble_movie(
                rendered,
                path,
                subtitles=self.subtitles,
                renderer_draws_captions="captions" in renderer.info.supports,
                progress=progress,
            )
            if scratch is not None:
                from director.voices import add_scratch_audio

                add_scratch_audio(files.movie, scratch, board)
        except BaseException as e:
            if state_file:
                state_file.mark("interrupted" if isinstance(e, KeyboardInterrupt) else "failed")
            raise
        if state_file:
            state_file.mark("done")
        return RenderResult(files, rendered.stats, board, scratch)

    def close(self) -> None:
        """Release what the executor holds (a Ray executor's workers, and the local cluster it started)."""
        executor = self._built.pop("executor", None)
        if executor is not None and hasattr(executor, "close"):
            executor.close()

    def __enter__(self) -> Director:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _state_file(self, state: RenderStateFile | bool, path: Path, board: Storyboard, fingerprint: str) -> RenderStateFile | None:
        """The state file this render keeps (None for none), started with what identifies the render."""
        if state is False:
            return None
        if state is True:
            state = RenderStateFile(path)
        elif state.path != state_path(path):
            raise ValueError(f"the state file {state.path} is not the one of {path} ({state_path(path)})")
        render = {
            "storyboard": content_key(board.model_dump(mode="json")),
            "renderer": fingerprint,
            "schedule": self.schedule,
            "seed": self.seed,
        }
        state.start(render, executor=self.executor_name)
        return state

    def make(self, script: str | Script, path: str | os.PathLike[str], *, title: str | None = None) -> RenderResult:
        """Plan and render in one go."""
        return self.render(self.plan(script, title=title), path)

    def _validated(self, board: Storyboard) -> Storyboard:
        """The storyboard with the fps / size given to this Director over its own, validated (once: an edit made
        in Python, by assignment, is checked here)."""
        if len(board.scenes) > MAX_SCENES:  # before dumping them all to validate them
            raise InputError(f"the storyboard has {len(board.scenes)} scenes; a storyboard may have at most {MAX_SCENES}")
        update: dict[str, Any] = {}
        if self.fps is not None:
            update["fps"] = self.fps
        if self.size is not None:
            update["width"], update["height"] = self.size
        try:
            return Storyboard.model_validate({**board.model_dump(), **update})
        except ValidationError as e:
            raise InputError(f"the storyboard is not valid: {format_validation_error(e)}") from None


def _accepts(factory: Any, parameter: str) -> bool:
    import inspect

    try:
        return parameter in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
