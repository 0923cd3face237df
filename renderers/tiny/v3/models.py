"""The v3 models, all diffusers `UNet2DModel`s: the keyframe model, the upscaler and the residual infill model.

A cascade (Imagen's, Imagen Video's, Make-A-Video's): the keyframe model denoises a
frame at 64x36 (`BASE_SIZE`, a quarter of 256x144 each way), and the upscaler draws
it again at 256x144 from it and the layout, so the CPU's diffusion steps work on
2,304 positions rather than 36,864 and the one full-size pass is the upscaler's.
It replaced latent diffusion on an autoencoder trained here (Stable Diffusion's
recipe): at 8x down that autoencoder lost what tells one kind from another
(benchmarks/RESULTS.md, "v3 training"), while the upscaler reads it from the layout.

Conditioning, as in v2 (`renderers/tiny/models.py`) but at each model's own size and
with a look of two colours: a rasterised layout map, each entity's features
(its kind's MiniLM sentence embedding projected to `noun_channels`, its main and
second colour) painted into its box with occlusion-aware weights, plus a mask and
each pixel's box-local (u, v); 1 + noun_channels + 6 + 2 channels concatenated to
the model's input. A global vector (the setting's sentence embedding and the time of
day, one-hot of four) goes through an MLP and is added to the timestep embedding
(`class_embed_type="identity"`). Each model keeps the table of setting vectors it
was trained with (`setting_table`, a buffer saved with its weights), so a renderer
conditions it on exactly those without loading the sentence encoder.

The infill model (`ResidualInfillModel`) predicts, in one pass, a correction to the
box-warped guess: the frame is guess + output (see its docstring for why).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel
from torch import nn

from renderers.tiny.text import EMBED_DIM
from renderers.tiny.v3.conditioning import coverage
from renderers.tiny.v3.world import FRAME, SETTINGS, TIMES

BoxTuple = tuple[float, float, float, float]
MAX_ENTITIES = 6
BASE_SIZE = (64, 36)  # width, height of the keyframe model's frames, which the upscaler starts from: a quarter of 256x144


@dataclass(frozen=True)
class Placed:
    """One entity in one frame: who, where, its kind's embedding and its look's two colours."""

    key: str
    box: BoxTuple
    noun: torch.Tensor  # (384,)
    colors: tuple[tuple[int, int, int], tuple[int, int, int]]  # main, second


@dataclass
class LayoutTensors:
    weights: torch.Tensor  # (batch, entities, H, W) visible coverage of each entity
    coords: torch.Tensor  # (batch, entities, 2, H, W) box-local u, v
    nouns: torch.Tensor  # (batch, entities, 384)
    colors: torch.Tensor  # (batch, entities, 6) in [-1, 1]

    def covered(self) -> torch.Tensor:
        """(batch, 1, H, W): how much of each pixel the entities cover together, at most 1."""
        return self.weights.sum(1, keepdim=True).clamp(max=1)


def rasterise(layouts: Sequence[Sequence[Placed]], size: tuple[int, int] = BASE_SIZE) -> LayoutTensors:
    """Layouts (larger boxes first, at most MAX_ENTITIES kept, smallest dropped) as tensors at `size` (w, h)."""
    width, height = size
    batch = len(layouts)
    weights = torch.zeros(batch, MAX_ENTITIES, height, width)
    coords = torch.zeros(batch, MAX_ENTITIES, 2, height, width)
    nouns = torch.zeros(batch, MAX_ENTITIES, EMBED_DIM)
    colors = torch.zeros(batch, MAX_ENTITIES, 6)
    xs, ys = (torch.arange(width) + 0.5) / width, (torch.arange(height) + 0.5) / height
    for b, layout in enumerate(layouts):
        ordered = sorted(layout, key=lambda p: -(p.box[2] - p.box[0]) * (p.box[3] - p.box[1]))[:MAX_ENTITIES]
        covers = [coverage(p.box, size) for p in ordered]
        for i, p in enumerate(ordered):
            visible = covers[i].clone()
            for later in covers[i + 1 :]:
                visible *= 1 - later
            weights[b, i] = visible
            u = ((xs - p.box[0]) / max(p.box[2] - p.box[0], 1e-6)).clamp(0, 1)
            v = ((ys - p.box[1]) / max(p.box[3] - p.box[1], 1e-6)).clamp(0, 1)
            coords[b, i] = torch.stack([u[None, :].expand(height, width), v[:, None].expand(height, width)])
            nouns[b, i] = p.noun
            colors[b, i] = torch.tensor([*p.colors[0], *p.colors[1]], dtype=torch.float32) / 127.5 - 1
    return LayoutTensors(weights, coords, nouns, colors)


def paint_layout(noun: nn.Linear, layout: LayoutTensors) -> torch.Tensor:
    """(batch, 1 + noun + 6 + 2, H, W): each entity's features painted into its box (mask, noun, colours, u, v)."""
    features = torch.cat([noun(layout.nouns), layout.colors], dim=-1)  # (batch, entities, noun + 6)
    painted = torch.einsum("bnhw,bnc->bchw", layout.weights, features)
    uv = torch.einsum("bnhw,bnchw->bchw", layout.weights, layout.coords)
    return torch.cat([layout.weights.sum(1, keepdim=True), painted, uv], dim=1)


def _global_condition(mlp: nn.Module, setting: torch.Tensor, time_index: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
    return mlp(torch.cat([setting, F.one_hot(time_index, len(TIMES)).float(), *extra], dim=-1))


@dataclass
class ModelConfig:
    """What every v3 model's config has: the width of the kind embedding in its layout map, its UNet's group
    norm and the facts of its training (`extra`, written by the export)."""

    noun_channels: int = 8
    norm_groups: int = 8
    extra: dict = field(default_factory=dict)

    @property
    def map_channels(self) -> int:
        return 1 + self.noun_channels + 6 + 2  # mask, noun, main + second colour, u, v

    @property
    def global_features(self) -> int:
        return EMBED_DIM + len(TIMES)  # the setting's embedding, the time of day


@dataclass
class KeyframeConfig(ModelConfig):
    channels: tuple[int, ...] = (32, 64, 128)  # UNet widths at 36x64, 18x32 and 9x16 (36 rows halve evenly twice)
    norm_groups: int = 32
    # Each of the UNet's 64x36 positions is a patch x patch block of the frame (a pixel unshuffle before the UNet,
    # a pixel shuffle after it, as v2 folds 32x32): 1 draws 64x36 frames, 2 draws 128x72 ones at nearly the same
    # cost, where a bicycle's frame or a cat's ears are two pixels wide, not one (RESULTS.md, "keyframes at 128x72")
    patch: int = 1


class KeyframeModel(nn.Module):
    """x_t (a noisy frame at `frame_size`, 64x36 times `config.patch`) + the layout map -> the clean frame (x0),
    given the setting and the time of day."""

    def __init__(self, config: KeyframeConfig) -> None:
        super().__init__()
        self.config = config
        blocks = config.patch**2
        _add_conditioned_unet(self, config, BASE_SIZE, (3 + config.map_channels) * blocks, 3 * blocks)

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames it draws."""
        return BASE_SIZE[0] * self.config.patch, BASE_SIZE[1] * self.config.patch

    def layout_map(self, layout: LayoutTensors) -> torch.Tensor:
        """(batch, map_channels, H, W): each entity's features painted into its box."""
        return paint_layout(self.noun, layout)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, layout: LayoutTensors, setting: torch.Tensor,
                time_index: torch.Tensor) -> torch.Tensor:
        """sample: (B, 3, H, W) noisy frames in [-1, 1] at `frame_size`, the layout rasterised at it; setting:
        (B, 384); time_index: (B,). Returns x0 (B, 3, H, W)."""
        x = F.pixel_unshuffle(torch.cat([sample, self.layout_map(layout)], dim=1), self.config.patch)  # (B, C * patch^2, 36, 64)
        made = self.unet(x, timestep, class_labels=_global_condition(self.condition, setting, time_index)).sample
        return F.pixel_shuffle(made, self.config.patch)

    def patched(self, patch: int) -> KeyframeModel:
        """A copy of this patch-1 model drawing frames `patch` times larger each way that starts out as this model
        does: its first convolution reads each block's mean (each input channel's weights shared out over the
        block's pixels) and its last writes the same value to every pixel of a block. What it cannot keep is the
        noise's level: a block's mean of the noise is `patch` times smaller than a pixel's, so at first it sees
        frames less noisy than their timestep says, which training at the larger size then learns."""
        if self.config.patch != 1:
            raise ValueError(f"patched() starts from a patch-1 model, not patch {self.config.patch}")
        from dataclasses import replace

        wider = KeyframeModel(replace(self.config, patch=patch))
        state = self.state_dict()
        blocks = patch**2
        conv_in, conv_out = self.unet.conv_in, self.unet.conv_out
        state["unet.conv_in.weight"] = conv_in.weight.repeat_interleave(blocks, dim=1) / blocks  # unshuffle: channel c -> c * blocks + k
        state["unet.conv_out.weight"] = conv_out.weight.repeat_interleave(blocks, dim=0)
        state["unet.conv_out.bias"] = conv_out.bias.repeat_interleave(blocks, dim=0)
        wider.load_state_dict(state)
        return wider

    def save(self, path: str | Path) -> None:
        _save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> KeyframeModel:
        return _load(cls, KeyframeConfig, path)


@dataclass
class ResidualInfillConfig(ModelConfig):
    channels: tuple[int, ...] = (16, 32, 64)  # UNet widths at 72x128, 36x64 and 18x32
    size: tuple[int, int] = (128, 72)  # width, height the correction is predicted at (half the frame; see the model)
    gate_margin: int = 2  # the correction is kept only inside the target's boxes grown by this many pixels (see the model)

    @property
    def global_features(self) -> int:
        return EMBED_DIM + len(TIMES) + 1  # setting, time of day, where the frame lies between its ends (0-1)


class ResidualInfillModel(nn.Module):
    """The box-warped guess + its confidence + the layout map -> the correction to add to the guess, given the
    setting, the time of day and the frame's position between its ends. One pass, no sampling loop.

    Why a residual, and why in pixels (issue 15, item 4; benchmarks/RESULTS.md): v2's infill model
    redrew every pixel and lost to its own input, because in this world the box-warped guess is already
    close to the truth (37.8 dB at 256x144) and a small model's redraw of what the guess has right is
    worse than the guess. Here the frame is `guess + correction`, so copying the guess is the output 0,
    the easiest thing to learn (the last convolution starts at zero: an untrained model *is* the warp).

    Why one pass, not a diffusion model's loop (RESULTS.md, "Renderer v3: keyframe model to 14,000 steps,
    layout guidance, the infill model's finding"): the first version of this model denoised the correction (x0-prediction, min-SNR weights) and,
    with a held-out denoising loss 6x below the warp's, still drew frames worse than the warp (36.6 against
    37.8 dB). A correction is sparse and small (std 0.04 in [-1, 1]; 2% of pixels off by more than 0.05)
    beside the unit noise of the schedule: its loss was all in the easy low-noise steps, where the noisy
    input holds the answer, and from the noise the renderer starts at it had learnt nothing better than 0.
    What the measures ask for (PSNR, SSIM against the truth) is the conditional mean, which a regression
    on the correction learns directly. The correction is predicted at `config.size` (half the frame: what
    it must add, a walking pose, an entrance, a changed occlusion, is larger than a pixel, and a full-size
    UNet costs ~2.7x more a frame on a CPU) and upsampled bilinearly onto the full-size guess.

    Why gated by the boxes: 98% of the correction's energy lies inside the entities' boxes at the target
    time (12% of the frame), so outside them (grown by `gate_margin` pixels) the correction is set to 0 and
    the frame is exactly the warp: the model's small errors on the background cannot cost it PSNR there.

    Where it stands (RESULTS.md, "Renderer v3: keyframe model to 29,000 steps, guidance and its cost, the
    infill model ties the warp"): gated, and trained on each window's log error (`train._ResidualInfill.loss`),
    it ties the warp on the bench (37.83 against 37.82 dB), so it is not shipped."""

    def __init__(self, config: ResidualInfillConfig) -> None:
        super().__init__()
        self.config = config
        _add_conditioned_unet(self, config, config.size, 3 + 1 + config.map_channels, 3)  # guess, confidence, layout map
        nn.init.zeros_(self.unet.conv_out.weight)
        nn.init.zeros_(self.unet.conv_out.bias)

    def to_working_size(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) at any size -> (B, C, h, w) at `config.size`, area-averaged."""
        width, height = self.config.size
        return F.interpolate(frames, size=(height, width), mode="area") if frames.shape[-2:] != (height, width) else frames

    def forward(self, guess: torch.Tensor, confidence: torch.Tensor, layout: LayoutTensors, setting: torch.Tensor,
                time_index: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """guess (B, 3, h, w) and confidence (B, 1, h, w) at `config.size`; layout rasterised at that size; setting
        (B, 384); time_index (B,); position (B,) in [0, 1]. Returns the correction (B, 3, h, w)."""
        x = torch.cat([guess, confidence, paint_layout(self.noun, layout)], dim=1)  # (B, 4 + map_channels, h, w)
        condition = _global_condition(self.condition, setting, time_index, position[:, None].float())
        timestep = torch.zeros(x.shape[0], dtype=torch.long)  # the UNet's timestep input, unused: one pass
        return self.unet(x, timestep, class_labels=condition).sample * self.gate(layout)

    def gate(self, layout: LayoutTensors) -> torch.Tensor:
        """(B, 1, h, w): 1 inside the layout's boxes grown by `gate_margin` pixels, 0 elsewhere."""
        inside = layout.covered()
        margin = self.config.gate_margin
        return F.max_pool2d(inside, 2 * margin + 1, stride=1, padding=margin) if margin else inside

    def save(self, path: str | Path) -> None:
        _save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ResidualInfillModel:
        return _load(cls, ResidualInfillConfig, path)


@dataclass
class UpscalerConfig(ModelConfig):
    channels: tuple[int, ...] = (32, 48, 64, 96)  # UNet widths at 72x128, 36x64, 18x32 and 9x16 (half the frame: see `shuffle`)
    shuffle: int = 2  # the UNet works at 1/shuffle of the frame, each pixel of it a shuffle x shuffle block (ESPCN's pixel shuffle)
    # The small frames it was trained to upscale are 64x36 x patch (the keyframe model's `patch`): a fact of its
    # training (it upscales frames of any size), which `small_size` gives and the ceiling's benchmark uses
    patch: int = 1

    @property
    def small_size(self) -> tuple[int, int]:
        return BASE_SIZE[0] * self.patch, BASE_SIZE[1] * self.patch


class Upscaler(nn.Module):
    """The cascade's last stage (Imagen's, Make-A-Video's): a small frame (64x36, or 128x72 with `patch` 2) + the
    layout map at 256x144 -> the 256x144 frame, given the setting and the time of day.

    Why it exists (benchmarks/RESULTS.md, "v3 training"): an autoencoder trained here for 8.7 CPU hours
    (8x down, 4 latent channels) gave back the world's own frames with kinds recognised at 0.62 (the bar is
    0.88): what makes a dog a dog (legs, a head, a tail) is a few pixels, and its latents had lost them.
    Here those pixels are drawn from the layout instead: each pixel of the map says which kind's box it lies
    in, where in that box (u, v) and in which colours, so the figure's shape is a function of the map, and
    the small frame gives what the layout does not say (the background, a pose, the light). The output is
    the bilinear upsampling of the small frame plus a correction (the last convolution starts at zero: an
    untrained upscaler is bilinear upsampling). `noise_level` is Imagen's noise conditioning augmentation:
    training noises the small frame to a random DDPM timestep and tells the model which, so that a keyframe
    model's imperfect small frames can be upscaled as well as the world's own."""

    def __init__(self, config: UpscalerConfig) -> None:
        super().__init__()
        self.config = config
        blocks = config.shuffle**2
        size = (FRAME[0] // config.shuffle, FRAME[1] // config.shuffle)
        _add_conditioned_unet(self, config, size, (3 + config.map_channels) * blocks, 3 * blocks)
        nn.init.zeros_(self.unet.conv_out.weight)
        nn.init.zeros_(self.unet.conv_out.bias)

    def forward(self, base: torch.Tensor, noise_level: torch.Tensor, layout: LayoutTensors, setting: torch.Tensor,
                time_index: torch.Tensor) -> torch.Tensor:
        """base: (B, 3, h, w) small frames in [-1, 1] (noised to `noise_level`, (B,) DDPM timesteps), of any size;
        layout rasterised at the output's size (H, W). Returns (B, 3, H, W)."""
        height, width = layout.weights.shape[-2:]
        up = F.interpolate(base, size=(height, width), mode="bilinear", align_corners=False)
        x = torch.cat([up, paint_layout(self.noun, layout)], dim=1)  # (B, 3 + map_channels, H, W)
        x = F.pixel_unshuffle(x, self.config.shuffle)  # (B, (3 + map_channels) * shuffle^2, H / shuffle, W / shuffle)
        condition = _global_condition(self.condition, setting, time_index)
        return up + F.pixel_shuffle(self.unet(x, noise_level, class_labels=condition).sample, self.config.shuffle)

    def save(self, path: str | Path) -> None:
        _save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Upscaler:
        return _load(cls, UpscalerConfig, path)


def _add_conditioned_unet(model: nn.Module, config, size: tuple[int, int], in_channels: int, out_channels: int) -> None:
    """The parts both v3 diffusion models share: `noun` (a category embedding -> layout-map features),
    `condition` (the global vector -> the timestep embedding's size), the `setting_table` buffer (the setting
    embeddings they were trained with, in SETTINGS order) and `unet`, a diffusers UNet2DModel at `size`
    (width, height) with attention at its coarsest level."""
    temb = config.channels[0] * 4
    levels = len(config.channels)
    model.noun = nn.Linear(EMBED_DIM, config.noun_channels)
    model.condition = nn.Sequential(nn.Linear(config.global_features, temb), nn.SiLU(), nn.Linear(temb, temb))
    model.register_buffer("setting_table", torch.zeros(len(SETTINGS), EMBED_DIM))
    model.unet = UNet2DModel(
        sample_size=(size[1], size[0]),
        in_channels=in_channels,
        out_channels=out_channels,
        block_out_channels=tuple(config.channels),
        down_block_types=("DownBlock2D",) * (levels - 1) + ("AttnDownBlock2D",),
        up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (levels - 1),
        layers_per_block=1,
        norm_num_groups=config.norm_groups,
        attention_head_dim=min(32, config.channels[-1]),
        class_embed_type="identity",
    )


def _save(model: nn.Module, path: str | Path) -> None:
    """Half-precision safetensors, the config (tuples as lists) in the metadata."""
    from safetensors.torch import save_file

    config = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(model.config).items()}
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata={"config": json.dumps(config)})


def _load(cls, config_cls, path: str | Path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), "pt") as f:
        data = json.loads(f.metadata()["config"])
    data = {k: tuple(v) if k in ("channels", "size") else v for k, v in data.items()}
    model = cls(config_cls(**data))
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    return model.eval()
