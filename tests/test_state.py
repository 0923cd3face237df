"""The render state file (MOVIE.render.json), `director status`, and the CLI's scale options."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from director.api import Director
from director.cli import app
from director.state import read_render_state, state_path
from tests.conftest import make_board

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_a_render_keeps_its_state_file_up_to_date_and_ends_it_done(tmp_path):
    seen = []
    director = Director(renderer="animatic", cache_dir=tmp_path / "cache", renderer_options={"window": 4})
    watch = lambda snapshot: seen.append(json.loads(state_path(tmp_path / "m.mp4").read_text())["status"])  # noqa: E731
    result = director.render(make_board(scenes=2), tmp_path / "m.mp4", watch=watch)
    state = read_render_state(tmp_path / "m.mp4")
    assert set(seen) == {"rendering"} and state["status"] == "done" and state["run"] == 1
    assert state["jobs"] == {"total": result.stats.jobs, "cached": 0, "rendered": result.stats.jobs, "remaining": 0}
    assert [s["scene"] for s in state["scenes"]] == ["scene_1", "scene_2"]
    assert state["render"]["schedule"] == "hierarchical" and state["render"]["renderer"].startswith("animatic/")


def test_a_crashed_render_says_where_it_stopped_and_the_rerun_resumes(tmp_path):
    board = make_board(scenes=3)
    board.save(tmp_path / "b.json")
    director = Director(renderer="tests.conftest:CountingRenderer", cache_dir=tmp_path / "cache", renderer_options={"fail_after": 5})
    crashing = director.renderer
    with pytest.raises(RuntimeError, match="simulated crash"):
        director.render(board, tmp_path / "m.mp4")
    state = read_render_state(tmp_path / "m.mp4")
    assert state["status"] == "failed" and state["jobs"]["rendered"] == crashing.jobs
    status = run("status", tmp_path / "m.mp4")
    assert status.exit_code == 0
    assert f"{crashing.jobs} of {state['jobs']['total']} done" in status.output

    # The same render again, from the command line (the same renderer fingerprint, so the same jobs).
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--renderer", "tests.conftest:CountingRenderer", "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert f"resuming after run 1 stopped (failed): {crashing.jobs} of {state['jobs']['total']} jobs are in the cache" in output
    again = read_render_state(tmp_path / "m.mp4")
    assert again["status"] == "done" and again["run"] == 2 and again["jobs"]["cached"] == crashing.jobs


def test_a_different_render_replaces_the_state_instead_of_resuming_it(tmp_path):
    Director(renderer="animatic", cache_dir=tmp_path / "cache", renderer_options={"window": 4}).render(make_board(scenes=1), tmp_path / "m.mp4")
    Director(renderer="animatic", cache_dir=tmp_path / "cache", renderer_options={"window": 4}, seed=3).render(make_board(scenes=1), tmp_path / "m.mp4")
    state = read_render_state(tmp_path / "m.mp4")
    assert state["run"] == 1 and state["render"]["seed"] == 3


def test_cli_autoregressive_schedule_and_its_bars(tmp_path):
    make_board(scenes=2).save(tmp_path / "b.json")
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--schedule", "autoregressive", "--renderer", "animatic", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.output
    for bar in ("all jobs", "windows (autoregressive)", "scene scene_1", "scene scene_2", "encode"):
        assert bar in result.output
    assert read_render_state(tmp_path / "m.mp4")["render"]["schedule"] == "autoregressive"
    assert "conditioned on the last 2 frames" in run("timeline", "100", "--schedule", "autoregressive").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--schedule", "sideways"], "--schedule 'sideways': use hierarchical or autoregressive"),
        (["--address", "auto"], "--address only work with a distributed executor"),
        (["--executor", "ray", "--workers", "0"], "--workers"),
    ],
)
def test_bad_scale_options_exit_2(tmp_path, args, message):
    make_board(scenes=1).save(tmp_path / "b.json")
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--cache-dir", tmp_path / "c", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "m.render.json").exists()


def test_status_without_a_state_file_is_a_clear_error(tmp_path):
    result = run("status", tmp_path / "nothing.mp4")
    assert result.exit_code == 2
    assert "no render state here" in result.output


def test_the_ray_executor_is_listed_with_the_other_executors():
    result = run("executors")
    assert "ray" in result.output and "Ray cluster" in " ".join(result.output.split())


@pytest.mark.slow
def test_a_render_killed_while_encoding_leaves_partial_files_the_next_render_of_that_movie_removes(tmp_path):
    """SIGKILL the real command while it writes the movie; the same command again removes what it left."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    make_board(scenes=2, duration=20.0, fps=12, width=96, height=54).save(tmp_path / "b.json")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "director.cli", "render", str(tmp_path / "b.json"), "-o", str(out / "m.mp4"),
               "--renderer", "animatic", "--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".m.mp4.*partial*")) and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = sorted(p.name for p in out.glob(".m.*partial*"))
    assert any(name.startswith(".m.mp4.") for name in left), left  # killed mid-encode: the movie's partial file
    assert not (out / "m.mp4").exists()

    again = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == ["m.contact.png", "m.mp4", "m.render.json", "m.srt", "m.storyboard.json"]
    assert not list(tmp_path.rglob("*.partial*"))


def test_a_long_board_gets_one_scenes_bar_instead_of_a_bar_per_scene(tmp_path):
    board = make_board(scenes=20, duration=2.0, fps=2)  # one job a scene
    board.save(tmp_path / "b.json")
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--renderer", "animatic", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert "scene scene_1 " not in result.output and "scene scene_20" not in result.output
    scenes_bar = [line for line in result.output.splitlines() if line.startswith("scenes ")]
    assert len(scenes_bar) == 1 and f"{len(board.scenes)}/{len(board.scenes)}" in scenes_bar[0]

    # An edit of one scene of the long board: a bar for that scene alone.
    scenes = [s.model_copy(update={"description": "a dog runs"}) if s.id == "scene_7" else s for s in board.scenes]
    board.model_copy(update={"scenes": scenes}).save(tmp_path / "b.json")
    result = run("render", tmp_path / "b.json", "-o", tmp_path / "m.mp4", "--renderer", "animatic", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert "scene scene_7" in result.output and "scene scene_1 " not in result.output
