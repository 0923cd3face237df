"""Timelines for editors: OpenTimelineIO files, and EDL / FCP XML / Kdenlive / MLT through OTIO's adapters,
read back by those adapters and played by a real editing engine (MLT's melt)."""

from __future__ import annotations

import shutil
import subprocess
from xml.etree import ElementTree
from pathlib import Path

import opentimelineio as otio
import pytest
from typer.testing import CliRunner

from director.api import Director
from director.cli import app
from director.edit_timeline import TIMELINE_FORMATS, export_timeline, import_timeline, shot_spans, shots_of
from director.media_probe import probe_media
from director.storyboard import Storyboard
from planners.rules import RulesPlanner
from tests.conftest import EXAMPLES

runner = CliRunner()


def kite_board() -> Storyboard:
    """The bundled screenplay, planned without a model and without coverage (one wide shot a scene; `shot_board`
    cuts it): 5 scenes, a cut, a crossfade, fades to black, dialogue."""
    from director.planner import PlanOptions
    from director.script import read_script

    board = RulesPlanner(coverage="none").plan(read_script(EXAMPLES / "the_kite.fountain"), PlanOptions(width=64, height=36, fps=12))
    assert len(board.scenes) == 5
    return board


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Storyboard, Path]:
    folder = tmp_path_factory.mktemp("kite")
    board = kite_board()
    director = Director(planner="rules", renderer="animatic", cache_dir=folder / "cache")
    director.render(board, folder / "kite.mp4", state=False)
    return board, folder / "kite.mp4"


def field_differences(a: object, b: object, where: str = "") -> list[str]:
    """Every field where two JSON-like values differ, by path."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b)) for d in field_differences(a.get(key), b.get(key), f"{where}.{key}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for k, (x, y) in enumerate(zip(a, b)) for d in field_differences(x, y, f"{where}[{k}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def test_a_scene_that_lists_no_shots_is_one_shot_spanning_it():
    board = kite_board()
    for scene in board.scenes:
        assert [(s.start, s.end) for s in shots_of(scene)] == [(0.0, scene.duration)]


def test_clips_tile_the_movie_frame_for_frame(rendered):
    board, movie = rendered
    spans = shot_spans(board)
    assert spans[0].movie_start == 0
    for before, after in zip(spans, spans[1:]):
        assert before.movie_start + before.frames == after.movie_start  # no gap, no overlap on the track
    assert spans[-1].movie_start + spans[-1].frames == probe_media(movie).frames
    crossfade = board.scenes[1].transition
    assert spans[1].handle == round(crossfade.duration * board.fps)  # the dissolve's frames are the next clip's


def test_otio_round_trip_loses_no_field(rendered, tmp_path):
    board, movie = rendered
    report = export_timeline(board, tmp_path / "kite.otio", movie=movie)
    assert report.dropped == [] and report.clips == 5
    again, notes = import_timeline(tmp_path / "kite.otio")
    assert notes == []
    assert field_differences(board.model_dump(mode="json"), again.model_dump(mode="json")) == []


def test_otio_file_holds_clips_markers_transitions_and_media(rendered, tmp_path):
    board, movie = rendered
    export_timeline(board, tmp_path / "kite.otio", movie=movie)
    timeline = otio.adapters.read_from_file(str(tmp_path / "kite.otio"))
    track = timeline.video_tracks()[0]
    clips = list(track.find_clips())
    assert [c.name for c in clips] == [f"{s.id}.shot_1.wide" for s in board.scenes]
    assert all(c.media_reference.target_url == movie.resolve().as_uri() for c in clips)
    assert [m.name for c in clips for m in c.markers][0] == "Mira: " + board.scenes[0].dialogue[0].text
    transitions = [item for item in track if isinstance(item, otio.schema.Transition)]
    kinds = [s.transition.kind for s in board.scenes[:-1] if s.transition.kind != "cut"]
    assert [t.name for t in transitions] == kinds
    # Durations at the movie's rate, and the whole track as long as the movie.
    assert track.duration().rate == 12 and round(track.duration().to_frames()) == probe_media(movie).frames


@pytest.mark.parametrize("format", [f for f in TIMELINE_FORMATS if f not in ("otio", "mlt")])
def test_otio_adapters_read_every_export_back_with_the_same_clips(rendered, tmp_path, format):
    board, movie = rendered
    shots = tmp_path / "shots" if format == "kdenlive" else None  # Kdenlive names a clip after its media file
    report = export_timeline(board, tmp_path / f"kite{TIMELINE_FORMATS[format][1]}", format, movie=movie, shot_dir=shots)
    back = otio.adapters.read_from_file(str(report.path), adapter_name=TIMELINE_FORMATS[format][0])
    clips = list(back.video_tracks()[0].find_clips())
    spans = shot_spans(board)
    assert [c.name for c in clips] == [f"{s.id}.shot_1.wide" for s in board.scenes]
    assert [round(c.duration().to_seconds() * board.fps) for c in clips] == [s.frames for s in spans]
    assert not any(d.startswith("clips:") for d in report.dropped)
    again, _ = import_timeline(report.path)
    assert [s.id for s in again.scenes] == [s.id for s in board.scenes]


def test_each_format_says_what_it_dropped(rendered, tmp_path):
    board, movie = rendered
    edl = export_timeline(board, tmp_path / "kite.edl", movie=movie)
    assert any("storyboard metadata" in d for d in edl.dropped)
    assert any("24 fps" in n for n in edl.notes)  # 12 fps has no SMPTE timecode
    kdenlive = export_timeline(board, tmp_path / "kite.kdenlive", movie=movie)
    assert any(d.startswith("clips:") for d in kdenlive.dropped)  # one media file: Kdenlive names every clip after it
    kdenlive = export_timeline(board, tmp_path / "kite.kdenlive", movie=movie, shot_dir=tmp_path / "shots")
    assert any(d.startswith("transitions:") for d in kdenlive.dropped)
    assert not any("markers" in d or "clips:" in d for d in kdenlive.dropped)  # the dialogue goes on as timeline guides
    profile = ElementTree.parse(tmp_path / "kite.kdenlive").getroot().find("profile")
    assert (profile.get("width"), profile.get("height")) == ("1920", "1080")  # what the note says, about a 64x36 board
    assert any("the 64x36 picture is scaled to it" in n for n in kdenlive.notes)
    again, _ = import_timeline(tmp_path / "kite.kdenlive")
    assert [[line.text for line in s.dialogue] for s in again.scenes] == [
        [f"{board.entity(line.speaker).name}: {line.text}" for line in s.dialogue] for s in board.scenes]


def test_edl_import_rebuilds_scenes_from_names_times_and_markers(rendered, tmp_path):
    board, movie = rendered
    export_timeline(board, tmp_path / "kite.edl", movie=movie)
    again, _ = import_timeline(tmp_path / "kite.edl")
    assert [round(s.duration * 12) for s in again.scenes] == [s.num_frames(12) for s in board.scenes]
    assert [len(s.dialogue) for s in again.scenes] == [len(s.dialogue) for s in board.scenes]
    assert again.scenes[1].transition.kind == "crossfade"


def test_shot_files_are_cut_frame_exactly_with_their_handles(rendered, tmp_path):
    board, movie = rendered
    report = export_timeline(board, tmp_path / "kite.otio", movie=movie, shot_dir=tmp_path / "shots")
    files = sorted((tmp_path / "shots").glob("*.mp4"))
    assert len(files) == 5 and not list((tmp_path / "shots").glob(".*partial*"))
    spans = shot_spans(board)
    assert [probe_media(f).frames for f in files] == [s.frames + s.handle for s in spans]
    clips = list(otio.adapters.read_from_file(str(report.path)).video_tracks()[0].find_clips())
    assert [Path(c.media_reference.target_url).name for c in clips] == [f.name for f in files]


@pytest.mark.skipif(shutil.which("melt") is None, reason="MLT's melt is not installed (apt-get install melt)")
def test_melt_plays_the_mlt_export_to_a_movie_of_the_right_length(rendered, tmp_path):
    board, movie = rendered
    report = export_timeline(board, tmp_path / "kite.mlt", movie=movie)
    out = tmp_path / "from_melt.mp4"
    done = subprocess.run(["melt", "-quiet", str(report.path), "-consumer", f"avformat:{out}", "vcodec=libx264"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    played, source = probe_media(out), probe_media(movie)
    assert played.fps == 12 and played.frames == source.frames
    assert (played.width, played.height) == (board.width, board.height)


def test_cli_exports_timelines_and_says_what_was_dropped(rendered, tmp_path):
    board, movie = rendered
    board.save(tmp_path / "b.json")
    result = runner.invoke(app, ["export", str(tmp_path / "b.json"), "-o", str(tmp_path / "k.edl"), "--movie", str(movie)])
    assert result.exit_code == 0, result.output
    assert "5 clips" in result.output and "dropped by edl" in result.output
    result = runner.invoke(app, ["import", str(tmp_path / "k.edl"), "-o", str(tmp_path / "again.json")])
    assert result.exit_code == 0, result.output
    assert len(Storyboard.load(tmp_path / "again.json").scenes) == 5


def test_cli_refuses_bad_input_with_exit_2_and_writes_nothing(rendered, tmp_path):
    board, movie = rendered
    board.save(tmp_path / "b.json")
    cases = [
        (["export", str(movie), "-o", str(tmp_path / "x.otio")], "not a storyboard"),  # a movie, not a board
        (["export", str(tmp_path / "b.json"), "-o", str(tmp_path / "x.otio"), "-f", "avid"], "unknown format"),
        (["export", str(tmp_path / "b.json"), "-o", str(tmp_path / "x.otio"), "--movie", str(tmp_path / "b.json")], "no video stream"),
        (["export", str(tmp_path / "b.json"), "-o", str(tmp_path / "b.json" / "x.otio")], "cannot be written"),
        (["import", str(tmp_path / "b.json"), "-o", str(tmp_path / "x.json"), "-f", "otio"], "holds no timeline"),
        (["import", str(tmp_path / "x.mlt"), "-o", str(tmp_path / "x.json")], "not read it"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]


def test_a_movie_of_another_storyboard_is_refused(rendered, tmp_path):
    board, movie = rendered
    shorter = board.model_copy(update={"scenes": board.scenes[:2]})
    with pytest.raises(Exception, match="is it the movie of this storyboard"):
        export_timeline(shorter, tmp_path / "x.otio", movie=movie)
    assert not (tmp_path / "x.otio").exists()


def subtitle_clips(timeline) -> list[tuple[str, float, float]]:
    """(text, start, duration in seconds) of every clip on the timeline's video tracks after the picture."""
    return [(c.name, track.range_of_child(c).start_time.to_seconds(), c.duration().to_seconds())
            for track in timeline.video_tracks()[1:] for c in track.find_clips()]


def line_times(board: Storyboard) -> list[tuple[str, float, float]]:
    """Each line's label, movie start and length in seconds, from the storyboard."""
    from director.assemble import movie_timeline

    starts = movie_timeline(board).starts
    return [(f"{board.entity(line.speaker).name}: {line.text}" if line.speaker else line.text,
             starts[i] / board.fps + line.start, line.end - line.start)
            for i, scene in enumerate(board.scenes) for line in scene.dialogue]


@pytest.mark.parametrize("format", ["otio", "fcp7xml"])
def test_the_dialogue_is_a_subtitle_track_that_reads_back_to_the_frame(rendered, tmp_path, format):
    board, movie = rendered
    report = export_timeline(board, tmp_path / f"kite{TIMELINE_FORMATS[format][1]}", format, movie=movie)
    assert not any("subtitle" in d for d in report.dropped)
    back = otio.adapters.read_from_file(str(report.path), adapter_name=TIMELINE_FORMATS[format][0])
    assert len(back.video_tracks()) == 2  # the picture, and the subtitles over it
    assert all(c.media_reference.generator_kind == "Text" for c in back.video_tracks()[1].find_clips())
    got, want = subtitle_clips(back), line_times(board)
    assert [text for text, _, _ in got] == [text for text, _, _ in want]
    for (_, start, length), (_, want_start, want_length) in zip(got, want, strict=True):
        assert abs(start - want_start) <= 0.5 / board.fps + 1e-9 and abs(length - want_length) <= 0.5 / board.fps + 1e-9


@pytest.mark.parametrize("format", ["edl", "fcpxml", "kdenlive", "mlt"])
def test_formats_without_a_subtitle_track_say_so_and_where_the_dialogue_is(rendered, tmp_path, format):
    board, movie = rendered
    shots = tmp_path / "shots" if format == "kdenlive" else None
    report = export_timeline(board, tmp_path / f"kite{TIMELINE_FORMATS[format][1]}", format, movie=movie, shot_dir=shots)
    said = [d for d in report.dropped if d.startswith("the subtitle track (5 lines)")]
    assert len(said) == 1 and "the dialogue is" in said[0]
    if format != "mlt":  # OTIO cannot read MLT's XML back
        back = otio.adapters.read_from_file(str(report.path), adapter_name=TIMELINE_FORMATS[format][0])
        assert len(back.video_tracks()) == 1


def test_a_timeline_with_titles_and_no_markers_imports_its_dialogue_from_the_titles(rendered, tmp_path):
    from director.edit_timeline import storyboard_timeline

    board, movie = rendered
    timeline = storyboard_timeline(board, movie)
    for clip in timeline.video_tracks()[0].find_clips():
        clip.markers.clear()  # an editor's cut: the dialogue only in its titles
    otio.adapters.write_to_file(timeline, str(tmp_path / "titles.otio"))
    again, _ = import_timeline(tmp_path / "titles.otio")
    for before, after in zip(board.scenes, again.scenes, strict=True):
        assert [(line.speaker, line.text) for line in after.dialogue] == [(line.speaker, line.text) for line in before.dialogue]
        assert [round(line.start * board.fps) for line in after.dialogue] == [round(line.start * board.fps) for line in before.dialogue]


# -- shots ---------------------------------------------------------------------------------------------


def shot_board() -> Storyboard:
    """The kite with shots: three in scene 1 (a close-up with a pan, a dolly in), a POV before scene 2's
    crossfade, two in scene 3; the others list none (one wide shot each). 7.3 s is not on a frame at 12 fps."""
    from director.storyboard import CameraMove, Shot

    board = kite_board()
    shots = {
        "scene_1": [
            Shot(id="hill", start=0.0, end=4.0, description="the kite over the hill"),
            Shot(id="mira_close", start=4.0, end=7.3, size="close_up", angle="low", subjects=["mira"],
                 move=CameraMove(kind="pan", direction="right", amount=0.3)),
            Shot(id="both", start=7.3, end=10.0, size="medium", subjects=["mira", "biscuit"], move=CameraMove(kind="dolly", direction="in")),
        ],
        "scene_2": [
            Shot(id="dog", start=0.0, end=2.5, size="full", subjects=["biscuit"]),
            Shot(id="her_eyes", start=2.5, end=6.0, angle="pov", pov="mira", subjects=["red_kite"]),
        ],
        "scene_3": [
            Shot(id="tree", start=0.0, end=6.3),
            Shot(id="owl", start=6.3, end=12.5, size="close_up", subjects=["owl"], move=CameraMove(kind="tilt", direction="up")),
        ],
    }
    scenes = [s.model_copy(update={"shots": shots.get(s.id, [])}) for s in board.scenes]
    return board.model_copy(update={"scenes": scenes}).revalidated()


@pytest.fixture(scope="module")
def rendered_shots(tmp_path_factory) -> tuple[Storyboard, Path]:
    folder = tmp_path_factory.mktemp("kite_shots")
    board = shot_board()
    Director(planner="rules", renderer="animatic", cache_dir=folder / "cache").render(board, folder / "kite.mp4", state=False)
    return board, folder / "kite.mp4"


def test_shots_of_a_scene_are_its_cut():
    board = shot_board()
    assert [s.id for s in shots_of(board.scenes[0])] == ["hill", "mira_close", "both"]
    assert [(s.id, s.start, s.end, s.size) for s in shots_of(board.scenes[3])] == [("shot_1", 0.0, 6.5, "wide")]


def test_one_clip_per_shot_named_with_its_size_and_the_lines_on_their_shots(rendered_shots, tmp_path):
    board, movie = rendered_shots
    report = export_timeline(board, tmp_path / "kite.otio", movie=movie)
    assert report.dropped == [] and report.clips == 9
    clips = list(otio.adapters.read_from_file(str(report.path)).video_tracks()[0].find_clips())
    assert [c.name for c in clips] == [
        "scene_1.hill.wide", "scene_1.mira_close.close_up", "scene_1.both.medium", "scene_2.dog.full", "scene_2.her_eyes.wide",
        "scene_3.tree.wide", "scene_3.owl.close_up", "scene_4.shot_1.wide", "scene_5.shot_1.wide"]
    frames = [round(c.duration().to_frames()) for c in clips]
    assert frames[:3] == [48, 40, 32]  # 4.0 s, 7.3 s falls on frame 88, the rest of the 10 s scene
    assert frames[3] + frames[4] + 6 == 72  # scene 2's last shot hands its crossfade's 6 frames to scene 3
    assert sum(frames) == probe_media(movie).frames
    assert [[m.name for m in c.markers] for c in clips][:3] == [[], ["Mira: " + board.scenes[0].dialogue[0].text], []]  # 5.25 s: the close-up


def test_otio_round_trip_keeps_every_shot_field_by_field(rendered_shots, tmp_path):
    board, movie = rendered_shots
    export_timeline(board, tmp_path / "kite.otio", movie=movie)
    again, notes = import_timeline(tmp_path / "kite.otio")
    assert notes == []
    assert field_differences(board.model_dump(mode="json"), again.model_dump(mode="json")) == []


@pytest.mark.parametrize("format", ["edl", "fcp7xml", "fcpxml"])
def test_formats_without_metadata_keep_shot_ids_sizes_and_times_and_say_the_rest_is_lost(rendered_shots, tmp_path, format):
    board, movie = rendered_shots
    report = export_timeline(board, tmp_path / f"kite{TIMELINE_FORMATS[format][1]}", format, movie=movie)
    again, notes = import_timeline(report.path)
    fps = again.fps  # 24 for the timecode formats: the times are the same in seconds
    for before, after in zip(board.scenes, again.scenes, strict=True):
        assert [(s.id, s.size) for s in after.cut] == [(s.id, s.size) for s in before.cut]
        assert [round(s.start * fps) for s in after.cut] == [round(round(s.start * board.fps) * fps / board.fps) for s in before.cut]
    assert again.scenes[3].shots == []  # a scene that listed no shots lists none again
    assert again.scenes[0].shots[1].move.kind == "static" and again.scenes[0].shots[1].subjects == []
    said = [n for n in notes if "angle, camera move and subjects are not in this file" in n]
    assert [n.split(":")[0] for n in said] == ["scene_1", "scene_2", "scene_3"]


def test_an_editors_trim_moves_the_shots_after_it(rendered_shots, tmp_path):
    board, movie = rendered_shots
    export_timeline(board, tmp_path / "kite.otio", movie=movie)
    timeline = otio.adapters.read_from_file(str(tmp_path / "kite.otio"))
    first = timeline.video_tracks()[0][0]
    first.source_range = otio.opentime.TimeRange(first.source_range.start_time, otio.opentime.RationalTime(36, 12))  # 4 s -> 3 s
    otio.adapters.write_to_file(timeline, str(tmp_path / "trimmed.otio"))
    again, notes = import_timeline(tmp_path / "trimmed.otio")
    scene = again.scenes[0]
    assert scene.duration == 9.0 and any("scene_1: the timeline gives it 9 s" in n for n in notes)
    assert [(s.id, s.start, s.end) for s in scene.shots] == [("hill", 0.0, 3.0), ("mira_close", 3.0, 6.3333), ("both", 6.3333, 9.0)]
    assert scene.shots[1].move == board.scenes[0].shots[1].move  # the rest of each shot rides in the metadata
    assert scene.dialogue[0].start == pytest.approx(board.scenes[0].dialogue[0].start - 1.0, abs=1 / 12)  # on the shot that moved


def test_a_crossfade_longer_than_the_last_shot_is_a_clear_error(tmp_path):
    from director.storyboard import Shot

    board = kite_board()
    scene = board.scenes[1]
    short_last = [Shot(id="a", start=0.0, end=5.7), Shot(id="b", start=5.7, end=6.0)]
    board = board.model_copy(update={"scenes": [board.scenes[0], scene.model_copy(update={"shots": short_last}), *board.scenes[2:]]}).revalidated()
    with pytest.raises(Exception, match="scene_2: its last shot b .* is no longer than its crossfade"):
        export_timeline(board, tmp_path / "x.otio")
    with pytest.raises(Exception, match="scene_2: its last shot b"):
        export_timeline(board, tmp_path / "x.otio", shot_dir=tmp_path / "shots")  # refused before any file is cut
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("melt") is None, reason="MLT's melt is not installed (apt-get install melt)")
def test_melt_plays_a_timeline_of_shots_to_the_movies_length(rendered_shots, tmp_path):
    board, movie = rendered_shots
    report = export_timeline(board, tmp_path / "kite.mlt", movie=movie)
    out = tmp_path / "from_melt.mp4"
    done = subprocess.run(["melt", "-quiet", str(report.path), "-consumer", f"avformat:{out}", "vcodec=libx264"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert probe_media(out).frames == probe_media(movie).frames
