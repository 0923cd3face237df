"""Reading an LVD layout answer (the text its LLM writes) into the `Video` its rules score.

Rebuilt from `get_parsed_layout_text_resp` in `utils/llm.py` (as the evaluation calls it
on a cached answer: one pass, no retries), `parsed_layout_to_condition` in
`utils/parse.py` and the required lines of `prompt.py` (template v0.1) of
TonyLianLong/LLM-groundedVideoDiffusion at commit 22d90d2994ac3a938367383a11a5608f7fe73147.

The answer is free text holding, in this order, ``Frame 1:`` .. ``Frame 6:`` and
``Background keyword:``. As LVD reads it:

1. Keep what follows the first ``Frame 1:`` (up to a second ``Frame 1:``, if any;
   with no ``Frame 1:`` at all, the whole answer).
2. Each frame's content is the text up to the next required line, stripped of spaces,
   tabs, newlines and backticks; a trailing `` - comment`` is cut, a leading ``-``
   dropped; the rest is a Python literal (a list of ``{'id', 'name', 'box'}`` dicts;
   ``keyword`` stands in for a missing ``name``). The background is the rest.
3. A required line that is missing, or a frame that is not a literal, makes the
   answer unreadable (LVD's evaluation stops there; we report it as invalid).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from benchmarks.lvd.rules import FRAMES, Track, Video, resample

CANVAS = 512  # LVD's layouts are in pixels of a 512x512 frame (`utils/parse.py`: size)
REQUIRED_LINES = [f"Frame {k + 1}:" for k in range(FRAMES)] + ["Background keyword:"]
STRIP = " \t\n`"


class AnswerError(ValueError):
    """An answer LVD's parser cannot read (it would stop the evaluation)."""


def read_answer(text: str) -> tuple[list[list[dict[str, Any]]], str]:
    """The six frames (lists of object dicts) and the background keyword of one answer."""
    rest = text.split(REQUIRED_LINES[0])[1] if REQUIRED_LINES[0] in text else text
    frames: list[list[dict[str, Any]]] = []
    for k in range(FRAMES):
        following = REQUIRED_LINES[k + 1]
        end = rest.find(following)
        if end < 0:
            raise AnswerError(f"no {following!r} after {REQUIRED_LINES[k]!r}")
        content = rest[:end].strip(STRIP).split(" - ")[0].strip()  # LLMs add ' - comments'
        if content.startswith("-"):  # ... or write the frame as a '- ' list item
            content = content[1:].strip()
        try:
            frame = ast.literal_eval(content)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as e:
            raise AnswerError(f"{REQUIRED_LINES[k]} is not a Python literal ({type(e).__name__}): {content[:80]!r}") from None
        frames.append(frame)
        rest = rest[end + len(following) :]
    return frames, rest.strip(STRIP)


def _xyxy(box: Any, where: str) -> tuple[float, float, float, float]:
    """LVD's `convert_box`: [x, y, w, h] in canvas pixels -> (x_min, y_min, x_max, y_max) in 0-1."""
    try:
        x, y, w, h = (float(box[i]) / CANVAS for i in range(4))
    except (TypeError, ValueError, IndexError, KeyError):
        raise AnswerError(f"{where}: 'box' must be [x, y, width, height], got {box!r}") from None
    return x, y, x + w, y + h


def to_video(frames: list[list[dict[str, Any]]]) -> Video:
    """LVD's `parsed_layout_to_condition` (strip_phrases=True) followed by its six-to-six resampling."""
    phrases: dict[Any, str] = {}
    boxes: dict[Any, dict[int, tuple[float, float, float, float]]] = {}
    for k, frame in enumerate(frames):
        if not isinstance(frame, (list, tuple)):
            raise AnswerError(f"Frame {k + 1}: is not a list of objects, got {type(frame).__name__}")
        for item in frame:
            where = f"Frame {k + 1}"
            if not isinstance(item, dict) or "id" not in item or "box" not in item or not ({"name", "keyword"} & set(item)):
                raise AnswerError(f"{where}: each object needs 'id', 'name' (or 'keyword') and 'box', got {item!r}")
            try:
                object_id = item["id"]
                first_time = object_id not in phrases
            except TypeError:
                raise AnswerError(f"{where}: an 'id' must be a plain value, got {item['id']!r}") from None
            if first_time:
                phrases[object_id] = str(item["name"] if "name" in item else item["keyword"])  # the name at first appearance
                boxes[object_id] = {}
            boxes[object_id][k] = _xyxy(item["box"], where)
    tracks = tuple(Track(phrases[i].strip("1234567890 "), resample(boxes[i])) for i in phrases)
    return Video(tracks)


def answer_to_video(text: str) -> Video:
    """One answer text, read and resampled as LVD's stage-1 evaluation does."""
    frames, _background = read_answer(text)
    return to_video(frames)


def replay_cache(cache: dict[str, list[str]], prompts: Iterable[str]) -> list[str | None]:
    """LVD's cached answers for `prompts` in order: the n-th time a prompt comes, its n-th answer (`utils/cache.py`).

    `cache` is one of LVD's `cache/cache_lvd_v0.1_<model>.json` files, read (prompt -> answers in the order
    they were asked). None where the cache has no answer left for that prompt (LVD would ask the model again).
    """
    if not isinstance(cache, dict) or not all(isinstance(v, list) for v in cache.values()):
        raise AnswerError("an LVD answer cache is a JSON object of prompt -> list of answers")
    used: dict[str, int] = {}
    answers: list[str | None] = []
    for prompt in prompts:
        n = used.get(prompt, 0)
        values = cache.get(prompt, [])
        answers.append(values[n] if n < len(values) else None)
        used[prompt] = n + 1
    return answers
