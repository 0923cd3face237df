"""The editor's shot edits (director.editor.shots) and their endpoints: add, split, delete, change a shot;
and the preview saying which shot it shows and where its camera looks."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from director.editor.app import create_app
from director.editor.project import Project
from director.editor.shots import add_shot, delete_shot, split_shot, update_shot
from director.errors import InputError
from director.storyboard import Shot
from tests.conftest import make_board

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def board_with_shots():
    board = make_board(scenes=2, duration=3.0, fps=6)
    shots = [Shot(id="a", start=0.0, end=1.0), Shot(id="b", start=1.0, end=3.0, size="close_up", subjects=["cat"])]
    data = board.model_dump()
    data["scenes"][0]["shots"] = [s.model_dump() for s in shots]
    return type(board).model_validate(data)


def spans(board, scene=0):
    return [(s.id, s.start, s.end, s.size) for s in board.scenes[scene].cut]


def test_splitting_a_scene_without_shots_cuts_its_one_wide_shot_on_a_frame():
    board, new = split_shot(make_board(scenes=1, duration=3.0, fps=6), "scene_1", 1.26)  # nearest frame: 1.333 s
    assert new == "shot_2"
    assert spans(board) == [("shot_1", 0.0, 8 / 6, "wide"), ("shot_2", 8 / 6, 3.0, "wide")]


def test_a_split_keeps_the_framing_and_refuses_the_edge_of_a_shot():
    board, new = split_shot(board_with_shots(), "scene_1", 2.0)
    assert spans(board) == [("a", 0.0, 1.0, "wide"), ("b", 1.0, 2.0, "close_up"), (new, 2.0, 3.0, "close_up")]
    assert board.scenes[0].shots[2].subjects == ["cat"]
    with pytest.raises(InputError, match="at the edge of shot 'b'"):
        split_shot(board_with_shots(), "scene_1", 1.0)


def test_an_added_shot_takes_the_second_half_and_frames_who_speaks_then():
    board, new = add_shot(board_with_shots(), "scene_1", 0.2)  # in shot a (0-1 s); the dog speaks 0.5-1.5 s
    assert spans(board) == [("a", 0.0, 0.5, "wide"), (new, 0.5, 1.0, "medium"), ("b", 1.0, 3.0, "close_up")]
    assert board.scenes[0].shots[1].subjects == ["dog"]


def test_a_deleted_shots_time_goes_to_its_neighbour():
    board = delete_shot(board_with_shots(), "scene_1", "b")
    assert spans(board) == [("a", 0.0, 3.0, "wide")]
    board = delete_shot(board_with_shots(), "scene_1", "a")  # the first: the next one takes its time
    assert spans(board) == [("b", 0.0, 3.0, "close_up")]
    board = delete_shot(board, "scene_1", "b")  # the last: the scene is one wide shot again
    assert board.scenes[0].shots == [] and spans(board) == [("shot_1", 0.0, 3.0, "wide")]
    with pytest.raises(InputError, match="no shot to delete"):
        delete_shot(board, "scene_1", "shot_1")


def test_changing_a_shot_is_validated():
    board = update_shot(board_with_shots(), "scene_1", "a", {"size": "medium", "move": {"kind": "pan", "direction": "left"}})
    assert board.scenes[0].shots[0].size == "medium" and board.scenes[0].shots[0].move.direction == "left"
    with pytest.raises(InputError, match="needs a `direction` of left or right"):
        update_shot(board_with_shots(), "scene_1", "a", {"move": {"kind": "pan"}})
    with pytest.raises(InputError, match="move.target names 'owl', which is not in this scene"):
        update_shot(board_with_shots(), "scene_1", "a", {"move": {"kind": "follow", "target": "owl"}})
    with pytest.raises(InputError, match="start cannot be changed here"):
        update_shot(board_with_shots(), "scene_1", "a", {"start": 0.5})


def test_cast_edits_rename_who_a_shot_frames_follows_and_looks_through():
    from director.editor.cast import merge_entities, rename_entity

    board = update_shot(board_with_shots(), "scene_1", "a", {"angle": "pov", "pov": "dog", "move": {"kind": "follow", "target": "cat"}, "subjects": ["cat", "dog"]})
    renamed = rename_entity(board, "cat", new_id="tom")
    shot = renamed.scenes[0].shots[0]
    assert (shot.subjects, shot.pov, shot.move.target) == (["tom", "dog"], "dog", "tom")
    assert renamed.scenes[0].shots[1].subjects == ["tom"]
    merged = merge_entities(board, "dog", "cat").scenes[0].shots[0]
    assert (merged.subjects, merged.move.target) == (["dog"], "dog")


# -- through the app ---------------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path) -> TestClient:
    return TestClient(create_app(Project.create(tmp_path / "film", board_with_shots())))


def test_the_shot_endpoints_return_a_draft_and_save_nothing(client):
    project = client.get("/api/project").json()
    assert project["shot_options"]["moves"]["tilt"] == ["up", "down"] and "insert" in project["shot_options"]["sizes"]
    draft = project["storyboard"]
    answer = client.post("/api/shots/split", json={"storyboard": draft, "scene_id": "scene_1", "at": 0.5})
    assert answer.status_code == 200, answer.text
    assert [s["id"] for s in answer.json()["storyboard"]["scenes"][0]["shots"]] == ["a", answer.json()["shot"], "b"]
    assert client.get("/api/project").json()["version"] == 1  # a draft, not saved
    answer = client.post("/api/shots/update", json={"storyboard": draft, "scene_id": "scene_1", "shot_id": "a", "changes": {"angle": "pov"}})
    assert answer.status_code == 400 and "pov" in answer.json()["detail"]
    answer = client.post("/api/shots/delete", json={"storyboard": draft, "scene_id": "scene_9", "shot_id": "a"})
    assert answer.status_code == 400 and "no scene 'scene_9'" in answer.json()["detail"]


def test_the_preview_says_which_shot_it_shows_and_where_the_camera_looks(client):
    draft = client.get("/api/project").json()["storyboard"]
    body = {"scene": draft["scenes"][0], "entities": draft["entities"], "fps": 6, "width": 64, "height": 36}
    wide = client.post("/api/preview", json={**body, "t": 0.5})
    close = client.post("/api/preview", json={**body, "t": 2.0})
    assert wide.headers["x-director-shot"] == "a" and wide.headers["x-director-view"] == "0.50000 0.50000 1.00000"
    assert close.headers["x-director-shot"] == "b"
    cx, _, size = map(float, close.headers["x-director-view"].split())
    assert size < 0.5 and 0.05 < cx < 0.95  # a close-up on the cat: a small view
    assert wide.content != close.content
