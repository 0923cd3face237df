"""The LLM planner's stages: prompt templates from `prompts/`, and the JSON schema each answer is held to.

Every stage's answer is a small pydantic model built for the scene at hand:
entity ids, places, colours and nouns are `Literal` enums made from the script
(the entities of this scene, the frame regions its text names, the colours it
mentions), so even a 135M model cannot answer with an id that does not exist
or a region nobody asked for. The JSON schema the backend constrains
generation to is that model's `model_json_schema()`, and the answer is
validated by the same model, so what the planner reads is valid by
construction. The field shapes follow `director.storyboard` (`Relation`,
`Motion`, `Visibility`, `Box`), reduced to what one stage decides.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from director.layout import SPATIAL_PREDICATES
from director.storyboard import Direction, MoveKind, Region, ShotAngle, ShotSize
from planners import lexicon as lx

PROMPT_SET = "v1"
STAGES = ("scenes", "cast", "kinds", "graph", "motion", "visibility", "layout", "shots")

Message = dict[str, str]


@dataclass(frozen=True)
class PromptTemplate:
    """A stage's chat: the system message, few-shot pairs, and the question with `$placeholders`."""

    name: str
    version: str
    messages: tuple[Message, ...]

    def render(self, **values: str) -> list[Message]:
        *examples, question = self.messages
        return [*examples, {"role": question["role"], "content": Template(question["content"]).substitute(values)}]


SECTION = re.compile(r"^## (system|user|assistant)\s*$", re.MULTILINE)


@cache
def load_template(stage: str, version: str = PROMPT_SET) -> PromptTemplate:
    """Read `prompts/<stage>.<version>.md` through importlib.resources."""
    text = files("prompts").joinpath(f"{stage}.{version}.md").read_text(encoding="utf-8")
    parts = SECTION.split(text)[1:]  # [role, content, role, content, ...]
    messages = tuple({"role": role, "content": content.strip()} for role, content in zip(parts[::2], parts[1::2], strict=True))
    if not messages or messages[-1]["role"] != "user":
        raise ValueError(f"prompts/{stage}.{version}.md must end with a `## user` section (the question)")
    return PromptTemplate(stage, version, messages)


@cache
def prompts_fingerprint(version: str = PROMPT_SET) -> str:
    """Hash of every stage template: part of the plan cache key, so editing a prompt re-plans."""
    digest = hashlib.sha256()
    for stage in STAGES:
        digest.update(files("prompts").joinpath(f"{stage}.{version}.md").read_bytes())
    return digest.hexdigest()[:16]


# -- answer models ------------------------------------------------------------------------------


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _enum(values: list[str] | tuple[str, ...]) -> Any:
    return Literal[tuple(dict.fromkeys(values))]  # type: ignore[valid-type]


SETTINGS = tuple(dict.fromkeys(setting for _, setting in lx.SETTINGS))
TIMES_OF_DAY = ("day", "night", "dawn", "dusk", "evening", "morning")
ACTION_PREDICATES = tuple(sorted({predicate for _, predicate in lx.ACTION_PHRASES}))
WHEN_RELATION = ("always", "start", "end")
WHEN_VISIBLE = ("always", "first_half", "second_half", "start", "end")
REGIONS: tuple[str, ...] = Region.__args__  # type: ignore[attr-defined]


def scenes_answer() -> type[Answer]:
    return create_model(
        "SceneAnswer",
        __base__=Answer,
        setting=(_enum(SETTINGS), Field(description="Where the scene happens.")),
        time_of_day=(_enum(TIMES_OF_DAY), Field(description="When.")),
    )


def cast_answer(nouns: list[str], colours: list[str], max_things: int = 8) -> type[Answer]:
    """Things with a count and a colour; at most `max_things` of them (the planner asks for as many
    as it offers nouns: a small model repeats a noun until the list is full, and every token costs)."""
    thing = create_model(
        "Thing",
        __base__=Answer,
        noun=(_enum(nouns), Field(description="The thing, as the scene names it (singular).")),
        count=(Annotated[int, Field(ge=1, le=12)], Field(description="How many.")),
        color=(_enum([*colours, "none"]), Field(description="Its colour, or none.")),
    )
    return create_model("CastAnswer", __base__=Answer, things=(Annotated[list[thing], Field(max_length=max_things)], ...))  # type: ignore[valid-type]


def kinds_answer(nouns: list[str], max_things: int | None = None) -> type[Answer]:
    """Which of `nouns` name things one could see: the nouns alone (no count, no colour), each a few
    tokens, so one question covers the unknown nouns of several scenes; at most `max_things` of them."""
    most = len(nouns) if max_things is None else max_things
    listed = Annotated[list[_enum(nouns)], Field(max_length=most, description="The words that name visible things.")]  # type: ignore[misc]
    return create_model("KindsAnswer", __base__=Answer, things=(listed, ...))


def graph_answer(entities: list[str]) -> type[Answer]:
    relation = create_model(
        "RelationItem",
        __base__=Answer,
        subject=(_enum(entities), ...),
        predicate=(_enum(sorted(SPATIAL_PREDICATES) + list(ACTION_PREDICATES)), ...),
        object=(_enum(entities), ...),
        when=(_enum(WHEN_RELATION), Field(description="always, or only at the start / end of the scene.")),
    )
    return create_model("GraphAnswer", __base__=Answer, relations=(Annotated[list[relation], Field(max_length=8)], ...))  # type: ignore[valid-type]


def motion_answer(entities: list[str], places: list[str], max_moves: int = 6) -> type[Answer]:
    motion = create_model(
        "MotionItem",
        __base__=Answer,
        entity=(_enum(entities), ...),
        origin=(_enum([*places, "none"]), Field(description="Where the move starts.")),
        path=(Annotated[list[_enum(places)], Field(max_length=4)], Field(description="Places visited, in order.")),  # type: ignore[misc]
        enters=(bool, ...),
        exits=(bool, ...),
    )
    return create_model("MotionAnswer", __base__=Answer, motions=(Annotated[list[motion], Field(max_length=max_moves)], ...))  # type: ignore[valid-type]


def visibility_answer(entities: list[str], max_spans: int = 8) -> type[Answer]:
    span = create_model(
        "VisibilityItem",
        __base__=Answer,
        entity=(_enum(entities), ...),
        when=(_enum(WHEN_VISIBLE), ...),
    )
    return create_model("VisibilityAnswer", __base__=Answer, visibility=(Annotated[list[span], Field(max_length=max_spans)], ...))  # type: ignore[valid-type]


Percent = Annotated[int, Field(ge=0, le=100)]
PercentBox = Annotated[list[Percent], Field(min_length=4, max_length=4, description="[x0, y0, x1, y1] in percent.")]


def layout_answer(entities: list[str]) -> type[Answer]:
    """Every entity must get a box at both keyframes: required keys, so none can be forgotten."""
    frame = create_model("KeyframeBoxes", __base__=Answer, **{e: (PercentBox, ...) for e in entities})  # type: ignore[call-overload]
    return create_model("LayoutAnswer", __base__=Answer, start=(frame, ...), end=(frame, ...))


SHOT_SIZES: tuple[str, ...] = ShotSize.__args__  # type: ignore[attr-defined]
SHOT_ANGLES: tuple[str, ...] = ShotAngle.__args__  # type: ignore[attr-defined]
MOVE_KINDS: tuple[str, ...] = MoveKind.__args__  # type: ignore[attr-defined]
DIRECTIONS: tuple[str, ...] = Direction.__args__  # type: ignore[attr-defined]


def shot_answer(entities: list[str], people: list[str]) -> type[Answer]:
    """One shot line as a `Shot` without its times (`director.storyboard.Shot`, `CameraMove`): whose eyes
    only among the scene's people, subjects only among its entities."""
    return create_model(
        "ShotAnswer",
        __base__=Answer,
        size=(_enum(SHOT_SIZES), Field(description="How much the shot shows.")),
        angle=(_enum(SHOT_ANGLES), Field(description="Where the camera looks from.")),
        pov=(_enum([*people, "none"]), Field(description="Whose eyes a pov shot looks through.")),
        move=(_enum(MOVE_KINDS), Field(description="What the camera does.")),
        direction=(_enum([*DIRECTIONS, "none"]), Field(description="pan/truck: left or right; tilt: up or down; zoom/dolly: in or out.")),
        subjects=(Annotated[list[_enum(entities)], Field(max_length=4)], Field(description="The entities it frames.")),  # type: ignore[misc]
    )


def schema_of(model: type[Answer]) -> dict[str, Any]:
    return model.model_json_schema()


# -- what the text offers the enums ------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+")
_NOT_THINGS = (
    lx.NOT_NAMES
    | lx.MOTION_VERBS
    | lx.ENTER_WORDS
    | lx.EXIT_WORDS
    | lx.COLORS
    | frozenset(lx.SIZES)
    | lx.OTHER_ADJECTIVES
    | frozenset(lx.NUMBERS)
    | lx.REGION_FILLERS
    | frozenset(w for phrase, _ in lx.REGION_PHRASES for w in phrase)
    | frozenset(w for phrase, _ in lx.ACTION_PHRASES for w in phrase)
    | frozenset(w for phrase, _ in lx.SPATIAL_PHRASES for w in phrase)
    | frozenset(
        """video scene scenes realistic lively viewed top-down down initially starts start end ends half halves
        visible appears appear only is are was were be been there moves moving moved goes going sits sit stands
        stand wait waits waiting play plays playing rest rests parked way its across around toward towards
        into onto out off up back away again along where one both while second third last beginning moment
        time times seconds minutes""".split()
    )
    | frozenset(w for keywords, _ in lx.SETTINGS for w in keywords if w not in lx.NOUNS)
)


def noun_form(word: str) -> str | None:
    """The singular a word of the text would be offered as ('penguins' -> 'penguin'), or None for a word
    that cannot name a thing (a verb of moving, a colour, a number, a region, an -ly adverb)."""
    low = word.lower()
    if low in _NOT_THINGS or len(low) < 3 or low.endswith("ly") or not low.isalpha():
        return None
    return lx.singular(low) or (low[:-1] if low.endswith("s") and not low.endswith("ss") and len(low) > 3 else low)


def candidate_nouns(text: str) -> list[str]:
    """Words of the text that could name a thing (singular), for the cast stage's enum."""
    found: list[str] = []
    for word in _WORD.findall(text):
        noun = noun_form(word)
        if noun is not None and noun not in found:
            found.append(noun)
    return found or ["thing"]


def colours_in(text: str) -> list[str]:
    words = {w.lower() for w in _WORD.findall(text)}
    return [c if c != "grey" else "gray" for c in sorted(lx.COLORS) if c in words]


def places_in(text: str) -> list[str]:
    """Frame regions the text names as places ('to the upper right', 'from left'), in order of first
    mention; 'left of the tree' is a relation, not a place, and 'top-down' is a view."""
    words = [w.lower() for w in _WORD.findall(re.sub(r"\btop[- ]down\b", " ", text, flags=re.IGNORECASE))]
    found: list[str] = []
    k = 0
    while k < len(words):
        for phrase, region in lx.REGION_PHRASES:
            if tuple(words[k : k + len(phrase)]) == phrase:
                after = [w for w in words[k + len(phrase) : k + len(phrase) + 3] if w not in ("the", "a", "an")]
                relation = bool(after) and after[0] == "of" and (len(after) < 2 or after[1] not in lx.REGION_FILLERS)
                if region not in found and not relation:
                    found.append(region)
                k += len(phrase) - 1
                break
        k += 1
    return found


VISIBILITY_CUES = re.compile(r"\b(half|appears?|disappears?|vanish\w*|visible|gone|only|shows? up|near the end|at the end)\b", re.IGNORECASE)
MOTION_CUES = re.compile(r"\b(enters?|exits?|leaves|arrives?|comes in|from|first|then|initially|starts? at)\b", re.IGNORECASE)
