"""Read a movie's frames one at a time, through the ffmpeg that imageio-ffmpeg ships.

Frames stream: evaluating a long movie holds a batch of frames, never the
whole movie. A file ffmpeg cannot read is an `InputError` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from director.errors import InputError


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: float
    frames: int  # an estimate from the container's duration; the decode is the truth

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Size, frame rate and (estimated) frame count of a video file."""
    path = Path(path)
    reader = _open(path)
    try:
        meta = next(reader)
    except (RuntimeError, StopIteration, OSError) as e:
        raise InputError(f"{path}: is not a video ffmpeg can read ({_first_line(e)})") from None
    finally:
        reader.close()
    return _info(path, meta)


def iter_frames(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    """Every frame of the video, in order, as (height, width, 3) uint8 RGB."""
    path = Path(path)
    reader = _open(path)
    try:
        try:
            meta = next(reader)
        except (RuntimeError, StopIteration, OSError) as e:
            raise InputError(f"{path}: is not a video ffmpeg can read ({_first_line(e)})") from None
        width, height = meta["size"]
        for chunk in reader:
            yield np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3)  # (height, width, channels)
    finally:
        reader.close()


def _open(path: Path):
    import imageio_ffmpeg

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")


def _info(path: Path, meta: dict) -> VideoInfo:
    width, height = meta["size"]
    fps = float(meta.get("fps") or 0)
    if fps <= 0:
        raise InputError(f"{path}: the video has no frame rate ffmpeg can read")
    duration = float(meta.get("duration") or 0)
    return VideoInfo(path=path, width=int(width), height=int(height), fps=fps, frames=max(1, round(duration * fps)))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__
