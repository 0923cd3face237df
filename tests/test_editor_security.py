"""The editor's HTTP boundary under attack: plug-in names, symlinks, values JSON has no room for, racing saves."""

from __future__ import annotations

import copy
import io
import json
import threading
import time
import warnings
import zipfile

import httpx
import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2 in its newest releases; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from director.editor.app import create_app  # noqa: E402
from director.editor.project import Project  # noqa: E402
from director.storyboard import Storyboard  # noqa: E402
from tests.conftest import make_board  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CALLS: list[tuple] = []


def record_call(*args, **kwargs):
    """Stands for any importable callable a request might name ('os:abort', 'tempfile:mkdtemp' ...)."""
    CALLS.append((args, kwargs))
    raise RuntimeError("a request ran me")


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "film", make_board(scenes=2, duration=2.0, fps=4, width=64, height=36))


@pytest.fixture
def client(project) -> TestClient:
    return TestClient(create_app(project), raise_server_exceptions=False)


def current(client: TestClient) -> tuple[dict, int]:
    state = client.get("/api/project").json()
    return copy.deepcopy(state["storyboard"]), state["version"]


# -- 1. only registered plug-in names over HTTP -----------------------------------------------------


def test_a_render_request_naming_module_and_attribute_is_refused_and_runs_nothing(client, project):
    CALLS.clear()
    answer = client.post("/api/render", json={"renderer": f"{__name__}:record_call", "base_version": 1})
    assert answer.status_code == 400
    assert "animatic" in answer.json()["detail"] and "tiny" in answer.json()["detail"]  # it names the available ones
    project_status = client.get("/api/render").json()
    assert project_status["state"] == "idle" and CALLS == []


def test_a_replan_request_naming_module_and_attribute_is_refused_and_runs_nothing(client):
    CALLS.clear()
    board, _ = current(client)
    answer = client.post("/api/replan", json={"storyboard": board, "scene_id": "scene_1", "planner": f"{__name__}:record_call"})
    assert answer.status_code == 400 and "rules" in answer.json()["detail"] and CALLS == []
    assert client.post("/api/replan", json={"storyboard": board, "scene_id": "scene_1", "planner": "rules"}).status_code == 200


def test_the_renderer_the_server_was_started_with_may_still_be_a_module_path(project):
    own = "tests.conftest:CountingRenderer"
    client = TestClient(create_app(project, renderer=own))
    assert own in client.get("/api/project").json()["renderers"]
    started = client.post("/api/render", json={"renderer": own, "base_version": 1})
    assert started.status_code == 200 and started.json()["renderer"] == own
    assert client.app.state.runner.wait(60).state == "done"


# -- 2. export keeps to the project folder ----------------------------------------------------------


def test_export_leaves_out_a_symlink_in_renders_that_leads_outside_the_project(client, project):
    secret = project.root.parent / "secret.txt"
    secret.write_text("the neighbour's diary")
    (project.root / "renders").mkdir()
    (project.root / "renders" / "movie.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n")
    (project.root / "renders" / "leak.txt").symlink_to(secret)
    (project.root / "renders" / "leak_dir").symlink_to(project.root.parent, target_is_directory=True)
    assert client.get("/files/renders/leak.txt").status_code == 404  # the file route refuses it already

    answer = client.post("/api/export")
    assert answer.status_code == 200, answer.text
    archive = zipfile.ZipFile(io.BytesIO(client.get(answer.json()["url"]).content))
    assert set(archive.namelist()) == {"storyboard.json", "renders/movie.srt"}
    assert all(b"diary" not in archive.read(name) for name in archive.namelist())
    assert "renders/leak.txt" in answer.json()["left_out"]


def test_a_script_symlinked_out_of_the_project_is_neither_read_nor_exported(client, project):
    secret = project.root.parent / "secret.fountain"
    secret.write_text("INT. ELSEWHERE - NIGHT\n\nNot yours.\n")
    (project.root / "script.fountain").symlink_to(secret)
    state = client.get("/api/project")
    assert state.status_code == 200 and state.json()["script"] is None
    answer = client.post("/api/export").json()
    assert answer["files"] == ["storyboard.json"]


def test_export_into_an_exports_folder_that_leads_outside_is_refused(client, project):
    elsewhere = project.root.parent / "elsewhere"
    elsewhere.mkdir()
    (project.root / "exports").symlink_to(elsewhere, target_is_directory=True)
    answer = client.post("/api/export")
    assert answer.status_code == 400 and "outside the project" in answer.json()["detail"]
    assert list(elsewhere.iterdir()) == []


def test_export_zips_the_storyboard_of_the_version_it_names(client, project):
    board, version = current(client)
    board["title"] = "Second"
    client.post("/api/storyboard", json={"storyboard": board, "base_version": version})
    answer = client.post("/api/export").json()
    assert answer["url"] == "/files/exports/second-v2.zip"
    archive = zipfile.ZipFile(io.BytesIO(client.get(answer["url"]).content))
    assert Storyboard.from_json(archive.read("storyboard.json").decode()) == project.board


@pytest.mark.parametrize("name", ["storyboard.json", "history/index.json"])
def test_a_project_whose_files_lead_outside_it_is_not_opened(tmp_path, name):
    from director.errors import InputError

    root = tmp_path / "film"
    Project.create(root, make_board())
    outside = tmp_path / "outside.json"
    (root / name).rename(outside)
    (root / name).symlink_to(outside)
    with pytest.raises(InputError, match="outside the project"):
        Project.open(root)


def test_creating_a_project_does_not_write_through_a_symlink_out_of_it(tmp_path):
    from director.errors import InputError

    script, root, outside = tmp_path / "s.fountain", tmp_path / "film", tmp_path / "precious.txt"
    script.write_text("INT. ROOM - DAY\n\nA cat sits.\n")
    outside.write_text("precious")
    root.mkdir()
    (root / "script.fountain").symlink_to(outside)
    with pytest.raises(InputError, match="outside the project"):
        Project.create(root, make_board(), script=script)
    assert outside.read_text() == "precious"


# -- 3. values JSON has no room for: 400/422, never 500 ---------------------------------------------

NASTY = ["NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"', '"a\\udfffb"', "1" * 5000]


def bodies(board: dict) -> dict[str, dict]:
    """A valid body for every POST route that takes one."""
    scene = board["scenes"][0]
    preview = {"scene": scene, "entities": board["entities"], "fps": 4, "width": 64, "height": 36}
    return {
        "/api/validate": {"storyboard": board},
        "/api/storyboard": {"storyboard": board, "base_version": 1, "message": "m"},
        "/api/undo": {"base_version": 1},
        "/api/redo": {"base_version": 1},
        "/api/history/1/restore": {"base_version": 1},
        "/api/preview": preview,
        "/api/replan": {"storyboard": board, "scene_id": "scene_1", "planner": "rules"},
        "/api/cast/rename": {"storyboard": board, "entity_id": "cat", "name": "Tom"},
        "/api/cast/merge": {"storyboard": board, "keep": "cat", "absorb": "dog"},
        "/api/cast/split": {"storyboard": board, "entity_id": "dog", "scene_ids": ["scene_2"], "name": "Rex"},
        "/api/render": {"renderer": "animatic", "base_version": 1},
        "/api/export": {},
    }


def with_value(body: dict, key: str, raw: str) -> bytes:
    """`body` as JSON text with `key` set to the raw JSON token `raw` (which `json.dumps` would not write)."""
    marker = "__NASTY__"
    return json.dumps({**body, key: marker}).replace(json.dumps(marker), raw).encode()


@pytest.mark.parametrize("raw", NASTY)
def test_values_json_has_no_room_for_are_a_client_error_on_every_post_route(client, project, raw):
    board, _ = current(client)
    for route, body in bodies(board).items():
        for key in (*body, "unexpected"):
            answer = client.post(route, content=with_value(body, key, raw), headers={"content-type": "application/json"})
            assert answer.status_code in (400, 422), f"{route} {key}={raw[:20]}: {answer.status_code} {answer.text[:200]}"
            assert answer.json()["detail"]
    assert project.version == 1 and not (project.root / "exports").exists()


@pytest.mark.parametrize("raw", NASTY)
def test_values_json_has_no_room_for_deep_inside_a_storyboard_are_refused(client, project, raw):
    board, _ = current(client)
    text = json.dumps({"storyboard": board, "base_version": 1})
    for field in ('"title": "Test"', '"x0": 0.05', '"text": "Woof"', '"duration": 2.0'):
        assert field in text
        name = field.split(":")[0]
        answer = client.post("/api/storyboard", content=text.replace(field, f"{name}: {raw}", 1).encode(),
                             headers={"content-type": "application/json"})
        assert answer.status_code in (400, 422), f"{field} -> {raw[:20]}: {answer.status_code} {answer.text[:200]}"
    assert project.version == 1 and Storyboard.load(project.root / "storyboard.json") == project.board


def test_bodies_nested_too_deep_are_refused(client):
    for depth in (500, 100_000):
        body = '{"storyboard": {}, "extra": ' + "[" * depth + "]" * depth + "}"
        answer = client.post("/api/validate", content=body.encode(), headers={"content-type": "application/json"})
        assert answer.status_code in (400, 422), f"{depth}: {answer.status_code}"


@pytest.mark.parametrize("path", ["/files/renders/a%00b", "/files/exports/%00", "/files/renders/" + "a" * 5000,
                                  "/files/renders/" + "a/" * 3000])
def test_odd_paths_in_get_routes_are_not_found_not_a_server_error(client, path):
    assert client.get(path).status_code in (400, 404)


def test_a_nul_in_a_path_given_to_the_project_is_an_input_error(project):
    from director.errors import InputError

    with pytest.raises(InputError, match="NUL"):
        project.path("renders/a\x00b")


# -- 4. concurrent saves each get their own version ---------------------------------------------------


def test_concurrent_saves_each_reply_with_their_own_version_and_board(project):
    """Each tab saves its own title, retrying on a conflict; every reply must show that tab's save."""
    real_save = project.save

    def save_then_pause(*args, **kwargs):  # as a busy machine may pause a thread once its save is done
        version = real_save(*args, **kwargs)
        time.sleep(0.03)
        return version

    project.save = save_then_pause
    tabs = 20
    replies: dict[int, dict] = {}
    errors: list[str] = []
    start = threading.Barrier(tabs)

    def tab(k: int, url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            start.wait()
            for _ in range(200):
                state = http.get("/api/project").json()
                board = state["storyboard"]
                board["title"] = f"tab {k}"
                answer = http.post("/api/storyboard", json={"storyboard": board, "base_version": state["version"]})
                if answer.status_code == 200:
                    replies[k] = answer.json()
                    return
                if answer.status_code != 409:
                    errors.append(answer.text)
                    return
            errors.append(f"tab {k} never saved")

    with LiveServer(create_app(project)) as server:
        threads = [threading.Thread(target=tab, args=(k, server.url)) for k in range(tabs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert errors == [] and len(replies) == tabs
    versions = [reply["version"] for reply in replies.values()]
    assert sorted(versions) == list(range(2, tabs + 2))  # distinct, and none lost
    for k, reply in replies.items():
        assert reply["saved"] and reply["storyboard"]["title"] == f"tab {k}"
        assert project.load_version(reply["version"]).title == f"tab {k}"
