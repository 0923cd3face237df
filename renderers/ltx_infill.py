"""Infill with LTX-Video's `LTXConditionPipeline`: known frames at any index of the window.

This is NUWA-XL's local model as masked temporal diffusion: every known frame is a
`LTXVideoCondition(image, frame_index)`; the pipeline encodes it, pins its latent
(the first frame's latents are replaced and never denoised; frames elsewhere
become extra tokens at their time coordinate), and denoises the rest of the
window around them. `condition_noise` is the pipeline's `image_cond_noise_scale`
(0 keeps the known frames exact). One prompt per window. LTX makes 8k+1 frames.
"""

from __future__ import annotations

import numpy as np
import torch

from director.renderer import InfillJob
from renderers.diffusers_config import InfillConfig
from renderers.infill_window import known_image, map_window, read_targets, window_prompt
from renderers.keyframe_plan import model_size


class LtxInfill:
    def __init__(self, pipe, config: InfillConfig) -> None:
        from diffusers import LTXConditionPipeline

        if not isinstance(pipe, LTXConditionPipeline):
            raise ValueError(f"the ltx backend needs an LTXConditionPipeline, but {config.model!r} loads as {type(pipe).__name__}")
        self.pipe, self.config = pipe, config

    @property
    def frame_step(self) -> int:
        """The VAE's temporal compression: windows of frame_step * k + 1 frames (8 for LTX-Video, 4 for Wan)."""
        return self.pipe.vae_temporal_compression_ratio

    @property
    def size_multiple(self) -> int:
        # The pipeline insists on multiples of 32 (LTX-Video's VAE compresses 32x); smaller test VAEs too.
        return max(32, self.pipe.vae_spatial_compression_ratio * self.pipe.transformer_spatial_patch_size)

    @torch.no_grad()
    def render(self, job: InfillJob) -> np.ndarray:
        """(len(job.targets), scene height, scene width, 3) uint8."""
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        config = self.config
        width, height = model_size(job.scene.width, job.scene.height, self.size_multiple, config.width, config.height)
        window = map_window(job, self.frame_step)
        conditions = [
            LTXVideoCondition(image=known_image(job, position, width, height), frame_index=frame, strength=1.0)
            for frame, position in window.known
        ]
        text = {} if config.max_sequence_length is None else {"max_sequence_length": config.max_sequence_length}
        video = self.pipe(
            conditions=conditions or None,
            prompt=window_prompt(job, config.extra_prompt),
            negative_prompt=config.negative_prompt,
            width=width,
            height=height,
            num_frames=window.num_frames,
            frame_rate=config.frame_rate,
            num_inference_steps=config.num_inference_steps,
            guidance_scale=config.guidance_scale,
            image_cond_noise_scale=config.condition_noise,
            generator=torch.Generator().manual_seed(job.seed),
            output_type="np",
            **text,
        ).frames[0]
        return read_targets(np.asarray(video), job, window)
