"""Shared fixtures: small storyboards, tiny render sizes, and renderers that count or fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from director.storyboard import Box, DialogueLine, Entity, LayoutFrame, Scene, Storyboard, Transition
from renderers.animatic import AnimaticRenderer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def make_board(
    scenes: int = 2,
    duration: float = 2.0,
    fps: int = 6,
    width: int = 64,
    height: int = 36,
    transition: Transition | None = None,
) -> Storyboard:
    """A small valid storyboard: a cat moving left to right and a dog standing still, in every scene."""
    cast = [
        Entity(id="cat", name="cat", category="cat", attributes={"color": "black"}),
        Entity(id="dog", name="dog", category="dog"),
    ]
    scene_list = []
    for k in range(scenes):
        scene_list.append(
            Scene(
                id=f"scene_{k + 1}",
                heading=f"scene {k + 1}",
                description="a cat runs past a dog",
                background="a park" if k % 2 == 0 else "a room",
                duration=duration,
                entities=["cat", "dog"],
                layouts=[
                    LayoutFrame(t=0.0, boxes={"cat": Box(x0=0.05, y0=0.5, x1=0.25, y1=0.8), "dog": Box(x0=0.6, y0=0.4, x1=0.9, y1=0.9)}),
                    LayoutFrame(t=duration, boxes={"cat": Box(x0=0.7, y0=0.5, x1=0.9, y1=0.8), "dog": Box(x0=0.6, y0=0.4, x1=0.9, y1=0.9)}),
                ],
                dialogue=[DialogueLine(speaker="dog", text="Woof", start=0.5, end=1.5)],
                transition=transition if (transition is not None and k < scenes - 1) else Transition(),
            )
        )
    return Storyboard(title="Test", fps=fps, width=width, height=height, entities=cast, scenes=scene_list)


@pytest.fixture
def board() -> Storyboard:
    return make_board()


class CountingRenderer(AnimaticRenderer):
    """The animatic, counting the jobs it renders."""

    def __init__(self, window: int = 4, fail_after: int | None = None) -> None:
        super().__init__(window=window, show_time=False)
        self.info = type(self.info)(**{**self.info.__dict__, "max_batch": 2})
        self.jobs = 0
        self.fail_after = fail_after

    def _count(self, n: int) -> None:
        if self.fail_after is not None and self.jobs + n > self.fail_after:
            raise RuntimeError("simulated crash")
        self.jobs += n

    def keyframes(self, requests):
        self._count(len(requests))
        return super().keyframes(requests)

    def infill(self, jobs):
        self._count(len(jobs))
        return super().infill(jobs)


@pytest.fixture
def counting_renderer() -> CountingRenderer:
    return CountingRenderer()


def frame_color_at(frame: np.ndarray, box: Box) -> np.ndarray:
    """Mean colour in the middle of a box (away from its outline and label)."""
    h, w = frame.shape[:2]
    cx, cy = box.center
    x, y = int(cx * w), int(cy * h)
    return frame[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2].reshape(-1, 3).mean(axis=0)
