"""Layout interchange: LVD box text, VideoDirectorGPT plans and VisorGPT sequences, both ways."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from director.cli import app
from director.errors import InputError
from director.interchange import FORMATS, export_layouts, import_layouts
from director.storyboard import Shot
from director.script import parse_script
from planners.rules import RulesPlanner
from tests.conftest import make_board

LVD_TEXT = """Caption: A woman walking from the left to the right and a man jumping on the right in a room
Reasoning: A woman is walking from the left to the right so her x-coordinate should increase.
Frame 1: [{'id': 0, 'name': 'walking woman', 'box': [0, 270, 120, 200]}, {'id': 1, 'name': 'jumping man', 'box': [380, 290, 120, 180]}]
Frame 2: [{'id': 0, 'name': 'walking woman', 'box': [50, 270, 120, 200]}, {'id': 1, 'name': 'jumping man', 'box': [380, 205, 120, 200]}]
Frame 3: [{'id': 0, 'name': 'walking woman', 'box': [100, 270, 120, 200]}, {'id': 1, 'name': 'jumping man', 'box': [380, 175, 120, 200]}]
Frame 4: [{'id': 0, 'name': 'walking woman', 'box': [150, 270, 120, 200]}, {'id': 1, 'name': 'jumping man', 'box': [380, 175, 120, 200]}]
Frame 5: [{'id': 0, 'name': 'walking woman', 'box': [200, 270, 120, 200]}, {'id': 1, 'name': 'jumping man', 'box': [380, 205, 120, 200]}]
Frame 6: [{'id': 0, 'name': 'walking woman', 'box': [250, 270, 120, 200]}, {'id': 1, 'name': 'jumping man', 'box': [380, 290, 120, 180]}]
Background keyword: room
"""


def test_lvd_text_imports_with_its_boxes_in_pixels_of_a_512_canvas():
    board = import_layouts(LVD_TEXT, "lvd")
    scene = board.scenes[0]
    assert [e.name for e in board.entities] == ["walking woman", "jumping man"]
    assert board.entity("walking_woman").category == "person"
    assert scene.background == "room" and len(scene.layouts) == 6
    first, last = scene.layouts[0].boxes["walking_woman"], scene.layouts[-1].boxes["walking_woman"]
    assert (first.x0, first.y0, first.width, first.height) == pytest.approx((0, 270 / 512, 120 / 512, 200 / 512))
    assert last.x0 == pytest.approx(250 / 512)  # she walked to the right


@pytest.mark.parametrize("format", FORMATS)
def test_every_format_round_trips_the_layout_track(format):
    board = RulesPlanner().plan(parse_script("A cat sits on a table. A dog runs from the left to the right.\n\nThe dog sleeps under the table."))
    again = import_layouts(export_layouts(board, format, frames=6), format)
    assert len(again.scenes) == len(board.scenes)
    for scene, imported in zip(board.scenes, again.scenes, strict=True):
        assert len(imported.layouts) == 6
        for k, frame in enumerate(imported.layouts):
            t = scene.duration * k / 6
            for name_id, box in frame.boxes.items():
                original_id = next(e.id for e in board.entities if e.name == again.entity(name_id).name or e.category == again.entity(name_id).category)
                original = scene.layout_at(t)[original_id]
                assert box.center == pytest.approx(original.center, abs=2 / 512)


def test_videodirectorgpt_plan_keeps_identities_across_scenes():
    board = make_board(scenes=3)
    plan = json.loads(export_layouts(board, "videodirectorgpt"))
    assert plan["consistency_groupings"] == {"cat": [1, 2, 3], "dog": [1, 2, 3]}
    assert plan["scenes"][0]["layouts"][0]["boxes"][0] == ["cat", [0.05, 0.5, 0.25, 0.8]]
    again = import_layouts(json.dumps(plan), "videodirectorgpt")
    assert [e.id for e in again.entities] == ["cat", "dog"]
    assert all(s.entities == ["cat", "dog"] for s in again.scenes)


def test_visorgpt_lines_follow_its_box_sequence_format():
    text = export_layouts(make_board(scenes=1), "visorgpt", frames=2)
    first = text.splitlines()[0]
    assert first.startswith("box; multiple instances; 2; 0; large; cat, dog; [ xmin $26 ymin $256 xmax $128 ymax $410]")
    two_cats = "box; multiple instances; 2; 0; medium; cat, cat; [ xmin $10 ymin $10 xmax $60 ymax $60] [ xmin $100 ymin $10 xmax $150 ymax $60]\n"
    board = import_layouts(two_cats * 2, "visorgpt")
    assert sorted(board.scenes[0].entities) == ["cat", "cat_2"]


@pytest.mark.parametrize(
    ("format", "text", "message"),
    [
        ("lvd", "Frame 1: [{'name': 'cat', 'box': [0, 0, 10]}]\n", "line 1"),
        ("lvd", "Frame 1: not a list\n", "line 1: the frame is not a list"),
        ("lvd", "Caption: nothing\n", "no 'Frame N:' lines"),
        ("lvd", "Frame 1: [{'name': 'cat', 'box': [500, 0, 100, 10]}]\n", "goes outside the frame"),
        ("videodirectorgpt", "{not json", "is not valid JSON"),
        ("videodirectorgpt", '{"scenes": [{"layouts": [{"boxes": [["cat", [0.5, 0.5, 0.1, 0.9]]]}]}]}', "is not a box"),
        ("visorgpt", "box; multiple instances; 2; 0; large; cat; [ xmin $1 ymin $1 xmax $9 ymax $9]\n", "says 2 instances"),
        ("mp4", "x", "unknown layout format 'mp4'"),
    ],
)
def test_bad_layout_files_are_refused_with_the_place_named(format, text, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        import_layouts(text, format, source="in.txt")


def test_cli_exports_and_imports(tmp_path):
    runner = CliRunner()
    make_board().save(tmp_path / "b.json")
    result = runner.invoke(app, ["export", str(tmp_path / "b.json"), "-o", str(tmp_path / "b.lvd.txt"), "--format", "lvd"])
    assert result.exit_code == 0, result.output
    assert "Frame 6:" in (tmp_path / "b.lvd.txt").read_text()
    result = runner.invoke(app, ["import", str(tmp_path / "b.lvd.txt"), "-o", str(tmp_path / "again.json"), "--format", "lvd"])
    assert result.exit_code == 0, result.output
    (tmp_path / "bad.txt").write_text("Frame 1: [oops\n")
    result = runner.invoke(app, ["import", str(tmp_path / "bad.txt"), "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "bad.txt: line 1" in result.output
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("format", FORMATS)
def test_exporting_a_cut_scene_to_a_layout_format_says_its_shots_are_dropped_and_keeps_scene_boxes(tmp_path, format):
    board = make_board(scenes=2)
    cut = board.scenes[0].model_copy(
        update={"shots": [Shot(id="wide", start=0.0, end=1.0), Shot(id="close", start=1.0, end=2.0, size="close_up", subjects=["dog"])]}
    )
    board = board.model_copy(update={"scenes": [cut, board.scenes[1]]}).revalidated()
    board.save(tmp_path / "b.json")
    result = CliRunner().invoke(app, ["export", str(tmp_path / "b.json"), "-o", str(tmp_path / "out.txt"), "--format", format])
    assert result.exit_code == 0, result.output
    assert f"dropped by {format}: shots: 2 shots in 1 scene" in result.output
    # the layout written is the scene's, not the close-up's framing: the same as the uncut board's
    uncut = board.model_copy(update={"scenes": [cut.model_copy(update={"shots": []}), board.scenes[1]]})
    assert (tmp_path / "out.txt").read_text() == export_layouts(uncut, format)
