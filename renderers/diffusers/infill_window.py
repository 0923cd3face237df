"""How an infill job's window maps onto a video pipeline's frames, shared by the video backends.

A timeline window is `n` frame specs, evenly spaced in the scene, some already made
(`job.known`: the window's two ends after level 0). A video pipeline makes
`num_frames` frames, with constraints of its own (LTX: 8k+1, Wan: 4k+1). The
window is laid over the pipeline's frames evenly: window position p becomes
pipeline frame round(p * (num_frames - 1) / (n - 1)), so known frames are placed
at the pipeline frames of their positions and the targets are read back from
theirs. With the backend's natural window (17 for LTX and Wan, 16 for SparseCtrl)
the map is the identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from director.renderer import InfillJob
from director.storyboard import Box
from renderers.diffusers.identity import FramePrompt, frame_prompt
from renderers.diffusers.keyframe_plan import to_uint8


@dataclass(frozen=True)
class WindowMap:
    num_frames: int  # frames the pipeline makes
    positions: tuple[int, ...]  # window position -> pipeline frame
    known: tuple[tuple[int, int], ...]  # (pipeline frame, window position) of each known frame, in order
    targets: tuple[int, ...]  # pipeline frames to read back, in the order of job.targets


def map_window(job: InfillJob, frame_step: int = 1, max_frames: int | None = None) -> WindowMap:
    """Lay `job`'s window over the fewest pipeline frames of the form frame_step * k + 1."""
    n = len(job.frames)
    if n < 2:
        raise ValueError(f"an infill window needs at least 2 frames, but has {n}")
    num_frames = ((n - 2) // frame_step + 1) * frame_step + 1 if frame_step > 1 else n
    if max_frames is not None and num_frames > max_frames:
        raise ValueError(f"this pipeline makes at most {max_frames} frames per window, but the window needs {num_frames}")
    positions = tuple(round(p * (num_frames - 1) / (n - 1)) for p in range(n))
    known = tuple((positions[p], p) for p, spec in enumerate(job.frames) if spec.index in job.known)
    targets = tuple(positions[p] for p, spec in enumerate(job.frames) if spec.index not in job.known)
    return WindowMap(num_frames, positions, known, targets)


def window_prompt(job: InfillJob, extra: str = "") -> FramePrompt:
    """One prompt for the window: every entity visible in any of its frames, then scene, setting, style."""
    visible = {entity for spec in job.frames for entity in spec.boxes}
    return frame_prompt(job.scene, [e.id for e in job.scene.entities if e.id in visible], extra)


def pipeline_arguments(job: InfillJob, config: Any, prompt: str, width: int, height: int, window: WindowMap) -> dict[str, Any]:
    """The keyword arguments every video pipeline here takes alike: prompt, negative prompt, size, length, steps,
    guidance, the job's seed and numpy output. `config` is the renderer's `InfillConfig`."""
    import torch

    return dict(
        prompt=prompt,
        negative_prompt=config.negative_prompt,
        width=width,
        height=height,
        num_frames=window.num_frames,
        num_inference_steps=config.num_inference_steps,
        guidance_scale=config.guidance_scale,
        generator=torch.Generator().manual_seed(job.seed),
        output_type="np",
    )


def frame_boxes(job: InfillJob, window: WindowMap) -> list[Mapping[str, Box]]:
    """The boxes of every pipeline frame: those of the window position nearest to it."""
    boxes = []
    for q in range(window.num_frames):
        nearest = min(range(len(window.positions)), key=lambda p: abs(window.positions[p] - q))
        boxes.append(dict(job.frames[nearest].boxes))
    return boxes


def known_image(job: InfillJob, position: int, width: int, height: int) -> Image.Image:
    """The known frame at window `position`, as a PIL image at the model's size."""
    image = Image.fromarray(job.known[job.frames[position].index])
    return image if image.size == (width, height) else image.resize((width, height), Image.Resampling.BICUBIC)


def read_targets(video: np.ndarray, job: InfillJob, window: WindowMap) -> np.ndarray:
    """(len(job.targets), scene height, scene width, 3) uint8 from a (frames, h, w, 3) float video in [0, 1]."""
    if video.shape[0] != window.num_frames:
        raise RuntimeError(f"the pipeline returned {video.shape[0]} frames, expected {window.num_frames}")
    return to_uint8(video[list(window.targets)], job.scene.width, job.scene.height)
