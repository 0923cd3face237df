"""The tiny renderer's procedural world, its conditioning and its detector (no trained weights needed)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from director.layout import CATEGORY_PRIORS
from planners.lexicon import NOUNS
from renderers.tiny.conditioning import Placed, rasterise, warp_guess
from renderers.tiny.detect import detect, iou
from renderers.tiny.train import to_tensor
from renderers.tiny.world import BACKGROUNDS, CATEGORIES, TIMES, Clip, WorldEntity, sample_clip, time_of_day

import torch

RED = (214, 48, 49)


def test_the_same_seed_makes_the_same_clip_and_other_seeds_differ():
    a, b, c = sample_clip(5), sample_clip(5), sample_clip(6)
    assert a.entities == b.entities and a.background == b.background
    assert np.array_equal(a.frame(0.3), b.frame(0.3))
    assert not np.array_equal(a.frame(0.3), c.frame(0.3))


def test_the_world_draws_every_category_the_planner_and_layout_solver_know():
    assert len(BACKGROUNDS) >= 8 and len(TIMES) == 3 and len(CATEGORIES) >= 16
    assert set(NOUNS.values()) <= set(CATEGORIES)
    assert set(CATEGORY_PRIORS) <= set(CATEGORIES)


def test_moving_entities_move_along_their_track_and_enter_late():
    entity = WorldEntity("ball", "red", RED, (0.0, 0.5, 0.2, 0.7), (0.8, 0.5, 1.0, 0.7), visible=(0.5, 1.0))
    clip = Clip(1, "grass", "day", (entity,))
    assert clip.layout(0.25) == []
    assert clip.layout(1.0)[0][1] == pytest.approx((0.8, 0.5, 1.0, 0.7))
    found = detect(clip.frame(1.0), RED)
    assert found is not None and iou(found, (0.8, 0.5, 1.0, 0.7)) > 0.7


def test_the_detector_finds_world_entities_where_their_boxes_say():
    scores = []
    for seed in range(40):
        clip = sample_clip(10_000 + seed)
        frame = clip.frame(0.5)
        for i, box in clip.layout(0.5):
            found = detect(frame, clip.entities[i].color)
            scores.append(iou(found, box) if found else 0.0)
    assert np.mean(scores) > 0.55  # its ceiling on true frames, with occlusion and 32-pixel boxes


def test_knowing_the_category_the_detector_gives_the_box_the_sprite_was_drawn_in():
    box = (0.2, 0.2, 0.8, 0.8)  # a boat paints its colour in the lower half of its box only (a white sail above)
    frame = Clip(1, "sea", "day", (WorldEntity("boat", "red", RED, box, box),)).frame(0.5)
    colour_only, knowing = detect(frame, RED), detect(frame, RED, category="boat")
    assert colour_only is not None and colour_only[1] > 0.45
    assert knowing is not None and iou(knowing, box) > 0.8 > iou(colour_only, box)


def test_time_of_day_is_read_from_the_setting():
    assert time_of_day("a forest at dusk") == "dusk"
    assert time_of_day("INT. MIRA'S ROOM - NIGHT") == "night"
    assert time_of_day("a park") == "day"


def test_a_smaller_box_in_front_hides_the_larger_one_in_the_layout_map():
    noun = torch.zeros(384)
    big = Placed("big", (0.0, 0.0, 1.0, 1.0), noun, RED)
    small = Placed("small", (0.25, 0.25, 0.5, 0.5), noun, (0, 0, 255))
    layout = rasterise([[small, big]], 32)
    assert layout.weights[0, 0, 10, 10] == 0 and layout.weights[0, 1, 10, 10] == 1  # big is drawn first, small on top
    assert layout.weights[0, 0, 20, 20] == 1
    assert torch.allclose(layout.weights[0].sum(0), torch.ones(32, 32))


def test_the_warp_guess_moves_an_entity_to_its_new_box_and_uncovers_the_background():
    clip = Clip(3, "sky", "day", (WorldEntity("ball", "red", RED, (0.1, 0.4, 0.3, 0.6), (0.7, 0.4, 0.9, 0.6)),))
    noun = torch.zeros(384)
    at = lambda s: [Placed("ball", clip.entities[0].box(s), noun, RED)]  # noqa: E731
    known = [(to_tensor(clip.frame(0.0)), at(0.0), 0.0), (to_tensor(clip.frame(1.0)), at(1.0), 1.0)]
    guess, confidence = warp_guess(known, at(0.5), 0.5, 32)
    picture = ((guess.permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()
    found = detect(picture, RED)
    assert found is not None and iou(found, clip.entities[0].box(0.5)) > 0.7
    assert confidence.min() > 0.9  # every pixel had a source: the ball from an end, the sky from the other
    truth = clip.frame(0.5)
    assert np.abs(picture.astype(int) - truth.astype(int)).mean() < 6
