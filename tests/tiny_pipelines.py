"""Shared helpers for the diffusers renderer's tests: tiny random pipelines built once, small scenes.

Tiny models gain nothing from threads and lose a lot to them on a shared 2-core
machine, so the tests that use them run torch on one thread (`one_thread`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from director.renderer import FrameSpec, InfillJob, KeyframeRequest, SceneContext
from director.storyboard import Box, Entity

CAT = Entity(id="cat", name="Tom", category="cat", attributes={"color": "black"})
DOG = Entity(id="dog", name="Rex", category="dog", description="a small brown dog")
LEFT = Box(x0=0.0, y0=0.25, x1=0.45, y1=0.75)
RIGHT = Box(x0=0.55, y0=0.25, x1=1.0, y1=0.75)


@pytest.fixture(autouse=True)
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@lru_cache(maxsize=None)
def tiny(kind: str, open_gates: bool = False):
    """A tiny random pipeline, built once per test session (renderers never leave them changed)."""
    from renderers.diffusers.random_pipelines import build_pipeline

    return build_pipeline(kind, "tiny", open_gates=open_gates)


def scene(width: int = 32, height: int = 32, entities=(CAT,)) -> SceneContext:
    return SceneContext("scene_1", "EXT. PARK", "a cat plays in the park", "a park", "", tuple(entities), (), width, height)


def keyframe_request(*boxes: dict, seed: int = 1, **scene_options) -> KeyframeRequest:
    frames = tuple(FrameSpec(index=i, t=i / 8, boxes=b) for i, b in enumerate(boxes))
    return KeyframeRequest(scene(**scene_options), frames, seed)


def solid(color: tuple[int, int, int], size: int = 32) -> np.ndarray:
    frame = np.zeros((size, size, 3), np.uint8)
    frame[:] = color
    return frame


def infill_job(known: dict[int, np.ndarray], n: int = 5, first: int = 10, boxes=None, seed: int = 3, size: int = 32) -> InfillJob:
    """A window of `n` frames starting at scene frame `first`; `known` maps window positions to frames."""
    frames = tuple(
        FrameSpec(index=first + p, t=(first + p) / 8, boxes=(boxes[p] if boxes else {"cat": LEFT})) for p in range(n)
    )
    return InfillJob(scene(size, size), frames, {first + p: frame for p, frame in known.items()}, seed)


def region_difference(a: np.ndarray, b: np.ndarray, boxes: list[Box]) -> tuple[float, float]:
    """Mean absolute difference of two (h, w, 3) frames inside the union of `boxes`, and outside it."""
    h, w = a.shape[:2]
    inside = np.zeros((h, w), bool)
    for box in boxes:
        inside[int(box.y0 * h) : round(box.y1 * h), int(box.x0 * w) : round(box.x1 * w)] = True
    diff = np.abs(a.astype(float) - b.astype(float)).mean(axis=-1)
    return float(diff[inside].mean()), float(diff[~inside].mean())
