"""The Python API: plan, render, make; edit in Python and re-render from the cache."""

from __future__ import annotations

import pytest

from director import Director, InputError, Storyboard
from director.storyboard import Box
from tests.conftest import EXAMPLES


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
