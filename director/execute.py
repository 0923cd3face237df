"""Orchestration: walk every scene's timeline level by level and render the jobs.

`render_storyboard` plans each scene's timeline (`director.timeline`), then for
level 0, 1, 2 ... gathers that level's jobs across *all* scenes (they are
independent), skips those already in the cache, and hands the rest to an
executor in batches. Each finished job goes to the content-addressed cache at
once, so a killed render resumes without redoing finished jobs, and an edited
storyboard re-renders only the jobs its edit touched.

Every job's cache key follows from the storyboard alone (a job's key names the
keys of the jobs it is conditioned on), so the whole job graph, and which of
it is already cached, is known before anything renders: progress totals are
exact from the start, per level and per scene.

Executors receive a `RenderWork`: a picklable object that renders a batch and
stores it. It travels as the renderer's *spec* (registry name and options) and
the cache folder, so another process (a Ray worker) builds its own renderer
once and writes into the same cache.

Frames never pile up in memory: a job's known frames are read from the cache
when its batch runs, and `RenderedStoryboard.frame` reads frames back one at a
time for the encoder (through the cache's small LRU of jobs).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from director.cache import FrameCache, content_key
from director.renderer import FrameSpec, InfillJob, KeyframeRequest, Renderer, RendererInfo, SceneContext, check_frames, frame_spec, scene_context
from director.storyboard import Scene, Storyboard
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


@dataclass(frozen=True)
class RendererSpec:
    """How to build a renderer in another process: its registry name and keyword options."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, name: str, options: Mapping[str, Any] | None = None) -> RendererSpec:
        return cls(name, tuple(sorted((options or {}).items())))

    def create(self) -> Renderer:
        from director import registry

        return registry.create("renderer", self.name, **dict(self.options))


class RenderWork:
    """Renders a batch of same-kind job tasks and stores each result in the cache.

    Pickles as its renderer spec and cache folder only: an unpickled copy (in a Ray worker, say) builds its
    own renderer from the spec the first time it is called, keeps it, and opens the same cache folder."""

    def __init__(
        self, cache: FrameCache, renderer: Renderer | None = None, spec: RendererSpec | None = None
    ) -> None:
        if renderer is None and spec is None:
            raise ValueError("RenderWork needs a renderer or a renderer spec")
        self.cache, self.spec, self._renderer = cache, spec, renderer

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            assert self.spec is not None
            self._renderer = self.spec.create()
        return self._renderer

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
        self.cache, self.spec, self._renderer = FrameCache(Path(state["cache_root"])), state["spec"], None


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


@dataclass
class RenderedScene:
    scene: Scene
    plan: TimelinePlan
    refs: list[FrameRef]  # frame index -> where it is cached

    @property
    def num_frames(self) -> int:
        return len(self.refs)


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


def render_storyboard(
    board: Storyboard,
    renderer: Renderer,
    cache: FrameCache,
    *,
    executor: Executor | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    schedule: Schedule = "hierarchical",
    renderer_spec: RendererSpec | None = None,
    watch: ProgressWatcher | None = None,
) -> RenderedStoryboard:
    """Render every frame of every scene into `cache`, level by level; return where each frame is.

    `schedule` picks the timeline (`director.timeline`); `renderer_spec` says how other processes can build
    `renderer` (executors that render elsewhere need it); `watch` receives a `RenderProgress` snapshot as
    the render advances."""
    executor = executor or LocalExecutor()
    started = time.perf_counter()
    window = renderer.info.window
    contexts = [scene_context(board, scene) for scene in board.scenes]
    plans = [plan_timeline(scene.num_frames(board.fps), window, schedule) for scene in board.scenes]
    refs: list[list[FrameRef | None]] = [[None] * plan.num_frames for plan in plans]
    depth = max(plan.depth for plan in plans)
    stats = RenderStats(frames=sum(p.num_frames for p in plans), schedule=schedule, steps=depth)
    context_content = [_context_content(c) for c in contexts]

    # 1. The whole job graph: every key follows from the storyboard and the keys of earlier levels.
    to_render: list[list[JobTask]] = []
    scene_of: dict[str, str] = {}
    for level in range(depth):
        tasks: list[JobTask] = []
        for s, (scene, plan) in enumerate(zip(board.scenes, plans, strict=True)):
            if level >= plan.depth:
                continue
            for window_ in plan.levels[level]:
                task = _job_task(board, scene, contexts[s], context_content[s], window_, refs[s], renderer, seed)
                for position, index in enumerate(window_.targets):
                    refs[s][index] = FrameRef(task.key, position)
                stats.jobs += 1
                if cache.has(task.key):
                    stats.jobs_cached += 1
                else:
                    tasks.append(task)
                    scene_of[task.key] = scene.id
                    stats.rendered_by_scene[scene.id] = stats.rendered_by_scene.get(scene.id, 0) + 1
        to_render.append(tasks)

    # 2. Progress bars with exact totals: a stage per level (one for all autoregressive windows), a bar per scene.
    stages = [_stage_name(schedule, level) for level in range(depth)]
    stage_total = {name: 0 for name in stages}
    for name, tasks in zip(stages, to_render, strict=True):
        stage_total[name] += len(tasks)
    stage_done = dict.fromkeys(stage_total, 0)
    scene_total = {scene.id: stats.rendered_by_scene.get(scene.id, 0) for scene in board.scenes}
    scene_done = dict.fromkeys(scene_total, 0)
    render_started: float | None = None

    def snapshot(finished: bool = False) -> RenderProgress:
        now = time.perf_counter()
        return RenderProgress(
            jobs=stats.jobs,
            cached=stats.jobs_cached,
            rendered=stats.jobs_rendered,
            levels=tuple(StageProgress(n, stage_done[n], t) for n, t in stage_total.items()),
            scenes=tuple(StageProgress(n, scene_done[n], t) for n, t in scene_total.items()),
            elapsed=now - started,
            render_seconds=0.0 if render_started is None else now - render_started,
            finished=finished,
        )

    # 3. Executors with workers start them now, so the bars and the ETA time rendering, not start-up.
    work = RenderWork(cache, renderer, renderer_spec)
    prepare = getattr(executor, "prepare", None)
    if prepare is not None and any(to_render):
        if progress:
            progress("start workers", 0, 1)
        prepare(work)
        if progress:
            progress("start workers", 1, 1)
    if watch:
        watch(snapshot())
    if progress:
        for name, total in stage_total.items():
            progress(name, 0, total)

    # 4. Level by level: everything a level needs was made by the levels before it.
    for stage, tasks in zip(stages, to_render, strict=True):
        if not tasks:
            continue
        if render_started is None:
            render_started = time.perf_counter()
        for finished in executor.run(tasks, work, renderer.info.max_batch):
            stats.jobs_rendered += len(finished)
            stage_done[stage] += len(finished)
            for task in finished:
                scene_done[scene_of[task.key]] += 1
            if progress:
                progress(stage, stage_done[stage], stage_total[stage])
            if watch:
                watch(snapshot())

    stats.seconds = time.perf_counter() - started
    if watch:
        watch(snapshot(finished=True))
    scenes = [
        RenderedScene(scene, plan, [ref for ref in scene_refs if ref is not None])
        for scene, plan, scene_refs in zip(board.scenes, plans, refs, strict=True)
    ]
    return RenderedStoryboard(board, scenes, cache, stats)


def _stage_name(schedule: Schedule, level: int) -> str:
    if schedule == "autoregressive":
        return AUTOREGRESSIVE_STAGE
    return f"level {level}" + (" (keyframes)" if level == 0 else "")


def _context_content(context: SceneContext) -> dict:
    """The parts of a scene context that change pixels (its id and the scene graph's bookkeeping do not)."""
    return {
        "heading": context.heading,
        "prompt": context.prompt,
        "background": context.background,
        "style": context.style,
        "entities": [e.model_dump(mode="json") for e in context.entities],
        "relations": [r.model_dump(mode="json") for r in context.relations],
        "size": [context.width, context.height],
    }


def _spec_content(spec: FrameSpec) -> dict:
    return {
        "t": round(spec.t, 6),
        "boxes": {k: [b.x0, b.y0, b.x1, b.y1] for k, b in spec.boxes.items()},
        "captions": [[c.speaker, c.speaker_name, c.text] for c in spec.captions],
    }


def _job_task(
    board: Storyboard,
    scene: Scene,
    context: SceneContext,
    context_content: dict,
    window: Window,
    scene_refs: list[FrameRef | None],
    renderer: Renderer,
    seed: int,
) -> JobTask:
    frames = tuple(frame_spec(board, scene, index) for index in window.frames)
    known: list[tuple[int, FrameRef]] = []
    for index in window.known:
        ref = scene_refs[index]
        assert ref is not None, f"frame {index} of {scene.id} is needed before it is made"
        known.append((index, ref))
    content = {
        "renderer": renderer.fingerprint,
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
