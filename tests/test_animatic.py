"""The animatic renderer: boxes where the layout says, identity colours, speech bubbles, settings."""

from __future__ import annotations

import numpy as np
import pytest

from director.drawing import COLOR_NAMES, identity_color
from director.errors import InputError
from director.renderer import InfillJob, KeyframeRequest, Renderer, frame_spec, scene_context
from renderers.animatic import AnimaticConfig, AnimaticRenderer, setting_for
from tests.config_fields import changed_fields
from tests.conftest import frame_color_at, make_board


def test_it_implements_the_renderer_protocol():
    assert isinstance(AnimaticRenderer(), Renderer)


def test_entities_are_drawn_in_their_identity_colour_at_their_box():
    board = make_board(scenes=1, width=256, height=144)
    scene = board.scenes[0]
    frames = AnimaticRenderer().keyframes([KeyframeRequest(scene_context(board, scene), (frame_spec(board, scene, 0),), 0)])[0]
    cat_box = scene.layout_at(0)["cat"]
    black = np.array(COLOR_NAMES["black"])
    background = frame_color_at(frames[0], cat_box.model_copy(update={"x0": 0.4, "x1": 0.5, "y0": 0.1, "y1": 0.2}))
    inside = frame_color_at(frames[0], cat_box)
    assert np.linalg.norm(inside - black) < np.linalg.norm(background - black)


def test_an_entity_keeps_its_colour_in_every_scene():
    board = make_board(scenes=2)
    assert identity_color(board.entity("dog")) == identity_color(board.entity("dog"))
    assert identity_color(board.entity("cat")) == COLOR_NAMES["black"]


def test_a_speech_bubble_appears_while_a_line_is_spoken():
    board = make_board(scenes=1, width=256, height=144, fps=6)
    scene = board.scenes[0]
    renderer = AnimaticRenderer(show_time=False)
    context = scene_context(board, scene)
    quiet = renderer.draw_frame(context, frame_spec(board, scene, 9))  # 1.5 s: the line has ended
    speaking = frame_spec(board, scene, 6)  # 1.0 s: the dog says "Woof"
    assert speaking.captions[0].text == "Woof"
    loud = renderer.draw_frame(context, speaking)
    dog = scene.layout_at(1.0)["dog"]
    above_dog = slice(0, int(dog.y0 * 144)), slice(int(dog.x0 * 256), int(dog.x1 * 256))
    white = (loud[above_dog].min(axis=2) > 240).sum()
    assert white > (quiet[above_dog].min(axis=2) > 240).sum() + 50


def test_infill_draws_only_the_frames_to_make():
    board = make_board(scenes=1)
    scene = board.scenes[0]
    specs = tuple(frame_spec(board, scene, i) for i in range(5))
    known = {0: np.zeros((36, 64, 3), np.uint8), 4: np.zeros((36, 64, 3), np.uint8)}
    out = AnimaticRenderer().infill([InfillJob(scene_context(board, scene), specs, known, 0)])
    assert out[0].shape == (3, 36, 64, 3)


def test_settings_have_their_own_palettes():
    palettes = {setting_for(b) for b in ("a park", "the sea", "a snowy field", "a kitchen", "a desert", "a forest")}
    assert len(palettes) == 6
    day_sky, _, _ = setting_for("a park")
    night_sky, _, _ = setting_for("a park at night")
    assert sum(night_sky) < sum(day_sky) / 2


def test_every_setting_is_part_of_the_cache_key():
    keys = [AnimaticRenderer().fingerprint] + [AnimaticRenderer(**{name: value}).fingerprint for name, value in changed_fields(AnimaticConfig())]
    assert len(set(keys)) == len(keys) == 1 + len(AnimaticConfig.model_fields)  # each change gives a key of its own
    with pytest.raises(InputError, match="bad options for renderer 'animatic': window"):
        AnimaticRenderer(window=2)
