"""The evaluation's configuration and report: what to measure with which models,
and what came out (a JSON file, a table in the terminal, a PNG of the per-frame curves)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_VERSION = "1.0"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvalConfig(StrictModel):
    """Which models the metrics use and how much of the movie they look at. Every field has a default."""

    clip: Annotated[
        str | None,
        Field(description="CLIP for CLIPSIM, frame consistency and identity consistency: a hub id in the local cache or a "
        "save_pretrained folder; none skips them."),
    ] = "openai/clip-vit-base-patch32"
    inception: Annotated[
        str | None,
        Field(description="Inception v3 for FID, KID and the Inception Score: the TorchScript inception-2015-12-05.pt "
        "(StyleGAN2-ADA / clean-fid), a torchvision state-dict file, or 'torchvision:IMAGENET1K_V1'; none skips them."),
    ] = None
    video_model: Annotated[
        str | None,
        Field(description="Video model for FVD, KVD and the video Inception Score: a transformers video classifier "
        "(hub id or folder) or an I3D TorchScript file; none skips them."),
    ] = "MCG-NJU/videomae-base-finetuned-kinetics"
    detector: Annotated[str, Field(description="Entity detector for the storyboard-aware metrics (`director detectors`).")] = "color"
    detector_options: Annotated[
        dict[str, Any], Field(description="Keyword options for the detector, e.g. {'model': 'google/owlvit-base-patch32'}.")
    ] = {}
    allow_download: Annotated[bool, Field(description="Let hub ids download missing weights (off: local files and cache only).")] = False
    device: Annotated[str, Field(description="torch device for the models: cpu, cuda, cuda:1 ...")] = "cpu"
    prompt: Annotated[
        str | None, Field(description="Text for CLIPSIM when there is no storyboard (with one, each scene's description is used).")
    ] = None
    every: Annotated[
        int, Field(ge=1, description="Run per-frame models and the detector on every N-th frame (pixel metrics use all).")
    ] = 1
    batch_size: Annotated[int, Field(ge=1, description="Frames (or clips) per model call.")] = 16
    clip_length: Annotated[int, Field(ge=2, description="Consecutive frames per clip for the video model (FVD's convention: 16).")] = 16
    kid_subsets: Annotated[int, Field(ge=1, description="Random subsets averaged for KID / KVD (Binkowski et al.: 100).")] = 100
    kid_subset_size: Annotated[int, Field(ge=2, description="Samples per subset for KID / KVD (capped by the samples there are).")] = 1000
    is_splits: Annotated[int, Field(ge=1, description="Splits for the Inception Scores (Salimans et al.: 10).")] = 10
    min_motion: Annotated[
        float, Field(ge=0.0, le=1.0, description="Planned centre displacement (frame widths) below which an entity counts as still.")
    ] = 0.05
    identity_crops: Annotated[int, Field(ge=1, description="Crops per entity per scene for identity consistency.")] = 4
    plot: Annotated[bool, Field(description="Write the per-frame curves as a PNG beside the report.")] = True


class MetricResult(StrictModel):
    """One metric: its value, or why it was skipped."""

    name: str
    group: Literal["image", "video", "storyboard"]
    value: float | None = None
    better: Literal["higher", "lower"]
    unit: str = ""
    detail: dict[str, float | int | str] = {}
    skipped: Annotated[str | None, Field(description="Why there is no value: a missing model or input, and what to do.")] = None


class PerFrame(StrictModel):
    """Per-frame curves (one entry per decoded frame; null where not measured)."""

    time: list[float] = []
    scene: list[int | None] = []
    judged: Annotated[list[bool], Field(description="Judged against the storyboard (not in a transition).")] = []
    flicker: Annotated[list[float | None], Field(description="Mean absolute difference from the previous frame, 0-255.")] = []
    clip_consistency: Annotated[list[float | None], Field(description="CLIP cosine with the previous evaluated frame.")] = []
    layout_iou: list[float | None] = []
    psnr: list[float | None] = []
    ssim: list[float | None] = []


class SceneSpan(StrictModel):
    id: str
    start: Annotated[float, Field(description="Seconds into the movie.")]
    end: float


class EvalReport(StrictModel):
    """Everything `director eval` measured about one movie."""

    report_version: Literal["1.0"] = REPORT_VERSION
    movie: str
    reference: str | None = None
    storyboard: str | None = None
    frames: int
    fps: float
    width: int
    height: int
    metrics: list[MetricResult]
    models: Annotated[dict[str, str], Field(description="Role -> the model that was used.")] = {}
    warnings: list[str] = []
    scenes: list[SceneSpan] = []
    per_frame: PerFrame = PerFrame()
    config: EvalConfig = EvalConfig()

    def metric(self, name: str) -> MetricResult:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"no metric {name!r}; there are {[m.name for m in self.metrics]}")

    def values(self) -> dict[str, float | None]:
        """Metric name -> value (None when skipped)."""
        return {m.name: m.value for m in self.metrics}

    def save(self, path: str | os.PathLike[str]) -> Path:
        from director.atomic import write_text_atomically

        path = Path(path)
        write_text_atomically(path, self.model_dump_json(indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EvalReport:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def format_value(metric: MetricResult) -> str:
    if metric.value is None:
        return "—"
    v = metric.value
    text = f"{v:.4g}" if abs(v) < 1000 else f"{v:.1f}"
    return f"{text} {metric.unit}".strip()


def summary_table(report: EvalReport):
    """A rich Table of the metrics: group, name, value, which way is better, and a note."""
    from rich.table import Table

    title = f"{Path(report.movie).name}: {report.frames} frames, {report.frames / report.fps:.1f} s at {report.fps:g} fps, {report.width}x{report.height}"
    table = Table(title=title, title_justify="left")
    for column in ("group", "metric", "value", "better", "note"):
        table.add_column(column)
    for m in report.metrics:
        table.add_row(m.group, m.name, format_value(m), m.better, short_note(m))
    return table


def short_note(metric: MetricResult, width: int = 48) -> str:
    """A few words for the table: why it was skipped, or its first details."""
    if metric.skipped:
        text = metric.skipped
        if ", which could not be loaded" in text and " need " in text:  # a ModelUnavailable message
            needed = text.split(" need ", 1)[1].split(", which could not be loaded", 1)[0]
            text = "no " + needed.removeprefix("a ").removeprefix("an ")
        return ("skipped: " + text)[:width]
    parts = [f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in metric.detail.items()]
    note = ""
    for part in parts:
        if len(note) + len(part) + 2 > width:
            break
        note = f"{note}, {part}" if note else part
    return note


def plot_per_frame(report: EvalReport, path: str | os.PathLike[str]) -> Path | None:
    """Per-frame curves over time, one panel each, scene boundaries as dashed lines and
    transitions shaded. None when there is nothing to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from director.atomic import replacing

    pf = report.per_frame
    panels = [
        (pf.clip_consistency, "CLIP frame consistency", "cosine with previous frame"),
        (pf.flicker, "Temporal flicker", "mean |frame - previous| (0-255)"),
        (pf.layout_iou, "Layout alignment", "mean IoU with planned boxes"),
        (pf.psnr, "PSNR vs reference", "dB"),
        (pf.ssim, "SSIM vs reference", "SSIM"),
    ]
    panels = [p for p in panels if any(v is not None for v in p[0])]
    if not panels:
        return None
    path = Path(path)
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.2 * len(panels) + 0.6), sharex=True, squeeze=False)
    times = pf.time
    for ax, (values, title, ylabel) in zip(axes[:, 0], panels, strict=True):
        ys = [float("nan") if v is None else v for v in values]  # gaps where nothing was measured
        measured = sum(v is not None for v in values)
        ax.plot(times, ys, lw=1.2, color="#2b6cb0", marker="." if measured < 80 else None)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_ylabel(ylabel, fontsize=8)
        ax.grid(alpha=0.3)
        for span in report.scenes:
            ax.axvline(span.start, color="#c53030", ls="--", lw=0.8)
        start = None
        for t, judged, scene in zip(times, pf.judged, pf.scene, strict=True):
            in_transition = scene is not None and not judged
            if in_transition and start is None:
                start = t
            elif not in_transition and start is not None:
                ax.axvspan(start, t, color="#a0aec0", alpha=0.3, lw=0)
                start = None
        if start is not None:
            ax.axvspan(start, times[-1], color="#a0aec0", alpha=0.3, lw=0)
    top = axes[0, 0]
    for span in report.scenes:
        top.annotate(span.id, (span.start, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                     textcoords="offset points", fontsize=7, color="#c53030", va="top")
    axes[-1, 0].set_xlabel("seconds")
    fig.suptitle(f"{Path(report.movie).name}: per-frame measures (dashed: scene starts, shaded: transitions)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
