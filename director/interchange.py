"""Layout interchange: storyboards to and from the formats of LVD, VideoDirectorGPT and VisorGPT.

    text = export_layouts(board, "lvd")              # str, ready to write
    board = import_layouts(text, "lvd", source=path) # a valid Storyboard (layouts solved where missing)

Formats, and what each follows:

- ``lvd``: the per-frame box text LVD's LLM writes (Lian et al., "LLM-grounded
  Video Diffusion Models", ICLR 2024; `prompt.py` of
  TonyLianLong/LLM-groundedVideoDiffusion, template v0.1): per scene an
  optional ``Caption:`` line, a ``Reasoning:`` line, then ``Frame 1:`` ...
  ``Frame 6:`` lines, each a Python-literal list of
  ``{'id': 0, 'name': 'walking woman', 'box': [x, y, w, h]}`` in pixels of a
  512x512 canvas (top-left corner and size), and a closing
  ``Background keyword:`` line. Six frames evenly spaced over the scene,
  as LVD's six frames at two per second. Scenes are separated by a blank line.
- ``videodirectorgpt``: VideoDirectorGPT's video plan (Lin et al., arXiv
  2309.15091, Section 3.1; the planner's code is not released, so this
  follows the paper's description of the plan): per scene a text
  description, its entities, its background and per-frame layouts of
  ``[entity name, [x0, y0, x1, y1]]`` boxes normalised to 0-1, plus
  consistency groupings (an entity name -> the scenes it appears in, so one
  identity looks the same everywhere). As JSON.
- ``visorgpt``: VisorGPT's box sequences (Xie et al., "Learning Visual Prior via
  Generative Pre-Training", NeurIPS 2023; `train/scripts/preprocess_coord.py`
  of showlab/VisorGPT): ``box; multiple instances; N; 0; SIZE; cat, dog;
  [ xmin $12 ymin $30 xmax $200 ymax $300] [ xmin ...]`` with integer pixels
  of a 512 canvas and SIZE the COCO size class of the mean box area. VisorGPT
  is image-level, so a scene is one line per layout frame, frames evenly
  spaced, and a blank line between scenes.

Importing validates everything and raises `InputError` naming the line; entity
ids are made from the names, the cast is shared across scenes by name, and
the layout solver fills in any scene that has no boxes.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any, Literal

from director.errors import InputError
from director.storyboard import Box, Entity, LayoutFrame, Scene, Storyboard

Format = Literal["lvd", "videodirectorgpt", "visorgpt"]
FORMATS: tuple[str, ...] = ("lvd", "videodirectorgpt", "visorgpt")

CANVAS = 512  # LVD's and VisorGPT's pixel canvas
LVD_FRAMES = 6
LVD_SECONDS = 3.0  # six frames at two per second


def format_for(path: str, format: str | None) -> str:
    """The format to read or write `path` in: `format` if given, else a timeline format named by the
    suffix (.otio, .edl, .xml, .fcpxml, .kdenlive), else LVD's layout text."""
    from director.edit_timeline import SUFFIX_FORMATS, TIMELINE_FORMATS

    if format is not None:
        if format not in FORMATS and format not in TIMELINE_FORMATS:
            raise InputError(f"unknown format {format!r}; use one of {', '.join([*FORMATS, *TIMELINE_FORMATS])}")
        return format
    from pathlib import Path

    return SUFFIX_FORMATS.get(Path(path).suffix.lower(), "lvd")


def is_timeline_format(format: str) -> bool:
    from director.edit_timeline import TIMELINE_FORMATS

    return format in TIMELINE_FORMATS


def export_layouts(board: Storyboard, format: str, frames: int = LVD_FRAMES) -> str:
    """The storyboard's layout track in `format`; `frames` boxes per scene, evenly spaced in time."""
    if format == "lvd":
        return _export_lvd(board, frames)
    if format == "videodirectorgpt":
        return _export_vdgpt(board, frames)
    if format == "visorgpt":
        return _export_visor(board, frames)
    raise InputError(f"unknown layout format {format!r}; use one of {', '.join(FORMATS)}")


def layout_export_drops(board: Storyboard, format: str) -> list[str]:
    """What `export_layouts` leaves out of `board` in `format`: these formats hold one layout track per scene,
    in scene coordinates, so a scene's shots (its cut and camera) are not kept."""
    cut = [scene for scene in board.scenes if scene.shots]
    if not cut:
        return []
    shots = sum(len(scene.shots) for scene in cut)
    return [
        f"shots: {shots} shot{'s' if shots != 1 else ''} in {len(cut)} scene{'s' if len(cut) != 1 else ''} "
        f"({format} holds one layout per scene, in scene coordinates; its boxes are the uncut scene's)"
    ]


def import_layouts(text: str, format: str, source: str = "<layouts>", title: str | None = None) -> Storyboard:
    """A storyboard from text in `format`; bad input raises `InputError` naming `source` and the line."""
    if not text.strip():
        raise InputError(f"{source}: is empty")
    if format == "lvd":
        scenes = _import_lvd(text, source)
    elif format == "videodirectorgpt":
        scenes = _import_vdgpt(text, source)
    elif format == "visorgpt":
        scenes = _import_visor(text, source)
    else:
        raise InputError(f"unknown layout format {format!r}; use one of {', '.join(FORMATS)}")
    return _build(scenes, source, title)


# -- shared ---------------------------------------------------------------------------------------


def _sample_times(scene: Scene, frames: int) -> list[float]:
    if frames < 2:
        return [0.0]
    return [scene.duration * k / frames for k in range(frames)]  # like LVD: frame k at k/fps, the last before the end


def _name(board: Storyboard, entity_id: str) -> str:
    return board.entity(entity_id).name


class _ParsedScene:
    def __init__(self, description: str, background: str, duration: float) -> None:
        self.description, self.background, self.duration = description, background, duration
        self.frames: list[tuple[float, dict[str, Box]]] = []  # (t, entity name -> box)
        self.names: list[str] = []  # entities named without boxes (the solver places them)


def _category_of(name: str) -> str:
    """'walking woman' -> 'woman'... as a category the layout solver knows when it can: 'cats' -> 'cat'."""
    from director.layout import CATEGORY_PRIORS

    words = re.findall(r"[a-z]+", name.lower()) or ["thing"]
    noun = words[-1]
    for candidate in (noun, noun.removesuffix("s"), noun.removesuffix("es")):
        if candidate in CATEGORY_PRIORS:
            return candidate
    return {"woman": "person", "man": "person", "girl": "child", "boy": "child"}.get(noun, noun)


def _box(x0: float, y0: float, x1: float, y1: float, where: str) -> Box:
    """A box from coordinates in 0-1; a pixel of rounding past the frame edge is allowed, nothing more."""
    tolerance = 1.0 / CANVAS
    values = (x0, y0, x1, y1)
    if any(v < -tolerance or v > 1 + tolerance for v in values):
        raise InputError(f"{where}: box [{x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f}] goes outside the frame")
    x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in values)
    try:
        return Box(x0=x0, y0=y0, x1=x1, y1=y1)
    except ValueError as e:
        raise InputError(f"{where}: box [{x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f}] is not a box: {e}") from None


def _build(parsed: list[_ParsedScene], source: str, title: str | None) -> Storyboard:
    from director.layout import plan_layout

    cast: dict[str, Entity] = {}
    ids: dict[str, str] = {}
    scenes = []
    for k, p in enumerate(parsed):
        names = list(dict.fromkeys([*(name for _, boxes in p.frames for name in boxes), *p.names]))
        for name in names:
            if name not in ids:
                base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "thing"
                base = base if base[0].isalpha() else f"e_{base}"
                entity_id, n = base, 2
                while entity_id in cast:
                    entity_id, n = f"{base}_{n}", n + 1
                ids[name] = entity_id
                cast[entity_id] = Entity(id=entity_id, name=name, category=_category_of(name), description=name)
        layouts = [LayoutFrame(t=round(t, 4), boxes={ids[n]: b for n, b in boxes.items()}) for t, boxes in p.frames]
        scene = Scene(
            id=f"scene_{k + 1}",
            heading=p.description[:60],
            description=p.description,
            background=p.background,
            duration=p.duration,
            entities=[ids[n] for n in names],
            layouts=layouts,
        )
        if not scene.layouts:
            scene = scene.model_copy(update={"layouts": plan_layout(scene, cast).layouts})
        scenes.append(scene)
    if not scenes:
        raise InputError(f"{source}: has no scenes")
    return Storyboard(title=title or "Imported layouts", entities=list(cast.values()), scenes=scenes).revalidated()


# -- LVD ---------------------------------------------------------------------------------------------


def _export_lvd(board: Storyboard, frames: int) -> str:
    blocks = []
    for scene in board.scenes:
        numbers = {entity_id: k for k, entity_id in enumerate(scene.entities)}
        lines = [f"Caption: {scene.description or scene.heading}", "Reasoning: exported from a director storyboard."]
        for k, t in enumerate(_sample_times(scene, frames)):
            items = []
            for entity_id, box in scene.layout_at(t).items():
                x, y = round(box.x0 * CANVAS), round(box.y0 * CANVAS)
                w, h = round(box.width * CANVAS), round(box.height * CANVAS)
                items.append({"id": numbers[entity_id], "name": _name(board, entity_id), "box": [x, y, w, h]})
            lines.append(f"Frame {k + 1}: {items!r}")
        lines.append(f"Background keyword: {scene.background or 'scene'}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


FRAME_LINE = re.compile(r"^Frame[ _](\d+)\s*:\s*(.*)$")


def _import_lvd(text: str, source: str) -> list[_ParsedScene]:
    scenes: list[_ParsedScene] = []
    for block_start, block in _blocks(text):
        caption, background = "", ""
        rows: list[tuple[int, list[dict[str, Any]]]] = []
        for offset, line in enumerate(block):
            where = f"{source}: line {block_start + offset + 1}"
            if line.startswith("Caption:"):
                caption = line.removeprefix("Caption:").strip()
            elif line.startswith("Background keyword:"):
                background = line.removeprefix("Background keyword:").strip()
            elif match := FRAME_LINE.match(line):
                try:
                    items = ast.literal_eval(match.group(2).strip() or "[]")  # LVD writes Python literals
                except (ValueError, SyntaxError):
                    raise InputError(f"{where}: the frame is not a list of {{'id', 'name', 'box'}} items") from None
                if not isinstance(items, list) or not all(isinstance(i, dict) and {"name", "box"} <= set(i) for i in items):
                    raise InputError(f"{where}: each item needs 'name' and 'box' ([x, y, width, height])")
                rows.append((block_start + offset + 1, items))
        if not rows:
            continue
        scene = _ParsedScene(caption, background, LVD_SECONDS)
        for k, (line_no, items) in enumerate(rows):
            boxes: dict[str, Box] = {}
            names: dict[Any, str] = {}
            for item in items:
                box = item["box"]
                if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
                    raise InputError(f"{source}: line {line_no}: 'box' must be [x, y, width, height], got {box!r}")
                x, y, w, h = (float(v) / CANVAS for v in box)
                name = str(item["name"])
                key = item.get("id", name)
                names.setdefault(key, name if name not in boxes else f"{name} {key}")
                boxes[names[key]] = _box(x, y, x + w, y + h, f"{source}: line {line_no}")
            scene.frames.append((LVD_SECONDS * k / len(rows), boxes))
        scenes.append(scene)
    if not scenes:
        raise InputError(f"{source}: has no 'Frame N:' lines, so it is not LVD layout text")
    return scenes


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks of stripped lines, with the index of each block's first line."""
    blocks, current, start = [], [], 0
    for k, line in enumerate(text.splitlines()):
        if line.strip():
            if not current:
                start = k
            current.append(line.strip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


# -- VideoDirectorGPT ------------------------------------------------------------------------------------


def _export_vdgpt(board: Storyboard, frames: int) -> str:
    plan: dict[str, Any] = {"scenes": [], "consistency_groupings": {}}
    for k, scene in enumerate(board.scenes):
        layouts = []
        for j, t in enumerate(_sample_times(scene, frames)):
            boxes = [[_name(board, e), [round(b.x0, 4), round(b.y0, 4), round(b.x1, 4), round(b.y1, 4)]] for e, b in scene.layout_at(t).items()]
            layouts.append({"frame": j + 1, "boxes": boxes})
        plan["scenes"].append(
            {
                "scene": k + 1,
                "description": scene.description or scene.heading,
                "entities": [_name(board, e) for e in scene.entities],
                "background": scene.background,
                "duration": scene.duration,
                "layouts": layouts,
            }
        )
        for entity_id in scene.entities:
            plan["consistency_groupings"].setdefault(_name(board, entity_id), []).append(k + 1)
    return json.dumps(plan, indent=2) + "\n"


def _import_vdgpt(text: str, source: str) -> list[_ParsedScene]:
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("scenes"), list):
        raise InputError(f"{source}: a VideoDirectorGPT plan is an object with a 'scenes' list")
    scenes = []
    for k, item in enumerate(plan["scenes"]):
        where = f"{source}: scenes[{k}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: is not an object")
        duration = float(item.get("duration", LVD_SECONDS))
        if duration <= 0:
            raise InputError(f"{where}.duration must be above 0")
        scene = _ParsedScene(str(item.get("description", "")), str(item.get("background", "")), duration)
        layouts = item.get("layouts", [])
        for j, frame in enumerate(layouts):
            boxes = {}
            for entry in frame.get("boxes", []) if isinstance(frame, dict) else []:
                if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list) and len(entry[1]) == 4):
                    raise InputError(f"{where}.layouts[{j}]: each box is [name, [x0, y0, x1, y1]], got {entry!r}")
                boxes[str(entry[0])] = _box(*map(float, entry[1]), f"{where}.layouts[{j}]")
            scene.frames.append((duration * j / max(len(layouts), 1), boxes))
        scene.names = [str(n) for n in item.get("entities", [])]
        scenes.append(scene)
    return scenes


# -- VisorGPT ------------------------------------------------------------------------------------------------

VISOR_BOX = re.compile(r"\[\s*xmin\s*\$?(-?\d+(?:\.\d+)?)\s*ymin\s*\$?(-?\d+(?:\.\d+)?)\s*xmax\s*\$?(-?\d+(?:\.\d+)?)\s*ymax\s*\$?(-?\d+(?:\.\d+)?)\s*\]")


def _size_class(boxes: list[Box]) -> str:
    """COCO's size classes of the mean box area in canvas pixels, as VisorGPT's `get_size`."""
    area = sum(b.area for b in boxes) / max(len(boxes), 1) * CANVAS * CANVAS
    return "small" if area <= 32**2 else "medium" if area <= 96**2 else "large"


def _export_visor(board: Storyboard, frames: int) -> str:
    blocks = []
    for scene in board.scenes:
        lines = []
        for t in _sample_times(scene, frames):
            layout = scene.layout_at(t)
            names = [board.entity(e).category for e in layout]
            coords = " ".join(
                f"[ xmin ${round(b.x0 * CANVAS)} ymin ${round(b.y0 * CANVAS)} xmax ${round(b.x1 * CANVAS)} ymax ${round(b.y1 * CANVAS)}]"
                for b in layout.values()
            )
            lines.append(f"box; multiple instances; {len(layout)}; 0; {_size_class(list(layout.values()))}; {', '.join(names)}; {coords}".rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _import_visor(text: str, source: str) -> list[_ParsedScene]:
    scenes = []
    for block_start, block in _blocks(text):
        scene = _ParsedScene("", "", LVD_SECONDS)
        for offset, line in enumerate(block):
            where = f"{source}: line {block_start + offset + 1}"
            fields = [f.strip() for f in line.split(";")]
            if len(fields) < 7 or fields[0].lower() != "box":
                raise InputError(f"{where}: a VisorGPT box line is 'box; multiple instances; N; 0; SIZE; names; [ xmin $.. ymin $.. xmax $.. ymax $..] ...'")
            try:
                count = int(fields[2])
            except ValueError:
                raise InputError(f"{where}: the instance count {fields[2]!r} is not a number") from None
            names = [n.strip() for n in fields[5].split(",") if n.strip()]
            coords = VISOR_BOX.findall(";".join(fields[6:]))
            if not (count == len(names) == len(coords)):
                raise InputError(f"{where}: says {count} instances but names {len(names)} and gives {len(coords)} boxes")
            boxes: dict[str, Box] = {}
            seen: dict[str, int] = {}
            for name, values in zip(names, coords, strict=True):
                seen[name] = seen.get(name, 0) + 1
                label = name if seen[name] == 1 else f"{name} {seen[name]}"  # the k-th cat is the same cat in every frame
                x0, y0, x1, y1 = (float(v) / CANVAS for v in values)
                boxes[label] = _box(x0, y0, x1, y1, where)
            scene.frames.append((offset, boxes))
        n = len(scene.frames)
        scene.frames = [(LVD_SECONDS * k / n, boxes) for k, (_, boxes) in enumerate(scene.frames)]
        scenes.append(scene)
    return scenes
