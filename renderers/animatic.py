"""The animatic renderer: draws the layout track itself, instantly.

Each frame is the scene's background (a simple painted setting chosen from
the background text: sky, grass, sea, snow, night city, room, desert, forest
...), a translucent labelled box for every visible entity at its box for that
instant, and a speech bubble over whoever is speaking. Colours follow identity:
an entity keeps its colour (its colour attribute when it has one) in every
scene.

Shots: the boxes it is given are in frame coordinates (the shot's camera has
already framed them), so a close-up's subject is simply a large box. A box the
camera cuts at the frame's edge is drawn open on that side (no outline where
the entity goes on out of the frame), and a shot that is not the default wide
static one is named in the top right corner: "CU · pan left", "MS · low angle",
"POV Nora". A default shot draws exactly what a scene without shots drew.

It is a pure function of the frame specs, so `infill` simply draws the
in-between frames from their layouts; the known end frames are not needed.
Used for previews, for the editor, and to test everything around rendering.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any

import numpy as np
from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from director.drawing import RGB, draw_labelled_box, font, identity_color, pixel_box, text_on, wrap_text
from director.errors import InputError, format_validation_error
from director.renderer import FrameSpec, InfillJob, KeyframeRequest, RendererInfo, SceneContext
from director.storyboard import Box, Shot

SIZE_LABELS = {
    "extreme_wide": "EWS", "wide": "WS", "full": "FS", "medium": "MS", "close_up": "CU", "extreme_close_up": "ECU", "insert": "INSERT",
}
"""The abbreviations storyboard artists write in a panel's corner."""
ANGLE_LABELS = {"high": "high angle", "low": "low angle", "overhead": "overhead"}

# (keywords, sky colour, ground colour, horizon as a fraction of the height)
SETTINGS: list[tuple[tuple[str, ...], RGB, RGB, float]] = [
    (("night city", "city at night", "street at night"), (20, 24, 56), (45, 45, 55), 0.62),
    (("snow", "winter", "ice", "arctic"), (200, 215, 235), (245, 248, 252), 0.6),
    (("sea", "ocean", "beach", "lake", "harbor", "harbour", "shore", "river"), (130, 190, 240), (30, 110, 190), 0.55),
    (("desert", "dune", "sand"), (250, 205, 140), (225, 185, 120), 0.58),
    (("forest", "woods", "jungle"), (150, 185, 160), (40, 95, 50), 0.6),
    (("room", "kitchen", "bedroom", "house", "office", "cafe", "coffee", "shop", "int.", "inside", "hall", "library"),
     (225, 210, 185), (150, 110, 75), 0.65),
    (("city", "street", "road", "town"), (160, 195, 230), (110, 110, 115), 0.6),
    (("sky", "clouds", "air"), (120, 180, 240), (150, 200, 245), 0.9),
    (("grass", "park", "garden", "meadow", "field", "farm", "hill", "yard", "ext."), (135, 195, 240), (85, 165, 75), 0.6),
]
DEFAULT_SETTING: tuple[RGB, RGB, float] = ((170, 190, 215), (120, 150, 110), 0.62)


def setting_for(background: str) -> tuple[RGB, RGB, float]:
    """Sky colour, ground colour and horizon for a background description."""
    text = background.lower()
    for keywords, sky, ground, horizon in SETTINGS:
        if any(k in text for k in keywords):
            break
    else:
        sky, ground, horizon = DEFAULT_SETTING
    if any(k in text for k in ("night", "dark", "midnight")) and "night city" not in text:
        sky, ground = _shade(sky, 0.35), _shade(ground, 0.45)
    elif any(k in text for k in ("sunset", "dusk", "evening", "dawn")):
        sky = _mix(sky, (250, 150, 90), 0.5)
    return sky, ground, horizon


def _shade(color: RGB, factor: float) -> RGB:
    return (int(color[0] * factor), int(color[1] * factor), int(color[2] * factor))


def _mix(a: RGB, b: RGB, w: float) -> RGB:
    return (int(a[0] * (1 - w) + b[0] * w), int(a[1] * (1 - w) + b[1] * w), int(a[2] * (1 - w) + b[2] * w))


@lru_cache(maxsize=16)
def _background(background: str, heading: str, width: int, height: int) -> Image.Image:
    sky, ground, horizon = setting_for(f"{background} {heading}")
    rows = np.linspace(0.0, 1.0, height)[:, None]
    image = np.empty((height, width, 3), dtype=np.float32)
    sky_part = rows < horizon
    top, bottom = np.array(_shade(sky, 0.85), np.float32), np.array(_mix(sky, (255, 255, 255), 0.25), np.float32)
    fade = np.clip(rows / max(horizon, 1e-6), 0, 1)
    image[:] = np.where(sky_part[..., None], top + (bottom - top) * fade[..., None], np.array(ground, np.float32))
    picture = Image.fromarray(image.astype(np.uint8))
    if "night city" in background.lower() or ("city" in background.lower() and "night" in background.lower()):
        _draw_skyline(picture, horizon)
    return picture


def _draw_skyline(picture: Image.Image, horizon: float) -> None:
    """Dark buildings with lit windows, the same every time for the same size."""
    draw = ImageDraw.Draw(picture)
    width, height = picture.size
    rng = np.random.default_rng(7)
    x = 0
    base = int(horizon * height)
    while x < width:
        w = int(rng.integers(width // 14, width // 7))
        h = int(rng.integers(height // 6, height // 2.5))
        draw.rectangle((x, base - h, x + w, base), fill=(30, 32, 60))
        for wx in range(x + 4, x + w - 4, 8):
            for wy in range(base - h + 5, base - 4, 10):
                if rng.random() < 0.3:
                    draw.rectangle((wx, wy, wx + 3, wy + 4), fill=(250, 220, 120))
        x += w + 2


class AnimaticConfig(BaseModel):
    """Every setting of the animatic; the cache fingerprint is made of `model_dump()`, so a setting added
    here changes the key by itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The window changes which frames share a job, not pixels, but it is part of the key so caches of
    # different schedules never mix.
    window: Annotated[int, Field(ge=3, description="Frames per keyframe request and per infill window (NUWA-XL's L).")] = 16
    show_time: Annotated[bool, Field(description="Stamp each frame's time in its lower right corner.")] = True


class AnimaticRenderer:
    """Draws each scene's layout track: background, labelled entity boxes, speech bubbles. Instant; no model."""

    info = RendererInfo(
        name="animatic",
        description="Draws the layout track: backgrounds, labelled boxes, speech bubbles. Instant; no model.",
        window=16,
        max_batch=4,  # it draws frame by frame: bigger batches only hold more frames in memory
        supports=frozenset({"layout", "identity", "captions"}),
    )
    VERSION = 1

    def __init__(self, **settings: Any) -> None:
        """`settings` are `AnimaticConfig` fields; a bad one is an `InputError` naming it."""
        try:
            self.config = AnimaticConfig(**settings)
        except ValidationError as e:
            raise InputError(f"bad options for renderer 'animatic': {format_validation_error(e)}") from None
        if self.config.window != self.info.window:
            self.info = RendererInfo(**{**self.info.__dict__, "window": self.config.window})

    @property
    def fingerprint(self) -> str:
        """The version and every setting (`AnimaticConfig.model_dump()`)."""
        settings = json.dumps(self.config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return f"animatic/v{self.VERSION}/{settings}"

    def keyframes(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        return [self._draw(request.scene, request.frames) for request in requests]

    def infill(self, jobs: Sequence[InfillJob]) -> list[np.ndarray]:
        return [self._draw(job.scene, job.targets) for job in jobs]

    def _draw(self, scene: SceneContext, frames: Sequence[FrameSpec]) -> np.ndarray:
        """(len(frames), height, width, 3) uint8."""
        return np.stack([self.draw_frame(scene, frame) for frame in frames])

    def draw_frame(self, scene: SceneContext, frame: FrameSpec) -> np.ndarray:
        width, height = scene.width, scene.height
        base = _background(scene.background, scene.heading, width, height).copy()
        overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        # Larger boxes first, so small things in front stay visible.
        framed = _camera_frames(scene.shot)
        for entity_id, box in sorted(frame.boxes.items(), key=lambda item: -item[1].area):
            entity = scene.entity(entity_id)
            if framed and _cut_sides(box):
                _draw_cut_box(draw, box, entity.name, identity_color(entity), (width, height))
            else:
                draw_labelled_box(draw, box, entity.name, identity_color(entity), (width, height), fill_alpha=140)
        for k, caption in enumerate(frame.captions):
            speaker_box = frame.boxes.get(caption.speaker) if caption.speaker else None
            self._bubble(draw, caption.speaker_name, caption.text, speaker_box, (width, height), k)
        small = font(max(8, height // 28))
        if scene.heading:
            draw.text((6, 4), scene.heading, font=small, fill=(255, 255, 255, 230), stroke_width=2, stroke_fill=(0, 0, 0, 200))
        label = shot_label(scene.shot, scene) if scene.shot is not None else ""
        if label:
            draw.text((width - 6, 4), label, font=small, anchor="ra", fill=(255, 240, 120, 240), stroke_width=2, stroke_fill=(0, 0, 0, 200))
        if self.config.show_time:
            stamp = f"{frame.t:5.2f}s"
            draw.text((width - 6, height - 4), stamp, font=small, anchor="rd", fill=(255, 255, 255, 230), stroke_width=2, stroke_fill=(0, 0, 0, 200))
        base.paste(overlay, (0, 0), overlay)
        return np.asarray(base, dtype=np.uint8)

    @staticmethod
    def _bubble(draw: ImageDraw.ImageDraw, name: str | None, text: str, box, size: tuple[int, int], k: int) -> None:
        """A speech bubble above the speaker's box, or at the top when the speaker is not visible."""
        width, height = size
        text_font = font(max(9, height // 22))
        lines = wrap_text(draw, (f"{name}: " if name and box is None else "") + text, text_font, int(width * 0.42))[:3]
        line_h = text_font.size + 3 if hasattr(text_font, "size") else 14
        bubble_w = max(int(draw.textlength(line, font=text_font)) for line in lines) + 12
        bubble_h = line_h * len(lines) + 8
        if box is not None:
            x0, y0, x1, _ = pixel_box(box, width, height)
            bx = min(max(4, (x0 + x1) // 2 - bubble_w // 2), width - bubble_w - 4)
            by = max(4, y0 - bubble_h - 12)
            tail = ((x0 + x1) // 2, min(y0, by + bubble_h + 10))
        else:
            bx, by, tail = (width - bubble_w) // 2, 24 + k * (bubble_h + 6), None
        draw.rounded_rectangle((bx, by, bx + bubble_w, by + bubble_h), radius=8, fill=(255, 255, 255, 235), outline=(30, 30, 30, 255), width=1)
        if tail is not None:
            cx = min(max(bx + 10, tail[0]), bx + bubble_w - 10)
            draw.polygon([(cx - 6, by + bubble_h), (cx + 6, by + bubble_h), tail], fill=(255, 255, 255, 235))
        for i, line in enumerate(lines):
            draw.text((bx + 6, by + 4 + i * line_h), line, font=text_font, fill=(20, 20, 20, 255))


def shot_label(shot: Shot, scene: SceneContext | None = None) -> str:
    """A shot as a storyboard panel's corner names it: "CU · pan left", "MS · low angle", "POV Nora · tilt up".
    Empty for a default shot (wide, eye level, static), which shows the whole layout as scenes without
    shots did."""
    parts = []
    if shot.angle == "pov":
        who = shot.pov or ""
        if scene is not None and any(e.id == who for e in scene.entities):
            who = scene.entity(who).name
        parts.append(f"POV {who}")
    elif shot.size != "wide" or shot.angle != "eye_level" or shot.move.kind != "static":
        parts.append(SIZE_LABELS[shot.size])
    if shot.angle in ANGLE_LABELS:
        parts.append(ANGLE_LABELS[shot.angle])
    move = shot.move
    if move.kind == "follow":
        target = move.target or ""
        if scene is not None and any(e.id == target for e in scene.entities):
            target = scene.entity(target).name
        parts.append(f"follow {target}")
    elif move.kind != "static":
        parts.append(f"{move.kind} {move.direction}")
    return " · ".join(parts)


def _camera_frames(shot: Shot | None) -> bool:
    """Whether the shot's camera shows less than the whole scene at some instant, so a box at the frame's
    edge may be cut there (a wide static shot is the scene itself: an edge there is the entity's own)."""
    return shot is not None and (shot.size != "wide" or shot.move.kind not in ("static", "follow"))


def _cut_sides(box: Box) -> tuple[bool, bool, bool, bool]:
    """Which sides of a frame box lie on the frame's edge (left, top, right, bottom): where the camera cuts
    the entity, so it goes on out of the frame."""
    sides = (box.x0 <= 0.0, box.y0 <= 0.0, box.x1 >= 1.0, box.y1 >= 1.0)
    return sides if any(sides) else ()  # type: ignore[return-value]


def _draw_cut_box(draw: ImageDraw.ImageDraw, box: Box, label: str, color: RGB, size: tuple[int, int]) -> None:
    """A box the frame cuts: filled, outlined only on the sides inside the frame, its name in a tab inside
    the box, below the corner texts when the box reaches the top of the frame."""
    width, height = size
    x0, y0, x1, y1 = pixel_box(box, width, height)
    left, top, right, bottom = _cut_sides(box)
    draw.rectangle((x0, y0, x1, y1), fill=(*color, 140))
    line = max(2, min(width, height) // 90)
    outline = (*color, 255)
    if not left:
        draw.line((x0, y0, x0, y1), fill=outline, width=line)
    if not top:
        draw.line((x0, y0, x1, y0), fill=outline, width=line)
    if not right:
        draw.line((x1, y0, x1, y1), fill=outline, width=line)
    if not bottom:
        draw.line((x0, y1, x1, y1), fill=outline, width=line)
    label_font = font(max(9, height // 24))
    l, t, r, b = draw.textbbox((0, 0), label, font=label_font)
    tab_w, tab_h = r - l + 6, b - t + 4
    corner_text = 4 + max(8, height // 28) + 6  # the heading and the shot's name, along the top
    tx = x0 + (6 if left else 0)
    ty = max(y0, corner_text) if y0 < corner_text else y0
    if tx + tab_w > x1 or ty + tab_h > y1:
        return  # too small a sliver of the entity to name
    draw.rectangle((tx, ty, tx + tab_w, ty + tab_h), fill=(*color, 255))
    draw.text((tx + 3 - l, ty + 2 - t), label, font=label_font, fill=(*text_on(color), 255))
