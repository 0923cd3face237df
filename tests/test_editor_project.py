"""The editor's project folder: versions, undo/redo, the version check, and paths that stay inside."""

from __future__ import annotations

import json

import pytest

from director.editor.project import Project, VersionConflict, describe_change, inside, open_project
from director.errors import InputError
from director.storyboard import Box, Storyboard
from tests.conftest import EXAMPLES, make_board


def moved(board: Storyboard, x0: float) -> Storyboard:
    """The board with the cat's first box moved to x0."""
    data = board.model_dump()
    box = data["scenes"][0]["layouts"][0]["boxes"]["cat"]
    box.update(x0=x0, x1=x0 + 0.2)
    return Storyboard.model_validate(data)


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "film", make_board())


def test_a_new_project_holds_the_board_as_version_one(project):
    assert project.version == 1 and not project.can_undo and not project.can_redo
    assert Storyboard.load(project.root / "storyboard.json") == make_board()
    assert (project.root / "history" / "v000001.json").is_file()


def test_every_save_is_a_version_and_undo_redo_walk_them(project):
    first = project.board
    project.save(moved(first, 0.3), base_version=1)
    project.save(moved(first, 0.5), base_version=2)
    assert project.version == 3
    assert project.undo(3) == 2
    assert Storyboard.load(project.root / "storyboard.json").scenes[0].layouts[0].boxes["cat"].x0 == 0.3
    assert project.undo(2) == 1 and project.board == first
    assert project.redo(1) == 2 and project.redo(2) == 3
    assert project.board.scenes[0].layouts[0].boxes["cat"].x0 == 0.5
    with pytest.raises(InputError, match="nothing to redo"):
        project.redo(3)


def test_saving_after_an_undo_starts_a_new_line_but_keeps_the_old_versions(project):
    project.save(moved(project.board, 0.3), 1)
    project.undo(2)
    project.save(moved(project.board, 0.6), 1)
    assert project.version == 3 and project.undo_line == [1, 3] and not project.can_redo
    assert [v.id for v in project.versions] == [1, 2, 3]
    project.restore(2, base_version=3)  # the version left behind is still there
    assert project.board.scenes[0].layouts[0].boxes["cat"].x0 == 0.3 and project.version == 4


def test_a_save_based_on_an_old_version_is_refused(project):
    project.save(moved(project.board, 0.3), 1)  # "tab A"
    with pytest.raises(VersionConflict) as caught:
        project.save(moved(project.board, 0.6), base_version=1)  # "tab B" started from version 1
    assert caught.value.current == 2
    assert project.board.scenes[0].layouts[0].boxes["cat"].x0 == 0.3
    with pytest.raises(VersionConflict):
        project.undo(1)


def test_saving_an_unchanged_board_makes_no_version(project):
    assert project.save(project.board, 1) is None and project.version == 1


def test_reopening_finds_the_history_and_records_changes_made_outside(project):
    project.save(moved(project.board, 0.3), 1)
    moved(project.board, 0.1).save(project.root / "storyboard.json")  # edited by hand, editor closed
    again = Project.open(project.root)
    assert again.version == 3 and again.versions[-1].message == "changed outside the editor"
    assert again.board.scenes[0].layouts[0].boxes["cat"].x0 == 0.1
    assert again.undo(3) == 2


def test_a_storyboard_broken_by_hand_is_refused_and_names_the_last_good_version(project):
    (project.root / "storyboard.json").write_text('{"scenes": []}')
    with pytest.raises(InputError, match=r"not a valid storyboard.*v000001\.json"):
        Project.open(project.root)


def test_a_damaged_history_index_is_an_error_naming_it(project):
    (project.root / "history" / "index.json").write_text(json.dumps({"versions": [], "line": [7], "position": 0}))
    with pytest.raises(InputError, match="history index is damaged"):
        Project.open(project.root)


@pytest.mark.parametrize("bad", ["../outside.txt", "renders/../../x", "/etc/passwd", "renders/../../../etc/passwd"])
def test_paths_outside_the_project_are_refused(project, bad):
    with pytest.raises(InputError, match="inside the project|outside the project"):
        project.path(bad)


def test_a_symlink_leading_out_of_the_project_is_refused(project, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    (project.root / "renders").mkdir()
    (project.root / "renders" / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InputError, match="outside the project"):
        inside(project.root, "renders/link.txt")
    assert project.path("renders/movie.mp4") == project.root / "renders" / "movie.mp4"


def test_open_project_plans_a_script_once_and_reopens_it_after(tmp_path):
    script = tmp_path / "kite.fountain"
    script.write_text((EXAMPLES / "the_kite.fountain").read_text())
    made, note = open_project(script)
    assert made.root == (tmp_path / "kite.director").resolve() and "planned" in note
    assert (made.root / "script.fountain").read_text() == script.read_text()
    made.save(moved_scene_title(made.board), 1)
    again, note = open_project(script)
    assert "existing project" in note and again.version == 2  # the edit is not planned over


def moved_scene_title(board: Storyboard) -> Storyboard:
    return board.model_copy(update={"title": "Renamed"})


def test_open_project_copies_a_storyboard_file_and_refuses_what_is_neither(tmp_path):
    make_board().save(tmp_path / "b.json")
    made, _ = open_project(tmp_path / "b.json", project=tmp_path / "p")
    assert made.board == make_board() and made.root == (tmp_path / "p").resolve()
    with pytest.raises(InputError, match="no such project folder"):
        open_project(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a director project"):
        open_project(tmp_path / "empty")


def test_describe_change_names_what_an_edit_touched():
    board = make_board()
    data = board.model_dump()
    data["scenes"][1]["layouts"][0]["boxes"]["cat"] = Box(x0=0, y0=0, x1=0.1, y1=0.1).model_dump()
    data["entities"][1]["name"] = "Rex"
    data["title"] = "New"
    assert describe_change(board, Storyboard.model_validate(data)) == "settings: title; cast: dog; scene_2: layouts"


def test_two_servers_on_one_folder_see_each_others_saves(project):
    other = Project.open(project.root)  # a second `director edit` on the same folder
    other.save(moved(other.board, 0.4), base_version=1)
    with pytest.raises(VersionConflict) as caught:
        project.save(moved(project.board, 0.6), base_version=1)
    assert caught.value.current == 2
    with project.lock:  # what the app does before answering: it now shows the other one's version
        assert project.version == 2 and project.board.scenes[0].layouts[0].boxes["cat"].x0 == 0.4
    project.save(moved(project.board, 0.6), base_version=2)
    assert [v.id for v in project.versions] == [1, 2, 3]
    other.undo(3)  # and the other way round
    assert Storyboard.load(project.root / "storyboard.json").scenes[0].layouts[0].boxes["cat"].x0 == 0.4
