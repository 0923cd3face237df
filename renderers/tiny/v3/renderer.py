"""The `tiny-v3` renderer: frames drawn natively at 256x144 by a diffusion cascade, on a CPU, offline.

Keyframes (the global model), per request, in the steps of a diffusers pipeline:
  1. check inputs → 2. conditioning: each entity's look, chosen across the *whole storyboard's cast*
  (`looks.cast_looks`: no two members alike, the same look in every scene), its kind snapped to the
  world's, its frame-space box; the scene's setting (`world.setting_of`) and time of day →
  3. the *anchor* (the keyframe showing the most entities) denoised from noise at 64x36 or 128x72 by the keyframe
  model → 4. every other keyframe started from the anchor box-warped into its own layout, noised to
  `keyframe_strength` (SDEdit) and denoised by the same model, so a scene's keyframes share one look and
  each follows its layout (renderer v2's recipe) → 5. each drawn again at 256x144 by the upscaler from
  its small frame and its layout (the cascade's last stage: `models.Upscaler`); resized to the
  storyboard's size only if it is not 256x144.
Infill (the local model), per job: each frame to make starts as the box-warped guess from the window's
known frames (`conditioning.warp_guess`), made at the storyboard's size (the known frames are at that
size: no resampling); the residual infill model (`models.ResidualInfillModel`) predicts a correction
in pixels, at half of 256x144, in one pass, that is upsampled and added to it (frame = guess +
correction; why in pixels and why one pass, not a sampling loop, is in the model's docstring). **Until its weights (`v3-infill.safetensors`) exist, a frame is
the box-warped guess itself**: what v2's measurements say beats v2's infill model (benchmarks/RESULTS.md);
`RendererInfo.description` and the fingerprint say which of the two an instance does.

Weights in `renderers/tiny/weights/`: `v3-keyframe.safetensors` and `v3-upscaler.safetensors`
(required), `v3-infill.safetensors` (optional, as above), and v2's `vocabulary.safetensors` (the
kinds' sentence embeddings). Each is made by one command, `director train tiny MODEL ... --export`.
Schedulers are diffusers' (DPM-Solver++ over the training DDPM schedule).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from director.drawing import COLOR_NAMES
from director.errors import InputError, format_validation_error
from director.renderer import (
    FrameSpec,
    InfillJob,
    KeyframeRequest,
    RendererInfo,
    SceneContext,
)
from director.storyboard import Entity
from renderers.tiny.renderer import anchor_frame
from renderers.tiny.text import Vocabulary
from renderers.tiny.v3.conditioning import warp_guess
from renderers.tiny.v3.looks import CastMember, Look, cast_looks
from renderers.tiny.v3.models import (
    KeyframeModel,
    Placed,
    ResidualInfillModel,
    Upscaler,
    rasterise,
)
from renderers.tiny.v3.world import FRAME, SETTINGS, TIMES, setting_of, time_of_day
from renderers.tiny.world import PALETTE

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
KEYFRAME, UPSCALER, INFILL, VOCABULARY = (
    "v3-keyframe.safetensors", "v3-upscaler.safetensors", "v3-infill.safetensors", "vocabulary.safetensors",
)
# How each weights file is made (the run directory is the trainer's default).
MADE_BY = {
    KEYFRAME: "director train tiny v3-keyframe --run-dir runs/tiny-v3-keyframe --export {path}",
    UPSCALER: "director train tiny v3-upscaler --run-dir runs/tiny-v3-upscaler --export {path}",
    INFILL: "director train tiny v3-infill --run-dir runs/tiny-v3-infill --export {path}",
    VOCABULARY: "director train tiny vocabulary --export {path}",
}


class TinyV3RendererConfig(BaseModel):
    """Every setting of the tiny-v3 renderer. With the weights, it is all its pixels depend on: the cache
    fingerprint is made of `model_dump()`, so a setting added here changes the key by itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: Annotated[int, Field(ge=3, description="Frames per keyframe request and per infill window (NUWA-XL's L).")] = 16
    keyframe_steps: Annotated[int, Field(ge=1, description="DPM-Solver++ steps of a keyframe drawn from noise (the anchor).")] = 8
    keyframe_strength: Annotated[float, Field(
        gt=0, le=1, description="The other keyframes start from the warped anchor noised to this level (SDEdit; v2's 0.6).",
    )] = 0.6
    layout_guidance: Annotated[float, Field(
        gt=0, description="Keyframes: >1 extrapolates from the prediction without entities (CFG-like; 1 = off, "
        "one model call a step instead of two). 3 (with layout_guidance_above 200) chosen on validation clips "
        "(`bench_tiny_v3.py --validation`) over 2 above 300: kind 0.667 -> 0.697, placement 0.555 -> 0.561, identity "
        "0.96 -> 0.98; 1.57x v2's time on the Kite (RESULTS.md).",
    )] = 3.0
    layout_guidance_above: Annotated[int, Field(
        ge=0, lt=1000, description="Layout guidance only at DDPM timesteps above this (guidance in a limited interval, "
        "Kynkaanniemi et al. 2024): the noisy steps place the entities, the last ones cost one model call each "
        "(200: all but the last step of each keyframe, 1.57x v2's time on the Kite; 0: every step).",
    )] = 200
    upscale_noise: Annotated[int, Field(
        ge=0, lt=1000, description="The upscaler's small frame is noised to this DDPM timestep first (Imagen's noise "
        "conditioning augmentation; it trained on 0-249): more hides more of a keyframe model's small errors.",
    )] = 0
    shared_noise: Annotated[float, Field(
        ge=0, le=1, description="Share of the noise variance common to all keyframes of one request (PYoCo's mixed noise).",
    )] = 0.5
    upscale: Annotated[Literal["bicubic", "nearest"], Field(description="How 256x144 frames are resized to another storyboard size.")] = "bicubic"


@dataclass(frozen=True)
class EntityLook:
    """How one cast member is drawn: the world's kind for its category, and its look."""

    kind: str
    look: Look
    kind_similarity: float = 1.0  # how close the script's word was to the world's kind


class TinyV3Renderer:
    """Embedded cascaded diffusion at 256x144 (renderer v3): layout-following keyframes, cast-wide looks; infill as a correction of the box warp. CPU, offline.

    Until the infill model's weights (`v3-infill.safetensors`) exist, infill is the box-warped guess itself
    (`info.description` says which an instance does). The models draw at `world.FRAME`, 256x144."""

    VERSION = 3  # 3: infill in one pass; 2: the cascade (keyframe model at 64x36, upscaler); 1 was latent diffusion
    CHUNK = 8  # frames per model call: bounds the memory of a batch (8 requests x 16 keyframes at most)

    def __init__(self, *, weights_dir: str | Path | None = None, config: str | Path | None = None, **settings: Any) -> None:
        """`settings` are `TinyV3RendererConfig` fields; `config` a TOML or JSON file of them (and, optionally,
        `weights_dir`), as `director make --renderer-config FILE` gives it; keyword settings win over the file's.
        A bad setting, or a missing weights file, is an `InputError` that names it (and, for weights, the
        command that makes them)."""
        if config is not None:
            from_file = _read_config(Path(config))
            weights_dir = weights_dir or from_file.pop("weights_dir", None)
            settings = from_file | settings
        try:
            self.config = TinyV3RendererConfig(**settings)
        except ValidationError as e:
            raise InputError(f"bad options for renderer 'tiny-v3': {format_validation_error(e)}") from None
        self.weights_dir = Path(weights_dir) if weights_dir else WEIGHTS
        for name in (KEYFRAME, UPSCALER, VOCABULARY):
            path = self.weights_dir / name
            if not path.is_file():
                raise InputError(
                    f"renderer 'tiny-v3' needs {path}, which is missing: make it with "
                    f"`{MADE_BY[name].format(path=path)}` (or use --renderer tiny, renderer v2)"
                )
        self.has_infill_model = (self.weights_dir / INFILL).is_file()
        infill = (
            "infill: the residual infill model's correction of the box-warped guess"
            if self.has_infill_model else
            f"infill: the box-warped guess itself (no {INFILL} yet: {MADE_BY[INFILL].format(path=self.weights_dir / INFILL)})"
        )
        self.info = RendererInfo(
            name="tiny-v3",
            description=f"Diffusion models shipped in the package, drawing natively at 256x144: layout-conditioned keyframes "
            f"at 64x36 upscaled from the layout, each cast member's look chosen across the whole cast; {infill}. Runs on a CPU, offline.",
            window=self.config.window,
            max_batch=8,
            supports=frozenset({"layout", "identity", "infill", "cast"}),
        )
        self._looks: dict[tuple, dict[str, EntityLook]] = {}

    # Models, loaded once ------------------------------------------------------------------------------

    @cached_property
    def keyframe_model(self) -> KeyframeModel:
        return KeyframeModel.load(self.weights_dir / KEYFRAME)

    @cached_property
    def upscaler(self) -> Upscaler:
        return Upscaler.load(self.weights_dir / UPSCALER)

    @cached_property
    def infill_model(self) -> ResidualInfillModel | None:
        return ResidualInfillModel.load(self.weights_dir / INFILL) if self.has_infill_model else None

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.load(self.weights_dir / VOCABULARY)

    @cached_property
    def fingerprint(self) -> str:
        """The version, the weights' hash (with whether infill has its model) and every setting."""
        digest = hashlib.sha256()
        for name in (KEYFRAME, UPSCALER, VOCABULARY) + ((INFILL,) if self.has_infill_model else ()):
            digest.update((self.weights_dir / name).read_bytes())
        settings = json.dumps(self.config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        infill = "model" if self.has_infill_model else "warp"
        return f"tiny-v3/v{self.VERSION}/weights={digest.hexdigest()[:16]}/infill={infill}/{settings}"

    # Conditioning -------------------------------------------------------------------------------------

    def member(self, entity: Entity) -> tuple[CastMember, float]:
        """What the world knows of a cast member: its kind (the category snapped to the world's) and a colour if
        the storyboard states one (a `color` attribute, or a colour word in its name or description)."""
        snap = self.vocabulary.category(entity.category or entity.name)
        stated = entity.attributes.get("color") or entity.attributes.get("colour")
        color = None
        if stated:
            color = COLOR_NAMES.get(stated.strip().lower()) or PALETTE[self.vocabulary.color(stated).concept]
        else:
            words = f"{entity.name} {entity.description}".lower().replace(",", " ").split()
            color = next((COLOR_NAMES[w] for w in words if w in COLOR_NAMES), None)
        return CastMember(entity.id, snap.concept, color), snap.similarity

    def looks(self, scene: SceneContext) -> dict[str, EntityLook]:
        """Every cast member's look, chosen across the storyboard's whole cast (`scene.cast`, with the scene's
        own entities if a caller left any out), so it is the same in every scene of the story."""
        cast = {e.id: e for e in (*scene.cast, *scene.entities)}
        key = tuple((e.id, e.name, e.category, e.description, tuple(sorted(e.attributes.items()))) for e in cast.values())
        if key not in self._looks:
            members = {entity_id: self.member(e) for entity_id, e in cast.items()}
            chosen = cast_looks([m for m, _ in members.values()])
            self._looks[key] = {i: EntityLook(m.kind, chosen[i], similarity) for i, (m, similarity) in members.items()}
        return self._looks[key]

    def _placed(self, scene: SceneContext, spec: FrameSpec) -> list[Placed]:
        """The frame's entities as the models are conditioned on them. An entity the shot crops is placed by its
        whole box (`FrameSpec.cropped`, reaching outside the frame), as the world's closer clips train them: its
        box-local u, v then say which part of the figure is in view (a medium shot's top half)."""
        looks = self.looks(scene)
        placed = []
        for entity_id, box in spec.boxes.items():
            look = looks[entity_id]
            noun = torch.from_numpy(self.vocabulary.categories[look.kind])
            whole = spec.cropped.get(entity_id, (box.x0, box.y0, box.x1, box.y1))
            placed.append(Placed(entity_id, tuple(whole), noun, (look.look.main, look.look.second)))
        return sorted(placed, key=lambda p: -(p.box[2] - p.box[0]) * (p.box[3] - p.box[1]))  # larger boxes first

    def setting(self, scene: SceneContext) -> tuple[int, int]:
        """(index in `world.SETTINGS`, index in `world.TIMES`): the world's setting nearest what the scene says
        (its background, else its heading, whichever names one surer), and its time of day."""
        texts = [text for text in (scene.background, scene.heading) if text.strip()] or [""]
        best = max((setting_of(text) for text in texts), key=lambda found: found[1])  # the first on a tie
        when = time_of_day(f"{scene.background} {scene.heading}")
        return list(SETTINGS).index(best[0]), TIMES.index(when)

    # The two calls ------------------------------------------------------------------------------------

    @torch.no_grad()
    def keyframes(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        # 1. check inputs
        for request in requests:
            if not request.frames:
                raise ValueError(f"keyframe request for scene {request.scene.scene_id!r} has no frames")
        # 2. conditioning of every frame
        layouts = [[self._placed(r.scene, spec) for spec in r.frames] for r in requests]
        settings = [self.setting(r.scene) for r in requests]
        anchors = [anchor_frame(layout) for layout in layouts]
        width, height = self.keyframe_model.frame_size
        small_shape = (3, height, width)
        noise = [_window_noise(r.seed, len(r.frames), small_shape, self.config.shared_noise) for r in requests]
        # 3. the anchors, from noise, at the keyframe model's size (64x36 or 128x72)
        anchor_small = self._draw_small(
            [layout[a] for layout, a in zip(layouts, anchors)], settings, torch.stack([n[a] for n, a in zip(noise, anchors)]),
        )
        small = {(r, a): frame for r, (a, frame) in enumerate(zip(anchors, anchor_small))}
        # 4. every other keyframe, from its anchor warped into its layout
        others = [(r, f) for r, request in enumerate(requests) for f in range(len(request.frames)) if f != anchors[r]]
        if others:
            starts = torch.stack([
                warp_guess([(anchor_small[r], _keyed(layouts[r][anchors[r]]), 0.0)], _keyed(layouts[r][f]), 1.0)[0]
                for r, f in others
            ])
            drawn = self._draw_small(
                [layouts[r][f] for r, f in others], [settings[r] for r, _ in others],
                torch.stack([noise[r][f] for r, f in others]), start=starts, strength=self.config.keyframe_strength,
            )
            small |= dict(zip(others, drawn))
        # 5. each at 256x144 by the upscaler, then at the storyboard's size
        order = [(r, f) for r, request in enumerate(requests) for f in range(len(request.frames))]
        full = dict(zip(order, self._upscale(
            torch.stack([small[key] for key in order]), [layouts[r][f] for r, f in order], [settings[r] for r, _ in order],
            [requests[r].seed for r, _ in order],
        )))
        return [self._to_output(torch.stack([full[(r, f)] for f in range(len(request.frames))]), request.scene)
                for r, request in enumerate(requests)]

    @torch.no_grad()
    def infill(self, jobs: Sequence[InfillJob]) -> list[np.ndarray]:
        # 1. check inputs; 2. each target's box-warped guess from its window's known frames, at the job's size
        rows: list[_InfillRow] = []
        for j, job in enumerate(jobs):
            if not job.known:
                raise ValueError(f"infill job for scene {job.scene.scene_id!r} has no known frame")
            by_index = {spec.index: spec for spec in job.frames}
            known = [(_to_tensor(job.known[i]), _keyed(self._placed(job.scene, by_index[i])), by_index[i].t) for i in sorted(job.known)]
            setting = self.setting(job.scene)
            for k, spec in enumerate(job.targets):
                layout = self._placed(job.scene, spec)
                guess, confidence = warp_guess(known, _keyed(layout), spec.t)
                before = [t for _, _, t in known if t < spec.t]
                after = [t for _, _, t in known if t > spec.t]
                position = (spec.t - before[-1]) / max(after[0] - before[-1], 1e-6) if before and after else float(not before)
                rows.append(_InfillRow(j, k, guess, confidence, layout, setting, position))
        # 3. the correction of each guess, with the infill model when there is one
        frames = {(row.group, row.slot): row.guess for row in rows}
        if self.infill_model is not None and rows:
            frames = dict(zip(((row.group, row.slot) for row in rows), self._correct(rows)))
        # 4. as uint8 (the guess is made at the job's size already)
        return [_to_uint8(torch.stack([frames[(j, k)] for k in range(len(job.targets))])) for j, job in enumerate(jobs)]

    # Sampling -----------------------------------------------------------------------------------------

    def _draw_small(self, layouts: list[list[Placed]], settings: list[tuple[int, int]], noise: torch.Tensor, *,
                    start: torch.Tensor | None = None, strength: float = 1.0) -> torch.Tensor:
        """Small frames (B, 3, h, w) in [-1, 1] at the keyframe model's `frame_size`, denoised by it, in chunks."""
        model, out = self.keyframe_model, []
        for first in range(0, noise.shape[0], self.CHUNK):
            part = slice(first, first + self.CHUNK)
            layout = rasterise(layouts[part], model.frame_size)
            empty = rasterise([[] for _ in layouts[part]], model.frame_size) if self.config.layout_guidance != 1 else None
            setting, when = _global_inputs(model, settings[part])

            def predict(x: torch.Tensor, t: torch.Tensor, layout=layout, setting=setting, when=when, empty=empty) -> torch.Tensor:
                prediction = model(x, t, layout, setting, when)
                if empty is not None and t[0] > self.config.layout_guidance_above:  # layout guidance: away from the prediction with no entities
                    plain = model(x, t, empty, setting, when)
                    prediction = plain + self.config.layout_guidance * (prediction - plain)
                return prediction

            out.append(_denoise(predict, noise[part], self.config.keyframe_steps,
                                None if start is None else start[part], strength))
        return torch.cat(out)

    def _correct(self, rows: list[_InfillRow]) -> list[torch.Tensor]:
        """Each row's frame: its guess plus the infill model's correction (one pass), predicted at the model's
        working size (half of 256x144) and upsampled bilinearly to the guess's size."""
        model, out = self.infill_model, []
        assert model is not None
        for first in range(0, len(rows), self.CHUNK):
            part = rows[first : first + self.CHUNK]
            by_size: dict[tuple[int, ...], list[int]] = {}  # jobs of one batch may differ in size
            for i, row in enumerate(part):
                by_size.setdefault(tuple(row.guess.shape), []).append(i)
            small_guess = torch.stack([model.to_working_size(row.guess[None])[0] for row in part])  # (B, 3, h, w)
            confidence = torch.stack([model.to_working_size(row.confidence[None])[0] for row in part])
            layout = rasterise([row.layout for row in part], model.config.size)
            setting, when = _global_inputs(model, [row.setting for row in part])
            correction = model(small_guess, confidence, layout, setting, when, torch.tensor([row.position for row in part]))
            made: list[torch.Tensor | None] = [None] * len(part)
            for shape, members in by_size.items():
                full = F.interpolate(correction[members], size=shape[1:], mode="bilinear", align_corners=False)
                for i, frame in zip(members, full):
                    made[i] = (part[i].guess + frame).clamp(-1, 1)
            out.extend(made)
        return out

    def _upscale(self, small: torch.Tensor, layouts: list[list[Placed]], settings: list[tuple[int, int]],
                 seeds: list[int]) -> torch.Tensor:
        """Small frames (B, 3, 36, 64) -> (B, 3, 144, 256) in [-1, 1], by the upscaler from each and its layout, in
        chunks; each small frame first noised to `upscale_noise` (with noise of its request's seed)."""
        from renderers.tiny.v3.train import make_scheduler

        model, out, level = self.upscaler, [], self.config.upscale_noise
        if level:
            noise = torch.stack([torch.randn(small.shape[1:], generator=torch.Generator().manual_seed(int(seed) % 2**63 + 1))
                                 for seed in seeds])
            small = make_scheduler().add_noise(small, noise, torch.full((small.shape[0],), level))
        for first in range(0, small.shape[0], self.CHUNK):
            part = slice(first, first + self.CHUNK)
            setting, when = _global_inputs(model, settings[part])
            levels = torch.full((len(layouts[part]),), level)
            out.append(model(small[part], levels, rasterise(layouts[part], FRAME), setting, when).clamp(-1, 1))
        return torch.cat(out)

    def _to_output(self, frames: torch.Tensor, scene: SceneContext) -> np.ndarray:
        """(F, 3, 144, 256) in [-1, 1] -> (F, height, width, 3) uint8 at the scene's size."""
        native = _to_uint8(frames)
        if (scene.width, scene.height) == FRAME:
            return native
        method = Image.Resampling.BICUBIC if self.config.upscale == "bicubic" else Image.Resampling.NEAREST
        return np.stack([np.asarray(Image.fromarray(f).resize((scene.width, scene.height), method)) for f in native])


@dataclass
class _InfillRow:
    """One frame to make: its guess, and what the infill model is conditioned on."""

    group: int  # which job
    slot: int  # which of its targets
    guess: torch.Tensor  # (3, height, width) in [-1, 1], at the job's size
    confidence: torch.Tensor  # (1, height, width)
    layout: list[Placed]
    setting: tuple[int, int]  # setting and time-of-day indices
    position: float  # 0 at the known frame before it, 1 at the one after


def _read_config(path: Path) -> dict[str, Any]:
    """A .toml or .json file of settings; any problem is an `InputError` naming the file."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as e:
        raise InputError(f"{path}: cannot read the renderer config ({e.strerror or e})") from None
    except ValueError as e:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise InputError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {e}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: the renderer config must be a table of settings, got {type(data).__name__}")
    return data


def _to_tensor(frame: np.ndarray) -> torch.Tensor:
    """(height, width, 3) uint8 -> (3, height, width) in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1).float() / 127.5 - 1


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(F, 3, height, width) in [-1, 1] -> (F, height, width, 3) uint8."""
    return ((frames.permute(0, 2, 3, 1) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()


def _global_inputs(model, settings: Sequence[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """A v3 model's global conditioning for (setting, time-of-day) index pairs: the setting vectors it was trained
    with (B, 384) and the time-of-day indices (B,)."""
    return model.setting_table[[s for s, _ in settings]], torch.tensor([t for _, t in settings])


def _keyed(layout: Sequence[Placed]) -> list[tuple[str, tuple[float, float, float, float]]]:
    return [(p.key, p.box) for p in layout]


def make_sampler():
    """DPM-Solver++ (2nd order) over the schedule the v3 models were trained with (`train.make_scheduler`)."""
    from diffusers import DPMSolverMultistepScheduler

    from renderers.tiny.v3.train import make_scheduler

    trained = make_scheduler().config
    return DPMSolverMultistepScheduler(
        num_train_timesteps=trained.num_train_timesteps, beta_schedule=trained.beta_schedule,
        prediction_type=trained.prediction_type, algorithm_type="dpmsolver++", solver_order=2,
    )


def _denoise(predict, noise: torch.Tensor, steps: int, start: torch.Tensor | None, strength: float) -> torch.Tensor:
    """Sample with DPM-Solver++ given `predict(x_t, t) -> x0`. With `start` and `strength` < 1, sampling begins
    from `start` noised to that level (SDEdit)."""
    scheduler = make_sampler()
    scheduler.set_timesteps(steps)
    timesteps = scheduler.timesteps
    x = noise * scheduler.init_noise_sigma
    if start is not None and strength < 1:
        timesteps = timesteps[timesteps <= round(strength * scheduler.config.num_train_timesteps)]
        if len(timesteps) == 0:  # too few steps to reach so low a level: nothing to denoise
            return start
        scheduler.set_begin_index(len(scheduler.timesteps) - len(timesteps))
        x = scheduler.add_noise(start, noise, timesteps[:1].expand(x.shape[0]))
    for t in timesteps:
        x = scheduler.step(predict(scheduler.scale_model_input(x, t), t.expand(x.shape[0])), t, x).prev_sample
    return x


def _window_noise(seed: int, frames: int, shape: tuple[int, ...], shared_noise: float) -> torch.Tensor:
    """(frames, *shape) unit Gaussian noise sharing a common part across frames (PYoCo mixed noise)."""
    generator = torch.Generator().manual_seed(int(seed) % (2**63))
    shared = torch.randn(1, *shape, generator=generator)
    own = torch.randn(frames, *shape, generator=generator)
    return shared * shared_noise**0.5 + own * (1 - shared_noise) ** 0.5
