"""LVD's stage-1 benchmark (500 prompts, five categories), scored with LVD's own rules.

    python benchmarks/bench_lvd.py --planner rules                     # director's rules planner, all 500
    python benchmarks/bench_lvd.py --planner llm --limit 20            # the default planner, first 20 prompts
    python benchmarks/bench_lvd.py --planner llm --shard 0/2 --log a.jsonl   # half of them, logged as it goes
    python benchmarks/bench_lvd.py --summarize a.jsonl b.jsonl         # the table from logs
    python benchmarks/bench_lvd.py --lvd-answers gpt-4-1106-preview gpt-3.5-turbo   # LVD's cached GPT answers
    python benchmarks/bench_lvd.py --planner rules --failures          # print each failure with what the rule saw

The prompts, the rules and the reader of LVD's answer text are in `benchmarks/lvd/`
(rebuilt from TonyLianLong/LLM-groundedVideoDiffusion, see its README). A director
planner plans each prompt into a storyboard (`Director(planner=...).plan(prompt)`); the
storyboard's layout track is exported in LVD's format (`director.interchange`, six
frames) and read back by the same reader that reads LVD's GPT answers, so both are
scored by the same code. A plan that raises, that LVD's reader cannot read, or that
has no box at all is invalid and counts as a failure.

LVD asks each prompt several times (numeracy 5, visibility 10 ...) because GPT samples;
a director plan is a function of the text and the seed, so each distinct prompt (184)
is planned once and its verdict counted as often as LVD repeats it. `--shard i/n`
splits the distinct prompts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lvd.parse import AnswerError, answer_to_video, replay_cache  # noqa: E402
from benchmarks.lvd.prompts import CATEGORIES, Case, lvd_cases  # noqa: E402

CACHE_DIR = Path(__file__).resolve().parent / "lvd" / "cache"  # LVD's two GPT caches, copied (see its NOTICE.md)
LVD_COMMIT = "22d90d2994ac3a938367383a11a5608f7fe73147"


# -- where layouts come from -----------------------------------------------------------------------


def _bad_input(message: str) -> SystemExit:
    print(f"bench_lvd.py: error: {message}", file=sys.stderr)
    return SystemExit(2)


def read_lvd_cache(model: str, repo: Path | None) -> dict[str, list[str]]:
    """`cache_lvd_v0.1_<model>.json`: the copy in benchmarks/lvd/cache/, or `cache/` of LVD's repository
    (a checkout, or a bare git directory read at LVD_COMMIT) when `repo` is given."""
    name = f"cache_lvd_v0.1_{model}.json"
    if repo is None:
        path = CACHE_DIR / name
        if not path.is_file():
            raise _bad_input(f"no {path}; the copied caches are {', '.join(p.name for p in CACHE_DIR.glob('*.json'))} (others: --lvd-repo)")
        return json.loads(path.read_text())
    if (repo / "cache" / name).is_file():
        return json.loads((repo / "cache" / name).read_text())
    try:
        text = subprocess.run(["git", "--git-dir", str(repo), "show", f"{LVD_COMMIT}:cache/{name}"], check=True, capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        raise _bad_input(f"cannot read cache/{name} from {repo} (a checkout or git directory of LVD's repository): {e}") from None
    return json.loads(text)


def score_answer(case: Case, text: str | None) -> dict:
    """One case scored from LVD-format layout text; invalid when the reader cannot read it or it has no box."""
    if text is None:
        return {"invalid": "no answer", "why": "no answer"}
    try:
        video = answer_to_video(text)
    except AnswerError as e:
        return {"invalid": str(e), "why": f"unreadable: {e}"}
    if not any(track.present.any() for track in video.tracks):
        return {"invalid": "no boxes", "why": "no boxes in any frame"}
    return {"invalid": None, "why": case.rule.check(video), "seen": video.describe()}


def run_lvd_answers(model: str, cases: list[Case], repo: Path | None) -> list[dict]:
    answers = replay_cache(read_lvd_cache(model, repo), [c.prompt for c in cases])
    return [{"source": f"LVD {model}", **_case_fields(case), **score_answer(case, text), "seconds": 0.0} for case, text in zip(cases, answers, strict=True)]


def run_planner(name: str, cases: list[Case], args: argparse.Namespace, log) -> list[dict]:
    from director import Director
    from director.interchange import export_layouts
    from director.script import parse_script

    options = {"n_threads": args.threads} if args.threads is not None else {}
    from director.errors import InputError

    try:
        director = Director(planner=name, renderer="animatic", cache_dir=args.cache_dir, seed=args.seed, planner_options=options)
    except InputError as e:  # an unknown planner name: the message lists the known ones
        raise _bad_input(str(e)) from None
    planned: dict[str, tuple[dict, str | None, int]] = {}  # prompt -> (verdict, layout text, scenes): one plan per distinct prompt
    rows = []
    distinct = list(dict.fromkeys(c.prompt for c in cases))
    tty = sys.stderr.isatty()
    progress = tty or name != "rules"  # a slow planner says where it is, a line per prompt into a log file
    for case in cases:
        if case.prompt not in planned:
            if progress:
                print(f"\r{name}: {len(planned) + 1}/{len(distinct)} distinct prompts", end="" if tty else "\n", file=sys.stderr, flush=True)
            started = time.perf_counter()
            report = None
            try:
                planner = director._get("planner")
                if hasattr(planner, "plan_with_report"):  # the llm planner says what each stage asked and what was used
                    board, report = planner.plan_with_report(parse_script(case.prompt), director.plan_options())
                else:
                    board = director.plan(case.prompt)
                text, scenes = export_layouts(board, "lvd"), len(board.scenes)
            except Exception as e:  # noqa: BLE001 - any failure to plan is an invalid plan, reported with its message
                verdict, text, scenes = {"invalid": f"{type(e).__name__}: {e}", "why": f"planning failed: {type(e).__name__}: {e}"}, None, 0
            else:
                verdict = score_answer(case, text)
                if scenes > 1 and verdict["why"] is not None:  # LVD's reader stops at the second 'Frame 1:'
                    verdict["why"] += f" (planned as {scenes} scenes; LVD's reader reads the first)"
            if report is not None:
                verdict["stages"] = {key: dict(getattr(report, key)) for key in STAGE_COUNTS if hasattr(report, key)}
            verdict["seconds"] = time.perf_counter() - started
            planned[case.prompt] = (verdict, text, scenes)
        verdict, text, scenes = planned[case.prompt]
        row = {"source": name, **_case_fields(case), **verdict, "scenes": scenes}
        if args.json:
            row["layout"] = text
        rows.append(row)
        if log is not None:
            log.write(json.dumps({k: v for k, v in row.items() if k != "layout"}) + "\n")
            log.flush()
    if tty:
        print(file=sys.stderr)
    return rows


STAGE_COUNTS = ("calls", "proposed", "used", "repaired", "dropped")  # the Counters of planners.llm.PlanReport


def _case_fields(case: Case) -> dict:
    return {"index": case.index, "category": case.category, "prompt": case.prompt}


def select(cases: list[Case], limit: int | None, shard: str) -> list[Case]:
    """The first `limit` cases, then the i-th of n interleaved parts of their distinct prompts."""
    try:
        i, n = (int(v) for v in shard.split("/"))
        if not 0 <= i < n:
            raise ValueError
    except ValueError:
        raise _bad_input(f"--shard wants i/n with 0 <= i < n, got {shard!r}") from None
    cases = cases[:limit] if limit is not None else cases
    mine = set(list(dict.fromkeys(c.prompt for c in cases))[i::n])
    return [c for c in cases if c.prompt in mine]


# -- tables ----------------------------------------------------------------------------------------


def table(rows_by_source: dict[str, list[dict]]) -> str:
    lines = [
        "| layouts from | " + " | ".join(CATEGORIES) + " | overall | invalid | prompts | seconds |",
        "|" + "---|" * (len(CATEGORIES) + 5),
    ]
    for source, rows in rows_by_source.items():
        total, passed = Counter(r["category"] for r in rows), Counter(r["category"] for r in rows if r["why"] is None)
        cells = [f"{100 * passed[c] / total[c]:.0f}% ({passed[c]}/{total[c]})" if total[c] else "-" for c in CATEGORIES]
        invalid = sum(r["invalid"] is not None for r in rows)
        seconds = sum(r["seconds"] for r in {r["prompt"]: r for r in rows}.values())  # each distinct plan once
        overall = f"{100 * sum(passed.values()) / len(rows):.1f}% ({sum(passed.values())}/{len(rows)})"
        lines.append(f"| {source} | " + " | ".join(cells) + f" | {overall} | {invalid} | {len(rows)} | {seconds:.1f} |")
    for source, rows in rows_by_source.items():
        totals = {key: Counter() for key in STAGE_COUNTS}
        for r in {r["prompt"]: r for r in rows}.values():  # each distinct plan once
            for key, counts in r.get("stages", {}).items():
                totals[key].update(counts)
        stages = sorted(set().union(*totals.values()))
        if not stages:
            continue
        lines += ["", f"Stages of `{source}` over its distinct prompts (model answers given / used in the storyboards):", ""]
        lines += ["| stage | " + " | ".join(STAGE_COUNTS) + " |", "|" + "---|" * (len(STAGE_COUNTS) + 1)]
        lines += [f"| {stage} | " + " | ".join(str(totals[key][stage]) for key in STAGE_COUNTS) + " |" for stage in stages]
    return "\n".join(lines)


def print_failures(rows: list[dict]) -> None:
    """Each failing prompt once per source, how many of its repeats failed, and what the rule saw (in the first)."""
    seen: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r["why"] is not None:
            seen.setdefault((r["source"], r["prompt"]), []).append(r)
    for (source, prompt), group in seen.items():
        first = group[0]
        times = f" (x{len(group)})" if len(group) > 1 else ""
        print(f"[{source}] #{first['index']} {first['category']}{times}: {prompt}\n    {first['why']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planner", action="append", default=[], help="a director planner (rules, llm, ...); repeat for several")
    parser.add_argument("--lvd-answers", nargs="*", default=[], metavar="MODEL", help="score LVD's cached answers, e.g. gpt-4-1106-preview gpt-3.5-turbo")
    parser.add_argument("--lvd-repo", type=Path, help="read the caches from LVD's repository (checkout or git directory) instead of benchmarks/lvd/cache/")
    parser.add_argument("--limit", type=int, help="only the first N of the 500 prompts")
    parser.add_argument("--shard", default="0/1", help="i/n: the i-th of n interleaved parts of the distinct prompts")
    parser.add_argument("--log", type=Path, help="append each prompt's verdict as a JSON line while running")
    parser.add_argument("--summarize", type=Path, nargs="+", help="print the table from --log files instead of running")
    parser.add_argument("--failures", action="store_true", help="print each failing prompt with what the rule saw")
    parser.add_argument("--json", type=Path, help="write every verdict (and the LVD layout text of each plan) here")
    parser.add_argument("--threads", type=int, help="planner option n_threads (llm: llama.cpp threads; default: the planner's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", type=Path, help="the Director's cache (default: a fresh temporary folder, so nothing is reused)")
    args = parser.parse_args()

    if args.summarize:
        rows = [json.loads(line) for path in args.summarize for line in path.read_text().splitlines() if line.strip()]
        by_source: dict[str, list[dict]] = {}
        for r in rows:
            by_source.setdefault(r["source"], []).append(r)
    else:
        if not args.planner and not args.lvd_answers:
            parser.error("say what to score: --planner NAME and/or --lvd-answers MODEL")
        cases = select(lvd_cases(), args.limit, args.shard)
        by_source = {}
        for model in args.lvd_answers:
            by_source[f"LVD {model}"] = run_lvd_answers(model, cases, args.lvd_repo)
        log = args.log.open("a") if args.log else None
        with tempfile.TemporaryDirectory(prefix="bench-lvd-") as scratch:
            if args.cache_dir is None:
                args.cache_dir = Path(scratch)
            for name in args.planner:
                by_source[name] = run_planner(name, cases, args, log)
        rows = [r for rs in by_source.values() for r in rs]
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    if args.failures:
        print_failures(rows)
    print(table(by_source))


if __name__ == "__main__":
    main()
