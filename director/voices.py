"""Scratch voices: every dialogue line spoken offline, one distinct voice per character, mixed into one track.

    scratch = prepare_scratch_voices(board)      # speaks every line; retimes scenes so no line is cut off
    result = director.render(scratch.board, "out/kite.mp4")
    add_scratch_audio("out/kite.mp4", scratch, result.storyboard)   # AAC track at the lines' times

The engine is eSpeak NG (Debian's `espeak-ng`), formant synthesis with no
model files: it runs anywhere, instantly, and sounds like what it is, a
placeholder for the edit. Each speaker gets a voice of their own: an English
voice variant (male, female, old, young ...) with its own pitch and speed,
chosen by the order in which the cast first speaks (a narrator, with no
speaker, has a voice too), so the same storyboard always casts the same voices.

Timing: a spoken line often lasts longer than its slot in the storyboard.
`fit_dialogue` moves and stretches slots (and lengthens a scene when its last
line runs past its end) so every line is heard in full and no two lines of a
scene talk over each other; each change is reported in `ScratchVoices.notes`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from director.errors import InputError
from director.storyboard import Storyboard

SAMPLE_RATE = 22050  # what espeak-ng writes
PAUSE = 0.15  # seconds of breath after a line before the next may start
TAIL = 0.25  # seconds a scene keeps after a line that made it longer


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice: a language with a variant, its pitch (0-99) and its speed (words per minute)."""

    variant: str
    pitch: int
    speed: int

    @property
    def name(self) -> str:
        return f"{self.variant} pitch {self.pitch} speed {self.speed}"


# Distinct voices, most distinct first: alternating men's and women's variants, pitches far apart.
VOICES: tuple[Voice, ...] = (
    Voice("en-us+m3", 35, 160),
    Voice("en-us+f3", 70, 170),
    Voice("en-gb+m7", 55, 150),
    Voice("en-us+f5", 85, 180),
    Voice("en-gb+m1", 20, 140),
    Voice("en-us+f2", 60, 155),
    Voice("en-gb+croak", 40, 135),
    Voice("en-us+m5", 65, 175),
)


@dataclass
class ScratchVoices:
    board: Storyboard  # retimed so every line fits its slot
    voices: dict[str | None, Voice]  # speaker id (None: narrator) -> voice
    lines: dict[tuple[str, int], np.ndarray]  # (scene id, line index in the retimed board) -> samples, float32 mono
    notes: list[str] = field(default_factory=list)
    sample_rate: int = SAMPLE_RATE


def espeak_executable() -> str:
    found = shutil.which("espeak-ng") or shutil.which("espeak")
    if found is None:
        raise InputError("scratch voices need eSpeak NG, which is not installed: apt-get install espeak-ng (or use --audio none)")
    return found


def cast_voices(board: Storyboard) -> dict[str | None, Voice]:
    """A voice per speaker, in the order they first speak; more speakers than voices reuse them at other pitches."""
    speakers: list[str | None] = []
    for scene in board.scenes:
        for line in sorted(scene.dialogue, key=lambda line: line.start):
            if line.speaker not in speakers:
                speakers.append(line.speaker)
    voices = {}
    for k, speaker in enumerate(speakers):
        base = VOICES[k % len(VOICES)]
        round_ = k // len(VOICES)
        voices[speaker] = Voice(base.variant, (base.pitch + 13 * round_) % 100, base.speed + 10 * round_)
    return voices


def speak(text: str, voice: Voice) -> np.ndarray:
    """`text` spoken by `voice`: float32 samples in [-1, 1] at SAMPLE_RATE, leading silence trimmed."""
    fd, name = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        done = subprocess.run(
            [espeak_executable(), "-v", voice.variant, "-p", str(voice.pitch), "-s", str(voice.speed), "-w", name, "--", text],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise InputError(f"espeak-ng could not speak {text[:40]!r} with {voice.name}: {done.stderr.strip()}")
        samples = read_wav(Path(name))
    finally:
        os.unlink(name)
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[loud[0]: loud[-1] + 1] if loud.size else samples


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2:
            raise InputError(f"{path}: expected 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        if w.getnchannels() > 1:
            data = data.reshape(-1, w.getnchannels()).mean(axis=1)
        if w.getframerate() != SAMPLE_RATE:
            raise InputError(f"{path}: expected {SAMPLE_RATE} Hz, got {w.getframerate()}")
    return data


def fit_dialogue(board: Storyboard, seconds: dict[tuple[str, int], float]) -> tuple[Storyboard, list[str]]:
    """Move and stretch dialogue slots so each line's speech (`seconds`, keyed by scene id and line index)
    fits in it, in order, without overlap; lengthen scenes whose last line runs past their end."""
    notes: list[str] = []
    scenes = []
    for scene in board.scenes:
        order = sorted(range(len(scene.dialogue)), key=lambda k: scene.dialogue[k].start)
        lines = list(scene.dialogue)
        cursor = 0.0
        for k in order:
            line = lines[k]
            need = seconds[(scene.id, k)] + PAUSE
            start = max(line.start, cursor)
            end = max(line.end, start + need)
            if start != line.start or end != line.end:
                if start != line.start:
                    notes.append(f"{scene.id}: {line.text[:30]!r} starts at {start:.2f} s, after the line before it ends (was {line.start:.2f} s)")
                if end - start > line.end - line.start:
                    notes.append(f"{scene.id}: {line.text[:30]!r} is {seconds[(scene.id, k)]:.2f} s of speech; its slot grows "
                                 f"from {line.end - line.start:.2f} s to {end - start:.2f} s")
                lines[k] = line.model_copy(update={"start": round(start, 4), "end": round(end, 4)})
            cursor = end
        duration = scene.duration
        if cursor > duration:
            duration = round(cursor + TAIL, 4)
            notes.append(f"{scene.id}: lasts {duration:.2f} s instead of {scene.duration:.2f} s, so its last line is heard in full")
        scenes.append(scene.model_copy(update={"dialogue": lines, "duration": duration}))
    return board.model_copy(update={"scenes": scenes}).revalidated(), notes


def prepare_scratch_voices(board: Storyboard) -> ScratchVoices:
    """Speak every line of `board` and retime it so each is heard in full."""
    espeak_executable()
    voices = cast_voices(board)
    spoken = {
        (scene.id, k): speak(line.text, voices[line.speaker])
        for scene in board.scenes
        for k, line in enumerate(scene.dialogue)
    }
    fitted, notes = fit_dialogue(board, {key: len(s) / SAMPLE_RATE for key, s in spoken.items()})
    return ScratchVoices(fitted, voices, spoken, notes)


def mix_dialogue(scratch: ScratchVoices, board: Storyboard) -> np.ndarray:
    """One mono track as long as `board`'s movie, each line's speech starting at its movie time."""
    from director.assemble import movie_timeline

    timeline = movie_timeline(board)
    rate = scratch.sample_rate
    track = np.zeros(round(timeline.duration * rate) + 1, dtype=np.float32)
    for scene, start in zip(board.scenes, timeline.starts, strict=True):
        for k, line in enumerate(scene.dialogue):
            samples = scratch.lines.get((scene.id, k))
            if samples is None:
                raise InputError(f"{scene.id}: line {k} ({line.text[:30]!r}) was not spoken; prepare the voices from this storyboard")
            at = round((start / board.fps + line.start) * rate)
            end = min(len(track), at + len(samples))
            track[at:end] += samples[: end - at]
    peak = float(np.abs(track).max()) if track.size else 0.0
    return track / peak * 0.89 if peak > 0.89 else track  # no clipping where lines of two scenes meet in a crossfade


def add_scratch_audio(movie: str | os.PathLike[str], scratch: ScratchVoices, board: Storyboard) -> Path:
    """Mix the spoken lines at their times in `board` (the storyboard the movie was rendered from) into the
    movie's audio track (AAC)."""
    from director.assemble import add_audio_track

    return add_audio_track(movie, mix_dialogue(scratch, board), scratch.sample_rate)
