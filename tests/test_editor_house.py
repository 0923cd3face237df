"""The editor package's place in the house: it reaches renderers through the registry, and it serves itself."""

from __future__ import annotations

import ast
import socket
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2 in its newest releases; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import director.editor  # noqa: E402
from director.editor.project import Project  # noqa: E402
from director.errors import InputError  # noqa: E402
from tests.conftest import make_board  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PLUG_IN_PACKAGES = ("planners", "renderers")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_editor_imports_no_planner_or_renderer_module_directly():
    package = Path(director.editor.__file__).parent
    reaching_up = {
        f"{path.name}: {module}"
        for path in package.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in PLUG_IN_PACKAGES
    }
    assert reaching_up == set()


def test_the_preview_draws_with_the_animatic_the_registry_names(monkeypatch):
    from director import registry
    from director.editor import preview

    made = []
    real_create = registry.create

    def create(kind, name, **options):
        made.append((kind, name, options))
        return real_create(kind, name, **options)

    monkeypatch.setattr(registry, "create", create)
    preview.animatic.cache_clear()
    board = make_board(scenes=1, fps=4, width=64, height=36)
    try:
        assert preview.preview_frame(board, 0.5).size == (64, 36)
        assert preview.preview_frame(board, 0.5, backdrop_only=True).size == (64, 36)
    finally:
        preview.animatic.cache_clear()
    assert made == [("renderer", "animatic", {"show_time": True}), ("renderer", "animatic", {"show_time": False})]


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "film", make_board())


def test_a_loopback_server_needs_no_token_and_answers_only_to_its_own_names(project):
    from director.editor.serve import EditorServer

    server = EditorServer.bind(project, host="127.0.0.1", port=0)
    try:
        port = server.port
        assert server.token is None and server.url == f"http://127.0.0.1:{port}/"
        client = TestClient(server.app)
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert client.get("/api/project", headers={"host": host}).status_code == 200
        assert client.get("/api/project", headers={"host": f"evil.example:{port}"}).status_code == 400
    finally:
        server.sock.close()


def test_a_public_server_gets_a_token_in_its_url_and_demands_it(project):
    from director.editor.serve import EditorServer

    server = EditorServer.bind(project, host="0.0.0.0", port=0)
    try:
        assert server.token and server.url.endswith(f":{server.port}/?token={server.token}")
        client = TestClient(server.app)
        assert client.get("/api/project").status_code == 401
        assert client.get("/api/project", headers={"x-director-token": server.token}).status_code == 200
    finally:
        server.sock.close()
    given = EditorServer.bind(project, host="0.0.0.0", port=0, token="chosen")
    given.sock.close()
    assert given.token == "chosen" and given.url.endswith("?token=chosen")


def test_a_busy_port_is_an_input_error_that_says_what_to_do(project):
    from director.editor.serve import EditorServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(InputError, match="--port 0"):
            EditorServer.bind(project, host="127.0.0.1", port=taken.getsockname()[1])
