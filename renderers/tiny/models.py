"""The tiny diffusion models: a layout-conditioned keyframe model and a masked temporal infill model.

Both are pixel-space diffusers `UNet2DModel`s working on 32x32 frames folded
into 16x16 with a pixel unshuffle (space-to-depth, like a patch size of 2:
four times fewer positions, so a CPU can train and run them), with every
condition given as image channels or as a global vector added to the timestep
embedding (`class_embed_type="identity"`).

Layout conditioning is a *rasterised layout map* (not GLIGEN's grounding
tokens): each entity's features (its category's sentence embedding, projected
to a few channels, and its colour) are painted into its box with anti-aliased,
occlusion-aware weights, together with the box-local coordinates (u, v) of each
pixel, so a convolution knows where inside the box it is drawing (the head at
the top, legs at the bottom). See `conditioning.rasterise`.

- `KeyframeModel` (the global model): x_t + layout map; global: background
  embedding + time of day.
- `InfillModel` (NUWA-XL's local model as masked temporal diffusion, one frame
  at a time and jointly consistent through shared noise at sampling): x_t +
  box-warped guess + confidence + the two end frames (zeros where unknown) +
  layout map; global: background, time of day, the target's position between
  the ends and which ends are known.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel
from einops import rearrange
from torch import nn

from renderers.tiny.conditioning import LayoutTensors
from renderers.tiny.text import EMBED_DIM

NUM_TIMES = 3  # day, dusk, night


@dataclass
class TinyConfig:
    """Architecture of one tiny model; stored in the weights file's metadata."""

    kind: str = "keyframe"  # "keyframe" or "infill"
    size: int = 32  # frame side in pixels
    noun_channels: int = 8  # the category embedding is projected to this many layout-map channels
    channels: tuple[int, ...] = (64, 128, 128)  # UNet widths per resolution (16, 8, 4 after the unshuffle)
    attention: bool = True  # self-attention at the lowest resolution
    norm_groups: int = 32
    extra: dict = field(default_factory=dict)  # training facts kept with the weights (steps, data, seed)

    @property
    def map_channels(self) -> int:
        return 1 + self.noun_channels + 3 + 2  # mask, noun, colour, u, v

    @property
    def image_channels(self) -> int:
        if self.kind == "keyframe":
            return 3 + self.map_channels
        return 3 + 3 + 1 + 3 + 3 + self.map_channels  # x_t, guess, confidence, left, right, map

    @property
    def global_features(self) -> int:
        extra = 0 if self.kind == "keyframe" else 3  # position between the ends, left known, right known
        return EMBED_DIM + NUM_TIMES + extra


class LayoutEncoder(nn.Module):
    """Paints each entity's features into its box: (batch, map_channels, H, W)."""

    def __init__(self, noun_channels: int) -> None:
        super().__init__()
        self.noun = nn.Linear(EMBED_DIM, noun_channels)

    def forward(self, layout: LayoutTensors) -> torch.Tensor:
        features = torch.cat([self.noun(layout.nouns), layout.colors], dim=-1)  # (batch, entities, noun + 3)
        painted = torch.einsum("bnhw,bnc->bchw", layout.weights, features)
        mask = layout.weights.sum(1, keepdim=True)  # (batch, 1, H, W)
        uv = torch.einsum("bnhw,bnchw->bchw", layout.weights, layout.coords)  # (batch, 2, H, W)
        return torch.cat([mask, painted, uv], dim=1)


class TinyModel(nn.Module):
    """A UNet2DModel on pixel-unshuffled frames with a layout map and a global condition."""

    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        temb = c[0] * 4
        down = ["DownBlock2D"] * len(c)
        up = ["UpBlock2D"] * len(c)
        if config.attention:
            down[-1], up[0] = "AttnDownBlock2D", "AttnUpBlock2D"
        self.layout = LayoutEncoder(config.noun_channels)
        self.condition = nn.Sequential(nn.Linear(config.global_features, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.unet = UNet2DModel(
            sample_size=config.size // 2,
            in_channels=config.image_channels * 4,
            out_channels=3 * 4,
            block_out_channels=tuple(c),
            down_block_types=tuple(down),
            up_block_types=tuple(up),
            layers_per_block=1,
            norm_num_groups=config.norm_groups,
            attention_head_dim=32,
            class_embed_type="identity",
            add_attention=config.attention,
        )

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, images: torch.Tensor, layout: LayoutTensors,
                global_condition: torch.Tensor) -> torch.Tensor:
        """sample: (B, 3, H, W) noisy frames; images: (B, C, H, W) image conditions (may have 0 channels);
        global_condition: (B, global_features). Returns the model output (B, 3, H, W)."""
        x = torch.cat([sample, images, self.layout(layout)], dim=1)  # (B, image_channels, H, W)
        x = F.pixel_unshuffle(x, 2)  # (B, 4 * image_channels, H/2, W/2)
        out = self.unet(x, timestep, class_labels=self.condition(global_condition)).sample
        return F.pixel_shuffle(out, 2)  # (B, 3, H, W)

    # Weights files --------------------------------------------------------------------------------

    def save(self, path: str | Path, *, half: bool = True) -> None:
        from safetensors.torch import save_file

        state = {k: (v.half() if half and v.is_floating_point() else v).contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(path), metadata={"config": json.dumps(_config_dict(self.config))})

    @classmethod
    def load(cls, path: str | Path) -> TinyModel:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), "pt") as f:
            config = TinyConfig(**json.loads(f.metadata()["config"]))
        config.channels = tuple(config.channels)
        model = cls(config)
        state = {k: v.float() for k, v in load_file(str(path)).items()}
        model.load_state_dict(state)
        return model.eval()


def _config_dict(config: TinyConfig) -> dict:
    data = asdict(config)
    data["channels"] = list(config.channels)
    return data


def global_condition(background: torch.Tensor, time_index: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
    """(B, global_features): background embedding, one-hot time of day, and the infill extras."""
    parts = [background, F.one_hot(time_index, NUM_TIMES).float()]
    if extra is not None:
        parts.append(extra)
    return torch.cat(parts, dim=-1)


def fold_frames(frames: torch.Tensor) -> torch.Tensor:
    """(batch, frames, C, H, W) -> (batch * frames, C, H, W)."""
    return rearrange(frames, "b f c h w -> (b f) c h w")
