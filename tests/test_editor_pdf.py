"""The editor's PDF button: the printed storyboard (`board_pdf`) of the project, downloaded from the page.

The browser tests drive Debian's Chromium through Playwright (see tests/test_editor_e2e.py) and read the
download with poppler's pdfinfo; the others ask the app directly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from director.editor.app import create_app  # noqa: E402
from director.editor.project import Project  # noqa: E402
from tests.conftest import make_board  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

needs_poppler = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils is not installed (apt-get install poppler-utils)")


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's answer as a dict ('Pages': '3', 'Page size': '792 x 612 pts (letter)', ...)."""
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


@pytest.fixture
def project(tmp_path) -> Project:
    # 7 scenes of one shot each: a cover and two pages of panels (six a page)
    return Project.create(tmp_path / "film", make_board(scenes=7, duration=2.0, fps=6, width=128, height=72))


# -- in the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    from tests.test_editor_e2e import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("needs Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, project):
    from tests.test_editor_e2e import open_editor

    with LiveServer(lambda port: create_app(project, allowed_hosts=[f"127.0.0.1:{port}"])) as server:
        page = open_editor(browser, server)
        yield page
        assert page.errors == []
        page.close()


def download_pdf(page, tmp_path: Path, paper: str) -> Path:
    page.select_option("#paper", paper)
    with page.expect_download(timeout=60_000) as download:
        page.click("#export-pdf")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


@pytest.mark.e2e
@needs_poppler
def test_the_pdf_button_downloads_the_printed_storyboard_on_either_paper(page, project, tmp_path):
    letter = download_pdf(page, tmp_path, "letter")
    assert letter.name == "test-v1-letter.pdf"
    info = pdf_info(letter)
    assert info["Pages"] == "3" and info["Title"] == "Test"
    assert info["Page size"].startswith("792 x 612 pts")  # US Letter, landscape
    page.locator(".toast", has_text="3 pages, 7 panels").wait_for()
    assert letter.read_bytes() == (project.root / "exports" / letter.name).read_bytes()

    a4 = download_pdf(page, tmp_path, "a4")
    info = pdf_info(a4)
    assert info["Pages"] == "3" and "(A4)" in info["Page size"]


@pytest.mark.e2e
@needs_poppler
def test_the_pdf_prints_the_edit_on_the_page_saving_it_first(page, project, tmp_path):
    page.fill("#title", "Night Kite")
    printed = download_pdf(page, tmp_path, "letter")
    assert printed.name == "night_kite-v2-letter.pdf" and pdf_info(printed)["Title"] == "Night Kite"
    assert project.version == 2 and project.board.title == "Night Kite"


# -- through the app ---------------------------------------------------------------------------------


@pytest.fixture
def client(project):
    from fastapi.testclient import TestClient

    with TestClient(create_app(project)) as client:
        yield client


def test_the_pdf_shows_the_movies_frames_only_when_the_movie_is_of_this_version(client, project):
    from tests.test_editor_app import render

    answer = client.post("/api/export/pdf", json={"paper": "a4"}).json()
    assert (answer["pages"], answer["panels"]) == (3, 7)
    assert any("animatic" in note for note in answer["notes"])
    render(client, 1)
    answer = client.post("/api/export/pdf", json={}).json()
    assert answer["notes"] == [] and answer["url"] == "/files/exports/test-v1-letter.pdf"
    data = client.get(answer["url"]).content
    assert data.startswith(b"%PDF-")

    board = project.board
    crossfade = board.scenes[0].transition.model_copy(update={"kind": "crossfade", "duration": 0.5})
    edited = board.model_copy(update={"scenes": [board.scenes[0].model_copy(update={"transition": crossfade}), *board.scenes[1:]]})
    client.post("/api/storyboard", json={"storyboard": edited.model_dump(mode="json"), "base_version": 1})
    answer = client.post("/api/export/pdf", json={}).json()
    assert any("not of v2" in note for note in answer["notes"])  # a new transition: the movie has other frames


def test_a_paper_the_pdf_does_not_know_is_refused_and_nothing_is_written(client, project):
    answer = client.post("/api/export/pdf", json={"paper": "a3"})
    assert answer.status_code == 422
    assert not (project.root / "exports").exists()
