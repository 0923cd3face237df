"""Issue 15's measures of the tiny renderer, on held-out seeds of the v3 world (256x144).

    python benchmarks/bench_tiny_v3.py                      # today's renderer (v2) and the world's own frames
    python benchmarks/bench_tiny_v3.py --source world       # the ceilings only
    python benchmarks/bench_tiny_v3.py --only kind identity
    python benchmarks/bench_tiny_v3.py --source world --source upscaler --upscaler RUN_DIR
    python benchmarks/bench_tiny_v3.py --source v3 --v3-weights DIR   # renderer v3 (default: its shipped weights)
    python benchmarks/bench_tiny_v3.py --source world --source v3 --only kind --by-kind   # which kinds it misses
    python benchmarks/bench_tiny_v3.py --source world --source v3 --kind-sheet PNG --kinds cat,dog   # and how they look

Every measure runs on a *source* of frames: `world` (the v3 world's own frames: the
ceiling of each measure) or `v2` (the shipped `TinyRenderer`, asked for the same
layouts as a storyboard would ask: each entity by its kind and id, no colour, the
setting by its caption; it draws at 32x32, upsampled to 256x144) or `upscaler`
(the world's frames made small, 64x36 or 128x72 as the upscaler was
trained, and upscaled again by v3's upscaler from them and their layouts: what any
keyframe model at that size can reach at best through it) or `v3` (`TinyV3Renderer`, asked as v2 is, in the looks it chooses
across the cast).

- kind recognised: a small CNN (the `KindClassifier` below) trained on true crops of
  the world (training seeds, the 18 `MEASURED_KINDS`), each crop the entity's box
  squashed to 32x32 so that only the drawing, not the box's shape, tells the kind.
  Accuracy on held-out crops of the source against the same on true crops.
  With `--framing closer`, every clip (the classifier's too) is seen through a full,
  medium or close-up shot of its first person or animal (`world.closer`), so figures
  are as large as storyboards' shots make them, cropped by the frame: the crop is
  the part in the frame, which the renderer is told (`FrameSpec.cropped`).
- placement: a colour detector that knows the source's look of the entity (its main
  colour and where in its box the figure paints it) finds its box; mean IoU with the
  box asked for. Entities less than 80% visible are left out.
- identity: an 8-member cast (5 people, a child, a dog, a cat), 12 scenes of 4 members
  each (other settings, times, places, sizes); each crop (8x8, CIELAB) retrieves the
  nearest crop of another scene: the share that is the same member (rank-1 re-id).
- infill: 9-frame windows of held-out clips with both true ends known: PSNR and SSIM
  of the 7 made frames against the world's, beside a cross-fade of the ends and the
  box-warped guess (`renderers/tiny/v3/conditioning.warp_guess`).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from bench_tiny import psnr, ssim
from PIL import Image
from scipy import ndimage

from director.renderer import FrameSpec, InfillJob, KeyframeRequest, SceneContext
from director.storyboard import Box, Entity
from renderers.tiny.v3.conditioning import warp_guess
from renderers.tiny.v3.figures import figure_layer, shade
from renderers.tiny.v3.looks import CastMember, Look, srgb_to_lab
from renderers.tiny.v3.train import HELD_OUT_SEEDS
from renderers.tiny.v3.world import CLOSER_SIZES, FRAME, SETTINGS, TIMES, Clip, closer, sample_clip

BENCH_SEEDS = HELD_OUT_SEEDS + 500_000
VALIDATION_SEEDS = HELD_OUT_SEEDS + 700_000  # `--validation`: other clips, to choose a setting on before measuring it on BENCH_SEEDS
MEASURED_KINDS = ("person", "child", "dog", "cat", "fox", "horse", "cow", "sheep", "bear", "car", "bus", "truck",
                  "bird", "bicycle", "tree", "ball", "chair", "house")
CROP = 32
CLASSIFIER_CACHE = Path("runs/bench-tiny-v3")
UPSCALER = Path("runs/tiny-v3-upscaler")  # `--upscaler`'s default: the run directory `director train tiny v3-upscaler` makes


# Sources of frames -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the detector looks for: colours (RGB, tolerance) and where in its box the figure paints them."""

    colors: tuple[tuple[tuple[int, int, int], float], ...]
    extent: tuple[float, float, float, float]


@lru_cache(maxsize=4096)
def _extent_of(look: Look) -> tuple[float, float, float, float]:
    layer = np.asarray(figure_layer(look, 128, 128)).astype(np.float32)
    target = _v3_colors(look)
    painted = _color_mask(layer[..., :3], target) & (layer[..., 3] > 127)
    ys, xs = np.nonzero(painted)
    if len(xs) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return (xs.min() / 128, ys.min() / 128, (xs.max() + 1) / 128, (ys.max() + 1) / 128)


def _v3_colors(look: Look) -> tuple[tuple[tuple[int, int, int], float], ...]:
    return ((look.main, 45.0), (shade(look.main, 0.82), 25.0), (shade(look.main, 0.72), 25.0))


class WorldSource:
    """The world's own frames: the ceiling of every measure."""

    name = "world (ceiling)"

    def keyframes(self, clip: Clip, times: list[float], seed: int) -> list[np.ndarray]:
        return [clip.frame(s) for s in times]

    def lineup(self, clip: Clip, seed: int) -> np.ndarray:
        return clip.frame(0.0)

    def target(self, clip: Clip, i: int) -> Target:
        look = clip.entities[i].look
        return Target(_v3_colors(look), _extent_of(look))

    def infill(self, clip: Clip, times: list[float], seed: int) -> list[np.ndarray] | None:
        return None  # the truth itself

    def drawn(self, clip: Clip) -> Clip:
        """The clip as this source is asked to draw it (the infill measure's truth and known ends)."""
        return clip


class V2Source:
    """The shipped tiny renderer (v2), asked for a clip's layouts the way a storyboard asks."""

    name = "tiny v2 (shipped)"

    def __init__(self) -> None:
        from renderers.tiny.renderer import TinyRenderer

        self.renderer = TinyRenderer()

    def _scene(self, clip: Clip) -> SceneContext:
        entities = tuple(Entity(id=e.id, name=e.kind, category=e.kind) for e in clip.entities)
        return SceneContext(f"clip{clip.seed}", "", "", clip.caption, "", entities, (), *FRAME)

    @staticmethod
    def _spec(clip: Clip, s: float, index: int) -> FrameSpec:
        """The frame as a storyboard's shot gives it: boxes clipped to the frame, and the whole box of each
        entity a closer framing crops (`FrameSpec.cropped`)."""
        boxes, cropped = {}, {}
        for i, b in clip.layout(s):
            boxes[clip.entities[i].id] = Box(**dict(zip(("x0", "y0", "x1", "y1"), in_frame(b))))
            if in_frame(b) != b:
                cropped[clip.entities[i].id] = b
        return FrameSpec(index=index, t=s, boxes=boxes, cropped=cropped)

    def keyframes(self, clip: Clip, times: list[float], seed: int) -> list[np.ndarray]:
        specs = tuple(self._spec(clip, s, k) for k, s in enumerate(times))
        return list(self.renderer.keyframes([KeyframeRequest(self._scene(clip), specs, seed=seed)])[0])

    def lineup(self, clip: Clip, seed: int) -> np.ndarray:
        return self.keyframes(clip, [0.0], seed)[0]

    def target(self, clip: Clip, i: int) -> Target:
        from renderers.tiny.detect import colored_extent
        from renderers.tiny.world import shade as v2_shade

        e = clip.entities[i]
        color = self.renderer.look(Entity(id=e.id, name=e.kind, category=e.kind)).color
        return Target(((color, 60.0), (v2_shade(color, 0.55), 36.0)), colored_extent(e.kind))

    def infill(self, clip: Clip, times: list[float], seed: int) -> list[np.ndarray]:
        specs = tuple(self._spec(clip, s, k) for k, s in enumerate(times))
        known = {0: clip.frame(times[0]), len(times) - 1: clip.frame(times[-1])}
        return list(self.renderer.infill([InfillJob(self._scene(clip), specs, known, seed=seed)])[0])


class V3Source(V2Source):
    """Renderer v3 (`TinyV3Renderer`), asked as v2 is; each entity's look is the one it chooses across the cast
    (the clip's entities, or for the identity lineups the whole 8-member cast). `--v3-weights` says which weights."""

    name = "tiny v3"

    def __init__(self, weights: Path | None = None, settings: dict | None = None) -> None:
        """`weights`: a weights directory (None: the shipped weights); `settings`: TinyV3RendererConfig fields."""
        from renderers.tiny.v3.renderer import TinyV3Renderer

        self.renderer = TinyV3Renderer(weights_dir=weights, **(settings or {}))

    def _scene(self, clip: Clip) -> SceneContext:
        entities = tuple(Entity(id=e.id, name=e.kind, category=e.kind) for e in clip.entities)
        lineup = {m.id for m in IDENTITY_CAST}
        cast = tuple(Entity(id=m.id, name=m.kind, category=m.kind) for m in IDENTITY_CAST) if {e.id for e in entities} <= lineup else entities
        return SceneContext(f"clip{clip.seed}", "", "", clip.caption, "", entities, (), *FRAME, cast=cast)

    def target(self, clip: Clip, i: int) -> Target:
        look = self.renderer.looks(self._scene(clip))[clip.entities[i].id].look
        return Target(_v3_colors(look), _extent_of(look))

    def drawn(self, clip: Clip) -> Clip:
        """The clip in the looks, setting and time of day v3 conditions its models on (chosen across the cast, read
        from the caption): infill's known ends are frames it drew, so they come in its own looks, and a model
        told "red coat" must not be scored against ends drawn in the world's blue one."""
        from dataclasses import replace

        scene = self._scene(clip)
        looks = self.renderer.looks(scene)
        setting, when = self.renderer.setting(scene)
        return Clip(clip.seed, list(SETTINGS)[setting], TIMES[when], tuple(replace(e, look=looks[e.id].look) for e in clip.entities),
                     clip.caption_variant)


class UpscalerSource(WorldSource):
    """The world's own frames made small (area-averaged to the size the upscaler was trained from: 64x36, or
    128x72 for `--patch 2`) and drawn again at 256x144 by v3's upscaler from them and their layouts: the ceiling
    of every measure for any keyframe model whose small frames it upscales. `--upscaler` says which weights."""

    def __init__(self, path: Path = UPSCALER) -> None:
        """`path`: a run directory or exported weights."""
        from renderers.tiny.text import Vocabulary, default_vocabulary_path
        from renderers.tiny.v3.train import load_v3

        self.model = load_v3("v3-upscaler", path)
        self.name = "v3 upscaler (world frames at {}x{}, upscaled)".format(*self.model.config.small_size)
        self.nouns = {k: torch.from_numpy(v) for k, v in Vocabulary.load(default_vocabulary_path()).categories.items()}

    @torch.no_grad()
    def keyframes(self, clip: Clip, times: list[float], seed: int) -> list[np.ndarray]:
        from renderers.tiny.v3.models import rasterise
        from renderers.tiny.v3.train import placed_layout

        pixels = torch.stack([_to_tensor(clip.frame(s)) for s in times])
        layouts = [placed_layout(clip, s, self.nouns) for s in times]
        setting = self.model.setting_table[[list(SETTINGS).index(clip.setting)] * len(times)]
        when = torch.tensor([TIMES.index(clip.time)] * len(times))
        small = torch.nn.functional.interpolate(pixels, size=self.model.config.small_size[::-1], mode="area")
        made = self.model(small, torch.zeros(len(times), dtype=torch.long),
                          rasterise(layouts, FRAME), setting, when)
        return [_to_image(frame) for frame in made.clamp(-1, 1)]

    def lineup(self, clip: Clip, seed: int) -> np.ndarray:
        return self.keyframes(clip, [0.0], seed)[0]


SOURCES = {"world": WorldSource, "v2": V2Source, "v3": V3Source, "upscaler": UpscalerSource}


# Crops and the kind classifier --------------------------------------------------------------------


def visible_share(clip: Clip, s: float, i: int, masks: np.ndarray) -> float:
    """How much of entity i's own figure in the frame shows at s (the rest is behind smaller things in front)."""
    box = clip.entities[i].box(s)
    if box is None:
        return 0.0
    x0, y0 = round(box[0] * FRAME[0]), round(box[1] * FRAME[1])
    x1, y1 = round(box[2] * FRAME[0]), round(box[3] * FRAME[1])
    alone = np.asarray(figure_layer(clip.entities[i].look, max(1, x1 - x0), max(1, y1 - y0)))[..., 3] > 127
    alone = alone[max(0, -y0) : FRAME[1] - y0, max(0, -x0) : FRAME[0] - x0]  # a closer framing's figure: its part in the frame
    return float(masks[i].sum() / max(1, alone.sum()))


def in_frame(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (max(box[0], 0.0), max(box[1], 0.0), min(box[2], 1.0), min(box[3], 1.0))


def crop(frame: np.ndarray, box: tuple[float, float, float, float], size: tuple[int, int] = (CROP, CROP)) -> np.ndarray:
    """The box's pixels (its part in the frame) resized to `size` (width, height), squashed: (h, w, 3) uint8."""
    box = in_frame(box)
    h, w = frame.shape[:2]
    x0, y0 = int(np.floor(box[0] * w)), int(np.floor(box[1] * h))
    x1, y1 = max(x0 + 1, int(np.ceil(box[2] * w))), max(y0 + 1, int(np.ceil(box[3] * h)))
    return np.asarray(Image.fromarray(frame[y0:y1, x0:x1]).resize(size, Image.Resampling.BOX))


FRAMINGS = ("world", "closer")  # `--framing`: the world's own, or each clip through a closer camera


def kind_clip(seed: int, framing: str = "world") -> Clip:
    """The kind measure's clip of `seed`: 1-3 measured kinds; for the `closer` framing seen through a full,
    medium or close-up shot of its first person or animal (`world.closer`, the size by the seed)."""
    rng = np.random.default_rng([seed, 15])
    kinds = [str(k) for k in rng.choice(MEASURED_KINDS, int(rng.integers(1, 4)))]
    clip = sample_clip(seed, kinds=kinds, num_entities=len(kinds))
    return closer(clip, CLOSER_SIZES[seed % len(CLOSER_SIZES)]) if framing == "closer" else clip


def measurable(clip: Clip, s: float) -> list[tuple[int, tuple[float, float, float, float]]]:
    """The entities at s big enough in the frame (12 pixels each way) and at least 80% visible there."""
    big = [(i, box) for i, box in clip.layout(s)
           if (min(box[2], 1) - max(box[0], 0)) * FRAME[0] >= 12 and (min(box[3], 1) - max(box[1], 0)) * FRAME[1] >= 12]
    masks = clip.masks(s) if big else None
    return [(i, box) for i, box in big if visible_share(clip, s, i, masks) >= 0.8]


class KindClassifier(torch.nn.Module):
    """A small CNN naming the kind of a 32x32 crop: three conv stages and a linear layer."""

    def __init__(self, kinds: int = len(MEASURED_KINDS)) -> None:
        super().__init__()
        layers: list[torch.nn.Module] = []
        for a, b in ((3, 16), (16, 32), (32, 64)):
            layers += [torch.nn.Conv2d(a, b, 3, padding=1), torch.nn.BatchNorm2d(b), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        self.features = torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.head = torch.nn.Linear(64, kinds)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:  # (B, 3, 32, 32) in [-1, 1] -> (B, kinds) logits
        return self.head(self.features(crops))


def _batch(crops: list[np.ndarray]) -> torch.Tensor:
    return torch.tensor(np.stack(crops)).permute(0, 3, 1, 2).float() / 127.5 - 1


def true_crops(seeds: range, framing: str = "world") -> tuple[list[np.ndarray], list[int]]:
    crops, labels = [], []
    for seed in seeds:
        clip = kind_clip(seed, framing)
        s = 0.5
        frame = clip.frame(s)
        for i, box in measurable(clip, s):
            crops.append(crop(frame, box))
            labels.append(MEASURED_KINDS.index(clip.entities[i].kind))
    return crops, labels


def train_classifier(clips: int, steps: int, log, framing: str = "world") -> KindClassifier:
    """Trained on true crops of `clips` training clips in `framing` (cached under runs/ by its settings)."""
    world = Path(__file__).resolve().parents[1] / "renderers" / "tiny" / "v3"
    digest = hashlib.sha256(",".join(MEASURED_KINDS).encode())
    for name in ("world.py", "figures.py", "looks.py"):  # a changed world is a new classifier
        digest.update((world / name).read_bytes())
    path = CLASSIFIER_CACHE / f"kind-{'' if framing == 'world' else framing + '-'}{clips}-{steps}-{digest.hexdigest()[:12]}.pt"
    torch.manual_seed(0)
    model = KindClassifier()
    if path.exists():
        model.load_state_dict(torch.load(path))
        return model.eval()
    started = time.perf_counter()
    crops, labels = true_crops(range(clips), framing)
    x, y = _batch(crops), torch.tensor(labels)
    log(f"kind classifier: {len(crops)} true crops from {clips} training clips ({time.perf_counter() - started:.0f} s)")
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for step in range(steps):
        pick = torch.randint(0, len(x), (64,), generator=generator)
        batch = x[pick]
        flip = torch.rand(64, generator=generator) < 0.5  # the world's figures face either way
        batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
        loss = torch.nn.functional.cross_entropy(model(batch), y[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for group in optimizer.param_groups:
            group["lr"] = 2e-3 * 0.5 * (1 + np.cos(np.pi * (step + 1) / steps))
    log(f"kind classifier: {steps} steps, last loss {loss.item():.3f} ({time.perf_counter() - started:.0f} s)")
    CLASSIFIER_CACHE.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


@torch.no_grad()
def kind_accuracy(source, classifier: KindClassifier, clips: int, framing: str = "world", seeds: int = BENCH_SEEDS) -> dict:
    crops, labels = [], []
    for n in range(clips):
        clip = kind_clip(seeds + n, framing)
        entities = measurable(clip, 0.5)
        if not entities:
            continue
        frame = source.keyframes(clip, [0.5], seed=n)[0]
        for i, box in entities:
            crops.append(crop(frame, box))
            labels.append(MEASURED_KINDS.index(clip.entities[i].kind))
    predicted = classifier(_batch(crops)).argmax(-1).numpy()
    return {"crops": len(crops), "accuracy": float(np.mean(predicted == np.array(labels))),
            "labels": labels, "predicted": predicted.tolist()}


def by_kind(result: dict) -> list[tuple[str, int, float, str]]:
    """A kind measure's result -> (kind, crops, accuracy, what it was most often taken for) per kind, most crops first."""
    labels, predicted = np.array(result["labels"]), np.array(result["predicted"])
    rows = []
    for k, kind in enumerate(MEASURED_KINDS):
        mine = predicted[labels == k]
        if not len(mine):
            continue
        wrong = mine[mine != k]
        mistaken = MEASURED_KINDS[np.bincount(wrong).argmax()] if len(wrong) else ""
        rows.append((kind, len(mine), float(np.mean(mine == k)), mistaken))
    return sorted(rows, key=lambda row: -row[1])


# Placement ----------------------------------------------------------------------------------------


def _color_mask(image: np.ndarray, colors) -> np.ndarray:
    mask = np.zeros(image.shape[:2], bool)
    for rgb, tolerance in colors:
        mask |= np.linalg.norm(image - np.array(rgb, np.float32), axis=-1) < tolerance
    return mask


def detect(frame: np.ndarray, target: Target) -> tuple[float, float, float, float] | None:
    """The box of the thing painted in the target's colours: its largest group of pixels and the groups
    touching it, mapped from where the colours are to the whole box by the target's extent."""
    mask = _color_mask(frame.astype(np.float32), target.colors)
    labels, count = ndimage.label(mask)
    if count == 0:
        return None
    sizes = ndimage.sum(mask, labels, range(1, count + 1))
    slices = ndimage.find_objects(labels)
    best = int(np.argmax(sizes))
    if sizes[best] < 4:
        return None
    ys, xs = slices[best]
    y0, y1, x0, x1 = ys.start, ys.stop, xs.start, xs.stop
    margin = 3
    for k, (gy, gx) in enumerate(slices):  # pieces of the same figure: legs, ears, arms split off by a shade
        if k != best and sizes[k] >= 2 and gy.start <= y1 + margin and gy.stop >= y0 - margin and gx.start <= x1 + margin and gx.stop >= x0 - margin:
            y0, y1, x0, x1 = min(y0, gy.start), max(y1, gy.stop), min(x0, gx.start), max(x1, gx.stop)
    h, w = mask.shape
    found = (x0 / w, y0 / h, x1 / w, y1 / h)
    ex0, ey0, ex1, ey1 = target.extent
    width, height = (found[2] - found[0]) / max(ex1 - ex0, 1e-3), (found[3] - found[1]) / max(ey1 - ey0, 1e-3)
    x, y = found[0] - ex0 * width, found[1] - ey0 * height
    return (max(0.0, x), max(0.0, y), min(1.0, x + width), min(1.0, y + height))


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def placement(source, clips: int, seeds: int = BENCH_SEEDS) -> dict:
    ious = []
    for n in range(clips):
        clip = sample_clip(seeds + 20_000 + n)
        times = [0.0, 0.5, 1.0]
        frames = source.keyframes(clip, times, seed=n)
        for frame, s in zip(frames, times):
            for i, box in measurable(clip, s):
                found = detect(frame, source.target(clip, i))
                ious.append(iou(found, box) if found else 0.0)
    return {"entities": len(ious), "mean_iou": float(np.mean(ious)), "over_half": float(np.mean(np.array(ious) > 0.5))}


# Identity -----------------------------------------------------------------------------------------

IDENTITY_CAST = (*(CastMember(f"adult_{k}", "person") for k in range(5)), CastMember("kid", "child"),
                 CastMember("rex", "dog"), CastMember("tom", "cat"))


def lineup_clip(scene: int, seeds: int = BENCH_SEEDS) -> tuple[Clip, list[int]]:
    """Scene `scene` of the identity cast: 4 members side by side, still, in a setting of its own."""
    from renderers.tiny.v3.world import WorldEntity, cast_looks

    rng = np.random.default_rng([scene, 0x1D])
    looks = cast_looks(IDENTITY_CAST)
    members = sorted(int(k) for k in rng.choice(len(IDENTITY_CAST), 4, replace=False))
    rng.shuffle(members)
    setting = list(SETTINGS)[(scene * 5) % len(SETTINGS)]
    entities, x = [], float(rng.uniform(0.0, 0.06))
    for m in members:
        member = IDENTITY_CAST[m]
        height = float(rng.uniform(0.55, 0.75)) * (0.7 if member.kind == "child" else 0.5 if member.kind in ("dog", "cat") else 1.0)
        aspect = {"person": 0.4, "child": 0.45, "dog": 1.3, "cat": 1.3}[member.kind]
        width = height * aspect * FRAME[1] / FRAME[0]
        bottom = float(rng.uniform(0.88, 0.98))
        box = (x, bottom - height, x + width, bottom)
        entities.append(WorldEntity(member.id, looks[member.id], box, box))
        x += width + float(rng.uniform(0.02, 0.06))
    time_of_day = TIMES[scene % len(TIMES)]
    return Clip(seeds + 30_000 + scene, setting, time_of_day, tuple(entities)), members


def descriptor(frame: np.ndarray, box) -> np.ndarray:
    return srgb_to_lab(crop(frame, box, (8, 8)).astype(np.float64)).ravel()


def identity(source, scenes: int = 12, seeds: int = BENCH_SEEDS) -> dict:
    rows = []  # (scene, member, descriptor)
    for scene in range(scenes):
        clip, members = lineup_clip(scene, seeds)
        frame = source.lineup(clip, seed=scene)
        for i, m in enumerate(members):
            rows.append((scene, m, descriptor(frame, clip.entities[i].start)))
    hits = []
    for scene, member, d in rows:
        gallery = [(np.linalg.norm(d - g), m) for s, m, g in rows if s != scene]
        hits.append(min(gallery, key=lambda item: item[0])[1] == member)
    return {"queries": len(hits), "rank1": float(np.mean(hits))}


# Infill -------------------------------------------------------------------------------------------


def _to_tensor(frame: np.ndarray) -> torch.Tensor:
    return torch.tensor(frame).permute(2, 0, 1).float() / 127.5 - 1


def _to_image(tensor: torch.Tensor) -> np.ndarray:
    return ((tensor.permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()


def infill(source, clips: int, window: int = 9, seeds: int = BENCH_SEEDS) -> dict:
    scores: dict[str, list[tuple[float, float]]] = {"model": [], "warp": [], "crossfade": []}
    for n in range(clips):
        clip = source.drawn(sample_clip(seeds + 40_000 + n))
        times = [float(s) for s in np.linspace(0, 1, window)]
        first, last = clip.frame(0.0), clip.frame(1.0)
        layouts = [[(clip.entities[i].id, box) for i, box in clip.layout(s)] for s in times]
        known = [(_to_tensor(first), layouts[0], 0.0), (_to_tensor(last), layouts[-1], 1.0)]
        made = source.infill(clip, times, seed=n)
        for k in range(1, window - 1):
            truth = clip.frame(times[k])
            guesses = {"warp": _to_image(warp_guess(known, layouts[k], times[k])[0]),
                       "crossfade": ((1 - times[k]) * first + times[k] * last).round().astype(np.uint8)}
            if made is not None:
                guesses["model"] = made[k - 1]
            for name, guess in guesses.items():
                scores[name].append((psnr(guess, truth), ssim(guess, truth)))
    return {name: (float(np.mean([p for p, _ in v])), float(np.mean([s for _, s in v]))) for name, v in scores.items() if v}


# A picture ----------------------------------------------------------------------------------------

SHEET_CAST = (CastMember("mira", "child"), CastMember("biscuit", "dog"), CastMember("dad", "person"), CastMember("van", "car"))


def contact_sheet(sources: list, path: str, columns: int = 4, rows: int = 2, seeds: int = BENCH_SEEDS) -> None:
    """Held-out clips of one cast in settings and times of their own: a row of frames per source, per group."""
    names = list(SETTINGS)
    clips = [sample_clip(seeds + 50_000 + k, setting=names[(k * 7) % len(names)], time=TIMES[k % len(TIMES)],
                         cast=SHEET_CAST, num_entities=2 + k % 3) for k in range(columns * rows)]
    lines = []
    for r in range(rows):
        for source in sources:
            lines.append(np.concatenate([source.keyframes(clip, [0.5], seed=k)[0] for k, clip in enumerate(clips[r * columns : (r + 1) * columns])], 1))
    Image.fromarray(np.concatenate(lines, 0)).save(path)


def kind_sheet(sources: list, kinds: list[str], path: str, per_kind: int = 3, clips: int = 120, seeds: int = BENCH_SEEDS) -> None:
    """The kind measure's boxes of `kinds` (up to `per_kind` each, from its first `clips` held-out clips), cropped
    at 64x64 and enlarged 2x: a row a source, a column a crop, the kinds in the order given."""
    columns: dict[str, list[list[np.ndarray]]] = {kind: [] for kind in kinds}  # kind -> crops, each one a source's
    for n in range(clips):
        clip = kind_clip(seeds + n)
        wanted = [(i, box) for i, box in measurable(clip, 0.5)
                  if clip.entities[i].kind in columns and len(columns[clip.entities[i].kind]) < per_kind]
        if not wanted:
            continue
        frames = [source.keyframes(clip, [0.5], seed=n)[0] for source in sources]
        for i, box in wanted:
            columns[clip.entities[i].kind].append([crop(frame, box, (64, 64)) for frame in frames])
        if all(len(found) == per_kind for found in columns.values()):
            break
    found = [column for kind in kinds for column in columns[kind]]
    if not found:
        raise SystemExit(f"no measurable {', '.join(kinds)} in the first {clips} held-out clips")
    sheet = np.concatenate([np.concatenate([column[k] for column in found], 1) for k in range(len(sources))], 0)
    Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.Resampling.NEAREST).save(path)


# Report -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", choices=list(SOURCES), action="append", help="default: world and v2")
    parser.add_argument("--only", choices=["kind", "placement", "identity", "infill"], nargs="+")
    parser.add_argument("--clips", type=int, default=120, help="held-out clips per measure (infill: a quarter)")
    parser.add_argument("--train-clips", type=int, default=2000, help="training clips for the kind classifier")
    parser.add_argument("--train-steps", type=int, default=800)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--v3-weights", type=Path, help="for --source v3: a weights directory (default: the shipped weights)")
    parser.add_argument("--v3-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="for --source v3: a renderer setting (TinyV3RendererConfig), e.g. layout_guidance=2")
    parser.add_argument("--upscaler", type=Path, default=UPSCALER,
                        help="for --source upscaler: a run directory or exported weights (default: %(default)s)")
    parser.add_argument("--framing", choices=FRAMINGS, default="world",
                        help="closer: every clip of the kind measure through a full, medium or close-up shot of its first "
                        "person or animal, figures cropped by the frame, the classifier trained on such crops (kind only)")
    parser.add_argument("--by-kind", action="store_true",
                        help="with the kind measure: also each kind's accuracy by source, and what it was most often taken for")
    parser.add_argument("--sheet", help="only draw a PNG here: the same held-out clips by each source, a row each")
    parser.add_argument("--kind-sheet", metavar="PNG", help="only draw the kind measure's crops of --kinds here: a row a source, "
                        "a column a crop")
    parser.add_argument("--kinds", default="bicycle,cat,dog,child", help="for --kind-sheet: kinds, comma-separated (default: %(default)s)")
    parser.add_argument("--validation", action="store_true",
                        help=f"measure on other held-out clips (seeds from {VALIDATION_SEEDS}), to choose a renderer setting on "
                        "them rather than on the clips that then measure it")
    args = parser.parse_args()
    seeds = VALIDATION_SEEDS if args.validation else BENCH_SEEDS
    if args.framing == "closer" and args.only != ["kind"]:
        parser.error("--framing closer measures kind only (--only kind): the placement detector maps a figure's colours "
                     "to its whole box, which a cropped figure does not show")
    torch.set_num_threads(args.threads)
    parts = args.only or ["kind", "placement", "identity", "infill"]
    made_with = {"v3": {"weights": args.v3_weights, "settings": dict(setting.split("=", 1) for setting in args.v3_setting)},
                 "upscaler": {"path": args.upscaler}}  # the settings' strings: pydantic converts them
    sources = [SOURCES[name](**made_with.get(name, {})) for name in (args.source or ["world", "v2"])]
    if args.sheet:
        contact_sheet(sources, args.sheet, seeds=seeds)
        return
    if args.kind_sheet:
        kinds = args.kinds.split(",")
        unknown = sorted(set(kinds) - set(MEASURED_KINDS))
        if unknown:
            parser.error(f"--kinds: {', '.join(unknown)} not among the measured kinds ({', '.join(MEASURED_KINDS)})")
        kind_sheet(sources, kinds, args.kind_sheet, clips=args.clips, seeds=seeds)
        return

    def log(text: str) -> None:
        print(f"<!-- {text} -->", flush=True)

    results: dict[str, dict[str, dict]] = {}
    classifier = train_classifier(args.train_clips, args.train_steps, log, args.framing) if "kind" in parts else None
    for source in sources:
        started = time.perf_counter()
        results[source.name] = {}
        if "kind" in parts:
            results[source.name]["kind"] = kind_accuracy(source, classifier, args.clips, args.framing, seeds)
        if "placement" in parts:
            results[source.name]["placement"] = placement(source, args.clips // 2, seeds)
        if "identity" in parts:
            results[source.name]["identity"] = identity(source, seeds=seeds)
        if "infill" in parts:
            results[source.name]["infill"] = infill(source, max(1, args.clips // 4), seeds=seeds)
        log(f"{source.name}: {time.perf_counter() - started:.0f} s")
    print(f"Held-out v3 world seeds from {seeds}; frames {FRAME[0]}x{FRAME[1]}.\n")
    if "kind" in parts:
        framing = ", through a closer camera (`--framing closer`)" if args.framing == "closer" else ""
        print(f"| kind recognised (18 kinds, 32x32 crops{framing}) | crops | accuracy |")
        print("|---|---|---|")
        for name, r in results.items():
            print(f"| {name} | {r['kind']['crops']} | {r['kind']['accuracy']:.3f} |")
        print()
        if args.by_kind:
            names = list(results)
            print("| kind | crops | " + " | ".join(f"{name} (most often taken for)" for name in names) + " |")
            print("|---|---|" + "---|" * len(names))
            tables = {name: {row[0]: row for row in by_kind(results[name]["kind"])} for name in names}
            for kind, (_, crops, _, _) in tables[names[0]].items():  # the first source's order: most crops first
                cells = [f"{tables[name][kind][2]:.2f} ({tables[name][kind][3] or '-'})" for name in names]
                print(f"| {kind} | {crops} | " + " | ".join(cells) + " |")
            print()
    if "placement" in parts:
        print("| placement (colour detector, 3 keyframes a clip) | entities | mean IoU | IoU > 0.5 |")
        print("|---|---|---|---|")
        for name, r in results.items():
            p = r["placement"]
            print(f"| {name} | {p['entities']} | {p['mean_iou']:.3f} | {p['over_half']:.2f} |")
        print()
    if "identity" in parts:
        print("| identity (8-member cast, 12 scenes of 4, rank-1 retrieval of 8x8 CIELAB crops) | queries | same member retrieved |")
        print("|---|---|---|")
        for name, r in results.items():
            print(f"| {name} | {r['identity']['queries']} | {r['identity']['rank1']:.2f} |")
        print()
    if "infill" in parts:
        print("| infill (7 frames between two known ends) | PSNR dB | SSIM |")
        print("|---|---|---|")
        for name, r in results.items():  # each source's clips in its own looks (`drawn`), so each has its own baselines
            for what, (p, s) in r["infill"].items():
                label = {"model": "its infill", "warp": "box-warped guess", "crossfade": "cross-fade of the ends"}[what]
                print(f"| {name}: {label} | {p:.2f} | {s:.3f} |")


if __name__ == "__main__":
    main()
