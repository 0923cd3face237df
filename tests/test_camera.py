"""Shots and the camera: a shot's camera maps the scene's layout into the frame, and shots are checked
as strictly as everything else in a storyboard."""

from __future__ import annotations

import json

import pytest

from director.camera import frame_boxes, framed_layout, shot_view
from director.errors import InputError
from director.renderer import frame_spec
from director.storyboard import CameraMove, Shot, Storyboard
from tests.conftest import make_board


def board_with(shots: list[dict], **scene_changes) -> Storyboard:
    data = make_board(scenes=1).model_dump(mode="json")
    data["scenes"][0].update(shots=shots, **scene_changes)
    return Storyboard.model_validate(data)


def refusal(shots: list[dict]) -> str:
    data = make_board(scenes=1).model_dump(mode="json")
    data["scenes"][0]["shots"] = shots
    with pytest.raises(InputError) as caught:
        Storyboard.from_json(json.dumps(data), source="board.json")
    return str(caught.value)


def shot(id: str, start: float, end: float, **fields) -> dict:
    return {"id": id, "start": start, "end": end, **fields}


# -- the data model -------------------------------------------------------------------------------


def test_a_scene_without_shots_is_one_wide_static_shot_of_all_of_it():
    scene = make_board(scenes=1).scenes[0]
    (only,) = scene.cut
    assert (only.start, only.end, only.size, only.move.kind) == (0.0, scene.duration, "wide", "static")


def test_a_1_0_file_is_read_as_1_1_and_draws_exactly_what_1_0_drew():
    data = make_board(scenes=1).model_dump(mode="json")
    data["schema_version"] = "1.0"
    for scene in data["scenes"]:
        del scene["shots"]
    board = Storyboard.from_json(json.dumps(data))
    assert board.schema_version == "1.1"
    scene = board.scenes[0]
    for index in range(scene.num_frames(board.fps)):
        assert frame_spec(board, scene, index).boxes == scene.layout_at(index / board.fps)


def test_shots_round_trip_through_json_exactly():
    board = board_with(
        [
            shot("establishing", 0.0, 0.5, size="extreme_wide", description="WIDE SHOT"),
            shot("on_cat", 0.5, 1.0, size="close_up", angle="low", subjects=["cat"], move={"kind": "dolly", "direction": "in", "amount": 0.25}),
            shot("cat_eyes", 1.0, 1.5, angle="pov", pov="cat", move={"kind": "pan", "direction": "left"}),
            shot("after_cat", 1.5, 2.0, size="medium", move={"kind": "follow", "target": "cat"}),
        ]
    )
    again = Storyboard.from_json(board.to_json())
    assert again == board and again.to_json() == board.to_json()


@pytest.mark.parametrize(
    ("shots", "expected"),
    [
        ([shot("a", 0.0, 1.0), shot("b", 1.2, 2.0)], "a gap"),
        ([shot("a", 0.0, 1.2), shot("b", 1.0, 2.0)], "an overlap"),
        ([shot("a", 0.5, 2.0)], "a gap"),
        ([shot("a", 0.0, 1.5)], "the last shot must end with the scene"),
        ([shot("a", 0.0, 1.0), shot("a", 1.0, 2.0)], "more than once"),
        ([shot("a", 0.0, 2.0, subjects=["fox"])], "shots[0].subjects names 'fox'"),
        ([shot("a", 0.0, 2.0, move={"kind": "follow", "target": "fox"})], "shots[0].move.target names 'fox'"),
        ([shot("a", 0.0, 2.0, angle="pov", pov="fox")], "shots[0].pov is 'fox', which is not in the cast"),
        ([shot("a", 0.0, 2.0, angle="pov")], "pov shot names whose eyes"),
        ([shot("a", 0.0, 2.0, move={"kind": "pan"})], "a pan needs a `direction` of left or right"),
        ([shot("a", 0.0, 2.0, move={"kind": "tilt", "direction": "left"})], "a tilt needs a `direction` of up or down"),
        ([shot("a", 0.0, 2.0, move={"kind": "static", "amount": 0.3})], "a static camera has no `amount`"),
        ([shot("a", 0.0, 2.0, move={"kind": "follow"})], "a follow needs a `target`"),
        ([shot("a", 0.0, 1.95), shot("b", 1.95, 2.0)], "less than one frame at 6 fps"),
    ],
)
def test_bad_shots_are_refused_with_the_field_named(shots, expected):
    assert expected in refusal(shots)


def test_a_follow_may_only_name_an_entity_present_in_the_scene_even_if_it_is_in_the_cast():
    data = make_board(scenes=1).model_dump(mode="json")
    data["scenes"][0]["entities"] = ["cat"]
    data["scenes"][0]["layouts"] = [{"t": 0.0, "boxes": {"cat": {"x0": 0.1, "y0": 0.1, "x1": 0.2, "y1": 0.2}}}]
    data["scenes"][0]["dialogue"] = []
    data["scenes"][0]["shots"] = [shot("a", 0.0, 2.0, move={"kind": "follow", "target": "dog"})]
    with pytest.raises(InputError, match="shots\\[0\\].move.target names 'dog', which is not in this scene"):
        Storyboard.from_json(json.dumps(data))


def test_each_frame_belongs_to_the_shot_its_time_falls_in():
    board = board_with([shot("a", 0.0, 0.5), shot("b", 0.5, 2.0)])  # 6 fps, 12 frames
    spans = {s.id: (frames.start, frames.stop) for s, frames in board.scenes[0].shot_frames(board.fps)}
    assert spans == {"a": (0, 3), "b": (3, 12)}
    assert [frame_spec(board, board.scenes[0], i).shot for i in (2, 3)] == ["a", "b"]


# -- the camera -----------------------------------------------------------------------------------


def test_a_wide_shot_shows_the_layout_as_it_is():
    board = board_with([shot("a", 0.0, 2.0, size="wide")])
    scene = board.scenes[0]
    assert frame_boxes(scene, scene.shots[0], 1.0) == scene.layout_at(1.0)


def test_a_close_up_makes_its_subjects_box_large_and_puts_its_head_in_frame():
    board = board_with([shot("a", 0.0, 2.0, size="close_up", subjects=["dog"])])
    scene = board.scenes[0]
    scene_box, framed = scene.layout_at(0.0)["dog"], frame_boxes(scene, scene.shots[0], 0.0)["dog"]
    assert framed.area > 0.8 and scene_box.area < 0.2  # the frame is mostly dog
    assert framed.y0 < 0.1  # its top (the head) is at the top of the frame, with a little headroom
    assert framed.y1 == 1.0  # and the rest of it runs out of the bottom


def test_a_medium_shot_tells_renderers_the_whole_box_of_the_figure_it_crops():
    board = board_with([shot("a", 0.0, 2.0, size="medium", subjects=["dog"])])
    scene = board.scenes[0]
    framed, whole = frame_boxes(scene, scene.shots[0], 0.0)["dog"], framed_layout(scene, scene.shots[0], 0.0)[1]["dog"]
    scene_box = scene.layout_at(0.0)["dog"]
    assert framed.y1 == 1.0 and whole[3] > 1.6  # the frame shows its top half: the rest runs far below the frame
    clipped = (max(whole[0], 0), max(whole[1], 0), min(whole[2], 1), min(whole[3], 1))
    assert clipped == pytest.approx((framed.x0, framed.y0, framed.x1, framed.y1))  # the frame box is its part in view
    assert (whole[2] - whole[0]) / (whole[3] - whole[1]) == pytest.approx(scene_box.width / scene_box.height)  # its own shape
    spec = frame_spec(board, scene, 0)
    assert spec.cropped == {"dog": whole} and "cat" not in spec.cropped


def test_a_medium_on_two_subjects_far_apart_shows_both_of_them():
    board = board_with([shot("a", 0.0, 2.0, size="medium", subjects=["cat", "dog"])])
    scene = board.scenes[0]
    framed = frame_boxes(scene, scene.shots[0], 0.0)  # the cat at the left, the dog at the right
    assert framed["cat"].width > 0.15 and framed["dog"].width > 0.25  # each nearly whole, not a sliver at an edge
    alone = frame_boxes(scene, scene.model_copy(update={"shots": []}).cut[0].model_copy(update={"size": "medium", "subjects": ["dog"]}), 0.0)
    assert alone["dog"].width > framed["dog"].width  # a medium on one is still closer


def test_a_shot_that_crops_nobody_reports_no_whole_boxes():
    board = board_with([shot("a", 0.0, 2.0, size="full", subjects=["dog"])])
    scene = board.scenes[0]
    assert framed_layout(scene, scene.shots[0], 0.0)[1] == {}
    assert frame_spec(board_with([shot("a", 0.0, 2.0, size="wide")]), scene, 0).cropped == {}


def test_a_jobs_key_holds_the_whole_box_of_a_figure_its_shot_crops_and_nothing_more_where_none_is():
    from director.execute import _spec_content, plan_jobs

    def keys(board):
        return [task.key for level in plan_jobs(board, "test", 4).levels for task in level]

    def dog_ending_at(board, y1):  # the dog's last layout box, its bottom edge moved (below a medium shot's frame)
        data = board.model_dump(mode="json")
        data["scenes"][0]["layouts"][-1]["boxes"]["dog"]["y1"] = y1
        return Storyboard.model_validate(data)

    medium = board_with([shot("a", 0.0, 2.0, size="medium", subjects=["dog"])])
    scene = medium.scenes[0]
    last = scene.num_frames(medium.fps) - 1
    lower = dog_ending_at(medium, 0.95)
    assert frame_spec(medium, scene, last).boxes == frame_spec(lower, lower.scenes[0], last).boxes  # the frame shows the same
    assert keys(medium) != keys(lower)  # but the figure drawn is longer: its jobs are made again
    wide = board_with([shot("a", 0.0, 2.0, size="wide")])
    # no crop, no new field: a frame's part of its job's key is what it was before crops were told
    assert set(_spec_content(frame_spec(wide, wide.scenes[0], last))) == {"t", "boxes", "captions"}
    assert "cropped" in _spec_content(frame_spec(medium, scene, last))
    assert keys(dog_ending_at(wide, 0.95)) != keys(wide)


def test_each_size_frames_tighter_than_the_one_before():
    heights = []
    for size in ("extreme_wide", "wide", "full", "medium", "close_up", "extreme_close_up"):
        board = board_with([shot("a", 0.0, 2.0, size=size, subjects=["dog"])])
        scene = board.scenes[0]
        heights.append(shot_view(scene, scene.shots[0], 0.0).size)
    assert heights == sorted(heights, reverse=True) and len(set(heights)) == len(heights)


def test_a_pan_moves_every_box_the_other_way():
    board = board_with([shot("a", 0.0, 2.0, size="full", subjects=["dog"], move={"kind": "pan", "direction": "right", "amount": 0.3})])
    scene = board.scenes[0]
    # the dog stands still in the scene, so in the frame it moves only because the camera does
    start, end = frame_boxes(scene, scene.shots[0], 0.0)["dog"], frame_boxes(scene, scene.shots[0], 2.0)["dog"]
    assert end.center[0] < start.center[0] - 0.2
    assert end.center[1] == pytest.approx(start.center[1])


def test_a_zoom_in_grows_the_boxes_over_the_shot():
    board = board_with([shot("a", 0.0, 2.0, size="full", subjects=["dog"], move={"kind": "zoom", "direction": "in"})])
    scene = board.scenes[0]
    sizes = [frame_boxes(scene, scene.shots[0], t)["dog"].width for t in (0.0, 1.0, 2.0)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_a_follow_keeps_its_moving_target_in_the_middle_of_the_frame():
    board = board_with([shot("a", 0.0, 2.0, size="full", move={"kind": "follow", "target": "cat"})])
    scene = board.scenes[0]
    # (from 0.5 s: before it, the cat is so near the scene's edge that the view, kept inside the scene, stops)
    in_scene = [scene.layout_at(t)["cat"].center[0] for t in (0.5, 1.5)]
    in_frame = [frame_boxes(scene, scene.shots[0], t)["cat"].center[0] for t in (0.5, 1.5)]
    assert in_scene[1] - in_scene[0] > 0.3  # the cat crosses the scene
    assert abs(in_frame[1] - in_frame[0]) < 0.05  # but the camera keeps it where it was


def test_a_pov_shot_does_not_show_whose_eyes_it_looks_through():
    board = board_with([shot("a", 0.0, 2.0, angle="pov", pov="cat")])
    assert set(frame_spec(board, board.scenes[0], 3).boxes) == {"dog"}


def test_an_entity_outside_the_view_is_not_visible():
    board = board_with([shot("a", 0.0, 2.0, size="close_up", subjects=["dog"])])
    # at t=0 the cat is at the far left and the close-up is on the dog at the right
    assert set(frame_spec(board, board.scenes[0], 0).boxes) == {"dog"}



def test_a_camera_move_is_checked_on_its_own():
    assert CameraMove(kind="zoom", direction="out").extent == 0.5
    assert Shot(id="a", start=0, end=1).move.kind == "static"
