"""The rules planner: a script -> a storyboard with a dependency parser, a lexicon and patterns; no LLM.

Fast, offline and deterministic: the fallback when no model is at hand, the
draft the LLM planner starts from, and the workhorse of the tests. It reads as
a script supervisor would, scene by scene:

1. **Scenes** come from the script's own structure (`director.script`):
   Fountain scene headings, "Scene N:" lines, or prose paragraphs.
2. **Parsing**: every action sentence goes through spaCy (`planners.reading`):
   parts of speech, lemmas, dependencies and named entities, with Fountain's
   CAPS shown to the parser in ordinary case.
3. **Cast and coreference**, by screenplay convention: a character cue names a
   person (its extension, V.O., O.S., CONT'D, is the same person; V.O./O.S. are
   heard, not seen); "YOUNG SAM" is Sam; a CAPS name with an age ("NORA (40)")
   or an appositive ("A fat ginger cat, PEPPER", "her uncle RAY") is one
   identity of that kind; a CAPS word with no sign of being a name (a sound
   cue, a camera direction, emphasis) is never cast; CAPS words around a people
   noun are a name ("a stunning ASIAN WOMAN"); a proper noun with a determiner
   or an owner ("his GLOCK", "the Defender 90"), a heading's place ("Welcome To
   Spectre!") or a modifier ("the Bloom house") is no person; a named group
   ("THE BOY BAND, AKA DAN and JACK") is its members, as "the band" and "they"
   are after it. Noun phrases whose head is
   in the lexicon ("a small black cat", "three moving cars", "a barn owl") are
   things; "a/an/another/two X" introduces new identities, "the X", "her X"
   refer back; he/she/it/they to the most recent fitting entity or group. The
   cast is one registry for the whole story.
4. **Scene graph**: spatial phrases between two mentions ("to the left of",
   "on top of", "beside") become relations; action verbs ("chases", "holds")
   become timed action edges.
5. **Motions and visibility**: "from the left to the right", "toward a train
   on the right", "enters from the upper right", "first ... then ...",
   "appears only in the second half".
6. **Timing**: dialogue lasts as long as it takes to read (at least 1 s, at
   most 17 characters a second); action sentences where something happens
   share the rest; sentences that only describe take no time of their own.
7. **Layout**: the deterministic solver (`director.layout`).

The planner keeps no state between calls: each `plan` is a `_PlanRun` of its own.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from director.layout import plan_layout
from director.planner import PlanOptions
from director.script import Action, Script, ScriptScene, ShotLine, Speech, split_sentences
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
    make_identifier,
)
from planners import lexicon as lx
from planners.kinds import kind_of, script_kinds
from planners.reading import Word, load_parser, read_sentences
from planners.shots import Coverage, framed_nouns, plan_shots

log = logging.getLogger(__name__)

MIN_SCENE_SECONDS = 3.0
MAX_ACTION_SECONDS = 20.0
"""Action alone never makes a scene longer than this; dialogue takes what it needs."""
MIN_LINE_SECONDS = 1.0
MAX_CHARACTERS_PER_SECOND = 17.0  # subtitle reading speed (Netflix's adult guideline)
MAX_ID_LENGTH = 40  # ids are at most 64 characters; leave room for "_12"
MAX_CUES_FOR_SPELLING = 400
"""Misspelled names are matched against the cues only while there are at most this many (linear time)."""

PEOPLE = frozenset(["person", "child", "robot"])
_CAST_ROLES = frozenset(["nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos", "dative"])
"""Dependencies a noun has when it stands for someone in the scene (the subject or object of a verb or a preposition)."""
DEFINITE_REACH = 3
"""Scenes back (this one included) that 'the man' may mean a man of: the EMCEE two scenes on is the same
emcee; the man in a bank queue forty scenes on is no man of the circus. 'His father' reaches any scene."""
VEHICLE_MEMORY = 12
"""A vehicle named within this many mentions is the one people drive off in ('They speed off')."""
_POSSESSIVES = frozenset(["his", "her", "its", "their", "my", "our", "your"])
_PLACE_WORDS = frozenset(w for phrase, _ in lx.SPATIAL_PHRASES for w in phrase) | lx.REGION_FILLERS
"""Words of spatial phrases and frame regions: 'the left of a tree' is a place, not what a tree makes up."""


@dataclass
class _Mention:
    start: int  # word span [start, end)
    end: int
    ids: list[str]
    group: str | None = None  # a collective noun phrase whose members are named after it ("THE BOY BAND, AKA ...")


@dataclass
class _Cast:
    """The story's identities, with aliases for names and recency for coreference."""

    lexicon: lx.Lexicon
    entities: dict[str, Entity] = field(default_factory=dict)
    nouns: dict[str, str] = field(default_factory=dict)  # id -> head noun as written
    called: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # id -> every noun it was called by
    gender: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # "sam hale", "sam" -> id
    alias_starts: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: defaultdict(list))
    by_category: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    last_seen: dict[str, int] = field(default_factory=dict)
    last_subject: dict[str, int] = field(default_factory=dict)  # pronouns prefer recent subjects
    last_alone: dict[str, int] = field(default_factory=dict)  # when each was last mentioned by itself
    last_group: list[str] = field(default_factory=list)  # the latest mention of several: "they"
    groups: dict[str, list[str]] = field(default_factory=dict)  # "the boy band", "band" -> its members
    unintroduced: dict[str, str] = field(default_factory=dict)  # name (lower) -> id, for characters no action line has described
    cues: dict[str, str] = field(default_factory=dict)  # cue name (lower) -> id
    next_suffix: dict[str, int] = field(default_factory=dict)
    clock: int = 0
    labelled: dict[str, str] = field(default_factory=dict)  # the first entity made under each label ("fat catfish")
    # The current scene: who touched after its start is in it ('here'), who speaks in it, who was made in it.
    scene_starts: list[int] = field(default_factory=list)  # the clock when each scene began
    speakers_here: set[str] = field(default_factory=set)
    cues_here: dict[str, str] = field(default_factory=dict)  # cue (lower) -> who speaks so in this scene
    made_here: set[str] = field(default_factory=set)

    def begin_scene(self, speakers: set[str]) -> None:
        self.scene_starts.append(self.clock)
        self.speakers_here = speakers
        self.cues_here = {}
        self.made_here = set()

    @property
    def scene_start(self) -> int:
        return self.scene_starts[-1] if self.scene_starts else 0

    @property
    def reach_start(self) -> int:
        """The clock at the start of the earliest scene 'the man' may still mean someone of."""
        return self.scene_starts[-DEFINITE_REACH] if len(self.scene_starts) >= DEFINITE_REACH else -1

    def here(self, entity_id: str) -> bool:
        return self.last_seen.get(entity_id, -1) > self.scene_start

    def any_here(self, category: str, besides: str | None = None) -> bool:
        """Does this scene have anyone of `category` (other than `besides`)?"""
        return any(self.here(e) for e in self.by_category.get(category, []) if e != besides)

    def unmet(self, entity_id: str) -> bool:
        """A cue's character the story has not shown yet and who does not speak in this scene: 'the kid' of an
        early scene is not the KID who first speaks in a late one."""
        return entity_id not in self.last_seen and entity_id not in self.speakers_here

    def touch(self, ids: list[str]) -> list[str]:
        self.clock += 1
        for entity_id in ids:
            self.last_seen[entity_id] = self.clock
        if len(ids) > 1:
            self.last_group = list(ids)
        elif ids:
            self.last_alone[ids[0]] = self.clock
        return ids

    def _new_id(self, base: str) -> str:
        base = make_identifier(base)[:MAX_ID_LENGTH].rstrip("_")  # the suffix is counted, not probed: linear in the cast
        if base not in self.entities:
            return base
        k = self.next_suffix.get(base, 2)
        while f"{base}_{k}" in self.entities:
            k += 1
        self.next_suffix[base] = k + 1
        return f"{base}_{k}"

    def add(self, name: str, category: str, noun: str, attributes: dict[str, str], description: str) -> str:
        entity_id = self._new_id(name)
        self.entities[entity_id] = Entity(
            id=entity_id, name=name, category=category, description=description, attributes=attributes
        )
        self.nouns[entity_id] = noun
        self.called[entity_id].add(noun)
        self.by_category[category].append(entity_id)
        self.labelled.setdefault(name, entity_id)
        self.made_here.add(entity_id)
        self._learn_gender(entity_id, noun)
        return entity_id

    def _learn_gender(self, entity_id: str, noun: str) -> None:
        title = self.entities[entity_id].name.lower().split()[0].rstrip(".")
        if noun in lx.FEMALE_WORDS or title in lx.FEMALE_TITLES:
            self.gender[entity_id] = "f"
        elif noun in lx.MALE_WORDS or title in lx.MALE_TITLES:
            self.gender[entity_id] = "m"

    def alias(self, name: str, entity_id: str) -> None:
        key = " ".join(name.lower().split())
        if key and key not in self.aliases:
            self.aliases[key] = entity_id
            words = tuple(key.split())
            self.alias_starts[words[0]].append(words)
            self.alias_starts[words[0]].sort(key=len, reverse=True)

    def merge(self, old: str, new: str) -> None:
        """`old` was `new` all along ('the DRIVER ... This is SPALDING JEAGER.'): every name and noun of `old`
        now finds `new`, and `old` is no one."""
        for table in (self.aliases, self.unintroduced, self.cues):
            for key, value in table.items():
                if value == old:
                    table[key] = new
        self.by_category[self.entities[old].category].remove(old)
        self.called[new] |= self.called[old]
        for clock in (self.last_seen, self.last_subject, self.last_alone):
            if old in clock:
                clock[new] = max(clock.pop(old), clock.get(new, 0))
        self.last_group = [new if i == old else i for i in self.last_group]
        for members in self.groups.values():
            members[:] = [new if i == old else i for i in members]
        entity, named = self.entities.pop(old), self.entities[new]
        if named.description == named.name:
            self.describe(new, named.category, self.nouns.get(new, "person"), entity.attributes, entity.description)
        self.gender.setdefault(new, self.gender.get(old, ""))
        if not self.gender[new]:
            del self.gender[new]

    def find(self, name: str) -> str | None:
        return self.aliases.get(" ".join(name.lower().split()))

    def named(self, name: str, category: str = "person", noun: str = "person", cue: bool = False) -> str:
        """The identity called `name`, made if new; 'Sam' finds 'Sam Hale', 'Young Sam' finds 'Sam', and a
        name in the action spelled like a cue but for a letter or two ('Margeret', 'Wilbur Freeley') is that
        character (cues are written deliberately, so they are never matched this way)."""
        found = self.find(name) or self._same_person(name) or (None if cue else self._misspelled_cue(name))
        if found is not None:
            self.alias(name, found)
            return found
        title = _title_noun(name)  # "Dr. Bennett" is a doctor: "the doctor" finds him
        if title is not None and noun == "person":
            noun = title
        entity_id = self.add(name, category, noun, {}, name)
        self.alias(name, entity_id)
        # "Sam Hale" is also "Sam", "Dr. Bennett" also "Bennett"; "The Man", "Heavyset Man In Overalls" and
        # "Man's Voice" are descriptions, not a first and a last name.
        words = [w.lower() for w in name.split()]
        titled = title is not None or words[0].rstrip(".") in lx.HONORIFICS
        core = words[1:] if titled else words
        personal = len(words) > 1 and bool(core) and all(
            not _is_role(w.removesuffix("'s"), self.lexicon, in_a_name=True) and w not in lx.NOT_NAMES and w not in lx.AGE_PREFIXES and w != "voice" and w.isalpha()
            for w in core
        )
        if personal:
            short = name.split()[-1] if titled else name.split()[0]
            if short.lower() not in self.aliases:
                self.alias(short, entity_id)
        return entity_id

    def _misspelled_cue(self, name: str) -> str | None:
        key = " ".join(name.lower().split())
        if len(key) < 5 or not self.cues or len(self.cues) > MAX_CUES_FOR_SPELLING:
            return None
        close = difflib.get_close_matches(key, list(self.cues), n=1, cutoff=0.85)
        return self.cues[close[0]] if close and close[0][0] == key[0] else None

    def _same_person(self, name: str) -> str | None:
        words = name.lower().split()
        if len(words) > 1 and words[0] in ("a", "an", "the"):  # the cue "A VOICE" is the cue "VOICE"
            return self.find(" ".join(words[1:])) or self._same_person(" ".join(words[1:]))
        if len(words) > 1 and words[0] in lx.AGE_PREFIXES and not _is_role(words[-1], self.lexicon, in_a_name=True):  # "Young Sam", not "Young Woman"
            return self.find(" ".join(words[1:])) or self._same_person(" ".join(words[1:]))
        if len(words) > 1:  # "Sam Hale" after the cue "SAM"; "Jacob Billups" after the cue "BILLUPS"
            for word in (words[0], words[-1]):
                if _is_role(word.removesuffix("'s"), self.lexicon, in_a_name=True) or word in ("voice", "voices"):
                    continue  # "Asian Woman" is not "Woman", "MAN'S VOICE" not "VOICE"
                found = self.find(word)
                if found is None or self.entities[found].category not in PEOPLE:
                    continue
                known = self.entities[found].name.lower().split()
                if len(known) == 1 or (word == words[-1] and known[-1] == word and known[0].rstrip(".") in lx.HONORIFICS):
                    return found  # "Jacob Billups" is BILLUPS; "Dr. Julius Bennett" is Dr. Bennett
        return None

    def character(self, name: str) -> str:
        """A speaking character from the script's cues; 'OWL' is an owl until an action line says more."""
        word = name.lower()
        category = self.lexicon.nouns.get(word, "person")
        entity_id = self.named(name, category, word if word in self.lexicon.nouns else "person", cue=True)
        self.cues.setdefault(" ".join(word.split()), entity_id)
        if self.entities[entity_id].description == self.entities[entity_id].name:
            self.unintroduced[self.entities[entity_id].name.lower()] = entity_id
        return entity_id

    def describe(self, entity_id: str, category: str, noun: str, attributes: dict[str, str], description: str) -> None:
        """What an action line says a named entity is: 'a little girl named Mira', 'her dog BISCUIT'."""
        entity = self.entities[entity_id]
        if entity.category != category:
            self.by_category[entity.category].remove(entity_id)
            self.by_category[category].append(entity_id)
        self.entities[entity_id] = entity.model_copy(
            update={
                "category": category,
                "description": f"{entity.name}, {description}",
                "attributes": {**attributes, **entity.attributes},
            }
        )
        self.nouns[entity_id] = noun
        self.called[entity_id].add(noun)
        self.unintroduced.pop(entity.name.lower(), None)
        self._learn_gender(entity_id, noun)

    def introduced_as(self, noun: str, label: str) -> str | None:
        """A character not yet described whose name is this noun phrase ('OWL' for 'an old owl')."""
        return self.unintroduced.get(noun) or self.unintroduced.get(label)

    def mark_subject(self, ids: list[str]) -> None:
        for entity_id in ids:
            self.last_subject[entity_id] = self.clock

    def recent(self, ids: list[str]) -> list[str]:
        """Latest mentioned first; of those mentioned together ('All the dogs stop'), the one last mentioned alone."""
        return sorted(ids, key=lambda i: (-self.last_seen.get(i, 0), -self.last_alone.get(i, -1)))

    def salient(self, ids: list[str]) -> list[str]:
        """Most salient first: the subject of the latest clause, then the most recently mentioned."""
        return sorted(ids, key=lambda i: (-self.last_subject.get(i, -1), -self.last_seen.get(i, 0)))

    def definite(self, category: str, noun: str, attributes: dict[str, str], ordinal: int | None = None, related: bool = True) -> list[str]:
        """The most recent entity this noun phrase can mean, preferring the same noun."""
        color = attributes.get("color")
        candidates = [
            entity_id
            for entity_id in self.by_category.get(category, [])
            if (color is None or self.entities[entity_id].attributes.get("color", color) == color)
            and (related or not self.unmet(entity_id))  # "the kid" is no KID who speaks only later
        ]
        same_noun = [i for i in candidates if noun in self.called.get(i, ())]  # "his father" is Edward, once called so
        here = [i for i in candidates if self.here(i)]
        same_here = [i for i in here if i in same_noun]
        # "the cat" may be any recent cat, one of this scene first ("the seventh dog" among the SEVEN CHIHUAHUAS,
        # not the dog of another scene); "the man" is no other recent person than a man.
        if same_here:
            pool = same_here
        elif here and category not in PEOPLE:
            pool = here
        elif category in PEOPLE and not related:  # "the man" of a new scene is a man of these last scenes, else someone new
            pool = [i for i in same_noun if self.last_seen.get(i, -1) > self.reach_start or i in self.speakers_here]
        elif category in PEOPLE:  # "his father" is who was called so, however long ago
            pool = same_noun
        else:
            pool = same_noun or candidates
        ranked = self.recent(pool)
        if ordinal is not None and len(pool) >= ordinal:
            ranked = [pool[ordinal - 1]]  # "the seventh dog": made seventh
        if ranked:
            entity = self.entities[ranked[0]]
            new_attributes = {k: v for k, v in attributes.items() if k not in entity.attributes}
            if new_attributes:  # "a cat ... the black cat": learn the colour
                self.entities[ranked[0]] = entity.model_copy(update={"attributes": {**entity.attributes, **new_attributes}})
        return ranked[:1]

    def _seen(self, pool: list[str]) -> list[str]:
        return [i for i in pool if i in self.last_seen]

    def pronoun(self, word: str) -> list[str]:
        people = [i for c in PEOPLE for i in self.by_category.get(c, [])]
        if word in ("they", "them", "themselves"):  # the last group mentioned together, else the latest two
            group = [i for i in self.last_group if i in self.last_seen]
            if len(group) > 1 and all(self.last_seen[i] >= self.clock - 8 for i in group):
                return group
            return self.recent(self._seen(list(self.last_seen)))[:2]
        if word in ("he", "him", "himself"):
            pool = [i for i in people if self.gender.get(i) != "f"]
        elif word in ("she", "herself", "her"):
            pool = [i for i in people if self.gender.get(i) != "m"]
        else:  # it, itself: a thing of this scene ('It has little doggy beds' is the place, not the dog of the last)
            pool = [i for i in self.last_seen if self.entities[i].category not in PEOPLE and self.here(i)]
        ranked = self.salient(self._seen(pool))
        if ranked and word not in ("it", "itself") and ranked[0] not in self.gender:
            self.gender[ranked[0]] = "f" if word in ("she", "her", "herself") else "m"
        return ranked[:1]


class RulesPlanner:
    """Plans from the script's structure with a parser, a lexicon and patterns; no LLM. Fast, offline, deterministic."""

    name = "rules"
    VERSION = "rules-2"

    def __init__(self, lexicon: lx.Lexicon | None = None, parser: str | None = None, coverage: Coverage = "default") -> None:
        self.lexicon = lexicon or lx.DEFAULT
        self.parser = parser
        self.coverage = coverage  # shots where the script names none: "default" coverage, or "none" (one wide shot)

    def plan(self, script: Script, options: PlanOptions | None = None) -> Storyboard:
        lexicon = self.lexicon.with_nouns(framed_nouns(script, self.lexicon.nouns))  # 'CLOSE ON the key': the key is a thing
        lexicon = lexicon.with_nouns(script_kinds(script, lexicon.nouns), looked_up=True)  # 'an EMCEE', 'a MASSIVE LION'
        return _PlanRun(script, options or PlanOptions(), lexicon, load_parser(self.parser), self.coverage).storyboard(self.VERSION)


class _PlanRun:
    """One reading of one script: its cast, its parsed sentences, its scenes."""

    def __init__(self, script: Script, options: PlanOptions, lexicon: lx.Lexicon, nlp: Any, coverage: Coverage = "default") -> None:
        self.script, self.options, self.lexicon, self.nlp = script, options, lexicon, nlp
        self.coverage = coverage
        self.cast = _Cast(lexicon)
        # Base names first, so "YOUNG SAM" and "SAM (V.O.)" find Sam; a short cue that ends one longer cue
        # is that character's short name ("BOSS" after "CYBER BOSS"), as "JONES" is "DETECTIVE JONES".
        cues = sorted(script.characters, key=lambda c: len(c.split()))
        shorts = _short_cues(cues, lexicon)
        for character in cues:
            if character not in shorts:
                self.cast.character(character)
        for short, full in shorts.items():
            entity_id = self.cast.character(full)
            self.cast.alias(short, entity_id)
            self.cast.cues.setdefault(short.lower(), entity_id)
        self.cue_words = {w.lower() for c in script.characters for w in c.split()}
        self.named_words = _named_words(script) | self.cue_words
        self.name_counts = _name_counts(script)
        self.place_words = _place_words(script) - self.cue_words
        self.heard_through_intercut: set[str] = set()

    def is_name(self, word: str) -> bool:
        return word in self.named_words or word in self.cast.aliases

    def is_place(self, word: str) -> bool:
        """A word of a scene heading's place ('THE TOWN OF SPECTRE', 'PALACE HOTEL LOBBY') that no cue
        names, no heading possesses ('SCOTT'S APARTMENT') and no one is called yet: a place, not a person."""
        return word in self.place_words and word not in self.cast.aliases

    def storyboard(self, version: str) -> Storyboard:
        scenes: list[Scene] = []
        background = "an open field"
        beats = [_beats(script_scene) for script_scene in self.script.scenes]
        # One pass of the parser over every action sentence of the script: batching is what makes it fast.
        sentences = [b.text for scene_beats in beats for b in scene_beats if isinstance(b, Action)]
        parsed = read_sentences(self.nlp, sentences, self.is_name)
        for k, script_scene in enumerate(self.script.scenes):
            words = {id(b): next(parsed) for b in beats[k] if isinstance(b, Action)}
            scene, background = self._plan_scene(k, script_scene, beats[k], words, background)
            scenes.append(scene)
        if scenes[-1].transition.kind == "crossfade":
            scenes[-1] = scenes[-1].model_copy(update={"transition": Transition(kind="fade_to_black", duration=0.5)})
        used = {entity_id for scene in scenes for entity_id in scene.entities} | {
            line.speaker for scene in scenes for line in scene.dialogue if line.speaker
        }
        options = self.options
        return Storyboard(
            title=options.title or self.script.title or "Untitled",
            fps=options.fps,
            width=options.width,
            height=options.height,
            style=options.style,
            entities=[e for i, e in self.cast.entities.items() if i in used],
            scenes=scenes,
            provenance=Provenance(planner="rules", model=None, prompt_version=version, seed=options.seed),
        )

    # -- one scene ---------------------------------------------------------------------------------

    def _plan_scene(
        self, k: int, script_scene: ScriptScene, beats: list[Action | Speech], words: dict[int, list[Word]], previous_background: str
    ) -> tuple[Scene, str]:
        cast = self.cast
        timed = _timed_beats(beats, self._takes_time(beats, words))
        duration = max((end for _, _, end in timed), default=MIN_SCENE_SECONDS)
        present: list[str] = []
        relations: list[Relation] = []
        motions: list[Motion] = []
        visibility: list[Visibility] = []
        dialogue: list[DialogueLine] = []
        initial: dict[str, str] = {}

        cast.begin_scene({cast.find(b.speaker) for b in beats if isinstance(b, Speech) and b.speaker} - {None})
        renamed: dict[str, str] = {}  # an unnamed person of this scene -> the name a later sentence reveals

        def mark_present(ids: list[str]) -> None:
            present.extend(i for i in ids if i not in present)

        # Speakers whose first line here is heard only ("THE BOSS (O.S.)" on the speakerphone) stay heard for
        # the scene, and through an INTERCUT into the next one (the other end of the call).
        heard: set[str] = set(self.heard_through_intercut)
        spoken: set[str] = set(self.heard_through_intercut)
        seen_in_action: set[str] = set()
        devices = any(any(d in line.text.lower().split() for d in lx.VOICE_DEVICES) for line in script_scene.shot_lines)  # 'ON THE TV'
        for beat, start, end in timed:
            if isinstance(beat, Speech):
                speaker = cast.touch([self._speaker(beat.speaker)])[0] if beat.speaker else None
                if speaker and speaker not in spoken:
                    spoken.add(speaker)
                    if _heard_only(beat):
                        heard.add(speaker)
                if speaker and not _heard_only(beat) and speaker not in heard:
                    mark_present([speaker])
                dialogue.append(DialogueLine(speaker=speaker, text=beat.text, start=start, end=end))
                continue
            # Who 'This is SPALDING JEAGER.' would name: the latest unnamed person this scene has made.
            unnamed = [i for i in present if i in cast.made_here and i in cast.entities and _unnamed_person(cast.entities[i])]
            reader = _SentenceReader(words[id(beat)], self, start, end, duration, heading=script_scene.heading, present=tuple(present))
            if reader.revealed is not None and unnamed:
                old = cast.salient(unnamed)[0]
                if old != reader.revealed:
                    cast.merge(old, reader.revealed)
                    renamed[old] = reader.revealed
                    reader.mentioned = [reader.revealed]  # not whoever 'this man' found
            heard |= {i for i in reader.unseen if i not in present}  # 'His minion approaches offscreen:' MINION speaks unseen
            mark_present([i for i in reader.mentioned if not _is_voice(cast.entities[i].name) and i not in reader.unseen])
            seen_in_action.update(i for i in reader.mentioned if i not in reader.unseen)
            devices = devices or any(w.lemma in lx.VOICE_DEVICES for w in words[id(beat)])
            relations.extend(reader.relations)
            motions.extend(reader.motions)
            visibility.extend(reader.visibility)
            for entity_id, place in reader.initial.items():
                initial.setdefault(entity_id, place)

        if renamed:
            present, relations, motions, visibility, dialogue, initial = _renamed(renamed, present, relations, motions, visibility, dialogue, initial)
            seen_in_action = {renamed.get(i, i) for i in seen_in_action}
            heard = {renamed.get(i, i) for i in heard}
        if devices and seen_in_action:
            # A phone, a TV or a radio in the scene, and someone the action shows: a speaker the action never
            # shows is the voice on the line ('The phone rings.' SCOTT: 'Hello?' SOPHISTICATED WOMAN: ...).
            unshown = {line.speaker for line in dialogue if line.speaker and line.speaker not in seen_in_action}
            present = [i for i in present if i not in unshown]
            heard |= unshown
        intercut = "INTERCUT" in (script_scene.transition or "").upper()
        self.heard_through_intercut = {i for i in heard if i not in present} if intercut else set()
        motions = [m for m in _start_from_initial_places(motions, initial) if m.entity in present]
        relations = [r for r in _unique(relations) if r.subject in present and (r.object is None or r.object in present)]
        visibility = [v for v in visibility if v.entity in present]
        background = _background(script_scene, previous_background, self.lexicon)
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
        result = plan_layout(scene, cast.entities, aspect=self.options.width / self.options.height)
        for note in result.notes:
            log.info(note)
        scene = scene.model_copy(update={"layouts": result.layouts})
        return plan_shots(scene, script_scene, timed, cast.entities, self.options.fps, self.coverage), background

    def _speaker(self, cue: str) -> str:
        """Who speaks under `cue`. A cue that is a common noun (DOG, GUARD) is whoever of that noun this scene
        shows when the one who spoke so before is not in it: in the traffic light, DOG is the seventh
        chihuahua, not the cute dog of the park; that one is then called by the cue."""
        cast = self.cast
        key = " ".join(cue.lower().split())
        if key in cast.cues_here:  # the same dog for every line of the scene
            return cast.cues_here[key]
        cast.cues_here[key] = found = self._scene_speaker(cue)
        return found

    def _scene_speaker(self, cue: str) -> str:
        cast = self.cast
        entity_id = cast.named(cue)
        words = cue.lower().split()
        head = self.lexicon.head_noun(words[-1])
        if cast.here(entity_id) or head is None or head[1] or len(words) > 2 or (len(words) == 2 and words[0] not in ("the", "a")):
            return entity_id
        if cast.entities[entity_id].name.lower() != " ".join(words):
            return entity_id  # a character the action has named ('BISCUIT' is no common noun)
        noun = head[0]
        category = self.lexicon.nouns[noun]
        cues = set(cast.cues.values())
        here = [
            i
            for i in cast.by_category.get(category, [])
            if i != entity_id and i not in cues and cast.here(i) and (noun in cast.called[i] or noun == category)
        ]  # never another cue's character ('An old owl, HOOT, walks in': OWL is not Hoot)
        if not here:
            return entity_id
        found = cast.salient(here)[0]
        entity = cast.entities[found]
        if _unnamed(entity):  # 'chihuahua 7' is called Dog now; 'a PRETTY GIRL' keeps her name
            cast.entities[found] = entity.model_copy(update={"name": _display_name(cue), "description": f"{_display_name(cue)}, {entity.description}"})
        return found

    def _takes_time(self, beats: list[Action | Speech], words: dict[int, list[Word]]) -> dict[int, bool]:
        """Which action sentences take time of their own. Sentences that only describe the opening state
        ('A ball is initially on the lower left.') hold from the start and take none, unless someone
        enters later (the scene is shown before the entrance); after the first event, every sentence is a beat."""
        takes: dict[int, bool] = {}
        actions = [b for b in beats if isinstance(b, Action)]
        entrance_at = [any(w.low in lx.ENTER_WORDS or (w.pos == "VERB" and w.lemma in lx.ENTER_LEMMAS) for w in words[id(b)]) for b in actions]
        started = False
        for k, beat in enumerate(actions):
            eventful = self._eventful(words[id(beat)])
            started = started or eventful
            takes[id(beat)] = started or any(entrance_at[k + 1 :])
        return takes

    def _eventful(self, words: list[Word]) -> bool:
        """Does something happen in this sentence (a move, an entrance, an action), or does it only describe?"""
        for w in words:
            if w.low in lx.MOTION_VERBS or w.low in lx.ENTER_WORDS or w.low in lx.EXIT_WORDS or _verb_of_moving(w):
                return True
            if w.pos == "VERB" and w.lemma not in lx.STATIVE_VERBS and w.dep not in ("amod", "acl"):
                return True
            if w.low in _ACTION_VERBS:  # the parser's small model can take 'waves' for a noun
                return True
        return False


_ACTION_VERBS = frozenset(phrase[0] for phrase, _ in lx.ACTION_PHRASES)


@dataclass(frozen=True)
class _VerbMove:
    """What one verb of moving does to its movers: in or out of the frame, from where, to where."""

    movers: list[str]
    enters: bool = False
    exits: bool = False
    origin: str | None = None
    path: tuple[str, ...] = ()

    def merged(self, other: _VerbMove) -> _VerbMove:
        """Two verbs of one mover in one clause ('glides among them and enters a building'): one move."""
        exits = self.exits or other.exits
        return _VerbMove(self.movers, enters=(self.enters or other.enters) and not exits, exits=exits, origin=self.origin or other.origin, path=self.path or other.path)


_MOVING_LEMMAS = lx.MOTION_LEMMAS | lx.ENTER_LEMMAS | lx.EXIT_LEMMAS | lx.CAUSED_MOTION_LEMMAS | lx.FALL_LEMMAS


def _verb_lemma(word: Word) -> str | None:
    """The lemma of a verb of moving, also when the tagger took it for a noun ('leaves' -> leave, not leaf)."""
    for lemma in (word.lemma, word.low[:-1], word.low[:-2]):
        if lemma in _MOVING_LEMMAS:
            return lemma
    return None


def _verb_of_moving(word: Word) -> bool:
    """A verb whose lemma is one of coming or going ('materializes', 'vanishes'), as the parser reads it."""
    return word.pos == "VERB" and (word.lemma in lx.ENTER_LEMMAS or word.lemma in lx.EXIT_LEMMAS)
_GROUP_LINKS = frozenset([",", ":", "and", "aka", "a.k.a", "a.k.a.", "namely"])


def _is_voice(name: str) -> bool:
    """'VOICE', 'MALE VOICE', "MAN'S VOICE": a character who is only ever heard."""
    return name.lower().split()[-1:] == ["voice"]


def _heard_only(speech: Speech) -> bool:
    """A V.O. or O.S. line, or a VOICE: the speaker is heard, not seen."""
    if speech.speaker and _is_voice(speech.speaker):
        return True
    if not speech.extension:
        return False
    parts = {p.strip().lower() for p in speech.extension.split(",")}
    return bool(parts & lx.OFF_SCREEN_EXTENSIONS)


_MID_SENTENCE_NAME = re.compile(r"\b[a-z]+[,;]? ([A-Z][a-z]+(?:[-'][A-Za-z]+)?)\b")


def _place_words(script: Script) -> set[str]:
    """The capitalised words of the places in scene headings, besides their owners ('BRICK'S PATIO')."""
    found: set[str] = set()
    for scene in script.scenes:
        match = HEADING.match(scene.heading.strip())
        if match:
            words = re.findall(r"[A-Za-z][A-Za-z.]*(?:['’]s)?", match.group("place"))
            found.update(w.lower() for w in words if not w.lower().endswith(("'s", "’s")))
    return found - lx.NOT_NAMES


def _short_cues(cues: list[str], lexicon: lx.Lexicon) -> dict[str, str]:
    """One-word cues that end exactly one longer cue, with it: {"BOSS": "CYBER BOSS"}. Not a people noun the
    lexicon lists ("MAN" is no "OLD MAN"), and not where the longer cue only adds an age ("YOUNG SAM" is
    Sam already)."""
    ending: dict[str, list[str]] = defaultdict(list)  # last word -> the cues of several words ending with it
    for cue in cues:
        if len(cue.split()) > 1:
            ending[cue.lower().split()[-1]].append(cue)
    shorts: dict[str, str] = {}
    for short in cues:
        word = short.lower()
        if len(word.split()) != 1 or lexicon.listed(word) or word in lx.AGE_PREFIXES or _is_voice(word):  # 'VOICE' is no 'MAN'S VOICE'
            continue
        longer = ending.get(word, [])
        if len(longer) == 1 and not all(w in lx.AGE_PREFIXES for w in longer[0].lower().split()[:-1]):
            shorts[short] = longer[0]
    return shorts


def _name_counts(script: Script) -> Counter[str]:
    """How often the action lines write each capitalised word (lower case): a name written once, and never
    a cue, may be someone only mentioned ('ready to play David to Goliath')."""
    counts: Counter[str] = Counter()
    for scene in script.scenes:
        for beat in scene.beats:
            if isinstance(beat, Action):
                counts.update(w.lower() for w in _CAPITALISED.findall(beat.text))
    return counts


_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'-]+\b")


def _named_words(script: Script) -> set[str]:
    """Words the script writes as names mid-sentence ('... and Pepper jumps'): a CAPS word that is also
    written this way is a name, not a sound or emphasis."""
    found: set[str] = set()
    for scene in script.scenes:
        for beat in scene.beats:
            if isinstance(beat, Action):
                found.update(m.group(1).lower() for m in _MID_SENTENCE_NAME.finditer(beat.text))
    return found


# -- timing ---------------------------------------------------------------------------------------


def _beats(scene: ScriptScene) -> list[Action | Speech]:
    """The scene's beats with action split into sentences."""
    beats: list[Action | Speech] = []
    for beat in scene.beats:
        if isinstance(beat, Action):
            beats.extend(Action(s) for s in split_sentences(beat.text))
        elif isinstance(beat, ShotLine):  # the camera's words are never read; what the shot shows is
            beats.extend(Action(s) for s in split_sentences(beat.shows))
        else:
            beats.append(beat)
    return beats


def _line_seconds(speech: Speech) -> float:
    """As long as the line takes to read as a subtitle: at least 1 s, at most 17 characters a second,
    and about 150 words a minute."""
    return max(MIN_LINE_SECONDS, len(speech.text) / MAX_CHARACTERS_PER_SECOND, 0.4 * len(speech.text.split()))


def _action_seconds(action: Action) -> float:
    return min(max(1.0 + 0.15 * len(action.text.split()), 1.5), 4.0)


def _timed_beats(beats: list[Action | Speech], eventful: dict[int, bool]) -> list[tuple[Action | Speech, float, float]]:
    """Beats with start and end times. Dialogue gets what it needs; action sentences where something
    happens share at most 20 s; sentences that only describe take no time of their own (they hold for
    the whole scene). The scene lasts at least 3 s, in half-second steps."""
    if not beats:
        return []
    seconds = [
        _line_seconds(b) if isinstance(b, Speech) else (_action_seconds(b) if eventful[id(b)] else 0.0) for b in beats
    ]
    action_total = sum(s for b, s in zip(beats, seconds, strict=True) if isinstance(b, Action))
    if action_total > MAX_ACTION_SECONDS:
        scale = MAX_ACTION_SECONDS / action_total
        seconds = [s * scale if isinstance(b, Action) else s for b, s in zip(beats, seconds, strict=True)]
    total = sum(seconds)
    duration = max(MIN_SCENE_SECONDS, -(-total * 2 // 1) / 2)
    timed_ones = [k for k, s in enumerate(seconds) if s > 0]
    if timed_ones:  # stretch the last timed beat (an action one if any) to the scene's end
        actions = [k for k in timed_ones if isinstance(beats[k], Action)]
        if actions:
            stretch = (duration - total) / len(actions)
            for k in actions:
                seconds[k] += stretch
        else:
            seconds[timed_ones[-1]] += duration - total
    timed, t = [], 0.0
    for beat, s in zip(beats, seconds, strict=True):
        if s == 0.0:
            timed.append((beat, 0.0, duration))
            continue
        end = round(min(t + s, duration), 3)
        timed.append((beat, round(t, 3), end))
        t = end
    return timed


# -- reading one sentence ----------------------------------------------------------------------------


class _SentenceReader:
    """Mentions, relations, motions and visibility of one parsed action sentence spanning [start, end]."""

    def __init__(
        self, words: list[Word], run: _PlanRun, start: float, end: float, duration: float, heading: str = "", present: tuple[str, ...] = ()
    ) -> None:
        self.run = run
        self.present = present  # who the scene has shown before this sentence
        self._dependents: defaultdict[int, list[int]] | None = None
        self._mention_at: dict[int, _Mention] | None = None
        self.exterior, self.place_words = _setting_of(heading)
        self.cast = run.cast
        self.lexicon = run.lexicon
        self.tokens = words
        self.low = [w.low for w in words]
        whole = start <= 0 and end >= duration
        self.span = (None, None) if whole else (start, end)
        self.duration = duration
        self.mentions = self._find_mentions()
        self.mentioned = [i for m in self.mentions for i in m.ids]
        self.revealed = self._revealed()
        self.unseen = self._unseen()
        self.relations: list[Relation] = []
        self.motions: list[Motion] = []
        self.visibility: list[Visibility] = []
        self.initial: dict[str, str] = {}  # entity -> where it is at the start ("starts at the lower left")
        sequence_used = self._read_sequence()
        for clause_start, clause_end in self._clauses():
            self._read_clause(clause_start, clause_end, skip_motion=sequence_used)

    def _revealed(self) -> str | None:
        """The named person 'This is SPALDING JEAGER.', 'It's Amos Calloway.' or 'This man is KARL, now 55.' says
        the one just described is: a sentence of nothing else ('it's Scott, pleading with a GALLERY DIRECTOR' says
        whose voices they are)."""
        root = next((k for k, w in enumerate(self.tokens) if w.dep == "ROOT"), None)
        if root is None or self.tokens[root].lemma != "be" or len(self.mentions) > 2:
            return None
        if any(w.pos == "VERB" and k != root for k, w in enumerate(self.tokens)):
            return None
        subjects, attributes = self._children(root, "nsubj"), self._children(root, "attr")
        if len(subjects) != 1 or len(attributes) != 1:
            return None
        subject = self.tokens[subjects[0]]
        pointing = subject.low in ("this", "that", "it") or (subject.pos == "NOUN" and any(self.low[k] in ("this", "that") for k in self._children(subjects[0], "det")))
        named = self._mention_of(attributes[0])
        if not pointing or named is None or len(named.ids) != 1 or _unnamed_person(self.cast.entities[named.ids[0]]):
            return None
        if self.cast.entities[named.ids[0]].category not in PEOPLE:
            return None
        return named.ids[0]

    def _unseen(self) -> set[str]:
        """Who this sentence says is not in the picture: the subject of 'His minion approaches offscreen',
        everyone in 'The voice is that of a sophisticated-sounding woman'."""
        if any(w.dep == "nsubj" and w.lemma == "voice" for w in self.tokens):
            return set(self.mentioned)
        if not any(w.low in lx.OFF_SCREEN_WORDS for w in self.tokens):
            return set()
        return {i for m in self.mentions if any(self.tokens[k].dep in ("nsubj", "nsubjpass") for k in range(m.start, m.end)) for i in m.ids}

    # mentions

    def _find_mentions(self) -> list[_Mention]:
        mentions: list[_Mention] = []
        i = 0
        low = self.low
        self.claimed: set[int] = set()  # words inside a mention already
        self.found_so_far = mentions
        while i < len(self.tokens):
            found = self._character_at(i) or self._noun_phrase_at(i) or self._pronoun_at(i) or self._name_at(i)
            if found and not found.ids and found.group is None:  # read, but no one: "a neighbor's" cat
                i = found.end
                continue
            if found:
                found = self._appositive_after(found)
                mentions.append(found)
                self.cast.touch(found.ids)
                self.claimed.update(range(found.start, found.end))
                i = found.end
            else:
                i += 1
        # "A cat and a dog", "Anna, Ben and Carl": mentions joined by "and" or commas form a group.
        group: list[_Mention] = []
        for mention in mentions:
            if group and mention.start - group[-1].end in (1, 2) and all(w in ("and", ",") for w in low[group[-1].end : mention.start]):
                group.append(mention)
            else:
                if len(group) > 1:
                    self.cast.touch([i for m in group for i in m.ids])
                group = [mention]
        if len(group) > 1:
            self.cast.touch([i for m in group for i in m.ids])
        return self._name_groups(mentions)

    def _name_groups(self, mentions: list[_Mention]) -> list[_Mention]:
        """'THE BOY BAND, AKA DAN and JACK': a collective noun phrase followed by names is a group of
        them, and 'the band' means them from then on. A collective with no members ('the crowd
        cheers') is no one in particular, and is dropped."""
        kept = []
        for k, mention in enumerate(mentions):
            if mention.group is None:
                kept.append(mention)
                continue
            members: list[str] = []
            previous = mention
            for other in mentions[k + 1 :]:
                link = self.low[previous.end : other.start]
                first = previous is mention
                if not link or not set(link) <= _GROUP_LINKS or (first and not set(link) & {",", ":", "aka", "a.k.a", "a.k.a."}) or other.group is not None:
                    break
                members.extend(i for i in other.ids if i not in members)
                previous = other
            if len(members) > 1:
                label = mention.group
                for key in (label, label.split()[-1]):
                    self.cast.groups[key] = members
                mention.ids = self.cast.touch(members)
                kept.append(mention)
        return kept

    def _character_at(self, i: int) -> _Mention | None:
        """A known name, however cased ('SARAH', 'Sam Hale', 'Old Man')."""
        token = self.tokens[i]
        if not token.text[:1].isupper():
            return None
        for words in self.cast.alias_starts.get(token.low, ()):
            if tuple(self.low[i : i + len(words)]) == words:
                end = i + len(words)
                entity_id = self.cast.aliases[" ".join(words)]
                if self._common_cue_elsewhere(entity_id, i, end):
                    return None
                # "SAM HALE" after "SAM": the longer name is the same person, say it once.
                start_end = end
                while end < len(self.tokens) and end - i < 4 and self._name_word(end) and not self.lexicon.listed(self.tokens[end].low) and (
                    (self.tokens[end].shouted and self.tokens[i].shouted)
                    or (not self.tokens[end].shouted and self.tokens[end].pos == "PROPN" and self.tokens[end].text[:1].isupper())
                ):
                    end += 1  # "Edward Bloom" after "Edward", "SAM HALE" after "SAM": the same person
                if end > start_end:
                    self.cast.alias(" ".join(self.low[i:end]), entity_id)
                if end < len(self.low) and self.low[end] == "'s":
                    end += 1
                return _Mention(i, end, [entity_id])
        return None

    def _common_cue_elsewhere(self, entity_id: str, i: int, end: int) -> bool:
        """Is the cue word at [i, end) a common noun ('DOG') that means someone else here: a thing named after it
        ('DOG TRANSLATOR'), or one of this scene's dogs while the DOG of another scene is not in it?"""
        head = self.lexicon.head_noun(self.low[end - 1])
        if head is None or self.cast.entities[entity_id].name.lower() != " ".join(self.low[i:end]):
            return False  # a name ('BISCUIT'), or a cue the action has named
        if self.tokens[end - 1].dep == "compound" and self.tokens[end - 1].head == end:
            return True
        category = self.lexicon.nouns[head[0]]
        return not self.cast.here(entity_id) and self.cast.any_here(category, besides=entity_id)

    def _name_word(self, k: int) -> bool:
        word = self.tokens[k]
        return word.low not in lx.SCREEN_DIRECTIONS and word.pos in ("PROPN", "NOUN", "ADJ", "X") and word.low.isalpha()

    def _modifier(self, k: int) -> bool:
        """Can this word stand inside a noun phrase before its head ('three *moving* cars', 'a *fishing* boat')?"""
        word, lex = self.tokens[k], self.lexicon
        if word.low in lx.COLORS or word.low in lx.COLOR_SYNONYMS or word.low in lx.SIZES or word.low in lx.OTHER_ADJECTIVES or word.low in lx.NOUN_MODIFIERS:
            return True
        if word.low in self.cast.aliases or word.low in lx.DEFINITE or word.low in lx.INDEFINITE:
            return False
        if word.pos == "ADJ" or (word.pos == "VERB" and word.dep == "amod") or word.dep == "compound":
            return True
        return word.pos == "NOUN" and lex.head_noun(word.low) is None and k + 1 < len(self.tokens) and self.tokens[k + 1].pos in ("NOUN", "PROPN")

    def _noun_phrase_at(self, i: int) -> _Mention | None:
        """Determiner? number? modifiers* NOUN (the last noun of a compound is the head: 'a barn owl'),
        with 'named X' or an appositive name after it."""
        low, lex = self.low, self.lexicon
        j = i
        determiner = None
        if low[j] in lx.DEFINITE | lx.INDEFINITE or low[j] in lx.NUMBERS or _is_count(low[j]):
            determiner = low[j]
            j += 1
        count = None
        if j < len(low) and ((low[j] in lx.NUMBERS and low[j] not in ("a", "an", "another")) or _is_count(low[j])):
            count = int(low[j]) if _is_count(low[j]) else lx.NUMBERS[low[j]]
            j += 1
        elif determiner is not None and ((determiner in lx.NUMBERS and determiner not in ("a", "an", "another")) or _is_count(determiner)):
            count = int(determiner) if _is_count(determiner) else lx.NUMBERS[determiner]
        collective = self._collective_at(j) if determiner is not None else None
        if collective is not None:  # "the band", "THE BOY BAND": its members, once named
            label = " ".join(low[j : collective + 1])
            end = collective + 1
            members = self.cast.groups.get(label) or self.cast.groups.get(low[collective])
            return _Mention(i, end, list(members)) if members else _Mention(i, end, [], group=label)
        modifiers: list[str] = []
        head = None
        while j < len(low) and len(modifiers) < 6:
            known = lex.head_noun(low[j])
            following = lex.head_noun(low[j + 1]) if j + 1 < len(low) else None
            # 'a barn owl', 'two NEIGHBOR KIDS'; not 'his dog BEAR' (a name in caps after a noun in lower case)
            compound = known is not None and not known[1] and following is not None and (self.tokens[j].shouted or not self.tokens[j + 1].shouted) and (self.tokens[j].dep == "compound" or not following[1])
            if known is not None and not compound:  # 'a barn owl': 'barn' is a compound, 'owl' the head
                if self._modifies_other_noun(j):
                    return None  # "a clown tear", "the dog collar": a thing named after the noun, not the noun
                head = known
                break
            hyphenated = j + 1 < len(low) and self.tokens[j + 1].hyphenated and kind_of(f"{low[j]}-{low[j + 1]}") is not None
            if known is None and not self._modifier(j) and not hyphenated:  # ('WELL-WISHER' is one noun)
                return None
            modifiers.append(low[j])
            j += 1
        if head is None:
            return None
        noun, plural = head
        if count is not None and count > 1 and not plural and noun not in ("sheep", "fish"):
            plural = True
        if self.tokens[j].shouted and determiner is None:
            return self._bare_shouted_role(i, j, noun, plural or count is not None)  # Fountain caps are names, not nouns
        if determiner is None and not modifiers and count is None and self.tokens[j].pos in ("VERB", "AUX", "PRON", "ADJ", "ADV"):
            return None  # 'stops to cook dinner', 'someone knocks': a verb or a pronoun, not a cast member
        if noun in lex.looked_up and not self._cast_noun(j, determiner is not None or count is not None):
            return None
        if determiner is None and not modifiers and count is None and not plural and self.tokens[j].text[:1].isupper() and self.tokens[j].pos == "PROPN" and j > 0:
            return None  # "Mr. Fox" mid-sentence is a name
        end = j + 1
        name = None
        if end + 1 < len(low) and low[end] in ("named", "called") and self.tokens[end + 1].text[:1].isupper():
            name, end = self._name_from(end + 1)
        elif end < len(low) and (determiner in lx.DEFINITE or self._cue_word(end)) and self._is_appositive_name(end) and self.tokens[end].pos != "VERB":  # "her dog BISCUIT", "his brother DON PRICE", "an old owl OWL"
            name, end = self._name_from(end)
        elif end + 1 < len(low) and low[end] == "," and self._is_appositive_name(end + 1, comma=True):  # "A fat ginger cat, PEPPER,"
            name, end = self._name_from(end + 1)
        else:
            name, end = self._appositive_after_phrase(end) or (None, end)
        if end < len(low) and low[end] == "'s":
            end += 1
        if determiner is None and not modifiers and i > 0 and low[i - 1] == "of" and noun == "top":
            return None
        category = lex.nouns[noun]
        attributes = {}
        colors = [lx.COLOR_SYNONYMS.get(m, m) for m in modifiers if m in lx.COLORS or m in lx.COLOR_SYNONYMS]
        sizes = [lx.SIZES[m] for m in modifiers if m in lx.SIZES]
        if colors:
            attributes["color"] = colors[0]
        if sizes:
            attributes["size"] = sizes[0]
        label = " ".join([*modifiers, noun])
        description = f"{'an' if label[0] in 'aeiou' else 'a'} {label}"
        if determiner in _POSSESSIVES and determiner not in ("a", "an"):
            description = f"{determiner} {label}"

        if name is None and not self.tokens[j].shouted and self._predicative(j):  # "he's no longer a man", "bigger than any man": no one new
            subject = self._copula_subject(j)
            if subject is not None and self.cast.entities[subject].description == self.cast.entities[subject].name:  # "MIRA is a little girl"
                self.cast.describe(subject, category, noun, attributes, description)
            return _Mention(i, end, [])
        if name is None and self._absent(i, j, modifiers, determiner, category):
            return _Mention(i, end, [])  # "covers for her absent husband": he is not in the frame
        if name is None and not plural and (count or 1) == 1:
            shouted = self._shouted_introduction(i, j)
            known = self.cast.find(label) or (self.cast.find(noun) if determiner in lx.DEFINITE and shouted is None else None)
            if known is not None and not self.cast.here(known) and category not in PEOPLE and self.cast.any_here(category):
                known = None  # "the seventh dog" is one of the chihuahuas here, not the cue DOG of another scene
            if known is not None and self.cast.unmet(known):
                known = None  # "the kid" of an early scene is not the KID who speaks in a late one
            if known is not None:  # "the security guard" is the cue SECURITY GUARD ("The PIANO STUDENT" is not STUDENT)
                return _Mention(i, end, [known])
            if shouted is not None:  # "a stunning ASIAN WOMAN", "The skinny SECURITY GUARD": a character's first appearance
                caps, after = shouted
                entity_id = self.cast.find(caps) or self.cast.named(_display_name(caps), category, noun)
                appositive = after + 1 < len(low) and low[after] == "," and low[after + 1] in ("a", "an")  # described next
                if self.cast.entities[entity_id].description == self.cast.entities[entity_id].name and not appositive:
                    self.cast.describe(entity_id, category, noun, attributes, description)
                return _Mention(i, max(end, after), [entity_id])
        if name is not None:
            entity_id = self.cast.named(_display_name(name), category, noun)
            self.cast.describe(entity_id, category, noun, attributes, description)
            return _Mention(i, end, [entity_id])
        described = self._apposed_name(j) if name is None and not plural and count is None else None
        if described is not None:  # "CYBER BOSS, 40, an ageless, faceless ... cloud": the parser's apposition
            entity = self.cast.entities[described]
            if entity.description == entity.name or described in self.cast.unintroduced.values():
                self.cast.describe(described, category, noun, attributes, description)
            self.cast.called[described].add(noun)  # 'the DRIVER, a man in his forties ... The man': the driver
            return _Mention(i, end, [described])
        if determiner in lx.INDEFINITE and end > 0 and low[end - 1] == "'s" and name is None:
            return _Mention(i, end, [])  # "a neighbor's cat": the owner is not in the scene
        # "the two men" refers back to two men; "two men", "a man" and "men" introduce them
        introduces = determiner in lx.INDEFINITE or (count is not None and determiner not in lx.DEFINITE) or (determiner is None and plural)
        if determiner in ("a", "an") and i > 0 and self.low[i - 1] in ("like", "as"):
            return _Mention(i, end, [])  # "slippery like a fish", "works as a waiter": a comparison, no one new
        if determiner in ("a", "an") and self._describes_another(i):  # "a white puffy ball of a cloud": no new cloud
            ids = self.cast.definite(category, noun, attributes)
            return _Mention(i, end, ids)
        character = self.cast.introduced_as(noun, label) if not plural and (count or 1) == 1 and determiner != "another" else None
        if character is not None and determiner in lx.DEFINITE and self.cast.unmet(character):
            character = None  # "the kid" as for `known` above ("an old owl" may be OWL)
        if character is not None:
            self.cast.describe(character, category, noun, attributes, description)
            return _Mention(i, end, [character])
        if introduces:
            n = count if count is not None else (2 if plural else 1)
            n = min(n, 12)
            again = self.cast.labelled.get(label) if n == 1 and modifiers and category not in PEOPLE else None
            if again is not None and all(w.shouted for w in self.tokens[j - len(modifiers) : j + 1]):
                return _Mention(i, end, [again])  # "a fat catfish" ... "A FAT CATFISH": the caps bring that one back
            if n == 1:
                ids = [self.cast.add(label, category, noun, attributes, description)]
            else:
                ids = [self.cast.add(f"{label} {k + 1}", category, noun, attributes, description) for k in range(n)]
            return _Mention(i, end, ids)
        if plural:  # "the cats": every recent one of them; "the two men": the latest two men
            pool = self.cast._seen(self.cast.by_category.get(category, []))
            here = [e for e in pool if self.cast.here(e)]
            here = [e for e in here if noun in self.cast.called[e]] or here
            pool = here or pool  # "the chihuahuas": the seven here, not the dog of another scene too
            if category in PEOPLE:
                other = "f" if noun in lx.MALE_WORDS else "m" if noun in lx.FEMALE_WORDS else None
                pool = [e for e in pool if other is None or self.cast.gender.get(e) != other]
            ids = self.cast.recent(pool)[: count or 12]
            if count is not None and len(ids) < count and len(here) >= count:
                ids = self.cast.recent(here)[:count]  # "the two women" are the two here, whatever a pronoun guessed of them
            if count is not None and len(ids) < count:
                ids = []
            if not ids:
                ids = [self.cast.add(f"{label} {k + 1}", category, noun, attributes, description) for k in range(2)]
            return _Mention(i, end, ids)
        ordinal = next((lx.ORDINALS[m] for m in modifiers if m in lx.ORDINALS), None)
        # "his father", "the Girl in the River": a relation or a title reaches any scene back; "the man" does not
        related = determiner in _POSSESSIVES or self.tokens[j].text[:1].isupper()
        ids = self.cast.definite(category, noun, attributes, ordinal, related=related)
        if not ids:
            ids = [self.cast.add(label, category, noun, attributes, description)]
        return _Mention(i, end, ids)

    def _predicative(self, j: int) -> bool:
        """Is the noun at word j what someone is or is compared with ('he's no longer a man', 'in the end, just a
        man', 'bigger than any man you've ever seen'), rather than someone in the frame? 'There are SEVEN
        CHIHUAHUAS' puts them there."""
        seen: set[int] = set()
        while j not in seen:
            seen.add(j)
            word = self.tokens[j]
            head = self.tokens[word.head]
            if word.dep == "appos":  # 'a freak -- a giant man': what the noun it stands beside is
                j = word.head
            elif word.dep == "attr":
                return not self._existential(word.head)
            else:
                return (word.dep == "conj" and head.lemma == "be") or (word.dep == "pobj" and head.low == "than")
        return False

    def _copula_subject(self, j: int) -> str | None:
        """The one entity a predicative noun at word j says something of: Mira in 'MIRA is a little girl'."""
        word = self.tokens[j]
        if word.dep != "attr":
            return None
        subjects = self._children(word.head, "nsubj")
        for mention in self.found_so_far:
            if len(mention.ids) == 1 and any(mention.start <= k < mention.end for k in subjects):
                return mention.ids[0]
        return None

    def _existential(self, k: int) -> bool:
        """Is word k the verb of 'there is / there are'?"""
        return bool(self._children(k, "expl"))

    def _absent(self, i: int, j: int, modifiers: list[str], determiner: str | None, category: str) -> bool:
        """Does the phrase [i, j] name someone who is not there: 'her absent husband', 'her late husband', 'bigger
        than any man', 'no dog'?"""
        if i > 0 and self.low[i - 1] in lx.NO_ONE_DETERMINERS and self.tokens[i - 1].head == j:
            return True
        if any(m in lx.ABSENT_MODIFIERS for m in modifiers):
            return True
        return category in PEOPLE and determiner in _POSSESSIVES and "late" in modifiers

    def _describes_another(self, i: int) -> bool:
        """Is the noun phrase starting at word i what another noun is made of or shows ('a ball of a cloud',
        'a photo of a cat'), not a place ('to the left of a tree', 'in front of a house')?"""
        if i < 2 or self.low[i - 1] != "of":
            return False
        owner = self.tokens[i - 1].head
        return owner < i - 1 and self.tokens[owner].pos == "NOUN" and self.low[owner] not in _PLACE_WORDS

    def _cast_noun(self, j: int, determined: bool) -> bool:
        """May word j, a noun the lexicon knows only from WordNet, stand for a cast member here? Only as the
        parser's noun, with a determiner or a number, heading its own phrase ('a SAMURAI SWORD', 'the Phone
        Threat voice' are things, 'A LAND ROVER DEFENDER 90.' a model), not as what someone is ('He was the
        town's first physician') and not as what is heard ('we hear a POP')."""
        word = self.tokens[j]
        # 'A poodle runs', 'to see a MILITARY HELICOPTER drop', 'A camel first moves': the tagger glues the noun
        # to the verb after it, as if that were a noun ('camel' modifies 'moves')
        after = self.tokens[word.head] if j < word.head <= j + 2 else None
        misparsed = word.dep in ("compound", "nmod") and after is not None and (after.dep == "ROOT" or _verb_lemma(after) is not None)
        there = word.dep == "attr" and self._existential(word.head)  # 'There are SEVEN CHIHUAHUAS'
        # 'a scene in which an elephant initially on the lower right': the parser heads a verbless clause with it
        fragment = word.dep == "relcl" and any(self.tokens[k].dep == "prep" for k in self._children(j))
        if word.pos not in ("NOUN", "PROPN") or not determined or (word.dep not in _CAST_ROLES | {"poss"} and not misparsed and not there and not fragment):
            return False
        if j + 1 < len(self.tokens) and self.tokens[j + 1].pos == "NUM" and self.tokens[j + 1].head == j:
            return False  # 'the bright yellow Defender 90': a model, not a defender
        head = self.tokens[word.head]
        return not (word.dep == "dobj" and head.lemma in lx.PERCEPTION_VERBS)

    def _bare_shouted_role(self, i: int, j: int, noun: str, several: bool) -> _Mention | None:
        """'From FARMER to BAKER'S WIFE': a people noun in caps with no article (and the caps words before it)
        is how Fountain introduces a character by role: that character, named so. Anything else in caps
        with no article ('the BANG', a plural, a thing) is not read as a noun."""
        category = self.lexicon.nouns.get(noun)
        if several or category not in PEOPLE or not all(t.shouted for t in self.tokens[i : j + 1]):
            return None
        if i > 0 and self.low[i - 1] in lx.DEFINITE | lx.INDEFINITE:
            return None  # 'we hear a POP': the phrase with its article was read (and refused) already
        end = j + 1
        if end + 1 < len(self.tokens) and self.low[end] == "'s" and self.tokens[end + 1].shouted:
            owned = self.lexicon.head_noun(self.low[end + 1])
            if owned is not None and not owned[1] and self.lexicon.nouns.get(owned[0]) in PEOPLE:  # "BAKER'S WIFE"
                noun, category, end = owned[0], self.lexicon.nouns[owned[0]], end + 2
        head = self.tokens[end - 1]
        if head.pos not in ("NOUN", "PROPN") or head.dep not in _CAST_ROLES or not any(t.pos in ("VERB", "AUX") for t in self.tokens):
            return None  # '*"DOG TRANSLATOR"*' (a sign), 'It POPS.': caps that are no one standing in the scene
        name = _display_name(" ".join(t.text for t in self.tokens[i:end]).replace(" 'S", "'S").replace(" 's", "'s"))
        # 'the guard' ... 'GUARD looks in' is that guard; 'two FARMERS' ... 'FARMER' is a character of its own
        recent = [e for e in self.cast.definite(category, noun, {}) if not self.cast.entities[e].name[-1:].isdigit()] if end - i == 1 else []
        entity_id = self.cast.find(name.lower()) or (recent[0] if len(recent) == 1 else None) or self.cast.named(name, category, noun)
        return _Mention(i, end, [entity_id])

    def _modifies_other_noun(self, j: int) -> bool:
        """Is word j a compound of the next word, a noun the lexicon does not know ('clown tear')?"""
        word = self.tokens[j]
        if word.dep != "compound" or word.head != j + 1 or word.shouted:
            return False
        head = self.tokens[j + 1]
        return head.pos == "NOUN" and head.dep != "ROOT" and self.lexicon.head_noun(head.low) is None and not _is_verbish(head.low)

    def _apposed_name(self, j: int) -> str | None:
        """The named entity whose name the noun at word j stands in apposition to, if the parser says so."""
        word = self.tokens[j]
        if word.dep != "appos":
            return None
        for mention in getattr(self, "found_so_far", []):
            if mention.start <= word.head < mention.end and len(mention.ids) == 1 and self.tokens[word.head].text[:1].isupper():
                return mention.ids[0]
        return None

    def _collective_at(self, j: int) -> int | None:
        """The word of a collective noun ('band', 'crowd', 'twins') ending the noun phrase at word j
        ('the boy band', 'the CROWD'), or None."""
        for k in range(j, min(j + 4, len(self.low))):
            if self.low[k] in lx.COLLECTIVE_NOUNS:
                return k
            if self.low[k] in lx.DEFINITE | lx.INDEFINITE or not (self._modifier(k) or self.lexicon.head_noun(self.low[k]) or self.tokens[k].shouted):
                return None
        return None

    def _shouted_introduction(self, i: int, head: int) -> tuple[str, int] | None:
        """'a stunning ASIAN WOMAN', 'an HEAVYSET MAN IN OVERALLS': the CAPS words around a people noun
        are the name Fountain introduces a character by; (name, the word after it), or None when the
        head is not in CAPS, names no person, or is the only word in CAPS ('a WOMAN' is a woman)."""
        if not self.tokens[head].shouted or self.lexicon.nouns.get(self.low[head]) not in PEOPLE:
            return None

        def caps(k: int) -> bool:
            return self.tokens[k].shouted and self.low[k].replace("-", "").isalpha() and self.low[k] not in lx.SCREEN_DIRECTIONS

        start, end = head, head + 1
        while start - 1 > i and caps(start - 1):
            start -= 1
        if end + 1 < len(self.tokens) and self.tokens[end].pos == "ADP" and caps(end) and caps(end + 1):
            end += 2  # "MAN IN OVERALLS"
        if end - start < 2:
            return None
        return " ".join(t.text for t in self.tokens[start:end]), end

    def _name_from(self, k: int) -> tuple[str, int]:
        """The whole name starting at word k, and the word after it: 'DON PRICE', 'Mira Hale'."""
        end = self._name_end(k)
        return " ".join(t.text for t in self.tokens[k:end]), end

    def _appositive_after_phrase(self, end: int) -> tuple[str, int] | None:
        """'A tall woman in a grey coat, NORA (40), walks': a shouted name after a comma, with only a
        prepositional phrase (no verb) between it and the noun phrase."""
        for k in range(end, min(end + 8, len(self.tokens) - 1)):
            word = self.tokens[k]
            if word.pos in ("VERB", "AUX") or word.low in (";", ".", "and"):
                return None
            if word.low == "," and self._is_appositive_name(k + 1, comma=True):
                name, after = self._name_from(k + 1)
                if self.tokens[after - 1].age or any(t.dep == "appos" for t in self.tokens[k + 1 : after]):
                    return name, after
        return None

    def _cue_word(self, k: int) -> bool:
        """Is word k a one-word cue written in caps ('OWL' after 'an old owl')?"""
        return self.tokens[k].shouted and self.low[k] in self.cast.cues

    def _is_appositive_name(self, k: int, comma: bool = False) -> bool:
        token = self.tokens[k]
        if self._cue_word(k) and not (k + 1 < len(self.low) and self.tokens[k + 1].shouted):
            return True  # 'An old owl, OWL (2), walks in': a cue, though the word is also a noun
        if not token.text[:1].isupper() or token.low in lx.NOT_NAMES or self.lexicon.listed(token.low) or token.low in lx.SCREEN_DIRECTIONS:
            return False
        known = token.low in self.cast.aliases or self.run.is_name(token.low)
        shouted = token.shouted  # Fountain introduces characters in caps
        if comma:  # "a cat, PEPPER," : the name is followed by a comma, an age, or the verb
            last = self._name_end(k) - 1
            after = self.low[last + 1] if last + 1 < len(self.low) else "."
            return (known or shouted or token.pos == "PROPN") and (self.tokens[last].age or after in (",", ".", ";") or token.dep == "appos" or self.tokens[last].dep == "appos")
        return known or shouted

    def _appositive_after(self, mention: _Mention) -> _Mention:
        """'NORA, a tall woman in a grey coat, ...': a name followed by what it is describes the name."""
        end = mention.end
        if len(mention.ids) != 1 or end + 2 >= len(self.low) or self.low[end] != "," or self.low[end + 1] not in ("a", "an"):
            return mention
        entity_id = mention.ids[0]
        entity = self.cast.entities[entity_id]
        if entity.description != entity.name and entity_id not in self.cast.unintroduced.values():
            return mention
        j, modifiers = end + 2, []
        while j < len(self.low) and len(modifiers) < 6:
            known = self.lexicon.head_noun(self.low[j])
            if known is not None and not known[1]:
                noun = known[0]
                category = self.lexicon.nouns[noun] if entity.category in PEOPLE or entity.category == self.lexicon.nouns[noun] else entity.category
                label = " ".join([*modifiers, noun])
                self.cast.describe(entity_id, category, noun, {}, f"{'an' if label[0] in 'aeiou' else 'a'} {label}")
                return _Mention(mention.start, j + 1, mention.ids)
            if not self._modifier(j):
                return mention
            modifiers.append(self.low[j])
            j += 1
        return mention

    def _pronoun_at(self, i: int) -> _Mention | None:
        word = self.low[i]
        if word not in ("he", "him", "she", "her", "it", "they", "them"):
            return None
        if word == "her" and (self.tokens[i].dep == "poss" or (i + 1 < len(self.low) and _is_nounish(self.low[i + 1], self.lexicon))):
            return None  # possessive: "her kite"
        if word == "it" and i + 1 < len(self.low) and self.low[i + 1] in ("is", "was", "'s") and i + 2 < len(self.low) and self.tokens[i + 2].pos in ("ADJ", "NOUN", "DET"):
            return None  # "it is raining", "it's a trap"
        ids = self.cast.pronoun(word)
        return _Mention(i, i + 1, ids) if ids else None

    def _name_at(self, i: int) -> _Mention | None:
        """A name the script has not introduced before: a proper noun, or a CAPS word with a sign of
        being a name. Sound cues, camera directions and emphasis have none, and are never cast."""
        token = self.tokens[i]
        word = token.low
        lex = self.lexicon
        if not token.text[:1].isupper() or not word.rstrip(".").isalpha() or len(word) < 2:
            return None
        honorific = word.rstrip(".") in lx.HONORIFICS and i + 1 < len(self.tokens) and self.tokens[i + 1].text[:1].isupper() and self.tokens[i + 1].low.isalpha() and not lex.listed(self.tokens[i + 1].low)
        if honorific and (token.shouted == self.tokens[i + 1].shouted):  # "Mr. Hoff", "DR. JULIUS BENNETT"
            if self._only_mentioned(i + 1):
                return None  # "Not to get all Dr. Seuss on you"
            end = self._name_end(i + 1)
            name = _display_name(" ".join(t.text for t in self.tokens[i:end]))
            return _Mention(i, end + (1 if end < len(self.low) and self.low[end] == "'s" else 0), [self.cast.named(name)])
        if not word.isalpha():
            return None
        owned = self._owned_cue(i)
        if owned is not None:  # "Will's pretty DATE" is the cue WILL'S DATE
            return _Mention(i, i + 1, [owned])
        if word in lx.NOT_NAMES or word in lx.SCREEN_DIRECTIONS or lex.listed(word) or lex.singular(word):
            return None  # (a noun only WordNet knows may be a name: 'Colossus walks down the row')
        if word in lx.AGE_PREFIXES:  # "Young Dr. Bennett": the name follows
            return None
        if not token.shouted and i > 0 and self.low[i - 1] == "of":  # "a can of Ensure", "the Ashton River"
            return None
        if word in lx.COLORS or word in lx.SIZES or word in lx.MOTION_VERBS or word in lx.ENTER_WORDS or word in lx.EXIT_WORDS:
            return None
        if i > 0 and self.low[i - 1] in lx.DEFINITE | lx.INDEFINITE and self.low[i - 1] not in _POSSESSIVES:
            # "a TOYOTA", "the BANG": names take no article; "The MAILMAN", "the DRIVER" are roles.
            return self._shouted_role_at(i) if token.shouted else None
        start = self._caps_start(i) if token.shouted else i
        if start < i and start > 0 and self.low[start - 1] in lx.DEFINITE | lx.INDEFINITE and self.low[start - 1] not in _POSSESSIVES:
            return None  # "A LAND ROVER DEFENDER 90": inside caps that follow an article, a thing or a role, read there
        role = self._role_before(i)  # "her uncle RAY", "his dog REX"
        if role is None and self._determined(i):
            # "the bright yellow Defender 90", "his '77 Toyota Landcruiser", "Cole's Pharmacy", "his GLOCK":
            # a proper noun with a determiner or an owner is a thing of that name, not a person.
            return self._shouted_role_at(self._caps_start(i)) if token.shouted else None
        if self.run.is_place(word) or (not token.shouted and self._modifies_a_noun(i)):
            return None  # "Welcome to Spectre!" (EXT. THE TOWN OF SPECTRE), "the Bloom house", "Skynard-loving"
        if token.shouted:
            evidence = self.run.is_name(word) or token.age or role is not None
            if not evidence or token.pos not in ("PROPN", "NOUN", "ADJ", "X", "VERB"):
                return None
        else:
            # "Nora and Pepper sit": a dictionary word the script capitalises mid-sentence is a name too.
            capitalised = token.pos == "NOUN" and i > 0 and self.low[i - 1] not in (".", "!", "?", ":", ";") and self.run.is_name(word)
            # "Nora and Pepper": a name joined to a person's name is a person, whatever the tagger guessed.
            with_person = token.dep == "conj" and self.tokens[token.head].low in self.cast.aliases and self.tokens[token.head].text[:1].isupper()
            if (token.pos != "PROPN" and not capitalised) or (token.entity in _NOT_PEOPLE and not with_person):
                return None
            if (i == 0 or self.low[i - 1] in (".", "!", "?", ":", ";")) and token.entity != "PERSON" and not self.run.is_name(word):
                return None  # a capital that only starts the sentence
            if role is None and self._only_mentioned(i):
                return None  # "ready to play David to Goliath": written once, doing nothing, never speaking
        end = self._name_end(i)
        name = _display_name(" ".join(t.text for t in self.tokens[i:end]))
        if role is not None:
            noun, description = role
            category = lex.nouns.get(noun, "person")
            entity_id = self.cast.named(name, category, noun)
            self.cast.describe(entity_id, category, noun, {}, description)
        else:
            entity_id = self.cast.named(name)
        if end < len(self.low) and self.low[end] == "'s":
            end += 1
        return _Mention(i, end, [entity_id])

    def _owned_cue(self, i: int) -> str | None:
        """The character whose cue is the owner and the word at i ("Will's pretty DATE": WILL'S DATE), if any."""
        k = i - 1
        while k > 0 and self.tokens[k].pos == "ADJ":
            k -= 1
        if k < 1 or self.low[k] != "'s":
            return None
        return self.cast.cues.get(f"{self.low[k - 1]}'s {self.low[i]}")

    def _only_mentioned(self, i: int) -> bool:
        """Is the name at word i someone the action only mentions: written once in the whole script, never a
        cue or an alias, and the object of a verb or a preposition (what is played, got, compared to), not
        anyone doing anything?"""
        word = self.tokens[i].low
        if self.run.name_counts[word] > 1 or word in self.run.cue_words or word in self.cast.aliases:
            return False
        return self.tokens[self._name_end(i) - 1].dep in ("dobj", "pobj", "attr", "dative", "npadvmod", "oprd")

    def _name_end(self, i: int) -> int:
        """Where a name starting at word i ends: 'SAM HALE', 'Jacob Billups' (not '... Palace Hotel')."""
        token, end = self.tokens[i], i + 1
        while end < len(self.tokens) and end - i < 4:
            nxt = self.tokens[end]
            same_kind = nxt.shouted if token.shouted else (nxt.pos == "PROPN" and nxt.text[:1].isupper() and nxt.entity == token.entity)
            if not same_kind or not self._name_word(end) or self.lexicon.listed(nxt.low) or (not nxt.shouted and self.run.is_place(nxt.low)):
                break
            end += 1
        return end

    def _caps_start(self, i: int) -> int:
        """The first of the CAPS words ending at word i: 'a snobby-looking GALLERY DIRECTOR' -> GALLERY."""
        while i > 0 and self.tokens[i - 1].shouted and self._name_word(i - 1) and i - 1 not in self.claimed:
            i -= 1
        return i

    def _determined(self, i: int) -> bool:
        """Has word i a determiner or an owner of its own ('the ... Defender', 'his ... Landcruiser',
        "Cole's Pharmacy")? For 'Five and Dime', the first of the conjoined names is asked."""
        k, seen = i, set()
        while self.tokens[k].dep == "conj" and self.tokens[self.tokens[k].head].pos == "PROPN" and k not in seen:
            seen.add(k)
            k = self.tokens[k].head
        return any(w.head == k and w.dep in ("det", "poss") and j < k and w.low not in ("no", "every", "each") for j, w in enumerate(self.tokens) if j != k)

    def _modifies_a_noun(self, i: int) -> bool:
        """Is the proper noun (the last of its name) a modifier: 'the Bloom house', 'a Judo Gi', 'Skynard-loving'?"""
        last = self._name_end(i) - 1
        word = self.tokens[last]
        if word.dep in ("npadvmod", "amod"):
            return True
        head = self.tokens[word.head]
        return word.dep in ("compound", "nmod") and head.pos == "NOUN" and head.dep != "ROOT" and not head.shouted

    def _shouted_role_at(self, i: int) -> _Mention | None:
        """'The MAILMAN is just leaving': a shouted noun for what a person does introduces that person
        (one identity per role: the next 'the mailman' is the same one)."""
        end = i
        while end < len(self.tokens) and self.tokens[end].shouted and self._name_word(end) and end - i < 3:
            end += 1
        if end == i:
            return None
        role = " ".join(self.low[i:end])
        if not _is_role(role.split()[-1], self.lexicon):
            return None
        if role.split()[-1] in self.lexicon.looked_up and not self._cast_noun(end - 1, True):
            return None  # 'we hear a POP', 'A LAND ROVER DEFENDER 90': WordNet's person, but no one here
        category = self.lexicon.nouns.get(role.split()[-1], "person")
        found = self.cast.find(role)
        if found is None:
            found = self.cast.named(_display_name(" ".join(t.text for t in self.tokens[i:end])), category, role.split()[-1])
        return _Mention(i, end, [found])

    def _role_before(self, i: int) -> tuple[str, str] | None:
        """('uncle', 'her uncle') for 'her uncle RAY': a possessed noun right before the name."""
        if i < 2:
            return None
        noun, owner = self.tokens[i - 1], self.low[i - 2]
        if noun.pos != "NOUN" or noun.shouted or (owner not in _POSSESSIVES and not owner.endswith("'s")):
            return None
        if not _is_role(noun.low, self.lexicon):  # "Steel's face FILLS the scope": a face is no role
            return None
        single = self.lexicon.head_noun(noun.low)
        word = single[0] if single else noun.low
        return word, f"{owner} {noun.low}"

    # clauses

    def _verbish(self, k: int) -> bool:
        return self.tokens[k].pos in ("VERB", "AUX") or _is_verbish(self.low[k])

    def _clauses(self) -> list[tuple[int, int]]:
        """Token ranges of clauses: split at ; : then while but when after before, and at 'and'
        when a new subject with its own verb follows."""
        bounds, start = [], 0
        starts_at = {m.start: m for m in self.mentions}
        for k, word in enumerate(self.low):
            split = word in (";", ":", "then", "while", "but", "when", "after", "before", "as")
            if word == "and" and k + 1 in starts_at:  # "the cat sleeps and the dog runs", not "a cat and a dog run"
                after = starts_at[k + 1].end
                has_verb = any(self._verbish(m) for m in range(start, k))
                split = has_verb and after < len(self.low) and self._verbish(after)
            if split and k > start:
                bounds.append((start, k))
                start = k + 1
        bounds.append((start, len(self.low)))
        return [b for b in bounds if b[1] > b[0]]

    def _read_clause(self, start: int, end: int, skip_motion: bool) -> None:
        mentions = [m for m in self.mentions if start <= m.start < end]
        if not mentions:
            if not skip_motion:  # "..., before bailing out the back window": the parse says whose verb it is
                self._read_motion(start, end, [], entrances=True)
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
        """Places named after `word` ('to the upper right'), or where the thing named after it is
        ('toward a train on the right')."""
        found = []
        for k in range(start, end):
            if self.low[k] == word:
                region = self._region_at(k + 1) or self._region_of_mention_at(k + 1, end)
                if region:
                    found.append((k, region[0]))
        return found

    def _region_of_mention_at(self, k: int, end: int) -> tuple[str, int] | None:
        mention = next((m for m in self.mentions if m.start == k), None)
        if mention is None or mention.end + 1 >= end or self.low[mention.end] not in ("on", "at", "in"):
            return None
        return self._region_at(mention.end + 1)

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
        """Each verb of moving in the clause [start, end) moves whom the parse says (its subject, through
        pronouns, relative clauses and conjoined verbs; its object for 'tosses it'; its passive subject for
        'is SLAMMED'), the way its particles and prepositions say ('scuttles off', 'drop into view',
        'falls'). Places in the frame the clause names ('from the left', 'to the upper right') give the
        origin and path; `movers`, the clause's first mention, is who moves when the parse names no one."""
        low = self.low[start:end]
        span_start, span_end = self.span
        origin = next((r for _, r in self._regions_after("from", start, end)), None)
        targets = [r for _, r in self._regions_after("to", start, end)]
        targets += [r for _, r in self._regions_after("toward", start, end)]
        targets += [r for _, r in self._regions_after("towards", start, end)]
        targets += [r for _, r in self._regions_after("into", start, end)]
        found: dict[str, _VerbMove] = {}  # mover -> what its verbs in this clause do, merged
        for k in range(start, end):
            move = self._verb_move(k, start, end, movers, entrances)
            if move is None:
                continue
            for entity_id in move.movers:
                found[entity_id] = found[entity_id].merged(move) if entity_id in found else move
        for entity_id, move in found.items():
            enters, exits = move.enters, move.exits
            place, path = origin, targets[:1]
            if place is None and move.origin is not None:
                place = move.origin
            if not path and move.path:
                path = list(move.path)
            if not (enters or exits) and place is None and not path:
                # A move the text gives no direction for ("Yorblef hikes through a meadow"): across the
                # frame, left to right (screen direction's default), right to left when going back.
                place, path = ("right", ["left"]) if "back" in low or "returns" in low else ("left", ["right"])
            elif "across" in low and origin is None and not targets and not move.path:
                place, path = "left", ["right"]
            self.motions.append(Motion(entity=entity_id, origin=place, path=path, start=span_start, end=span_end, enters=enters, exits=exits))

    def _children(self, k: int, *deps: str) -> list[int]:
        """The words that depend on word k (with one of `deps`, if given), in order."""
        if self._dependents is None:  # indexed once per sentence: the motion reader asks this of every word
            self._dependents = defaultdict(list)
            for j, w in enumerate(self.tokens):
                if w.head != j:
                    self._dependents[w.head].append(j)
        return [j for j in self._dependents.get(k, ()) if not deps or self.tokens[j].dep in deps]

    def _moving_verb(self, k: int) -> bool:
        word = self.tokens[k]
        if word.pos == "VERB" and word.lemma in lx.STATIVE_VERBS:
            return False  # "lies asleep on the bed", "stands with her hips turned": no one moves
        if word.low in lx.MOTION_VERBS and not self._own_determiner(k):  # not "a roll of cash"
            return True
        moving_lemma = word.lemma in lx.MOTION_LEMMAS or word.lemma in lx.CAUSED_MOTION_LEMMAS
        if word.pos == "VERB" and moving_lemma and word.dep not in ("amod", "acl") and (word.lemma != "take" or self._direction_of_take(k)):
            return True
        if self._verb_tagged_as_noun(k):
            return True
        if word.pos == "VERB" and any(self.low[p] == "to" and self._object_word(p) in lx.STOP_NOUNS for p in self._children(k, "prep")):
            return True  # "easing to a stop"
        if word.pos == "VERB" and word.lemma in ("pull", "draw") and any(self.low[j] == "up" for j in self._children(k, "prt", "prep", "advmod")) and not self._children(k, "dobj"):
            return True  # "a Lexus pulls up to the overlook": a vehicle arriving
        return _verb_of_moving(word) or (word.pos == "VERB" and any(w.head == k and w.dep == "dobj" and w.lemma in lx.MOTION_OBJECTS for w in self.tokens))

    def _direction_of_take(self, k: int) -> bool:
        """'takes it past a hook', 'takes her to the door': take with a direction moves its object."""
        objects = self._children(k, "dobj")
        return bool(objects) and self.tokens[objects[0]].lemma not in lx.MOTION_OBJECTS and any(self.low[p] in ("past", "to", "into", "across", "through", "toward", "towards", "away") for p in self._children(k, "prep", "prt", "advmod"))

    def _verb_tagged_as_noun(self, k: int) -> bool:
        """'Yorblef, exhausted, shuffles to', 'Nak glides among', 'and topples over the railing', 'the
        chopper exits': the small tagger takes a verb in -s for a plural noun. A noun of a verb of
        moving, in -s, with no determiner, owner or number of its own, after a name or 'and', is that verb."""
        word = self.tokens[k]
        lemma = _verb_lemma(word)
        if word.pos in ("NOUN", "PROPN") and lemma is not None and self._seen_doing(k):
            return True
        if word.pos not in ("NOUN", "PROPN") or not word.low.endswith("s") or lemma is None or k == 0:
            return False
        if self._own_determiner(k) or word.dep in ("pobj", "dobj", "compound", "poss"):
            return False
        after_name = getattr(self._mention_of(k - 1), "end", None) == k or any(self._mention_of(j) for j in self._children(k, "compound", "nsubj"))
        apposed = word.dep == "appos" and any(m.start <= word.head < m.end for m in self.mentions)
        return after_name or apposed or self.low[k - 1] == "and"

    def _seen_doing(self, k: int) -> bool:
        """'to see a MILITARY HELICOPTER drop into view': the bare verb after a verb of seeing, which the tagger
        reads as a noun with the mover as its compound, and with a direction of its own."""
        word = self.tokens[k]
        seeing = word.dep == "dobj" and self.tokens[word.head].lemma in ("see", "watch", "hear", "notice", "spot")
        mover = any(self._mention_of(j) for j in self._children(k, "compound"))
        return seeing and mover and bool(self._children(k, "prep", "prt", "advmod"))

    def _own_determiner(self, k: int) -> bool:
        """Is word k a noun with its own determiner, owner or number ('a roll of cash', 'his leaves')? Not
        when a noun stands between ('A ball rolls': the tagger's compound, whose determiner is the ball's)."""
        for j in self._children(k, "det", "poss", "nummod", "amod"):
            if j < k and all(self.tokens[m].pos in ("ADJ", "ADV", "NUM", "PUNCT") for m in range(j + 1, k)):
                return True
        return False

    def _mention_of(self, j: int) -> _Mention | None:
        """The mention word j is part of, if any."""
        if self._mention_at is None:
            self._mention_at = {k: m for m in self.mentions for k in range(m.start, m.end)}
        return self._mention_at.get(j)

    def _object_word(self, preposition: int) -> str | None:
        objects = self._children(preposition, "pobj")
        return self.low[objects[0]] if objects else None

    def _negated(self, k: int) -> bool:
        """'Will doesn't rise to the challenge', 'never leaves'."""
        return any(self.low[j] in ("not", "n't", "never") for j in self._children(k, "neg", "advmod"))

    def _verb_move(self, k: int, start: int, end: int, clause_movers: list[str], entrances: bool) -> _VerbMove | None:
        """What verb k does, if it is one of moving: who moves, and in or out of the frame, up or down."""
        word = self.tokens[k]
        entry_word = word.low in lx.ENTER_WORDS or word.low in lx.EXIT_WORDS
        if not (entry_word or self._moving_verb(k)) or self._negated(k):
            return None
        if any(self.low[p] == "into" and self._object_word(p) in ("that", "this") for p in self._children(k, "prep")):
            return None  # "He walked into that": into a remark, not a place
        movers = self._movers_of(k, start, clause_movers)
        if not movers:
            return None
        lemma = _verb_lemma(word) or word.lemma
        particles = {self.low[j] for j in self._children(k, "prt", "advmod") if not self._children(j, "pobj")}  # not "down the hall"
        particles |= {
            self.low[j] for j in (k + 1, k + 2) if j < end and self.tokens[j].pos in ("ADP", "ADV") and self.tokens[j].head in (k, j - 1) and not self._children(j, "pobj")
        }  # "scuttles off", not "steps off a panel"
        preps = self._prepositions(k)
        objects = [self.low[j] for j in self._children(k, "dobj")]
        coming = lemma in lx.COME_LEMMAS or lemma in lx.ENTER_LEMMAS
        enters = word.low in lx.ENTER_WORDS or lemma in lx.ENTER_LEMMAS or bool(particles & lx.ENTER_PARTICLES) or "forth" in particles
        exits = word.low in lx.EXIT_WORDS or lemma in lx.EXIT_LEMMAS or bool(particles & lx.EXIT_PARTICLES)
        origin: str | None = None
        path: list[str] = []
        if self._inverted(k, start):  # "in walks Scott", "off goes the car"
            enters = enters or self.low[k - 1] in ("in", "inside", "here", "through", "forward")
            exits = self.low[k - 1] in ("off", "away")
        for preposition, thing, p in preps:
            if thing is None:
                continue
            if preposition in ("into", "in to", "onto", "out into") and thing in lx.VIEW_NOUNS:
                enters, exits = True, False  # "drop into view"
            elif preposition in ("out of", "out from") and thing in lx.VIEW_NOUNS:
                enters, exits = False, True
            elif preposition in ("out of", "out from"):  # out of the scene's place or a named town it leaves; out of anything else it comes
                leaves = self._scene_place(thing) or self.tokens[self._children(p, "pobj")[0]].pos == "PROPN"
                enters, exits = not leaves, leaves
            elif preposition == "out into" or (preposition == "into" and "out" in particles):
                enters, exits = True, False  # "bursts out into the street"
            elif (preposition == "inside" or (preposition in ("into", "in") and thing in lx.ENCLOSURE_NOUNS)) and self.exterior and not self._scene_place(thing) and not coming:
                enters, exits = False, True  # going into a building from the street leaves the frame
            elif preposition == "through" and thing in lx.OPENING_NOUNS:
                enters, exits = coming, not coming  # "barrels through the door"; "comes through the door"
            elif preposition == "to" and thing in lx.STOP_NOUNS:
                enters = True  # "easing to a stop"
            elif preposition in ("up to", "to") and "up" in particles and lemma in ("pull", "draw", "drive", "roll", "ride"):
                enters = True  # "pull up to the overlook"
            if preposition == "from" and "up" in particles:
                origin = "bottom"  # "floats up from the chasm"
            elif preposition == "from" and "down" in particles:
                origin = "top"  # "flies down from the peak"
        if lemma == "enter" and self.exterior and any(o in lx.ENCLOSURE_NOUNS and not self._scene_place(o) for o in objects):
            enters, exits = False, True  # "enters a building" from the street
        if "inside" in particles and self.exterior and not coming:
            enters, exits = False, True  # "goes inside"
        if not entrances:
            enters = False  # "appears only in the second half": the visibility says when, not an entrance
        if lemma in ("pull", "draw") and "up" in particles and not objects:
            enters = entrances  # "A black car pulls up": it arrives
        if lemma in lx.FALL_LEMMAS or (("down" in particles) and not self._path_after(k, "down")):
            if enters and lemma in lx.FALL_LEMMAS:
                origin = origin or "top"  # "drop into view": in from the top
            elif not (enters or exits) and origin is None:
                path = ["bottom"]  # "falls face-forward", "topples over the railing"
        if (lemma in lx.DESCENT_LEMMAS or (lemma in lx.MOTION_LEMMAS and "down" in particles)) and entrances and not exits and self.present and not set(movers) & set(self.present):
            enters, origin = True, origin or "top"  # "CYBER BOSS ... descends over the park": one not yet in the scene comes down into it
        if exits and enters:
            enters = False
        movers = [*movers, *(i for i in self._companions(k, movers) + self._vehicle_of(lemma, movers) if i not in movers)]
        return _VerbMove(movers=movers, enters=enters, exits=exits, origin=origin, path=tuple(path))

    def _companions(self, k: int, movers: list[str]) -> list[str]:
        """Who goes along: 'scuttles off, her dog in tow', 'walks with his dog' (people and animals, not things)."""
        found: list[str] = []
        for p in self._children(k, "prep"):
            objects = self._children(p, "pobj") if self.low[p] == "with" else []
            found += [i for j in objects if (m := self._mention_of(j)) for i in m.ids]
        for j in self._children(k, "dobj", "npadvmod", "nsubj", "appos"):  # "her dog in tow" hangs on the verb
            if any(self.low[p] == "in" and self._object_word(p) == "tow" for p in self._children(j, "prep")) and (m := self._mention_of(j)):
                found += m.ids
        people = self.cast.entities
        return [i for i in found if i not in movers and people[i].category in lx.COMPANION_CATEGORIES]

    def _vehicle_of(self, lemma: str, movers: list[str]) -> list[str]:
        """'They speed off' after 'BRICK and STEEL get into the PORSCHE': people driving move their vehicle, the
        one most recently named (within the last few mentions)."""
        cast = self.cast
        if lemma not in lx.VEHICLE_LEMMAS or not movers or any(cast.entities[i].category not in PEOPLE for i in movers):
            return []
        vehicles = [i for c in lx.VEHICLE_CATEGORIES for i in cast.by_category.get(c, []) if cast.last_seen.get(i, -99) >= cast.clock - VEHICLE_MEMORY]
        return cast.recent(vehicles)[:1]

    def _prepositions(self, k: int) -> list[tuple[str, str | None, int]]:
        """(preposition, its object's word, its index) for verb k: 'into view', 'through the door', and the
        two-word ones the parser splits: 'out of the shadows' (out -> of -> shadows, or the particle out and of)."""
        found = []
        particle_out = any(self.low[j] == "out" for j in self._children(k, "prt", "advmod"))
        own = self._children(k, "prep")
        if self._verb_tagged_as_noun(k) and k + 1 < len(self.tokens) and self.tokens[k + 1].pos == "ADP" and k + 1 not in own:
            own.append(k + 1)  # "and barrels through the door": the tagger hung the preposition elsewhere
        for p in own:
            found.append((self.low[p], self._object_word(p), p))
            found.extend((f"{self.low[p]} {self.low[q]}", self._object_word(q), q) for q in self._children(p, "prep"))
            if particle_out and self.low[p] in ("of", "from", "into"):
                found.append((f"out {self.low[p]}", self._object_word(p), p))
        return found

    def _directed(self, k: int) -> bool:
        """Has verb k a direction of its own ('pushes past her son', 'kicks off', 'slams into Edward')?"""
        directions = ("past", "through", "into", "onto", "toward", "towards", "to", "across", "out", "off", "away", "down", "up", "in", "forward", "back", "over", "along", "aside")
        return any(self.low[j] in directions for j in self._children(k, "prep", "prt", "advmod"))

    def _path_after(self, k: int, particle: str) -> bool:
        """Is the particle of verb k followed by a noun phrase ('walks down Main Street', 'down the hall'): a path
        along it, not a way down?"""
        at = next((j for j in range(k + 1, min(k + 3, len(self.tokens))) if self.low[j] == particle), None)
        if at is None or at + 1 >= len(self.tokens):
            return False
        after = self.tokens[at + 1]
        return after.low in lx.DEFINITE | lx.INDEFINITE or after.pos in ("DET", "PROPN", "NOUN", "ADJ", "NUM")

    def _with_conjuncts(self, mention: _Mention) -> list[str]:
        """'Edward and Karl keep walking': the subject's mention and those conjoined to it."""
        ids, tokens = list(mention.ids), set(range(mention.start, mention.end))
        for j, w in enumerate(self.tokens):
            if j > mention.start and w.dep == "conj" and w.head in tokens and (other := self._mention_of(j)) is not None:
                tokens.update(range(other.start, other.end))
                ids += [i for i in other.ids if i not in ids]
        return ids

    def _thing_before(self, k: int) -> _Mention | None:
        """'picks up a stone and tosses it': the object pronoun of a verb of throwing is the thing the same
        sentence named last before it as the object of a verb, when there is one."""
        for mention in reversed([m for m in self.mentions if m.end <= k]):
            things = all(self.cast.entities[i].category not in PEOPLE for i in mention.ids)
            if things and any(self.tokens[j].dep == "dobj" for j in range(mention.start, mention.end)):
                return mention
        return None

    def _partitive_of(self, k: int) -> _Mention | None:
        """'Three of the cars drive': the subject is a number or a quantifier of a mention."""
        if self.tokens[k].pos not in ("NUM", "DET", "PRON", "ADJ"):
            return None
        for p in self._children(k, "prep"):
            if self.low[p] == "of":
                objects = self._children(p, "pobj")
                if objects and self._mention_of(objects[0]):
                    return self._mention_of(objects[0])
        return None

    def _after_and(self, k: int) -> bool:
        """Does word k follow 'and', maybe after the first words of a name ('and DICK STEEL')?"""
        k -= 1
        while k > 0 and self.tokens[k].pos == "PROPN":
            k -= 1
        return self.low[k] == "and"

    def _named_before(self, mention: _Mention) -> _Mention:
        """'CYBER BOB, 40, a white man, strolls': the parser's subject is the appositive; the name before it is who."""
        k = mention.start - 1
        while k >= 0 and (self.low[k] == "," or self.tokens[k].pos == "NUM"):
            k -= 1
        before = self._mention_of(k) if k < mention.start - 1 else None
        return before if before is not None and self.low[mention.start] in ("a", "an", "the") else mention

    def _scene_place(self, noun: str | None) -> bool:
        """Is this noun the place the scene is set in ('EXT. STREET' and 'the street')?"""
        return noun is not None and (noun in self.place_words or (self.lexicon.singular(noun) or noun) in self.place_words)

    def _inverted(self, k: int, start: int) -> bool:
        """'in walks Scott', 'out steps the guard': an adverb, the verb of moving, then its subject."""
        return k - 1 >= start and self.low[k - 1] in lx.INVERSION_ADVERBS and (k - 2 < start or self.low[k - 2] in ("and", ",", ";", "then", "suddenly")) and any(m.start == k + 1 for m in self.mentions)

    def _movers_of(self, k: int, start: int, clause_movers: list[str]) -> list[str]:
        """Who verb k moves, as the parse says; the clause's first mention when the parse names no subject
        and that mention comes before the verb; no one when the subject is no entity ('the curtain rises')."""
        word = self.tokens[k]
        lemma = _verb_lemma(word) or word.lemma
        if self._inverted(k, start):
            return next(m.ids for m in self.mentions if m.start == k + 1)
        if lemma in lx.CAUSED_MOTION_LEMMAS and word.pos == "VERB" and (lemma != "take" or self._direction_of_take(k)):
            passive = self._children(k, "nsubjpass")
            if passive:
                mention = self._mention_of(passive[0])
                return list(mention.ids) if mention else []
            objects = self._children(k, "dobj") or [o for j in self._children(k, "prt") for o in self._children(j, "pobj")]  # "throws down the card"
            if objects:  # "tosses it on to the bridge": the stone moves; "rolls his eyes": nothing does
                mention = self._thing_before(objects[0]) if self.low[objects[0]] in ("it", "them") else None
                mention = mention or self._mention_of(objects[0])
                return list(mention.ids) if mention else []
        if word.dep in ("amod", "acl") and word.head != k:  # "a moving ball", "a ball rolling from the left"
            mention = self._mention_of(word.head)
            return list(mention.ids) if mention else []
        infinitive = any(self.low[j] == "to" for j in self._children(k, "aux"))
        if infinitive and (self.tokens[word.head].pos == "ADJ" or (lemma in lx.CAUSED_MOTION_LEMMAS and word.dep in ("advcl", "acl", "relcl"))):
            return []  # "ready to be knocked down", "papers to throw out": not happening
        if lemma in lx.CAUSED_MOTION_LEMMAS and lemma not in lx.MOTION_LEMMAS and not self._children(k, "dobj", "nsubjpass", "auxpass") and not self._directed(k):
            return []  # "Edward KNOCKS on the door": no one moves
        if word.dep == "advcl" and word.low.endswith("ed") and lemma in lx.CAUSED_MOTION_LEMMAS | lx.FALL_LEMMAS and not self._children(k, "nsubj", "aux", "auxpass"):
            return []  # "sorts through a bundle of mail dropped on his desk": the mail was dropped, not Will
        if word.low in ("going", "gonna") and any(self.tokens[j].dep == "xcomp" and self.low[j - 1] == "to" for j in self._children(k, "xcomp")):
            return []  # "it's going to take": the future, not a move
        t, seen = k, set()
        while t not in seen:
            seen.add(t)
            subjects = self._children(t, "nsubj", "nsubjpass")
            subjects = [j for j in subjects if self._mention_of(j)][-1:] or subjects[:1]  # "Another beat, then Don storms off"
            if not subjects:  # "As Will walks": the tagger took the name for the auxiliary 'will'
                subjects = [j for j in self._children(t, "aux") if j < t and self.tokens[j].text[:1].isupper() and self._mention_of(j)]
            if subjects:
                s = subjects[0]
                if self.low[s] in ("which", "that", "who") and self.tokens[t].dep == "relcl":
                    s = self.tokens[t].head  # "the cloud, which vanishes"
                mention = self._mention_of(s) or self._partitive_of(s)
                return self._with_conjuncts(self._named_before(mention)) if mention else []
            current = self.tokens[t]
            if current.pos in ("NOUN", "PROPN"):  # a verb the tagger took for a noun: the name before it
                own = self._children(t, "compound", "nsubj")
                named = [j for j in own if self._mention_of(j)]
                if named:
                    return list(self._mention_of(named[0]).ids)
                if t == k and (own or current.dep in ("dobj", "pobj")):
                    return []  # "a YOUNG BOY's jaw drops": the jaw; "to see a HELICOPTER drop": not the one who sees
                before = next((m for m in self.mentions if m.end == t), None)
                if before is not None:
                    return list(before.ids)
                if current.dep == "appos" and self._mention_of(current.head):
                    return list(self._mention_of(current.head).ids)
            if current.dep == "conj" and current.head < t:  # "the door slides open and STEEL emerges": the tagger made Steel an object
                own = [m for m in self.mentions if current.head < m.start and m.end <= t and self._after_and(m.start)]
                if own:
                    return list(own[-1].ids)
            if current.dep in ("conj", "xcomp", "advcl", "pcomp", "ccomp") and current.head != t and self.tokens[current.head].pos in ("VERB", "AUX", "NOUN", "PROPN"):
                t = current.head
                continue
            head = self.tokens[current.head]
            if current.dep == "pcomp" and head.pos == "ADP" and head.dep == "prep" and self.tokens[head.head].pos in ("VERB", "AUX"):
                t = head.head  # "grabs them before bailing out": the verb the preposition hangs on
                continue
            break
        first = next((m for m in self.mentions if m.start >= start), None)
        return list(clause_movers) if first is not None and first.start < k and first.ids == clause_movers else []

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


_NOT_PEOPLE = frozenset(["GPE", "LOC", "ORG", "FAC", "DATE", "TIME", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "PERCENT"])
"""Named-entity labels of proper nouns that are not cast members: places, companies, dates, brands."""


MEMBER = re.compile(r" \d+$")
"""'chihuahua 7': how the reader names one of several it counted."""


def _unnamed(entity: Entity) -> bool:
    """An entity the story has only described ('a driver', 'chihuahua 7'), not named."""
    return entity.name == entity.name.lower() or MEMBER.search(entity.name) is not None


def _unnamed_person(entity: Entity) -> bool:
    return entity.category in PEOPLE and _unnamed(entity)


def _renamed(renamed: dict[str, str], present: list[str], relations: list[Relation], motions: list[Motion], visibility: list[Visibility], dialogue: list[DialogueLine], initial: dict[str, str]):
    """A scene's reading with each unnamed person replaced by the name revealed for them."""

    def new(entity_id: str) -> str:
        return renamed.get(entity_id, entity_id)

    kept: list[str] = []
    for entity_id in map(new, present):
        if entity_id not in kept:
            kept.append(entity_id)
    relations = [r.model_copy(update={"subject": new(r.subject), "object": r.object and new(r.object)}) for r in relations]
    relations = [r for r in relations if r.subject != r.object]
    motions = [m.model_copy(update={"entity": new(m.entity)}) for m in motions]
    visibility = [v.model_copy(update={"entity": new(v.entity)}) for v in visibility]
    dialogue = [line.model_copy(update={"speaker": line.speaker and new(line.speaker)}) for line in dialogue]
    return kept, relations, motions, visibility, dialogue, {new(i): place for i, place in initial.items()}


def _is_count(word: str) -> bool:
    """'3', '12': ASCII digits only ('²' and '٣' are digits to Python, not counts to a reader)."""
    return word.isascii() and word.isdigit()


def _is_role(noun: str, lexicon: lx.Lexicon, in_a_name: bool = False) -> bool:
    """Can a person (or an animal) be called this: 'uncle', 'dog', 'mailman', 'driver'? Inside a name
    ('Don Price', 'Will Bloom') only the nouns the lexicon lists count: WordNet's people include 'don'."""
    single = lexicon.head_noun(noun)
    word = single[0] if single else noun
    if in_a_name:
        return lexicon.listed(word) or word in lx.ROLE_NOUNS or word in lx.HONORIFICS or word.endswith(lx.ROLE_ENDINGS)
    return word in lexicon.nouns or kind_of(word) in ("person", "child") or word in lx.ROLE_NOUNS or word in lx.HONORIFICS or word.endswith(lx.ROLE_ENDINGS)


def _title_noun(name: str) -> str | None:
    """The noun a courtesy title stands for: 'Dr. Bennett' -> 'doctor', 'Captain Hook' -> 'captain'."""
    words = name.lower().split()
    if len(words) < 2:
        return None
    title = words[0].rstrip(".")
    return lx.TITLE_NOUNS.get(title) or (title if title in lx.HONORIFICS else None)


def _display_name(name: str) -> str:
    """'SAM HALE' -> 'Sam Hale'; 'McClane' as written."""
    return " ".join(re.sub(r"'S\b", "'s", w.title()) if w.isupper() else w for w in name.split())


def _is_nounish(word: str, lexicon: lx.Lexicon) -> bool:
    return lexicon.head_noun(word) is not None or word in lx.COLORS or word in lx.SIZES or word in lx.OTHER_ADJECTIVES or word in lx.NOUN_MODIFIERS


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


def _setting_of(heading: str) -> tuple[bool, frozenset[str]]:
    """'EXT. HOFF AND SPIRNHOLD BUILDING' -> (outside, {'hoff', 'and', 'spirnhold', 'building'}): whether the
    scene is outdoors, and the words of its place, for where a mover goes 'into' or comes 'out of'."""
    match = HEADING.match(heading.strip())
    if not match:
        return False, frozenset()
    exterior = heading.strip().upper().startswith(("EXT", "EST"))
    return exterior, frozenset(re.findall(r"[a-z]+", match.group("place").lower()))


def _background(scene: ScriptScene, previous: str, lexicon: lx.Lexicon) -> str:
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
