"""A small animatic movie rendered once for the evaluation tests, with its storyboard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from director import Director
from director.storyboard import Box, Entity, LayoutFrame, Scene, Storyboard


def eval_board() -> Storyboard:
    """Two scenes: an orange cat runs from left to right past a still blue dog; a purple owl
    appears in the second scene only. Distinct named colours, so the colour detector can tell them apart."""
    cast = [
        Entity(id="cat", name="cat", category="cat", attributes={"color": "orange"}),
        Entity(id="dog", name="dog", category="dog", attributes={"color": "blue"}),
        Entity(id="owl", name="owl", category="bird", attributes={"color": "purple"}),
    ]
    dog = Box(x0=0.62, y0=0.45, x1=0.9, y1=0.9)
    scenes = [
        Scene(
            id="park",
            description="a cat runs past a dog in a park",
            background="a park",
            duration=2.0,
            entities=["cat", "dog"],
            layouts=[
                LayoutFrame(t=0.0, boxes={"cat": Box(x0=0.05, y0=0.55, x1=0.25, y1=0.85), "dog": dog}),
                LayoutFrame(t=2.0, boxes={"cat": Box(x0=0.35, y0=0.55, x1=0.55, y1=0.85), "dog": dog}),
            ],
        ),
        Scene(
            id="forest",
            description="the cat meets an owl in a forest",
            background="a forest",
            duration=2.0,
            entities=["cat", "dog", "owl"],
            layouts=[
                LayoutFrame(t=0.0, boxes={"cat": Box(x0=0.1, y0=0.5, x1=0.3, y1=0.8), "dog": dog, "owl": Box(x0=0.4, y0=0.1, x1=0.55, y1=0.35)}),
                LayoutFrame(t=2.0, boxes={"cat": Box(x0=0.1, y0=0.5, x1=0.3, y1=0.8), "dog": dog, "owl": Box(x0=0.4, y0=0.1, x1=0.55, y1=0.35)}),
            ],
        ),
    ]
    return Storyboard(title="Eval", fps=6, width=192, height=108, entities=cast, scenes=scenes)


@dataclass(frozen=True)
class Rendered:
    movie: Path
    board: Storyboard
    board_path: Path


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Rendered:
    folder = tmp_path_factory.mktemp("eval_movie")
    board = eval_board()
    director = Director(renderer="animatic", cache_dir=folder / "cache")
    result = director.render(board, folder / "movie.mp4")
    return Rendered(result.movie, board, result.files.storyboard)
