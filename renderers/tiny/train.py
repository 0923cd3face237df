"""Training the tiny models on the procedural world: `director train tiny keyframe|infill|vocabulary`.

`train_tiny` is that command: the shipped models' widths unless others are given, the
run directory, resume, export; `train` is one run of `TrainOptions`.

Data is drawn on the fly from `world.sample_clip(seed)` with seeds below
`HELD_OUT_SEEDS` (benchmarks use seeds from there up), so a run is a pure
function of its options and its seed. Diffusion is diffusers' DDPM
(`squaredcos_cap_v2` betas, x0-prediction) with clamped-SNR loss weights, AdamW
and an EMA of the weights (diffusers' `EMAModel`), which is what gets shipped.

A run directory holds `state.json` (step, seconds, options), `model.safetensors`,
`ema.safetensors`, `optimizer.pt` and `log.jsonl` (training loss per step
group, held-out loss every `eval_every` steps); a run resumes from there.
`export` writes the EMA weights in half precision for the package.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from director.errors import InputError
from renderers.tiny.conditioning import Placed, rasterise, warp_guess
from renderers.tiny.models import TinyConfig, TinyModel, global_condition
from renderers.tiny.text import Vocabulary, default_vocabulary_path
from renderers.tiny.world import TIMES, Clip, sample_clip

HELD_OUT_SEEDS = 1_000_000_000  # training draws world seeds below this; evaluation at and above it
MODELS = ("keyframe", "infill", "vocabulary")  # what `director train tiny MODEL` makes
CHANNELS = {"keyframe": (64, 128, 128), "infill": (48, 96, 96)}  # the shipped models' UNet widths


@dataclass
class TrainOptions:
    kind: str = "keyframe"  # "keyframe" or "infill"
    steps: int = 4000
    batch_size: int = 16
    learning_rate: float = 6e-4
    warmup: int = 100
    ema_decay: float = 0.999
    seed: int = 0
    threads: int = 2
    checkpoint_every: int = 100
    eval_every: int = 200
    channels: tuple[int, ...] = (64, 128, 128)
    norm_groups: int = 32
    time_limit: float = 0.0  # stop (with a checkpoint) after this many seconds of training in this call; 0: no limit
    one_sided: float = 0.3  # infill: share of samples with a single known frame (how keyframes agree with an anchor)


# The models predict the clean frame (x0) rather than the noise or v: with the little training a CPU
# allows, an imperfect x0 prediction is a slightly blurry frame, while an imperfect noise prediction
# leaves noise in every sample (we saw both; see the model card).
PREDICTION = "sample"


def make_scheduler():
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type=PREDICTION)


def to_tensor(frame: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (3, H, W) float in [-1, 1]."""
    return torch.tensor(frame).permute(2, 0, 1).float() / 127.5 - 1


def clip_layout(clip: Clip, s: float, nouns: dict[str, torch.Tensor]) -> list[Placed]:
    return [Placed(str(i), box, nouns[clip.entities[i].category], clip.entities[i].color) for i, box in clip.layout(s)]


@dataclass
class Batch:
    target: torch.Tensor  # (B, 3, H, W) the true frames
    images: torch.Tensor  # (B, C, H, W) image conditions
    layout: object  # LayoutTensors
    condition: torch.Tensor  # (B, global_features)


def make_batch(kind: str, seeds: list[int], rng: np.random.Generator, vocab: Vocabulary, size: int = 32,
               one_sided: float = 0.3) -> Batch:
    nouns = {k: torch.from_numpy(v) for k, v in vocab.categories.items()}
    targets, images, layouts, backgrounds, times, extras = [], [], [], [], [], []
    for seed in seeds:
        clip = sample_clip(seed)
        backgrounds.append(torch.from_numpy(vocab.backgrounds[clip.background]))
        times.append(TIMES.index(clip.time))
        if kind == "keyframe":
            s = float(rng.uniform())
            targets.append(to_tensor(clip.frame(s, size)))
            layouts.append(clip_layout(clip, s, nouns))
            continue
        if rng.random() < one_sided:  # one known frame anywhere; the target anywhere else
            s_known, s = (float(v) for v in rng.uniform(size=2))
            known = [(to_tensor(clip.frame(s_known, size)), clip_layout(clip, s_known, nouns), s_known)]
            left_known = bool(rng.random() < 0.5)
            ends = [known[0][0], torch.zeros(3, size, size)] if left_known else [torch.zeros(3, size, size), known[0][0]]
            extra = [0.0 if left_known else 1.0, float(left_known), float(not left_known)]
        else:  # both ends of a window known; the target between them
            s_left = float(rng.uniform(0, 0.9))
            s_right = float(rng.uniform(s_left + 0.1, 1.0))
            s = float(rng.uniform(s_left, s_right))
            known = [(to_tensor(clip.frame(v, size)), clip_layout(clip, v, nouns), v) for v in (s_left, s_right)]
            ends = [known[0][0], known[1][0]]
            extra = [(s - s_left) / (s_right - s_left), 1.0, 1.0]
        layout = clip_layout(clip, s, nouns)
        guess, confidence = warp_guess(known, layout, s, size)
        targets.append(to_tensor(clip.frame(s, size)))
        layouts.append(layout)
        images.append(torch.cat([guess, confidence, *ends]))
        extras.append(extra)
    image_tensor = torch.stack(images) if images else torch.zeros(len(seeds), 0, size, size)
    extra_tensor = torch.tensor(extras, dtype=torch.float32) if extras else None
    condition = global_condition(torch.stack(backgrounds), torch.tensor(times), extra_tensor)
    return Batch(torch.stack(targets), image_tensor, rasterise(layouts, size), condition)


def diffusion_loss(model: TinyModel, scheduler, batch: Batch, generator: torch.Generator) -> torch.Tensor:
    """x0-prediction MSE, weighted by the signal-to-noise ratio clamped to [0.5, 5] (min-SNR-5, with a
    floor so the noisiest steps, where the layout decides the composition, still count)."""
    noise = torch.randn(batch.target.shape, generator=generator)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (batch.target.shape[0],), generator=generator)
    noisy = scheduler.add_noise(batch.target, noise, timesteps)
    prediction = model(noisy, timesteps, batch.images, batch.layout, batch.condition)
    alphas = scheduler.alphas_cumprod[timesteps]
    weight = torch.clamp(alphas / (1 - alphas), min=0.5, max=5.0)
    return (weight * (prediction - batch.target).pow(2).mean(dim=(1, 2, 3))).mean()


ProgressFn = Callable[[int, int, float], None]  # (step, total, latest loss)


@dataclass(frozen=True)
class Trained:
    """What `train_tiny` wrote."""

    run_dir: Path | None  # checkpoints and log.jsonl (None for the vocabulary, which is built, not trained)
    exported: Path | None  # the weights (or the vocabulary) for the package, where asked for


def train_tiny(model: str, *, run_dir: str | Path | None = None, export_to: str | Path | None = None, resume: bool = True,
               time_limit_minutes: float = 0, progress: ProgressFn | None = None, **settings: Any) -> Trained:
    """`director train tiny MODEL`: train (or resume) the keyframe or infill model in `run_dir`
    (default `runs/tiny-MODEL`) and export its EMA weights to `export_to`; or, for `vocabulary`,
    re-embed the world's words into `export_to` (default: the shipped vocabulary's path).

    `settings` are `TrainOptions` fields (steps, batch_size, learning_rate, channels, seed, threads);
    those not given take `TrainOptions`' defaults, and the widths the shipped model's."""
    from renderers.tiny.v3.train import V3_MODELS

    if model not in MODELS + V3_MODELS:
        raise InputError(f"unknown model {model!r}: use {', '.join(MODELS + V3_MODELS)}")
    if model in V3_MODELS:  # the v3 world's models (renderers/tiny/v3/train.py)
        from renderers.tiny.v3.train import V3Options, export_v3, train_v3

        widths = settings.pop("channels", None)
        options = V3Options(model=model, time_limit=time_limit_minutes * 60, **settings, **({"channels": tuple(widths)} if widths else {}))
        options.norm_groups = 16 if all(c % 16 == 0 for c in options.channels) else 8
        run = Path(run_dir) if run_dir is not None else Path("runs") / f"tiny-{model}"
        train_v3(options, run, resume=resume, progress=progress)
        return Trained(run, export_v3(run, export_to) if export_to is not None else None)
    if model == "vocabulary":
        path = Path(export_to) if export_to is not None else default_vocabulary_path()
        Vocabulary.build().save(path)
        return Trained(None, path)
    channels = tuple(settings.pop("channels", None) or CHANNELS[model])
    options = TrainOptions(
        kind=model, channels=channels, norm_groups=32 if all(c % 32 == 0 for c in channels) else 16,  # groups divide every width
        time_limit=time_limit_minutes * 60, **settings,
    )
    run = Path(run_dir) if run_dir is not None else Path("runs") / f"tiny-{model}"
    train(options, run, resume=resume, progress=progress)
    return Trained(run, export(run, export_to) if export_to is not None else None)


def train(options: TrainOptions, run_dir: str | Path, *, resume: bool = True, progress: ProgressFn | None = None,
          vocabulary: Vocabulary | None = None) -> Path:
    """Train (or resume) one model in `run_dir`; returns the run directory."""
    from diffusers.training_utils import EMAModel
    from safetensors.torch import load_file, save_file

    torch.set_num_threads(options.threads)
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary or Vocabulary.load(default_vocabulary_path())
    config = TinyConfig(kind=options.kind, channels=tuple(options.channels), norm_groups=options.norm_groups)
    torch.manual_seed(options.seed)
    model = TinyModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=0.01)
    ema = EMAModel(model.parameters(), decay=options.ema_decay, use_ema_warmup=True, power=0.75)
    scheduler = make_scheduler()
    step, seconds, wall_before = 0, 0.0, 0.0  # seconds: in training steps; wall: whole calls, start-up included
    call_started = time.perf_counter()
    state_path = run / "state.json"
    if resume and state_path.exists():
        state = json.loads(state_path.read_text())
        if state["options"]["kind"] != options.kind:
            raise ValueError(f"{run} holds a {state['options']['kind']} run, not {options.kind}")
        model.load_state_dict(load_file(str(run / "model.safetensors")))
        ema.load_state_dict(torch.load(run / "ema.pt", weights_only=False))
        optimizer.load_state_dict(torch.load(run / "optimizer.pt", weights_only=False))
        step, seconds, wall_before = state["step"], state["seconds"], state.get("wall_seconds", state["seconds"])
    held_out = make_batch(options.kind, list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 32)), np.random.default_rng(1), vocab,
                          one_sided=options.one_sided)

    def save_checkpoint() -> None:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(run / "model.safetensors"))
        torch.save(ema.state_dict(), run / "ema.pt")
        torch.save(optimizer.state_dict(), run / "optimizer.pt")
        wall = wall_before + time.perf_counter() - call_started
        state = {"step": step, "seconds": seconds, "wall_seconds": wall, "options": asdict(options)}
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(state_path)

    log = (run / "log.jsonl").open("a")
    model.train()
    while step < options.steps:
        if options.time_limit and time.perf_counter() - call_started > options.time_limit:
            save_checkpoint()
            break
        started = time.perf_counter()
        rng = np.random.default_rng([options.seed, step])  # the data of a step depends only on (seed, step)
        generator = torch.Generator().manual_seed(options.seed * 1_000_003 + step)
        seeds = [int(v) for v in rng.integers(0, HELD_OUT_SEEDS, options.batch_size)]
        batch = make_batch(options.kind, seeds, rng, vocab, one_sided=options.one_sided)
        for group in optimizer.param_groups:
            group["lr"] = options.learning_rate * min(1.0, (step + 1) / options.warmup)
        loss = diffusion_loss(model, scheduler, batch, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        ema.step(model.parameters())
        step += 1
        seconds += time.perf_counter() - started
        record = {"step": step, "loss": round(loss.item(), 5), "seconds": round(seconds, 1),
                  "wall_seconds": round(wall_before + time.perf_counter() - call_started, 1)}
        if step % options.eval_every == 0 or step == options.steps:
            record["held_out_loss"] = round(_held_out_loss(model, ema, scheduler, held_out), 5)
        log.write(json.dumps(record) + "\n")
        log.flush()
        if step % options.checkpoint_every == 0 or step == options.steps:
            save_checkpoint()
        if progress:
            progress(step, options.steps, loss.item())
    log.close()
    return run


@torch.no_grad()
def _held_out_loss(model: TinyModel, ema, scheduler, batch: Batch) -> float:
    """Loss of the EMA weights on a fixed batch of held-out world seeds, with fixed noise."""
    backup = [p.detach().clone() for p in model.parameters()]
    ema.copy_to(model.parameters())
    model.eval()
    loss = float(diffusion_loss(model, scheduler, batch, torch.Generator().manual_seed(0)))
    for p, saved in zip(model.parameters(), backup):
        p.copy_(saved)
    model.train()
    return loss


def export(run_dir: str | Path, destination: str | Path) -> Path:
    """Write the run's EMA weights (half precision, config and training facts in the metadata)."""
    from diffusers.training_utils import EMAModel
    from safetensors.torch import load_file

    run = Path(run_dir)
    state = json.loads((run / "state.json").read_text())
    options = state["options"]
    config = TinyConfig(kind=options["kind"], channels=tuple(options["channels"]), norm_groups=options["norm_groups"])
    config.extra = {"steps": state["step"], "train_seconds": round(state["seconds"]), "batch_size": options["batch_size"],
                    "seed": options["seed"], "learning_rate": options["learning_rate"]}
    model = TinyModel(config)
    model.load_state_dict(load_file(str(run / "model.safetensors")))
    ema = EMAModel(model.parameters(), decay=options["ema_decay"])
    ema.load_state_dict(torch.load(run / "ema.pt", weights_only=False))
    ema.copy_to(model.parameters())
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    model.save(destination)
    return destination


def plot_curves(runs: dict[str, str | Path], destination: str | Path, width: int = 900, height: int = 360) -> Path:
    """A PNG of each run's training loss (smoothed) and held-out loss against steps, one panel per run, from the
    run's first logged step (a run continued from exported weights starts at theirs) to its last. A step logged
    twice (a run stopped between checkpoints and resumed redoes the steps since the last one) counts once, as
    logged last."""
    from PIL import Image, ImageDraw

    from director.drawing import font

    picture = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    panel = width // max(1, len(runs))
    text = font(12)
    for p, (name, run) in enumerate(runs.items()):
        logged = [json.loads(line) for line in (Path(run) / "log.jsonl").read_text().splitlines() if line.strip()]
        records = sorted({r["step"]: r for r in logged}.values(), key=lambda r: r["step"])
        steps = np.array([r["step"] for r in records], dtype=float)
        losses = np.array([r["loss"] for r in records], dtype=float)
        window = max(1, len(losses) // 50)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        held = [(r["step"], r["held_out_loss"]) for r in records if "held_out_loss" in r]
        left, top, right, bottom = p * panel + 50, 30, (p + 1) * panel - 15, height - 40
        top_value = float(np.percentile(losses, 99)) * 1.1
        def at(step: float, value: float) -> tuple[float, float]:
            return (left + (right - left) * (step - steps.min()) / max(1.0, steps.max() - steps.min()), bottom - (bottom - top) * min(value, top_value) / top_value)
        draw.rectangle((left, top, right, bottom), outline=(120, 120, 120))
        draw.line([at(s, v) for s, v in zip(steps[window - 1 :], smooth)], fill=(40, 100, 220), width=2)
        if len(held) > 1:
            draw.line([at(s, v) for s, v in held], fill=(220, 60, 40), width=2)
        draw.text((left, 8), f"{name}: training loss (blue, smoothed), held-out loss (red)", font=text, fill=(0, 0, 0))
        draw.text((left, bottom + 6), f"{int(steps.min())} steps", font=text, fill=(0, 0, 0))
        draw.text((right, bottom + 6), f"{int(steps.max())}", font=text, fill=(0, 0, 0), anchor="ra")
        draw.text((left - 6, top), f"{top_value:.2f}", font=text, fill=(0, 0, 0), anchor="ra")
        draw.text((left - 6, bottom), "0", font=text, fill=(0, 0, 0), anchor="rb")
    destination = Path(destination)
    picture.save(destination)
    return destination
