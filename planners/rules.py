"""The rules planner: a script -> a storyboard with a lexicon and patterns, no LLM.

Fast, offline and deterministic: the fallback when no model is at hand, and
the workhorse of the tests. What it does, scene by scene:

1. **Scenes** come from the script's own structure (`director.script`):
   Fountain scene headings, "Scene N:" lines, or prose paragraphs.
2. **Timing**: each beat (an action sentence or a line of dialogue) gets a
   duration from its length; the scene lasts as long as its beats.
3. **Cast and coreference**: noun phrases whose head is in the lexicon
   ("a small black cat", "two red balloons"), names ("Mira", Fountain's
   "SARAH"), and pronouns. "a/an/another/two X" introduces new identities;
   "the X", "her X" and bare "X" refer back to the most recent X (matching
   colour if given); he/she/it/they to the most recent fitting entity. The cast
   is one registry for the whole story, so "the cat" in scene 4 is scene 1's cat.
4. **Scene graph**: spatial phrases between two mentions ("to the left of",
   "on top of", "beside") become relations; action verbs ("chases", "holds",
   "looks at") become timed action edges.
5. **Motions and visibility**: "from the left to the right", "enters from the
   upper right", "leaves to the left", "first ... to the top left, then to the
   bottom right", "appears only in the second half".
6. **Layout**: the deterministic solver (`director.layout`) turns all of that
   into a box per entity per keyframe.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from director.layout import plan_layout
from director.planner import PlanOptions
from director.script import Action, Script, ScriptScene, Speech, split_sentences
from director.storyboard import (
    DialogueLine,
    Entity,
    Motion,
    Provenance,
    Relation,
    Scene,
    Storyboard,
    Transition,
    Visibility,
)
from planners import lexicon as lx

log = logging.getLogger(__name__)

MIN_SCENE_SECONDS = 3.0
MAX_SCENE_SECONDS = 20.0


@dataclass
class _Token:
    text: str
    low: str


def _tokenize(sentence: str) -> list[_Token]:
    words = re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*|'s|’s|\d+(?:\.\d+)?|[.,;:!?]", sentence)
    return [_Token(w, w.lower().replace("’", "'")) for w in words]


@dataclass
class _Mention:
    start: int  # token span [start, end)
    end: int
    ids: list[str]


@dataclass
class _Cast:
    """The story's identities, with recency for coreference."""

    entities: dict[str, Entity] = field(default_factory=dict)
    nouns: dict[str, str] = field(default_factory=dict)  # id -> head noun as written
    gender: dict[str, str] = field(default_factory=dict)
    last_seen: dict[str, int] = field(default_factory=dict)
    last_subject: dict[str, int] = field(default_factory=dict)  # pronouns prefer recent subjects
    unintroduced: set[str] = field(default_factory=set)  # script characters no action line has described yet
    clock: int = 0

    def touch(self, ids: list[str]) -> list[str]:
        self.clock += 1
        for entity_id in ids:
            self.last_seen[entity_id] = self.clock
        return ids

    def _new_id(self, base: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_") or "thing"
        if not base[0].isalpha():
            base = "e_" + base
        candidate, k = base, 2
        while candidate in self.entities:
            candidate, k = f"{base}_{k}", k + 1
        return candidate

    def add(self, name: str, category: str, noun: str, attributes: dict[str, str], description: str) -> str:
        entity_id = self._new_id(name)
        self.entities[entity_id] = Entity(
            id=entity_id, name=name, category=category, description=description, attributes=attributes
        )
        self.nouns[entity_id] = noun
        if noun in lx.FEMALE_WORDS:
            self.gender[entity_id] = "f"
        elif noun in lx.MALE_WORDS:
            self.gender[entity_id] = "m"
        return entity_id

    def named(self, name: str, category: str = "person", noun: str = "person") -> str:
        for entity_id, entity in self.entities.items():
            if entity.name.lower() == name.lower():
                return entity_id
        return self.add(name, category, noun, {}, name)

    def character(self, name: str) -> str:
        """A speaking character from the script; 'OWL' is an owl until an action line says more."""
        word = name.lower()
        category = lx.NOUNS.get(word, "person")
        entity_id = self.named(name, category, word if word in lx.NOUNS else "person")
        self.unintroduced.add(entity_id)
        return entity_id

    def describe(self, entity_id: str, category: str, noun: str, attributes: dict[str, str], description: str) -> None:
        """What an action line says a named entity is: 'a little girl named Mira', 'her dog BISCUIT'."""
        entity = self.entities[entity_id]
        self.entities[entity_id] = entity.model_copy(
            update={
                "category": category,
                "description": f"{entity.name}, {description}",
                "attributes": {**attributes, **entity.attributes},
            }
        )
        self.nouns[entity_id] = noun
        self.unintroduced.discard(entity_id)
        if noun in lx.FEMALE_WORDS:
            self.gender[entity_id] = "f"
        elif noun in lx.MALE_WORDS:
            self.gender[entity_id] = "m"

    def introduced_as(self, noun: str, label: str) -> str | None:
        """A character not yet described whose name is this noun phrase ('OWL' for 'an old owl')."""
        for entity_id in sorted(self.unintroduced):
            if self.entities[entity_id].name.lower() in (noun, label):
                return entity_id
        return None

    def mark_subject(self, ids: list[str]) -> None:
        for entity_id in ids:
            self.last_subject[entity_id] = self.clock

    def recent(self, ids: list[str] | None = None) -> list[str]:
        pool = ids if ids is not None else list(self.entities)
        return sorted(pool, key=lambda i: -self.last_seen.get(i, 0))

    def salient(self, ids: list[str]) -> list[str]:
        """Most salient first: the subject of the latest clause, then the most recently mentioned."""
        return sorted(ids, key=lambda i: (-self.last_subject.get(i, -1), -self.last_seen.get(i, 0)))

    def definite(self, category: str, noun: str, attributes: dict[str, str]) -> list[str]:
        """The most recent entity this noun phrase can mean, preferring the same noun."""
        candidates = [
            entity_id
            for entity_id, entity in self.entities.items()
            if entity.category == category
            and all(entity.attributes.get(k, v) == v for k, v in attributes.items() if k == "color")
        ]
        same_noun = [i for i in candidates if self.nouns.get(i) == noun]
        ranked = self.recent(same_noun or candidates)
        if ranked:
            entity = self.entities[ranked[0]]
            new_attributes = {k: v for k, v in attributes.items() if k not in entity.attributes}
            if new_attributes:  # "a cat ... the black cat": learn the colour
                self.entities[ranked[0]] = entity.model_copy(update={"attributes": {**entity.attributes, **new_attributes}})
        return ranked[:1]

    def pronoun(self, word: str) -> list[str]:
        people = {i for i, e in self.entities.items() if e.category in ("person", "child", "robot")}
        if word in ("he", "him", "himself"):
            pool = [i for i in people if self.gender.get(i) != "f"]
        elif word in ("she", "herself", "her"):
            pool = [i for i in people if self.gender.get(i) != "m"]
        elif word in ("it", "itself"):
            pool = [i for i in self.entities if i not in people] or list(self.entities)
        else:  # they / them: the last group mentioned together
            recent = self.recent()
            if not recent:
                return []
            top = self.last_seen[recent[0]]
            group = [i for i in recent if self.last_seen[i] == top]
            return group if len(group) > 1 else recent[:2]
        ranked = self.salient(pool)
        if ranked and word in ("he", "him", "himself", "she", "herself", "her") and ranked[0] not in self.gender:
            self.gender[ranked[0]] = "m" if word.startswith("h") and word != "her" and word != "herself" else "f"
        return ranked[:1]


class RulesPlanner:
    """Plans from the script's structure with a lexicon and patterns; no LLM. Fast, offline, deterministic."""

    name = "rules"
    VERSION = "rules-1"

    def plan(self, script: Script, options: PlanOptions | None = None) -> Storyboard:
        options = options or PlanOptions()
        cast = _Cast()
        for character in script.characters:
            cast.character(character)
        scenes: list[Scene] = []
        background = "an open field"
        for k, script_scene in enumerate(script.scenes):
            scene, background = self._plan_scene(k, script_scene, cast, background, options)
            scenes.append(scene)
        if scenes[-1].transition.kind == "crossfade":
            scenes[-1] = scenes[-1].model_copy(update={"transition": Transition(kind="fade_to_black", duration=0.5)})
        used = {entity_id for scene in scenes for entity_id in scene.entities} | {
            line.speaker for scene in scenes for line in scene.dialogue if line.speaker
        }
        return Storyboard(
            title=options.title or script.title or "Untitled",
            fps=options.fps,
            width=options.width,
            height=options.height,
            style=options.style,
            entities=[e for i, e in cast.entities.items() if i in used],
            scenes=scenes,
            provenance=Provenance(planner="rules", model=None, prompt_version=self.VERSION, seed=options.seed),
        )

    # -- one scene ---------------------------------------------------------------------------------

    def _plan_scene(
        self, k: int, script_scene: ScriptScene, cast: _Cast, previous_background: str, options: PlanOptions
    ) -> tuple[Scene, str]:
        beats = _timed_beats(script_scene)
        duration = beats[-1][2] if beats else MIN_SCENE_SECONDS
        present: list[str] = []
        relations: list[Relation] = []
        motions: list[Motion] = []
        visibility: list[Visibility] = []
        dialogue: list[DialogueLine] = []

        initial: dict[str, str] = {}

        def mark_present(ids: list[str]) -> None:
            present.extend(i for i in ids if i not in present)

        for beat, start, end in beats:
            if isinstance(beat, Speech):
                speaker = cast.touch([cast.named(beat.speaker)])[0] if beat.speaker else None
                if speaker:
                    mark_present([speaker])
                dialogue.append(DialogueLine(speaker=speaker, text=beat.text, start=start, end=end))
                continue
            reader = _SentenceReader(beat.text, cast, start, end, duration)
            mark_present(reader.mentioned)
            relations.extend(reader.relations)
            motions.extend(reader.motions)
            visibility.extend(reader.visibility)
            for entity_id, place in reader.initial.items():
                initial.setdefault(entity_id, place)

        motions = _start_from_initial_places(motions, initial)
        relations = _unique(relations)
        background = _background(script_scene, previous_background)
        scene = Scene(
            id=f"scene_{k + 1}",
            heading=script_scene.heading,
            description=script_scene.action_text or script_scene.heading,
            background=background,
            duration=duration,
            entities=present,
            relations=relations,
            motions=motions,
            visibility=_merge_visibility(visibility),
            dialogue=dialogue,
            transition=_transition(script_scene.transition),
        )
        result = plan_layout(scene, cast.entities, aspect=options.width / options.height)
        for note in result.notes:
            log.info(note)
        return scene.model_copy(update={"layouts": result.layouts}), background


# -- timing ---------------------------------------------------------------------------------------


def _beat_seconds(beat: Action | Speech) -> float:
    words = len(beat.text.split())
    if isinstance(beat, Speech):
        return min(max(0.6 + 0.4 * words, 1.2), 8.0)  # about 150 words a minute
    return min(max(1.0 + 0.15 * words, 1.5), 4.0)


def _timed_beats(scene: ScriptScene) -> list[tuple[Action | Speech, float, float]]:
    """Beats (action split into sentences) with start and end times; the scene lasts 3-20 s in
    half-second steps."""
    beats: list[Action | Speech] = []
    for beat in scene.beats:
        if isinstance(beat, Action):
            beats.extend(Action(s) for s in split_sentences(beat.text))
        else:
            beats.append(beat)
    if not beats:
        return []
    seconds = [_beat_seconds(b) for b in beats]
    total = sum(seconds)
    if total > MAX_SCENE_SECONDS:
        seconds = [s * MAX_SCENE_SECONDS / total for s in seconds]
    duration = min(max(MIN_SCENE_SECONDS, -(-sum(seconds) * 2 // 1) / 2), MAX_SCENE_SECONDS)
    seconds[-1] += duration - sum(seconds)
    timed, t = [], 0.0
    for beat, s in zip(beats, seconds, strict=True):
        end = round(min(t + s, duration), 3)
        timed.append((beat, round(t, 3), end))
        t = end
    return timed


# -- reading one sentence ----------------------------------------------------------------------------


class _SentenceReader:
    """Mentions, relations, motions and visibility of one action sentence spanning [start, end]."""

    def __init__(self, sentence: str, cast: _Cast, start: float, end: float, duration: float) -> None:
        self.cast = cast
        self.tokens = _tokenize(sentence)
        self.low = [t.low for t in self.tokens]
        whole = start <= 0 and end >= duration
        self.span = (None, None) if whole else (start, end)
        self.duration = duration
        self.mentions = self._find_mentions()
        self.mentioned = [i for m in self.mentions for i in m.ids]
        self.relations: list[Relation] = []
        self.motions: list[Motion] = []
        self.visibility: list[Visibility] = []
        self.initial: dict[str, str] = {}  # entity -> where it is at the start ("starts at the lower left")
        sequence_used = self._read_sequence()
        for clause_start, clause_end in self._clauses():
            self._read_clause(clause_start, clause_end, skip_motion=sequence_used)

    # mentions

    def _find_mentions(self) -> list[_Mention]:
        mentions: list[_Mention] = []
        i = 0
        tokens, low = self.tokens, self.low
        while i < len(tokens):
            found = self._character_at(i) or self._noun_phrase_at(i) or self._pronoun_at(i) or self._name_at(i)
            if found:
                mentions.append(found)
                self.cast.touch(found.ids)
                i = found.end
            else:
                i += 1
        # "A cat and a dog": mentions joined by "and" were touched one after the other; group them.
        for a, b in zip(mentions, mentions[1:]):
            if b.start - a.end == 1 and low[a.end] in ("and", ","):
                self.cast.touch(a.ids + b.ids)
        return mentions

    def _character_at(self, i: int) -> _Mention | None:
        """A known name, however cased ('SARAH', 'Old Man')."""
        for entity_id, entity in self.cast.entities.items():
            if entity.category not in ("person", "child", "robot") or entity.name != entity.description:
                continue
            words = entity.name.lower().split()
            if self.low[i : i + len(words)] == words and self.tokens[i].text[0].isupper():
                end = i + len(words)
                if end < len(self.low) and self.low[end] == "'s":
                    end += 1
                return _Mention(i, end, [entity_id])
        return None

    def _noun_phrase_at(self, i: int) -> _Mention | None:
        """Determiner? number? adjectives* NOUN, with 'named X' after it; i is the phrase's first token."""
        low = self.low
        j = i
        determiner = None
        if low[j] in lx.DEFINITE | lx.INDEFINITE or low[j] in lx.NUMBERS or low[j].isdigit():
            determiner = low[j]
            j += 1
        count = None
        if j < len(low) and (low[j] in lx.NUMBERS and low[j] not in ("a", "an", "another") or low[j].isdigit()):
            count = int(low[j]) if low[j].isdigit() else lx.NUMBERS[low[j]]
            j += 1
        elif determiner is not None and (determiner in lx.NUMBERS and determiner not in ("a", "an", "another") or determiner.isdigit()):
            count = int(determiner) if determiner.isdigit() else lx.NUMBERS[determiner]
        modifiers = []
        while j < len(low) and (low[j] in lx.COLORS or low[j] in lx.SIZES or low[j] in lx.OTHER_ADJECTIVES or low[j] in lx.NOUN_MODIFIERS):
            if low[j] in lx.NOUNS and (j + 1 >= len(low) or not _is_nounish(low[j + 1])):
                break  # "the paper" alone is not a modifier
            modifiers.append(low[j])
            j += 1
        if j >= len(low):
            return None
        noun, plural = low[j], False
        if noun not in lx.NOUNS:
            single = lx.singular(noun)
            if single is None:
                return None
            noun, plural = single, True
        if self.tokens[j].text.isupper() and len(self.tokens[j].text) > 1 and determiner is None:
            return None  # Fountain caps are names, not nouns
        end = j + 1
        name = None
        if end + 1 < len(low) and low[end] in ("named", "called") and self.tokens[end + 1].text[0].isupper():
            name = self.tokens[end + 1].text
            end += 2
        elif end < len(low) and self._is_appositive_name(end):  # "her dog BISCUIT", "the owl Hoot"
            name = self.tokens[end].text
            end += 1
        if end < len(low) and low[end] == "'s":
            end += 1
        if determiner is None and not modifiers and i > 0 and self.low[i - 1] in ("of",) and noun in ("top",):
            return None
        category = lx.NOUNS[noun]
        attributes = {}
        colors = [m for m in modifiers if m in lx.COLORS]
        sizes = [lx.SIZES[m] for m in modifiers if m in lx.SIZES]
        if colors:
            attributes["color"] = "gray" if colors[0] == "grey" else colors[0]
        if sizes:
            attributes["size"] = sizes[0]
        label = " ".join([*modifiers, noun])
        description = f"{'an' if label[0] in 'aeiou' else 'a'} {label}"

        if name is not None:
            entity_id = self.cast.named(name.title() if name.isupper() else name, category, noun)
            self.cast.describe(entity_id, category, noun, attributes, description)
            return _Mention(i, end, [entity_id])
        introduces = determiner in lx.INDEFINITE or count is not None or (determiner is None and plural)
        character = self.cast.introduced_as(noun, label) if not plural and (count or 1) == 1 else None
        if character is not None:
            self.cast.describe(character, category, noun, attributes, description)
            return _Mention(i, end, [character])
        if introduces:
            n = count if count is not None else (2 if plural else 1)
            n = min(n, 12)
            if n == 1:
                ids = [self.cast.add(label, category, noun, attributes, description)]
            else:
                ids = [self.cast.add(f"{label} {k + 1}", category, noun, attributes, description) for k in range(n)]
            return _Mention(i, end, ids)
        if plural:  # "the cats": every recent one of them
            ids = self.cast.recent([e for e, ent in self.cast.entities.items() if ent.category == category])[: count or 12]
            if not ids:
                ids = [self.cast.add(f"{label} {k + 1}", category, noun, attributes, description) for k in range(2)]
            return _Mention(i, end, ids)
        ids = self.cast.definite(category, noun, attributes)
        if not ids:
            ids = [self.cast.add(label, category, noun, attributes, description)]
        return _Mention(i, end, ids)

    def _is_appositive_name(self, k: int) -> bool:
        token = self.tokens[k]
        known = any(e.name.lower() == token.low for e in self.cast.entities.values())
        shouted = token.text.isupper() and len(token.text) > 1  # Fountain introduces characters in caps
        return (known or shouted) and token.text[0].isupper() and token.low not in lx.NOT_NAMES and token.low not in lx.NOUNS

    def _pronoun_at(self, i: int) -> _Mention | None:
        word = self.low[i]
        if word not in ("he", "him", "she", "her", "it", "they", "them"):
            return None
        if word == "her" and i + 1 < len(self.low) and _is_nounish(self.low[i + 1]):
            return None  # possessive: "her kite"
        ids = self.cast.pronoun(word)
        return _Mention(i, i + 1, ids) if ids else None

    def _name_at(self, i: int) -> _Mention | None:
        token = self.tokens[i]
        word = token.low
        if not token.text[0].isupper() or word in lx.NOT_NAMES or word in lx.NOUNS or lx.singular(word):
            return None
        if word in lx.COLORS or word in lx.SIZES or word in lx.OTHER_ADJECTIVES or word.endswith(("ly", "ing")):
            return None
        if word in lx.MOTION_VERBS or word in lx.ENTER_WORDS or word in lx.EXIT_WORDS or len(word) < 2:
            return None
        name = token.text.title() if token.text.isupper() else token.text
        end = i + 1 + (1 if i + 1 < len(self.low) and self.low[i + 1] == "'s" else 0)
        return _Mention(i, end, [self.cast.named(name)])

    # clauses

    def _clauses(self) -> list[tuple[int, int]]:
        """Token ranges of clauses: split at ; : then while but when after before, and at 'and'
        when a new subject with its own verb follows."""
        bounds, start = [], 0
        starts_at = {m.start: m for m in self.mentions}
        for k, word in enumerate(self.low):
            split = word in (";", ":", "then", "while", "but", "when", "after", "before", "as")
            if word == "and" and k + 1 in starts_at:  # "the cat sleeps and the dog runs", not "a cat and a dog run"
                after = starts_at[k + 1].end
                has_verb = any(_is_verbish(w) for w in self.low[start:k])
                split = has_verb and after < len(self.low) and _is_verbish(self.low[after])
            if split and k > start:
                bounds.append((start, k))
                start = k + 1
        bounds.append((start, len(self.low)))
        return [b for b in bounds if b[1] > b[0]]

    def _read_clause(self, start: int, end: int, skip_motion: bool) -> None:
        mentions = [m for m in self.mentions if start <= m.start < end]
        if not mentions:
            return
        subject = list(mentions[0].ids)
        self.cast.mark_subject(subject)
        in_subject = [mentions[0]]
        for previous, mention in zip(mentions, mentions[1:]):
            link = self.low[previous.end : mention.start]
            if previous in in_subject and link in (["and"], [","], [",", "and"]):
                subject.extend(mention.ids)
                in_subject.append(mention)
                continue
            relative = self._relative_move(link, mention.end, end)
            if relative is not None:  # "moving from the left of a dog to its right": two timed relations
                first, second = relative
                self._relate_timed(subject, first, mention.ids, 0.0, 0.25)
                self._relate_timed(subject, second, mention.ids, 0.75, 1.0)
                continue
            spatial = _match_suffix(link, lx.SPATIAL_PHRASES)
            only_preposition = spatial is not None and len(link) == len(spatial[0])
            owner = previous.ids if (only_preposition and previous not in in_subject) else subject
            if spatial is not None:
                self._relate(owner, spatial[1], mention.ids, timed=False)
            action = _match_suffix(link, lx.ACTION_PHRASES)
            if action is not None:
                self._relate(subject, action[1], mention.ids, timed=True)
                if action[1] in lx.ACTION_IMPLIES:
                    self._relate(subject, lx.ACTION_IMPLIES[action[1]], mention.ids, timed=False)
        visible = self._read_visibility(start, end, subject)
        self._read_initial_place(start, end, subject)
        if not skip_motion:
            self._read_motion(start, end, subject, entrances=not visible)

    def _relative_move(self, link: list[str], after: int, end: int) -> tuple[str, str] | None:
        """'from the left of' X 'to its right' -> ('left_of', 'right_of'); None for anything else."""
        sides = {"left": "left_of", "right": "right_of"}
        words = [w for w in link if w != "the"]
        if len(words) < 3 or words[-3] != "from" or words[-2] not in sides or words[-1] != "of":
            return None
        rest = [w for w in self.low[after:end] if w not in ("the", "its", "his", "her", "their")]
        if len(rest) < 2 or rest[0] != "to" or rest[1] not in sides or rest[1] == words[-2]:
            return None
        return sides[words[-2]], sides[rest[1]]

    def _relate_timed(self, subjects: list[str], predicate: str, objects: list[str], a: float, b: float) -> None:
        """A relation over the fraction [a, b] of this sentence's span (of the scene if it is the whole scene)."""
        start, end = self.span
        start = 0.0 if start is None else start
        end = self.duration if end is None else end
        for s in subjects:
            for o in objects:
                if s != o:
                    self.relations.append(
                        Relation(subject=s, predicate=predicate, object=o, start=round(start + a * (end - start), 3), end=round(start + b * (end - start), 3))
                    )

    def _read_initial_place(self, start: int, end: int, entities: list[str]) -> None:
        """'starts at the lower left', 'is initially on the upper right', 'begins in the center'."""
        low = self.low
        for k in range(start, end - 1):
            if low[k] in ("initially", "starts", "start", "begins", "begin") and low[k + 1] in ("at", "on", "in", "from"):
                region = self._region_at(k + 2)
                if region is not None:
                    for entity_id in entities:
                        self.initial.setdefault(entity_id, region[0])
                    return

    def _relate(self, subjects: list[str], predicate: str, objects: list[str], timed: bool) -> None:
        start, end = self.span if timed else (None, None)
        for s in subjects:
            for o in objects:
                if s != o:
                    self.relations.append(Relation(subject=s, predicate=predicate, object=o, start=start, end=end))

    # motion and visibility

    def _region_at(self, k: int) -> tuple[str, int] | None:
        """A place in the frame starting at token k ('the upper right corner'); (region, next token)."""
        low = self.low
        while k < len(low) and low[k] in ("the", "a", "its", "his", "her", "their"):
            k += 1
        match = _match_prefix(low[k:], lx.REGION_PHRASES)
        if match is None:
            return None
        words, region = match
        k += len(words)
        if k < len(low) and low[k] == "of":  # "left of the tree" is a relation, "left of the screen" a place
            rest = [w for w in low[k + 1 : k + 3] if w != "the"]
            if not rest or rest[0] not in lx.REGION_FILLERS:
                return None
        while k < len(low) and low[k] in lx.REGION_FILLERS:
            k += 1
        return region, k

    def _regions_after(self, word: str, start: int, end: int) -> list[tuple[int, str]]:
        found = []
        for k in range(start, end):
            if self.low[k] == word:
                region = self._region_at(k + 1)
                if region:
                    found.append((k, region[0]))
        return found

    def _read_sequence(self) -> bool:
        """'first flies to the top left, then to the bottom right (and finally to the center)'."""
        if "first" not in self.low or "then" not in self.low or not self.mentions:
            return False
        places = [region for _, region in self._regions_after("to", 0, len(self.low))]
        if len(places) < 2:
            return False
        origin = next((r for _, r in self._regions_after("from", 0, len(self.low))), None)
        start, end = self.span
        for entity_id in self.mentions[0].ids:
            self.motions.append(Motion(entity=entity_id, origin=origin, path=places, start=start, end=end))
        return True

    def _read_motion(self, start: int, end: int, movers: list[str], entrances: bool) -> None:
        low = self.low[start:end]
        span_start, span_end = self.span
        origin = next((r for _, r in self._regions_after("from", start, end)), None)
        targets = [r for _, r in self._regions_after("to", start, end)]
        targets += [r for _, r in self._regions_after("toward", start, end)]
        targets += [r for _, r in self._regions_after("towards", start, end)]
        targets += [r for _, r in self._regions_after("into", start, end)]
        enters = entrances and (any(w in lx.ENTER_WORDS for w in low) or _has_phrase(low, lx.ENTER_PHRASES))
        exits = any(w in lx.EXIT_WORDS for w in low) or _has_phrase(low, lx.EXIT_PHRASES)
        moves = any(w in lx.MOTION_VERBS for w in low)
        if not (enters or exits or ((origin or targets) and moves) or (moves and "across" in low)):
            return
        path = targets[:1] if not enters or targets else []
        if moves and "across" in low and origin is None and not targets:
            origin, path = "left", ["right"]
        for entity_id in movers:
            self.motions.append(
                Motion(entity=entity_id, origin=origin, path=path, start=span_start, end=span_end, enters=enters, exits=exits)
            )

    def _read_visibility(self, start: int, end: int, entities: list[str]) -> bool:
        low, d = self.low[start:end], self.duration
        text = " ".join(low)
        span = None
        gone = any(w in ("disappears", "vanishes", "leaves", "exits") for w in low)
        if "second half" in text or "last half" in text:
            span = (d / 2, d)
        elif "first half" in text:
            span = (0.0, d / 2)
        elif "halfway" in text:
            span = (0.0, d / 2) if gone else (d / 2, d)
        elif re.search(r"\b(at|near|towards|toward) the end\b", text) and "appears" in low:
            span = (round(2 * d / 3, 3), d)
        elif re.search(r"\bonly (at|in) the (start|beginning)\b", text):
            span = (0.0, round(d / 3, 3))
        else:
            match = re.search(r"\bafter (\d+(?:\.\d+)?) seconds?\b", text)
            if match and float(match.group(1)) < d:
                span = (float(match.group(1)), d)
        if span is None:
            return False
        for entity_id in entities:
            self.visibility.append(Visibility(entity=entity_id, start=span[0], end=span[1]))
        return True


# -- helpers ---------------------------------------------------------------------------------------


def _is_nounish(word: str) -> bool:
    return word in lx.NOUNS or lx.singular(word) is not None or word in lx.COLORS or word in lx.SIZES or word in lx.OTHER_ADJECTIVES or word in lx.NOUN_MODIFIERS


def _is_verbish(word: str) -> bool:
    if word in lx.MOTION_VERBS or word in lx.ENTER_WORDS or word in lx.EXIT_WORDS:
        return True
    if word in ("is", "are", "was", "were", "sits", "sit", "stands", "stand", "lies", "sleeps", "waits", "looks", "watches", "plays"):
        return True
    return any(words[0] == word for words, _ in lx.ACTION_PHRASES)


def _match_prefix(words: list[str], phrases: list[tuple[tuple[str, ...], str]]) -> tuple[tuple[str, ...], str] | None:
    for phrase, value in phrases:
        if tuple(words[: len(phrase)]) == phrase:
            return phrase, value
    return None


def _match_suffix(words: list[str], phrases: list[tuple[tuple[str, ...], str]]) -> tuple[tuple[str, ...], str] | None:
    for phrase, value in phrases:
        if len(words) >= len(phrase) and tuple(words[len(words) - len(phrase) :]) == phrase:
            return phrase, value
    return None


def _has_phrase(words: list[str], phrases: list[tuple[str, ...]]) -> bool:
    return any(tuple(words[k : k + len(p)]) == p for p in phrases for k in range(len(words)))


def _start_from_initial_places(motions: list[Motion], initial: dict[str, str]) -> list[Motion]:
    """An entity said to start somewhere starts its first move there (or just stays there)."""
    result = list(motions)
    for entity_id, place in initial.items():
        own = [k for k, m in enumerate(result) if m.entity == entity_id]
        if not own:
            result.append(Motion(entity=entity_id, origin=place))
        elif result[own[0]].origin is None and not result[own[0]].enters:
            result[own[0]] = result[own[0]].model_copy(update={"origin": place})
    return result


def _unique(relations: list[Relation]) -> list[Relation]:
    seen, kept = set(), []
    for r in relations:
        key = (r.subject, r.predicate, r.object, r.start, r.end)
        if key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


def _merge_visibility(spans: list[Visibility]) -> list[Visibility]:
    seen, kept = set(), []
    for v in spans:
        if (v.entity, v.start, v.end) not in seen:
            seen.add((v.entity, v.start, v.end))
            kept.append(v)
    return kept


HEADING = re.compile(r"^(?:INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[.\s]+(?P<place>.*?)(?:\s+[-–—]\s+(?P<time>[^-–—]*))?$", re.IGNORECASE)


def _background(scene: ScriptScene, previous: str) -> str:
    """'EXT. PARK - DUSK' -> 'a park at dusk'; prose -> the first setting word it names, else the last scene's."""
    match = HEADING.match(scene.heading.strip())
    if match:
        place = match.group("place").strip()
        time_words = (match.group("time") or "").lower().split()
        interior = scene.heading.strip().upper().startswith(("INT", "I/E"))
        if not place:
            setting = "a room" if interior else "an open field"
        elif "'s" in place.lower() or "’s" in place.lower():  # "MIRA'S ROOM" -> "Mira's room"
            first, *rest = place.lower().split()
            setting = " ".join([first.capitalize(), *rest])
        else:
            setting = f"{_article(place)} {place.lower()}"
        if interior and not any(w in setting.lower() for w in ("room", "kitchen", "office", "shop", "cafe", "hall")):
            setting += " (indoors)"
    else:
        words = re.findall(r"[a-z]+", scene.action_text.lower())
        hits = [w for w in words if any(w in keywords for keywords, _ in lx.SETTINGS)]
        time_words = words
        if not hits:
            base = re.sub(r" at (night|dawn|dusk|sunset|sunrise|midnight|evening)$", "", previous)
            setting = base
        else:
            place = hits[0]
            setting = f"the {place}" if place in ("sky", "snow", "sand", "grass", "sea", "ocean", "beach", "desert") else f"{_article(place)} {place}"
    time_of_day = next((w for w in time_words if w in ("night", "dawn", "dusk", "sunset", "sunrise", "midnight", "evening")), None)
    return f"{setting} at {time_of_day}" if time_of_day else setting


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _transition(text: str | None) -> Transition:
    if not text:
        return Transition()
    upper = text.upper()
    if "DISSOLVE" in upper or "CROSS" in upper or "MIX" in upper:
        return Transition(kind="crossfade", duration=0.5)
    if "FADE" in upper:
        return Transition(kind="fade_to_black", duration=0.5)
    return Transition()
