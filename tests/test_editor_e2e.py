"""The editor in a real browser: Playwright driving Debian's Chromium against the app on 127.0.0.1.

Needs `apt-get install chromium` (Playwright's own browser download cannot run here, so the system
browser is launched by its path). Skipped, saying why, when either is missing; CI installs both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("fastapi")

from director.editor.app import create_app  # noqa: E402
from director.editor.project import Project  # noqa: E402
from director.storyboard import Storyboard  # noqa: E402
from tests.conftest import make_board  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "film", make_board(scenes=2, duration=2.0, fps=6, width=320, height=180))


@pytest.fixture
def server(project):
    with LiveServer(lambda port: create_app(project, allowed_hosts=[f"127.0.0.1:{port}"])) as live:
        yield live


def open_editor(browser, server):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("document.querySelector('#preview').dataset.checksum !== undefined")
    page.errors = errors
    return page


def cat_x0_on_disk(project: Project) -> float:
    return Storyboard.load(project.root / "storyboard.json").scenes[0].layouts[0].boxes["cat"].x0


def test_drag_a_box_see_the_preview_save_reload_and_undo(browser, server, project):
    page = open_editor(browser, server)
    before = page.eval_on_selector("#preview", "img => img.dataset.checksum")
    body = page.locator("#canvas g.box[data-entity='cat'] rect.body")
    x_before = float(body.get_attribute("x"))
    box = body.bounding_box()
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 6):  # a real drag: several moves
        page.mouse.move(start[0] + 40 * step, start[1] - 10 * step)
    page.mouse.up()

    page.wait_for_function(f"document.querySelector('#preview').dataset.checksum !== '{before}'")  # the preview followed
    x_after = float(body.get_attribute("x"))
    assert x_after > x_before + 100  # SVG units: 1000 across the frame
    assert "unsaved" in page.inner_text("#status") and cat_x0_on_disk(project) == 0.05

    page.click("#save")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('v2 · saved')")
    moved_x0 = cat_x0_on_disk(project)
    assert moved_x0 == pytest.approx(0.05 + (x_after - x_before) / 1000, abs=0.002)

    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert float(page.get_attribute("#canvas g.box[data-entity='cat'] rect.body", "x")) == pytest.approx(x_after, abs=0.5)

    page.click("#undo")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('v1 · saved')")
    assert cat_x0_on_disk(project) == 0.05
    assert float(page.get_attribute("#canvas g.box[data-entity='cat'] rect.body", "x")) == pytest.approx(x_before, abs=0.5)
    assert page.errors == []


def test_an_invalid_value_is_shown_beside_its_field_and_never_saved(browser, server, project):
    page = open_editor(browser, server)
    before = (project.root / "storyboard.json").read_bytes()
    page.locator("#canvas g.box[data-entity='cat'] rect.body").click()
    x0 = page.locator("#tab-scene input[data-path='scenes.0.layouts.0.boxes.cat.x0']")
    x0.fill("0.95")  # right of its x1
    error = page.locator("#tab-scene input[data-path='scenes.0.layouts.0.boxes.cat.x0'] + .field-error")
    error.wait_for()
    assert "must be less than `x1`" in error.inner_text()
    assert "problem" in page.inner_text("#status")
    page.keyboard.press("Control+s")
    page.locator(".toast.error").wait_for()
    assert (project.root / "storyboard.json").read_bytes() == before and project.version == 1
    x0.fill("0.1")  # fixed: the error goes away and the edit saves
    error.wait_for(state="detached")
    page.click("#save")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('v2 · saved')")
    assert cat_x0_on_disk(project) == 0.1
    assert page.errors == []


def test_two_tabs_do_not_lose_each_others_edits(browser, server, project):
    tab_a, tab_b = open_editor(browser, server), open_editor(browser, server)
    tab_a.fill("#tab-scene input[data-path='scenes.0.heading']", "From tab A")
    tab_a.click("#save")
    tab_a.wait_for_function("document.querySelector('#status').textContent.startsWith('v2')")

    tab_b.click("#strip .card[data-scene='scene_2']")
    tab_b.fill("#tab-scene input[data-path='scenes.1.heading']", "From tab B")
    tab_b.click("#save")
    banner = tab_b.locator("#banner")
    banner.wait_for()
    assert "Version 2 was saved from another tab" in banner.inner_text()
    assert Storyboard.load(project.root / "storyboard.json").scenes[1].heading == "scene 2"  # B's edit not written over A's

    tab_b.click("#banner button.primary")  # save mine on top
    tab_b.wait_for_function("document.querySelector('#status').textContent.startsWith('v3 · saved')")
    assert project.board.scenes[1].heading == "From tab B"
    assert project.load_version(2).scenes[0].heading == "From tab A"  # A's edit is one undo away
    tab_b.click(".tabs button[data-tab='history']")
    assert tab_b.locator("#tab-history li").count() == 3


def test_render_shows_progress_and_plays_the_movie_in_the_page(browser, project):
    slow = "tests.slow_renderer:SlowAnimatic"  # 0.15 s a job, so the progress bar has time to show
    with LiveServer(create_app(project, renderer=slow)) as server:
        page = open_editor(browser, server)
        render_in_page(page, project)


def render_in_page(page, project: Project) -> None:
    assert page.inner_text("#render") == "Render (2 changed)"
    page.click("#render")
    page.wait_for_selector("#progress:not([hidden])")
    assert "Rendering v1 with tests.slow_renderer:SlowAnimatic" in page.inner_text("#progress .label")
    page.wait_for_selector("#movie", timeout=60_000)
    page.wait_for_function("document.querySelector('#movie').readyState >= 1 && document.querySelector('#movie').duration > 3.5", timeout=20_000)
    assert "jobs rendered" in page.inner_text("#render-summary")
    assert page.inner_text("#render") == "Render"
    assert (project.root / "renders" / "movie.mp4").stat().st_size > 0
