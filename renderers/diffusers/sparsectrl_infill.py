"""Infill with AnimateDiff SparseCtrl (`AnimateDiffSparseControlNetPipeline`): frames at chosen indices.

The known frames go to the SparseCtrl RGB ControlNet as `conditioning_frames` at
`controlnet_frame_indices`; the AnimateDiff motion UNet makes the whole window.
Being a Stable Diffusion UNet underneath, its spatial cross-attention can also be
told where each entity is in *every* frame, in-between frames included: the box
bias of `renderers/diffusers/layout_attention.py` (`attention_box_bias`, forward only, no
extra passes), from the layout track at each frame's time. One prompt per window.
"""

from __future__ import annotations

import numpy as np
import torch

from director.renderer import InfillJob
from renderers.diffusers.config import InfillConfig
from renderers.diffusers.identity import token_spans
from renderers.diffusers.infill_window import frame_boxes, known_image, map_window, pipeline_arguments, read_targets, window_prompt
from renderers.diffusers.keyframe_plan import model_size, unet_size_multiple
from renderers.diffusers.layout_attention import AttentionPlan, installed, regions_for

MAX_FRAMES = 32  # AnimateDiff motion modules' positional encoding length


class SparseCtrlInfill:
    def __init__(self, pipe, config: InfillConfig) -> None:
        from diffusers import AnimateDiffSparseControlNetPipeline

        if not isinstance(pipe, AnimateDiffSparseControlNetPipeline):
            raise ValueError(
                f"the sparsectrl backend needs an AnimateDiffSparseControlNetPipeline, but {config.model!r} loads as {type(pipe).__name__}"
            )
        self.pipe, self.config = pipe, config

    @property
    def size_multiple(self) -> int:
        return unet_size_multiple(self.pipe)

    @torch.no_grad()
    def render(self, job: InfillJob) -> np.ndarray:
        """(len(job.targets), scene height, scene width, 3) uint8."""
        config, pipe = self.config, self.pipe
        width, height = model_size(job.scene.width, job.scene.height, self.size_multiple, config.width, config.height)
        window = map_window(job, 1, max_frames=MAX_FRAMES)
        prompt = window_prompt(job, config.extra_prompt)
        known = [(frame, known_image(job, position, width, height)) for frame, position in window.known]
        call = pipeline_arguments(job, config, prompt.text, width, height, window)
        if known:
            call.update(conditioning_frames=[image for _, image in known], controlnet_frame_indices=[frame for frame, _ in known])
        else:
            call.update(controlnet_conditioning_scale=0.0, conditioning_frames=[known_image_blank(width, height)], controlnet_frame_indices=[0])
        if config.attention_box_bias > 0:
            spans = token_spans(pipe.tokenizer, prompt)
            boxes = frame_boxes(job, window)
            plan = AttentionPlan(
                latent_size=(height // pipe.vae_scale_factor, width // pipe.vae_scale_factor),
                regions=regions_for(boxes, [spans] * len(boxes)),  # (frames,): the motion UNet folds frames into the batch
                bias=config.attention_box_bias,
            )
            with installed(pipe.unet) as controller:
                controller.plan = plan
                video = pipe(**call).frames[0]
        else:
            video = pipe(**call).frames[0]
        return read_targets(np.asarray(video), job, window)


def known_image_blank(width: int, height: int):
    """A black frame for a window with nothing known (the ControlNet's scale is then 0)."""
    from PIL import Image

    return Image.new("RGB", (width, height))
