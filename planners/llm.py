"""The LLM planner: a script -> a storyboard, stage by stage, every model answer held to a JSON schema.

The default (`director plan SCRIPT`) runs offline on a CPU with the embedded
SmolLM2-135M-Instruct (see `planners.backends`); `backend="openai"`,
`"transformers"` or `"vllm"` point the same stages at a larger model.

Stages (templates in `prompts/`, version recorded in `provenance.prompt_version`):

1. **Scenes**: the scene boundaries are the script's own (`director.script`:
   Fountain headings, "Scene N:" lines, prose paragraphs), with timing from
   its beats; the model names each scene's setting and time of day.
2. **Cast**: the model lists each scene's things (noun, count, colour).
   Identities across scenes ("a cat" ... "the cat" ... "it") are linked by a
   cast registry, the rules planner's coreference.
3. **Scene graph** (Dysen-VDM style): relations and actions between the
   scene's entities, each always / at the start / at the end.
4. **Motions and visibility**: origin and places visited in order, entering
   and exiting; when each entity can be seen.
5. **Keyframe layouts** (VideoDirectorGPT style): a box per entity at the
   first and last keyframe, which the layout solver (`director.layout`) keeps
   where they agree with stages 3-4 and repairs where they do not.

Answers are valid by construction (the backend constrains generation to each
stage's schema, whose enums are built from the script: this scene's entity
ids, the regions its text names, the colours it mentions). Semantic problems
a schema cannot express (a relation of a thing to itself, two relations that
contradict, a box whose x1 is left of its x0) get one repair round: the model
sees its answer and the problems and answers again; what is still wrong is
dropped and reported in `PlanReport`.

**How the model's answers meet the deterministic parts** (`use_rules=True`,
the default). The cast stage runs first; nouns it finds that the lexicon
lacks ("a penguin") are taught to the rules planner's reader (lexicon, noun
phrases, coreference, patterns), which then reads the script; its reading is
the draft, and every other answer is merged into it field by field. A stage
whose question the draft already answers is not asked (that is most of the
speed on a CPU):

| stage | asked when | the model's answer is used when | otherwise |
|---|---|---|---|
| scenes | no Fountain heading | the text names no setting the lexicon knows (time of day only if the text says one) | the draft's background |
| cast | every scene with action | it names a thing the lexicon lacks: taught to the reader | the draft's entities, counts, colours |
| graph | some pair of entities has no draft relation | the draft has nothing on the pair and the text has a word for the predicate, or it refines the draft's relation into a timed start/end pair | the draft's relation |
| motion | the text names places the draft's motions do not use | the draft's places are a subsequence of the model's (it adds places), or the draft has no move and the model's uses only unexplained places | the draft's motion |
| visibility | some entity has no draft span and the text speaks of appearing, halves ... | the draft has no span for the entity | the draft's span |
| layout | larger models (off for the embedded one, whose boxes are unusable) | boxes of a plausible size, then repaired by the solver | the solver's boxes |

With `use_rules=False` the model's answers are all there is (ids from its
own cast, coreference by noun and colour); `benchmarks/bench_layout.py`
reports both, and how many answers of each stage were used, so it is clear
which part does what.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from director.atomic import write_text_atomically
from director.errors import InputError
from director.layout import SPATIAL_PREDICATES, plan_layout
from director.planner import PlanOptions
from director.script import Script
from director.storyboard import (
    Box,
    Entity,
    LayoutFrame,
    Motion,
    Provenance,
    Relation,
    Scene,
    Storyboard,
    Visibility,
)
from planners import lexicon as lx
from planners import stages as st
from planners.backends import Backend, BackendConfig, BackendError, create_backend, model_id_for
from planners.rules import HEADING, RulesPlanner

log = logging.getLogger(__name__)

PROMPT_VERSION = f"prompts-{st.PROMPT_SET}"


@dataclass
class PlanReport:
    """What each stage asked and what became of the answers: for the benchmark and for people."""

    calls: Counter = field(default_factory=Counter)  # stage -> model calls
    proposed: Counter = field(default_factory=Counter)  # stage -> items the model gave
    used: Counter = field(default_factory=Counter)  # stage -> items that went into the storyboard
    repaired: Counter = field(default_factory=Counter)  # stage -> repair rounds asked
    dropped: Counter = field(default_factory=Counter)  # stage -> items still wrong after repair
    notes: list[str] = field(default_factory=list)
    cached: bool = False


class LLMPlanner:
    """Plans with an LLM in small stages, answers held to JSON schemas; the embedded SmolLM2 by default."""

    name = "llm"

    def __init__(
        self,
        backend: str = "embedded",
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        gguf_file: str | None = None,
        cache_dir: str | Path | None = None,
        use_rules: bool = True,
        keyframe_boxes: bool | None = None,
        repair_rounds: int = 1,
        n_threads: int | None = None,
        response_format_style: str = "auto",
        timeout: float = 120.0,
    ) -> None:
        try:
            self.config = BackendConfig(
                kind=backend,  # type: ignore[arg-type]
                model=model,
                base_url=base_url,
                api_key=api_key,
                gguf_file=gguf_file,
                n_threads=n_threads,
                response_format_style=response_format_style,  # type: ignore[arg-type]
                timeout=timeout,
                cache_dir=str(cache_dir) if cache_dir is not None else None,
            )
        except ValidationError as e:
            from director.errors import format_validation_error

            raise InputError(f"LLM planner options: {format_validation_error(e)}") from None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.use_rules = use_rules
        # The layout stage is off for the embedded 135M model by default: its boxes are not usable
        # (it answers [1, 2, 3, 4] for every entity), and the solver's boxes from the scene graph are.
        self.keyframe_boxes = keyframe_boxes if keyframe_boxes is not None else backend != "embedded"
        self.repair_rounds = repair_rounds
        self._backend: Backend | None = None
        self._cast_now: dict[str, Entity] = {}
        self.report = PlanReport()

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = create_backend(self.config)
        return self._backend

    # -- the plan cache ----------------------------------------------------------------------------

    def cache_key(self, script: Script, options: PlanOptions) -> str:
        """Script, planner, model, prompt version (and the prompts' text), seed and options."""
        parts = {
            "script": _script_fingerprint(script),
            "planner": self.name,
            "model": model_id_for(self.config),
            "prompt_version": PROMPT_VERSION,
            "prompts": st.prompts_fingerprint(),
            "seed": options.seed,
            "options": options.model_dump(),
            "use_rules": self.use_rules,
            "keyframe_boxes": self.keyframe_boxes,
            "repair_rounds": self.repair_rounds,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / "plans" / key[:2] / f"{key}.json" if self.cache_dir is not None else None

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, script: Script, options: PlanOptions | None = None) -> Storyboard:
        options = options or PlanOptions()
        self.report = PlanReport()
        path = self._cache_path(self.cache_key(script, options))
        if path is not None and path.is_file():
            try:
                board = Storyboard.from_json(path.read_text(encoding="utf-8"), source=str(path))
                self.report.cached = True
                return board
            except (InputError, OSError):
                log.warning("ignoring unreadable cached plan %s", path)
        board = self._plan(script, options)
        if path is not None:
            write_text_atomically(path, board.to_json())
        return board

    def _plan(self, script: Script, options: PlanOptions) -> Storyboard:
        # Stage 2 runs first: the things the model finds that the lexicon lacks ("a penguin") are
        # taught to the deterministic reader, which then reads counts, colours and moves for them too.
        things = [self._ask_cast(script_scene.action_text) for script_scene in script.scenes]
        names = {c.lower() for c in script.characters}
        taught = {
            t.noun: t.noun
            for found, script_scene in zip(things, script.scenes, strict=True)
            for t in found
            if t.noun not in lx.NOUNS and t.noun not in names and _is_noun_phrase_head(t.noun, script_scene.action_text)
        }
        draft = RulesPlanner(lexicon=lx.DEFAULT.with_nouns(taught if self.use_rules else {})).plan(script, options)
        if self.use_rules:
            self.report.used["cast"] += len(taught)
        cast: dict[str, Entity] = {e.id: e for e in draft.entities}
        self._cast_now = cast
        scenes = [scene.model_copy(update={"layouts": []}) for scene in draft.scenes]
        texts = [script_scene.action_text for script_scene in script.scenes]
        if not self.use_rules:  # the model's reading only: keep the script's structure, timing and speakers
            speakers = {line.speaker for scene in scenes for line in scene.dialogue if line.speaker}
            cast = {i: e for i, e in cast.items() if i in speakers}
            scenes = [
                s.model_copy(update={"entities": [i for i in s.entities if i in speakers], "relations": [], "motions": [], "visibility": []})
                for s in scenes
            ]
        # The other stages go stage by stage across all scenes (not scene by scene): consecutive
        # calls share the stage's few-shot prefix, which llama.cpp keeps evaluated.
        scenes = [self._scene_setting(s, text) for s, text in zip(scenes, texts, strict=True)]
        for k, text in enumerate(texts):
            scenes[k] = self._cast(scenes[k], things[k], cast)
        for k, text in enumerate(texts):
            scenes[k] = self._graph(scenes[k], text)
        for k, text in enumerate(texts):
            scenes[k] = self._motion(scenes[k], text)
        for k, text in enumerate(texts):
            scenes[k] = self._visibility(scenes[k], text)
        aspect = options.width / options.height
        for k, text in enumerate(texts):
            scenes[k] = self._layout(scenes[k], text, cast, aspect)
        used = {i for s in scenes for i in s.entities} | {line.speaker for s in scenes for line in s.dialogue if line.speaker}
        return Storyboard(
            title=draft.title,
            fps=draft.fps,
            width=draft.width,
            height=draft.height,
            style=draft.style,
            entities=[e for i, e in cast.items() if i in used],
            scenes=scenes,
            provenance=Provenance(planner=self.name, model=model_id_for(self.config), prompt_version=PROMPT_VERSION, seed=options.seed),
        )

    # -- asking -------------------------------------------------------------------------------------------

    def _ask(
        self,
        stage: str,
        answer_model: type[st.Answer],
        max_tokens: int,
        problems: Any = None,
        **values: str,
    ) -> st.Answer | None:
        """One constrained call, plus up to `repair_rounds` rounds when `problems(answer)` finds any.
        None when the backend fails or the answer still does not validate (the draft stands)."""
        messages = st.load_template(stage).render(**values)
        schema = st.schema_of(answer_model)
        for attempt in range(1 + self.repair_rounds):
            self.report.calls[stage] += 1
            try:
                raw = self.backend.complete_json(messages, schema, max_tokens=max_tokens)
                answer = answer_model.model_validate(raw)
            except (BackendError, ValidationError) as e:
                self.report.notes.append(f"{stage}: {e}")
                if attempt == self.repair_rounds or not isinstance(e, ValidationError):
                    return None
                self.report.repaired[stage] += 1
                messages = [*messages, {"role": "user", "content": f"That answer does not fit the format: {e}. Answer again."}]
                continue
            found = problems(answer) if problems is not None else []
            if not found or attempt == self.repair_rounds:
                return answer
            self.report.repaired[stage] += 1
            messages = [
                *messages,
                {"role": "assistant", "content": answer.model_dump_json()},
                {"role": "user", "content": "Fix these problems and answer again: " + "; ".join(found)},
            ]
        return None

    def _names(self, entity_id: str) -> set[str]:
        """Words the text may use for an entity: its id's words, its name's last word, its category."""
        entity = self._cast_now.get(entity_id)
        words = set(entity_id.split("_")) - {str(n) for n in range(20)}
        if entity is not None:
            words |= {entity.name.lower().split()[-1], entity.category}
        return words | {"it", "he", "she", "they"}

    # -- stage 1: scenes ------------------------------------------------------------------------------

    def _scene_setting(self, scene: Scene, text: str) -> Scene:
        if HEADING.match(scene.heading.strip()) or not text:
            return scene  # a Fountain heading says where and when
        words = set(text.lower().replace(".", " ").replace(",", " ").split())
        named = any(w in keywords for w in words for keywords, _ in lx.SETTINGS)
        if self.use_rules and named:
            return scene
        answer = self._ask("scenes", st.scenes_answer(), 40, text=text)
        if answer is None:
            return scene
        self.report.proposed["scenes"] += 1
        self.report.used["scenes"] += 1
        setting = {"sky": "the sky", "snow": "the snow", "sea": "the sea", "desert": "the desert", "grass": "a meadow"}.get(
            answer.setting, f"a {answer.setting}"  # type: ignore[attr-defined]
        )
        time_of_day = answer.time_of_day  # type: ignore[attr-defined]
        grounded = time_of_day in words or any(lx.TIMES_OF_DAY.get(w) == time_of_day for w in words)
        background = f"{setting} at {time_of_day}" if grounded and time_of_day != "day" else setting
        return scene.model_copy(update={"background": background})

    # -- stage 2: cast --------------------------------------------------------------------------------

    def _ask_cast(self, text: str) -> list[Any]:
        """The model's things in one scene's action text, one per noun (the first answer for a noun wins)."""
        if not text:
            return []
        answer = self._ask("cast", st.cast_answer(st.candidate_nouns(text), st.colours_in(text)), 160, text=text)
        things: dict[str, Any] = {}
        for thing in answer.things if answer is not None else []:  # type: ignore[attr-defined]
            self.report.proposed["cast"] += 1
            things.setdefault(thing.noun, thing)
        return list(things.values())

    def _cast(self, scene: Scene, things: list[Any], cast: dict[str, Entity]) -> Scene:
        """Without the reader, the model's things are the cast. (With it, they were taught to the reader.)"""
        if self.use_rules:
            return scene
        present = list(scene.entities)
        for thing in things:
            noun, count, colour = thing.noun, thing.count, (None if thing.color == "none" else thing.color)
            category = lx.NOUNS.get(noun, noun)
            mine = [i for i in present if _is_kind(cast[i], noun, category)]
            if not _is_identifier(noun):
                continue
            # coreference by noun and colour: reuse the story's earlier ones
            earlier = [i for i, e in cast.items() if _is_kind(e, noun, category) and (colour is None or e.attributes.get("color") in (None, colour))]
            mine = [i for i in earlier if i not in present][: max(0, count - len(mine))] + mine
            while len(mine) < count:
                entity_id = _new_id(noun, cast)
                attributes = {"color": colour} if colour else {}
                label = f"{colour} {noun}" if colour else noun
                cast[entity_id] = Entity(id=entity_id, name=label, category=category, description=f"{'an' if label[0] in 'aeiou' else 'a'} {label}", attributes=attributes)
                mine.append(entity_id)
            for entity_id in mine[:count]:
                if entity_id not in present:
                    present.append(entity_id)
            self.report.used["cast"] += 1
        return scene.model_copy(update={"entities": present})

    # -- stage 3: scene graph ------------------------------------------------------------------------------

    def _graph(self, scene: Scene, text: str) -> Scene:
        if len(scene.entities) < 2 or not text:
            return scene
        related = {frozenset((r.subject, r.object)) for r in scene.relations if r.object is not None}
        if self.use_rules and len(related) >= len(scene.entities) - 1:
            return scene  # the draft already relates the scene's entities; the model would only be overruled
        if self.use_rules and not _words(text) & ALL_CUES:
            return scene  # no word in the text could ground a relation, so no answer could be used
        answer = self._ask("graph", st.graph_answer(scene.entities), 200, problems=_relation_problems, entities=", ".join(scene.entities), text=text)
        if answer is None:
            return scene
        d = scene.duration
        spans = {"always": (None, None), "start": (0.0, round(0.25 * d, 3)), "end": (round(0.75 * d, 3), d)}
        proposed = [r for r in answer.relations if r.subject != r.object]  # type: ignore[attr-defined]
        self.report.proposed["graph"] += len(answer.relations)  # type: ignore[attr-defined]
        self.report.dropped["graph"] += len(answer.relations) - len(proposed)  # type: ignore[attr-defined]
        relations = list(scene.relations)
        by_pair: dict[frozenset[str], list[Any]] = {}
        for r in proposed:
            by_pair.setdefault(frozenset((r.subject, r.object)), []).append(r)
        for pair, items in by_pair.items():
            drafted = [r for r in relations if r.object is not None and frozenset((r.subject, r.object)) == pair]
            timed = {r.when: r for r in items if r.when != "always"}
            if drafted and self.use_rules:
                untimed = [r for r in drafted if r.start is None and r.end is None and r.predicate in SPATIAL_PREDICATES]
                first = timed.get("start")
                if untimed and first is not None and "end" in timed and (first.subject, first.predicate) == (untimed[0].subject, untimed[0].predicate):
                    relations = [r for r in relations if r not in untimed]  # the model refines it into start and end
                    items = list(timed.values())
                else:
                    continue
            for r in items:
                if self.use_rules and not _said_in_order(text, self._names(r.subject), _cues(r.predicate), self._names(r.object)):
                    continue
                start, end = spans[r.when]
                relation = Relation(subject=r.subject, predicate=r.predicate, object=r.object, start=start, end=end)
                if relation not in relations:
                    relations.append(relation)
                    self.report.used["graph"] += 1
        return scene.model_copy(update={"relations": relations})

    # -- stage 4: motions and visibility ------------------------------------------------------------------

    def _motion(self, scene: Scene, text: str) -> Scene:
        places = st.places_in(text)
        if not scene.entities or not places:
            return scene
        drafted_places = {p for m in scene.motions for p in ([m.origin] if m.origin else []) + list(m.path)}
        if self.use_rules and all(p in drafted_places for p in places):
            return scene  # the draft's motions already account for every place the text names
        answer = self._ask(
            "motion", st.motion_answer(scene.entities, places), 200, entities=", ".join(scene.entities), places=", ".join(places), text=text
        )
        if answer is None:
            return scene
        motions = list(scene.motions)
        unexplained = set(places) - drafted_places
        seen: set[str] = set()
        for m in answer.motions:  # type: ignore[attr-defined]
            self.report.proposed["motion"] += 1
            origin = None if m.origin == "none" else m.origin
            sequence = ([origin] if origin else []) + list(m.path)
            if m.entity in seen or not (sequence or m.enters or m.exits):
                continue
            seen.add(m.entity)
            drafted = [x for x in motions if x.entity == m.entity]
            drafted_places = [p for x in drafted for p in ([x.origin] if x.origin else []) + list(x.path)]
            if drafted and not (len(sequence) > len(drafted_places) and _is_subsequence(drafted_places, sequence)):
                continue  # the draft read an explicit move; the model may only add places around it
            if self.use_rules and not drafted and not (set(sequence) <= unexplained and _said_in_order(text, self._names(m.entity), _place_words(sequence))):
                continue  # a move the reader did not see must use places it could not explain, said with the entity
            enters = any(x.enters for x in drafted) if drafted else m.enters
            exits = any(x.exits for x in drafted) if drafted else m.exits
            try:
                motion = Motion(entity=m.entity, origin=origin, path=list(m.path), enters=enters, exits=exits)
            except ValidationError:
                self.report.dropped["motion"] += 1
                continue
            motions = [x for x in motions if x.entity != m.entity] + [motion]
            self.report.used["motion"] += 1
        return scene.model_copy(update={"motions": motions})

    def _visibility(self, scene: Scene, text: str) -> Scene:
        if not scene.entities or not st.VISIBILITY_CUES.search(text):
            return scene
        if self.use_rules and all(any(v.entity == e for v in scene.visibility) for e in scene.entities):
            return scene  # the draft has a span for every entity
        answer = self._ask("visibility", st.visibility_answer(scene.entities), 120, entities=", ".join(scene.entities), text=text)
        if answer is None:
            return scene
        d = scene.duration
        spans = {"first_half": (0.0, d / 2), "second_half": (d / 2, d), "start": (0.0, round(d / 3, 3)), "end": (round(2 * d / 3, 3), d)}
        visibility = list(scene.visibility)
        for v in answer.visibility:  # type: ignore[attr-defined]
            self.report.proposed["visibility"] += 1
            if v.when == "always" or any(x.entity == v.entity for x in visibility):
                continue
            start, end = spans[v.when]
            visibility.append(Visibility(entity=v.entity, start=start, end=end))
            self.report.used["visibility"] += 1
        return scene.model_copy(update={"visibility": visibility})

    # -- stage 5: keyframe layouts -------------------------------------------------------------------------

    def _layout(self, scene: Scene, text: str, cast: dict[str, Entity], aspect: float) -> Scene:
        frames: list[LayoutFrame] = []
        if self.keyframe_boxes and scene.entities:
            entities = ", ".join(f"{i} ({cast[i].description or cast[i].name})" for i in scene.entities)
            answer = self._ask(
                "layout",
                st.layout_answer(scene.entities),
                40 + 30 * len(scene.entities),
                problems=lambda a: _box_problems(a, cast),
                entities=entities,
                text=text or scene.heading,
            )
            if answer is not None:
                for t, key in ((0.0, "start"), (scene.duration, "end")):
                    boxes = {}
                    for entity_id, values in getattr(answer, key).model_dump().items():
                        self.report.proposed["layout"] += 1
                        x0, y0, x1, y1 = (v / 100 for v in values)
                        if not _box_problem(entity_id, values, cast):
                            boxes[entity_id] = Box(x0=x0, y0=y0, x1=x1, y1=y1)
                            self.report.used["layout"] += 1
                        else:
                            self.report.dropped["layout"] += 1
                    frames.append(LayoutFrame(t=t, boxes=boxes))
                if not all(frame.boxes for frame in frames):
                    frames = []
        result = plan_layout(scene.model_copy(update={"layouts": frames}), cast, aspect=aspect)
        self.report.notes.extend(result.notes)
        return scene.model_copy(update={"layouts": result.layouts})


# -- checks and helpers ------------------------------------------------------------------------------


def _relation_problems(answer: Any) -> list[str]:
    problems = []
    for r in answer.relations:
        if r.subject == r.object:
            problems.append(f"'{r.subject} {r.predicate} {r.object}' relates a thing to itself")
    opposite = {"left_of": "right_of", "right_of": "left_of", "above": "below", "below": "above", "on": "under", "under": "on"}
    seen = {(r.subject, r.predicate, r.object, r.when) for r in answer.relations}
    for subject, predicate, obj, when in seen:
        if (subject, opposite.get(predicate), obj, when) in seen:
            problems.append(f"'{subject} {predicate} {obj}' and '{subject} {opposite[predicate]} {obj}' cannot both hold ({when})")
    return problems


def _box_problems(answer: Any, cast: dict[str, Entity]) -> list[str]:
    problems = []
    for key in ("start", "end"):
        for entity_id, values in getattr(answer, key).model_dump().items():
            problem = _box_problem(entity_id, values, cast)
            if problem:
                problems.append(f"{key} box of {entity_id} {values}: {problem}")
    return problems


def _box_problem(entity_id: str, values: list[int], cast: dict[str, Entity]) -> str | None:
    """A box must be a box, and about the size a thing of its kind is (within 4x of the solver's prior)."""
    from director.layout import CATEGORY_PRIORS, DEFAULT_PRIOR

    x0, y0, x1, y1 = values
    if not (x0 < x1 and y0 < y1):
        return "needs x0 < x1 and y0 < y1"
    expected = CATEGORY_PRIORS.get(cast[entity_id].category, DEFAULT_PRIOR).height * 100
    if not expected / 4 <= y1 - y0 <= min(100, expected * 4):
        return f"is {y1 - y0}% tall; a {cast[entity_id].category} is about {expected:.0f}%"
    return None


PREDICATE_CUES = {
    "left_of": {"left"},
    "right_of": {"right"},
    "above": {"above", "over"},
    "below": {"below", "under", "beneath"},
    "on": {"on", "onto", "upon", "top"},
    "under": {"under", "beneath", "underneath"},
    "beside": {"beside", "next", "alongside"},
    "near": {"near", "close", "beside", "next"},
    "in_front_of": {"front"},
    "behind": {"behind"},
}


ALL_CUES = frozenset(w for cues in PREDICATE_CUES.values() for w in cues) | frozenset(phrase[0] for phrase, _ in lx.ACTION_PHRASES)


def _cues(predicate: str) -> set[str]:
    """Words that can say this predicate: 'left' for left_of, 'chases' for chase."""
    if predicate in PREDICATE_CUES:
        return PREDICATE_CUES[predicate]
    return {phrase[0] for phrase, value in lx.ACTION_PHRASES if value == predicate}


def _place_words(places: list[str]) -> set[str]:
    return {w for place in places for phrase, region in lx.REGION_PHRASES if region == place for w in phrase}


def _said_in_order(text: str, *groups: set[str]) -> bool:
    """Is there a sentence with a word of each group, in this order ('the dog ... chases ... the ball')?"""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", sentence)]
        k = 0
        for group in groups:
            while k < len(words) and not (words[k] in group or words[k].rstrip("s") in group):
                k += 1
            if k == len(words):
                break
            k += 1
        else:
            return True
    return False


def _words(text: str) -> set[str]:
    return set(st._WORD.findall(text.lower()))


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


def _is_kind(entity: Entity, noun: str, category: str) -> bool:
    return entity.category == category or noun in entity.id.split("_") or noun in entity.name.lower().split()


_DETERMINERS = lx.DEFINITE | lx.INDEFINITE | frozenset(lx.NUMBERS) | {"some", "many", "several", "few"}
_MODIFIERS = lx.COLORS | frozenset(lx.SIZES) | lx.OTHER_ADJECTIVES


def _is_noun_phrase_head(noun: str, text: str) -> bool:
    """Does the text use `noun` as a thing: after a determiner or number ('a penguin', 'three purple
    penguins'), and in lower case (a capitalised word mid-sentence is a name)? 'The kite falls' does
    not make 'fall' a thing."""
    if not _is_identifier(noun):
        return False
    tokens = re.findall(r"[A-Za-z]+", text)
    low = [t.lower() for t in tokens]
    for i, word in enumerate(low):
        if word not in (noun, noun + "s", noun + "es") or tokens[i][0].isupper() and i > 0:
            continue
        j = i - 1
        while j >= 0 and low[j] in _MODIFIERS:
            j -= 1
        if j >= 0 and low[j] in _DETERMINERS:
            return True
    return False


def _is_identifier(word: str) -> bool:
    return word.isascii() and word.isalpha() and word.islower()


def _new_id(noun: str, cast: dict[str, Entity]) -> str:
    candidate, k = noun, 2
    while candidate in cast:
        candidate, k = f"{noun}_{k}", k + 1
    return candidate


def _script_fingerprint(script: Script) -> str:
    payload = [script.title, script.format, [(s.heading, s.transition, [repr(b) for b in s.beats]) for s in script.scenes], list(script.characters)]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()
