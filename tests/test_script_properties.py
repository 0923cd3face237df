"""Property test: any screenplay a screenwriting program exports gets a storyboard or a clear input error.

Hypothesis writes Fountain the way Final Draft, Highland, Fade In and friends
export it: a title page, scene headings of every kind (INT./EXT., I/E, forced
`.HEADING`, scene numbers `#1#`), action with characters introduced in caps
and their appositives ("A tall woman, NORA (40), walks in."), pronouns before
and after the cast is seen, groups, character cues with extensions (V.O.),
(O.S.), (O.C.), (CONT'D), forced cues `@McCLANE`, dual dialogue `^`,
parentheticals, lyrics, transitions, centered text, notes, boneyard, sections,
synopses, page breaks, emphasis, non-ASCII names, very long cues, empty
scenes; and arbitrary text between the elements, and as a whole file.

What must hold (issue 14, item 1):

- `parse_script` (or `read_script`) + the rules planner give a storyboard that
  validates (it survives its own JSON round trip), or raise `InputError`
  (exit 2); never any other exception.
- Every character cue names exactly one cast entity: all the lines spoken
  under "NORA", "NORA (V.O.)" and "NORA (CONT'D)" have one speaker id, that id
  is in the cast, and two different characters never share an id.
- A name that only a boneyard `/* ... */` or a note `[[ ... ]]` holds is not cast.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from director.errors import InputError
from director.planner import PlanOptions
from director.script import parse_script, read_script
from director.storyboard import Storyboard
from planners.rules import RulesPlanner

# -- the people a screenplay is about -----------------------------------------------------------------


@dataclass(frozen=True)
class Character:
    cue: str
    """The name as its character cue writes it: 'NORA', 'SAM HALE', 'McCLANE' (forced with @)."""
    mixed: str
    """The name in action lines once introduced: 'Nora', 'Sam Hale', 'McClane'."""
    kind: str
    """person, cat, dog, owl ... (what the appositive says)."""
    gender: str  # "f", "m" or "n"

    @property
    def key(self) -> str:
        return self.cue.casefold()

    @property
    def must_force(self) -> bool:
        """A cue that is not all in upper case ('McCLANE', '李') needs Fountain's `@`."""
        return self.cue != self.cue.upper() or self.cue == self.cue.lower()


PEOPLE = [
    Character("NORA", "Nora", "person", "f"),
    Character("SAM HALE", "Sam Hale", "person", "m"),
    Character("ANNA", "Anna", "person", "f"),
    Character("BEN", "Ben", "person", "m"),
    Character("CARL", "Carl", "person", "m"),
    Character("DR. ROSS", "Dr. Ross", "person", "f"),
    Character("McCLANE", "McClane", "person", "m"),
    Character("MRS. O'HARA", "Mrs. O'Hara", "person", "f"),
    Character("JEAN-LUC", "Jean-Luc", "person", "m"),
    Character("TOM", "Tom", "person", "m"),
    Character("LITTLE BRAVE", "Little Brave", "person", "m"),
    Character("ÉLODIE", "Élodie", "person", "f"),
    Character("ZOË", "Zoë", "person", "f"),
    Character("JOSÉ", "José", "person", "m"),
    Character("МАША", "Маша", "person", "f"),
    Character("李", "李", "person", "m"),
    Character("R2", "R2", "person", "n"),
    Character(
        "THE MAN WHO CAME TO DINNER AND NEVER LEFT BECAUSE OF THE SNOW AND THE ICE AND THE WIND",
        "The Man Who Came To Dinner And Never Left Because Of The Snow And The Ice And The Wind",
        "person",
        "m",
    ),
]
ANIMALS = [
    Character("PEPPER", "Pepper", "cat", "f"),
    Character("BISCUIT", "Biscuit", "dog", "m"),
    Character("OWL", "Owl", "owl", "n"),
    Character("HOOT", "Hoot", "owl", "n"),
    Character("THUNDER", "Thunder", "horse", "m"),
]
APPOSITIVES = {
    "person": ["A tall woman in a grey coat", "A young sailor", "An old man", "A girl of ten", "Her uncle", "His father"],
    "cat": ["A fat ginger cat", "A small black cat"],
    "dog": ["A scruffy dog", "Her dog"],
    "owl": ["An old owl", "A barn owl"],
    "horse": ["A grey horse", "A wild stallion"],
}
GHOSTS = ["ORSON", "ZEBULON", "QUENTINA"]
"""Names used only inside the boneyard and notes: never cast."""

# -- pieces of Fountain ---------------------------------------------------------------------------------

VERB_PHRASES = [
    "walks in",
    "sits down",
    "walks from the left to the right",
    "runs toward the door",
    "enters from the right",
    "leaves to the left",
    "looks out of the window",
    "jumps down from the table",
    "stands by the fire",
    "crosses to the bar",
    "waits",
]
PRONOUN_LINES = [
    "{P} laughs.",
    "{P} walk away.",
    "{P} looks at them.",
    "They laugh.",
    "They sit. They laugh.",
    "She smiles at him.",
    "He hands it to her.",
    "It barks at them.",
    "Nobody sees them.",
]
SOUND_AND_CAMERA = [
    "BANG! The door slams.",
    "A loud CRASH from the kitchen.",
    "CLOSE ON the clock. It ticks.",
    "SLOW MOTION: the glass falls.",
    "WOW.",
    "The SCREEN DOOR slides open.",
    "A red PORSCHE 911 pulls up outside.",
    "ANGLE ON the window.",
    "SUPER: TWENTY YEARS LATER",
    "BACK TO SCENE",
    "INTERCUT",
    "We hear a SCREECH of tires. BOOM!",
    "FLASHBACK.",
]
EMPHASIS = ["*Nobody* moves.", "**Everything** stops.", "_Now_ it begins.", "***THE END*** is near.", "A *very* _long_ pause."]
GROUPS = ["The band plays on.", "The crowd cheers.", "The two of them dance.", "Everyone freezes.", "The others follow."]
HEADINGS = [
    "INT. ROOM - DAY",
    "EXT. PLATFORM - NIGHT",
    "INT./EXT. CAR - MOVING - DAY",
    "I/E. TRUCK - CONTINUOUS",
    "EST. THE RIVER - DAWN",
    "INT. WILL'S BEDROOM - NIGHT (1973)",
    "int. kitchen - later",
    ".FLASHBACK",
    ".SNIPER SCOPE POV",
    ".BACK IN THE APARTMENT",
]
EXTENSIONS = ["", "", "", " (V.O.)", " (O.S.)", " (O.C.)", " (CONT'D)", " (V.O.) (CONT'D)", " (cont'd)", " (on phone)"]
PARENTHETICALS = ["(softly)", "(beat)", "(to Nora)", "(into phone)", "(confused)"]
TRANSITIONS = ["CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:", "> FADE TO BLACK.", "> BURN TO WHITE.", "FADE OUT.", "> CUT TO BLACK:"]
SPOKEN = ["Hello there.", "Are they cold?", "Does a bear crap in the woods?", "Get *out*.", "I know, right?", "No. Yes. Maybe."]

# Arbitrary text between elements is any printable text; what hypothesis finds there is part of the test.
ARBITRARY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60)


@dataclass
class Play:
    """A generated screenplay and what we know about it."""

    blocks: list[str] = field(default_factory=list)
    spoken_by: dict[str, str] = field(default_factory=dict)  # dialogue token -> character key
    characters: dict[str, Character] = field(default_factory=dict)
    tokens: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks) + "\n"

    def token(self, character: Character) -> str:
        self.tokens += 1
        token = f"Zq{self.tokens}x"
        self.spoken_by[token] = character.key
        self.characters[character.key] = character
        return token


def _cue(character: Character, extension: str, force: bool, dual: bool = False) -> str:
    """'NORA (V.O.)', '@McCLANE', 'STEEL ^'; upper-case cues are forced now and then too (valid Fountain)."""
    return ("@" if character.must_force or force else "") + character.cue + extension + (" ^" if dual else "")


@st.composite
def dialogue_block(draw: st.DrawFn, play: Play, cast: list[Character], dual: bool = False) -> str:
    character = draw(st.sampled_from(cast))
    lines = [_cue(character, draw(st.sampled_from(EXTENSIONS)), draw(st.integers(0, 4)) == 0, dual)]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(PARENTHETICALS)))
    lines.append(f"{play.token(character)} {draw(st.sampled_from(SPOKEN))}")
    if draw(st.integers(0, 3)) == 0:
        lines.append(draw(st.sampled_from(PARENTHETICALS)))
        lines.append(f"{play.token(character)} {draw(st.sampled_from(SPOKEN))}")
    return "\n".join(lines)


@st.composite
def action_line(draw: st.DrawFn, cast: list[Character], seen: set[str]) -> str:
    character = draw(st.sampled_from(cast))
    verb = draw(st.sampled_from(VERB_PHRASES))
    kind = draw(st.sampled_from(["intro", "intro", "name", "pronoun", "group", "sound", "emphasis", "crowd", "note"]))
    if kind == "intro" or (kind == "name" and character.key not in seen):
        seen.add(character.key)
        style = draw(st.integers(0, 3))
        if style == 0:
            return f"{draw(st.sampled_from(APPOSITIVES[character.kind]))}, {character.cue} ({draw(st.integers(2, 90))}), {verb}."
        if style == 1:
            return f"{draw(st.sampled_from(APPOSITIVES[character.kind]))} {character.cue} {verb}."
        if style == 2:
            return f"{character.cue}, AGE {draw(st.integers(3, 80))}, {verb}."
        return f"{character.cue} {verb}. {character.mixed}, now {draw(st.integers(20, 60))}, {verb}."
    if kind == "name":
        return f"{character.mixed} {verb}."
    if kind == "pronoun":
        line = draw(st.sampled_from(PRONOUN_LINES))
        return line.format(P=draw(st.sampled_from(["He", "She", "They", "It"])))
    if kind == "group":
        if len(cast) > 1:
            a, b = draw(st.permutations(cast))[:2]
            return f"{a.mixed} and {b.mixed} {draw(st.sampled_from(['sit', 'walk to the left', 'laugh']))}. They {draw(st.sampled_from(['laugh', 'leave', 'look at each other']))}."
        return draw(st.sampled_from(GROUPS))
    if kind == "sound":
        return draw(st.sampled_from(SOUND_AND_CAMERA))
    if kind == "emphasis":
        return draw(st.sampled_from(EMPHASIS))
    if kind == "note":
        return f"{character.mixed} {verb}. [[{draw(st.sampled_from(GHOSTS))} should be here too]]"
    return draw(st.sampled_from(GROUPS))


@st.composite
def heading(draw: st.DrawFn, number: int) -> str:
    text = draw(st.sampled_from(HEADINGS))
    if draw(st.integers(0, 3)) == 0:
        text += f" #{number}{draw(st.sampled_from(['', 'A']))}#"
    return text


TITLE_PAGE = st.lists(
    st.sampled_from(
        [
            "Title: THE LAST CARD",
            "Title:\n\t_**BRICK & STEEL**_\n\t_**FULL RETIRED**_",
            "Credit: Written by",
            "Author: Stu Maschwitz",
            "Authors: Anna Ng and Ben Ode",
            "Source: based on the novel by Daniel Wallace",
            "Draft date: 1/27/2012",
            "Contact:\n\tNext Level Productions\n\t1588 Mission Dr.",
            "Notes:\n\tFINAL PRODUCTION DRAFT",
            "Copyright: (c) 2003",
        ]
    ),
    min_size=1,
    max_size=6,
    unique=True,
)


@st.composite
def screenplays(draw: st.DrawFn, arbitrary_text: bool = False) -> Play:
    """A Fountain screenplay as screenwriting programs export it."""
    play = Play()
    cast = draw(st.lists(st.sampled_from(PEOPLE + ANIMALS), min_size=1, max_size=5, unique_by=lambda c: c.key))
    seen: set[str] = set()
    if draw(st.booleans()):
        play.blocks.append("\n".join(draw(TITLE_PAGE)))
    if draw(st.booleans()):
        play.blocks.append(draw(st.sampled_from(["FADE IN:", "> FADE IN:", "**FADE IN:**"])))
    for number in range(1, draw(st.integers(1, 5)) + 1):
        if number > 1 or draw(st.integers(0, 4)) > 0:  # the first scene may start without a heading
            play.blocks.append(draw(heading(number)))
        elements = draw(st.integers(0, 7))  # 0: an empty scene
        previous_was_dialogue = False  # a dual cue `^` pairs with the plain dialogue block before it
        for _ in range(elements):
            kind = draw(
                st.sampled_from(
                    ["action"] * 4
                    + ["dialogue"] * 3
                    + ["dual", "lyrics", "transition", "centered", "boneyard", "section", "synopsis", "page_break", "note"]
                    + (["arbitrary"] * 3 if arbitrary_text else [])
                )
            )
            if kind == "action":
                play.blocks.append(draw(action_line(cast, seen)))
            elif kind == "dialogue" or (kind == "dual" and not previous_was_dialogue):
                play.blocks.append(draw(dialogue_block(play, cast)))
            elif kind == "dual":
                play.blocks.append(draw(dialogue_block(play, cast, dual=True)))
            elif kind == "lyrics":
                play.blocks.append("~Willy Wonka! Willy Wonka!\n~The amazing chocolatier!")
            elif kind == "transition":
                play.blocks.append(draw(st.sampled_from(TRANSITIONS)))
            elif kind == "centered":
                play.blocks.append(draw(st.sampled_from([">THE END<", "> INTERMISSION <", "> **TWENTY YEARS LATER** <"])))
            elif kind == "boneyard":
                ghost = draw(st.sampled_from(GHOSTS))
                play.blocks.append(f"/*\nINT. CUT SCENE - DAY\n\n{ghost} walks in.\n\n{ghost}\nThis scene was cut.\n*/")
            elif kind == "section":
                play.blocks.append(draw(st.sampled_from(["# ACT I", "## Meet Scott", "### The river"])))
            elif kind == "synopsis":
                play.blocks.append(draw(st.sampled_from(["= Meet the players and set up the world.", "= They fall out."])))
            elif kind == "page_break":
                play.blocks.append("===")
            elif kind == "note":
                play.blocks.append(f"[[{draw(st.sampled_from(GHOSTS))} was in this scene in the first draft.]]")
            else:
                play.blocks.append(draw(ARBITRARY))
            previous_was_dialogue = kind == "dialogue" or (kind == "dual" and not previous_was_dialogue)
    return play


# -- what must hold ---------------------------------------------------------------------------------------


def plan_or_input_error(text: str, suffix: str = ".fountain") -> Storyboard | None:
    """The storyboard of `text` saved as a script file (checked to validate), or None when the reader
    says why it cannot plan it (InputError)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"script{suffix}"
        path.write_text(text, encoding="utf-8")
        return _plan_file(path)


def _plan_file(path: Path) -> Storyboard | None:
    try:
        board = RulesPlanner().plan(read_script(path), PlanOptions())
    except InputError as e:
        assert str(e).strip(), "an InputError must say what is wrong"
        return None
    assert Storyboard.from_json(board.to_json()) == board
    return board


def check_cue_identities(play: Play, board: Storyboard) -> None:
    cast = {e.id: e for e in board.entities}
    speakers: dict[str, set[str | None]] = {}
    lines = [line for scene in board.scenes for line in scene.dialogue]
    for token, key in play.spoken_by.items():
        said = [line.speaker for line in lines if re.search(rf"\b{token}\b", line.text)]
        assert said, f"the line {token} of {play.characters[key].cue} is missing from the storyboard's dialogue"
        speakers.setdefault(key, set()).update(said)
    owners: dict[str, str] = {}
    for key, ids in speakers.items():
        cue = play.characters[key].cue
        assert len(ids) == 1, f"the cue {cue} names {len(ids)} identities: {sorted(map(str, ids))}"
        (entity_id,) = ids
        assert entity_id is not None, f"the lines under the cue {cue} have no speaker"
        assert entity_id in cast, f"{cue}'s speaker {entity_id!r} is not in the cast"
        assert entity_id not in owners, f"{cue} and {owners.get(entity_id)} are both {entity_id!r}"
        owners[entity_id] = cue
    for ghost in GHOSTS:
        assert not [e.id for e in board.entities if ghost.casefold() in e.name.casefold()], (
            f"{ghost} is only in the boneyard or a note, but is cast"
        )


def check_screenplay(play: Play) -> None:
    board = plan_or_input_error(play.text)
    if play.spoken_by:
        assert board is not None, "a screenplay with dialogue was refused"
        check_cue_identities(play, board)


QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(screenplays())
def test_exported_screenplays_plan_and_each_cue_is_one_identity(play: Play) -> None:
    check_screenplay(play)


@QUICK
@given(screenplays(arbitrary_text=True))
def test_screenplays_with_arbitrary_text_between_elements_plan_or_say_why(play: Play) -> None:
    plan_or_input_error(play.text)


@QUICK
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400), st.sampled_from([".fountain", ".txt"]))
def test_any_text_file_plans_or_says_why(text: str, suffix: str) -> None:
    plan_or_input_error(text, suffix)


@QUICK
@given(screenplays(arbitrary_text=True))
def test_screenplay_text_read_as_auto_detected_text_plans_or_says_why(play: Play) -> None:
    try:
        board = RulesPlanner().plan(parse_script(play.text), PlanOptions())
    except InputError:
        return
    assert Storyboard.from_json(board.to_json()) == board


@pytest.mark.slow
@THOROUGH
@given(screenplays())
def test_many_exported_screenplays_plan_and_each_cue_is_one_identity(play: Play) -> None:
    check_screenplay(play)


@pytest.mark.slow
@THOROUGH
@given(screenplays(arbitrary_text=True))
def test_many_screenplays_with_arbitrary_text_plan_or_say_why(play: Play) -> None:
    plan_or_input_error(play.text)
