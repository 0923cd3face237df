"""A detector that knows the tiny world: finds an entity by its colour, tells categories by silhouette.

In the world every entity is painted mostly in its own colour (and a darker
shade of it), and the entities of a sample have colours far apart and far from
the background behind them. So an entity is found by the pixels close to its
colour: the largest connected group of them, plus any groups touching it, gives
its box. Given the category, the found
pixels are mapped back to the box the sprite was drawn in: a sprite does not
fill its box in its own colour (a ball is round, a tree's trunk is brown), and
`colored_extent` knows by how much. `classify` compares the silhouette in a box
with every category's sprite drawn into the same box. Used by the benchmarks and the tests, on the
world's own frames (to know the detector's ceiling) and on generated ones.
"""

from __future__ import annotations

from collections import deque
from functools import cache

import numpy as np
from PIL import Image, ImageDraw

from renderers.tiny.sprites import SPRITES
from renderers.tiny.world import draw_sprite, shade

BoxTuple = tuple[float, float, float, float]
GRID = 32  # detection works on frames box-filtered to this size


def _small(frame: np.ndarray) -> np.ndarray:
    if frame.shape[:2] == (GRID, GRID):
        return frame.astype(np.float32)
    return np.asarray(Image.fromarray(frame).resize((GRID, GRID), Image.Resampling.BOX), dtype=np.float32)


def color_mask(frame: np.ndarray, color: tuple[int, int, int], tolerance: float = 60.0) -> np.ndarray:
    """(32, 32) bool: pixels near the colour or its dark shade, grown by one pixel into neighbours
    that are half-way there (edge pixels the box filter mixed with the background)."""
    image = _small(frame)
    near = np.linalg.norm(image - np.array(color, np.float32), axis=-1)
    dark = np.linalg.norm(image - np.array(shade(color, 0.55), np.float32), axis=-1)
    core = (near < tolerance) | (dark < tolerance * 0.6)
    grown = np.zeros_like(core)
    grown[1:] |= core[:-1]
    grown[:-1] |= core[1:]
    grown[:, 1:] |= core[:, :-1]
    grown[:, :-1] |= core[:, 1:]
    return core | (grown & ((near < 2 * tolerance) | (dark < 1.2 * tolerance)))


def _components(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    seen = np.zeros_like(mask, dtype=bool)
    groups = []
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        group, queue = [], deque([(y, x)])
        seen[y, x] = True
        while queue:
            cy, cx = queue.popleft()
            group.append((cy, cx))
            for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        groups.append(group)
    return groups


@cache
def colored_extent(category: str) -> BoxTuple:
    """The part of its box (normalised) that `category`'s sprite paints in its colour or its dark shade
    (both walk/flap poses together): where the colour detector can find it."""
    size, color = 256, (200, 40, 40)
    picture = Image.new("RGB", (size, size))
    for phase in (0, 1):
        draw_sprite(ImageDraw.Draw(picture), category, (0, 0, size, size), color, phase)
    pixels = np.asarray(picture, dtype=np.float32)
    painted = (np.linalg.norm(pixels - np.array(color), axis=-1) < 30) | (np.linalg.norm(pixels - np.array(shade(color, 0.55)), axis=-1) < 30)
    ys, xs = np.nonzero(painted)
    if len(xs) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return (float(xs.min() / size), float(ys.min() / size), float((xs.max() + 1) / size), float((ys.max() + 1) / size))


def detect(frame: np.ndarray, color: tuple[int, int, int], tolerance: float = 60.0, category: str | None = None) -> BoxTuple | None:
    """The box (normalised) of the thing painted in `color`, or None when nothing is. With its `category`,
    the box its sprite was drawn in (the found pixels are where `colored_extent` says they are in it)."""
    groups = sorted(_components(color_mask(frame, color, tolerance)), key=len, reverse=True)
    if not groups or len(groups[0]) < 2:
        return None
    ys, xs = zip(*groups[0])
    y0, y1, x0, x1 = min(ys), max(ys), min(xs), max(xs)
    for group in groups[1:]:  # pieces of the same sprite: legs, ears, a tail, split off by a shade
        gy, gx = zip(*group)
        if min(gy) <= y1 + 2 and max(gy) >= y0 - 2 and min(gx) <= x1 + 2 and max(gx) >= x0 - 2:
            y0, y1, x0, x1 = min(y0, min(gy)), max(y1, max(gy)), min(x0, min(gx)), max(x1, max(gx))
    found = (x0 / GRID, y0 / GRID, (x1 + 1) / GRID, (y1 + 1) / GRID)
    if category is None or category not in SPRITES:
        return found
    ex0, ey0, ex1, ey1 = colored_extent(category)
    width, height = (found[2] - found[0]) / (ex1 - ex0), (found[3] - found[1]) / (ey1 - ey0)
    x, y = found[0] - ex0 * width, found[1] - ey0 * height
    return (max(0.0, x), max(0.0, y), min(1.0, x + width), min(1.0, y + height))


def iou(a: BoxTuple, b: BoxTuple) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _silhouette(category: str, size: int = 16) -> np.ndarray:
    picture = Image.new("RGB", (size * 4, size * 4))
    draw_sprite(ImageDraw.Draw(picture), category, (0, 0, size * 4, size * 4), (200, 40, 40), 0)
    small = np.asarray(picture.resize((size, size), Image.Resampling.BOX), dtype=np.float32)
    return np.linalg.norm(small - np.array((200, 40, 40)), axis=-1) < 60


def classify(frame: np.ndarray, box: BoxTuple, color: tuple[int, int, int], candidates: list[str] | None = None) -> list[tuple[str, float]]:
    """Categories ranked by how well their silhouette matches the colour mask inside `box` (IoU of masks)."""
    mask = color_mask(frame, color).astype(np.uint8) * 255
    x0, y0, x1, y1 = (int(round(v * GRID)) for v in box)
    crop = Image.fromarray(mask[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)]).resize((16, 16), Image.Resampling.BILINEAR)
    region = np.asarray(crop) > 127
    scores = []
    for category in candidates or list(SPRITES):
        template = _silhouette(category)
        union = (template | region).sum()
        scores.append((category, float((template & region).sum() / union) if union else 0.0))
    return sorted(scores, key=lambda item: -item[1])
