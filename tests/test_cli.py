"""The `director` command: outputs, exit codes (0 / 1 / 2), messages, progress, and resuming after a kill."""

from __future__ import annotations

import json
import os
import re
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
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--size", "96x54", "--cache-dir", tmp_path / "c", "--renderer", "animatic")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m.mp4").is_file()
    again = run("render", tmp_path / "b.json", "-o", tmp_path / "m2.mp4", "--size", "96x54", "--cache-dir", tmp_path / "c", "--renderer", "animatic")
    assert "0 jobs rendered" in again.output


def test_the_default_renderer_is_tiny_v3_where_installed_else_v2_or_the_animatic_with_a_hint(tmp_path, monkeypatch):
    import renderers.tiny
    from director import registry
    from director.state import read_render_state

    assert registry.default_renderer() == ("tiny-v3" if renderers.tiny.installed() else "animatic")
    if renderers.tiny.installed():  # v3's weights ship in the package; without them, renderer v2 and a word why
        monkeypatch.setattr(renderers.tiny, "V3_WEIGHTS", ("no-such-weights.safetensors",))
        assert registry.default_renderer() == "tiny"
        result = run("render", tmp_path / "none.json", "-o", tmp_path / "none.mp4")
        assert "renderer: tiny (v2, 32x32: renderer v3's weights are missing" in " ".join(result.output.split())
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
        (["render", "good.json", "-o", "m.mp4", "--size", "101x50"], "width: Input should be a multiple of 2 (got 101)"),
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


# No output over an input, every output path checked before any work ----------------------------------


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` and the bytes of its files: what a failed command must leave as it was."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


RENDER = ["--planner", "rules", "--renderer", "animatic", "--size", "32x18", "--fps", "2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "s.fountain", "-o", "s.fountain", "--planner", "rules"], "would be written over the script"),
        (["plan", "link.fountain", "-o", "s.fountain", "--planner", "rules"], "would be written over the script"),
        (["plan", "hard.fountain", "-o", "s.fountain", "--planner", "rules"], "would be written over the script"),
        (["render", "b.mp4", "-o", "b.mp4", "--renderer", "animatic"], "would be written over the storyboard"),
        (["render", "m.storyboard.json", "-o", "m.mp4", "--renderer", "animatic"], "the storyboard written beside m.mp4 would be written over the storyboard"),
        (["render", "m.srt", "-o", "m.mp4", "--renderer", "animatic"], "the subtitles written beside m.mp4"),
        (["render", "m.render.json", "-o", "m.mp4", "--renderer", "animatic"], "the render state written beside m.mp4"),
        (["make", "m.contact.png", "-o", "m.mp4", *RENDER], "the contact sheet written beside m.mp4 would be written over the script"),
        (["export", "b.json", "-o", "b.json"], "would be written over the storyboard"),
        (["import", "s.fountain", "-o", "s.fountain"], "would be written over the layouts"),
    ],
)
def test_no_command_writes_over_its_own_input(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.fountain").write_text("INT. ROOM - DAY\n\nA cat sleeps.\n")
    (tmp_path / "link.fountain").symlink_to(tmp_path / "s.fountain")
    os.link(tmp_path / "s.fountain", tmp_path / "hard.fountain")
    for name in ("b.mp4", "b.json", "m.storyboard.json", "m.srt", "m.render.json", "m.contact.png"):
        make_board(scenes=1).save(tmp_path / name)
    before = _snapshot(tmp_path)
    result = run(*args, "--cache-dir", tmp_path / "cache") if args[0] in ("render", "make") else run(*args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert _snapshot(tmp_path) == before


COMMANDS = {
    "plan": ["plan", "s.txt", "-o", "{out}.json", "--planner", "rules"],
    "render": ["render", "b.json", "-o", "{out}.mp4", "--renderer", "animatic", "--cache-dir", "cache"],
    "make": ["make", "s.txt", "-o", "{out}.mp4", *RENDER, "--cache-dir", "cache"],
    "export": ["export", "b.json", "-o", "{out}.txt"],
    "import": ["import", "l.txt", "-o", "{out}.json"],
    "schema": ["schema", "-o", "{out}.json"],
}
BAD_OUTPUTS = {
    "folder": ("taken", "is a folder"),
    "parent is a file": ("a_file/out", "a_file: is a file, not a folder"),
    "unwritable": ("/sys/director-test/out", "/sys: cannot write here"),
    "name too long": ("n" * 250, "is longer than this file system allows"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("bad", sorted(BAD_OUTPUTS))
def test_a_bad_output_path_exits_2_before_any_work_and_writes_nothing(tmp_path, monkeypatch, command, bad):
    monkeypatch.chdir(tmp_path)
    out, message = BAD_OUTPUTS[bad]
    (tmp_path / "s.txt").write_text("A cat sleeps on a mat.")
    make_board(scenes=1).save(tmp_path / "b.json")
    (tmp_path / "l.txt").write_text("Caption: a cat\nBackground: a room\nFrame 1: [('a cat', [0, 0, 100, 100])]\n")
    (tmp_path / "a_file").write_text("a file")
    for suffix in (".json", ".mp4", ".txt"):
        (tmp_path / f"taken{suffix}").mkdir()
    before = _snapshot(tmp_path)
    result = run(*(a.format(out=out) for a in COMMANDS[command]))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "internal error" not in result.output
    assert _snapshot(tmp_path) == before


def test_a_cache_dir_that_is_a_file_exits_2_and_writes_nothing(tmp_path):
    make_board(scenes=1).save(tmp_path / "b.json")
    (tmp_path / "cache").write_text("not a folder")
    before = _snapshot(tmp_path)
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--renderer", "animatic", "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 2, result.output
    assert "the cache must be a folder" in " ".join(result.output.split())
    assert _snapshot(tmp_path) == before


# User text is text, never Rich markup ------------------------------------------------------------


def test_a_heading_with_brackets_is_shown_as_written(tmp_path):
    (tmp_path / "s.fountain").write_text("INT. ROOM [/b] - DAY\n\nA cat sleeps on a mat [bold]now[/bold].\n")
    result = run("plan", tmp_path / "s.fountain", "-o", tmp_path / "b.json", "--planner", "rules")
    assert result.exit_code == 0, result.output
    assert "[/b]" in result.output
    assert "[/b]" in Storyboard.load(tmp_path / "b.json").scenes[0].heading
    assert run("check", tmp_path / "b.json").exit_code == 0


def test_paths_with_brackets_are_shown_as_written_in_messages(tmp_path):
    folder = tmp_path / "[draft]"
    folder.mkdir()
    missing = run("plan", folder / "missing.fountain", "-o", folder / "b.json", "--planner", "rules")
    assert missing.exit_code == 2
    assert "[draft]/missing.fountain: no such file" in " ".join(missing.output.split())
    (folder / "s.txt").write_text("A cat sleeps.")
    planned = run("plan", folder / "s.txt", "-o", folder / "b.json", "--planner", "rules")
    assert planned.exit_code == 0, planned.output
    assert "[draft]/b.json" in "".join(planned.output.split())


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["render", "--help"], "director[tiny]"),
        (["make", "--help"], "[default: tiny-v3,"),
        (["train", "--help"], "pip install 'director[tiny]'"),
        (["eval", "--help"], "[default: MOVIE.eval.json]"),
    ],
)
def test_help_shows_brackets_as_written(args, shown):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert shown in " ".join(result.output.split())


# Bad values exit 2 with the field named ------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        ("s.txt", "A " + "supercalifragilistic" * 4 + " sits on a mat. A cat sleeps."),
        ("s.fountain", "INT. ROOM - DAY\n\n" + "B" * 70 + "\nHello there.\n\nA cat sleeps.\n"),
        ("s.txt", "Scene 1: " + "Zanzibar" * 9 + " waves at a cat."),
    ],
)
def test_a_name_longer_than_an_id_plans_or_is_bad_input_never_an_internal_error(tmp_path, script):
    name, text = script
    (tmp_path / name).write_text(text)
    result = run("plan", tmp_path / name, "-o", tmp_path / "b.json", "--planner", "rules")
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert ".id:" in result.output and not (tmp_path / "b.json").exists()
    else:
        Storyboard.load(tmp_path / "b.json")


def test_a_size_out_of_range_says_the_same_on_the_command_line_as_in_the_storyboard(tmp_path):
    make_board(scenes=1).save(tmp_path / "b.json")
    given = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--renderer", "animatic", "--size", "100000x100000")
    assert given.exit_code == 2, given.output
    data = make_board(scenes=1).model_dump(mode="json")
    data["width"] = 100000
    (tmp_path / "wide.json").write_text(json.dumps(data))
    loaded = run("render", tmp_path / "wide.json", "-o", tmp_path / "m.mp4", "--renderer", "animatic")
    assert loaded.exit_code == 2
    rule = "width: Input should be less than or equal to 7680 (got 100000)"
    assert rule in " ".join(given.output.split()) and rule in " ".join(loaded.output.split())
    assert "ValidationError" not in given.output
    assert not (tmp_path / "m.mp4").exists()


def test_a_board_nested_100k_deep_exits_2(tmp_path):
    (tmp_path / "deep.json").write_text('{"scenes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    for args in (["check", tmp_path / "deep.json"], ["render", tmp_path / "deep.json", "-o", tmp_path / "m.mp4", "--renderer", "animatic"]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "nested too deeply" in result.output


# `director make` says what it used and times planning and rendering apart -----------------------------


class SlowPlanner:
    """The rules planner, after a pause (a stand-in for an LLM thinking)."""

    name = "slow"
    PAUSE = 2.0

    def __init__(self) -> None:
        from planners.rules import RulesPlanner

        self.rules = RulesPlanner()

    def plan(self, script, options):
        time.sleep(self.PAUSE)
        return self.rules.plan(script, options)


def test_make_names_its_planner_and_renderer_and_does_not_count_planning_as_rendering(tmp_path):
    started = time.perf_counter()
    result = run("make", EXAMPLES / "robot_day.txt", "-o", tmp_path / "m.mp4", "--planner", "tests.test_cli:SlowPlanner",
                 "--renderer", "animatic", "--size", "32x18", "--fps", "2", "--cache-dir", tmp_path / "c")
    wall = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    planned = float(re.search(r"planned with the tests\.test_cli:SlowPlanner planner in ([\d.]+) s", said).group(1))
    rendered = float(re.search(r"rendered \d+ frames \(.*?\) with the animatic renderer \(animatic/v1/.*?\) in ([\d.]+) s:", said).group(1))
    assert planned >= SlowPlanner.PAUSE - 0.05
    assert rendered <= wall - SlowPlanner.PAUSE + 0.05  # the pause is not in the render time


def test_the_readmes_first_command_installs_the_tiny_renderer_and_makes_the_movie_with_the_defaults():
    section = (ROOT / "README.md").read_text().split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    command = section.split("```bash\n", 1)[1].split("\n```", 1)[0].strip()
    steps = [step.strip() for step in command.split("&&")]
    install = next(step for step in steps if step.startswith("pip install"))
    assert re.search(r'-e "\.\[(?:[\w-]+,)*tiny(?:,[\w-]+)*\]"', install), install  # the embedded diffusion renderer
    assert "torch==" in install  # a pinned torch: the CPU build here, not an unpinned multi-GB CUDA one
    make = steps[-1].split()
    assert make[:2] == ["director", "make"] and not {"--planner", "--renderer"} & set(make)  # the defaults

