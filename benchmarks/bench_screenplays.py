"""Screenplay benchmark: public Fountain screenplays, their cast and moves annotated by hand.

    python benchmarks/bench_screenplays.py --fetch                  # once: the screenplays not committed here
    python benchmarks/bench_screenplays.py                          # rules planner, every screenplay
    python benchmarks/bench_screenplays.py --planner llm --scenes 12   # the embedded LLM, first 12 scenes of each
    python benchmarks/bench_screenplays.py --only brick_and_steel --failures

The screenplays, where they come from and under which terms are in
`screenplays/manifest.json` and `screenplays/SOURCES.md`; each has a
`screenplays/<name>.cast.json` written by reading the script: its characters
(canonical name, every alias used in cues and action, kind, whether it is
ever on screen), groups (unnamed ones, which may be cast as any number of
entities, and groups of named members, which must resolve to them), props
that move, words that must not be cast (sound cues, camera directions,
emphasis, titles, people only mentioned), and action lines with the move a
reader should recover (who moves, and how: enters, exits, moves, or no
motion; with the frame side where the text says it).

What is scored on the planned storyboard (goals in brackets):

- **identities per character** (exactly 1): storyboard entities matched to
  each annotated character by name or id against its aliases
  (case-insensitive, ignoring punctuation, articles and an `_2` suffix; an
  entity named in lower case is no character known only by a cue in caps,
  and one matched only by a generic alias, 'dog' of 'black dog', is that
  character only in scenes that name it otherwise: see `match_entities`);
  only characters named in the planned scenes count. Reported: the mean, and
  how many got 0 or more than 1. Age words are part of a name ("OLD WOMAN"
  is not "WOMAN"; "YOUNG EDWARD" is an alias where the script says it), and a
  numbered member of an unnamed group ("soldier 2" of "two soldiers") matches
  only its own name, not a character called SOLDIER.
- **phantom people** (0): cast entries of a person category (person, child)
  that are no annotated character, unnamed group or prop, and no unnamed
  extra. Issue 14's phantoms are things that are not people in the script
  (sound cues, camera directions, brands, narration's proper nouns).
- **unnamed extras** (reported, no goal): the people the script writes as
  common nouns and the annotation does not list one by one ("a woman", "two
  soldiers", "the full stranger"): unmatched person entries the storyboard
  names in lower case, whose words (the head noun singular or plural) a
  scene they stand in writes in lower case (a capital that only starts a
  sentence counts as lower case: "Men shake his hand."). They are on screen, so they are
  not phantoms; before 2026-12-01's cast pass they were counted as phantoms.
- **not cast** (0): cast entries named by a word the annotation says is no
  character (BANG, CLOSE ON, a brand).
- **wrong kinds** (0): matched entities whose category is not the
  character's kind (a person may be `person` or `child`).
- **off-screen in frame** (0): characters who are only ever heard (V.O.,
  phone voices) but stand in a scene.
- **motions**: each annotated action line is found in its scene (by its
  text); a line with a move is recovered when a motion of the scene belongs
  to one of the mover's entities, has the right kind (enters / exits / any
  move) and, where annotated, the right side of the frame; a "none" line is
  right when the scene moves nobody of that subject. Accuracy over all
  annotated lines, and recall over the moving ones.

`--failures` lists every miss. `--json FILE` writes the full results.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENPLAYS = Path(__file__).resolve().parent / "screenplays"
FETCHED = SCREENPLAYS / "fetched"
PEOPLE_CATEGORIES = {"person", "child"}
KIND_CATEGORIES = {"person": {"person", "child"}}
"""Storyboard categories that count as the annotated kind (others must be equal)."""
ARTICLES = re.compile(r"^(?:the|a|an|his|her|their) ")
"""Determiners left out when names are compared. Age words are not ('old woman' is no 'woman', 'YOUNG
EDWARD' is listed among Edward's aliases where the script says it)."""
MEMBER_NUMBER = re.compile(r" \d+$")
"""'soldier 2': the planner's name for one member of a group of unnamed people ('two soldiers')."""


# -- the screenplays ---------------------------------------------------------------------------------------


def manifest() -> list[dict]:
    return json.loads((SCREENPLAYS / "manifest.json").read_text(encoding="utf-8"))["screenplays"]


def screenplay_path(entry: dict) -> Path:
    return (SCREENPLAYS if entry["committed"] else FETCHED) / entry["file"]


def fetch(mirrors: list[Path]) -> None:
    """Copy the screenplays that are not committed: from a local git mirror of their repository at the
    recorded commit, or from GitHub's raw file service; each is checked against its SHA-256."""
    FETCHED.mkdir(parents=True, exist_ok=True)
    for entry in manifest():
        if entry["committed"]:
            continue
        target = screenplay_path(entry)
        if target.is_file() and _sha256(target.read_bytes()) == entry["sha256"]:
            print(f"{entry['name']}: already here")
            continue
        data = None
        for mirror in mirrors:
            result = subprocess.run(
                ["git", "--git-dir", str(mirror), "show", f"{entry['commit']}:{entry['path']}"], capture_output=True
            )
            if result.returncode == 0:
                data = result.stdout
                break
        if data is None:
            url = f"https://raw.githubusercontent.com/{entry['repo']}/{entry['commit']}/{entry['path']}"
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    data = response.read()
            except OSError as e:
                raise SystemExit(f"{entry['name']}: cannot fetch {url} ({e}); pass --mirror with a clone of {entry['repo']}")
        if _sha256(data) != entry["sha256"]:
            raise SystemExit(f"{entry['name']}: the fetched file's SHA-256 is not the recorded one")
        target.write_bytes(data)
        print(f"{entry['name']}: {len(data)} bytes -> {target.relative_to(ROOT)}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- matching storyboard entities to annotated characters --------------------------------------------------


def norm(text: str) -> str:
    """'Dr. Ross' -> 'dr ross'; 'the Guru' -> 'guru'; 'cyber_bob_2' -> 'cyber bob 2'."""
    text = re.sub(r"[*_]+", " ", text.casefold())
    text = " ".join(re.findall(r"[^\W_]+", text))
    while ARTICLES.match(text):
        text = ARTICLES.sub("", text, count=1)
    return text


def entity_keys(entity) -> set[str]:
    """The names an entity answers to: its name, and its id with and without a `_2` suffix (a second
    entity of the same name). A member of an unnamed group ('soldier 2' of 'two soldiers') answers
    only to its own name: it is not the character SOLDIER."""
    if MEMBER_NUMBER.search(entity.name):
        return {norm(entity.name)} - {""}
    base_id = re.sub(r"_\d+$", "", entity.id)
    return {norm(entity.name), norm(entity.id), norm(base_id)} - {""}


def plurals(word: str) -> set[str]:
    """'soldier' -> soldiers; 'woman' -> women; 'lady' -> ladies; 'person' -> people (English's regular
    plurals and the irregular ones of people nouns)."""
    irregular = {"person": "people", "child": "children", "man": "men", "woman": "women"}
    found = {word + "s", word + "es", word[:-1] + "ies" if word.endswith("y") else word + "s"}
    if word in irregular:
        found.add(irregular[word])
    if word.endswith(("man", "woman")) and word not in irregular:
        found.add(word[:-3] + "men")
    return found


def unnamed_extra(entity, scene_texts: list[str]) -> bool:
    """A person the script writes as a common noun phrase ('a woman', 'two soldiers', 'the full
    stranger'): the storyboard names it in lower case, and the action of a scene it stands in writes
    those words in lower case (the head noun singular or plural; a capital that only starts a sentence,
    'Men shake his hand.', is lower case). Such people are on screen, not phantoms."""
    name = MEMBER_NUMBER.sub("", entity.name)
    if not name or name != name.lower():
        return False
    words = name.split()
    forms = "|".join(re.escape(w) for w in {words[-1], *plurals(words[-1])})
    pattern = re.compile(r"\b" + r"\W+".join([*(re.escape(w) for w in words[:-1]), f"(?:{forms})"]) + r"\b")
    return any(pattern.search(SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).lower(), text)) for text in scene_texts)


SENTENCE_START = re.compile(r"(^|[.!?]\s+)([A-Z])(?=[a-z])")


@dataclasses.dataclass
class Character:
    name: str
    aliases: set[str]
    kind: str
    on_screen: bool
    group: bool
    cue_only: bool = False  # every alias is written in caps, as a cue ("THE MAN")
    key: str = ""  # the name, compared as aliases are

    @classmethod
    def from_annotation(cls, data: dict, group: bool = False) -> Character:
        aliases = {norm(a) for a in [data["name"], *data.get("aliases", [])]} - {""}
        cue_only = bool(data.get("aliases")) and all(a.isupper() for a in data["aliases"])
        return cls(data["name"], aliases, data.get("kind", "person"), data.get("on_screen", True), group, cue_only, norm(data["name"]))

    def named_in(self, text: str) -> bool:
        return any(re.search(rf"\b{re.escape(a)}\b", text) for a in self.aliases)

    @property
    def generic(self) -> set[str]:
        """One-word aliases, other than the name, that end a longer alias of the same character: 'dog' of
        'massive black dog' (not 'guru' of the Guru, also a 'wizard guru')."""
        return {a for a in self.aliases if " " not in a and a != self.key and any(b.endswith(" " + a) for b in self.aliases)}

    def specifically_named_in(self, text: str) -> bool:
        return any(re.search(rf"\b{re.escape(a)}\b", text) for a in self.aliases - self.generic)


def match_entities(board, characters: list[Character]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """character name -> entity ids, and entity id -> character name, for the entities that match.

    Two rules keep a common noun from standing for a character it does not mean:
    - an entity the storyboard names in lower case ('man') where its scenes only write it so ('a man is
      coming at her') is no character whose every alias is a cue in caps ('THE MAN');
    - an entity matched only by a character's generic alias ('dog', where the character is also 'black
      dog') is that character only in scenes that name it by another alias ('the massive black dog ...
      the dog'); elsewhere ('Edward carries a dog out of a burning house') it is some other dog."""
    by_character: dict[str, list[str]] = {c.name: [] for c in characters}
    owner: dict[str, str] = {}
    texts: dict[str, list[str]] = {e.id: [] for e in board.entities}  # what each entity's scenes write, as written
    for scene in board.scenes:
        text = scene.heading + " " + scene.description + " " + " ".join(line.speaker or "" for line in scene.dialogue)
        for entity_id in {*scene.entities, *(line.speaker for line in scene.dialogue if line.speaker)}:
            texts.setdefault(entity_id, []).append(text)
    for entity in board.entities:
        keys = entity_keys(entity)
        if MEMBER_NUMBER.search(entity.name):  # 'farmer 2' is one of the group FARMERS
            base = norm(MEMBER_NUMBER.sub("", entity.name))
            members_of = {base, *plurals(base)} if base else set()
        else:
            members_of = set()
        # 'a man is coming at her': a man written in lower case only, wherever this one stands
        shouted = re.compile(rf"\b{re.escape(entity.name.upper())}\b")
        lower = entity.name == entity.name.lower() and not any(shouted.search(text) for text in texts[entity.id])
        for character in characters:
            shared = keys & character.aliases
            if not shared and not (character.group and members_of & character.aliases):
                continue
            if shared and lower and character.cue_only:
                continue
            if shared and shared <= character.generic and not any(character.specifically_named_in(norm(text)) for text in texts[entity.id]):
                continue
            by_character[character.name].append(entity.id)
            owner[entity.id] = character.name
            break
    return by_character, owner


# -- scoring one screenplay --------------------------------------------------------------------------------


def text_key(text: str) -> str:
    return " ".join(re.sub(r"[*_]", "", text).casefold().split())


def horizontal_or_vertical_match(expected: str | None, got: str | None) -> bool:
    """'left' matches left, upper_left and lower_left; a full region matches only itself."""
    if expected is None:
        return True
    if got is None:
        return False
    return expected == got or expected in got.split("_")


def score(board, annotation: dict, planned_text: str) -> dict:
    characters = [Character.from_annotation(c) for c in annotation["characters"]]
    # Unnamed groups ("the crowd", "SEVEN CHIHUAHUAS") and props may be cast, as any number of entities;
    # a group of named members ("THE BOY BAND, AKA DAN and JACK") must resolve to them, so it is no match.
    extras = [Character.from_annotation(g, group=True) for g in annotation.get("groups", []) if not g.get("members")]
    extras += [Character.from_annotation(p, group=True) for p in annotation.get("props", [])]
    by_character, owner = match_entities(board, characters + extras)
    cast = {e.id: e for e in board.entities}
    failures: list[str] = []

    expected = [c for c in characters if c.named_in(planned_text)]
    counts = {c.name: len(by_character[c.name]) for c in expected}
    for c in expected:
        if counts[c.name] != 1:
            failures.append(f"identities: {c.name} -> {by_character[c.name] or 'none'}")

    unmatched = [e for e in board.entities if e.category in PEOPLE_CATEGORIES and e.id not in owner]
    texts_of = {e.id: [s.description for s in board.scenes if e.id in s.entities] for e in unmatched}
    unnamed = [e.id for e in unmatched if unnamed_extra(e, texts_of[e.id])]
    phantoms = [e.id for e in unmatched if e.id not in unnamed]
    failures += [f"phantom person: {i} ({cast[i].name!r})" for i in phantoms]

    banned = {norm(w) for w in annotation.get("not_cast", [])} - {""}
    not_cast = [e.id for e in board.entities if entity_keys(e) & banned]
    failures += [f"not a character, but cast: {i} ({cast[i].name!r}, {cast[i].category})" for i in not_cast]

    wrong_kinds = []
    for c in characters + extras:
        allowed = KIND_CATEGORIES.get(c.kind, {c.kind})
        for entity_id in by_character[c.name]:
            if cast[entity_id].category not in allowed:
                wrong_kinds.append(entity_id)
                failures.append(f"wrong kind: {entity_id} is a {cast[entity_id].category}, {c.name} is a {c.kind}")

    present = {i for scene in board.scenes for i in scene.entities}
    off_screen = [c.name for c in characters if not c.on_screen and set(by_character[c.name]) & present]
    failures += [f"off-screen character in frame: {name}" for name in off_screen]

    motion = score_motions(board, annotation.get("motions", []), by_character, failures)
    return {
        "characters": len(expected),
        "identities": counts,
        "zero": sum(1 for n in counts.values() if n == 0),
        "many": sum(1 for n in counts.values() if n > 1),
        "phantoms": phantoms,
        "extras": unnamed,
        "not_cast": not_cast,
        "wrong_kinds": wrong_kinds,
        "off_screen": off_screen,
        "cast_size": len(board.entities),
        **motion,
        "failures": failures,
    }


def score_motions(board, lines: list[dict], by_character: dict[str, list[str]], failures: list[str]) -> dict:
    scenes = [(text_key(s.description), s) for s in board.scenes]
    result = {"motion_lines": 0, "moving_lines": 0, "recovered": 0, "right_none": 0, "unplanned_lines": 0}
    for line in lines:
        key = text_key(line["text"])
        candidates = [s for description, s in scenes if key in description]
        if line.get("heading"):
            same = [s for s in candidates if text_key(s.heading) == text_key(line["heading"])]
            candidates = same or candidates
        if not candidates:
            result["unplanned_lines"] += 1
            continue
        scene = candidates[min(line.get("occurrence", 1), len(candidates)) - 1]
        result["motion_lines"] += 1
        ids = set(by_character.get(line["mover"], [])) if line.get("mover") else set()
        moves = [m for m in scene.motions if m.entity in ids]
        kind = line["motion"]
        if kind == "none":
            if moves:
                failures.append(f"motion: {line['text']!r}: nobody moves, but {_describe(moves)}")
            else:
                result["right_none"] += 1
            continue
        result["moving_lines"] += 1
        right = [
            m
            for m in moves
            if (kind == "moves" or (kind == "enters" and m.enters) or (kind == "exits" and m.exits))
            and horizontal_or_vertical_match(line.get("from"), m.origin)
            and horizontal_or_vertical_match(line.get("to"), m.path[-1] if m.path else None)
        ]
        if right:
            result["recovered"] += 1
        else:
            others = _describe(scene.motions) if scene.motions else "no motion at all"
            failures.append(f"motion: {line['text']!r}: expected {line['mover']} {kind} {line.get('from') or ''}->{line.get('to') or ''}; scene has {others}")
    return result


def _describe(motions) -> str:
    parts = []
    for m in motions:
        how = "enters" if m.enters else "exits" if m.exits else "moves"
        parts.append(f"{m.entity} {how} {m.origin or ''}->{'/'.join(m.path)}")
    return ", ".join(parts)


# -- running ---------------------------------------------------------------------------------------------


def make_planner(name: str, threads: int | None):
    if name == "rules":
        from planners.rules import RulesPlanner

        return RulesPlanner()
    from planners.llm import LLMPlanner

    return LLMPlanner(n_threads=threads)


def run_one(entry: dict, args: argparse.Namespace) -> dict | None:
    from director.planner import PlanOptions
    from director.script import read_script

    path = screenplay_path(entry)
    if not path.is_file():
        print(f"{entry['name']}: missing {path.relative_to(ROOT)}; run with --fetch first", file=sys.stderr)
        return None
    annotation = json.loads((SCREENPLAYS / f"{entry['name']}.cast.json").read_text(encoding="utf-8"))
    script = read_script(path)
    if args.scenes is not None:
        script = dataclasses.replace(script, scenes=script.scenes[: args.scenes])
    planned_text = norm(
        " ".join(s.heading + " " + s.action_text + " " + " ".join(sp.speaker or "" for sp in s.speeches) for s in script.scenes)
    )
    planner = make_planner(args.planner, args.threads)
    started = time.perf_counter()
    try:
        board = planner.plan(script, PlanOptions())
    except Exception as e:  # a crash is a result here: report it and go on with the next screenplay
        return {"name": entry["name"], "scenes": len(script.scenes), "error": f"{type(e).__name__}: {e}"}
    seconds = time.perf_counter() - started
    return {"name": entry["name"], "scenes": len(script.scenes), "seconds": seconds, **score(board, annotation, planned_text)}


def table(results: list[dict]) -> str:
    rows = [
        "| screenplay | scenes | plan s | characters | identities/char (mean) | 0 ids | >1 ids | cast | phantom people | unnamed extras | not-cast cast | wrong kinds | off-screen in frame | motion lines | motion accuracy | moves recovered |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    total: dict[str, float] = {}
    for r in results:
        if "error" in r:
            rows.append(f"| {r['name']} | {r['scenes']} | crashed: {r['error'][:80]} |" + " |" * 13)
            continue
        ids = list(r["identities"].values())
        mean = sum(ids) / len(ids) if ids else float("nan")
        right = r["recovered"] + r["right_none"]
        rows.append(
            f"| {r['name']} | {r['scenes']} | {r['seconds']:.1f} | {r['characters']} | {mean:.2f} | {r['zero']} | {r['many']} | "
            f"{r['cast_size']} | {len(r['phantoms'])} | {len(r['extras'])} | {len(r['not_cast'])} | {len(r['wrong_kinds'])} | {len(r['off_screen'])} | "
            f"{r['motion_lines']} | {_pct(right, r['motion_lines'])} | {r['recovered']}/{r['moving_lines']} |"
        )
        for k in ("scenes", "seconds", "characters", "zero", "many", "cast_size", "motion_lines", "moving_lines", "recovered"):
            total[k] = total.get(k, 0) + r[k]
        total["right"] = total.get("right", 0) + right
        total["ids"] = total.get("ids", 0) + sum(ids)
        for k in ("phantoms", "extras", "not_cast", "wrong_kinds", "off_screen"):
            total[k] = total.get(k, 0) + len(r[k])
    crashed = sum(1 for r in results if "error" in r)
    if total:
        mean = total["ids"] / total["characters"] if total["characters"] else float("nan")
        label = f"**total** ({crashed} of {len(results)} crashed, not counted)" if crashed else "**total**"
        rows.append(
            f"| {label} | {total['scenes']:.0f} | {total['seconds']:.1f} | {total['characters']:.0f} | {mean:.2f} | {total['zero']:.0f} | "
            f"{total['many']:.0f} | {total['cast_size']:.0f} | {total['phantoms']:.0f} | {total['extras']:.0f} | {total['not_cast']:.0f} | {total['wrong_kinds']:.0f} | "
            f"{total['off_screen']:.0f} | {total['motion_lines']:.0f} | {_pct(total['right'], total['motion_lines'])} | "
            f"{total['recovered']:.0f}/{total['moving_lines']:.0f} |"
        )
    return "\n".join(rows)


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planner", choices=["rules", "llm"], default="rules")
    parser.add_argument("--scenes", type=int, default=None, help="plan only the first N scenes of each screenplay")
    parser.add_argument("--only", nargs="*", default=None, help="screenplay names (see screenplays/manifest.json)")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads for --planner llm")
    parser.add_argument("--failures", action="store_true", help="list every miss")
    parser.add_argument("--json", type=Path, default=None, help="write the full results here")
    parser.add_argument("--fetch", action="store_true", help="fetch the screenplays not committed here, then stop")
    parser.add_argument("--mirror", type=Path, action="append", default=[], help="a git directory to fetch from (repeatable)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.fetch:
        fetch(args.mirror)
        return
    entries = [e for e in manifest() if args.only is None or e["name"] in args.only]
    results = [r for r in (run_one(e, args) for e in entries) if r is not None]
    print(f"planner: {args.planner}" + (f", first {args.scenes} scenes" if args.scenes else ""))
    print()
    print(table(results))
    if args.failures:
        for r in results:
            print(f"\n### {r['name']}\n")
            for failure in r.get("failures", [r.get("error", "")]):
                print(f"- {failure}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
