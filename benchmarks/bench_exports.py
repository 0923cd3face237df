"""Out to the editing room, measured on the bundled 5-scene screenplay (examples/the_kite.fountain, rules planner).

    python benchmarks/bench_exports.py                      # animatic renderer
    python benchmarks/bench_exports.py --renderer tiny      # the embedded diffusion renderer

1. Cost of scratch voices: `director make` cold (fresh cache) with `--audio none`, then with `--audio scratch`;
   and the voices' own time (speaking every line, mixing, muxing the AAC track) measured in-process.
2. Audibility: the scratch movie's audio decoded back; RMS (dBFS) inside each line's span, and outside all spans.
3. Timelines: every format exported with the movie; OTIO's adapters read each back (clips, names, durations,
   subtitle clips at the lines' times), what each says it dropped; the .otio imported back and compared with the storyboard field by field;
   the MLT export played by melt, its frame count against the movie's.

Prints markdown tables for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make(script: Path, out: Path, cache: Path, renderer: str, audio: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "director.cli", "make", str(script), "-o", str(out), "--cache-dir", str(cache),
         "--planner", "rules", "--renderer", renderer, "--audio", audio],
        check=True, capture_output=True, cwd=ROOT,
    )
    return time.perf_counter() - started


def field_differences(a: object, b: object, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b)) for d in field_differences(a.get(key), b.get(key), f"{where}.{key}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for k, (x, y) in enumerate(zip(a, b)) for d in field_differences(x, y, f"{where}[{k}]")]
    return [] if a == b else [where]


def count_fields(value: object) -> int:
    if isinstance(value, dict):
        return sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value) or 1
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderer", default="animatic")
    args = parser.parse_args()
    import opentimelineio as otio

    from director.assemble import movie_timeline
    from director.edit_timeline import TIMELINE_FORMATS, export_timeline, import_timeline, shot_spans
    from director.media_probe import ffmpeg_exe, probe_media
    from director.storyboard import Storyboard
    from director.voices import add_scratch_audio, prepare_scratch_voices

    script = ROOT / "examples" / "the_kite.fountain"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        silent = make(script, tmp / "silent.mp4", tmp / "cache_a", args.renderer, "none")
        voiced = make(script, tmp / "kite.mp4", tmp / "cache_b", args.renderer, "scratch")
        board = Storyboard.load(tmp / "kite.storyboard.json")
        started = time.perf_counter()
        scratch = prepare_scratch_voices(board)
        spoken = time.perf_counter() - started
        shutil.copy(tmp / "kite.mp4", tmp / "again.mp4")
        started = time.perf_counter()
        add_scratch_audio(tmp / "again.mp4", scratch, board)
        muxed = time.perf_counter() - started
        lines = sum(len(s.dialogue) for s in board.scenes)
        print(f"### Cost of scratch voices ({args.renderer} renderer)\n")
        print("| make --audio none s | make --audio scratch s | difference | speak all lines s | mix + mux AAC s | lines |")
        print("|---|---|---|---|---|---|")
        print(f"| {silent:.2f} | {voiced:.2f} | {(voiced - silent) / silent:+.1%} | {spoken:.2f} | {muxed:.2f} | {lines} |\n")

        movie = tmp / "kite.mp4"
        info = probe_media(movie)
        rate = 8000
        raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(movie), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                             capture_output=True, check=True).stdout
        audio = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        timeline = movie_timeline(board)
        inside = np.zeros(audio.size, dtype=bool)

        def dbfs(x: np.ndarray) -> float:
            return 20 * np.log10(max(float(np.sqrt(np.mean(x**2))) if x.size else 0.0, 1e-6))

        print("### Scratch audio: every line heard in its span\n")
        print(f"Movie {info.duration:.2f} s, audio stream {info.audio_codec} {info.audio_duration:.2f} s.\n")
        print("| scene | line | span s (movie) | RMS in span dBFS |")
        print("|---|---|---|---|")
        for scene, start in zip(board.scenes, timeline.starts, strict=True):
            for line in scene.dialogue:
                a, b = (start / board.fps + t for t in (line.start, line.end))
                i, j = round(a * rate), round(b * rate)
                inside[i:j] = True
                print(f"| {scene.id} | {line.text[:32]} | {a:.2f}-{b:.2f} | {dbfs(audio[i:j]):.1f} |")
        print(f"| all | outside every line's span | {(~inside).sum() / rate:.1f} s | {dbfs(audio[~inside]):.1f} |\n")

        print("### Timelines: read back by OTIO's own adapters\n")
        print("| format | clips read back | names and durations equal | subtitles read back (at their times) | what the command says it dropped |")
        print("|---|---|---|---|---|")
        want = [(timeline.starts[i] / board.fps + line.start) for i, s in enumerate(board.scenes) for line in s.dialogue]
        spans = shot_spans(board)
        for format, (adapter, suffix) in TIMELINE_FORMATS.items():
            shots = tmp / "shots" if format == "kdenlive" else None
            report = export_timeline(board, tmp / f"kite{suffix}", format, movie=movie, shot_dir=shots)
            if format == "mlt":
                played = tmp / "melt.mp4"
                if shutil.which("melt"):
                    subprocess.run(["melt", "-quiet", str(report.path), "-consumer", f"avformat:{played}", "vcodec=libx264"], check=True, capture_output=True, stdin=subprocess.DEVNULL)
                    got = probe_media(played)
                    print(f"| mlt | (write only) played by melt: {got.frames} frames at {got.fps:g} fps, the movie has {info.frames} | "
                          f"{'yes' if got.frames == info.frames else 'no'} | - | {'; '.join(report.dropped)} |")
                continue
            with contextlib.redirect_stdout(io.StringIO()):  # the kdenlive adapter prints a deprecation notice
                back = otio.adapters.read_from_file(str(report.path), adapter_name=adapter)
            clips = list(back.video_tracks()[0].find_clips())
            same = [c.name for c in clips] == [f"{s.id}.shot_1.wide" for s in board.scenes] and [
                round(c.duration().to_seconds() * board.fps) for c in clips] == [s.frames for s in spans]
            titles = [track.range_of_child(c).start_time.to_seconds() for track in back.video_tracks()[1:] for c in track.find_clips()]
            on_time = len(titles) == len(want) and all(abs(a - b) <= 0.5 / board.fps + 1e-9 for a, b in zip(titles, want, strict=True))
            dropped = "; ".join(report.dropped) or "nothing"
            print(f"| {format}{' (per-shot files)' if shots else ''} | {len(clips)} | {'yes' if same else 'no'} | "
                  f"{len(titles)} of {len(want)}{' (yes)' if on_time else ''} | {dropped} |")
        again, _ = import_timeline(tmp / "kite.otio")
        original = board.model_dump(mode="json")
        lost = field_differences(original, again.model_dump(mode="json"))
        print(f"\nOTIO round trip: {count_fields(original)} storyboard fields compared, {len(lost)} differ{': ' + ', '.join(lost) if lost else ''}.")


if __name__ == "__main__":
    main()
