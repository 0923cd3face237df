"""Assembly: rendered scenes -> one movie, its subtitles and a contact sheet.

- The movie: one moviepy clip per scene (frames read from the cache one at a
  time), joined by each scene's transition (cut, crossfade, fade to black) in
  a `CompositeVideoClip`, subtitles burned in, encoded to H.264 MP4 by the
  ffmpeg that imageio-ffmpeg ships.
- `MOVIE.srt`: the dialogue as subtitles, in movie time.
- `MOVIE.contact.png`: the shot board, each scene's heading over one panel per
  shot (its middle frame with the boxes the camera sees, its size, angle, move
  and the lines spoken in it); a long film's board goes on over pages
  `MOVIE.contact-2.png`, `-3` ... (`BOARD_ROWS_PER_PAGE`).

The movie timeline is computed in whole frames (scene starts, crossfade
overlaps), so no frame is lost or doubled to floating-point time. Every file is
written under a temporary name beside its destination and renamed into place
only when complete (`director.atomic`): a crash never leaves half a movie under
the final name, and the temporary files a killed render left are removed by
the next render of the same movie.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import ExitStack
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
from director.storyboard import Shot, Storyboard

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
    board_pages: tuple[Path, ...] = ()  # every page of the shot board; the first is `contact_sheet`


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


def board_page_paths(movie: Path, pages: int) -> list[Path]:
    """The shot board's pages beside MOVIE.mp4: MOVIE.contact.png, then MOVIE.contact-2.png, -3 ..."""
    first = sidecar_paths(Path(movie))["contact_sheet"]
    return [first] + [first.with_name(first.name.removesuffix(".contact.png") + f".contact-{k}.png") for k in range(2, pages + 1)]


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
        pages = shot_board(rendered)
        pages[0].save(tmp_sheet, format="PNG")
        with ExitStack() as more_pages:  # published with the rest, or not at all
            for page, page_path in zip(pages[1:], board_page_paths(path, len(pages))[1:], strict=True):
                page.save(more_pages.enter_context(replacing(page_path)), format="PNG")
        if write_storyboard:
            tmp_board.write_text(board.to_json(), encoding="utf-8")
        else:
            tmp_board.unlink(missing_ok=True)
    stale = len(pages) + 1  # pages a longer board rendered here before left behind
    while (old := board_page_paths(path, stale)[-1]).exists():
        old.unlink()
        stale += 1
    return MovieFiles(
        movie=path,
        subtitles=sidecars["subtitles"],
        contact_sheet=sidecars["contact_sheet"],
        storyboard=sidecars["storyboard"] if write_storyboard else None,
        frames=timeline.total_frames,
        duration=timeline.duration,
        board_pages=tuple(board_page_paths(path, len(pages))),
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


SIZE_LABELS = {
    "extreme_wide": "EWS", "wide": "WS", "full": "FS", "medium": "MS", "close_up": "CU", "extreme_close_up": "ECU", "insert": "INSERT",
}
"""How a shot list abbreviates each size (extreme wide shot, wide shot, full shot, medium shot, close-up ...)."""
BOARD_COLUMNS = 6
"""Panels in a row of the shot board. Scenes share a row while the next one fits; a scene of more shots
than a row holds wraps onto rows of its own."""
BOARD_ROWS_PER_PAGE = 10
"""Rows of panels on one page of the shot board. A feature (190 scenes, ~1000 shots) would make one
unreadable image tens of thousands of pixels tall; it gets pages of at most this many rows instead
(page 1 is MOVIE.contact.png, the next MOVIE.contact-2.png ...)."""
CAPTION_LINES, CAPTION_LINE_H = 4, 13  # under each panel: its label, then up to three lines of dialogue


def shot_label(shot: Shot, names: Mapping[str, str]) -> str:
    """'CU · low · pan right': the shot's size, its angle unless eye level, its move unless static."""
    parts = [SIZE_LABELS[shot.size]]
    if shot.angle == "pov":
        parts.append(f"POV {names.get(shot.pov or '', shot.pov)}")
    elif shot.angle != "eye_level":
        parts.append(shot.angle.replace("_", " "))
    move = shot.move
    if move.kind == "follow":
        parts.append(f"follow {names.get(move.target or '', move.target)}")
    elif move.kind != "static":
        parts.append(f"{move.kind} {move.direction}" + (f" {move.amount:g}" if move.amount is not None else ""))
    return " · ".join(parts)


@dataclass(frozen=True)
class _BoardBlock:
    """One scene's panels in one row of the board, under its heading."""

    scene_index: int
    column: int  # where its first panel sits in the row
    shots: tuple[tuple[int, Shot, range], ...]  # (number in the scene, shot, its frames)
    continued: bool  # the scene began on an earlier row


def shot_board(
    rendered: RenderedStoryboard,
    *,
    columns: int | None = None,
    rows_per_page: int | None = None,
    thumb_width: int = 192,
) -> list[Image.Image]:
    """The shot board, as pages: one panel per shot (its middle frame with the frame's boxes drawn on),
    labelled with the shot's number, size, angle and move, its time and the lines spoken in it, under its
    scene's heading. Scenes follow each other along a row of `columns` panels while the next one fits;
    a scene of more shots than a row holds takes rows of its own."""
    board = rendered.board
    columns = columns or BOARD_COLUMNS
    rows_per_page = rows_per_page or BOARD_ROWS_PER_PAGE
    thumb_height = max(8, round(thumb_width * board.height / board.width))
    pad, band_h = 8, 36
    row_h = band_h + thumb_height + 4 + CAPTION_LINES * CAPTION_LINE_H + pad

    # 1. Lay the board out: rows of scene blocks, then pages of rows.
    rows: list[list[_BoardBlock]] = []
    used = columns  # panels taken in the last row: none yet, so the first scene starts a row
    for s, scene in enumerate(board.scenes):
        cut = tuple((k, shot, frames) for k, (shot, frames) in enumerate(scene.shot_frames(board.fps), start=1))
        if rows and len(cut) <= columns - used:
            rows[-1].append(_BoardBlock(s, used, cut, continued=False))
            used += len(cut)
            continue
        for i in range(0, len(cut), columns):
            rows.append([_BoardBlock(s, 0, cut[i : i + columns], continued=i > 0)])
            used = len(rows[-1][0].shots)
    width = pad + max(b.column + len(b.shots) for row in rows for b in row) * (thumb_width + pad)
    pages = [rows[i : i + rows_per_page] for i in range(0, len(rows), rows_per_page)]

    # 2. Draw each page.
    names = {e.id: e.name for e in board.entities}
    heading_font, small = font(15), font(11)
    images = []
    for page_rows in pages:
        sheet = Image.new("RGB", (width, pad + len(page_rows) * row_h), (28, 28, 32))
        draw = ImageDraw.Draw(sheet)
        for r, row in enumerate(page_rows):
            y = pad + r * row_h
            for block in row:
                scene = board.scenes[block.scene_index]
                x = pad + block.column * (thumb_width + pad)
                block_w = len(block.shots) * (thumb_width + pad) - pad
                if block.column:  # a scene after another in the row: a rule between them
                    draw.line((x - pad // 2, y, x - pad // 2, y + row_h - pad), fill=(70, 70, 80), width=1)
                heading = f"{block.scene_index + 1}. {scene.heading or scene.id}"
                draw.text((x, y + 2), _fit(draw, heading, heading_font, block_w), font=heading_font, fill=(235, 235, 235))
                shots = len(scene.cut)
                meta = "(continued)" if block.continued else f"{scene.duration:.1f} s · {shots} shot{'s' if shots > 1 else ''}"
                draw.text((x, y + 20), meta, font=small, fill=(160, 160, 170))
                for c, (number, shot, frames) in enumerate(block.shots):
                    panel_at = (x + c * (thumb_width + pad), y + band_h)
                    _draw_panel(rendered, sheet, block.scene_index, f"{number}  {shot_label(shot, names)}", shot, frames, panel_at, (thumb_width, thumb_height))
        images.append(sheet)
    return images


def _draw_panel(
    rendered: RenderedStoryboard,
    sheet: Image.Image,
    scene_index: int,
    label: str,
    shot: Shot,
    frames: range,
    at: tuple[int, int],
    size: tuple[int, int],
) -> None:
    """One shot's panel with its top-left at `at`: its framed middle frame of `size`, then its label, its
    time and the lines spoken in it."""
    (x, y), (thumb_width, thumb_height) = at, size
    draw = ImageDraw.Draw(sheet)
    label_font, small = font(12), font(11)
    board = rendered.board
    scene = board.scenes[scene_index]
    names = {e.id: e.name for e in board.entities}
    sheet.paste(_panel(rendered, scene_index, frames, size), (x, y))
    draw.rectangle((x - 1, y - 1, x + thumb_width, y + thumb_height), outline=(90, 90, 100))
    ty = y + thumb_height + 4
    draw.text((x, ty), _fit(draw, label, label_font, thumb_width - 60), font=label_font, fill=(240, 200, 90))
    span = f"{shot.start:.1f}-{shot.end:.1f} s"
    draw.text((x + thumb_width - draw.textlength(span, font=small), ty + 1), span, font=small, fill=(150, 150, 160))
    spoken = [
        f"{names[line.speaker]}: {line.text}" if line.speaker else line.text
        for line in scene.dialogue
        if line.start < shot.end and line.end > shot.start
    ]
    lines = [wrapped for text in spoken for wrapped in wrap_text(draw, text, small, thumb_width)]
    if len(lines) > CAPTION_LINES - 1:
        lines = lines[: CAPTION_LINES - 1]
        lines[-1] = _fit(draw, lines[-1] + " …", small, thumb_width)
    for k, line in enumerate(lines):
        draw.text((x, ty + (k + 1) * CAPTION_LINE_H), line, font=small, fill=(215, 215, 215))


def _fit(draw: ImageDraw.ImageDraw, text: str, text_font, max_width: int) -> str:
    """`text`, cut with an ellipsis to fit `max_width` pixels."""
    if draw.textlength(text, font=text_font) <= max_width:
        return text
    while text and draw.textlength(text + "…", font=text_font) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def _panel(rendered: RenderedStoryboard, scene_index: int, frames: range, size: tuple[int, int]) -> Image.Image:
    """A shot's middle frame at `size`, with the boxes its camera sees drawn on."""
    board = rendered.board
    scene = board.scenes[scene_index]
    index = frames[len(frames) // 2]
    image = Image.fromarray(rendered.frame(scene_index, index)).resize(size, Image.LANCZOS).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    overlay_draw = ImageDraw.Draw(overlay)
    for entity_id, box in frame_spec(board, scene, index).boxes.items():
        entity = board.entity(entity_id)
        draw_labelled_box(overlay_draw, box, entity.name, identity_color(entity), image.size, line_width=1)
    return Image.alpha_composite(image, overlay).convert("RGB")


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
