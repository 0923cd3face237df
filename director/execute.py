"""Orchestration: walk every scene's timeline level by level and render the jobs.

`render_storyboard` plans each scene's timeline (`director.timeline`), then for
level 0, 1, 2 ... gathers that level's jobs across *all* scenes (they are
independent), skips those already in the cache, and hands the rest to an
executor in batches. Each finished job goes to the content-addressed cache at
once, so a killed render resumes without redoing finished jobs, and an edited
storyboard re-renders only the jobs its edit touched.

Frames never pile up in memory: a job's known frames are read from the cache
when its batch runs, and `RenderedStoryboard.frame` reads frames back one at a
time for the encoder (through the cache's small LRU of jobs).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from director.cache import FrameCache, content_key
from director.renderer import Caption, FrameSpec, InfillJob, KeyframeRequest, Renderer, SceneContext, check_frames
from director.storyboard import Scene, Storyboard
from director.timeline import TimelinePlan, Window, plan_timeline

ProgressCallback = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; `stage` names a bar ('level 1', 'encode')."""


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


class Executor(Protocol):
    """Runs a level's job tasks; `work(batch)` renders a batch and writes it to the cache."""

    def run(self, tasks: Sequence[JobTask], work: Callable[[list[JobTask]], None], batch_size: int) -> Iterator[int]:
        """Run every task; yield the number of tasks finished as batches complete."""
        ...


class LocalExecutor:
    """Runs jobs in this process, in batches of the renderer's size (one kind of job per batch)."""

    def run(self, tasks: Sequence[JobTask], work: Callable[[list[JobTask]], None], batch_size: int) -> Iterator[int]:
        for kind in ("keyframes", "infill"):
            same_kind = [t for t in tasks if t.kind == kind]
            for start in range(0, len(same_kind), batch_size):
                batch = same_kind[start : start + batch_size]
                work(batch)
                yield len(batch)


@dataclass
class RenderStats:
    jobs: int = 0
    jobs_rendered: int = 0
    jobs_cached: int = 0
    frames: int = 0
    seconds: float = 0.0
    rendered_by_scene: dict[str, int] = field(default_factory=dict)


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


def scene_context(board: Storyboard, scene: Scene) -> SceneContext:
    return SceneContext(
        scene_id=scene.id,
        heading=scene.heading,
        prompt=scene.description,
        background=scene.background,
        style=board.style,
        entities=tuple(board.entity(entity_id) for entity_id in scene.entities),
        relations=tuple(scene.relations),
        width=board.width,
        height=board.height,
    )


def frame_spec(board: Storyboard, scene: Scene, index: int) -> FrameSpec:
    """What frame `index` of `scene` must show: its time, boxes and the lines spoken then."""
    t = index / board.fps
    names = {e.id: e.name for e in board.entities}
    captions = tuple(
        Caption(line.speaker, names.get(line.speaker) if line.speaker else None, line.text) for line in scene.dialogue_at(t)
    )
    boxes = {entity_id: box for entity_id, box in sorted(scene.layout_at(t).items())}
    return FrameSpec(index=index, t=t, boxes=boxes, captions=captions)


def render_storyboard(
    board: Storyboard,
    renderer: Renderer,
    cache: FrameCache,
    *,
    executor: Executor | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> RenderedStoryboard:
    """Render every frame of every scene into `cache`, level by level; return where each frame is."""
    executor = executor or LocalExecutor()
    started = time.perf_counter()
    window = renderer.info.window
    contexts = [scene_context(board, scene) for scene in board.scenes]
    plans = [plan_timeline(scene.num_frames(board.fps), window) for scene in board.scenes]
    refs: list[list[FrameRef | None]] = [[None] * plan.num_frames for plan in plans]
    stats = RenderStats(frames=sum(p.num_frames for p in plans))
    context_content = [_context_content(c) for c in contexts]

    for level in range(max(plan.depth for plan in plans)):
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
                    stats.rendered_by_scene[scene.id] = stats.rendered_by_scene.get(scene.id, 0) + 1
        stage = f"level {level}" + (" (keyframes)" if level == 0 else "")
        done = 0
        if progress:
            progress(stage, 0, len(tasks))
        for finished in executor.run(tasks, lambda batch: _render_batch(renderer, cache, batch), renderer.info.max_batch):
            done += finished
            stats.jobs_rendered += finished
            if progress:
                progress(stage, done, len(tasks))

    stats.seconds = time.perf_counter() - started
    scenes = [
        RenderedScene(scene, plan, [ref for ref in scene_refs if ref is not None])
        for scene, plan, scene_refs in zip(board.scenes, plans, refs, strict=True)
    ]
    return RenderedStoryboard(board, scenes, cache, stats)


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
