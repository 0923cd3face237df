"""Entity detectors: find each cast member in a frame, for the storyboard-aware metrics.

A detector answers, for a batch of frames and the entities to look for, where
each one is (at most one box per entity per frame, with a score), or that it
is not there. Detectors are plug-ins found by name through the registry
(`director detectors` lists them; a package adds one through the
`director.detectors` entry-point group, or names it as 'module:attribute'):

- `color`: finds an entity by its identity colour (`director.drawing.identity_color`),
  in which the animatic renderer fills each entity's box. Works on animatic
  renders (and anything that draws entities the same way); no model.
- `owlvit`: open-vocabulary detection with OWL-ViT or OWLv2 through
  transformers, querying each entity by its description. Loaded from a hub id
  in the local cache or a save_pretrained folder.

A renderer with its own notion of where things are (such as a procedurally
generated world) provides its own detector with the same `detect` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from director.drawing import RGB, identity_color
from director.storyboard import Box, Entity


@dataclass(frozen=True)
class EntityQuery:
    """What a detector is told about an entity it should find."""

    id: str
    name: str
    category: str
    description: str
    color: RGB  # the identity colour the animatic draws it in

    @classmethod
    def from_entity(cls, entity: Entity) -> EntityQuery:
        return cls(entity.id, entity.name, entity.category, entity.description, identity_color(entity))

    @property
    def text(self) -> str:
        """A phrase for open-vocabulary detectors: its description, else its category."""
        return f"a photo of {self.description}" if self.description else f"a photo of a {self.category}"


@dataclass(frozen=True)
class Detection:
    box: Box  # normalised 0-1, origin top-left
    score: float  # the detector's confidence, 0-1


@runtime_checkable
class Detector(Protocol):
    name: str

    def detect(self, frames: Sequence[np.ndarray], queries: Sequence[EntityQuery]) -> list[dict[str, Detection]]:
        """For each frame (height, width, 3) uint8: entity id -> its detection, for the entities found."""
        ...


def _normalised_box(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> Box | None:
    """A pixel-edge box as a normalised `Box`, clipped to the frame; None if nothing is left."""
    nx0, ny0 = min(max(x0 / width, 0.0), 1.0), min(max(y0 / height, 0.0), 1.0)
    nx1, ny1 = min(max(x1 / width, 0.0), 1.0), min(max(y1 / height, 0.0), 1.0)
    if nx1 <= nx0 or ny1 <= ny0:
        return None
    return Box(x0=nx0, y0=ny0, x1=nx1, y1=ny1)


class ColorDetector:
    """Finds entities by the translucent fill the animatic draws over each box in its identity colour. No model.

    The animatic's backgrounds change only from row to row (sky gradients, ground), so each row's
    most common colour is the background there. A box is filled with its entity's colour `c` at
    opacity a = 140/255 over that background, so un-blending each pixel,
    (pixel - (1 - a) background) / a, gives back `c` inside the box. The box is the bounding box of
    the largest region that un-blends to within `tolerance` of `c`, widened by the outline.
    Fills survive H.264's 4:2:0 chroma subsampling far better than the 2-pixel outlines do.
    Entities whose identity colours are closer than `tolerance` cannot be told apart
    (`ambiguous_pairs` names them), and a background that is not row-wise (a night-city skyline)
    makes detections less reliable.
    """

    name = "color"
    FILL_ALPHA = 140 / 255  # the animatic's fill opacity (renderers/animatic.py, fill_alpha=140)
    OUTLINE = 2  # pixels of outline around the fill
    WORKING_WIDTH = 320  # wider frames are subsampled to about this width first

    def __init__(self, tolerance: float = 28.0, min_score: float = 0.35, min_pixels: int = 12) -> None:
        self.tolerance = tolerance  # max per-channel difference of the un-blended colour from the identity colour
        self.min_score = min_score  # fraction of the found box the fill must cover (lower: occluded or not a box)
        self.min_pixels = min_pixels  # smaller regions are noise

    def detect(self, frames: Sequence[np.ndarray], queries: Sequence[EntityQuery]) -> list[dict[str, Detection]]:
        return [self._detect_frame(frame, queries) for frame in frames]

    def ambiguous_pairs(self, queries: Sequence[EntityQuery]) -> list[tuple[str, str]]:
        """Pairs of entities whose identity colours this detector cannot tell apart."""
        pairs = []
        for i, a in enumerate(queries):
            for b in queries[i + 1 :]:
                if max(abs(x - y) for x, y in zip(a.color, b.color)) <= self.tolerance:
                    pairs.append((a.id, b.id))
        return pairs

    def _detect_frame(self, frame: np.ndarray, queries: Sequence[EntityQuery]) -> dict[str, Detection]:
        from scipy import ndimage

        step = max(1, frame.shape[1] // self.WORKING_WIDTH)
        frame = frame[::step, ::step]  # boxes are normalised: a coarser grid loses a pixel or two, and is faster
        height, width = frame.shape[:2]
        outline = self.OUTLINE / step
        pixels = frame.astype(np.float32)  # (height, width, channels)
        background = self._row_background(frame)[:, None, :]  # (height, 1, channels)
        differs = np.abs(pixels - background).max(axis=-1) > 8  # pixels that are background are no fill
        ys, xs = np.nonzero(differs)  # only these can be fill: test the queries on them alone
        unblended = (pixels[ys, xs] - (1 - self.FILL_ALPHA) * background[ys, 0]) / self.FILL_ALPHA  # (candidates, channels)
        found: dict[str, Detection] = {}
        for query in queries:
            hit = np.abs(unblended - np.array(query.color, np.float32)).max(axis=-1) <= self.tolerance
            if hit.sum() < self.min_pixels:
                continue  # most of the cast is not in a given frame
            hy, hx = ys[hit], xs[hit]
            top, left = max(hy.min() - 2, 0), max(hx.min() - 2, 0)
            mask = np.zeros((hy.max() + 3 - top, hx.max() + 3 - left), bool)  # the hits' neighbourhood only
            mask[hy - top, hx - left] = True
            mask = ndimage.binary_opening(mask, structure=np.ones((3, 3), bool))
            if mask.sum() < self.min_pixels:
                continue
            labels, count = ndimage.label(mask)
            sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
            region = labels == (1 + int(np.argmax(sizes)))
            if region.sum() < self.min_pixels:
                continue
            ry, rx = np.nonzero(region)
            x0, x1, y0, y1 = rx.min() + left, rx.max() + 1 + left, ry.min() + top, ry.max() + 1 + top
            score = float(region.sum() / ((x1 - x0) * (y1 - y0)))
            box = _normalised_box(x0 - outline, y0 - outline, x1 + outline, y1 + outline, width, height)
            if score >= self.min_score and box is not None:
                found[query.id] = Detection(box, score)
        return found

    @staticmethod
    def _row_background(frame: np.ndarray) -> np.ndarray:
        """(height, 3): each row's most common colour (on a grid of 8 levels per channel, then the mean of
        the pixels in that cell). A mode, not a median, so two entities covering half a row together
        do not shift it."""
        codes = (frame[..., 0] // 8).astype(np.int32) * 1024 + (frame[..., 1] // 8) * 32 + frame[..., 2] // 8  # (height, width)
        background = np.empty((frame.shape[0], 3), np.float32)
        for y in range(frame.shape[0]):
            mode = np.bincount(codes[y], minlength=32768).argmax()
            background[y] = frame[y][codes[y] == mode].mean(axis=0)
        return background

class OwlVitDetector:
    """Open-vocabulary detection (OWL-ViT / OWLv2 through transformers), one text query per entity:
    its description, else its category. The best box per query above `threshold` counts."""

    name = "owlvit"

    def __init__(
        self,
        model: str = "google/owlvit-base-patch32",
        threshold: float = 0.1,
        device: str = "cpu",
        allow_download: bool = False,
    ) -> None:
        from director.evaluate.extractors import ModelUnavailable, _hub_error, _import_torch

        _import_torch("detector", model)
        try:
            from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor
        except ImportError:
            raise ModelUnavailable("detector", model, "transformers is not installed (pip install 'director[eval]')") from None
        try:
            self.model = AutoModelForZeroShotObjectDetection.from_pretrained(model, local_files_only=not allow_download)
            self.processor = AutoProcessor.from_pretrained(model, local_files_only=not allow_download)
        except (OSError, ValueError, KeyError) as e:
            raise _hub_error("detector", model, e, allow_download) from None
        if not hasattr(self.processor, "post_process_grounded_object_detection"):
            raise ModelUnavailable("detector", model, f"{type(self.processor).__name__} has no grounded post-processing")
        self.model = self.model.to(device).eval()
        self.threshold, self.device, self.source = threshold, device, model

    def detect(self, frames: Sequence[np.ndarray], queries: Sequence[EntityQuery]) -> list[dict[str, Detection]]:
        import torch

        from director.evaluate.extractors import _to_pil

        if not queries:
            return [{} for _ in frames]
        texts = [q.text for q in queries]
        with torch.no_grad():
            inputs = self.processor(
                text=[texts] * len(frames),
                images=_to_pil(frames),
                return_tensors="pt",
                padding="max_length",  # OWL-ViT's text model is trained on 16-token queries
                truncation=True,
                max_length=self.model.config.text_config.max_position_embeddings,
            ).to(self.device)
            outputs = self.model(**inputs)
        sizes = [frame.shape[:2] for frame in frames]  # (height, width)
        if "Owlv2" in type(self.model).__name__:
            # OWLv2 pads each image to a square (bottom/right): its boxes are relative to that square.
            target = [(max(h, w), max(h, w)) for h, w in sizes]
        else:
            target = sizes
        results = self.processor.post_process_grounded_object_detection(outputs, threshold=self.threshold, target_sizes=target)
        found: list[dict[str, Detection]] = []
        for (height, width), result in zip(sizes, results, strict=True):
            best: dict[str, Detection] = {}
            for score, label, box in zip(result["scores"].tolist(), result["labels"].tolist(), result["boxes"].tolist(), strict=True):
                query = queries[int(label)]
                normalised = _normalised_box(*box, width, height)
                if normalised is not None and (query.id not in best or score > best[query.id].score):
                    best[query.id] = Detection(normalised, float(score))
            found.append(best)
        return found


def load_detector(name: str, options: dict[str, Any] | None = None) -> Detector:
    """Build the detector registered as `name` with `options`; a bad name or option is an `InputError`."""
    from director import registry

    return registry.create("detector", name, **(options or {}))
