"""The rules planner's moves read from the parse: who moves (the subject of the verb of moving, through
pronouns, relative clauses, conjoined verbs and inversion; the object of 'tosses'; the passive subject),
and how (particles and prepositions of leaving and coming, vertical paths, no move where none is said)."""

from __future__ import annotations

import pytest

from director.planner import PlanOptions
from director.script import parse_script
from director.storyboard import Motion
from planners.rules import RulesPlanner


def motions(heading: str, action: str, *cues: str) -> list[Motion]:
    """The motions of a one-scene screenplay; each cue speaks a line after the action, so it is a character."""
    speeches = "".join(f"\n{cue}\nHm.\n" for cue in cues)
    board = RulesPlanner().plan(parse_script(f"{heading}\n\n{action}\n{speeches}"), PlanOptions())
    return list(board.scenes[0].motions)


def of(moves: list[Motion], entity: str) -> list[Motion]:
    return [m for m in moves if m.entity == entity]


def test_a_passive_subject_of_a_verb_of_pushing_is_moved():
    moves = motions("EXT. WOODEN SHACK - DAY", "COGNITO, the criminal mastermind, is SLAMMED against the wall.", "COGNITO")
    assert len(of(moves, "cognito")) == 1


def test_the_object_of_tosses_moves_and_the_thrower_stays():
    moves = motions("EXT. BRIDGE - DAY", "Yorblef picks up a stone and tosses it on to the bridge.", "YORBLEF")
    assert [m.entity for m in moves] == ["stone"]


def test_rolling_ones_eyes_moves_no_one():
    assert motions("INT. ROOM - DAY", "A beat, then Edward rolls his eyes.", "EDWARD") == []


@pytest.mark.parametrize(
    "action",
    ["The curtain rises to reveal PING at a microphone.", "The illness has been quick, and left PING largely intact."],
)
def test_a_subject_that_is_no_entity_moves_no_one_else_in_the_clause(action):
    assert of(motions("INT. STAGE - NIGHT", action, "PING"), "ping") == []


def test_a_negated_move_is_no_move():
    assert motions("INT. ROOM - DAY", "Will doesn't rise to the challenge.", "WILL") == []


def test_a_noun_of_a_verb_of_moving_is_no_move():
    assert motions("EXT. OVERLOOK - DAY", "Nak pulls out a roll of cash.", "NAK") == []


def test_which_in_a_relative_clause_is_the_noun_it_follows():
    moves = motions("EXT. PARK - DAY", "Bob smiles up at a cloud, which vanishes into thin air.", "BOB")
    assert [(m.entity, m.exits) for m in moves] == [("cloud", True)]


def test_in_walks_x_is_an_entrance_of_x():
    moves = motions("INT. APARTMENT - DAY", "That door opens and in walks Scott, gun raised.", "SCOTT")
    assert [(m.entity, m.enters) for m in moves] == [("scott", True)]


def test_a_name_after_and_is_the_subject_the_tagger_made_an_object():
    moves = motions("EXT. PATIO - DAY", "The SCREEN DOOR slides open and DICK STEEL, his partner, emerges with two beers.", "STEEL")
    assert [(m.entity, m.enters) for m in moves] == [("steel", True)]


def test_the_name_before_an_appositive_subject_moves():
    moves = motions("EXT. PARK - DAY", "CYBER BOB, 40, a white man, strolls through the park.", "CYBER BOB")
    assert [m.entity for m in moves] == ["cyber_bob"]


def test_a_verb_the_tagger_takes_for_a_noun_after_a_name_moves_the_name():
    moves = motions("INT. THRONE ROOM - DAY", "Yorblef, exhausted, shuffles to the foot of the throne.", "YORBLEF")
    assert [m.entity for m in moves] == ["yorblef"] and moves[0].path


@pytest.mark.parametrize(
    ("action", "origin", "last"),
    [
        ("Don falls face-forward on the tile.", None, "bottom"),
        ("Mr. Hoff takes a round in the torso and topples over the railing.", None, "bottom"),
        ("A balloon floats up from the chasm.", "bottom", None),
        ("A boulder flies down from the peak.", "top", None),
    ],
)
def test_falling_goes_down_and_up_from_or_down_from_start_at_the_bottom_or_top(action, origin, last):
    moves = [m for m in motions("EXT. CHASM - DAY", action, "DON", "MR. HOFF") if not m.enters and not m.exits]
    assert len(moves) == 1
    if origin is not None:
        assert moves[0].origin == origin
    if last is not None:
        assert moves[0].path[-1:] == [last]


def test_dropping_into_view_enters_from_the_top():
    moves = motions("INT. APARTMENT - DAY", "A bird drops into view.")
    assert [(m.entity, m.enters, m.origin) for m in moves] == [("bird", True, "top")]


@pytest.mark.parametrize(
    ("heading", "action", "enters", "exits"),
    [
        ("EXT. BUSINESS DISTRICT - DAY", "Nak glides among the people and enters a building.", False, True),
        ("INT. LOBBY - DAY", "The guard barrels through the door.", False, True),
        ("INT. LOBBY - DAY", "The guard comes through the door.", True, False),
        ("EXT. BUILDING - DAY", "The guard bursts out into the street.", True, False),
        ("EXT. FOREST - NIGHT", "The Old Woman steps out of the shadows.", True, False),
        ("INT. KITCHEN - DAY", "Nak runs out of the kitchen.", False, True),
        ("EXT. STREET - DAY", "Bob races and goes inside the traffic light.", False, True),
        ("EXT. OVERLOOK - DAY", "A car pulls up to the overlook.", True, False),
        ("EXT. OVERLOOK - DAY", "Nak, easing to a stop, waves.", True, False),
    ],
)
def test_prepositions_of_leaving_and_coming_make_exits_and_entrances(heading, action, enters, exits):
    moves = [m for m in motions(heading, action, "NAK", "BOB") if m.entity in ("nak", "guard", "old_woman", "bob", "car")]
    assert [(m.enters, m.exits) for m in moves] == [(enters, exits)]


def test_stepping_off_a_thing_is_a_move_and_scuttling_off_an_exit():
    steps = motions("INT. BEAM - NIGHT", "The seventh dog steps off a lit green floor panel.")
    scuttles = motions("EXT. PARK - DAY", "The dog scuttles off in a hurry.")
    assert [(m.enters, m.exits) for m in steps] == [(False, False)] and steps[0].path
    assert [(m.enters, m.exits) for m in scuttles] == [(False, True)]


def test_a_verb_tagged_as_a_noun_takes_the_preposition_after_it():
    moves = motions("INT. LOBBY - DAY", "The SECURITY GUARD is right on his heels and barrels through the door.", "SECURITY GUARD")
    assert [(m.entity, m.exits) for m in moves] == [("security_guard", True)]


def test_a_clause_without_a_mention_moves_the_subject_of_the_verb_it_hangs_on():
    action = "Scott dives for the floor, pausing only to grab his paintings before bailing out the back window."
    assert any(m.exits for m in of(motions("INT. APARTMENT - DAY", action, "SCOTT"), "scott"))


def test_a_companion_in_tow_or_with_the_mover_goes_along():
    moves = motions("EXT. PARK - DAY", "MARGARET scuttles off in a hurry, her dog in tow.", "MARGARET")
    assert sorted((m.entity, m.exits) for m in moves) == [("dog", True), ("margaret", True)]
    moves = motions("EXT. PARK - DAY", "MARGARET walks with her dog to the right.", "MARGARET")
    assert sorted((m.entity, m.path[-1]) for m in moves) == [("dog", "right"), ("margaret", "right")]


def test_people_driving_off_take_the_vehicle_they_got_into():
    moves = motions("INT. GARAGE - DAY", "ANNA and BEN get into a car. They speed off.", "ANNA", "BEN")
    assert ("car", True) in [(m.entity, m.exits) for m in moves]


def test_the_object_pronoun_of_tosses_is_the_thing_just_picked_up():
    text = "A big mountain stands in the distance. Yorblef is leery, and picks up a stone and tosses it on to the path."
    assert [m.entity for m in motions("EXT. CHASM - DAY", text, "YORBLEF")] == ["stone"]


def test_walking_into_a_remark_is_no_move():
    assert motions("INT. BEDROOM - DAY", "Edward smiles. He walked into that.", "EDWARD") == []


def test_down_the_hall_is_along_it_and_a_thing_thrown_down_is_the_thing():
    strolls = motions("INT. HALL - DAY", "Scott strolls down the hall.", "SCOTT")
    assert [m.path for m in strolls] == [["right"]]
    assert motions("INT. HALL - DAY", "Scott throws down the card on the table.", "SCOTT") == []


def test_a_thing_dropped_somewhere_is_not_the_subject_moving():
    assert motions("INT. OFFICE - DAY", "Will sorts through a bundle of mail dropped on his desk.", "WILL") == []


def test_conjoined_subjects_move_together_and_out_of_a_named_town_is_an_exit():
    walking = motions("EXT. ROAD - DAY", "Edward and Karl keep walking.", "EDWARD", "KARL")
    leaving = motions("EXT. ROAD - DAY", "Edward and Karl walk out of Ashton.", "EDWARD", "KARL")
    assert sorted(m.entity for m in walking) == ["edward", "karl"]
    assert sorted((m.entity, m.exits) for m in leaving) == [("edward", True), ("karl", True)]


def test_going_to_is_the_future_not_a_move():
    assert motions("EXT. HILL - DAY", "Edward braces himself, if that's what it's going to take.", "EDWARD") == []


def test_knocking_on_a_door_is_no_move():
    assert motions("INT. HOUSE - DAY", "But Edward KNOCKS on the door anyway.", "EDWARD") == []


@pytest.mark.parametrize(
    "action",
    ["Edward fights his way to his feet, ready to be knocked down again.", "Will and Sandra sort two bags of papers to throw out."],
)
def test_a_move_only_intended_is_not_made(action):
    moves = motions("INT. HOUSE - DAY", action, "EDWARD", "WILL", "SANDRA")
    assert not any(m.path == ["bottom"] or m.exits for m in moves)


def test_a_car_pulling_up_arrives_and_walking_down_main_street_is_no_fall():
    assert [(m.entity, m.enters) for m in motions("EXT. STREET - DAY", "A black car pulls up.")] == [("black_car", True)]
    moves = motions("EXT. STREET - DAY", "Edward walks down Main Street.", "EDWARD")
    assert [m.path for m in moves] == [["right"]]


def test_the_subject_that_is_a_mention_moves_even_when_the_tagger_took_it_for_an_auxiliary():
    assert [(m.entity, m.exits) for m in motions("INT. ROOM - DAY", "Another beat, then Don storms off.", "DON")] == [("don", True)]
    assert [m.entity for m in motions("EXT. HOUSE - DAY", "As Will walks from the car, the WHIRR of cicadas grows.", "WILL")] == ["will"]


def test_one_not_yet_in_the_scene_who_comes_down_enters_from_the_top():
    text = "Bob sits on a bench. A black crow descends over the park."
    assert [(m.entity, m.enters, m.origin) for m in motions("EXT. PARK - DAY", text, "BOB")] == [("black_crow", True, "top")]
    text = "A black crow sits on a bench. The crow descends to the grass."
    assert [m.enters for m in motions("EXT. PARK - DAY", text)] == [False]


def test_the_bare_verb_after_a_verb_of_seeing_moves_its_subject():
    moves = motions("INT. APARTMENT - DAY", "Scott looks up in time to see a big bird drop into view.", "SCOTT")
    assert [(m.entity, m.enters, m.origin) for m in moves] == [("big_bird", True, "top")]


def test_a_body_part_dropping_moves_no_one_and_an_unknown_thing_dropping_is_not_the_onlooker():
    assert of(motions("EXT. STANDS - DAY", "In the bandstands, a YOUNG BOY's jaw drops in awe."), "young_boy") == []
    assert of(motions("INT. APARTMENT - DAY", "Scott looks up in time to see a MILITARY HELICOPTER drop into view.", "SCOTT"), "scott") == []


def test_the_object_pronoun_of_throws_is_the_object_picked_up_not_an_animal_beside_it():
    moves = motions("EXT. YARD - DAY", "Edward picks up a ball beside the dog and throws it over the fence.", "EDWARD")
    assert "dog" not in [m.entity for m in moves]


def test_a_vehicle_the_tagger_glues_to_its_verb_is_cast_and_enters():
    from director.script import parse_script
    from planners.rules import RulesPlanner

    board = RulesPlanner().plan(parse_script(
        "EXT. APARTMENT - DAY\n\nScott looks up in time to see a MILITARY HELICOPTER drop into view.\n\nSCOTT\nNo!\n", source="x.fountain"))
    (motion,) = [m for m in board.scenes[0].motions if m.entity == "military_helicopter"]
    assert motion.enters and motion.origin is not None and motion.origin.startswith("top")
