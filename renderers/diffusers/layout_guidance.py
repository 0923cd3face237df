"""Keyframes with training-free layout guidance on any Stable Diffusion 1.x/2.x/XL pipeline.

Follows Chen et al. 2023, "Training-Free Layout Control with Cross-Attention
Guidance" (backward guidance), the energy LVD and BoxDiff also minimise: for each
entity e with box B_e and text tokens T_e, the cross-attention map A_e (attention
of every latent position to T_e, averaged over heads and over the low-resolution
layers) should lie inside its box:

    E = sum_e (1 - sum_{p in B_e} A_e(p) / sum_p A_e(p))^2

During the first `layout_guidance_fraction` of the denoising steps the latents
take a gradient step down E before the next step: one extra UNet forward and
backward pass on the conditional batch. The pipeline's own `__call__` does
everything else (prompt encoding, SDXL's micro-conditioning, scheduler, decode),
through its `callback_on_step_end` hook, so any checkpoint of these families works.

Identity: entity phrases and per-entity starting noise (`renderers/diffusers/identity.py`),
and consistent self-attention across the keyframes of a batch
(`renderers/diffusers/layout_attention.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from director.renderer import KeyframeRequest
from renderers.diffusers.config import KeyframeConfig
from renderers.diffusers.identity import box_mask
from renderers.diffusers.keyframe_plan import KeyframePlan, batches, plan_for_pipeline, to_uint8, unet_size_multiple
from renderers.diffusers.layout_attention import AttentionController, AttentionPlan, installed


def layout_energy(maps: Sequence[tuple[tuple[int, int], torch.Tensor]], plan: AttentionPlan) -> torch.Tensor:
    """(images,) the layout energy of each image, averaged over the recorded layers; 0 = every entity inside its box."""
    if not maps:
        raise RuntimeError("no cross-attention was recorded: the UNet has no layer small enough to guide")
    energies = []
    for grid, probs in maps:  # probs: (images, queries, text tokens)
        energy = probs.new_zeros(probs.shape[0])
        for i, regions in enumerate(plan.regions):
            for region in regions:
                attention = probs[i][:, list(region.tokens)].sum(dim=-1)  # (queries,)
                inside = box_mask(region.box, *grid).flatten().to(attention.device)
                ratio = attention[inside].sum() / attention.sum().clamp_min(1e-8)
                energy[i] = energy[i] + (1.0 - ratio) ** 2
        energies.append(energy)
    return torch.stack(energies).mean(dim=0)


class LayoutGuidanceKeyframes:
    """Layout-guided keyframes from a StableDiffusionPipeline or StableDiffusionXLPipeline."""

    def __init__(self, pipe, config: KeyframeConfig) -> None:
        from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

        if not isinstance(pipe, (StableDiffusionPipeline, StableDiffusionXLPipeline)):
            raise ValueError(
                f"layout guidance needs a Stable Diffusion 1.x/2.x or XL pipeline, but {config.model!r} loads as {type(pipe).__name__}"
            )
        self.pipe, self.config = pipe, config
        self.xl = isinstance(pipe, StableDiffusionXLPipeline)

    @property
    def size_multiple(self) -> int:
        return unet_size_multiple(self.pipe)

    @torch.no_grad()
    def render(self, request: KeyframeRequest) -> np.ndarray:
        """(len(request.frames), scene height, scene width, 3) uint8."""
        config, pipe = self.config, self.pipe
        # 1. Sizes, prompts, token spans, starting noise
        width, height, plan = plan_for_pipeline(request, pipe, config)
        images: dict[int, np.ndarray] = {}
        # 2. Denoise batch by batch; every batch starts with frame 0, the identity reference
        for frames in batches(len(request.frames), config.batch):
            out = self._denoise(plan, frames, width, height)
            for f, image in zip(frames, out, strict=True):
                images.setdefault(f, image)
        # 3. Back to the scene's size
        return to_uint8(np.stack([images[f] for f in range(len(request.frames))]), request.scene.width, request.scene.height)

    def _denoise(self, plan: KeyframePlan, frames: list[int], width: int, height: int) -> np.ndarray:
        config, pipe = self.config, self.pipe
        device = pipe._execution_device
        dtype = pipe.unet.dtype
        attention = plan.attention(
            frames, bias=config.attention_box_bias, identity=config.identity_attention and len(frames) > 1,
            identity_weight=config.identity_weight,
        )
        guided = config.layout_guidance_strength > 0 and any(attention.regions)
        with installed(pipe.unet) as controller:
            controller.plan = attention
            callback, inputs = (self._guidance(controller), self._callback_inputs()) if guided else (None, ["latents"])
            result = pipe(
                prompt=[plan.prompts[f].text for f in frames],
                negative_prompt=[config.negative_prompt] * len(frames),
                latents=plan.latents[frames].to(device, dtype),
                width=width,
                height=height,
                num_inference_steps=config.num_inference_steps,
                guidance_scale=config.guidance_scale,
                output_type="np",
                callback_on_step_end=callback,
                callback_on_step_end_tensor_inputs=inputs,
            )
        return result.images

    def _callback_inputs(self) -> list[str]:
        return ["latents", "prompt_embeds", "add_text_embeds", "add_time_ids"] if self.xl else ["latents", "prompt_embeds"]

    def _guidance(self, controller: AttentionController):
        """A `callback_on_step_end` that moves the latents down the layout energy before the next step."""
        config = self.config

        def guide(pipe, step: int, timestep, kwargs: dict) -> dict:
            timesteps = pipe.scheduler.timesteps
            last_guided = int(config.layout_guidance_fraction * len(timesteps))
            if step + 1 >= min(last_guided, len(timesteps)):
                return kwargs
            plan = controller.plan
            n = len(plan.regions)
            t_next = timesteps[step + 1]
            conditioning = {"encoder_hidden_states": kwargs["prompt_embeds"][-n:]}
            if self.xl:
                conditioning["added_cond_kwargs"] = {"text_embeds": kwargs["add_text_embeds"][-n:], "time_ids": kwargs["add_time_ids"][-n:]}
            latents = kwargs["latents"]
            for _ in range(config.layout_guidance_iterations):
                with torch.enable_grad():
                    x = latents.detach().requires_grad_(True)
                    controller.maps.clear()
                    plan.record = True
                    try:
                        pipe.unet(pipe.scheduler.scale_model_input(x, t_next), t_next, **conditioning)
                        energy = layout_energy(controller.maps, plan)  # (images,)
                    finally:
                        plan.record = False
                        maps, controller.maps = controller.maps, []
                    (grad,) = torch.autograd.grad(energy.sum(), x)
                del maps
                # Unit-RMS gradient, scaled by the latents' own spread (1 for DDIM, sigma for Euler) and by
                # how far each image is from its layout (mean energy per entity, 0..1).
                per_entity = energy.detach() / torch.tensor([max(len(r), 1) for r in plan.regions], device=energy.device)
                rms = grad.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(1e-12)
                spread = latents.float().std(dim=(1, 2, 3), keepdim=True)
                step_size = config.layout_guidance_strength * spread * per_entity.view(-1, 1, 1, 1)
                latents = (latents - step_size * grad / rms).to(latents.dtype)
            kwargs["latents"] = latents
            return kwargs

        return guide
