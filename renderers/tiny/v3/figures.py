"""The figures of the v3 world: every kind drawn so that its shape says what it is.

A figure is drawn into its own transparent layer the size of its box, facing
right; `figure_layer` mirrors it when it faces left. The layer's alpha is the
figure's mask, which is how the world knows exactly which pixels each entity
covers (for occlusion, crops and the tests).

- people (person, child): head, hair in one of the look's styles, neck, torso
  and arms in the main colour, hands, trousers / shorts / skirt in the second
  colour, shoes; a child has a larger head for its height. Two walking poses.
- quadrupeds (dog, cat, fox, horse, cow, sheep, bear): body, head with ears and
  snout, tail, and four legs in four separate columns (two poses), the coat's
  marking (belly, patch, spots) in the second colour.
- vehicles (car, bus, truck): body, windows, a trim stripe in the second colour,
  and wheels with hubs.
- everything else: the v2 sprite of `renderers.tiny.sprites`, in the main colour.

Coordinates inside a figure are (u, v) in [0, 1] of its box, v downwards.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw, ImageOps

from renderers.tiny.sprites import SPRITES
from renderers.tiny.v3.looks import PEOPLE, Look
from renderers.tiny.world import draw_sprite

RGB = tuple[int, int, int]
QUADRUPEDS = ("dog", "cat", "fox", "horse", "cow", "sheep", "bear")
VEHICLES = ("car", "bus", "truck")
SHOE: RGB = (40, 35, 35)
EYE: RGB = (20, 20, 25)
TYRE: RGB = (30, 30, 32)
HUB: RGB = (175, 175, 180)
GLASS: RGB = (165, 210, 240)
LIGHT: RGB = (250, 220, 90)


def shade(color: RGB, factor: float) -> RGB:
    return tuple(int(max(0, min(255, c * factor))) for c in color)  # type: ignore[return-value]


class _Pen:
    """Draws shapes given in box coordinates (u, v) onto a layer of `width` x `height` pixels."""

    def __init__(self, layer: Image.Image) -> None:
        self.draw = ImageDraw.Draw(layer)
        self.w, self.h = layer.size

    def _xy(self, u: float, v: float) -> tuple[float, float]:
        return (u * self.w, v * self.h)

    def rect(self, u0: float, v0: float, u1: float, v1: float, color: RGB) -> None:
        (a, b), (c, d) = self._xy(u0, v0), self._xy(u1, v1)
        self.draw.rectangle((a, b, max(a, c - 1), max(b, d - 1)), fill=(*color, 255))

    def ellipse(self, u0: float, v0: float, u1: float, v1: float, color: RGB) -> None:
        (a, b), (c, d) = self._xy(u0, v0), self._xy(u1, v1)
        self.draw.ellipse((a, b, max(a, c - 1), max(b, d - 1)), fill=(*color, 255))

    def poly(self, color: RGB, *points: float) -> None:
        self.draw.polygon([self._xy(points[k], points[k + 1]) for k in range(0, len(points), 2)], fill=(*color, 255))

    def line(self, color: RGB, width: float, *points: float) -> None:
        px = max(1, round(width * min(self.w, self.h)))
        self.draw.line([self._xy(points[k], points[k + 1]) for k in range(0, len(points), 2)], fill=(*color, 255), width=px)


# People -------------------------------------------------------------------------------------------


def _person(pen: _Pen, look: Look, phase: int) -> None:
    head = 0.24 if look.kind == "child" else 0.16  # head height, a share of the figure's height
    rest = 1 - head
    shoulders, waist = head + 0.03 * rest, head + 0.44 * rest
    sole = 1 - 0.05 * rest
    hair, skin, top, lower = look.hair, look.skin, look.main, look.second
    style = look.hair_style
    # hair behind the head
    if style == "long":
        pen.rect(0.22, head * 0.35, 0.78, head + 0.16 * rest, hair)
    elif style == "afro":
        pen.ellipse(0.14, 0.0, 0.86, head * 1.05, hair)
    elif style == "ponytail":
        pen.ellipse(0.68, head * 0.3, 0.92, head + 0.08 * rest, hair)
    # legs
    if look.lower_style == "skirt":
        hem = waist + 0.3 * (sole - waist)
        _legs(pen, phase, hem, sole, skin)
        pen.poly(lower, 0.26, waist, 0.74, waist, 0.86, hem, 0.14, hem)
    elif look.lower_style == "shorts":
        knee = waist + 0.4 * (sole - waist)
        _legs(pen, phase, waist, sole, skin)
        _legs(pen, phase, waist, knee, lower)
        pen.rect(0.26, waist - 0.01, 0.74, waist + 0.06, lower)
    else:
        _legs(pen, phase, waist, sole, lower)
        pen.rect(0.26, waist - 0.01, 0.74, waist + 0.06, lower)
    _shoes(pen, phase, sole)
    # arms, swinging a little with the walk
    swing = 0.02 if phase else 0.0
    pen.rect(0.05, shoulders + 0.01 + swing, 0.19, waist - 0.02 + swing, shade(top, 0.82))
    pen.rect(0.81, shoulders + 0.01 - swing, 0.95, waist - 0.02 - swing, shade(top, 0.82))
    pen.ellipse(0.05, waist - 0.04 + swing, 0.19, waist + 0.03 + swing, skin)
    pen.ellipse(0.81, waist - 0.04 - swing, 0.95, waist + 0.03 - swing, skin)
    # torso, neck, head
    pen.poly(top, 0.17, shoulders, 0.83, shoulders, 0.76, waist + 0.02, 0.24, waist + 0.02)
    pen.rect(0.43, head * 0.9, 0.57, shoulders + 0.01, shade(skin, 0.9))
    pen.ellipse(0.27, 0.0, 0.73, head, skin)
    pen.ellipse(0.37, head * 0.45, 0.45, head * 0.6, EYE)
    pen.ellipse(0.55, head * 0.45, 0.63, head * 0.6, EYE)
    # hair on top
    if style in ("short", "long", "ponytail"):
        pen.ellipse(0.26, -head * 0.08, 0.74, head * 0.42, hair)
    elif style == "afro":
        pen.ellipse(0.20, -head * 0.05, 0.80, head * 0.35, hair)
    elif style == "spiky":
        pen.poly(hair, 0.26, head * 0.4, 0.28, 0.0, 0.38, head * 0.2, 0.45, 0.0, 0.52, head * 0.2, 0.6, 0.0,
                 0.66, head * 0.2, 0.74, 0.0, 0.74, head * 0.4)


def _legs(pen: _Pen, phase: int, top: float, bottom: float, color: RGB) -> None:
    if phase == 0:  # standing: two straight legs
        pen.rect(0.28, top, 0.47, bottom, color)
        pen.rect(0.53, top, 0.72, bottom, color)
    else:  # mid-stride: legs apart
        pen.poly(color, 0.28, top, 0.48, top, 0.32, bottom, 0.12, bottom)
        pen.poly(color, 0.52, top, 0.72, top, 0.88, bottom, 0.68, bottom)


def _shoes(pen: _Pen, phase: int, sole: float) -> None:
    if phase == 0:
        pen.ellipse(0.24, sole - 0.01, 0.48, 1.0, SHOE)
        pen.ellipse(0.52, sole - 0.01, 0.76, 1.0, SHOE)
    else:
        pen.ellipse(0.08, sole - 0.01, 0.34, 1.0, SHOE)
        pen.ellipse(0.66, sole - 0.01, 0.92, 1.0, SHOE)


# Quadrupeds ---------------------------------------------------------------------------------------

# body (u0, v0, u1, v1), head (u0, v0, u1, v1), leg top v, leg width u, ears, tail
_QUADRUPED: dict[str, tuple[tuple[float, ...], tuple[float, ...], float, float, str, str]] = {
    "dog": ((0.10, 0.30, 0.80, 0.70), (0.66, 0.02, 0.98, 0.42), 0.60, 0.10, "floppy", "up"),
    "cat": ((0.12, 0.42, 0.78, 0.74), (0.64, 0.16, 0.94, 0.50), 0.66, 0.09, "pointed", "curl"),
    "fox": ((0.14, 0.40, 0.78, 0.70), (0.64, 0.14, 1.00, 0.46), 0.62, 0.08, "pointed", "bushy"),
    "horse": ((0.10, 0.26, 0.78, 0.56), (0.76, 0.00, 1.00, 0.24), 0.50, 0.08, "small", "down"),
    "cow": ((0.08, 0.24, 0.82, 0.66), (0.78, 0.14, 1.00, 0.46), 0.60, 0.10, "horns", "down"),
    "sheep": ((0.06, 0.14, 0.84, 0.72), (0.74, 0.12, 1.00, 0.48), 0.64, 0.08, "small", "none"),
    "bear": ((0.06, 0.20, 0.84, 0.82), (0.62, 0.00, 0.98, 0.44), 0.70, 0.13, "round", "none"),
}
# Where the four legs stand, in each pose: two back, two front, in separate columns.
_LEG_COLUMNS = ((0.14, 0.30, 0.58, 0.74), (0.10, 0.34, 0.54, 0.78))


def _quadruped(pen: _Pen, look: Look, phase: int) -> None:
    (b0, b1, b2, b3), (h0, h1, h2, h3), leg_top, leg_w, ears, tail = _QUADRUPED[look.kind]
    coat, mark = look.main, look.second
    dark = shade(coat, 0.72)
    legs = dark if look.kind not in ("sheep",) else (45, 40, 40)
    # tail, behind the body
    if tail == "up":
        pen.line(coat, 0.09, b0 + 0.04, b1 + 0.08, b0 - 0.06, b1 - 0.16)
    elif tail == "curl":
        pen.line(coat, 0.07, b0 + 0.04, b1 + 0.08, b0 - 0.08, b1 - 0.10, b0 - 0.04, b1 - 0.36)
    elif tail == "bushy":
        pen.ellipse(0.0, b1 - 0.05, b0 + 0.16, b1 + 0.22, coat)
        pen.ellipse(0.0, b1 - 0.02, 0.06, b1 + 0.12, (245, 240, 230))
    elif tail == "down":
        pen.line(dark, 0.06, b0 + 0.03, b1 + 0.06, b0 - 0.05, b3 + 0.12)
    # legs, in four columns
    for k, u in enumerate(_LEG_COLUMNS[phase]):
        u = b0 + (b2 - b0) * (u - 0.10) / 0.70  # the columns spread over this body's length
        pen.rect(u, leg_top, u + leg_w, 0.96, legs if k % 2 == 0 else shade(legs, 0.9))
        pen.rect(u - 0.01, 0.94, u + leg_w + 0.01, 1.0, shade(legs, 0.6))
    # body and its marking
    if look.kind == "sheep":  # wool in lumps
        for cx, cy in ((0.2, 0.3), (0.45, 0.25), (0.65, 0.3), (0.25, 0.55), (0.5, 0.55), (0.7, 0.55)):
            pen.ellipse(cx - 0.16, cy - 0.16, cx + 0.16, cy + 0.18, coat)
    else:
        pen.ellipse(b0, b1, b2, b3, coat)
    if look.marking == "belly":
        pen.ellipse(b0 + 0.12, b1 + (b3 - b1) * 0.55, b2 - 0.08, b3, mark)
    elif look.marking == "patch":
        pen.ellipse(b0 + 0.18, b1 + 0.04, b0 + 0.45, b1 + (b3 - b1) * 0.6, mark)
    elif look.marking == "spots":
        for cx in (0.3, 0.5, 0.68):
            pen.ellipse(b0 + (b2 - b0) * cx - 0.06, b1 + 0.06, b0 + (b2 - b0) * cx + 0.04, b1 + 0.06 + (b3 - b1) * 0.35, mark)
    # neck (horse, cow), head, ears, snout, eye
    head_color = (45, 40, 40) if look.kind == "sheep" else coat
    if look.kind == "horse":
        pen.poly(coat, b2 - 0.14, b1 + 0.02, h0 + 0.04, h1 + 0.06, h0 + 0.14, h3, b2 - 0.02, b1 + 0.2)
        pen.poly(dark, b2 - 0.14, b1 + 0.0, h0 + 0.02, h1 + 0.04, h0 + 0.06, h1 + 0.12, b2 - 0.10, b1 + 0.06)  # mane
    if ears == "pointed":
        pen.poly(coat, h0 + 0.04, h1 + 0.08, h0 + 0.08, h1 - 0.14, h0 + 0.14, h1 + 0.06)
        pen.poly(coat, h2 - 0.14, h1 + 0.06, h2 - 0.08, h1 - 0.14, h2 - 0.03, h1 + 0.08)
    elif ears == "round":
        pen.ellipse(h0, h1, h0 + 0.1, h1 + 0.12, coat)
        pen.ellipse(h2 - 0.12, h1, h2 - 0.02, h1 + 0.12, coat)
    elif ears == "horns":
        pen.poly((240, 235, 220), h0 + 0.02, h1 + 0.04, h0 - 0.02, h1 - 0.12, h0 + 0.06, h1 + 0.02)
    pen.ellipse(h0, h1, h2, h3, head_color)
    if look.kind in ("fox",):  # a pointed snout
        pen.poly(head_color, h2 - 0.08, h1 + 0.12, 1.0, h1 + 0.24, h2 - 0.08, h3 - 0.02)
    elif look.kind in ("dog", "bear", "cow", "horse"):
        pen.ellipse(h2 - 0.14, h1 + (h3 - h1) * 0.45, 1.0, h3 + 0.02, shade(head_color, 1.12))
    pen.ellipse(h2 - 0.04, h1 + (h3 - h1) * 0.5, h2 + 0.02, h1 + (h3 - h1) * 0.66, EYE)  # nose
    pen.ellipse(h0 + (h2 - h0) * 0.45, h1 + (h3 - h1) * 0.25, h0 + (h2 - h0) * 0.6, h1 + (h3 - h1) * 0.42, EYE)
    if ears == "floppy":
        pen.ellipse(h0 + 0.0, h1 + 0.02, h0 + 0.12, h1 + (h3 - h1) * 0.8, shade(coat, 0.6))
    elif ears == "small":
        pen.poly(head_color, h0 + 0.02, h1 + 0.06, h0 + 0.04, h1 - 0.06, h0 + 0.10, h1 + 0.04)


# Vehicles -----------------------------------------------------------------------------------------


def _wheel(pen: _Pen, u0: float, u1: float, v0: float) -> None:
    pen.ellipse(u0, v0, u1, 1.0, TYRE)
    du, dv = (u1 - u0) * 0.3, (1.0 - v0) * 0.3
    pen.ellipse(u0 + du, v0 + dv, u1 - du, 1.0 - dv, HUB)


def _vehicle(pen: _Pen, look: Look, phase: int) -> None:
    body, trim = look.main, look.second
    if look.kind == "car":
        pen.poly(body, 0.20, 0.42, 0.30, 0.06, 0.70, 0.06, 0.84, 0.42)
        pen.poly(GLASS, 0.27, 0.40, 0.34, 0.13, 0.49, 0.13, 0.49, 0.40)
        pen.poly(GLASS, 0.53, 0.40, 0.53, 0.13, 0.67, 0.13, 0.77, 0.40)
        pen.rect(0.0, 0.38, 1.0, 0.80, body)
        pen.rect(0.0, 0.55, 1.0, 0.61, trim)
        pen.rect(0.93, 0.44, 1.0, 0.52, LIGHT)
        _wheel(pen, 0.10, 0.32, 0.60)
        _wheel(pen, 0.68, 0.90, 0.60)
    elif look.kind == "bus":
        pen.rect(0.0, 0.0, 1.0, 0.84, body)
        for k in range(5):
            pen.rect(0.04 + 0.17 * k, 0.10, 0.17 + 0.17 * k, 0.40, GLASS)
        pen.rect(0.89, 0.10, 0.98, 0.72, GLASS)  # the door
        pen.rect(0.0, 0.50, 0.88, 0.58, trim)
        pen.rect(0.95, 0.74, 1.0, 0.80, LIGHT)
        _wheel(pen, 0.08, 0.24, 0.68)
        _wheel(pen, 0.70, 0.86, 0.68)
    else:  # truck: cargo box in the main colour, cab in the trim colour
        pen.rect(0.0, 0.0, 0.64, 0.78, body)
        pen.rect(0.0, 0.60, 0.64, 0.66, shade(body, 0.7))
        pen.poly(trim, 0.66, 0.78, 0.66, 0.22, 0.86, 0.22, 1.0, 0.46, 1.0, 0.78)
        pen.poly(GLASS, 0.72, 0.28, 0.85, 0.28, 0.95, 0.46, 0.72, 0.46)
        pen.rect(0.96, 0.58, 1.0, 0.66, LIGHT)
        _wheel(pen, 0.06, 0.24, 0.64)
        _wheel(pen, 0.26, 0.44, 0.64)
        _wheel(pen, 0.74, 0.92, 0.64)


# Everything else ----------------------------------------------------------------------------------


def _sprite(layer: Image.Image, look: Look, phase: int) -> None:
    """A v2 sprite (`renderers/tiny/sprites.py`) in the look's main colour; opaque where it paints."""
    w, h = layer.size
    picture, probe = Image.new("RGB", (w, h)), Image.new("RGB", (w, h))
    draw_sprite(ImageDraw.Draw(picture), look.kind, (0, 0, w, h), look.main, phase)
    draw_sprite(ImageDraw.Draw(probe), look.kind, (0, 0, w, h), (255, 255, 255), phase)  # every shape in a non-black shade
    picture.putalpha(probe.convert("L").point(lambda v: 255 if v > 0 else 0))
    layer.alpha_composite(picture.convert("RGBA"))


PAINTERS: dict[str, Callable[[_Pen, Look, int], None]] = {
    **{kind: _person for kind in PEOPLE},
    **{kind: _quadruped for kind in QUADRUPEDS},
    **{kind: _vehicle for kind in VEHICLES},
}
KINDS: tuple[str, ...] = tuple(dict.fromkeys([*PAINTERS, *SPRITES]))  # every kind the world draws


def figure_layer(look: Look, width: int, height: int, *, phase: int = 0, facing: int = 1) -> Image.Image:
    """The figure of `look` filling a `width` x `height` RGBA layer (transparent where it is not)."""
    if look.kind not in KINDS:
        raise ValueError(f"the v3 world cannot draw a {look.kind!r}; it draws {', '.join(KINDS)}")
    layer = Image.new("RGBA", (max(1, width), max(1, height)), (0, 0, 0, 0))
    painter = PAINTERS.get(look.kind)
    if painter is not None:
        painter(_Pen(layer), look, phase)
    else:
        _sprite(layer, look, phase)
    return ImageOps.mirror(layer) if facing < 0 else layer
