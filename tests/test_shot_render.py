"""Rendering a scene cut into shots: each shot has its own timeline (hard cuts), its own cache keys, and
renderers draw every shot size."""

from __future__ import annotations

import numpy as np
import pytest

from director.cache import FrameCache
from director.execute import plan_jobs, render_storyboard
from director.storyboard import Storyboard
from tests.conftest import CountingRenderer, make_board

FPS = 6


def cut_board(scenes: int = 1, shots: list[dict] | None = None) -> Storyboard:
    """`make_board` scenes of 3 s (18 frames at 6 fps), each cut into three shots: a wide, a close-up of
    the dog, a medium shot of the cat panning left."""
    data = make_board(scenes=scenes, duration=3.0, fps=FPS).model_dump(mode="json")
    for scene in data["scenes"]:
        scene["shots"] = shots if shots is not None else three_shots()
    return Storyboard.model_validate(data)


def three_shots(**second) -> list[dict]:
    return [
        {"id": "wide", "start": 0.0, "end": 1.0},
        {"id": "on_dog", "start": 1.0, "end": 2.0, "size": "close_up", "subjects": ["dog"], **second},
        {"id": "on_cat", "start": 2.0, "end": 3.0, "size": "medium", "subjects": ["cat"], "move": {"kind": "pan", "direction": "left"}},
    ]


def with_shots(board: Storyboard, shots: list[dict], scene: int = 0) -> Storyboard:
    data = board.model_dump(mode="json")
    data["scenes"][scene]["shots"] = shots
    return Storyboard.model_validate(data)


def keys_by_shot(board: Storyboard, renderer: CountingRenderer) -> dict[tuple[str, str], set[str]]:
    graph = plan_jobs(board, renderer.fingerprint, renderer.info.window)
    keys: dict[tuple[str, str], set[str]] = {}
    for task in (task for level in graph.levels for task in level):
        keys.setdefault((task.scene.scene_id, task.scene.shot.id), set()).add(task.key)
    return keys


def render(board, cache_dir, renderer=None, **kwargs):
    renderer = renderer or CountingRenderer()
    return render_storyboard(board, renderer, FrameCache(cache_dir), **kwargs), renderer


def frames_of(rendered, scene: int = 0) -> np.ndarray:
    return np.stack(list(rendered.iter_frames(scene)))


# -- the timeline, per shot -----------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["hierarchical", "autoregressive"])
def test_no_window_spans_a_cut_and_every_job_knows_its_shot(schedule):
    board = cut_board()
    renderer = CountingRenderer()
    graph = plan_jobs(board, renderer.fingerprint, renderer.info.window, schedule=schedule)
    shot_of = {index: shot.id for shot, frames in board.scenes[0].shot_frames(FPS) for index in frames}
    tasks = [task for level in graph.levels for task in level]
    assert {task.scene.shot.id for task in tasks} == {"wide", "on_dog", "on_cat"}
    for task in tasks:
        shown = {shot_of[spec.index] for spec in task.frames} | {shot_of[index] for index, _ in task.known}
        assert shown == {task.scene.shot.id}, f"a {task.kind} job spans {sorted(shown)}"
        assert {spec.shot for spec in task.frames} == shown
    # each shot's timeline starts at its cut: a hard cut, never in-betweened
    (scene,) = graph.scenes
    assert [s.keyframes[0] for s in scene.shots] == [0, 6, 12]
    if schedule == "hierarchical":  # and its keyframes close it too
        assert [s.keyframes[-1] for s in scene.shots] == [5, 11, 17]
    assert len(scene.refs) == 18 and len({(r.job, r.position) for r in scene.refs}) == 18


def test_every_frame_of_a_cut_scene_is_rendered_once_and_shows_its_shot(tmp_path):
    rendered, renderer = render(cut_board(), tmp_path)
    assert renderer.jobs == rendered.stats.jobs_rendered == sum(s.plan.num_jobs for s in rendered.scenes[0].shots)
    frames = frames_of(rendered)
    assert frames.shape == (18, 36, 64, 3)
    # the scene's plan is every shot's windows together, each frame made by exactly one of them
    plan = rendered.scenes[0].plan
    assert plan.num_jobs == renderer.jobs and sorted(plan.made_by) == list(range(18))
    assert rendered.scenes[0].keyframes == tuple(i for s in rendered.scenes[0].shots for i in s.keyframes)


def test_editing_one_shot_changes_only_that_shots_keys_and_rerenders_only_it(tmp_path):
    board = cut_board(scenes=2)
    renderer = CountingRenderer()
    before = keys_by_shot(board, renderer)
    edited = with_shots(board, three_shots(size="full"))
    after = keys_by_shot(edited, renderer)
    changed = {shot for shot in before if before[shot] != after[shot]}
    assert changed == {("scene_1", "on_dog")}
    assert before[("scene_1", "on_dog")].isdisjoint(after[("scene_1", "on_dog")])

    first, _ = render(board, tmp_path)
    second, counting = render(edited, tmp_path)
    assert counting.jobs == second.stats.jobs_rendered == len(after[("scene_1", "on_dog")])
    assert second.stats.rendered_by_scene == {"scene_1": counting.jobs}
    a, b = frames_of(first), frames_of(second)
    np.testing.assert_array_equal(a[:6], b[:6])
    np.testing.assert_array_equal(a[12:], b[12:])
    assert not np.array_equal(a[6:12], b[6:12])


def test_a_shots_key_follows_its_framing_and_frames_not_its_id():
    board = cut_board()
    renderer = CountingRenderer()
    base = keys_by_shot(board, renderer)
    renamed = three_shots()
    renamed[1]["id"] = "dog_close"
    assert keys_by_shot(with_shots(board, renamed), renderer)[("scene_1", "dog_close")] == base[("scene_1", "on_dog")]
    described = keys_by_shot(with_shots(board, three_shots(description="CLOSE ON the dog")), renderer)
    assert described[("scene_1", "on_dog")] != base[("scene_1", "on_dog")]
    # moving the cut between the first two shots changes their frames, not the third shot's
    moved = three_shots()
    moved[0]["end"] = moved[1]["start"] = 0.5
    after = keys_by_shot(with_shots(board, moved), renderer)
    assert after[("scene_1", "on_cat")] == base[("scene_1", "on_cat")]
    assert after[("scene_1", "wide")] != base[("scene_1", "wide")] and after[("scene_1", "on_dog")] != base[("scene_1", "on_dog")]


def test_a_scene_without_shots_has_the_keys_and_frames_of_one_default_wide_shot(tmp_path):
    board = make_board(scenes=2, duration=3.0, fps=FPS)
    one_shot = with_shots(board, [{"id": "everything", "start": 0.0, "end": 3.0}])
    renderer = CountingRenderer()
    plain, explicit = plan_jobs(board, renderer.fingerprint, 4), plan_jobs(one_shot, renderer.fingerprint, 4)
    assert [t.key for level in plain.levels for t in level] == [t.key for level in explicit.levels for t in level]
    assert plain.scenes[0].plan.num_frames == 18 and plain.scenes[0].keyframes == plain.scenes[0].plan.keyframes
    rendered, _ = render(board, tmp_path)
    again, counting = render(one_shot, tmp_path)
    assert counting.jobs == 0
    np.testing.assert_array_equal(frames_of(rendered), frames_of(again))


def test_a_killed_render_of_a_cut_scene_resumes_without_redoing_finished_shots(tmp_path):
    board = cut_board(scenes=2)
    crashing = CountingRenderer(fail_after=7)
    with pytest.raises(RuntimeError, match="simulated crash"):
        render(board, tmp_path, crashing)
    finished = crashing.jobs
    assert 0 < finished <= 7
    resumed, counting = render(board, tmp_path)
    assert resumed.stats.jobs_cached == finished and counting.jobs == resumed.stats.jobs - finished
    clean, _ = render(board, tmp_path / "clean")
    for s in range(2):
        np.testing.assert_array_equal(frames_of(resumed, s), frames_of(clean, s))


def test_progress_is_per_scene_and_exact_with_shots(tmp_path):
    board = cut_board(scenes=3)
    snapshots = []
    rendered, renderer = render(board, tmp_path, watch=snapshots.append)
    per_scene = sum(s.plan.num_jobs for s in rendered.scenes[0].shots)
    assert [s.total for s in snapshots[0].scenes] == [per_scene] * 3 and renderer.jobs == 3 * per_scene
    assert snapshots[-1].finished and all(s.done == s.total for s in snapshots[-1].scenes)


def test_the_timeline_command_prints_each_shots_plan(tmp_path):
    from typer.testing import CliRunner

    from director.cli import app

    cut_board(scenes=2).save(tmp_path / "board.json")
    result = CliRunner().invoke(app, ["timeline", str(tmp_path / "board.json"), "-L", "4"])
    assert result.exit_code == 0, result.output
    assert result.output.count("scene_") == 2 and "18 frames, 3 shots" in result.output
    assert "on_dog: frames 6-11 (close up, static)" in result.output and "on_cat: frames 12-17 (medium, pan left)" in result.output
    assert result.output.count("6 frames with a window of 4: 2 levels") == 6
    assert "level 2: 225 windows" in CliRunner().invoke(app, ["timeline", "3376"]).output
    missing = CliRunner().invoke(app, ["timeline", str(tmp_path / "nothing.json")])
    assert missing.exit_code == 2 and "no such file" in missing.output


# -- renderers: every shot size ------------------------------------------------------------------------


def test_the_tiny_renderer_draws_close_ups_and_boxes_cut_by_the_frame_edge():
    pytest.importorskip("diffusers")
    import torch

    from director.renderer import FrameSpec, InfillJob, KeyframeRequest, SceneContext
    from director.storyboard import Box, Entity
    from renderers.tiny.detect import detect
    from renderers.tiny.renderer import TinyRenderer

    torch.set_num_threads(1)
    renderer = TinyRenderer()
    car, dog = Entity(id="car", name="car", category="car", attributes={"color": "red"}), Entity(id="dog", name="dog", category="dog")
    context = SceneContext("s", "", "", "a park", "", (car, dog), (), 64, 36)
    layouts = [
        {"car": Box(x0=0.0, y0=0.0, x1=1.0, y1=1.0)},  # an insert: the car is the whole frame
        {"car": Box(x0=0.0, y0=0.05, x1=1.0, y1=1.0), "dog": Box(x0=0.8, y0=0.5, x1=1.0, y1=1.0)},  # cut on three sides
        {"car": Box(x0=0.0, y0=0.3, x1=0.004, y1=1.0)},  # a sliver at the edge, leaving the frame
    ]
    keyframes = renderer.keyframes([KeyframeRequest(context, tuple(FrameSpec(i, i / 6, b) for i, b in enumerate(layouts)), 1)])[0]
    assert keyframes.shape == (3, 36, 64, 3)
    red = renderer.look(car).color
    for frame in keyframes[:2]:
        x0, y0, x1, y1 = detect(frame, red)
        assert (x1 - x0) * (y1 - y0) > 0.6  # the close-up's subject fills the frame
    specs = tuple(FrameSpec(i, i / 6, layouts[i % 2]) for i in range(5))
    between = renderer.infill([InfillJob(context, specs, {0: keyframes[0], 4: keyframes[1]}, 3)])[0]
    assert between.shape == (3, 36, 64, 3) and all(detect(frame, red) is not None for frame in between)


def test_a_shots_jobs_travel_to_other_processes_with_their_shot():
    import pickle

    board = cut_board()
    renderer = CountingRenderer()
    tasks = [task for level in plan_jobs(board, renderer.fingerprint, 4).levels for task in level]
    copies = pickle.loads(pickle.dumps(tasks))  # what the ray executor ships to its workers
    assert copies == tasks and {c.scene.shot.size for c in copies} == {"wide", "close_up", "medium"}
