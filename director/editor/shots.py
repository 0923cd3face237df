"""Edits of a scene's shots: add one, split one at the playhead, delete one, change how one frames.

A scene's shots cover it from 0 to its duration without gaps (`Scene._check_shots`), so every edit
here keeps them covering it, and returns a new, validated storyboard (the input is never changed):

- `add_shot`: a new shot after the one at time `at`, taking the second half of its time; it frames
  whoever speaks then (else what that shot framed) in a medium shot, for a person to change;
- `split_shot`: the shot at `at` cut in two there, both framed as it was;
- `delete_shot`: a shot goes and its neighbour takes its time (the one before it; the first shot's
  time goes to the next); deleting the last shot leaves the scene one wide shot, as a board without
  shots means;
- `update_shot`: a new size, angle, POV, camera move, subjects or description.

Cuts fall on frames: a cut at a time between two frames moves to the nearer one, and a shot shorter
than one frame is refused (the storyboard's own check). A scene listing no shots is edited as the one
wide shot it means (`Scene.cut`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from director.errors import InputError, format_validation_error
from director.storyboard import Scene, Shot, Storyboard

SHOT_FIELDS = ("size", "angle", "pov", "move", "subjects", "description")
"""What `update_shot` may change; a shot's times change only through the edits that keep the cover."""


def add_shot(board: Storyboard, scene_id: str, at: float) -> tuple[Storyboard, str]:
    """A new shot after the one at `at`, in the second half of its time; returns the board and its id."""
    scene, index = _scene(board, scene_id)
    shots = list(scene.cut)
    k, frames = _shot_index(scene, board.fps, at)
    if len(frames) < 2:
        raise InputError(f"shot {shots[k].id!r} lasts one frame: there is no time in it for another shot")
    cut = frames.start + len(frames) // 2
    old = shots[k]
    new = Shot(id=_free_id(shots), start=cut / board.fps, end=old.end, size="medium", subjects=_speakers(scene, cut / board.fps, old.end) or old.subjects)
    shots[k : k + 1] = [old.model_copy(update={"end": new.start}), new]
    return _with_shots(board, index, shots), new.id


def split_shot(board: Storyboard, scene_id: str, at: float) -> tuple[Storyboard, str]:
    """Cut the shot at `at` in two there (on the nearest frame); returns the board and the second part's id."""
    scene, index = _scene(board, scene_id)
    shots = list(scene.cut)
    k, frames = _shot_index(scene, board.fps, at)
    cut = round(at * board.fps)
    if not frames.start < cut < frames.stop:
        raise InputError(
            f"{at:g} s is at the edge of shot {shots[k].id!r} ({shots[k].start:g}-{shots[k].end:g} s): move the playhead "
            "inside the shot to split it"
        )
    old = shots[k]
    second = old.model_copy(update={"id": _free_id(shots), "start": cut / board.fps})
    shots[k : k + 1] = [old.model_copy(update={"end": second.start}), second]
    return _with_shots(board, index, shots), second.id


def delete_shot(board: Storyboard, scene_id: str, shot_id: str) -> Storyboard:
    """Remove a shot; the shot before it (or, for the first, the one after it) takes its time."""
    scene, index = _scene(board, scene_id)
    if not scene.shots:
        raise InputError(f"scene {scene_id!r} is one wide shot (it lists none): there is no shot to delete")
    shots = list(scene.shots)
    k = _find(shots, shot_id, scene_id)
    gone = shots.pop(k)
    if shots and k > 0:
        shots[k - 1] = shots[k - 1].model_copy(update={"end": gone.end})
    elif shots:
        shots[0] = shots[0].model_copy(update={"start": gone.start})
    return _with_shots(board, index, shots)


def update_shot(board: Storyboard, scene_id: str, shot_id: str, changes: dict[str, Any]) -> Storyboard:
    """Change how a shot frames (`SHOT_FIELDS`); the shot and the board are validated again."""
    unknown = sorted(set(changes) - set(SHOT_FIELDS))
    if unknown:
        raise InputError(f"a shot's {', '.join(unknown)} cannot be changed here; these can: {', '.join(SHOT_FIELDS)}")
    scene, index = _scene(board, scene_id)
    shots = list(scene.cut)
    k = _find(shots, shot_id, scene_id)
    try:
        shots[k] = Shot.model_validate({**shots[k].model_dump(), **changes})
    except ValidationError as e:
        raise _invalid(e, f"scenes.{index}.shots.{k}") from None
    return _with_shots(board, index, shots)


def rename_in_shots(shots: list[dict[str, Any]], rename: Callable[[str | None], str | None]) -> None:
    """Rename the entity ids shots (as JSON data) refer to: their subjects, POV and follow target, in place;
    for the cast edits and re-planning, which rename ids everywhere else in a scene."""
    for shot in shots:
        shot["subjects"] = list(dict.fromkeys(rename(s) for s in shot["subjects"]))
        shot["pov"] = rename(shot["pov"])
        shot["move"]["target"] = rename(shot["move"]["target"])


# -- helpers ---------------------------------------------------------------------------------------------------


def _scene(board: Storyboard, scene_id: str) -> tuple[Scene, int]:
    for i, scene in enumerate(board.scenes):
        if scene.id == scene_id:
            return scene, i
    raise InputError(f"there is no scene {scene_id!r}")


def _shot_index(scene: Scene, fps: int, at: float) -> tuple[int, range]:
    """The index in `scene.cut` of the shot showing the frame nearest `at`, and its frames."""
    if not 0 <= at <= scene.duration:
        raise InputError(f"{at:g} s is outside scene {scene.id!r} (0-{scene.duration:g} s)")
    frame = min(round(at * fps), scene.num_frames(fps) - 1)
    for k, (_, frames) in enumerate(scene.shot_frames(fps)):
        if frame < frames.stop:
            return k, frames
    raise AssertionError("shot_frames covers every frame")  # pragma: no cover


def _find(shots: list[Shot], shot_id: str, scene_id: str) -> int:
    for k, shot in enumerate(shots):
        if shot.id == shot_id:
            return k
    raise InputError(f"scene {scene_id!r} has no shot {shot_id!r}; it has {', '.join(s.id for s in shots) or 'none listed'}")


def _free_id(shots: list[Shot]) -> str:
    taken = {shot.id for shot in shots}
    n = len(shots) + 1
    while f"shot_{n}" in taken:
        n += 1
    return f"shot_{n}"


def _speakers(scene: Scene, start: float, end: float) -> list[str]:
    """Who speaks between `start` and `end` (present in the scene), in the order they first speak."""
    found = [line.speaker for line in scene.dialogue if line.speaker in scene.entities and line.start < end and line.end > start]
    return list(dict.fromkeys(found))  # type: ignore[arg-type]  # None filtered by `in scene.entities`


def _with_shots(board: Storyboard, index: int, shots: list[Shot]) -> Storyboard:
    data = board.model_dump()
    data["scenes"][index]["shots"] = [shot.model_dump() for shot in shots]
    try:
        return Storyboard.model_validate(data)
    except ValidationError as e:
        raise _invalid(e, "") from None


def _invalid(error: ValidationError, where: str) -> InputError:
    return InputError(f"{where + ': ' if where else ''}{format_validation_error(error)}")
