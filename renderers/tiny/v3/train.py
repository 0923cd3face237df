"""Training the v3 models on the v3 world: `director train tiny v3-autoencoder|v3-keyframe|v3-infill`.

The v3 route is latent diffusion (Stable Diffusion's and Align-your-Latents'
recipe): an `AutoencoderKL` this project trains on its world's 256x144 frames
(8x down: 4x18x32 latents), then a layout-conditioned `UNet2DModel` denoising
those latents (`v3-keyframe`, `models.LatentKeyframeModel`), both diffusers classes, with diffusers'
`DDPMScheduler` for training; and the infill model (`v3-infill`, `models.ResidualInfillModel`), which
needs no autoencoder: it predicts, in pixels, the correction to the box-warped guess.
One command per model; each resumes from its run directory, is a pure function of its options and seed (the data of step n
depends only on (seed, n), drawn from world seeds below `HELD_OUT_SEEDS`), logs
training and held-out loss to `log.jsonl` (`renderers.tiny.train.plot_curves`
draws the curves) and checkpoints every `checkpoint_every` steps.

Losses: the autoencoder, L1 on pixels plus a KL term weighted 1e-6 (SD's
first-stage weight; no perceptual or adversarial term, which would need
weights from a hub); the latent keyframe model, x0-prediction MSE with
min-SNR weights as in v2 (see `renderers/tiny/train.py`); the infill model, the same on the
correction (the frame minus its box-warped guess, at the model's working size), where the guess is
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

from renderers.tiny.v3.world import FRAME, sample_clip

HELD_OUT_SEEDS = 1_000_000_000  # as v2: training below, every measure at and above
V3_MODELS = ("v3-autoencoder", "v3-keyframe", "v3-infill")
LATENT_CHANNELS = 4
DOWNSAMPLE = 8  # 256x144 frames -> 32x18 latents
KL_WEIGHT = 1e-6
ProgressFn = Callable[[int, int, float], None]


@dataclass
class V3Options:
    """One v3 training run. Defaults carry the shipped choice's reason where there is one."""

    model: str = "v3-autoencoder"
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
    latent_channels: int = LATENT_CHANNELS  # v3-autoencoder: channels of its 32x18 latents
    crop: int = 128  # the autoencoder trains on random 128x128 crops of the 256x144 frames (it is convolutional)
    norm_groups: int = 16
    time_limit: float = 0.0  # seconds of this call before it stops with a checkpoint; 0: none
    autoencoder: str = "runs/tiny-v3-autoencoder"  # v3-keyframe: the autoencoder (a run directory or exported weights)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.channels = tuple(self.channels) or CHANNELS[self.model]


# Widths per level. The autoencoder is narrow at full size (16 channels at 256x144) so a CPU can train it;
# the latent model has two levels because 18 latent rows halve evenly only once.
# The infill model has three levels at half the frame's size (72x128 -> 18x32), narrow for the CPU's sake.
CHANNELS = {"v3-autoencoder": (16, 32, 64, 128), "v3-keyframe": (96, 192), "v3-infill": (16, 32, 64)}


def make_autoencoder(channels: tuple[int, ...] = (16, 32, 64, 128), norm_groups: int = 16,  # CHANNELS["v3-autoencoder"]
                     latent_channels: int = LATENT_CHANNELS):
    """The v3 autoencoder: diffusers `AutoencoderKL`, 8x down to `latent_channels` latent channels."""
    from diffusers import AutoencoderKL

    if len(channels) != 4:
        raise ValueError(f"the v3 autoencoder has 4 levels (8x down), got widths {channels}")
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=latent_channels,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=tuple(channels), layers_per_block=1, norm_num_groups=norm_groups, sample_size=FRAME[0],
    )


def world_frames(seeds: list[int], rng: np.random.Generator, crop: int = 0) -> torch.Tensor:
    """(B, 3, 144, 256) in [-1, 1]: one frame of each seed's clip, at a random time; with `crop`, a random
    `crop` x `crop` piece of each (B, 3, crop, crop)."""
    frames = []
    for seed in seeds:
        frame = sample_clip(seed).frame(float(rng.uniform()))
        if crop:
            x, y = int(rng.integers(0, FRAME[0] - crop + 1)), int(rng.integers(0, FRAME[1] - crop + 1))
            frame = frame[y : y + crop, x : x + crop]
        frames.append(frame)
    return torch.tensor(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1


def autoencoder_loss(model, frames: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, float]:
    """L1 reconstruction + KL_WEIGHT * KL; also returns the reconstruction PSNR (dB) for the log."""
    posterior = model.encode(frames).latent_dist
    latents = posterior.sample(generator) if generator is not None else posterior.mode()
    decoded = model.decode(latents).sample
    l1 = (decoded - frames).abs().mean()
    loss = l1 + KL_WEIGHT * posterior.kl().mean()
    mse = F.mse_loss(decoded.clamp(-1, 1), frames).item()
    return loss, float(10 * np.log10(4 / max(mse, 1e-10)))


class _Autoencoding:
    """The autoencoder's training task: world frames (crops) in, the same frames out."""

    def __init__(self, options: V3Options) -> None:
        self.options = options
        self.module = make_autoencoder(tuple(options.channels), options.norm_groups, options.latent_channels)
        self.held_out = world_frames(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 8)), np.random.default_rng(1))

    def loss(self, seeds: list[int], rng: np.random.Generator, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
        loss, psnr = autoencoder_loss(self.module, world_frames(seeds, rng, self.options.crop), generator)
        return loss, {"psnr": round(psnr, 2)}

    @torch.no_grad()
    def evaluate(self) -> dict:
        loss, psnr = autoencoder_loss(self.module, self.held_out, None)
        return {"held_out_loss": round(loss.item(), 5), "held_out_psnr": round(psnr, 2)}


class _LatentKeyframes:
    """The latent keyframe model's task: a clip's frame at a random time, encoded by the frozen autoencoder,
    denoised given its layout, setting and time of day (x0-prediction, min-SNR weights clamped to [0.5, 5])."""

    def __init__(self, options: V3Options, latent_scale: float | None) -> None:
        from renderers.tiny.text import Vocabulary, default_vocabulary_path
        from renderers.tiny.v3.models import LatentKeyframeConfig, LatentKeyframeModel

        self.options = options
        self.autoencoder = load_autoencoder(options.autoencoder).requires_grad_(False)
        self.nouns = {k: torch.from_numpy(v) for k, v in Vocabulary.load(default_vocabulary_path()).categories.items()}
        self.settings = setting_vectors()
        self.scheduler = make_scheduler()
        self.held_out = self._batch(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 8)), np.random.default_rng(1), scale=1.0)
        if latent_scale is None:  # 1 / the latents' std, so diffusion starts from unit variance (SD's scaling factor)
            latent_scale = float(1 / self.held_out[0].std().clamp_min(1e-3))
        self.held_out = (self.held_out[0] * latent_scale, *self.held_out[1:])
        config = LatentKeyframeConfig(channels=tuple(options.channels), norm_groups=options.norm_groups, latent_scale=latent_scale,
                                      latent_channels=self.autoencoder.config.latent_channels)
        self.module = LatentKeyframeModel(config)
        self.module.setting_table.copy_(self.settings)  # saved with the weights: the renderer needs no encoder for it

    @torch.no_grad()
    def _batch(self, seeds: list[int], rng: np.random.Generator, scale: float | None = None) -> tuple:
        from renderers.tiny.v3.models import Placed, rasterise
        from renderers.tiny.v3.world import SETTINGS, TIMES

        frames, layouts, settings, times = [], [], [], []
        for seed in seeds:
            clip = sample_clip(seed)
            s = float(rng.uniform())
            frames.append(clip.frame(s))
            layouts.append([Placed(clip.entities[i].id, box, self.nouns[clip.entities[i].kind],
                                   (clip.entities[i].look.main, clip.entities[i].look.second)) for i, box in clip.layout(s)])
            settings.append(self.settings[list(SETTINGS).index(clip.setting)])
            times.append(TIMES.index(clip.time))
        pixels = torch.tensor(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1
        latents = self.autoencoder.encode(pixels).latent_dist.mode()
        scale = self.module.config.latent_scale if scale is None else scale
        return latents * scale, rasterise(layouts), torch.stack(settings), torch.tensor(times)

    def _loss(self, batch: tuple, generator: torch.Generator) -> torch.Tensor:
        latents, layout, settings, times = batch
        return denoising_loss(self.scheduler, latents, lambda noisy, t: self.module(noisy, t, layout, settings, times), generator)

    def loss(self, seeds: list[int], rng: np.random.Generator, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
        return self._loss(self._batch(seeds, rng), generator), {}

    @torch.no_grad()
    def evaluate(self) -> dict:
        return {"held_out_loss": round(self._loss(self.held_out, torch.Generator().manual_seed(0)).item(), 5)}


class _ResidualInfill:
    """The infill model's task: a clip's frame at time s between two known frames at s0 < s1, guessed by the
    box warp from them (`conditioning.warp_guess`); the model denoises the correction frame - guess at its
    working size (x0-prediction, min-SNR weights clamped to [0.5, 5], as the keyframe model).

    The ends are 0.05-0.5 of the clip apart, as a level's windows are; the clip's entrances, exits, walks
    (pose changes) and overlaps are what the warp cannot get right, and so what the correction is for."""

    def __init__(self, options: V3Options) -> None:
        from renderers.tiny.text import Vocabulary, default_vocabulary_path
        from renderers.tiny.v3.models import ResidualInfillConfig, ResidualInfillModel

        self.options = options
        self.nouns = {k: torch.from_numpy(v) for k, v in Vocabulary.load(default_vocabulary_path()).categories.items()}
        self.settings = setting_vectors()
        self.scheduler = make_scheduler()
        self.module = ResidualInfillModel(ResidualInfillConfig(channels=tuple(options.channels), norm_groups=options.norm_groups))
        self.module.setting_table.copy_(self.settings)
        self.held_out = self._batch(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 8)), np.random.default_rng(1))

    @torch.no_grad()
    def _batch(self, seeds: list[int], rng: np.random.Generator) -> tuple:
        from renderers.tiny.v3.conditioning import warp_guess
        from renderers.tiny.v3.models import Placed, rasterise
        from renderers.tiny.v3.world import SETTINGS, TIMES

        def pixels(frame: np.ndarray) -> torch.Tensor:
            return torch.tensor(frame).permute(2, 0, 1).float() / 127.5 - 1

        corrections, guesses, confidences, layouts, settings, times, positions = [], [], [], [], [], [], []
        for seed in seeds:
            clip = sample_clip(seed)
            s0 = float(rng.uniform(0, 0.95))
            s1 = min(1.0, s0 + float(rng.uniform(0.05, 0.5)))
            s = float(rng.uniform(s0, s1))
            keyed = {t: [(clip.entities[i].id, box) for i, box in clip.layout(t)] for t in (s0, s1, s)}
            known = [(pixels(clip.frame(t)), keyed[t], t) for t in (s0, s1)]
            guess, confidence = warp_guess(known, keyed[s], s)
            corrections.append(pixels(clip.frame(s)) - guess)
            guesses.append(guess)
            confidences.append(confidence)
            layouts.append([Placed(clip.entities[i].id, box, self.nouns[clip.entities[i].kind],
                                   (clip.entities[i].look.main, clip.entities[i].look.second)) for i, box in clip.layout(s)])
            settings.append(self.settings[list(SETTINGS).index(clip.setting)])
            times.append(TIMES.index(clip.time))
            positions.append((s - s0) / max(s1 - s0, 1e-6))
        small = self.module.to_working_size
        return (small(torch.stack(corrections)), small(torch.stack(guesses)), small(torch.stack(confidences)),
                rasterise(layouts, self.module.config.size), torch.stack(settings), torch.tensor(times), torch.tensor(positions))

    def _loss(self, batch: tuple, generator: torch.Generator) -> torch.Tensor:
        corrections, guesses, confidences, layout, settings, times, positions = batch
        return denoising_loss(
            self.scheduler, corrections, lambda noisy, t: self.module(noisy, t, guesses, confidences, layout, settings, times, positions), generator
        )

    def loss(self, seeds: list[int], rng: np.random.Generator, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
        return self._loss(self._batch(seeds, rng), generator), {}

    @torch.no_grad()
    def evaluate(self) -> dict:
        return {"held_out_loss": round(self._loss(self.held_out, torch.Generator().manual_seed(0)).item(), 5)}


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


def denoising_loss(scheduler, target: torch.Tensor, predict, generator: torch.Generator) -> torch.Tensor:
    """The x0-prediction loss of both v3 diffusion models: `target` noised to a random timestep, `predict(noisy,
    timesteps)` its estimate of `target`, the squared error weighted by the clamped SNR (0.5 to 5)."""
    noise = torch.randn(target.shape, generator=generator)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (target.shape[0],), generator=generator)
    prediction = predict(scheduler.add_noise(target, noise, timesteps), timesteps)
    alphas = scheduler.alphas_cumprod[timesteps]
    weight = torch.clamp(alphas / (1 - alphas), min=0.5, max=5.0)
    return (weight * (prediction - target).pow(2).mean(dim=(1, 2, 3))).mean()


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
    if options.model == "v3-autoencoder":
        task: _Autoencoding | _LatentKeyframes | _ResidualInfill = _Autoencoding(options)
    elif options.model == "v3-infill":
        task = _ResidualInfill(options)
    else:
        task = _LatentKeyframes(options, None if state is None else state["latent_scale"])
    model = task.module
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=0.0)
    step, seconds, wall_before = 0, 0.0, 0.0
    call_started = time.perf_counter()
    if state is not None:
        model.load_state_dict(load_file(str(run / "model.safetensors")))
        optimizer.load_state_dict(torch.load(run / "optimizer.pt", weights_only=False))
        step, seconds, wall_before = state["step"], state["seconds"], state["wall_seconds"]

    def save_checkpoint() -> None:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(run / "model.safetensors"))
        torch.save(optimizer.state_dict(), run / "optimizer.pt")
        state = {"step": step, "seconds": seconds, "wall_seconds": wall_before + time.perf_counter() - call_started,
                 "options": asdict(options)}
        if isinstance(task, _LatentKeyframes):
            state["latent_scale"] = model.config.latent_scale
            state["latent_channels"] = model.config.latent_channels
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(state_path)

    model.train()
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
    save_checkpoint()
    return run


def export_v3(run_dir: str | Path, destination: str | Path) -> Path:
    """Write the run's weights in half precision, with its config and training facts in the metadata."""
    from safetensors.torch import load_file, save_file

    run = Path(run_dir)
    state = json.loads((run / "state.json").read_text())
    options = state["options"]
    facts = {"model": options["model"], "channels": options["channels"], "norm_groups": options["norm_groups"],
             "latent_channels": options.get("latent_channels", LATENT_CHANNELS), "steps": state["step"], "train_seconds": round(state["seconds"]), "seed": options["seed"],
             "batch_size": options["batch_size"], "learning_rate": options["learning_rate"]}
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    weights = load_file(str(run / "model.safetensors"))
    if options["model"] == "v3-keyframe":
        from renderers.tiny.v3.models import LatentKeyframeConfig, LatentKeyframeModel

        config = LatentKeyframeConfig(channels=tuple(options["channels"]), norm_groups=options["norm_groups"],
                                      latent_scale=state["latent_scale"], latent_channels=state.get("latent_channels", LATENT_CHANNELS), extra=facts | {"autoencoder": options["autoencoder"]})
        model = LatentKeyframeModel(config)
        model.load_state_dict(weights)
        model.save(destination)
        return destination
    if options["model"] == "v3-infill":
        from renderers.tiny.v3.models import ResidualInfillConfig, ResidualInfillModel

        model = ResidualInfillModel(ResidualInfillConfig(channels=tuple(options["channels"]), norm_groups=options["norm_groups"],
                                                         extra=facts))
        model.load_state_dict(weights)
        model.save(destination)
        return destination
    save_file({k: v.half().contiguous() for k, v in weights.items()}, str(destination), metadata={"config": json.dumps(facts)})
    return destination


def load_autoencoder(path: str | Path):
    """A v3 autoencoder, in eval mode, from exported weights or from a run directory's checkpoint."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if path.is_dir():
        options = json.loads((path / "state.json").read_text())["options"]
        facts = {"channels": options["channels"], "norm_groups": options["norm_groups"], "latent_channels": options.get("latent_channels", LATENT_CHANNELS)}
        path = path / "model.safetensors"
    else:
        with safe_open(str(path), "pt") as f:
            facts = json.loads((f.metadata() or {}).get("config", "{}"))
    model = make_autoencoder(tuple(facts.get("channels", CHANNELS["v3-autoencoder"])), facts.get("norm_groups", 16),
                             facts.get("latent_channels", LATENT_CHANNELS))
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    return model.eval()


def write_untrained_weights(directory: str | Path, *, seed: int = 0, infill: bool = True,
                            autoencoder: tuple[int, ...] = CHANNELS["v3-autoencoder"],
                            keyframe: tuple[int, ...] = CHANNELS["v3-keyframe"],
                            infill_channels: tuple[int, ...] = CHANNELS["v3-infill"], norm_groups: int = 16) -> Path:
    """Randomly initialised v3 weights (by default of the shipped architecture and size) in `directory`, in the
    files and formats the exports write, with the shipped vocabulary beside them: for tests (small widths)
    and cost benchmarks (a model's time does not depend on its weights' values). Seeded, so the same call
    writes the same files; `infill=False` leaves the infill model out."""
    import shutil

    from safetensors.torch import save_file

    from renderers.tiny.text import default_vocabulary_path
    from renderers.tiny.v3.models import (
        LatentKeyframeConfig,
        LatentKeyframeModel,
        ResidualInfillConfig,
        ResidualInfillModel,
    )

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    facts = {"channels": list(autoencoder), "norm_groups": norm_groups, "untrained": True}
    torch.manual_seed(seed)
    weights = make_autoencoder(autoencoder, norm_groups).state_dict()
    save_file({k: v.half().contiguous() for k, v in weights.items()}, str(directory / "v3-autoencoder.safetensors"),
              metadata={"config": json.dumps(facts)})
    torch.manual_seed(seed + 1)
    model = LatentKeyframeModel(LatentKeyframeConfig(channels=keyframe, norm_groups=norm_groups, extra={"untrained": True}))
    model.setting_table.normal_()
    model.save(directory / "v3-keyframe.safetensors")
    if infill:
        torch.manual_seed(seed + 2)
        model = ResidualInfillModel(ResidualInfillConfig(channels=infill_channels, norm_groups=min(norm_groups, infill_channels[0]),
                                                         extra={"untrained": True}))
        model.setting_table.normal_()
        for p in model.unet.conv_out.parameters():  # as if trained: a zero correction would be the warp itself
            p.data.normal_(0, 0.02)
        model.save(directory / "v3-infill.safetensors")
    shutil.copyfile(default_vocabulary_path(), directory / "vocabulary.safetensors")
    return directory
