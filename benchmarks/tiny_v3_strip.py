"""A strip of one storyboard drawn by several renderers: a row per movie, a frame per scene (its middle, or with
`--shot-size medium` the middle of its first medium shot).

    director make examples/the_kite.fountain -o v2.mp4 --planner rules --renderer tiny
    director make examples/the_kite.fountain -o v3.mp4 --planner rules --renderer tiny-v3
    python benchmarks/tiny_v3_strip.py --storyboard v2.storyboard.json --movie "tiny (v2)=v2.mp4" \\
        --movie "tiny-v3=v3.mp4" -o examples/the_kite.v2_v3.png

The README's v2/v3 picture is made this way. Each row is labelled with the name before `=`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from moviepy import VideoFileClip
from PIL import Image, ImageDraw, ImageFont

LABEL = 22  # pixels of label band above each row


def scene_middles(storyboard: dict, shot_size: str | None = None) -> list[float]:
    """Seconds into the movie of each scene's middle (scenes follow each other; a transition only blends edges),
    or of the middle of its first shot of `shot_size`, where it has one."""
    middles, start = [], 0.0
    for scene in storyboard["scenes"]:
        shots = [shot for shot in scene.get("shots", []) if shot.get("size") == shot_size]
        middle = (shots[0]["start"] + shots[0]["end"]) / 2 if shots else scene["duration"] / 2
        middles.append(start + middle)
        start += scene["duration"]
    return middles


def strip(storyboard: dict, movies: list[tuple[str, Path]], width: int = 256, shot_size: str | None = None) -> Image.Image:
    times = scene_middles(storyboard, shot_size)
    rows = []
    font = ImageFont.load_default(size=14)
    for label, path in movies:
        with VideoFileClip(str(path)) as clip:
            frames = [clip.get_frame(min(t, clip.duration - 1 / clip.fps)) for t in times]
        height = round(width * frames[0].shape[0] / frames[0].shape[1])
        cells = [np.asarray(Image.fromarray(f.astype(np.uint8)).resize((width, height), Image.Resampling.LANCZOS)) for f in frames]
        row = Image.new("RGB", (width * len(cells), height + LABEL), "white")
        row.paste(Image.fromarray(np.concatenate(cells, axis=1)), (0, LABEL))
        ImageDraw.Draw(row).text((4, 3), label, fill="black", font=font)
        rows.append(row)
    sheet = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storyboard", type=Path, required=True, help="the storyboard JSON the movies were made from")
    parser.add_argument("--movie", action="append", required=True, help="LABEL=MOVIE.mp4, one row each, in order")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--width", type=int, default=256, help="pixels per frame in the strip")
    parser.add_argument("--shot-size", help="a frame from the middle of each scene's first shot of this size (e.g. medium), "
                        "where it has one; otherwise the scene's middle")
    args = parser.parse_args()
    movies = []
    for item in args.movie:
        label, sep, path = item.partition("=")
        if not sep or not Path(path).is_file():
            parser.error(f"--movie {item!r}: expected LABEL=PATH to an existing movie")
        movies.append((label, Path(path)))
    strip(json.loads(args.storyboard.read_text()), movies, args.width, args.shot_size).save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
