"""Training the v3 autoencoder: a tiny random copy of the real class, a few steps, exact resume, export."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("diffusers")

import torch
from safetensors.torch import load_file

from director.errors import InputError
from renderers.tiny.train import train_tiny
from renderers.tiny.v3.train import V3Options, load_autoencoder, train_v3
from renderers.tiny.v3.world import FRAME

SMALL = dict(batch_size=1, channels=(8, 8, 8, 8), norm_groups=8, crop=32, checkpoint_every=1, eval_every=2, threads=1)


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
