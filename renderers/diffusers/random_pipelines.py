"""Randomly initialised copies of the pipelines the `diffusers` renderer drives, built offline.

The diffusers renderer runs public checkpoints (Stable Diffusion, GLIGEN, LTX-Video,
Wan, AnimateDiff SparseCtrl). None can be downloaded here, so tests and benchmarks
build the *same classes* with random weights, the way diffusers' own fast tests do:

- ``size="tiny"``: a few thousand parameters, 16-32 px, for CPU tests (seconds);
- ``size="full"``: the real architectures' shapes (SD 1.5, LTX-Video 0.9.x, Wan 2.1
  I2V 14B's transformer shrunk only in depth where noted), for speed and memory
  benchmarks on a GPU: speed does not depend on weight values.

Tokenizers are built in code (a byte-level CLIP BPE vocabulary without merges, a
letter-level T5 unigram vocabulary), so nothing touches a hub. Every component is
seeded with `torch.manual_seed(seed)` right before it is built, and put in eval mode.

`build_pipeline(kind, size)` is the one entry point; a renderer config names such a
pipeline `model = "random:tiny"` (see `renderers/diffusers/config.py`).
"""

from __future__ import annotations

from typing import Any, Literal

import torch

Size = Literal["tiny", "full"]
PipelineKind = Literal["sd", "sdxl", "gligen", "ltx", "wan", "sparsectrl"]


# Tokenizers -------------------------------------------------------------------------------------


def _byte_alphabet() -> list[str]:
    """The 256 printable stand-ins byte-level BPE uses for bytes (GPT-2's table): printable
    Latin-1 characters stand for themselves, the rest are shifted above 255."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, shift = [], 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(256 + shift))
            shift += 1
    return chars


def clip_tokenizer(model_max_length: int = 77) -> Any:
    """A CLIP tokenizer whose vocabulary is every byte, alone and word-final, with no merges:
    each character is a token, so any text tokenizes, and offsets map tokens to characters."""
    from transformers import CLIPTokenizer

    alphabet = _byte_alphabet()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in alphabet:
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=model_max_length)


def t5_tokenizer(model_max_length: int = 64) -> Any:
    """A T5 tokenizer with a letter-level unigram vocabulary (pad, eos, unk, then characters)."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    for char in "abcdefghijklmnopqrstuvwxyz0123456789,.'-":
        pieces += [(char, -3.0), ("▁" + char, -3.5)]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=model_max_length)


CLIP_VOCAB = 1000  # > the 514 tokens of `clip_tokenizer`
T5_VOCAB = 128  # > the 84 pieces of `t5_tokenizer`


# Shared parts -----------------------------------------------------------------------------------


def _seeded(seed: int, build: Any) -> Any:
    torch.manual_seed(seed)
    module = build()
    return module.eval() if hasattr(module, "eval") else module


def _clip_text_encoder(size: Size, hidden: int, seed: int, projection: bool = False) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    if size == "tiny":
        config = CLIPTextConfig(
            bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=hidden, intermediate_size=37,
            num_attention_heads=4, num_hidden_layers=2, vocab_size=CLIP_VOCAB, projection_dim=hidden,
        )
    else:  # CLIP ViT-L/14's text tower (hidden 768, SD 1.x), or OpenCLIP ViT-bigG/14's (hidden 1280, SDXL's second)
        config = CLIPTextConfig(
            bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=hidden, intermediate_size=hidden * 4,
            num_attention_heads=hidden // 64, num_hidden_layers=12 if hidden == 768 else 32, vocab_size=49408, projection_dim=hidden,
        )
    model_class = CLIPTextModelWithProjection if projection else CLIPTextModel
    return _seeded(seed, lambda: model_class(config))


def _sd_vae(size: Size, seed: int) -> Any:
    from diffusers import AutoencoderKL

    if size == "tiny":
        return _seeded(seed, lambda: AutoencoderKL(
            block_out_channels=(8, 8), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=2,
            down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
        ))
    return _seeded(seed, lambda: AutoencoderKL(  # SD 1.x/2.x VAE: 8x spatial compression
        block_out_channels=(128, 256, 512, 512), in_channels=3, out_channels=3, latent_channels=4,
        layers_per_block=2, down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        sample_size=512,
    ))


def _sd_unet(size: Size, seed: int, cross_attention_dim: int, **extra: Any) -> Any:
    from diffusers import UNet2DConditionModel

    if size == "tiny":
        config = dict(
            block_out_channels=(8, 16), layers_per_block=1, sample_size=4, in_channels=4, out_channels=4,
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=cross_attention_dim, attention_head_dim=4, norm_num_groups=4,
        )
    else:  # SD 1.5's UNet
        config = dict(
            block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, sample_size=64, in_channels=4, out_channels=4,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            cross_attention_dim=cross_attention_dim, attention_head_dim=8,
        )
    config.update(extra)
    return _seeded(seed, lambda: UNet2DConditionModel(**config))


def _sd_scheduler() -> Any:
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1)


def _sd_parts(size: Size, seed: int, **unet_extra: Any) -> dict[str, Any]:
    hidden = 32 if size == "tiny" else 768
    return {
        "vae": _sd_vae(size, seed),
        "text_encoder": _clip_text_encoder(size, hidden, seed),
        "tokenizer": clip_tokenizer(),
        "unet": _sd_unet(size, seed, hidden, **unet_extra),
        "scheduler": _sd_scheduler(),
    }


def _t5_encoder(size: Size, seed: int, d_model: int, layers: int) -> Any:
    from transformers import T5Config, T5EncoderModel

    if size == "tiny":
        config = T5Config(vocab_size=T5_VOCAB, d_model=d_model, d_kv=8, d_ff=37, num_layers=2, num_heads=4, relative_attention_num_buckets=8)
    else:  # T5 v1.1 XXL's shapes; `layers` may be fewer than its 24 (the text is encoded once per window)
        config = T5Config(vocab_size=32128, d_model=d_model, d_kv=64, d_ff=10240, num_layers=layers, num_heads=64, feed_forward_proj="gated-gelu")
    return _seeded(seed, lambda: T5EncoderModel(config))


# Pipelines --------------------------------------------------------------------------------------


def build_pipeline(kind: PipelineKind, size: Size = "tiny", seed: int = 0, open_gates: bool = False) -> Any:
    """A diffusers pipeline of `kind` with random weights (see the module docstring).

    `open_gates` opens what random initialisation leaves shut and training opens:
    GLIGEN's gated self-attention gates (tanh(0) = 0 switches grounding off) are set
    to 1, and SparseCtrl's zero-initialised output convolutions (which make the
    ControlNet add nothing) get small random weights."""
    builders = {"sd": _sd, "sdxl": _sdxl, "gligen": _gligen, "ltx": _ltx, "wan": _wan, "sparsectrl": _sparsectrl}
    if kind not in builders:
        raise ValueError(f"`kind` must be one of {sorted(builders)}, but is {kind!r}")
    pipe = builders[kind](size, seed)
    if open_gates:
        torch.manual_seed(seed)
        with torch.no_grad():
            if kind == "gligen":
                for name, parameter in pipe.unet.named_parameters():
                    if name.endswith(("alpha_attn", "alpha_dense")):
                        parameter.fill_(1.0)
            if kind == "sparsectrl":
                for parameter in pipe.controlnet.parameters():
                    if parameter.dim() > 1 and not parameter.any():  # a zero_module's weight
                        parameter.normal_(0.0, 0.3)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _sd(size: Size, seed: int) -> Any:
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(**_sd_parts(size, seed), safety_checker=None, feature_extractor=None, requires_safety_checker=False)


def _gligen(size: Size, seed: int) -> Any:
    from diffusers import StableDiffusionGLIGENPipeline
    from diffusers.utils import logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the class warns that it is deprecated each time it is built
    try:
        return StableDiffusionGLIGENPipeline(
            **_sd_parts(size, seed, attention_type="gated"), safety_checker=None, feature_extractor=None, requires_safety_checker=False
        )
    finally:
        logging.set_verbosity(verbosity)


def _sdxl(size: Size, seed: int) -> Any:
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel

    if size == "tiny":
        hidden, pooled = 32, 32
        unet = _seeded(seed, lambda: UNet2DConditionModel(
            block_out_channels=(8, 16), layers_per_block=1, sample_size=4, in_channels=4, out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=8, transformer_layers_per_block=(1, 1), projection_class_embeddings_input_dim=pooled + 6 * 8,
            cross_attention_dim=hidden * 2, norm_num_groups=4,
        ))
    else:  # SDXL base's UNet
        hidden, pooled = 768, 1280
        unet = _seeded(seed, lambda: UNet2DConditionModel(
            block_out_channels=(320, 640, 1280), layers_per_block=2, sample_size=128, in_channels=4, out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(5, 10, 20), use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=256, transformer_layers_per_block=(1, 2, 10), projection_class_embeddings_input_dim=2816,
            cross_attention_dim=2048,
        ))
    second_hidden = hidden if size == "tiny" else 1280
    return StableDiffusionXLPipeline(
        vae=_sd_vae(size, seed),
        text_encoder=_clip_text_encoder(size, hidden, seed),
        text_encoder_2=_clip_text_encoder(size, second_hidden, seed, projection=True),
        tokenizer=clip_tokenizer(),
        tokenizer_2=clip_tokenizer(),
        unet=unet,
        scheduler=_sd_scheduler(),
    )


def _ltx(size: Size, seed: int) -> Any:
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXConditionPipeline, LTXVideoTransformer3DModel

    if size == "tiny":
        transformer = _seeded(seed, lambda: LTXVideoTransformer3DModel(
            in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8,
            cross_attention_dim=32, num_layers=1, caption_channels=32,
        ))
        vae = _seeded(seed, lambda: AutoencoderKLLTXVideo(
            in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
            decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1),
            spatio_temporal_scaling=(True, True, False, False), decoder_spatio_temporal_scaling=(True, True, False, False),
            decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4, upsample_factor=(1,) * 4,
            timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False,
        ))
        vae.use_framewise_encoding = vae.use_framewise_decoding = False
        text_encoder = _t5_encoder(size, seed, 32, 2)
    else:  # LTX-Video 0.9.x (2B transformer, its VAE); T5-XXL shapes with 4 layers
        transformer = _seeded(seed, lambda: LTXVideoTransformer3DModel())
        vae = _seeded(seed, lambda: AutoencoderKLLTXVideo())
        text_encoder = _t5_encoder(size, seed, 4096, 4)
    return LTXConditionPipeline(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(), text_encoder=text_encoder, tokenizer=t5_tokenizer()
    )


def _wan(size: Size, seed: int) -> Any:
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline, WanTransformer3DModel
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    if size == "tiny":
        vae = _seeded(seed, lambda: AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]))
        transformer = _seeded(seed, lambda: WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36, out_channels=16, text_dim=32,
            freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32, image_dim=4,
            pos_embed_seq_len=2 * (16 * 16 + 1),  # first and last frame: two images of 16x16 patches + a class token
        ))
        image_encoder = _seeded(seed, lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=16, intermediate_size=16, patch_size=1,
        )))
        image_processor = CLIPImageProcessor(crop_size=16, size=16)
        text_encoder = _t5_encoder(size, seed, 32, 2)
    else:  # Wan 2.1 FLF2V 14B's transformer (40 layers, 40 heads x 128), its VAE, CLIP ViT-H/14 vision tower
        vae = _seeded(seed, lambda: AutoencoderKLWan())
        transformer = _seeded(seed, lambda: WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=40, attention_head_dim=128, in_channels=36, out_channels=16, text_dim=4096,
            freq_dim=256, ffn_dim=13824, num_layers=40, cross_attn_norm=True, qk_norm="rms_norm_across_heads", image_dim=1280,
            pos_embed_seq_len=2 * 257,  # Wan 2.1 FLF2V: first and last frame, 257 CLIP tokens each
        ))
        image_encoder = _seeded(seed, lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=1280, projection_dim=1024, num_hidden_layers=32, num_attention_heads=16, image_size=224, intermediate_size=5120, patch_size=14,
        )))
        image_processor = CLIPImageProcessor(crop_size=224, size=224)
        text_encoder = _t5_encoder(size, seed, 4096, 4)
    return WanImageToVideoPipeline(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0), text_encoder=text_encoder,
        tokenizer=t5_tokenizer(), image_encoder=image_encoder, image_processor=image_processor,
    )


def _sparsectrl(size: Size, seed: int) -> Any:
    from diffusers import AnimateDiffSparseControlNetPipeline, MotionAdapter, SparseControlNetModel

    parts = _sd_parts(size, seed)
    if size == "tiny":
        adapter = _seeded(seed, lambda: MotionAdapter(
            block_out_channels=(8, 16), motion_layers_per_block=1, motion_norm_num_groups=4, motion_num_attention_heads=2,
        ))
        controlnet = _seeded(seed, lambda: SparseControlNetModel(
            block_out_channels=(8, 16), layers_per_block=1, in_channels=4, conditioning_channels=3,
            down_block_types=("CrossAttnDownBlockMotion", "DownBlockMotion"), cross_attention_dim=32, attention_head_dim=4,
            conditioning_embedding_out_channels=(8, 8), norm_num_groups=4, use_simplified_condition_embedding=False,
            motion_num_attention_heads=2,
        ))
    else:  # AnimateDiff v3 motion adapter and SparseCtrl RGB on SD 1.5
        adapter = _seeded(seed, lambda: MotionAdapter(use_motion_mid_block=False, motion_max_seq_length=32))
        controlnet = _seeded(seed, lambda: SparseControlNetModel(conditioning_channels=4, use_simplified_condition_embedding=True, cross_attention_dim=768, attention_head_dim=8))
    return AnimateDiffSparseControlNetPipeline(**parts, motion_adapter=adapter, controlnet=controlnet, feature_extractor=None, image_encoder=None)
