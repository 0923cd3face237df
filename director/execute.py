"""Orchestration: plan every scene's jobs, then render them level by level.

A render is two steps, one way:

1. `plan_jobs(board, fingerprint, window, seed, schedule) -> JobGraph` is pure:
   it plans each *shot's* timeline (`director.timeline`) and makes every job of
   every level, each with its cache key, and says where every frame of every
   scene will be. A job's key follows from the storyboard, the renderer's
   fingerprint and the seed alone (it names the keys of the jobs it is
   conditioned on), so the whole job graph is known before anything renders.
   Cuts between shots are hard cuts: each shot has a timeline of its own, so
   no window spans a cut and no frame of one shot conditions another, and a
   job's key names its shot's framing and frames, never the other shots: an
   edited shot re-renders that shot alone. A scene with no shots listed is one
   wide static shot, whose jobs and keys are those of the whole-scene timeline
   the renderer drew before shots existed.
2. `run_jobs(graph, work, executor)` checks which jobs the cache already holds
   (each entry is verified; one that is not what its key promises is rendered
   again, with a `CacheEntryWarning`), then for level 0, 1, 2 ... hands that
   level's missing jobs across *all* scenes (they are independent) to an
   executor in batches. Each finished job goes to the content-addressed cache
   at once, so a killed render resumes without redoing finished jobs, and an
   edited storyboard re-renders only the jobs its edit touched. Progress
   totals are exact from the start, per level and per scene.

`render_storyboard` is the two in a row. Executors receive a `RenderWork`: a
picklable object that renders a batch and stores it. It holds the renderer as
one thing, either an object (rendered in this process only) or a
`RendererSpec` (registry name and options, built once per process), which is
how it travels: another process (a Ray worker) builds its own renderer from
the spec and writes into the same cache folder.

Frames never pile up in memory: a job's known frames are read from the cache
when its batch runs, and `RenderedStoryboard.frame` reads frames back one at a
time for the encoder (through the cache's small LRU of jobs).
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from director.cache import BadEntry, CacheEntryWarning, FrameCache, content_key
from director.renderer import FrameSpec, InfillJob, KeyframeRequest, Renderer, RendererInfo, SceneContext, check_frames, frame_spec, scene_context
from director.storyboard import Scene, Shot, Storyboard
from director.timeline import Schedule, TimelinePlan, Window, plan_timeline

ProgressCallback = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; `stage` names a bar ('level 1', 'encode')."""

AUTOREGRESSIVE_STAGE = "windows (autoregressive)"
"""The one progress stage of an autoregressive render: its hundreds of one-window levels as one bar."""


@dataclass(frozen=True)
class FrameRef:
    """Where a frame's pixels are: position `position` of the cached job `job`."""

    job: str
    position: int


@dataclass(frozen=True)
class JobTask:
    """One job, as plain picklable data: what to make and where its known frames are cached."""

    key: str
    kind: Literal["keyframes", "infill"]
    scene: SceneContext
    frames: tuple[FrameSpec, ...]
    known: tuple[tuple[int, FrameRef], ...]  # frame index -> where that frame is cached
    seed: int

    @property
    def num_targets(self) -> int:
        return len(self.frames) - len(self.known)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """The frames this job makes: (frames, height, width, channels)."""
        return (self.num_targets, self.scene.height, self.scene.width, 3)


class RendererSpec:
    """A renderer by registry name and keyword options: built once per process, the first time it is used
    (`renderer`), and pickled as its name and options alone, so another process builds its own."""

    def __init__(self, name: str, options: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.options: tuple[tuple[str, Any], ...] = tuple(sorted((options or {}).items()))
        self._built: Renderer | None = None

    @classmethod
    def of(cls, name: str, options: Mapping[str, Any] | None = None) -> RendererSpec:
        return cls(name, options)

    def create(self) -> Renderer:
        """A new renderer from the registry (see `renderer` for the one this process shares)."""
        from director import registry

        return registry.create("renderer", self.name, **dict(self.options))

    @property
    def renderer(self) -> Renderer:
        """This process's renderer of this spec, built on first use."""
        if self._built is None:
            self._built = self.create()
        return self._built

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RendererSpec) and (self.name, self.options) == (other.name, other.options)

    def __hash__(self) -> int:
        return hash((self.name, self.options))

    def __repr__(self) -> str:
        return f"RendererSpec({self.name!r}, {dict(self.options)!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name, self.options, self._built = state["name"], state["options"], None


class RenderWork:
    """Renders a batch of same-kind job tasks with one renderer and stores each result in the cache.

    The renderer is an object (this process only) or a `RendererSpec`. Pickles as the spec and the cache
    folder: an unpickled copy (in a Ray worker, say) builds its own renderer the first time it is called,
    keeps it, and opens the same cache folder."""

    def __init__(self, cache: FrameCache, renderer: Renderer | RendererSpec) -> None:
        self.cache = cache
        self.spec = renderer if isinstance(renderer, RendererSpec) else None
        self._object = None if self.spec is not None else renderer

    @property
    def renderer(self) -> Renderer:
        return self.spec.renderer if self.spec is not None else self._object

    @property
    def info(self) -> RendererInfo:
        return self.renderer.info

    def __call__(self, batch: list[JobTask]) -> None:
        _render_batch(self.renderer, self.cache, batch)

    def __getstate__(self) -> dict[str, Any]:
        if self.spec is None:
            raise TypeError(
                "this render's renderer was given as an object, not by name; to render in other processes, "
                "give a RendererSpec (registry name and options) so each process can build its own"
            )
        return {"cache_root": os.fspath(self.cache.root), "spec": self.spec}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.cache, self.spec, self._object = FrameCache(Path(state["cache_root"])), state["spec"], None


class Executor(Protocol):
    """Runs a level's job tasks; `work(batch)` renders a batch and writes it to the cache.

    `work` is a picklable `RenderWork` (executors that run jobs elsewhere ship it there). Executors that
    hold resources (a cluster, workers) may also have `prepare(work)`, called once before a render's first
    job (to start them), and `close()`."""

    def run(self, tasks: Sequence[JobTask], work: Callable[[list[JobTask]], None], batch_size: int) -> Iterator[Sequence[JobTask]]:
        """Run every task; yield each batch of tasks as it finishes (in any order)."""
        ...


class LocalExecutor:
    """Runs jobs in this process, in batches of the renderer's size (one kind of job per batch)."""

    def run(self, tasks: Sequence[JobTask], work: Callable[[list[JobTask]], None], batch_size: int) -> Iterator[Sequence[JobTask]]:
        for batch in batches(tasks, batch_size):
            work(batch)
            yield batch


def batches(tasks: Sequence[JobTask], batch_size: int) -> Iterator[list[JobTask]]:
    """The tasks in batches of at most `batch_size`, keyframe requests first, one kind of job per batch."""
    for kind in ("keyframes", "infill"):
        same_kind = [t for t in tasks if t.kind == kind]
        for start in range(0, len(same_kind), batch_size):
            yield same_kind[start : start + batch_size]


@dataclass(frozen=True)
class StageProgress:
    """One bar: a level of the schedule (or all autoregressive windows), or one scene."""

    name: str
    done: int
    total: int


@dataclass(frozen=True)
class RenderProgress:
    """A snapshot of a render, exact from the start: every job's key is known before any renders."""

    jobs: int  # every job of every scene
    cached: int  # found in the cache when the render started
    rendered: int  # rendered so far by this run
    levels: tuple[StageProgress, ...]  # jobs to render, per progress stage
    scenes: tuple[StageProgress, ...]  # jobs to render, per scene (name = scene id)
    elapsed: float  # seconds since the render started
    render_seconds: float  # seconds spent since the first batch was handed to the executor
    finished: bool = False
    scenes_with_work: int = 0  # scenes with jobs to render
    scenes_finished: int = 0  # of those, the scenes whose every job is rendered

    @property
    def to_render(self) -> int:
        return self.jobs - self.cached

    @property
    def seconds_per_job(self) -> float | None:
        """Measured wall seconds per job so far (None before the first job finishes)."""
        return self.render_seconds / self.rendered if self.rendered else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate measured so far (None until there is a rate)."""
        rate = self.seconds_per_job
        return None if rate is None else rate * (self.to_render - self.rendered)


ProgressWatcher = Callable[[RenderProgress], None]
"""watch(snapshot): called when a render starts, after each finished batch, and when it ends."""


@dataclass
class RenderStats:
    jobs: int = 0
    jobs_rendered: int = 0
    jobs_cached: int = 0
    frames: int = 0
    seconds: float = 0.0
    rendered_by_scene: dict[str, int] = field(default_factory=dict)
    schedule: Schedule = "hierarchical"
    steps: int = 0  # levels walked: what must run one after another
    jobs_redone: int = 0  # cached jobs whose entry could not be used (corrupt, another shape): rendered again


@dataclass(frozen=True)
class ShotPlan:
    """One shot of a scene and its own timeline: the shot's frames are planned apart from the other shots'
    (a hard cut), so no window spans two shots."""

    shot: Shot
    frames: range  # the scene frame indices the shot shows
    plan: TimelinePlan  # in the shot's own frame indices: 0 is the scene's frame `frames.start`

    def windows(self, level: int) -> tuple[Window, ...]:
        """The plan's windows of `level`, in scene frame indices."""
        offset = self.frames.start
        return tuple(
            Window(w.level, tuple(i + offset for i in w.frames), tuple(i + offset for i in w.known)) for w in self.plan.levels[level]
        )

    @property
    def keyframes(self) -> tuple[int, ...]:
        """The scene frame indices of the shot's keyframes."""
        return tuple(i + self.frames.start for i in self.plan.keyframes)


@dataclass
class RenderedScene:
    scene: Scene
    shots: tuple[ShotPlan, ...]  # each shot's frames and timeline, in order
    refs: list[FrameRef]  # frame index -> where it is cached

    @property
    def num_frames(self) -> int:
        return len(self.refs)

    @property
    def keyframes(self) -> tuple[int, ...]:
        """The scene frame indices of every shot's keyframes, in order."""
        return tuple(i for shot in self.shots for i in shot.keyframes)

    @property
    def plan(self) -> TimelinePlan:
        """The scene's windows level by level, in scene frame indices: for a scene of one shot (every scene
        without shots) that shot's plan; for a scene cut into shots, every shot's windows of a level together.
        Its `keyframes` are then the first shot's only: `RenderedScene.keyframes` has every shot's."""
        if len(self.shots) == 1:
            return self.shots[0].plan
        depth = max(shot.plan.depth for shot in self.shots)
        levels = tuple(
            tuple(w for shot in self.shots if level < shot.plan.depth for w in shot.windows(level)) for level in range(depth)
        )
        return TimelinePlan(self.num_frames, self.shots[0].plan.window, levels, self.shots[0].plan.schedule)


@dataclass
class RenderedStoryboard:
    """A rendered storyboard: every frame is in the cache; read them back one at a time."""

    board: Storyboard
    scenes: list[RenderedScene]
    cache: FrameCache
    stats: RenderStats

    def frame(self, scene_index: int, frame_index: int) -> np.ndarray:
        ref = self.scenes[scene_index].refs[frame_index]
        return self.cache.frame(ref.job, ref.position)

    def iter_frames(self, scene_index: int) -> Iterator[np.ndarray]:
        for i in range(self.scenes[scene_index].num_frames):
            yield self.frame(scene_index, i)


@dataclass(frozen=True)
class JobGraph:
    """Every job of a render, level by level across all scenes, and where every frame of every scene will be.
    Pure data, made before anything renders (`plan_jobs`)."""

    board: Storyboard
    schedule: Schedule
    scenes: tuple[RenderedScene, ...]  # each scene's timeline plan and, per frame, the job that makes it
    levels: tuple[tuple[JobTask, ...], ...]  # level -> its jobs; a level's jobs need only earlier levels

    @property
    def jobs(self) -> int:
        return sum(len(level) for level in self.levels)

    @property
    def frames(self) -> int:
        return sum(scene.num_frames for scene in self.scenes)

    @property
    def stages(self) -> tuple[str, ...]:
        """The progress stage of each level (every autoregressive window is one stage)."""
        return tuple(_stage_name(self.schedule, level) for level in range(len(self.levels)))


def plan_shots(board: Storyboard, window: int, schedule: Schedule = "hierarchical") -> tuple[tuple[ShotPlan, ...], ...]:
    """Every scene's shots, each with its own timeline of `window`-frame windows (scene -> its shots, in order)."""
    return tuple(
        tuple(ShotPlan(shot, frames, plan_timeline(len(frames), window, schedule)) for shot, frames in scene.shot_frames(board.fps))
        for scene in board.scenes
    )


def plan_jobs(
    board: Storyboard, fingerprint: str, window: int, *, seed: int = 0, schedule: Schedule = "hierarchical",
    cast_in_keys: bool = False,
) -> JobGraph:
    """The job graph of rendering `board` with the renderer of `fingerprint` and window `window`: no I/O.

    Each shot of each scene gets its own timeline; level k of the graph is level k of every shot's timeline.
    Every key follows from the storyboard, the fingerprint, the seed and the keys of earlier levels.
    `cast_in_keys`: the renderer chooses each look across the whole cast ("cast" in its `RendererInfo.supports`),
    so every key also holds the whole cast (in any order), not only the entities of its scene."""
    cast = content_key(sorted((e.model_dump(mode="json") for e in board.entities), key=lambda e: e["id"])) if cast_in_keys else None
    shots: list[list[_ShotJobs]] = []
    for scene, shot_plans in zip(board.scenes, plan_shots(board, window, schedule), strict=True):
        scene_shots = []
        for shot_plan in shot_plans:
            context = scene_context(board, scene, shot_plan.shot)
            scene_shots.append(_ShotJobs(shot_plan, context, _context_content(context, cast)))
        shots.append(scene_shots)
    refs: list[list[FrameRef | None]] = [[None] * scene.num_frames(board.fps) for scene in board.scenes]
    levels: list[tuple[JobTask, ...]] = []
    for level in range(max(s.plan.plan.depth for scene_shots in shots for s in scene_shots)):
        tasks: list[JobTask] = []
        for s, (scene, scene_shots) in enumerate(zip(board.scenes, shots, strict=True)):
            for shot in scene_shots:
                if level >= shot.plan.plan.depth:
                    continue
                for window_ in shot.plan.windows(level):
                    task = _job_task(board, scene, shot.context, shot.content, window_, refs[s], fingerprint, seed)
                    for position, index in enumerate(window_.targets):
                        refs[s][index] = FrameRef(task.key, position)
                    tasks.append(task)
        levels.append(tuple(tasks))
    scenes = tuple(
        RenderedScene(scene, tuple(s.plan for s in scene_shots), [ref for ref in scene_refs if ref is not None])
        for scene, scene_shots, scene_refs in zip(board.scenes, shots, refs, strict=True)
    )
    return JobGraph(board, schedule, scenes, tuple(levels))


@dataclass(frozen=True)
class _ShotJobs:
    """What every job of one shot shares while the graph is planned."""

    plan: ShotPlan
    context: SceneContext
    content: dict  # the context's part of every key


def run_jobs(
    graph: JobGraph,
    work: RenderWork,
    *,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    watch: ProgressWatcher | None = None,
) -> RenderedStoryboard:
    """Render the jobs of `graph` the cache lacks, level by level, with `work` (its renderer and cache).

    `progress(stage, done, total)` hears each level (and the workers' start); `watch` receives a
    `RenderProgress` snapshot when the render starts, after each finished batch, and when it ends."""
    executor = executor or LocalExecutor()
    started = time.perf_counter()
    stats = RenderStats(frames=graph.frames, schedule=graph.schedule, steps=len(graph.levels))

    # 1. What the cache holds: every entry is checked, and one that cannot be used is made again.
    to_render: list[list[JobTask]] = []
    unusable: list[BadEntry] = []
    for tasks in graph.levels:
        missing = []
        for task in tasks:
            found = work.cache.check(task.key, task.shape)
            if found is True:
                stats.jobs_cached += 1
                continue
            if isinstance(found, BadEntry):
                unusable.append(found)
            missing.append(task)
            stats.rendered_by_scene[task.scene.scene_id] = stats.rendered_by_scene.get(task.scene.scene_id, 0) + 1
        to_render.append(missing)
    stats.jobs = graph.jobs
    stats.jobs_redone = len(unusable)
    if unusable:
        shown = "; ".join(f"{bad.key[:12]} {bad.reason}" for bad in unusable[:3])
        more = f"; and {len(unusable) - 3} more" if len(unusable) > 3 else ""
        warnings.warn(
            CacheEntryWarning(
                f"{len(unusable)} cached job(s) in {work.cache.root} could not be used and are rendered again: {shown}{more}"
            ),
            stacklevel=2,
        )

    # 2. Executors with workers start them now, so the bars and the ETA time rendering, not start-up.
    tracker = _Tracker(graph, to_render, stats, started)
    prepare = getattr(executor, "prepare", None)
    if prepare is not None and any(to_render):
        if progress:
            progress("start workers", 0, 1)
        prepare(work)
        if progress:
            progress("start workers", 1, 1)
    if watch:
        watch(tracker.snapshot())
    if progress:
        for name, total in tracker.stage_total.items():
            progress(name, 0, total)

    # 3. Level by level: everything a level needs was made by the levels before it.
    for stage, tasks in zip(graph.stages, to_render, strict=True):
        if not tasks:
            continue
        tracker.start_rendering()
        for finished in executor.run(tasks, work, work.info.max_batch):
            tracker.finished(stage, finished)
            if progress:
                progress(stage, tracker.stage_done[stage], tracker.stage_total[stage])
            if watch:
                watch(tracker.snapshot())

    stats.seconds = time.perf_counter() - started
    if watch:
        watch(tracker.snapshot(finished=True))
    return RenderedStoryboard(graph.board, list(graph.scenes), work.cache, stats)


def render_storyboard(
    board: Storyboard,
    renderer: Renderer | RendererSpec,
    cache: FrameCache,
    *,
    executor: Executor | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    schedule: Schedule = "hierarchical",
    watch: ProgressWatcher | None = None,
) -> RenderedStoryboard:
    """Render every frame of every scene into `cache`, level by level; return where each frame is.

    `renderer` is an object, or a `RendererSpec` (needed by executors that render in other processes);
    `schedule` picks the timeline (`director.timeline`); see `run_jobs` for `progress` and `watch`."""
    work = RenderWork(cache, renderer)
    graph = plan_jobs(board, work.renderer.fingerprint, work.info.window, seed=seed, schedule=schedule,
                      cast_in_keys="cast" in work.info.supports)
    return run_jobs(graph, work, executor=executor, progress=progress, watch=watch)


class _Tracker:
    """The counts behind progress snapshots, updated per finished batch in time proportional to the batch
    (a board of many scenes must not cost a pass over every scene per batch)."""

    def __init__(self, graph: JobGraph, to_render: list[list[JobTask]], stats: RenderStats, started: float) -> None:
        self.stats, self.started = stats, started
        self.stage_total = dict.fromkeys(graph.stages, 0)
        for name, tasks in zip(graph.stages, to_render, strict=True):
            self.stage_total[name] += len(tasks)
        self.stage_done = dict.fromkeys(self.stage_total, 0)
        self.scene_index = {scene.scene.id: i for i, scene in enumerate(graph.scenes)}
        self.scenes = [StageProgress(s.scene.id, 0, stats.rendered_by_scene.get(s.scene.id, 0)) for s in graph.scenes]
        self.scenes_with_work = sum(1 for s in self.scenes if s.total)
        self.scenes_finished = 0
        self.render_started: float | None = None

    def start_rendering(self) -> None:
        if self.render_started is None:
            self.render_started = time.perf_counter()

    def finished(self, stage: str, batch: Sequence[JobTask]) -> None:
        self.stats.jobs_rendered += len(batch)
        self.stage_done[stage] += len(batch)
        for task in batch:
            i = self.scene_index[task.scene.scene_id]
            scene = self.scenes[i]
            self.scenes[i] = scene = StageProgress(scene.name, scene.done + 1, scene.total)
            if scene.done == scene.total:
                self.scenes_finished += 1

    def snapshot(self, finished: bool = False) -> RenderProgress:
        now = time.perf_counter()
        return RenderProgress(
            jobs=self.stats.jobs,
            cached=self.stats.jobs_cached,
            rendered=self.stats.jobs_rendered,
            levels=tuple(StageProgress(n, self.stage_done[n], t) for n, t in self.stage_total.items()),
            scenes=tuple(self.scenes),
            elapsed=now - self.started,
            render_seconds=0.0 if self.render_started is None else now - self.render_started,
            finished=finished,
            scenes_with_work=self.scenes_with_work,
            scenes_finished=self.scenes_finished,
        )


def _stage_name(schedule: Schedule, level: int) -> str:
    if schedule == "autoregressive":
        return AUTOREGRESSIVE_STAGE
    return f"level {level}" + (" (keyframes)" if level == 0 else "")


def _context_content(context: SceneContext, cast: str | None = None) -> dict:
    """The parts of a shot's context that change pixels (ids and the scene graph's bookkeeping do not).

    The shot's framing is part of it unless it is a default shot (wide, eye level, static, framing no one,
    undescribed): such a shot shows the layout as a scene without shots did, so its jobs keep those keys
    and caches made before shots existed stay valid. The shot's id is not part of it, nor its start and
    end (its frames' times are, in each frame's part of the key). `cast`, the digest of the whole cast, is part
    of it for renderers that choose looks across the cast."""
    content = {
        "heading": context.heading,
        "prompt": context.prompt,
        "background": context.background,
        "style": context.style,
        "entities": [e.model_dump(mode="json") for e in context.entities],
        "relations": [r.model_dump(mode="json") for r in context.relations],
        "size": [context.width, context.height],
    }
    framing = None if context.shot is None else shot_framing(context.shot)
    if framing is not None:
        content["shot"] = framing
    if cast is not None:
        content["cast"] = cast
    return content


_SHOT_PLACE = ("id", "start", "end")


def shot_framing(shot: Shot) -> dict | None:
    """How `shot` frames the scene (size, angle, pov, move, subjects, description) as plain data, or None for
    a default shot: wide, eye level, static, no subjects, no description (the whole layout, as drawn
    before shots existed)."""
    framing = shot.model_dump(mode="json", exclude=set(_SHOT_PLACE))
    default = Shot(id="shot", start=0.0, end=1.0).model_dump(mode="json", exclude=set(_SHOT_PLACE))
    return None if framing == default else framing


def _spec_content(spec: FrameSpec) -> dict:
    content = {
        "t": round(spec.t, 6),
        "boxes": {k: [b.x0, b.y0, b.x1, b.y1] for k, b in spec.boxes.items()},
        "captions": [[c.speaker, c.speaker_name, c.text] for c in spec.captions],
    }
    if spec.cropped:  # only where a shot crops someone: every other job keeps its key
        content["cropped"] = {k: [round(v, 6) for v in box] for k, box in spec.cropped.items()}
    return content


def _job_task(
    board: Storyboard,
    scene: Scene,
    context: SceneContext,
    context_content: dict,
    window: Window,
    scene_refs: list[FrameRef | None],
    fingerprint: str,
    seed: int,
) -> JobTask:
    frames = tuple(frame_spec(board, scene, index, context.shot) for index in window.frames)  # the window is one shot's
    known: list[tuple[int, FrameRef]] = []
    for index in window.known:
        ref = scene_refs[index]
        assert ref is not None, f"frame {index} of {scene.id} is needed before it is made"
        known.append((index, ref))
    content = {
        "renderer": fingerprint,
        "kind": "keyframes" if window.level == 0 else "infill",
        "context": context_content,
        "frames": [_spec_content(f) for f in frames],
        "known": [[index, ref.job, ref.position] for index, ref in known],
        "seed": seed,
    }
    key = content_key(content)
    job_seed = int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:4], "big")
    kind: Literal["keyframes", "infill"] = "keyframes" if window.level == 0 else "infill"
    return JobTask(key, kind, context, frames, tuple(known), job_seed)


def _render_batch(renderer: Renderer, cache: FrameCache, batch: list[JobTask]) -> None:
    """Render one batch of same-kind tasks and store each result."""
    if batch[0].kind == "keyframes":
        outputs = renderer.keyframes([KeyframeRequest(t.scene, t.frames, t.seed) for t in batch])
    else:
        jobs = [
            InfillJob(t.scene, t.frames, {index: cache.frame(ref.job, ref.position) for index, ref in t.known}, t.seed)
            for t in batch
        ]
        outputs = renderer.infill(jobs)
    if len(outputs) != len(batch):
        raise RuntimeError(f"renderer {renderer.info.name!r} returned {len(outputs)} results for {len(batch)} jobs")
    for task, frames in zip(batch, outputs, strict=True):
        check_frames(frames, task.num_targets, task.scene.width, task.scene.height, renderer.info.name)
        cache.store(task.key, frames)
