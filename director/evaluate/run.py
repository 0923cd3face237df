"""`evaluate_movie`: one pass over a movie (and its reference), every metric that can run.

Steps:
1. check the inputs (the movie, the reference, the storyboard);
2. load the models the metrics need; a model that cannot be had marks its
   metrics skipped, with the reason and how to point to one;
3. decode the movie frame by frame (the reference in lockstep), feeding the
   pixel metrics every frame and the models batches of every `every`-th frame;
   only features are kept, never the movie;
4. compute the metrics from the features and write them into an `EvalReport`.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from director.errors import InputError
from director.evaluate import metrics as M
from director.evaluate.alignment import (
    AlignmentTally,
    FramePlanner,
    color_histogram,
    crop,
    identity_consistency,
    identity_crop_frames,
    recurring_entities,
)
from director.evaluate.detectors import ColorDetector, EntityQuery, load_detector
from director.evaluate.extractors import ModelUnavailable, load_clip, load_inception, load_video_model
from director.evaluate.report import EvalConfig, EvalReport, MetricResult, PerFrame, SceneSpan
from director.evaluate.video import iter_frames, probe_video
from director.storyboard import Storyboard

Progress = Callable[[str, int, int], None]
PSNR_CAP = 100.0  # dB for identical frames (the true value is infinite), so means stay finite

NEEDS_REFERENCE = "no reference video (--reference REF.mp4)"
NEEDS_STORYBOARD = "no storyboard (--storyboard BOARD.json)"


def evaluate_movie(
    movie: str | os.PathLike[str],
    *,
    storyboard: Storyboard | str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    config: EvalConfig | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Measure `movie` with every metric its inputs and available models allow."""
    config = config or EvalConfig()
    # 1. Inputs.
    _check_dependencies(config)
    info = probe_video(movie)
    ref_info = probe_video(reference) if reference is not None else None
    board_path = None
    if storyboard is not None and not isinstance(storyboard, Storyboard):
        board_path = str(storyboard)
        storyboard = Storyboard.load(storyboard)
    board: Storyboard | None = storyboard
    warnings: list[str] = []
    if ref_info is not None and (ref_info.width, ref_info.height) != (info.width, info.height):
        warnings.append(
            f"the reference is {ref_info.width}x{ref_info.height} and the movie {info.width}x{info.height}: "
            "reference frames are resized to the movie's size for PSNR and SSIM"
        )
    if board is not None and abs(board.width / board.height - info.width / info.height) > 0.02:
        warnings.append(f"the movie's aspect ratio differs from the storyboard's ({board.width}x{board.height}); boxes are normalised")

    # 2. Models.
    models: dict[str, Any] = {}
    unavailable: dict[str, str] = {}
    for role, loader, source in (
        ("clip", load_clip, config.clip),
        ("inception", load_inception, config.inception),
        ("video", load_video_model, config.video_model),
    ):
        try:
            models[role] = loader(source, allow_download=config.allow_download, device=config.device)
        except ModelUnavailable as e:
            unavailable[role] = str(e)
    detector = None
    if board is not None:
        try:
            detector = load_detector(config.detector, _detector_options(config))
        except ModelUnavailable as e:
            unavailable["detector"] = str(e)
        if isinstance(detector, ColorDetector):
            for a, b in detector.ambiguous_pairs([EntityQuery.from_entity(e) for e in board.entities]):
                warnings.append(f"'{a}' and '{b}' have nearly the same identity colour: the color detector cannot tell them apart")

    # 3. One pass.
    state = _Pass(info, ref_info, board, config, models, detector)
    reference_frames = iter_frames(reference) if reference is not None else iter(())
    for i, frame in enumerate(iter_frames(movie)):
        state.add(i, frame, next(reference_frames, None))
        if progress is not None:
            progress("evaluate", i + 1, max(info.frames, i + 1))
    for ref_frame in reference_frames:  # a longer reference still counts for FID / FVD
        state.add_reference_only(ref_frame)
    state.flush()

    # 4. Metrics.
    report = state.report(movie, reference, board_path, unavailable, warnings)
    return report


def _check_dependencies(config: EvalConfig) -> None:
    """The libraries every evaluation needs (the model libraries are checked per model)."""
    import importlib.util

    needed = ["scipy", "skimage"] + (["matplotlib"] if config.plot else [])
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(f"evaluation needs {', '.join(missing)}: install the extras with pip install 'director[eval]'")


def _detector_options(config: EvalConfig) -> dict[str, Any]:
    """The detector's own options, plus device/allow_download when its constructor takes them."""
    import inspect

    from director import registry

    options = dict(config.detector_options)
    try:
        parameters = inspect.signature(registry.load("detector", config.detector)).parameters
    except (TypeError, ValueError):
        return options
    for key, value in (("device", config.device), ("allow_download", config.allow_download)):
        if key in parameters and key not in options:
            options[key] = value
    return options


def _resize(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BICUBIC))


class _Stream:
    """Features of one video (the movie or the reference) for the distribution metrics."""

    def __init__(self, models: dict[str, Any], config: EvalConfig) -> None:
        self.models, self.config = models, config
        self.inception_features: list[np.ndarray] = []
        self.inception_probabilities: list[np.ndarray] = []
        self.video_features: list[np.ndarray] = []
        self.video_probabilities: list[np.ndarray] = []
        self._frames: list[np.ndarray] = []
        self._clip: list[np.ndarray] = []
        self._clips: list[np.ndarray] = []

    def add(self, index: int, frame: np.ndarray) -> None:
        if "inception" in self.models and index % self.config.every == 0:
            self._frames.append(frame)
            if len(self._frames) >= self.config.batch_size:
                self._run_inception()
        if "video" in self.models:
            self._clip.append(frame)
            if len(self._clip) == self.config.clip_length:
                video = self.models["video"]
                picks = np.linspace(0, self.config.clip_length - 1, video.num_frames).round().astype(int)
                self._clips.append(np.stack([self._clip[p] for p in picks]))  # (frames, height, width, channels)
                self._clip = []
                if len(self._clips) >= max(1, self.config.batch_size // 8):
                    self._run_video()

    def flush(self) -> None:
        if self._frames:
            self._run_inception()
        if self._clips:
            self._run_video()

    def _run_inception(self) -> None:
        features, probabilities = self.models["inception"](self._frames)
        self.inception_features.append(features)
        self.inception_probabilities.append(probabilities)
        self._frames = []

    def _run_video(self) -> None:
        features, probabilities = self.models["video"](self._clips)
        self.video_features.append(features)
        if probabilities is not None:
            self.video_probabilities.append(probabilities)
        self._clips = []

    @staticmethod
    def stacked(parts: list[np.ndarray]) -> np.ndarray | None:
        return np.concatenate(parts) if parts else None


class _Pass:
    """Everything measured during the single pass over the frames."""

    def __init__(self, info, ref_info, board: Storyboard | None, config: EvalConfig, models: dict[str, Any], detector) -> None:
        self.info, self.ref_info, self.board, self.config = info, ref_info, board, config
        self.models, self.detector = models, detector
        self.movie = _Stream(models, config)
        self.reference = _Stream({k: v for k, v in models.items() if k in ("inception", "video")}, config) if ref_info else None
        self.reference_index = 0
        self.planner = FramePlanner(board, info.fps) if board is not None else None
        self.per_frame = PerFrame()
        self.previous: np.ndarray | None = None
        self.flicker_values: list[float] = []
        self.psnr_values: list[float] = []
        self.ssim_values: list[float] = []
        # Batches for the per-frame models (CLIP, detector).
        self._batch: list[tuple[int, np.ndarray]] = []
        self.clip_index: list[int] = []
        self.clip_embeddings: list[np.ndarray] = []
        self.tally = AlignmentTally(min_motion=config.min_motion)
        self.cast = [e.id for e in board.entities] if board is not None else []
        self.queries = [EntityQuery.from_entity(e) for e in board.entities] if board is not None else []
        self.crops: dict[tuple[str, int], list[np.ndarray]] = defaultdict(list)
        self.crop_frames: dict[int, list[str]] = {}
        if board is not None:
            estimate = int(info.frames * 1.05) + 2
            plans = [self.planner(i) for i in range(estimate)]
            self.crop_frames = identity_crop_frames(plans, recurring_entities(board), config.every, config.identity_crops)

    def _plan(self, i: int):
        return self.planner(i) if self.planner is not None else None

    def add(self, i: int, frame: np.ndarray, ref_frame: np.ndarray | None) -> None:
        plan = self._plan(i)
        pf = self.per_frame
        pf.time.append(i / self.info.fps)
        pf.scene.append(plan.scene if plan else None)
        judged = plan is None or (plan.scene is not None and not plan.transition)
        pf.judged.append(judged)
        # Pixel metrics, every frame.
        flicker = None
        if self.previous is not None and judged and (plan is None or self._plan(i - 1).scene == plan.scene and pf.judged[i - 1]):
            flicker = M.frame_difference(frame, self.previous)
            self.flicker_values.append(flicker)
        pf.flicker.append(flicker)
        self.previous = frame
        psnr = ssim = None
        if ref_frame is not None:
            ref = _resize(ref_frame, frame.shape[1], frame.shape[0])
            psnr = min(M.psnr(frame, ref), PSNR_CAP)
            ssim = M.ssim(frame, ref)
            self.psnr_values.append(psnr)
            self.ssim_values.append(ssim)
            self.reference.add(self.reference_index, ref_frame)
            self.reference_index += 1
        pf.psnr.append(psnr)
        pf.ssim.append(ssim)
        pf.clip_consistency.append(None)
        pf.layout_iou.append(None)
        # Distribution features and per-frame models.
        self.movie.add(i, frame)
        if i % self.config.every == 0 and ("clip" in self.models or self.detector is not None):
            self._batch.append((i, frame))
            if len(self._batch) >= self.config.batch_size:
                self._run_batch()

    def add_reference_only(self, ref_frame: np.ndarray) -> None:
        self.reference.add(self.reference_index, ref_frame)
        self.reference_index += 1

    def flush(self) -> None:
        if self._batch:
            self._run_batch()
        self.movie.flush()
        if self.reference is not None:
            self.reference.flush()

    def _run_batch(self) -> None:
        indices = [i for i, _ in self._batch]
        frames = [f for _, f in self._batch]
        self._batch = []
        if "clip" in self.models:
            self.clip_index.extend(indices)
            self.clip_embeddings.append(self.models["clip"].images(frames))
        if self.detector is None:
            return
        judged = [(i, f) for i, f in zip(indices, frames, strict=True) if self.per_frame.judged[i] and self.per_frame.scene[i] is not None]
        if not judged:
            return
        detections = self.detector.detect([f for _, f in judged], self.queries)
        for (i, frame), found in zip(judged, detections, strict=True):
            plan = self.planner(i)
            self.tally.add(i, plan, self.cast, found)
            self.per_frame.layout_iou[i] = self.tally.per_frame_iou.get(i)
            for entity_id in self.crop_frames.get(i, []):
                box = found[entity_id].box if entity_id in found else plan.boxes[entity_id]
                piece = crop(frame, box)
                if piece is not None:
                    self.crops[(entity_id, plan.scene)].append(piece)

    # Metrics -------------------------------------------------------------------------------------

    def report(self, movie, reference, board_path, unavailable: dict[str, str], warnings: list[str]) -> EvalReport:
        results: list[MetricResult] = []
        results += self._reference_metrics(reference is not None, unavailable)
        results += self._clip_metrics(unavailable)
        results += self._video_metrics(reference is not None, unavailable)
        results += self._storyboard_metrics(unavailable)
        order = {"image": 0, "video": 1, "storyboard": 2}
        results.sort(key=lambda m: order[m.group])
        if self.reference is not None and self.reference_index != len(self.per_frame.time):
            warnings.append(
                f"the reference has {self.reference_index} frames and the movie {len(self.per_frame.time)}: "
                "PSNR and SSIM compare the first frames of each"
            )
        scenes = []
        if self.board is not None:
            starts = self.planner.scene_starts()
            ends = starts[1:] + [self.planner.timeline.total_frames / self.board.fps]
            scenes = [SceneSpan(id=s.id, start=a, end=b) for s, a, b in zip(self.board.scenes, starts, ends, strict=True)]
        models = {role: getattr(model, "name", type(model).__name__) for role, model in self.models.items()}
        if self.detector is not None:
            models["detector"] = getattr(self.detector, "name", type(self.detector).__name__)
        return EvalReport(
            movie=str(movie),
            reference=str(reference) if reference is not None else None,
            storyboard=board_path,
            frames=len(self.per_frame.time),
            fps=self.info.fps,
            width=self.info.width,
            height=self.info.height,
            metrics=results,
            models=models,
            warnings=warnings,
            scenes=scenes,
            per_frame=self.per_frame,
            config=self.config,
        )

    def _reference_metrics(self, has_reference: bool, unavailable: dict[str, str]) -> list[MetricResult]:
        out = []
        psnr = MetricResult(name="psnr", group="image", better="higher", unit="dB")
        ssim = MetricResult(name="ssim", group="image", better="higher")
        if not has_reference:
            psnr.skipped = ssim.skipped = NEEDS_REFERENCE
        else:
            psnr.value = float(np.mean(self.psnr_values))
            psnr.detail = {"frames": len(self.psnr_values), "identical_frames": int(sum(v == PSNR_CAP for v in self.psnr_values))}
            ssim.value = float(np.mean(self.ssim_values))
            ssim.detail = {"frames": len(self.ssim_values), "min": float(np.min(self.ssim_values))}
        out += [psnr, ssim]

        fid = MetricResult(name="fid", group="image", better="lower")
        kid = MetricResult(name="kid", group="image", better="lower")
        inception = MetricResult(name="inception_score", group="image", better="higher")
        if "inception" in unavailable:
            fid.skipped = kid.skipped = inception.skipped = unavailable["inception"]
        else:
            feats = _Stream.stacked(self.movie.inception_features)
            probabilities = _Stream.stacked(self.movie.inception_probabilities)
            mean, std = M.inception_score(probabilities, self.config.is_splits)
            inception.value, inception.detail = mean, {"std": std, "frames": int(probabilities.shape[0])}
            if not has_reference:
                fid.skipped = kid.skipped = NEEDS_REFERENCE
            else:
                ref = _Stream.stacked(self.reference.inception_features)
                _distance_pair(fid, kid, feats, ref, self.config, "frames")
        return out + [fid, kid, inception]

    def _clip_metrics(self, unavailable: dict[str, str]) -> list[MetricResult]:
        clipsim = MetricResult(name="clipsim", group="image", better="higher", detail={})
        consistency = MetricResult(name="frame_consistency_clip", group="video", better="higher")
        if "clip" in unavailable:
            clipsim.skipped = consistency.skipped = unavailable["clip"]
            return [clipsim, consistency]
        clip = self.models["clip"]
        embeddings = np.concatenate(self.clip_embeddings) if self.clip_embeddings else np.zeros((0, 1))
        index = self.clip_index
        judged = [k for k, i in enumerate(index) if self.per_frame.judged[i]]
        # CLIPSIM: each frame against its scene's text (or the prompt).
        texts = self._frame_texts(index)
        if texts is None:
            clipsim.skipped = "needs a text: the storyboard (--storyboard BOARD.json) or a prompt (--prompt TEXT)"
        elif judged:
            unique = sorted({texts[k] for k in judged})
            text_embeddings = dict(zip(unique, clip.texts(unique), strict=True))
            sims = [float(embeddings[k] @ text_embeddings[texts[k]]) for k in judged]
            clipsim.value = float(np.mean(sims))
            clipsim.detail = {"frames": len(sims), "texts": len(unique)}
        # Frame consistency: all pairs within each scene (Tune-A-Video), and frame-to-frame for the curve.
        groups: dict[Any, list[int]] = defaultdict(list)
        for k in judged:
            groups[self.per_frame.scene[index[k]]].append(k)
        scores = {g: M.mean_pairwise_cosine(embeddings[ks]) for g, ks in groups.items() if len(ks) >= 2}
        for g, ks in groups.items():
            for a, b in zip(ks, ks[1:]):
                self.per_frame.clip_consistency[index[b]] = float(embeddings[a] @ embeddings[b])
        if scores:
            consistency.value = float(np.mean(list(scores.values())))
            consistency.detail = {"frames": len(judged), "scenes": len(scores)}
        else:
            consistency.skipped = "needs at least 2 evaluated frames in a scene"
        return [clipsim, consistency]

    def _frame_texts(self, index: list[int]) -> list[str] | None:
        if self.board is None:
            return [self.config.prompt] * len(index) if self.config.prompt else None
        texts = []
        for i in index:
            scene_index = self.per_frame.scene[i]
            if scene_index is None:
                texts.append("")
                continue
            scene = self.board.scenes[scene_index]
            text = scene.description or scene.heading or scene.background or scene.id
            texts.append(f"{text}, {self.board.style}" if self.board.style else text)
        return texts

    def _video_metrics(self, has_reference: bool, unavailable: dict[str, str]) -> list[MetricResult]:
        fvd = MetricResult(name="fvd", group="video", better="lower")
        kvd = MetricResult(name="kvd", group="video", better="lower")
        vis = MetricResult(name="video_inception_score", group="video", better="higher")
        if "video" in unavailable:
            fvd.skipped = kvd.skipped = vis.skipped = unavailable["video"]
        else:
            feats = _Stream.stacked(self.movie.video_features)
            probabilities = _Stream.stacked(self.movie.video_probabilities)
            if feats is None:
                vis.skipped = fvd.skipped = kvd.skipped = f"the movie is shorter than one clip ({self.config.clip_length} frames)"
            else:
                if probabilities is None:
                    vis.skipped = f"{self.models['video'].name} gives no class probabilities (use a transformers video classifier)"
                else:
                    mean, std = M.inception_score(probabilities, self.config.is_splits)
                    vis.value, vis.detail = mean, {"std": std, "clips": int(probabilities.shape[0])}
                if not has_reference:
                    fvd.skipped = kvd.skipped = NEEDS_REFERENCE
                else:
                    ref = _Stream.stacked(self.reference.video_features)
                    _distance_pair(fvd, kvd, feats, ref, self.config, "clips")
        flicker = MetricResult(name="temporal_flicker", group="video", better="lower", unit="/255")
        if self.flicker_values:
            mean = float(np.mean(self.flicker_values))
            flicker.value = mean
            flicker.detail = {"score": 1 - mean / 255, "pairs": len(self.flicker_values), "max": float(np.max(self.flicker_values))}
        else:
            flicker.skipped = "needs at least 2 frames in one scene"
        return [fvd, kvd, vis, flicker]

    def _storyboard_metrics(self, unavailable: dict[str, str]) -> list[MetricResult]:
        layout = MetricResult(name="layout_iou", group="storyboard", better="higher")
        motion = MetricResult(name="motion_direction", group="storyboard", better="higher")
        visibility = MetricResult(name="visibility_accuracy", group="storyboard", better="higher")
        identity = MetricResult(name="identity_consistency", group="storyboard", better="higher")
        results = [layout, motion, visibility, identity]
        if self.board is None:
            for m in results:
                m.skipped = NEEDS_STORYBOARD
            return results
        if "detector" in unavailable:
            for m in results:
                m.skipped = unavailable["detector"]
            return results
        scores = self.tally.layout()
        if scores is None:
            layout.skipped = "no judged frame has a planned box"
        else:
            layout.value, layout.detail = scores["mean_iou"], scores
        scores = self.tally.motion()
        if scores is None:
            motion.skipped = f"no entity's planned centre moves more than {self.config.min_motion} within a scene"
        else:
            motion.value, motion.detail = scores["mean_cosine"], scores
        scores = self.tally.visibility_scores()
        if scores is None:
            visibility.skipped = "no judged frames"
        else:
            visibility.value, visibility.detail = scores["accuracy"], scores
        # Identity: CLIP embeddings of the crops, or colour histograms without CLIP.
        if not self.crops:
            identity.skipped = "no entity is planned visible in two scenes"
        else:
            if "clip" in self.models:
                features = "clip"
                embedded = {key: list(self.models["clip"].images(pieces)) for key, pieces in self.crops.items()}
            else:
                features = "color-histogram (no CLIP model)"
                embedded = {key: [color_histogram(p) for p in pieces] for key, pieces in self.crops.items()}
            scores = identity_consistency(embedded)
            if scores is None:
                identity.skipped = "no recurring entity was seen in two scenes"
            else:
                identity.value, identity.detail = scores["mean"], {"features": features, **scores}
        return results


def _distance_pair(fd: MetricResult, kd: MetricResult, feats, ref, config: EvalConfig, unit: str) -> None:
    """Fréchet and kernel distances between movie and reference features, or why not."""
    n, m = (0 if feats is None else feats.shape[0]), (0 if ref is None else ref.shape[0])
    if n < 2 or m < 2:
        fd.skipped = kd.skipped = f"needs at least 2 {unit} on each side; the movie gives {n} and the reference {m}"
        return
    fd.value = M.frechet_distance(feats, ref)
    fd.detail = {unit: n, f"reference_{unit}": m, "dims": int(feats.shape[1])}
    mean, std = M.kernel_distance(feats, ref, subsets=config.kid_subsets, subset_size=config.kid_subset_size)
    kd.value, kd.detail = mean, {"std": std, unit: n, f"reference_{unit}": m}
    if min(n, m) < feats.shape[1]:
        fd.detail["note"] = f"fewer {unit} than feature dims: the covariance is rank-deficient, compare only like with like"


def default_report_path(movie: str | os.PathLike[str]) -> Path:
    movie = Path(movie)
    return movie.with_name(movie.stem + ".eval.json")


def check_movie_path(movie: str | os.PathLike[str]) -> None:
    if not Path(movie).is_file():
        raise InputError(f"{movie}: no such file")
