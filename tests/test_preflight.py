"""The pre-flight memory estimate: exact weights, offload lowers it, and a render that cannot fit stops first."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

import torch

from director.errors import InputError
from renderers.diffusers import renderer as diffusers_renderer
from renderers.diffusers.config import RuntimeConfig
from renderers.diffusers.preflight import GIB, Workload, check_memory, estimate_memory
from tests.tiny_pipelines import one_thread, tiny  # noqa: F401

IMAGES = Workload(images=4, frames=1, width=512, height=288, guidance=True, layout_guidance=True)


def test_weights_are_counted_exactly_per_component():
    pipe = tiny("sd")
    estimate = estimate_memory(pipe, IMAGES)
    assert estimate.weights["unet"] == sum(p.numel() * 4 for p in pipe.unet.parameters()) + sum(
        b.numel() * b.element_size() for b in pipe.unet.buffers()
    )
    assert set(estimate.weights) == {"unet", "vae", "text_encoder"}


def test_offload_tiling_and_smaller_work_lower_the_estimate():
    pipe = tiny("sd")
    estimate = estimate_memory(pipe, IMAGES)
    assert estimate.total("none") > estimate.total("model") > estimate.total("sequential")
    tiled = estimate_memory(pipe, Workload(images=4, frames=1, width=2048, height=2048, guidance=True), vae_tiling=True)
    untiled = estimate_memory(pipe, Workload(images=4, frames=1, width=2048, height=2048, guidance=True))
    assert tiled.decode < untiled.decode
    unguided = estimate_memory(pipe, Workload(images=4, frames=1, width=512, height=288, guidance=True))
    assert unguided.denoiser < estimate.denoiser  # layout guidance backpropagates through the UNet


@pytest.mark.parametrize("kind", ["ltx", "wan", "sparsectrl", "gligen", "sdxl"])
def test_every_architecture_gets_an_estimate_that_grows_with_the_window(kind):
    pipe = tiny(kind)
    short = estimate_memory(pipe, Workload(images=1, frames=9, width=256, height=256, guidance=True))
    long = estimate_memory(pipe, Workload(images=1, frames=33, width=256, height=256, guidance=True))
    assert 0 < short.total("none") < long.total("none")


def test_a_render_that_cannot_fit_stops_with_a_message_saying_what_to_change():
    estimate = estimate_memory(tiny("sd"), IMAGES)
    with pytest.raises(InputError) as caught:
        check_memory(estimate, "none", free_bytes=1024, device="cuda:0", mode="error", what="keyframes model 'x'")
    message = str(caught.value)
    assert "keyframes model 'x' needs about" in message and "GiB are free on cuda:0" in message
    assert "runtime.offload = 'model'" in message and "vae_tiling" in message
    with pytest.warns(ResourceWarning, match="needs about"):
        check_memory(estimate, "none", free_bytes=1024, device="cuda:0", mode="warn", what="x")
    check_memory(estimate, "none", free_bytes=1024, device="cuda:0", mode="off", what="x")  # no error
    check_memory(estimate, "none", free_bytes=100 * GIB, device="cuda:0", mode="error", what="x")  # fits


def test_the_check_runs_before_the_pipeline_is_moved_to_the_gpu(monkeypatch):
    pipe = tiny("sd")
    moved = []
    monkeypatch.setattr(diffusers_renderer, "resolve_device", lambda device: "cuda:0")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index=0: (64 * 1024**2, 80 * GIB))
    monkeypatch.setattr(type(pipe), "to", lambda self, *a, **k: moved.append(a))
    with pytest.raises(InputError, match="only 0.1 GiB are free on cuda:0"):
        diffusers_renderer.place_pipeline(pipe, RuntimeConfig(), IMAGES, "keyframes model 'x'")
    assert moved == []
