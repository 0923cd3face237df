"""The layout solver: relations, motions and visibility -> a box per entity per keyframe.

Deterministic, no randomness and no learning. Given a scene (its entities,
spatial relations, motions and visibility spans) and the cast, it makes the
scene's layout track. It is used two ways:

- `solve_layout`: the planner gave no boxes; place everything from scratch.
- `repair_layout`: the planner gave boxes; keep them, and fix only what breaks
  a stated relation or motion (an LLM's "cat left of the dog" drawn on the right).

How one layout frame is made, at time t:

1. Start from initial boxes: the planner's boxes (repair), or *rest* boxes
   (solve): per-category sizes (`CATEGORY_PRIORS`), standing on the ground
   line, flying in the sky band, or hung in a corner, spread in slots ordered
   by the left/right relations.
2. Entities with a motion in force are *pinned* to the motion's path
   (regions visited in order, equal time per leg, hidden before an entrance
   and after an exit).
3. Spatial relations in force at t are projected: a violated relation moves its
   subject (or, if the subject is pinned, its object) just enough, repeatedly,
   until all hold or nothing changes. Support first: "the cat on the horse"
   follows the horse.
4. Visibility spans hide entities outside them; boxes are shifted inside the frame.

Relations that cannot all hold are reported in `LayoutResult.notes`, never
silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import networkx as nx

from director.storyboard import Box, Entity, LayoutFrame, Motion, Relation, Scene

Placement = Literal["ground", "sky", "backdrop", "corner"]


@dataclass(frozen=True)
class CategoryPrior:
    height: float  # fraction of the frame height
    aspect: float  # width / height of the thing itself, in pixels
    placement: Placement


# Typical sizes: a standing adult fills about half the frame height in a medium-wide shot.
CATEGORY_PRIORS: dict[str, CategoryPrior] = {
    "person": CategoryPrior(0.50, 0.40, "ground"),
    "child": CategoryPrior(0.34, 0.45, "ground"),
    "robot": CategoryPrior(0.42, 0.55, "ground"),
    "cat": CategoryPrior(0.18, 1.30, "ground"),
    "dog": CategoryPrior(0.24, 1.30, "ground"),
    "fox": CategoryPrior(0.20, 1.40, "ground"),
    "rabbit": CategoryPrior(0.15, 0.90, "ground"),
    "horse": CategoryPrior(0.42, 1.30, "ground"),
    "cow": CategoryPrior(0.34, 1.50, "ground"),
    "sheep": CategoryPrior(0.22, 1.30, "ground"),
    "bear": CategoryPrior(0.40, 1.20, "ground"),
    "duck": CategoryPrior(0.12, 1.00, "ground"),
    "frog": CategoryPrior(0.08, 1.20, "ground"),
    "fish": CategoryPrior(0.08, 1.80, "ground"),
    "bird": CategoryPrior(0.10, 1.20, "sky"),
    "owl": CategoryPrior(0.16, 0.80, "sky"),
    "butterfly": CategoryPrior(0.07, 1.20, "sky"),
    "kite": CategoryPrior(0.16, 0.80, "sky"),
    "balloon": CategoryPrior(0.16, 0.75, "sky"),
    "airplane": CategoryPrior(0.14, 2.20, "sky"),
    "cloud": CategoryPrior(0.14, 2.00, "sky"),
    "car": CategoryPrior(0.22, 2.00, "ground"),
    "bus": CategoryPrior(0.30, 2.60, "ground"),
    "truck": CategoryPrior(0.30, 2.20, "ground"),
    "bicycle": CategoryPrior(0.20, 1.60, "ground"),
    "boat": CategoryPrior(0.22, 1.80, "ground"),
    "train": CategoryPrior(0.28, 3.50, "ground"),
    "ball": CategoryPrior(0.10, 1.00, "ground"),
    "umbrella": CategoryPrior(0.22, 1.10, "ground"),
    "table": CategoryPrior(0.22, 1.60, "ground"),
    "chair": CategoryPrior(0.25, 0.70, "ground"),
    "bench": CategoryPrior(0.18, 2.00, "ground"),
    "sofa": CategoryPrior(0.25, 2.00, "ground"),
    "bed": CategoryPrior(0.22, 1.80, "ground"),
    "lamp": CategoryPrior(0.35, 0.40, "ground"),
    "box": CategoryPrior(0.15, 1.20, "ground"),
    "cup": CategoryPrior(0.06, 0.80, "ground"),
    "book": CategoryPrior(0.06, 1.30, "ground"),
    "flower": CategoryPrior(0.12, 0.60, "ground"),
    "rock": CategoryPrior(0.12, 1.40, "ground"),
    "tree": CategoryPrior(0.62, 0.60, "backdrop"),
    "house": CategoryPrior(0.50, 1.20, "backdrop"),
    "castle": CategoryPrior(0.60, 1.30, "backdrop"),
    "tower": CategoryPrior(0.70, 0.40, "backdrop"),
    "mountain": CategoryPrior(0.45, 2.20, "backdrop"),
    "sun": CategoryPrior(0.18, 1.00, "corner"),
    "moon": CategoryPrior(0.14, 1.00, "corner"),
    "star": CategoryPrior(0.06, 1.00, "corner"),
}
DEFAULT_PRIOR = CategoryPrior(0.20, 1.00, "ground")
SIZE_SCALE = {"tiny": 0.5, "small": 0.7, "little": 0.7, "large": 1.4, "big": 1.4, "huge": 1.8, "giant": 1.8}

GROUND_LINE = 0.93  # bottom edge of things standing on the ground
BACKDROP_LINE = 0.86  # farther back, so a little higher
SKY_LINE = 0.24  # centre line of flying things
MARGIN = 0.02  # kept free at the frame edges
GAP = 0.03  # between boxes a relation separates
MIN_SIZE = 0.02  # no box is thinner than this

# Where a region puts an entity's centre; None keeps the entity's own coordinate
# (a dog running "to the right" stays on the ground).
REGION_POINTS: dict[str, tuple[float | None, float | None]] = {
    "left": (0.15, None),
    "right": (0.85, None),
    "top": (None, 0.2),
    "bottom": (None, 0.8),
    "center": (0.5, None),
    "upper_left": (0.15, 0.22),
    "upper_right": (0.85, 0.22),
    "lower_left": (0.15, 0.78),
    "lower_right": (0.85, 0.78),
}

SPATIAL_PREDICATES = frozenset(
    {"left_of", "right_of", "above", "below", "on", "under", "beside", "near", "in_front_of", "behind"}
)
# Predicates that place the subject relative to the object (the object is its support).
ANCHORING_PREDICATES = frozenset({"on", "above", "below", "under", "beside", "near", "in_front_of", "behind"})


@dataclass(frozen=True)
class LayoutResult:
    layouts: list[LayoutFrame]
    notes: list[str] = field(default_factory=list)
    """What the solver changed or could not satisfy, for a person to read."""


def in_region(box: Box, region: str) -> bool:
    """Is the box's centre in the named region? (The checks the layout benchmark uses.)"""
    cx, cy = box.center
    checks = {
        "left": cx < 0.4,
        "right": cx > 0.6,
        "top": cy < 0.4,
        "bottom": cy > 0.6,
        "center": abs(cx - 0.5) < 0.2,
        "upper_left": cx < 0.45 and cy < 0.45,
        "upper_right": cx > 0.55 and cy < 0.45,
        "lower_left": cx < 0.45 and cy > 0.55,
        "lower_right": cx > 0.55 and cy > 0.55,
    }
    return checks[region]


def relation_holds(predicate: str, a: Box, b: Box) -> bool:
    """Does subject box `a` stand in `predicate` to object box `b`? Centre-based, as LVD evaluates.
    Predicates that are not spatial always hold."""
    (ax, ay), (bx, by) = a.center, b.center
    x_overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    y_overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    if predicate == "left_of":
        return ax < bx
    if predicate == "right_of":
        return ax > bx
    if predicate == "above":
        return ay < by
    if predicate == "below":
        return ay > by
    if predicate == "on":
        return ay < by and x_overlap > 0 and b.y0 - 0.05 <= a.y1 <= b.y0 + 0.5 * b.height
    if predicate == "under":
        return ay > by and x_overlap > 0
    if predicate == "beside":
        gap = max(a.x0 - b.x1, b.x0 - a.x1)
        return y_overlap > 0 and gap < 0.12 and x_overlap < 0.5 * min(a.width, b.width)
    if predicate == "near":
        return math.dist(a.center, b.center) < 0.4
    if predicate == "in_front_of":
        return a.y1 > b.y1 and x_overlap > 0
    if predicate == "behind":
        return a.y1 < b.y1 and x_overlap > 0
    return True


def plan_layout(scene: Scene, cast: Mapping[str, Entity], aspect: float = 16 / 9) -> LayoutResult:
    """Solve the scene's layout from scratch when it has none, otherwise repair the given one."""
    return repair_layout(scene, cast, aspect) if scene.layouts else solve_layout(scene, cast, aspect)


def solve_layout(scene: Scene, cast: Mapping[str, Entity], aspect: float = 16 / 9) -> LayoutResult:
    """Boxes for every entity of the scene at its keyframe times, from relations, motions and visibility."""
    solver = _Solver(scene, cast, aspect)
    return solver.run(_keyframe_times(scene), initial=None)


def repair_layout(scene: Scene, cast: Mapping[str, Entity], aspect: float = 16 / 9) -> LayoutResult:
    """Keep the scene's boxes, fixing those that break its relations, motions or visibility."""
    solver = _Solver(scene, cast, aspect)
    times = sorted({frame.t for frame in scene.layouts} | set(_event_times(scene)))
    return solver.run(times, initial=scene.layout_at)


# ---------------------------------------------------------------------------------------------
# The solver


@dataclass
class _Rect:
    """A box as centre and size while solving (no validation until the end)."""

    cx: float
    cy: float
    w: float
    h: float

    @property
    def x0(self) -> float:
        return self.cx - self.w / 2

    @property
    def x1(self) -> float:
        return self.cx + self.w / 2

    @property
    def y0(self) -> float:
        return self.cy - self.h / 2

    @property
    def y1(self) -> float:
        return self.cy + self.h / 2

    @classmethod
    def from_box(cls, box: Box) -> _Rect:
        return cls(*box.center, box.width, box.height)

    def inside_frame(self) -> _Rect:
        """Shifted (never resized, unless larger than the frame) to lie within the margins."""
        w, h = min(self.w, 1 - 2 * MARGIN), min(self.h, 1 - 2 * MARGIN)
        cx = min(max(self.cx, MARGIN + w / 2), 1 - MARGIN - w / 2)
        cy = min(max(self.cy, MARGIN + h / 2), 1 - MARGIN - h / 2)
        return _Rect(cx, cy, w, h)

    def to_box(self) -> Box:
        eps = 1e-9  # a box at the frame edge is inside it, whatever the rounding of cx - w/2
        r = self.inside_frame() if (self.x0 < -eps or self.y0 < -eps or self.x1 > 1 + eps or self.y1 > 1 + eps) else self
        x0, y0 = round(max(0.0, r.x0), 4), round(max(0.0, r.y0), 4)
        x1, y1 = round(min(1.0, r.x1), 4), round(min(1.0, r.y1), 4)
        return Box(x0=x0, y0=y0, x1=max(x1, x0 + MIN_SIZE), y1=max(y1, y0 + MIN_SIZE))


class _Solver:
    def __init__(self, scene: Scene, cast: Mapping[str, Entity], aspect: float) -> None:
        self.scene = scene
        self.cast = cast
        self.aspect = aspect
        self.rest = self._rest_rects()
        self.notes: list[str] = []

    def run(self, times: Sequence[float], initial: Callable[[float], dict[str, Box]] | None) -> LayoutResult:
        # Motions start from a fixed place per entity: its rest box, or when repairing the
        # planner's first box for it (so its size and resting place are the planner's).
        self.anchor = dict(self.rest)
        if initial is not None:
            for frame in reversed(self.scene.layouts):
                self.anchor.update({k: _Rect.from_box(b) for k, b in frame.boxes.items()})
        motions_to_follow = self._motions_to_follow(initial)
        frames = []
        broken: dict[str, Relation] = {}
        for t in times:
            boxes, unsatisfied = self._frame(t, initial, motions_to_follow)
            for relation in unsatisfied:
                broken.setdefault(_describe(relation), relation)
            frames.append(LayoutFrame(t=round(t, 4), boxes=boxes))
        for text in broken:
            self.notes.append(f"scene {self.scene.id}: could not make '{text}' hold everywhere")
        return LayoutResult(_drop_duplicate_times(frames), self.notes)

    # -- step 1: rest boxes ---------------------------------------------------------------------

    def _size(self, entity_id: str) -> tuple[float, float]:
        entity = self.cast.get(entity_id)
        prior = CATEGORY_PRIORS.get(entity.category, DEFAULT_PRIOR) if entity else DEFAULT_PRIOR
        scale = SIZE_SCALE.get(entity.attributes.get("size", ""), 1.0) if entity else 1.0
        h = min(prior.height * scale, 0.9)
        w = min(h * prior.aspect / self.aspect, 0.9)
        return max(w, MIN_SIZE), max(h, MIN_SIZE)

    def _placement(self, entity_id: str) -> Placement:
        entity = self.cast.get(entity_id)
        return CATEGORY_PRIORS.get(entity.category, DEFAULT_PRIOR).placement if entity else "ground"

    def _rest_rects(self) -> dict[str, _Rect]:
        """Where each entity stands when nothing moves it: slots per placement band, ordered
        left to right by the scene's left_of/right_of relations, then by mention order."""
        order = {entity_id: i for i, entity_id in enumerate(self.scene.entities)}
        x_order = nx.DiGraph()
        x_order.add_nodes_from(self.scene.entities)
        for relation in self.scene.relations:
            if relation.object is None:
                continue
            if relation.predicate == "left_of":
                x_order.add_edge(relation.subject, relation.object)
            elif relation.predicate == "right_of":
                x_order.add_edge(relation.object, relation.subject)
        try:
            sequence = list(nx.lexicographical_topological_sort(x_order, key=lambda n: order[n]))
        except nx.NetworkXUnfeasible:
            sequence = list(self.scene.entities)

        anchors = _rest_anchors(self.scene)
        rects: dict[str, _Rect] = {}
        bands: dict[str, list[str]] = {"ground": [], "sky": [], "backdrop": [], "corner": []}
        for entity_id in sequence:
            if entity_id not in anchors:
                bands[self._placement(entity_id)].append(entity_id)
        for band, members in bands.items():
            if band == "corner":  # sun, moon: alternate upper corners
                for k, entity_id in enumerate(members):
                    w, h = self._size(entity_id)
                    cx = 1 - MARGIN - 0.06 - w / 2 if k % 2 == 0 else MARGIN + 0.06 + w / 2
                    rects[entity_id] = _Rect(cx, MARGIN + 0.04 + h / 2, w, h)
                continue
            for entity_id, cx in zip(members, _spread([self._size(m)[0] for m in members]), strict=True):
                w, h = self._size(entity_id)
                cy = {"sky": SKY_LINE, "ground": GROUND_LINE - h / 2, "backdrop": BACKDROP_LINE - h / 2}[band]
                rects[entity_id] = _Rect(cx, cy, w, h).inside_frame()
        # Anchored entities, supports first; several on one support share its width.
        siblings: dict[tuple[str, str], list[str]] = {}
        for subject, (predicate, obj) in anchors.items():
            siblings.setdefault((predicate, obj), []).append(subject)
        for subject in _supports_first(anchors):
            predicate, obj = anchors[subject]
            w, h = self._size(subject)
            rect = _place(predicate, _Rect(0.5, 0.5, w, h), rects[obj])
            group = siblings[(predicate, obj)]
            if len(group) > 1 and predicate in ("on", "above", "under", "below"):
                support = rects[obj]
                rect.cx = support.x0 + support.w * (group.index(subject) + 1) / (len(group) + 1)
            rects[subject] = rect.inside_frame()
        return rects

    # -- step 2: motions -------------------------------------------------------------------------

    def _motions_to_follow(self, initial: Callable[[float], dict[str, Box]] | None) -> list[Motion]:
        """All motions when solving; when repairing, those the given track does not already follow."""
        if initial is None:
            return list(self.scene.motions)
        followed = []
        for motion in self.scene.motions:
            if self._track_follows(motion, initial):
                continue
            followed.append(motion)
            self.notes.append(f"scene {self.scene.id}: redrew '{motion.entity}' to follow its motion")
        return followed

    def _track_follows(self, motion: Motion, initial: Callable[[float], dict[str, Box]]) -> bool:
        """Does the given track visit the motion's regions at its waypoint times, and hide when it should?"""
        start, end = self._span(motion)
        times = _waypoint_times(start, end, motion)
        checks = ([(times[0], motion.origin)] if motion.origin else []) + list(zip(times[1:], motion.path))
        for t, region in checks:
            box = initial(t).get(motion.entity)
            if box is None or not in_region(box, region):
                return False
        if motion.enters and start > 0 and motion.entity in initial(start / 2):
            return False
        if motion.exits and end < self.scene.duration and motion.entity in initial((end + self.scene.duration) / 2):
            return False
        return True

    def _span(self, motion: Motion) -> tuple[float, float]:
        start = motion.start if motion.start is not None else 0.0
        end = motion.end if motion.end is not None else self.scene.duration
        return start, end

    def _waypoints(self, motion: Motion, rest: _Rect) -> list[_Rect]:
        """The boxes the motion passes through: origin (or rest), each place of the path (or rest)."""
        origin = motion.origin
        if origin is None and motion.enters:  # come in from the side opposite to where it heads
            origin = "right" if motion.path and "left" in motion.path[0] else "left"
        points = [self._at_region(rest, origin, edge=motion.enters) if origin else rest]
        for k, region in enumerate(motion.path):
            points.append(self._at_region(rest, region, edge=motion.exits and k == len(motion.path) - 1))
        if not motion.path:
            points.append(self._at_region(rest, "right", edge=True) if motion.exits else rest)
        return points

    def _at_region(self, rect: _Rect, region: str, edge: bool) -> _Rect:
        px, py = REGION_POINTS[region]
        moved = _Rect(rect.cx if px is None else px, rect.cy if py is None else py, rect.w, rect.h).inside_frame()
        if edge:  # an entrance or exit happens at the frame edge itself
            cx, cy = moved.cx, moved.cy
            if "left" in region:
                cx = rect.w / 2
            elif "right" in region:
                cx = 1 - rect.w / 2
            if "upper" in region or region == "top":
                cy = rect.h / 2
            elif "lower" in region or region == "bottom":
                cy = 1 - rect.h / 2
            moved = _Rect(cx, cy, rect.w, rect.h)
        return moved

    def _motion_state(self, entity_id: str, t: float, rest: _Rect, motions: list[Motion]) -> tuple[_Rect | None, bool]:
        """(where the motions put the entity at t or None if they say nothing, whether it is visible)."""
        own = sorted((m for m in motions if m.entity == entity_id), key=lambda m: self._span(m)[0])
        if not own:
            return None, True
        for k, motion in enumerate(own):
            start, end = self._span(motion)
            waypoints = self._waypoints(motion, rest)
            if t < start:
                hidden = motion.enters or (k > 0 and own[k - 1].exits)
                return waypoints[0], not hidden
            if t <= end:
                legs = len(waypoints) - 1
                a = (t - start) / (end - start) * legs if end > start else legs
                leg = min(int(a), legs - 1)
                frac = a - leg
                p, q = waypoints[leg], waypoints[leg + 1]
                return _Rect(p.cx + (q.cx - p.cx) * frac, p.cy + (q.cy - p.cy) * frac, p.w, p.h), True
        last = own[-1]
        return self._waypoints(last, rest)[-1], not last.exits

    # -- steps 3-4: one frame ----------------------------------------------------------------------

    def _frame(
        self, t: float, initial: Callable[[float], dict[str, Box]] | None, motions: list[Motion]
    ) -> tuple[dict[str, Box], list[Relation]]:
        given = initial(t) if initial is not None else None
        rects: dict[str, _Rect] = {}
        visible: dict[str, bool] = {}
        pinned: set[str] = set()
        for entity_id in self.scene.entities:
            if given is not None and entity_id in given:
                start = _Rect.from_box(given[entity_id])
            else:
                start = replace(self.rest[entity_id])
            placed, shown = self._motion_state(entity_id, t, self.anchor[entity_id], motions)
            if placed is not None:
                rects[entity_id], visible[entity_id] = placed, shown
                pinned.add(entity_id)
                continue
            rects[entity_id] = start
            visible[entity_id] = given is None or entity_id in given or self._must_show(entity_id, t)
        for entity_id in self.scene.entities:
            if not self._visible_by_span(entity_id, t):
                visible[entity_id] = False
            # Entrances and exits are the motions' business; a span only hides.
        active = [
            r
            for r in self.scene.relations
            if r.predicate in SPATIAL_PREDICATES
            and r.object is not None
            and _in_span(t, r.start, r.end, self.scene.duration)
            and visible.get(r.subject)
            and visible.get(r.object)
        ]
        unsatisfied = _project(rects, _support_first(active), pinned)
        boxes = {entity_id: rects[entity_id].to_box() for entity_id in self.scene.entities if visible[entity_id]}
        return boxes, unsatisfied

    def _visible_by_span(self, entity_id: str, t: float) -> bool:
        spans = [v for v in self.scene.visibility if v.entity == entity_id]
        return not spans or any(v.start <= t <= v.end for v in spans)

    def _must_show(self, entity_id: str, t: float) -> bool:
        """When repairing: an entity the planner left out of every frame still has to appear,
        and one with a visibility span has to appear inside it."""
        spans = [v for v in self.scene.visibility if v.entity == entity_id]
        if spans:
            return any(v.start <= t <= v.end for v in spans)
        return not any(entity_id in frame.boxes for frame in self.scene.layouts)


def _rest_anchors(scene: Scene) -> dict[str, tuple[str, str]]:
    """subject -> (predicate, object) for whole-scene anchoring relations ('the cat is on the table'),
    leaving out any that form a cycle, so every anchored entity ends on a slotted one."""
    anchors: dict[str, tuple[str, str]] = {}
    for r in scene.relations:
        if r.predicate in ANCHORING_PREDICATES and r.object is not None and r.start is None and r.end is None:
            anchors.setdefault(r.subject, (r.predicate, r.object))
    graph = nx.DiGraph((subject, obj) for subject, (_, obj) in anchors.items())
    cyclic = {n for component in nx.strongly_connected_components(graph) if len(component) > 1 for n in component}
    return {s: a for s, a in anchors.items() if s not in cyclic and not (nx.descendants(graph, s) & cyclic)}


def _supports_first(anchors: dict[str, tuple[str, str]]) -> list[str]:
    graph = nx.DiGraph()
    graph.add_nodes_from(anchors)
    graph.add_edges_from((obj, subject) for subject, (_, obj) in anchors.items() if obj in anchors)
    return list(nx.lexicographical_topological_sort(graph))


def _spread(widths: list[float]) -> list[float]:
    """Centres for boxes of these widths spread evenly across the frame, left to right."""
    if not widths:
        return []
    free = 1 - 2 * MARGIN - sum(widths)
    gap = free / (len(widths) + 1)
    centres, x = [], MARGIN + max(gap, 0.0)
    if free < 0:  # too many to fit side by side: let them overlap evenly
        step = (1 - 2 * MARGIN - widths[-1] / 2 - widths[0] / 2) / max(len(widths) - 1, 1)
        return [MARGIN + widths[0] / 2 + k * step for k in range(len(widths))]
    for w in widths:
        centres.append(x + w / 2)
        x += w + gap
    return centres


def _support_first(relations: list[Relation]) -> list[Relation]:
    """Relations ordered so that an object is placed before what rests on it."""
    graph = nx.DiGraph()
    for k, relation in enumerate(relations):
        graph.add_node(k)
    for k, r in enumerate(relations):
        for j, s in enumerate(relations):
            if j != k and s.subject == r.object and r.predicate in ANCHORING_PREDICATES:
                graph.add_edge(j, k)  # place s's subject (r's object) first
    try:
        order = list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        order = list(range(len(relations)))
    return [relations[k] for k in order]


MAX_PASSES = 12


def _project(rects: dict[str, _Rect], relations: list[Relation], pinned: set[str]) -> list[Relation]:
    """Move boxes until the relations hold; return those that still do not."""
    for _ in range(MAX_PASSES):
        changed = False
        for relation in relations:
            a, b = rects[relation.subject], rects[relation.object]
            if _holds_firmly(relation.predicate, a, b):
                continue
            if relation.subject in pinned and relation.object in pinned:
                continue
            if relation.subject not in pinned:
                a = rects[relation.subject] = _place(relation.predicate, a, b).inside_frame()
            if relation.object not in pinned and not _holds_firmly(relation.predicate, a, b):
                rects[relation.object] = _place(_INVERSE[relation.predicate], b, a).inside_frame()
            changed = True
        if not changed:
            break
    return [r for r in relations if not relation_holds(r.predicate, rects[r.subject].to_box(), rects[r.object].to_box())]


_INVERSE = {
    "left_of": "right_of",
    "right_of": "left_of",
    "above": "below",
    "below": "above",
    "on": "under",
    "under": "above",
    "beside": "beside",
    "near": "near",
    "in_front_of": "behind",
    "behind": "in_front_of",
}


def _holds_firmly(predicate: str, a: _Rect, b: _Rect) -> bool:
    """The solver's own, stricter target: clear separation, not just centres in order."""
    tol = 1e-6
    if predicate == "left_of":
        return a.x1 + GAP <= b.x0 + tol
    if predicate == "right_of":
        return a.x0 >= b.x1 + GAP - tol
    if predicate in ("above", "below"):  # and roughly over / under it, not off to one side
        centred = min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 * min(a.w, b.w)
        return centred and relation_holds(predicate, a.to_box(), b.to_box())
    return relation_holds(predicate, a.to_box(), b.to_box())


def _place(predicate: str, a: _Rect, b: _Rect) -> _Rect:
    """Where subject `a` goes to stand in `predicate` to object `b` (its size kept)."""
    if predicate == "left_of":
        return _Rect(b.x0 - GAP - a.w / 2, a.cy, a.w, a.h)
    if predicate == "right_of":
        return _Rect(b.x1 + GAP + a.w / 2, a.cy, a.w, a.h)
    if predicate == "on":
        return _Rect(b.cx, b.y0 + 0.02 - a.h / 2, a.w, a.h)
    if predicate == "above":
        return _Rect(b.cx, b.y0 - GAP - a.h / 2, a.w, a.h)
    if predicate == "below":
        return _Rect(b.cx, b.y1 + GAP + a.h / 2, a.w, a.h)
    if predicate == "under":
        return _Rect(b.cx, b.y1 - a.h / 2, a.w, a.h)
    if predicate in ("beside", "near"):
        right = b.x1 + GAP + a.w / 2
        left = b.x0 - GAP - a.w / 2
        side = left if (a.cx < b.cx or right + a.w / 2 > 1 - MARGIN) and left - a.w / 2 >= MARGIN else right
        return _Rect(side, b.y1 - a.h / 2, a.w, a.h)
    if predicate == "in_front_of":
        return _Rect(b.cx + 0.25 * b.w, min(b.y1 + 0.06, 1 - MARGIN) - a.h / 2, a.w, a.h)
    if predicate == "behind":
        return _Rect(b.cx - 0.25 * b.w, b.y1 - 0.06 - a.h / 2, a.w, a.h)
    return a


# ---------------------------------------------------------------------------------------------
# Keyframe times


def _event_times(scene: Scene) -> list[float]:
    """Times where something changes: motion legs, visibility and relation boundaries."""
    times: set[float] = set()
    for motion in scene.motions:
        start = motion.start if motion.start is not None else 0.0
        end = motion.end if motion.end is not None else scene.duration
        times.update(_waypoint_times(start, end, motion))
    for span in scene.visibility:
        times.update((span.start, span.end))
    for relation in scene.relations:
        times.update(t for t in (relation.start, relation.end) if t is not None)
    return sorted(t for t in times if 0.0 <= t <= scene.duration)


def _waypoint_times(start: float, end: float, motion: Motion) -> list[float]:
    """When the motion is at each waypoint: equal time per leg, origin at `start`."""
    legs = max(len(motion.path), 1)
    return [start + (end - start) * k / legs for k in range(legs + 1)]


def _keyframe_times(scene: Scene) -> list[float]:
    """About one layout frame a second, plus every event time."""
    intervals = min(max(math.ceil(scene.duration - 1e-9), 1), 12)
    grid = {scene.duration * k / intervals for k in range(intervals + 1)}
    return sorted({round(t, 4) for t in grid | set(_event_times(scene))})


def _drop_duplicate_times(frames: list[LayoutFrame]) -> list[LayoutFrame]:
    kept: list[LayoutFrame] = []
    for frame in frames:
        if kept and frame.t <= kept[-1].t:
            continue
        kept.append(frame)
    return kept


def _in_span(t: float, start: float | None, end: float | None, duration: float) -> bool:
    return (start if start is not None else 0.0) <= t <= (end if end is not None else duration)


def _describe(relation: Relation) -> str:
    return f"{relation.subject} {relation.predicate.replace('_', ' ')} {relation.object}"
