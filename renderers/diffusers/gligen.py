"""Keyframes with GLIGEN (Li et al. 2023): boxes and phrases as grounding tokens.

Loads a `StableDiffusionGLIGENPipeline` checkpoint (the class lives in diffusers'
`pipelines/deprecated/` folder since 0.33; it is still exported as
`diffusers.StableDiffusionGLIGENPipeline`). Its `__call__` grounds a whole batch
on one shared box list, but a scene's keyframes each have their own boxes, and
identity attention needs them in one batch; so the steps of that `__call__` run
here with the pipeline's own parts, and the grounding inputs are per image:

1. encode the prompts (the pipeline's `encode_prompt`);
2. timesteps from the pipeline's scheduler;
3. starting latents: shared background noise, per-entity noise at its box;
4. grounding: for each image, up to 30 (box, phrase embedding) pairs with a mask;
   a frame with no visible entity has an all-zero mask, which is GLIGEN's own
   "nothing to ground" input (the pipeline itself fails on an empty box list);
5. denoise with the gated self-attention on for the first `gligen_beta` of the
   steps (GLIGEN's scheduled sampling), then off;
6. decode with the VAE.
"""

from __future__ import annotations

import numpy as np
import torch

from director.renderer import KeyframeRequest
from renderers.diffusers.config import KeyframeConfig
from renderers.diffusers.identity import entity_phrase
from renderers.diffusers.keyframe_plan import KeyframePlan, batches, plan_for_pipeline, to_uint8, unet_size_multiple
from renderers.diffusers.layout_attention import installed

MAX_OBJECTS = 30  # GLIGEN's position net was trained with 30 grounding slots


class GligenKeyframes:
    """GLIGEN keyframes: per-image boxes and phrases, batched, with identity attention."""

    def __init__(self, pipe, config: KeyframeConfig) -> None:
        from diffusers import StableDiffusionGLIGENPipeline

        if not isinstance(pipe, StableDiffusionGLIGENPipeline) or getattr(pipe.unet, "position_net", None) is None:
            raise ValueError(f"{config.model!r} is not a GLIGEN checkpoint (a StableDiffusionGLIGENPipeline with a position net)")
        self.pipe, self.config = pipe, config

    @property
    def size_multiple(self) -> int:
        return unet_size_multiple(self.pipe)

    @torch.no_grad()
    def render(self, request: KeyframeRequest) -> np.ndarray:
        """(len(request.frames), scene height, scene width, 3) uint8."""
        config = self.config
        _, _, plan = plan_for_pipeline(request, self.pipe, config)
        phrases = {e.id: entity_phrase(e) for e in request.scene.entities}
        images: dict[int, np.ndarray] = {}
        for frames in batches(len(request.frames), config.batch):
            for f, image in zip(frames, self._denoise(plan, frames, phrases), strict=True):
                images.setdefault(f, image)
        return to_uint8(np.stack([images[f] for f in range(len(request.frames))]), request.scene.width, request.scene.height)

    def _grounding(self, plan: KeyframePlan, frames: list[int], phrases: dict[str, str], device, dtype) -> dict[str, torch.Tensor]:
        """GLIGEN's position-net inputs, one row per image: boxes (n, 30, 4), phrase embeddings (n, 30, dim), masks (n, 30)."""
        pipe = self.pipe
        n = len(frames)
        boxes = torch.zeros(n, MAX_OBJECTS, 4, device=device, dtype=dtype)
        embeddings = torch.zeros(n, MAX_OBJECTS, pipe.unet.config.cross_attention_dim, device=device, dtype=dtype)
        masks = torch.zeros(n, MAX_OBJECTS, device=device, dtype=dtype)
        # Larger boxes first, so the 30 slots keep the most visible entities.
        visible = [sorted(plan.boxes[f].items(), key=lambda item: -item[1].area)[:MAX_OBJECTS] for f in frames]
        needed = sorted({entity for row in visible for entity, _ in row})
        if needed:
            tokens = pipe.tokenizer([phrases[e] for e in needed], padding=True, return_tensors="pt").to(device)
            pooled = pipe.text_encoder(input_ids=tokens.input_ids, attention_mask=tokens.attention_mask).pooler_output
            by_entity = dict(zip(needed, pooled.to(dtype), strict=True))
            for i, row in enumerate(visible):
                for slot, (entity, box) in enumerate(row):
                    boxes[i, slot] = torch.tensor([box.x0, box.y0, box.x1, box.y1], device=device, dtype=dtype)
                    embeddings[i, slot] = by_entity[entity]
                    masks[i, slot] = 1.0
        return {"boxes": boxes, "positive_embeddings": embeddings, "masks": masks}

    def _denoise(self, plan: KeyframePlan, frames: list[int], phrases: dict[str, str]) -> np.ndarray:
        config, pipe = self.config, self.pipe
        device, dtype = pipe._execution_device, pipe.unet.dtype
        n = len(frames)
        cfg = config.guidance_scale > 1.0
        # 1. Prompts
        prompt_embeds, negative_embeds = pipe.encode_prompt(
            [plan.prompts[f].text for f in frames], device, 1, cfg, [config.negative_prompt] * n
        )
        if cfg:
            prompt_embeds = torch.cat([negative_embeds, prompt_embeds])
        # 2. Timesteps
        pipe.scheduler.set_timesteps(config.num_inference_steps, device=device)
        timesteps = pipe.scheduler.timesteps
        # 3. Starting latents
        latents = plan.latents[frames].to(device, dtype) * pipe.scheduler.init_noise_sigma
        # 4. Grounding inputs; the unconditional half gets none (masks 0), as in GLIGEN
        grounding = self._grounding(plan, frames, phrases, device, dtype)
        if cfg:
            grounding = {k: torch.cat([torch.zeros_like(v) if k == "masks" else v, v]) for k, v in grounding.items()}
        grounded_steps = int(config.gligen_beta * len(timesteps))
        # 5. Denoising loop
        attention = plan.attention(
            frames, bias=config.attention_box_bias, identity=config.identity_attention and n > 1,
            identity_weight=config.identity_weight,
        )
        extra_step_kwargs = pipe.prepare_extra_step_kwargs(None, 0.0)
        try:
            with installed(pipe.unet) as controller:
                controller.plan = attention
                for i, t in enumerate(timesteps):
                    pipe.enable_fuser(i < grounded_steps)
                    model_input = pipe.scheduler.scale_model_input(torch.cat([latents] * 2) if cfg else latents, t)
                    noise = pipe.unet(
                        model_input, t, encoder_hidden_states=prompt_embeds, cross_attention_kwargs={"gligen": dict(grounding)}
                    ).sample
                    if cfg:
                        uncond, cond = noise.chunk(2)
                        noise = uncond + config.guidance_scale * (cond - uncond)
                    latents = pipe.scheduler.step(noise, t, latents, **extra_step_kwargs).prev_sample
        finally:
            pipe.enable_fuser(True)  # as loaded: never leave a shared model changed
        # 6. Decode
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
        return pipe.image_processor.postprocess(image, output_type="np")
