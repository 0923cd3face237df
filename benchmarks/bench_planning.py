"""Planning time and peak memory of `director plan` on long inputs (issue 14's targets).

    python benchmarks/bench_planning.py                                  # rules, every case
    python benchmarks/bench_planning.py --planner llm --cases feature_20 paragraph_260k
    python benchmarks/bench_planning.py --timeout 120 --cases scenes_1000 scenes_5000

Each case runs `python -m director.cli plan INPUT OUT.json --planner P` in a
fresh process with a fresh cache folder (so an LLM plan is never a cache
hit), under `--timeout` CPU seconds (and `--wall-limit` wall seconds, for a
busy machine): a case that runs over is reported as "> N CPU s" and killed. CPU time and peak memory (peak resident set) are the
kernel's account of the finished process (`wait4`); for a killed one, the
peak is VmHWM read from /proc while it ran. Times include Python start-up
and imports; on a shared machine the CPU time is the steadier number.

Cases:

- `feature`: Big Fish (John August, 146 KB, 191 scenes; fetch it first with
  `python benchmarks/bench_screenplays.py --fetch`). `feature_N`: the text
  before its (N+1)th scene heading (N scenes, and the opening before the
  first heading), to project the whole screenplay (time x 191 / scenes) for a
  planner too slow to run it all.
- `paragraph_260k`: one generated paragraph of 260 KB of prose, no blank line
  (`paragraph_Nk` for N KB, to show how time grows with length).
  Goal: planned in linear time, or refused with exit 2.
- `scenes_1000`, `scenes_5000`: generated Fountain, each scene a heading, a
  character introduced in caps with an appositive, action with a move and a
  pronoun, and two lines of dialogue; a recurring cast of 12, and a new
  character every 5 scenes (who recurs after). Goal: linear (the 5,000
  take about 5x the 1,000). `scenes_N` works for any N.

On a shared machine wall time follows the load; the table has the load
average, and the CPU column is what a quiet machine would take.

Targets: the feature planned by the default planner in under 5 minutes on
2 cores, peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURE = Path(__file__).resolve().parent / "screenplays" / "fetched" / "big_fish.fountain"
FEATURE_SCENES = 191
"""Big Fish's scenes as the reader sees them: an opening and 190 headings."""
SCENE_HEADING = re.compile(r"^(?:INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[. ]|^\.[A-Z]", re.MULTILINE)

FIRST = ["Nora", "Sam", "Anna", "Ben", "Carl", "Mira", "Tom", "Ray", "Lena", "Omar", "Ida", "Jude"]
SYLLABLES = ["ka", "ri", "mo", "la", "ten", "vo", "shi", "dar", "lu", "pe", "zan", "or", "bel", "ix"]
APPOSITIVES = ["A tall woman in a grey coat", "A young sailor", "An old fisherman", "A girl of ten", "A nervous waiter"]
MOVES = [
    "walks from the left to the right",
    "runs toward the door",
    "enters from the right",
    "crosses to the window",
    "leaves to the left",
    "sits on the bench",
]
PLACES = ["KITCHEN", "PLATFORM", "HARBOUR", "FIELD", "OFFICE", "BARN", "STREET", "LIBRARY"]
PROSE = [
    "{a} walks from the left to the right while a small dog follows her.",
    "The dog chases a red ball across the yard and {b} laughs.",
    "Later {a} sits beside a tree and {b} reads a book under it.",
    "A black cat jumps onto the table, and it looks at the birds outside.",
    "Meanwhile {b} runs toward the river with two friends behind him.",
    "They stop at the bridge, and she points at a boat on the water.",
]


def new_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def generated_scenes(n: int, seed: int = 0, new_every: int = 5) -> str:
    """n Fountain scenes; a recurring cast of 12, and a new character introduced every `new_every` scenes
    (who then recurs too), so the cast grows with the screenplay as a series' does."""
    rng = random.Random(seed)
    parts = ["Title: Generated\nAuthor: bench_planning.py\n"]
    introduced: list[str] = []
    for k in range(1, n + 1):
        old = rng.choice(FIRST)
        if k % new_every == 1 or not introduced:
            new = f"{new_name(rng)} {new_name(rng)}"
            introduced.append(new)
        else:
            new = rng.choice(introduced)
        parts.append(f"{rng.choice(['INT.', 'EXT.'])} {rng.choice(PLACES)} {k} - {rng.choice(['DAY', 'NIGHT'])}\n")
        parts.append(f"{rng.choice(APPOSITIVES)}, {new.upper()} ({rng.randint(8, 80)}), {rng.choice(MOVES)}. {old} watches. She {rng.choice(MOVES)}.\n")
        parts.append(f"{old.upper()}\nWhere have you been, {new.split()[0]}?\n")
        parts.append(f"{new.upper()} (CONT'D)\nAway. Far away.\n")
    return "\n".join(parts)


def generated_paragraph(size: int, seed: int = 0) -> str:
    """One paragraph of prose (no blank line) of `size` bytes, with named people and animals."""
    rng = random.Random(seed)
    sentences, total = [], 0
    while total < size:
        sentence = rng.choice(PROSE).format(a=rng.choice(FIRST), b=rng.choice(FIRST))
        sentences.append(sentence)
        total += len(sentence) + 1
    return " ".join(sentences)[:size].rsplit(" ", 1)[0] + "\n"


def first_scenes(text: str, n: int) -> str:
    """The screenplay cut before its (n+1)th scene heading."""
    headings = list(SCENE_HEADING.finditer(text))
    return text if len(headings) <= n else text[: headings[n].start()]


def case_input(name: str, folder: Path) -> tuple[Path, int | None]:
    """The input file of a case, and its scene count when known."""
    if name == "feature" or name.startswith("feature_"):
        if not FEATURE.is_file():
            raise SystemExit(f"{FEATURE} is missing: run `python benchmarks/bench_screenplays.py --fetch` first")
        text = FEATURE.read_text(encoding="utf-8")
        n = FEATURE_SCENES if name == "feature" else int(name.split("_")[1])
        path = folder / f"{name}.fountain"
        path.write_text(first_scenes(text, n), encoding="utf-8")
        return path, scene_count(path)
    match = re.fullmatch(r"paragraph_(\d+)k", name)
    if match:  # paragraph_260k, and smaller or larger ones to show how time grows with length
        path = folder / f"{name}.txt"
        path.write_text(generated_paragraph(int(match.group(1)) * 1000), encoding="utf-8")
        return path, None
    match = re.fullmatch(r"scenes_(\d+)", name)
    if match:
        n = int(match.group(1))
        path = folder / f"{name}.fountain"
        path.write_text(generated_scenes(n), encoding="utf-8")
        return path, n
    raise SystemExit(f"unknown case {name}")


def scene_count(path: Path) -> int:
    """Scenes as the reader sees them (Big Fish opens with a scene before its first heading)."""
    sys.path.insert(0, str(ROOT))
    from director.script import read_script

    return len(read_script(path).scenes)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (its /proc stat), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_case(name: str, planner: str, timeout: float, wall_limit: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, scenes = case_input(name, folder)
        command = [sys.executable, "-m", "director.cli", "plan", str(path), "--output", str(folder / "board.json"), "--planner", planner, "--cache-dir", str(folder / "cache")]
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        started = time.perf_counter()
        log = (folder / "stderr.txt").open("w+", encoding="utf-8")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        peak, cpu = 0.0, None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:  # finished: the kernel's own account of its CPU time and peak resident set
                process.returncode = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                peak = max(peak, usage.ru_maxrss / 1024)
                break
            peak = max(peak, peak_rss_mb(process.pid) or 0.0)
            used, waited = cpu_seconds(process.pid), time.perf_counter() - started
            if used > timeout or waited > wall_limit:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                over = f"> {timeout:.0f} CPU s" if used > timeout else f"> {wall_limit:.0f} s wall ({used:.0f} CPU s)"
                return {"case": name, "bytes": path.stat().st_size, "scenes": scenes, "result": over, "seconds": None, "cpu": None, "peak_mb": peak}
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        log.seek(0)
        stderr = log.read()
        log.close()
        if process.returncode == 0:
            result = "planned"
        elif process.returncode == 2:
            result = "refused (exit 2): " + " ".join(stderr.split())[:120]
        else:
            result = f"exit {process.returncode}: " + " ".join(stderr.split())[-160:]
        return {"case": name, "bytes": path.stat().st_size, "scenes": scenes, "result": result, "seconds": seconds, "cpu": cpu, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planner", default="rules", choices=["rules", "llm"])
    parser.add_argument("--cases", nargs="*", default=["feature", "paragraph_260k", "scenes_1000", "scenes_5000"])
    parser.add_argument("--timeout", type=float, default=120.0, help="CPU seconds per case before it is killed")
    parser.add_argument("--wall-limit", type=float, default=300.0, help="wall seconds per case before it is killed (a busy machine)")
    args = parser.parse_args()
    print(f"planner: {args.planner}, limits per case {args.timeout:.0f} CPU s and {args.wall_limit:.0f} s wall, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
    print("| case | input KB | scenes | result | wall s | CPU s | peak RSS MB | projected for the feature |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.cases:
        r = run_case(name, args.planner, args.timeout, args.wall_limit)
        seconds = f"{r['seconds']:.1f}" if r["seconds"] is not None else r["result"]
        projected = ""
        if name.startswith("feature_") and r["result"] == "planned" and r["scenes"]:
            scale = FEATURE_SCENES / r["scenes"] / 60
            projected = f"{r['seconds'] * scale:.1f} min wall, {r['cpu'] * scale:.1f} min CPU"
        scenes = r["scenes"] if r["scenes"] is not None else "-"
        cpu = f"{r['cpu']:.1f}" if r["cpu"] is not None else ""
        print(f"| {name} | {r['bytes'] / 1000:.0f} | {scenes} | {r['result']} | {seconds} | {cpu} | {r['peak_mb']:.0f} | {projected} |", flush=True)


if __name__ == "__main__":
    main()
