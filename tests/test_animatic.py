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


# -- shots: frame-space boxes, cut edges, the shot's name -------------------------------------------


def _cut_scene(shots, width=256, height=144):
    from director.storyboard import Storyboard

    data = make_board(scenes=1, duration=3.0, fps=6, width=width, height=height).model_dump(mode="json")
    data["scenes"][0]["shots"] = shots
    board = Storyboard.model_validate(data)
    return board, board.scenes[0]


def _drawn(board, scene, index, renderer=None):
    from dataclasses import replace

    renderer = renderer or AnimaticRenderer(show_time=False)
    context = scene_context(board, scene, scene.shot_at(index, board.fps))
    spec = frame_spec(board, scene, index)
    return renderer.draw_frame(context, spec), renderer.draw_frame(context, replace(spec, boxes={}, captions=()))


def test_a_close_up_draws_its_subject_large():
    board, scene = _cut_scene(
        [{"id": "wide", "start": 0.0, "end": 1.5}, {"id": "close", "start": 1.5, "end": 3.0, "size": "close_up", "subjects": ["dog"]}]
    )
    wide, wide_background = _drawn(board, scene, 3)
    close, close_background = _drawn(board, scene, 15)
    covered_wide = (np.abs(wide.astype(int) - wide_background).sum(axis=2) > 30).mean()
    covered_close = (np.abs(close.astype(int) - close_background).sum(axis=2) > 30).mean()
    assert covered_close > 0.8 and covered_close > 3 * covered_wide
    # it is the dog that fills the frame: the frame's middle is tinted towards the dog's colour, not the cat's
    dog, cat = np.array(identity_color(board.entity("dog"))), np.array(identity_color(board.entity("cat")))
    middle = close[60:84, 100:156].reshape(-1, 3).mean(axis=0)
    background = close_background[60:84, 100:156].reshape(-1, 3).mean(axis=0)
    tint = middle - background
    assert np.dot(tint, dog - background) > 0 and np.linalg.norm(middle - dog) < np.linalg.norm(middle - cat)


def test_a_box_the_camera_cuts_has_no_outline_on_the_cut_side():
    board, scene = _cut_scene([{"id": "close", "start": 0.0, "end": 3.0, "size": "close_up", "subjects": ["dog"]}])
    frame, _ = _drawn(board, scene, 12)  # 2 s: no one speaks
    box = frame_spec(board, scene, 12).boxes["dog"]
    assert box.x0 == 0.0 and box.x1 == 1.0 and box.y1 == 1.0  # cut on three sides, its top (the head) inside
    dog = np.array(identity_color(board.entity("dog")))
    outline_row = round(box.y0 * 144)
    on_outline = np.linalg.norm(frame[outline_row, 40:216].astype(int) - dog, axis=1).mean()
    bottom_row = np.linalg.norm(frame[143, 40:216].astype(int) - dog, axis=1).mean()
    assert on_outline < 20 < bottom_row  # a solid outline along the top, none along the cut bottom


def test_the_shot_is_named_in_the_corner_unless_it_is_the_default_wide_shot():
    from director.storyboard import CameraMove, Shot
    from renderers.animatic import shot_label

    board, scene = _cut_scene(
        [
            {"id": "wide", "start": 0.0, "end": 1.0},
            {"id": "close", "start": 1.0, "end": 2.0, "size": "close_up", "subjects": ["dog"], "move": {"kind": "pan", "direction": "left"}},
            {"id": "eyes", "start": 2.0, "end": 3.0, "angle": "pov", "pov": "dog", "size": "medium", "subjects": ["cat"]},
        ]
    )
    assert [shot_label(s, scene_context(board, scene)) for s in scene.shots] == ["", "CU · pan left", "POV dog"]
    assert shot_label(Shot(id="s", start=0, end=1, size="medium", angle="low", move={"kind": "tilt", "direction": "up"})) == "MS · low angle · tilt up"
    renderer = AnimaticRenderer(show_time=False)
    spec = frame_spec(board, scene, 9)
    named = renderer.draw_frame(scene_context(board, scene, scene.shots[1]), spec)
    right = scene.shots[1].model_copy(update={"move": CameraMove(kind="pan", direction="right")})
    renamed = renderer.draw_frame(scene_context(board, scene, right), spec)  # the same boxes, another name
    changed = np.argwhere(np.abs(named.astype(int) - renamed).sum(axis=2) > 60)
    assert len(changed) > 30  # the name is drawn ...
    assert changed[:, 0].max() < 144 * 0.15 and changed[:, 1].min() > 256 * 0.6  # ... in the top right corner only


def test_a_default_shot_draws_exactly_what_a_scene_without_shots_drew():
    board = make_board(scenes=1, width=128, height=72)
    scene = board.scenes[0]
    renderer = AnimaticRenderer()
    for index in (0, 5, 11):
        spec = frame_spec(board, scene, index)
        np.testing.assert_array_equal(
            renderer.draw_frame(scene_context(board, scene, scene.cut[0]), spec), renderer.draw_frame(scene_context(board, scene), spec)
        )
