"""A deliberately slow animatic, for tests that kill a render part-way (loaded as 'tests.slow_renderer:SlowAnimatic')."""

from __future__ import annotations

import time

from renderers.animatic import AnimaticRenderer


class SlowAnimatic(AnimaticRenderer):
    """The animatic, sleeping 0.15 s per job, one job per batch."""

    def __init__(self) -> None:
        super().__init__(window=4)
        self.info = type(self.info)(**{**self.info.__dict__, "max_batch": 1})

    def keyframes(self, requests):
        time.sleep(0.15)
        return super().keyframes(requests)

    def infill(self, jobs):
        time.sleep(0.15)
        return super().infill(jobs)
