"""`director eval`: the report, the table, the plot, and exit code 2 for bad input."""

from __future__ import annotations

import pytest

for _module in ("scipy", "skimage", "matplotlib"):  # the `eval` extras: pip install -e ".[eval]"
    pytest.importorskip(_module)

import json
import shutil

from typer.testing import CliRunner

from director.cli import app
from director.evaluate import EvalReport

runner = CliRunner()
NO_MODELS = ("--clip", "", "--video-model", "")  # no --inception: none by default


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_eval_finds_the_storyboard_beside_the_movie_and_writes_report_and_plot(rendered, tmp_path):
    movie = tmp_path / "movie.mp4"
    shutil.copy(rendered.movie, movie)
    shutil.copy(rendered.board_path, tmp_path / "movie.storyboard.json")
    result = run("eval", movie, *NO_MODELS)
    assert result.exit_code == 0, result.output
    assert "using the storyboard beside the movie" in result.output and "layout_iou" in result.output
    assert "--inception" in result.output  # the skipped metrics say how to point to a model
    report = EvalReport.load(tmp_path / "movie.eval.json")
    assert report.metric("layout_iou").value > 0.85
    assert report.storyboard.endswith("movie.storyboard.json")
    assert (tmp_path / "movie.eval.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "movie.eval.json").read_text())["report_version"] == "1.0"


def test_eval_with_a_reference_and_an_explicit_output(rendered, tmp_path):
    out = tmp_path / "reports" / "r.json"
    result = run("eval", rendered.movie, "-r", rendered.movie, "-s", rendered.board_path, "-o", out, "--no-plot", *NO_MODELS)
    assert result.exit_code == 0, result.output
    assert EvalReport.load(out).metric("ssim").value == 1.0
    assert not out.with_suffix(".png").exists()


def test_bad_inputs_exit_2_and_write_nothing(rendered, tmp_path):
    missing = run("eval", tmp_path / "nope.mp4", "-o", tmp_path / "r.json")
    assert missing.exit_code == 2 and "no such file" in missing.output
    not_video = tmp_path / "text.mp4"
    not_video.write_text("not a video")
    bad = run("eval", not_video, "-o", tmp_path / "r.json", *NO_MODELS)
    assert bad.exit_code == 2 and "is not a video" in bad.output
    broken_board = tmp_path / "board.json"
    broken_board.write_text("{")
    board = run("eval", rendered.movie, "-s", broken_board, "-o", tmp_path / "r.json", *NO_MODELS)
    assert board.exit_code == 2 and "not valid JSON" in board.output
    unknown = run("eval", rendered.movie, "-s", rendered.board_path, "--detector", "nope", "-o", tmp_path / "r.json", *NO_MODELS)
    assert unknown.exit_code == 2 and "unknown detector 'nope'; available: color, owlvit" in unknown.output
    assert not (tmp_path / "r.json").exists()


def test_detectors_lists_the_builtin_ones():
    result = run("detectors")
    assert result.exit_code == 0 and "color" in result.output and "owlvit" in result.output
