"""The printed storyboard: pages rendered by poppler (pdftoppm, pdfimages, pdftotext) and checked."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from director.board_pdf import write_board_pdf
from director.cli import app
from director.storyboard import DialogueLine, Entity
from tests.conftest import make_board

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed (apt-get install poppler-utils)")
runner = CliRunner()


def images_per_page(pdf: Path) -> dict[int, int]:
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    counts: dict[int, int] = {}
    for row in listing:
        page = int(row.split()[0])
        counts[page] = counts.get(page, 0) + 1
    return counts


def page_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@needs_poppler
@pytest.mark.parametrize("paper, size_mm", [("letter", (279.4, 215.9)), ("a4", (297.0, 210.0))])
def test_pages_hold_a_cover_and_six_panels_a_page(tmp_path, paper, size_mm):
    board = make_board(scenes=8, duration=2.0, fps=6, width=128, height=72)
    printed = write_board_pdf(board, tmp_path / "b.pdf", paper=paper)
    assert (printed.pages, printed.panels) == (3, 8)
    assert images_per_page(printed.path) == {2: 6, 3: 2}
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(printed.path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3
    width, height = Image.open(pages[0]).size
    assert abs(width / height - size_mm[0] / size_mm[1]) < 0.01  # landscape, the paper's shape
    second = np.asarray(Image.open(pages[1]).convert("L"))
    assert (second < 250).mean() > 0.1  # panels drawn, not a blank page
    text = page_text(printed.path)
    assert "page 1 of 3" in text and "page 3 of 3" in text
    assert all(f"scene_{k}.shot_1" in text for k in range(1, 9))
    assert "DOG: Woof" in text and "Camera:" in text


@needs_poppler
def test_text_outside_latin_1_prints(tmp_path):
    board = make_board(scenes=1)
    board = board.model_copy(update={
        "title": "Kōhī — Зимний вечер",
        "entities": [board.entities[0], Entity(id="dog", name="Пёс Ω", category="dog")],
    })
    scene = board.scenes[0].model_copy(update={"dialogue": [DialogueLine(speaker="dog", text="Гав! 東京", start=0.5, end=1.5)]})
    board = board.model_copy(update={"scenes": [scene]}).revalidated()
    printed = write_board_pdf(board, tmp_path / "b.pdf")
    text = page_text(printed.path)
    assert "Зимний вечер" in text and "ПЁС Ω: Гав!" in text


@needs_poppler
def test_panels_take_their_frames_from_the_movie(tmp_path):
    from director.api import Director

    board = make_board(scenes=2, width=64, height=36)
    Director(planner="rules", renderer="animatic", cache_dir=tmp_path / "cache").render(board, tmp_path / "m.mp4", state=False)
    printed = write_board_pdf(board, tmp_path / "b.pdf", movie=tmp_path / "m.mp4")
    assert printed.notes == []
    listing = subprocess.run(["pdfimages", "-list", str(printed.path)], capture_output=True, text=True, check=True).stdout
    sizes = {tuple(row.split()[3:5]) for row in listing.splitlines()[2:]}
    assert sizes == {("64", "36")}


def test_cli_board_refuses_bad_input_and_writes_nothing(tmp_path):
    make_board().save(tmp_path / "b.json")
    (tmp_path / "notes.txt").write_text("not a storyboard")
    cases = [
        (["board", str(tmp_path / "notes.txt"), "-o", str(tmp_path / "x.pdf")], "not valid JSON"),
        (["board", str(tmp_path / "b.json"), "-o", str(tmp_path / "x.pdf"), "--paper", "a3"], "use letter or a4"),
        (["board", str(tmp_path / "b.json"), "-o", str(tmp_path / "x.png")], "must be a .pdf"),
        (["board", str(tmp_path / "b.json"), "-o", str(tmp_path / "b.json" / "x.pdf")], "cannot be written"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "notes.txt"]
    result = runner.invoke(app, ["board", str(tmp_path / "b.json"), "-o", str(tmp_path / "b.pdf"), "--paper", "a4"])
    assert result.exit_code == 0 and "2 pages, 2 panels" in result.output


@needs_poppler
def test_a_panel_per_shot_with_its_camera_notes(tmp_path):
    from tests.test_edit_timeline import shot_board

    board = shot_board()  # 9 shots: three in scene 1, two in scenes 2 and 3, one in each of the others
    printed = write_board_pdf(board, tmp_path / "b.pdf")
    assert (printed.pages, printed.panels) == (3, 9)
    assert images_per_page(printed.path) == {2: 6, 3: 3}
    text = " ".join(page_text(printed.path).split())  # pdftotext lays out columns: words, not lines
    for shot_id in ("scene_1.hill", "scene_1.mira_close", "scene_1.both", "scene_2.dog", "scene_2.her_eyes", "scene_3.owl", "scene_4.shot_1"):
        assert shot_id in text
    assert "close-up on Mira, low angle, pan right 0.3" in text
    assert "medium shot on Mira, Biscuit, eye level, dolly in" in text
    assert "wide on red kite, POV of Mira, static; crossfade" in text  # scene 2's last shot, into the crossfade
    assert "the kite over the hill" in text  # a shot's own description is its action
    assert text.count("MIRA: ") == 3  # each line on the panel of the shot it is spoken in, once
