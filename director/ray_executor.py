"""The `ray` executor: each level's jobs fan out over a Ray cluster.

- **Workers** are Ray actors, kept warm across levels and renders. Each builds
  its own renderer once, from the render's `RendererSpec` (one model per
  worker), and writes every job it finishes into the render's cache folder
  (the cache writes atomically, so processes share it safely). A cluster of
  several machines needs that folder on a filesystem they all mount at the
  same path.
- **Resources**: every worker reserves `cpus_per_worker` CPUs and the GPUs its
  renderer declares (`RendererInfo.gpus`); Ray then gives it its own GPU
  (`CUDA_VISIBLE_DEVICES`). By default there are as many workers as the
  cluster has room for.
- **Failures**: a worker that dies (killed, out of memory, its machine lost)
  is restarted by Ray, which runs the batch it held again, up to
  `max_retries` times; the other workers carry on. An error raised by the
  renderer is not retried: it is a bug, and it stops the render. Finished
  jobs are in the cache, so a re-run after any crash renders only what is
  missing.
- **Cluster**: `address` joins an existing one ("auto", "HOST:6379",
  "ray://HOST:10001"); without it a local cluster is started, and stopped
  again by `close()`. If this process is already connected to Ray, that
  connection is used (and left open).

Batches go to workers one at a time each, so a worker is never queued behind
another's work, and each finished batch is reported as soon as it lands.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from director.errors import InputError
from director.cache import FrameCache
from director.execute import JobTask, RendererSpec, RenderWork, batches
from director.renderer import RendererInfo


class RenderWorker:
    """One warm worker (a Ray actor): its own renderer, built once from the render's spec, writing into the
    cache folder each batch names (a worker outlives renders, and renders may use different caches)."""

    def __init__(self, spec: RendererSpec) -> None:
        self.spec = spec
        spec.renderer  # load the model now: a worker that cannot fails here, not mid-level
        self.caches: dict[str, FrameCache] = {}

    def render(self, batch: list[JobTask], cache_root: str) -> int:
        cache = self.caches.setdefault(cache_root, FrameCache(cache_root))
        RenderWork(cache, self.spec)(batch)
        return len(batch)

    def pid(self) -> int:
        return os.getpid()


class RayExecutor:
    """Runs each level's jobs on a Ray cluster: warm workers, one renderer each, results into the shared cache."""

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        cpus_per_worker: float = 1.0,
        max_retries: int = 3,
    ) -> None:
        """`address`: a cluster to join (None starts a local one); `workers`: how many (None: as many as fit);
        `max_retries`: how many times a batch is run again after its worker dies."""
        if workers is not None and workers < 1:
            raise InputError(f"`workers` must be at least 1, but is {workers}")
        if cpus_per_worker < 0:
            raise InputError(f"`cpus_per_worker` must not be negative, but is {cpus_per_worker}")
        if max_retries < 0:
            raise InputError(f"`max_retries` must not be negative, but is {max_retries}")
        self.address, self.workers, self.cpus_per_worker, self.max_retries = address, workers, cpus_per_worker, max_retries
        self._ray: Any = None
        self._started_ray = False
        self._pool: list[Any] = []
        self._pool_for: RendererSpec | None = None

    # The executor protocol ---------------------------------------------------------------------------

    def prepare(self, work: Callable[[list[JobTask]], None]) -> None:
        """Join or start the cluster and start the workers (each builds its renderer); wait until they are up."""
        ray = self._connect()
        work = self._checked(work)
        pool = self._workers_for(work)
        try:
            ray.get([actor.pid.remote() for actor in pool])
        except ray.exceptions.RayActorError as e:
            self.stop_workers()
            raise RuntimeError(f"Ray workers could not build the renderer {work.spec.name!r}: {e}") from e

    def run(self, tasks: Sequence[JobTask], work: Callable[[list[JobTask]], None], batch_size: int) -> Iterator[Sequence[JobTask]]:
        ray = self._connect()
        work = self._checked(work)
        pool = self._workers_for(work)
        cache_root = os.fspath(work.cache.root.resolve())
        queue = deque(batches(tasks, batch_size))
        idle = list(pool)
        running: dict[Any, list[JobTask]] = {}
        owner: dict[Any, Any] = {}
        while queue or running:
            while queue and idle:
                actor, batch = idle.pop(), queue.popleft()
                ref = actor.render.remote(batch, cache_root)
                running[ref], owner[ref] = batch, actor
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                batch, actor = running.pop(ref), owner.pop(ref)
                try:
                    ray.get(ref)
                except ray.exceptions.RayTaskError as e:  # the renderer raised: its own error, with the remote traceback
                    raise e.cause from e
                except ray.exceptions.RayActorError as e:
                    raise RuntimeError(
                        f"a Ray worker running a batch of {len(batch)} {batch[0].kind} job(s) (first key "
                        f"{batch[0].key[:12]}) died and could not be brought back ({self.max_retries} restarts "
                        f"allowed); finished jobs are cached, so running again resumes: {e}"
                    ) from e
                idle.append(actor)
                yield batch

    @staticmethod
    def _checked(work: Callable[[list[JobTask]], None]) -> RenderWork:
        if not isinstance(work, RenderWork) or work.spec is None:
            raise ValueError(
                "the ray executor needs the renderer by name (render_storyboard(board, RendererSpec(name, options), ...)) "
                "so that each worker can build its own"
            )
        return work

    def stop_workers(self) -> None:
        """Stop the warm workers (freeing their CPUs and GPUs) but stay connected; the next run starts new ones."""
        for actor in self._pool:
            self._ray.kill(actor)
        self._pool, self._pool_for = [], None

    def close(self) -> None:
        """Stop the workers, and the local cluster if this executor started it."""
        if self._ray is None:
            return
        self.stop_workers()
        if self._started_ray:
            self._ray.shutdown()
            self._started_ray = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Workers -----------------------------------------------------------------------------------------

    def worker_pids(self) -> list[int]:
        """The process id of every warm worker (for monitoring, and for tests that kill one)."""
        return self._ray.get([actor.pid.remote() for actor in self._pool]) if self._pool else []

    def actor_options(self, info: RendererInfo) -> dict[str, Any]:
        """What each worker reserves and how Ray restarts it: CPUs, the renderer's GPUs, retries."""
        return {
            "num_cpus": self.cpus_per_worker,
            "num_gpus": info.gpus,
            "max_restarts": self.max_retries,
            "max_task_retries": self.max_retries,
        }

    def _workers_for(self, work: RenderWork) -> list[Any]:
        if self._pool and self._pool_for == work.spec:
            return self._pool  # warm: the same renderer
        self.stop_workers()
        options = self.actor_options(work.info)
        count = self._worker_count(work.info)
        actor_class = self._ray.remote(**options)(RenderWorker)
        self._pool = [actor_class.remote(work.spec) for _ in range(count)]
        self._pool_for = work.spec
        return self._pool

    def _worker_count(self, info: RendererInfo) -> int:
        resources = self._ray.cluster_resources()
        gpus, cpus = resources.get("GPU", 0.0), resources.get("CPU", 0.0)
        if info.gpus > gpus:
            raise InputError(
                f"renderer {info.name!r} needs {info.gpus:g} GPU per worker, but the Ray cluster has {gpus:g}; "
                "join a cluster with GPUs (--address) or pick a CPU renderer"
            )
        if self.cpus_per_worker > cpus:
            raise InputError(f"each worker asks for {self.cpus_per_worker:g} CPUs, but the Ray cluster has {cpus:g}")
        if self.workers is not None:
            room = min(cpus / self.cpus_per_worker if self.cpus_per_worker else float("inf"), gpus / info.gpus if info.gpus else float("inf"))
            if self.workers > room:
                raise InputError(
                    f"{self.workers} workers need {self.workers * self.cpus_per_worker:g} CPUs and "
                    f"{self.workers * info.gpus:g} GPUs, but the Ray cluster has {cpus:g} and {gpus:g}; ask for fewer"
                )
            return self.workers
        fits = [cpus // self.cpus_per_worker if self.cpus_per_worker else float("inf")]
        if info.gpus:
            fits.append(gpus // info.gpus)
        return max(1, int(min(fits)))

    def _connect(self) -> Any:
        if self._ray is not None and self._ray.is_initialized():
            return self._ray
        try:
            import ray
        except ImportError:
            raise InputError("the ray executor needs Ray: pip install 'director[ray]'") from None
        self._ray = ray
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
            except ConnectionError as e:
                raise InputError(f"cannot join the Ray cluster at {self.address!r}: {e}") from None
            self._started_ray = True
        return ray
