"""The editor's HTTP API, through FastAPI's test client: save, validate, preview, history, guards, render, export."""

from __future__ import annotations

import copy
import io
import subprocess
import sys
import time
import warnings
import zipfile

import httpx
import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2 in its newest releases; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from PIL import Image  # noqa: E402

from director.editor.app import create_app  # noqa: E402
from director.editor.project import Project  # noqa: E402
from director.storyboard import Storyboard  # noqa: E402
from tests.conftest import make_board  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "film", make_board(scenes=3, duration=2.0, fps=4, width=64, height=36))


@pytest.fixture
def client(project) -> TestClient:
    return TestClient(create_app(project))


def draft(client: TestClient) -> tuple[dict, int]:
    state = client.get("/api/project").json()
    return copy.deepcopy(state["storyboard"]), state["version"]


def preview_body(board: dict, scene: int = 0, t: float = 0.0, **extra) -> dict:
    return {
        "scene": board["scenes"][scene],
        "entities": board["entities"],
        "fps": board["fps"],
        "width": board["width"],
        "height": board["height"],
        "t": t,
        **extra,
    }


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'src="/static/editor.js"' in page.text
    assert client.get("/static/editor.js").status_code == 200
    state = client.get("/api/project").json()
    assert state["version"] == 1 and state["renderers"] == sorted(state["renderers"]) and "animatic" in state["renderers"]
    assert set(state["colors"]) == {"cat", "dog"} and state["colors"]["cat"].startswith("#")


def test_saving_a_moved_box_writes_a_new_version_to_disk(client, project):
    board, version = draft(client)
    board["scenes"][1]["layouts"][0]["boxes"]["cat"].update(x0=0.4, x1=0.6)
    answer = client.post("/api/storyboard", json={"storyboard": board, "base_version": version})
    assert answer.status_code == 200 and answer.json()["version"] == 2
    on_disk = Storyboard.load(project.root / "storyboard.json")
    assert on_disk.scenes[1].layouts[0].boxes["cat"].x0 == 0.4
    assert answer.json()["history"][0]["message"] == "scene_2: layouts"


def test_an_invalid_edit_is_never_saved_and_each_error_names_its_field(client, project):
    before = (project.root / "storyboard.json").read_bytes()
    board, version = draft(client)
    board["scenes"][0]["layouts"][0]["boxes"]["cat"]["x0"] = 0.9  # past its x1
    board["scenes"][1]["dialogue"][0]["end"] = 99.0  # after the scene ends
    board["entities"][0]["name"] = ""
    answer = client.post("/api/storyboard", json={"storyboard": board, "base_version": version})
    assert answer.status_code == 422
    paths = {e["path"] for e in answer.json()["errors"]}
    assert paths == {"scenes.0.layouts.0.boxes.cat.x0", "scenes.1.dialogue.0.end", "entities.0.name"}
    assert (project.root / "storyboard.json").read_bytes() == before and project.version == 1
    checked = client.post("/api/validate", json={"storyboard": board}).json()
    assert not checked["valid"] and {e["path"] for e in checked["errors"]} == paths


def test_a_second_tab_saving_from_an_old_version_gets_a_conflict_and_loses_nothing(client, project):
    tab_a, version = draft(client)
    tab_b = copy.deepcopy(tab_a)
    tab_a["scenes"][0]["heading"] = "from tab A"
    assert client.post("/api/storyboard", json={"storyboard": tab_a, "base_version": version}).status_code == 200
    tab_b["scenes"][2]["heading"] = "from tab B"
    conflict = client.post("/api/storyboard", json={"storyboard": tab_b, "base_version": version})
    assert conflict.status_code == 409 and conflict.json()["current_version"] == 2
    assert project.board.scenes[0].heading == "from tab A"
    on_top = client.post("/api/storyboard", json={"storyboard": tab_b, "base_version": 2})  # "save mine on top"
    assert on_top.status_code == 200 and project.load_version(2).scenes[0].heading == "from tab A"


def test_undo_and_redo_move_through_saved_versions(client, project):
    board, version = draft(client)
    board["title"] = "Second"
    client.post("/api/storyboard", json={"storyboard": board, "base_version": version})
    undone = client.post("/api/undo", json={"base_version": 2}).json()
    assert undone["version"] == 1 and undone["storyboard"]["title"] == "Test" and undone["can_redo"]
    assert Storyboard.load(project.root / "storyboard.json").title == "Test"
    assert client.post("/api/undo", json={"base_version": 1}).status_code == 400  # nothing left to undo
    redone = client.post("/api/redo", json={"base_version": 1}).json()
    assert redone["storyboard"]["title"] == "Second"
    assert client.post("/api/undo", json={"base_version": 1}).status_code == 409  # a stale tab


def test_the_preview_draws_the_draft_and_moves_with_the_box(client):
    board, _ = draft(client)
    first = client.post("/api/preview", json=preview_body(board))
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(first.content)).size == (64, 36)
    board["scenes"][0]["layouts"][0]["boxes"]["cat"].update(x0=0.5, x1=0.7)
    second = client.post("/api/preview", json=preview_body(board))
    assert second.content != first.content
    left = Image.open(io.BytesIO(first.content)).convert("RGB").getpixel((int(0.15 * 64), int(0.65 * 36)))
    right = Image.open(io.BytesIO(second.content)).convert("RGB").getpixel((int(0.15 * 64), int(0.65 * 36)))
    assert left != right  # the cat's colour left where it stood


def test_the_preview_scales_down_and_reports_a_bad_scene(client):
    board, _ = draft(client)
    board["width"], board["height"] = 1920, 1080
    image = Image.open(io.BytesIO(client.post("/api/preview", json=preview_body(board, max_width=320)).content))
    assert image.size == (320, 180)
    board["scenes"][0]["layouts"][0]["boxes"]["ghost"] = {"x0": 0, "y0": 0, "x1": 0.1, "y1": 0.1}
    bad = client.post("/api/preview", json=preview_body(board))
    assert bad.status_code == 422 and "ghost" in bad.json()["detail"]


def test_cast_edits_and_replan_return_drafts_without_saving(client, project):
    board, _ = draft(client)
    renamed = client.post("/api/cast/rename", json={"storyboard": board, "entity_id": "cat", "new_id": "tom", "name": "Tom"}).json()
    assert renamed["storyboard"]["entities"][0] == {**board["entities"][0], "id": "tom", "name": "Tom"}
    assert "tom" in renamed["colors"]
    merged = client.post("/api/cast/merge", json={"storyboard": board, "keep": "cat", "absorb": "dog"}).json()
    assert [e["id"] for e in merged["storyboard"]["entities"]] == ["cat"]
    split = client.post("/api/cast/split", json={"storyboard": board, "entity_id": "dog", "scene_ids": ["scene_3"], "name": "Rex"})
    assert "rex" in split.json()["storyboard"]["scenes"][2]["entities"]
    board["scenes"][1]["description"] = "A bird flies from the left to the right."
    replanned = client.post("/api/replan", json={"storyboard": board, "scene_id": "scene_2", "planner": "rules"}).json()
    assert replanned["added"] == ["bird"] and "bird" in replanned["storyboard"]["scenes"][1]["entities"]
    assert replanned["storyboard"]["scenes"][0] == board["scenes"][0]
    assert project.version == 1  # none of that was saved
    refused = client.post("/api/cast/merge", json={"storyboard": board, "keep": "cat", "absorb": "cat"})
    assert refused.status_code == 400 and "itself" in refused.json()["detail"]


@pytest.mark.parametrize(
    "path",
    ["/files/../storyboard.json", "/files/renders/../../outside.txt", "/files/renders/%2e%2e/%2e%2e/outside.txt",
     "/files/history/v000001.json", "/files/storyboard.json", "/files//etc/passwd", "/files/renders/..%2F..%2Foutside.txt"],
)
def test_files_outside_renders_and_exports_are_not_served(client, project, path):
    (project.root.parent / "outside.txt").write_text("secret")
    response = client.get(path)
    assert response.status_code == 404 and "secret" not in response.text


def test_raw_traversal_in_the_request_line_is_not_served(project):
    """Clients normalise '..' away; a hostile one sends it raw, so test on a real socket."""
    (project.root.parent / "outside.txt").write_text("secret")
    with LiveServer(create_app(project)) as server:
        for raw in (b"/files/renders/../../outside.txt", b"/files/renders/%2e%2e/%2e%2e/outside.txt"):
            request = b"GET " + raw + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % server.port
            reply = server.raw(request)
            assert b"secret" not in reply and reply.split(b" ")[1] in (b"404", b"400")


def test_request_bodies_over_the_limit_are_refused(project):
    client = TestClient(create_app(project, max_body_bytes=10_000))
    board = project.board.model_dump(mode="json")
    board["style"] = "x" * 20_000
    response = client.post("/api/validate", json={"storyboard": board})
    assert response.status_code == 413

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        for _ in range(30):
            yield b" " * 1000

    chunked = client.post("/api/validate", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413


def test_only_the_expected_host_and_same_origin_writes_are_accepted(project):
    client = TestClient(create_app(project, allowed_hosts=["testserver"]))
    assert client.get("/api/project").status_code == 200
    assert client.get("/api/project", headers={"host": "evil.example:8765"}).status_code == 400  # DNS rebinding
    board = project.board.model_dump(mode="json")
    cross = client.post("/api/storyboard", json={"storyboard": board, "base_version": 1}, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    same = client.post("/api/validate", json={"storyboard": board}, headers={"origin": "http://testserver"})
    assert same.status_code == 200


def test_with_a_token_every_request_needs_it_and_the_printed_url_sets_a_cookie(project):
    client = TestClient(create_app(project, token="s3cret"), follow_redirects=False)
    assert client.get("/api/project").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/api/project", headers={"x-director-token": "s3cret"}).status_code == 200
    entry = client.get("/?token=s3cret")
    assert entry.status_code == 303 and entry.headers["location"] == "/"
    assert client.get("/api/project").status_code == 200  # the cookie now carries it


def test_render_then_edit_one_scene_rerenders_only_that_scene(client, project):
    assert client.get("/api/project").json()["stale_scenes"] == ["scene_1", "scene_2", "scene_3"]
    status = render(client, 1)
    assert status["state"] == "done" and status["jobs_cached"] == 0
    assert set(status["rendered_by_scene"]) == {"scene_1", "scene_2", "scene_3"}
    state = client.get("/api/project").json()
    assert state["stale_scenes"] == [] and state["movie"].startswith("/files/renders/movie.mp4")
    movie = client.get(state["movie"])
    assert movie.status_code == 200 and movie.content[4:8] == b"ftyp"
    partial = client.get("/files/renders/movie.mp4", headers={"range": "bytes=0-99"})
    assert partial.status_code == 206 and len(partial.content) == 100  # seeking in the page's <video>

    board, version = draft(client)
    board["scenes"][1]["layouts"][0]["boxes"]["dog"].update(y0=0.1, y1=0.5)
    client.post("/api/storyboard", json={"storyboard": board, "base_version": version})
    assert client.get("/api/project").json()["stale_scenes"] == ["scene_2"]
    again = render(client, 2)
    assert list(again["rendered_by_scene"]) == ["scene_2"] and again["jobs_cached"] > 0
    assert client.post("/api/render", json={"renderer": "animatic", "base_version": 1}).status_code == 409
    assert client.post("/api/render", json={"renderer": "nope", "base_version": 2}).status_code == 400


def render(client: TestClient, version: int) -> dict:
    started = client.post("/api/render", json={"renderer": "animatic", "base_version": version})
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get("/api/render").json()
        if status["state"] != "running":
            return status
        time.sleep(0.05)
    raise AssertionError("the render did not finish")


def test_export_zips_the_storyboard_and_renders(client, project):
    render(client, 1)
    answer = client.post("/api/export").json()
    assert answer["url"] == "/files/exports/test-v1.zip"
    archive = zipfile.ZipFile(io.BytesIO(client.get(answer["url"]).content))
    names = set(archive.namelist())
    assert {"storyboard.json", "renders/movie.mp4", "renders/movie.srt", "renders/movie.contact.png"} <= names
    assert Storyboard.from_json(archive.read("storyboard.json").decode()) == project.board


def test_director_edit_serves_the_project_on_loopback_and_prints_its_url(tmp_path):
    make_board().save(tmp_path / "board.json")
    process = subprocess.Popen(
        [sys.executable, "-m", "director.cli", "edit", str(tmp_path / "board.json"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = wait_for_url(process)
        assert url.startswith("http://127.0.0.1:")
        state = httpx.get(url + "api/project", timeout=10).json()
        assert state["storyboard"]["title"] == "Test" and (tmp_path / "board.director" / "storyboard.json").is_file()
        evil = httpx.get(url + "api/project", headers={"host": "evil.example"}, timeout=10)
        assert evil.status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_director_edit_on_a_public_address_demands_a_token(tmp_path):
    make_board().save(tmp_path / "board.json")
    process = subprocess.Popen(
        [sys.executable, "-m", "director.cli", "edit", str(tmp_path / "board.json"), "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = wait_for_url(process)
        assert "?token=" in url
        port = url.split(":")[2].split("/")[0]
        local = f"http://127.0.0.1:{port}/"
        assert httpx.get(local + "api/project", timeout=10).status_code == 401
        token = url.split("token=")[1]
        assert httpx.get(local + "api/project", headers={"x-director-token": token}, timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_url(process: subprocess.Popen) -> str:
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("director editor: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError("no URL printed:\n" + "".join(seen))
