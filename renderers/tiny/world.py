"""The tiny world: a procedural place the tiny models learn to draw.

Every sample is a *clip*: a background (one of `BACKGROUNDS`, at a time of day
from `TIMES`) and one to four entities (any category of `sprites.SPRITES`,
each with a colour) that move along straight trajectories over the clip's
normalised time s in [0, 1], some entering or leaving part-way. A clip draws
its frame at any s and any size, and reports its layout (a box per visible
entity) and captions, so it is both training data and ground truth for the
benchmarks. Nothing is stored: `sample_clip(seed)` makes the same clip for the
same seed, always.

Rules that keep the world learnable and measurable:
- an entity fills its box (the sprite is stretched to it), and boxes are never
  smaller than `MIN_SIDE` of the frame;
- larger boxes are drawn first, so smaller things stand in front (the layout
  map the models are given is painted in the same order);
- the entities of one clip have different colours, each far enough from the
  background behind it to be seen;
- only the background changes with the time of day; entities keep their colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PIL import Image, ImageDraw

from director.drawing import COLOR_NAMES
from director.layout import CATEGORY_PRIORS, DEFAULT_PRIOR
from renderers.tiny.sprites import ANIMATED, ANY_COLORS, FIXED_ROLES, SPRITES, natural_colors

RGB = tuple[int, int, int]
BoxTuple = tuple[float, float, float, float]  # x0, y0, x1, y1 in [0, 1]

SUPERSAMPLE = 4  # frames are drawn this many times larger, then box-filtered down: clean edges at 32 px
MIN_SIDE = 0.12  # no box is narrower or shorter than this fraction of the frame (4 pixels at 32)

CATEGORIES: tuple[str, ...] = tuple(SPRITES)
PALETTE: dict[str, RGB] = {name: COLOR_NAMES[name] for name in ANY_COLORS + ("golden",)}

# Each background: the phrases that name it (the first is its canonical caption) and its horizon range.
BACKGROUNDS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "sky": (("the sky", "clouds in the sky", "high in the air", "above the clouds"), (1.0, 1.0)),
    "grass": (("a park", "a grassy field", "a garden", "a meadow", "a farm", "a hill"), (0.55, 0.68)),
    "sea": (("the sea", "the beach", "the ocean", "a lake", "the shore", "a harbour"), (0.45, 0.6)),
    "snow": (("a snowy field", "snow in winter", "an icy land", "the arctic"), (0.5, 0.65)),
    "city": (("a city street", "a city", "a town", "a road", "downtown"), (0.6, 0.72)),
    "room": (("a room", "a bedroom", "a kitchen", "a living room", "an office", "inside a house"), (0.6, 0.72)),
    "desert": (("a desert", "sand dunes", "a sandy desert"), (0.5, 0.65)),
    "forest": (("a forest", "the woods", "a jungle", "among the trees"), (0.6, 0.7)),
}
# Words that name a setting outright, checked in this order before asking the sentence encoder
# ("a street at night" is the city; "a house in the woods" is taken as indoors only when it says a room).
BACKGROUND_WORDS: dict[str, tuple[str, ...]] = {
    "room": ("room", "kitchen", "bedroom", "office", "indoors", "inside", "cafe", "café", "shop", "library",
             "hall", "classroom", "apartment", "attic", "basement", "restaurant", "bakery", "studio", "int"),
    "city": ("city", "street", "road", "town", "downtown", "skyline", "avenue", "square"),
    "snow": ("snow", "snowy", "winter", "ice", "icy", "arctic", "glacier"),
    "sea": ("sea", "ocean", "beach", "lake", "shore", "harbor", "harbour", "river", "coast", "pier", "dock", "waves"),
    "desert": ("desert", "dune", "dunes", "sand", "sandy"),
    "forest": ("forest", "woods", "jungle", "woodland", "trees"),
    "sky": ("sky", "clouds", "air"),
    "grass": ("park", "grass", "field", "garden", "meadow", "farm", "hill", "hills", "yard", "lawn", "countryside", "valley"),
}
TIMES: tuple[str, ...] = ("day", "dusk", "night")
TIME_WORDS: dict[str, str] = {
    "night": "night", "midnight": "night", "nighttime": "night", "dark": "night", "moonlit": "night",
    "dusk": "dusk", "sunset": "dusk", "evening": "dusk", "dawn": "dusk", "sunrise": "dusk", "twilight": "dusk",
}


def time_of_day(text: str) -> str:
    """'day', 'dusk' or 'night', from the words of a background or heading."""
    words = text.lower().replace("-", " ").replace(".", " ").replace(",", " ").split()
    found = [TIME_WORDS[w] for w in words if w in TIME_WORDS]
    return "night" if "night" in found else (found[0] if found else "day")


def background_caption(kind: str, time: str, variant: int = 0) -> str:
    phrases = BACKGROUNDS[kind][0]
    phrase = phrases[variant % len(phrases)]
    return phrase if time == "day" else f"{phrase} at {time if time != 'dusk' else 'sunset'}"


def shade(rgb: RGB | np.ndarray, factor: float) -> RGB:
    return tuple(int(max(0, min(255, c * factor))) for c in rgb)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, w: float) -> RGB:
    return tuple(int(a[k] * (1 - w) + b[k] * w) for k in range(3))  # type: ignore[return-value]


def role_color(role: str, main: RGB) -> RGB:
    if role == "main":
        return main
    if role == "dark":
        return shade(main, 0.55)
    if role == "light":
        return mix(main, (255, 255, 255), 0.45)
    return FIXED_ROLES[role]


# Drawing ------------------------------------------------------------------------------------------


def draw_sprite(draw: ImageDraw.ImageDraw, category: str, box_px: tuple[float, float, float, float], color: RGB, phase: int) -> None:
    """Paint `category`'s sprite stretched to the pixel box, in `color`, in walk/flap pose `phase`."""
    x0, y0, x1, y1 = box_px
    bw, bh = x1 - x0, y1 - y0

    def at(points: tuple[float, ...]) -> list[tuple[float, float]]:
        return [(x0 + points[k] * bw, y0 + points[k + 1] * bh) for k in range(0, len(points), 2)]

    for shape in SPRITES[category]:
        if shape.phase is not None and shape.phase != phase:
            continue
        fill = role_color(shape.role, color)
        if shape.kind == "rect":
            (a, b), (c, d) = at(shape.points)
            draw.rectangle((a, b, max(a, c - 1), max(b, d - 1)), fill=fill)
        elif shape.kind == "ellipse":
            (a, b), (c, d) = at(shape.points)
            draw.ellipse((a, b, max(a, c - 1), max(b, d - 1)), fill=fill)
        elif shape.kind == "poly":
            draw.polygon(at(shape.points), fill=fill)
        else:
            draw.line(at(shape.points), fill=fill, width=max(1, round(shape.width * min(bw, bh))))


def _gradient(draw: ImageDraw.ImageDraw, size: int, top: RGB, bottom: RGB, y0: int, y1: int) -> None:
    for y in range(y0, y1):
        w = (y - y0) / max(1, y1 - y0 - 1)
        draw.line((0, y, size, y), fill=mix(top, bottom, w))


def draw_background(kind: str, time: str, seed: int, size: int) -> tuple[Image.Image, float]:
    """The background picture (`size` pixels square) and its horizon (fraction of the height)."""
    rng = np.random.default_rng(seed)
    lo, hi = BACKGROUNDS[kind][1]
    horizon = float(rng.uniform(lo, hi))
    hy = int(horizon * size)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    u = size / 100  # drawing unit: 1% of the frame

    sky_top, sky_bottom = {"day": ((95, 160, 235), (185, 220, 250)), "dusk": ((95, 80, 150), (250, 160, 100)),
                           "night": ((10, 14, 45), (35, 45, 95))}[time]
    if kind == "desert" and time == "day":
        sky_top, sky_bottom = (120, 175, 235), (250, 225, 180)
    if kind == "forest" and time == "day":
        sky_top, sky_bottom = (140, 185, 200), (200, 225, 215)
    ground_dim = {"day": 1.0, "dusk": 0.72, "night": 0.38}[time]
    _gradient(draw, size, sky_top, sky_bottom, 0, hy)
    if time == "night":
        for _ in range(int(rng.integers(6, 14))):
            x, y = rng.uniform(0, size), rng.uniform(0, hy * 0.8)
            draw.ellipse((x, y, x + 0.9 * u, y + 0.9 * u), fill=(240, 240, 210))
    elif kind in ("sky", "grass", "sea", "snow") and rng.random() < 0.8:
        cloud = (250, 250, 250) if time == "day" else (230, 180, 170)
        for _ in range(int(rng.integers(1, 4))):
            x, y = rng.uniform(-10, 90) * u, rng.uniform(5, max(6, horizon * 100 - 25)) * u
            w = rng.uniform(14, 30) * u
            draw.ellipse((x, y, x + w, y + w * 0.4), fill=cloud)
            draw.ellipse((x + w * 0.25, y - w * 0.15, x + w * 0.75, y + w * 0.3), fill=cloud)

    def ground(color: RGB) -> RGB:
        return shade(color, ground_dim)

    if kind == "grass":
        green = tuple(int(v) for v in rng.integers((70, 150, 55), (100, 185, 85)))
        draw.rectangle((0, hy, size, size), fill=ground(green))  # type: ignore[arg-type]
        for _ in range(int(rng.integers(5, 12))):
            x, y = rng.uniform(0, size), rng.uniform(hy + 2 * u, size)
            draw.line((x, y, x + u, y - 2.5 * u), fill=ground(shade(green, 0.75)), width=max(1, int(0.8 * u)))  # type: ignore[arg-type]
    elif kind == "sea":
        sea = tuple(int(v) for v in rng.integers((25, 95, 170), (50, 130, 210)))
        draw.rectangle((0, hy, size, size), fill=ground(sea))  # type: ignore[arg-type]
        for _ in range(int(rng.integers(4, 9))):
            x, y = rng.uniform(0, size), rng.uniform(hy + 3 * u, size)
            draw.line((x, y, x + rng.uniform(6, 14) * u, y), fill=ground(mix(sea, (255, 255, 255), 0.4)), width=max(1, int(u)))  # type: ignore[arg-type]
        if rng.random() < 0.5:  # a beach
            sand_top = int(rng.uniform(0.82, 0.92) * size)
            draw.rectangle((0, sand_top, size, size), fill=ground((235, 210, 150)))
    elif kind == "snow":
        draw.rectangle((0, hy, size, size), fill=ground((240, 245, 252)))
        for _ in range(int(rng.integers(1, 3))):
            x = rng.uniform(-20, 80) * u
            draw.ellipse((x, hy - 6 * u, x + rng.uniform(40, 70) * u, hy + 12 * u), fill=ground((225, 232, 245)))
    elif kind == "city":
        x = -rng.uniform(0, 6) * u
        while x < size:
            w, h = rng.uniform(9, 18) * u, rng.uniform(15, 45) * u
            wall = (45, 45, 75) if time == "night" else tuple(int(v) for v in rng.integers(110, 170, 3))
            draw.rectangle((x, hy - h, x + w, hy), fill=wall)  # type: ignore[arg-type]
            lit = (250, 220, 110) if time == "night" else (175, 205, 230)
            for wx in np.arange(x + 2 * u, x + w - 3 * u, 4.5 * u):
                for wy in np.arange(hy - h + 3 * u, hy - 3 * u, 6 * u):
                    if time != "night" or rng.random() < 0.45:
                        draw.rectangle((wx, wy, wx + 2 * u, wy + 2.5 * u), fill=lit)
            x += w + rng.uniform(0.5, 3) * u
        draw.rectangle((0, hy, size, size), fill=ground((105, 105, 110)))
        draw.rectangle((0, hy + 0.45 * (size - hy), size, hy + 0.5 * (size - hy)), fill=ground((220, 220, 200)))
    elif kind == "room":
        wall = tuple(int(v) for v in rng.choice([(230, 215, 190), (200, 220, 235), (215, 230, 200), (235, 205, 205)]))
        wall = shade(wall, {"day": 1.0, "dusk": 0.85, "night": 0.55}[time])
        draw.rectangle((0, 0, size, hy), fill=wall)
        if rng.random() < 0.7:  # a window
            wx, ww = rng.uniform(10, 60) * u, rng.uniform(16, 26) * u
            wy = rng.uniform(10, 20) * u
            view = {"day": (150, 200, 245), "dusk": (245, 160, 110), "night": (15, 20, 55)}[time]
            draw.rectangle((wx, wy, wx + ww, wy + ww * 0.8), fill=(250, 250, 250))
            draw.rectangle((wx + u, wy + u, wx + ww - u, wy + ww * 0.8 - u), fill=view)
        floor = tuple(int(v) for v in rng.integers((135, 95, 60), (175, 125, 85)))
        draw.rectangle((0, hy, size, size), fill=shade(floor, {"day": 1.0, "dusk": 0.85, "night": 0.6}[time]))  # type: ignore[arg-type]
        draw.rectangle((0, hy - u, size, hy + u), fill=shade(wall, 0.7))
    elif kind == "desert":
        draw.rectangle((0, hy, size, size), fill=ground((230, 190, 120)))
        for _ in range(int(rng.integers(2, 4))):
            x, y = rng.uniform(-30, 80) * u, rng.uniform(hy / u - 4, 90) * u
            draw.ellipse((x, y, x + rng.uniform(40, 70) * u, y + rng.uniform(10, 20) * u), fill=ground((215, 170, 100)))
    elif kind == "forest":
        draw.rectangle((0, hy, size, size), fill=ground((50, 100, 50)))
        for _ in range(int(rng.integers(5, 9))):
            x = rng.uniform(-5, 100) * u
            w, h = rng.uniform(3, 6) * u, rng.uniform(25, 45) * u
            draw.rectangle((x, hy - h * 0.6, x + w, hy + u), fill=ground((80, 55, 35)))
            draw.ellipse((x - w * 1.8, hy - h, x + w * 2.8, hy - h * 0.45), fill=ground((35, 90, 45)))
    elif kind == "sky" and rng.random() < 0.5:  # far hills at the bottom
        draw.ellipse((-20 * u, 92 * u, 60 * u, 120 * u), fill=ground((110, 170, 95)))
        draw.ellipse((40 * u, 94 * u, 130 * u, 125 * u), fill=ground((95, 155, 85)))
    return image, horizon


# Clips --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldEntity:
    """One thing in a clip: what it is, its colour, and how it moves over s in [0, 1]."""

    category: str
    color_name: str
    color: RGB  # the exact colour drawn (the identity's shade of the named colour)
    start: BoxTuple  # box at s = 0
    end: BoxTuple  # box at s = 1
    visible: tuple[float, float] = (0.0, 1.0)  # shown while visible[0] <= s <= visible[1]
    steps: int = 0  # walk/flap pose changes over the clip (0: a still pose)

    @property
    def phrase(self) -> str:
        return f"{self.color_name} {self.category}"

    def box(self, s: float) -> BoxTuple | None:
        if not self.visible[0] <= s <= self.visible[1]:
            return None
        return tuple(a + (b - a) * s for a, b in zip(self.start, self.end))  # type: ignore[return-value]

    def phase(self, s: float) -> int:
        return int(s * self.steps) % 2 if self.steps else 0


@dataclass
class Clip:
    seed: int
    background: str  # a key of BACKGROUNDS
    time: str  # one of TIMES
    entities: tuple[WorldEntity, ...]
    caption_variant: int = 0
    _backgrounds: dict[int, tuple[Image.Image, float]] = field(default_factory=dict, repr=False)

    @property
    def background_caption(self) -> str:
        return background_caption(self.background, self.time, self.caption_variant)

    @cached_property
    def horizon(self) -> float:
        return self._background(32)[1]

    def _background(self, size: int) -> tuple[Image.Image, float]:
        if size not in self._backgrounds:
            self._backgrounds[size] = draw_background(self.background, self.time, self.seed, size * SUPERSAMPLE)
        return self._backgrounds[size]

    def layout(self, s: float) -> list[tuple[int, BoxTuple]]:
        """(entity index, box) of every entity visible at s, in drawing order (larger boxes first)."""
        visible = [(i, box) for i, e in enumerate(self.entities) if (box := e.box(s)) is not None]
        return sorted(visible, key=lambda item: -_area(item[1]))

    def frame(self, s: float, size: int = 32) -> np.ndarray:
        """The frame at s: (size, size, 3) uint8."""
        picture = self._background(size)[0].copy()
        draw = ImageDraw.Draw(picture)
        big = size * SUPERSAMPLE
        for i, box in self.layout(s):
            e = self.entities[i]
            draw_sprite(draw, e.category, tuple(v * big for v in box), e.color, e.phase(s))  # type: ignore[arg-type]
        return np.asarray(picture.resize((size, size), Image.Resampling.BOX), dtype=np.uint8)

    def background_frame(self, size: int = 32) -> np.ndarray:
        return np.asarray(self._background(size)[0].resize((size, size), Image.Resampling.BOX), dtype=np.uint8)


def _area(box: BoxTuple) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def identity_shade(color: RGB, rng: np.random.Generator) -> RGB:
    """A personal shade of a named colour: the same identity always gets the same one."""
    return tuple(int(np.clip(c + rng.integers(-14, 15), 0, 255)) for c in color)  # type: ignore[return-value]


def _sample_box(rng: np.random.Generator, category: str, horizon: float) -> BoxTuple:
    prior = CATEGORY_PRIORS.get(category, DEFAULT_PRIOR)
    h = float(np.clip(prior.height * rng.uniform(0.8, 1.7), MIN_SIDE + 0.02, 0.7))
    w = float(np.clip(h * prior.aspect * rng.uniform(0.55, 1.1), MIN_SIDE + 0.02, 0.85))
    x0 = rng.uniform(0, 1 - w)
    if rng.random() < 0.5:  # where such things usually are
        if prior.placement == "sky":
            y0 = rng.uniform(0, max(0.0, min(horizon, 0.75) - h))
        elif prior.placement == "backdrop":
            y0 = min(1 - h, max(0.0, rng.uniform(horizon - 0.05, horizon + 0.15) - h))
        elif prior.placement == "corner":
            y0 = rng.uniform(0, 0.1)
            x0 = rng.uniform(0, 0.12) if rng.random() < 0.5 else 1 - w - rng.uniform(0, 0.12)
        else:
            y0 = rng.uniform(max(0.0, min(horizon, 0.95) + 0.05 - h), 1 - h)
    else:  # anywhere: planners put things in unusual places too
        y0 = rng.uniform(0, 1 - h)
    return (float(x0), float(y0), float(x0 + w), float(y0 + h))


def _move(rng: np.random.Generator, box: BoxTuple, placement: str) -> BoxTuple:
    if rng.random() < 0.3:  # stays (almost) still
        dx, dy, scale = rng.normal(0, 0.01), rng.normal(0, 0.01), 1.0
    else:
        dx = rng.uniform(-0.8, 0.8)
        dy = rng.uniform(-0.35, 0.35) if placement in ("sky",) or rng.random() < 0.3 else rng.uniform(-0.06, 0.06)
        scale = rng.uniform(0.85, 1.15)
    x0, y0, x1, y1 = box
    w, h = (x1 - x0) * scale, (y1 - y0) * scale
    w, h = max(w, MIN_SIDE), max(h, MIN_SIDE)
    w, h = min(w, 0.95), min(h, 0.95)
    cx = float(np.clip((x0 + x1) / 2 + dx, w / 2, 1 - w / 2))
    cy = float(np.clip((y0 + y1) / 2 + dy, h / 2, 1 - h / 2))
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def color_distance(a: RGB | np.ndarray, b: RGB | np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


def sample_clip(
    seed: int,
    *,
    num_entities: int | None = None,
    categories: tuple[str, ...] | None = None,
    background: str | None = None,
    time: str | None = None,
) -> Clip:
    """The clip of this seed. Optional arguments pin what it shows (for benchmarks and tests)."""
    rng = np.random.default_rng([seed, 0x7E17])
    background = background or str(rng.choice(list(BACKGROUNDS)))
    time = time or str(rng.choice(TIMES, p=[0.6, 0.2, 0.2]))
    clip = Clip(seed, background, time, (), caption_variant=int(rng.integers(0, 6)))
    bg = clip.background_frame(32).astype(np.float32)
    count = num_entities or int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.25, 0.1]))
    entities: list[WorldEntity] = []
    used: list[RGB] = []
    for k in range(count):
        category = categories[k % len(categories)] if categories else str(rng.choice(CATEGORIES))
        prior = CATEGORY_PRIORS.get(category, DEFAULT_PRIOR)
        start = _sample_box(rng, category, clip.horizon)
        end = _move(rng, start, prior.placement)
        # A colour unlike the other entities' and nearly absent from the background (up to a few tries),
        # so the world's detector can find every entity by its colour.
        choices = natural_colors(category) if rng.random() < 0.5 else ANY_COLORS
        best: tuple[float, str, RGB] | None = None
        for _ in range(20):
            name = str(rng.choice(choices))
            color = identity_shade(PALETTE[name], rng)
            clash = _background_share(bg, color) + sum(color_distance(color, c) < 70 for c in used)
            if best is None or clash < best[0]:
                best = (clash, name, color)
            if clash < 0.01:
                break
            choices = ANY_COLORS
        assert best is not None
        _, name, color = best
        used.append(color)
        visible = (0.0, 1.0)
        r = rng.random()
        if r < 0.12:
            visible = (float(rng.uniform(0.15, 0.7)), 1.0)
        elif r < 0.24:
            visible = (0.0, float(rng.uniform(0.3, 0.85)))
        moving = math.dist(start[:2], end[:2]) > 0.05
        steps = int(rng.integers(2, 9)) if category in ANIMATED and moving else 0
        entities.append(WorldEntity(category, name, color, start, end, visible, steps))
    clip.entities = tuple(entities)
    return clip


def _background_share(image: np.ndarray, color: RGB) -> float:
    """The share of background pixels that look like `color` or its dark shade."""
    near = np.linalg.norm(image - np.array(color, np.float32), axis=-1) < 75
    dark = np.linalg.norm(image - np.array(shade(color, 0.55), np.float32), axis=-1) < 50
    return float((near | dark).mean())
