"""Assembly: the movie's frames and timeline, transitions, subtitles, contact sheet, atomic writes."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np
import pytest

from director.assemble import assemble_movie, movie_subtitles, movie_timeline, srt_text
from director.cache import FrameCache
from director.execute import render_storyboard
from director.storyboard import Transition
from renderers.animatic import AnimaticRenderer
from tests.conftest import make_board


def decode(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return meta, np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])


def rendered(board, tmp_path):
    return render_storyboard(board, AnimaticRenderer(window=4, show_time=False), FrameCache(tmp_path / "cache"))


def test_the_movie_has_every_frame_of_every_scene(tmp_path):
    board = make_board(scenes=3, duration=2.0, fps=6)
    files = assemble_movie(rendered(board, tmp_path), tmp_path / "movie.mp4")
    meta, frames = decode(files.movie)
    assert meta["fps"] == 6 and meta["size"] == (64, 36)
    assert len(frames) == files.frames == 36
    assert meta["codec"].startswith("h264")


def test_crossfades_overlap_scenes_and_blend_them(tmp_path):
    board = make_board(scenes=2, duration=2.0, fps=6, transition=Transition(kind="crossfade", duration=0.5))
    timeline = movie_timeline(board)
    assert timeline.overlaps == (3, 0) and timeline.total_frames == 21
    result = rendered(board, tmp_path)
    files = assemble_movie(result, tmp_path / "movie.mp4")
    _, frames = decode(files.movie)
    assert len(frames) == 21
    middle = frames[10].astype(float)  # second frame of the three shared ones
    a, b = result.frame(0, 10).astype(float), result.frame(1, 1).astype(float)
    assert np.abs(middle - (a + b) / 2).mean() < np.abs(middle - a).mean()
    assert np.abs(middle - (a + b) / 2).mean() < np.abs(middle - b).mean()


def test_fade_to_black_darkens_the_end(tmp_path):
    board = make_board(scenes=1, duration=2.0, fps=6)
    board = board.model_copy(update={"scenes": [board.scenes[0].model_copy(update={"transition": Transition(kind="fade_to_black", duration=1.0)})]})
    _, frames = decode(assemble_movie(rendered(board, tmp_path), tmp_path / "m.mp4").movie)
    assert frames[-1].mean() < 0.3 * frames[0].mean()


def test_subtitles_are_in_movie_time_and_written_as_srt(tmp_path):
    board = make_board(scenes=2, duration=2.0, fps=6)
    subtitles = movie_subtitles(board)
    assert [(s.start, s.end, s.text) for s in subtitles] == [(0.5, 1.5, "dog: Woof"), (2.5, 3.5, "dog: Woof")]
    files = assemble_movie(rendered(board, tmp_path), tmp_path / "movie.mp4")
    assert files.subtitles.read_text() == srt_text(subtitles)
    assert "00:00:02,500 --> 00:00:03,500\ndog: Woof" in files.subtitles.read_text()


def test_burned_subtitles_change_the_bottom_of_the_frame(tmp_path):
    board = make_board(scenes=1, duration=2.0, fps=6, width=192, height=108)
    result = rendered(board, tmp_path)
    _, burned = decode(assemble_movie(result, tmp_path / "a.mp4", subtitles="burn").movie)
    _, clean = decode(assemble_movie(result, tmp_path / "b.mp4", subtitles="none").movie)
    bottom = slice(80, 108)
    assert np.abs(burned[6, bottom].astype(int) - clean[6, bottom]).mean() > 5  # 1.0 s: "Woof" is shown
    assert np.abs(burned[11, bottom].astype(int) - clean[11, bottom]).mean() < 2  # after the line


def test_contact_sheet_and_storyboard_are_written_beside_the_movie(tmp_path):
    from PIL import Image

    board = make_board(scenes=3)
    files = assemble_movie(rendered(board, tmp_path), tmp_path / "out" / "film.mp4")
    assert files.contact_sheet == tmp_path / "out" / "film.contact.png"
    assert Image.open(files.contact_sheet).size[1] > 3 * 30
    assert files.storyboard.read_text() == board.to_json()


def test_a_crash_while_encoding_leaves_no_movie_and_no_temporary_files(tmp_path, monkeypatch):
    board = make_board(scenes=2)
    result = rendered(board, tmp_path)
    (tmp_path / "out").mkdir()

    def broken_frame(scene_index, frame_index):
        if frame_index > 5:
            raise OSError("disk on fire")
        return np.zeros((36, 64, 3), np.uint8)

    monkeypatch.setattr(result, "frame", broken_frame)
    with pytest.raises(OSError, match="disk on fire"):
        assemble_movie(result, tmp_path / "out" / "movie.mp4")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_movie_path_must_end_in_mp4(tmp_path):
    from director.errors import InputError

    with pytest.raises(InputError, match="must be an .mp4"):
        assemble_movie(rendered(make_board(), tmp_path), tmp_path / "movie.avi")
