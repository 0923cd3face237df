"""The editor's shot controls in a real browser (Playwright, Debian's Chromium): add, split, delete a shot,
change its size, scale the shots with the scene's duration, drag a box from the camera view. Each test
saves and reads the storyboard file the editor wrote, not only the page."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")
pytest.importorskip("fastapi")

from director.editor.app import create_app
from director.editor.project import Project
from director.storyboard import Shot, Storyboard
from tests.conftest import make_board
from tests.live_server import LiveServer
from tests.test_editor_e2e import CHROMIUM, CHROMIUM_ARGS, open_editor, pytestmark  # noqa: F401 (the e2e marks)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def board(shots: list[Shot] | None = None) -> Storyboard:
    board = make_board(scenes=2, duration=2.0, fps=6, width=320, height=180)
    data = board.model_dump()
    data["scenes"][0]["shots"] = [s.model_dump() for s in shots or []]
    return Storyboard.model_validate(data)


TWO_SHOTS = [Shot(id="wide", start=0.0, end=1.0), Shot(id="close", start=1.0, end=2.0, size="close_up", subjects=["dog"])]


def serve(tmp_path, shots=None):
    project = Project.create(tmp_path / "film", board(shots))
    return project, LiveServer(lambda port: create_app(project, allowed_hosts=[f"127.0.0.1:{port}"]))


def saved_shots(project: Project) -> list[tuple[str, float, float, str]]:
    scene = Storyboard.load(project.root / "storyboard.json").scenes[0]
    return [(s.id, round(s.start, 4), round(s.end, 4), s.size) for s in scene.shots]


def save(page, version: int) -> None:
    page.click("#save")
    page.wait_for_function(f"document.querySelector('#status').textContent.startsWith('v{version} · saved')")


def seek(page, t: float, duration: float = 2.0) -> None:
    """Click the timeline at scene time `t` (the timeline pads 10 of its width units on each side)."""
    box = page.locator("#timeline").bounding_box()
    pad = 10 * box["width"] / max(200, page.eval_on_selector("#timeline", "e => e.clientWidth"))
    page.mouse.click(box["x"] + pad + (box["width"] - 2 * pad) * t / duration, box["y"] + box["height"] - 20)
    page.wait_for_function(f"document.querySelector('#time').textContent === '{t:.2f} s'")


def segments(page) -> list[str]:
    return page.eval_on_selector_all("#timeline rect.shot", "rs => rs.map(r => r.dataset.shot)")


def test_add_a_shot_and_save_it(browser, tmp_path):
    project, live = serve(tmp_path)
    with live as server:
        page = open_editor(browser, server)
        assert segments(page) == ["shot_1"] and saved_shots(project) == []  # no shots listed: one wide shot
        page.click("#add-shot")
        page.wait_for_function("document.querySelectorAll('#timeline rect.shot').length === 2")
        assert "2 MS" in page.eval_on_selector_all("#timeline text.shot-label", "ts => ts.map(t => t.textContent)")
        save(page, 2)
        assert saved_shots(project) == [("shot_1", 0.0, 1.0, "wide"), ("shot_2", 1.0, 2.0, "medium")]
        assert Storyboard.load(project.root / "storyboard.json").scenes[0].shots[1].subjects == ["dog"]  # who speaks then
        assert page.errors == []


def test_split_a_shot_at_the_playhead_and_save_it(browser, tmp_path):
    project, live = serve(tmp_path, TWO_SHOTS)
    with live as server:
        page = open_editor(browser, server)
        seek(page, 1.5)
        assert page.inner_text("#shot-actions .shot-name") == "Shot 2/2"
        page.click("#split-shot")
        page.wait_for_function("document.querySelectorAll('#timeline rect.shot').length === 3")
        save(page, 2)
        assert saved_shots(project) == [("wide", 0.0, 1.0, "wide"), ("close", 1.0, 1.5, "close_up"), ("shot_3", 1.5, 2.0, "close_up")]
        assert page.errors == []


def test_delete_a_shot_and_its_neighbour_takes_its_time(browser, tmp_path):
    project, live = serve(tmp_path, TWO_SHOTS)
    with live as server:
        page = open_editor(browser, server)
        seek(page, 0.5)
        page.click("#delete-shot")
        page.wait_for_function("document.querySelectorAll('#timeline rect.shot').length === 1")
        save(page, 2)
        assert saved_shots(project) == [("close", 0.0, 2.0, "close_up")]
        page.click("#undo")
        page.wait_for_function("document.querySelector('#status').textContent.startsWith('v1 · saved')")
        assert saved_shots(project) == [("wide", 0.0, 1.0, "wide"), ("close", 1.0, 2.0, "close_up")]
        assert page.errors == []


def test_change_a_shots_size_and_the_preview_and_canvas_frame_it(browser, tmp_path):
    project, live = serve(tmp_path, TWO_SHOTS)
    with live as server:
        page = open_editor(browser, server)
        page.wait_for_selector("#canvas image")  # the painted setting under the boxes (its request has no shots)
        seek(page, 0.5)
        assert page.locator("#canvas rect.camera-frame").count() == 0  # a wide shot sees the whole scene
        before = page.eval_on_selector("#preview", "img => img.dataset.checksum")
        page.select_option("#shot-size", "close_up")
        page.click("#shot-subjects button[data-entity='cat']")  # frame the cat
        page.wait_for_function("document.querySelector('#shot-subjects button[data-entity=cat]').getAttribute('aria-pressed') === 'true'")
        page.wait_for_function(f"document.querySelector('#preview').dataset.checksum !== '{before}'")
        page.wait_for_selector("#canvas rect.camera-frame")
        assert "shot 1/2 CU" in page.inner_text("#preview-meta")
        frame_width = float(page.get_attribute("#canvas rect.camera-frame", "width"))
        assert frame_width < 500  # of 1000: the close-up sees less than half the scene
        save(page, 2)
        shot = Storyboard.load(project.root / "storyboard.json").scenes[0].shots[0]
        assert (shot.size, shot.subjects) == ("close_up", ["cat"])
        assert page.errors == []


def test_a_new_duration_scales_the_shots(browser, tmp_path):
    project, live = serve(tmp_path, TWO_SHOTS)
    with live as server:
        page = open_editor(browser, server)
        page.fill("#tab-scene input[data-path='scenes.0.duration']", "4")
        page.wait_for_function("document.querySelector('#status').textContent.includes('unsaved')")
        save(page, 2)
        assert saved_shots(project) == [("wide", 0.0, 2.0, "wide"), ("close", 2.0, 4.0, "close_up")]
        assert page.errors == []


def test_a_box_dragged_in_the_camera_view_moves_in_the_scene(browser, tmp_path):
    shots = [Shot(id="close", start=0.0, end=2.0, size="medium", subjects=["cat"])]  # the camera follows the cat
    project, live = serve(tmp_path, shots)
    with live as server:
        page = open_editor(browser, server)
        page.click("#canvas-view")
        page.wait_for_selector("#canvas g.box.camera[data-entity='cat'] rect.body")
        body = page.locator("#canvas g.box.camera[data-entity='cat'] rect.body").bounding_box()
        scene_px = page.eval_on_selector("#canvas", "c => c.getScreenCTM().a * 1000")  # the scene's width on screen
        x, y = body["x"] + body["width"] / 2, body["y"] + body["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        assert page.locator("#canvas g.box.camera").count() == 0  # the scene view while dragging
        page.mouse.move(x + scene_px * 0.1, y, steps=5)  # a tenth of the scene's width
        page.mouse.up()
        page.wait_for_selector("#canvas g.box.camera")  # back to the camera view
        save(page, 2)
        x0 = Storyboard.load(project.root / "storyboard.json").scenes[0].layouts[0].boxes["cat"].x0
        assert x0 == pytest.approx(0.05 + 0.1, abs=0.01)
        assert page.errors == []
