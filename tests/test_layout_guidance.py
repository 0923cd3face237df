"""Training-free layout guidance on Stable Diffusion 1.x/2.x and XL pipelines (tiny random copies)."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

import numpy as np
import torch

from renderers.diffusers.config import KeyframeConfig
from renderers.diffusers.layout_attention import installed
from renderers.diffusers.layout_guidance import LayoutGuidanceKeyframes, layout_energy
from tests.tiny_pipelines import LEFT, RIGHT, keyframe_request, one_thread, region_difference, tiny  # noqa: F401

GUIDED = dict(num_inference_steps=4, layout_guidance_fraction=1.0, layout_guidance_strength=1.0, guidance_scale=1.0)
ONLY_GUIDANCE = dict(entity_noise=False, identity_attention=False)  # boxes act through guidance alone


def render(kind: str, *boxes, **options):
    renderer = LayoutGuidanceKeyframes(tiny(kind), KeyframeConfig(**{**GUIDED, **options}))
    return renderer.render(keyframe_request(*boxes))


@pytest.mark.parametrize("kind", ["sd", "sdxl"])
def test_moving_a_box_changes_the_keyframe_where_the_box_moved(kind):
    left = render(kind, {"cat": LEFT}, **ONLY_GUIDANCE)[0]
    right = render(kind, {"cat": RIGHT}, **ONLY_GUIDANCE)[0]
    inside, outside = region_difference(left, right, [LEFT, RIGHT])
    assert inside > 1.5 * outside, (inside, outside)


@pytest.mark.parametrize("kind", ["sd", "sdxl"])
def test_without_guidance_a_box_alone_changes_nothing(kind):
    off = {**ONLY_GUIDANCE, "layout_guidance_strength": 0.0}
    np.testing.assert_array_equal(render(kind, {"cat": LEFT}, **off), render(kind, {"cat": RIGHT}, **off))


def test_a_guidance_step_lowers_the_layout_energy():
    pipe = tiny("sd")
    renderer = LayoutGuidanceKeyframes(pipe, KeyframeConfig(**GUIDED))
    request = keyframe_request({"cat": LEFT}, {"cat": RIGHT})
    from renderers.diffusers.keyframe_plan import plan_keyframes

    plan = plan_keyframes(request, pipe.tokenizer, (4, 16, 16))
    attention = plan.attention([0, 1])
    embeddings = pipe.encode_prompt([p.text for p in plan.prompts], "cpu", 1, False)[0]
    pipe.scheduler.set_timesteps(4)

    def energy(latents):
        with torch.no_grad(), installed(pipe.unet) as controller:
            controller.plan = attention
            attention.record = True
            pipe.unet(latents, pipe.scheduler.timesteps[1], encoder_hidden_states=embeddings)
            attention.record = False
            return layout_energy(controller.maps, attention)

    with installed(pipe.unet) as controller:
        controller.plan = attention
        guide = renderer._guidance(controller)
        guided = guide(pipe, 0, pipe.scheduler.timesteps[0], {"latents": plan.latents, "prompt_embeds": embeddings})["latents"]
    before, after = energy(plan.latents), energy(guided)
    assert (after < before).all(), (before, after)


def test_keyframes_come_back_at_the_scenes_size_one_per_frame_even_without_entities():
    frames = render("sd", {"cat": LEFT}, {}, {"cat": RIGHT}, width=24, height=16)  # the model renders at 24x16
    assert frames.shape == (3, 32, 32, 3) and frames.dtype == np.uint8  # the scene is 32x32
    odd = LayoutGuidanceKeyframes(tiny("sd"), KeyframeConfig(**GUIDED)).render(keyframe_request({}, width=30, height=18))
    assert odd.shape == (1, 18, 30, 3)  # rendered at the nearest size the UNet takes, resized back


def test_batches_share_frame_zero_as_reference_and_agree_with_one_big_batch():
    boxes = [{"cat": LEFT}, {"cat": RIGHT}, {"cat": LEFT}, {}]
    together = render("sd", *boxes, batch=4, layout_guidance_strength=0.0)
    in_pairs = render("sd", *boxes, batch=2, layout_guidance_strength=0.0)
    np.testing.assert_allclose(together.astype(float), in_pairs.astype(float), atol=2)


def test_a_non_stable_diffusion_pipeline_is_refused_with_its_name():
    with pytest.raises(ValueError, match="loads as LTXConditionPipeline"):
        LayoutGuidanceKeyframes(tiny("ltx"), KeyframeConfig())
