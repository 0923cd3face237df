"""The screenplay benchmark's matching of storyboard entities to annotated characters (benchmarks/bench_screenplays.py)."""

from __future__ import annotations

from benchmarks.bench_screenplays import Character, match_entities
from director.planner import PlanOptions
from director.script import parse_script
from planners.rules import RulesPlanner


def plan(text: str):
    return RulesPlanner().plan(parse_script(text), PlanOptions())


def test_a_man_written_in_lower_case_is_not_the_character_known_only_by_the_cue_the_man():
    board = plan("INT. BANK - DAY\n\nThe man in front of Edward turns.\n\nTHE MAN\nEdward?\n\nINT. RIVER - DAY\n\nA woman fears that a man is coming.\n")
    the_man = Character.from_annotation({"name": "The Man", "aliases": ["THE MAN"]})
    by_character, _ = match_entities(board, [the_man])
    assert len(by_character["The Man"]) == 1


def test_a_generic_alias_counts_only_in_scenes_that_name_the_character_otherwise():
    board = plan(
        "EXT. HOUSE - NIGHT\n\nEdward is knocked down by a massive black dog. The dog growls.\n\n"
        "EXT. FIRE - DAY\n\nEdward carries a dog out of a burning house.\n"
    )
    black_dog = Character.from_annotation({"name": "Black dog", "aliases": ["massive black dog", "dog"], "kind": "dog"})
    by_character, owner = match_entities(board, [black_dog])
    assert by_character["Black dog"] == ["massive_black_dog"]
    assert len([e for e in board.entities if e.category == "dog"]) == 2 and len(owner) == 1
