"""Layout attention processors: exact when idle, restored after use, box bias and identity sharing do what they say."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

import torch

from renderers.diffusers.identity import box_mask
from renderers.diffusers.layout_attention import AttentionPlan, Region, grid_for, installed
from tests.tiny_pipelines import LEFT, RIGHT, one_thread, tiny  # noqa: F401 (one_thread is an autouse fixture)


def unet_inputs(batch: int = 2):
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch, 4, 8, 8, generator=generator), torch.randn(batch, 77, 32, generator=generator)


def run(unet, plan=None, batch=2):
    sample, text = unet_inputs(batch)
    with torch.no_grad(), installed(unet) as controller:
        controller.plan = plan
        out = unet(sample, 500, encoder_hidden_states=text).sample
    return out, controller


def test_without_a_plan_the_processors_compute_the_models_own_attention():
    unet = tiny("sd").unet
    sample, text = unet_inputs()
    with torch.no_grad():
        own = unet(sample, 500, encoder_hidden_states=text).sample
    ours, _ = run(unet)
    torch.testing.assert_close(ours, own, rtol=1e-4, atol=1e-5)


def test_the_models_processors_come_back_even_after_an_error():
    unet = tiny("sd").unet
    before = {name: type(p) for name, p in unet.attn_processors.items()}
    with pytest.raises(RuntimeError, match="boom"), installed(unet):
        raise RuntimeError("boom")
    assert {name: type(p) for name, p in unet.attn_processors.items()} == before


def test_grid_sizes_follow_the_latent_halvings():
    assert grid_for(8 * 12, (8, 12)) == (8, 12)
    assert grid_for(2 * 3, (8, 12)) == (2, 3)
    assert grid_for(3 * 2, (5, 3)) == (3, 2)  # odd sizes round up when halved
    with pytest.raises(ValueError, match="does not fit"):
        grid_for(7, (8, 8))


def test_box_bias_pulls_an_entitys_attention_into_its_box():
    unet = tiny("sd").unet
    regions = [[Region("cat", (1, 2, 3), LEFT)], [Region("cat", (1, 2, 3), RIGHT)]]

    def inside_share(bias: float) -> list[float]:
        plan = AttentionPlan(latent_size=(8, 8), regions=regions, bias=bias, record=True)
        _, controller = run(unet, plan)
        shares = []
        for image, box in enumerate((LEFT, RIGHT)):
            total = inside = 0.0
            for grid, probs in controller.maps:
                attention = probs[image][:, [1, 2, 3]].sum(-1)
                inside += float(attention[box_mask(box, *grid).flatten()].sum())
                total += float(attention.sum())
            shares.append(inside / total)
        return shares

    without, with_bias = inside_share(0.0), inside_share(3.0)
    assert all(b > a + 0.1 for a, b in zip(without, with_bias, strict=True)), (without, with_bias)


def test_identity_attention_changes_the_other_frames_not_the_reference():
    unet = tiny("sd").unet
    regions = [[Region("cat", (1,), LEFT)], [Region("cat", (1,), RIGHT)], [Region("dog", (2,), RIGHT)]]
    plain, _ = run(unet, AttentionPlan(latent_size=(8, 8), regions=regions), batch=3)
    shared, _ = run(unet, AttentionPlan(latent_size=(8, 8), regions=regions, identity=True), batch=3)
    torch.testing.assert_close(shared[0], plain[0])  # the reference attends only to itself
    assert not torch.allclose(shared[1], plain[1])  # shows the cat, as the reference does: it looks at it
    torch.testing.assert_close(shared[2], plain[2])  # only a dog: nothing shared with the reference


def test_a_plan_for_the_wrong_batch_is_an_error_not_a_silent_mismatch():
    unet = tiny("sd").unet
    plan = AttentionPlan(latent_size=(8, 8), regions=[[Region("cat", (1,), LEFT)]] * 3, bias=1.0)
    with pytest.raises(ValueError, match="describes 3 images but the layer sees a batch of 2"):
        run(unet, plan)
