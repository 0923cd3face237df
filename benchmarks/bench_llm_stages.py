"""Which source wins where: the LLM planner's merge policy, chosen on a validation split of LVD's prompts.

    python benchmarks/bench_llm_stages.py --split validation --ablate     # every stage, every policy
    python benchmarks/bench_llm_stages.py --split test --ablate           # the chosen policy, reported
    python benchmarks/bench_llm_stages.py --model gemma3-270m ...         # the other embedded model
    python benchmarks/bench_llm_stages.py --timing SCRIPT                 # seconds per scene per stage

The prompts and rules are LVD's stage-1 benchmark (`benchmarks/lvd/`, rebuilt from
TonyLianLong/LLM-groundedVideoDiffusion): 500 cases (numeracy and others repeat each prompt
five or ten times). The distinct prompts of each category are
(184 in all) shuffled with a fixed seed (14, the issue's number) and cut in half: the first half is
the validation split (the policy in `planners.llm.MERGE_POLICY` is chosen there), the
second the test split (where it is reported). A case scores as LVD scores it: its rule
on six frames of the planned layout, read as `bench_lvd.py` reads it (`storyboard_video`).

`--ablate` plans the split with: the rules planner; the LLM planner with `MERGE_POLICY`;
and, for each stage, the same with that stage switched to each of its other policies
(`planners.llm.POLICIES`): `reader` (the model is not asked), `model` (its answer wins),
and the stage's rules in between. So each stage's contribution is the difference between
its row and the `policy` row. `model-only` is the model without the reader.

Model answers are kept in `--answers FILE` (JSON, keyed by model, messages, schema and
seed), so variants that ask the same question share one answer and a rerun asks
nothing twice: the model is greedy (temperature 0), so a kept answer is the answer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPLIT_SEED = 14


class RecordedBackend:
    """A backend that asks `inner` once per distinct question and keeps the answers in a JSON file."""

    last: RecordedBackend | None = None

    def __init__(self, inner: Any, path: Path | None) -> None:
        RecordedBackend.last = self
        self.inner, self.path = inner, path
        self.model_id = inner.model_id
        self.answers: dict[str, Any] = json.loads(path.read_text()) if path is not None and path.is_file() else {}
        self.asked = 0
        self.seconds = 0.0

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int = 512, seed: int = 0) -> dict[str, Any]:
        key = hashlib.sha256(json.dumps([self.model_id, messages, schema, max_tokens, seed], sort_keys=True).encode()).hexdigest()
        if key not in self.answers:
            started = time.perf_counter()
            try:
                self.answers[key] = {"answer": self.inner.complete_json(messages, schema, max_tokens=max_tokens, seed=seed)}
            except Exception as e:  # a BackendError: kept too, so the variant sees the same failure
                self.answers[key] = {"error": f"{type(e).__name__}: {e}"}
            self.asked += 1
            self.seconds += time.perf_counter() - started
            if self.path is not None and self.asked % 10 == 0:
                self.save()
        kept = self.answers[key]
        if "error" in kept:
            from planners.backends import BackendError

            raise BackendError(kept["error"])
        return kept["answer"]

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.answers))
            tmp.replace(self.path)


def split_cases(split: str, limit: int | None = None) -> list[Any]:
    """LVD's cases whose prompt falls in `split` ('validation', 'test' or 'all'), per category by a fixed seed."""
    from benchmarks.lvd.prompts import CATEGORIES, lvd_cases

    cases = lvd_cases()
    if split == "all":
        chosen = {c.prompt for c in cases}
    else:
        chosen = set()
        for category in CATEGORIES:
            prompts = sorted({c.prompt for c in cases if c.category == category})
            random.Random(SPLIT_SEED).shuffle(prompts)
            half = (len(prompts) + 1) // 2
            part = prompts[:half] if split == "validation" else prompts[half:]
            chosen |= set(part[:limit] if limit else part)
    return [c for c in cases if c.prompt in chosen]


def storyboard_video(board: Any) -> Any:
    """The storyboard as LVD's rules see it, exactly as `bench_lvd.py` scores a plan: its layout track
    exported in LVD's format (`director.interchange`, six frames), read back by LVD's answer reader."""
    from benchmarks.lvd.parse import answer_to_video
    from director.interchange import export_layouts

    return answer_to_video(export_layouts(board, "lvd"))


def variants(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    """(row name, planner settings): None settings is the rules planner."""
    from planners.llm import MERGE_POLICY, POLICIES

    # The scenes stage only names a scene's background, which LVD's rules do not look at: unless
    # --ask-scenes, it is left to the reader in every row (half the model calls on these prompts).
    base = {} if args.ask_scenes else {"scenes": "reader"}
    rows: list[tuple[str, dict[str, Any]]] = [("rules", {"rules": True}), ("policy", {"policy": base})]
    if args.ablate:
        for stage, choices in POLICIES.items():
            if stage == "scenes" and not args.ask_scenes:
                continue
            for choice in choices:
                if choice != MERGE_POLICY[stage]:
                    rows.append((f"{stage}={choice}", {"policy": {**base, stage: choice}}))
        rows.append(("model-only", {"use_rules": False}))
    for extra in args.policy or []:
        stage, _, choice = extra.partition("=")
        rows.append((extra, {"policy": {**base, stage: choice}}))
    if args.rows:
        rows = [(name, settings) for name, settings in rows if name in args.rows]
    return rows


def run(args: argparse.Namespace) -> None:
    from benchmarks.lvd.prompts import CATEGORIES
    from director.script import parse_script
    from director.storyboard import Storyboard
    from planners.llm import LLMPlanner
    from planners.rules import RulesPlanner

    cases = split_cases(args.split, args.limit)
    prompts = list(dict.fromkeys(c.prompt for c in cases))
    base = LLMPlanner(model=args.model, n_threads=args.threads)
    recorded = RecordedBackend(base.backend, args.answers)
    print(f"{args.split}: {len(cases)} cases, {len(prompts)} distinct prompts; model {recorded.model_id}", file=sys.stderr)
    rows = []
    for row, settings in variants(args):
        if settings.get("rules"):
            planner: Any = RulesPlanner()
        else:
            planner = LLMPlanner(model=args.model, n_threads=args.threads, **settings)
            planner._backend = recorded  # one model, its answers shared by every variant
        boards, stages, invalid = {}, defaultdict(Counter), 0
        started, asked = time.perf_counter(), recorded.asked
        for k, prompt in enumerate(prompts):
            print(f"\r{row}: {k + 1}/{len(prompts)}", end="", file=sys.stderr, flush=True)
            try:
                if isinstance(planner, LLMPlanner):
                    board, report = planner.plan_with_report(parse_script(prompt))
                    for key in ("calls", "used"):
                        stages[key].update(getattr(report, key))
                else:
                    board = planner.plan(parse_script(prompt))
                boards[prompt] = Storyboard.model_validate_json(board.to_json())
            except Exception as e:  # an invalid plan scores as a failure, and is counted
                invalid += 1
                print(f"\n{row}: {prompt!r}: {type(e).__name__}: {e}", file=sys.stderr)
        recorded.save()
        print(file=sys.stderr)
        passed, total, failures = Counter(), Counter(), []
        for case in cases:
            total[case.category] += 1
            board = boards.get(case.prompt)
            why = case.rule.check(storyboard_video(board)) if board is not None else "no valid plan"
            if why is None:
                passed[case.category] += 1
            else:
                failures.append({"row": row, "category": case.category, "prompt": case.prompt, "why": why})
        rows.append(
            {
                "row": row,
                "passed": dict(passed),
                "total": dict(total),
                "invalid": invalid,
                "calls": dict(stages["calls"]),
                "used": dict(stages["used"]),
                "seconds": time.perf_counter() - started,
                "new_answers": recorded.asked - asked,
                "failures": failures,
            }
        )
        if args.output:  # after every row, so a long run can be read while it goes
            args.output.write_text(json.dumps({"split": args.split, "model": recorded.model_id, "prompts": len(prompts), "rows": rows}, indent=1))
    print_table(rows, CATEGORIES, len(prompts))


def print_table(rows: list[dict[str, Any]], categories: tuple[str, ...], prompts: int) -> None:
    head = ["row", *categories, "all", "invalid", "model calls", "items used", "s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [f"{100 * r['passed'].get(c, 0) / r['total'][c]:.0f}% ({r['passed'].get(c, 0)}/{r['total'][c]})" if r["total"].get(c) else "-" for c in categories]
        allp, allt = sum(r["passed"].values()), sum(r["total"].values())
        calls = ", ".join(f"{k} {v}" for k, v in sorted(r["calls"].items())) or "0"
        used = ", ".join(f"{k} {v}" for k, v in sorted(r["used"].items())) or "0"
        print(f"| {r['row']} | " + " | ".join(cells) + f" | {100 * allp / allt:.1f}% ({allp}/{allt}) | {r['invalid']} | {calls} | {used} | {r['seconds']:.0f} |")
    print(f"\n({prompts} distinct prompts planned per row; `s`: wall seconds, model answers shared across rows)")


def timing(args: argparse.Namespace) -> None:
    """Plan a script with the default policy and say what each stage cost per scene."""
    from director.script import read_script
    from planners.llm import LLMPlanner

    import dataclasses

    script = read_script(args.timing)
    if args.scenes:
        script = dataclasses.replace(script, scenes=script.scenes[: args.scenes])
    started = time.perf_counter()
    planner = LLMPlanner(model=args.model, n_threads=args.threads)
    planner.backend  # noqa: B018 (load the model before the clock starts)
    loaded = time.perf_counter() - started
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    board, report = planner.plan_with_report(script)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    n = len(script.scenes)
    print(f"{args.timing} ({n} scenes, model {board.provenance.model}, {args.threads or 'default'} threads): load {loaded:.1f} s, plan {wall:.1f} s wall, {cpu:.1f} s CPU, {wall / n:.2f} s a scene")
    print("| stage | calls | seconds | s a scene |")
    print("|---|---|---|---|")
    for stage, seconds in sorted(report.seconds.items()):
        print(f"| {stage} | {report.calls[stage]} | {seconds:.1f} | {seconds / n:.2f} |")
    rest = wall - sum(report.seconds.values())
    print(f"| (reader, solver) | | {rest:.1f} | {rest / n:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("validation", "test", "all"), default="validation")
    parser.add_argument("--limit", type=int, help="at most this many distinct prompts per category")
    parser.add_argument("--model", default=None, help="embedded model: smollm2-135m (default) or gemma3-270m")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--ablate", action="store_true", help="every stage switched to each of its other policies")
    parser.add_argument("--policy", action="append", help="an extra row STAGE=POLICY")
    parser.add_argument("--ask-scenes", action="store_true", help="ask the scenes stage too (backgrounds; LVD does not score them)")
    parser.add_argument("--rows", type=lambda v: v.split(","), help="only these rows (comma-separated names)")
    parser.add_argument("--answers", type=Path, help="keep the model's answers here (JSON)")
    parser.add_argument("--output", type=Path, help="write the rows (and failures) here (JSON)")
    parser.add_argument("--timing", type=Path, help="plan this script file and print seconds per stage")
    parser.add_argument("--scenes", type=int, help="--timing: only the first N scenes")
    parser.add_argument("--table", type=Path, help="print the table of an --output file and stop")
    args = parser.parse_args()
    if args.table:
        from benchmarks.lvd.prompts import CATEGORIES

        saved = json.loads(args.table.read_text())
        print(f"{saved['split']}, {saved['model']}:")
        print_table(saved["rows"], CATEGORIES, saved["prompts"])
        return
    if args.timing:
        timing(args)
        return
    try:
        run(args)
    finally:  # an interrupted run keeps the answers it got
        if RecordedBackend.last is not None:
            RecordedBackend.last.save()


if __name__ == "__main__":
    main()
