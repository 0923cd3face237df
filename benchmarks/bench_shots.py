"""Shot benchmark: shot directions in public screenplays and prose, annotated by hand, against what the planner reads.

    python benchmarks/bench_screenplays.py --fetch        # once: the screenplays not committed here
    python benchmarks/bench_shots.py                      # rules planner (default coverage), every annotated text
    python benchmarks/bench_shots.py --only big_fish --failures
    python benchmarks/bench_shots.py --coverage none      # the same; coverage only adds shots where the script names none
    python benchmarks/bench_shots.py --shot-stage model   # then the LLM planner's shot stage (embedded SmolLM2) on the draft

Each `screenplays/<name>.shots.json` lists the shot directions of one text,
found by reading all of it (not by running the reader): every line or
sentence that tells the camera what to frame or how to move, as written.
That is shot headings ("ANGLE ON Edward", "CLOSE ON the license plates", "ON
HIS SHOES", "INSERT:", "TIGHT ON", "SINGLE SHOT:", ".SNIPER SCOPE POV"),
secondary headings that set up a new shot inside a scene ("UNDER THE TABLE",
".AT THE DOOR", ".THE MAZDA" / "begins to roll"; one right after a transition
or naming a new place is a scene, not a shot), camera moves ("We PUSH IN on",
"we PULL BACK", "We TILT UP", "we CRANE UP", "We CIRCLE", "MOVING UP behind",
"We STAY WITH Edward") and angles ("From a very LOW ANGLE"), and in prose the
same in ordinary words ("The camera pans right", "A close-up of his hands").
Not shot directions: narration ("we see", "we hear", "we watch"), staging
against the frame ("EXITS FRAME", "TOWARDS CAMERA"), editing (transitions,
FREEZE FRAME, MONTAGE, INTERCUT), and CAPS emphasis inside a sentence ("grabbing
hold of / THE BEAST."). Cases a careful reader could take either way are listed
as `optional`: found or not, they count neither way. Size, angle, POV, move,
direction and subjects are annotated only where the words say them.

What is scored (goals in brackets):

- **detection** (precision and recall at least 0.9): the script's shot lines
  (`director.script.ShotLine`) against the annotations, matched in reading
  order by their text (one contains the other, ignoring case and marks).
- **in the storyboard** (recall): annotated directions that are a shot of
  the planned storyboard (a shot line given no time of its own by the
  script, two at one instant, is replaced by the next).
- **attributes**: of the matched shots, how many have the annotated size,
  angle, POV, move (kind), direction and subjects (each annotated name is
  one of the shot's subjects).
- **shot words cast** (0): cast entries named by a camera word (ANGLE, CLOSE,
  POV, SHOT, WIDE, INSERT, PAN, TRACKING ...) or by the words of a POV
  heading ("Sniper Scope").
- **subjects in frame** (1.00): every shot of the storyboard that frames
  subjects (scripted or default coverage), at five instants from its cut in
  to its cut out: of the instants where a subject is in the scene, the share
  where one is in the frame (`director.camera.frame_boxes`). A still medium
  on someone who walks out of it scores below 1.

`screenplays/shots_prose.txt` is written for this benchmark (the prose path);
the screenplays are the public ones of `bench_screenplays.py`. The shot-line
vocabulary was written while reading these screenplays, so the numbers are a
development set, not a held-out one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import director.script as script_module  # noqa: E402
from bench_screenplays import SCREENPLAYS, manifest, norm, screenplay_path  # noqa: E402
from director.camera import frame_boxes  # noqa: E402
from director.planner import PlanOptions  # noqa: E402
from director.script import read_script  # noqa: E402
from planners.rules import RulesPlanner  # noqa: E402

CAMERA_WORDS = frozenset(
    """angle angles close closer closeup cu ecu xcu mcu insert pov wide wider shot shots pan pans panning tilt tilts
    zoom zooms dolly tracking establishing reverse ots steadicam handheld aerial overhead framing""".split()
)
"""Words no cast member is named by (truck and crane are also things; they are left out)."""
ATTRIBUTES = ("size", "angle", "pov", "move", "direction", "subjects")


def annotated() -> list[tuple[str, Path, dict]]:
    """(name, text file, annotation) for every `*.shots.json`, in a fixed order."""
    files = {entry["name"]: screenplay_path(entry) for entry in manifest()}
    out = []
    for path in sorted(SCREENPLAYS.glob("*.shots.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        name = data["screenplay"]
        text = files.get(name) or next(SCREENPLAYS.glob(f"{name}.txt"), None)
        out.append((name, text, data))
    return out


def key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.casefold().replace("’", "'")))


def same_direction(annotation: str, line: str) -> bool:
    a, b = key(annotation), key(line)
    return bool(a) and bool(b) and (a in b or b in a)


def match_in_order(wanted: list[dict], found: list[tuple[int, object]]) -> dict[int, int]:
    """annotation index -> index into `found`, greedily in reading order (each used once)."""
    matches, start = {}, 0
    for i, item in enumerate(wanted):
        for j in range(start, len(found)):
            if same_direction(item["text"], found[j][1].text):
                matches[i] = j
                start = j + 1
                break
    return matches


def camera_named(entity, pov_words: set[str]) -> bool:
    words = set(key(entity.name).replace("-", " ").split()) | set(entity.id.split("_"))
    return bool(words & CAMERA_WORDS) or key(entity.name) in pov_words


def ask_shot_stage(board, script, policy: str, threads: int | None) -> tuple[object, int]:
    """The draft's shots after the LLM planner's shot stage alone (the embedded model, `policy` for the
    shot stage), and how many calls it made: the other stages are not run, so only the shots differ."""
    from planners.llm import LLMPlanner, PlanRun

    planner = LLMPlanner(policy={"shots": policy}, n_threads=threads)
    run = PlanRun(planner, script, PlanOptions(fps=board.fps, width=board.width, height=board.height))
    run.cast = {e.id: e for e in board.entities}
    scenes = [run._shots(scene, script_scene) for scene, script_scene in zip(board.scenes, script.scenes, strict=True)]
    return board.model_copy(update={"scenes": scenes}), run.report.calls["shots"]


def run_one(name: str, path: Path, data: dict, coverage: str, shot_stage: str | None = None, threads: int | None = None) -> dict:
    script = read_script(path)
    shot_line = getattr(script_module, "ShotLine", None)  # absent before issue 16: nothing is detected
    found = [(k, b) for k, scene in enumerate(script.scenes) for b in scene.beats if shot_line and isinstance(b, shot_line)]
    shots, optional = data["shots"], data.get("optional", [])
    matched = match_in_order(shots, found)
    used = set(matched.values())
    optional_hits = {j for j, (_, b) in enumerate(found) if j not in used and any(same_direction(o["text"], b.text) for o in optional)}
    false = [b.text for j, (_, b) in enumerate(found) if j not in used and j not in optional_hits]
    started = time.perf_counter()
    planner = RulesPlanner(coverage=coverage) if "coverage" in RulesPlanner.__init__.__code__.co_varnames else RulesPlanner()
    board = planner.plan(script)
    calls = 0
    if shot_stage is not None:
        board, calls = ask_shot_stage(board, script, shot_stage, threads)
    seconds = time.perf_counter() - started
    cast = {e.id: e for e in board.entities}
    pov_words = {key(re.sub(r"\bPOV\b.*", "", b.text)) for _, b in found if "POV" in b.text.upper()} - {""}
    pov_words |= {key(re.sub(r"\bPOV\b.*", "", o["text"])) for o in shots if "POV" in o["text"].upper()} - {""}
    cast_words = sorted(e.name for e in board.entities if camera_named(e, pov_words))
    kept, right, asked, misses = 0, dict.fromkeys(ATTRIBUTES, 0), dict.fromkeys(ATTRIBUTES, 0), []
    for i, item in enumerate(shots):
        if i not in matched:
            misses.append(f"missed: {item['text']!r} (line {item['line']})")
            continue
        k, line = found[matched[i]]
        shot = next((s for s in getattr(board.scenes[k], "shots", []) if s.description == line.text), None)
        if shot is None:
            misses.append(f"not in the storyboard: {line.text!r}")
            continue
        kept += 1
        for attribute in ATTRIBUTES:
            if attribute not in item:
                continue
            asked[attribute] += 1
            if _attribute_right(attribute, item, shot, cast):
                right[attribute] += 1
            else:
                misses.append(f"{attribute} of {line.text[:50]!r}: wanted {item[attribute]}, got {_attribute(attribute, shot, cast)}")
    in_frame = subjects_in_frame(board)
    return {
        "name": name,
        "in_frame": in_frame,
        "annotated": len(shots),
        "detected": len(found),
        "matched": len(matched),
        "false": false,
        "kept": kept,
        "right": right,
        "asked": asked,
        "cast_words": cast_words,
        "scenes": len(board.scenes),
        "seconds": round(seconds, 1),
        "calls": calls,
        "misses": misses,
    }


def subjects_in_frame(board, instants: int = 5) -> tuple[int, int]:
    """(instants with a subject in frame, instants with a subject in the scene), over every shot that frames
    subjects, `instants` a shot from its cut in to just before its cut out."""
    kept = present = 0
    for scene in board.scenes:
        for shot in scene.cut:
            if not shot.subjects or shot.size in ("wide", "extreme_wide"):
                continue
            for k in range(instants):
                t = shot.start + (shot.end - shot.start) * min(k / (instants - 1), 0.999)
                there = [s for s in shot.subjects if s in scene.layout_at(t) and s != shot.pov]
                if there:
                    present += 1
                    kept += any(s in frame_boxes(scene, shot, t) for s in there)
    return kept, present


def _attribute(attribute: str, shot, cast) -> object:
    if attribute == "move":
        return shot.move.kind
    if attribute == "direction":
        return shot.move.direction
    if attribute == "subjects":
        return [cast[s].name for s in shot.subjects if s in cast]
    if attribute == "pov":
        return cast[shot.pov].name if shot.pov in cast else None
    return getattr(shot, attribute)


def _attribute_right(attribute: str, item: dict, shot, cast) -> bool:
    got = _attribute(attribute, shot, cast)
    if attribute == "subjects":
        names = [norm(n) for n in got]
        return all(any(norm(w) in n.split() or norm(w) == n for n in names) for w in item["subjects"])
    if attribute == "pov":
        return got is not None and norm(item["pov"]) in norm(got).split()
    return got == item[attribute]


def table(results: list[dict]) -> str:
    rows = [
        "| text | annotated | detected | precision | recall | in the storyboard | size | angle | pov | move | direction | subjects | shot words cast | subjects in frame | plan s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    total = {"annotated": 0, "detected": 0, "matched": 0, "false": 0, "kept": 0, "cast": 0, "seconds": 0.0, "framed": 0, "framing": 0}
    right, asked = dict.fromkeys(ATTRIBUTES, 0), dict.fromkeys(ATTRIBUTES, 0)
    for r in results:
        counted = r["matched"] + len(r["false"])
        rows.append(
            f"| {r['name']} | {r['annotated']} | {r['detected']} | {_ratio(r['matched'], counted)} | {_ratio(r['matched'], r['annotated'])} "
            f"| {_ratio(r['kept'], r['annotated'])} | "
            + " | ".join(_ratio(r["right"][a], r["asked"][a]) for a in ATTRIBUTES)
            + f" | {len(r['cast_words'])} | {_ratio(*r['in_frame'])} | {r['seconds']} |"
        )
        total["framed"] += r["in_frame"][0]
        total["framing"] += r["in_frame"][1]
        for name, value in (("annotated", r["annotated"]), ("detected", r["detected"]), ("matched", r["matched"]), ("false", len(r["false"])), ("kept", r["kept"]), ("cast", len(r["cast_words"]))):
            total[name] += value
        total["seconds"] += r["seconds"]
        for a in ATTRIBUTES:
            right[a] += r["right"][a]
            asked[a] += r["asked"][a]
    rows.append(
        f"| **all** | {total['annotated']} | {total['detected']} | {_ratio(total['matched'], total['matched'] + total['false'])} "
        f"| {_ratio(total['matched'], total['annotated'])} | {_ratio(total['kept'], total['annotated'])} | "
        + " | ".join(_ratio(right[a], asked[a]) for a in ATTRIBUTES)
        + f" | {total['cast']} | {_ratio(total['framed'], total['framing'])} | {total['seconds']:.1f} |"
    )
    return "\n".join(rows)


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f} ({a}/{b})" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=None, help="text names (the `screenplay` of each *.shots.json)")
    parser.add_argument("--coverage", choices=["default", "none"], default="default")
    parser.add_argument("--shot-stage", choices=["fill", "model"], default=None, help="then run the LLM shot stage (embedded model) with this policy")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads for --shot-stage")
    parser.add_argument("--failures", action="store_true", help="list every miss and false detection")
    parser.add_argument("--json", type=Path, default=None, help="write the full results here")
    args = parser.parse_args()
    results = []
    for name, path, data in annotated():
        if args.only and name not in args.only:
            continue
        if path is None or not path.is_file():
            print(f"{name}: not here (python benchmarks/bench_screenplays.py --fetch)", file=sys.stderr)
            continue
        results.append(run_one(name, path, data, args.coverage, args.shot_stage, args.threads))
    print(table(results))
    if args.shot_stage:
        print(f"shot stage ({args.shot_stage}): {sum(r['calls'] for r in results)} model calls")
    if args.failures:
        for r in results:
            for line in r["misses"] + [f"false: {t!r}" for t in r["false"]] + [f"cast: {n!r}" for n in r["cast_words"]]:
                print(f"{r['name']}: {line}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
