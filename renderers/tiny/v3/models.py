"""The v3 models: the latent keyframe model and the residual infill model, both diffusers `UNet2DModel`s.

Latent diffusion (Rombach et al. 2022, as Align-your-Latents builds on): frames
are 256x144, the v3 autoencoder (`train.make_autoencoder`) encodes them to
4x18x32 latents, and this model denoises latents, so the CPU works on 576
positions rather than 36,864.

Conditioning, as in v2 (`renderers/tiny/models.py`) but at the latent grid and
with a look of two colours: a rasterised layout map, each entity's features
(its kind's MiniLM sentence embedding projected to `noun_channels`, its main and
second colour) painted into its box with occlusion-aware weights, plus a mask and
each pixel's box-local (u, v); 1 + noun_channels + 6 + 2 channels concatenated to
the latents. A global vector (the setting's sentence embedding and the time of
day, one-hot of four) goes through an MLP and is added to the timestep embedding
(`class_embed_type="identity"`). Each model keeps the table of setting vectors it
was trained with (`setting_table`, a buffer saved with its weights), so a renderer
conditions it on exactly those without loading the sentence encoder.

The infill model (`ResidualInfillModel`) works in *pixel* space and predicts a
correction to the box-warped guess, x0 = guess + output (see its docstring for why).
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
from renderers.tiny.v3.world import SETTINGS, TIMES

BoxTuple = tuple[float, float, float, float]
MAX_ENTITIES = 6
LATENT_SIZE = (32, 18)  # width, height of the latents of a 256x144 frame


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


def rasterise(layouts: Sequence[Sequence[Placed]], size: tuple[int, int] = LATENT_SIZE) -> LayoutTensors:
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
class LatentKeyframeConfig:
    latent_channels: int = 4
    noun_channels: int = 8
    channels: tuple[int, ...] = (96, 192)  # UNet widths at 18x32 and 9x16 (18 halves once, evenly)
    norm_groups: int = 32
    latent_scale: float = 1.0  # latents are multiplied by this before diffusion (1 / their std, set at training)
    extra: dict = field(default_factory=dict)

    @property
    def map_channels(self) -> int:
        return 1 + self.noun_channels + 6 + 2  # mask, noun, main + second colour, u, v

    @property
    def global_features(self) -> int:
        return EMBED_DIM + len(TIMES)


class LatentKeyframeModel(nn.Module):
    """x_t (latents) + the layout map -> the clean latents (x0), given the setting and the time of day."""

    def __init__(self, config: LatentKeyframeConfig) -> None:
        super().__init__()
        self.config = config
        _add_conditioned_unet(self, config, LATENT_SIZE, config.latent_channels + config.map_channels, config.latent_channels)

    def layout_map(self, layout: LayoutTensors) -> torch.Tensor:
        """(batch, map_channels, H, W): each entity's features painted into its box."""
        return paint_layout(self.noun, layout)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, layout: LayoutTensors, setting: torch.Tensor,
                time_index: torch.Tensor) -> torch.Tensor:
        """sample: (B, 4, 18, 32) noisy latents; setting: (B, 384); time_index: (B,). Returns x0 (B, 4, 18, 32)."""
        x = torch.cat([sample, self.layout_map(layout)], dim=1)  # (B, 4 + map_channels, 18, 32)
        return self.unet(x, timestep, class_labels=_global_condition(self.condition, setting, time_index)).sample

    def save(self, path: str | Path) -> None:
        _save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> LatentKeyframeModel:
        return _load(cls, LatentKeyframeConfig, path)


@dataclass
class ResidualInfillConfig:
    noun_channels: int = 8
    channels: tuple[int, ...] = (16, 32, 64)  # UNet widths at 72x128, 36x64 and 18x32
    norm_groups: int = 8
    size: tuple[int, int] = (128, 72)  # width, height the correction is predicted at (half the frame; see the model)
    extra: dict = field(default_factory=dict)

    @property
    def map_channels(self) -> int:
        return 1 + self.noun_channels + 6 + 2  # as the keyframe model's layout map

    @property
    def global_features(self) -> int:
        return EMBED_DIM + len(TIMES) + 1  # setting, time of day, where the frame lies between its ends (0-1)


class ResidualInfillModel(nn.Module):
    """x_t (a noisy correction) + the box-warped guess + its confidence + the layout map -> the clean correction
    (x0 of the residual), given the setting, the time of day and the frame's position between its ends.

    Why a residual, and why in pixels (issue 15, item 4; benchmarks/RESULTS.md): v2's infill model
    redrew every pixel and lost to its own input, because in this world the box-warped guess is already
    close to the truth (37.8 dB at 256x144) and a small model's redraw of what the guess has right is
    worse than the guess. Here the frame is `guess + correction`, so copying the guess is the output 0,
    the easiest thing to learn (the last convolution starts at zero: an untrained model *is* the warp).
    In latent space the same sum would be decoded by the autoencoder, whose reconstruction (18-25 dB
    while it trains) is far below the guess: every frame would lose what the autoencoder loses, even
    with a perfect correction. In pixel space a zero correction gives the guess exactly. The correction
    is predicted at `config.size` (half the frame: what it must add, a walking pose, an entrance, a
    changed occlusion, is larger than a pixel, and a full-size UNet costs ~2.7x more a frame on a CPU)
    and upsampled bilinearly onto the full-size guess."""

    def __init__(self, config: ResidualInfillConfig) -> None:
        super().__init__()
        self.config = config
        _add_conditioned_unet(self, config, config.size, 3 + 3 + 1 + config.map_channels, 3)  # noisy correction, guess, confidence, layout map
        nn.init.zeros_(self.unet.conv_out.weight)
        nn.init.zeros_(self.unet.conv_out.bias)

    def to_working_size(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) at any size -> (B, C, h, w) at `config.size`, area-averaged."""
        width, height = self.config.size
        return F.interpolate(frames, size=(height, width), mode="area") if frames.shape[-2:] != (height, width) else frames

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, guess: torch.Tensor, confidence: torch.Tensor,
                layout: LayoutTensors, setting: torch.Tensor, time_index: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """sample: (B, 3, h, w) noisy correction at `config.size`; guess (B, 3, h, w), confidence (B, 1, h, w) at that
        size; layout rasterised at that size; setting (B, 384); time_index (B,); position (B,) in [0, 1].
        Returns the clean correction (B, 3, h, w)."""
        x = torch.cat([sample, guess, confidence, paint_layout(self.noun, layout)], dim=1)  # (B, 7 + map_channels, h, w)
        condition = _global_condition(self.condition, setting, time_index, position[:, None].float())
        return self.unet(x, timestep, class_labels=condition).sample

    def save(self, path: str | Path) -> None:
        _save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ResidualInfillModel:
        return _load(cls, ResidualInfillConfig, path)


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
        attention_head_dim=32,
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
