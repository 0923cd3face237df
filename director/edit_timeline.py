"""Storyboards out to editing programs, and back, through OpenTimelineIO.

    report = export_timeline(board, "out/kite.otio", "otio", movie="out/kite.mp4")
    report.dropped                      # what the format could not hold, found by reading the file back
    board, notes = import_timeline("out/kite.otio")

The timeline (`storyboard_timeline`) has one video clip per shot
(`Scene.cut`: its shots, or one wide shot of a scene that lists none), named
``SCENE.SHOT.SIZE`` (``scene_2.shot_3.close_up``), lasting the shot's frames at the movie's rate and pointing at
the rendered movie with the shot's source range in it (or at one file per shot
when `shot_dir` is given, cut from the movie); a crossfade between scenes is an
OTIO `SMPTE_Dissolve` transition starting at the cut; a fade to black is a
`Custom_Transition` named ``fade_to_black`` (an OTIO transition needs a clip
on both sides, so the last scene's fade stays in the clip's metadata). Every dialogue line is a marker on
its shot's clip (``Name: text``); when the movie has an audio track (scratch
voices), an audio track holds one clip per line over the movie's audio. The
storyboard itself rides in the metadata (``director``: the board without its
scenes on the timeline, each scene on its first clip, each line on its marker),
so an OTIO file imports back exactly, and other formats import what they kept.

The dialogue is also a subtitle track: a video track over the picture with one
text clip per line at its time (an OTIO `GeneratorReference` of kind ``Text``,
which the FCP 7 XML adapter writes as a Text generator that Premiere and
Resolve open as titles). What each format keeps of the dialogue:

| format | dialogue markers | subtitle track | dialogue audio (scratch voices) |
|---|---|---|---|
| otio | kept | kept | kept |
| fcp7xml | kept | kept (Text generators) | kept |
| fcpxml | kept | dropped: the adapter writes no titles | kept |
| edl | kept as LOC comments (upper case) | dropped: an EDL has one video track | as the adapter can |
| kdenlive | timeline guides | dropped: the adapter writes no text clips | as the adapter can |
| mlt | dropped | dropped: the adapter writes no text producers | as the adapter can |

Every export says what it dropped (`ExportReport.dropped`), from reading the
file back where OTIO can, and in words for the subtitle track. Import takes the
dialogue from the markers, or from a subtitle track when a file has no markers.

Files are written by OTIO's adapters (otio_json, cmx_3600, fcp_xml, fcpx_xml, mlt_xml,
kdenlive), never by hand, to a temporary name renamed into place; each is
read back with the same adapter to say what the format dropped. Kdenlive keeps
markers per media file, so there the dialogue markers go on the timeline (guides).

Shots import back from the clips: one shot per clip, its start and end from
where the clip sits in its scene (an editor's trim moves them), the rest of
the shot (angle, move, subjects) from the clip's metadata; a format without
metadata keeps the shot's id and size in the clip's name and its timing, and
the import says the rest was not in the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from director.assemble import movie_timeline
from director.errors import InputError, format_validation_error
from director.media_probe import MediaInfo, ffmpeg_exe, probe_media
from director.atomic import publish, write_text_atomically
from director.storyboard import Scene, Shot, ShotSize, Storyboard, Transition

# format name -> (OTIO adapter, file suffix)
TIMELINE_FORMATS: dict[str, tuple[str, str]] = {
    "otio": ("otio_json", ".otio"),
    "edl": ("cmx_3600", ".edl"),
    "fcp7xml": ("fcp_xml", ".xml"),
    "fcpxml": ("fcpx_xml", ".fcpxml"),
    "kdenlive": ("kdenlive", ".kdenlive"),
    "mlt": ("mlt_xml", ".mlt"),  # MLT's own XML, what `melt` (the engine under Kdenlive and Shotcut) plays; OTIO writes it only
}
TIMECODE_ADAPTERS = ("cmx_3600", "fcp_xml", "fcpx_xml")  # formats that count in SMPTE timecode
SUFFIX_FORMATS = {suffix: name for name, (_, suffix) in TIMELINE_FORMATS.items()}
META = "director"  # the metadata namespace
SUBTITLE_TRACK = "Subtitles"
SUBTITLE_KIND = "Text"  # generator_kind of a subtitle clip; FCP 7's Text generator has this effect id
# adapter -> why it cannot hold the subtitle track, and where the dialogue still is (the others keep it)
SUBTITLES_DROPPED = {
    "cmx_3600": "an EDL holds one video track; the dialogue is in its LOC comments",
    "fcpx_xml": "OTIO's fcpx_xml adapter writes no titles; the dialogue is in the clips' markers",
    "kdenlive": "OTIO's kdenlive adapter writes no text clips; the dialogue is in the timeline guides",
    "mlt_xml": "OTIO's mlt_xml adapter writes no text producers; the dialogue is only in the movie's .srt",
}


def shots_of(scene: Scene) -> list[Shot]:
    """The scene's shots, in order, covering it: one clip (and one printed panel) each."""
    return scene.cut


def clip_name(scene: Scene, shot: Shot) -> str:
    """'scene_2.shot_3.close_up': what an editor sees on the clip (and the per-shot file's name)."""
    return f"{scene.id}.{shot.id}.{shot.size}"


@dataclass(frozen=True)
class ShotSpan:
    """Where one shot sits, in frames of the movie."""

    scene_index: int
    shot: Shot
    first: int  # first frame of the shot in its scene
    last_of_scene: bool  # the scene's last shot (its clip carries the transition's handle)
    movie_start: int  # first movie frame of the shot
    frames: int  # frames the clip lasts on the timeline (a crossfade's frames belong to the next clip)
    handle: int  # frames the shot's media has after the clip's end (the crossfade into the next scene)


@dataclass
class ExportReport:
    path: Path
    format: str
    clips: int
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _otio():
    try:
        import opentimelineio as otio
    except ImportError as e:  # pragma: no cover - a default dependency
        raise InputError(f"timeline export needs OpenTimelineIO: pip install 'director[export]' ({e})") from None
    return otio


def shot_spans(board: Storyboard, fps: int | None = None) -> list[ShotSpan]:
    """Every shot of every scene placed in the movie's frames (`fps`: the movie's rate, default the board's)."""
    if fps is not None and fps != board.fps:
        board = board.model_copy(update={"fps": fps})
    timeline = movie_timeline(board)
    spans = []
    for i, scene in enumerate(board.scenes):
        length, overlap = timeline.lengths[i], timeline.overlaps[i]
        framed = scene.shot_frames(board.fps)  # frames as the renderer draws each shot
        for k, (shot, frames) in enumerate(framed):
            last = k == len(framed) - 1
            stop = length if last else frames.stop
            tail = overlap if last else 0
            spans.append(ShotSpan(i, shot, frames.start, last, timeline.starts[i] + frames.start, stop - frames.start - tail, tail))
    return spans


def clip_spans(board: Storyboard, fps: int | None = None) -> list[ShotSpan]:
    """`shot_spans`, refusing a scene whose crossfade is longer than its last shot (one clip dissolves out)."""
    spans = shot_spans(board, fps)
    for s in spans:
        if s.frames < 1:
            scene = board.scenes[s.scene_index]
            raise InputError(f"{scene.id}: its last shot {s.shot.id} ({s.shot.duration:g} s) is no longer than its crossfade "
                             f"({scene.transition.duration:g} s); a timeline dissolves from one clip: lengthen the shot or shorten the crossfade")
    return spans


def storyboard_timeline(
    board: Storyboard,
    movie: str | os.PathLike[str] | None = None,
    *,
    media: MediaInfo | None = None,
    shot_files: dict[tuple[str, str], Path] | None = None,
    rate_scale: int = 1,
    fades: bool = True,
) -> Any:
    """The storyboard as an `opentimelineio.schema.Timeline` (see the module's docstring).

    `rate_scale`: write times at `rate_scale` times the movie's rate (12 fps has no SMPTE timecode; at
    24 every frame lasts two, and every time stays exact). `fades`: write fades to black as transitions
    (a CMX 3600 EDL can only dissolve from the cut on, so there they stay in the picture alone)."""
    otio = _otio()
    if movie is not None and media is None:
        media = probe_media(movie)
    fps = round(media.fps) if media else board.fps
    rate = (float(media.fps) if media else float(board.fps)) * rate_scale

    def rt(frames: float) -> Any:
        return otio.opentime.RationalTime(frames * rate_scale, rate)

    def span(start: float, frames: float) -> Any:
        return otio.opentime.TimeRange(rt(start), rt(frames))

    spans = clip_spans(board, fps)
    total = spans[-1].movie_start + spans[-1].frames + spans[-1].handle
    timeline = otio.schema.Timeline(name=board.title, global_start_time=rt(0))
    timeline.metadata[META] = {"storyboard": board.model_dump(mode="json", exclude={"scenes"}), "fps": fps}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(video)
    movie_url = Path(movie).resolve().as_uri() if movie is not None else None
    for s in spans:
        scene = board.scenes[s.scene_index]
        name = clip_name(scene, s.shot)
        if shot_files is not None:
            reference = otio.schema.ExternalReference(
                target_url=shot_files[(scene.id, s.shot.id)].resolve().as_uri(), available_range=span(0, s.frames + s.handle)
            )
            source_start = 0
        elif movie_url is not None:
            reference = otio.schema.ExternalReference(target_url=movie_url, available_range=span(0, media.frames if media else total))
            source_start = s.movie_start
        else:
            reference = otio.schema.MissingReference(name=name, available_range=span(0, total))
            source_start = s.movie_start
        clip = otio.schema.Clip(name=name, media_reference=reference, source_range=span(source_start, s.frames))
        clip.metadata[META] = {
            "scene": scene.id,
            "shot": s.shot.id,
            "heading": scene.heading,
            "shot_data": s.shot.model_dump(mode="json"),
            **({"scene_data": scene.model_dump(mode="json", exclude={"dialogue"})} if s.first == 0 else {}),
        }
        for k, line in enumerate(scene.dialogue):
            begin = round(line.start * fps) - s.first  # frames into the shot, as the movie shows it
            if begin < 0 or (begin >= s.frames and not s.last_of_scene):
                continue  # another shot's line
            length = max(1, round((line.end - line.start) * fps))
            marker = otio.schema.Marker(
                name=line_label(board, line),
                marked_range=span(source_start + begin, length),
                color=otio.schema.MarkerColor.YELLOW,
                metadata={META: {"line": k, "dialogue": line.model_dump(mode="json")}},
            )
            clip.markers.append(marker)
        video.append(clip)
        next_index = s.scene_index + 1
        if s.last_of_scene and next_index < len(board.scenes) and scene.transition.kind != "cut":
            if scene.transition.kind == "crossfade":
                video.append(otio.schema.Transition(
                    name="crossfade", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=rt(0), out_offset=rt(s.handle),
                    metadata={META: {"transition": scene.transition.model_dump(mode="json")}},
                ))
            elif fades:  # fade to black: out of this scene, into the next over the same time
                frames = round(scene.transition.duration * fps)
                video.append(otio.schema.Transition(
                    name="fade_to_black", transition_type=otio.schema.TransitionTypes.Custom,
                    in_offset=rt(frames), out_offset=rt(frames),
                    metadata={META: {"transition": scene.transition.model_dump(mode="json")}},
                ))
    placed = dialogue_placements(board, spans, fps)
    if placed:
        timeline.tracks.insert(1, _subtitle_track(otio, placed, span))  # over the picture, under nothing
    if media is not None and media.audio_codec and movie_url is not None:
        timeline.tracks.append(_dialogue_audio_track(otio, placed, span, movie_url, media))
    return timeline


@dataclass(frozen=True)
class PlacedLine:
    """A dialogue line where it sits in the movie, in frames; lines that would overlap are cut where the next starts."""

    scene_id: str
    index: int  # in its scene's dialogue
    label: str  # 'Mira: Wait!' (a narrator's line: the text alone)
    begin: int
    length: int


def line_label(board: Storyboard, line: Any) -> str:
    return f"{board.entity(line.speaker).name}: {line.text}" if line.speaker else line.text


def dialogue_placements(board: Storyboard, spans: list[ShotSpan], fps: int) -> list[PlacedLine]:
    """Every line in movie frames, in order, none overlapping the one before (it starts where that one ends)."""
    placed = []
    cursor = 0
    starts = {s.scene_index: s.movie_start for s in spans if s.first == 0}
    for i, scene in enumerate(board.scenes):
        for k, line in sorted(enumerate(scene.dialogue), key=lambda item: item[1].start):
            begin = starts[i] + round(line.start * fps)
            length = max(1, round((line.end - line.start) * fps))
            if begin < cursor:  # overlapping lines: this one starts where the last ends
                length -= cursor - begin
                begin = cursor
            if length <= 0:
                continue
            placed.append(PlacedLine(scene.id, k, line_label(board, line), begin, length))
            cursor = begin + length
    return placed


def _subtitle_track(otio, placed: list[PlacedLine], span) -> Any:
    """A video track of text clips, one per line at its time, gaps between."""
    track = otio.schema.Track(name=SUBTITLE_TRACK, kind=otio.schema.TrackKind.Video)
    cursor = 0
    for p in placed:
        if p.begin > cursor:
            track.append(otio.schema.Gap(source_range=span(0, p.begin - cursor)))
        # what FCP 7 XML needs to write a Text generator (the adapter adds the effect's name and id)
        effect = {"effectcategory": "Text", "effecttype": "generator", "mediatype": "video",
                  "parameter": [{"parameterid": "str", "name": "Text", "value": p.label}]}
        reference = otio.schema.GeneratorReference(name="Text", generator_kind=SUBTITLE_KIND, parameters={"text": p.label},
                                                   metadata={"fcp_xml": effect})
        track.append(otio.schema.Clip(name=p.label, media_reference=reference, source_range=span(0, p.length),
                                      metadata={META: {"scene": p.scene_id, "line": p.index}}))
        cursor = p.begin + p.length
    return track


def _dialogue_audio_track(otio, placed: list[PlacedLine], span, movie_url: str, media: MediaInfo) -> Any:
    """One audio clip per dialogue line over the movie's (scratch voice) audio, gaps between."""
    audio = otio.schema.Track(name="A1 dialogue", kind=otio.schema.TrackKind.Audio)
    cursor = 0
    for p in placed:
        if p.begin > cursor:
            audio.append(otio.schema.Gap(source_range=span(0, p.begin - cursor)))
        reference = otio.schema.ExternalReference(target_url=movie_url, available_range=span(0, media.frames))
        audio.append(otio.schema.Clip(name=p.label, media_reference=reference, source_range=span(p.begin, p.length)))
        cursor = p.begin + p.length
    return audio


def subtitle_tracks(timeline: Any) -> list[Any]:
    """The timeline's video tracks, after the first, that hold text clips only (ours, or an editor's titles)."""
    found = []
    for track in timeline.video_tracks()[1:]:
        clips = list(track.find_clips())
        if clips and all(type(c.media_reference).__name__ == "GeneratorReference"
                         and c.media_reference.generator_kind == SUBTITLE_KIND for c in clips):
            found.append(track)
    return found


# -- writing ----------------------------------------------------------------------------------------


def export_timeline(
    board: Storyboard,
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    movie: str | os.PathLike[str] | None = None,
    shot_dir: str | os.PathLike[str] | None = None,
) -> ExportReport:
    """Write the storyboard's timeline to `path` in `format` (default: from the suffix) and say what it dropped.

    `shot_dir`: also cut the movie into one file per shot there (needs `movie`) and point the clips at them."""
    otio = _otio()
    path = Path(path)
    format = format or SUFFIX_FORMATS.get(path.suffix.lower())
    if format not in TIMELINE_FORMATS:
        raise InputError(f"unknown timeline format {format!r} for {path}; use one of {', '.join(TIMELINE_FORMATS)}")
    adapter, _ = TIMELINE_FORMATS[format]
    media = probe_media(movie) if movie is not None else None
    clip_spans(board, round(media.fps) if media else None)  # before any file is cut
    notes: list[str] = []
    if media is not None and round(media.fps) != board.fps:
        notes.append(f"the movie runs at {media.fps:g} fps, the storyboard at {board.fps}: durations are at the movie's rate")
    if media is not None:
        expected = shot_spans(board, round(media.fps))[-1]
        if abs(expected.movie_start + expected.frames + expected.handle - media.frames) > 1:
            raise InputError(
                f"{movie}: has {media.frames} frames, but this storyboard makes "
                f"{expected.movie_start + expected.frames + expected.handle}: is it the movie of this storyboard?"
            )
    shot_files = None
    if shot_dir is not None:
        if movie is None:
            raise InputError("per-shot files are cut from the rendered movie: give --movie MOVIE.mp4 too")
        shot_files = cut_shot_files(board, movie, shot_dir, media)
        notes.append(f"wrote {len(shot_files)} shot files in {shot_dir}")
    if movie is None:
        notes.append("no --movie: the clips have no media (missing references), only names and times")
    fps = round(media.fps) if media else board.fps
    scale = 1
    if adapter in TIMECODE_ADAPTERS:
        scale = timecode_scale(otio, fps)
        if scale > 1:
            notes.append(f"{format} needs a SMPTE timecode rate and {fps} fps is none: times are written at {fps * scale} fps "
                         f"(each frame lasts {scale}), exactly the same in seconds")
    fades = adapter != "cmx_3600"
    if not fades and any(s.transition.kind == "fade_to_black" for s in board.scenes[:-1]):
        notes.append("an EDL dissolve starts at the cut, so fades to black are left out of the EDL (they are in the movie's picture)")
    timeline = storyboard_timeline(board, movie, media=media, shot_files=shot_files, rate_scale=scale, fades=fades)
    if adapter == "fcpx_xml" and _replace_in_names(timeline, "'", "\u2019"):
        notes.append("the fcpx_xml adapter cannot write ' in a name: apostrophes in clip and marker names are written as \u2019")
    subtitles_dropped = []
    if adapter in SUBTITLES_DROPPED:
        for track in subtitle_tracks(timeline):
            timeline.tracks.remove(track)
            subtitles_dropped.append(f"the subtitle track ({len(list(track.find_clips()))} lines): {SUBTITLES_DROPPED[adapter]}")
    if adapter == "kdenlive":
        _clip_markers_to_guides(otio, timeline)
        notes.append("Kdenlive keeps markers per media file, not per clip: the dialogue markers are timeline guides")
        notes.append("OTIO's kdenlive adapter is deprecated by its authors: Kdenlive 25.04 and later open the .otio export "
                     "natively, keeping more (transitions, metadata)")
        if (board.width, board.height) != (1920, 1080):
            notes.append(f"the kdenlive adapter always writes a 1920x1080 project: the {board.width}x{board.height} picture is scaled to it")
    options = {"width": board.width, "height": board.height} if adapter == "mlt_xml" else {}
    text = _write_string(otio, timeline, adapter, **options)
    try:
        write_text_atomically(path, text)
    except OSError as e:
        raise InputError(f"{path}: cannot be written ({e.strerror})") from None
    if otio.adapters.from_name(adapter).has_feature("read_from_string"):
        back = _read_string(otio, text, adapter, str(path))
        if adapter == "kdenlive":
            _guides_to_clip_markers(otio, back)
            _guides_to_clip_markers(otio, timeline)
        dropped = subtitles_dropped + compare_timelines(timeline, back)
    else:
        dropped = [f"{format} cannot be read back by OTIO (its adapter only writes), so this list is not checked: "
                   "dialogue markers and the storyboard metadata are not in MLT's XML", *subtitles_dropped]
    clips = sum(1 for _ in timeline.video_tracks()[0].find_clips())
    return ExportReport(path, format, clips, dropped, notes)


def _clip_markers_to_guides(otio, timeline: Any) -> None:
    """Move every clip's markers onto the timeline itself (in timeline time): Kdenlive's guides."""
    track = timeline.video_tracks()[0]
    for clip in track.find_clips():
        at = track.range_of_child(clip).start_time - clip.source_range.start_time
        for marker in _own_markers(clip):
            timeline.tracks.markers.append(otio.schema.Marker(
                name=marker.name, color=marker.color, metadata=marker.metadata,
                marked_range=otio.opentime.TimeRange(marker.marked_range.start_time + at, marker.marked_range.duration),
            ))
        clip.markers.clear()


def _guides_to_clip_markers(otio, timeline: Any) -> None:
    """The inverse: each timeline marker onto the clip it falls in, in that clip's source time."""
    track = timeline.video_tracks()[0]
    placed = [(track.range_of_child(clip), clip) for clip in track.find_clips()]
    for marker in list(timeline.tracks.markers):
        t = marker.marked_range.start_time
        for span, clip in placed:
            if span.contains(t):
                start = t - span.start_time + clip.source_range.start_time
                clip.markers.append(otio.schema.Marker(name=marker.name, color=marker.color, metadata=marker.metadata,
                                                       marked_range=otio.opentime.TimeRange(start, marker.marked_range.duration)))
                timeline.tracks.markers.remove(marker)
                break


def _replace_in_names(timeline: Any, old: str, new: str) -> bool:
    """Replace `old` by `new` in the names of every clip and marker; whether any changed."""
    changed = False
    for clip in timeline.find_clips():
        for thing in (clip, *clip.markers):
            if old in thing.name:
                thing.name, changed = thing.name.replace(old, new), True
    return changed


def timecode_scale(otio, fps: int) -> int:
    """The smallest whole multiple of `fps` that SMPTE timecode supports (1 when `fps` is one)."""
    for scale in range(1, 121):
        if otio.opentime.RationalTime.is_valid_timecode_rate(float(fps * scale)):
            return scale
    raise InputError(f"no SMPTE timecode rate is a multiple of {fps} fps; render at 24, 25 or 30 fps for this format")


def _write_string(otio, timeline, adapter: str, **options: Any) -> str:
    with contextlib.redirect_stdout(io.StringIO()):  # the kdenlive adapter prints a notice on stdout
        return otio.adapters.write_to_string(timeline, adapter_name=adapter, **options)


def _read_string(otio, text: str, adapter: str, source: str) -> Any:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return otio.adapters.read_from_string(text, adapter_name=adapter)
    except Exception as e:  # the adapters raise their own kinds of error on bad files
        raise InputError(f"{source}: is not a timeline OTIO's {adapter} adapter can read ({type(e).__name__}: {e})") from None


def timeline_summary(timeline: Any) -> dict[str, Any]:
    """What an editor sees: clips (name, duration in frames), markers, transitions, audio clips, subtitles (text,
    start, duration in frames), metadata."""
    videos = timeline.video_tracks()
    items = list(videos[0]) if videos else []
    clips = [item for item in items if type(item).__name__ == "Clip"]
    audio = [c for track in timeline.audio_tracks() for c in track.find_clips()]
    subtitles = [(c.name, round(track.range_of_child(c).start_time.to_frames()), round(c.duration().to_frames()))
                 for track in subtitle_tracks(timeline) for c in track.find_clips()]
    return {
        "video tracks": len(videos),
        "clips": [(c.name, round(c.duration().to_frames())) for c in clips],
        "markers": [m.name for c in clips for m in _own_markers(c)],
        "transitions": [round((t.in_offset + t.out_offset).to_frames()) for t in items if type(t).__name__ == "Transition"],
        "audio clips": [(c.name, round(c.duration().to_frames())) for c in audio],
        "subtitles": subtitles,
        "metadata": any(META in c.metadata for c in clips),
        "media": sum(1 for c in clips if type(c.media_reference).__name__ == "ExternalReference"),
    }


def _own_markers(clip: Any) -> list[Any]:
    """The clip's markers that fall inside its source range (EDL dissolves repeat the last clip's)."""
    if clip.source_range is None:
        return list(clip.markers)
    return [m for m in clip.markers if clip.source_range.contains(m.marked_range.start_time)]


def compare_timelines(written: Any, read_back: Any) -> list[str]:
    """What `read_back` lost of `written`, in words ('dialogue markers: 3 of 5 kept')."""
    a, b = timeline_summary(written), timeline_summary(read_back)
    dropped = []
    if a["clips"] != b["clips"]:
        dropped.append(f"clips: wrote {a['clips']}, the file holds {b['clips']}")
    if a["markers"] != b["markers"]:
        kept = len(b["markers"])
        dropped.append(f"dialogue markers: {kept} of {len(a['markers'])} kept" + ("" if kept != len(a["markers"]) else " (their text changed)"))
    if a["transitions"] != b["transitions"]:
        dropped.append(f"transitions: wrote {len(a['transitions'])} ({a['transitions']} frames), the file holds {b['transitions']}")
    if a["audio clips"] != b["audio clips"]:
        kept = len(b["audio clips"])
        dropped.append(f"dialogue audio track: {kept} of {len(a['audio clips'])} audio clips kept"
                       + (" (their names or lengths changed)" if kept == len(a["audio clips"]) else ""))
    if a["subtitles"] != b["subtitles"]:
        kept = len(b["subtitles"])
        dropped.append(f"subtitle track: {kept} of {len(a['subtitles'])} subtitles kept"
                       + (" (their text or times changed)" if kept == len(a["subtitles"]) else ""))
    if a["metadata"] and not b["metadata"]:
        dropped.append("the storyboard metadata (layouts, cast, scene graphs): import from this file rebuilds scenes from clip names and times only")
    if a["media"] != b["media"]:
        dropped.append(f"media references: {b['media']} of {a['media']} clips still point at the movie")
    return dropped


def cut_shot_files(board: Storyboard, movie: str | os.PathLike[str], folder: str | os.PathLike[str], media: MediaInfo | None = None) -> dict[tuple[str, str], Path]:
    """One MP4 per shot, cut frame-exactly from the movie (its crossfade tail included, as the clip's handle)."""
    media = media or probe_media(movie)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{folder}: cannot make the folder ({e.strerror})") from None
    fps = round(media.fps)
    files = {}
    for s in shot_spans(board, fps):
        scene = board.scenes[s.scene_index]
        final = folder / f"{clip_name(scene, s.shot)}.mp4"
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial.mp4", dir=folder)
        os.close(fd)
        tmp = Path(name)
        frames = s.frames + s.handle
        select = f"select='between(n\\,{s.movie_start}\\,{s.movie_start + frames - 1})',setpts=PTS-STARTPTS"
        command = [ffmpeg_exe(), "-y", "-v", "error", "-i", str(movie), "-vf", select, "-frames:v", str(frames),
                   "-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", str(fps)]
        if media.audio_codec:
            begin, length = s.movie_start / fps, frames / fps
            command += ["-af", f"atrim=start={begin}:duration={length},asetpts=PTS-STARTPTS", "-c:a", "aac"]
        try:
            done = subprocess.run([*command, str(tmp)], capture_output=True, text=True)
            if done.returncode != 0:
                raise InputError(f"{movie}: ffmpeg could not cut {final.name}: {done.stderr.strip()[-300:]}")
            publish(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        files[(scene.id, s.shot.id)] = final
    return files


# -- reading ------------------------------------------------------------------------------------------


def import_timeline(path: str | os.PathLike[str], format: str | None = None) -> tuple[Storyboard, list[str]]:
    """A storyboard from a timeline file: scene order, names, durations, dialogue and transitions from the
    timeline itself; everything else from director's metadata where the file kept it. Also returns notes."""
    otio = _otio()
    path = Path(path)
    format = format or SUFFIX_FORMATS.get(path.suffix.lower())
    if format not in TIMELINE_FORMATS:
        raise InputError(f"{path}: unknown timeline format {format!r}; use one of {', '.join(TIMELINE_FORMATS)}")
    if not otio.adapters.from_name(TIMELINE_FORMATS[format][0]).has_feature("read_from_string"):
        raise InputError(f"{path}: OTIO can write {format} but not read it; import the .otio or .kdenlive export instead")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read as text ({e})") from None
    timeline = _read_string(otio, text, TIMELINE_FORMATS[format][0], str(path))
    if not isinstance(timeline, otio.schema.Timeline) or not timeline.video_tracks():
        raise InputError(f"{path}: holds no timeline with a video track")
    _guides_to_clip_markers(otio, timeline)  # dialogue written as timeline markers (Kdenlive's guides)
    return timeline_storyboard(timeline, source=str(path))


def timeline_storyboard(timeline: Any, source: str = "<timeline>") -> tuple[Storyboard, list[str]]:
    """The inverse of `storyboard_timeline` (see `import_timeline`)."""
    notes: list[str] = []
    meta = dict(timeline.metadata.get(META, {}))
    board_data = dict(meta.get("storyboard", {}))
    track = timeline.video_tracks()[0]
    clips = [item for item in track if type(item).__name__ == "Clip"]
    if not clips:
        raise InputError(f"{source}: its video track has no clips")
    rate = clips[0].duration().rate
    fps = int(meta.get("fps") or board_data.get("fps") or round(rate))
    board_data.setdefault("fps", fps)
    board_data.setdefault("title", timeline.name or "Imported timeline")
    cast = {e["id"]: e for e in board_data.get("entities", [])}
    by_name = {e["name"]: e["id"] for e in cast.values()}

    # Group the track's items into scenes: consecutive clips of one scene, and the transition after them.
    scenes: list[dict[str, Any]] = []
    for item in track:
        kind = type(item).__name__
        if kind == "Transition":
            if scenes:
                scenes[-1]["transition"] = item
            continue
        if kind != "Clip":
            continue
        info = dict(item.metadata.get(META, {}))
        scene_id = info.get("scene") or _scene_id_from_name(item.name, len(scenes))
        if not scenes or scenes[-1]["id"] != scene_id or scenes[-1]["transition"] is not None:
            scenes.append({"id": scene_id, "clips": [], "transition": None, "data": None})
        scenes[-1]["clips"].append(item)
        if "scene_data" in info:
            scenes[-1]["data"] = info["scene_data"]

    # With no dialogue markers in the file (an editor's titles, or markers lost on the way), a subtitle track's lines.
    titles = [] if any(_own_markers(c) for c in clips) else _subtitle_lines(timeline)
    scene_starts = [track.range_of_child(group["clips"][0]).start_time.to_seconds() for group in scenes]
    built = []
    for k, group in enumerate(scenes):
        frames = sum(round(c.duration().to_frames()) for c in group["clips"])
        transition = group["transition"]
        data = dict(group["data"] or {})
        outgoing = _transition_of(transition, fps)
        if transition is None and k == len(scenes) - 1 and data.get("transition", {}).get("kind") == "fade_to_black":
            outgoing = Transition.model_validate(data["transition"])  # a last fade has no clip after it: kept in metadata
        if outgoing.kind == "crossfade":
            frames += round(transition.out_offset.to_frames())
        duration = float(data.get("duration") or 0)
        if not duration or max(2, round(duration * fps)) != frames:
            if duration:
                notes.append(f"{group['id']}: the timeline gives it {frames / fps:g} s (it was {duration:g} s)")
            duration = frames / fps
        first = group["clips"][0]
        data.update({
            "id": _unique_id(group["id"], {s["id"] for s in built}),
            "duration": duration,
            "heading": first.metadata.get(META, {}).get("heading", data.get("heading", first.name)),
            "transition": outgoing.model_dump(),
        })
        present = data.setdefault("entities", [])
        data["shots"] = _shots_of_clips(group["clips"], fps, duration, data.get("shots"), data["id"], present, notes)
        if titles:
            end = scene_starts[k + 1] if k + 1 < len(scenes) else float("inf")
            mine = [(begin - scene_starts[k], length, label) for begin, length, label in titles if scene_starts[k] <= begin < end]
            data["dialogue"] = _dialogue_from_titles(mine, fps, duration, by_name, notes, present)
        else:
            data["dialogue"] = _dialogue_of(group["clips"], fps, duration, cast, by_name, notes, present)
        if data.get("layouts"):
            kept = [f for f in data["layouts"] if f["t"] <= duration]
            if len(kept) < len(data["layouts"]):
                notes.append(f"{data['id']}: dropped {len(data['layouts']) - len(kept)} layout frames past its new end")
            data["layouts"] = kept
        for name in ("relations", "motions", "visibility"):
            data[name] = [r for r in data.get(name, []) if all(r.get(t) is None or r[t] <= duration for t in ("start", "end"))]
        built.append(data)
    if built and built[-1]["transition"]["kind"] == "crossfade":
        built[-1]["transition"] = Transition().model_dump()
    board_data["entities"] = list(cast.values())
    board_data["scenes"] = built
    try:
        board = Storyboard.model_validate(board_data)
    except ValidationError as e:
        raise InputError(f"{source}: does not make a valid storyboard: {format_validation_error(e)}") from None
    return board.revalidated(), notes


def _shots_of_clips(clips, fps: int, duration: float, listed: list | None, scene_id: str, present: list[str], notes: list[str]) -> list[dict[str, Any]]:
    """One shot per clip of a scene, starting where the clip starts in the scene; the shot's own fields from the
    clip's metadata, else its id and size from the clip's name. `listed`: the scene's shots as exported (None:
    not in the file); a scene that listed none and is still one wide clip lists none again."""
    firsts, at = [], 0
    for clip in clips:
        firsts.append(at)
        at += round(clip.duration().to_frames())
    shots, from_names = [], False
    for k, (clip, first) in enumerate(zip(clips, firsts, strict=True)):
        stored = clip.metadata.get(META, {}).get("shot_data")
        if stored is None:
            from_names = True
            stored = _shot_from_name(clip.name, k)
        shot = dict(stored)
        kept_start = shot.get("start") is not None and round(shot["start"] * fps) == first
        shot["start"] = 0.0 if k == 0 else (shot["start"] if kept_start else round(first / fps, 4))
        shot["id"] = _unique_id(shot["id"], {s["id"] for s in shots})
        absent = [e for e in shot.get("subjects", []) if e not in present]
        if absent:
            notes.append(f"{scene_id}.{shot['id']}: dropped the subjects {', '.join(absent)}, who are not in the scene")
            shot["subjects"] = [e for e in shot["subjects"] if e in present]
        target = (shot.get("move") or {}).get("target")
        if target is not None and target not in present:
            notes.append(f"{scene_id}.{shot['id']}: its camera followed {target}, who is not in the scene; it is static now")
            shot["move"] = {"kind": "static"}
        shots.append(shot)
    for shot, after in zip(shots, [*shots[1:], None], strict=True):
        shot["end"] = after["start"] if after is not None else duration
    one_wide = [Shot(id="shot_1", start=0.0, end=duration).model_dump(mode="json")]
    if ((listed is not None and len(listed) == 0) or (listed is None and from_names)) and [Shot.model_validate(s).model_dump(mode="json") for s in shots] == one_wide:
        return []  # one wide static shot of it all: what a scene that lists no shots means
    if from_names:
        notes.append(f"{scene_id}: {len(shots)} shots from the clips' names (id, size) and times; "
                     "their angle, camera move and subjects are not in this file")
    return shots


def _shot_from_name(name: str, index: int) -> dict[str, Any]:
    """'scene_2.shot_3.close_up' -> shot_3, a close-up; another editor's 'Opening shot' -> shot_N, wide."""
    parts = (name or "").split(".")
    shot_id = parts[1] if len(parts) > 1 and re.fullmatch(r"[a-z][a-z0-9_]*", parts[1]) else f"shot_{index + 1}"
    size = parts[2] if len(parts) > 2 and parts[2] in get_args(ShotSize) else "wide"
    return {"id": shot_id, "size": size}


def _scene_id_from_name(name: str, index: int) -> str:
    """'scene_2.shot_1.wide' -> 'scene_2'; another editor's 'Opening shot' -> 'opening_shot'."""
    base = (name or "").split(".")[0]
    slug = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")
    return slug if slug and slug[0].isalpha() else f"scene_{index + 1}"


def _unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _transition_of(transition: Any, fps: int) -> Transition:
    if transition is None:
        return Transition()
    stored = transition.metadata.get(META, {}).get("transition")
    if stored:
        return Transition.model_validate(stored)
    if transition.name == "fade_to_black":
        return Transition(kind="fade_to_black", duration=max(transition.in_offset.to_frames(), 1) / fps)
    frames = (transition.in_offset + transition.out_offset).to_frames()
    return Transition(kind="crossfade", duration=max(frames, 1) / fps) if frames else Transition()


def _subtitle_lines(timeline: Any) -> list[tuple[float, float, str]]:
    """(start, duration in seconds, text) of every clip of the timeline's subtitle tracks."""
    return sorted((track.range_of_child(c).start_time.to_seconds(), c.duration().to_seconds(), c.name)
                  for track in subtitle_tracks(timeline) for c in track.find_clips())


def _line_from_label(label: str, by_name: dict) -> tuple[str | None, str]:
    """'Mira: Wait!' -> ('mira', 'Wait!') when Mira is in the cast; else (None, the whole label)."""
    name, sep, text = label.partition(": ")
    if sep and name in by_name:
        return by_name[name], text
    return None, label


def _dialogue_from_titles(titles, fps: int, duration: float, by_name: dict, notes: list[str], present: list[str]) -> list[dict[str, Any]]:
    """Dialogue from subtitle clips (start and length in seconds into the scene, text)."""
    lines = []
    for begin, length, label in titles:
        speaker, text = _line_from_label(label, by_name)
        line = {"speaker": speaker, "text": text or "(title)", "start": round(begin, 4), "end": round(min(begin + max(length, 1 / fps), duration), 4)}
        if line["start"] >= duration:
            notes.append(f"dropped the line {line['text']!r}: it starts after its scene's end")
            continue
        if speaker and speaker not in present:
            present.append(speaker)
        lines.append(line)
    return lines


def _dialogue_of(clips, fps: int, duration: float, cast: dict, by_name: dict, notes: list[str], present: list[str]) -> list[dict[str, Any]]:
    """Dialogue from the clips' markers: the stored line where its time still matches, else the marker's name and time."""
    lines = []
    offset = 0.0  # seconds into the scene where the clip starts
    for clip in clips:
        source_start = clip.source_range.start_time.to_frames() if clip.source_range else 0
        for marker in _own_markers(clip):
            begin = (marker.marked_range.start_time.to_frames() - source_start) / fps + offset
            length = marker.marked_range.duration.to_frames() / fps
            stored = marker.metadata.get(META, {}).get("dialogue")
            if stored and round(stored["start"] * fps) == round(begin * fps):
                line = dict(stored)
            else:
                speaker, text = _line_from_label(marker.name, by_name)
                line = {"speaker": speaker, "text": text or "(marker)", "start": round(begin, 4), "end": round(begin + max(length, 1 / fps), 4)}
            if line["start"] >= duration:
                notes.append(f"dropped the line {line['text']!r}: it starts after its scene's end")
                continue
            line["end"] = min(line["end"], duration)
            if line["speaker"] and line["speaker"] not in present:
                present.append(line["speaker"])
            lines.append(line)
        offset += clip.duration().to_frames() / fps
    return sorted(lines, key=lambda line: line["start"])
