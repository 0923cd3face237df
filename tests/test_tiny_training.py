"""Training the tiny models: tiny random copies of the real classes, a few steps, exact resume, the CLI."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("diffusers")

import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from director.cli import app
from director.errors import InputError
from renderers.tiny.models import TinyConfig, TinyModel
from renderers.tiny.train import CHANNELS, TrainOptions, export, train, train_tiny

SMALL = dict(batch_size=2, channels=(32, 32), norm_groups=8, checkpoint_every=1, eval_every=100, threads=1)


@pytest.mark.parametrize("kind", ["keyframe", "infill"])
def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path, kind):
    train(TrainOptions(kind=kind, steps=3, **SMALL), tmp_path / "straight")
    train(TrainOptions(kind=kind, steps=2, **SMALL), tmp_path / "resumed")
    train(TrainOptions(kind=kind, steps=3, **SMALL), tmp_path / "resumed")
    a = load_file(str(tmp_path / "straight" / "model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    lines = [json.loads(line) for line in (tmp_path / "resumed" / "log.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3]


def test_exported_weights_load_into_the_same_model(tmp_path):
    train(TrainOptions(kind="infill", steps=1, **SMALL), tmp_path / "run")
    model = TinyModel.load(export(tmp_path / "run", tmp_path / "infill.safetensors"))
    assert model.config.kind == "infill" and model.config.channels == (32, 32)
    assert model.config.extra["steps"] == 1


def test_the_models_keep_the_frame_shape():
    torch.manual_seed(0)
    for kind in ("keyframe", "infill"):
        model = TinyModel(TinyConfig(kind=kind, channels=(32, 32), norm_groups=8)).eval()
        from renderers.tiny.conditioning import rasterise

        layout = rasterise([[], []], 32)
        images = torch.zeros(2, model.config.image_channels - 3 - model.config.map_channels, 32, 32)
        out = model(torch.randn(2, 3, 32, 32), torch.tensor([10, 900]), images, layout, torch.zeros(2, model.config.global_features))
        assert out.shape == (2, 3, 32, 32)


def test_director_train_tiny_trains_checkpoints_resumes_and_exports(tmp_path):
    runner = CliRunner()
    base = ["train", "tiny", "keyframe", "--run-dir", str(tmp_path / "run"), "--batch-size", "2", "--channels", "32,32", "--threads", "1"]
    first = runner.invoke(app, [*base, "--steps", "1"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, [*base, "--steps", "2", "--export", str(tmp_path / "k.safetensors")])
    assert second.exit_code == 0, second.output
    assert json.loads((tmp_path / "run" / "state.json").read_text())["step"] == 2
    assert (tmp_path / "k.safetensors").exists()
    bad = runner.invoke(app, ["train", "tiny", "painter"])
    assert bad.exit_code == 2 and "unknown model 'painter'" in bad.output


def test_train_tiny_trains_the_shipped_widths_unless_others_are_given(tmp_path):
    trained = train_tiny("infill", run_dir=tmp_path / "run", export_to=tmp_path / "infill.safetensors", steps=1, batch_size=1, threads=1)
    options = json.loads((trained.run_dir / "state.json").read_text())["options"]
    assert tuple(options["channels"]) == CHANNELS["infill"] and options["norm_groups"] == 16  # 48 is no multiple of 32
    assert TinyModel.load(trained.exported).config.channels == CHANNELS["infill"]
    with pytest.raises(InputError, match="unknown model 'painter'"):
        train_tiny("painter", run_dir=tmp_path / "never")
    assert not (tmp_path / "never").exists()
