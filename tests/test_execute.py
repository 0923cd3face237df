"""Orchestration: level by level, every frame once, cached, resumable, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from director.cache import FrameCache
from director.execute import LocalExecutor, render_storyboard
from director.storyboard import Box
from tests.conftest import CountingRenderer, frame_color_at, make_board


def render(board, cache_dir, renderer=None, **kwargs):
    renderer = renderer or CountingRenderer()
    return render_storyboard(board, renderer, FrameCache(cache_dir), **kwargs), renderer


def all_frames(rendered):
    return [np.stack(list(rendered.iter_frames(s))) for s in range(len(rendered.scenes))]


def test_every_frame_of_every_scene_is_rendered(tmp_path):
    board = make_board(scenes=3, duration=2.0, fps=6)  # 12 frames a scene, window 4: 3 levels
    rendered, renderer = render(board, tmp_path)
    assert [s.num_frames for s in rendered.scenes] == [12, 12, 12]
    assert rendered.stats.frames == 36
    jobs = sum(len(level) for s in rendered.scenes for level in s.plan.levels)
    assert renderer.jobs == rendered.stats.jobs_rendered == jobs
    for frames in all_frames(rendered):
        assert frames.shape == (12, 36, 64, 3)


def test_frames_show_the_layout_at_their_time(tmp_path):
    board = make_board(scenes=1, duration=2.0, fps=6)
    rendered, _ = render(board, tmp_path)
    first, last = rendered.frame(0, 0), rendered.frame(0, 11)
    cat_start = board.scenes[0].layout_at(0.0)["cat"]
    cat_end = board.scenes[0].layout_at(11 / 6)["cat"]
    # The black cat is dark where it is, and not where it is not.
    assert frame_color_at(first, cat_start).mean() < 100
    assert frame_color_at(last, cat_start).mean() > 100
    assert frame_color_at(last, cat_end).mean() < 100


def test_a_second_render_takes_everything_from_the_cache(tmp_path):
    board = make_board()
    first, _ = render(board, tmp_path)
    second, renderer = render(board, tmp_path)
    assert renderer.jobs == 0
    assert second.stats.jobs_cached == first.stats.jobs
    for a, b in zip(all_frames(first), all_frames(second), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_crashed_render_resumes_without_redoing_finished_jobs(tmp_path):
    board = make_board(scenes=3)
    crashing = CountingRenderer(fail_after=5)
    with pytest.raises(RuntimeError, match="simulated crash"):
        render(board, tmp_path, crashing)
    finished = crashing.jobs  # jobs whose batch completed before the crash
    assert 0 < finished <= 5
    resumed, renderer = render(board, tmp_path)
    assert resumed.stats.jobs_cached == finished
    assert renderer.jobs == resumed.stats.jobs - finished
    clean, _ = render(board, tmp_path / "clean")
    for a, b in zip(all_frames(resumed), all_frames(clean), strict=True):
        np.testing.assert_array_equal(a, b)


def test_editing_one_scene_rerenders_only_that_scene(tmp_path):
    board = make_board(scenes=5)
    first, _ = render(board, tmp_path)
    scene = board.scenes[2]
    frames = list(scene.layouts)
    frames[1] = frames[1].model_copy(update={"boxes": {**frames[1].boxes, "dog": Box(x0=0.1, y0=0.1, x1=0.3, y1=0.4)}})
    edited = board.model_copy(update={"scenes": [*board.scenes[:2], scene.model_copy(update={"layouts": frames}), *board.scenes[3:]]})
    second, renderer = render(edited, tmp_path)
    assert set(second.stats.rendered_by_scene) == {"scene_3"}
    assert 0 < renderer.jobs < first.stats.jobs / 4
    np.testing.assert_array_equal(all_frames(first)[0], all_frames(second)[0])
    assert not np.array_equal(all_frames(first)[2], all_frames(second)[2])


def test_moving_a_box_moves_the_entity_in_the_frames(tmp_path):
    board = make_board(scenes=1, width=192, height=108)
    rendered, _ = render(board, tmp_path)
    dog = board.scenes[0].layouts[0].boxes["dog"]
    moved_box = Box(x0=0.3, y0=0.1, x1=0.5, y1=0.45)
    layouts = [f.model_copy(update={"boxes": {**f.boxes, "dog": moved_box}}) for f in board.scenes[0].layouts]
    moved = board.model_copy(update={"scenes": [board.scenes[0].model_copy(update={"layouts": layouts})]})
    rendered_moved, _ = render(moved, tmp_path)
    before, after = rendered.frame(0, 0), rendered_moved.frame(0, 0)
    assert not np.allclose(frame_color_at(before, moved_box), frame_color_at(after, moved_box), atol=10)
    assert not np.allclose(frame_color_at(before, dog), frame_color_at(after, dog), atol=10)


def test_the_same_seed_gives_identical_frames_and_another_seed_other_jobs(tmp_path):
    board = make_board()
    a, _ = render(board, tmp_path / "a", seed=7)
    b, _ = render(board, tmp_path / "b", seed=7)
    c, _ = render(board, tmp_path / "a", seed=8)
    for x, y in zip(all_frames(a), all_frames(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert [r.job for r in a.scenes[0].refs] == [r.job for r in b.scenes[0].refs]
    assert c.stats.jobs_cached == 0  # the seed is part of every key


def test_local_executor_batches_by_kind_and_size(tmp_path):
    seen = []
    board = make_board(scenes=3)
    renderer = CountingRenderer()
    original = LocalExecutor.run

    def spy(self, tasks, work, batch_size):
        def recording(batch):
            seen.append((batch[0].kind, len(batch), {t.kind for t in batch}))
            work(batch)

        yield from original(self, tasks, recording, batch_size)

    LocalExecutor.run = spy
    try:
        render(board, tmp_path, renderer)
    finally:
        LocalExecutor.run = original
    assert all(size <= 2 and kinds == {kind} for kind, size, kinds in seen)
    assert seen[0][0] == "keyframes"


def test_a_renderer_returning_the_wrong_shape_is_a_clear_error(tmp_path):
    class Broken(CountingRenderer):
        def keyframes(self, requests):
            return [np.zeros((1, 2, 2, 3), dtype=np.uint8) for _ in requests]

    with pytest.raises(RuntimeError, match="expected uint8 frames of shape"):
        render(make_board(), tmp_path, Broken())


def test_progress_reports_each_level(tmp_path):
    calls = []
    render(make_board(), tmp_path, progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["level 0 (keyframes)", "level 1", "level 2"]
    last = {stage: (done, total) for stage, done, total in calls}
    assert all(done == total for done, total in last.values())


# Schedules, progress snapshots, work that travels --------------------------------------------------


def test_the_autoregressive_schedule_makes_the_same_animatic_frames_one_window_after_another(tmp_path):
    board = make_board(scenes=2, duration=3.0, fps=6)
    hierarchical, _ = render(board, tmp_path / "h")
    seen = []

    class Recording(CountingRenderer):
        def infill(self, jobs):
            seen.extend((tuple(sorted(job.known)), tuple(f.index for f in job.targets)) for job in jobs)
            return super().infill(jobs)

    autoregressive, renderer = render(board, tmp_path / "ar", Recording(), schedule="autoregressive")
    for a, b in zip(all_frames(hierarchical), all_frames(autoregressive), strict=True):
        np.testing.assert_array_equal(a, b)  # the animatic draws each frame from its layout alone
    assert autoregressive.stats.steps == autoregressive.scenes[0].plan.depth > hierarchical.stats.steps
    assert seen[0] == ((2, 3), (4, 5)) and seen[2] == ((4, 5), (6, 7))  # conditioned on the last two frames made
    assert {job.job for job in autoregressive.scenes[0].refs}.isdisjoint(job.job for job in hierarchical.scenes[0].refs)


def test_progress_snapshots_have_exact_totals_per_level_and_scene_from_the_start(tmp_path):
    board = make_board(scenes=3)
    render(board.model_copy(update={"scenes": board.scenes[:1]}), tmp_path)  # scene 1 is cached now
    snapshots = []
    rendered, renderer = render(board, tmp_path, watch=snapshots.append)
    first, last = snapshots[0], snapshots[-1]
    assert first.rendered == 0 and first.cached == rendered.stats.jobs_cached == rendered.stats.jobs // 3
    assert [s.total for s in first.scenes] == [0, renderer.jobs // 2, renderer.jobs // 2]
    assert sum(s.total for s in first.levels) == first.to_render == renderer.jobs
    assert last.finished and last.rendered == renderer.jobs and last.eta == 0
    assert all(s.done == s.total for s in (*last.levels, *last.scenes))
    assert [s.rendered for s in snapshots] == sorted(s.rendered for s in snapshots)
    assert all(s.seconds_per_job > 0 for s in snapshots[1:])


def test_render_work_pickles_as_its_spec_and_rebuilds_its_own_renderer(tmp_path):
    import pickle

    from director.execute import RendererSpec, RenderWork

    spec = RendererSpec.of("renderers.animatic:AnimaticRenderer", {"window": 4})
    copy = pickle.loads(pickle.dumps(RenderWork(FrameCache(tmp_path), spec)))
    assert copy.cache.root == tmp_path and copy.info.window == 4
    rendered = render_storyboard(make_board(scenes=1), spec.create(), FrameCache(tmp_path / "other"), executor=_Elsewhere(copy))
    assert rendered.stats.jobs_rendered == rendered.stats.jobs
    assert all(copy.cache.has(ref.job) for ref in rendered.scenes[0].refs)  # the copy wrote into its own cache folder
    with pytest.raises(TypeError, match="given as an object, not by name"):
        pickle.dumps(RenderWork(FrameCache(tmp_path), CountingRenderer()))


class _Elsewhere:
    """An executor that ignores the work it is given and runs a copy that was built elsewhere."""

    def __init__(self, work):
        self.work = work

    def run(self, tasks, work, batch_size):
        for batch in LocalExecutor().run(tasks, self.work, batch_size):
            yield batch


# The plan, then the run ----------------------------------------------------------------------------------


def test_the_job_graph_is_planned_without_a_cache_and_is_what_the_render_runs(tmp_path):
    from director.execute import plan_jobs

    board = make_board(scenes=3)
    renderer = CountingRenderer()
    graph = plan_jobs(board, renderer.fingerprint, renderer.info.window, seed=5)
    per_scene = [len(level) for level in graph.scenes[0].plan.levels]  # the timeline's windows, level by level
    assert per_scene[0] == 1 and [len(level) for level in graph.levels] == [3 * n for n in per_scene]
    assert graph.jobs == 3 * sum(per_scene) and graph.frames == 36 and graph.stages[0] == "level 0 (keyframes)"
    assert not list(tmp_path.iterdir())  # nothing was written, nothing was needed
    rendered, renderer = render(board, tmp_path, seed=5)
    assert renderer.jobs == graph.jobs
    assert [s.refs for s in rendered.scenes] == [s.refs for s in graph.scenes]
    assert plan_jobs(board, renderer.fingerprint, renderer.info.window, seed=6).scenes[0].refs != graph.scenes[0].refs


def test_the_renderer_is_one_thing_an_object_or_a_spec_built_once_per_process(tmp_path):
    import pickle

    from director.execute import RendererSpec, RenderWork

    spec = RendererSpec("tests.conftest:CountingRenderer")
    rendered = render_storyboard(make_board(scenes=2), spec, FrameCache(tmp_path))
    assert spec.renderer.jobs == rendered.stats.jobs_rendered > 0  # the spec built it, and keeps it
    copy = pickle.loads(pickle.dumps(RenderWork(FrameCache(tmp_path), spec)))
    assert copy.spec == spec and copy.renderer is not spec.renderer and copy.renderer.jobs == 0
