"""Assembly: the movie's frames and timeline, transitions, subtitles, contact sheet, atomic writes."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np
import pytest

from director.assemble import assemble_movie, board_page_paths, movie_subtitles, movie_timeline, shot_board, shot_label, srt_text
from director.cache import FrameCache
from director.drawing import identity_color
from director.execute import RenderedStoryboard, render_storyboard
from director.storyboard import CameraMove, Shot, Transition
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


def with_shots(board, scene_index, shots):
    scenes = list(board.scenes)
    scenes[scene_index] = scenes[scene_index].model_copy(update={"shots": shots})
    return type(board).model_validate({**board.model_dump(), "scenes": [s.model_dump() for s in scenes]})


THREE_SHOTS = [
    Shot(id="wide", start=0.0, end=1.0),
    Shot(id="dog_close", start=1.0, end=2.0, size="close_up", angle="low", subjects=["dog"]),
    Shot(id="pan", start=2.0, end=3.0, size="medium", move=CameraMove(kind="pan", direction="right"), subjects=["cat"]),
]


def colour_extent(image, rgb, tolerance=40):
    """The area (pixels) of the bounding box of the pixels of colour `rgb`: how large a box outline in it is."""
    pixels = np.asarray(image.convert("RGB")).astype(int)
    ys, xs = np.nonzero(np.abs(pixels - np.array(rgb)).sum(axis=2) < tolerance)
    return 0 if len(xs) == 0 else int((xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1))


PAD, BAND, CAPTION = 8, 36, 4 + 4 * 13  # the board's gaps, a row's heading band, the captions under a panel


def test_the_shot_board_has_a_panel_per_shot_framed_as_the_shot_frames_it(tmp_path):
    board = with_shots(make_board(scenes=2, duration=3.0, fps=6, width=192, height=108), 0, THREE_SHOTS)
    pages = shot_board(rendered(board, tmp_path), columns=6, thumb_width=192)
    assert len(pages) == 1
    sheet = pages[0]
    # one row: scene 1's three panels, then scene 2's one (it lists no shots: one wide shot); four columns used
    assert sheet.size == (PAD + 4 * (192 + PAD), PAD + BAND + 108 + CAPTION + PAD)

    def panel(column):
        x, y = PAD + column * (192 + PAD), PAD + BAND
        return sheet.crop((x, y, x + 192, y + 108))

    dog = identity_color(board.entity("dog"))
    wide, close, scene_2 = (colour_extent(panel(c), dog) for c in (0, 1, 3))
    assert close > 4 * wide  # the close-up makes the dog large
    assert wide == pytest.approx(scene_2, rel=0.2)  # both wide: the dog as the layout has it
    band = np.asarray(sheet.crop((PAD, PAD, sheet.size[0] - PAD, PAD + BAND - 4)).convert("L"))
    assert (band > 150).sum() > 100  # the headings are written above the panels


def test_a_shot_is_labelled_with_its_size_angle_and_move():
    names = {"dog": "Biscuit", "cat": "Mira"}
    assert shot_label(THREE_SHOTS[0], names) == "WS"
    assert shot_label(THREE_SHOTS[1], names) == "CU · low"
    assert shot_label(THREE_SHOTS[2], names) == "MS · pan right"
    follow = Shot(id="f", start=0, end=1, angle="pov", pov="cat", move=CameraMove(kind="follow", target="dog"), size="full")
    assert shot_label(follow, names) == "FS · POV Mira · follow Biscuit"
    zoom = Shot(id="z", start=0, end=1, size="extreme_close_up", move=CameraMove(kind="zoom", direction="in", amount=1.5))
    assert shot_label(zoom, names) == "ECU · zoom in 1.5"


def test_scenes_share_a_row_while_they_fit_and_a_long_board_goes_onto_pages(tmp_path):
    shots = [Shot(id=f"s{k}", start=k * 0.5, end=(k + 1) * 0.5) for k in range(6)]
    board = with_shots(make_board(scenes=3, duration=3.0, fps=6), 1, shots)
    row_h = BAND + 36 + CAPTION + PAD
    # two columns: scene 1 (one shot) has a row; scene 2's six shots do not fit beside it and take three rows
    # of their own; scene 3 finds the last of them full: a fifth row. Two rows a page: three pages
    pages = shot_board(rendered(board, tmp_path), columns=2, rows_per_page=2, thumb_width=64)
    assert [page.size for page in pages] == [(PAD + 2 * 72, PAD + 2 * row_h)] * 2 + [(PAD + 2 * 72, PAD + row_h)]
    # seven columns: scenes 1 and 2 share a row (1 + 6 shots); scene 3 starts the next
    pages = shot_board(rendered(board, tmp_path), columns=7, rows_per_page=2, thumb_width=64)
    assert [page.size for page in pages] == [(PAD + 7 * 72, PAD + 2 * row_h)]


def test_every_page_of_the_board_is_written_beside_the_movie_and_old_pages_go(tmp_path, monkeypatch):
    from PIL import Image

    import director.assemble

    monkeypatch.setattr(director.assemble, "BOARD_COLUMNS", 1)
    monkeypatch.setattr(director.assemble, "BOARD_ROWS_PER_PAGE", 2)
    long_board = make_board(scenes=3, duration=2.0, fps=3)  # 3 rows of one panel: two pages
    files = assemble_movie(rendered(long_board, tmp_path), tmp_path / "out" / "film.mp4")
    assert files.board_pages == tuple(board_page_paths(tmp_path / "out" / "film.mp4", 2))
    assert [p.name for p in files.board_pages] == ["film.contact.png", "film.contact-2.png"]
    assert all(Image.open(p).size[0] > 0 for p in files.board_pages)
    files = assemble_movie(rendered(make_board(scenes=2), tmp_path), tmp_path / "out" / "film.mp4")
    assert files.board_pages == (tmp_path / "out" / "film.contact.png",)
    assert not (tmp_path / "out" / "film.contact-2.png").exists()


class PaintedStoryboard(RenderedStoryboard):
    """A rendered storyboard whose frames are painted on demand (one grey per scene), not read from a cache:
    for boards too long to render in a test."""

    def __init__(self, board):
        super().__init__(board=board, scenes=[], cache=None, stats=None)

    def frame(self, scene_index, frame_index):
        return np.full((self.board.height, self.board.width, 3), 40 + scene_index % 200, np.uint8)


def test_a_feature_length_board_goes_onto_pages_of_ten_rows(tmp_path):
    one = make_board(scenes=1, duration=5.0, fps=2)
    scene = one.scenes[0].model_copy(update={"shots": [Shot(id=f"s{k}", start=float(k), end=k + 1.0) for k in range(5)]})
    data = one.model_dump()
    data["scenes"] = [{**scene.model_dump(), "id": f"scene_{i}", "heading": f"INT. ROOM {i} - DAY"} for i in range(190)]
    feature = type(one).model_validate(data)  # 190 scenes, 950 shots
    pages = shot_board(PaintedStoryboard(feature))
    row_h = BAND + 108 + CAPTION + PAD
    # five shots a scene: two scenes never share a row of six; 190 rows, ten a page
    assert len(pages) == 19
    assert {page.size for page in pages} == {(PAD + 5 * (192 + PAD), PAD + 10 * row_h)}
