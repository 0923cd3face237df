"""Keyframe-conditioned infill through LTX, Wan and AnimateDiff SparseCtrl (tiny random copies).

Random weights cannot show that a known frame *looks* right at its place, so these
tests check the two things that can fail in our code: each known frame reaches the
pipeline at the frame index of its window position, and the frames made depend on
the known ones (and, for SparseCtrl's box bias, on the layout where the boxes are).
"""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

import numpy as np

from renderers.diffusers.config import InfillConfig
from renderers.diffusers.infill_window import map_window
from renderers.diffusers.ltx_infill import LtxInfill
from renderers.diffusers.sparsectrl_infill import SparseCtrlInfill
from renderers.diffusers.wan_infill import WanInfill
from tests.tiny_pipelines import LEFT, RIGHT, infill_job, one_thread, region_difference, solid, tiny  # noqa: F401

BACKENDS = {"ltx": LtxInfill, "wan": WanInfill, "sparsectrl": SparseCtrlInfill}
RED, BLUE = solid((220, 30, 30), 16), solid((30, 30, 220), 16)


def backend(kind: str, **options):
    config = InfillConfig(backend=kind, model="random:tiny", num_inference_steps=2, max_sequence_length=16, **options)
    return BACKENDS[kind](tiny(kind, open_gates=True), config)


def spy(monkeypatch, pipe) -> list[dict]:
    """Record every call's keyword arguments, then run the real pipeline."""
    calls: list[dict] = []
    cls = type(pipe)
    real = cls.__call__

    def recording(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", recording)
    return calls


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def test_a_window_is_laid_evenly_over_the_pipelines_frames():
    job = infill_job({0: RED, 4: BLUE}, n=5, size=16)
    ltx = map_window(job, frame_step=8)  # LTX: 8k+1 frames
    assert (ltx.num_frames, ltx.positions, ltx.known, ltx.targets) == (9, (0, 2, 4, 6, 8), ((0, 0), (8, 4)), (2, 4, 6))
    wan = map_window(job, frame_step=4)  # Wan: 4k+1; 5 frames fit exactly
    assert (wan.num_frames, wan.positions, wan.targets) == (5, (0, 1, 2, 3, 4), (1, 2, 3))
    middle = map_window(infill_job({0: RED, 2: BLUE, 6: RED}, n=7, size=16), frame_step=1)
    assert middle.known == ((0, 0), (2, 2), (6, 6)) and middle.targets == (1, 3, 4, 5)
    with pytest.raises(ValueError, match="at most 4 frames"):
        map_window(job, max_frames=4)


def test_ltx_gets_every_known_frame_at_its_index(monkeypatch):
    pipe = tiny("ltx", True)
    assert pipe.vae_temporal_compression_ratio == 4  # the tiny VAE: windows of 4k+1 frames (LTX-Video's: 8k+1)
    calls = spy(monkeypatch, pipe)
    frames = backend("ltx").render(infill_job({0: RED, 2: BLUE, 3: RED}, n=4, size=16))
    assert frames.shape == (1, 16, 16, 3) and frames.dtype == np.uint8  # the one target: position 1
    conditions = calls[0]["conditions"]
    assert calls[0]["num_frames"] == 5  # 4 positions laid over 5 frames: 0, 1, 3, 4
    assert [c.frame_index for c in conditions] == [0, 3, 4]
    assert [tuple(pixels(c.image)[0, 0]) for c in conditions] == [(220, 30, 30), (30, 30, 220), (220, 30, 30)]
    assert calls[0]["image_cond_noise_scale"] == 0.0


def test_wan_gets_the_first_and_last_frame(monkeypatch):
    calls = spy(monkeypatch, tiny("wan", True))
    frames = backend("wan").render(infill_job({0: RED, 4: BLUE}, n=5, size=16))
    assert frames.shape == (3, 16, 16, 3)
    assert tuple(pixels(calls[0]["image"])[0, 0]) == (220, 30, 30)
    assert tuple(pixels(calls[0]["last_image"])[0, 0]) == (30, 30, 220)
    assert calls[0]["num_frames"] == 5


def test_wan_refuses_known_frames_in_the_middle_and_says_what_to_use():
    with pytest.raises(ValueError, match="use the ltx or sparsectrl backend"):
        backend("wan").render(infill_job({0: RED, 2: BLUE, 4: RED}, n=5, size=16))


def test_sparsectrl_gets_known_frames_at_their_indices(monkeypatch):
    calls = spy(monkeypatch, tiny("sparsectrl", True))
    frames = backend("sparsectrl").render(infill_job({0: RED, 3: BLUE, 5: RED}, n=6, size=16))
    assert frames.shape == (3, 16, 16, 3)
    assert calls[0]["controlnet_frame_indices"] == [0, 3, 5]
    assert [tuple(pixels(image)[0, 0]) for image in calls[0]["conditioning_frames"]] == [(220, 30, 30), (30, 30, 220), (220, 30, 30)]


# Not wan: the tiny random Wan VAE's decoder washes out every difference below one grey level
# (its latents do differ); test_wan_gets_the_first_and_last_frame checks what our code passes.
@pytest.mark.parametrize("kind", ["ltx", "sparsectrl"])
def test_the_frames_made_depend_on_the_known_frames(kind):
    renderer = backend(kind)
    forward = renderer.render(infill_job({0: RED, 4: BLUE}, n=5, size=16))
    backward = renderer.render(infill_job({0: BLUE, 4: RED}, n=5, size=16))
    again = renderer.render(infill_job({0: RED, 4: BLUE}, n=5, size=16))
    np.testing.assert_array_equal(forward, again)  # deterministic for a job's seed
    assert not np.array_equal(forward, backward)


def test_sparsectrl_box_bias_places_the_entity_in_every_in_between_frame():
    job = lambda box: infill_job({0: RED, 4: BLUE}, n=5, size=32, boxes=[{"cat": box}] * 5)  # noqa: E731
    biased = backend("sparsectrl", attention_box_bias=4.0)
    left, right = biased.render(job(LEFT)), biased.render(job(RIGHT))
    inside, outside = region_difference(left[1], right[1], [LEFT, RIGHT])  # the middle frame, made, not known
    assert inside > 1.5 * outside, (inside, outside)
    unbiased = backend("sparsectrl", attention_box_bias=0.0)
    np.testing.assert_array_equal(unbiased.render(job(LEFT)), unbiased.render(job(RIGHT)))


def test_ltx_box_bias_changes_the_frames_made_and_only_through_the_boxes():
    job = lambda box: infill_job({0: RED, 4: BLUE}, n=5, size=32, boxes=[{"cat": box}] * 5)  # noqa: E731
    biased = backend("ltx", attention_box_bias=4.0)
    assert not np.array_equal(biased.render(job(LEFT)), biased.render(job(RIGHT)))
    unbiased = backend("ltx", attention_box_bias=0.0)
    np.testing.assert_array_equal(unbiased.render(job(LEFT)), unbiased.render(job(RIGHT)))
    processors = {name: type(p) for name, p in tiny("ltx", True).transformer.attn_processors.items()}
    assert all(cls.__name__ == "LTXVideoAttnProcessor" for cls in processors.values())  # restored


def test_ltx_box_bias_acts_on_the_video_tokens_inside_each_frames_box_only():
    import torch

    from renderers.diffusers.ltx_infill import LtxBoxCrossAttention

    attn = tiny("ltx", True).transformer.transformer_blocks[0].attn2
    grid = (2, 4, 4)  # 2 latent frames of 4x4 tokens, after 3 tokens of a known frame elsewhere
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(2, 3 + 32, attn.to_q.in_features, generator=generator)  # [unconditional; conditional]
    text = torch.randn(2, 16, attn.to_k.in_features, generator=generator)
    spans = {"cat": [1, 2, 3]}

    def attend(second_frame_box):
        processor = LtxBoxCrossAttention([{"cat": LEFT}, {"cat": second_frame_box}], spans, grid, bias=4.0)
        with torch.no_grad():
            return processor(attn, hidden, text)

    same, moved = attend(LEFT), attend(RIGHT)
    changed = (same - moved).abs().amax(dim=-1) > 1e-6  # (batch, tokens)
    assert not changed[0].any()  # the unconditional row has no layout
    assert not changed[1, :3 + 16].any()  # the known frame's tokens and the first latent frame: same boxes
    second = changed[1, 3 + 16 :].reshape(4, 4)
    # On 4x4 tokens LEFT covers rows 1-2, columns 0-1 and RIGHT rows 1-2, columns 2-3: every token of rows 1-2
    # entered or left the box; rows 0 and 3 are outside both, and keep their attention.
    assert second[1:3].all() and not second[[0, 3]].any()
    plain = LtxBoxCrossAttention([{}, {}], spans, grid, bias=4.0)
    with torch.no_grad():
        torch.testing.assert_close(plain(attn, hidden, text), attn(hidden, text))  # no boxes: the model's own attention
