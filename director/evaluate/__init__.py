"""Evaluation: the metrics of the field, as a library and as `director eval`.

    from director.evaluate import EvalConfig, evaluate_movie
    report = evaluate_movie("out/movie.mp4", storyboard="out/movie.storyboard.json",
                            reference="ref.mp4", config=EvalConfig(clip="path/to/clip"))
    report.values()          # {'psnr': 31.2, 'fid': ..., 'layout_iou': 0.91, ...}
    report.save("out/movie.eval.json")

- image level: PSNR, SSIM (scikit-image), FID, KID, Inception Score, CLIPSIM;
- video level: FVD, KVD, video Inception Score, CLIP frame consistency, temporal flicker;
- storyboard-aware: layout IoU, direction of motion, visibility, cross-scene identity consistency.

Modules: `metrics` (the mathematics), `video` (decoding), `extractors` (CLIP,
Inception, video models), `detectors` (entity detectors, pluggable),
`alignment` (movie frames against the storyboard), `report` (config, report,
table, plot), `run` (the single pass that ties them together).
"""

from director.evaluate.report import EvalConfig, EvalReport, MetricResult
from director.evaluate.run import evaluate_movie

__all__ = ["EvalConfig", "EvalReport", "MetricResult", "evaluate_movie"]
