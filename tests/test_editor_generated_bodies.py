"""Generated request bodies on every POST route of the editor: never a server error, never a stray file.

Bodies are JSON *text*, so they can hold what `json.dumps` never writes: NaN,
Infinity, 1e400, lone surrogates, huge integers. Half are drawn from nothing
(random JSON over the routes' own field names); half are a valid body for the
route with one value, anywhere in it, replaced by random JSON. After each
request (and any render it started) the folder around the project may hold
only the files a project holds.
"""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2 in its newest releases; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from director.editor.app import create_app  # noqa: E402
from director.editor.project import Project  # noqa: E402
from tests.conftest import make_board  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.slow]

# What a project folder may hold, relative to the folder around it.
EXPECTED = re.compile(
    r"film/(storyboard\.json|history/(index\.json|v\d{6}\.json|\.lock)|renders/movie\.(mp4|srt|contact\.png|storyboard\.json)"
    r"|renders/movie\.render\.json|exports/[a-z0-9_]+-v\d+\.zip|cache/.+)"
)

FIELD_NAMES = ["storyboard", "base_version", "message", "scene", "entities", "fps", "width", "height", "style", "t",
               "max_width", "layers", "scene_id", "planner", "entity_id", "name", "new_id", "keep", "absorb",
               "scene_ids", "renderer", "title", "scenes", "id", "layouts", "boxes", "x0", "duration", "dialogue"]
RAW_TOKENS = ["NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0", "0.0", "9" * 25, "-" + "9" * 400,
              '"\\ud800"', '"\\udfff"', '"x\\ud83d"', '"\\u0000"', '"a\\u0000b"', '"../../outside"', '"/etc/passwd"',
              "true", "null", '""', '"cat"', '"scene_1"']
NAMES = ['"tempfile:mkdtemp"', '"tests.test_editor_generated_bodies:touch"', '"animatic"', '"rules"', '"os.path:join"']


def touch(*args, **kwargs):
    """A callable a request might name: it leaves a file, which the test would find."""
    Path(tempfile.gettempdir(), "touched-by-a-request").write_text("ran")


def text_of(value) -> str:
    return json.dumps(value)


leaves = st.one_of(
    st.sampled_from(RAW_TOKENS),
    st.sampled_from(NAMES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: json.dumps(x)),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=12).map(text_of),  # surrogates too
)


def containers(children):
    keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6)).map(text_of)
    return st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(keys, children), max_size=5).map(lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"),
    )


json_texts = st.recursive(leaves, containers, max_leaves=12)


def valid_bodies(board: dict) -> dict[str, dict]:
    preview = {"scene": board["scenes"][0], "entities": board["entities"], "fps": 4, "width": 64, "height": 36, "t": 0.5}
    return {
        "/api/validate": {"storyboard": board},
        "/api/storyboard": {"storyboard": board, "base_version": 1, "message": "an edit"},
        "/api/undo": {"base_version": 1},
        "/api/redo": {"base_version": 1},
        "/api/history/1/restore": {"base_version": 1},
        "/api/preview": preview,
        "/api/replan": {"storyboard": board, "scene_id": "scene_1", "planner": "rules"},
        "/api/cast/rename": {"storyboard": board, "entity_id": "cat", "name": "Tom", "new_id": "tom"},
        "/api/cast/merge": {"storyboard": board, "keep": "cat", "absorb": "dog"},
        "/api/cast/split": {"storyboard": board, "entity_id": "dog", "scene_ids": ["scene_2"], "name": "Rex"},
        "/api/render": {"renderer": "animatic", "base_version": 1},
        "/api/export": {},
    }


BOARD = make_board(scenes=2, duration=2.0, fps=4, width=32, height=18)
ROUTES = valid_bodies(BOARD.model_dump(mode="json"))
MARKER = "__REPLACED_BY_GENERATED_JSON__"


def paths_into(value, prefix=()):
    """Every place in a JSON value a generated value could go: each key and index, at any depth."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths_into(child, (*prefix, key))
        yield (*prefix, "unexpected_field")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths_into(child, (*prefix, index))


def replaced(body: dict, path: tuple, text: str) -> str:
    if not path:
        return text
    copy = json.loads(json.dumps(body))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = MARKER
    return json.dumps(copy).replace(json.dumps(MARKER), text)


def value_at(body, path):
    for step in path:
        body = body[step] if isinstance(body, list) or step in body else None
    return body


def same_kind(value, key) -> st.SearchStrategy[str]:
    """Another value of the same JSON type, as text: these get past type checks into the code behind them."""
    if key in ("planner", "renderer"):
        return st.sampled_from(NAMES)
    if isinstance(value, bool) or value is None:
        return leaves
    if isinstance(value, int):
        return st.integers(min_value=-(2**66), max_value=2**66).map(str)
    if isinstance(value, float):
        return st.floats(allow_nan=True, allow_infinity=True).map(json.dumps)
    if isinstance(value, str):
        return st.one_of(st.sampled_from(NAMES), st.text(st.characters(codec=None, exclude_categories=()), max_size=300).map(text_of))
    return json_texts


@st.composite
def requests(draw) -> tuple[str, str]:
    route = draw(st.sampled_from(sorted(ROUTES)))
    if route == "/api/history/1/restore":
        route = "/api/history/" + draw(st.sampled_from(["1", "2", "0", "-1", "99999999999999999999999", "1.5", "%00", "x"])) + "/restore"
    body = ROUTES["/api/history/1/restore" if "/history/" in route else route]
    how = draw(st.sampled_from(["from nothing", "one value replaced", "one value of its kind replaced"]))
    if how == "from nothing":
        return route, draw(json_texts)
    places = list(paths_into(body))
    path = draw(st.one_of(st.sampled_from([p for p in places if len(p) <= 1]), st.sampled_from(places)))  # the body's own fields often
    if how == "one value replaced":
        return route, replaced(body, path, draw(st.one_of(leaves, json_texts)))
    return route, replaced(body, path, draw(same_kind(value_at(body, path), path[-1] if path else None)))


def stray_files(root: Path) -> list[str]:
    found = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()]
    return [name for name in found if not EXPECTED.fullmatch(name)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests())
def test_generated_bodies_on_every_post_route_never_give_a_server_error_nor_leave_files(tmp_path_factory, monkeypatch, request):
    root = tmp_path_factory.mktemp("editor")
    scratch = root / "tmp"  # a callable a request got to run would make its files here ...
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    project = Project.create(root / "film", BOARD)
    client = TestClient(create_app(project), raise_server_exceptions=False)
    route, body = request
    answer = client.post(route, content=body.encode("utf-8", "surrogatepass"), headers={"content-type": "application/json"})
    client.app.state.runner.wait(60)
    event(f"{route.split('/')[2]}: {answer.status_code}")
    assert answer.status_code < 500, f"{route} {body[:300]!r}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        assert answer.json()["detail"]
    assert list(scratch.iterdir()) == []  # ... and no such file is there
    scratch.rmdir()
    assert stray_files(root) == []
