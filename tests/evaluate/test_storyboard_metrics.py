"""Storyboard-aware metrics end to end: render with the animatic, evaluate against the storyboard,
then edit the storyboard without re-rendering and watch the right metric fall."""

from __future__ import annotations

import pytest

for _module in ("scipy", "skimage", "matplotlib"):  # the `eval` extras: pip install -e ".[eval]"
    pytest.importorskip(_module)

import numpy as np

from director.evaluate import EvalConfig, evaluate_movie
from director.evaluate.alignment import plan_frames
from director.evaluate.detectors import ColorDetector, EntityQuery
from director.renderer import frame_spec, scene_context
from director.storyboard import Box, Transition
from renderers.animatic import AnimaticRenderer
from tests.conftest import make_board

NO_MODELS = EvalConfig(clip=None, inception=None, video_model=None)


def evaluate(rendered, board=None, **kwargs):
    return evaluate_movie(rendered.movie, storyboard=board or rendered.board, config=NO_MODELS, **kwargs)


def test_a_render_matches_its_own_storyboard(rendered):
    report = evaluate(rendered)
    layout = report.metric("layout_iou")
    assert layout.value > 0.85 and layout.detail["accuracy_at_0.5"] == 1.0
    assert report.metric("visibility_accuracy").value > 0.95
    motion = report.metric("motion_direction")
    assert motion.detail["moves"] == 1 and motion.value > 0.95  # the cat, left to right
    assert report.metric("identity_consistency").detail["features"].startswith("color-histogram")
    assert report.metric("temporal_flicker").value < 10
    assert report.frames == 24 and [s.id for s in report.scenes] == ["park", "forest"]


def test_moving_a_box_in_the_storyboard_drops_the_layout_alignment(rendered):
    before = evaluate(rendered).metric("layout_iou")
    board = rendered.board.model_copy(deep=True)
    for frame in board.scenes[0].layouts:
        frame.boxes["dog"] = Box(x0=0.05, y0=0.05, x1=0.3, y1=0.4)  # planned elsewhere; the movie is unchanged
    after = evaluate(rendered, board.revalidated()).metric("layout_iou")
    assert after.detail["iou[dog]"] < before.detail["iou[dog]"] - 0.3
    assert after.value < before.value
    assert after.detail["iou[cat]"] == pytest.approx(before.detail["iou[cat]"])


def test_a_reversed_planned_motion_is_caught(rendered):
    board = rendered.board.model_copy(deep=True)
    first, last = board.scenes[0].layouts
    first.boxes["cat"], last.boxes["cat"] = last.boxes["cat"], first.boxes["cat"]
    motion = evaluate(rendered, board.revalidated()).metric("motion_direction")
    assert motion.value < -0.95 and motion.detail["accuracy"] == 0.0


def test_an_entity_shown_when_the_plan_hides_it_lowers_visibility(rendered):
    board = rendered.board.model_copy(deep=True)
    for frame in board.scenes[1].layouts:
        del frame.boxes["owl"]  # the movie still shows the owl
    visibility = evaluate(rendered, board.revalidated()).metric("visibility_accuracy")
    assert visibility.detail["fp"] >= 10
    assert visibility.detail["precision"] < 0.9


def test_reference_metrics_compare_frame_by_frame(rendered, tmp_path):
    same = evaluate(rendered, reference=rendered.movie)
    assert same.metric("psnr").value == 100.0 and same.metric("ssim").value == pytest.approx(1.0)
    from director import Director

    edited = rendered.board.model_copy(deep=True)
    edited.scenes[0].layouts[0].boxes["dog"] = Box(x0=0.05, y0=0.05, x1=0.3, y1=0.4)
    other = Director(renderer="animatic", cache_dir=tmp_path / "cache").render(edited.revalidated(), tmp_path / "other.mp4")
    different = evaluate(rendered, reference=other.movie)
    assert 10 < different.metric("psnr").value < 60
    assert different.metric("ssim").value < 0.99
    assert min(v for v in different.per_frame.ssim if v is not None) < different.metric("ssim").value


def test_without_storyboard_or_reference_their_metrics_say_what_they_need(rendered):
    report = evaluate_movie(rendered.movie, config=NO_MODELS)
    assert "--storyboard" in report.metric("layout_iou").skipped
    assert "--reference" in report.metric("fid").skipped or "Inception" in report.metric("fid").skipped
    assert "--reference" in report.metric("psnr").skipped
    assert report.metric("temporal_flicker").value is not None


def test_missing_models_are_named_with_how_to_point_to_them_and_the_rest_still_runs(rendered, tmp_path):
    config = EvalConfig(clip=str(tmp_path / "no_clip"), inception=str(tmp_path / "no.pt"), video_model=str(tmp_path / "no_video"))
    report = evaluate_movie(rendered.movie, storyboard=rendered.board, reference=rendered.movie, config=config)
    clipsim = report.metric("clipsim").skipped
    assert "CLIPSIM" in clipsim and "--clip" in clipsim and "no_clip" in clipsim
    assert "FID" in report.metric("fid").skipped and "--inception" in report.metric("fid").skipped
    assert "FVD" in report.metric("fvd").skipped and "--video-model" in report.metric("fvd").skipped
    assert report.metric("layout_iou").value > 0.85 and report.metric("psnr").value == 100.0


def test_crossfade_frames_are_not_judged_against_the_plan():
    board = make_board(scenes=2, duration=2.0, fps=6, transition=Transition(kind="crossfade", duration=0.5))
    plans = plan_frames(board, movie_fps=6, frames=21)  # 12 + 12 - 3 overlapping frames
    transition = [i for i, p in enumerate(plans) if p.transition]
    assert transition == [9, 10, 11]  # the three frames where the scenes are blended
    assert plans[8].scene == 0 and not plans[8].transition
    assert plans[9].scene == 1 and plans[12].scene == 1 and not plans[12].transition


@pytest.mark.parametrize("size", [(256, 144), (640, 360)])  # the larger one is detected on a subsampled grid
def test_the_color_detector_finds_animatic_boxes_on_raw_frames(size):
    board = make_board(width=size[0], height=size[1])
    scene = board.scenes[0]
    context = scene_context(board, scene)
    renderer = AnimaticRenderer(show_time=False)
    queries = [EntityQuery.from_entity(e) for e in board.entities] + [
        EntityQuery("ghost", "ghost", "ghost", "", (250, 0, 250))  # not in the picture
    ]
    for index in (0, 6, 11):
        spec = frame_spec(board, scene, index)
        frame = renderer.draw_frame(context, spec)
        found = ColorDetector().detect([frame], queries)[0]
        assert set(found) == set(spec.boxes)
        for entity_id, box in spec.boxes.items():
            assert box.iou(found[entity_id].box) > 0.9, entity_id
    assert np.isfinite(found["cat"].score)
