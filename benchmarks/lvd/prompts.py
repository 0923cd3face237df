"""LVD's stage-1 benchmark: its 500 prompts, in its order, each with the rule that scores it.

Rebuilt from `utils/eval/lvd.py` (`get_lvd_full_prompt_predicates("lvd")`) and the
prompt clean-up of `scripts/eval_stage_one.py` in TonyLianLong/LLM-groundedVideoDiffusion
at commit 22d90d2994ac3a938367383a11a5608f7fe73147 (Lian et al., "LLM-grounded Video
Diffusion Models", ICLR 2024). Five categories of 100 prompts:

- numeracy: one to four of each of five "attributed" classes ("moving car" ...), each
  prompt five times in a row;
- attribution: prompt k (k = 0..99) draws two colours, then two classes, with numpy's
  legacy generator seeded with k;
- visibility: each class appears only in the second half / only in the first half, ten
  times each;
- dynamic spatial: one object from the left to the right and back (each five times),
  then 25 seeds each drawing two classes for "from the left of B to its right" and again
  for "right to left";
- sequential: each class through four triples of quadrants, five times each.

A prompt's text is what LVD's evaluation sends to the model and uses as the key of its
answer cache: stripped and without a final full stop. LVD words its prompts with
`inflect`; for this fixed vocabulary that is the tables below (number words, plurals,
articles), and `tests/test_lvd_benchmark.py` checks the result against the keys of LVD's
cache files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.lvd.rules import Attribution, Count, MovesPast, MovesTo, Rule, Visibility, Visits

CATEGORIES: tuple[str, ...] = ("numeracy", "attribution", "visibility", "dynamic_spatial", "sequential")
"""LVD's `predicate.type` names, in the order of its table (its README calls the fourth 'Dynamics')."""

PREFIX = "A realistic lively video of a scene"
TOP_DOWN_PREFIX = "A realistic lively video of a top-down viewed scene"

CLASSES: tuple[tuple[str, str], ...] = (
    ("moving car", "car"),
    ("lively cat", "cat"),
    ("flying bird", "bird"),
    ("moving ball", "ball"),
    ("walking dog", "dog"),
)
"""(the name with its attribute, the bare class the rule looks for), in LVD's order."""
NOUNS: tuple[str, ...] = tuple(bare for _, bare in CLASSES)

COLOURS: tuple[str, ...] = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray")
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}  # inflect's number_to_words for LVD's counts


def _plural(name: str) -> str:
    """inflect's plural of LVD's five attributed names ('moving car' -> 'moving cars'): each ends in a regular noun."""
    return name + "s"


def _a(word: str) -> str:
    """inflect's indefinite article for this vocabulary: 'an orange', 'a red', 'a moving car'."""
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


@dataclass(frozen=True)
class Case:
    """One prompt of the benchmark and the rule its layout must pass."""

    index: int  # position in LVD's list (0..499)
    category: str  # one of CATEGORIES
    prompt: str  # as LVD's evaluation sends it (the key of its answer cache)
    rule: Rule


def _numeracy() -> list[tuple[str, Rule]]:
    items = []
    for number in range(1, 5):
        for name, bare in CLASSES:
            things = _plural(name) if number > 1 else name
            items += [(f"{PREFIX} with {NUMBER_WORDS[number]} {things}", Count(bare, number))] * 5
    return items


def _attribution() -> list[tuple[str, Rule]]:
    items = []
    for seed in range(100):
        draw = np.random.RandomState(seed)  # LVD: np.random.seed(ind), then two np.random.choice calls
        colour1, colour2 = (str(c) for c in draw.choice(COLOURS, 2, replace=False))
        noun1, noun2 = (str(n) for n in draw.choice(NOUNS, 2, replace=False))
        prompt = f"{PREFIX} with {_a(colour1)} {noun1} and {_a(colour2)} {noun2}"
        items.append((prompt, Attribution(noun1, colour1, noun2, colour2)))
    return items


def _visibility() -> list[tuple[str, Rule]]:
    items = []
    for name, bare in CLASSES:
        items += [(f"{PREFIX} in which {_a(name)} appears only in the second half of the video", Visibility(bare, appears=True))] * 10
        items += [(f"{PREFIX} in which {_a(name)} appears only in the first half of the video", Visibility(bare, appears=False))] * 10
    return items


SIDES = (("left", "right"), ("right", "left"))


def _dynamic_spatial() -> list[tuple[str, Rule]]:
    items = []
    for noun in NOUNS:
        for start, end in SIDES:
            items += [(f"{PREFIX} with {_a(noun)} moving from the {start} to the {end}", MovesTo(noun, start, end))] * 5
    for seed in range(25):
        draw = np.random.RandomState(seed)  # one seed per pair of prompts: the second draw continues the stream
        for start, end in SIDES:
            noun, other = (str(n) for n in draw.choice(NOUNS, 2, replace=False))
            prompt = f"{PREFIX} with {_a(noun)} moving from the {start} of {_a(other)} to its {end}"
            items.append((prompt, MovesPast(noun, other, start, end)))
    return items


QUADRANT_TRIPLES = (
    ("lower left", "lower right", "upper right"),
    ("lower left", "upper left", "upper right"),
    ("lower right", "lower left", "upper left"),
    ("lower right", "upper right", "upper left"),
)


def _sequential() -> list[tuple[str, Rule]]:
    items = []
    for noun in NOUNS:
        for first, second, third in QUADRANT_TRIPLES:
            prompt = (
                f"{TOP_DOWN_PREFIX} in which {_a(noun)} initially on the {first} of the scene. "
                f"It first moves to the {second} of the scene and then moves to the {third} of the scene."
            )
            items += [(prompt, Visits(noun, (first, second, third)))] * 5
    return items


def lvd_cases() -> list[Case]:
    """LVD's 500 prompts in its order (`get_lvd_full_prompt_predicates('lvd')`), as its evaluation sends them."""
    groups = [
        ("numeracy", _numeracy()),
        ("attribution", _attribution()),
        ("visibility", _visibility()),
        ("dynamic_spatial", _dynamic_spatial()),
        ("sequential", _sequential()),
    ]
    cases = []
    for category, items in groups:
        for prompt, rule in items:
            cases.append(Case(len(cases), category, prompt.strip().rstrip("."), rule))
    return cases
