"""Training the v3 models on the v3 world: `director train tiny v3-keyframe|v3-upscaler|v3-infill`.

The v3 route is a cascade (Imagen's recipe, `models.py` says why): a layout-conditioned `UNet2DModel`
denoising 64x36 frames (`v3-keyframe`, `models.KeyframeModel`), a layout-conditioned upscaler drawing
them at 256x144 (`v3-upscaler`, `models.Upscaler`), and the infill model (`v3-infill`,
`models.ResidualInfillModel`), which predicts the correction to the box-warped guess; all diffusers
classes, with diffusers' `DDPMScheduler` for training. The three train independently on the world's
frames. One command per model; each resumes from its run directory, is a pure function of its options
and seed (the data of step n depends only on (seed, n), drawn from world seeds below `HELD_OUT_SEEDS`),
logs training and held-out loss to `log.jsonl` (`renderers.tiny.train.plot_curves` draws the curves)
and checkpoints every `checkpoint_every` steps.

Losses: the keyframe model, x0-prediction MSE with min-SNR weights as in v2 (see
`renderers/tiny/train.py`); the upscaler, L1 on the pixels (one pass, no sampling loop: see
`_Upscaling`); the infill model, squared error of the correction (the frame minus its box-warped
guess, at the model's working size; one pass, see `models.ResidualInfillModel`), where the guess is
made from two frames of the clip at times s0 < s1 and the target lies between them, as an infill
window's ends and middle are.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from renderers.tiny.v3.world import FRAME, training_clip

HELD_OUT_SEEDS = 1_000_000_000  # as v2: training below, every measure at and above
CLOSER_HELD_OUT = list(range(HELD_OUT_SEEDS + 100, HELD_OUT_SEEDS + 108))  # held-out clips evaluated through a closer camera
V3_MODELS = ("v3-keyframe", "v3-upscaler", "v3-infill")
UPSCALE_NOISE = 250  # the upscaler's small frames are noised to a DDPM timestep below this in training
ProgressFn = Callable[[int, int, float], None]


@dataclass
class V3Options:
    """One v3 training run. Defaults carry the shipped choice's reason where there is one."""

    model: str = "v3-keyframe"
    steps: int = 20_000
    batch_size: int = 4
    learning_rate: float = 4e-4
    warmup: int = 200
    decay: float = 0.2  # the learning rate falls linearly to 0 over this last share of the steps (warmup-stable-decay)
    seed: int = 0
    threads: int = 1  # a shared 2-core machine: one thread each for two runs side by side
    checkpoint_every: int = 50
    eval_every: int = 200
    channels: tuple[int, ...] = ()  # widths per level; () takes the model's own (`CHANNELS`)
    crop: int = 128  # the upscaler trains on random 128x128 crops of the 256x144 frames (it is convolutional)
    norm_groups: int = 16
    time_limit: float = 0.0  # seconds of this call before it stops with a checkpoint; 0: none
    start_from: str = ""  # a new run starts from these exported weights, at the step they were exported at
    # The cascade's small frames are 64x36 x patch: the keyframe model draws them (each of its UNet's 64x36
    # positions a patch x patch block), the upscaler learns to upscale them. 2 (128x72) keeps the thin parts
    # of a figure that 64x36 loses (RESULTS.md, "keyframes at 128x72"); a patch-2 keyframe run may start
    # `--from` a patch-1 file (`KeyframeModel.patched`)
    patch: int = 1
    # The keyframe model's two conditioning levers (0 and 1 for its first 5,800 steps; MODEL_CARD.md):
    layout_dropout: float = 0.1  # this share of samples train with no entities, so layout guidance has a true "without" (CFG)
    # A pixel inside an entity's box weighs this much in the keyframe model's and the upscaler's loss, the
    # background's 1; None takes the model's own (`ENTITY_WEIGHT`)
    entity_weight: float | None = None
    # This share of training clips is seen through a closer camera (`world.closer`: full, medium, close-up), so
    # the models learn figures as large as storyboards' shots make them, cropped by the frame (0 before 2026-12-03)
    closer_share: float = 0.25
    # The infill model's target: "nearest" draws each walking figure in the pose of the end the warp takes it
    # from, the nearer that shows it (the pose a walk has between two frames is not in the model's inputs:
    # RESULTS.md, "why the infill model ties the warp"); "true", the world's frame itself (before 2026-12-03)
    infill_pose: str = "nearest"
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.channels = tuple(self.channels) or CHANNELS[self.model]
        if self.entity_weight is None:
            self.entity_weight = ENTITY_WEIGHT.get(self.model, 1.0)


# Widths per level. The keyframe model has three levels because 36 rows halve evenly twice; the upscaler
# works at half the frame's size (pixel shuffle, 72x128 -> 9x16) and the infill model at half the frame
# (72x128 -> 18x32), both narrow for the CPU's sake: they run once a frame at full size.
CHANNELS = {"v3-keyframe": (32, 64, 128), "v3-upscaler": (32, 48, 64, 96), "v3-infill": (16, 32, 64)}
# Entities are a small share of a frame's pixels and what every measure of issue 15 but the setting looks at.
# The keyframe model has weighed them 4x since its step 5,800; the upscaler 1x (MODEL_CARD.md says from when
# a shipped file was trained otherwise). The infill model's loss is gated by the boxes already.
ENTITY_WEIGHT = {"v3-keyframe": 4.0, "v3-upscaler": 1.0}


class _Task:
    """What every v3 training task holds: its options, the kinds' and the settings' embeddings, the training
    noise schedule and its model (`module`, fresh, of the kind and widths the options say)."""

    def __init__(self, options: V3Options) -> None:
        from renderers.tiny.text import Vocabulary, default_vocabulary_path

        self.options = options
        self.nouns = {k: torch.from_numpy(v) for k, v in Vocabulary.load(default_vocabulary_path()).categories.items()}
        self.settings = setting_vectors()
        self.scheduler = make_scheduler()
        self.module = _model_of(asdict(options))
        self.module.setting_table.copy_(self.settings)  # saved with the weights: the renderer needs no encoder for it

    def entity_weights(self, inside: torch.Tensor) -> torch.Tensor:
        """Each pixel's loss weight from how much of it entities cover (`LayoutTensors.covered`): `entity_weight`
        inside their boxes, 1 outside."""
        return 1 + (self.options.entity_weight - 1) * inside


class _Upscaling(_Task):
    """The upscaler's task: a world frame (a random `crop` x `crop` piece; 0: the whole frame) from its copy at
    the cascade's small size (64x36 x `patch`, area-averaged, then noised to a random DDPM timestep below `UPSCALE_NOISE`, Imagen's noise
    conditioning augmentation) and its layout map; L1 on the pixels (`entity_weight` times more inside the
    entities' boxes; held-out losses unweighted, comparable across runs). One pass, not a diffusion model's sampling
    loop: what it must add is a function of the layout and the small frame (a kind's shape at its box's u, v), and
    a loop of full-size passes is what a CPU can least afford."""

    def __init__(self, options: V3Options) -> None:
        super().__init__(options)
        self.held_out = self._batch(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 8)), np.random.default_rng(1), crop=0)
        self.held_out_closer = self._batch(CLOSER_HELD_OUT, np.random.default_rng(1), crop=0, closer_share=1.0)
        bilinear = F.interpolate(self.held_out[1], size=FRAME[::-1], mode="bilinear", align_corners=False).clamp(-1, 1)
        self.bilinear_psnr = round(float(10 * np.log10(4 / F.mse_loss(bilinear, self.held_out[0]).item())), 2)  # the floor

    @torch.no_grad()
    def _batch(self, seeds: list[int], rng: np.random.Generator, crop: int, closer_share: float = 0.0) -> tuple:
        from renderers.tiny.v3.models import LayoutTensors, rasterise

        frames, layouts, settings, times = world_samples(seeds, rng, self.nouns, self.settings, closer_share)
        pixels = torch.tensor(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1
        layout = rasterise(layouts, FRAME)
        if crop:  # the same piece of each frame and of its layout map (x, y multiples of 4: the small frame's pixels)
            pieces = []
            for b in range(len(seeds)):
                x = 4 * int(rng.integers(0, (FRAME[0] - crop) // 4 + 1))
                y = 4 * int(rng.integers(0, (FRAME[1] - crop) // 4 + 1))
                pieces.append((slice(y, y + crop), slice(x, x + crop)))
            pixels = torch.stack([pixels[b, :, ys, xs] for b, (ys, xs) in enumerate(pieces)])
            layout = LayoutTensors(torch.stack([layout.weights[b, :, ys, xs] for b, (ys, xs) in enumerate(pieces)]),
                                   torch.stack([layout.coords[b, :, :, ys, xs] for b, (ys, xs) in enumerate(pieces)]),
                                   layout.nouns, layout.colors)
        return pixels, F.avg_pool2d(pixels, 4 // self.options.patch), layout, torch.stack(settings), torch.tensor(times)

    def _loss(self, batch: tuple, noise_levels: torch.Tensor, generator: torch.Generator | None,
              weighted: bool = False) -> tuple[torch.Tensor, float]:
        """The L1 loss (`weighted`: by `entity_weight` inside the entities' boxes) and the PSNR, both of `batch`."""
        pixels, small, layout, settings, times = batch
        if generator is not None:
            small = self.scheduler.add_noise(small, torch.randn(small.shape, generator=generator), noise_levels)
        made = self.module(small, noise_levels, layout, settings, times)
        mse = F.mse_loss(made.clamp(-1, 1), pixels).item()
        error = (made - pixels).abs()
        if weighted and self.options.entity_weight != 1:  # as the keyframe model's: inside the boxes counts more
            error = error * self.entity_weights(layout.covered())
        return error.mean(), float(10 * np.log10(4 / max(mse, 1e-10)))

    def loss(self, seeds: list[int], rng: np.random.Generator, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
        levels = torch.randint(0, UPSCALE_NOISE, (len(seeds),), generator=generator)
        loss, psnr = self._loss(self._batch(seeds, rng, self.options.crop, self.options.closer_share), levels, generator, weighted=True)
        return loss, {"psnr": round(psnr, 2)}

    @torch.no_grad()
    def evaluate(self) -> dict:
        loss, psnr = self._loss(self.held_out, torch.zeros(self.held_out[0].shape[0], dtype=torch.long), None)
        _, closer_psnr = self._loss(self.held_out_closer, torch.zeros(len(CLOSER_HELD_OUT), dtype=torch.long), None)
        return {"held_out_loss": round(loss.item(), 5), "held_out_psnr": round(psnr, 2), "bilinear_psnr": self.bilinear_psnr,
                "held_out_closer_psnr": round(closer_psnr, 2)}


def placed_layout(clip, s: float, nouns: dict) -> list:
    """The clip's layout at time `s` as the models are conditioned on it: each entity (`models.Placed`) by its
    id, box, kind's embedding (`nouns`: kind -> (384,) tensor) and its look's two colours."""
    from renderers.tiny.v3.models import Placed

    return [Placed(clip.entities[i].id, box, nouns[clip.entities[i].kind], (clip.entities[i].look.main, clip.entities[i].look.second))
            for i, box in clip.layout(s)]


def world_samples(seeds: list[int], rng: np.random.Generator, nouns: dict, settings: torch.Tensor,
                  closer_share: float = 0.0) -> tuple[list, list, list, list]:
    """For each seed, its clip (`world.training_clip`: `closer_share` of them through a closer camera) at a random
    time: (frames (144, 256, 3) uint8, layouts as `Placed` lists, setting vectors, time-of-day indices): what a
    keyframe or upscaler step learns from."""
    from renderers.tiny.v3.world import SETTINGS, TIMES

    frames, layouts, vectors, times = [], [], [], []
    for seed in seeds:
        clip = training_clip(seed, closer_share)
        s = float(rng.uniform())
        frames.append(clip.frame(s))
        layouts.append(placed_layout(clip, s, nouns))
        vectors.append(settings[list(SETTINGS).index(clip.setting)])
        times.append(TIMES.index(clip.time))
    return frames, layouts, vectors, times


class _Keyframes(_Task):
    """The keyframe model's task: a clip's frame at a random time, made small (area-averaged to 64x36 x `patch`),
    denoised given its layout, setting and time of day (x0-prediction, min-SNR weights clamped to [0.5, 5]).

    Two levers on what it learns of the layout (`V3Options`): `layout_dropout`, the share of samples given an
    empty layout (classifier-free guidance's training, so the renderer's `layout_guidance` extrapolates from a
    prediction the model has learnt, not one it never saw), and `entity_weight`, how much more a pixel inside
    an entity's box counts than one of the background (entities are a small share of a frame's pixels, and
    what every measure of issue 15 but the setting looks at)."""

    def __init__(self, options: V3Options) -> None:
        super().__init__(options)
        self.held_out = self._batch(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 8)), np.random.default_rng(1))
        self.held_out_closer = self._batch(CLOSER_HELD_OUT, np.random.default_rng(1), closer_share=1.0)

    @torch.no_grad()
    def _batch(self, seeds: list[int], rng: np.random.Generator, dropout: float = 0.0, closer_share: float = 0.0) -> tuple:
        from renderers.tiny.v3.models import rasterise

        frames, layouts, settings, times = world_samples(seeds, rng, self.nouns, self.settings, closer_share)
        if dropout > 0:  # drawn only when used, so a run without it sees the data it always did
            layouts = [[] if dropped else layout for layout, dropped in zip(layouts, rng.uniform(size=len(layouts)) < dropout)]
        pixels = torch.tensor(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1
        return F.avg_pool2d(pixels, 4 // self.options.patch), rasterise(layouts, self.module.frame_size), torch.stack(settings), torch.tensor(times)

    def _loss(self, batch: tuple, generator: torch.Generator, pixel_weights=None) -> torch.Tensor:
        """`pixel_weights(inside)`: the loss's weight of each pixel from how much of it entities cover (B, 1, H, W)."""
        small, layout, settings, times = batch
        inside = layout.covered()
        return denoising_loss(self.scheduler, small, lambda noisy, t: self.module(noisy, t, layout, settings, times), generator,
                              pixel_weights=None if pixel_weights is None else pixel_weights(inside))

    def loss(self, seeds: list[int], rng: np.random.Generator, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
        batch = self._batch(seeds, rng, self.options.layout_dropout, self.options.closer_share)
        return self._loss(batch, generator, self.entity_weights), {}

    @torch.no_grad()
    def evaluate(self) -> dict:
        """The held-out loss unweighted (comparable across runs of any `entity_weight`), inside the boxes only, and
        on held-out clips through a closer camera (`held_out_closer`)."""
        plain = self._loss(self.held_out, torch.Generator().manual_seed(0))
        inside = self._loss(self.held_out, torch.Generator().manual_seed(0), lambda inside: inside + 1e-6)
        closer_loss = self._loss(self.held_out_closer, torch.Generator().manual_seed(0))
        return {"held_out_loss": round(plain.item(), 5), "held_out_entities": round(inside.item(), 5),
                "held_out_closer": round(closer_loss.item(), 5)}


LOG_FLOOR = 1e-4  # the infill loss's floor on a window's squared error (in [-1, 1]: 46 dB)


class _ResidualInfill(_Task):
    """The infill model's task: a clip's frame at time s between two known frames at s0 < s1, guessed by the
    box warp from them (`conditioning.warp_guess`); the model predicts the correction frame - guess at its
    working size in one pass, trained on each window's log squared error (the measure's mean PSNR: see `loss`;
    `models.ResidualInfillModel` says why not a diffusion model).

    The ends are 0.05-1 of the clip apart, from a level's near windows to a whole clip between two ends; the
    clip's entrances, exits, walks (pose changes) and overlaps are what the warp cannot get right, and so
    what the correction is for."""

    def __init__(self, options: V3Options) -> None:
        super().__init__(options)
        if options.infill_pose not in ("nearest", "true"):
            raise ValueError(f"infill_pose is 'nearest' or 'true', not {options.infill_pose!r}")
        # 64 windows: 16 held so few of the hard ones (an entrance, a walk) that a model winning on those read as losing.
        # Held out against the world's true frames, as the bench measures.
        self.held_out = self._batch(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 64)), np.random.default_rng(1), pose="true")

    @torch.no_grad()
    def _batch(self, seeds: list[int], rng: np.random.Generator, closer_share: float = 0.0, pose: str = "true") -> tuple:
        """The windows of these seeds: (correction, guess, confidence, layout map, setting, time of day, position).
        With `pose` "nearest" the correction is to the frame with each walker in the pose of the end the warp
        takes it from (`conditioning.source_time`)."""
        from renderers.tiny.v3.conditioning import source_time, warp_guess
        from renderers.tiny.v3.models import rasterise
        from renderers.tiny.v3.world import SETTINGS, TIMES

        def pixels(frame: np.ndarray) -> torch.Tensor:
            return torch.tensor(frame).permute(2, 0, 1).float() / 127.5 - 1

        corrections, guesses, confidences, layouts, settings, times, positions = [], [], [], [], [], [], []
        for seed in seeds:
            clip = training_clip(seed, closer_share)
            s0 = float(rng.uniform(0, 0.95))
            s1 = min(1.0, s0 + float(rng.uniform(0.05, 1.0)))
            s = float(rng.uniform(s0, s1))
            keyed = {t: [(clip.entities[i].id, box) for i, box in clip.layout(t)] for t in (s0, s1, s)}
            known = [(pixels(clip.frame(t)), keyed[t], t) for t in (s0, s1)]
            guess, confidence = warp_guess(known, keyed[s], s)
            poses = None
            if pose == "nearest":  # each entity in the pose of the end `warp_guess` takes it from
                ends, index = [(keyed[t], t) for t in (s0, s1)], {e.id: i for i, e in enumerate(clip.entities)}
                poses = {index[key]: t for key, _ in keyed[s] if (t := source_time(ends, key, s)) is not None}
            corrections.append(pixels(clip.frame(s, poses_at=poses)) - guess)
            guesses.append(guess)
            confidences.append(confidence)
            layouts.append(placed_layout(clip, s, self.nouns))
            settings.append(self.settings[list(SETTINGS).index(clip.setting)])
            times.append(TIMES.index(clip.time))
            positions.append((s - s0) / max(s1 - s0, 1e-6))
        small = self.module.to_working_size
        return (small(torch.stack(corrections)), small(torch.stack(guesses)), small(torch.stack(confidences)),
                rasterise(layouts, self.module.config.size), torch.stack(settings), torch.tensor(times), torch.tensor(positions))

    def loss(self, seeds: list[int], rng: np.random.Generator, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
        """Each window's log squared error, averaged: the negative of its PSNR up to constants, so the loss is the
        measure's mean PSNR over frames. The pooled squared error is ruled by the few windows the warp
        gets badly wrong: trained on it the model won there (+0.5 dB pooled over 256 windows) and lost a little on
        the two thirds the warp gets right, which a mean over frames weighs as much (37.59 against 37.82 dB).
        LOG_FLOOR caps what a near-exact window can weigh (46 dB)."""
        corrections, *inputs = self._batch(seeds, rng, self.options.closer_share, self.options.infill_pose)
        errors = (self.module(*inputs) - corrections).pow(2).mean(dim=(1, 2, 3))
        return torch.log10(errors + LOG_FLOOR).mean(), {}

    @torch.no_grad()
    def evaluate(self) -> dict:
        """The held-out squared error beside the warp's (that of a zero correction, the guess itself), pooled and as
        PSNR at the working size, pooled and averaged over windows (the bench's way): the model earns its place
        only above the warp."""
        corrections, *inputs = self.held_out
        errors = (self.module(*inputs) - corrections).pow(2).mean(dim=(1, 2, 3))
        warps = corrections.pow(2).mean(dim=(1, 2, 3))

        def mean_psnr(e: torch.Tensor) -> float:
            return round(float((10 * torch.log10(4 / e.clamp(min=1e-10))).mean()), 2)

        loss, warp = errors.mean().item(), warps.mean().item()
        return {"held_out_loss": round(loss, 6), "warp_loss": round(warp, 6),
                "held_out_psnr": round(float(10 * np.log10(4 / max(loss, 1e-10))), 2), "warp_psnr": round(float(10 * np.log10(4 / warp)), 2),
                "held_out_mean_psnr": mean_psnr(errors), "warp_mean_psnr": mean_psnr(warps)}


def learning_rate(options: V3Options, step: int) -> float:
    """The learning rate of step `step` (from 0): a linear warmup, constant, then a linear fall to 0 over the
    last `decay` share of `options.steps` (a warmup-stable-decay schedule: the constant phase can be resumed
    or extended, and the fall at the end is where most of the last gain is, as with a lower rate). A function
    of the step alone, so a resumed run follows the same schedule."""
    rate = options.learning_rate * min(1.0, (step + 1) / options.warmup)
    decay_steps = options.decay * options.steps
    if decay_steps > 0:
        rate *= min(1.0, max(0.0, (options.steps - step) / decay_steps))
    return rate


def denoising_loss(scheduler, target: torch.Tensor, predict, generator: torch.Generator,
                   pixel_weights: torch.Tensor | None = None) -> torch.Tensor:
    """The x0-prediction loss of both v3 diffusion models: `target` noised to a random timestep, `predict(noisy,
    timesteps)` its estimate of `target`, the squared error weighted by the clamped SNR (0.5 to 5) and, where
    given, by `pixel_weights` (B, 1, H, W), normalised per sample so that they shift the loss, not scale it."""
    noise = torch.randn(target.shape, generator=generator)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (target.shape[0],), generator=generator)
    prediction = predict(scheduler.add_noise(target, noise, timesteps), timesteps)
    alphas = scheduler.alphas_cumprod[timesteps]
    weight = torch.clamp(alphas / (1 - alphas), min=0.5, max=5.0)
    squared = (prediction - target).pow(2)
    if pixel_weights is None:
        per_sample = squared.mean(dim=(1, 2, 3))
    else:
        per_sample = (pixel_weights * squared).mean(dim=(1, 2, 3)) / pixel_weights.mean(dim=(1, 2, 3))
    return (weight * per_sample).mean()


def make_scheduler():
    """Training noise: diffusers' DDPM, 1000 steps, cosine betas, x0-prediction (as v2, for the same reason)."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="sample")


@lru_cache(maxsize=1)
def setting_vectors() -> torch.Tensor:
    """(settings, 384): the MiniLM embedding of each v3 setting's caption, in `SETTINGS` order."""
    from renderers.tiny.text import embed
    from renderers.tiny.v3.world import SETTINGS

    return torch.from_numpy(embed([s.phrases[0] for s in SETTINGS.values()]))


def train_v3(options: V3Options, run_dir: str | Path, *, resume: bool = True, progress: ProgressFn | None = None) -> Path:
    """Train (or resume) one v3 model in `run_dir`; returns the run directory."""
    if options.model not in V3_MODELS:
        raise ValueError(f"unknown v3 model {options.model!r}; the v3 models are {', '.join(V3_MODELS)}")
    from safetensors.torch import load_file, save_file

    torch.set_num_threads(options.threads)
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    state_path = run / "state.json"
    state = json.loads(state_path.read_text()) if resume and state_path.exists() else None
    if state is not None and state["options"]["model"] != options.model:
        raise ValueError(f"{run} holds a {state['options']['model']} run, not {options.model}")
    torch.manual_seed(options.seed)
    tasks = {"v3-keyframe": _Keyframes, "v3-upscaler": _Upscaling, "v3-infill": _ResidualInfill}
    task: _Task = tasks[options.model](options)
    model = task.module
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=0.0)
    step, seconds, wall_before = 0, 0.0, 0.0
    call_started = time.perf_counter()
    if state is not None:
        model.load_state_dict(load_file(str(run / "model.safetensors")))
        optimizer.load_state_dict(torch.load(run / "optimizer.pt", weights_only=False))
        step, seconds, wall_before = state["step"], state["seconds"], state["wall_seconds"]
    elif options.start_from:  # exported weights (the committed ones): their step, a fresh optimiser
        exported = load_v3(options.model, options.start_from)
        if exported.config.channels != model.config.channels:
            raise ValueError(f"{options.start_from} has widths {exported.config.channels}, this run {model.config.channels}")
        if options.model == "v3-keyframe" and exported.config.patch != options.patch:
            if exported.config.patch != 1:
                raise ValueError(f"{options.start_from} draws patch {exported.config.patch}, this run patch {options.patch}")
            exported = exported.patched(options.patch)  # starts as the 64x36 model does, at the larger size
        model.load_state_dict(exported.state_dict())
        step, seconds = exported.config.extra.get("steps", 0), float(exported.config.extra.get("train_seconds", 0))

    def save_checkpoint() -> None:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(run / "model.safetensors"))
        torch.save(optimizer.state_dict(), run / "optimizer.pt")
        state = {"step": step, "seconds": seconds, "wall_seconds": wall_before + time.perf_counter() - call_started,
                 "options": asdict(options)}
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(state_path)

    model.train()
    first_step = step
    with (run / "log.jsonl").open("a") as log:
        while step < options.steps:
            if options.time_limit and time.perf_counter() - call_started > options.time_limit:
                break
            started = time.perf_counter()
            rng = np.random.default_rng([options.seed, step])  # the data of a step depends only on (seed, step)
            generator = torch.Generator().manual_seed(options.seed * 1_000_003 + step)
            seeds = [int(v) for v in rng.integers(0, HELD_OUT_SEEDS, options.batch_size)]
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(options, step)
            loss, extras = task.loss(seeds, rng, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            seconds += time.perf_counter() - started
            record = {"step": step, "loss": round(loss.item(), 5), **extras, "seconds": round(seconds, 1),
                      "wall_seconds": round(wall_before + time.perf_counter() - call_started, 1)}
            if step % options.eval_every == 0 or step == options.steps:
                model.eval()
                record |= task.evaluate()
                model.train()
            log.write(json.dumps(record) + "\n")
            log.flush()
            if step % options.checkpoint_every == 0 or step == options.steps:
                save_checkpoint()
            if progress:
                progress(step, options.steps, loss.item())
    if step > first_step:  # a call that trained nothing (e.g. `--export` alone) leaves the run's record as it was
        save_checkpoint()
    return run


def export_v3(run_dir: str | Path, destination: str | Path) -> Path:
    """Write the run's weights in half precision, with its config and training facts in the metadata."""
    from safetensors.torch import load_file

    run = Path(run_dir)
    state = json.loads((run / "state.json").read_text())
    options = state["options"]
    facts = {"model": options["model"], "steps": state["step"], "train_seconds": round(state["seconds"]), "seed": options["seed"],
             "batch_size": options["batch_size"], "learning_rate": options["learning_rate"]}
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    model = _model_of(options, facts)
    model.load_state_dict(load_file(str(run / "model.safetensors")))
    model.save(destination)
    return destination


MODEL_CLASSES = {"v3-keyframe": ("KeyframeModel", "KeyframeConfig"), "v3-upscaler": ("Upscaler", "UpscalerConfig"),
                 "v3-infill": ("ResidualInfillModel", "ResidualInfillConfig")}


def _model_of(options: dict, extra: dict | None = None):
    """A fresh model of the kind and size a run's options (`asdict(V3Options)`, as state.json holds them) say."""
    from renderers.tiny.v3 import models

    cls, config = (getattr(models, name) for name in MODEL_CLASSES[options["model"]])
    patch = {"patch": options.get("patch", 1)} if options["model"] != "v3-infill" else {}  # runs before it had none: 1
    return cls(config(channels=tuple(options["channels"]), norm_groups=options["norm_groups"], extra=extra or {}, **patch))


def load_v3(model: str, path: str | Path):
    """The v3 model `model` (one of `V3_MODELS`), in eval mode, from exported weights or a run directory's checkpoint."""
    from safetensors.torch import load_file

    from renderers.tiny.v3 import models

    path = Path(path)
    if not path.is_dir():
        return getattr(models, MODEL_CLASSES[model][0]).load(path)
    options = json.loads((path / "state.json").read_text())["options"]
    if options["model"] != model:
        raise ValueError(f"{path} holds a {options['model']} run, not {model}")
    trained = _model_of(options)
    trained.load_state_dict(load_file(str(path / "model.safetensors")))
    return trained.eval()


def write_untrained_weights(directory: str | Path, *, seed: int = 0, infill: bool = True,
                            keyframe: tuple[int, ...] = CHANNELS["v3-keyframe"],
                            upscaler: tuple[int, ...] = CHANNELS["v3-upscaler"],
                            infill_channels: tuple[int, ...] = CHANNELS["v3-infill"], norm_groups: int = 16,
                            patch: int = 1) -> Path:
    """Randomly initialised v3 weights (by default of the shipped architecture and size) in `directory`, in the
    files and formats the exports write, with the shipped vocabulary beside them: for tests (small widths)
    and cost benchmarks (a model's time does not depend on its weights' values). Seeded, so the same call
    writes the same files; `infill=False` leaves the infill model out; `patch` is the keyframe model's and the
    upscaler's (2: small frames of 128x72). Each last convolution that starts at
    zero (the upscaler's, the infill model's) is drawn small instead, as if trained."""
    import shutil

    from renderers.tiny.text import default_vocabulary_path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    made = {"v3-keyframe": keyframe, "v3-upscaler": upscaler} | ({"v3-infill": infill_channels} if infill else {})
    for k, (name, channels) in enumerate(made.items()):
        torch.manual_seed(seed + k)
        model = _model_of({"model": name, "channels": channels, "norm_groups": min(norm_groups, channels[0]), "patch": patch},
                          {"untrained": True})
        model.setting_table.normal_()
        if name != "v3-keyframe":
            for p in model.unet.conv_out.parameters():
                p.data.normal_(0, 0.02)
        model.save(directory / f"{name}.safetensors")
    shutil.copyfile(default_vocabulary_path(), directory / "vocabulary.safetensors")
    return directory
