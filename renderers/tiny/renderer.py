"""The `tiny` renderer: the embedded diffusion models, on a CPU, offline.

Keyframes (the global model), per request:
  1. check inputs → 2. look up each entity's look (category, identity colour) and the
  scene's background → 3. the *anchor*: the keyframe showing the most entities, drawn by
  the keyframe model from its layout (with layout guidance: its prediction pushed away from
  the same frame's prediction without entities, 1.25x, chosen on validation seeds) →
  4. every other keyframe drawn by the keyframe model too, but started from the anchor
  box-warped into its layout and noised to 0.6 (SDEdit), with the same guidance, so all
  keyframes of a scene share one look and each follows its own layout →
  5. upsample for viewing.
Infill (the local model), per job: every frame to make is denoised by the infill model,
given the window's known frames (box-warped to its layout) and its layout; the frames of
one window share part of their noise (PYoCo's mixed noise), so they agree.

Identity: an entity's look is a pure function of its identity fields (category, colour
attribute, id), never of the scene: an entity whose colour the script does not give gets
one of its category's natural colours, chosen by its id, in a shade of its own.

Frames are made at 32x32 and upsampled to the storyboard's size (bicubic, or nearest for
crisp pixels); known frames are box-filtered back down to 32x32.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence, Sized
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import torch
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from director.errors import InputError, format_validation_error
from director.renderer import FrameSpec, InfillJob, KeyframeRequest, RendererInfo, SceneContext
from director.storyboard import Entity
from renderers.tiny.conditioning import Placed, rasterise, warp_guess
from renderers.tiny.models import TinyModel, global_condition
from renderers.tiny.sprites import natural_colors
from renderers.tiny.text import Vocabulary
from renderers.tiny.world import PALETTE, TIMES, identity_shade, time_of_day

WEIGHTS = Path(__file__).resolve().parent / "weights"
WEIGHT_FILES = ("keyframe.safetensors", "infill.safetensors", "vocabulary.safetensors")


class TinyRendererConfig(BaseModel):
    """Every setting of the tiny renderer. With the weights, it is all its pixels depend on: the cache
    fingerprint is made of `model_dump()`, so a setting added here changes the key by itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: Annotated[int, Field(ge=3, description="Frames per keyframe request and per infill window (NUWA-XL's L).")] = 16
    keyframe_steps: Annotated[int, Field(ge=1, description="DPM-Solver++ steps per keyframe.")] = 12
    infill_steps: Annotated[int, Field(ge=1, description="DPM-Solver++ steps per infilled frame.")] = 8
    infill_strength: Annotated[float, Field(
        gt=0, le=1, description="Infill starts from the box-warped guess noised to this level (SDEdit): 0.5 is as good as 1, twice as fast.",
    )] = 0.5
    layout_guidance: Annotated[float, Field(
        gt=0, description="Keyframes: >1 extrapolates from the prediction without entities (CFG-like); 1.25 chosen on validation seeds.",
    )] = 1.25
    keyframe_strength: Annotated[float, Field(
        gt=0, le=1, description="The other keyframes start from the warped anchor noised to this level (SDEdit).",
    )] = 0.6
    shared_noise: Annotated[float, Field(
        ge=0, le=1, description="Share of the noise variance common to all frames of one window (PYoCo's mixed noise).",
    )] = 0.5
    upscale: Annotated[Literal["bicubic", "nearest"], Field(description="How the 32x32 frames grow to the storyboard's size.")] = "bicubic"


@dataclass(frozen=True)
class Look:
    """How one identity is drawn in the world: the same in every scene."""

    category: str
    color_name: str
    color: tuple[int, int, int]
    category_similarity: float = 1.0  # how close the script's word was to the world's category


class TinyRenderer:
    """Embedded diffusion models trained on a procedural world: layout-following keyframes and infill. CPU, offline."""

    info = RendererInfo(
        name="tiny",
        description="Small diffusion models shipped in the package (32x32, upsampled): layout-conditioned "
        "keyframes and masked temporal infill. Runs on a CPU, offline.",
        window=16,
        max_batch=8,
        supports=frozenset({"layout", "identity", "infill"}),
    )
    VERSION = 2  # 2: the other keyframes drawn by the keyframe model from the warped anchor
    SIZE = 32

    def __init__(self, *, weights_dir: str | None = None, **settings: Any) -> None:
        """`settings` are `TinyRendererConfig` fields; a bad one is an `InputError` naming it."""
        try:
            self.config = TinyRendererConfig(**settings)
        except ValidationError as e:
            raise InputError(f"bad options for renderer 'tiny': {format_validation_error(e)}") from None
        if self.config.window != self.info.window:
            self.info = RendererInfo(**{**self.info.__dict__, "window": self.config.window})
        self.weights_dir = Path(weights_dir) if weights_dir else WEIGHTS
        for name in WEIGHT_FILES:
            if not (self.weights_dir / name).exists():
                raise InputError(f"the tiny renderer's weights are missing: {self.weights_dir / name} (reinstall director)")

    # Models, loaded once ------------------------------------------------------------------------

    @cached_property
    def keyframe_model(self) -> TinyModel:
        return TinyModel.load(self.weights_dir / "keyframe.safetensors")

    @cached_property
    def infill_model(self) -> TinyModel:
        return TinyModel.load(self.weights_dir / "infill.safetensors")

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.load(self.weights_dir / "vocabulary.safetensors")

    @cached_property
    def fingerprint(self) -> str:
        """The version, the weights' hash and every setting (`TinyRendererConfig.model_dump()`)."""
        digest = hashlib.sha256()
        for name in WEIGHT_FILES:
            digest.update((self.weights_dir / name).read_bytes())
        settings = json.dumps(self.config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return f"tiny/v{self.VERSION}/weights={digest.hexdigest()[:16]}/{settings}"

    # Conditioning ---------------------------------------------------------------------------------

    def look(self, entity: Entity) -> Look:
        """The entity's look: its category snapped to the world's, its colour, its own shade of it."""
        snap = self.vocabulary.category(entity.category or entity.name)
        color_name = None
        stated = entity.attributes.get("color") or entity.attributes.get("colour")
        if stated:
            color_name = self.vocabulary.color(stated).concept
        else:
            words = f"{entity.name} {entity.description}".lower().replace(",", " ").split()
            color_name = next((w for w in words if w in PALETTE), None)
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(entity.id.encode()).digest()[:8], "big"))
        if color_name is None:
            choices = natural_colors(snap.concept)
            color_name = choices[int(rng.integers(len(choices)))]
        return Look(snap.concept, color_name, identity_shade(PALETTE[color_name], rng), snap.similarity)

    def _placed(self, scene: SceneContext, spec: FrameSpec) -> list[Placed]:
        placed = []
        for entity_id, box in spec.boxes.items():
            look = self.look(scene.entity(entity_id))
            noun = torch.from_numpy(self.vocabulary.categories[look.category])
            placed.append(Placed(entity_id, (box.x0, box.y0, box.x1, box.y1), noun, look.color))
        return placed

    def _background(self, scene: SceneContext) -> tuple[torch.Tensor, int]:
        kind = self.vocabulary.background(scene.background or scene.heading).concept
        when = time_of_day(f"{scene.background} {scene.heading}")
        return torch.from_numpy(self.vocabulary.backgrounds[kind]), TIMES.index(when)

    # The two calls ----------------------------------------------------------------------------------

    @torch.no_grad()
    def keyframes(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        # 1. check inputs
        for request in requests:
            if not request.frames:
                raise ValueError(f"keyframe request for scene {request.scene.scene_id!r} has no frames")
        # 2. conditioning of every frame
        layouts = [[self._placed(r.scene, spec) for spec in r.frames] for r in requests]
        backgrounds = [self._background(r.scene) for r in requests]
        anchors = [anchor_frame(layout) for layout in layouts]
        # 3. the anchors, with the keyframe model
        noise = [_window_noise(r.seed, len(r.frames), self.SIZE, self.config.shared_noise) for r in requests]
        condition = global_condition(torch.stack([b for b, _ in backgrounds]), torch.tensor([t for _, t in backgrounds]))
        anchor_frames = self._sample(
            self.keyframe_model,
            images=torch.zeros(len(requests), 0, self.SIZE, self.SIZE),
            layouts=[layout[a] for layout, a in zip(layouts, anchors)],
            condition=condition,
            noise=torch.stack([n[a] for n, a in zip(noise, anchors)]),
            steps=self.config.keyframe_steps,
            guidance=self.config.layout_guidance,
        )
        # 4. every other keyframe, with the keyframe model, from its anchor warped into its layout
        others = [(r, f) for r, request in enumerate(requests) for f in range(len(request.frames)) if f != anchors[r]]
        made = {}
        if others:
            starts = [
                warp_guess([(anchor_frames[r], layouts[r][anchors[r]], 0.0)], layouts[r][f], 1.0, self.SIZE)[0]
                for r, f in others
            ]
            drawn = self._sample(
                self.keyframe_model,
                images=torch.zeros(len(others), 0, self.SIZE, self.SIZE),
                layouts=[layouts[r][f] for r, f in others],
                condition=condition[[r for r, _ in others]],
                noise=torch.stack([noise[r][f] for r, f in others]),
                steps=self.config.keyframe_steps,
                start=torch.stack(starts),
                strength=self.config.keyframe_strength,
                guidance=self.config.layout_guidance,
            )
            made = dict(zip(others, drawn))
        results = []
        for r, request in enumerate(requests):
            frames = [made[(r, f)] if f != anchors[r] else anchor_frames[r] for f in range(len(request.frames))]
            results.append(self._to_output(torch.stack(frames), request.scene))
        return results

    @torch.no_grad()
    def infill(self, jobs: Sequence[InfillJob]) -> list[np.ndarray]:
        rows: list[_InfillRow] = []
        for j, job in enumerate(jobs):
            if not job.known:
                raise ValueError(f"infill job for scene {job.scene.scene_id!r} has no known frame")
            background = self._background(job.scene)
            by_index = {spec.index: spec for spec in job.frames}
            known_specs = sorted(job.known)
            known = [
                (self._to_model(job.known[i]), self._placed(job.scene, by_index[i]), by_index[i].t) for i in known_specs
            ]
            noise = _window_noise(job.seed, len(job.targets), self.SIZE, self.config.shared_noise)
            for k, spec in enumerate(job.targets):
                before = [item for item, i in zip(known, known_specs) if i < spec.index]
                after = [item for item, i in zip(known, known_specs) if i > spec.index]
                left, right = (before[-1] if before else None), (after[0] if after else None)
                if left is not None and right is not None:
                    position = (spec.t - left[2]) / max(right[2] - left[2], 1e-6)
                else:
                    position = 0.0 if left is not None else 1.0
                rows.append(_InfillRow(
                    j, k, known, self._placed(job.scene, spec), spec.t, background, noise[k],
                    left=None if left is None else left[0], right=None if right is None else right[0], position=position,
                ))
        made = self._infill_rows(rows)
        return [
            self._to_output(torch.stack([made[(j, k)] for k in range(len(job.targets))]), job.scene)
            for j, job in enumerate(jobs)
        ]

    # Sampling ---------------------------------------------------------------------------------------

    def _infill_rows(self, rows: list[_InfillRow]) -> dict[tuple[int, int], torch.Tensor]:
        if not rows:
            return {}
        images, extras, guesses = [], [], []
        zeros = torch.zeros(3, self.SIZE, self.SIZE)
        for row in rows:
            guess, confidence = warp_guess(row.known, row.layout, row.t, self.SIZE)
            guesses.append(guess)
            left = row.left if row.left is not None else zeros
            right = row.right if row.right is not None else zeros
            images.append(torch.cat([guess, confidence, left, right]))
            extras.append([row.position, float(row.left is not None), float(row.right is not None)])
        frames = self._sample(
            self.infill_model,
            images=torch.stack(images),
            layouts=[row.layout for row in rows],
            condition=global_condition(
                torch.stack([row.background[0] for row in rows]),
                torch.tensor([row.background[1] for row in rows]),
                torch.tensor(extras, dtype=torch.float32),
            ),
            noise=torch.stack([row.noise for row in rows]),
            steps=self.config.infill_steps,
            start=torch.stack(guesses),
            strength=self.config.infill_strength,
        )
        return {(row.group, row.slot): frame for row, frame in zip(rows, frames)}

    def _sample(self, model: TinyModel, *, images: torch.Tensor, layouts: list[list[Placed]], condition: torch.Tensor,
                noise: torch.Tensor, steps: int, start: torch.Tensor | None = None, strength: float = 1.0,
                guidance: float = 1.0, chunk: int = 64) -> torch.Tensor:
        """Denoise a batch (in chunks) with DPM-Solver++; returns frames (B, 3, 32, 32) in [-1, 1].
        With `start` and `strength` < 1, sampling begins from `start` noised to that level (SDEdit); with
        `guidance` != 1, each step also predicts the frame with no entities and extrapolates from it."""
        outputs = []
        for first in range(0, noise.shape[0], chunk):
            part = slice(first, first + chunk)
            layout = rasterise(layouts[part], self.SIZE)
            scheduler = make_sampler()
            scheduler.set_timesteps(steps)
            timesteps = scheduler.timesteps
            x = noise[part] * scheduler.init_noise_sigma
            if start is not None and strength < 1:
                timesteps = timesteps[timesteps <= round(strength * scheduler.config.num_train_timesteps)]
                scheduler.set_begin_index(len(scheduler.timesteps) - len(timesteps))
                x = scheduler.add_noise(start[part], noise[part], timesteps[:1].expand(x.shape[0]))
            empty = rasterise([[] for _ in range(x.shape[0])], self.SIZE) if guidance != 1 else None
            for t in timesteps:
                model_input = scheduler.scale_model_input(x, t)
                out = model(model_input, t.expand(x.shape[0]), images[part], layout, condition[part])
                if empty is not None:  # layout guidance: push the prediction away from the one with no entities in it
                    plain = model(model_input, t.expand(x.shape[0]), images[part], empty, condition[part])
                    out = plain + guidance * (out - plain)
                x = scheduler.step(out, t, x).prev_sample
            outputs.append(x.clamp(-1, 1))
        return torch.cat(outputs)

    def _to_model(self, frame: np.ndarray) -> torch.Tensor:
        """A known frame at output size -> (3, 32, 32) in [-1, 1]."""
        small = Image.fromarray(frame).resize((self.SIZE, self.SIZE), Image.Resampling.BOX)
        return torch.tensor(np.asarray(small)).permute(2, 0, 1).float() / 127.5 - 1

    def _to_output(self, frames: torch.Tensor, scene: SceneContext) -> np.ndarray:
        """(F, 3, 32, 32) in [-1, 1] -> (F, height, width, 3) uint8 at the scene's size."""
        small = ((frames.permute(0, 2, 3, 1) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
        if (scene.width, scene.height) == (self.SIZE, self.SIZE):
            return small
        method = Image.Resampling.BICUBIC if self.config.upscale == "bicubic" else Image.Resampling.NEAREST
        return np.stack([np.asarray(Image.fromarray(f).resize((scene.width, scene.height), method)) for f in small])


@dataclass
class _InfillRow:
    """One frame to make with the infill model."""

    group: int  # which request or job
    slot: int  # which frame of it
    known: list  # (frame, layout, t) of the known frames
    layout: list[Placed]
    t: float
    background: tuple[torch.Tensor, int]
    noise: torch.Tensor
    left: torch.Tensor | None
    right: torch.Tensor | None
    position: float


def make_sampler():
    from diffusers import DPMSolverMultistepScheduler

    from renderers.tiny.train import PREDICTION

    return DPMSolverMultistepScheduler(
        num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type=PREDICTION,
        algorithm_type="dpmsolver++", solver_order=2,
    )


def anchor_frame(layouts: Sequence[Sized]) -> int:
    """The frame that shows the most entities (nearest the middle among equals): a scene's anchor keyframe."""
    middle = (len(layouts) - 1) / 2
    return max(range(len(layouts)), key=lambda f: (len(layouts[f]), -abs(f - middle)))


def _window_noise(seed: int, frames: int, size: int, shared_noise: float) -> torch.Tensor:
    """(frames, 3, size, size) unit Gaussian noise sharing a common part across frames (PYoCo mixed noise)."""
    generator = torch.Generator().manual_seed(int(seed) % (2**63))
    shared = torch.randn(1, 3, size, size, generator=generator)
    own = torch.randn(frames, 3, size, size, generator=generator)
    return shared * shared_noise**0.5 + own * (1 - shared_noise) ** 0.5
