"""Pillow drawing shared by the animatic renderer and the assembler's pictures:
fonts, identity colours, labelled boxes and wrapped text.

Fonts come from Pillow itself (its embedded scalable default font), so nothing
depends on the fonts a machine happens to have.
"""

from __future__ import annotations

import colorsys
import hashlib
from functools import lru_cache

from PIL import ImageDraw, ImageFont

from director.storyboard import Box, Entity

RGB = tuple[int, int, int]

COLOR_NAMES: dict[str, RGB] = {
    "red": (214, 48, 49),
    "orange": (240, 140, 30),
    "yellow": (245, 210, 40),
    "green": (60, 170, 70),
    "blue": (40, 100, 220),
    "purple": (140, 70, 190),
    "pink": (240, 120, 180),
    "brown": (140, 90, 50),
    "black": (35, 35, 40),
    "white": (245, 245, 245),
    "gray": (140, 140, 145),
    "grey": (140, 140, 145),
    "golden": (220, 175, 50),
    "gold": (220, 175, 50),
    "silver": (190, 195, 200),
}


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def identity_color(entity: Entity) -> RGB:
    """The entity's colour: its stated colour attribute, else a stable hue from its id.
    The same identity gets the same colour in every scene."""
    named = COLOR_NAMES.get(entity.attributes.get("color", "").lower())
    if named:
        return named
    digest = hashlib.sha256(entity.id.encode()).digest()
    hue = digest[0] / 255
    r, g, b = colorsys.hls_to_rgb(hue, 0.55, 0.65)
    return (int(r * 255), int(g * 255), int(b * 255))


def text_on(color: RGB) -> RGB:
    """Black or white, whichever reads better on `color`."""
    luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    return (20, 20, 20) if luminance > 140 else (250, 250, 250)


def pixel_box(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    return (round(box.x0 * width), round(box.y0 * height), round(box.x1 * width) - 1, round(box.y1 * height) - 1)


def draw_labelled_box(
    draw: ImageDraw.ImageDraw,
    box: Box,
    label: str,
    color: RGB,
    size: tuple[int, int],
    *,
    fill_alpha: int = 0,
    line_width: int = 2,
) -> None:
    """Outline (and optionally fill, on an RGBA draw) a box, with its label in a tab at the top-left."""
    width, height = size
    x0, y0, x1, y1 = pixel_box(box, width, height)
    if fill_alpha:
        draw.rectangle((x0, y0, x1, y1), fill=(*color, fill_alpha))
    draw.rectangle((x0, y0, x1, y1), outline=(*color, 255), width=line_width)
    label_font = font(max(9, height // 24))
    left, top, right, bottom = draw.textbbox((0, 0), label, font=label_font)
    tab_w, tab_h = right - left + 6, bottom - top + 4
    ty = y0 - tab_h if y0 - tab_h >= 0 else y0
    draw.rectangle((x0, ty, x0 + tab_w, ty + tab_h), fill=(*color, 255))
    draw.text((x0 + 3 - left, ty + 2 - top), label, font=label_font, fill=(*text_on(color), 255))


def wrap_text(draw: ImageDraw.ImageDraw, text: str, text_font, max_width: int) -> list[str]:
    """Greedy word wrap to `max_width` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=text_font) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
