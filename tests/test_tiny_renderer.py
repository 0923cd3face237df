"""The `tiny` renderer with its shipped weights: few, small, fast calls (32x32 frames, one or two jobs)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")

from director import registry
from director.errors import InputError
from director.renderer import FrameSpec, InfillJob, KeyframeRequest, SceneContext
from director.storyboard import Box, Entity
from renderers.tiny.detect import detect, iou
from renderers.tiny.renderer import TinyRenderer, TinyRendererConfig
from tests.config_fields import changed_fields


@pytest.fixture(scope="module")
def renderer() -> TinyRenderer:
    import torch

    torch.set_num_threads(2)
    return TinyRenderer()


def scene(entities: tuple[Entity, ...], background: str = "a park", size: tuple[int, int] = (32, 32)) -> SceneContext:
    return SceneContext("s", "", "", background, "", entities, (), *size)


CAR = Entity(id="car", name="the red car", category="car", attributes={"color": "red"})


def test_tiny_is_a_registered_renderer():
    assert registry.load("renderer", "tiny") is TinyRenderer


def test_every_setting_is_part_of_the_cache_key(renderer, tmp_path):
    keys = [renderer.fingerprint] + [TinyRenderer(**{name: value}).fingerprint for name, value in changed_fields(TinyRendererConfig())]
    assert len(set(keys)) == len(keys) == 1 + len(TinyRendererConfig.model_fields)  # each change gives a key of its own
    weights = tmp_path / "weights"
    weights.mkdir()
    for path in renderer.weights_dir.glob("*.safetensors"):
        (weights / path.name).write_bytes(path.read_bytes() + (b" " if path.name == "infill.safetensors" else b""))
    assert TinyRenderer(weights_dir=str(weights)).fingerprint != renderer.fingerprint  # and the weights
    with pytest.raises(InputError, match="bad options for renderer 'tiny': colour"):
        TinyRenderer(colour="red")


def test_moving_a_box_moves_the_entity(renderer):
    left, right = Box(x0=0.05, y0=0.5, x1=0.45, y1=0.8), Box(x0=0.55, y0=0.5, x1=0.95, y1=0.8)
    requests = [KeyframeRequest(scene((CAR,)), (FrameSpec(0, 0.0, {"car": box}),), seed=3) for box in (left, right)]
    frames = renderer.keyframes(requests)
    color = renderer.look(CAR).color
    found = [detect(f[0], color) for f in frames]
    assert all(found), "the car was not drawn"
    assert iou(found[0], (left.x0, left.y0, left.x1, left.y1)) > 0.4
    assert iou(found[1], (right.x0, right.y0, right.x1, right.y1)) > 0.4
    assert (found[1][0] + found[1][2]) / 2 - (found[0][0] + found[0][2]) / 2 > 0.3


def test_layout_guidance_changes_the_anchor_and_is_part_of_the_cache_key(renderer):
    request = KeyframeRequest(scene((CAR,)), (FrameSpec(0, 0.0, {"car": Box(x0=0.1, y0=0.4, x1=0.6, y1=0.8)}),), seed=4)
    plain = TinyRenderer(layout_guidance=1.0)
    assert plain.fingerprint != renderer.fingerprint
    assert not np.array_equal(plain.keyframes([request])[0], renderer.keyframes([request])[0])
    with pytest.raises(InputError, match="layout_guidance"):
        TinyRenderer(layout_guidance=0)


def test_every_keyframe_follows_its_box_and_keeps_the_look_of_the_scenes_anchor(renderer):
    boxes = [Box(x0=0.05 + 0.15 * i, y0=0.5, x1=0.45 + 0.15 * i, y1=0.8) for i in range(4)]
    request = KeyframeRequest(scene((CAR,)), tuple(FrameSpec(i, i / 3, {"car": b}) for i, b in enumerate(boxes)), seed=0)
    frames = renderer.keyframes([request])[0]
    found = [detect(f, renderer.look(CAR).color) for f in frames]
    assert all(found), "the car was not drawn in every keyframe"
    assert all(iou(b, (box.x0, box.y0, box.x1, box.y1)) > 0.5 for b, box in zip(found, boxes))
    centres = [(b[0] + b[2]) / 2 for b in found]
    assert centres == sorted(centres) and centres[-1] - centres[0] > 0.3
    # The sky (no box there) stays the anchor's (frame 1): far closer than in keyframes drawn independently.
    independent = TinyRenderer(keyframe_strength=1.0)
    assert independent.fingerprint != renderer.fingerprint

    def sky_change(frames: np.ndarray) -> float:
        sky = frames[:, :12].astype(float)
        return float(np.abs(sky - sky[1]).mean(axis=(1, 2, 3))[[0, 2, 3]].mean())

    ours, theirs = sky_change(frames), sky_change(independent.keyframes([request])[0])
    assert ours < 6 and ours < theirs / 2, (ours, theirs)
    with pytest.raises(InputError, match="keyframe_strength"):
        TinyRenderer(keyframe_strength=0)


def test_calls_return_the_requested_frames_and_the_same_seed_gives_the_same_frames(renderer):
    context = scene((CAR,), "a city street", size=(48, 32))
    specs = tuple(FrameSpec(i, i / 4, {"car": Box(x0=0.1 + 0.1 * i, y0=0.5, x1=0.4 + 0.1 * i, y1=0.8)}) for i in range(5))
    keyframes = renderer.keyframes([KeyframeRequest(context, specs[::2], seed=1)])[0]
    assert keyframes.shape == (3, 32, 48, 3) and keyframes.dtype == np.uint8
    assert np.array_equal(keyframes, renderer.keyframes([KeyframeRequest(context, specs[::2], seed=1)])[0])
    assert not np.array_equal(keyframes, renderer.keyframes([KeyframeRequest(context, specs[::2], seed=2)])[0])
    job = InfillJob(context, specs, {0: keyframes[0], 4: keyframes[2]}, seed=5)
    made = renderer.infill([job, InfillJob(context, specs[:3], {0: keyframes[0]}, seed=6)])
    assert [m.shape for m in made] == [(3, 32, 48, 3), (2, 32, 48, 3)]


def test_an_entity_keeps_its_look_in_every_scene_and_two_dogs_differ(renderer):
    rex, fido = Entity(id="rex", name="Rex", category="dog"), Entity(id="fido", name="Fido", category="dog")
    assert renderer.look(rex) == renderer.look(rex.model_copy(update={"name": "Rex the dog"}))
    assert renderer.look(rex).color != renderer.look(fido).color
    box = Box(x0=0.2, y0=0.4, x1=0.7, y1=0.8)
    frames = renderer.keyframes([
        KeyframeRequest(scene((rex,), background), (FrameSpec(0, 0.0, {"rex": box}),), seed=k)
        for k, background in enumerate(("a park", "the beach", "a room"))
    ])
    found = [detect(f[0], renderer.look(rex).color) for f in frames]
    assert all(found) and all(iou(b, (0.2, 0.4, 0.7, 0.8)) > 0.3 for b in found)


@pytest.mark.slow
def test_a_word_outside_the_world_is_drawn_as_the_nearest_thing_it_knows(renderer):
    kitten = Entity(id="tom", name="Tom", category="kitten", attributes={"color": "orange"})
    cat = kitten.model_copy(update={"category": "cat"})
    assert renderer.look(kitten).category == "cat"
    box = {"tom": Box(x0=0.2, y0=0.4, x1=0.7, y1=0.8)}
    a = renderer.keyframes([KeyframeRequest(scene((kitten,)), (FrameSpec(0, 0.0, box),), seed=0)])[0]
    b = renderer.keyframes([KeyframeRequest(scene((cat,)), (FrameSpec(0, 0.0, box),), seed=0)])[0]
    assert np.array_equal(a, b)


@pytest.mark.slow
def test_director_makes_a_movie_with_the_embedded_renderer_v3_by_default(tmp_path):
    from typer.testing import CliRunner

    from director.api import Director
    from director.cli import app
    from director.state import read_render_state

    assert Director(planner="rules").renderer_name == "tiny-v3"  # installed here, with its weights: the default
    (tmp_path / "script.txt").write_text("A red ball rolls from the left to the right in a park.\n")
    result = CliRunner().invoke(app, [
        "make", str(tmp_path / "script.txt"), "-o", str(tmp_path / "ball.mp4"),
        "--cache-dir", str(tmp_path / "cache"), "--size", "64x36", "--fps", "3",
    ])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ball.mp4").stat().st_size > 0 and (tmp_path / "ball.contact.png").exists()
    assert read_render_state(tmp_path / "ball.mp4")["render"]["renderer"].startswith("tiny-v3/")
