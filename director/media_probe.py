"""What a rendered movie holds, from the ffmpeg that imageio-ffmpeg ships (it ships no ffprobe).

    info = probe_media("out/kite.mp4")   # MediaInfo(fps=12.0, frames=120, duration=10.0, audio_codec='aac', audio_duration=10.0)

Frame rate and frame count come from imageio-ffmpeg's own reader; the audio
stream from ffmpeg's report of the file's streams, and its length by decoding
it to nowhere (`ffmpeg -i MOVIE -map 0:a -f null -`), which is what ffprobe's
`-count_packets` would tell.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from director.errors import InputError


@dataclass(frozen=True)
class MediaInfo:
    fps: float
    frames: int
    duration: float  # seconds of video
    width: int
    height: int
    audio_codec: str | None  # None: no audio stream
    audio_duration: float | None


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def probe_media(path: str | os.PathLike[str]) -> MediaInfo:
    """Frame rate, frame count, size and the audio stream of a movie; `InputError` if it is not one."""
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such movie file")
    report = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    if not re.search(r"Stream #\d+:\d+.*: Video:", report):
        raise InputError(f"{path}: has no video stream, so it is not a movie ffmpeg can read")
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    fps = float(meta["fps"])
    audio = re.search(r"Stream #\d+:\d+.*: Audio: (\w+)", report)
    audio_duration = None
    if audio:
        decoded = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostats", "-progress", "pipe:1", "-i", str(path), "-map", "0:a:0", "-f", "null", "-"],
            capture_output=True, text=True,
        ).stdout
        times = re.findall(r"out_time_us=(\d+)", decoded)
        audio_duration = int(times[-1]) / 1e6 if times else None
    width, height = meta["size"]
    return MediaInfo(fps, frames, frames / fps, width, height, audio.group(1) if audio else None, audio_duration)
