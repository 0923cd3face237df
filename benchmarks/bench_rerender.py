"""Cost of re-rendering after an edit: one scene of five, or one shot of a five-scene board cut into shots.

    python benchmarks/bench_rerender.py                      # both tables
    python benchmarks/bench_rerender.py --only shots --renderer tiny

Scenes (the animatic): plans a five-scene script with the rules planner, renders it (cold), moves one
entity's boxes in scene 3, renders again, and reports jobs rendered and wall time for both renders.

Shots (issue 16): the same five scenes, each cut into three shots (a wide establishing shot, a close-up of
its first cast member, a medium shot of its second panning right), rendered cold; then scene 3's close-up
becomes a medium shot and the board is rendered again. Reports the jobs that ran against the edited shot's
own jobs (from the job graph: only those may run), and the wall time of the re-render against the full
render, both for rendering alone and for the whole `Director.render` (which re-encodes the whole movie).
The default renderer is the benchmark stand-in of `benchmarks/fixed_cost_renderer.py` (the animatic's
pixels plus a slept cost per window frame, a model whose device is the bottleneck); `--renderer tiny`
runs the embedded diffusion models on the CPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCRIPT = """Scene 1: A girl walks from the left to the right. A dog follows her.
Scene 2: A red ball rolls from the right to the left. The dog chases the ball.
Scene 3: A bird first flies to the top left, then to the bottom right. A cat sits on a bench.
Scene 4: A boat sails from the left to the right on the sea. A gull flies above the boat.
Scene 5: At night, the girl sits beside a tree. The dog sleeps under the tree.
"""
FIXED_COST = "benchmarks.fixed_cost_renderer:FixedCostRenderer"
EDITED_SCENE, EDITED_SHOT = 2, 1  # scene 3's close-up


def scenes_table() -> None:
    from director import Director
    from director.storyboard import Box

    with tempfile.TemporaryDirectory() as tmp:
        director = Director(planner="rules", renderer="animatic", cache_dir=Path(tmp) / "cache")
        board = director.plan(SCRIPT)
        started = time.perf_counter()
        full = director.render(board, Path(tmp) / "full.mp4")
        full_s = time.perf_counter() - started

        scene = board.scenes[2]
        entity = scene.entities[-1]
        for frame in scene.layouts:
            if entity in frame.boxes:
                frame.boxes[entity] = Box(x0=0.05, y0=0.55, x1=0.2, y1=0.8)
        started = time.perf_counter()
        edited = director.render(board, Path(tmp) / "edited.mp4")
        edited_s = time.perf_counter() - started

    print("| render | jobs rendered | jobs from cache | scenes rendered | wall s |")
    print("|---|---|---|---|---|")
    print(f"| all 5 scenes, cold | {full.stats.jobs_rendered} | {full.stats.jobs_cached} | {len(full.stats.rendered_by_scene)} | {full_s:.2f} |")
    print(f"| after editing scene 3 | {edited.stats.jobs_rendered} | {edited.stats.jobs_cached} | {len(edited.stats.rendered_by_scene)} | {edited_s:.2f} |")


def cut_into_shots(board):
    """Each scene in three shots: wide establishing, a close-up of its first cast member, a medium shot of
    its second panning right."""
    from director.storyboard import Storyboard

    data = board.model_dump(mode="json")
    for scene in data["scenes"]:
        d, cast = scene["duration"], scene["entities"]
        third = round(d / 3, 3)
        scene["shots"] = [
            {"id": "establishing", "start": 0.0, "end": third, "description": "WIDE SHOT"},
            {"id": "close", "start": third, "end": 2 * third, "size": "close_up", "subjects": cast[:1]},
            {"id": "follow_on", "start": 2 * third, "end": d, "size": "medium", "subjects": cast[1:2], "move": {"kind": "pan", "direction": "right", "amount": 0.3}},
        ]
    return Storyboard.model_validate(data)


def edit_one_shot(board):
    from director.storyboard import Storyboard

    data = board.model_dump(mode="json")
    data["scenes"][EDITED_SCENE]["shots"][EDITED_SHOT]["size"] = "medium"
    return Storyboard.model_validate(data)


def shots_table(renderer: str, options: dict) -> None:
    from director import Director
    from director.execute import plan_jobs

    with tempfile.TemporaryDirectory() as tmp:
        director = Director(planner="rules", renderer=renderer, renderer_options=options, cache_dir=Path(tmp) / "cache")
        board = cut_into_shots(director.plan(SCRIPT))
        edited = edit_one_shot(board)
        fingerprint, window = director.renderer.fingerprint, director.renderer.info.window
        cast_in_keys = "cast" in director.renderer.info.supports  # as a render keys its jobs (tiny-v3's looks span the cast)
        before, after = (plan_jobs(b, fingerprint, window, seed=director.seed, cast_in_keys=cast_in_keys) for b in (board, edited))
        old_keys = {t.key for level in before.levels for t in level}
        new_jobs = [t for level in after.levels for t in level if t.key not in old_keys]
        edited_shot = edited.scenes[EDITED_SCENE].shots[EDITED_SHOT].id
        shot_jobs = [
            t for level in after.levels for t in level if t.scene.scene_id == edited.scenes[EDITED_SCENE].id and t.scene.shot.id == edited_shot
        ]

        started = time.perf_counter()
        full = director.render(board, Path(tmp) / "full.mp4")
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        again = director.render(edited, Path(tmp) / "edited.mp4")
        again_s = time.perf_counter() - started

    shots = sum(len(s.shots) for s in board.scenes)
    print(f"renderer {renderer} {options or ''}: {len(board.scenes)} scenes, {shots} shots, {before.frames} frames, window {window}")
    print(f"edited: scene 3's shot {edited_shot!r}, close-up -> medium; its jobs: {len(shot_jobs)}; jobs whose key changed: {len(new_jobs)}")
    print()
    print("| render | jobs rendered | jobs from cache | rendering s | share | whole render s (with encode) | share |")
    print("|---|---|---|---|---|---|---|")
    print(f"| 5 scenes, {shots} shots, cold | {full.stats.jobs_rendered} | {full.stats.jobs_cached} | {full.stats.seconds:.2f} | 100% | {full_s:.2f} | 100% |")
    print(
        f"| after editing one shot | {again.stats.jobs_rendered} | {again.stats.jobs_cached} | {again.stats.seconds:.2f} "
        f"| {again.stats.seconds / full.stats.seconds:.0%} | {again_s:.2f} | {again_s / full_s:.0%} |"
    )
    ran_only_that_shot = again.stats.jobs_rendered == len(shot_jobs) == len(new_jobs)
    print()
    print(f"only that shot's jobs ran: {'yes' if ran_only_that_shot else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("scenes", "shots"), help="Run one table (default: both).")
    parser.add_argument("--renderer", default=FIXED_COST, help=f"Renderer of the shots table (default: {FIXED_COST}).")
    parser.add_argument("--seconds-per-frame", type=float, default=0.02, help="The fixed-cost renderer's slept cost per window frame.")
    args = parser.parse_args()
    if args.only != "shots":
        scenes_table()
        print()
    if args.only != "scenes":
        options = {"seconds_per_frame": args.seconds_per_frame} if args.renderer == FIXED_COST else {}
        shots_table(args.renderer, options)


if __name__ == "__main__":
    main()
