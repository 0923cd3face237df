"""A shot's framing in the words a text-to-image or text-to-video model was trained on.

`framing_phrase(shot, scene)` says how the shot frames the scene: its size ("close-up",
"extreme wide shot"), its angle ("low angle", "seen through the eyes of a small brown dog")
and its camera move ("the camera pans left"), as captioned datasets and prompt guides word
them. The boxes the renderer is given are already framed by the shot's camera (a close-up's
subject is a large box); the phrase tells the model the same thing in words, which camera
prompts need for moves a box track cannot show (a pan over an empty landscape).

A default shot (wide, eye level, static) has no phrase, so its prompt is the one a scene
without shots had.
"""

from __future__ import annotations

from director.renderer import SceneContext
from director.storyboard import Shot
from renderers.diffusers.identity import entity_phrase

SIZE_PHRASES = {
    "extreme_wide": "extreme wide shot",
    "wide": "wide shot",
    "full": "full shot",
    "medium": "medium shot",
    "close_up": "close-up",
    "extreme_close_up": "extreme close-up",
    "insert": "insert shot, detail",
}
ANGLE_PHRASES = {"high": "high angle", "low": "low angle", "overhead": "overhead shot, top-down view"}
MOVE_VERBS = {"pan": "pans", "truck": "trucks", "tilt": "tilts", "zoom": "zooms", "dolly": "dollies"}


def framing_phrase(shot: Shot | None, scene: SceneContext) -> str:
    """'close-up, low angle, the camera pans left'; empty for no shot or a default (wide, eye-level, static) one."""
    if shot is None or (shot.size, shot.angle, shot.move.kind) == ("wide", "eye_level", "static"):
        return ""
    parts = [SIZE_PHRASES[shot.size]]
    if shot.angle == "pov":
        parts.append(f"point of view shot, seen through the eyes of {_who(shot.pov, scene)}")
    elif shot.angle in ANGLE_PHRASES:
        parts.append(ANGLE_PHRASES[shot.angle])
    move = shot.move
    if move.kind == "follow":
        parts.append(f"the camera follows {_who(move.target, scene)}")
    elif move.kind != "static":
        parts.append(f"the camera {MOVE_VERBS[move.kind]} {move.direction}")
    return ", ".join(parts)


def _who(entity_id: str | None, scene: SceneContext) -> str:
    """An entity's identity phrase when it is in the scene, else its id in words."""
    for entity in scene.entities:
        if entity.id == entity_id:
            return entity_phrase(entity)
    return (entity_id or "someone").replace("_", " ")
