"""The sprites of the tiny world: every entity category as a few shapes in its box.

A sprite is a list of `Shape`s in box coordinates (0-1, origin at the box's
top-left), painted in order. Each shape has a colour *role*: "main" is the
entity's own colour (the one its caption and identity give), "dark" and
"light" are shades of it, and the rest are fixed colours (skin, wood, glass
...). Shapes with a `phase` are drawn only in that phase of a two-pose walk or
flap cycle, so moving things animate.

The same table serves the world (drawing training frames) and the world's
detector (matching a region's silhouette against each category's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["main", "dark", "light", "skin", "black", "white", "wood", "leaf", "glass", "yellow", "gray"]

FIXED_ROLES: dict[str, tuple[int, int, int]] = {
    "skin": (240, 190, 150),
    "black": (25, 25, 30),
    "white": (250, 250, 250),
    "wood": (130, 85, 45),
    "leaf": (45, 140, 55),
    "glass": (170, 215, 245),
    "yellow": (250, 215, 60),
    "gray": (120, 120, 125),
}


@dataclass(frozen=True)
class Shape:
    kind: Literal["rect", "ellipse", "poly", "line"]
    points: tuple[float, ...]  # rect/ellipse: x0, y0, x1, y1; poly/line: x, y, x, y ...
    role: Role = "main"
    phase: int | None = None  # drawn only in this phase of the two-pose cycle; None: always
    width: float = 0.08  # line width, as a fraction of the box's smaller side


def _r(x0: float, y0: float, x1: float, y1: float, role: Role = "main", phase: int | None = None) -> Shape:
    return Shape("rect", (x0, y0, x1, y1), role, phase)


def _e(x0: float, y0: float, x1: float, y1: float, role: Role = "main", phase: int | None = None) -> Shape:
    return Shape("ellipse", (x0, y0, x1, y1), role, phase)


def _p(*points: float, role: Role = "main", phase: int | None = None) -> Shape:
    return Shape("poly", tuple(points), role, phase)


def _l(*points: float, role: Role = "main", phase: int | None = None, width: float = 0.08) -> Shape:
    return Shape("line", tuple(points), role, phase, width)


def _legs4(top: float, role: Role = "dark") -> list[Shape]:
    """Four legs of a quadruped, in two walking poses."""
    return [
        _r(0.12, top, 0.24, 1.0, role, 0), _r(0.70, top, 0.82, 1.0, role, 0),
        _r(0.24, top, 0.36, 1.0, role, 1), _r(0.58, top, 0.70, 1.0, role, 1),
    ]


def _legs2(x: float, top: float, role: Role = "dark") -> list[Shape]:
    """Two legs, together or apart."""
    return [
        _r(x - 0.16, top, x - 0.02, 1.0, role, 0), _r(x + 0.02, top, x + 0.16, 1.0, role, 0),
        _r(x - 0.26, top, x - 0.12, 1.0, role, 1), _r(x + 0.12, top, x + 0.26, 1.0, role, 1),
    ]


def _wings(y: float) -> list[Shape]:
    return [_p(0.3, y, 0.6, y, 0.45, 0.0, role="dark", phase=0), _p(0.3, y, 0.6, y, 0.45, 0.95, role="dark", phase=1)]


SPRITES: dict[str, list[Shape]] = {
    # people and robots: the main colour is the clothing
    "person": [_e(0.30, 0.0, 0.70, 0.20, "skin"), _e(0.30, 0.0, 0.70, 0.08, "dark"), _r(0.22, 0.20, 0.78, 0.60), *_legs2(0.5, 0.60, "dark")],
    "child": [_e(0.25, 0.0, 0.75, 0.30, "skin"), _e(0.25, 0.0, 0.75, 0.10, "dark"), _r(0.20, 0.30, 0.80, 0.68), *_legs2(0.5, 0.68, "dark")],
    "robot": [_r(0.25, 0.0, 0.75, 0.28), _r(0.33, 0.08, 0.43, 0.16, "black"), _r(0.57, 0.08, 0.67, 0.16, "black"),
              _r(0.15, 0.30, 0.85, 0.68, "dark"), _r(0.35, 0.38, 0.65, 0.55, "light"), *_legs2(0.5, 0.68, "dark")],
    # animals
    "cat": [_r(0.12, 0.35, 0.80, 0.72), _e(0.62, 0.10, 0.98, 0.50), _p(0.64, 0.20, 0.70, 0.0, 0.78, 0.16),
            _p(0.82, 0.16, 0.90, 0.0, 0.96, 0.20), _l(0.12, 0.45, 0.0, 0.10, width=0.10), *_legs4(0.70)],
    "dog": [_r(0.10, 0.32, 0.78, 0.70), _e(0.60, 0.05, 1.0, 0.48), _e(0.60, 0.10, 0.74, 0.45, "dark"),
            _l(0.10, 0.40, 0.0, 0.20, width=0.10), *_legs4(0.68)],
    "fox": [_p(0.15, 0.40, 0.75, 0.40, 0.75, 0.72, 0.15, 0.72), _p(0.62, 0.45, 1.0, 0.30, 0.70, 0.05),
            _p(0.66, 0.18, 0.70, 0.0, 0.78, 0.12), _p(0.15, 0.45, 0.0, 0.60, 0.15, 0.70, role="white"), *_legs4(0.70, "dark")],
    "rabbit": [_e(0.10, 0.45, 0.75, 1.0), _e(0.45, 0.25, 0.90, 0.62), _e(0.50, 0.0, 0.62, 0.35), _e(0.70, 0.0, 0.82, 0.35),
               _e(0.0, 0.65, 0.18, 0.85, "white")],
    "horse": [_r(0.15, 0.30, 0.80, 0.62), _p(0.70, 0.35, 0.82, 0.0, 1.0, 0.10, 0.92, 0.25, 0.85, 0.45),
              _l(0.15, 0.35, 0.0, 0.65, role="dark", width=0.08), _r(0.72, 0.02, 0.80, 0.30, "dark"), *_legs4(0.60)],
    "cow": [_r(0.12, 0.25, 0.82, 0.68), _e(0.25, 0.32, 0.45, 0.52, "black"), _r(0.75, 0.12, 1.0, 0.42),
            _r(0.75, 0.0, 0.80, 0.12, "white"), _r(0.93, 0.0, 0.98, 0.12, "white"), *_legs4(0.66, "dark")],
    "sheep": [_e(0.08, 0.15, 0.82, 0.72), _e(0.70, 0.18, 1.0, 0.50, "dark"), *_legs4(0.68, "dark")],
    "bear": [_e(0.08, 0.25, 0.85, 0.85), _e(0.58, 0.0, 0.98, 0.42), _e(0.58, 0.0, 0.70, 0.12), _e(0.86, 0.0, 0.98, 0.12),
             _e(0.84, 0.20, 0.98, 0.34, "black"), *_legs4(0.78)],
    "duck": [_e(0.05, 0.45, 0.80, 1.0), _e(0.50, 0.05, 0.88, 0.50), _p(0.85, 0.22, 1.0, 0.30, 0.85, 0.36, role="yellow"),
             _e(0.68, 0.15, 0.76, 0.24, "black"), _e(0.20, 0.55, 0.55, 0.80, "dark")],
    "frog": [_e(0.05, 0.30, 0.95, 1.0), _e(0.15, 0.05, 0.45, 0.45), _e(0.55, 0.05, 0.85, 0.45),
             _e(0.24, 0.14, 0.36, 0.30, "black"), _e(0.64, 0.14, 0.76, 0.30, "black"), _l(0.3, 0.75, 0.7, 0.75, role="dark")],
    "fish": [_e(0.0, 0.10, 0.78, 0.90), _p(0.70, 0.50, 1.0, 0.05, 1.0, 0.95), _e(0.12, 0.30, 0.24, 0.45, "black"),
             _l(0.35, 0.2, 0.35, 0.8, role="dark")],
    "bird": [_e(0.15, 0.30, 0.80, 0.80), _e(0.60, 0.15, 0.92, 0.55), _p(0.90, 0.30, 1.0, 0.38, 0.90, 0.45, role="yellow"),
             _e(0.74, 0.26, 0.82, 0.36, "black"), _p(0.15, 0.55, 0.0, 0.40, 0.0, 0.70), *_wings(0.5)],
    "owl": [_e(0.10, 0.15, 0.90, 1.0), _p(0.10, 0.25, 0.20, 0.0, 0.35, 0.20), _p(0.65, 0.20, 0.80, 0.0, 0.90, 0.25),
            _e(0.20, 0.22, 0.48, 0.50, "white"), _e(0.52, 0.22, 0.80, 0.50, "white"), _e(0.30, 0.30, 0.40, 0.42, "black"),
            _e(0.62, 0.30, 0.72, 0.42, "black"), _p(0.45, 0.48, 0.55, 0.48, 0.50, 0.60, role="yellow"),
            _e(0.25, 0.60, 0.75, 0.95, "light")],
    "butterfly": [_e(0.0, 0.0, 0.48, 0.55), _e(0.52, 0.0, 1.0, 0.55), _e(0.05, 0.50, 0.45, 1.0, "light"),
                  _e(0.55, 0.50, 0.95, 1.0, "light"), _r(0.44, 0.10, 0.56, 0.95, "black")],
    # things in the air
    "kite": [_p(0.5, 0.0, 1.0, 0.35, 0.5, 0.75, 0.0, 0.35), _l(0.5, 0.0, 0.5, 0.75, role="dark", width=0.06),
             _l(0.0, 0.35, 1.0, 0.35, role="dark", width=0.06), _l(0.5, 0.75, 0.35, 0.88, 0.55, 1.0, role="dark", width=0.07)],
    "balloon": [_e(0.10, 0.0, 0.90, 0.75), _e(0.25, 0.10, 0.45, 0.30, "light"), _p(0.42, 0.73, 0.58, 0.73, 0.5, 0.80),
                _l(0.5, 0.78, 0.45, 0.90, 0.55, 1.0, role="dark", width=0.07)],
    "airplane": [_e(0.0, 0.35, 1.0, 0.65), _p(0.35, 0.45, 0.60, 0.45, 0.45, 1.0, role="dark"),
                 _p(0.35, 0.50, 0.60, 0.50, 0.45, 0.0, role="dark"), _p(0.0, 0.50, 0.12, 0.50, 0.05, 0.10, role="dark"),
                 _r(0.70, 0.42, 0.90, 0.52, "glass")],
    "cloud": [_e(0.0, 0.35, 0.45, 1.0), _e(0.25, 0.0, 0.75, 0.85), _e(0.55, 0.25, 1.0, 1.0), _e(0.1, 0.6, 0.9, 1.0, "light")],
    # vehicles
    "car": [_r(0.0, 0.40, 1.0, 0.80), _p(0.20, 0.40, 0.30, 0.05, 0.72, 0.05, 0.82, 0.40), _r(0.32, 0.12, 0.48, 0.38, "glass"),
            _r(0.54, 0.12, 0.70, 0.38, "glass"), _e(0.10, 0.62, 0.34, 1.0, "dark"), _e(0.66, 0.62, 0.90, 1.0, "dark")],
    "bus": [_r(0.0, 0.0, 1.0, 0.82), *[_r(0.06 + 0.18 * k, 0.12, 0.20 + 0.18 * k, 0.42, "glass") for k in range(5)],
            _r(0.0, 0.55, 1.0, 0.62, "dark"), _e(0.10, 0.68, 0.28, 1.0, "dark"), _e(0.72, 0.68, 0.90, 1.0, "dark")],
    "truck": [_r(0.0, 0.0, 0.65, 0.78), _r(0.65, 0.25, 1.0, 0.78, "dark"), _r(0.72, 0.32, 0.92, 0.52, "glass"),
              _e(0.08, 0.62, 0.28, 1.0, "dark"), _e(0.70, 0.62, 0.90, 1.0, "dark")],
    "bicycle": [_e(0.0, 0.45, 0.40, 1.0, "dark"), _e(0.60, 0.45, 1.0, 1.0, "dark"), _e(0.08, 0.55, 0.32, 0.90, "light"),
                _e(0.68, 0.55, 0.92, 0.90, "light"), _l(0.20, 0.72, 0.45, 0.30, 0.80, 0.72, width=0.10),
                _l(0.45, 0.30, 0.75, 0.30, 0.80, 0.72, width=0.10), _l(0.40, 0.30, 0.35, 0.15, role="black", width=0.08)],
    "boat": [_p(0.0, 0.55, 1.0, 0.55, 0.82, 1.0, 0.18, 1.0), _r(0.47, 0.0, 0.53, 0.55, "wood"),
             _p(0.53, 0.05, 0.53, 0.50, 0.90, 0.50, role="white"), _r(0.0, 0.62, 1.0, 0.70, "dark")],
    "train": [_r(0.0, 0.20, 0.72, 0.85), _r(0.72, 0.0, 1.0, 0.85, "dark"), _r(0.78, 0.12, 0.95, 0.40, "glass"),
              *[_r(0.06 + 0.22 * k, 0.30, 0.20 + 0.22 * k, 0.52, "glass") for k in range(3)],
              *[_e(0.04 + 0.24 * k, 0.72, 0.20 + 0.24 * k, 1.0, "dark") for k in range(4)]],
    # things
    "ball": [_e(0.0, 0.0, 1.0, 1.0), _e(0.18, 0.15, 0.45, 0.40, "light"), _l(0.05, 0.55, 0.95, 0.55, role="dark", width=0.08)],
    "umbrella": [_p(0.0, 0.45, 0.10, 0.20, 0.30, 0.04, 0.50, 0.0, 0.70, 0.04, 0.90, 0.20, 1.0, 0.45),
                 _l(0.5, 0.45, 0.5, 0.95, 0.40, 1.0, role="dark", width=0.10)],
    "table": [_r(0.0, 0.0, 1.0, 0.18), _r(0.06, 0.18, 0.16, 1.0, "dark"), _r(0.84, 0.18, 0.94, 1.0, "dark")],
    "chair": [_r(0.10, 0.0, 0.30, 0.60, "dark"), _r(0.10, 0.45, 0.90, 0.60), _r(0.10, 0.60, 0.22, 1.0, "dark"),
              _r(0.78, 0.60, 0.90, 1.0, "dark")],
    "bench": [_r(0.0, 0.0, 1.0, 0.25), _r(0.0, 0.40, 1.0, 0.60), _r(0.06, 0.60, 0.14, 1.0, "dark"),
              _r(0.86, 0.60, 0.94, 1.0, "dark")],
    "sofa": [_r(0.0, 0.0, 1.0, 0.55), _r(0.0, 0.35, 0.15, 0.90, "dark"), _r(0.85, 0.35, 1.0, 0.90, "dark"),
             _r(0.15, 0.50, 0.85, 0.85, "light"), _r(0.05, 0.90, 0.12, 1.0, "dark"), _r(0.88, 0.90, 0.95, 1.0, "dark")],
    "bed": [_r(0.0, 0.0, 0.10, 1.0, "wood"), _r(0.0, 0.45, 1.0, 0.85), _r(0.10, 0.30, 0.30, 0.50, "white"),
            _r(0.0, 0.85, 1.0, 0.95, "wood"), _r(0.92, 0.85, 1.0, 1.0, "wood")],
    "lamp": [_p(0.15, 0.35, 0.30, 0.0, 0.70, 0.0, 0.85, 0.35), _r(0.45, 0.35, 0.55, 0.92, "dark"),
             _r(0.25, 0.92, 0.75, 1.0, "dark"), _e(0.35, 0.30, 0.65, 0.42, "yellow")],
    "box": [_r(0.0, 0.15, 1.0, 1.0), _p(0.0, 0.15, 0.15, 0.0, 1.0, 0.0, 1.0, 0.15, role="light"),
            _l(0.5, 0.15, 0.5, 1.0, role="dark", width=0.08)],
    "cup": [_r(0.05, 0.0, 0.75, 1.0), _e(0.60, 0.20, 1.0, 0.70, "dark"), _e(0.70, 0.32, 0.90, 0.58, "white"),
            _r(0.10, 0.0, 0.70, 0.10, "dark")],
    "book": [_r(0.0, 0.0, 1.0, 1.0), _r(0.0, 0.0, 0.12, 1.0, "dark"), _r(0.88, 0.08, 1.0, 0.92, "white")],
    "flower": [_l(0.5, 0.45, 0.5, 1.0, role="dark", width=0.12), _e(0.15, 0.70, 0.50, 0.85, "leaf"),
               _e(0.15, 0.0, 0.55, 0.30), _e(0.45, 0.0, 0.85, 0.30), _e(0.15, 0.20, 0.55, 0.50), _e(0.45, 0.20, 0.85, 0.50),
               _e(0.36, 0.15, 0.64, 0.37, "yellow")],
    "rock": [_p(0.0, 1.0, 0.08, 0.40, 0.35, 0.05, 0.75, 0.12, 1.0, 0.55, 1.0, 1.0), _p(0.35, 0.05, 0.75, 0.12, 0.6, 0.4, role="light")],
    "tree": [_r(0.40, 0.55, 0.60, 1.0, "dark"), _e(0.0, 0.0, 1.0, 0.70), _e(0.15, 0.10, 0.50, 0.40, "light")],
    "house": [_r(0.10, 0.40, 0.90, 1.0), _p(0.0, 0.45, 0.5, 0.0, 1.0, 0.45, role="dark"), _r(0.42, 0.65, 0.58, 1.0, "wood"),
              _r(0.18, 0.55, 0.34, 0.72, "glass"), _r(0.66, 0.55, 0.82, 0.72, "glass")],
    "castle": [_r(0.10, 0.30, 0.90, 1.0), _r(0.0, 0.10, 0.25, 1.0), _r(0.75, 0.10, 1.0, 1.0),
               _r(0.0, 0.0, 0.08, 0.12), _r(0.17, 0.0, 0.25, 0.12), _r(0.75, 0.0, 0.83, 0.12), _r(0.92, 0.0, 1.0, 0.12),
               _e(0.38, 0.60, 0.62, 1.0, "black"), _r(0.40, 0.80, 0.60, 1.0, "black")],
    "tower": [_r(0.15, 0.15, 0.85, 1.0), _p(0.05, 0.18, 0.5, 0.0, 0.95, 0.18, role="dark"), _r(0.38, 0.28, 0.62, 0.40, "yellow"),
              _r(0.15, 0.55, 0.85, 0.62, "light")],
    "mountain": [_p(0.0, 1.0, 0.5, 0.0, 1.0, 1.0), _p(0.36, 0.28, 0.5, 0.0, 0.64, 0.28, role="white")],
    "sun": [_e(0.15, 0.15, 0.85, 0.85), *[_l(x0, y0, x1, y1, width=0.08) for x0, y0, x1, y1 in
            ((0.5, 0.0, 0.5, 0.12), (0.5, 0.88, 0.5, 1.0), (0.0, 0.5, 0.12, 0.5), (0.88, 0.5, 1.0, 0.5))]],
    "moon": [_e(0.0, 0.0, 1.0, 1.0), _e(0.35, 0.0, 1.0, 0.75, "dark")],
    "star": [_p(0.5, 0.0, 0.62, 0.38, 1.0, 0.38, 0.69, 0.62, 0.81, 1.0, 0.5, 0.76, 0.19, 1.0, 0.31, 0.62, 0.0, 0.38, 0.38, 0.38)],
}

# Colours a thing has when the script names none (the renderer picks one per identity).
NATURAL_COLORS: dict[str, tuple[str, ...]] = {
    "person": ("red", "blue", "green", "purple", "orange", "yellow"),
    "child": ("red", "blue", "yellow", "pink", "green", "orange"),
    "robot": ("silver", "gray", "blue", "white"),
    "cat": ("orange", "black", "gray", "white", "brown"),
    "dog": ("brown", "golden", "black", "white"),
    "fox": ("orange",),
    "rabbit": ("white", "gray", "brown"),
    "horse": ("brown", "white", "black"),
    "cow": ("white", "brown"),
    "sheep": ("white",),
    "bear": ("brown", "black"),
    "duck": ("yellow", "white"),
    "frog": ("green",),
    "fish": ("orange", "blue", "yellow"),
    "bird": ("blue", "red", "gray", "brown", "black"),
    "owl": ("brown", "gray"),
    "butterfly": ("orange", "blue", "yellow", "purple"),
    "cloud": ("white", "gray"),
    "tree": ("green",),
    "flower": ("red", "pink", "yellow", "purple"),
    "rock": ("gray", "brown"),
    "mountain": ("gray", "brown"),
    "sun": ("yellow", "orange"),
    "moon": ("yellow", "silver"),
    "star": ("yellow", "golden"),
    "table": ("brown",),
    "chair": ("brown",),
    "bench": ("brown", "green"),
    "bed": ("blue", "red", "white"),
    "house": ("red", "yellow", "white"),
    "castle": ("gray",),
    "tower": ("gray", "white"),
}
ANY_COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray", "silver")

# Things that walk or flap: drawn in two poses as they move.
ANIMATED = frozenset(c for c, shapes in SPRITES.items() if any(s.phase is not None for s in shapes))


def natural_colors(category: str) -> tuple[str, ...]:
    return NATURAL_COLORS.get(category, ANY_COLORS)
