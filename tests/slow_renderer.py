"""A deliberately slow animatic, for tests that kill a render part-way (loaded as 'tests.slow_renderer:SlowAnimatic')."""

from __future__ import annotations

import os
import time
from pathlib import Path

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


class LoggedAnimatic(AnimaticRenderer):
    """The animatic (window 4, one job per batch) taking `seconds` per job, logging each job it starts and
    finishes to `log_dir/PID.log`: which process rendered what, for tests of workers in other processes."""

    def __init__(self, log_dir: str, seconds: float = 0.0, show_time: bool = True) -> None:
        super().__init__(window=4, show_time=show_time)
        self.info = type(self.info)(**{**self.info.__dict__, "max_batch": 1})
        self.log_dir, self.seconds = Path(log_dir), seconds

    def _logged(self, keys, draw):
        log = self.log_dir / f"{os.getpid()}.log"
        with log.open("a") as f:
            f.write("".join(f"start {key}\n" for key in keys))
        time.sleep(self.seconds)
        frames = draw()
        with log.open("a") as f:
            f.write("".join(f"done {key}\n" for key in keys))
        return frames

    def keyframes(self, requests):
        return self._logged([_job_id(r.scene, r.frames) for r in requests], lambda: super(LoggedAnimatic, self).keyframes(requests))

    def infill(self, jobs):
        return self._logged([_job_id(j.scene, j.frames) for j in jobs], lambda: super(LoggedAnimatic, self).infill(jobs))


def _job_id(scene, frames) -> str:
    """A job's scene and frame indices, e.g. 'scene_1:4-5-6-7' (renderers are not told cache keys)."""
    return f"{scene.scene_id}:" + "-".join(str(f.index) for f in frames)


def read_logs(log_dir) -> list[tuple[int, str, str]]:
    """(pid, 'start' or 'done', job id) for every line every process logged."""
    rows = []
    for log in sorted(Path(log_dir).glob("*.log")):
        for line in log.read_text().splitlines():
            event, job = line.split(" ", 1)
            rows.append((int(log.stem), event, job))
    return rows
