"""Where the box warp is wrong on issue 15's infill measure, and what a model given the ends could win back.

    python benchmarks/tiny_v3_warp_errors.py [--clips 30]

The windows are `bench_tiny_v3.py --only infill`'s own (held-out clips, 9 frames from s = 0 to 1, both
true ends known, 7 frames made between them; PSNR and SSIM averaged over the made frames, as there).
Two tables:

1. The warp's squared error split by what each pixel shows at the made frame's time: a walking figure
   (a person or animal whose pose changes as it moves: `WorldEntity.steps`), another entity that moves,
   an entity absent from an end, or the background. For walking figures, also the share of their error
   in frames where the pose differs from that of the end `warp_guess` copies the figure from (the nearest
   that shows it: `conditioning.source_time`).
2. The warp beside guesses made from the same ends by rules, and one that is told the pose:
   - *blend*: each end's own warp (`warp_guess` from that end alone), blended by nearness in time;
   - *blend where the ends disagree*: the nearest end's warp, but the blend on pixels where the two
     ends' warps differ (what a squared-error regression on both warps would learn to do);
   - *told the pose* (an oracle, not a renderer): each walking figure taken from the end that shows it
     in the pose it has at the made frame's time, when one does; else as the warp;
   - two bounds: the warp scored against the truth redrawn with each walker in the pose of the end it is
     copied from
     (the warp's error were the pose right), and the warp plus the true correction made at the infill
     model's working size (`ResidualInfillConfig.size`, 128x72) and upsampled as the model's is: the most
     a correction at that size can reach.

What no renderer can know from its inputs is the oracle's one fact, the pose: the world draws each
walker's number of steps per clip at random (2-8), independent of how far it goes (`world.sample_clip`).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from bench_tiny import psnr, ssim
from bench_tiny_v3 import BENCH_SEEDS, _to_image, _to_tensor

from renderers.tiny.v3.conditioning import coverage, source_time, warp_guess
from renderers.tiny.v3.models import ResidualInfillConfig
from renderers.tiny.v3.world import FRAME, sample_clip

CLASSES = ("walking figure", "other moving entity", "absent from an end", "background")


def _classes(clip, layouts: list, k: int) -> np.ndarray:
    """(H, W) index into CLASSES of what each pixel of frame k shows (the nearest-to-camera entity wins:
    later in the layout is drawn on top, as in `warp_guess`)."""
    ids = {key for key, _ in layouts[0]} & {key for key, _ in layouts[-1]}
    entity = {e.id: e for e in clip.entities}
    out = np.full((FRAME[1], FRAME[0]), CLASSES.index("background"))
    for key, box in layouts[k]:
        cls = "absent from an end" if key not in ids else "walking figure" if entity[key].steps else "other moving entity"
        out[coverage(box, FRAME).numpy() > 0.5] = CLASSES.index(cls)
    return out


def _told_the_pose(clip, target: list, t: float, ends: list, warp: torch.Tensor) -> torch.Tensor:
    """The warp, with each walking figure of `target` taken from the nearest end that shows it in its pose at t."""
    entity = {e.id: e for e in clip.entities}
    guess = warp.clone()
    for key, box in target:
        e = entity[key]
        right = [end for end in ends if e.steps and key in dict(end[1]) and e.phase(end[2]) == e.phase(t)]
        if not right:
            continue
        single, _ = warp_guess([min(right, key=lambda end: abs(end[2] - t))], [(key, box)], t)
        cover = coverage(box, FRAME)[None]
        guess = guess * (1 - cover) + single * cover
    return guess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=30, help="held-out clips (bench_tiny_v3's infill: 30 at its default)")
    parser.add_argument("--window", type=int, default=9)
    args = parser.parse_args()

    error_by_class = np.zeros(len(CLASSES))
    walking_wrong_pose = 0.0
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in
                                                    ("warp", "blend", "blend where the ends disagree", "told the pose (oracle)",
                                                     "bound: the warp, against the truth in the nearest end's poses",
                                                     "bound: a perfect correction at the infill model's working size")}
    width, height = ResidualInfillConfig().size
    for n in range(args.clips):
        clip = sample_clip(BENCH_SEEDS + 40_000 + n)
        times = [float(s) for s in np.linspace(0, 1, args.window)]
        layouts = [[(clip.entities[i].id, box) for i, box in clip.layout(s)] for s in times]
        ends = [(_to_tensor(clip.frame(0.0)), layouts[0], 0.0), (_to_tensor(clip.frame(1.0)), layouts[-1], 1.0)]
        entity = {e.id: e for e in clip.entities}
        index = {e.id: i for i, e in enumerate(clip.entities)}
        end_layouts = [(layout, time) for _, layout, time in ends]
        for k in range(1, args.window - 1):
            s, truth = times[k], clip.frame(times[k])
            warp, _ = warp_guess(ends, layouts[k], s)
            own = [warp_guess([end], layouts[k], s) for end in ends]  # each end's own warp and where it has pixels
            w1 = s  # the ends are at 0 and 1
            a, b = own[0][1] * (1 - w1), own[1][1] * w1
            blend = torch.where(a + b > 1e-6, (a * own[0][0] + b * own[1][0]) / (a + b).clamp_min(1e-6), warp)
            disagree = ((own[0][0] - own[1][0]).abs().amax(0, keepdim=True) > 0.05) & (own[0][1] > 0.5) & (own[1][1] > 0.5)
            guesses = {"warp": warp, "blend": blend, "blend where the ends disagree": torch.where(disagree, blend, warp),
                       "told the pose (oracle)": _told_the_pose(clip, layouts[k], s, ends, warp)}
            correction = F.interpolate((_to_tensor(truth) - warp)[None], size=(height, width), mode="area")
            guesses["bound: a perfect correction at the infill model's working size"] = (
                warp + F.interpolate(correction, size=warp.shape[-2:], mode="bilinear", align_corners=False)[0]).clamp(-1, 1)
            images = {name: _to_image(guess) for name, guess in guesses.items()}
            for name, image in images.items():
                scores[name].append((psnr(image, truth), ssim(image, truth)))
            sources = {key: source_time(end_layouts, key, s) for key, _ in layouts[k]}  # the end the warp copies each from
            posed = clip.frame(s, poses_at={index[key]: t for key, t in sources.items() if t is not None})
            scores["bound: the warp, against the truth in the nearest end's poses"].append((psnr(images["warp"], posed), ssim(images["warp"], posed)))
            squared = ((images["warp"].astype(float) - truth.astype(float)) / 127.5) ** 2
            classes = _classes(clip, layouts, k)
            for c in range(len(CLASSES)):
                error_by_class[c] += squared[classes == c].sum()
            for key, box in layouts[k]:
                e = entity[key]
                if e.steps and sources[key] is not None and e.phase(s) != e.phase(sources[key]):
                    walking_wrong_pose += squared[(coverage(box, FRAME).numpy() > 0.5) & (classes == CLASSES.index("walking figure"))].sum()

    total = error_by_class.sum()
    frames = args.clips * (args.window - 2)
    print(f"| the warp's squared error ({args.clips} clips, {frames} made frames) | share |\n|---|---|")
    for name, e in zip(CLASSES, error_by_class):
        print(f"| {name} | {e / total:.3f} |")
    print(f"| (walking figures in a pose other than the nearest end's) | {walking_wrong_pose / total:.3f} |")
    print(f"\n| guess from the two true ends ({frames} frames) | PSNR dB | SSIM |\n|---|---|---|")
    for name, v in scores.items():
        print(f"| {name} | {np.mean([p for p, _ in v]):.2f} | {np.mean([q for _, q in v]):.4f} |")


if __name__ == "__main__":
    main()
