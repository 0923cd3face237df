"""The printed storyboard: a PDF of shot panels, written with fpdf2.

    write_board_pdf(board, "out/kite.pdf", paper="a4", movie="out/kite.mp4")

Page 1 is a cover (title, cast, scenes, running time). Then landscape pages
of panels, three across and two down, one panel per shot (`Scene.cut`, as the
timeline export has one clip per shot): the shot's frame at its middle (from
the rendered movie when given, else the animatic's drawing of the layout seen
through the shot's camera), a heading with the scene and shot and their times,
the action (the shot's description, else the scene's), the dialogue spoken in
the shot and camera notes (size, angle, move, who it frames); every page
numbered. Text is set in DejaVu Sans (a Unicode TrueType font: Debian's
fonts-dejavu-core, or the copy matplotlib ships) so any script prints; where
neither is found, PDF's core Helvetica prints Latin-1 and shows other letters
as '?', and the result says so. Written to a temporary name and renamed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from director.errors import InputError
from director.atomic import publish
from director.storyboard import Shot, Storyboard

Paper = Literal["letter", "a4"]
PAPERS = ("letter", "a4")
COLUMNS, ROWS = 3, 2  # panels per page
MARGIN, GAP = 12.0, 6.0  # mm

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)


@dataclass
class BoardPdf:
    path: Path
    pages: int
    panels: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Panel:
    scene_index: int
    scene_id: str
    shot: Shot
    start: float  # seconds in the scene
    end: float
    movie_frame: int  # the frame shown, in the movie
    scene_frame: int  # the same frame, in the scene


def unicode_fonts() -> tuple[Path, Path | None] | None:
    """DejaVu Sans (regular, bold) from the system or from matplotlib; None when neither has it."""
    folders = [Path(p).parent for p in FONT_CANDIDATES]
    try:
        import matplotlib

        folders.append(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf")
    except ImportError:
        pass
    for folder in folders:
        regular = folder / "DejaVuSans.ttf"
        if regular.is_file():
            bold = folder / "DejaVuSans-Bold.ttf"
            return regular, bold if bold.is_file() else None
    return None


def board_panels(board: Storyboard, fps: int | None = None) -> list[Panel]:
    """A panel per shot, showing the shot's middle frame."""
    from director.edit_timeline import shot_spans

    fps = fps or board.fps
    panels = []
    for span in shot_spans(board, fps):
        scene = board.scenes[span.scene_index]
        first = round(span.shot.start * fps)
        middle = first + (span.frames + span.handle) // 2
        panels.append(Panel(span.scene_index, scene.id, span.shot, span.shot.start, span.shot.end,
                            span.movie_start + (middle - first), middle))
    return panels


def _movie_frames(movie: Path, wanted: set[int]) -> dict[int, Image.Image]:
    import imageio_ffmpeg

    frames = {}
    reader = imageio_ffmpeg.read_frames(str(movie))
    meta = next(reader)
    width, height = meta["size"]
    try:
        for index, raw in enumerate(reader):
            if index in wanted:
                frames[index] = Image.fromarray(np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3))
            if len(frames) == len(wanted):
                break
    finally:
        reader.close()
    return frames


def _animatic_frames(board: Storyboard, panels: list[Panel]) -> dict[int, Image.Image]:
    from director import registry
    from director.execute import frame_spec, scene_context
    from director.renderer import KeyframeRequest

    renderer = registry.create("renderer", "animatic")
    requests = [
        KeyframeRequest(scene_context(board, board.scenes[p.scene_index], p.shot),
                        (frame_spec(board, board.scenes[p.scene_index], p.scene_frame),), seed=0)
        for p in panels
    ]
    drawn = renderer.keyframes(requests)
    return {p.movie_frame: Image.fromarray(np.asarray(frames[0], dtype=np.uint8)) for p, frames in zip(panels, drawn, strict=True)}


def write_board_pdf(
    board: Storyboard,
    path: str | os.PathLike[str],
    *,
    paper: str = "letter",
    movie: str | os.PathLike[str] | None = None,
) -> BoardPdf:
    """Print `board` to `path` (see the module's docstring)."""
    from fpdf import FPDF

    path = Path(path)
    if paper not in PAPERS:
        raise InputError(f"--paper {paper!r}: use letter or a4")
    if path.suffix.lower() != ".pdf":
        raise InputError(f"{path}: the printed storyboard must be a .pdf file")
    notes: list[str] = []
    fps = board.fps
    if movie is not None:
        from director.media_probe import probe_media

        media = probe_media(movie)
        fps = round(media.fps)
    panels = board_panels(board, fps)
    if movie is not None:
        pictures = _movie_frames(Path(movie), {p.movie_frame for p in panels})
        if len(pictures) < len({p.movie_frame for p in panels}):
            raise InputError(f"{movie}: is shorter than this storyboard's movie; is it the movie of this storyboard?")
    else:
        pictures = _animatic_frames(board, panels)
        notes.append("no movie given: the panels show the animatic's drawing of the layout")

    pdf = FPDF(orientation="landscape", unit="mm", format=paper)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN)
    pdf.set_title(board.title)
    pdf.set_creator("director")
    fonts = unicode_fonts()
    if fonts is not None:
        pdf.add_font("board", "", str(fonts[0]))
        pdf.add_font("board", "B", str(fonts[1] or fonts[0]))
        family = "board"

        def text(s: str) -> str:
            return s
    else:
        family = "helvetica"
        notes.append("no Unicode font found (apt-get install fonts-dejavu-core): letters outside Latin-1 print as '?'")

        def text(s: str) -> str:
            return s.encode("latin-1", "replace").decode("latin-1")

    names = {e.id: e.name for e in board.entities}
    total_pages = 1 + -(-len(panels) // (COLUMNS * ROWS))

    def footer() -> None:
        pdf.set_font(family, "", 8)
        pdf.set_text_color(110, 110, 110)
        pdf.set_xy(MARGIN, pdf.h - MARGIN + 2)
        pdf.cell(pdf.w - 2 * MARGIN, 4, text(f"{board.title} — page {pdf.page_no()} of {total_pages}"), align="R")
        pdf.set_text_color(0, 0, 0)

    # The cover ---------------------------------------------------------------------------------------
    pdf.add_page()
    pdf.set_font(family, "B", 30)
    pdf.set_xy(MARGIN, 40)
    pdf.multi_cell(pdf.w - 2 * MARGIN, 13, text(board.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 12)
    running = sum(s.duration for s in board.scenes)
    pdf.multi_cell(pdf.w - 2 * MARGIN, 7, text(f"Storyboard — {len(board.scenes)} scenes, {len(panels)} shots, {running:.0f} s"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(family, "B", 13)
    pdf.set_x(MARGIN + 40)
    pdf.cell(0, 8, text("Cast"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10.5)
    for entity in board.entities:
        scenes = [s.id for s in board.scenes if entity.id in s.entities]
        line = f"{entity.name} — {entity.description or entity.category}" + (f" (in {', '.join(scenes)})" if scenes else "")
        pdf.set_x(MARGIN + 40)
        pdf.multi_cell(pdf.w - 2 * MARGIN - 80, 5.5, text(line), new_x="LMARGIN", new_y="NEXT")
        if pdf.get_y() > pdf.h - MARGIN - 12:
            pdf.set_x(MARGIN + 40)
            pdf.cell(0, 5.5, text("…"))
            break
    footer()

    # Panels -------------------------------------------------------------------------------------------
    cell_w = (pdf.w - 2 * MARGIN - (COLUMNS - 1) * GAP) / COLUMNS
    cell_h = (pdf.h - 2 * MARGIN - 6 - (ROWS - 1) * GAP) / ROWS
    image_h = cell_w * board.height / board.width
    if image_h > cell_h * 0.6:
        image_h = cell_h * 0.6
    for k, panel in enumerate(panels):
        if k % (COLUMNS * ROWS) == 0:
            pdf.add_page()
            pdf.set_font(family, "B", 9)
            pdf.set_xy(MARGIN, MARGIN - 6)
            pdf.cell(0, 5, text(board.title))
            footer()
        slot = k % (COLUMNS * ROWS)
        x = MARGIN + (slot % COLUMNS) * (cell_w + GAP)
        y = MARGIN + (slot // COLUMNS) * (cell_h + GAP)
        scene = board.scenes[panel.scene_index]
        picture = pictures[panel.movie_frame]
        image_w = min(cell_w, image_h * picture.width / picture.height)
        pdf.image(picture, x=x, y=y, w=image_w, h=image_h)
        pdf.set_draw_color(60, 60, 60)
        pdf.rect(x, y, image_w, image_h)
        pdf.set_xy(x, y + image_h + 1.5)
        pdf.set_font(family, "B", 8.5)
        heading = f"{k + 1}. {scene.id}.{panel.shot.id}  {panel.start:.1f}–{panel.end:.1f} s  {scene.heading}"
        pdf.multi_cell(cell_w, 4, text(heading), new_x="LEFT", new_y="NEXT", max_line_height=4)
        parts: list[tuple[str, str]] = []
        action = panel.shot.description or scene.description
        if action:
            parts.append(("", action))
        for line in scene.dialogue:
            if panel.start <= line.start < panel.end:
                who = names.get(line.speaker, "NARRATOR") if line.speaker else "NARRATOR"
                parts.append(("B", f"{who.upper()}: {line.text}"))
        parts.append(("", f"Camera: {_camera_note(board, panel)}"))
        bottom = y + cell_h
        pdf.set_font(family, "", 7.5)
        for style, body in parts:
            pdf.set_font(family, style, 7.5)
            lines = pdf.multi_cell(cell_w, 3.4, text(body), dry_run=True, output="LINES")
            room = int((bottom - pdf.get_y()) // 3.4)
            if room <= 0:
                break
            if len(lines) > room:
                lines = lines[:room]
                lines[-1] = lines[-1][: max(0, len(lines[-1]) - 1)] + "…"
            pdf.multi_cell(cell_w, 3.4, "\n".join(lines), new_x="LEFT", new_y="NEXT")
            pdf.set_y(pdf.get_y() + 0.8)
            pdf.set_x(x)
    data = bytes(pdf.output())
    _write_bytes_atomically(path, data)
    return BoardPdf(path, pdf.page_no(), len(panels), notes)


SIZE_WORDS = {"extreme_wide": "extreme wide", "wide": "wide", "full": "full shot", "medium": "medium shot",
              "close_up": "close-up", "extreme_close_up": "extreme close-up", "insert": "insert"}
ANGLE_WORDS = {"eye_level": "eye level", "high": "high angle", "low": "low angle", "overhead": "overhead"}


def _camera_note(board: Storyboard, panel: Panel) -> str:
    """What the camera does in the shot, as a board artist writes it: 'close-up on Mira, low angle, pan
    right 0.3'; and on the scene's last shot the transition out of it."""
    scene = board.scenes[panel.scene_index]
    shot = panel.shot
    names = {e.id: e.name for e in board.entities}
    note = SIZE_WORDS[shot.size]
    if shot.subjects:
        note += " on " + ", ".join(names.get(e, e) for e in shot.subjects)
    note += f", POV of {names.get(shot.pov, shot.pov)}" if shot.angle == "pov" else f", {ANGLE_WORDS[shot.angle]}"
    move = shot.move
    if move.kind == "follow":
        note += f", follow {names.get(move.target, move.target)}"
    elif move.kind == "static":
        note += ", static"
    else:
        note += f", {move.kind} {move.direction}" + (f" {move.amount:g}" if move.amount is not None else "")
    if panel.end >= scene.duration and scene.transition.kind != "cut":
        note += f"; {scene.transition.kind.replace('_', ' ')} out ({scene.transition.duration:g} s)"
    return note


def _write_bytes_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as e:
        raise InputError(f"{path}: cannot be written ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        publish(Path(tmp), path)
    except OSError as e:
        raise InputError(f"{path}: cannot be written ({e.strerror})") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
