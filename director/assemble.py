"""Assembly: rendered scenes -> one movie, its subtitles and a contact sheet.

- The movie: one moviepy clip per scene (frames read from the cache one at a
  time), joined by each scene's transition (cut, crossfade, fade to black) in
  a `CompositeVideoClip`, subtitles burned in, encoded to H.264 MP4 by the
  ffmpeg that imageio-ffmpeg ships.
- `MOVIE.srt`: the dialogue as subtitles, in movie time.
- `MOVIE.contact.png`: a contact sheet, a row per scene of its keyframes with
  the layout boxes drawn over them.

The movie timeline is computed in whole frames (scene starts, crossfade
overlaps), so no frame is lost or doubled to floating-point time. Every file is
written under a temporary name beside its destination and renamed into place
only when complete (`director.atomic`): a crash never leaves half a movie under
the final name, and the temporary files a killed render left are removed by
the next render of the same movie.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from director.atomic import partial_path, replacing
from director.drawing import draw_labelled_box, font, identity_color, wrap_text
from director.errors import InputError
from director.execute import ProgressCallback, RenderedStoryboard
from director.renderer import frame_spec
from director.storyboard import Storyboard

SubtitleMode = Literal["auto", "burn", "none"]


@dataclass(frozen=True)
class Subtitle:
    start: float  # seconds in the movie
    end: float
    text: str


@dataclass(frozen=True)
class MovieTimeline:
    """Where each scene sits in the movie, in frames."""

    fps: int
    starts: tuple[int, ...]  # first movie frame of each scene
    lengths: tuple[int, ...]  # frames of each scene
    overlaps: tuple[int, ...]  # frames scene i shares with scene i+1 (crossfade); 0 for the last

    @property
    def total_frames(self) -> int:
        return self.starts[-1] + self.lengths[-1]

    @property
    def duration(self) -> float:
        return self.total_frames / self.fps


@dataclass(frozen=True)
class MovieFiles:
    movie: Path
    subtitles: Path
    contact_sheet: Path
    storyboard: Path | None
    frames: int
    duration: float


def movie_timeline(board: Storyboard) -> MovieTimeline:
    lengths = [scene.num_frames(board.fps) for scene in board.scenes]
    overlaps = []
    for i, scene in enumerate(board.scenes):
        if scene.transition.kind == "crossfade" and i + 1 < len(board.scenes):
            frames = round(scene.transition.duration * board.fps)
            overlaps.append(max(1, min(frames, lengths[i] - 1, lengths[i + 1] - 1)))
        else:
            overlaps.append(0)
    starts = [0]
    for i in range(len(lengths) - 1):
        starts.append(starts[-1] + lengths[i] - overlaps[i])
    return MovieTimeline(board.fps, tuple(starts), tuple(lengths), tuple(overlaps))


def movie_subtitles(board: Storyboard) -> list[Subtitle]:
    """Every dialogue line, placed in movie time ('Name: text')."""
    timeline = movie_timeline(board)
    names = {e.id: e.name for e in board.entities}
    subtitles = []
    for scene, start, length in zip(board.scenes, timeline.starts, timeline.lengths, strict=True):
        offset, scene_end = start / board.fps, (start + length) / board.fps
        for line in scene.dialogue:
            text = f"{names[line.speaker]}: {line.text}" if line.speaker else line.text
            begin = offset + line.start
            if begin < scene_end:
                subtitles.append(Subtitle(begin, min(offset + line.end, scene_end), text))
    return sorted(subtitles, key=lambda s: s.start)


def srt_text(subtitles: list[Subtitle]) -> str:
    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [f"{k}\n{stamp(s.start)} --> {stamp(s.end)}\n{s.text}\n" for k, s in enumerate(subtitles, start=1)]
    return "\n".join(blocks)


def sidecar_paths(movie: Path) -> dict[str, Path]:
    """The files written beside MOVIE.mp4."""
    stem = movie.with_suffix("")
    return {
        "subtitles": stem.with_name(stem.name + ".srt"),
        "contact_sheet": stem.with_name(stem.name + ".contact.png"),
        "storyboard": stem.with_name(stem.name + ".storyboard.json"),
    }


def assemble_movie(
    rendered: RenderedStoryboard,
    path: str | os.PathLike[str],
    *,
    subtitles: SubtitleMode = "auto",
    renderer_draws_captions: bool = False,
    write_storyboard: bool = True,
    progress: ProgressCallback | None = None,
) -> MovieFiles:
    """Encode the movie to `path` (.mp4) and write the subtitles, contact sheet and storyboard beside it."""
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise InputError(f"{path}: the movie must be an .mp4 file")
    board = rendered.board
    burn = subtitles == "burn" or (subtitles == "auto" and not renderer_draws_captions)
    timeline = movie_timeline(board)
    lines = movie_subtitles(board)
    sidecars = sidecar_paths(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp_movie, replacing(sidecars["subtitles"]) as tmp_srt, replacing(
        sidecars["contact_sheet"]
    ) as tmp_sheet, replacing(sidecars["storyboard"]) as tmp_board:
        _encode(rendered, timeline, lines if burn else [], tmp_movie, progress)
        tmp_srt.write_text(srt_text(lines), encoding="utf-8")
        contact_sheet(rendered).save(tmp_sheet, format="PNG")
        if write_storyboard:
            tmp_board.write_text(board.to_json(), encoding="utf-8")
        else:
            tmp_board.unlink(missing_ok=True)
    return MovieFiles(
        movie=path,
        subtitles=sidecars["subtitles"],
        contact_sheet=sidecars["contact_sheet"],
        storyboard=sidecars["storyboard"] if write_storyboard else None,
        frames=timeline.total_frames,
        duration=timeline.duration,
    )


def _encode(
    rendered: RenderedStoryboard,
    timeline: MovieTimeline,
    subtitles: list[Subtitle],
    path: Path,
    progress: ProgressCallback | None,
) -> None:
    from moviepy import CompositeVideoClip, VideoClip, vfx

    board = rendered.board
    fps = board.fps
    clips = []
    for i, scene in enumerate(board.scenes):
        length = timeline.lengths[i]

        def scene_frame(t: float, i: int = i, length: int = length) -> np.ndarray:
            return rendered.frame(i, min(length - 1, int(t * fps + 1e-6)))

        clip = VideoClip(scene_frame, duration=length / fps).with_start(timeline.starts[i] / fps)
        effects = []
        if i > 0 and timeline.overlaps[i - 1]:
            effects.append(vfx.CrossFadeIn(timeline.overlaps[i - 1] / fps))
        if i > 0 and board.scenes[i - 1].transition.kind == "fade_to_black":
            effects.append(vfx.FadeIn(board.scenes[i - 1].transition.duration))
        if scene.transition.kind == "fade_to_black":
            effects.append(vfx.FadeOut(scene.transition.duration))
        clips.append(clip.with_effects(effects) if effects else clip)

    # Half a frame of slack: moviepy counts frames as int(duration * fps).
    movie = CompositeVideoClip(clips, size=(board.width, board.height), bg_color=(0, 0, 0))
    movie = movie.with_duration((timeline.total_frames + 0.5) / fps)
    if subtitles:
        movie = movie.transform(lambda get_frame, t: burn_subtitles(get_frame(t), subtitles, t))
    movie.write_videofile(
        str(path),
        fps=fps,
        codec="libx264",
        audio=False,
        preset="medium",
        pixel_format="yuv420p",
        threads=os.cpu_count() or 1,
        ffmpeg_params=["-crf", "18", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"],
        logger=_progress_logger(progress, timeline.total_frames),
    )


def _progress_logger(progress: ProgressCallback | None, total: int):
    if progress is None:
        return None
    import proglog

    class EncodeProgress(proglog.ProgressBarLogger):
        def bars_callback(self, bar, attr, value, old_value=None):  # noqa: ARG002 (proglog's signature)
            if bar == "frame_index" and attr == "index":
                progress("encode", min(max(value, 0), total), total)

    progress("encode", 0, total)
    return EncodeProgress()


def burn_subtitles(frame: np.ndarray, subtitles: list[Subtitle], t: float) -> np.ndarray:
    """Draw the subtitles shown at `t` at the bottom of the frame (white on a dark outline)."""
    current = [s.text for s in subtitles if s.start <= t < s.end]
    if not current:
        return frame
    image = Image.fromarray(np.asarray(frame, dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    width, height = image.size
    text_font = font(max(10, height // 16))
    lines = [line for text in current for line in wrap_text(draw, text, text_font, int(width * 0.9))]
    line_h = int(text_font.size * 1.2) if hasattr(text_font, "size") else 16
    y = height - int(height * 0.05) - line_h * len(lines)
    for line in lines:
        draw.text((width // 2, y), line, font=text_font, anchor="ma", fill=(255, 255, 255), stroke_width=max(1, height // 150), stroke_fill=(0, 0, 0))
        y += line_h
    return np.asarray(image)


def contact_sheet(rendered: RenderedStoryboard, per_scene: int = 6, thumb_width: int = 192) -> Image.Image:
    """A row per scene: its heading, then up to `per_scene` keyframes with their layout boxes drawn on."""
    board = rendered.board
    thumb_height = max(8, round(thumb_width * board.height / board.width))
    label_w, pad = 180, 6
    rows = len(board.scenes)
    sheet = Image.new("RGB", (label_w + per_scene * (thumb_width + pad) + pad, rows * (thumb_height + 2 * pad) + pad), (28, 28, 32))
    draw = ImageDraw.Draw(sheet)
    title_font, small = font(14), font(11)
    for s, (scene, rendered_scene) in enumerate(zip(board.scenes, rendered.scenes, strict=True)):
        top = pad + s * (thumb_height + 2 * pad)
        heading = f"{s + 1}. {scene.heading or scene.id}"
        for k, line in enumerate(wrap_text(draw, heading, title_font, label_w - 2 * pad)[:4]):
            draw.text((pad, top + k * 17), line, font=title_font, fill=(235, 235, 235))
        draw.text((pad, top + thumb_height - 14), f"{scene.duration:.1f} s, {len(scene.entities)} in cast", font=small, fill=(160, 160, 170))
        keyframes = rendered_scene.plan.keyframes
        chosen = [keyframes[round(k * (len(keyframes) - 1) / max(per_scene - 1, 1))] for k in range(min(per_scene, len(keyframes)))]
        for c, index in enumerate(dict.fromkeys(chosen)):
            image = Image.fromarray(rendered.frame(s, index)).resize((thumb_width, thumb_height), Image.LANCZOS).convert("RGBA")
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            overlay_draw = ImageDraw.Draw(overlay)
            for entity_id, box in frame_spec(board, scene, index).boxes.items():
                entity = board.entity(entity_id)
                draw_labelled_box(overlay_draw, box, entity.name, identity_color(entity), image.size, line_width=1)
            image = Image.alpha_composite(image, overlay).convert("RGB")
            x = label_w + pad + c * (thumb_width + pad)
            sheet.paste(image, (x, top))
            draw.text((x + 3, top + thumb_height - 13), f"{index / board.fps:.1f}s", font=small, fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0))
    return sheet


def add_audio_track(movie: str | os.PathLike[str], samples: np.ndarray, sample_rate: int) -> Path:
    """Give the movie an AAC audio track of `samples` (mono float in [-1, 1]), replacing the file atomically;
    the picture is copied, not re-encoded. The track is padded or cut to the movie's length."""
    import subprocess
    import wave

    import imageio_ffmpeg

    movie = Path(movie)
    wav = partial_path(movie, ".wav")
    try:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(sample_rate)
            w.writeframes(pcm.tobytes())
        with replacing(movie, clean=False) as tmp:
            command = [
                imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-i", str(movie), "-i", str(wav),
                "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ar", "44100",
                "-af", "apad", "-shortest", "-fflags", "+bitexact", "-map_metadata", "-1", str(tmp),
            ]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"ffmpeg could not add the audio track to {movie}: {done.stderr.strip()[-400:]}")
    finally:
        wav.unlink(missing_ok=True)
    return movie
