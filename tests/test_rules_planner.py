"""The rules planner: cast and coreference, relations, motions, visibility, timing, and valid storyboards."""

from __future__ import annotations

import pytest

from director.graph import check_storyboard
from director.layout import in_region, relation_holds
from director.planner import PlanOptions
from director.script import parse_script, read_script
from director.storyboard import Storyboard
from planners.rules import RulesPlanner
from tests.conftest import EXAMPLES


def plan(text: str, **options) -> Storyboard:
    return RulesPlanner().plan(parse_script(text), PlanOptions(**options))


def ids(board: Storyboard) -> list[str]:
    return [e.id for e in board.entities]


def test_the_cat_in_a_later_scene_is_the_same_identity():
    board = plan("A black cat sleeps.\n\nA dog barks.\n\nThe cat wakes up.")
    assert ids(board) == ["black_cat", "dog"]
    assert board.scenes[2].entities == ["black_cat"]


def test_another_and_a_introduce_new_identities():
    board = plan("A cat sleeps. Another cat plays. A cat watches.")
    assert [e.category for e in board.entities] == ["cat", "cat", "cat"]
    assert len(set(ids(board))) == 3


def test_numbers_make_that_many_entities_with_shared_attributes():
    board = plan("Three red balloons float above a house.")
    balloons = [e for e in board.entities if e.category == "balloon"]
    assert len(balloons) == 3
    assert all(e.attributes["color"] == "red" for e in balloons)
    assert len(board.scenes[0].layouts[0].boxes) == 4


def test_pronouns_refer_to_the_latest_subject():
    board = plan("A dog chases a black cat. The cat climbs onto the bench. It looks at the dog.")
    looks = [r for r in board.scenes[0].relations if r.predicate == "look_at"]
    assert [(r.subject, r.object) for r in looks] == [("black_cat", "dog")]


def test_she_refers_to_the_girl_and_colour_words_must_match():
    board = plan("A girl holds a red ball. A boy holds a blue ball. She throws the red ball.")
    throws = [r for r in board.scenes[0].relations if r.predicate == "throw"]
    assert [(r.subject, r.object) for r in throws] == [("girl", "red_ball")]


def test_named_and_appositive_characters_take_the_noun_category():
    board = plan("A little girl named Mira walks her dog BISCUIT.")
    cast = {e.id: e for e in board.entities}
    assert cast["mira"].category == "child" and cast["biscuit"].category == "dog"
    assert "Mira, a little girl" == cast["mira"].description


def test_fountain_characters_are_one_identity_with_their_introduction():
    text = "EXT. WOODS - NIGHT\n\nAn old owl sits in a tree.\n\nOWL\nHoo.\n\nEXT. WOODS - DAY\n\nThe owl sleeps.\n"
    board = plan(text)
    owls = [e for e in board.entities if e.category == "owl"]
    assert len(owls) == 1
    assert board.scenes[0].dialogue[0].speaker == owls[0].id
    assert owls[0].id in board.scenes[1].entities


@pytest.mark.parametrize(
    ("sentence", "predicate"),
    [
        ("A cat sits to the left of a dog.", "left_of"),
        ("A cat sits right of a dog.", "right_of"),
        ("A cat sleeps on a table.", "on"),
        ("A bird flies above a house.", "above"),
        ("A ball lies under a table.", "under"),
        ("A dog sits beside a tree.", "beside"),
        ("A girl stands next to a car.", "beside"),
        ("A dog stands in front of a house.", "in_front_of"),
    ],
)
def test_spatial_phrases_become_relations_the_boxes_follow(sentence, predicate):
    board = plan(sentence)
    scene = board.scenes[0]
    relation = next(r for r in scene.relations if r.predicate == predicate)
    for frame in scene.layouts:
        assert relation_holds(predicate, frame.boxes[relation.subject], frame.boxes[relation.object])


def test_a_cat_and_a_dog_under_a_tree_relates_both():
    board = plan("A cat and a dog sit under a tree.")
    assert {(r.subject, r.predicate, r.object) for r in board.scenes[0].relations} == {
        ("cat", "under", "tree"),
        ("dog", "under", "tree"),
    }


def test_actions_are_timed_edges_within_their_sentence():
    board = plan("A girl waves. A dog chases a ball. A cat sleeps.")
    scene = board.scenes[0]
    chase = next(r for r in scene.relations if r.predicate == "chase")
    assert (chase.subject, chase.object) == ("dog", "ball")
    assert 0 < chase.start < chase.end < scene.duration


@pytest.mark.parametrize(
    ("sentence", "first", "last"),
    [
        ("A car drives from the left to the right.", "left", "right"),
        ("A car drives from the right side to the left side of the screen.", "right", "left"),
        ("A balloon floats from the bottom left to the top right.", "lower_left", "upper_right"),
    ],
)
def test_from_to_motions_move_the_box(sentence, first, last):
    board = plan(sentence)
    scene = board.scenes[0]
    entity = scene.motions[0].entity
    boxes = [f.boxes[entity] for f in scene.layouts if entity in f.boxes]
    assert in_region(boxes[0], first) and in_region(boxes[-1], last)


def test_enters_from_the_upper_right():
    board = plan("A dog sleeps. A bird enters from the upper right.")
    scene = board.scenes[0]
    motion = scene.motions[0]
    assert motion.enters and motion.origin == "upper_right" and motion.start > 0
    assert "bird" not in scene.layout_at(0.0)
    assert "bird" in scene.layout_at(scene.duration)


def test_first_then_moves_visit_regions_in_order():
    board = plan("A bird first flies to the top left, then to the bottom right, and finally to the center.")
    assert board.scenes[0].motions[0].path == ["upper_left", "lower_right", "center"]


def test_appears_only_in_the_second_half():
    board = plan("A dog sits. A red ball appears only in the second half.")
    scene = board.scenes[0]
    assert [(v.entity, v.start, v.end) for v in scene.visibility] == [("red_ball", scene.duration / 2, scene.duration)]
    assert "red_ball" not in scene.layout_at(scene.duration * 0.25)
    assert "red_ball" in scene.layout_at(scene.duration * 0.75)


def test_dialogue_is_timed_in_order_and_scenes_last_long_enough():
    board = plan('"Hello there, old friend," said Mira. "Hi," said Sam.')
    scene = board.scenes[0]
    assert [(d.speaker, d.text) for d in scene.dialogue] == [("mira", "Hello there, old friend"), ("sam", "Hi")]
    assert scene.dialogue[0].end <= scene.dialogue[1].start
    assert scene.duration >= 3.0


def test_fountain_transitions_and_backgrounds():
    text = "EXT. BEACH - DUSK\n\nA gull flies.\n\nDISSOLVE TO:\n\nINT. KITCHEN - NIGHT\n\nA cat eats.\n"
    board = plan(text)
    assert board.scenes[0].background == "a beach at dusk"
    assert board.scenes[0].transition.kind == "crossfade"
    assert board.scenes[1].background == "a kitchen at night"


def test_options_reach_the_storyboard():
    board = plan("A cat.", fps=8, width=320, height=180, seed=3, title="T")
    assert (board.fps, board.width, board.height, board.title) == (8, 320, 180, "T")
    assert board.provenance.planner == "rules" and board.provenance.seed == 3


def test_planning_is_deterministic():
    text = (EXAMPLES / "the_kite.fountain").read_text()
    assert plan(text) == plan(text)


@pytest.mark.parametrize("name", ["the_kite.fountain", "the_lost_ball.txt", "robot_day.txt"])
def test_examples_plan_into_valid_storyboards_with_boxes(name):
    board = RulesPlanner().plan(read_script(EXAMPLES / name), PlanOptions())
    Storyboard.model_validate_json(board.to_json())
    for scene in board.scenes:
        assert scene.layouts, scene.id
        visible = {e for frame in scene.layouts for e in frame.boxes}
        assert set(scene.entities) == visible, scene.id
    assert not [i for i in check_storyboard(board) if i.code in ("contradictory_relations", "unused_entity")]
