"""Feature extractors for the metrics: CLIP, Inception v3 and a video model.

Each is loaded from a local path or a hub id and wraps a real model class:

- CLIP (`transformers.CLIPModel` + its processor): image and text embeddings
  for CLIPSIM, frame consistency and identity consistency.
- Inception v3: 2048-d pool features for FID / KID and class probabilities
  for the Inception Score. Either the TorchScript file of StyleGAN2-ADA and
  clean-fid (`inception-2015-12-05.pt`, the TensorFlow FID network, so values
  compare with published ones) or torchvision's `Inception3` with its state
  dict (`inception_v3_google-0cc3c7bd.pth`, from a file or torch's cache).
- A video model for FVD / KVD and the video Inception Score: any transformers
  video classifier (VideoMAE, TimeSformer, ViViT ...; features are the
  classifier's input, probabilities its softmax), or the I3D TorchScript file
  the FVD literature uses (StyleGAN-V's `i3d_torchscript.pt`; features only).

Nothing is downloaded unless asked (`allow_download`): a hub id must already
be in the local Hugging Face cache. When a model cannot be had, loading raises
`ModelUnavailable` whose message says which metrics need it and how to point
to it; the evaluation reports those metrics as skipped and runs the others.
torch, torchvision and transformers are imported only here, and only when a
model is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

Role = Literal["clip", "inception", "video", "detector"]


@dataclass(frozen=True)
class RoleHelp:
    model: str
    metrics: str
    option: str
    accepts: str


ROLES: dict[Role, RoleHelp] = {
    "clip": RoleHelp(
        "a CLIP model",
        "CLIPSIM, frame consistency (CLIP) and identity consistency (CLIP)",
        "--clip (EvalConfig.clip)",
        "a CLIP hub id already in the local Hugging Face cache (e.g. openai/clip-vit-base-patch32), "
        "or a folder written by CLIPModel.save_pretrained together with its processor",
    ),
    "inception": RoleHelp(
        "Inception v3 weights",
        "FID, KID and the Inception Score",
        "--inception (EvalConfig.inception)",
        "the TorchScript inception-2015-12-05.pt of StyleGAN2-ADA / clean-fid (the standard FID network), "
        "a torchvision inception_v3 state dict (inception_v3_google-0cc3c7bd.pth), or 'torchvision:IMAGENET1K_V1' "
        "when that file is in torch's download cache",
    ),
    "video": RoleHelp(
        "a video model",
        "FVD, KVD and the video Inception Score",
        "--video-model (EvalConfig.video_model)",
        "a transformers video classifier (hub id in the local cache, e.g. MCG-NJU/videomae-base-finetuned-kinetics, "
        "or a save_pretrained folder), or an I3D TorchScript file (i3d_torchscript.pt)",
    ),
    "detector": RoleHelp(
        "an entity detector",
        "layout alignment, motion direction, visibility and identity consistency",
        "--detector / --detector-model (EvalConfig.detector, EvalConfig.detector_options)",
        "a detector name (`director detectors` lists them) and, for model-based ones, a hub id in the local "
        "cache or a save_pretrained folder (e.g. google/owlvit-base-patch32)",
    ),
}


class ModelUnavailable(Exception):
    """A model some metrics need cannot be loaded; the message says which metrics and how to point to one."""

    def __init__(self, role: Role, source: str | None, reason: str) -> None:
        self.role, self.source, self.reason = role, source, reason
        help_ = ROLES[role]
        where = f"'{source}': " if source else ""
        super().__init__(
            f"{help_.metrics} need {help_.model}, which could not be loaded ({where}{reason}). "
            f"Point to one with {help_.option}: {help_.accepts}."
        )


def _import_torch(role: Role, source: str | None):
    try:
        import torch
    except ImportError:
        raise ModelUnavailable(role, source, "torch is not installed (pip install 'director[eval]')") from None
    return torch


def _hub_error(role: Role, source: str, error: Exception, allow_download: bool) -> ModelUnavailable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if not Path(source).exists() and not allow_download:
        reason = f"not a folder, and not in the local Hugging Face cache (downloads are off) ({reason})"
    return ModelUnavailable(role, source, reason)


def _to_pil(frames: Sequence[np.ndarray]) -> list:
    from PIL import Image

    return [Image.fromarray(np.ascontiguousarray(frame)) for frame in frames]


# CLIP --------------------------------------------------------------------------------------------


class ClipEmbedder:
    """Unit-length CLIP embeddings of images and texts, as numpy arrays."""

    def __init__(self, model: Any, processor: Any, name: str = "clip", device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.processor = processor
        self.name = name
        self.device = device

    def images(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dims) embeddings of RGB uint8 frames."""
        import torch

        with torch.no_grad():
            pixels = self.processor(images=_to_pil(frames), return_tensors="pt")["pixel_values"].to(self.device)
            return _unit(_pooled(self.model.get_image_features(pixel_values=pixels)))

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dims) embeddings of texts (truncated to CLIP's context)."""
        import torch

        tokenizer = self.processor.tokenizer
        limit = self.model.config.text_config.max_position_embeddings
        with torch.no_grad():
            tokens = tokenizer(list(texts), padding=True, truncation=True, max_length=limit, return_tensors="pt")
            tokens = {k: v.to(self.device) for k, v in tokens.items() if k in ("input_ids", "attention_mask")}
            return _unit(_pooled(self.model.get_text_features(**tokens)))


def _pooled(output: Any) -> torch.Tensor:
    """get_*_features returns a tensor in transformers 4 and an output with the projection in `pooler_output` in 5."""
    return output if hasattr(output, "shape") else output.pooler_output


def _unit(x: torch.Tensor) -> np.ndarray:
    x = x.float()
    return (x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)).cpu().numpy()


def load_clip(source: str | None, *, allow_download: bool = False, device: str = "cpu") -> ClipEmbedder:
    if not source:
        raise ModelUnavailable("clip", source, "none was given")
    _import_torch("clip", source)
    try:
        from transformers import AutoProcessor, CLIPModel
    except ImportError:
        raise ModelUnavailable("clip", source, "transformers is not installed (pip install 'director[eval]')") from None
    try:
        model = CLIPModel.from_pretrained(source, local_files_only=not allow_download)
        processor = AutoProcessor.from_pretrained(source, local_files_only=not allow_download)
    except (OSError, ValueError, KeyError) as e:
        raise _hub_error("clip", source, e, allow_download) from None
    return ClipEmbedder(model, processor, name=source, device=device)


# Inception v3 ------------------------------------------------------------------------------------

TORCHVISION_WEIGHTS = "torchvision:IMAGENET1K_V1"


class TorchScriptInception:
    """The TorchScript Inception v3 of StyleGAN2-ADA and clean-fid (`inception-2015-12-05.pt`): the
    TensorFlow FID network, so its FIDs compare with published ones. Called on (batch, 3, 299, 299)
    floats in [0, 255]: with return_features=True it gives the 2048-d pool features; with
    no_output_bias=True the 1008-way softmax the original Inception Score uses."""

    def __init__(self, module: Any, name: str = "inception-2015-12-05", device: str = "cpu", input_size: int = 299) -> None:
        self.module = module.to(device).eval()
        self.name, self.device, self.input_size = name, device, input_size

    def __call__(self, frames: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(features (n, 2048), probabilities (n, classes)) of RGB uint8 frames."""
        import torch

        x = torch.from_numpy(_resized(frames, self.input_size)).to(self.device)  # (batch, height, width, channels)
        x = x.permute(0, 3, 1, 2).float()  # (batch, channels, height, width) in [0, 255]
        with torch.no_grad():
            features = self.module(x, return_features=True)
            probabilities = self.module(x, no_output_bias=True)
        return features.cpu().numpy().astype(np.float64), probabilities.cpu().numpy().astype(np.float64)


class InceptionEmbedder:
    """torchvision's Inception v3 (`Inception3`: a module with `avgpool` and `fc`, taking
    (batch, 3, 299, 299) scaled to [-1, 1]): pool features and the softmax of its logits."""

    def __init__(self, module: Any, name: str = "inception_v3", device: str = "cpu", input_size: int = 299) -> None:
        if not (hasattr(module, "avgpool") and hasattr(module, "fc")):
            raise TypeError("an Inception embedder needs a module with `avgpool` and `fc`, like torchvision's Inception3")
        self.module = module.to(device).eval()
        self.name, self.device, self.input_size = name, device, input_size
        self._pooled: Any = None
        module.avgpool.register_forward_hook(lambda _m, _i, out: setattr(self, "_pooled", out))

    def __call__(self, frames: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(features (n, 2048), probabilities (n, classes)) of RGB uint8 frames."""
        import torch

        x = torch.from_numpy(_resized(frames, self.input_size)).to(self.device)  # (batch, height, width, channels)
        x = x.permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (batch, channels, height, width) in [-1, 1]
        with torch.no_grad():
            logits = self.module(x)
            logits = getattr(logits, "logits", logits)  # InceptionOutputs in training mode; a tensor in eval
            features = self._pooled.flatten(1)  # (batch, 2048)
            probabilities = torch.softmax(logits.float(), dim=-1)
        return features.cpu().numpy().astype(np.float64), probabilities.cpu().numpy().astype(np.float64)


def _resized(frames: Sequence[np.ndarray], size: int) -> np.ndarray:
    """Frames resized to size x size with PIL's bicubic filter (clean-fid's advice: antialiased resizing)."""
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(f).resize((size, size), Image.BICUBIC)) for f in frames])


def load_inception(source: str | None, *, allow_download: bool = False, device: str = "cpu"):
    """A TorchScript file (inception-2015-12-05.pt), a torchvision inception_v3 state dict
    (.pth / .safetensors), or 'torchvision:IMAGENET1K_V1' from torch's download cache."""
    if not source:
        raise ModelUnavailable("inception", source, "none was given")
    torch = _import_torch("inception", source)
    if source != TORCHVISION_WEIGHTS:
        path = Path(source)
        if not path.is_file():
            raise ModelUnavailable("inception", source, "no such file")
        try:
            return TorchScriptInception(torch.jit.load(str(path), map_location="cpu"), name=source, device=device)
        except RuntimeError:
            pass  # not TorchScript: a state dict, below
    try:
        from torchvision.models import Inception_V3_Weights, inception_v3
    except Exception as e:  # ImportError, or a torchvision built for another torch failing to load its ops
        raise ModelUnavailable("inception", source, f"a state dict needs a working torchvision ({type(e).__name__}: {e})") from None
    if source == TORCHVISION_WEIGHTS:
        url = Inception_V3_Weights.IMAGENET1K_V1.url
        path = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
        if not path.is_file():
            if not allow_download:
                raise ModelUnavailable("inception", source, f"{path} is not there (downloads are off)")
            torch.hub.load_state_dict_from_url(url, progress=False)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
        num_classes = state["fc.weight"].shape[0]
        aux = any(key.startswith("AuxLogits.") for key in state)
        model = inception_v3(weights=None, aux_logits=aux, init_weights=False, num_classes=num_classes, transform_input=False)
        model.load_state_dict(state)
    except Exception as e:  # a file that is not an inception_v3 state dict, whatever torch says about it
        raise ModelUnavailable("inception", source, f"not a TorchScript file nor a torchvision inception_v3 state dict ({type(e).__name__}: {e})") from None
    return InceptionEmbedder(model, name=str(source), device=device)


# Video models ------------------------------------------------------------------------------------


class TransformersVideoEmbedder:
    """A transformers video classifier: features are its classifier's input, probabilities its softmax."""

    def __init__(self, model: Any, processor: Any, name: str = "video", device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.processor = processor
        self.name, self.device = name, device
        self.num_frames = int(getattr(model.config, "num_frames", 16))
        self.gives_probabilities = True
        self._features: Any = None
        model.classifier.register_forward_hook(lambda _m, inputs, _o: setattr(self, "_features", inputs[0]))

    def __call__(self, clips: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """clips: each (num_frames, height, width, 3) uint8 -> (features (n, d), probabilities (n, classes))."""
        import torch

        with torch.no_grad():
            videos = [list(clip) for clip in clips]
            pixels = self.processor(videos, return_tensors="pt")["pixel_values"].to(self.device)  # (batch, frames, channels, height, width)
            logits = self.model(pixel_values=pixels).logits
            features = self._features.flatten(1)
        probabilities = torch.softmax(logits.float(), dim=-1)
        return features.cpu().numpy().astype(np.float64), probabilities.cpu().numpy().astype(np.float64)


class TorchScriptI3D:
    """The I3D TorchScript of the FVD literature (StyleGAN-V's `i3d_torchscript.pt`): called on
    (batch, 3, frames, height, width) in [-1, 1] with rescale=False, resize=True, return_features=True,
    it gives 400-d features. It gives no class probabilities here, so no video Inception Score."""

    def __init__(self, module: Any, name: str = "i3d", device: str = "cpu", num_frames: int = 16) -> None:
        self.module = module.to(device).eval()
        self.name, self.device, self.num_frames = name, device, num_frames
        self.gives_probabilities = False

    def __call__(self, clips: Sequence[np.ndarray]) -> tuple[np.ndarray, None]:
        import torch

        with torch.no_grad():
            x = torch.from_numpy(np.stack(clips)).to(self.device)  # (batch, frames, height, width, channels)
            x = x.permute(0, 4, 1, 2, 3).float() / 127.5 - 1.0  # (batch, channels, frames, height, width)
            features = self.module(x, rescale=False, resize=True, return_features=True)
        return features.cpu().numpy().astype(np.float64), None


def load_video_model(source: str | None, *, allow_download: bool = False, device: str = "cpu"):
    if not source:
        raise ModelUnavailable("video", source, "none was given")
    torch = _import_torch("video", source)
    path = Path(source)
    if path.is_file():
        try:
            module = torch.jit.load(str(path), map_location="cpu")
        except Exception as e:
            raise ModelUnavailable("video", source, f"not a TorchScript file ({type(e).__name__}: {e})") from None
        return TorchScriptI3D(module, name=source, device=device)
    try:
        from transformers import AutoImageProcessor, AutoModelForVideoClassification
    except ImportError:
        raise ModelUnavailable("video", source, "transformers is not installed (pip install 'director[eval]')") from None
    try:
        model = AutoModelForVideoClassification.from_pretrained(source, local_files_only=not allow_download)
        processor = AutoImageProcessor.from_pretrained(source, local_files_only=not allow_download)
    except (OSError, ValueError, KeyError) as e:
        raise _hub_error("video", source, e, allow_download) from None
    if not hasattr(model, "classifier"):
        raise ModelUnavailable("video", source, f"{type(model).__name__} has no `classifier` to take features from")
    return TransformersVideoEmbedder(model, processor, name=source, device=device)
