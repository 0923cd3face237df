"""The `director` command line: script -> storyboard -> movie.

Thin typer commands over the Python API. Exit codes: 0 success; 2 bad input
(a one-paragraph message naming the file and the problem, no traceback);
1 an internal error (run with --debug for the traceback). This is the only
module that reads environment variables.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

app = typer.Typer(
    name="director",
    help="Turn a script (Fountain, prose, or 'Scene N:' lines) into a storyboard, and a storyboard into a movie.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help is plain text: `director[tiny]` and `[default: ...]` are shown as written
)

# Reusable option types ---------------------------------------------------------------------------

Output = Annotated[Path, typer.Option("--output", "-o", help="Where to write the result.")]
PlannerName = Annotated[str, typer.Option("--planner", help="Planner to use; `director planners` lists them.")]
RendererName = Annotated[str, typer.Option("--renderer", help="Renderer to use; `director renderers` lists them.")]
DefaultRendererName = Annotated[
    Optional[str],
    typer.Option(
        "--renderer",
        help="Renderer to use; `director renderers` lists them. [default: tiny-v3, the embedded diffusion models, "
        "where `director[tiny]` is installed; else animatic]",
        show_default=False,
    ),
]
ExecutorName = Annotated[str, typer.Option("--executor", help="Where jobs run; `director executors` lists them.")]
RendererConfig = Annotated[
    Optional[Path],
    typer.Option("--renderer-config", help="A TOML/JSON file of renderer options (models, dtype, offload ...) for renderers that take one, e.g. diffusers."),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed; the same seed gives the same output.")]
Fps = Annotated[Optional[int], typer.Option("--fps", min=1, max=120, help="Frames per second (default: the storyboard's, 12 for new plans).")]
Size = Annotated[Optional[str], typer.Option("--size", metavar="WxH", help="Frame size, e.g. 512x288 (default: the storyboard's).")]
CacheDir = Annotated[
    Optional[Path],
    typer.Option("--cache-dir", help="Cache of rendered jobs [default: $DIRECTOR_CACHE_DIR or ~/.cache/director]."),
]
Subtitles = Annotated[
    str,
    typer.Option(
        "--subtitles",
        help="Burn subtitles into the movie: auto (unless the renderer draws the dialogue), burn, or none. "
        "The .srt file is always written.",
    ),
]
AudioMode = Annotated[
    str,
    typer.Option(
        "--audio",
        help="none: a silent movie, timed exactly as the storyboard; scratch: every line spoken offline by eSpeak NG, "
        "one voice per character, mixed into an AAC track (scenes grow where a line needs longer). "
        "Default none: scratch changes the storyboard's timing and needs the system's espeak-ng.",
    ),
]
ScheduleName = Annotated[
    str,
    typer.Option(
        "--schedule",
        help="hierarchical (NUWA-XL: every window of a level at once) or autoregressive "
        "(each window after the last, conditioned on its last frames; for renderers that only extend forward).",
    ),
]
RayAddress = Annotated[
    Optional[str],
    typer.Option("--address", help="With --executor ray: the cluster to join (auto, HOST:6379, ray://HOST:10001). Without it, a local cluster is started."),
]
RayWorkers = Annotated[
    Optional[int], typer.Option("--workers", min=1, help="With --executor ray: how many workers [default: as many as the cluster has room for].")
]
Title = Annotated[Optional[str], typer.Option("--title", help="Title of the film (default: the script's).")]
CoverageMode = Annotated[
    str,
    typer.Option(
        "--coverage",
        help="Shots where the script names none: default (an establishing wide, then who speaks or acts) "
        "or none (each scene one wide shot). Shot lines in the script (CLOSE ON, ANGLE ON, PUSH IN) are always kept.",
    ),
]
Style = Annotated[str, typer.Option("--style", help="A visual style for every scene, e.g. 'storybook watercolour'.")]
ScriptPath = Annotated[Path, typer.Argument(help="The script: .fountain, a prose .txt, or 'Scene 1: ...' lines.", show_default=False)]
BoardPath = Annotated[Path, typer.Argument(help="A storyboard JSON file (from `director plan`).", show_default=False)]

# LLM planner options (flags, or the environment variables named in each help) ---------------------

LLMBackend = Annotated[
    str,
    typer.Option(
        "--llm-backend",
        envvar="DIRECTOR_LLM_BACKEND",
        help="LLM for `--planner llm`: embedded (SmolLM2-135M on the CPU), llama-cpp (a GGUF file), transformers, vllm, or openai (any OpenAI-compatible server).",
    ),
]
LLMModel = Annotated[
    Optional[str],
    typer.Option("--llm-model", envvar="DIRECTOR_LLM_MODEL", help="The model: for embedded smollm2-135m (default) or gemma3-270m; a GGUF path, hub id or local path, or the server's model name."),
]
LLMBaseUrl = Annotated[
    Optional[str],
    typer.Option("--llm-base-url", envvar="DIRECTOR_LLM_BASE_URL", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."),
]
LLMApiKey = Annotated[
    Optional[str],
    typer.Option("--llm-api-key", envvar=["DIRECTOR_LLM_API_KEY", "OPENAI_API_KEY"], help="API key for the server.", show_default=False),
]


def _planning(planner: str, options: dict[str, Any] | None = None) -> Any:
    """A spinner while a planner thinks; for the llm planner (minutes on a long script) a progress bar
    of the stage it is at, scene by scene (its `progress` option, added to `options`)."""
    from rich.console import Console

    console = Console(stderr=True)
    if options is None or planner != "llm":
        return console.status(f"planning with the {planner} planner ...")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"planning with the {planner} planner: {{task.description}}"), BarColumn(), MofNCompleteColumn(), TextColumn("scenes"), TimeElapsedColumn())
    bar = Progress(*columns, console=console, transient=True)
    task = bar.add_task("starting", total=None)
    options["progress"] = lambda what, done, total: bar.update(task, description=what, completed=done, total=total)
    return bar


def _planner_options(planner: str, backend: str, model: str | None, base_url: str | None, api_key: str | None, cache_dir: Path, coverage: str = "default") -> dict[str, Any]:
    """Options for the named planner: the LLM backend settings go to `llm`, the plan cache to any LLM planner,
    a coverage other than the default to any planner (an unknown one is an error naming the choices)."""
    from director.errors import InputError

    if coverage not in ("default", "none"):
        raise InputError(f"--coverage must be default or none, not {coverage!r}")
    shots = {"coverage": coverage} if coverage != "default" else {}
    if planner != "llm":
        return shots
    return {"backend": backend, "model": model, "base_url": base_url, "api_key": api_key, "cache_dir": cache_dir, **shots}


DEBUG = bool(os.environ.get("DIRECTOR_DEBUG"))


def _fail(message: str, code: int) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def handles_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Map director's errors to exit codes: InputError -> 2 with its message; anything else -> 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from director.errors import InputError

        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except InputError as e:
            _fail(str(e), 2)
        except KeyboardInterrupt:
            _fail("interrupted; finished jobs are cached, so running the same command again resumes", 130)
        except Exception as e:  # a bug in director (or a renderer): say so plainly
            if DEBUG:
                raise
            _fail(f"internal error: {type(e).__name__}: {e} (set DIRECTOR_DEBUG=1 for the traceback)", 1)

    return wrapper


def _parse_size(size: str | None) -> tuple[int, int] | None:
    """--size WxH, checked by the storyboard's own rules for width and height (and with their messages)."""
    if size is None:
        return None
    from pydantic import ValidationError

    from director.errors import InputError, format_validation_error
    from director.storyboard import FrameSize

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size {size!r} is not WIDTHxHEIGHT, like 512x288") from None
    try:
        FrameSize(width=width, height=height)
    except ValidationError as e:
        raise InputError(f"--size {size!r}: {format_validation_error(e)}") from None
    return width, height


def _subtitle_mode(value: str) -> str:
    from director.errors import InputError

    if value not in ("auto", "burn", "none"):
        raise InputError(f"--subtitles {value!r}: use auto, burn or none")
    return value


def _renderer_options(renderer_config: Path | None) -> dict[str, Any]:
    """--renderer-config becomes the renderer's `config` option (only renderers that take one accept it)."""
    if renderer_config is None:
        return {}
    if not renderer_config.is_file():
        from director.errors import InputError

        raise InputError(f"{renderer_config}: no such renderer config file")
    return {"config": renderer_config}


def _cache_dir(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return cache_dir
    if os.environ.get("DIRECTOR_CACHE_DIR"):
        return Path(os.environ["DIRECTOR_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "director"


def _schedule(value: str) -> str:
    from director.errors import InputError
    from director.timeline import SCHEDULES

    if value not in SCHEDULES:
        raise InputError(f"--schedule {value!r}: use {' or '.join(SCHEDULES)}")
    return value


def _executor_options(executor: str, address: str | None, workers: int | None) -> dict[str, Any]:
    """--address and --workers, for the executors that take them."""
    from director.errors import InputError

    options = {k: v for k, v in (("address", address), ("workers", workers)) if v is not None}
    if options and executor == "local":
        raise InputError(f"{' and '.join('--' + k for k in options)} only work with a distributed executor, like --executor ray")
    return options


class _Bars:
    """Rich progress bars: director's progress(stage, done, total) callback (levels, encoding) and its
    `watch(RenderProgress)` (all jobs, per scene). Totals are exact from the start; ETAs come from the rate.

    A bar per scene up to `SCENE_BARS` scenes (or, on a longer board, per scene with jobs to render, up to
    as many); past that, one "scenes" bar (scenes finished): Rich lays out every bar at every refresh, so a bar per scene of a long board would cost more
    than its rendering. Each snapshot costs the bars a constant amount of work, whatever the board's length."""

    SCENE_BARS = 12

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.scene_bars: dict[int, Any] = {}  # scene index -> its bar, when there are few enough scenes
        self.resuming: str | None = None  # what the last run of this render left, said before the bars

    def watch(self, snapshot: Any) -> None:
        """Bars for all jobs, each level and the scenes (each, or all as one), added on the first snapshot."""
        if "all jobs" not in self.tasks:
            if snapshot.cached:
                self.progress.console.print(
                    f"{self.resuming + ': ' if self.resuming else ''}{snapshot.cached} of {snapshot.jobs} jobs are in the cache; "
                    f"rendering the other {snapshot.to_render}"
                )
            self("all jobs", 0, snapshot.to_render)
            for stage in snapshot.levels:
                self(stage.name, stage.done, stage.total)
            if snapshot.scenes_with_work > self.SCENE_BARS:
                self("scenes", 0, snapshot.scenes_with_work)
            else:  # every scene when there are few, else those with work (once, at the start)
                few = len(snapshot.scenes) <= self.SCENE_BARS
                for i, scene in enumerate(snapshot.scenes):
                    if few or scene.total:
                        self(f"scene {scene.name}", scene.done, scene.total)
                    if scene.total:
                        self.scene_bars[i] = self.tasks[f"scene {scene.name}"]
        self.progress.update(self.tasks["all jobs"], completed=snapshot.rendered)
        if "scenes" in self.tasks:
            self.progress.update(self.tasks["scenes"], completed=snapshot.scenes_finished)
        for i, bar in self.scene_bars.items():
            self.progress.update(bar, completed=snapshot.scenes[i].done)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=max(total, 1))
            if total == 0:
                self.progress.update(self.tasks[stage], completed=1, description=f"{stage} (cached)")
                return
        self.progress.update(self.tasks[stage], completed=done)

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _print_plan_summary(board: Any, path: Path | None) -> None:
    """The plan as a table. Every piece of the script's text is shown as text, never read as Rich markup."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from director.graph import check_storyboard

    console = Console()
    table = Table(title=Text(f"{board.title} — {len(board.scenes)} scenes, {len(board.entities)} in the cast"), title_justify="left")
    for column in ("scene", "heading", "seconds", "present", "relations", "motions", "lines"):
        table.add_column(column)
    for scene in board.scenes:
        table.add_row(
            Text(scene.id),
            Text(scene.heading[:40]),
            f"{scene.duration:.1f}",
            Text(", ".join(scene.entities)[:40]),
            str(len(scene.relations)),
            str(len(scene.motions)),
            str(len(scene.dialogue)),
        )
    console.print(table)
    for issue in check_storyboard(board):
        console.print(f"[yellow]warning:[/] {escape(str(issue))}")
    if path is not None:
        console.print(f"wrote [bold]{escape(str(path))}[/]")


def _print_plan_time(planner: str, board: Any, seconds: float) -> None:
    """Which planner (and model, from the plan's provenance) made the plan, and how long it took."""
    from rich.console import Console

    model = f" (model {board.provenance.model})" if board.provenance.model else ""
    Console(highlight=False).print(f"planned with the {planner} planner{model} in {seconds:.1f} s", markup=False)


def _renderer_label(director: Any) -> str:
    """'the tiny renderer (tiny/v2/weights=...)': the name and, cut short, the fingerprint that names its model."""
    fingerprint = str(director.renderer.fingerprint)
    shown = fingerprint if len(fingerprint) <= 72 else fingerprint[:71] + "…"
    return f"the {director.renderer_name} renderer ({shown})"


def _print_render_summary(result: Any, seconds: float, renderer: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape

    stats, files = result.stats, result.files
    console = Console()
    console.print(
        f"rendered {stats.frames} frames ({files.duration:.1f} s of video){' with ' + escape(renderer) if renderer else ''} "
        f"in {seconds:.1f} s: {stats.jobs_rendered} jobs rendered, {stats.jobs_cached} from the cache"
    )
    for label, path in (
        ("movie", files.movie),
        ("subtitles", files.subtitles),
        ("shot board", files.contact_sheet),
        ("storyboard", files.storyboard),
    ):
        if path is not None:
            pages = len(files.board_pages)
            more = f" (and {pages - 1} more page{'s' if pages > 2 else ''}: -2 ... -{pages})" if label == "shot board" and pages > 1 else ""
            console.print(f"  {label:<14} [bold]{escape(str(path))}[/]{more}")


def _check_outputs(outputs: list[Any], inputs: dict[str, Path | None]) -> None:
    """Check every output of a command before it starts (director.outputs): exit 2, nothing written, when one
    cannot be written or would land on an input. `inputs` maps what each input is to its path."""
    from director.outputs import Input, check_outputs

    check_outputs(outputs, [Input(path, role) for role, path in inputs.items() if path is not None])


def _plan_script(director: Any, script: Path, title: str | None, planning: Any) -> Any:
    """Plan SCRIPT with the `planning` spinner; a storyboard the script's text makes invalid is bad input (exit 2), with the field."""
    from pydantic import ValidationError

    from director.errors import InputError, format_validation_error

    try:
        with planning:
            return director.plan_file(script, title=title)
    except ValidationError as e:
        raise InputError(f"{script}: does not give a valid storyboard: {format_validation_error(e, model=e.title)}") from None


def _movie_path(output: Path) -> Path:
    from director.errors import InputError

    if output.suffix.lower() != ".mp4":
        raise InputError(f"{output}: the movie must be an .mp4 file")
    return output


# Commands ------------------------------------------------------------------------------------------


@app.command()
@handles_errors
def plan(
    script: ScriptPath,
    output: Output,
    planner: PlannerName = "llm",
    seed: Seed = 0,
    fps: Fps = None,
    size: Size = None,
    title: Title = None,
    style: Style = "",
    cache_dir: CacheDir = None,
    llm_backend: LLMBackend = "embedded",
    llm_model: LLMModel = None,
    llm_base_url: LLMBaseUrl = None,
    llm_api_key: LLMApiKey = None,
    coverage: CoverageMode = "default",
) -> None:
    """Plan a script into a storyboard (JSON): scenes, cast, scene graphs and layout boxes."""
    from director.api import Director
    from director.outputs import Output as Written

    options = _planner_options(planner, llm_backend, llm_model, llm_base_url, llm_api_key, _cache_dir(cache_dir), coverage)
    planning = _planning(planner, options)
    director = Director(planner=planner, seed=seed, fps=fps, size=_parse_size(size), style=style, cache_dir=_cache_dir(cache_dir), planner_options=options)
    _check_outputs([Written(output, "the storyboard")], {"the script": script})
    started = time.perf_counter()
    board = _plan_script(director, script, title, planning)
    board.save(output)
    _print_plan_summary(board, output)
    _print_plan_time(planner, board, time.perf_counter() - started)


@app.command()
@handles_errors
def render(
    board: BoardPath,
    output: Output,
    renderer: DefaultRendererName = None,
    executor: ExecutorName = "local",
    seed: Seed = 0,
    fps: Fps = None,
    size: Size = None,
    cache_dir: CacheDir = None,
    subtitles: Subtitles = "auto",
    schedule: ScheduleName = "hierarchical",
    address: RayAddress = None,
    workers: RayWorkers = None,
    renderer_config: RendererConfig = None,
    audio: AudioMode = "none",
) -> None:
    """Render a storyboard into a movie (MP4), with .srt subtitles, a contact sheet and MOVIE.render.json
    (the render's progress, see `director status`) beside it."""
    from director.api import Director
    from director.outputs import Output as Written
    from director.outputs import movie_outputs
    from director.storyboard import Storyboard

    audio = _audio_mode(audio)
    settings = _render_settings(renderer, executor, seed, fps, size, cache_dir, subtitles, schedule, address, workers, renderer_config)
    _check_outputs(
        [*movie_outputs(_movie_path(output)), Written(settings["cache_dir"], "the cache", kind="folder")],
        {"the storyboard": board, "the renderer config": renderer_config},
    )
    storyboard = Storyboard.load(board)
    director = Director(**settings, audio=audio)
    started = time.perf_counter()
    with director, _Bars() as bars:
        result = _render_with_bars(director, bars, storyboard, output)
    _print_scratch_voices(result)
    _print_render_summary(result, time.perf_counter() - started, _renderer_label(director))


def _audio_mode(value: str) -> str:
    from director.errors import InputError

    if value not in ("none", "scratch"):
        raise InputError(f"--audio {value!r}: use none or scratch")
    return value


def _print_scratch_voices(result: Any) -> None:
    """With --audio scratch: who spoke with which voice, and each line that made the storyboard's timing change."""
    if result.scratch is None:
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    for speaker, voice in result.scratch.voices.items():
        who = result.storyboard.entity(speaker).name if speaker else "narrator"
        console.print(f"[dim]scratch voice for {who}: espeak-ng {voice.name}[/]")
    for note in result.scratch.notes:
        console.print(f"[dim]retimed: {note}[/]")


def _render_settings(
    renderer: str | None, executor: str, seed: int, fps: int | None, size: str | None, cache_dir: Path | None,
    subtitles: str, schedule: str, address: str | None, workers: int | None, renderer_config: Path | None,
) -> dict[str, Any]:
    """The Director arguments that `render` and `make` share, from their command-line options."""
    if renderer is None:
        renderer = _default_renderer()
    return {
        "renderer": renderer,
        "executor": executor,
        "seed": seed,
        "fps": fps,
        "size": _parse_size(size),
        "cache_dir": _cache_dir(cache_dir),
        "subtitles": _subtitle_mode(subtitles),
        "schedule": _schedule(schedule),
        "executor_options": _executor_options(executor, address, workers),
        "renderer_options": _renderer_options(renderer_config),
    }


def _default_renderer() -> str:
    """The default renderer; says so when it is not renderer v3 because something it needs is missing."""
    from rich.console import Console

    from director import registry

    name = registry.default_renderer()
    if name == "animatic":
        Console(stderr=True, highlight=False).print(
            f"[dim]renderer: {name} (for the embedded diffusion renderer: pip install 'director\\[tiny]')[/]"
        )
    elif name == "tiny":
        Console(stderr=True, highlight=False).print("[dim]renderer: tiny (v2, 32x32: renderer v3's weights are missing from renderers/tiny/weights)[/]")
    return name


def _render_with_bars(director: Any, bars: _Bars, board: Any, output: Path) -> Any:
    """director.render(board, output) feeding the bars, and saying first what an interrupted last run left."""
    from director.state import RenderStateFile

    state = RenderStateFile(output)  # started by the render, it reads the last run's (if it was this render)

    def watch(snapshot: Any) -> None:
        if "all jobs" not in bars.tasks and state.resuming:
            bars.resuming = f"resuming after run {state.previous['run']} stopped ({state.previous['status']})"
        bars.watch(snapshot)

    return director.render(board, output, progress=bars, watch=watch, state=state)


@app.command()
@handles_errors
def make(
    script: ScriptPath,
    output: Output,
    planner: PlannerName = "llm",
    renderer: DefaultRendererName = None,
    executor: ExecutorName = "local",
    seed: Seed = 0,
    fps: Fps = None,
    size: Size = None,
    cache_dir: CacheDir = None,
    subtitles: Subtitles = "auto",
    title: Title = None,
    style: Style = "",
    schedule: ScheduleName = "hierarchical",
    address: RayAddress = None,
    workers: RayWorkers = None,
    renderer_config: RendererConfig = None,
    llm_backend: LLMBackend = "embedded",
    llm_model: LLMModel = None,
    llm_base_url: LLMBaseUrl = None,
    llm_api_key: LLMApiKey = None,
    audio: AudioMode = "none",
    coverage: CoverageMode = "default",
) -> None:
    """Plan and render in one go: SCRIPT -> MOVIE.mp4, plus MOVIE.storyboard.json, MOVIE.srt, MOVIE.contact.png."""
    from director.api import Director
    from director.outputs import Output as Written
    from director.outputs import movie_outputs

    audio = _audio_mode(audio)
    settings = _render_settings(renderer, executor, seed, fps, size, cache_dir, subtitles, schedule, address, workers, renderer_config)
    options = _planner_options(planner, llm_backend, llm_model, llm_base_url, llm_api_key, _cache_dir(cache_dir), coverage)
    planning = _planning(planner, options)
    director = Director(
        planner=planner,
        planner_options=options,
        style=style,
        audio=audio,
        **settings,
    )
    _check_outputs(
        [*movie_outputs(_movie_path(output)), Written(settings["cache_dir"], "the cache", kind="folder")],
        {"the script": script, "the renderer config": renderer_config},
    )
    started = time.perf_counter()
    board = _plan_script(director, script, title, planning)
    _print_plan_summary(board, None)
    _print_plan_time(director.planner_name, board, time.perf_counter() - started)
    started = time.perf_counter()
    with director, _Bars() as bars:
        result = _render_with_bars(director, bars, board, output)
    _print_scratch_voices(result)
    _print_render_summary(result, time.perf_counter() - started, _renderer_label(director))


@app.command()
@handles_errors
def schema(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to a file instead of printing.")] = None,
) -> None:
    """Print the storyboard JSON schema (what planners, and LLMs, must produce)."""
    import json

    from director.atomic import write_text_atomically
    from director.outputs import Output as Written
    from director.storyboard import Storyboard

    text = json.dumps(Storyboard.model_json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        _check_outputs([Written(output, "the schema")], {})
        write_text_atomically(output, text)


@app.command()
@handles_errors
def check(board: BoardPath) -> None:
    """Validate a storyboard and report what its scene graphs find questionable."""
    from director.storyboard import Storyboard

    _print_plan_summary(Storyboard.load(board), None)


@app.command()
@handles_errors
def timeline(
    frames: Annotated[
        str,
        typer.Argument(metavar="FRAMES|STORYBOARD", help="Frames in a scene, or a storyboard (.json): the plan of each of its shots."),
    ],
    window: Annotated[int, typer.Option("--window", "-L", min=3, help="Renderer window L.")] = 16,
    schedule: ScheduleName = "hierarchical",
) -> None:
    """Explain the NUWA-XL schedule for a scene of FRAMES frames (levels, windows, frames per window), or for
    every shot of a STORYBOARD: each shot has its own timeline, so cuts are hard cuts."""
    from director.errors import InputError
    from director.timeline import plan_timeline

    schedule = _schedule(schedule)
    if frames.strip().isdigit():
        if int(frames) < 1:
            raise InputError(f"FRAMES must be at least 1, but is {frames}")
        typer.echo(plan_timeline(int(frames), window, schedule).explanation)  # type: ignore[arg-type]
        return
    from director.execute import plan_shots
    from director.storyboard import Storyboard

    board = Storyboard.load(Path(frames))
    for scene, shots in zip(board.scenes, plan_shots(board, window, schedule), strict=True):  # type: ignore[arg-type]
        typer.echo(f"{scene.id}: {scene.num_frames(board.fps)} frames, {len(shots)} shot{'' if len(shots) == 1 else 's'}")
        for planned in shots:
            shot, span = planned.shot, planned.frames
            move = " ".join(filter(None, (shot.move.kind, shot.move.direction, shot.move.target)))
            typer.echo(f"  {shot.id}: frames {span.start}-{span.stop - 1} ({shot.size.replace('_', ' ')}, {move})")
            for line in planned.plan.explanation.splitlines():
                typer.echo(f"    {line}")


@app.command()
@handles_errors
def status(
    movie: Annotated[Path, typer.Argument(help="The movie being (or last) rendered, or its .render.json file.", show_default=False)],
) -> None:
    """Show how far the render of MOVIE has got (from MOVIE.render.json, kept up to date while it runs)."""
    from director.errors import InputError
    from director.state import read_render_state, state_path

    state = read_render_state(movie)
    if state is None:
        where = movie if movie.suffix == ".json" else state_path(movie)
        raise InputError(f"{where}: no render state here (it is written beside the movie when a render starts)")
    jobs = state.get("jobs") or {}
    typer.echo(f"{state['movie']}: {state['status']} (run {state['run']}, {state['executor']} executor, {state['render']['schedule']} schedule)")
    if jobs:
        done = jobs["cached"] + jobs["rendered"]
        eta = state.get("eta_seconds")
        typer.echo(
            f"jobs: {done} of {jobs['total']} done ({jobs['cached']} were cached, {jobs['rendered']} rendered), "
            f"{jobs['remaining']} to go" + (f", about {eta:.0f} s left" if eta and state["status"] == "rendering" else "")
        )
        for stage in (*state["stages"], *state["scenes"]):
            name = stage.get("stage") or f"scene {stage['scene']}"
            typer.echo(f"  {name:<26} {stage['done']:>6} / {stage['total']}")
    typer.echo(f"updated {state['updated_at']}")


@app.command()
@handles_errors
def edit(
    target: Annotated[
        Path,
        typer.Argument(
            help="A project folder; or a storyboard JSON (copied into a new project); or a script (planned into one).",
            show_default=False,
        ),
    ],
    project: Annotated[
        Optional[Path],
        typer.Option("--project", help="Project folder for a storyboard or script (default: beside it, named after it + .director)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; anything but loopback needs an access token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")] = 8765,
    token: Annotated[
        Optional[str],
        typer.Option("--token", envvar="DIRECTOR_EDITOR_TOKEN", help="Access token (default: none on loopback, a random one printed in the URL otherwise)."),
    ] = None,
    planner: PlannerName = "rules",
    renderer: RendererName = "animatic",
) -> None:
    """Open the storyboard editor in the browser: edit boxes, text and cast, preview, re-plan, render, undo."""
    from director.errors import InputError

    try:
        from director.editor.project import open_project
        from director.editor.serve import EditorServer
    except ImportError as e:
        raise InputError(f"the editor needs its extra: pip install 'director[editor]' ({e})") from None

    opened, note = open_project(target, project, planner)
    server = EditorServer.bind(opened, host=host, port=port, token=token, planner=planner, renderer=renderer)
    typer.echo(f"{note}\ndirector editor: {server.url}\n(Ctrl+C stops it; every saved edit is in {opened.root / 'history'})")
    server.run()


# `director eval` (director/evaluate/) ---------------------------------------------------------------


@app.command(name="eval")
@handles_errors
def eval_(
    movie: Annotated[Path, typer.Argument(help="The movie to measure (.mp4 or anything ffmpeg reads).", show_default=False)],
    storyboard: Annotated[
        Optional[Path],
        typer.Option("--storyboard", "-s", help="Its storyboard, for the storyboard-aware metrics "
                     "[default: MOVIE.storyboard.json when it exists]."),
    ] = None,
    reference: Annotated[
        Optional[Path], typer.Option("--reference", "-r", help="A reference video: PSNR, SSIM, FID, KID, FVD, KVD.")
    ] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="The JSON report [default: MOVIE.eval.json]; "
                                                   "the plot goes beside it as .png.")] = None,
    clip: Annotated[
        Optional[str],
        typer.Option("--clip", envvar="DIRECTOR_EVAL_CLIP", help="CLIP model (hub id in the local cache, or a folder): "
                     "CLIPSIM, frame consistency, identity consistency."),
    ] = "openai/clip-vit-base-patch32",
    inception: Annotated[
        Optional[str],
        typer.Option("--inception", envvar="DIRECTOR_EVAL_INCEPTION", help="Inception v3: inception-2015-12-05.pt "
                     "(TorchScript), a torchvision state dict, or torchvision:IMAGENET1K_V1. FID, KID, Inception Score."),
    ] = None,
    video_model: Annotated[
        Optional[str],
        typer.Option("--video-model", envvar="DIRECTOR_EVAL_VIDEO_MODEL", help="Video classifier (hub id or folder) "
                     "or I3D TorchScript file: FVD, KVD, video Inception Score."),
    ] = "MCG-NJU/videomae-base-finetuned-kinetics",
    detector: Annotated[str, typer.Option("--detector", help="Entity detector; `director detectors` lists them.")] = "color",
    detector_model: Annotated[
        Optional[str],
        typer.Option("--detector-model", envvar="DIRECTOR_EVAL_DETECTOR_MODEL", help="Model for a model-based detector "
                     "(e.g. google/owlvit-base-patch32 for owlvit)."),
    ] = None,
    prompt: Annotated[Optional[str], typer.Option("--prompt", help="Text for CLIPSIM when there is no storyboard.")] = None,
    every: Annotated[int, typer.Option("--every", min=1, help="Run the models on every N-th frame.")] = 1,
    device: Annotated[str, typer.Option("--device", help="torch device: cpu, cuda ...")] = "cpu",
    download: Annotated[bool, typer.Option("--download", help="Let hub ids download missing weights.")] = False,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="Write the per-frame curves as a PNG.")] = True,
) -> None:
    """Measure a movie: PSNR/SSIM/FID/KID/FVD/KVD against a reference, Inception Scores, CLIPSIM,
    frame consistency, flicker, and with its storyboard layout IoU, motion direction, visibility and
    identity consistency. Metrics whose model is missing are skipped with a note saying how to point to one."""
    from rich.console import Console

    from director.evaluate import EvalConfig, evaluate_movie
    from director.evaluate.report import plot_per_frame, summary_table
    from director.evaluate.run import check_movie_path, default_report_path

    from rich.markup import escape

    from director.outputs import Output as Written

    check_movie_path(movie)
    console = Console()
    if storyboard is None:
        beside = movie.with_name(movie.stem + ".storyboard.json")
        if beside.is_file():
            storyboard = beside
            console.print(f"using the storyboard beside the movie: [bold]{escape(str(beside))}[/]")
    output = output or default_report_path(movie)
    written = [Written(output, "the report")] + ([Written(output.with_suffix(".png"), "the plot of the report")] if plot else [])
    _check_outputs(written, {"the movie": movie, "the storyboard": storyboard, "the reference": reference})
    config = EvalConfig(
        clip=clip or None,
        inception=inception or None,
        video_model=video_model or None,
        detector=detector,
        detector_options={"model": detector_model} if detector_model else {},
        allow_download=download,
        device=device,
        prompt=prompt,
        every=every,
        plot=plot,
    )
    with _Bars() as bars:
        report = evaluate_movie(movie, storyboard=storyboard, reference=reference, config=config, progress=bars)
    report.save(output)
    console.print(summary_table(report))
    for reason in dict.fromkeys(m.skipped for m in report.metrics if m.skipped):
        console.print(f"[yellow]skipped:[/] {escape(str(reason))}")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(str(warning))}")
    console.print(f"wrote [bold]{escape(str(output))}[/]")
    if plot:
        picture = plot_per_frame(report, output.with_suffix(".png"))
        if picture is not None:
            console.print(f"wrote [bold]{escape(str(picture))}[/]")


@app.command()
@handles_errors
def detectors() -> None:
    """List the installed entity detectors (for `director eval`)."""
    _list("detector")


LayoutFormat = Annotated[
    Optional[str],
    typer.Option(
        "--format", "-f",
        help="Timelines for editors (through OpenTimelineIO): otio, edl (CMX 3600), fcp7xml (Final Cut Pro 7 XML), "
        "fcpxml (Final Cut Pro X), kdenlive (a Kdenlive project), mlt (MLT XML for melt and Shotcut; write only). Layouts for other planners: lvd (LVD's per-frame box text), "
        "videodirectorgpt (its video plan, JSON), visorgpt (box sequences). [default: from the file's suffix, else lvd]",
        show_default=False,
    ),
]


@app.command("export")
@handles_errors
def export_(
    board: BoardPath,
    output: Output,
    format: LayoutFormat = None,
    frames: Annotated[int, typer.Option("--frames", min=1, max=64, help="Layout formats: layout frames per scene, evenly spaced.")] = 6,
    movie: Annotated[
        Optional[Path], typer.Option("--movie", help="Timeline formats: the rendered movie the clips point at (its rate sets the durations).")
    ] = None,
    shot_files: Annotated[
        Optional[Path], typer.Option("--shot-files", help="Timeline formats: also cut the movie into one file per shot in this folder, and point the clips at them.")
    ] = None,
) -> None:
    """Write a storyboard as a timeline for editing programs (one clip per shot, dialogue markers and a subtitle track, transitions,
    the scratch audio), or its layout track in another planner's format (LVD, VideoDirectorGPT, VisorGPT)."""
    from director.atomic import write_text_atomically
    from director.interchange import export_layouts, format_for, is_timeline_format, layout_export_drops
    from director.outputs import Output as Written
    from director.storyboard import Storyboard

    format = format_for(str(output), format)
    _check_outputs([Written(output, "the export")], {"the storyboard": board, "the movie": movie})
    storyboard = Storyboard.load(board)
    if not is_timeline_format(format):
        if movie is not None or shot_files is not None:
            from director.errors import InputError

            raise InputError(f"--movie and --shot-files are for timeline formats (otio, edl, fcp7xml, fcpxml, kdenlive, mlt), not {format}")
        write_text_atomically(output, export_layouts(storyboard, format, frames=frames))
        typer.echo(f"wrote {output}")
        for item in layout_export_drops(storyboard, format):
            typer.echo(f"  dropped by {format}: {item}")
        return
    from director.edit_timeline import export_timeline

    report = export_timeline(storyboard, output, format, movie=movie, shot_dir=shot_files)
    typer.echo(f"wrote {output}: {format}, {report.clips} clips")
    for note in report.notes:
        typer.echo(f"  note: {note}")
    for item in report.dropped:
        typer.echo(f"  dropped by {format}: {item}")


@app.command("import")
@handles_errors
def import_(
    layouts: Annotated[Path, typer.Argument(help="A timeline (.otio, .edl, .xml, .fcpxml, .kdenlive) or layouts written by LVD, VideoDirectorGPT or VisorGPT.", show_default=False)],
    output: Output,
    format: LayoutFormat = None,
    title: Title = None,
) -> None:
    """Read a timeline, or another planner's layouts, into a storyboard (JSON), ready to check, edit and render."""
    from director.errors import InputError
    from director.interchange import format_for, import_layouts, is_timeline_format
    from director.outputs import Output as Written
    from director.script import decode_script_bytes

    _check_outputs([Written(output, "the storyboard")], {"the layouts": layouts})
    format = format_for(str(layouts), format)
    if is_timeline_format(format):
        from director.edit_timeline import import_timeline

        board, notes = import_timeline(layouts, format)
        if title:
            board = board.model_copy(update={"title": title})
        board.save(output)
        for note in notes:
            typer.echo(f"note: {note}")
        _print_plan_summary(board, output)
        return
    try:
        data = layouts.read_bytes()
    except OSError as e:
        raise InputError(f"{layouts}: cannot be read ({e.strerror})") from None
    board = import_layouts(decode_script_bytes(data, str(layouts)), format, source=str(layouts), title=title)
    board.save(output)
    _print_plan_summary(board, output)


@app.command("board")
@handles_errors
def board_(
    board: BoardPath,
    output: Output,
    paper: Annotated[str, typer.Option("--paper", help="letter (US Letter) or a4, landscape.")] = "letter",
    movie: Annotated[
        Optional[Path], typer.Option("--movie", help="The rendered movie to take each panel's frame from [default: the animatic's drawing].")
    ] = None,
) -> None:
    """Print a storyboard as a PDF: a cover with the title and cast, then a panel per shot (frame, heading, action,
    dialogue, camera notes), page-numbered."""
    from director.board_pdf import write_board_pdf
    from director.storyboard import Storyboard

    printed = write_board_pdf(Storyboard.load(board), output, paper=paper, movie=movie)
    typer.echo(f"wrote {printed.path}: {printed.pages} pages, {printed.panels} panels")
    for note in printed.notes:
        typer.echo(f"  note: {note}")


def _list(kind: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from director import registry

    table = Table(show_header=True)
    for column in ("name", "from", "what it is"):
        table.add_column(column)
    default = registry.default_renderer() if kind == "renderer" else None
    for plugin in registry.available(kind).values():  # type: ignore[arg-type]
        name = f"{plugin.name} (default)" if plugin.name == default else plugin.name
        table.add_row(Text(name), Text(plugin.origin), Text(plugin.summary()))  # plug-ins' text is not markup
    Console().print(table)


@app.command()
@handles_errors
def planners() -> None:
    """List the installed planners."""
    _list("planner")


@app.command()
@handles_errors
def renderers() -> None:
    """List the installed renderers."""
    _list("renderer")


@app.command()
@handles_errors
def executors() -> None:
    """List the installed executors."""
    _list("executor")


# `director train tiny ...`: train the embedded tiny renderer's models ---------------------------------

train_app = typer.Typer(help="Train models that ship with director (needs the `tiny` extra: pip install 'director[tiny]').", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(train_app, name="train")


@train_app.command("tiny")
@handles_errors
def train_tiny(
    model: Annotated[str, typer.Argument(help="Which model: keyframe, infill, vocabulary (re-embed the world's words); v3-keyframe, v3-upscaler, v3-infill (renderer v3, `--renderer tiny-v3`: its 64x36 keyframe model, its layout-conditioned upscaler to 256x144 and its residual infill model; in training).", show_default=False)],
    run_dir: Annotated[Optional[Path], typer.Option("--run-dir", help="Checkpoints and log.jsonl [default: runs/tiny-MODEL].")] = None,
    steps: Annotated[Optional[int], typer.Option("--steps", min=1, help="Total optimiser steps; a resumed run continues to this (default: the trainer's).")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", min=1, help="World samples per step (default: the trainer's).")] = None,
    learning_rate: Annotated[Optional[float], typer.Option("--lr", help="AdamW learning rate (default: the trainer's).")] = None,
    channels: Annotated[Optional[str], typer.Option("--channels", help="UNet widths, e.g. 64,128,128 (default: the shipped model's).")] = None,
    seed: Seed = 0,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads for torch (default: the trainer's).")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0, help="Stop with a checkpoint after this many minutes (0: none); run again to resume.")] = 0,
    resume: Annotated[bool, typer.Option("--resume/--restart", help="Continue the run in --run-dir if there is one.")] = True,
    start_from: Annotated[Optional[Path], typer.Option("--from", help="v3 models: start a new run from these exported weights (e.g. the shipped ones), at the step they were exported at; the optimiser starts afresh.")] = None,
    layout_dropout: Annotated[Optional[float], typer.Option("--layout-dropout", min=0, max=1, help="v3-keyframe: the share of samples trained with no entities, for layout guidance (default: the trainer's, 0.1).")] = None,
    entity_weight: Annotated[Optional[float], typer.Option("--entity-weight", min=0, help="v3-keyframe, v3-upscaler: the loss weight of a pixel inside an entity's box, the background's being 1 (default: the model's, keyframe 4, upscaler 1).")] = None,
    closer_share: Annotated[Optional[float], typer.Option("--closer-share", min=0, max=1, help="v3 models: the share of training clips seen through a closer camera (full, medium, close-up shots: figures as large as storyboards' shots make them; default: the trainer's, 0.25).")] = None,
    patch: Annotated[Optional[int], typer.Option("--patch", min=1, max=2, help="v3-keyframe, v3-upscaler: the cascade's small frames are 64x36 times this (2: 128x72, where thin parts such as a bicycle's frame survive); the keyframe model draws them, the upscaler learns to upscale them. A patch-2 keyframe run may start --from a patch-1 file (default: 1).")] = None,
    infill_pose: Annotated[Optional[str], typer.Option("--infill-pose", help="v3-infill: the target a walking figure is drawn in between two known frames: nearest (the pose of the end the box warp takes it from; the pose between is not in the model's inputs) or true (the world's own frame, as before 2026-12-03) (default: the trainer's, nearest).")] = None,
    export: Annotated[Optional[Path], typer.Option("--export", help="When done, write the weights (fp16 safetensors; the v2 models' EMA weights) here, e.g. renderers/tiny/weights/keyframe.safetensors.")] = None,
) -> None:
    """Train a tiny renderer model on the procedural world (CPU is fine at 32x32), with checkpoints and resume."""
    from director.errors import InputError

    try:
        from renderers.tiny.train import train_tiny as train
    except ImportError as e:
        raise InputError(f"training needs the tiny extra ({e}): pip install 'director[tiny]'") from None
    try:
        widths = tuple(int(v) for v in channels.split(",")) if channels else None
    except ValueError:
        raise InputError(f"--channels {channels!r} is not a comma-separated list of integers") from None
    if start_from is not None and not model.startswith("v3-"):
        raise InputError(f"--from is for the v3 models, not {model}")
    if start_from is not None and not start_from.is_file():
        raise InputError(f"--from {start_from}: no such weights file")
    if layout_dropout is not None and model != "v3-keyframe":
        raise InputError(f"--layout-dropout is for v3-keyframe, not {model}")
    if entity_weight is not None and model not in ("v3-keyframe", "v3-upscaler"):
        raise InputError(f"--entity-weight is for v3-keyframe and v3-upscaler, not {model}")
    if closer_share is not None and not model.startswith("v3-"):
        raise InputError(f"--closer-share is for the v3 models, not {model}")
    if patch is not None and model not in ("v3-keyframe", "v3-upscaler"):
        raise InputError(f"--patch is for v3-keyframe and v3-upscaler, not {model}")
    if infill_pose is not None and model != "v3-infill":
        raise InputError(f"--infill-pose is for v3-infill, not {model}")
    if infill_pose not in (None, "nearest", "true"):
        raise InputError(f"--infill-pose is nearest or true, not {infill_pose!r}")
    given = {"steps": steps, "batch_size": batch_size, "learning_rate": learning_rate, "channels": widths, "threads": threads,
             "start_from": str(start_from) if start_from is not None else None, "layout_dropout": layout_dropout,
             "entity_weight": entity_weight, "closer_share": closer_share, "infill_pose": infill_pose, "patch": patch}
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn(f"training {model}"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.4f}"),
                  TimeElapsedColumn(), TimeRemainingColumn()) as bar:
        tasks = []  # the bar's one task, added at the first step (the vocabulary has no steps, so no bar)

        def progress(step: int, total: int, loss: float) -> None:
            if not tasks:
                tasks.append(bar.add_task(model, total=total, loss=loss))
            bar.update(tasks[0], completed=step, loss=loss)

        trained = train(model, run_dir=run_dir, export_to=export, resume=resume, time_limit_minutes=time_limit, progress=progress,
                        seed=seed, **{name: value for name, value in given.items() if value is not None})
    if trained.run_dir is not None:
        typer.echo(f"checkpoints and log in {trained.run_dir}")
    if trained.exported is not None:
        typer.echo(f"wrote {trained.exported}")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"director {version('director')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Turn a script into a storyboard, and a storyboard into a movie."""


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
