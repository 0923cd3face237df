"""The data model: strict validation that names the field, exact JSON round-trips, the layout track."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from director.errors import InputError
from director.storyboard import Box, Entity, FrameSize, LayoutFrame, Relation, Scene, Storyboard, Transition, make_identifier
from tests.conftest import make_board


def board_dict(**scene_changes) -> dict:
    data = make_board(scenes=1).model_dump(mode="json")
    data["scenes"][0].update(scene_changes)
    return data


def error_text(data: dict) -> str:
    with pytest.raises(InputError) as caught:
        Storyboard.from_json(json.dumps(data), source="board.json")
    return str(caught.value)


def test_box_outside_the_frame_is_an_error_naming_the_coordinate():
    with pytest.raises(ValidationError) as caught:
        Box(x0=0.1, y0=0.1, x1=1.2, y1=0.5)
    assert "x1" in str(caught.value)


def test_box_with_x0_not_below_x1_is_an_error():
    with pytest.raises(ValidationError, match="`x0` must be less than `x1`"):
        Box(x0=0.5, y0=0.1, x1=0.5, y1=0.5)


def test_box_out_of_range_in_a_file_names_its_full_path():
    data = board_dict()
    data["scenes"][0]["layouts"][0]["boxes"]["cat"]["y1"] = 1.5
    message = error_text(data)
    assert "board.json" in message
    assert "scenes[0].layouts[0].boxes.cat.y1" in message
    assert "1.5" in message


def test_layout_naming_an_entity_not_in_the_cast_is_an_error():
    data = board_dict(entities=["cat", "dog", "fox"])
    message = error_text(data)
    assert "'fox'" in message and "cast" in message


def test_layout_naming_an_entity_not_in_the_scene_is_an_error():
    data = board_dict(entities=["cat"])
    message = error_text(data)
    assert "layouts[0].boxes" in message and "'dog'" in message


def test_layout_time_outside_the_scene_is_an_error():
    data = board_dict()
    data["scenes"][0]["layouts"][1]["t"] = 9.0
    message = error_text(data)
    assert "layouts[1].t" in message and "9.0" in message


def test_layout_frames_out_of_order_are_an_error():
    data = board_dict()
    data["scenes"][0]["layouts"][1]["t"] = 0.0
    assert "not after the previous layout frame" in error_text(data)


def test_a_storyboard_without_scenes_is_an_error():
    data = make_board().model_dump(mode="json")
    data["scenes"] = []
    assert "scenes" in error_text(data)


def test_unknown_fields_are_errors_not_ignored():
    data = make_board().model_dump(mode="json")
    data["scenes"][0]["colour"] = "blue"
    assert "colour" in error_text(data)


def test_relation_to_an_entity_outside_the_scene_is_an_error():
    with pytest.raises(ValidationError, match=r"relations\[0\].object"):
        Scene(id="s", duration=2, entities=["cat"], relations=[Relation(subject="cat", predicate="left_of", object="dog")])


def test_crossfade_after_the_last_scene_is_an_error():
    data = make_board(scenes=1).model_dump(mode="json")
    data["scenes"][0]["transition"] = {"kind": "crossfade", "duration": 0.5}
    assert "last scene" in error_text(data)


def test_crossfade_longer_than_a_scene_is_an_error():
    with pytest.raises(ValidationError, match="crossfade must be shorter"):
        make_board(scenes=2, duration=2.0, transition=Transition(kind="crossfade", duration=2.0))


def test_duplicate_entity_ids_are_an_error():
    data = make_board().model_dump(mode="json")
    data["entities"].append(dict(data["entities"][0]))
    assert "more than once" in error_text(data)


def test_other_schema_versions_are_refused_with_the_versions_named():
    data = make_board().model_dump(mode="json")
    data["schema_version"] = "9.9"
    message = error_text(data)
    assert "9.9" in message and "1.0" in message


def test_broken_json_says_where(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"scenes": [', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.json: is not valid JSON \(line 1"):
        Storyboard.load(path)


def test_save_then_load_is_exact(tmp_path, board):
    path = board.save(tmp_path / "board.json")
    again = Storyboard.load(path)
    assert again == board
    assert again.to_json() == board.to_json()


def test_schema_has_the_top_level_fields():
    schema = Storyboard.model_json_schema()
    assert {"scenes", "entities", "fps", "schema_version"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


# -- the layout track ------------------------------------------------------------------------------------


def test_moving_a_box_moves_the_entity_between_layout_frames(board):
    scene = board.scenes[0]
    start, middle, end = scene.layout_at(0.0)["cat"], scene.layout_at(1.0)["cat"], scene.layout_at(2.0)["cat"]
    assert start.center[0] < middle.center[0] < end.center[0]
    assert middle.center[0] == pytest.approx((start.center[0] + end.center[0]) / 2)


def test_an_entity_absent_from_the_next_frame_disappears_after_its_last_frame():
    scene = Scene(
        id="s",
        duration=3,
        entities=["cat"],
        layouts=[
            LayoutFrame(t=0, boxes={"cat": Box(x0=0.1, y0=0.1, x1=0.2, y1=0.2)}),
            LayoutFrame(t=1, boxes={"cat": Box(x0=0.1, y0=0.1, x1=0.2, y1=0.2)}),
            LayoutFrame(t=2, boxes={}),
        ],
    )
    assert "cat" in scene.layout_at(1.0)
    assert "cat" not in scene.layout_at(1.5)
    assert "cat" not in scene.layout_at(2.5)


def test_an_entity_appearing_at_a_frame_is_hidden_before_it():
    scene = Scene(
        id="s",
        duration=2,
        entities=["cat"],
        layouts=[LayoutFrame(t=0, boxes={}), LayoutFrame(t=1, boxes={"cat": Box(x0=0.1, y0=0.1, x1=0.2, y1=0.2)})],
    )
    assert "cat" not in scene.layout_at(0.5)
    assert "cat" in scene.layout_at(1.0)
    assert "cat" in scene.layout_at(1.7)


# -- round trip, for any storyboard ------------------------------------------------------------------------

coordinate = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def boxes(draw):
    x0, x1 = sorted(draw(st.lists(coordinate, min_size=2, max_size=2, unique=True)))
    y0, y1 = sorted(draw(st.lists(coordinate, min_size=2, max_size=2, unique=True)))
    return Box(x0=x0, y0=y0, x1=x1, y1=y1)


@st.composite
def storyboards(draw):
    ids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=4, unique=True))
    cast = [Entity(id=i, name=draw(st.text(min_size=1, max_size=12)), category="cat") for i in ids]
    scenes = []
    for k in range(draw(st.integers(1, 3))):
        duration = draw(st.floats(min_value=0.5, max_value=30, allow_nan=False))
        times = sorted(draw(st.lists(st.floats(min_value=0, max_value=duration, allow_nan=False), max_size=4, unique=True)))
        layouts = [LayoutFrame(t=t, boxes={i: draw(boxes()) for i in ids if draw(st.booleans())}) for t in times]
        scenes.append(Scene(id=f"s{k}", heading=draw(st.text(max_size=20)), duration=duration, entities=ids, layouts=layouts))
    return Storyboard(title=draw(st.text(max_size=20)), entities=cast, scenes=scenes)


@settings(max_examples=60, deadline=None)
@given(storyboards())
def test_any_storyboard_round_trips_through_json_exactly(board):
    text = board.to_json()
    again = Storyboard.from_json(text)
    assert again == board
    assert again.to_json() == text


# Ids made from user text, frame sizes, and files no loader should choke on -----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mira", "mira"),
        ("the RED ball", "the_red_ball"),
        ("Zoë", "zoe"),
        ("42 robots", "e_42_robots"),
        ("!!!", "thing"),
        ("x" * 200, "x" * 64),
        ("a " * 40, ("a_" * 32)[:63]),
    ],
)
def test_an_identifier_made_from_any_name_is_a_valid_id(text, expected):
    made = make_identifier(text)
    assert made == expected
    Entity(id=made, name=text, category="thing")  # valid: no ValidationError


def test_identifiers_made_for_a_taken_name_count_up_and_stay_within_the_limit():
    long = "y" * 80
    taken = {make_identifier(long)}
    second = make_identifier(long, taken)
    taken.add(second)
    third = make_identifier(long, taken)
    assert (second, third) == ("y" * 62 + "_2", "y" * 62 + "_3")
    assert make_identifier("cat", {"cat"}) == "cat_2"


@given(st.text(max_size=300), st.sets(st.from_regex(r"[a-z][a-z0-9_]{0,63}", fullmatch=True), max_size=5))
@settings(max_examples=200, deadline=None)
def test_make_identifier_gives_a_valid_unused_id_for_any_text(text, taken):
    made = make_identifier(text, taken)
    assert made not in taken
    Entity(id=made, name="n", category="thing")


def test_a_frame_size_is_checked_by_the_storyboards_rules():
    with pytest.raises(ValidationError, match="less than or equal to 7680"):
        FrameSize(width=100000, height=288)
    with pytest.raises(ValidationError, match="multiple of 2"):
        FrameSize(width=101, height=288)
    assert FrameSize(width=512, height=288).width == 512


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_a_board_nested_too_deeply_is_bad_input(depth):
    text = '{"scenes": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(InputError, match="nested too deeply"):
        Storyboard.from_json(text, source="deep.json")


def test_a_number_too_long_to_read_is_bad_input():
    with pytest.raises(InputError, match="huge.json: is not valid JSON"):
        Storyboard.from_json('{"fps": ' + "1" * 5000 + "}", source="huge.json")
