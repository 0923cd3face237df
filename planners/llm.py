"""The LLM planner: a script -> a storyboard, stage by stage, every model answer held to a JSON schema.

The default (`director plan SCRIPT`) runs offline on a CPU with an embedded
model (SmolLM2-135M-Instruct; `--llm-model gemma3-270m` for Gemma 3 270M, see
`planners.backends`); `backend="openai"`,
`"transformers"` or `"vllm"` point the same stages at a larger model.

Stages (templates in `prompts/`, version recorded in `provenance.prompt_version`):

1. **Scenes**: the scene boundaries are the script's own (`director.script`:
   Fountain headings, "Scene N:" lines, prose paragraphs), with timing from
   its beats; the model names each scene's setting and time of day.
2. **Cast**: which nouns the lexicon lacks name things (`kinds`, asked once
   per noun for the whole script, several nouns a question), and each
   scene's things with their count and colour (`cast`). Identities across
   scenes ("a cat" ... "the cat" ... "it") are linked by a cast registry, the
   rules planner's coreference.
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
the default). The kinds question runs first; nouns the model names that the
lexicon lacks ("a penguin") are taught to the rules planner's reader (lexicon,
noun phrases, coreference, patterns), which then reads the script; its reading
is the draft. Which source wins in each stage is data, `MERGE_POLICY` (one of
`POLICIES[stage]`: `reader`, `fill`, `number_said`, `model`, see `Policy`),
chosen by measurement on a validation split (`benchmarks/bench_llm_stages.py`,
numbers in `benchmarks/RESULTS.md`). A stage whose answer could not change the
plan under its policy is not asked (that is most of the speed on a CPU): a
`reader` stage never; kinds only about nouns the lexicon lacks and WordNet
names no being or vehicle of (`planners/kinds.py`: the reader knows those), and
has at least one sense a camera could show ('news', 'illness' have none), where the
parser puts a cast member (the subject or object of a verb, the object of a
place: not 'his hand', 'a cup of coffee', 'A beat.'), each noun once, eight
to a question; counts only where the draft counted a kind otherwise than a
number the parser binds to its noun; `fill` stages only where the draft has a gap the text
has words for, about the entities and sentences that could fill it. Every
answer may list as many items as it is offered ids (the embedded models
repeat an item until a list is full), and its length in tokens is capped to
match: a feature-length screenplay is planned in minutes, not half an hour
(`benchmarks/RESULTS.md`). An answer that fails its schema or
the backend leaves the draft as it is.

| stage | `fill` uses the model's answer when | `model` |
|---|---|---|
| scenes | the text names no setting the lexicon knows (time of day only if the text says one) | always |
| kinds | (`model`: a noun the lexicon lacks, where the parser puts a cast member, that the model names as a thing is taught to the reader, unless it names no being and the script first writes it in caps, as a prop or sound it emphasises) | |
| counts | (`number_said`: the model's count of a kind wins where the parse binds that number to the noun; it adds members only where an indefinite phrase brings them in) | wherever it differs |
| graph | the draft has nothing on the pair and the text has a word for the predicate, or it refines the draft's relation into a timed start/end pair | the model's relations of a pair replace the draft's |
| motion | the draft's places are a subsequence of the model's (it adds places), or the draft has no move and the model's uses only unexplained places | the model's move of an entity replaces the draft's |
| visibility | the draft has no span for the entity | the model's span replaces the draft's |
| layout | larger models only (off for the embedded ones, whose boxes are unusable): boxes of a plausible size, then repaired by the solver | |
| shots | a shot line whose subjects (or a POV line whose eyes) the reader could not find: the model's, where the line's words name them | the model's size, angle, move, subjects and POV of every shot line |

With `use_rules=False` the model's answers are all there is (ids from its
own cast, coreference by noun and colour); `benchmarks/bench_layout.py`
reports both, and how many answers of each stage were used, so it is clear
which part does what.

Everything about one plan (the cast so far, the report) lives in a `PlanRun`;
`LLMPlanner` holds settings and the lazily loaded backend only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from director.atomic import write_text_atomically
from director.errors import InputError
from director.layout import SPATIAL_PREDICATES, plan_layout
from director.planner import PlanOptions
from director.script import Script, ScriptScene, ShotLine, split_sentences
from director.storyboard import (
    Box,
    CameraMove,
    Entity,
    LayoutFrame,
    Motion,
    Provenance,
    Relation,
    Scene,
    Shot,
    Storyboard,
    Visibility,
)
from planners import lexicon as lx
from planners import shots as shot_planning
from planners import stages as st
from planners.backends import Backend, BackendConfig, BackendError, create_backend, model_id_for
from planners.kinds import kind_of, never_seen, taught_category
from planners.reading import Word, load_parser, read_sentences
from planners.rules import HEADING, RulesPlanner
from planners.shots import Coverage

log = logging.getLogger(__name__)

PROMPT_VERSION = f"prompts-{st.PROMPT_SET}"

ProgressCallback = Callable[[str, int, int], None]
"""(what is being done, scenes done, scenes in all): the same shape as `director.execute.ProgressCallback`."""

# Answer lengths (tokens): a cast thing is about 18 ({"noun": "car", "count": 3, "color": "none"}, ), a
# kinds noun about 4 ("backpack", ), a move about 30, a span about 14; the bases cover the braces. Each
# answer may hold as many items as it is offered ids: a small model repeats one until the list is full.
CAST_TOKENS_BASE, CAST_TOKENS_PER_THING = 16, 24
KINDS_TOKENS_BASE, KINDS_TOKENS_PER_NOUN = 12, 8
MOTION_TOKENS_BASE, MOTION_TOKENS_PER_MOVE = 16, 36
VISIBILITY_TOKENS_BASE, VISIBILITY_TOKENS_PER_SPAN = 12, 16
KINDS_BATCH = 8
"""Nouns offered in one kinds question (from as many scenes as it takes)."""
KINDS_ANSWER_NOUNS = 4
"""Nouns one kinds answer may name. SmolLM2-135M names one to three of the eight it is offered, then repeats
one until the list is full (Big Fish's first questions: ["sidewalk" x 7], ["catfish", "water", "sandwich" ...],
["bottom" x 8]): the repeats cost about 40 ms a token on the 2-core machine and change nothing."""
KINDS_TEXT_CHARS = 600
"""Sentences shown in one kinds question, in characters (a long first one is shown whole)."""

# -- which source wins where ---------------------------------------------------------------------------

Policy = Literal["reader", "fill", "number_said", "model"]
"""How a stage's model answer meets the rules reader's draft:

- `reader`: the draft stands; the model is not asked at all.
- `fill`: the model's answer is used only where the draft has nothing (no relation on that pair, no
  motion or span for that entity, no setting the lexicon knows), and only when the text has words
  for it (a predicate's cue between the two names, the places of a move said with the entity).
- `number_said` (counts): the model's count of a kind wins where the draft's differs and the text
  says that very number (two ... twelve, or digits) of that noun, as the parser binds numerals ("three
  moving cars", "three of the cars"; not "Two checkstands over, a blonde woman"): the model binds the
  number to the noun, the parse confirms it. It adds members only where that phrase brings them in (not
  "the two women", who are already there, nor "They are two women"), as copies of the noun's own.
- `model`: the model's answer wins wherever it gives one (the draft stays where it is silent).
"""

POLICIES: dict[str, tuple[Policy, ...]] = {
    "scenes": ("reader", "fill", "model"),  # the setting (background) of a scene without a heading
    "kinds": ("reader", "model"),  # things the lexicon lacks ("a penguin"), taught to the reader
    "counts": ("reader", "number_said", "model"),  # how many of a kind the draft also found
    "graph": ("reader", "fill", "model"),  # relations and actions between two entities, with when
    "motion": ("reader", "fill", "model"),  # origin, places visited in order, entering, exiting
    "visibility": ("reader", "fill", "model"),  # when an entity can be seen
    "shots": ("reader", "fill", "model"),  # size, angle, POV, move and subjects of each shot line (issue 16)
}

MERGE_POLICY: dict[str, Policy] = {
    # Chosen on the validation split of LVD's prompts (benchmarks/bench_llm_stages.py: the best score,
    # a tie going to fewer model calls; the numbers, and each stage's contribution on the test split,
    # are in benchmarks/RESULTS.md). SmolLM2-135M, 45 distinct prompts (185 cases):
    "scenes": "fill",  # not scored by LVD (backgrounds): kept as it was
    "kinds": "model",  # LVD names no noun the lexicon lacks (a tie); on the screenplays it adds 2 moves and the Beast's 2nd identity (RESULTS)
    "counts": "number_said",  # 100% numeracy as `model` on the old reader (then 50%); the reader now counts LVD's prompts itself, so none is asked
    "graph": "reader",  # `fill` ties with 2 more calls; `model` loses 10 dynamic-spatial cases
    "motion": "fill",  # ties with `reader` at no call; `model` loses 7 dynamic, gains 5 sequential, -2 in all
    "visibility": "fill",  # ties with `reader` and `model`, no call asked
    # Not yet measured on a validation split (benchmarks/bench_shots.py scores the reader's shots): `fill`
    # asks only about shot lines whose subject or POV the reader could not resolve, and uses an answer
    # only where the line's own words name what it gives.
    "shots": "fill",
}


def merge_policy(overrides: Mapping[str, str] | None = None) -> dict[str, Policy]:
    """MERGE_POLICY with some stages set otherwise (for the benchmark's ablations); unknown names are an error."""
    policy = dict(MERGE_POLICY)
    for stage, value in (overrides or {}).items():
        if stage not in POLICIES:
            raise InputError(f"LLM planner policy: unknown stage {stage!r}; the stages are {', '.join(POLICIES)}")
        if value not in POLICIES[stage]:
            raise InputError(f"LLM planner policy: {stage} can be {', '.join(POLICIES[stage])}, not {value!r}")
        policy[stage] = value  # type: ignore[assignment]
    return policy


@dataclass
class PlanReport:
    """What each stage asked and what became of the answers: for the benchmark and for people."""

    calls: Counter = field(default_factory=Counter)  # stage -> model calls
    proposed: Counter = field(default_factory=Counter)  # stage -> items the model gave
    used: Counter = field(default_factory=Counter)  # stage -> items that went into the storyboard
    repaired: Counter = field(default_factory=Counter)  # stage -> repair rounds asked
    dropped: Counter = field(default_factory=Counter)  # stage -> items still wrong after repair
    seconds: Counter = field(default_factory=Counter)  # stage -> seconds spent waiting for the model
    notes: list[str] = field(default_factory=list)
    cached: bool = False


class LLMPlanner:
    """Plans with an LLM in small stages, answers held to JSON schemas; the embedded SmolLM2 by default.

    The planner holds its settings and the (lazily loaded) backend; everything about one plan lives in
    a `PlanRun`, so one planner plans one script after another with nothing carried over."""

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
        policy: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        coverage: Coverage = "default",
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
        self.policy = merge_policy(policy)
        # The layout stage is off for the embedded models by default: their boxes are not usable
        # (SmolLM2 answers [1, 2, 3, 4] for every entity), and the solver's boxes from the scene graph are.
        self.keyframe_boxes = keyframe_boxes if keyframe_boxes is not None else backend != "embedded"
        self.repair_rounds = repair_rounds
        self.progress = progress
        self.coverage = coverage  # shots where the script names none (`planners.shots`)
        self._backend: Backend | None = None
        self._backend_lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        with self._backend_lock:
            if self._backend is None:
                self._backend = create_backend(self.config)
            return self._backend

    # -- the plan cache ----------------------------------------------------------------------------

    def cache_key(self, script: Script, options: PlanOptions) -> str:
        """Script, planner, model, prompt version (and the prompts' text), seed, options and merge policy."""
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
            "policy": self.policy,
            "coverage": self.coverage,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / "plans" / key[:2] / f"{key}.json" if self.cache_dir is not None else None

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, script: Script, options: PlanOptions | None = None) -> Storyboard:
        return self.plan_with_report(script, options)[0]

    def plan_with_report(self, script: Script, options: PlanOptions | None = None) -> tuple[Storyboard, PlanReport]:
        """The storyboard, and what each stage asked and what became of the answers."""
        options = options or PlanOptions()
        path = self._cache_path(self.cache_key(script, options))
        if path is not None and path.is_file():
            try:
                board = Storyboard.from_json(path.read_text(encoding="utf-8"), source=str(path))
                return board, PlanReport(cached=True)
            except (InputError, OSError):
                log.warning("ignoring unreadable cached plan %s", path)
        run = PlanRun(self, script, options)
        board = run.plan()
        if path is not None:
            write_text_atomically(path, board.to_json())
        return board, run.report


@dataclass
class PlanRun:
    """One plan of one script: its cast so far and its report. Made by `LLMPlanner.plan`, used once."""

    planner: LLMPlanner
    script: Script
    options: PlanOptions
    report: PlanReport = field(default_factory=PlanReport)
    cast: dict[str, Entity] = field(default_factory=dict)
    lexicon: lx.Lexicon = field(default_factory=lambda: lx.DEFAULT)  # the reader's, with the kinds the model taught

    @property
    def use_rules(self) -> bool:
        return self.planner.use_rules

    def policy(self, stage: str) -> Policy:
        """What wins in `stage`; without the reader there is no draft, so the model's answer is all there is."""
        return self.planner.policy[stage] if self.use_rules else "model"

    def _progress(self, what: str, done: int, total: int) -> None:
        if self.planner.progress is not None:
            self.planner.progress(what, done, total)

    def _each_scene(self, what: str, scenes: list[Scene], texts: list[str], step: Callable[[Scene, str], Scene]) -> list[Scene]:
        out = []
        for k, (scene, text) in enumerate(zip(scenes, texts, strict=True)):
            out.append(step(scene, text))
            self._progress(what, k + 1, len(scenes))
        return out

    def plan(self) -> Storyboard:
        script, options = self.script, self.options
        texts = [script_scene.action_text for script_scene in script.scenes]
        names = {c.lower() for c in script.characters}
        # The kinds question runs first: the nouns the lexicon lacks that the model says name things ("a
        # penguin") are taught to the deterministic reader, which then reads counts, colours and moves
        # for them too. Each such noun is offered once for the whole script, several in one question.
        taught = {}
        if self.use_rules and self.policy("kinds") == "model":
            for noun in self._ask_kinds(texts, names):
                category = taught_category(noun)  # a catfish is a fish
                if category == noun and _first_written_in_caps(noun, texts):
                    self.report.dropped["kinds"] += 1  # 'And a BIRTHDAY CARD.': a prop or a sound the script emphasises
                    self.report.notes.append(f"kinds: {noun!r} is not taught: the script first writes it in caps, as it emphasises a prop or a sound")
                    continue
                taught[noun] = category
        self.lexicon = lx.DEFAULT.with_nouns(taught)
        draft = RulesPlanner(lexicon=self.lexicon, coverage=self.planner.coverage).plan(script, options)
        self.report.used["kinds"] += len(taught)
        cast: dict[str, Entity] = {e.id: e for e in draft.entities}
        self.cast = cast
        scenes = [scene.model_copy(update={"layouts": []}) for scene in draft.scenes]
        if not self.use_rules:  # the model's reading only: keep the script's structure, timing and speakers
            speakers = {line.speaker for scene in scenes for line in scene.dialogue if line.speaker}
            cast = {i: e for i, e in cast.items() if i in speakers}
            self.cast = cast
            scenes = [
                s.model_copy(update={"entities": [i for i in s.entities if i in speakers], "relations": [], "motions": [], "visibility": []})
                for s in scenes
            ]
        # The other stages go stage by stage across all scenes (not scene by scene): consecutive
        # calls share the stage's few-shot prefix, which llama.cpp keeps evaluated.
        scenes = self._each_scene("setting", scenes, texts, self._scene_setting)
        scenes = self._each_scene("cast", scenes, texts, lambda scene, text: self._cast(scene, text, names))
        scenes = self._each_scene("graph", scenes, texts, self._graph)
        scenes = self._each_scene("motion", scenes, texts, self._motion)
        scenes = self._each_scene("visibility", scenes, texts, self._visibility)
        aspect = options.width / options.height
        scenes = self._each_scene("layout", scenes, texts, lambda scene, text: self._layout(scene, text, aspect))
        scenes = [self._shots(scene, script_scene) for scene, script_scene in zip(scenes, script.scenes, strict=True)]
        used = {i for s in scenes for i in s.entities} | {line.speaker for s in scenes for line in s.dialogue if line.speaker}
        model = model_id_for(self.planner.config)
        return Storyboard(
            title=draft.title,
            fps=draft.fps,
            width=draft.width,
            height=draft.height,
            style=draft.style,
            entities=[e for i, e in self.cast.items() if i in used],
            scenes=scenes,
            provenance=Provenance(planner=self.planner.name, model=model, prompt_version=PROMPT_VERSION, seed=options.seed),
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
        rounds = self.planner.repair_rounds
        for attempt in range(1 + rounds):
            self.report.calls[stage] += 1
            started = time.perf_counter()
            try:
                raw = self.planner.backend.complete_json(messages, schema, max_tokens=max_tokens, seed=self.options.seed)
                answer = answer_model.model_validate(raw)
            except (BackendError, ValidationError) as e:
                self.report.notes.append(f"{stage}: {e}")
                if attempt == rounds or not isinstance(e, ValidationError):
                    return None
                self.report.repaired[stage] += 1
                messages = [*messages, {"role": "user", "content": f"That answer does not fit the format: {e}. Answer again."}]
                continue
            finally:
                self.report.seconds[stage] += time.perf_counter() - started
            found = problems(answer) if problems is not None else []
            if not found or attempt == rounds:
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
        entity = self.cast.get(entity_id)
        words = set(entity_id.split("_")) - {str(n) for n in range(20)}
        if entity is not None:
            words |= {entity.name.lower().split()[-1], entity.category}
        return words | {"it", "he", "she", "they"}

    # -- stage 1: scenes ------------------------------------------------------------------------------

    def _scene_setting(self, scene: Scene, text: str) -> Scene:
        policy = self.policy("scenes")
        if HEADING.match(scene.heading.strip()) or not text or policy == "reader":
            return scene  # a Fountain heading says where and when
        words = set(text.lower().replace(".", " ").replace(",", " ").split())
        named = any(w in keywords for w in words for keywords, _ in lx.SETTINGS)
        if policy == "fill" and named:
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

    def _cast_question(self, scene: Scene, text: str, names: set[str], said: dict[str, list[NumberSaid]]) -> list[str]:
        """The nouns of one scene whose count (and colour) could change the plan. With the reader, a noun
        of a kind the draft has in the scene and whose count it could change: one the parser binds a number
        to that the draft counted otherwise (`counts: number_said`; "three moving cars" read as two), or any
        (`counts: model`). Without it, every candidate. Empty: nothing to ask. `said`: `_numbers_said` of the text."""
        nouns = [n for n in st.candidate_nouns(text) if n != "thing" and n not in names] if text else []
        if not self.use_rules:
            return (nouns or ["thing"]) if text else []
        policy = self.policy("counts")
        if policy == "reader":
            return []
        wanted = []
        for noun in nouns:
            category = self.lexicon.nouns.get(noun)
            if category is None:
                continue
            drafted = sum(1 for i in scene.entities if _counted_as(self.cast[i], noun, category))
            if drafted and (policy == "model" or any(n.number != drafted for n in said.get(noun, []))):
                wanted.append(noun)
        return wanted

    def _ask_cast(self, text: str, nouns: list[str]) -> list[Any]:
        """The model's things in one scene's action text, one per noun (the first answer for a noun wins).
        The answer may list as many things as it is offered nouns (at most 8), and its length is capped to
        match: a small model repeats a noun until the list is full."""
        if not nouns:
            return []  # no answer could change anything
        most = min(8, len(nouns))
        answer = self._ask("cast", st.cast_answer(nouns, st.colours_in(text), most), CAST_TOKENS_BASE + CAST_TOKENS_PER_THING * most, text=text)
        things: dict[str, Any] = {}
        for thing in answer.things if answer is not None else []:  # type: ignore[attr-defined]
            self.report.proposed["cast"] += 1
            things.setdefault(thing.noun, thing)
        return list(things.values())

    def _kind_questions(self, texts: list[str], names: set[str]) -> list[tuple[list[str], list[str], int]]:
        """The kinds questions of a whole script: (nouns, the sentences that show them, the last scene
        they come from). A noun is offered once, whichever scenes repeat it (the reader is taught a kind
        for the whole script), and only where a reader could cast it: a noun the lexicon lacks, after a
        determiner or number, that the parser marks as a noun in a role a cast member has (the subject or
        object of a verb, the object of a preposition other than 'of', in apposition or a conjunct of
        one), not a name. Up to `KINDS_BATCH` nouns a question."""
        unknown: list[list[str]] = [
            [n for n in st.candidate_nouns(text) if _askable(n, names) and _is_noun_phrase_head(n, text)]
            if text
            else []
            for text in texts
        ]
        if not any(unknown):
            return []
        wanted = {n for nouns in unknown for n in nouns}
        owner: list[int] = []
        sentences: list[str] = []
        for k, text in enumerate(texts):
            for sentence in split_sentences(text) if unknown[k] else []:
                if any(st.noun_form(w) in wanted for w in st._WORD.findall(sentence)):
                    owner.append(k)
                    sentences.append(sentence)
        name_words = names | {w for name in names for w in name.split()}
        questions: list[tuple[list[str], list[str], int]] = []
        nouns: list[str] = []
        shown: list[str] = []
        offered: set[str] = set()
        last = 0
        for k, sentence, words in zip(owner, sentences, read_sentences(load_parser(), sentences, lambda w: w in name_words), strict=True):
            found = [_noun_of(w) for i, w in enumerate(words) if st.noun_form(w.low) in unknown[k] and _in_cast_role(words, i)]
            new = [n for n in dict.fromkeys(found) if n not in offered and _askable(n, names) and _is_noun_phrase_head(n, sentence)]
            if not new:
                continue
            if nouns and (len(nouns) + len(new) > KINDS_BATCH or sum(map(len, shown)) + len(sentence) > KINDS_TEXT_CHARS):
                questions.append((nouns, shown, last))
                nouns, shown = [], []
            nouns += new
            shown.append(sentence)
            offered.update(new)
            last = k
        if nouns:
            questions.append((nouns, shown, last))
        return questions

    def _ask_kinds(self, texts: list[str], names: set[str]) -> list[str]:
        """The nouns the lexicon lacks that the model says name visible things: to be taught to the reader."""
        found: list[str] = []
        questions = self._kind_questions(texts, names)
        for q, (nouns, sentences, last) in enumerate(questions):
            most = min(len(nouns), KINDS_ANSWER_NOUNS)
            answer = self._ask("kinds", st.kinds_answer(nouns, most), KINDS_TOKENS_BASE + KINDS_TOKENS_PER_NOUN * most, text=" ".join(sentences))
            for noun in answer.things if answer is not None else []:  # type: ignore[attr-defined]
                self.report.proposed["kinds"] += 1
                if noun not in found:
                    found.append(noun)
            self._progress("kinds", len(texts) if q == len(questions) - 1 else last + 1, len(texts))  # in scenes, as the other stages
        return found

    def _cast(self, scene: Scene, text: str, names: set[str]) -> Scene:
        """With the reader: the model's counts where the policy lets them win. Without it: the model's
        things are the cast (identities linked by noun and colour)."""
        said = _numbers_said(text, names) if self.use_rules and self.policy("counts") == "number_said" else {}  # parsed once for both
        nouns = self._cast_question(scene, text, names, said)
        shown = text
        if self.use_rules and nouns:  # the sentences that name what is counted (a screenplay's scene is long)
            shown = " ".join(sentence for sentence in split_sentences(text) if any(st.noun_form(w) in nouns for w in st._WORD.findall(sentence)))
        things = self._ask_cast(shown or text, nouns)
        return self._counts(scene, things, said) if self.use_rules else self._model_cast(scene, things)

    def _counts(self, scene: Scene, things: list[Any], said: dict[str, list[NumberSaid]]) -> Scene:
        """Make the scene hold as many of a kind as the model counted: more are copies of the draft's
        (same description, moves and relations), fewer drop the last ones with what they did.

        With `number_said`, the count must be a number the parser binds to that very noun in the scene
        ('two blonde women', 'three of the cars'; not 'Two checkstands over, a blonde woman'), and a count
        adds members only where that noun phrase brings them in: not 'the two women' (those the scene
        already has), not 'They are two separate women' (a predicate says what they are), and only as
        copies of a drafted entity of that noun itself (not a fish of another name for 'three catfish')."""
        policy = self.policy("counts")
        if policy == "reader" or not things:
            return scene
        for thing in things:
            category = self.lexicon.nouns.get(thing.noun, thing.noun)
            mine = [i for i in scene.entities if _counted_as(self.cast[i], thing.noun, category)]
            if not mine or thing.count == len(mine):
                continue
            if policy == "number_said":
                phrases = [n for n in said.get(thing.noun, []) if n.number == thing.count]
                if not phrases:
                    continue
                if thing.count > len(mine) and not (any(n.introduces for n in phrases) and _of_noun(self.cast[mine[-1]], thing.noun)):
                    continue
            self.report.used["counts"] += 1
            if thing.count < len(mine):
                gone = set(mine[thing.count :])
                scene = scene.model_copy(
                    update={
                        "entities": [i for i in scene.entities if i not in gone],
                        "relations": [r for r in scene.relations if r.subject not in gone and r.object not in gone],
                        "motions": [m for m in scene.motions if m.entity not in gone],
                        "visibility": [v for v in scene.visibility if v.entity not in gone],
                    }
                )
                continue
            model_entity = self.cast[mine[-1]]
            stem = re.sub(r"_\d+$", "", model_entity.id)
            entities, relations = list(scene.entities), list(scene.relations)
            motions, visibility = list(scene.motions), list(scene.visibility)
            for _ in range(thing.count - len(mine)):
                n = len(mine) + 1
                while f"{stem}_{n}" in self.cast:
                    n += 1
                entity_id = f"{stem}_{n}"  # numbered like the draft's: car_1, car_2 ... car_3
                name = re.sub(r"\s\d+$", "", model_entity.name) + f" {n}"
                self.cast[entity_id] = model_entity.model_copy(update={"id": entity_id, "name": name})
                entities.insert(entities.index(mine[-1]) + 1, entity_id)
                mine.append(entity_id)
                relations += [r.model_copy(update={"subject": entity_id}) for r in scene.relations if r.subject == model_entity.id]
                motions += [m.model_copy(update={"entity": entity_id}) for m in scene.motions if m.entity == model_entity.id]
                visibility += [v.model_copy(update={"entity": entity_id}) for v in scene.visibility if v.entity == model_entity.id]
            scene = scene.model_copy(update={"entities": entities, "relations": relations, "motions": motions, "visibility": visibility})
        return scene

    def _model_cast(self, scene: Scene, things: list[Any]) -> Scene:
        cast = self.cast
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
        policy = self.policy("graph")
        if len(scene.entities) < 2 or not text or policy == "reader":
            return scene
        related = {frozenset((r.subject, r.object)) for r in scene.relations if r.object is not None}
        if policy == "fill" and len(related) >= len(scene.entities) - 1:
            return scene  # the draft already relates the scene's entities; the model would only be overruled
        if policy == "fill" and not _words(text) & ALL_CUES:
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
            if drafted and policy == "model":
                relations = [r for r in relations if r not in drafted]  # the model's reading of the pair wins
            elif drafted and policy == "fill":
                untimed = [r for r in drafted if r.start is None and r.end is None and r.predicate in SPATIAL_PREDICATES]
                first = timed.get("start")
                if untimed and first is not None and "end" in timed and (first.subject, first.predicate) == (untimed[0].subject, untimed[0].predicate):
                    relations = [r for r in relations if r not in untimed]  # the model refines it into start and end
                    items = list(timed.values())
                else:
                    continue
            for r in items:
                if policy == "fill" and not _said_in_order(text, self._names(r.subject), _cues(r.predicate), self._names(r.object)):
                    continue
                start, end = spans[r.when]
                relation = Relation(subject=r.subject, predicate=r.predicate, object=r.object, start=start, end=end)
                if relation not in relations:
                    relations.append(relation)
                    self.report.used["graph"] += 1
        return scene.model_copy(update={"relations": relations})

    # -- stage 4: motions and visibility ------------------------------------------------------------------

    def _motion(self, scene: Scene, text: str) -> Scene:
        policy = self.policy("motion")
        places = st.places_in(text)
        if not scene.entities or not places or policy == "reader":
            return scene
        drafted_places = {p for m in scene.motions for p in ([m.origin] if m.origin else []) + list(m.path)}
        if policy == "fill" and all(p in drafted_places for p in places):
            return scene  # the draft's motions already account for every place the text names
        offered, shown = list(scene.entities), text
        if policy == "fill":  # a usable answer adds a place the draft leaves unexplained: ask about the sentences that name one
            unexplained = set(places) - drafted_places
            sentences = [sentence for sentence in split_sentences(text) if unexplained & set(st.places_in(sentence))]
            movers = {m.entity for m in scene.motions}
            offered = [e for e in offered if e in movers or any(_said_in_order(sentence, self._names(e)) for sentence in sentences)]
            shown = " ".join(sentences)
            if not offered or not shown:
                return scene
        most = min(6, len(offered))
        answer = self._ask(
            "motion",
            st.motion_answer(offered, places, most),
            min(200, MOTION_TOKENS_BASE + MOTION_TOKENS_PER_MOVE * most),
            entities=", ".join(offered),
            places=", ".join(places),
            text=shown,
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
            if policy == "fill":
                drafted_sequence = [p for x in drafted for p in ([x.origin] if x.origin else []) + list(x.path)]
                if drafted and not (len(sequence) > len(drafted_sequence) and _is_subsequence(drafted_sequence, sequence)):
                    continue  # the draft read an explicit move; the model may only add places around it
                if not drafted and not (set(sequence) <= unexplained and _said_in_order(text, self._names(m.entity), _place_words(sequence))):
                    continue  # a move the reader did not see must use places it could not explain, said with the entity
            keep_draft_ends = policy == "fill" and drafted
            enters = any(x.enters for x in drafted) if keep_draft_ends else m.enters
            exits = any(x.exits for x in drafted) if keep_draft_ends else m.exits
            try:
                motion = Motion(entity=m.entity, origin=origin, path=list(m.path), enters=enters, exits=exits)
            except ValidationError:
                self.report.dropped["motion"] += 1
                continue
            motions = [x for x in motions if x.entity != m.entity] + [motion]
            self.report.used["motion"] += 1
        return scene.model_copy(update={"motions": motions})

    def _visibility(self, scene: Scene, text: str) -> Scene:
        policy = self.policy("visibility")
        if not scene.entities or not st.VISIBILITY_CUES.search(text) or policy == "reader":
            return scene
        offered = list(scene.entities)
        if policy == "fill":  # only an entity without a span of the draft's, named in a sentence with a word for it, can get one
            cued = [sentence for sentence in split_sentences(text) if st.VISIBILITY_CUES.search(sentence)]
            offered = [e for e in offered if not any(v.entity == e for v in scene.visibility) and any(_said_in_order(c, self._names(e)) for c in cued)]
            if not offered:
                return scene
            text = " ".join(c for c in cued if any(_said_in_order(c, self._names(e)) for e in offered))  # the sentences that say it
        most = min(8, len(offered))
        answer = self._ask(
            "visibility", st.visibility_answer(offered, most), VISIBILITY_TOKENS_BASE + VISIBILITY_TOKENS_PER_SPAN * most, entities=", ".join(offered), text=text
        )
        if answer is None:
            return scene
        d = scene.duration
        spans = {"first_half": (0.0, d / 2), "second_half": (d / 2, d), "start": (0.0, round(d / 3, 3)), "end": (round(2 * d / 3, 3), d)}
        visibility = list(scene.visibility)
        for v in answer.visibility:  # type: ignore[attr-defined]
            self.report.proposed["visibility"] += 1
            drafted = any(x.entity == v.entity for x in visibility)
            if policy == "fill" and (v.when == "always" or drafted):
                continue
            visibility = [x for x in visibility if x.entity != v.entity]
            if v.when != "always":
                start, end = spans[v.when]
                visibility.append(Visibility(entity=v.entity, start=start, end=end))
            self.report.used["visibility"] += 1
        return scene.model_copy(update={"visibility": visibility})

    # -- stage 5: keyframe layouts -------------------------------------------------------------------------

    def _layout(self, scene: Scene, text: str, aspect: float) -> Scene:
        cast = self.cast
        frames: list[LayoutFrame] = []
        if self.planner.keyframe_boxes and scene.entities:
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


    # -- stage 6: shots -------------------------------------------------------------------------------------

    def _shots(self, scene: Scene, script_scene: ScriptScene) -> Scene:
        """The draft's shots, kept to who is still in the scene; then, as the policy says, the model's
        reading of shot lines (`fill`: only where the reader found no subject, or no eyes for a POV)."""
        present = set(scene.entities)
        shots = [_shot_in(shot, present) for shot in scene.shots]
        policy = self.policy("shots")
        lines = {line.text: line for line in script_scene.shot_lines}
        people = [i for i in scene.entities if self.cast[i].category in shot_planning.PEOPLE]
        if policy != "reader" and scene.entities:
            for k, shot in enumerate(shots):
                line = lines.get(shot.description)
                if line is None:
                    continue  # default coverage, not a line of the script
                pov_line = shot_planning.pov_phrase(line) is not None
                gap = (pov_line and shot.pov is None) or (not pov_line and not shot.subjects and bool(shot_planning.framed_phrase(line)))
                if policy == "fill" and not gap:
                    continue
                answer = self._ask(
                    "shots", st.shot_answer(scene.entities, people), 80, entities=", ".join(f"{i} (person)" if i in people else i for i in scene.entities), text=line.text
                )
                if answer is None:
                    continue
                self.report.proposed["shots"] += 1
                merged = self._merge_shot(shot, answer, line, policy)
                if merged is not shot:
                    shots[k] = merged
                    self.report.used["shots"] += 1
        return Scene.model_validate({**scene.model_dump(), "shots": [s.model_dump() for s in shots]})

    def _merge_shot(self, shot: Shot, answer: Any, line: ShotLine, policy: Policy) -> Shot:
        """`fill`: the model's subjects (or eyes) where the draft has none and the line names them;
        `model`: the model's whole reading, where it makes a valid shot."""
        words = _words(line.text)
        subjects = [s for s in dict.fromkeys(answer.subjects) if s != answer.pov]
        pov = None if answer.pov == "none" else answer.pov
        if policy == "fill":
            named = [s for s in subjects if self._names(s) & words - {"it", "he", "she", "they"}]
            if shot.angle != "pov" and not shot.subjects and named:
                return shot.model_copy(update={"subjects": named})
            if shot_planning.pov_phrase(line) is not None and shot.pov is None and pov is not None:
                try:
                    return Shot.model_validate({**shot.model_dump(), "angle": "pov", "pov": pov, "subjects": [s for s in shot.subjects if s != pov]})
                except ValidationError:
                    self.report.dropped["shots"] += 1
            return shot
        try:
            move = CameraMove(kind=answer.move, direction=None if answer.direction == "none" else answer.direction, target=(subjects[:1] or [None])[0] if answer.move == "follow" else None)
            return Shot.model_validate(
                {**shot.model_dump(), "size": answer.size, "angle": "pov" if pov else ("eye_level" if answer.angle == "pov" else answer.angle), "pov": pov, "move": move.model_dump(), "subjects": subjects}
            )
        except ValidationError:
            self.report.dropped["shots"] += 1
            return shot


# -- checks and helpers ------------------------------------------------------------------------------


def _shot_in(shot: Shot, present: set[str]) -> Shot:
    """A draft shot framing only who is still in the scene (a later stage may have dropped someone)."""
    subjects = [s for s in shot.subjects if s in present]
    move = shot.move if shot.move.target is None or shot.move.target in present else CameraMove()
    return shot if (subjects, move) == (shot.subjects, shot.move) else shot.model_copy(update={"subjects": subjects, "move": move})


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


def _counted_as(entity: Entity, noun: str, category: str) -> bool:
    """Is `entity` one of the things 'three <noun>' counts? Of its kind, but people only by the noun
    itself: 'two men' counts the men of the scene, not Edward and Will beside them."""
    if category == "person":
        return noun in entity.id.split("_") or noun in entity.name.lower().split()
    return _is_kind(entity, noun, category)


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


_NUMBER_WORDS = {word: n for word, n in lx.NUMBERS.items() if n >= 2} | {"eleven": 11, "twelve": 12}
_NUMBER_SAID = re.compile(r"\b(?:" + "|".join(_NUMBER_WORDS) + r"|\d+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class NumberSaid:
    """A number the text says of a noun phrase: 'three moving cars' is NumberSaid(3, introduces=True)."""

    number: int
    introduces: bool
    """Does the phrase bring that many in ('two blonde women', 'three of the cars', 'with four cats')? Not
    a definite one ('the two women', 'his three sons': those the scene already has) nor a predicate ('They
    are two separate women': it says what some already are)."""


def _numbers_said(text: str, names: set[str]) -> dict[str, list[NumberSaid]]:
    """The numbers (two ... twelve, or digits from 2) the parser binds to each noun (singular) of the
    text: a numeral that modifies the noun ('three moving cars') or whose 'of' names it ('three of the
    cars'). A number beside a noun but bound to another ('Two checkstands over, a blonde woman'; 'in her
    50's -- the woman') is no count of it."""
    sentences = [sentence for sentence in split_sentences(text) if _NUMBER_SAID.search(sentence)]
    if not sentences:
        return {}
    name_words = names | {w for name in names for w in name.split()}
    found: dict[str, list[NumberSaid]] = {}
    for words in read_sentences(load_parser(), sentences, lambda w: w in name_words):
        for i, word in enumerate(words):
            number = int(word.low) if word.low.isdigit() else _NUMBER_WORDS.get(word.low)
            head = word.head if word.dep == "nummod" else _partitive(words, i)
            if number is None or number < 2 or head is None or head == i:
                continue
            noun = st.noun_form(words[head].low)
            if noun is None:
                continue
            phrase = head if word.dep == "nummod" else i  # 'three of the cars': the numeral heads the phrase, 'the' is the set's
            determiners = {w.low for w in words if w.head == phrase and w.dep in ("det", "poss")}
            said = NumberSaid(number, introduces=not determiners & lx.DEFINITE and words[phrase].dep != "attr")
            for form in dict.fromkeys((noun, _noun_of(words[head]))):
                found.setdefault(form, []).append(said)
    return found


def _partitive(words: list[Word], k: int) -> int | None:
    """The noun a numeral counts through 'of' ('three of the cars': cars), or None."""
    of = next((j for j, w in enumerate(words) if w.head == k and w.low == "of" and w.dep == "prep"), None)
    if of is None:
        return None
    return next((j for j, w in enumerate(words) if w.head == of and w.dep == "pobj"), None)


def _of_noun(entity: Entity, noun: str) -> bool:
    """Is the entity named by `noun` itself (its id or name has the word), not only of its category?"""
    return noun in entity.id.split("_") or noun in entity.name.lower().split()


_CAST_ROLES = frozenset({"nsubj", "nsubjpass", "dobj", "obj", "attr", "appos", "dative", "oprd"})


_SPATIAL_ENDINGS = frozenset(phrase for phrase, _ in lx.SPATIAL_PHRASES) | {("toward",), ("towards",), ("past",), ("around",)}
_POSSESSIVE = frozenset({"his", "her", "its", "their", "my", "our", "your"})


def _in_cast_role(words: list[Word], k: int) -> bool:
    """Is the parser's word k where a cast member stands, one a frame shows beside the others? The
    subject or object of a verb, the object of a spatial preposition ('next to a penguin',
    'to the left of a giraffe', 'toward a zebra'; not 'with a pencil', 'the edge of the platform'), in
    apposition, or a conjunct of one of those ('a dog and a penguin'); not one a character has ('his
    hand', 'her coat'). Never a word of a fragment ('A beat.', 'A long pause.'). But a sentence the
    parser read without a verb whose root ends in -s is most often a misreading of a short one ('A
    lantern waits.': 'lantern' an adjective of the plural noun 'waits'): there a word before that root
    may be its subject."""
    if not any(w.pos in ("VERB", "AUX") for w in words):
        root = next((i for i, w in enumerate(words) if w.dep == "ROOT"), 0)
        return k < root and words[root].low.endswith("s") and not (words[k].dep == "pobj" and not _spatial_preposition(words, words[k].head))
    if any(w.head == k and w.low in _POSSESSIVE for w in words):  # (the role, not the tag: the parser tags unknown nouns ADJ too)
        return False
    for _ in range(len(words)):
        word = words[k]
        if word.dep == "conj" and word.head != k:
            k = word.head
            continue
        if word.dep == "pobj":
            return _spatial_preposition(words, word.head)
        return word.dep in _CAST_ROLES
    return False


def _spatial_preposition(words: list[Word], p: int) -> bool:
    """Does the preposition at p end a phrase of place ('on', 'behind', 'next to', 'to the left of')?"""
    return any(tuple(w.low for w in words[p + 1 - len(phrase) : p + 1]) == phrase for phrase in _SPATIAL_ENDINGS if p + 1 >= len(phrase))


def _noun_of(word: Word) -> str:
    """The singular to offer for a word: the parser's lemma for a noun ('walruses' -> 'walrus'), else the
    word's plain singular."""
    if word.pos == "NOUN" and _is_identifier(word.lemma):
        return word.lemma
    return st.noun_form(word.low) or word.low


def _askable(noun: str, names: set[str]) -> bool:
    """May the kinds question offer `noun`? Not a noun the lexicon or WordNet's kinds already type, not a
    name, and not one WordNet knows only as something no camera shows ('news', 'illness', 'lifetime')."""
    return noun not in lx.NOUNS and kind_of(noun) is None and noun not in names and not never_seen(noun)


def _first_written_in_caps(noun: str, texts: list[str]) -> bool:
    """Is the first word of the action that names `noun` written in CAPS ('And a BIRTHDAY CARD.')? A
    screenplay writes a prop or a sound in caps so the reader notices it (the SPLASH, a BIRTHDAY CARD, the
    PHONE RINGS), which is no thing to cast, and the reader names an identity by its first mention; a
    noun a model teaches that WordNet gives no being or vehicle for is such a word when its first mention
    is in caps ('a bouquet of daffodils' ... 'TEN THOUSAND DAFFODILS.' is taught)."""
    for text in texts:
        for word in st._WORD.findall(text):
            if st.noun_form(word) == noun or word.lower() == noun:
                return len(word) > 1 and word.isupper()
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
