"""Infill with Wan's `WanImageToVideoPipeline`: the window's first and last frame.

Wan 2.1 FLF2V (first-last-frame-to-video) and Wan 2.2 I2V take `image` (the first
frame) and `last_image` (the last); NUWA-XL's windows after level 0 are exactly
that, two known ends. A window whose known frames are anywhere else is an error
that says to use the ltx or sparsectrl backend. One prompt per window. Wan makes
4k+1 frames.
"""

from __future__ import annotations

import numpy as np
import torch

from director.renderer import InfillJob
from renderers.diffusers.config import InfillConfig
from renderers.diffusers.infill_window import known_image, map_window, pipeline_arguments, read_targets, window_prompt
from renderers.diffusers.keyframe_plan import model_size


class WanInfill:
    def __init__(self, pipe, config: InfillConfig) -> None:
        from diffusers import WanImageToVideoPipeline

        if not isinstance(pipe, WanImageToVideoPipeline):
            raise ValueError(f"the wan backend needs a WanImageToVideoPipeline, but {config.model!r} loads as {type(pipe).__name__}")
        self.pipe, self.config = pipe, config

    @property
    def frame_step(self) -> int:
        """The VAE's temporal compression: windows of frame_step * k + 1 frames (8 for LTX-Video, 4 for Wan)."""
        return self.pipe.vae_scale_factor_temporal

    @property
    def size_multiple(self) -> int:
        return self.pipe.vae_scale_factor_spatial * self.pipe.transformer.config.patch_size[1]

    @torch.no_grad()
    def render(self, job: InfillJob) -> np.ndarray:
        """(len(job.targets), scene height, scene width, 3) uint8."""
        config = self.config
        width, height = model_size(job.scene.width, job.scene.height, self.size_multiple, config.width, config.height)
        window = map_window(job, self.frame_step)
        positions = [position for _, position in window.known]
        last = len(job.frames) - 1
        if positions not in ([0], [0, last]):
            raise ValueError(
                f"the wan backend conditions on the first frame, or the first and last, but this window knows "
                f"positions {positions} of 0..{last}; use the ltx or sparsectrl backend for frames elsewhere"
            )
        text = {} if config.max_sequence_length is None else {"max_sequence_length": config.max_sequence_length}
        video = self.pipe(
            image=known_image(job, 0, width, height),
            last_image=known_image(job, last, width, height) if last in positions else None,
            **pipeline_arguments(job, config, window_prompt(job, config.extra_prompt).text, width, height, window),
            **text,
        ).frames[0]
        return read_targets(np.asarray(video), job, window)
