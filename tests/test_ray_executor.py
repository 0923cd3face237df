"""The ray executor on a real local Ray cluster (2 CPUs, 2 workers): same frames as local rendering, a killed
worker costs only its own job, a killed render resumes without redoing finished jobs, and GPU-aware workers.

One cluster serves the whole module (starting Ray takes seconds)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from director.api import Director
from director.cache import FrameCache
from director.execute import RendererSpec, render_storyboard
from director.renderer import RendererInfo
from tests.conftest import make_board
from tests.slow_renderer import read_logs

ray = pytest.importorskip("ray")
from director.ray_executor import RayExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},  # workers import tests.slow_renderer
    )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def executor(cluster):
    with RayExecutor(workers=2) as executor:
        yield executor


def logged(log_dir: Path, seconds: float = 0.0) -> RendererSpec:
    log_dir.mkdir(exist_ok=True)
    return RendererSpec.of("tests.slow_renderer:LoggedAnimatic", {"log_dir": str(log_dir), "seconds": seconds})


def render(board, spec, cache_dir, executor=None, **kwargs):
    return render_storyboard(board, spec, FrameCache(cache_dir), executor=executor, **kwargs)


def all_frames(rendered):
    return [np.stack(list(rendered.iter_frames(s))) for s in range(len(rendered.scenes))]


def job_ids(rendered) -> dict[str, str]:
    """Cache key -> the job id the logging renderer writes ('scene_1:0-3-6-9')."""
    ids = {}
    for scene in rendered.scenes:
        for level in scene.plan.levels:
            for window in level:
                ids[scene.refs[window.targets[0]].job] = f"{scene.scene.id}:" + "-".join(map(str, window.frames))
    return ids


@pytest.mark.parametrize("schedule", ["hierarchical", "autoregressive"])
def test_ray_workers_render_the_same_frames_as_this_process(tmp_path, executor, schedule):
    board = make_board(scenes=2, duration=2.0, fps=6)
    spec = logged(tmp_path / "log")
    stages = []
    distributed = render(board, spec, tmp_path / "ray", executor, schedule=schedule, progress=lambda stage, *_: stages.append(stage))
    assert stages[:2] == ["start workers"] * 2  # started (and timed) before the first level's bar
    local = render(board, spec, tmp_path / "local", schedule=schedule)
    for a, b in zip(all_frames(distributed), all_frames(local), strict=True):
        np.testing.assert_array_equal(a, b)
    assert distributed.stats.jobs_rendered == distributed.stats.jobs
    workers = set(executor.worker_pids())
    logged_by = Counter(pid for pid, event, _ in read_logs(tmp_path / "log") if event == "done")
    assert len(workers) == 2 and set(logged_by) == workers | {os.getpid()}  # both workers took jobs
    assert sum(logged_by[pid] for pid in workers) == distributed.stats.jobs


def test_workers_stay_warm_across_renders_with_the_same_renderer(tmp_path, executor):
    spec = logged(tmp_path / "log")
    render(make_board(scenes=1), spec, tmp_path / "a", executor)
    first = executor.worker_pids()
    render(make_board(scenes=1, duration=3.0), spec, tmp_path / "a", executor)
    assert executor.worker_pids() == first


def test_a_killed_worker_costs_only_its_own_job(tmp_path, executor):
    board = make_board(scenes=2, duration=3.0, fps=6)
    log_dir = tmp_path / "log"
    spec = logged(log_dir, seconds=0.25)
    killed: list[int] = []
    rendering = threading.Event()

    def kill_a_busy_worker():
        """Polls the workers' logs from beside the render (the driver's own callbacks come only between
        batches, when two workers in step may both be idle) and kills one that started a job and has not
        finished it, once four jobs are done."""
        while rendering.is_set() and not killed:
            time.sleep(0.02)
            try:
                events = [e for e in read_logs(log_dir) if e[0] != os.getpid()]
            except ValueError:  # a line read half-written
                continue
            if sum(event == "done" for _, event, _ in events) >= 4:
                open_jobs = Counter(pid for pid, event, _ in events if event == "start")
                open_jobs.subtract(Counter(pid for pid, event, _ in events if event == "done"))
                # a job started under 0.1 s ago has over 0.1 s of its 0.25 s left: it dies mid-job
                busy = [pid for pid, n in open_jobs.items() if n > 0 and time.time() - (log_dir / f"{pid}.log").stat().st_mtime < 0.1]
                if busy:
                    os.kill(busy[0], signal.SIGKILL)
                    killed.append(busy[0])

    rendering.set()
    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        rendered = render(board, spec, tmp_path / "cache", executor)
    finally:
        rendering.clear()
        killer.join()
    assert killed, "no worker was caught mid-job"
    assert rendered.stats.jobs_rendered == rendered.stats.jobs
    events = read_logs(log_dir)
    starts = Counter(job for _, event, job in events if event == "start")
    dones = Counter(job for _, event, job in events if event == "done")
    lost = [job for pid, event, job in events if pid == killed[0] and event == "start"][-1]  # the job it was on
    assert len(dones) == rendered.stats.jobs
    assert all(n == 1 for job, n in dones.items() if job != lost)  # every other job ran exactly once
    assert [job for job, n in starts.items() if n > 1] == [lost]  # only the lost job ran again
    survivors = set(executor.worker_pids())
    assert killed[0] not in survivors and len(survivors) == 2  # Ray restarted the dead worker...
    assert len({pid for pid, _, _ in events}) == 3  # ...and the other one kept working throughout
    for a, b in zip(all_frames(rendered), all_frames(render(board, spec, tmp_path / "local")), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_render_that_crashes_resumes_without_redoing_finished_jobs(tmp_path, executor):
    board = make_board(scenes=3, duration=3.0, fps=6)
    log_dir = tmp_path / "log"
    spec = logged(log_dir, seconds=0.1)

    def crash(snapshot):
        if snapshot.rendered >= 6:
            raise KeyboardInterrupt("the driver dies")

    with pytest.raises(KeyboardInterrupt):
        render(board, spec, tmp_path / "cache", executor, watch=crash)
    finished = {p.stem for p in (tmp_path / "cache" / "jobs").rglob("*.npz")}
    starts_before = Counter(job for _, event, job in read_logs(log_dir) if event == "start")
    resumed = render(board, spec, tmp_path / "cache", executor)
    starts_after = Counter(job for _, event, job in read_logs(log_dir) if event == "start")
    started_again = set(starts_after - starts_before)
    ids = job_ids(resumed)
    assert len(finished) >= 6
    assert not started_again & {ids[key] for key in finished}
    assert resumed.stats.jobs_cached >= len(finished)
    assert resumed.stats.jobs_cached + resumed.stats.jobs_rendered == resumed.stats.jobs


def test_renderer_errors_stop_the_render_and_are_not_retried(tmp_path, executor):
    with pytest.raises(ZeroDivisionError):
        render(make_board(scenes=1), RendererSpec.of("tests.test_cli:ExplodingRenderer"), tmp_path, executor)


def test_a_renderer_object_without_a_spec_is_a_clear_error(tmp_path, executor):
    spec = logged(tmp_path / "log")
    with pytest.raises(ValueError, match="needs the renderer by name"):
        render_storyboard(make_board(scenes=1), spec.create(), FrameCache(tmp_path), executor=executor)


def test_workers_reserve_the_gpus_their_renderer_declares(cluster):
    needs_gpu = RendererInfo(name="big", description="", gpus=1)
    assert RayExecutor(cpus_per_worker=2).actor_options(needs_gpu)["num_gpus"] == 1
    assert RayExecutor().actor_options(RendererInfo(name="small", description=""))["num_gpus"] == 0
    from director.errors import InputError

    executor = RayExecutor()
    executor._connect()
    with pytest.raises(InputError, match="needs 1 GPU per worker, but the Ray cluster has 0"):
        executor._worker_count(needs_gpu)
    assert executor._worker_count(RendererInfo(name="small", description="")) == 2  # one per CPU
    too_many = RayExecutor(workers=3)
    too_many._connect()
    with pytest.raises(InputError, match="3 workers need 3 CPUs and 0 GPUs, but the Ray cluster has 2 and 0"):
        too_many._worker_count(RendererInfo(name="small", description=""))


def test_a_killed_cli_render_on_a_joined_cluster_resumes_without_redoing_finished_jobs(tmp_path, cluster, executor):
    """`director render --executor ray --address ADDR`, SIGKILLed mid-render; the re-run rewrites no finished job."""
    executor.stop_workers()  # give the cluster's two CPUs to the command's workers
    board = make_board(scenes=4, duration=3.0, fps=6, width=96, height=54)
    board.save(tmp_path / "b.json")
    command = [
        sys.executable, "-m", "director.cli", "render", str(tmp_path / "b.json"), "-o", str(tmp_path / "movie.mp4"),
        "--renderer", "tests.slow_renderer:SlowAnimatic", "--executor", "ray", "--address", cluster,
        "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jobs_dir = tmp_path / "cache" / "jobs"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(jobs_dir.rglob("*.npz"))) < 8:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.0)  # let Ray notice the driver is gone and stop its workers
    finished = {p: p.stat().st_mtime_ns for p in jobs_dir.rglob("*.npz")}
    assert len(finished) >= 8
    assert not (tmp_path / "movie.mp4").exists()

    resumed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    output = " ".join(resumed.stdout.split())
    cached = int(output.split(" jobs rendered, ")[1].split(" from the cache")[0])
    assert cached >= len(finished)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # no finished job was rendered (written) again
    assert "resuming after run 1 stopped (rendering)" in output

    fresh = Director(renderer="renderers.animatic:AnimaticRenderer", renderer_options={"window": 4}, cache_dir=tmp_path / "fresh")
    fresh.render(board, tmp_path / "fresh.mp4")
    assert (tmp_path / "movie.mp4").read_bytes() == (tmp_path / "fresh.mp4").read_bytes()
