"""GLIGEN keyframes: each keyframe grounded on its own boxes, empty box lists handled, model left as loaded."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

import numpy as np

from director.storyboard import Box
from renderers.diffusers.config import KeyframeConfig
from renderers.diffusers.gligen import GligenKeyframes
from tests.tiny_pipelines import CAT, DOG, LEFT, RIGHT, keyframe_request, one_thread, region_difference, tiny  # noqa: F401

FAST = dict(backend="gligen", num_inference_steps=3, gligen_beta=1.0)


def render(*boxes, open_gates=True, **options):
    renderer = GligenKeyframes(tiny("gligen", open_gates), KeyframeConfig(**{**FAST, **options}))
    return renderer.render(keyframe_request(*boxes, entities=(CAT, DOG)))


def test_each_keyframe_is_grounded_on_its_own_boxes_and_an_empty_frame_on_nothing():
    pipe = tiny("gligen", True)
    seen = []
    hook = pipe.unet.position_net.register_forward_hook(lambda module, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    small = Box(x0=0.6, y0=0.6, x1=0.8, y1=0.9)
    try:
        frames = GligenKeyframes(pipe, KeyframeConfig(**FAST)).render(
            keyframe_request({"cat": LEFT, "dog": small}, {}, {"cat": RIGHT}, entities=(CAT, DOG))
        )
    finally:
        hook.remove()
    assert frames.shape == (3, 32, 32, 3)
    grounding = seen[0]  # the first step; classifier-free guidance: [unconditional x3; conditional x3]
    masks, boxes = grounding["masks"], grounding["boxes"]
    assert masks.shape == (6, 30)
    assert masks[:3].sum() == 0  # the unconditional half is grounded on nothing
    assert masks[3:].sum(dim=1).tolist() == [2.0, 0.0, 1.0]  # two entities, none (the empty box list), one
    assert boxes[3, 0].tolist() == pytest.approx([0.0, 0.25, 0.45, 0.75])  # larger box first
    assert boxes[3, 1].tolist() == pytest.approx([0.6, 0.6, 0.8, 0.9])
    assert boxes[5, 0].tolist() == pytest.approx([0.55, 0.25, 1.0, 0.75])


def test_with_open_gates_moving_a_box_changes_the_keyframe_and_with_shut_gates_it_cannot():
    alone = dict(entity_noise=False, identity_attention=False)  # boxes act through GLIGEN's grounding alone
    shut_left, shut_right = render({"cat": LEFT}, open_gates=False, **alone), render({"cat": RIGHT}, open_gates=False, **alone)
    np.testing.assert_array_equal(shut_left, shut_right)
    open_left, open_right = render({"cat": LEFT}, **alone), render({"cat": RIGHT}, **alone)
    assert not np.array_equal(open_left, open_right)


def test_moving_a_box_moves_the_entitys_noise_and_so_the_entity():
    left, right = render({"cat": LEFT}, identity_attention=False)[0], render({"cat": RIGHT}, identity_attention=False)[0]
    inside, outside = region_difference(left, right, [LEFT, RIGHT])
    assert inside > 2 * outside, (inside, outside)


def test_the_shared_model_is_left_as_loaded():
    pipe = tiny("gligen", True)
    processors = {name: type(p) for name, p in pipe.unet.attn_processors.items()}
    render({"cat": LEFT}, {"cat": RIGHT}, gligen_beta=0.3)
    assert {name: type(p) for name, p in pipe.unet.attn_processors.items()} == processors
    from diffusers.models.attention import GatedSelfAttentionDense

    assert all(m.enabled for m in pipe.unet.modules() if isinstance(m, GatedSelfAttentionDense))


def test_a_plain_stable_diffusion_checkpoint_is_not_taken_for_gligen():
    with pytest.raises(ValueError, match="not a GLIGEN checkpoint"):
        GligenKeyframes(tiny("sd"), KeyframeConfig(**FAST))
