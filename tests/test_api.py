"""The Python API: plan, render, make; edit in Python and re-render from the cache."""

from __future__ import annotations

import pytest

from director import Director, InputError, Storyboard
from director.storyboard import Box
from tests.conftest import EXAMPLES, CountingRenderer, make_board


@pytest.fixture
def director(tmp_path):
    return Director(planner="rules", renderer="animatic", cache_dir=tmp_path / "cache", fps=4, size=(96, 54))


def test_plan_then_render_writes_the_movie_and_its_companions(director, tmp_path):
    board = director.plan('A cat sits on a table. A dog runs from the left to the right. "Wait!" said Mira.')
    assert isinstance(board, Storyboard) and (board.fps, board.width, board.height) == (4, 96, 54)
    result = director.render(board, tmp_path / "movie.mp4")
    for path in (result.files.movie, result.files.subtitles, result.files.contact_sheet, result.files.storyboard):
        assert path.is_file() and path.stat().st_size > 0
    assert result.stats.jobs_rendered > 0
    assert "Mira: Wait!" in result.files.subtitles.read_text()


def test_an_edited_storyboard_rerenders_only_what_changed(director, tmp_path):
    board = director.plan_file(EXAMPLES / "robot_day.txt")
    first = director.render(board, tmp_path / "a.mp4")
    scene = board.scenes[1]
    entity = scene.entities[0]
    frame = scene.layouts[0]
    frame.boxes[entity] = Box(x0=0.0, y0=0.0, x1=0.2, y1=0.3)  # edited in place, as a user would
    second = director.render(board, tmp_path / "b.mp4")
    assert set(second.stats.rendered_by_scene) == {"scene_2"}
    assert second.stats.jobs_rendered < first.stats.jobs_rendered / 2


def test_an_edit_that_breaks_the_storyboard_is_caught_before_rendering(director, tmp_path):
    board = director.plan("A cat sleeps.")
    board.scenes[0].layouts[0].boxes["ghost"] = Box(x0=0, y0=0, x1=0.1, y1=0.1)
    with pytest.raises(InputError, match="'ghost'"):
        director.render(board, tmp_path / "movie.mp4")
    assert not (tmp_path / "movie.mp4").exists()


def test_make_is_plan_plus_render(director, tmp_path):
    result = director.make("Scene 1: A bird flies from the left to the right.\nScene 2: The bird sleeps.", tmp_path / "m.mp4")
    assert len(result.storyboard.scenes) == 2
    assert Storyboard.load(result.files.storyboard) == result.storyboard


def test_unknown_names_fail_at_once_listing_what_exists(tmp_path):
    with pytest.raises(InputError, match="unknown renderer 'nope'; available: animatic"):
        Director(renderer="nope", cache_dir=tmp_path)



# One way through a render: arguments in, a result out -------------------------------------------------


class BuiltOnce(CountingRenderer):
    """The counting animatic, counting how many times it is built (loaded as 'tests.test_api:BuiltOnce')."""

    builds = 0

    def __init__(self, **options):
        super().__init__(**options)
        type(self).builds += 1


def test_progress_watch_and_the_state_file_are_arguments_of_render(tmp_path):
    from director.state import RenderStateFile

    director = Director(renderer="animatic", cache_dir=tmp_path / "cache", renderer_options={"window": 4})
    stages, snapshots, state = [], [], RenderStateFile(tmp_path / "m.mp4")
    director.render(make_board(), tmp_path / "m.mp4", progress=lambda s, d, t: stages.append(s), watch=snapshots.append, state=state)
    assert "level 0 (keyframes)" in stages and "encode" in stages and snapshots[-1].finished
    assert state.state["status"] == "done" and not state.resuming
    assert not hasattr(director, "progress") and not hasattr(director, "watch") and not hasattr(director, "last_state")
    with pytest.raises(TypeError):
        Director(renderer="animatic", progress=print)
    director.render(make_board(), tmp_path / "n.mp4", state=False)
    assert not (tmp_path / "n.render.json").exists()


def test_the_renderer_is_built_once_and_renders_everything(tmp_path):
    BuiltOnce.builds = 0
    director = Director(renderer="tests.test_api:BuiltOnce", cache_dir=tmp_path / "cache")
    first = director.render(make_board(scenes=2), tmp_path / "a.mp4")
    director.render(make_board(scenes=3), tmp_path / "b.mp4")
    assert BuiltOnce.builds == 1 and director.renderer.jobs == first.stats.jobs + first.stats.jobs // 2


def test_a_render_validates_the_board_once(tmp_path, monkeypatch):
    calls = []
    validate = Storyboard.model_validate.__func__

    def counting(cls, *args, **kwargs):
        calls.append(cls)
        return validate(cls, *args, **kwargs)

    monkeypatch.setattr(Storyboard, "model_validate", classmethod(counting))
    director = Director(renderer="animatic", cache_dir=tmp_path / "cache", fps=4, size=(64, 36))
    director.render(make_board(), tmp_path / "m.mp4")
    assert len(calls) == 1


# A board of a million scenes: refused at once, with the documented limit ------------------------------


def test_a_board_of_a_million_scenes_is_refused_before_it_costs_memory(tmp_path):
    import resource

    board = make_board(scenes=1)
    huge = Storyboard.model_construct(**{**dict(board), "scenes": board.scenes * 1_000_000})  # one Scene, a million times
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match=r"1000000 scenes; a storyboard may have at most \d+"):
        Director(renderer="animatic", cache_dir=tmp_path / "cache").render(huge, tmp_path / "m.mp4")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: nothing was dumped or planned
    assert not list(tmp_path.rglob("*"))


def test_the_command_line_refuses_a_million_scene_board_with_exit_2(tmp_path):
    from typer.testing import CliRunner

    from director.cli import app

    (tmp_path / "b.json").write_text('{"scenes": [' + ",".join(["{}"] * 1_000_000) + "]}")
    result = CliRunner().invoke(app, ["render", str(tmp_path / "b.json"), "-o", str(tmp_path / "m.mp4"), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 2, result.output
    assert "1000000 scenes; a storyboard may have at most" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]
