"""The tiny renderer on held-out seeds of its world: placement, infill, identity, speed.

    python benchmarks/bench_tiny.py                 # everything, printed as markdown tables
    python benchmarks/bench_tiny.py --only speed    # one part

- placement: keyframes drawn from the layouts of held-out world clips; the world's
  detector (colour + connected pixels) finds each entity; mean IoU with the box asked
  for. The same detector on the world's own frames of the same layouts is the ceiling.
  Entities more than 20% hidden behind others are left out of both. Beside it, how much
  the other keyframes' background (pixels no box covers) changes from the scene's anchor.
- infill: 9-frame windows of held-out clips, the two true end frames known; PSNR and
  SSIM of the 7 made frames against the world's true frames, beside a linear cross-fade
  of the ends and the box-warped guess the infill model starts from.
- identity: entities rendered in several scenes (different backgrounds, places, seeds);
  the distance between crops of the same entity across scenes against the distance
  between two different entities of the same category.
- speed: frames per second, batched, on this machine's CPU threads.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np
import torch

from director.renderer import FrameSpec, InfillJob, KeyframeRequest, SceneContext
from director.storyboard import Box, Entity
from renderers.tiny.conditioning import coverage, warp_guess
from renderers.tiny.detect import detect, iou
from renderers.tiny.renderer import TinyRenderer, anchor_frame
from renderers.tiny.train import HELD_OUT_SEEDS, to_tensor
from renderers.tiny.world import BACKGROUNDS, Clip, background_caption, sample_clip

BENCH_SEEDS = HELD_OUT_SEEDS + 500_000  # away from the held-out seeds the training log evaluates on
VALIDATION_SEEDS = HELD_OUT_SEEDS + 200_000  # where the renderer's settings were chosen (`--validation`)


def clip_scene(clip: Clip, size: int = 32) -> tuple[SceneContext, list[str]]:
    """A scene context asking for the clip's background and entities (category + colour name)."""
    ids = [f"e{i}_{e.category}" for i, e in enumerate(clip.entities)]
    entities = tuple(
        Entity(id=ids[i], name=e.phrase, category=e.category, attributes={"color": e.color_name})
        for i, e in enumerate(clip.entities)
    )
    caption = background_caption(clip.background, clip.time, clip.caption_variant)
    return SceneContext(f"clip{clip.seed}", "", "", caption, "", entities, (), size, size), ids


def clip_spec(clip: Clip, ids: list[str], s: float, index: int) -> FrameSpec:
    boxes = {ids[i]: Box(x0=b[0], y0=b[1], x1=b[2], y1=b[3]) for i, b in clip.layout(s)}
    return FrameSpec(index=index, t=s, boxes=boxes)


def visible_share(layout: list, k: int) -> float:
    cover = coverage(layout[k][1], 32)
    seen = cover.clone()
    for _, later in layout[k + 1 :]:
        seen *= 1 - coverage(later, 32)
    return float(seen.sum() / cover.sum())


def placement(renderer: TinyRenderer, clips: int, keyframes: int, seeds: int = BENCH_SEEDS) -> dict:
    ious, ceiling, anchor_ious, drift = [], [], [], []
    for n in range(clips):
        clip = sample_clip(seeds + n)
        scene, ids = clip_scene(clip)
        times = np.linspace(0, 1, keyframes)
        specs = tuple(clip_spec(clip, ids, float(s), k) for k, s in enumerate(times))
        frames = renderer.keyframes([KeyframeRequest(scene, specs, seed=n)])[0]
        looks = {e.id: renderer.look(e).color for e in scene.entities}
        anchor = anchor_frame([spec.boxes for spec in specs])  # the keyframe the renderer draws first
        for k, s in enumerate(times):
            layout = clip.layout(float(s))
            truth = clip.frame(float(s), 32)
            for j, (i, box) in enumerate(layout):
                if visible_share(layout, j) < 0.8:
                    continue
                found = detect(frames[k], looks[ids[i]], category=clip.entities[i].category)
                value = iou(found, box) if found else 0.0
                ious.append(value)
                if k == anchor:
                    anchor_ious.append(value)
                true_found = detect(truth, clip.entities[i].color, category=clip.entities[i].category)
                ceiling.append(iou(true_found, box) if true_found else 0.0)
            if k != anchor:
                drift.append(background_change(frames[k], frames[anchor], layout + clip.layout(float(times[anchor]))))
    return {"entities": len(ious), "mean_iou": float(np.mean(ious)), "anchor_iou": float(np.mean(anchor_ious)),
            "ceiling": float(np.mean(ceiling)), "share_over_half": float(np.mean(np.array(ious) > 0.5)),
            "background_change": float(np.mean(drift))}


def background_change(frame: np.ndarray, anchor: np.ndarray, boxes: list) -> float:
    """Mean absolute change (0-255) of a keyframe from its scene's anchor over the pixels no box covers in either."""
    free = np.ones((32, 32))
    for _, box in boxes:
        free *= 1 - coverage(box, 32).numpy()
    change = np.abs(frame.astype(np.float64) - anchor.astype(np.float64)).mean(axis=2)
    return float((change * free).sum() / max(free.sum(), 1.0))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(mse, 1e-10)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over 7x7 windows and the three channels (Wang et al. 2004 constants)."""
    x, y = torch.tensor(a, dtype=torch.float64).permute(2, 0, 1)[None], torch.tensor(b, dtype=torch.float64).permute(2, 0, 1)[None]
    pool = torch.nn.functional.avg_pool2d
    mx, my = pool(x, 7, 1), pool(y, 7, 1)
    vx, vy, cxy = pool(x * x, 7, 1) - mx**2, pool(y * y, 7, 1) - my**2, pool(x * y, 7, 1) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    value = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(value.mean())


def infill(renderer: TinyRenderer, clips: int, window: int = 9) -> dict:
    scores: dict[str, list[tuple[float, float]]] = {"model": [], "crossfade": [], "warp": [], "kept": []}
    jobs, truths, fades, warps, confidences = [], [], [], [], []
    for n in range(clips):
        clip = sample_clip(BENCH_SEEDS + 10_000 + n)
        scene, ids = clip_scene(clip)
        times = np.linspace(0, 1, window)
        specs = tuple(clip_spec(clip, ids, float(s), k) for k, s in enumerate(times))
        first, last = clip.frame(0.0, 32), clip.frame(1.0, 32)
        jobs.append(InfillJob(scene, specs, {0: first, window - 1: last}, seed=n))
        truths.append([clip.frame(float(s), 32) for s in times[1:-1]])
        fades.append([((1 - s) * first + s * last).round().astype(np.uint8) for s in times[1:-1]])
        placed = [renderer._placed(scene, spec) for spec in specs]
        known = [(to_tensor(first), placed[0], 0.0), (to_tensor(last), placed[-1], 1.0)]
        guesses = [warp_guess(known, placed[k], float(times[k]), 32) for k in range(1, window - 1)]
        warps.append([((g.permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy() for g, _ in guesses])
        confidences.append([c.permute(1, 2, 0).numpy() for _, c in guesses])
    made = []
    for start in range(0, len(jobs), renderer.info.max_batch):
        made += renderer.infill(jobs[start : start + renderer.info.max_batch])
    for n in range(clips):
        for k in range(window - 2):
            truth = truths[n][k]
            scores["model"].append((psnr(made[n][k], truth), ssim(made[n][k], truth)))
            scores["crossfade"].append((psnr(fades[n][k], truth), ssim(fades[n][k], truth)))
            scores["warp"].append((psnr(warps[n][k], truth), ssim(warps[n][k], truth)))
            # the guess where it is sure, the model only where it is not: what the model adds in the holes
            kept = (confidences[n][k] * warps[n][k] + (1 - confidences[n][k]) * made[n][k]).round().astype(np.uint8)
            scores["kept"].append((psnr(kept, truth), ssim(kept, truth)))
    return {name: (float(np.mean([p for p, _ in v])), float(np.mean([s for _, s in v]))) for name, v in scores.items()}


def identity(renderer: TinyRenderer, entities: int, scenes: int) -> dict:
    """Crops (8x8) of each entity in `scenes` scenes; same-entity vs same-category-other-entity distances."""
    categories = ["dog", "cat", "person", "car", "bird", "robot", "ball", "horse"][: max(1, entities // 2)]
    cast = [Entity(id=f"{c}_{k}", name=f"{c} {k}", category=c) for c in categories for k in range(2)]
    kinds = list(BACKGROUNDS)
    crops: dict[str, list[np.ndarray]] = {e.id: [] for e in cast}
    rng = np.random.default_rng(7)
    requests = []
    for s in range(scenes):
        for e in cast:
            h = float(rng.uniform(0.35, 0.5))
            w = h * float(rng.uniform(0.9, 1.4))
            x0, y0 = float(rng.uniform(0, 1 - w)), float(rng.uniform(0.3, 1 - h))
            box = Box(x0=x0, y0=y0, x1=x0 + w, y1=y0 + h)
            scene = SceneContext(f"s{s}{e.id}", "", "", kinds[(s * 3 + len(e.id)) % len(kinds)], "", (e,), (), 32, 32)
            requests.append((e.id, box, KeyframeRequest(scene, (FrameSpec(0, 0.0, {e.id: box}),), seed=s * 100 + len(requests))))
    frames = []
    for start in range(0, len(requests), 32):
        frames += renderer.keyframes([r for _, _, r in requests[start : start + 32]])
    for (entity_id, box, _), frame in zip(requests, frames):
        x0, y0, x1, y1 = (int(round(v * 32)) for v in (box.x0, box.y0, box.x1, box.y1))
        crop = torch.tensor(frame[0][y0:y1, x0:x1], dtype=torch.float32).permute(2, 0, 1)[None]
        crops[entity_id].append(torch.nn.functional.interpolate(crop, size=(8, 8), mode="area")[0].flatten().numpy())
    same, other, wins = [], [], []
    for c in categories:
        a, b = crops[f"{c}_0"], crops[f"{c}_1"]
        for i in range(scenes):
            for j in range(scenes):
                if i < j:
                    same += [np.linalg.norm(a[i] - a[j]), np.linalg.norm(b[i] - b[j])]
                other.append(np.linalg.norm(a[i] - b[j]))
        for i in range(scenes):
            for j in range(scenes):
                for k in range(scenes):
                    if j != i:
                        wins.append(np.linalg.norm(a[i] - a[j]) < np.linalg.norm(a[i] - b[k]))
    colors_differ = sum(renderer.look(cast[2 * n]).color_name != renderer.look(cast[2 * n + 1]).color_name for n in range(len(categories)))
    return {"same": float(np.mean(same)), "different": float(np.mean(other)), "wins": float(np.mean(wins)),
            "pairs": len(categories), "pairs_differing_in_colour_name": colors_differ}


def speed(renderer: TinyRenderer, size: tuple[int, int]) -> dict:
    width, height = size
    results = {}
    clip = sample_clip(BENCH_SEEDS + 99, num_entities=3)
    scene, ids = clip_scene(clip)
    scene = SceneContext(scene.scene_id, "", "", scene.background, "", scene.entities, (), width, height)
    specs = tuple(clip_spec(clip, ids, float(s), k) for k, s in enumerate(np.linspace(0, 1, 16)))
    requests = [KeyframeRequest(scene, specs, seed=k) for k in range(4)]
    renderer.keyframes(requests[:1])  # load the models
    started = time.perf_counter()
    frames = renderer.keyframes(requests)
    results["keyframes_per_s"] = sum(len(f) for f in frames) / (time.perf_counter() - started)
    known = {0: frames[0][0], 15: frames[0][15]}
    jobs = [InfillJob(scene, specs, known, seed=k) for k in range(8)]
    started = time.perf_counter()
    made = renderer.infill(jobs)
    results["infill_per_s"] = sum(len(f) for f in made) / (time.perf_counter() - started)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["placement", "infill", "identity", "speed"], action="append")
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights-dir", default=None)
    parser.add_argument("--infill-strength", type=float, default=None, help="the renderer's infill_strength (default: its own)")
    parser.add_argument("--infill-steps", type=int, default=None)
    parser.add_argument("--layout-guidance", type=float, default=None, help="the renderer's layout_guidance (default: its own)")
    parser.add_argument("--keyframe-strength", type=float, default=None, help="the renderer's keyframe_strength (default: its own)")
    parser.add_argument("--validation", action="store_true",
                        help=f"placement on the validation seeds (from {VALIDATION_SEEDS}), where settings are chosen")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = ("infill_strength", "infill_steps", "layout_guidance", "keyframe_strength")
    options = {k: getattr(args, k) for k in settings if getattr(args, k) is not None}
    seeds = VALIDATION_SEEDS if args.validation else BENCH_SEEDS
    renderer = TinyRenderer(weights_dir=args.weights_dir, **options)
    parts = args.only or ["placement", "infill", "identity", "speed"]
    digest = hashlib.sha256(renderer.fingerprint.encode()).hexdigest()[:8]
    print(f"renderer: {renderer.fingerprint} ({digest}); held-out world seeds from {seeds}\n")
    if "placement" in parts:
        r = placement(renderer, args.clips, 16, seeds)
        print("| placement | entities | mean IoU (all keyframes) | mean IoU (anchor keyframes) | IoU > 0.5 | detector ceiling (true frames) "
              "| background change from the anchor (0-255) |")
        print("|---|---|---|---|---|---|---|")
        print(f"| keyframes, {args.clips} clips x 16 | {r['entities']} | {r['mean_iou']:.3f} | {r['anchor_iou']:.3f} "
              f"| {r['share_over_half']:.2f} | {r['ceiling']:.3f} | {r['background_change']:.1f} |\n")
    if "infill" in parts:
        r = infill(renderer, args.clips)
        print("| infill (7 frames between known ends) | PSNR dB | SSIM |")
        print("|---|---|---|")
        for name, label in (("model", "tiny infill model"), ("warp", "box-warped guess (its input)"), ("crossfade", "linear cross-fade of the ends"),
                            ("kept", "the guess where its confidence is, the model elsewhere")):
            print(f"| {label} | {r[name][0]:.2f} | {r[name][1]:.3f} |")
        print()
    if "identity" in parts:
        r = identity(renderer, 16, 4)
        print("| identity (8x8 crops, RGB distance) | same entity, other scenes | other entity, same category | same closer (triplets) |")
        print("|---|---|---|---|")
        print(f"| {r['pairs']} category pairs x 4 scenes ({r['pairs_differing_in_colour_name']} pairs differ in colour name) | {r['same']:.1f} | {r['different']:.1f} | {r['wins']:.2f} |\n")
    if "speed" in parts:
        print("| speed, batched | keyframes/s | infill frames/s |")
        print("|---|---|---|")
        for size in ((32, 32), (512, 288)):
            r = speed(renderer, size)
            print(f"| {size[0]}x{size[1]}, {args.threads} threads | {r['keyframes_per_s']:.1f} | {r['infill_per_s']:.1f} |")


if __name__ == "__main__":
    main()
