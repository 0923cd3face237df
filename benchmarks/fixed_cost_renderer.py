"""A BENCHMARK STAND-IN, not a model: the animatic plus a fixed, slept cost per frame of each window.

The animatic draws a frame in milliseconds, so it cannot show what a schedule or an executor does to a
model's wall time. This renderer makes the same pixels and then sleeps `seconds_per_frame` for every frame of
every window it is given (known frames included: a masked temporal diffusion model denoises its whole window).
Sleeping uses no CPU, so the measurements hold on a busy 2-core machine and model a device that is the
bottleneck (a GPU), not the host.

`batch_cost` says what a batch of several windows costs:
- "sum": each window in turn (a model at full utilisation with one window: no gain from batching);
- "max": the batch's longest window (a GPU with room to spare: a batch of B windows costs about one).

    --renderer benchmarks.fixed_cost_renderer:FixedCostRenderer   (run from the repository root)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

import numpy as np

from director.renderer import InfillJob, KeyframeRequest, RendererInfo
from renderers.animatic import AnimaticRenderer


class FixedCostRenderer(AnimaticRenderer):
    """Benchmark stand-in: the animatic's pixels, plus a slept cost per window frame (not a model)."""

    def __init__(
        self,
        seconds_per_frame: float = 0.01,
        max_batch: int = 1,
        batch_cost: Literal["sum", "max"] = "sum",
        window: int = 16,
    ) -> None:
        super().__init__(window=window)
        if batch_cost not in ("sum", "max"):
            raise ValueError(f"`batch_cost` must be 'sum' or 'max', but is {batch_cost!r}")
        self.info = RendererInfo(
            **{**self.info.__dict__, "name": "fixed-cost", "description": "benchmark stand-in", "max_batch": max_batch}
        )
        self.seconds_per_frame, self.batch_cost = seconds_per_frame, batch_cost
        self.calls = 0

    @property
    def fingerprint(self) -> str:
        return "fixed-cost/" + super().fingerprint

    def _pay(self, window_lengths: list[int]) -> None:
        self.calls += 1
        frames = sum(window_lengths) if self.batch_cost == "sum" else max(window_lengths)
        time.sleep(self.seconds_per_frame * frames)

    def keyframes(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        self._pay([len(r.frames) for r in requests])
        return super().keyframes(requests)

    def infill(self, jobs: Sequence[InfillJob]) -> list[np.ndarray]:
        self._pay([len(j.frames) for j in jobs])
        return super().infill(jobs)
