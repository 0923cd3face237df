"""Edits of the cast that reach into every scene: rename an identity, merge two, split one.

An entity's id is what scenes, relations, motions, layouts and dialogue refer
to, so each of these rewrites every reference at once and returns a new,
validated storyboard (the input is never changed):

- `rename_entity`: a new name (and optionally a new id) everywhere;
- `merge_entities`: two ids that are one identity (the planner saw "the girl"
  and "Mira" as two people) become one; where both had a box at the same
  keyframe, the kept one's box stays;
- `split_entity`: one id that is two identities (two different dogs both
  called "dog") becomes two: the chosen scenes get a new identity.
"""

from __future__ import annotations

import re
from typing import Any

from director.editor.shots import rename_in_shots
from director.errors import InputError
from director.storyboard import Storyboard

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def rename_entity(board: Storyboard, entity_id: str, name: str | None = None, new_id: str | None = None) -> Storyboard:
    """Give `entity_id` a new name and/or id; every scene follows."""
    data = _dump(board, entity_id)
    if name is not None and not name.strip():
        raise InputError("a name cannot be empty")
    if new_id is not None and new_id != entity_id:
        _check_new_id(data, new_id)
        _rewrite_references(data, {entity_id: new_id}, scene_ids=None)
    target = new_id or entity_id
    for entity in data["entities"]:
        if entity["id"] == entity_id:
            entity["id"] = target
            if name is not None:
                entity["name"] = name.strip()
    return Storyboard.model_validate(data)


def merge_entities(board: Storyboard, keep: str, absorb: str) -> Storyboard:
    """Make `absorb` the same identity as `keep`: its references become `keep`'s, and it leaves the cast."""
    if keep == absorb:
        raise InputError(f"cannot merge '{keep}' with itself")
    data = _dump(board, keep)
    _entity(data, absorb)
    _rewrite_references(data, {absorb: keep}, scene_ids=None)
    kept = _entity(data, keep)
    gone = _entity(data, absorb)
    kept["attributes"] = {**gone["attributes"], **kept["attributes"]}
    kept["description"] = kept["description"] or gone["description"]
    data["entities"] = [e for e in data["entities"] if e["id"] != absorb]
    return Storyboard.model_validate(data)


def split_entity(board: Storyboard, entity_id: str, scene_ids: list[str], name: str, new_id: str | None = None) -> Storyboard:
    """In `scene_ids`, replace `entity_id` by a new identity called `name` (a copy of its look, to edit)."""
    data = _dump(board, entity_id)
    appears = [s["id"] for s in data["scenes"] if _mentions(s, entity_id)]
    if not scene_ids:
        raise InputError("choose the scenes that the new identity takes over")
    unknown = [s for s in scene_ids if s not in appears]
    if unknown:
        raise InputError(f"'{entity_id}' does not appear in {', '.join(unknown)}; it appears in {', '.join(appears)}")
    if set(scene_ids) == set(appears):
        raise InputError(f"'{entity_id}' appears only in those scenes: splitting all of them off is a rename")
    if not name.strip():
        raise InputError("the new identity needs a name")
    new_id = new_id or _free_id(data, name)
    _check_new_id(data, new_id)
    original = _entity(data, entity_id)
    clone = {**original, "id": new_id, "name": name.strip(), "attributes": dict(original["attributes"])}
    data["entities"].insert(data["entities"].index(original) + 1, clone)
    _rewrite_references(data, {entity_id: new_id}, scene_ids=set(scene_ids))
    return Storyboard.model_validate(data)


# -- helpers ----------------------------------------------------------------------------------------


def _dump(board: Storyboard, entity_id: str) -> dict[str, Any]:
    data = board.model_dump(mode="json")
    _entity(data, entity_id)
    return data


def _entity(data: dict[str, Any], entity_id: str) -> dict[str, Any]:
    for entity in data["entities"]:
        if entity["id"] == entity_id:
            return entity
    raise InputError(f"there is no '{entity_id}' in the cast")


def _check_new_id(data: dict[str, Any], new_id: str) -> None:
    if not _ID.match(new_id) or len(new_id) > 64:
        raise InputError(f"'{new_id}' is not a valid id: use lower-case letters, digits and '_', starting with a letter")
    if any(e["id"] == new_id for e in data["entities"]):
        raise InputError(f"'{new_id}' is already in the cast")


def _free_id(data: dict[str, Any], name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:56] or "entity"
    if not base[0].isalpha():
        base = "e_" + base
    taken = {e["id"] for e in data["entities"]}
    candidate, k = base, 2
    while candidate in taken:
        candidate, k = f"{base}_{k}", k + 1
    return candidate


def _mentions(scene: dict[str, Any], entity_id: str) -> bool:
    return entity_id in scene["entities"] or any(line["speaker"] == entity_id for line in scene["dialogue"])


def _rewrite_references(data: dict[str, Any], mapping: dict[str, str], scene_ids: set[str] | None) -> None:
    """Rename ids in scenes (all, or those in `scene_ids`): entities, relations, motions, visibility,
    layouts, speakers and shots. Where an old and a new id meet in one place, the target's entry stays."""

    def rename(entity_id: str | None) -> str | None:
        return mapping.get(entity_id, entity_id) if entity_id is not None else None

    for scene in data["scenes"]:
        if scene_ids is not None and scene["id"] not in scene_ids:
            continue
        entities: list[str] = []
        for entity_id in scene["entities"]:
            renamed = rename(entity_id)
            if renamed not in entities:
                entities.append(renamed)
        scene["entities"] = entities
        relations = []
        for relation in scene["relations"]:
            relation["subject"], relation["object"] = rename(relation["subject"]), rename(relation["object"])
            if relation["subject"] != relation["object"] and relation not in relations:
                relations.append(relation)  # a relation between the two merged ones has no meaning left
        scene["relations"] = relations
        for item in (*scene["motions"], *scene["visibility"]):
            item["entity"] = rename(item["entity"])
        for frame in scene["layouts"]:
            boxes: dict[str, Any] = {}
            for entity_id, box in frame["boxes"].items():
                renamed = rename(entity_id)
                if renamed == entity_id or renamed not in frame["boxes"]:
                    boxes[renamed] = box
            frame["boxes"] = boxes
        for line in scene["dialogue"]:
            line["speaker"] = rename(line["speaker"])
        rename_in_shots(scene["shots"], rename)
