"""Script ingestion: a writer's file -> a `Script` of scenes, beats and dialogue.

Three formats are read:

- **Fountain** screenplays (parsed with fountain-py): scene headings become
  scenes, action paragraphs become action beats, character cues with their
  dialogue become dialogue beats; the title page gives the title.
- **Scene lists**: lines starting "Scene 1:", "SCENE 2 -", "Scene 3." each
  open a scene; the text after the marker (and any following lines) is the
  scene. An optional "Title: ..." line names the film.
- **Prose**: paragraphs become scenes; a single long paragraph is cut into
  scenes of a few sentences. Quoted speech becomes dialogue.

In every format, **shot lines** ("ANGLE ON Nora", "CLOSE ON the key", ".KEYHOLE
POV", "INSERT - THE LETTER", "BACK TO SCENE", "We PUSH IN on the window", "the
camera pans left") become `ShotLine` beats at their place in the scene: what
the camera does is kept apart from what the shot shows, so no camera word is
ever read as a thing or a person.

All planners start from a `Script`, so a Fountain script's own scenes are kept
whichever planner runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from director.errors import InputError

ScriptFormat = Literal["fountain", "scenes", "prose"]

MAX_SCRIPT_BYTES = 5_000_000
"""Scripts are text; anything larger is almost certainly not one."""


@dataclass(frozen=True)
class Action:
    """A beat of description: 'The cat runs from the left to the right.'"""

    text: str


@dataclass(frozen=True)
class Speech:
    """A beat of dialogue: who says what."""

    speaker: str | None
    text: str
    parenthetical: str | None = None
    extension: str | None = None
    """The cue's extension as written: 'V.O.', 'O.S.', "CONT'D" (the same person; V.O./O.S. are heard, not seen)."""


@dataclass(frozen=True)
class ShotLine:
    """A shot direction at its place in the scene: 'CLOSE ON the key', 'KEYHOLE POV', 'We PUSH IN on the window.'

    `text` is the direction as written (what `planners.shots` turns into a `Shot`); `shows` is what is left
    once the camera words are taken out ('the key', 'the window.', '' for 'WIDE SHOT'): the part a reader of
    the cast may read."""

    text: str
    shows: str = ""


Beat = Action | Speech | ShotLine


@dataclass(frozen=True)
class ScriptScene:
    heading: str
    beats: tuple[Beat, ...]
    transition: str | None = None
    """The Fountain transition that follows this scene ('CUT TO:', 'DISSOLVE TO:'), if any."""

    @property
    def action_text(self) -> str:
        return " ".join(b.text for b in self.beats if isinstance(b, Action))

    @property
    def shot_lines(self) -> list[ShotLine]:
        return [b for b in self.beats if isinstance(b, ShotLine)]

    @property
    def speeches(self) -> list[Speech]:
        return [b for b in self.beats if isinstance(b, Speech)]


@dataclass(frozen=True)
class Script:
    title: str | None
    format: ScriptFormat
    scenes: tuple[ScriptScene, ...]
    source: str = "<text>"
    characters: tuple[str, ...] = field(default=())
    """Speaking characters named by the script itself (Fountain cues, prose speakers)."""


def read_script(path: str | Path, format: ScriptFormat | Literal["auto"] = "auto") -> Script:
    """Read a script file; raise `InputError` naming the file for anything that is not a usable script."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a script file")
    if size > MAX_SCRIPT_BYTES:
        raise InputError(f"{path}: is {size / 1e6:.1f} MB; a script must be text under {MAX_SCRIPT_BYTES / 1e6:.0f} MB")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    text = decode_script_bytes(data, source=str(path))
    if format == "auto" and path.suffix.lower() in {".fountain", ".spmd"}:
        format = "fountain"
    return parse_script(text, format=format, source=str(path), default_title=path.stem.replace("_", " "))


def decode_script_bytes(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) text, or an `InputError` saying why the bytes are not a script."""
    if not data.strip():
        raise InputError(f"{source}: is empty; write a script (Fountain, prose, or 'Scene 1: ...' lines) into it")
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: is a binary file, not a text script")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{source}: is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start} cannot be decoded); "
            "save the script as UTF-8"
        ) from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * min(len(text), 8192) + 2:
        raise InputError(f"{source}: contains control characters; it looks like a binary file, not a text script")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_script(
    text: str,
    format: ScriptFormat | Literal["auto"] = "auto",
    source: str = "<text>",
    default_title: str | None = None,
) -> Script:
    """Parse script text in `format` ('auto' detects it)."""
    if not text.strip():
        raise InputError(f"{source}: is empty; write a script (Fountain, prose, or 'Scene 1: ...' lines) into it")
    if format == "auto":
        format = detect_format(text)
    if format == "fountain":
        script = _parse_fountain(text, source)
    elif format == "scenes":
        script = _parse_scene_list(text, source)
    elif format == "prose":
        script = _parse_prose(text, source)
    else:
        raise InputError(f"{source}: unknown script format {format!r}; use fountain, scenes, prose or auto")
    if script.title is None and default_title:
        script = Script(default_title, script.format, script.scenes, script.source, script.characters)
    return script


SCENE_HEADING = re.compile(r"^(?:\.(?!\.)\S|(?:INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[. ])", re.IGNORECASE | re.MULTILINE)
SCENE_MARKER = re.compile(r"^\s*scene\s+(\d+|[ivxlc]+)\s*[:.\-–—)]\s*", re.IGNORECASE | re.MULTILINE)
TITLE_LINE = re.compile(r"^\s*title\s*:\s*(.+?)\s*$", re.IGNORECASE)
TITLE_PAGE_KEY = re.compile(r"^(title|credit|author|authors|source|draft date|contact|notes|copyright)\s*:", re.IGNORECASE)


def detect_format(text: str) -> ScriptFormat:
    """'scenes' if lines start with 'Scene N:', 'fountain' if it has scene headings or a title page, else 'prose'."""
    if SCENE_MARKER.search(text):
        return "scenes"
    if SCENE_HEADING.search(text) or _has_title_page(text):
        return "fountain"
    return "prose"


def _has_title_page(text: str) -> bool:
    """A Fountain title page: 'Key: value' lines at the top, more than a lone 'Title:' line."""
    head = text.lstrip().split("\n\n", 1)[0].split("\n")
    keys = [line for line in head if TITLE_PAGE_KEY.match(line)]
    return len(keys) >= 2 or any(not TITLE_LINE.match(line) for line in keys)


def _parse_fountain(text: str, source: str) -> Script:
    from fountain import ElementType, FountainParser

    document = FountainParser().parse(_force_non_ascii_cues(text))
    title = document.metadata.get("title")
    title = " ".join(title) if isinstance(title, list) else (str(title).strip() if title else None)
    title = re.sub(r"[*_]+", "", title).strip() if title else None

    scenes: list[ScriptScene] = []
    heading: str | None = None
    beats: list[Beat] = []
    transition: str | None = None
    characters: list[str] = []

    def close_scene() -> None:
        nonlocal beats, transition
        if heading is not None or beats:
            scenes.append(ScriptScene(heading or (title or "Opening"), tuple(beats), transition))
        beats, transition = [], None

    def add_speech(cue: str, lines: list, extension: str | None = None) -> None:
        shot = shot_heading(cue) if not _cue_extension(cue) else None
        if shot is not None:  # 'WIDE SHOT' above a line of action reads to Fountain as a cue; it is a shot
            beats.append(shot)
            said = " ".join(e.text.strip() for e in lines if e.type == ElementType.DIALOGUE and e.text.strip())
            beats.extend(split_shot_lines(said) if said else [])
            return
        name, extension = _character_name(cue), extension or _cue_extension(cue)
        if name and name not in characters:
            characters.append(name)
        parenthetical = None
        spoken = []
        for element in lines:
            if element.type == ElementType.PARENTHETICAL:
                parenthetical = element.text.strip("() ")
            elif element.type == ElementType.DIALOGUE and element.text.strip():
                spoken.append(element.text.strip())
        if spoken:
            beats.append(Speech(name or None, " ".join(spoken), parenthetical, extension))

    elements = list(document.elements)
    cue_names = {_character_name(e.text).lower() for e in elements if e.type == ElementType.CHARACTER}
    flows_in: str | None = None  # a shot heading that is the start of the next action's sentence ('.THE MAZDA' / 'begins to roll')
    i = 0
    while i < len(elements):
        element = elements[i]
        kind = element.type
        if kind == ElementType.SCENE_HEADING and heading is not None and _is_shot_heading(elements, i, cue_names):
            text = " ".join(element.text.strip().lstrip(".").split())
            following = elements[i + 1] if i + 1 < len(elements) else None
            if following is not None and following.type == ElementType.ACTION and following.text.strip()[:1].islower():
                beats.append(ShotLine(text, ""))
                flows_in = text.rstrip(",")
            else:
                beats.append(shot_heading(text) or ShotLine(text, text.rstrip(",.")))
        elif kind == ElementType.SCENE_HEADING:
            close_scene()
            heading = element.text.strip().lstrip(".").strip()
        elif kind == ElementType.ACTION and element.text.strip() and _is_insert(element.text) and not flows_in:
            # An indented block (a card, a letter, a sign) is laid out line by line: each line stands alone
            # ('Spalding Jeager' / 'Hwy 1 overlook'), not one sentence run together.
            for line in element.text.split("\n"):
                beats.extend(split_shot_lines(line.strip()) if line.strip() else [])
        elif kind == ElementType.ACTION and element.text.strip():
            text = f"{flows_in} {element.text.strip()}" if flows_in else element.text
            flows_in = None
            slug = place_slug(text) if heading is not None else None
            beats.extend([slug] if slug is not None else split_shot_lines(text))
        elif kind == ElementType.CHARACTER:
            j = i + 1
            while j < len(elements) and elements[j].type in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
                j += 1
            add_speech(element.text, elements[i + 1 : j], element.metadata.get("extension"))
            i = j
            continue
        elif kind == ElementType.DUAL_DIALOGUE:
            meta = element.metadata
            for side in ("left", "right"):
                cue = meta.get(f"{side}_character")
                if cue is not None:
                    add_speech(cue.text, list(meta.get(f"{side}_dialogue", [])), cue.metadata.get("extension"))
        elif kind == ElementType.TRANSITION:
            transition = element.text.strip()
        i += 1
    close_scene()

    scenes = [s for s in scenes if s.beats or s.heading]
    if not scenes:
        raise InputError(
            f"{source}: has a title page but no scenes; add scene headings (INT. ROOM - DAY) with action below them"
        )
    return Script(title, "fountain", tuple(scenes), source, tuple(characters))


def _is_insert(text: str) -> bool:
    """Is this action block of several lines, every one indented (a card, a letter, a sign set off)?"""
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) > 1 and all(line.startswith(("  ", "\t")) for line in lines)


def _is_shot_heading(elements: list, i: int, cue_names: set[str]) -> bool:
    """A forced heading ('.KEYHOLE POV') inside a scene is a shot, not a new scene, when it reads as a shot
    heading, is a character's name ('.SCOTT': ANGLE ON him), or flows into the next action's sentence
    ('.THE MAZDA' / 'begins to roll down the hill.'), unless a transition ('CUT TO:') comes just before it."""
    from fountain import ElementType

    element = elements[i]
    if not element.metadata.get("forced"):
        return False
    text = " ".join(element.text.strip().lstrip(".").split())
    if re.match(r"^(?:INT|EXT|EST|I/E)[./ ]", text, re.IGNORECASE):  # '.INT. SHIP' is still a place
        return False
    previous = elements[i - 1] if i > 0 else None
    if previous is not None and previous.type == ElementType.TRANSITION:
        return False
    if shot_heading(text) is not None or text.rstrip(",.").lower() in cue_names:
        return True
    if previous is not None and previous.type == ElementType.ACTION and not re.search(r"[.!?:\"”)…]\s*$", previous.text.strip()):
        return True  # 'He turns and is faced with' / '.A LAND ROVER ...': the sentence runs into it
    following = elements[i + 1] if i + 1 < len(elements) else None
    return following is not None and following.type == ElementType.ACTION and following.text.strip()[:1].islower()


def _force_non_ascii_cues(text: str) -> str:
    """fountain-py knows a cue by ASCII capitals only, so 'ÉLODIE' above a line of dialogue would be
    action; such lines get Fountain's own '@' (a forced cue)."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        name = line.strip()
        bare = name.split("(")[0].strip().rstrip("^").strip()  # the extension may be in any case: "(cont'd)"
        if not bare or bare.isascii() or bare != bare.upper() or not any(c.isalpha() and not c.isascii() for c in bare):
            continue
        if name[0] in "@.!>~#=[/(" or name.endswith(":") or (k > 0 and lines[k - 1].strip()):
            continue
        if k + 1 < len(lines) and lines[k + 1].strip():
            lines[k] = "@" + name
    return "\n".join(lines)


def _character_name(cue: str) -> str:
    """'SARAH (V.O.)' -> 'Sarah'; '@McCLANE' -> 'McClane' kept as written when mixed case."""
    name = re.sub(r"\(.*?\)|\(.*$", "", cue).strip().lstrip("@").rstrip("^").strip()
    name = " ".join(name.split())
    return name.title() if name.isupper() else name


def _cue_extension(cue: str) -> str | None:
    """'SARAH (V.O.)' -> 'V.O.'; several extensions are joined: 'SAM (O.S.) (CONT'D)' -> "O.S., CONT'D"."""
    found = [e.strip() for e in re.findall(r"\(([^)]*)\)", cue) if e.strip()]
    return ", ".join(found) or None


def _parse_scene_list(text: str, source: str) -> Script:
    title = None
    markers = list(SCENE_MARKER.finditer(text))
    preamble = text[: markers[0].start()].strip()
    for line in preamble.splitlines():
        match = TITLE_LINE.match(line)
        if match:
            title = match.group(1)
        elif line.strip() and title is None:
            title = line.strip().strip("#").strip()
    scenes = []
    characters: list[str] = []
    for k, marker in enumerate(markers):
        end = markers[k + 1].start() if k + 1 < len(markers) else len(text)
        body = " ".join(text[marker.end() : end].split())
        if not body:
            raise InputError(f"{source}: '{marker.group(0).strip()}' has no text after it; say what happens in the scene")
        beats = _prose_beats(body, characters)
        scenes.append(ScriptScene(_short_heading(body), tuple(beats)))
    return Script(title, "scenes", tuple(scenes), source, tuple(characters))


SENTENCE_END = re.compile(r'(?<=[.!?])["”’]?\s+(?=["“A-Z0-9])')
SCENE_BREAK_WORDS = re.compile(
    r"^(later|meanwhile|the next (morning|day|night|evening)|that (night|evening|morning)|"
    r"the following|hours later|days later|years later|at (dawn|dusk|night|noon)|in the morning|elsewhere)\b",
    re.IGNORECASE,
)
MAX_SENTENCES_PER_SCENE = 3


MAX_SENTENCE_WORDS = 60
"""A longer run of words without a full stop is cut at its commas (or every 60 words), so that reading
stays linear in the length of the text."""


TITLE_ABBREVIATIONS = frozenset(["mr", "mrs", "ms", "dr", "prof", "capt", "sgt", "st", "jr", "sr"])
"""Titles written with a full stop ("Mr. Hoff", "Dr. Bennett"): their stop ends no sentence."""


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, with over-long ones cut at commas (a title's full stop ends none)."""
    pieces: list[str] = []
    for piece in SENTENCE_END.split(" ".join(text.split())):
        last_word = pieces[-1].rsplit(" ", 1)[-1] if pieces else ""
        if last_word.endswith(".") and last_word.lower().rstrip(".") in TITLE_ABBREVIATIONS:
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    sentences = []
    for sentence in pieces:
        sentence = sentence.strip()
        if not sentence:
            continue
        if sentence.count(" ") < MAX_SENTENCE_WORDS:
            sentences.append(sentence)
        else:
            sentences.extend(_cut_long_sentence(sentence))
    return sentences


def _cut_long_sentence(sentence: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for word in sentence.split(" "):
        current.append(word)
        if len(current) >= MAX_SENTENCE_WORDS or (len(current) >= MAX_SENTENCE_WORDS // 3 and word.endswith((",", ";", ":"))):
            pieces.append(" ".join(current).rstrip(",;:") + ".")
            current = []
    if current:
        pieces.append(" ".join(current))
    return pieces


def _parse_prose(text: str, source: str) -> Script:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    title = None
    if len(paragraphs) > 1:
        match = TITLE_LINE.match(paragraphs[0])
        first = paragraphs[0]
        if match:
            title, paragraphs = match.group(1), paragraphs[1:]
        elif first.startswith("#") or (len(first) < 60 and not re.search(r"[.!?\"”]$", first)):
            title, paragraphs = first.strip("# ").strip(), paragraphs[1:]
    groups: list[list[str]] = []
    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        if len(paragraphs) > 1 and len(sentences) <= 2 * MAX_SENTENCES_PER_SCENE:
            groups.append(sentences)
            continue
        current: list[str] = []
        for sentence in sentences:
            if current and (len(current) >= MAX_SENTENCES_PER_SCENE or SCENE_BREAK_WORDS.match(sentence)):
                groups.append(current)
                current = []
            current.append(sentence)
        if current:
            groups.append(current)
    if not groups:
        raise InputError(f"{source}: has no sentences to make scenes from")
    characters: list[str] = []
    scenes = []
    for sentences in groups:
        body = " ".join(sentences)
        scenes.append(ScriptScene(_short_heading(body), tuple(_prose_beats(body, characters))))
    return Script(title, "prose", tuple(scenes), source, tuple(characters))


QUOTE = re.compile(r'["“]([^"”]+)["”]')
SAID_AFTER = re.compile(r"^\s*,?\s*(?:(?:said|says|asked|asks|shouted|shouts|whispered|whispers|replied|replies|called|calls)\s+([A-Z][a-z]+)|([A-Z][a-z]+)\s+(?:said|says|asked|asks|shouted|shouts|whispered|whispers|replied|replies|called|calls))")
SAID_BEFORE = re.compile(r"([A-Z][a-z]+)\s+(?:said|says|asked|asks|shouted|shouts|whispered|whispers|replied|replies|called|calls)\s*,?\s*$")


def _prose_beats(text: str, characters: list[str]) -> list[Beat]:
    """Sentences become action beats; quoted speech becomes dialogue, with the speaker when prose names one."""
    beats: list[Beat] = []
    for sentence in split_sentences(text):
        quotes = list(QUOTE.finditer(sentence))
        shot = shot_in_sentence(sentence, caps=False) if not quotes else None
        if shot is not None:
            beats.append(shot)
            continue
        if not quotes:
            beats.append(Action(sentence))
            continue
        outside = QUOTE.sub(" ", sentence)
        outside = " ".join(outside.split()).strip(" ,")
        for quote in quotes:
            after = SAID_AFTER.match(sentence[quote.end() :])
            before = SAID_BEFORE.search(sentence[: quote.start()])
            speaker = (after.group(1) or after.group(2)) if after else (before.group(1) if before else None)
            if speaker and speaker not in characters:
                characters.append(speaker)
            beats.append(Speech(speaker, quote.group(1).strip().rstrip(",")))
        remainder = re.sub(
            r"\b(?:said|says|asked|asks|shouted|shouts|whispered|whispers|replied|replies|called|calls)\b", "", outside
        )
        if len(re.findall(r"[A-Za-z]+", remainder)) > 2:
            beats.append(Action(outside if outside.endswith((".", "!", "?")) else outside + "."))
    return beats


def _short_heading(body: str, words: int = 8) -> str:
    first = split_sentences(body)[0] if split_sentences(body) else body
    tokens = first.rstrip(".!?").split()
    return " ".join(tokens[:words]) + (" ..." if len(tokens) > words else "")


# -- shot lines ------------------------------------------------------------------------------------
# What a screenplay writes for the camera. Shot headings open a line or a sentence in CAPS ("ANGLE ON
# Nora", "INSERT - THE LETTER", "KEYHOLE POV"); camera moves are said mid-sentence ("We PUSH IN on the
# window", "the camera pans left"). Prose says the same in ordinary case, so prose is matched without
# regard to case, but only for phrases that can mean nothing but the camera.

SHOT_TERMS: tuple[str, ...] = (
    "EXTREME WIDE SHOT", "EXTREME WIDE", "EXTREME LONG SHOT", "EWS", "ELS", "WIDE SHOT", "WIDE ANGLE", "WIDER ANGLE",
    "WIDE", "WIDER", "LONG SHOT", "ESTABLISHING SHOT", "ESTABLISHING", "MASTER SHOT", "FULL SHOT", "MEDIUM SHOT",
    "MEDIUM CLOSE UP", "MEDIUM CLOSE-UP", "MEDIUM CLOSEUP", "MEDIUM", "MID SHOT", "MCU", "EXTREME CLOSE UP",
    "EXTREME CLOSE-UP", "EXTREME CLOSEUP", "ECU", "XCU", "CLOSE UP", "CLOSE-UP", "CLOSEUP", "CLOSE SHOT", "CU",
    "INSERT", "TWO SHOT", "TWO-SHOT", "THREE SHOT", "GROUP SHOT", "OVER THE SHOULDER", "OVER-THE-SHOULDER", "OTS",
    "POV", "P.O.V.", "REVERSE ANGLE", "REVERSE SHOT", "REVERSE", "HIGH ANGLE", "LOW ANGLE", "OVERHEAD SHOT",
    "OVERHEAD", "TOP SHOT", "BIRD'S EYE VIEW", "BIRDS EYE VIEW", "AERIAL SHOT", "AERIAL VIEW", "AERIAL", "NEW ANGLE",
    "ANOTHER ANGLE", "SAME ANGLE", "ANGLE", "TRACKING SHOT", "TRACKING", "MOVING SHOT", "TRAVELING SHOT",
    "TRAVELLING SHOT", "DOLLY SHOT", "CRANE SHOT", "SINGLE SHOT", "SINGLE", "STEADICAM", "HANDHELD", "BACK TO SCENE", "BACK TO THE SCENE",
    "BACK TO SHOT", "RESUME SCENE", "RETURN TO SCENE",
)
"""Shot sizes, angles and kinds that open a shot line, alone or before ' - ', ':' or ON/OF/WITH and what they frame."""
SHOT_ON_TERMS: tuple[str, ...] = (
    "EXTREME CLOSE ON", "ANGLE ON", "CLOSE ON", "CLOSER ON", "TIGHT ON", "WIDE ON", "BACK ON", "FAVORING", "FAVOURING", "ON",
)
"""Terms followed directly by what they frame: 'ANGLE ON Nora', 'ON HIS SHOES' (bare ON only before a CAPS word)."""
MOVE_TERMS: tuple[str, ...] = (
    "PUSH IN", "PUSHING IN", "PULL BACK", "PULL OUT", "PULL AWAY", "PULLING BACK", "PAN", "PANNING", "TILT",
    "TILTING", "ZOOM IN", "ZOOM OUT", "ZOOM", "DOLLY IN", "DOLLY OUT", "DOLLY BACK", "DOLLY", "TRUCK", "CRANE UP",
    "CRANE DOWN", "CRANE", "BOOM UP", "BOOM DOWN", "TRACK WITH", "TRACKING WITH", "MOVING", "FOLLOW", "FOLLOWING",
)
"""Camera moves that open a sentence in CAPS ('PAN LEFT to the door', 'MOVING UP behind the kids')."""
MOVE_VERBS: tuple[str, ...] = (
    "PUSH IN", "PUSHES IN", "PULL BACK", "PULLS BACK", "PULL OUT", "PULLS OUT", "PULL AWAY", "PULLS AWAY", "PANS",
    "PAN", "TILTS", "TILT", "ZOOMS", "ZOOM", "DOLLIES", "DOLLY", "TRUCKS", "TRUCK", "TRACKS", "TRACK", "CRANES",
    "CRANE", "BOOMS", "BOOM", "FOLLOWS", "FOLLOW", "REVERSE", "MOVES IN", "MOVE IN", "CIRCLES", "CIRCLE",
    "LOOK UP", "LOOKS UP", "LOOK DOWN", "LOOKS DOWN", "RISE UP", "RISES UP", "RISE", "RISES", "STAY WITH", "STAYS WITH",
    "HOLD ON", "HOLDS ON", "MOVE THROUGH", "MOVES THROUGH", "MOVE", "MOVES", "DRIFT", "DRIFTS", "GLIDE", "GLIDES",
)
"""Camera moves said with their subject mid-sentence: 'We PUSH IN on', 'THE CAMERA PANS', 'the camera follows'."""

_MOVE_CONTINUES = r"(?:UP|DOWN|IN|OUT|BACK|LEFT|RIGHT|WITH|ALONG|THROUGH|PAST|ACROSS|AROUND|OVER|TO|TOWARDS?|CLOSER|AWAY|ON|FROM)"
_SEPARATOR = r"(?:\s+[-–—]+\s*|\s*[:–—]\s*|\s*,\s*|\s+(?=(?:ON|OF|AT|WITH|TO|FROM|on|of|at|with|to|from)\b))"


def _alternation(terms: tuple[str, ...]) -> str:
    return "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))


_SHOT_HEADING = re.compile(
    rf"^(?P<term>{_alternation(SHOT_TERMS)})(?:(?P<sep>{_SEPARATOR})(?P<rest>.*)|[.!]?\s*$)", re.DOTALL
)
_ON_HEADING = re.compile(rf"^(?P<term>{_alternation(SHOT_ON_TERMS[:-1])})\s+(?P<rest>\S.*)|^(?P<on>ON)\s+(?P<onrest>[A-Z][A-Z'’]+\b.*)", re.DOTALL)
_MOVE_HEADING = re.compile(rf"^(?:SLOWLY\s+)?(?P<term>{_alternation(MOVE_TERMS)})(?:\s+(?P<rest>{_MOVE_CONTINUES}\b.*)|[.!]?\s*$)", re.DOTALL)
_POV_HEADING = re.compile(r"^(?:(?P<who>[A-Z][A-Z0-9'’ .\-]*?)\s+)?(?:POV|P\.O\.V\.)(?:(?:\s+[-–—]+\s*|\s*:\s*)(?P<whose>.+))?[.!]?\s*$")
_CAMERA_SUBJECT = r"(?:\b[Ww][Ee]\b|\bTHE CAMERA\b|\b[Tt]he camera\b|\bCAMERA\b|\b[Cc]amera\b)"
_MOVE_IN_SENTENCE = re.compile(
    rf"(?P<who>{_CAMERA_SUBJECT})\s+(?:(?:slowly|SLOWLY|quickly|QUICKLY|then|THEN|now|NOW|gently|GENTLY)\s+)?"
    rf"(?P<move>{_alternation(MOVE_VERBS)})\b(?:\s+(?:LEFT|RIGHT|UP|DOWN|IN|OUT|BACK|left|right|up|down|in|out|back)\b)?"
    r"(?:\s*,?\s+(?:and\s+|AND\s+)?(?:BACK|back)\b)?(?:\s+(?:on|ON|to|TO|onto|ONTO|with|WITH)\b)?"
)
_WE_IN_CAPS = re.compile(
    r"(?P<who>\b[Ww][Ee]\b)\s+(?:(?:slowly|SLOWLY|quickly|QUICKLY|then|THEN|now|NOW|gently|GENTLY|finally|FINALLY)\s+)?"
    r"(?P<move>[A-Z]{2,}(?:\s+(?:IN|OUT|UP|DOWN|BACK|LEFT|RIGHT|ON|WITH|THROUGH|OVER|AROUND|BEHIND|AWAY|PAST|ACROSS|ALONG|INTO))?)\b"
    r"(?:\s+(?:on|ON|to|TO|onto|ONTO|with|WITH)\b)?"
)
"""A screenplay's 'we' with a verb in CAPS is the camera ('We HOLD ON Will', 'We RUSH IN on Zacky', 'We LOOK RIGHT')."""
NOT_CAMERA_VERBS = frozenset("SEE HEAR WATCH FREEZE CUT FADE DISSOLVE SMASH MATCH INTERCUT ARE ALL NEVER REALLY ONLY JUST STILL BOTH".split())
"""CAPS words after 'we' that are narration, editing or emphasis, not the camera."""
_MOVE_IN_PROSE = re.compile(_MOVE_IN_SENTENCE.pattern, re.IGNORECASE)
_WE_ALSO_DO = frozenset(["FOLLOW", "FOLLOWS", "REVERSE", "MOVES IN", "MOVE IN", "CIRCLE", "CIRCLES", "TRACK", "TRACKS", "TRUCK", "TRUCKS"])
_SHOT_IN_SENTENCE = re.compile(
    r"(?:\b(?:[Ff]rom|[Ii]n|IN)\s+)?(?:\b(?:an?|the|A|AN|THE)\s+(?:very\s+)?)?\b(?:HIGH ANGLE|LOW ANGLE|CLOSE-UP|CLOSE UP|CLOSEUP|EXTREME CLOSE-UP|POV|[A-Z]{3,} SHOT)\b,?"
)
_PROSE_SHOT = re.compile(
    r"(?:\b(?:in|an?|the)\s+)?\b(?:extreme close-?up|close-?up|wide shot|establishing shot|high angle|low angle|overhead shot|"
    r"aerial shot|tracking shot|point of view|pov)\b(?:\s+(?:of|on|from)\b)?|\b(?:angle|close|tight) on\b",
    re.IGNORECASE,
)


_PLACE_SLUG = re.compile(
    r"^(?:UNDER|UNDERNEATH|DOWN|UP|AT|IN|INSIDE|OUTSIDE|BEHIND|ACROSS|NEAR|BY|OVER|FURTHER|FARTHER|BACK|BENEATH|ABOVE|"
    r"UNDERWATER|OUTSIDE|ELSEWHERE|NEARBY)\b[A-Z0-9 ,'’.\-]*$"
)
"""A secondary heading inside a scene ('UNDER THE TABLE', 'DOWN THE HALL', 'UNDERWATER.'): a new camera set-up."""


def place_slug(line: str) -> ShotLine | None:
    """A paragraph that is one short CAPS line naming where the camera now is: a shot of that place."""
    text = " ".join(line.split())
    if "\n" in line.strip() or not _PLACE_SLUG.match(text) or len(text.split()) > 6 or not re.search(r"[A-Z]{3}", text):
        return None
    return ShotLine(text, "")


def shot_heading(line: str) -> ShotLine | None:
    """A line (or the opening of a sentence) that is a shot heading in a screenplay's CAPS: 'WIDE SHOT',
    'ANGLE ON Nora', 'CLOSE ON the key', 'INSERT - THE LETTER', 'KEYHOLE POV', 'PAN LEFT to the door',
    'BACK TO SCENE'. None for anything else."""
    text = " ".join(line.split())
    if not text:
        return None
    pov = _POV_HEADING.match(text)
    if pov is not None and (pov.group("who") is None or pov.group("who").upper() == pov.group("who")):
        return ShotLine(text, "")  # whose eyes: not in the frame, so nothing to read
    match = _SHOT_HEADING.match(text)
    if match is not None:
        rest = match.group("rest") or ""
        rest = re.sub(r"^(?:ON|OF|AT|WITH|TO|FROM|on|of|at|with|to|from)\s+", "", rest).strip()
        return ShotLine(text, rest)
    match = _ON_HEADING.match(text)
    if match is not None:
        return ShotLine(text, (match.group("rest") or match.group("onrest") or "").strip())
    match = _MOVE_HEADING.match(text)
    if match is not None:
        rest = match.group("rest") or ""
        rest = re.sub(rf"^(?:{_MOVE_CONTINUES}\s+)*(?:ON|on|to|TO|with|WITH|the|THE)?\s*", "", rest).strip() if rest else ""
        return ShotLine(text, _subject_part(rest))
    return None


def _subject_part(rest: str) -> str:
    """'to the door.' -> 'the door.'; 'behind the kids, we find ourselves ...' -> kept for the reader."""
    return re.sub(r"^(?:to|on|onto|with|behind|past|over|across|along|through)\s+", "", rest.strip(), flags=re.IGNORECASE)


def shot_in_sentence(sentence: str, caps: bool = True) -> ShotLine | None:
    """A sentence that directs the camera: a shot heading opening it, a camera move said in it ('We PUSH
    IN on the window'), or a CAPS shot term in it ('From a very LOW ANGLE, we look up'). With `caps=False`
    (prose), camera phrases in ordinary case count too ('The camera pans left', 'a close-up of the key')."""
    heading = shot_heading(sentence)
    if heading is not None:
        return heading
    for pattern in (_MOVE_IN_SENTENCE, _WE_IN_CAPS, _SHOT_IN_SENTENCE) if caps else (_MOVE_IN_PROSE, _PROSE_SHOT):
        match = pattern.search(sentence)
        if match is None:
            continue
        if pattern is _WE_IN_CAPS and match.group("move").split()[0] in NOT_CAMERA_VERBS:
            continue
        if pattern is _MOVE_IN_SENTENCE and not _camera_words_in_caps(match):
            continue
        if pattern is _MOVE_IN_PROSE and match.group("who").lower() == "we" and match.group("move").upper() in _WE_ALSO_DO:
            continue  # 'we follow the road', 'we circle back': in prose, the narrator's party
        shows = " ".join((sentence[: match.start()] + " " + sentence[match.end() :]).split())
        shows = re.sub(r"^[,;:\s]+|\s+(?=[,.;!?])", "", shows)
        return ShotLine(" ".join(sentence.split()), shows if re.search(r"[A-Za-z]", shows) else "")
    return None


def _camera_words_in_caps(match: re.Match[str]) -> bool:
    """A screenplay writes the camera's move in CAPS ('we PUSH IN'); 'we follow the road' is the characters."""
    return match.group("move").isupper() or "camera" in match.group("who").lower()


def split_shot_lines(paragraph: str, caps: bool = True) -> list[Action | ShotLine]:
    """An action paragraph as action and shot lines, in order: a line that is a shot heading on its own
    ('WIDE SHOT') and every sentence that directs the camera become `ShotLine`s; the rest stays action,
    one `Action` per run of sentences (a paragraph without shot lines is one `Action`, as written)."""
    out: list[Action | ShotLine] = []
    pending: list[str] = []

    def flush() -> None:
        text = " ".join(" ".join(pending).split())
        pending.clear()
        if not text:
            return
        sentences = split_sentences(text)
        shots = [shot_in_sentence(sentence, caps) for sentence in sentences]
        if not any(shots):
            out.append(Action(text))
            return
        run: list[str] = []
        for sentence, shot in zip(sentences, shots, strict=True):
            if shot is None:
                run.append(sentence)
                continue
            if run:
                out.append(Action(" ".join(run)))
                run = []
            out.append(shot)
        if run:
            out.append(Action(" ".join(run)))

    lines = paragraph.split("\n")
    for line in lines:
        heading = shot_heading(line) if caps and len(lines) > 1 and not re.search(r"[.!?]\s+\S", line.strip()) else None
        if heading is not None:
            flush()
            out.append(heading)
        else:
            pending.append(line)
    flush()
    return out
