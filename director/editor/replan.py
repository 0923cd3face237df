"""Re-plan one scene with a planner, keeping the rest of the storyboard and the cast's identities.

The person fixes a scene's text (its description, its dialogue) and asks the
planner to plan that scene again. How:

1. A `Script` is rebuilt from the storyboard's own text: each scene's heading,
   description and dialogue, up to and including the scene to re-plan (the
   earlier scenes give the planner the context it needs to resolve "the cat"
   and "she" the way it did the first time).
2. The planner plans that script; its last scene is the new plan. A planner
   with its own `replan_scene(board, scene_id, options) -> Storyboard` is
   asked that instead (an LLM planner may re-plan one scene without the
   others); it returns the storyboard with that scene planned again.
3. The new scene's entities are matched to the existing cast: the same id and
   category, or the same name, is the same identity (its name, look and
   colour stay as the cast has them); anything else joins the cast under a
   fresh id.
4. The new scene keeps the old one's id, heading, description, background and
   transition; its entities, relations, motions, visibility, layouts,
   dialogue timing and duration come from the planner. Every other scene is
   untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from director import registry
from director.editor.shots import rename_in_shots
from director.editor.validation import validate_storyboard
from director.errors import InputError
from director.planner import PlanOptions
from director.script import Action, Script, ScriptScene, Speech
from director.storyboard import Entity, Scene, Storyboard


@dataclass(frozen=True)
class ReplanResult:
    board: Storyboard
    added: list[str]  # ids that joined the cast
    notes: list[str]


def script_of(board: Storyboard, upto: int) -> Script:
    """The storyboard's scenes 0..upto as a script: heading, description, then the dialogue in time order."""
    names = {e.id: e.name for e in board.entities}
    scenes = []
    for scene in board.scenes[: upto + 1]:
        beats: list[Action | Speech] = []
        if scene.description.strip():
            beats.append(Action(scene.description.strip()))
        for line in sorted(scene.dialogue, key=lambda d: d.start):
            beats.append(Speech(names.get(line.speaker) if line.speaker else None, line.text))
        scenes.append(ScriptScene(heading=scene.heading or scene.id, beats=tuple(beats)))
    speakers = tuple(dict.fromkeys(names[d.speaker] for s in board.scenes[: upto + 1] for d in s.dialogue if d.speaker))
    return Script(title=board.title, format="scenes", scenes=tuple(scenes), source="<storyboard>", characters=speakers)


def replan_scene(board: Storyboard, scene_id: str, planner: str | Any = "rules") -> ReplanResult:
    """Plan `scene_id` again from its text with the named planner (or a planner object)."""
    ids = [s.id for s in board.scenes]
    if scene_id not in ids:
        raise InputError(f"there is no scene {scene_id!r}")
    k = ids.index(scene_id)
    planner_obj = registry.create("planner", planner) if isinstance(planner, str) else planner
    options = PlanOptions(
        fps=board.fps, width=board.width, height=board.height, seed=board.provenance.seed, style=board.style, title=board.title
    )
    if hasattr(planner_obj, "replan_scene"):
        planned: Storyboard = planner_obj.replan_scene(board, scene_id, options)
        fresh = planned.scene(scene_id)
    else:
        planned = planner_obj.plan(script_of(board, k), options)
        fresh = planned.scenes[-1]
    fresh_cast = {e.id: e for e in planned.entities}
    mapping, added = _match_cast(board, fresh, fresh_cast)
    new_scene = _renamed_scene(fresh, mapping).model_copy(
        update={
            "id": scene_id,
            "heading": board.scenes[k].heading,
            "description": board.scenes[k].description,
            "background": board.scenes[k].background or fresh.background,
            "transition": board.scenes[k].transition,
        }
    )
    entities = list(board.entities) + [fresh_cast[old].model_copy(update={"id": new}) for old, new in added]
    data = board.model_dump()
    data["entities"] = [e.model_dump() for e in entities]
    data["scenes"][k] = new_scene.model_dump()
    notes = []
    old = board.scenes[k]
    if old.duration != new_scene.duration:
        notes.append(f"the scene now lasts {new_scene.duration:g} s (it lasted {old.duration:g} s)")
    gone = [e for e in old.entities if e not in new_scene.entities]
    if gone:
        notes.append("no longer in the scene: " + ", ".join(gone))
    return ReplanResult(validate_storyboard(data), [new for _, new in added], notes)


def _match_cast(board: Storyboard, scene: Scene, fresh_cast: dict[str, Entity]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Map the planner's ids to the cast's: same id and category, or same name; else a fresh id."""
    cast = {e.id: e for e in board.entities}
    by_name = {e.name.casefold(): e.id for e in board.entities}
    mapping: dict[str, str] = {}
    added: list[tuple[str, str]] = []
    taken = set(cast)
    referenced = list(scene.entities) + [d.speaker for d in scene.dialogue if d.speaker and d.speaker not in scene.entities]
    for entity_id in referenced:
        entity = fresh_cast.get(entity_id)
        if entity_id in cast and (entity is None or cast[entity_id].category == entity.category):
            mapping[entity_id] = entity_id
        elif entity is not None and entity.name.casefold() in by_name:
            mapping[entity_id] = by_name[entity.name.casefold()]
        else:
            if entity is None:
                raise InputError(f"the planner used '{entity_id}' without putting it in its cast")
            new_id, k = entity_id, 2
            while new_id in taken:
                new_id, k = f"{entity_id}_{k}", k + 1
            taken.add(new_id)
            mapping[entity_id] = new_id
            added.append((entity_id, new_id))
    return mapping, added


def _renamed_scene(scene: Scene, mapping: dict[str, str]) -> Scene:
    def rename(entity_id: str | None) -> str | None:
        return mapping.get(entity_id, entity_id) if entity_id is not None else None

    data = scene.model_dump()
    data["entities"] = list(dict.fromkeys(rename(e) for e in data["entities"]))
    relations = []
    for relation in data["relations"]:
        relation["subject"], relation["object"] = rename(relation["subject"]), rename(relation["object"])
        if relation["subject"] != relation["object"]:
            relations.append(relation)
    data["relations"] = relations
    for item in (*data["motions"], *data["visibility"]):
        item["entity"] = rename(item["entity"])
    for frame in data["layouts"]:
        frame["boxes"] = {rename(k): v for k, v in frame["boxes"].items()}
    for line in data["dialogue"]:
        line["speaker"] = rename(line["speaker"])
    rename_in_shots(data["shots"], rename)
    return Scene.model_validate(data)
