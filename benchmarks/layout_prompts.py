"""The layout benchmark's prompts and the checks run on the storyboard each one is planned into.

Five categories, after LVD's benchmark (Lian et al., "LLM-grounded Video Diffusion
Models", ICLR 2024, `utils/eval/lvd.py`: numeracy, attribution, visibility,
dynamic spatial, sequential), but checked on the *plan* (the layout track),
not on generated pixels: counts of visible boxes, colours bound to the right
things, visible half, direction of box motion, order of regions visited.

Each category mixes LVD's own phrasing with a few others, so a planner that
only knows one sentence pattern does not pass, and a third of the prompts name
animals that are not in the rules planner's lexicon (`OPEN_VOCABULARY`), so a
planner that only knows a word list does not pass either. Deterministic: no
randomness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from director.layout import in_region
from director.storyboard import Box, Entity, Scene, Storyboard

Check = Callable[[Storyboard], str | None]
"""Returns None when the storyboard does what the prompt says, else why not."""


@dataclass(frozen=True)
class Case:
    category: str
    prompt: str
    check: Check


PLURALS = {"bus": "buses", "fox": "foxes", "box": "boxes", "sheep": "sheep", "fish": "fish", "butterfly": "butterflies"}
NUMBERS = ["one", "two", "three", "four", "five"]


def plural(noun: str) -> str:
    return PLURALS.get(noun, noun + "s")


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


# -- reading a storyboard ------------------------------------------------------------------------


def _matches(entity: Entity, noun: str) -> bool:
    return entity.category == noun or noun in entity.name.lower().split() or noun in entity.id.split("_")


def _of_kind(board: Storyboard, noun: str) -> list[Entity]:
    return [e for e in board.entities if _matches(e, noun)]


def _samples(scene: Scene, start: float = 0.0, end: float = 1.0, n: int = 9) -> list[float]:
    return [scene.duration * (start + (end - start) * k / (n - 1)) for k in range(n)]


def _track(scene: Scene, entity_id: str) -> list[tuple[float, Box]]:
    """The entity's box at 41 instants across the scene, where it is visible."""
    points = []
    for t in _samples(scene, 0.0, 1.0, 41):
        box = scene.layout_at(t).get(entity_id)
        if box is not None:
            points.append((t, box))
    return points


def _only_scene(board: Storyboard) -> Scene:
    return board.scenes[0] if len(board.scenes) == 1 else _merged(board)


def _merged(board: Storyboard) -> Scene:
    # A benchmark prompt is one scene; a planner that split it is judged on its longest scene.
    return max(board.scenes, key=lambda s: len(s.entities))


# -- checks ----------------------------------------------------------------------------------------


def count_is(noun: str, n: int) -> Check:
    def check(board: Storyboard) -> str | None:
        scene = _only_scene(board)
        ids = {e.id for e in _of_kind(board, noun)}
        middle = scene.layout_at(scene.duration / 2)
        visible = [i for i in middle if i in ids]
        return None if len(visible) == n else f"{len(visible)} {noun} boxes visible mid-scene, want {n}"

    return check


def colours_bound(pairs: list[tuple[str, str]]) -> Check:
    def check(board: Storyboard) -> str | None:
        scene = _only_scene(board)
        visible = set(scene.layout_at(scene.duration / 2))
        for colour, noun in pairs:
            found = [e for e in _of_kind(board, noun) if e.attributes.get("color") == colour and e.id in visible]
            if not found:
                return f"no visible {colour} {noun}"
        return None

    return check


def visible_half(noun: str, half: str) -> Check:
    def check(board: Storyboard) -> str | None:
        scene = _only_scene(board)
        entities = _of_kind(board, noun)
        if not entities:
            return f"no {noun} in the cast"
        entity_id = entities[0].id
        first = [entity_id in scene.layout_at(t) for t in _samples(scene, 0.05, 0.42)]
        second = [entity_id in scene.layout_at(t) for t in _samples(scene, 0.58, 0.95)]
        shown, hidden = (second, first) if half == "second" else (first, second)
        if not all(shown):
            return f"{noun} not visible throughout the {half} half"
        if any(hidden):
            return f"{noun} visible outside the {half} half"
        return None

    return check


def moves(noun: str, direction: str, other: str | None = None) -> Check:
    """direction: left_to_right, right_to_left, top_to_bottom, bottom_to_top. With `other`,
    relative to it (LVD's two-object case: 'from the left of a dog to its right')."""

    def check(board: Storyboard) -> str | None:
        scene = _only_scene(board)
        movers = _of_kind(board, noun)
        if not movers:
            return f"no {noun} in the cast"
        track = _track(scene, movers[0].id)
        if len(track) < 2:
            return f"{noun} is not visible long enough to move"
        (t0, a), (t1, b) = track[0], track[-1]
        axis = 0 if direction in ("left_to_right", "right_to_left") else 1
        sign = 1 if direction in ("left_to_right", "top_to_bottom") else -1
        if other is None:
            shift = (b.center[axis] - a.center[axis]) * sign
            return None if shift > 0.2 else f"{noun} moved {shift:+.2f} along {direction}"
        others = [e for e in _of_kind(board, other) if e.id != movers[0].id]
        if not others:
            return f"no {other} in the cast"
        ref_a = scene.layout_at(t0).get(others[0].id)
        ref_b = scene.layout_at(t1).get(others[0].id)
        if ref_a is None or ref_b is None:
            return f"{other} not visible at the start and end of the move"
        before = (a.center[axis] - ref_a.center[axis]) * sign
        after = (b.center[axis] - ref_b.center[axis]) * sign
        return None if before < 0 < after else f"{noun} relative to {other}: {before:+.2f} -> {after:+.2f}"

    return check


def visits(noun: str, regions: list[str]) -> Check:
    """First visible box in regions[0], last in regions[-1], and the middle ones visited in order between."""

    def check(board: Storyboard) -> str | None:
        scene = _only_scene(board)
        movers = _of_kind(board, noun)
        if not movers:
            return f"no {noun} in the cast"
        track = _track(scene, movers[0].id)
        if not track:
            return f"{noun} is never visible"
        if not in_region(track[0][1], regions[0]):
            return f"{noun} starts at {track[0][1].center}, not {regions[0]}"
        if not in_region(track[-1][1], regions[-1]):
            return f"{noun} ends at {track[-1][1].center}, not {regions[-1]}"
        k = 0
        for region in regions[1:-1]:
            while k < len(track) and not in_region(track[k][1], region):
                k += 1
            if k == len(track):
                return f"{noun} never visits {region} in order"
        return None

    return check


# -- the prompts -----------------------------------------------------------------------------------

OPEN_VOCABULARY = ["penguin", "giraffe", "elephant", "turtle", "zebra", "tiger", "monkey", "squirrel", "camel", "kangaroo"]
"""Nouns outside `planners.lexicon.NOUNS`: every third prompt uses one."""


def _open(k: int, noun: str) -> str:
    return OPEN_VOCABULARY[k % len(OPEN_VOCABULARY)] if k % 3 == 2 else noun


NUMERACY_NOUNS = ["cat", "dog", "bird", "car", "ball", "rabbit", "horse", "duck", "balloon", "boat", "sheep", "tree"]
COLOURS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray"]
MOVERS = ["car", "cat", "bird", "ball", "dog", "horse", "rabbit", "boat"]
VERB = {"car": "drives", "cat": "walks", "bird": "flies", "ball": "rolls", "dog": "runs", "horse": "gallops", "rabbit": "hops", "boat": "sails"}


def numeracy() -> list[Case]:
    cases = []
    templates = [
        "A realistic lively video of a scene with {n} {things}.",
        "{N} {things} wait in the park.",
        "There are {n} {things} on the grass.",
    ]
    k = 0
    for number in range(1, 6):
        for j in range(5):
            noun = _open(k, NUMERACY_NOUNS[(number * 5 + j) % len(NUMERACY_NOUNS)])
            things = noun if number == 1 else plural(noun)
            text = templates[k % len(templates)].format(n=NUMBERS[number - 1], N=NUMBERS[number - 1].capitalize(), things=things)
            cases.append(Case("numeracy", text, count_is(noun, number)))
            k += 1
    return cases


def attribute_binding() -> list[Case]:
    cases = []
    templates = [
        "A realistic lively video of a scene with {a1} {c1} {n1} and {a2} {c2} {n2}.",
        "{A1} {c1} {n1} sits beside {a2} {c2} {n2}.",
        "{A1} {c1} {n1} and {a2} {c2} {n2} are in the field.",
    ]
    nouns = ["car", "cat", "bird", "ball", "dog", "balloon", "boat", "umbrella"]
    for k in range(24):
        c1, c2 = COLOURS[k % len(COLOURS)], COLOURS[(k * 3 + 4) % len(COLOURS)]
        if c1 == c2:
            c2 = COLOURS[(k + 5) % len(COLOURS)]
        n1, n2 = nouns[k % len(nouns)], nouns[(k * 5 + 3) % len(nouns)]
        if n1 == n2:
            n2 = nouns[(k + 1) % len(nouns)]
        n2 = _open(k, n2)
        text = templates[k % len(templates)].format(
            a1=article(c1), A1=article(c1).capitalize(), c1=c1, n1=n1, a2=article(c2), c2=c2, n2=n2
        )
        cases.append(Case("attribute binding", text, colours_bound([(c1, n1), (c2, n2)])))
    return cases


def visibility() -> list[Case]:
    cases = []
    templates = [
        "A realistic lively video of a scene in which {a} {noun} appears only in the {half} half of the video.",
        "{A} {noun} is visible only in the {half} half.",
        "In the {half} half of the scene, {a} {noun} appears.",
    ]
    nouns = ["car", "cat", "bird", "ball", "dog", "horse", "rabbit", "duck"]
    for k in range(24):
        noun = _open(k, nouns[k % len(nouns)])
        half = "second" if k % 2 == 0 else "first"
        text = templates[(k // 2) % len(templates)].format(a=article(noun), A=article(noun).capitalize(), noun=noun, half=half)
        cases.append(Case("visibility", text, visible_half(noun, half)))
    return cases


def spatial_dynamics() -> list[Case]:
    cases = []
    one = [
        "A realistic lively video of a scene with {a} {noun} moving from the {r1} to the {r2}.",
        "{A} {noun} {verb} from the {r1} to the {r2}.",
        "{A} {noun} {verb} from {r1} to {r2} across the frame.",
    ]
    for k in range(16):
        noun = _open(k, MOVERS[k % len(MOVERS)])
        r1, r2 = ("left", "right") if k % 2 == 0 else ("right", "left")
        text = one[k % len(one)].format(a=article(noun), A=article(noun).capitalize(), noun=noun, verb=VERB.get(noun, "moves"), r1=r1, r2=r2)
        cases.append(Case("spatial dynamics", text, moves(noun, f"{r1}_to_{r2}")))
    for k in range(8):
        noun, other = MOVERS[k % len(MOVERS)], _open(k, MOVERS[(k + 3) % len(MOVERS)])
        r1, r2 = ("left", "right") if k % 2 == 0 else ("right", "left")
        text = f"A realistic lively video of a scene with {article(noun)} {noun} moving from the {r1} of {article(other)} {other} to its {r2}."
        cases.append(Case("spatial dynamics", text, moves(noun, f"{r1}_to_{r2}", other)))
    return cases


SEQUENCES = [
    ("lower left", "lower right", "upper right"),
    ("lower left", "upper left", "upper right"),
    ("lower right", "lower left", "upper left"),
    ("lower right", "upper right", "upper left"),
]


def sequential_moves() -> list[Case]:
    cases = []
    templates = [
        "A realistic lively video of a top-down viewed scene in which {a} {noun} initially on the {r1} of the scene. "
        "It first moves to the {r2} of the scene and then moves to the {r3} of the scene.",
        "{A} {noun} starts at the {r1}. It first goes to the {r2}, then to the {r3}.",
        "{A} {noun} first moves from the {r1} to the {r2}, then to the {r3}.",
    ]
    nouns = ["car", "cat", "bird", "ball", "dog", "robot"]
    for k in range(24):
        noun = _open(k, nouns[k % len(nouns)])
        r1, r2, r3 = SEQUENCES[k % len(SEQUENCES)]
        text = templates[(k // 4) % len(templates)].format(a=article(noun), A=article(noun).capitalize(), noun=noun, r1=r1, r2=r2, r3=r3)
        regions = [r.replace(" ", "_") for r in (r1, r2, r3)]
        cases.append(Case("sequential moves", text, visits(noun, regions)))
    return cases


def all_cases() -> list[Case]:
    return numeracy() + attribute_binding() + visibility() + spatial_dynamics() + sequential_moves()


CATEGORIES = ["numeracy", "attribute binding", "visibility", "spatial dynamics", "sequential moves"]
