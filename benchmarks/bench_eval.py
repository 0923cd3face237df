"""`director eval` on animatic renders of the examples: storyboard-aware scores and evaluation speed.

    python benchmarks/bench_eval.py [--size 512x288] [--plot examples/the_kite.eval.png]

Renders each example with the rules planner and the animatic, evaluates the movie against its own
storyboard (colour detector, no learned models: none can be downloaded here) and against the movie
itself as reference (PSNR/SSIM), then evaluates it against a storyboard whose every box is shifted by
a fifth of the frame width without re-rendering, to show the layout score responds. Reports the
scores and frames evaluated per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def shifted(board, dx: float = 0.2):
    from director.storyboard import Box

    board = board.model_copy(deep=True)
    for scene in board.scenes:
        for frame in scene.layouts:
            for entity_id, box in frame.boxes.items():
                x0 = box.x0 + dx if box.x1 + dx <= 1 else box.x0 - dx
                frame.boxes[entity_id] = Box(x0=x0, y0=box.y0, x1=x0 + box.width, y1=box.y1)
    return board.revalidated()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="512x288")
    parser.add_argument("--plot", type=Path, default=None, help="write the_kite's per-frame plot here")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    from director import Director
    from director.evaluate import EvalConfig, evaluate_movie
    from director.evaluate.report import plot_per_frame

    config = EvalConfig(clip=None, inception=None, video_model=None)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        director = Director(renderer="animatic", cache_dir=Path(tmp) / "cache", size=(width, height))
        for example in ("the_kite.fountain", "the_lost_ball.txt", "robot_day.txt"):
            result = director.render(director.plan_file(EXAMPLES / example), Path(tmp) / f"{example}.mp4")
            started = time.perf_counter()
            report = evaluate_movie(result.movie, storyboard=result.storyboard, reference=result.movie, config=config)
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            moved = evaluate_movie(result.movie, storyboard=shifted(result.storyboard), config=config)
            board_only_s = time.perf_counter() - started
            v, m = report.values(), moved.values()
            rows.append(
                f"| {example} | {report.frames} | {v['layout_iou']:.3f} | {report.metric('layout_iou').detail['accuracy_at_0.5']:.3f} "
                f"| {v['visibility_accuracy']:.3f} | {v['motion_direction'] if v['motion_direction'] is not None else float('nan'):.3f} "
                f"| {v['identity_consistency']:.3f} | {v['temporal_flicker']:.2f} | {v['ssim']:.3f} "
                f"| {m['layout_iou']:.3f} | {seconds:.1f} | {board_only_s:.1f} | {report.frames / board_only_s:.0f} |"
            )
            if args.plot is not None and example == "the_kite.fountain":
                plot_per_frame(evaluate_movie(result.movie, storyboard=result.storyboard, config=config), args.plot)
    print("| example | frames | layout IoU | IoU≥0.5 | visibility acc. | motion cos | identity (hist.) | flicker /255 | SSIM vs itself | layout IoU, boxes shifted 0.2 | eval s (with reference) | eval s (storyboard only) | frames/s (storyboard only) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
