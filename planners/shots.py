"""Shot planning: a scene's shot lines and camera words -> the `Shot`s that cut it.

The script says how a scene is shot where it says so ("ANGLE ON Nora", "CLOSE
ON the key", ".KEYHOLE POV", "We PUSH IN on the window", "BACK TO SCENE"):
`director.script` hands those over as `ShotLine` beats at their place in the
scene, and this module reads each one as a director's assistant would:

1. **Size** from the shot's words (wide, full, medium, close-up, extreme
   close-up, insert); a shot that names only what it frames ("ANGLE ON Nora",
   "ON HIS SHOES") is a medium on a person and a close-up on a thing.
2. **Angle**: high, low, overhead, or POV through whose eyes ("NORA'S POV",
   "POV - NORA"; "KEYHOLE POV" is the eyes of whoever acted last).
3. **Move**: push in / pull back (dolly), zoom, pan, tilt, truck with their
   direction; "TRACKING", "we FOLLOW Nora" follow their subject.
4. **Subjects**: the names and things the line frames, resolved to the
   scene's cast ("Nora", "the key", "Edward's hand" is Edward; "his" is the
   man who acted last).
5. **Timing**: a shot starts where its line stands in the scene's timeline,
   the times the rules planner gives each sentence and line of dialogue
   (`planners.rules`), and lasts until the next shot line or the scene's end;
   the stretch before the first is an establishing wide.

Where the script names no shot, `coverage="default"` gives the plain coverage
a person can replace: an establishing wide, then a medium on each visible
speaker during their line, a follow on whoever moves, a medium on whoever
acts, back to the wide otherwise; neighbouring shots that frame the same way
are one shot. `coverage="none"` leaves the scene one wide shot (`Scene.cut`).
Deterministic: the same scene always gets the same shots.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from director.camera import shot_view
from director.script import (
    Action,
    Script,
    ScriptScene,
    ShotLine,
    Speech,
    split_sentences,
)
from director.storyboard import CameraMove, Entity, Scene, Shot

log = logging.getLogger(__name__)

Coverage = Literal["default", "none"]
COVERAGES: tuple[str, ...] = ("default", "none")

MIN_SHOT_SECONDS = 1.0
"""No cut comes sooner than this after the last one (a shorter shot is merged into its neighbour): under a
second, a cut reads as a flash, not a shot."""
ESTABLISHING_SECONDS = 1.5
"""The default coverage holds its opening wide at least this long before it cuts in."""
PEOPLE = frozenset(["person", "child", "robot"])

# -- what the words of a shot line mean -----------------------------------------------------------------

SIZE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("EXTREME CLOSE", "ECU", "XCU"), "extreme_close_up"),
    (("INSERT",), "insert"),
    (("MEDIUM CLOSE", "MCU", "CLOSE", "CU", "CLOSEUP", "TIGHT"), "close_up"),
    (("EXTREME WIDE", "EXTREME LONG", "EWS", "ELS", "AERIAL", "BIRD'S EYE", "BIRDS EYE"), "extreme_wide"),
    (("FULL SHOT",), "full"),
    (("MEDIUM", "MID SHOT", "TWO SHOT", "TWO-SHOT", "THREE SHOT", "GROUP SHOT", "OVER THE SHOULDER", "OVER-THE-SHOULDER", "OTS"), "medium"),
    (("WIDE", "WIDER", "LONG SHOT", "ESTABLISHING", "MASTER", "BACK TO SCENE", "BACK TO THE SCENE", "BACK TO SHOT", "RESUME SCENE", "RETURN TO SCENE"), "wide"),
)
"""Words of a shot line -> its size, tightest first (an 'EXTREME CLOSE UP' is not a 'CLOSE UP')."""
ANGLE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("POV", "P.O.V.", "POINT OF VIEW"), "pov"),
    (("OVERHEAD", "TOP SHOT", "BIRD'S EYE", "BIRDS EYE", "AERIAL"), "overhead"),
    (("HIGH ANGLE",), "high"),
    (("LOW ANGLE",), "low"),
)
MOVE_WORDS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("PUSH IN", "PUSHES IN", "PUSHING IN", "RUSH IN", "RUSHES IN", "DOLLY IN", "MOVES IN", "MOVE IN", "MOVING IN", "CLOSER"), "dolly", "in"),
    (("PULL BACK", "PULLS BACK", "PULLING BACK", "PULL OUT", "PULLS OUT", "PULL AWAY", "PULLS AWAY", "DOLLY OUT", "DOLLY BACK"), "dolly", "out"),
    (("ZOOM IN", "ZOOMS IN"), "zoom", "in"),
    (("ZOOM OUT", "ZOOMS OUT"), "zoom", "out"),
    (("ZOOM", "ZOOMS"), "zoom", "in"),
    (("CRANE UP", "CRANES UP", "BOOM UP", "TILT UP", "TILTS UP", "TILTING UP", "MOVING UP", "RISE", "RISES"), "tilt", "up"),
    (("CRANE DOWN", "CRANES DOWN", "BOOM DOWN", "TILT DOWN", "TILTS DOWN", "TILTING DOWN", "MOVING DOWN"), "tilt", "down"),
    (("TILT", "TILTS"), "tilt", "up"),
    (("LOOK UP", "LOOKS UP", "RISE UP", "RISES UP"), "tilt", "up"),
    (("LOOK DOWN", "LOOKS DOWN", "DESCEND", "DESCENDS"), "tilt", "down"),
    (("LOOK LEFT", "LOOKS LEFT"), "pan", "left"),
    (("LOOK RIGHT", "LOOKS RIGHT"), "pan", "right"),
    (("LOOK OVER", "LOOKS OVER", "LOOK AROUND", "LOOKS AROUND"), "pan", None),
    (("MOVE THROUGH", "MOVES THROUGH", "DRIFT", "DRIFTS", "GLIDE", "GLIDES", "MOVE", "MOVES"), "dolly", "in"),
    (("TRUCK LEFT", "TRUCKS LEFT"), "truck", "left"),
    (("TRUCK RIGHT", "TRUCKS RIGHT", "TRUCK", "TRUCKS"), "truck", "right"),
    (("PAN LEFT", "PANS LEFT", "PANNING LEFT"), "pan", "left"),
    (("PAN RIGHT", "PANS RIGHT", "PANNING RIGHT"), "pan", "right"),
    (("PAN", "PANS", "PANNING", "CIRCLE", "CIRCLES"), "pan", None),
    (("TRACKING", "TRACK", "TRACKS", "FOLLOW", "FOLLOWS", "FOLLOWING", "MOVING", "TRAVELING", "TRAVELLING", "STEADICAM", "STAY WITH", "STAYS WITH", "LEAD", "LEADS"), "follow", None),
)
"""Words of a shot line -> its camera move and direction; a pan without one turns toward what it frames."""

_POSSESSIVE_PRONOUNS = frozenset(["his", "her", "their", "its", "him", "he", "she", "them", "they"])
_DETERMINERS = frozenset(["the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "its", "my", "our", "your", "some", "two", "three", "four"])
_CLAUSE_END = re.compile(r"[,;:.!?]|\s(?:as|where|which|who|while|when|and we|we|to (?:reveal|find|see|show|discover)|revealing|held|holding|complete|that)\s", re.IGNORECASE)


@dataclass(frozen=True)
class ShotReading:
    """What one shot line says, before it is timed: the fields of a `Shot` but its times."""

    size: str = "wide"
    angle: str = "eye_level"
    pov: str | None = None
    move: CameraMove = field(default_factory=CameraMove)
    subjects: tuple[str, ...] = ()
    description: str = ""


def _words_in(text: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![A-Z]){re.escape(p)}(?![A-Z])", text) for p in phrases)


def camera_words(line: ShotLine) -> str:
    """The camera part of a shot line in capitals: the line without what it shows."""
    text = line.text
    if line.shows and line.shows in text:
        text = text.replace(line.shows, " ")
    return " ".join(text.upper().split())


def framed_phrase(line: ShotLine) -> str:
    """The words naming what the shot frames: 'the key', "Edward's hand", 'NORA AND SAM', 'the window'."""
    shows = line.shows
    if not shows:  # "NORA'S POV", "POV - NORA", "THE MAZDA" (a heading that flows into its action)
        pov = re.match(r"^(?P<who>.+?)(?:'S|’S)\s+(?:POV|P\.O\.V\.)\b|^(?:POV|P\.O\.V\.)\s*(?:[-–—:]+)\s*(?P<whose>.+)$", line.text)
        return "" if pov else line.text
    shows = re.sub(r"^[\s,;:.\-–—]+", "", shows)
    match = _CLAUSE_END.search(" " + shows + " ")
    return shows[: max(0, match.start() - 1)].strip() if match else shows.strip()


def pov_phrase(line: ShotLine) -> str | None:
    """Whose eyes a POV line names ('NORA'S POV', 'POV - NORA'), '' for one that names none ('KEYHOLE POV'),
    None for a line that is no POV."""
    upper = line.text.upper()
    if not _words_in(upper, ("POV", "P.O.V.", "POINT OF VIEW")):
        return None
    match = (
        re.match(r"^(?P<who>.+?)(?:'S|’S)\s+(?:POV|P\.O\.V\.)\b", line.text)
        or re.match(r"^(?:POV|P\.O\.V\.)\s*(?:[-–—:]+)\s*(?P<who>.+?)[.!]?$", line.text)
        or re.search(r"(?P<who>[\w]+(?: [\w]+)?)(?:'s|’s|'S|’S)\s+(?:point of view|POINT OF VIEW|POV|pov)\b", line.text)
    )
    return match.group("who").strip() if match else ""


@dataclass
class _Names:
    """The scene's cast by the words a script calls them: 'nora', 'sam hale', 'key', 'red ball', 'ball'."""

    scene: Scene
    cast: Mapping[str, Entity]

    def phrases(self, entity_id: str) -> set[str]:
        entity = self.cast.get(entity_id)
        found = {" ".join(entity_id.split("_")).rstrip(" 0123456789")}
        if entity is not None:
            name = " ".join(re.findall(r"[a-z0-9']+", entity.name.lower()))
            words = name.split()
            found |= {name, words[-1] if words else name}
            if entity.category in PEOPLE and len(words) > 1:
                found.add(words[0])  # "Sam" is Sam Hale
                if words[0] in ("young", "old", "little", "older", "younger"):
                    found.add(" ".join(words[1:]))
        return {p for p in found if p}

    def resolve(self, phrase: str, recent: Sequence[str]) -> list[str]:
        """The scene's entities a phrase frames, in the order it names them; a pronoun is the latest who acted."""
        words = [_singular(w) for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", phrase.lower().replace("’", "'"))]
        words = [w.removesuffix("'s") for w in words]
        found: list[tuple[int, str]] = []
        for entity_id in self.scene.entities:
            for name in sorted(self.phrases(entity_id), key=len, reverse=True):
                target = [_singular(w) for w in name.split()]
                at = next((k for k in range(len(words) - len(target) + 1) if words[k : k + len(target)] == target), None)
                if at is not None:
                    found.append((at, entity_id))
                    break
        ids = [entity_id for _, entity_id in sorted(found)]
        if not ids and words and words[0] in _POSSESSIVE_PRONOUNS:
            ids = [i for i in recent if i in self.scene.entities][:1]
        return list(dict.fromkeys(ids))

    def is_thing(self, entity_id: str) -> bool:
        entity = self.cast.get(entity_id)
        return entity is not None and entity.category not in PEOPLE


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "'s")):
        return word[:-3] + "y" if word.endswith("ies") else word[:-1]
    return word


def read_shot_line(line: ShotLine, names: _Names, recent: Sequence[str]) -> ShotReading:
    """One shot line's size, angle, POV, move and subjects (see the module's steps 1-4)."""
    camera = camera_words(line)
    subjects = names.resolve(framed_phrase(line), recent)
    pov_of = pov_phrase(line)
    angle, pov = "eye_level", None
    if pov_of is not None:
        people = [i for i in (names.resolve(pov_of, recent) if pov_of else []) if not names.is_thing(i)]
        if not people:
            people = [i for i in recent if i in names.cast and not names.is_thing(i)][:1]
        pov = people[0] if people else None
        angle = "pov" if pov else "eye_level"
        subjects = [s for s in subjects if s != pov]
    else:
        angle = next((a for words, a in ANGLE_WORDS if _words_in(camera, words)), "eye_level")
    size = next((s for words, s in SIZE_WORDS if _words_in(camera, words)), None)
    move = CameraMove()
    for words, kind, direction in MOVE_WORDS:
        if not _words_in(camera, words):
            continue
        if kind == "follow":
            target = subjects[0] if subjects else next((i for i in recent if i in names.scene.entities), None)
            move = CameraMove(kind="follow", target=target) if target else CameraMove()
            subjects = subjects or ([target] if target else [])
        elif kind == "pan" and direction is None:
            move = CameraMove(kind="pan", direction=_toward(names.scene, subjects))
        else:
            move = CameraMove(kind=kind, direction=direction)  # type: ignore[arg-type]
        break
    if size is None and move.kind == "follow":
        size = "full"  # a follow keeps its subject whole in the frame
    if size is None:
        if not subjects:
            size = "medium" if pov is not None else "wide"
        else:
            size = "close_up" if all(names.is_thing(s) for s in subjects) else "medium"
    return ShotReading(size, angle, pov, move, tuple(subjects), line.text)


def _toward(scene: Scene, subjects: Sequence[str]) -> str:
    """A pan that names no side turns toward what it frames (right when it frames nothing or the middle)."""
    for frame in scene.layouts[:1]:
        boxes = [frame.boxes[s] for s in subjects if s in frame.boxes]
        if boxes:
            return "left" if sum(b.center[0] for b in boxes) / len(boxes) < 0.5 else "right"
    return "right"


# -- where each beat is in the scene's timeline -------------------------------------------------------


def _reader_sentences(beat: Action | Speech | ShotLine) -> list[str]:
    """The entries the rules planner times for one beat of the script (its `_beats`)."""
    if isinstance(beat, Speech):
        return [beat.text]
    return split_sentences(beat.shows if isinstance(beat, ShotLine) else beat.text)


def beat_places(script_scene: ScriptScene, timed: Sequence[tuple[object, float, float]], duration: float) -> list[tuple[float, float]]:
    """(start, end) of every beat of the script scene on the scene's timeline. `timed` is what the rules
    planner made of the beats (sentences and lines with their times); a beat that takes no time of its own
    (a description holding the whole scene, a shot line showing nothing) sits where the time has reached."""
    counts = [len(_reader_sentences(b)) for b in script_scene.beats]
    if sum(counts) != len(timed):  # the reader split the beats another way: place them evenly
        log.warning("scene %r: %d timed beats for %d sentences; shots are placed evenly", script_scene.heading, len(timed), sum(counts))
        step = duration / max(1, len(script_scene.beats))
        return [(round(k * step, 3), round((k + 1) * step, 3)) for k in range(len(script_scene.beats))]
    places, k, reached = [], 0, 0.0
    for count in counts:
        start = reached
        for _ in range(count):
            _, s, e = timed[k]
            holds_whole = s == 0.0 and e >= duration and (reached > 0 or any(t[1] == 0.0 for t in timed[k + 1 :]))
            if not holds_whole and abs(s - reached) < 1e-6:
                reached = e
            k += 1
        places.append((start, reached))
    return places


# -- the shots --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cut:
    start: float
    reading: ShotReading
    scripted: bool = False  # a shot line's cut: a new set-up even where it frames as the last one did


def plan_shots(
    scene: Scene,
    script_scene: ScriptScene,
    timed: Sequence[tuple[object, float, float]],
    cast: Mapping[str, Entity],
    fps: int,
    coverage: Coverage = "default",
) -> Scene:
    """`scene` with its shots: the script's shot lines, or the default coverage where it names none (or,
    with `coverage="none"`, no shots: one wide shot). The scene is validated with them."""
    if coverage not in COVERAGES:
        raise ValueError(f"`coverage` must be {' or '.join(map(repr, COVERAGES))}, but it is {coverage!r}")
    places = beat_places(script_scene, timed, scene.duration)
    names = _Names(scene, cast)
    if script_scene.shot_lines:
        cuts = _scripted_cuts(script_scene, places, names)
    elif coverage == "default":
        cuts = _default_cuts(scene, script_scene, places)
    else:
        cuts = []
    shots = [_kept_in_frame(scene, shot) for shot in _timed_shots(cuts, scene.duration, fps)]
    return Scene.model_validate({**scene.model_dump(), "shots": [s.model_dump() for s in shots]})


def _scripted_cuts(script_scene: ScriptScene, places: list[tuple[float, float]], names: _Names) -> list[_Cut]:
    """A cut at every shot line; before the first, the establishing wide."""
    cuts: list[_Cut] = []
    recent: list[str] = []  # who acted or spoke last, latest first: the eyes of 'KEYHOLE POV', the 'his' of 'ON HIS SHOES'
    for beat, (start, _) in zip(script_scene.beats, places, strict=True):
        if isinstance(beat, ShotLine):
            reading = read_shot_line(beat, names, recent)
            if not cuts and start > 0:
                cuts.append(_Cut(0.0, ShotReading(description="establishing")))
            cuts.append(_Cut(start, reading, scripted=True))
            recent[:0] = [s for s in reading.subjects if not names.is_thing(s)]
        elif isinstance(beat, Speech) and beat.speaker:
            recent[:0] = names.resolve(beat.speaker, recent)[:1] or [i for i in names.cast if names.cast[i].name == beat.speaker][:1]
        elif isinstance(beat, Action):
            recent[:0] = [i for i in names.resolve(beat.text, recent) if not names.is_thing(i)][:1]
    return cuts


def _default_cuts(scene: Scene, script_scene: ScriptScene, places: list[tuple[float, float]]) -> list[_Cut]:
    """An establishing wide, then a medium on the visible speaker during each line, a follow on whoever
    moves during an action, a medium on whoever acts, the wide otherwise."""
    cuts = [_Cut(0.0, ShotReading(description="establishing wide (default coverage)"))]
    lines = iter(scene.dialogue)
    for beat, (start, end) in zip(script_scene.beats, places, strict=True):
        reading = None
        if isinstance(beat, Speech):
            line = next(lines, None)
            if line is not None and line.speaker in scene.entities:
                reading = ShotReading(size="medium", subjects=(line.speaker,), description=f"medium on {line.speaker} (default coverage)")
        elif isinstance(beat, Action) and end > start:
            mover = next((m.entity for m in scene.motions if _overlaps(m.start, m.end, start, end, scene.duration) and not (m.start is None and m.end is None)), None)
            actor = next(
                (r.subject for r in scene.relations if r.start is not None and _overlaps(r.start, r.end, start, end, scene.duration)), None
            )
            if mover is not None:
                reading = ShotReading(size="full", move=CameraMove(kind="follow", target=mover), subjects=(mover,), description=f"follow {mover} (default coverage)")
            elif actor is not None:
                reading = ShotReading(size="medium", subjects=(actor,), description=f"medium on {actor} (default coverage)")
        if reading is None or end <= start:
            continue
        at = max(start, ESTABLISHING_SECONDS) if len(cuts) == 1 else start
        if at < end:
            cuts.append(_Cut(at, reading))
    return cuts


def _kept_in_frame(scene: Scene, shot: Shot) -> Shot:
    """`shot`, following its one subject if a still camera would lose it: the subject's middle leaves the
    frame while the scene still shows it (a walk and talk; "ANGLE ON Edward" as he crosses the room). A camera
    operator pans with whoever the shot is on; a shot that moves of its own accord is left as it is."""
    if shot.move.kind != "static" or len(shot.subjects) != 1 or shot.size in ("wide", "extreme_wide") or shot.pov is not None:
        return shot
    (subject,) = shot.subjects
    instants = [shot.start] + [frame.t for frame in scene.layouts if shot.start < frame.t < shot.end] + [shot.end]
    view = shot_view(scene, shot, shot.start)  # a still camera: the same view throughout
    for t in instants:
        box = scene.layout_at(t).get(subject)
        if box is not None and not 0 <= (view.whole_box(box)[0] + view.whole_box(box)[2]) / 2 <= 1:  # x0 and x1 in frame units
            return shot.model_copy(update={"move": CameraMove(kind="follow", target=subject)})
    return shot


def _overlaps(a0: float | None, a1: float | None, b0: float, b1: float, duration: float) -> bool:
    a0 = 0.0 if a0 is None else a0
    a1 = duration if a1 is None else a1
    return a0 < b1 and b0 < a1


def _same_framing(a: ShotReading, b: ShotReading) -> bool:
    return (a.size, a.angle, a.pov, a.move, a.subjects) == (b.size, b.angle, b.pov, b.move, b.subjects)


def _timed_shots(cuts: list[_Cut], duration: float, fps: int) -> list[Shot]:
    """Shots from cut points: each lasts until the next, starts on a frame, and is at least
    `MIN_SHOT_SECONDS` long (a cut sooner than that after the last moves later; one with no room is
    dropped, and two neighbours that frame alike are one shot)."""
    if not cuts:
        return []
    kept: list[_Cut] = []
    for cut in sorted(cuts, key=lambda c: c.start):  # stable: lines at one instant keep their order
        start = round(round(cut.start * fps) / fps, 6)
        if len(kept) > 1 and abs(start - kept[-1].start) < 1e-6:
            kept.pop()  # two shot lines at one instant: the first shows nothing before the second replaces it
        if kept:
            start = max(start, round(round((kept[-1].start + MIN_SHOT_SECONDS) * fps) / fps, 6))
        if kept and start > duration - MIN_SHOT_SECONDS + 1e-9:
            continue
        if kept and not cut.scripted and _same_framing(kept[-1].reading, cut.reading):
            continue
        kept.append(_Cut(0.0 if not kept else start, cut.reading, cut.scripted))
    shots = []
    for k, cut in enumerate(kept):
        end = kept[k + 1].start if k + 1 < len(kept) else duration
        r = cut.reading
        shots.append(
            Shot(id=f"shot_{k + 1}", start=cut.start, end=end, size=r.size, angle=r.angle, pov=r.pov, move=r.move, subjects=list(r.subjects), description=r.description)  # type: ignore[arg-type]
        )
    return shots


# -- nouns the shots frame -------------------------------------------------------------------------------


def framed_nouns(script: Script, known: Mapping[str, str]) -> dict[str, str]:
    """Things the script's shot lines frame that a reader's lexicon (`known`, noun -> category) lacks:
    'CLOSE ON the key' makes 'key' a thing (its own category), so the key is cast and the shot can frame it.
    Only what a shot heading frames with a determiner counts ('CLOSE ON the key', 'ON HIS SHOES'); a name, or
    a heading that is its own subject ('.THE MAZDA'), is the cast reader's to find."""
    names = {w.lower() for c in script.characters for w in c.split()}
    found: dict[str, str] = {}
    for scene in script.scenes:
        for line in scene.shot_lines:
            if not line.shows or len(line.shows) >= len(line.text.rstrip(",.")):
                continue  # a heading that is its own subject ('.THE MAZDA'): a name as often as a noun; the reader's
            words = re.findall(r"[A-Za-z'’-]+", framed_phrase(line))
            if len(words) < 2 or words[0].lower() not in _DETERMINERS or any("'" in w or "’" in w for w in words):
                continue
            head = _singular(words[-1].lower())
            if head.isalpha() and head.isascii() and head not in known and head not in names and len(head) > 2:
                found[head] = head
    return found
