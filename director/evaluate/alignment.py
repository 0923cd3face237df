"""Storyboard-aware measurements: does the movie show what the storyboard planned?

- Which scene each movie frame belongs to, which entities should be visible in
  it and where (`plan_frames`); frames inside crossfades and fades are marked,
  and the storyboard-aware metrics and flicker leave them out.
- Layout alignment: IoU of each planned box with the detected box (0 when the
  entity is not found), as in LayoutGPT / VideoDirectorGPT's layout metrics.
- Direction of motion: for each entity whose planned centre moves by more than
  `min_motion` within a scene, the cosine between the planned and detected
  displacement (from its first to its last detected frame).
- Visibility: per frame and cast member, planned visible vs detected.
- Identity consistency: embeddings of an entity's crops in each scene it
  appears in; the mean cosine similarity between its scenes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from director.evaluate.detectors import Detection
from director.evaluate.metrics import cosine, normalize
from director.storyboard import Box, Storyboard


@dataclass(frozen=True)
class FramePlan:
    """What the storyboard says about one movie frame."""

    scene: int | None  # index of its scene in the storyboard; None past the storyboard's end
    local: int  # frame index within the scene, at the storyboard's fps
    transition: bool  # inside a crossfade or fade: not judged against the plan
    boxes: Mapping[str, Box]  # entity id -> planned box, for the entities planned visible


class FramePlanner:
    """The plan for each movie frame at `movie_fps` (the storyboard's own fps may differ)."""

    def __init__(self, board: Storyboard, movie_fps: float) -> None:
        from director.assemble import movie_timeline

        self.board, self.movie_fps = board, movie_fps
        self.timeline = movie_timeline(board)
        self.fade_in = [0] * len(board.scenes)
        self.fade_out = [0] * len(board.scenes)
        for k, scene in enumerate(board.scenes):
            if scene.transition.kind == "fade_to_black":
                self.fade_out[k] = round(scene.transition.duration * board.fps)
                if k + 1 < len(board.scenes):
                    self.fade_in[k + 1] = self.fade_out[k]

    def __call__(self, i: int) -> FramePlan:
        timeline, board = self.timeline, self.board
        j = round(i * board.fps / self.movie_fps)  # the storyboard frame shown at movie frame i
        if j >= timeline.total_frames:
            return FramePlan(None, 0, False, {})
        k = max(s for s, start in enumerate(timeline.starts) if start <= j)
        local = j - timeline.starts[k]
        crossfade_in = timeline.overlaps[k - 1] if k > 0 else 0
        transition = local < max(crossfade_in, self.fade_in[k]) or local >= timeline.lengths[k] - max(
            timeline.overlaps[k], self.fade_out[k]
        )
        return FramePlan(k, local, transition, board.scenes[k].layout_at(local / board.fps))

    def scene_starts(self) -> list[float]:
        """Seconds into the movie where each scene starts."""
        return [start / self.board.fps for start in self.timeline.starts]


def plan_frames(board: Storyboard, movie_fps: float, frames: int) -> list[FramePlan]:
    """The plan for each of `frames` movie frames."""
    planner = FramePlanner(board, movie_fps)
    return [planner(i) for i in range(frames)]


@dataclass
class AlignmentTally:
    """Accumulates detections against the plan, frame by frame."""

    min_motion: float = 0.05
    ious: list[float] = field(default_factory=list)
    per_frame_iou: dict[int, float] = field(default_factory=dict)
    per_entity_iou: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    visibility: dict[str, int] = field(default_factory=lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    tracks: dict[tuple[int, str], list[tuple[np.ndarray, np.ndarray | None]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, index: int, plan: FramePlan, cast: Sequence[str], found: Mapping[str, Detection]) -> None:
        frame_ious = []
        for entity_id, planned in plan.boxes.items():
            detected = found.get(entity_id)
            iou = planned.iou(detected.box) if detected else 0.0
            frame_ious.append(iou)
            self.per_entity_iou[entity_id].append(iou)
            self.tracks[(plan.scene, entity_id)].append(
                (np.array(planned.center), np.array(detected.box.center) if detected else None)
            )
        self.ious.extend(frame_ious)
        if frame_ious:
            self.per_frame_iou[index] = float(np.mean(frame_ious))
        for entity_id in cast:
            planned, seen = entity_id in plan.boxes, entity_id in found
            self.visibility[("t" if planned == seen else "f") + ("p" if seen else "n")] += 1

    def layout(self) -> dict[str, float] | None:
        if not self.ious:
            return None
        ious = np.array(self.ious)
        return {
            "mean_iou": float(ious.mean()),
            "accuracy_at_0.5": float((ious >= 0.5).mean()),
            "boxes": int(ious.size),
            **{f"iou[{k}]": float(np.mean(v)) for k, v in sorted(self.per_entity_iou.items())},
        }

    def motion(self) -> dict[str, float] | None:
        """Cosine of planned vs detected displacement for each (scene, entity) that the plan moves."""
        cosines = {}
        for (scene, entity_id), track in sorted(self.tracks.items()):
            planned = track[-1][0] - track[0][0]
            if np.linalg.norm(planned) < self.min_motion:
                continue
            seen = [detected for _, detected in track if detected is not None]
            moved = seen[-1] - seen[0] if len(seen) >= 2 else np.zeros(2)
            cosines[f"{scene}:{entity_id}"] = cosine(planned, moved)
        if not cosines:
            return None
        values = np.array(list(cosines.values()))
        return {
            "mean_cosine": float(values.mean()),
            "accuracy": float((values >= np.cos(np.pi / 4)).mean()),  # within 45 degrees of the planned direction
            "moves": int(values.size),
        }

    def visibility_scores(self) -> dict[str, float] | None:
        v = self.visibility
        total = sum(v.values())
        if not total:
            return None
        return {
            "accuracy": (v["tp"] + v["tn"]) / total,
            "precision": v["tp"] / (v["tp"] + v["fp"]) if v["tp"] + v["fp"] else 1.0,
            "recall": v["tp"] / (v["tp"] + v["fn"]) if v["tp"] + v["fn"] else 1.0,
            **{k: float(n) for k, n in v.items()},
        }


def recurring_entities(board: Storyboard) -> list[str]:
    """Cast members that are planned visible in at least two scenes."""
    scenes_of: dict[str, set[int]] = defaultdict(set)
    for k, scene in enumerate(board.scenes):
        for frame in scene.layouts:
            for entity_id in frame.boxes:
                scenes_of[entity_id].add(k)
    return sorted(e for e, scenes in scenes_of.items() if len(scenes) >= 2)


def identity_crop_frames(plans: Sequence[FramePlan], entities: Sequence[str], every: int, per_scene: int = 4) -> dict[int, list[str]]:
    """movie frame -> entities to crop there: up to `per_scene` evenly spread frames per (entity, scene)
    where the entity is planned visible (judged frames only)."""
    candidates: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, plan in enumerate(plans):
        if plan.scene is None or plan.transition or i % every:
            continue
        for entity_id in entities:
            if entity_id in plan.boxes:
                candidates[(entity_id, plan.scene)].append(i)
    chosen: dict[int, list[str]] = defaultdict(list)
    for (entity_id, _), frames in candidates.items():
        picks = {frames[round(k * (len(frames) - 1) / max(per_scene - 1, 1))] for k in range(min(per_scene, len(frames)))}
        for i in sorted(picks):
            chosen[i].append(entity_id)
    return chosen


def crop(frame: np.ndarray, box: Box) -> np.ndarray | None:
    height, width = frame.shape[:2]
    x0, y0 = int(box.x0 * width), int(box.y0 * height)
    x1, y1 = max(x0 + 1, int(np.ceil(box.x1 * width))), max(y0 + 1, int(np.ceil(box.y1 * height)))
    piece = frame[y0:y1, x0:x1]
    return piece if piece.size else None


def color_histogram(image: np.ndarray, bins: int = 8) -> np.ndarray:
    """A joint RGB histogram (bins^3), square-rooted so the cosine of two is their Bhattacharyya coefficient."""
    quantised = (image.reshape(-1, 3).astype(np.int32) * bins) // 256
    index = (quantised[:, 0] * bins + quantised[:, 1]) * bins + quantised[:, 2]
    counts = np.bincount(index, minlength=bins**3).astype(np.float64)
    return np.sqrt(counts / counts.sum())


def identity_consistency(embeddings: Mapping[tuple[str, int], list[np.ndarray]]) -> dict[str, float] | None:
    """Per entity: mean cosine between its mean (unit) embeddings in each pair of scenes it appears in."""
    by_entity: dict[str, dict[int, np.ndarray]] = defaultdict(dict)
    for (entity_id, scene), vectors in embeddings.items():
        if vectors:
            by_entity[entity_id][scene] = normalize(np.mean(normalize(np.stack(vectors)), axis=0, keepdims=True))[0]
    scores = {}
    for entity_id, scenes in sorted(by_entity.items()):
        keys = sorted(scenes)
        pairs = [cosine(scenes[a], scenes[b]) for n, a in enumerate(keys) for b in keys[n + 1 :]]
        if pairs:
            scores[entity_id] = float(np.mean(pairs))
    if not scores:
        return None
    return {"mean": float(np.mean(list(scores.values()))), **{f"similarity[{k}]": v for k, v in scores.items()}}
