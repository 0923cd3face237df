"""Scratch voices: lines spoken by eSpeak NG, one voice per character, heard in full at their times in the MP4."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from director.api import Director
from director.assemble import movie_timeline
from director.errors import InputError
from director.cli import app
from director.media_probe import ffmpeg_exe, probe_media
from director.storyboard import DialogueLine, Entity, Scene, Storyboard, Transition
from director.voices import cast_voices, fit_dialogue, prepare_scratch_voices

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
runner = CliRunner()


def talking_board() -> Storyboard:
    """Three speakers and a narrator over three scenes; one line far too long for its slot."""
    cast = [Entity(id=n, name=n.title(), category="person") for n in ("nora", "ivan", "kai")]
    return Storyboard(
        title="Talk",
        fps=12,
        width=64,
        height=36,
        entities=cast,
        scenes=[
            Scene(id="scene_1", duration=4.0, entities=["nora", "ivan"], transition=Transition(kind="crossfade", duration=0.5),
                  dialogue=[DialogueLine(speaker="nora", text="Where were you?", start=0.5, end=1.5),
                            DialogueLine(speaker="ivan", text="Out.", start=2.5, end=3.0)]),
            Scene(id="scene_2", duration=3.0, entities=["kai"],
                  dialogue=[DialogueLine(speaker="kai", text="Nobody leaves this town before the storm has passed, not tonight.",
                                         start=1.0, end=2.0)]),
            Scene(id="scene_3", duration=3.0,
                  dialogue=[DialogueLine(speaker=None, text="Years later.", start=0.8, end=1.8)]),
        ],
    )


def test_every_speaker_gets_a_voice_of_their_own():
    voices = cast_voices(talking_board())
    assert list(voices) == ["nora", "ivan", "kai", None]
    assert len({(v.variant, v.pitch) for v in voices.values()}) == 4


def test_a_line_longer_than_its_slot_grows_it_and_its_scene():
    board = talking_board()
    fitted, notes = fit_dialogue(board, {("scene_1", 0): 0.8, ("scene_1", 1): 0.3, ("scene_2", 0): 4.6, ("scene_3", 0): 0.7})
    line = fitted.scenes[1].dialogue[0]
    assert line.start == 1.0 and line.end - line.start >= 4.6
    assert fitted.scenes[1].duration >= line.end and fitted.scenes[1].duration > board.scenes[1].duration
    assert fitted.scenes[0] == board.scenes[0]  # lines that fit are left alone
    assert any("scene_2" in n and "lasts" in n for n in notes)


def test_lines_of_a_scene_never_talk_over_each_other():
    board = talking_board()
    fitted, _ = fit_dialogue(board, {("scene_1", 0): 2.5, ("scene_1", 1): 0.3, ("scene_2", 0): 1.0, ("scene_3", 0): 0.7})
    first, second = fitted.scenes[0].dialogue
    assert second.start >= first.end


def decoded_audio(movie: Path, rate: int = 8000) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(movie), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


@needs_espeak
def test_render_with_scratch_audio_speaks_every_line_in_its_span(tmp_path):
    talking_board().save(tmp_path / "talk.json")
    movie = tmp_path / "talk.mp4"
    result = runner.invoke(app, ["render", str(tmp_path / "talk.json"), "-o", str(movie), "--renderer", "animatic",
                                 "--audio", "scratch", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    info = probe_media(movie)
    assert info.audio_codec == "aac"
    assert abs(info.audio_duration - info.duration) < 0.1
    board = Storyboard.load(tmp_path / "talk.storyboard.json")  # the retimed storyboard, saved beside the movie
    assert board.scenes[1].duration > 3.0
    assert_every_line_heard_in_its_span(movie, board)


def assert_every_line_heard_in_its_span(movie: Path, board: Storyboard) -> None:
    """RMS above silence in each line's span of the movie's audio, near silence everywhere else."""
    rate = 8000
    audio = decoded_audio(movie, rate)
    timeline = movie_timeline(board)
    spoken = np.zeros(audio.size, dtype=bool)
    for scene, start in zip(board.scenes, timeline.starts, strict=True):
        for line in scene.dialogue:
            a, b = (round((start / board.fps + t) * rate) for t in (line.start, line.end))
            assert rms(audio[a:b]) > 0.02, f"{line.text!r} is not heard in its span"
            spoken[a:b] = True
    assert rms(audio[~spoken]) < 0.005  # near silence between the lines


@needs_espeak
def test_scratch_voices_do_not_cut_a_long_line_short():
    scratch = prepare_scratch_voices(talking_board())
    for scene in scratch.board.scenes:
        for k, line in enumerate(scene.dialogue):
            assert line.end - line.start >= len(scratch.lines[(scene.id, k)]) / scratch.sample_rate


def test_scratch_audio_without_espeak_is_a_clear_error(tmp_path, monkeypatch):
    import director.voices

    monkeypatch.setattr(director.voices.shutil, "which", lambda name: None)
    talking_board().save(tmp_path / "talk.json")
    result = runner.invoke(app, ["render", str(tmp_path / "talk.json"), "-o", str(tmp_path / "talk.mp4"), "--renderer", "animatic",
                                 "--audio", "scratch", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 2 and "apt-get install espeak-ng" in result.output
    assert not (tmp_path / "talk.mp4").exists()
    result = runner.invoke(app, ["render", str(tmp_path / "talk.json"), "-o", str(tmp_path / "talk.mp4"), "--audio", "loud"])
    assert result.exit_code == 2 and "use none or scratch" in result.output


@needs_espeak
def test_the_scratch_audio_goes_into_the_timeline_as_one_clip_per_line(tmp_path):
    import opentimelineio as otio

    from director.edit_timeline import export_timeline

    talking_board().save(tmp_path / "talk.json")
    movie = tmp_path / "talk.mp4"
    result = runner.invoke(app, ["render", str(tmp_path / "talk.json"), "-o", str(movie), "--renderer", "animatic",
                                 "--audio", "scratch", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    board = Storyboard.load(tmp_path / "talk.storyboard.json")
    lines = [(f"{board.entity(l.speaker).name}: {l.text}" if l.speaker else l.text) for s in board.scenes for l in s.dialogue]
    for format, suffix in (("otio", ".otio"), ("fcp7xml", ".xml"), ("fcpxml", ".fcpxml")):
        report = export_timeline(board, tmp_path / f"talk{suffix}", format, movie=movie)
        assert not any("audio" in d for d in report.dropped), (format, report.dropped)
        back = otio.adapters.read_from_file(str(report.path))
        audio = [c for track in back.audio_tracks() for c in track.find_clips()]
        assert [c.name for c in audio] == lines, format
        timeline = movie_timeline(board)
        starts = [timeline.starts[i] / board.fps + l.start for i, s in enumerate(board.scenes) for l in s.dialogue]
        placed = [back.audio_tracks()[0].range_of_child(c).start_time.to_seconds() for c in audio]
        assert all(abs(p - t) <= 0.5 / board.fps + 1e-6 for p, t in zip(placed, starts, strict=True)), (placed, starts)  # to the frame


@needs_espeak
def test_the_python_api_speaks_the_lines_like_the_cli(tmp_path):
    movie = tmp_path / "talk.mp4"
    result = Director(planner="rules", renderer="animatic", cache_dir=tmp_path / "cache", audio="scratch").render(
        talking_board(), movie, state=False)
    info = probe_media(movie)
    assert info.audio_codec == "aac" and abs(info.audio_duration - info.duration) < 0.1
    assert result.storyboard.scenes[1].duration > 3.0  # retimed so Kai's long line is heard in full
    assert Storyboard.load(tmp_path / "talk.storyboard.json") == result.storyboard
    assert list(result.scratch.voices) == ["nora", "ivan", "kai", None]
    assert any("scene_2" in note for note in result.scratch.notes)
    assert_every_line_heard_in_its_span(movie, result.storyboard)


def test_the_python_api_without_audio_makes_a_silent_movie_timed_as_the_storyboard(tmp_path):
    result = Director(planner="rules", renderer="animatic", cache_dir=tmp_path / "cache").render(
        talking_board(), tmp_path / "talk.mp4", state=False)
    assert result.scratch is None and probe_media(result.movie).audio_codec is None
    assert result.storyboard == talking_board().revalidated()


def test_the_python_api_refuses_an_unknown_audio_mode_and_a_missing_espeak(tmp_path, monkeypatch):
    import director.voices

    with pytest.raises(InputError, match="use none or scratch"):
        Director(renderer="animatic", audio="loud")
    monkeypatch.setattr(director.voices.shutil, "which", lambda name: None)
    director = Director(planner="rules", renderer="animatic", cache_dir=tmp_path / "cache", audio="scratch")
    with pytest.raises(InputError, match="apt-get install espeak-ng"):
        director.render(talking_board(), tmp_path / "talk.mp4")
    assert list(tmp_path.iterdir()) == []  # nothing rendered, no state file, no cache
