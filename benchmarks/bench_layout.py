"""Layout benchmark: 121 prompts in five categories, each checked automatically on the planned storyboard.

    python benchmarks/bench_layout.py                       # rules, llm (embedded), llm without rules
    python benchmarks/bench_layout.py --planners rules      # just one
    python benchmarks/bench_layout.py --base-url http://127.0.0.1:8000/v1 --model NAME   # adds a served model
    python benchmarks/bench_layout.py --timing              # also: plan a 5-scene script with the default

The prompts and checks are in `layout_prompts.py` (after LVD's benchmark: numeracy,
attribute binding, visibility, spatial dynamics, sequential moves). Every
output is also re-validated against the storyboard schema. For LLM planners
the table below the scores says how many answers each stage gave and how
many went into the storyboards, so it is clear which part did what.
Failures are written to `--failures FILE` (JSON) for reading.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from layout_prompts import CATEGORIES, all_cases  # noqa: E402

from planners.stages import STAGES  # noqa: E402

FIVE_SCENES = """Scene 1: A girl walks from the left to the right. A dog follows her.
Scene 2: A red ball rolls from the right to the left. The dog chases the ball.
Scene 3: A bird first flies to the top left, then to the bottom right. A cat sits on a bench.
Scene 4: A boat sails from the left to the right on the sea. A gull flies above the boat.
Scene 5: At night, the girl sits beside a tree. The dog sleeps under the tree.
"""


def make_planner(name: str, args: argparse.Namespace):
    from planners.llm import LLMPlanner
    from planners.rules import RulesPlanner

    if name == "rules":
        return RulesPlanner()
    if name == "llm":
        return LLMPlanner(n_threads=args.threads)
    if name == "llm-model-only":
        return LLMPlanner(n_threads=args.threads, use_rules=False)
    if name == "llm-server":
        return LLMPlanner(backend="openai", base_url=args.base_url, model=args.model, api_key=args.api_key)
    if name == "llm-server-model-only":
        return LLMPlanner(backend="openai", base_url=args.base_url, model=args.model, api_key=args.api_key, use_rules=False)
    raise SystemExit(f"unknown planner {name}")


def run(name: str, args: argparse.Namespace) -> dict:
    from director.script import parse_script
    from director.storyboard import Storyboard

    planner = make_planner(name, args)
    total, passed, valid = Counter(), Counter(), 0
    stages: dict[str, Counter] = {"calls": Counter(), "proposed": Counter(), "used": Counter(), "repaired": Counter(), "dropped": Counter()}
    failures = []
    started = time.perf_counter()
    cases = all_cases()[:: args.every]
    shard, shards = (int(v) for v in args.shard.split("/"))
    cases = cases[shard::shards]
    log = args.log.open("a") if args.log else None
    for k, case in enumerate(cases):
        print(f"\r{name}: {k + 1}/{len(cases)}", end="", file=sys.stderr, flush=True)
        case_started = time.perf_counter()
        if hasattr(planner, "plan_with_report"):  # the llm planner: what each stage did for this plan
            board, report = planner.plan_with_report(parse_script(case.prompt))
        else:
            board, report = planner.plan(parse_script(case.prompt)), None
        Storyboard.model_validate_json(board.to_json())  # raises if the output breaks the schema
        valid += 1
        if report is not None:
            for key in stages:
                stages[key].update(getattr(report, key))
        why = case.check(board)
        if log is not None:  # one line per prompt as it is done, so a long run can be read (and summed) while it goes
            stage_counts = {key: dict(getattr(report, key)) for key in stages} if report is not None else {}
            line = {"planner": name, "category": case.category, "prompt": case.prompt, "why": why, "seconds": time.perf_counter() - case_started, "stages": stage_counts}
            log.write(json.dumps(line) + "\n")
            log.flush()
        total[case.category] += 1
        if why is None:
            passed[case.category] += 1
        else:
            failures.append({"planner": name, "category": case.category, "prompt": case.prompt, "why": why})
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    return {"name": name, "total": total, "passed": passed, "valid": valid, "cases": len(cases), "seconds": seconds, "stages": stages, "failures": failures}


def timing(args: argparse.Namespace) -> None:
    from director.script import parse_script
    from planners.llm import LLMPlanner

    import os

    script = parse_script(FIVE_SCENES)
    started, cpu_started = time.perf_counter(), time.process_time()
    planner = LLMPlanner(n_threads=args.threads)
    planner.backend  # noqa: B018 - load the model
    loaded = time.perf_counter()
    board, report = planner.plan_with_report(script)
    planned, cpu = time.perf_counter(), time.process_time() - cpu_started
    calls = sum(report.calls.values())
    load = os.getloadavg()[0]
    print(f"\n5-scene script, embedded default, {args.threads} thread(s): model load {loaded - started:.1f} s, "
          f"planning {planned - loaded:.1f} s wall, {cpu:.1f} s CPU for both ({calls} model calls, "
          f"{len(board.scenes)} scenes, {len(board.entities)} in the cast; machine load average {load:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planners", nargs="*", default=["rules", "llm", "llm-model-only"], help="none with --timing: only the timing")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--api-key")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--failures", type=Path)
    parser.add_argument("--every", type=int, default=1, help="only every k-th prompt (a quicker, coarser run)")
    parser.add_argument("--log", type=Path, help="append each prompt's result as a JSON line while running")
    parser.add_argument("--shard", default="0/1", help="i/n: run the i-th of n interleaved parts (parallel runs, each with its --log)")
    parser.add_argument("--summarize", type=Path, nargs="+", help="print the tables from --log files instead of running")
    args = parser.parse_args()
    if args.summarize:
        print_tables(summarize(args.summarize))
        return
    if args.base_url:
        args.planners += ["llm-server", "llm-server-model-only"]

    results = [run(name, args) for name in args.planners]
    if not results:
        if args.timing:
            timing(args)
        return
    print_tables(results)
    if args.failures:
        args.failures.write_text(json.dumps([f for r in results for f in r["failures"]], indent=2))
    if args.timing:
        timing(args)


def summarize(paths: list[Path]) -> list[dict]:
    """The results of `run` rebuilt from --log files (every logged storyboard passed schema validation)."""
    by_name: dict[str, dict] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            item = json.loads(line)
            r = by_name.setdefault(item["planner"], {"name": item["planner"], "total": Counter(), "passed": Counter(), "valid": 0, "cases": 0, "seconds": 0.0,
                                                      "stages": {k: Counter() for k in ("calls", "proposed", "used", "repaired", "dropped")}, "failures": []})
            r["total"][item["category"]] += 1
            r["passed"][item["category"]] += item["why"] is None
            r["valid"] += 1
            r["cases"] += 1
            r["seconds"] += item.get("seconds", 0.0)
            for key, counts in item.get("stages", {}).items():
                r["stages"][key].update(counts)
    return list(by_name.values())


def print_tables(results: list[dict]) -> None:
    header = "| planner | " + " | ".join(CATEGORIES) + " | all | schema-valid | seconds |"
    print(header)
    print("|" + "---|" * (len(CATEGORIES) + 5))
    for r in results:
        cells = [f"{100 * r['passed'][c] / max(r['total'][c], 1):.0f}% ({r['passed'][c]}/{r['total'][c]})" for c in CATEGORIES]
        everything = sum(r["passed"].values())
        print(f"| {r['name']} | " + " | ".join(cells) + f" | {100 * everything / r['cases']:.1f}% | {r['valid']}/{r['cases']} | {r['seconds']:.0f} |")
    for r in results:
        if sum(r["stages"]["calls"].values()) == 0:
            continue
        print(f"\nStages of `{r['name']}` (answers the model gave / used in the storyboards):\n")
        print("| stage | calls | repair rounds | items proposed | items used | dropped as invalid |")
        print("|---|---|---|---|---|---|")
        for stage in STAGES:
            s = r["stages"]
            print(f"| {stage} | {s['calls'][stage]} | {s['repaired'][stage]} | {s['proposed'][stage]} | {s['used'][stage]} | {s['dropped'][stage]} |")


if __name__ == "__main__":
    main()
