"""Identity by design: every cast member's look, chosen across the whole cast.

A *look* is how one identity is drawn in every scene of a story: its palette
(main colour, second colour, skin, hair) and its features (hair style, what
covers the legs, the marking of an animal's coat). What `main` and `second`
colour depends on the kind: a person's top and trousers or skirt, an animal's
coat and its marking, a vehicle's body and its trim; a prop is drawn in `main`.

`cast_looks` gives a whole cast its looks at once, so that no two members of
one story look alike: each member has its own candidate looks (a pure function
of its id), and the members, taken in an order fixed by their ids alone (not by
where they appear in the storyboard), each pick the candidate farthest from the
looks already picked (greedy max-min, a farthest-point sampling), distances
measured in CIELAB (CIE76 delta E, near enough to perception for flat colours).
A colour the script states ("the red car") is kept: it pins `main`, and the
other parts are still chosen to stand apart.

So the same cast gives the same looks in any storyboard order, and a look
depends on nothing a scene says (setting, time, camera).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from director.drawing import COLOR_NAMES
from renderers.tiny.sprites import NATURAL_COLORS

RGB = tuple[int, int, int]

PEOPLE = ("person", "child")
HAIR_STYLES = ("short", "long", "afro", "bald", "ponytail", "spiky")
LOWER_STYLES = ("trousers", "skirt", "shorts")
MARKINGS = ("none", "belly", "patch", "spots")

# Natural skin tones, light to dark (sRGB, Fitzpatrick I-VI as flat storybook colours).
SKIN_TONES: tuple[RGB, ...] = (
    (250, 218, 190), (238, 196, 160), (222, 172, 130), (198, 140, 100), (160, 105, 70), (120, 78, 52), (90, 58, 40),
)
# Hair: black, dark brown, brown, auburn, ginger, blonde, platinum, gray, and a few dyed colours.
HAIR_COLORS: tuple[RGB, ...] = (
    (30, 25, 25), (70, 45, 30), (115, 75, 45), (140, 60, 35), (200, 100, 40), (225, 190, 110), (240, 230, 200),
    (160, 160, 160), (60, 90, 200), (220, 90, 160), (80, 170, 110),
)
# Natural coats of animals whose script gives no colour.
COATS: dict[str, tuple[RGB, ...]] = {
    "dog": ((140, 90, 50), (220, 175, 90), (35, 35, 40), (245, 240, 230), (190, 120, 60), (120, 120, 125)),
    "cat": ((240, 140, 30), (35, 35, 40), (150, 150, 155), (245, 240, 230), (140, 90, 50)),
    "horse": ((140, 90, 50), (90, 55, 35), (35, 35, 40), (245, 240, 230), (180, 150, 110)),
    "cow": ((245, 240, 230), (140, 90, 50), (35, 35, 40)),
    "sheep": ((245, 240, 230), (225, 215, 195)),
    "bear": ((110, 70, 40), (35, 35, 40), (245, 245, 240)),
    "fox": ((230, 110, 30),),
    "rabbit": ((245, 240, 230), (150, 150, 155), (150, 105, 70)),
}
MARKING_COLORS: tuple[RGB, ...] = ((245, 240, 230), (35, 35, 40), (140, 90, 50), (220, 175, 90))
CANDIDATES = 48  # looks tried per member: enough for a 20-person cast to stay well apart (see the tests)


@dataclass(frozen=True)
class Look:
    """How one identity is drawn: the same in every scene of its story."""

    kind: str
    main: RGB
    second: RGB
    skin: RGB = SKIN_TONES[1]
    hair: RGB = HAIR_COLORS[0]
    hair_style: str = "short"
    lower_style: str = "trousers"
    marking: str = "none"

    @property
    def palette(self) -> tuple[RGB, ...]:
        """The colours this look paints, largest part first."""
        if self.kind in PEOPLE:
            return (self.main, self.second, self.skin, self.skin if self.hair_style == "bald" else self.hair)
        return (self.main, self.second)


@dataclass(frozen=True)
class CastMember:
    """What a story says about one identity: its id, its kind, and a colour if the script gives one."""

    id: str
    kind: str
    color: RGB | None = None


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB 0-255 -> CIELAB (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    matrix = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear @ matrix.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """(..., 3) CIELAB (D65) -> sRGB 0-255, clipped to the gamut."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * np.array([0.95047, 1.0, 1.08883])
    inverse = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
    linear = np.clip(xyz @ inverse.T, 0, 1)
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(np.round(c * 255), 0, 255)


# How much each part of a look counts when two looks are compared: its share of the drawn figure.
PART_WEIGHTS: dict[str, tuple[float, ...]] = {"people": (0.40, 0.25, 0.15, 0.20), "other": (0.7, 0.3)}
FEATURE_STEP = 12.0  # delta E that a different hair style, leg cover or marking counts for
OTHER_KIND = 100.0  # looks of different kinds are told apart by shape; they never crowd each other


def look_distance(a: Look, b: Look) -> float:
    """Perceptual distance of two looks: delta E of each part, weighted by its area, plus feature changes."""
    if a.kind != b.kind:
        return OTHER_KIND
    weights = PART_WEIGHTS["people" if a.kind in PEOPLE else "other"]
    delta = np.linalg.norm(srgb_to_lab(np.array(a.palette)) - srgb_to_lab(np.array(b.palette)), axis=-1)
    colour = float(np.sqrt(np.sum(np.array(weights) * delta**2)))
    features = (a.hair_style != b.hair_style) + (a.lower_style != b.lower_style) if a.kind in PEOPLE else a.marking != b.marking
    return colour + FEATURE_STEP * float(features)


def _rng(identity: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big"))


def _clothing(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count, 3) clothing colours: any hue, dark to light, muted to vivid (sampled in CIE LCh)."""
    lightness, chroma, hue = rng.uniform(25, 88, count), rng.uniform(10, 75, count), rng.uniform(0, 2 * np.pi, count)
    return lab_to_srgb(np.stack([lightness, chroma * np.cos(hue), chroma * np.sin(hue)], axis=-1))


def _shades(colors: np.ndarray, rng: np.random.Generator, spread: int) -> list[RGB]:
    """Each colour of (count, 3) moved by up to `spread` per channel: a personal shade."""
    moved = np.clip(colors + rng.integers(-spread, spread + 1, colors.shape), 0, 255).astype(int)
    return [tuple(int(v) for v in c) for c in moved]  # type: ignore[misc]


def candidate_looks(member: CastMember, count: int = CANDIDATES) -> list[Look]:
    """The looks a member may get: a pure function of its id, kind and stated colour."""
    rng = _rng(f"{member.kind}/{member.id}")
    stated = None if member.color is None else np.tile(np.array(member.color, float), (count, 1))
    if member.kind in PEOPLE:
        main = _shades(stated, rng, 6) if stated is not None else _shades(_clothing(rng, count), rng, 0)
        second = _shades(_clothing(rng, count), rng, 0)
        skin = _shades(np.array(SKIN_TONES, float)[rng.integers(len(SKIN_TONES), size=count)], rng, 6)
        hair = _shades(np.array(HAIR_COLORS, float)[rng.integers(len(HAIR_COLORS), size=count)], rng, 8)
        styles = rng.choice(HAIR_STYLES, count)
        lowers = rng.choice(LOWER_STYLES, count, p=[0.55, 0.25, 0.2])
        return [Look(member.kind, main[k], second[k], skin=skin[k], hair=hair[k], hair_style=str(styles[k]),
                     lower_style=str(lowers[k])) for k in range(count)]
    if member.kind in COATS:
        coats = np.array(COATS[member.kind], float)
        main = _shades(stated if stated is not None else coats[rng.integers(len(coats), size=count)], rng, 10)
        second = _shades(np.array(MARKING_COLORS, float)[rng.integers(len(MARKING_COLORS), size=count)], rng, 10)
        markings = rng.choice(MARKINGS, count)
        return [Look(member.kind, main[k], second[k], marking=str(markings[k])) for k in range(count)]
    if stated is None and member.kind in NATURAL_COLORS:  # a tree is green, the sun yellow: the v2 sprites' colours
        natural = np.array([COLOR_NAMES[name] for name in NATURAL_COLORS[member.kind]], float)
        stated = natural[rng.integers(len(natural), size=count)]
    main = _shades(stated, rng, 10) if stated is not None else _shades(_clothing(rng, count), rng, 0)
    second = _shades(_clothing(rng, count), rng, 0)
    return [Look(member.kind, main[k], second[k]) for k in range(count)]


def cast_looks(cast: Sequence[CastMember]) -> dict[str, Look]:
    """Each member's look, chosen across the cast so that no two look alike (greedy max-min delta E).

    The result depends on the set of members, never on their order."""
    ids = [m.id for m in cast]
    if len(set(ids)) != len(ids):
        raise ValueError(f"cast ids must be unique, got {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    order = sorted(cast, key=lambda m: hashlib.sha256(m.id.encode()).hexdigest())
    chosen: dict[str, Look] = {}
    for member in order:
        candidates = candidate_looks(member)
        rivals = [look for look in chosen.values() if look.kind == member.kind]
        if not rivals:
            chosen[member.id] = candidates[0]
            continue
        spread = _distances(candidates, rivals).min(axis=1)  # (candidates,) distance to the nearest look picked
        chosen[member.id] = candidates[int(np.argmax(spread))]
    return {m.id: chosen[m.id] for m in cast}


def _distances(a: Sequence[Look], b: Sequence[Look]) -> np.ndarray:
    """(len(a), len(b)) `look_distance` of every pair, for looks of one kind, vectorised."""
    weights = np.array(PART_WEIGHTS["people" if a[0].kind in PEOPLE else "other"])
    lab_a, lab_b = srgb_to_lab(np.array([x.palette for x in a])), srgb_to_lab(np.array([y.palette for y in b]))  # (n, parts, 3)
    delta = np.linalg.norm(lab_a[:, None] - lab_b[None], axis=-1)  # (len(a), len(b), parts)
    colour = np.sqrt((weights * delta**2).sum(-1))
    if a[0].kind in PEOPLE:
        features = sum(np.array([getattr(x, f) for x in a])[:, None] != np.array([getattr(y, f) for y in b])[None]
                       for f in ("hair_style", "lower_style"))
    else:
        features = np.array([x.marking for x in a])[:, None] != np.array([y.marking for y in b])[None]
    return colour + FEATURE_STEP * features


def named_color(name: str | None) -> RGB | None:
    """The RGB of a colour word the script gives ('red'), or None for no word or one we do not know."""
    return COLOR_NAMES.get(name.lower()) if name else None
