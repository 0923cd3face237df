"""Generated inputs through the command line: any script, any (corrupted) storyboard file gives exit 0 or 2,
never an internal error or a traceback, and a failed command leaves no file behind."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from director.cli import app
from tests.conftest import make_board

runner = CliRunner()
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

# Pieces scripts are made of, and the awkward ones a probe would try.
SCRIPT_PIECES = [
    "INT. ROOM - DAY", "EXT. PARK - NIGHT", "INT. ROOM [/b] - DAY", "Scene 1:", "Scene 2: ", "\n", "\n\n",
    "MIRA", "MIRA (V.O.)", "BISCUIT", "(quietly)", "A cat sits on a table.", "A dog runs from the left to the right.",
    "Hello!", "CUT TO:", "FADE OUT.", "Title: The Test", "[[note]]", "[bold]", "**bold**", "=== ", "~lyric",
    "x" * 90, "Z" * 70, "3 robots", "Zoë", "日本語", "🙂", "\t", "\r\n", "\u200b", "—", "'", '"', "$(echo)", "%s", "{0}",
]
# Lines of pieces, blank lines among them, so headings and cues stand where Fountain looks for them.
lines = st.lists(st.one_of(st.sampled_from(SCRIPT_PIECES), st.text(max_size=20)), min_size=1, max_size=3).map(" ".join)
scripts = st.lists(st.one_of(st.sampled_from(SCRIPT_PIECES), lines, st.just("")), max_size=12).map("\n".join)
AWKWARD_TEXT = ["[/b]", "[bold]x", "Z" * 70, "", "\u0000", "\ud800", "scene_1", "cat"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(AWKWARD_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
BOARD = make_board(scenes=1, duration=2.0, fps=2, width=32, height=18)


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _leaves(data, path=()):
    """Every place in a JSON document: (path to it, its value)."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, (*path, i))


def _replace(data, path, value):
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


@st.composite
def corrupted_boards(draw) -> bytes:
    """A valid small storyboard, then one corruption: a value replaced or nested deep, a key dropped, text cut,
    bytes flipped or inserted."""
    data = BOARD.model_dump(mode="json")
    kind = draw(st.sampled_from(["replace", "drop", "nest", "truncate", "flip", "insert"]))
    if kind in ("replace", "drop", "nest"):
        places = list(_leaves(data))
        path, _ = draw(st.sampled_from(places[1:]))
        if kind == "nest":
            depth = draw(st.sampled_from([3, 3_000, 100_000]))
            return json.dumps(_replace(data, path, "NESTED")).replace('"NESTED"', "[" * depth + "]" * depth).encode()
        if kind == "drop" and isinstance(path[-1], str):
            parent_path, key = path[:-1], path[-1]
            parent = dict(next(v for p, v in places if p == parent_path))
            del parent[key]
            data = _replace(data, parent_path, parent)
        else:
            data = _replace(data, path, draw(json_values))
        return json.dumps(data, allow_nan=True).encode()
    raw = BOARD.to_json().encode()
    at = draw(st.integers(0, len(raw) - 1))
    if kind == "truncate":
        return raw[:at]
    if kind == "flip":
        return raw[:at] + bytes([raw[at] ^ (1 << draw(st.integers(0, 7)))]) + raw[at + 1:]
    return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]


def _assert_clean(result, written: list[Path]) -> None:
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    if result.exit_code == 2:
        assert result.output.strip().startswith("error:") or "error:" in result.output
        left = [p.name for p in written if p.exists()] + [p.name for p in written[0].parent.glob(".*partial*")]
        assert not left, f"a failed command left {left}"


@given(scripts)
@SETTINGS
def test_any_script_plans_or_is_refused_cleanly(text):
    with tempfile.TemporaryDirectory() as folder:
        script, board = Path(folder) / "s.fountain", Path(folder) / "b.json"
        script.write_text(text, encoding="utf-8")
        result = run("plan", script, "-o", board, "--planner", "rules")
        _assert_clean(result, [board])
        if result.exit_code == 0:
            assert run("check", board).exit_code == 0


@given(st.binary(max_size=200))
@SETTINGS
def test_any_bytes_as_a_script_plan_or_are_refused_cleanly(data):
    with tempfile.TemporaryDirectory() as folder:
        script, board = Path(folder) / "s.txt", Path(folder) / "b.json"
        script.write_bytes(data)
        _assert_clean(run("plan", script, "-o", board, "--planner", "rules"), [board])


@given(corrupted_boards())
@SETTINGS
def test_a_corrupted_board_checks_or_is_refused_cleanly(data):
    with tempfile.TemporaryDirectory() as folder:
        board = Path(folder) / "b.json"
        board.write_bytes(data)
        result = run("check", board)
        assert result.exit_code in (0, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@given(corrupted_boards())
@settings(SETTINGS, max_examples=12)
def test_a_corrupted_board_renders_or_is_refused_and_leaves_nothing(data):
    with tempfile.TemporaryDirectory() as folder:
        board, movie = Path(folder) / "b.json", Path(folder) / "out" / "m.mp4"
        board.write_bytes(data)
        result = run("render", board, "-o", movie, "--renderer", "animatic", "--cache-dir", Path(folder) / "cache")
        _assert_clean(result, [movie, movie.with_suffix(".srt"), movie.with_name("m.contact.png"), movie.with_name("m.storyboard.json"), movie.with_name("m.render.json")])
        if result.exit_code == 0:
            assert movie.stat().st_size > 0
