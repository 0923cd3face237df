"""Cast edits that reach into every scene, and re-planning one scene while keeping the rest."""

from __future__ import annotations

import pytest

from director.api import Director
from director.editor.cast import merge_entities, rename_entity, split_entity
from director.editor.replan import replan_scene, script_of
from director.errors import InputError
from director.storyboard import Box, Entity, LayoutFrame, Relation, Scene, Storyboard
from tests.conftest import make_board


def two_girls() -> Storyboard:
    """A board where the planner saw one girl as two: 'girl' in scene 1, 'mira' in scene 2 (who also speaks)."""
    cast = [
        Entity(id="girl", name="girl", category="child", description="a girl in a yellow coat"),
        Entity(id="mira", name="Mira", category="child"),
        Entity(id="dog", name="dog", category="dog"),
    ]
    scenes = []
    for k, person in enumerate(["girl", "mira"]):
        scenes.append(
            Scene(
                id=f"scene_{k + 1}",
                duration=2.0,
                entities=[person, "dog"],
                relations=[Relation(subject="dog", predicate="left_of", object=person)],
                layouts=[LayoutFrame(t=0.0, boxes={person: Box(x0=0.5, y0=0.3, x1=0.7, y1=0.9), "dog": Box(x0=0.1, y0=0.6, x1=0.3, y1=0.9)})],
                dialogue=[{"speaker": person, "text": "Hello", "start": 0.0, "end": 1.0}],
            )
        )
    scenes[1] = scenes[1].model_copy(update={"entities": ["mira", "dog", "girl"], "relations": [Relation(subject="girl", predicate="near", object="mira")]})
    return Storyboard(title="t", entities=cast, scenes=scenes)


def test_renaming_an_id_follows_it_into_every_scene():
    board = rename_entity(make_board(), "cat", name="Whiskers", new_id="whiskers")
    assert [e.id for e in board.entities] == ["whiskers", "dog"] and board.entity("whiskers").name == "Whiskers"
    for scene in board.scenes:
        assert "whiskers" in scene.entities and all("whiskers" in f.boxes and "cat" not in f.boxes for f in scene.layouts)


@pytest.mark.parametrize(("new_id", "message"), [("dog", "already in the cast"), ("Bad Id", "not a valid id")])
def test_renaming_to_a_bad_or_taken_id_is_refused(new_id, message):
    with pytest.raises(InputError, match=message):
        rename_entity(make_board(), "cat", new_id=new_id)


def test_merging_two_identities_makes_one_everywhere():
    board = merge_entities(two_girls(), keep="mira", absorb="girl")
    assert [e.id for e in board.entities] == ["mira", "dog"]
    assert board.entity("mira").description == "a girl in a yellow coat"  # the look is kept
    first, second = board.scenes
    assert first.entities == ["mira", "dog"] and first.dialogue[0].speaker == "mira"
    assert first.layouts[0].boxes["mira"] == Box(x0=0.5, y0=0.3, x1=0.7, y1=0.9)
    assert first.relations == [Relation(subject="dog", predicate="left_of", object="mira")]
    assert second.entities == ["mira", "dog"]
    assert second.relations == []  # "girl near mira" means nothing once they are one


def test_splitting_gives_the_chosen_scenes_a_new_identity():
    board = split_entity(make_board(scenes=3), "dog", ["scene_3"], name="Rex")
    rex = board.entity("rex")
    assert rex.name == "Rex" and rex.category == "dog"
    assert "dog" in board.scenes[0].entities and "rex" not in board.scenes[0].entities
    last = board.scenes[2]
    assert "rex" in last.entities and "dog" not in last.entities
    assert all("rex" in f.boxes for f in last.layouts) and last.dialogue[0].speaker == "rex"


def test_splitting_every_scene_off_is_refused_as_a_rename():
    with pytest.raises(InputError, match="is a rename"):
        split_entity(make_board(scenes=2), "dog", ["scene_1", "scene_2"], name="Rex")


SCRIPT = """Scene 1: A girl walks from the left to the right. A dog follows her.
Scene 2: A cat sleeps on a bench.
Scene 3: The girl sits beside a tree. The dog sleeps under the tree.
"""


def test_replanning_one_scene_keeps_the_others_and_the_cast():
    board = Director(planner="rules").plan(SCRIPT)
    data = board.model_dump()
    data["entities"][0]["name"] = "Mira"  # a person renamed the girl
    data["scenes"][1]["description"] = "A red ball rolls from the right to the left. The dog chases the ball."
    edited = Storyboard.model_validate(data)
    result = replan_scene(edited, "scene_2", "rules")
    new = result.board
    assert new.scenes[0] == edited.scenes[0] and new.scenes[2] == edited.scenes[2]
    assert new.entities[: len(edited.entities)] == edited.entities  # identities untouched
    second = new.scenes[1]
    assert second.id == "scene_2" and second.description == data["scenes"][1]["description"]
    assert "dog" in second.entities  # "the dog" is scene 1's dog, not a new one
    ball = [e for e in new.entities if e.category == "ball"]
    assert [b.id for b in ball] == result.added and ball[0].id in second.entities
    motion = [m for m in second.motions if m.entity == ball[0].id]
    assert motion and motion[0].origin == "right"
    first, last = second.layouts[0].boxes[ball[0].id], second.layouts[-1].boxes[ball[0].id]
    assert first.center[0] > last.center[0]  # it rolls right to left


def test_replanning_an_unknown_scene_or_planner_is_an_error():
    board = make_board()
    with pytest.raises(InputError, match="no scene 'nope'"):
        replan_scene(board, "nope")
    with pytest.raises(InputError, match="unknown planner 'nope'"):
        replan_scene(board, "scene_1", "nope")


def test_script_of_gives_the_planner_each_scenes_text_and_speakers():
    script = script_of(make_board(scenes=3), upto=1)
    assert [s.heading for s in script.scenes] == ["scene 1", "scene 2"]
    assert script.characters == ("dog",) and script.scenes[0].speeches[0].text == "Woof"
