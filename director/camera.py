"""The camera: how a shot maps the scene's layout into the frame.

A scene's layout track lives in *scene* coordinates (0-1, origin top-left, the frame's aspect). A shot
looks at part of it: a `View`, a rectangle of the scene's aspect with centre (cx, cy) and side `size`
(1 is the whole scene; 0.25 shows a quarter of its width). Renderers only ever see *frame*
coordinates, the scene seen through the view, so one layout serves every shot and a close-up is simply
a large box.

How a shot frames (`shot_view`):

1. **Size.** `wide` is the whole scene, as 1.0 storyboards drew it (the identity: frame = scene).
   `extreme_wide` steps back (the scene fills the middle of the frame). The others frame the union of
   the shot's subjects' boxes as the shot opens: `full` shows all of them with a margin, `medium` the
   top half (waist up), `close_up` the top quarter (head and shoulders), `extreme_close_up` the top
   tenth, `insert` the whole subject large (an object). A shot on several subjects is at least as wide
   as all of them (a medium two shot). A shot with no subjects, or whose subjects are
   nowhere in the shot, frames the scene's middle at that size.
2. **Move.** From that opening view: a pan or truck slides the view sideways by `extent` view widths
   over the shot, a tilt vertically, a zoom or dolly scales it (in: `1 + extent` times closer at the
   end); a follow reframes on its target at every instant.
3. **Angle.** A `pov` shot looks through `Shot.pov`'s eyes: that entity is not in the frame. High, low
   and overhead angles do not move boxes on a flat layout; renderers read them from the shot.

A view that fits inside the scene is kept inside it (a close-up at the edge of the scene is not half
empty). Boxes are clipped to the frame; an entity wholly outside the view is not visible. Where the frame
crops an entity (a medium shot shows a person's top half), `framed_layout` also gives its whole box in
frame coordinates, reaching outside 0-1, for renderers that draw the part in view of a whole figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from director.storyboard import Box, Scene, Shot

FRAMING: dict[str, tuple[float, float, bool]] = {
    # size: (the fraction of the subjects' height shown, from their top; the fraction of the frame's
    # height it fills; whether the subjects' whole width must fit too)
    "full": (1.0, 0.85, True),
    "medium": (0.5, 0.9, False),
    "close_up": (0.25, 0.9, False),
    "extreme_close_up": (0.1, 0.9, False),
    "insert": (1.0, 0.75, True),
}
UNFRAMED_SIZE = {"extreme_wide": 1.5, "wide": 1.0, "full": 0.85, "medium": 0.6, "close_up": 0.35, "extreme_close_up": 0.2, "insert": 0.3}
"""The view's side for each size when a shot has no subject to frame, centred on the scene."""
SMALLEST_VIEW = 0.05
"""The tightest view (a twentieth of the scene's width): closer than this, a box is all the frame shows."""
SMALLEST_VISIBLE = 0.002
"""A clipped box narrower or shorter than this (in frame units) is not drawn: the entity is out of shot."""


@dataclass(frozen=True)
class View:
    """The part of the scene the camera sees: centre (cx, cy) and side `size`, in scene units."""

    cx: float = 0.5
    cy: float = 0.5
    size: float = 1.0

    @property
    def is_whole_scene(self) -> bool:
        return (self.cx, self.cy, self.size) == (0.5, 0.5, 1.0)

    def whole_box(self, box: Box) -> tuple[float, float, float, float]:
        """`box` (scene coordinates) in frame coordinates, not clipped: (x0, y0, x1, y1), outside 0-1 where
        the frame crops it."""
        left, top, s = self.cx - self.size / 2, self.cy - self.size / 2, self.size
        return ((box.x0 - left) / s, (box.y0 - top) / s, (box.x1 - left) / s, (box.y1 - top) / s)

    def frame_box(self, box: Box) -> Box | None:
        """`box` (scene coordinates) as the frame shows it, clipped to the frame; None when out of view."""
        x0, y0, x1, y1 = self.whole_box(box)
        x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(1.0, x1), min(1.0, y1)
        if x1 - x0 < SMALLEST_VISIBLE or y1 - y0 < SMALLEST_VISIBLE:
            return None
        return Box(x0=x0, y0=y0, x1=x1, y1=y1)



def shot_view(scene: Scene, shot: Shot, t: float) -> View:
    """Where the camera of `shot` looks at scene time `t` (clamped to the shot)."""
    move = shot.move
    if move.kind == "follow":
        return _framed(scene, shot, [move.target], _clamp(t, shot.start, shot.end), shot.end)
    opening = _framed(scene, shot, shot.subjects, shot.start, shot.end)
    p = (_clamp(t, shot.start, shot.end) - shot.start) / shot.duration  # 0 at the cut in, 1 at the cut out
    travel = move.extent * p
    if move.kind in ("pan", "truck"):
        sign = 1 if move.direction == "right" else -1
        return View(opening.cx + sign * travel * opening.size, opening.cy, opening.size)
    if move.kind == "tilt":
        sign = 1 if move.direction == "down" else -1
        return View(opening.cx, opening.cy + sign * travel * opening.size, opening.size)
    if move.kind in ("zoom", "dolly"):
        scale = 1 / (1 + travel) if move.direction == "in" else 1 + travel
        return View(opening.cx, opening.cy, max(SMALLEST_VIEW, opening.size * scale))
    return opening


def frame_boxes(scene: Scene, shot: Shot, t: float) -> dict[str, Box]:
    """The boxes the frame at scene time `t` shows through `shot`'s camera (frame coordinates)."""
    return framed_layout(scene, shot, t)[0]


def framed_layout(scene: Scene, shot: Shot, t: float) -> tuple[dict[str, Box], dict[str, tuple[float, float, float, float]]]:
    """What the frame at scene time `t` shows through `shot`'s camera: the boxes (`frame_boxes`), and for each
    entity the frame crops by its edges its whole box in frame coordinates (x0, y0, x1, y1, reaching outside
    0-1; entities shown whole are not in it)."""
    boxes = scene.layout_at(t)
    if shot.pov is not None:
        boxes.pop(shot.pov, None)
    view = shot_view(scene, shot, t)
    if view.is_whole_scene:
        return boxes, {}
    framed, cropped = {}, {}
    for entity_id, box in boxes.items():
        seen = view.frame_box(box)
        if seen is None:
            continue
        framed[entity_id] = seen
        whole = view.whole_box(box)
        if min(whole[:2]) < 0 or max(whole[2:]) > 1:
            cropped[entity_id] = whole
    return framed, cropped


def _framed(scene: Scene, shot: Shot, subjects: list[str | None], t: float, until: float) -> View:
    """The view of `shot.size` on `subjects` at `t` (or, if none is visible then, at the first layout
    frame before `until` where one is)."""
    if shot.size == "wide":
        return View()
    seen = _subjects_boxes(scene, subjects, t, until)
    if not seen or shot.size == "extreme_wide":
        return View(0.5, 0.5, UNFRAMED_SIZE[shot.size])
    view = view_on(_union(seen), shot.size, fit_width=len(seen) > 1)  # a medium on two is a two shot: both in it
    size = view.size
    # a view inside the scene stays inside it, so the frame has no empty side
    return View(_clamp(view.cx, size / 2, 1 - size / 2), _clamp(view.cy, size / 2, 1 - size / 2), size)


def view_on(target: Box, size: str, sides: tuple[float, float] = (SMALLEST_VIEW, 1.0), fit_width: bool = False) -> View:
    """The view a shot of `size` (a key of FRAMING) takes of `target` (scene coordinates), its side kept within
    `sides`, before the shot keeps it inside the scene; with `fit_width`, wide enough for all of the target's
    width whatever the size (the union of several subjects)."""
    portion, fill, whole_width = FRAMING[size]
    fit_width = fit_width or whole_width
    side = portion * target.height / fill
    if fit_width:
        side = max(side, target.width / fill)
    side = min(sides[1], max(sides[0], side))
    cx = target.center[0]
    if portion == 1.0:
        cy = target.center[1]
    else:  # the subject's top, with a little headroom
        cy = target.y0 - (1 - fill) / 2 * side + side / 2
    return View(cx, cy, side)


def _subjects_boxes(scene: Scene, subjects: list[str | None], t: float, until: float) -> list[Box]:
    """The boxes of those of `subjects` the layout shows at `t` (or at the first layout frame before `until`
    that shows one)."""
    wanted = {s for s in subjects if s is not None}
    if not wanted:
        return []
    instants = [t] + [frame.t for frame in scene.layouts if t < frame.t <= until]
    for instant in instants:
        seen = [box for entity_id, box in scene.layout_at(instant).items() if entity_id in wanted]
        if seen:
            return seen
    return []


def _union(boxes: list[Box]) -> Box:
    return Box(
        x0=min(b.x0 for b in boxes), y0=min(b.y0 for b in boxes), x1=max(b.x1 for b in boxes), y1=max(b.y1 for b in boxes)
    )


def _clamp(v: float, low: float, high: float) -> float:
    return min(high, max(low, v))
