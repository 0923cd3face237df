"""The `diffusers` renderer as a whole: config file, registry, timeline, CLI (tiny random models)."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

import numpy as np

from director import registry
from director.cache import FrameCache
from director.errors import InputError
from director.execute import render_storyboard
from renderers.diffusers.config import DiffusersConfig
from renderers.diffusers.renderer import DiffusersRenderer
from tests.conftest import make_board
from tests.tiny_pipelines import one_thread  # noqa: F401

TINY_TOML = """
[keyframes]
model = "random:tiny"
num_inference_steps = 2
batch = 3

[infill]
backend = "{backend}"
model = "random:tiny"
num_inference_steps = 2
window = {window}
max_sequence_length = 16

[runtime]
device = "cpu"
dtype = "float32"
"""


def write_config(tmp_path, backend="sparsectrl", window=5):
    path = tmp_path / "renderer.toml"
    path.write_text(TINY_TOML.format(backend=backend, window=window))
    return path


def test_a_config_file_is_read_and_bad_keys_or_values_name_the_field(tmp_path):
    config = DiffusersConfig.load(write_config(tmp_path, "ltx", 9))
    assert (config.infill.backend, config.window, config.keyframes.batch) == ("ltx", 9, 3)
    bad = tmp_path / "bad.toml"
    bad.write_text('[runtime]\ndtype = "float8"\n')
    with pytest.raises(InputError, match=r"bad.toml: runtime.dtype"):
        DiffusersConfig.load(bad)
    bad.write_text("[keyframes]\nmodle = 'x'\n")
    with pytest.raises(InputError, match=r"keyframes.modle: Extra inputs are not permitted"):
        DiffusersConfig.load(bad)
    bad.write_text("[infill]\nbackend = 'ltx'\nwindow = 16\n")
    with pytest.raises(InputError, match="use 9 or 17"):
        DiffusersConfig.load(bad)
    bad.write_text("[infill\n")
    with pytest.raises(InputError, match="not valid TOML"):
        DiffusersConfig.load(bad)


def test_the_example_config_is_valid():
    from tests.conftest import EXAMPLES

    config = DiffusersConfig.load(EXAMPLES / "diffusers.toml")
    assert config.infill.backend == "ltx" and config.runtime.vae_tiling


def test_defaults_name_real_checkpoints_and_the_window_follows_the_backend():
    config = DiffusersConfig()
    assert config.keyframes.model == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert config.infill.model == "Lightricks/LTX-Video-0.9.5" and config.window == 17
    assert DiffusersConfig.model_validate({"infill": {"backend": "sparsectrl"}}).window == 16


def test_the_renderer_is_registered_and_built_from_a_config_file(tmp_path):
    assert "diffusers" in registry.available("renderer")
    renderer = registry.create("renderer", "diffusers", config=write_config(tmp_path))
    assert renderer.info.window == 5 and "layout" in renderer.info.supports


def test_without_the_extra_installed_it_says_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "diffusers" else real(name, *a))
    with pytest.raises(InputError, match=r"needs diffusers: pip install -e \"\.\[diffusers\]\""):
        DiffusersRenderer()


def test_it_asks_the_ray_executor_for_a_gpu_unless_pinned_to_the_cpu():
    assert DiffusersRenderer({"keyframes": {"model": "a"}}).info.gpus == 1
    assert DiffusersRenderer({"keyframes": {"model": "a"}, "runtime": {"device": "cuda:1"}}).info.gpus == 1
    assert DiffusersRenderer({"keyframes": {"model": "a"}, "runtime": {"device": "cpu"}}).info.gpus == 0


def test_fingerprint_follows_models_and_sampling_not_offload():
    base = DiffusersRenderer({"keyframes": {"model": "a"}})
    assert base.fingerprint == DiffusersRenderer({"keyframes": {"model": "a"}, "runtime": {"offload": "model"}}).fingerprint
    assert base.fingerprint != DiffusersRenderer({"keyframes": {"model": "b"}}).fingerprint
    assert base.fingerprint != DiffusersRenderer({"keyframes": {"model": "a", "num_inference_steps": 5}}).fingerprint


def test_an_unloadable_model_is_an_input_error_that_says_what_to_give(tmp_path):
    renderer = DiffusersRenderer({"keyframes": {"model": str(tmp_path / "nothing-here")}, "runtime": {"local_files_only": True}})
    board = make_board(scenes=1, duration=1.5, fps=4, width=32, height=32)
    with pytest.raises(InputError, match="local folder with model_index.json"):
        render_storyboard(board, renderer, FrameCache(tmp_path / "cache"))


@pytest.mark.parametrize(("backend", "window"), [("sparsectrl", 5), ("ltx", 9), ("wan", 5)])
def test_it_renders_a_storyboard_through_the_timeline(tmp_path, backend, window):
    renderer = DiffusersRenderer(write_config(tmp_path, backend, window))
    calls = {"keyframes": [], "infill": []}
    original_keyframes, original_infill = renderer.keyframes, renderer.infill
    renderer.keyframes = lambda requests: calls["keyframes"].append(requests) or original_keyframes(requests)
    renderer.infill = lambda jobs: calls["infill"].append(jobs) or original_infill(jobs)
    board = make_board(scenes=1, duration=1.5, fps=8, width=32, height=32)  # 12 frames
    rendered = render_storyboard(board, renderer, FrameCache(tmp_path / "cache"))
    scene = rendered.scenes[0]
    assert scene.num_frames == 12 and scene.plan.depth == 2
    frames = np.stack(list(rendered.iter_frames(0)))
    assert frames.shape == (12, 32, 32, 3) and frames.dtype == np.uint8
    # Level 0 made the keyframes; each infill window was given those very frames at its ends.
    keyframes = scene.plan.keyframes
    assert len(keyframes) == window
    for job in (job for batch in calls["infill"] for job in batch):
        for index, known in job.known.items():
            assert index in keyframes
            np.testing.assert_array_equal(known, rendered.frame(0, index))
    assert sum(len(batch) for batch in calls["infill"]) == len(scene.plan.levels[1])


@pytest.mark.slow
def test_the_cli_renders_a_movie_with_a_renderer_config(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from director.cli import app

    monkeypatch.chdir(tmp_path)
    make_board(scenes=1, duration=1.5, fps=6, width=32, height=32).save("board.json")
    config = write_config(tmp_path)
    args = ["render", "board.json", "-o", "movie.mp4", "--renderer", "diffusers", "--renderer-config", str(config), "--cache-dir", "cache"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "movie.mp4").stat().st_size > 0
    wrong = CliRunner().invoke(app, [*args[:5], "animatic", *args[6:]])
    assert wrong.exit_code == 2 and "bad options for renderer 'animatic'" in wrong.output


# Shots: the framing in the prompt, the frame boxes in the layout -------------------------------------


def _cut_board():
    from director.storyboard import Storyboard

    data = make_board(scenes=1, duration=1.5, fps=8, width=32, height=32).model_dump(mode="json")  # 12 frames
    data["scenes"][0]["shots"] = [
        {"id": "wide", "start": 0.0, "end": 0.75},
        {
            "id": "close", "start": 0.75, "end": 1.5, "size": "close_up", "angle": "low", "subjects": ["dog"],
            "move": {"kind": "pan", "direction": "left", "amount": 0.1},
        },
    ]
    return Storyboard.model_validate(data)


def test_the_prompt_names_the_shots_framing_and_a_default_shot_adds_nothing():
    from director.renderer import scene_context
    from renderers.diffusers.identity import frame_prompt

    board = _cut_board()
    scene = board.scenes[0]
    wide, close = (scene_context(board, scene, shot) for shot in scene.shots)
    assert frame_prompt(close, ["dog"]).text.startswith("dog, close-up, low angle, the camera pans left, a cat runs past a dog")
    assert frame_prompt(wide, ["dog"]).text == frame_prompt(scene_context(board, scene), ["dog"]).text
    pov = close.shot.model_copy(update={"angle": "pov", "pov": "cat", "size": "medium"})
    assert "medium shot, point of view shot, seen through the eyes of black cat" in frame_prompt(
        scene_context(board, scene, pov), ["dog"]
    ).text


def test_a_cut_scene_renders_with_each_shots_framing_in_its_prompts_and_its_frame_boxes(tmp_path, monkeypatch):
    import renderers.diffusers.infill_window as infill_window
    import renderers.diffusers.keyframe_plan as keyframe_plan
    from renderers.diffusers.identity import frame_prompt

    prompts: list[tuple[str, str]] = []

    def recording(scene, entity_ids, extra=""):
        prompt = frame_prompt(scene, entity_ids, extra)
        prompts.append((scene.shot.id, prompt.text))
        return prompt

    monkeypatch.setattr(keyframe_plan, "frame_prompt", recording)
    monkeypatch.setattr(infill_window, "frame_prompt", recording)
    renderer = DiffusersRenderer(write_config(tmp_path, "sparsectrl", 5))
    requests = []
    original = renderer.keyframes
    renderer.keyframes = lambda batch: requests.extend(batch) or original(batch)
    board = _cut_board()
    rendered = render_storyboard(board, renderer, FrameCache(tmp_path / "cache"))
    frames = np.stack(list(rendered.iter_frames(0)))
    assert frames.shape == (12, 32, 32, 3) and frames.dtype == np.uint8
    assert {shot for shot, _ in prompts} == {"wide", "close"}
    assert all(("close-up, low angle, the camera pans left" in text) == (shot == "close") for shot, text in prompts)
    # the close-up's keyframes were given the dog's box as the camera frames it: most of the frame
    close = next(r for r in requests if r.scene.shot.id == "close")
    assert all(spec.boxes["dog"].area > 0.5 for spec in close.frames)
