"""Training the v3 models on the v3 world: `director train tiny v3-autoencoder`.

The v3 route is latent diffusion (Stable Diffusion's and Align-your-Latents'
recipe): an `AutoencoderKL` this project trains on its world's 256x144 frames
(8x down: 4x18x32 latents), then a layout-conditioned `UNet2DModel` denoising
those latents (`v3-keyframe`, next), both diffusers classes, with diffusers'
`DDPMScheduler` for training. One command per model; each resumes from its run
directory, is a pure function of its options and seed (the data of step n
depends only on (seed, n), drawn from world seeds below `HELD_OUT_SEEDS`), logs
training and held-out loss to `log.jsonl` (`renderers.tiny.train.plot_curves`
draws the curves) and checkpoints every `checkpoint_every` steps.

Losses: the autoencoder, L1 on pixels plus a KL term weighted 1e-6 (SD's
first-stage weight; no perceptual or adversarial term, which would need
weights from a hub); the latent keyframe model, x0-prediction MSE with
min-SNR weights as in v2 (see `renderers/tiny/train.py`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from renderers.tiny.v3.world import FRAME, sample_clip

HELD_OUT_SEEDS = 1_000_000_000  # as v2: training below, every measure at and above
V3_MODELS = ("v3-autoencoder",)  # the latent keyframe model (`v3-keyframe`) is next: see the model card
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
    seed: int = 0
    threads: int = 1  # a shared 2-core machine: one thread each for two runs side by side
    checkpoint_every: int = 50
    eval_every: int = 200
    channels: tuple[int, ...] = (16, 32, 64, 128)  # autoencoder widths per level (3 downsamples); narrow at full size for a CPU
    crop: int = 128  # the autoencoder trains on random 128x128 crops of the 256x144 frames (it is convolutional)
    norm_groups: int = 16
    time_limit: float = 0.0  # seconds of this call before it stops with a checkpoint; 0: none
    extra: dict = field(default_factory=dict)


def make_autoencoder(channels: tuple[int, ...] = (16, 32, 64, 128), norm_groups: int = 16):
    """The v3 autoencoder: diffusers `AutoencoderKL`, 8x down to 4 latent channels."""
    from diffusers import AutoencoderKL

    if len(channels) != 4:
        raise ValueError(f"the v3 autoencoder has 4 levels (8x down), got widths {channels}")
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS,
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


def train_v3(options: V3Options, run_dir: str | Path, *, resume: bool = True, progress: ProgressFn | None = None) -> Path:
    """Train (or resume) one v3 model in `run_dir`; returns the run directory."""
    if options.model not in V3_MODELS:
        raise ValueError(f"unknown v3 model {options.model!r}; the v3 models are {', '.join(V3_MODELS)}")
    from safetensors.torch import load_file, save_file

    torch.set_num_threads(options.threads)
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(options.seed)
    model = make_autoencoder(tuple(options.channels), options.norm_groups)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=0.0)
    step, seconds, wall_before = 0, 0.0, 0.0
    call_started = time.perf_counter()
    state_path = run / "state.json"
    if resume and state_path.exists():
        state = json.loads(state_path.read_text())
        if state["options"]["model"] != options.model:
            raise ValueError(f"{run} holds a {state['options']['model']} run, not {options.model}")
        model.load_state_dict(load_file(str(run / "model.safetensors")))
        optimizer.load_state_dict(torch.load(run / "optimizer.pt", weights_only=False))
        step, seconds, wall_before = state["step"], state["seconds"], state["wall_seconds"]
    held_out = world_frames(list(range(HELD_OUT_SEEDS, HELD_OUT_SEEDS + 8)), np.random.default_rng(1))

    def save_checkpoint() -> None:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(run / "model.safetensors"))
        torch.save(optimizer.state_dict(), run / "optimizer.pt")
        state = {"step": step, "seconds": seconds, "wall_seconds": wall_before + time.perf_counter() - call_started,
                 "options": asdict(options)}
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
            frames = world_frames([int(v) for v in rng.integers(0, HELD_OUT_SEEDS, options.batch_size)], rng, options.crop)
            for group in optimizer.param_groups:
                group["lr"] = options.learning_rate * min(1.0, (step + 1) / options.warmup)
            loss, train_psnr = autoencoder_loss(model, frames, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            seconds += time.perf_counter() - started
            record = {"step": step, "loss": round(loss.item(), 5), "psnr": round(train_psnr, 2), "seconds": round(seconds, 1),
                      "wall_seconds": round(wall_before + time.perf_counter() - call_started, 1)}
            if step % options.eval_every == 0 or step == options.steps:
                model.eval()
                with torch.no_grad():
                    held_loss, held_psnr = autoencoder_loss(model, held_out, None)
                model.train()
                record |= {"held_out_loss": round(held_loss.item(), 5), "held_out_psnr": round(held_psnr, 2)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            if step % options.checkpoint_every == 0 or step == options.steps:
                save_checkpoint()
            if progress:
                progress(step, options.steps, loss.item())
    save_checkpoint()
    return run


def export_autoencoder(run_dir: str | Path, destination: str | Path) -> Path:
    """Write the run's autoencoder weights in half precision, its config and training facts in the metadata."""
    from safetensors.torch import load_file, save_file

    run = Path(run_dir)
    state = json.loads((run / "state.json").read_text())
    weights = load_file(str(run / "model.safetensors"))
    facts = {"model": "v3-autoencoder", "channels": state["options"]["channels"], "norm_groups": state["options"]["norm_groups"],
             "steps": state["step"], "train_seconds": round(state["seconds"]), "seed": state["options"]["seed"],
             "batch_size": state["options"]["batch_size"], "learning_rate": state["options"]["learning_rate"]}
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.half().contiguous() for k, v in weights.items()}, str(destination), metadata={"config": json.dumps(facts)})
    return destination


def load_autoencoder(path: str | Path):
    """An exported (or checkpointed) v3 autoencoder, in eval mode."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), "pt") as f:
        facts = json.loads((f.metadata() or {}).get("config", "{}"))
    model = make_autoencoder(tuple(facts.get("channels", V3Options.channels)), facts.get("norm_groups", 16))
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    return model.eval()
