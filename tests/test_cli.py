"""The `director` command: outputs, exit codes (0 / 1 / 2), messages, progress, and resuming after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from director.cli import app
from director.storyboard import Storyboard
from tests.conftest import EXAMPLES, make_board

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_make_writes_the_movie_and_everything_beside_it(tmp_path):
    out = tmp_path / "kite.mp4"
    result = run("make", EXAMPLES / "the_kite.fountain", "-o", out, "--cache-dir", tmp_path / "cache", "--size", "128x72", "--fps", "4", "--planner", "rules", "--renderer", "animatic")
    assert result.exit_code == 0, result.output
    for name in ("kite.mp4", "kite.srt", "kite.contact.png", "kite.storyboard.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    board = Storyboard.load(tmp_path / "kite.storyboard.json")
    assert (board.fps, board.width, board.height) == (4, 128, 72)
    assert "jobs rendered" in result.output


def test_plan_then_render(tmp_path):
    assert run("plan", EXAMPLES / "robot_day.txt", "-o", tmp_path / "b.json", "--fps", "4", "--planner", "rules").exit_code == 0
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--size", "96x54", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m.mp4").is_file()
    again = run("render", tmp_path / "b.json", "-o", tmp_path / "m2.mp4", "--size", "96x54", "--cache-dir", tmp_path / "c")
    assert "0 jobs rendered" in again.output


def test_the_default_renderer_is_tiny_where_installed_else_the_animatic_with_a_hint(tmp_path, monkeypatch):
    import renderers.tiny
    from director import registry
    from director.state import read_render_state

    assert registry.default_renderer() == ("tiny" if renderers.tiny.installed() else "animatic")
    monkeypatch.setattr(renderers.tiny, "REQUIREMENTS", (*renderers.tiny.REQUIREMENTS, "no_such_module_for_director"))
    assert registry.default_renderer() == "animatic"
    make_board(scenes=1).save(tmp_path / "b.json")
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert "renderer: animatic (for the embedded diffusion renderer: pip install 'director[tiny]')" in " ".join(result.output.split())
    assert read_render_state(tmp_path / "m.mp4")["render"]["renderer"].startswith("animatic/")
    assert "animatic (default)" in run("renderers").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "missing.fountain", "-o", "b.json"], "missing.fountain: no such file"),
        (["plan", "empty.txt", "-o", "b.json"], "empty.txt: is empty"),
        (["render", "bad.json", "-o", "m.mp4"], "bad.json: is not a valid storyboard"),
        (["render", "good.json", "-o", "m.mp4", "--renderer", "nope"], "unknown renderer 'nope'; available: animatic"),
        (["render", "good.json", "-o", "m.avi"], "m.avi: the movie must be an .mp4 file"),
        (["render", "good.json", "-o", "m.mp4", "--size", "big"], "--size 'big' is not WIDTHxHEIGHT"),
        (["render", "good.json", "-o", "m.mp4", "--size", "101x50"], "must be even"),
        (["make", "script.txt", "-o", "m.mp4", "--subtitles", "loud"], "--subtitles 'loud'"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "script.txt").write_text("A cat sleeps.")
    make_board().save(tmp_path / "good.json")
    bad = make_board().model_dump(mode="json")
    bad["scenes"][0]["layouts"][0]["boxes"]["cat"]["x0"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    before = set(os.listdir(tmp_path))
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert set(os.listdir(tmp_path)) == before


def test_an_internal_error_exits_1_without_a_traceback(tmp_path):
    make_board().save(tmp_path / "good.json")
    result = run("render", tmp_path / "good.json", "-o", tmp_path / "m.mp4", "--renderer", "tests.test_cli:ExplodingRenderer", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 1
    assert "internal error: ZeroDivisionError" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m.mp4").exists()


class ExplodingRenderer:
    """A renderer with a bug."""

    from renderers.animatic import AnimaticRenderer

    info = AnimaticRenderer.info
    fingerprint = "exploding"

    def keyframes(self, requests):
        return 1 / 0

    infill = keyframes


def test_schema_prints_the_json_schema():
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Storyboard"


def test_listings_and_timeline_and_check(tmp_path):
    assert "animatic" in run("renderers").output
    assert "rules" in run("planners").output
    assert "local" in run("executors").output
    assert "level 2: 225 windows making 3150 in-between frames" in run("timeline", "3376").output
    make_board().save(tmp_path / "b.json")
    assert run("check", tmp_path / "b.json").exit_code == 0


def test_help_explains_every_command():
    result = run("--help")
    for command in ("plan", "render", "make", "schema", "planners", "renderers"):
        assert command in result.output
    assert "--cache-dir" in run("render", "--help").output


@pytest.mark.slow
def test_a_killed_render_resumes_and_gives_the_same_movie(tmp_path):
    """SIGKILL the real command mid-render; the re-run renders only what was missing."""
    board = make_board(scenes=4, duration=3.0, fps=6, width=96, height=54)
    board.save(tmp_path / "b.json")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "director.cli", "render", str(tmp_path / "b.json"), "--renderer", "tests.slow_renderer:SlowAnimatic"]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    process = subprocess.Popen([*command, "-o", str(tmp_path / "killed.mp4"), *cache], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jobs_dir = tmp_path / "cache" / "jobs"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(jobs_dir.rglob("*.npz"))) < 6:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = len(list(jobs_dir.rglob("*.npz")))
    assert finished >= 6
    assert not (tmp_path / "killed.mp4").exists()  # no half movie under the final name

    resumed = subprocess.run([*command, "-o", str(tmp_path / "resumed.mp4"), *cache], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{finished} from the cache" in " ".join(resumed.stdout.split())
    fresh = subprocess.run([*command, "-o", str(tmp_path / "fresh.mp4"), "--cache-dir", str(tmp_path / "fresh-cache")], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    assert (tmp_path / "resumed.mp4").read_bytes() == (tmp_path / "fresh.mp4").read_bytes()
