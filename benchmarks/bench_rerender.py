"""Cost of re-rendering after one scene of five is edited (the cache makes the other four free).

    python benchmarks/bench_rerender.py

Plans a five-scene script with the rules planner, renders it (cold), moves one entity's boxes in
scene 3, renders again, and reports jobs rendered and wall time for both renders.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SCRIPT = """Scene 1: A girl walks from the left to the right. A dog follows her.
Scene 2: A red ball rolls from the right to the left. The dog chases the ball.
Scene 3: A bird first flies to the top left, then to the bottom right. A cat sits on a bench.
Scene 4: A boat sails from the left to the right on the sea. A gull flies above the boat.
Scene 5: At night, the girl sits beside a tree. The dog sleeps under the tree.
"""


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
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


if __name__ == "__main__":
    main()
