"""Tiny, seeded, randomly initialised models of the real architectures the evaluation loads,
saved the way users' models are (save_pretrained folders, TorchScript files), so the loading
code runs for real without any download. Their outputs are meaningless; the plumbing is not."""

from __future__ import annotations

import inspect
from pathlib import Path

import torch


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2 / CLIP's reversible byte -> printable character map."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes), strict=True))


def clip_tokenizer(tmp: Path):
    """A byte-level CLIP tokenizer with no merges: every byte is a token (built in code, no hub)."""
    from transformers import CLIPTokenizer

    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    if "vocab" in inspect.signature(CLIPTokenizer.__init__).parameters:  # transformers 5
        return CLIPTokenizer(vocab=vocab, merges=[])
    import json

    (tmp / "vocab.json").write_text(json.dumps(vocab))
    (tmp / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(vocab_file=str(tmp / "vocab.json"), merges_file=str(tmp / "merges.txt"))


def _text_config(tokenizer) -> dict:
    return dict(
        vocab_size=len(tokenizer.get_vocab()),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def save_tiny_clip(folder: Path) -> Path:
    """A CLIPModel (32-px images, 16-d embeddings) and its processor, as save_pretrained writes them."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    tokenizer = clip_tokenizer(folder.parent)
    config = CLIPConfig(
        text_config=_text_config(tokenizer),
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4),
        projection_dim=16,
    )
    torch.manual_seed(0)
    CLIPModel(config).eval().save_pretrained(folder)
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def save_tiny_owlvit(folder: Path) -> Path:
    """An OwlViTForObjectDetection (32-px images) and its processor."""
    from transformers import OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessor, OwlViTProcessor

    tokenizer = clip_tokenizer(folder.parent)
    text = _text_config(tokenizer)
    text["max_position_embeddings"] = 16
    config = OwlViTConfig(
        text_config=text,
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4),
        projection_dim=32,  # OWL-ViT compares class embeddings (text width) with projected queries: equal sizes
    )
    torch.manual_seed(0)
    OwlViTForObjectDetection(config).eval().save_pretrained(folder)
    image_processor = OwlViTImageProcessor(size={"height": 32, "width": 32}, crop_size={"height": 32, "width": 32})
    OwlViTProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def save_tiny_videomae(folder: Path, num_labels: int = 5) -> Path:
    """A VideoMAEForVideoClassification (4 frames of 32 px) and its image processor."""
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification, VideoMAEImageProcessor

    config = VideoMAEConfig(
        image_size=32,
        patch_size=16,
        num_frames=4,
        tubelet_size=2,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        num_labels=num_labels,
    )
    torch.manual_seed(0)
    VideoMAEForVideoClassification(config).eval().save_pretrained(folder)
    VideoMAEImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


class TinyInception(torch.nn.Module):
    """Stand-in with the call interface of the TorchScript `inception-2015-12-05.pt` (StyleGAN2-ADA /
    clean-fid): (batch, 3, H, W) in [0, 255] -> pool features, or a 1008-way softmax. A few convolutions,
    not Inception v3, with 64-d features instead of 2048: the real network's weights cannot be had
    offline, and its size would only make the test slow."""

    def __init__(self) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 5, stride=4), torch.nn.ReLU(), torch.nn.Conv2d(16, 64, 3, stride=2), torch.nn.AdaptiveAvgPool2d(1)
        )
        self.output = torch.nn.Linear(64, 1008)

    def forward(self, x: torch.Tensor, return_features: bool = False, no_output_bias: bool = False) -> torch.Tensor:
        features = self.features(x / 255.0).flatten(1)
        if return_features:
            return features
        logits = features @ self.output.weight.t()
        if not no_output_bias:
            logits = logits + self.output.bias
        return torch.softmax(logits, dim=1)


class TinyI3D(torch.nn.Module):
    """Stand-in with the call interface of the FVD literature's `i3d_torchscript.pt`:
    (batch, 3, frames, H, W) in [-1, 1] -> 400-d features."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Conv3d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool3d(1))
        self.head = torch.nn.Linear(8, 400)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = True, return_features: bool = True) -> torch.Tensor:
        if resize:
            x = torch.nn.functional.interpolate(x, size=(x.shape[2], 32, 32), mode="trilinear", align_corners=False)
        return self.head(self.net(x).flatten(1))


def save_torchscript(factory: type[torch.nn.Module], path: Path) -> Path:
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(factory().eval()), str(path))
    return path
