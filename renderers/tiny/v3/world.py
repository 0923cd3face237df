"""The v3 world: settings a writer names, at four times of day, with figures recognisable by shape.

Like the v2 world (`renderers/tiny/world.py`, which v2's weights were trained on
and which stays as it is), every sample is a *clip*: a setting at a time of day
and one to four entities moving along straight tracks over the clip's time
s in [0, 1], some entering or leaving part-way. `sample_clip(seed)` makes the
same clip for the same seed, always; nothing is stored.

What is new:
- frames are drawn natively at 256x144 (16:9; any size, drawn twice as large
  and box-filtered down), not 32x32;
- 16 settings, 7 interiors (bedroom, kitchen, stairwell, garage, restaurant,
  office, shop) and 9 exteriors (street, beach, sea, underwater, forest, field,
  mountain, snow, desert), each at dawn, day, dusk and night;
- figures whose shape says their kind (`figures.py`: people with head, body and
  legs; quadrupeds on four legs; vehicles on wheels), each drawn in the look of
  its identity (`looks.py`), chosen across the clip's cast;
- `Clip.masks` gives the exact pixels each entity shows (figures' alpha, after
  occlusion): ground truth for crops and the benchmarks;
- `closer(clip, size)`: the same clip through a camera closer in on its first
  person or animal, framed as `director.camera` frames a full, medium or close-up shot, so
  figures come as large as storyboards ask for, cropped by the frame with their
  whole boxes reaching outside it (what `FrameSpec.cropped` tells a renderer).
  Training draws a share of its clips so (`training_clip`); the measures' held-out
  clips are the world's own framing unless they ask.

Rules kept from v2: larger boxes are drawn first (smaller things stand in front,
as the layout map is painted); only the setting changes with the time of day;
entities keep their colours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from director.camera import view_on
from director.layout import CATEGORY_PRIORS, DEFAULT_PRIOR
from director.storyboard import Box
from renderers.tiny.v3.figures import KINDS, figure_layer
from renderers.tiny.v3.looks import CastMember, Look, cast_looks

RGB = tuple[int, int, int]
BoxTuple = tuple[float, float, float, float]  # x0, y0, x1, y1 of the frame (0-1; outside it where a closer framing crops)
Size = tuple[int, int]  # width, height in pixels

FRAME: Size = (256, 144)  # the v3 world's native frame: 16:9
SUPERSAMPLE = 2  # drawn this many times larger, then box-filtered: clean edges
MIN_SIDE = 0.06  # no box is narrower or shorter than this share of the frame (9 pixels of 144)
TIMES: tuple[str, ...] = ("dawn", "day", "dusk", "night")


@dataclass(frozen=True)
class Setting:
    """A place: the phrases that name it (the first is its caption), whether it is indoors, its horizon."""

    phrases: tuple[str, ...]
    indoor: bool
    horizon: tuple[float, float]  # where the floor or ground begins, a range of the frame height


SETTINGS: dict[str, Setting] = {
    "bedroom": Setting(("a bedroom", "a child's room", "a hotel room", "a dormitory"), True, (0.55, 0.66)),
    "kitchen": Setting(("a kitchen", "a diner kitchen", "a pantry", "a kitchen at home"), True, (0.58, 0.68)),
    "stairwell": Setting(("a stairwell", "a staircase", "the stairs", "a hallway with stairs"), True, (0.62, 0.72)),
    "garage": Setting(("a garage", "a workshop", "a car park", "a parking garage"), True, (0.55, 0.65)),
    "restaurant": Setting(("a restaurant", "a cafe", "a bar", "a dining room"), True, (0.55, 0.65)),
    "office": Setting(("an office", "a classroom", "a library", "a study"), True, (0.58, 0.68)),
    "shop": Setting(("a shop", "a store", "a supermarket", "a bakery"), True, (0.58, 0.68)),
    "street": Setting(("a city street", "a town square", "a road", "downtown"), False, (0.55, 0.66)),
    "beach": Setting(("a beach", "the shore", "a sandy coast", "the seaside"), False, (0.42, 0.52)),
    "sea": Setting(("the sea", "the open ocean", "a lake", "a harbour"), False, (0.40, 0.52)),
    "underwater": Setting(("underwater", "under the sea", "the sea floor", "a coral reef"), False, (0.75, 0.85)),
    "forest": Setting(("a forest", "the woods", "a jungle", "a clearing among trees"), False, (0.58, 0.68)),
    "field": Setting(("a grassy field", "a park", "a meadow", "a farm"), False, (0.50, 0.62)),
    "mountain": Setting(("the mountains", "a mountain pass", "a rocky hillside", "a cliff top"), False, (0.60, 0.72)),
    "snow": Setting(("a snowy field", "a winter landscape", "an icy plain", "the arctic"), False, (0.52, 0.64)),
    "desert": Setting(("a desert", "sand dunes", "a dry canyon", "the badlands"), False, (0.52, 0.64)),
}
# Words that name a setting outright, checked before the sentence encoder is asked (first match wins).
SETTING_WORDS: dict[str, tuple[str, ...]] = {
    "underwater": ("underwater", "undersea", "reef", "seabed", "submarine", "diving", "scuba"),
    "bedroom": ("bedroom", "bed", "nursery", "dormitory", "dorm"),
    "kitchen": ("kitchen", "pantry"),
    "stairwell": ("stairwell", "stairs", "staircase", "stairway", "landing", "hallway", "corridor"),
    "garage": ("garage", "workshop", "carport", "basement"),
    "restaurant": ("restaurant", "cafe", "café", "diner", "bar", "pub", "canteen", "dining"),
    "office": ("office", "classroom", "library", "study", "school", "lab", "laboratory"),
    "shop": ("shop", "store", "supermarket", "bakery", "market", "boutique"),
    "street": ("street", "road", "city", "town", "downtown", "avenue", "square", "alley", "sidewalk"),
    "beach": ("beach", "shore", "coast", "seaside", "sand"),
    "sea": ("sea", "ocean", "lake", "harbor", "harbour", "boat", "pier", "dock"),
    "snow": ("snow", "snowy", "winter", "ice", "icy", "arctic", "glacier"),
    "mountain": ("mountain", "mountains", "cliff", "peak", "summit", "hillside", "canyon"),
    "desert": ("desert", "dune", "dunes", "badlands"),
    "forest": ("forest", "woods", "jungle", "woodland", "trees"),
    "field": ("park", "grass", "field", "garden", "meadow", "farm", "hill", "yard", "lawn", "countryside"),
}
TIME_WORDS: dict[str, str] = {
    "night": "night", "midnight": "night", "nighttime": "night", "dark": "night", "moonlit": "night",
    "dusk": "dusk", "sunset": "dusk", "evening": "dusk", "twilight": "dusk",
    "dawn": "dawn", "sunrise": "dawn", "morning": "dawn", "daybreak": "dawn",
}


def _words(text: str) -> list[str]:
    for mark in "-.,;:'!?()\"":
        text = text.replace(mark, " ")
    return text.lower().split()


def time_of_day(text: str) -> str:
    """'dawn', 'day', 'dusk' or 'night', from the words of a setting or a scene heading."""
    found = [TIME_WORDS[w] for w in _words(text) if w in TIME_WORDS]
    return "night" if "night" in found else (found[0] if found else "day")


def setting_of(text: str, embed: Callable[[list[str]], np.ndarray] | None = None) -> tuple[str, float]:
    """The world's setting for what a storyboard says ('INT. MIRA'S ROOM - NIGHT' -> bedroom), and how
    sure: 1.0 when a word names it, else the cosine similarity of the nearest phrase through the
    sentence encoder `embed` (by default the tiny renderer's MiniLM, `renderers.tiny.text.embed`)."""
    words = set(_words(text))
    for name, names in SETTING_WORDS.items():
        if words & set(names):
            return name, 1.0
    if "room" in words or "int" in words:  # a room the words do not name: a bedroom is the likeliest
        return "bedroom", 1.0
    if not words:
        return "field", 0.0
    if embed is None:
        from renderers.tiny.text import embed
    phrases = [(name, p) for name, setting in SETTINGS.items() for p in setting.phrases]
    vectors = _phrase_vectors(embed, tuple(p for _, p in phrases))
    similarity = vectors @ embed([text])[0]
    best = int(np.argmax(similarity))
    return phrases[best][0], float(similarity[best])


@lru_cache(maxsize=4)
def _phrase_vectors(embed: Callable[[list[str]], np.ndarray], phrases: tuple[str, ...]) -> np.ndarray:
    return embed(list(phrases))


def caption(setting: str, time: str, variant: int = 0) -> str:
    phrases = SETTINGS[setting].phrases
    phrase = phrases[variant % len(phrases)]
    return phrase if time == "day" else f"{phrase} at {time}"


# Settings -----------------------------------------------------------------------------------------

# Light of each time of day: per-channel gains for everything the sun lights, outdoors and in.
GAINS: dict[str, dict[str, tuple[float, float, float]]] = {
    "outdoor": {"dawn": (0.95, 0.82, 0.82), "day": (1.0, 1.0, 1.0), "dusk": (0.88, 0.68, 0.58), "night": (0.30, 0.34, 0.50)},
    "indoor": {"dawn": (0.95, 0.88, 0.86), "day": (1.0, 1.0, 1.0), "dusk": (0.92, 0.80, 0.68), "night": (0.62, 0.52, 0.42)},
}
SKIES: dict[str, tuple[RGB, RGB]] = {
    "dawn": ((120, 130, 200), (250, 185, 160)),
    "day": ((95, 160, 235), (190, 222, 250)),
    "dusk": ((70, 60, 130), (250, 140, 80)),
    "night": ((8, 12, 40), (30, 40, 85)),
}


class _Canvas:
    """A background being painted: drawing in frame fractions, colours lit by the time of day."""

    def __init__(self, size: Size, time: str, indoor: bool, rng: np.random.Generator) -> None:
        self.image = Image.new("RGB", size)
        self.draw = ImageDraw.Draw(self.image)
        self.w, self.h = size
        self.time, self.rng = time, rng
        self.gain = GAINS["indoor" if indoor else "outdoor"][time]

    def lit(self, color: Sequence[float]) -> RGB:
        return tuple(int(max(0, min(255, c * g))) for c, g in zip(color, self.gain))  # type: ignore[return-value]

    def _px(self, points: Sequence[float]) -> list[float]:
        return [v * (self.w if k % 2 == 0 else self.h) for k, v in enumerate(points)]

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: Sequence[float], *, raw: bool = False) -> None:
        a, b, c, d = self._px((x0, y0, x1, y1))
        self.draw.rectangle((a, b, max(a, c - 1), max(b, d - 1)), fill=tuple(int(v) for v in color) if raw else self.lit(color))

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, color: Sequence[float], *, raw: bool = False) -> None:
        a, b, c, d = self._px((x0, y0, x1, y1))
        self.draw.ellipse((a, b, max(a, c - 1), max(b, d - 1)), fill=tuple(int(v) for v in color) if raw else self.lit(color))

    def poly(self, color: Sequence[float], *points: float, raw: bool = False) -> None:
        xy = self._px(points)
        self.draw.polygon(list(zip(xy[::2], xy[1::2])), fill=tuple(int(v) for v in color) if raw else self.lit(color))

    def gradient(self, y0: float, y1: float, top: Sequence[float], bottom: Sequence[float], *, raw: bool = False) -> None:
        a, b = int(y0 * self.h), int(y1 * self.h)
        for y in range(a, b):
            w = (y - a) / max(1, b - a - 1)
            color = [t * (1 - w) + u * w for t, u in zip(top, bottom)]
            self.draw.line((0, y, self.w, y), fill=tuple(int(v) for v in color) if raw else self.lit(color))

    def vary(self, color: Sequence[float], spread: float = 14) -> tuple[float, ...]:
        return tuple(float(np.clip(c + self.rng.uniform(-spread, spread), 0, 255)) for c in color)

    def sky(self, horizon: float) -> None:
        top, bottom = SKIES[self.time]
        self.gradient(0, horizon, top, bottom, raw=True)
        if self.time == "night":
            for _ in range(int(self.rng.integers(10, 25))):
                x, y = self.rng.uniform(0, 1), self.rng.uniform(0, horizon * 0.8)
                self.ellipse(x, y, x + 0.004, y + 0.007, (240, 240, 210), raw=True)
            x = self.rng.uniform(0.1, 0.9)
            self.ellipse(x, 0.06, x + 0.045, 0.14, (245, 240, 215), raw=True)
        else:
            sun = {"dawn": (0.05, 0.25), "day": (0.35, 0.75), "dusk": (0.75, 0.95)}[self.time]
            x = self.rng.uniform(*sun)
            y = horizon - 0.12 if self.time != "day" else 0.08
            self.ellipse(x, y, x + 0.06, y + 0.1, (255, 240, 170) if self.time == "day" else (255, 190, 120), raw=True)
            for _ in range(int(self.rng.integers(0, 4))):
                cx, cy, w = self.rng.uniform(-0.1, 1), self.rng.uniform(0.05, max(0.06, horizon - 0.2)), self.rng.uniform(0.1, 0.22)
                cloud = (250, 250, 250) if self.time == "day" else (240, 190, 180)
                self.ellipse(cx, cy, cx + w, cy + w * 0.5, cloud, raw=True)
                self.ellipse(cx + w * 0.25, cy - w * 0.2, cx + w * 0.75, cy + w * 0.35, cloud, raw=True)

    def window(self, x0: float, y0: float, x1: float, y1: float, frame: Sequence[float] = (245, 245, 240)) -> None:
        self.rect(x0, y0, x1, y1, frame)
        top, bottom = SKIES[self.time]
        a, b = y0 + 0.015, y1 - 0.015
        for k in range(int((b - a) * self.h)):
            w = k / max(1, (b - a) * self.h - 1)
            y = a + k / self.h
            self.draw.line(((x0 + 0.01) * self.w, y * self.h, (x1 - 0.01) * self.w, y * self.h),
                           fill=tuple(int(t * (1 - w) + u * w) for t, u in zip(top, bottom)))
        self.rect((x0 + x1) / 2 - 0.004, y0, (x0 + x1) / 2 + 0.004, y1, frame)


def _room(c: _Canvas, h: float, wall: Sequence[float], floor: Sequence[float]) -> None:
    c.rect(0, 0, 1, h, c.vary(wall))
    c.rect(0, h, 1, 1, c.vary(floor))
    c.rect(0, h - 0.015, 1, h + 0.01, [v * 0.7 for v in wall])  # skirting board
    if c.time == "night":  # a lamp lights the room
        x = c.rng.uniform(0.2, 0.8)
        c.poly((250, 225, 150), x - 0.05, 0.1, x + 0.05, 0.1, x + 0.03, 0.0, x - 0.03, 0.0, raw=True)


def _bedroom(c: _Canvas, h: float) -> None:
    _room(c, h, c.rng.choice([(225, 205, 230), (200, 220, 240), (240, 225, 190)]), (160, 115, 75))
    x = c.rng.uniform(0.05, 0.35)
    c.window(x, 0.12, x + 0.2, 0.42)
    x = c.rng.uniform(0.45, 0.65)  # the bed against the wall
    c.rect(x, h - 0.22, x + 0.03, h + 0.12, (120, 80, 50))
    c.rect(x, h - 0.05, x + 0.34, h + 0.12, c.vary((90, 120, 200), 40))
    c.rect(x + 0.03, h - 0.1, x + 0.1, h - 0.02, (245, 245, 245))
    c.rect(x + 0.31, h - 0.12, x + 0.34, h + 0.12, (120, 80, 50))
    c.rect(0.05 + c.rng.uniform(0, 0.2), 0.52, 0.12 + c.rng.uniform(0.2, 0.3), 0.7, (200, 170, 120))  # a rug
    c.rect(0.75, 0.15, 0.88, 0.3, (120, 80, 50))  # a picture
    c.rect(0.765, 0.17, 0.865, 0.28, c.vary((120, 170, 120), 50))


def _kitchen(c: _Canvas, h: float) -> None:
    _room(c, h, (235, 235, 225), (200, 195, 185))
    for x in np.arange(0, 1, 0.05):  # tiles
        c.rect(x, 0.25, x + 0.003, h - 0.2, (200, 200, 195))
    c.rect(0, h - 0.22, 1, h - 0.19, (90, 90, 95))  # counter top
    cabinets = c.vary((120, 160, 190), 40)
    c.rect(0, h - 0.19, 1, h, cabinets)
    for x in np.arange(0.02, 1, 0.16):
        c.rect(x, h - 0.17, x + 0.13, h - 0.02, [v * 0.9 for v in cabinets])
        c.rect(x + 0.06, h - 0.15, x + 0.07, h - 0.1, (60, 60, 60))
    c.rect(0, 0.02, 1, 0.2, cabinets)  # wall cupboards
    x = c.rng.uniform(0.72, 0.85)
    c.rect(x, 0.12, x + 0.12, h, (225, 228, 232))  # the fridge
    c.rect(x + 0.01, 0.4, x + 0.02, 0.5, (120, 120, 120))
    c.window(0.3, 0.24, 0.48, 0.44)


def _stairwell(c: _Canvas, h: float) -> None:
    _room(c, h, (200, 190, 170), (150, 140, 130))
    steps, going = 8, c.rng.choice([1, -1])
    for k in range(steps):  # stairs rising across the wall
        x0 = 0.15 + 0.08 * k if going > 0 else 0.85 - 0.08 * (k + 1)
        y = h - 0.07 * (k + 1)
        c.rect(x0, y, x0 + 0.08, h, (170, 150, 120))
        c.rect(x0, y, x0 + 0.08, y + 0.012, (120, 100, 80))
    a, b = (0.15, h - 0.22), (0.15 + 0.08 * steps, h - 0.07 * steps - 0.15)
    if going < 0:
        a, b = (0.85, h - 0.22), (0.85 - 0.08 * steps, h - 0.07 * steps - 0.15)
    c.draw.line([(a[0] * c.w, a[1] * c.h), (b[0] * c.w, b[1] * c.h)], fill=c.lit((90, 60, 40)), width=max(2, c.h // 60))
    for k in range(0, steps, 2):
        x = a[0] + (b[0] - a[0]) * k / steps
        y = a[1] + (b[1] - a[1]) * k / steps
        c.rect(x - 0.003, y, x + 0.003, y + 0.15, (90, 60, 40))
    c.rect(0.02 if going > 0 else 0.86, 0.2, 0.12 if going > 0 else 0.96, h, (140, 100, 70))  # a door


def _garage(c: _Canvas, h: float) -> None:
    _room(c, h, (175, 175, 170), (130, 130, 130))
    x = c.rng.uniform(0.05, 0.3)
    door = c.vary((200, 200, 205), 20)
    c.rect(x, 0.12, x + 0.45, h, door)  # roll-up door with slats
    for y in np.arange(0.16, h, 0.05):
        c.rect(x, y, x + 0.45, y + 0.008, [v * 0.75 for v in door])
    c.rect(0.62, 0.2, 0.98, 0.23, (110, 80, 50))  # shelves with tins
    c.rect(0.62, 0.38, 0.98, 0.41, (110, 80, 50))
    for y in (0.2, 0.38):
        for k in range(5):
            c.rect(0.64 + 0.07 * k, y - 0.07, 0.68 + 0.07 * k, y, c.vary((180, 80, 60), 70))
    c.ellipse(0.1, 0.8, 0.4, 0.9, (100, 100, 105))  # an oil stain
    c.rect(0, 0.0, 1, 0.03, (90, 90, 95))


def _restaurant(c: _Canvas, h: float) -> None:
    _room(c, h, c.rng.choice([(150, 60, 50), (200, 150, 90), (90, 110, 80)]), (110, 70, 45))
    for x in (0.15, 0.5, 0.85):  # hanging lamps
        c.rect(x - 0.002, 0, x + 0.002, 0.12, (40, 40, 40))
        c.poly((245, 200, 110), x - 0.04, 0.16, x + 0.04, 0.16, x + 0.02, 0.11, x - 0.02, 0.11, raw=True)
    for x in np.arange(c.rng.uniform(0.0, 0.1), 1, 0.3):  # tables with cloths along the back
        c.rect(x, h - 0.06, x + 0.18, h - 0.02, (245, 245, 240))
        c.rect(x + 0.02, h - 0.02, x + 0.16, h + 0.05, (235, 235, 230))
        c.rect(x + 0.07, h - 0.1, x + 0.09, h - 0.06, (200, 60, 60))  # a candle
    c.window(0.35, 0.22, 0.62, 0.42, (90, 60, 40))


def _office(c: _Canvas, h: float) -> None:
    _room(c, h, (215, 220, 225), (95, 105, 120))
    for x in np.arange(0.05, 0.95, 0.22):  # a row of windows
        c.window(x, 0.1, x + 0.16, 0.36, (200, 200, 205))
    for x in np.arange(c.rng.uniform(0.0, 0.15), 0.9, 0.35):  # desks with screens
        c.rect(x, h - 0.12, x + 0.25, h - 0.09, (170, 140, 100))
        c.rect(x + 0.01, h - 0.09, x + 0.03, h + 0.04, (120, 100, 70))
        c.rect(x + 0.22, h - 0.09, x + 0.24, h + 0.04, (120, 100, 70))
        c.rect(x + 0.08, h - 0.25, x + 0.17, h - 0.14, (35, 35, 40))
        c.rect(x + 0.09, h - 0.24, x + 0.16, h - 0.15, (90, 150, 210))
        c.rect(x + 0.12, h - 0.14, x + 0.13, h - 0.12, (35, 35, 40))


def _shop(c: _Canvas, h: float) -> None:
    _room(c, h, (240, 235, 215), (205, 200, 190))
    for y in (0.18, 0.32, 0.46):  # shelves of goods
        c.rect(0.02, y, 0.7, y + 0.015, (150, 110, 70))
        for x in np.arange(0.03, 0.68, 0.04):
            c.rect(x, y - 0.08, x + 0.03, y, c.vary(c.rng.choice([(220, 60, 60), (60, 140, 220), (240, 200, 60), (80, 180, 90)]), 30))
    c.rect(0.74, h - 0.2, 1, h + 0.02, (160, 110, 70))  # the counter
    c.rect(0.8, h - 0.3, 0.9, h - 0.2, (60, 60, 65))  # a till
    c.rect(0.74, 0.05, 1, 0.12, c.vary((200, 60, 60), 50))  # a sign


def _street(c: _Canvas, h: float) -> None:
    c.sky(h)
    x = -c.rng.uniform(0, 0.05)
    while x < 1:
        w, top = c.rng.uniform(0.1, 0.2), h - c.rng.uniform(0.2, 0.5)
        wall = c.vary(c.rng.choice([(170, 120, 100), (150, 150, 160), (200, 180, 140), (120, 130, 150)]), 20)
        c.rect(x, top, x + w, h, wall)
        for wx in np.arange(x + 0.015, x + w - 0.03, 0.04):
            for wy in np.arange(top + 0.04, h - 0.06, 0.08):
                if c.time == "night" and c.rng.random() < 0.5:
                    c.rect(wx, wy, wx + 0.02, wy + 0.04, (250, 215, 110), raw=True)
                else:
                    c.rect(wx, wy, wx + 0.02, wy + 0.04, (150, 185, 215))
        x += w + c.rng.uniform(0.0, 0.02)
    c.rect(0, h, 1, h + 0.08, (175, 170, 165))  # pavement
    c.rect(0, h + 0.08, 1, 1, (85, 85, 90))  # road
    for x in np.arange(0.02, 1, 0.16):
        c.rect(x, 0.8, x + 0.08, 0.815, (235, 235, 220))
    for x in np.arange(c.rng.uniform(0, 0.2), 1, 0.4):  # street lamps
        c.rect(x, h - 0.35, x + 0.008, h + 0.05, (50, 50, 55))
        c.ellipse(x - 0.012, h - 0.37, x + 0.02, h - 0.33, (250, 230, 150) if c.time == "night" else (200, 200, 190), raw=c.time == "night")


def _water(c: _Canvas, top: float, bottom: float, color: Sequence[float]) -> None:
    c.gradient(top, bottom, [v * 0.8 for v in color], color)
    for _ in range(int(c.rng.integers(8, 16))):
        x, y = c.rng.uniform(0, 1), c.rng.uniform(top + 0.02, bottom)
        c.rect(x, y, x + c.rng.uniform(0.03, 0.08), y + 0.008, [min(255, v + 60) for v in color])


def _beach(c: _Canvas, h: float) -> None:
    c.sky(h)
    sand = h + c.rng.uniform(0.12, 0.2)
    _water(c, h, sand, (40, 120, 190))
    c.poly((240, 245, 250), 0, sand - 0.015, 1, sand - 0.025, 1, sand + 0.01, 0, sand + 0.01)  # surf
    c.rect(0, sand, 1, 1, (235, 210, 155))
    for _ in range(6):
        x, y = c.rng.uniform(0, 1), c.rng.uniform(sand + 0.05, 1)
        c.ellipse(x, y, x + 0.02, y + 0.015, (210, 185, 130))
    if c.rng.random() < 0.6:  # a parasol
        x = c.rng.uniform(0.05, 0.9)
        c.rect(x + 0.03, sand - 0.1, x + 0.035, sand + 0.12, (90, 70, 50))
        c.poly(c.vary((230, 70, 70), 40), x - 0.02, sand - 0.06, x + 0.085, sand - 0.06, x + 0.0325, sand - 0.14)


def _sea(c: _Canvas, h: float) -> None:
    c.sky(h)
    _water(c, h, 1, (35, 100, 175))
    if c.rng.random() < 0.5:  # a far island
        x = c.rng.uniform(0, 0.8)
        c.ellipse(x, h - 0.04, x + 0.2, h + 0.03, (70, 110, 70))


def _underwater(c: _Canvas, h: float) -> None:
    top, bottom = {"night": ((5, 15, 40), (10, 35, 70))}.get(c.time, ((40, 150, 200), (10, 70, 130)))
    c.gradient(0, h, top, bottom, raw=True)
    if c.time != "night":
        for _ in range(4):  # light rays from the surface
            x = c.rng.uniform(0, 1)
            c.poly([min(255, v + 25) for v in bottom], x, 0, x + 0.06, 0, x + 0.16, h, x + 0.1, h, raw=True)
        c.gradient(0, 0.04, (150, 210, 235), top, raw=True)  # the surface
    c.rect(0, h, 1, 1, (200, 180, 130))
    for _ in range(int(c.rng.integers(3, 7))):  # seaweed and coral
        x = c.rng.uniform(0, 1)
        if c.rng.random() < 0.5:
            c.poly((40, 140, 70), x, h + 0.03, x + 0.015, h - 0.25, x + 0.03, h + 0.03)
        else:
            c.ellipse(x, h - 0.08, x + 0.07, h + 0.03, c.vary((230, 110, 120), 40))
    for _ in range(int(c.rng.integers(5, 12))):  # bubbles
        x, y = c.rng.uniform(0, 1), c.rng.uniform(0.05, h)
        c.ellipse(x, y, x + 0.008, y + 0.014, (200, 235, 250))


def _tree(c: _Canvas, x: float, ground: float, height: float, leaves: Sequence[float], pine: bool = False) -> None:
    w = height * 0.35
    c.rect(x + w * 0.42, ground - height * 0.35, x + w * 0.58, ground + 0.01, (90, 60, 35))
    if pine:
        c.poly(leaves, x, ground - height * 0.25, x + w, ground - height * 0.25, x + w / 2, ground - height)
    else:
        c.ellipse(x, ground - height, x + w, ground - height * 0.3, leaves)


def _forest(c: _Canvas, h: float) -> None:
    c.sky(h)
    for _ in range(10):  # far trees
        _tree(c, c.rng.uniform(-0.05, 1), h + 0.01, c.rng.uniform(0.3, 0.45), (50, 95, 60))
    c.rect(0, h, 1, 1, (70, 110, 50))
    for _ in range(int(c.rng.integers(3, 6))):  # near trunks
        x = c.rng.uniform(-0.05, 1)
        c.rect(x, 0, x + 0.05, h + c.rng.uniform(0.05, 0.2), (95, 65, 40))
    c.rect(0, 0, 1, 0.08, (40, 90, 45))
    for _ in range(8):
        x, y = c.rng.uniform(0, 1), c.rng.uniform(h + 0.03, 1)
        c.ellipse(x, y, x + 0.04, y + 0.03, (50, 95, 40))


def _field(c: _Canvas, h: float) -> None:
    c.sky(h)
    c.ellipse(-0.2, h - 0.08, 0.6, h + 0.2, (110, 165, 90))  # far hills
    c.ellipse(0.4, h - 0.06, 1.3, h + 0.2, (100, 155, 85))
    c.rect(0, h, 1, 1, c.vary((100, 170, 75), 12))
    if c.rng.random() < 0.6:  # a fence
        y = h + 0.06
        c.rect(0, y, 1, y + 0.012, (140, 100, 60))
        for x in np.arange(0.02, 1, 0.08):
            c.rect(x, y - 0.04, x + 0.01, y + 0.06, (140, 100, 60))
    for _ in range(12):
        x, y = c.rng.uniform(0, 1), c.rng.uniform(h + 0.05, 1)
        c.rect(x, y, x + 0.004, y + 0.025, (70, 130, 55))
    for _ in range(int(c.rng.integers(0, 6))):
        x, y = c.rng.uniform(0, 1), c.rng.uniform(h + 0.05, 1)
        c.ellipse(x, y, x + 0.01, y + 0.018, c.vary((240, 220, 80), 40))


def _mountain(c: _Canvas, h: float) -> None:
    c.sky(h)
    x = -0.1
    while x < 1:  # peaks with snow caps
        w, top = c.rng.uniform(0.3, 0.5), c.rng.uniform(0.08, h - 0.2)
        rock = c.vary((115, 110, 120), 15)
        c.poly(rock, x, h + 0.02, x + w / 2, top, x + w, h + 0.02)
        cap = (h - top) * 0.3
        c.poly((245, 245, 250), x + w / 2 - w * 0.15 * cap / (h - top) * 2, top + cap, x + w / 2, top,
               x + w / 2 + w * 0.15 * cap / (h - top) * 2, top + cap)
        x += w * 0.6
    c.rect(0, h, 1, 1, (120, 125, 95))
    for _ in range(6):
        x, y = c.rng.uniform(0, 1), c.rng.uniform(h + 0.05, 1)
        c.poly((140, 135, 130), x, y + 0.04, x + 0.02, y, x + 0.05, y + 0.01, x + 0.06, y + 0.04)


def _snow(c: _Canvas, h: float) -> None:
    c.sky(h)
    c.rect(0, h, 1, 1, (240, 244, 250))
    for _ in range(int(c.rng.integers(2, 4))):
        x = c.rng.uniform(-0.2, 0.9)
        c.ellipse(x, h - 0.05, x + c.rng.uniform(0.4, 0.6), h + 0.12, (225, 232, 245))
    for _ in range(int(c.rng.integers(2, 6))):  # pines with snow
        x, height = c.rng.uniform(-0.05, 1), c.rng.uniform(0.2, 0.35)
        _tree(c, x, h + 0.02, height, (40, 90, 70), pine=True)
        c.poly((245, 248, 252), x + height * 0.12, h + 0.02 - height * 0.7, x + height * 0.23, h + 0.02 - height * 0.7,
               x + height * 0.175, h + 0.02 - height)


def _desert(c: _Canvas, h: float) -> None:
    c.sky(h)
    c.rect(0, h, 1, 1, (230, 190, 120))
    for _ in range(int(c.rng.integers(2, 4))):
        x, y = c.rng.uniform(-0.3, 0.8), c.rng.uniform(h - 0.05, 0.9)
        c.ellipse(x, y, x + c.rng.uniform(0.4, 0.7), y + c.rng.uniform(0.1, 0.2), (215, 170, 100))
    for _ in range(int(c.rng.integers(0, 3))):  # cacti
        x, y = c.rng.uniform(0, 0.95), c.rng.uniform(h, h + 0.1)
        c.rect(x, y - 0.18, x + 0.02, y, (70, 130, 70))
        c.rect(x - 0.02, y - 0.12, x, y - 0.1, (70, 130, 70))
        c.rect(x - 0.02, y - 0.16, x - 0.01, y - 0.1, (70, 130, 70))


PAINTERS: dict[str, Callable[[_Canvas, float], None]] = {
    "bedroom": _bedroom, "kitchen": _kitchen, "stairwell": _stairwell, "garage": _garage, "restaurant": _restaurant,
    "office": _office, "shop": _shop, "street": _street, "beach": _beach, "sea": _sea, "underwater": _underwater,
    "forest": _forest, "field": _field, "mountain": _mountain, "snow": _snow, "desert": _desert,
}


def draw_setting(setting: str, time: str, seed: int, size: Size) -> tuple[Image.Image, float]:
    """The setting's picture at `size` (drawn at that size) and its horizon (share of the height)."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}; the world has {', '.join(SETTINGS)}")
    if time not in TIMES:
        raise ValueError(f"unknown time of day {time!r}; use one of {', '.join(TIMES)}")
    rng = np.random.default_rng([seed, 0x5E77])
    horizon = float(rng.uniform(*SETTINGS[setting].horizon))
    canvas = _Canvas(size, time, SETTINGS[setting].indoor, rng)
    PAINTERS[setting](canvas, horizon)
    return canvas.image, horizon


# Clips --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldEntity:
    """One thing in a clip: who it is, how it looks, and how it moves over s in [0, 1]."""

    id: str
    look: Look
    start: BoxTuple  # box at s = 0
    end: BoxTuple  # box at s = 1
    visible: tuple[float, float] = (0.0, 1.0)  # shown while visible[0] <= s <= visible[1]
    steps: int = 0  # walk pose changes over the clip (0: standing still)

    @property
    def kind(self) -> str:
        return self.look.kind

    @property
    def facing(self) -> int:
        """1 (right) or -1 (left): the way it moves, right when it stands still."""
        return -1 if self.end[0] + self.end[2] < self.start[0] + self.start[2] - 0.01 else 1

    def box(self, s: float) -> BoxTuple | None:
        if not self.visible[0] <= s <= self.visible[1]:
            return None
        return tuple(a + (b - a) * s for a, b in zip(self.start, self.end))  # type: ignore[return-value]

    def phase(self, s: float) -> int:
        return int(s * self.steps) % 2 if self.steps else 0


@dataclass
class Clip:
    seed: int
    setting: str  # a key of SETTINGS
    time: str  # one of TIMES
    entities: tuple[WorldEntity, ...]
    caption_variant: int = 0
    _settings: dict[Size, tuple[Image.Image, float]] = field(default_factory=dict, repr=False)

    @property
    def caption(self) -> str:
        return caption(self.setting, self.time, self.caption_variant)

    @property
    def horizon(self) -> float:
        return self._setting(FRAME)[1]

    def _setting(self, size: Size) -> tuple[Image.Image, float]:
        if size not in self._settings:
            self._settings[size] = draw_setting(self.setting, self.time, self.seed, (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE))
        return self._settings[size]

    def layout(self, s: float) -> list[tuple[int, BoxTuple]]:
        """(entity index, box) of every entity visible at s, in drawing order (larger boxes first)."""
        visible = [(i, box) for i, e in enumerate(self.entities) if (box := e.box(s)) is not None and _in_frame(box)]
        return sorted(visible, key=lambda item: -_area(item[1]))

    def _draw(self, s: float, size: Size, poses_at: float | Mapping[int, float] | None = None) -> tuple[Image.Image, np.ndarray]:
        """The frame at s (at SUPERSAMPLE times `size`) and a label map (entity index + 1, 0: setting); each
        walking figure in its pose at `poses_at` if given (a time, or a time per entity index), else at s."""
        picture = self._setting(size)[0].copy()
        big = (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE)
        labels = np.zeros((big[1], big[0]), np.int16)
        for i, box in self.layout(s):
            e = self.entities[i]
            x0, y0 = round(box[0] * big[0]), round(box[1] * big[1])
            x1, y1 = round(box[2] * big[0]), round(box[3] * big[1])
            if isinstance(poses_at, Mapping):
                posed = poses_at.get(i, s)
            else:
                posed = s if poses_at is None else poses_at
            layer = figure_layer(e.look, x1 - x0, y1 - y0, phase=e.phase(posed), facing=e.facing)
            picture.paste(layer, (x0, y0), layer)
            alpha = np.asarray(layer)[..., 3] > 127
            ya, xa = max(0, -y0), max(0, -x0)
            yb, xb = min(alpha.shape[0], big[1] - y0), min(alpha.shape[1], big[0] - x0)
            if yb > ya and xb > xa:
                region = labels[y0 + ya : y0 + yb, x0 + xa : x0 + xb]
                region[alpha[ya:yb, xa:xb]] = i + 1
        return picture, labels

    def frame(self, s: float, size: Size = FRAME, poses_at: float | Mapping[int, float] | None = None) -> np.ndarray:
        """The frame at s: (height, width, 3) uint8. With `poses_at`, every walking figure is drawn in the pose
        it has at that time instead, or, given a time per entity index, each entity named there in its pose at
        its time (the infill model's training target: see `train._ResidualInfill`)."""
        picture, _ = self._draw(s, size, poses_at)
        return np.asarray(picture.resize(size, Image.Resampling.BOX), dtype=np.uint8)

    def masks(self, s: float, size: Size = FRAME) -> np.ndarray:
        """(entities, height, width) bool: the pixels each entity shows at s (more than half covered)."""
        _, labels = self._draw(s, size)
        share = np.stack([(labels == i + 1) for i in range(len(self.entities))]).astype(np.float32)
        share = share.reshape(len(self.entities), size[1], SUPERSAMPLE, size[0], SUPERSAMPLE).mean(axis=(2, 4))
        return share > 0.5

    def setting_frame(self, size: Size = FRAME) -> np.ndarray:
        return np.asarray(self._setting(size)[0].resize(size, Image.Resampling.BOX), dtype=np.uint8)


def _in_frame(box: BoxTuple) -> bool:
    return box[0] < 1 and box[1] < 1 and box[2] > 0 and box[3] > 0


def _area(box: BoxTuple) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


# Kinds that may be in a clip, with the weights they are drawn with: the figures a story is mostly about
# (people, animals, vehicles) often, the props of the v2 sprites less.
FIGURE_KINDS = ("person", "child", "dog", "cat", "fox", "horse", "cow", "sheep", "bear", "car", "bus", "truck")


def kind_weights() -> np.ndarray:
    weights = np.array([6.0 if k in ("person", "child") else 2.0 if k in FIGURE_KINDS else 0.5 for k in KINDS])
    return weights / weights.sum()


def sample_box(rng: np.random.Generator, kind: str, horizon: float, frame: Size = FRAME) -> BoxTuple:
    """A box for a `kind`: its own proportions (a person taller than wide), standing on the ground or floor
    further down the nearer it is, sometimes anywhere (planners put things in unusual places too)."""
    prior = CATEGORY_PRIORS.get(kind, DEFAULT_PRIOR)
    frame_aspect = frame[0] / frame[1]
    h = float(np.clip(prior.height * rng.uniform(0.6, 1.5), MIN_SIDE + 0.02, 0.9))
    w = h * prior.aspect * rng.uniform(0.9, 1.1) / frame_aspect
    if w > 0.9:
        h, w = h * 0.9 / w, 0.9
    w = max(w, MIN_SIDE)
    x0 = float(rng.uniform(0, 1 - w))
    if prior.placement == "sky" and rng.random() < 0.7:
        y0 = float(rng.uniform(0, max(0.0, min(horizon, 0.8) - h)))
    elif rng.random() < 0.75:  # on the ground, feet below the horizon
        bottom = float(rng.uniform(min(horizon + 0.05, 0.98), 1.0))
        y0 = max(0.0, bottom - h)
    else:
        y0 = float(rng.uniform(0, 1 - h))
    return (x0, y0, x0 + w, min(1.0, y0 + h))


def _move(rng: np.random.Generator, box: BoxTuple) -> BoxTuple:
    if rng.random() < 0.3:  # stays (almost) still
        dx, dy, scale = rng.normal(0, 0.01), rng.normal(0, 0.005), 1.0
    else:
        dx, dy, scale = rng.uniform(-0.7, 0.7), rng.uniform(-0.06, 0.06), rng.uniform(0.85, 1.15)
    x0, y0, x1, y1 = box
    w, h = min(max((x1 - x0) * scale, MIN_SIDE), 0.95), min(max((y1 - y0) * scale, MIN_SIDE), 0.95)
    cx = float(np.clip((x0 + x1) / 2 + dx, w / 2, 1 - w / 2))
    cy = float(np.clip((y0 + y1) / 2 + dy, h / 2, 1 - h / 2))
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def sample_clip(
    seed: int,
    *,
    num_entities: int | None = None,
    kinds: Sequence[str] | None = None,
    setting: str | None = None,
    time: str | None = None,
    cast: Sequence[CastMember] | None = None,
) -> Clip:
    """The clip of this seed. Optional arguments pin what it shows (for benchmarks and tests); `cast`
    gives the story's members (the clip shows the first `num_entities` of them, in their story looks)."""
    rng = np.random.default_rng([seed, 0x7E18])
    setting = setting or str(rng.choice(list(SETTINGS)))
    time = time or str(rng.choice(TIMES, p=[0.15, 0.5, 0.15, 0.2]))
    clip = Clip(seed, setting, time, (), caption_variant=int(rng.integers(0, 4)))
    if cast is None:
        count = num_entities or int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.25, 0.1]))
        picked = [kinds[k % len(kinds)] if kinds else str(rng.choice(KINDS, p=kind_weights())) for k in range(count)]
        cast = [CastMember(f"e{seed}_{k}_{kind}", kind) for k, kind in enumerate(picked)]  # ids as a storyboard spells them
    else:
        cast = list(cast)[: num_entities or len(cast)]
    looks = cast_looks(cast)
    entities = []
    for member in cast:
        start = sample_box(rng, member.kind, clip.horizon)
        end = _move(rng, start)
        visible = (0.0, 1.0)
        r = rng.random()
        if r < 0.12:
            visible = (float(rng.uniform(0.15, 0.7)), 1.0)
        elif r < 0.24:
            visible = (0.0, float(rng.uniform(0.3, 0.85)))
        moving = math.dist(start[:2], end[:2]) > 0.05
        steps = int(rng.integers(2, 9)) if moving else 0
        entities.append(WorldEntity(member.id, looks[member.id], start, end, visible, steps))
    clip.entities = tuple(entities)
    return clip


CLOSER_SIZES = ("full", "medium", "close_up")  # the shot sizes whose figures are larger than the world's own
CLOSER_SUBJECTS = tuple(k for k in FIGURE_KINDS if k not in ("car", "bus", "truck"))  # whom storyboards frame so


def closer(clip: Clip, size: str) -> Clip:
    """`clip` through a camera closer in on its first person or animal (CLOSER_SUBJECTS), a shot
    of `size` (one of CLOSER_SIZES) framed as `director.camera` frames it, on the figure's box halfway through
    the time it is in the clip. Every entity's boxes are in that view's frame coordinates, not clipped: a
    medium shot's person has a box running far below the frame, which shows its top half. The figure's own
    track is shortened by the view's side, so it moves across the frame as far as the world's figures do
    (the camera follows it a little); the others move as the camera sees them. The setting stays as drawn
    (the view does not zoom it). A clip with neither comes back as it was."""
    subject = next((e for e in clip.entities if e.kind in CLOSER_SUBJECTS), None)
    if subject is None:
        return clip
    x0, y0, x1, y1 = subject.box(sum(subject.visible) / 2)
    view = view_on(Box(x0=x0, y0=y0, x1=x1, y1=y1), size, sides=(0.0, math.inf))  # any side: the world's boxes are small
    side = view.size

    def seen(box: BoxTuple) -> BoxTuple:
        return view.whole_box(Box(x0=box[0], y0=box[1], x1=box[2], y1=box[3]))

    def shortened(e: WorldEntity) -> tuple[BoxTuple, BoxTuple]:
        if e is not subject:
            return e.start, e.end
        middle = (x0, y0, x1, y1)
        return tuple(tuple(m + (b - m) * side for m, b in zip(middle, end)) for end in (e.start, e.end))  # type: ignore[return-value]

    entities = []
    for e in clip.entities:
        start, end = shortened(e)
        entities.append(WorldEntity(e.id, e.look, seen(start), seen(end), e.visible, e.steps))
    return Clip(clip.seed, clip.setting, clip.time, tuple(entities), clip.caption_variant)


def training_clip(seed: int, closer_share: float) -> Clip:
    """The clip training draws for `seed`: `sample_clip(seed)`, and for `closer_share` of seeds (drawn from the
    seed alone) the same clip through a closer camera (`closer`: full, medium or close-up, a third each)."""
    clip = sample_clip(seed)
    rng = np.random.default_rng([seed, 0xC105E])
    if closer_share > 0 and rng.random() < closer_share:
        return closer(clip, str(rng.choice(CLOSER_SIZES)))
    return clip
