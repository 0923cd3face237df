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


# -- screenplay conventions (issue 14) ----------------------------------------------------------------


def cast_of(board: Storyboard) -> dict[str, tuple[str, str]]:
    return {e.id: (e.category, e.description) for e in board.entities}


def test_a_plural_pronoun_before_a_cue_character_is_seen_plans_the_group():
    board = plan("INT. ROOM - DAY\n\nAnna and Ben sit. They laugh.\n\nCARL\nHi.\n")
    assert set(ids(board)) == {"anna", "ben", "carl"}


def test_a_caps_introduction_with_its_appositive_is_one_identity_of_that_kind():
    board = plan(
        "EXT. PLATFORM - DAY\n\nA tall woman in a grey coat, NORA (40), walks in. "
        "A fat ginger cat, PEPPER, jumps down. A young sailor, TOM, waves.\n"
    )
    cast = cast_of(board)
    assert set(cast) == {"nora", "pepper", "tom"}
    assert cast["pepper"][0] == "cat" and "ginger cat" in cast["pepper"][1]
    assert cast["nora"][0] == "person" and cast["tom"][0] == "person"


def test_her_uncle_ray_is_ray_and_his_father_edward_is_edward():
    board = plan("INT. KITCHEN - DAY\n\nMIRA (8) sits. Her uncle RAY waves. His father EDWARD waits.\n")
    cast = cast_of(board)
    assert set(cast) == {"mira", "ray", "edward"}
    assert cast["ray"] == ("person", "Ray, her uncle")


def test_sound_cues_camera_directions_and_emphasis_are_never_cast():
    board = plan(
        "INT. HALL - NIGHT\n\nNORA (30) waits. A door BANGS. CRASH! CLOSE ON the clock. SLOW MOTION: "
        "Nora runs. WOW. A red TOYOTA pulls up. A cat SCREAMS from the porch.\n\nNORA\nWho's there?\n"
    )
    assert {e.id for e in board.entities if e.category == "person"} == {"nora"}
    assert not {"bangs", "crash", "close", "wow", "toyota", "screams", "slow_motion"} & set(ids(board))


def test_ages_and_time_jumps_keep_one_identity():
    board = plan(
        "EXT. YARD - DAY\n\nSAM HALE, AGE 6, runs to the left.\n\nYOUNG SAM\nWait!\n\n"
        "INT. OFFICE - DAY\n\nSAM, now 30, sits.\n\nSAM (V.O.)\nI remember.\n"
    )
    people = [e for e in board.entities if e.category in ("person", "child")]
    assert [e.id for e in people] == ["sam"]
    assert all(scene.entities == ["sam"] for scene in board.scenes)


def test_voice_over_and_off_screen_speakers_are_heard_not_placed_in_the_frame():
    board = plan("INT. ROOM - DAY\n\nANNA (20) reads.\n\nBEN (O.S.)\nDinner!\n\nANNA (CONT'D)\nComing.\n")
    scene = board.scenes[0]
    assert [line.speaker for line in scene.dialogue] == ["ben", "anna"]
    assert scene.entities == ["anna"]
    assert all("ben" not in frame.boxes for frame in scene.layouts)


def test_compound_nouns_are_one_thing_and_numerals_count_through_modifiers():
    board = plan("A barn owl glides over three moving cars near a small fishing boat.")
    categories = sorted(e.category for e in board.entities)
    assert categories == ["boat", "car", "car", "car", "owl"]


def test_a_move_toward_a_thing_on_the_right_goes_right():
    board = plan("EXT. STATION - DAY\n\nNORA (40) walks from the left edge of the platform toward a train on the right.\n")
    motion = next(m for m in board.scenes[0].motions if m.entity == "nora")
    assert motion.origin == "left" and motion.path == ["right"]
    frames = board.scenes[0].layouts
    assert frames[0].boxes["nora"].x1 < frames[-1].boxes["nora"].x0


def test_initially_then_first_then_reaches_the_first_place_at_the_middle_and_the_last_at_the_end():
    board = plan(
        "A ball is initially on the lower left of the scene. It first moves to the lower right and then to the upper right."
    )
    scene = board.scenes[0]
    middle, end = scene.layout_at(scene.duration / 2)["ball"], scene.layout_at(scene.duration)["ball"]
    assert in_region(middle, "lower_right") and in_region(end, "upper_right")


def test_dialogue_is_never_squeezed_below_one_second_or_above_17_characters_a_second():
    speech = " ".join(["This is a long line of dialogue that takes its time."] * 12)
    board = plan(f"INT. ROOM - DAY\n\nANNA (30) sits.\n\nANNA\nYes.\n\nANNA\n{speech}\n")
    lines = board.scenes[0].dialogue
    assert lines[0].end - lines[0].start >= 1.0
    assert len(lines[1].text) / (lines[1].end - lines[1].start) <= 17.0 + 1e-6


def test_a_cue_in_accented_capitals_is_a_character():
    board = plan("INT. CAFE - DAY\n\nÉLODIE (cont'd)\nBonjour.\n")
    assert board.scenes[0].dialogue[0].speaker == "elodie"


def test_the_lexicon_is_passed_in_and_never_changed():
    from planners import lexicon as lx

    taught = lx.DEFAULT.with_nouns({"zorblat": "zorblat"})  # a noun neither the lexicon nor WordNet knows
    board = RulesPlanner(lexicon=taught).plan(parse_script("A zorblat waddles."), PlanOptions())
    assert [e.category for e in board.entities] == ["zorblat"]
    assert "zorblat" not in lx.DEFAULT.nouns
    assert RulesPlanner().plan(parse_script("A zorblat waddles."), PlanOptions()).entities == []


# -- the cast pass: screenplay conventions a script supervisor reads -----------------------------------


def names_of(board: Storyboard) -> dict[str, str]:
    """entity name -> category."""
    return {e.name: e.category for e in board.entities}


def test_caps_words_inside_a_noun_phrase_introduce_a_character_by_that_name():
    board = plan(
        "INT. OFFICE - DAY\n\nJosephine spots a stunning ASIAN WOMAN behind her. "
        "Edward shakes hands with an HEAVYSET MAN IN OVERALLS. A WOMAN emerges.\n\n"
        "EXT. STREET - DAY\n\nThe Asian woman waves.\n"
    )
    cast = names_of(board)
    assert cast["Asian Woman"] == "person" and cast["Heavyset Man In Overalls"] == "person"
    assert "woman" in cast  # one word in caps is still a woman, not a name
    asian = next(e.id for e in board.entities if e.name == "Asian Woman")
    assert board.scenes[1].entities == [asian]


def test_an_appositive_name_is_taken_whole():
    board = plan("INT. HOUSE - DAY\n\nHis brother DON PRICE is 12. Edward meets his father EDWARD BLOOM.\n")
    names = sorted(names_of(board))
    assert "Don Price" in names and "Price" not in names and "Bloom" not in names


def test_proper_nouns_with_a_determiner_or_an_owner_are_things_not_people():
    board = plan(
        "EXT. OVERLOOK - DAY\n\nNAK (40) eases to a stop in the bright yellow Defender 90. "
        "Scott sits in his '77 Toyota Landcruiser. Nak stoops to retrieve his GLOCK. "
        "It is a street with stores: Cole's Pharmacy, Talbot's Five and Dime.\n"
    )
    assert set(names_of(board)) <= {"Nak", "Scott"}


def test_places_of_the_scene_headings_and_noun_modifiers_are_not_people():
    board = plan(
        "EXT. THE TOWN OF SPECTRE - DAY\n\nEdward passes a sign that reads \"Welcome To Spectre!\" "
        "We reveal the Bloom house. Don is a Skynard-loving brute.\n"
    )
    people = {name for name, category in names_of(board).items() if category == "person"}
    assert people <= {"Edward", "Don"}


def test_a_courtesy_title_is_the_role_it_stands_for():
    board = plan("INT. HOSPITAL - DAY\n\nSandra lies on the bed. The doctor smiles.\n\nDR. BENNETT\nPush.\n")
    assert [e.name for e in board.entities if e.category == "person"] == ["Dr. Bennett"]


def test_a_surname_cue_and_a_cue_with_an_article_are_the_same_person():
    board = plan(
        "INT. HOTEL - DAY\n\nThis must be JACOB BILLUPS.\n\nBILLUPS\nHello.\n\nA VOICE (O.S.)\nHey.\n\nVOICE\nHey again.\n"
    )
    speakers = [line.speaker for line in board.scenes[0].dialogue]
    assert speakers[0] in ids(board) and len([e for e in board.entities if "Billups" in e.name]) == 1
    assert speakers[1] == speakers[2]


def test_a_named_group_resolves_to_its_members_and_they_follow():
    board = plan(
        "INT. TRAILER HOME - DAY\n\nThis is the home of THE BOY BAND, AKA DAN and JACK.\n\nDAN\nHi.\n\nJACK\nHo.\n\n"
        "EXT. STREET - DAY\n\nThe band walks to the left. The crowd cheers.\n"
    )
    assert sorted(ids(board)) == ["dan", "jack"]  # no 'band', no 'boy', no 'crowd'
    movers = sorted(m.entity for m in board.scenes[1].motions)
    assert movers == ["dan", "jack"]


def test_a_name_joined_to_a_persons_name_is_a_person_and_they_are_both():
    board = plan("INT. ROOM - DAY\n\nNora and Pepper sit. They walk to the left.\n")
    assert sorted(ids(board)) == ["nora", "pepper"]
    assert sorted(m.entity for m in board.scenes[0].motions) == ["nora", "pepper"]


def test_a_noun_naming_another_thing_is_no_entity():
    board = plan("INT. TENT - DAY\n\nSoggybottom sheds a clown tear. A barn owl hoots.\n")
    assert "clown" not in names_of(board) and names_of(board)["barn owl"] == "owl"


def test_a_description_is_no_first_and_last_name_but_a_titled_name_answers_to_its_surname():
    board = plan(
        "INT. HOSPITAL - DAY\n\nBennett smiles. They pass a HEAVYSET NURSE. The EMCEE waves.\n\n"
        "DR. BENNETT\nPush.\n\nTHE MAN\nHi.\n\nHEAVYSET MAN IN OVERALLS\nHo.\n"
    )
    assert sorted(ids(board)) == ["dr_bennett", "emcee", "heavyset_man_in_overalls", "heavyset_nurse", "the_man"]
    assert board.scenes[0].entities[0] == "dr_bennett"  # 'Bennett' is the doctor, 'HEAVYSET' not the man in overalls


def test_a_caps_introduction_is_not_a_cue_named_by_its_last_word_and_takes_its_appositive():
    board = plan("INT. SCHOOL - DAY\n\nThe PIANO STUDENT, a black boy of eight, has stopped.\n\nSTUDENT\nHi.\n")
    cast = {e.id: e for e in board.entities}
    assert sorted(cast) == ["piano_student", "student"]
    assert cast["piano_student"].category == "child" and "black boy" in cast["piano_student"].description


def test_heading_places_in_caps_are_not_cast_even_when_written_as_names():
    board = plan("EXT. ASHTON - DAY\n\nThe mayor waves at Ashton. THE STREET CORNER ASHTON PARADE\n\nMAYOR\nHi.\n")
    assert [e.id for e in board.entities if e.category == "person"] == ["mayor"]


@pytest.mark.parametrize(
    "line",
    ["Yorblef hikes through a dense forest.", "Yorblef comes to a fork in a trail.", "Yorblef makes his way to the elevator.", "Yorblef takes three steps back."],
)
def test_moves_the_tagger_misses_or_says_with_an_object_are_read(line):
    board = plan(f"EXT. TRAIL - DAY\n\n{line}\n\nYORBLEF\nHm.\n")
    moves = [m for m in board.scenes[0].motions if m.entity == "yorblef"]
    assert len(moves) == 1 and moves[0].path and not moves[0].enters and not moves[0].exits


def test_materializing_is_an_entrance_and_vanishing_an_exit():
    board = plan("EXT. PARK - DAY\n\nBob materializes beside the tree.\n\nEXT. PARK - DAY\n\nBob vanishes.\n\nBOB\nHi.\n")
    assert [(m.entity, m.enters) for m in board.scenes[0].motions] == [("bob", True)]
    assert [(m.entity, m.exits) for m in board.scenes[1].motions] == [("bob", True)]


def test_a_speaker_first_heard_off_screen_stays_heard_for_the_scene_until_the_action_shows_him():
    board = plan(
        "INT. OFFICE - DAY\n\nScott dials.\n\nTHE BOSS (O.S.)\nYes?\n\nSCOTT\nBoss, it's me.\n\nTHE BOSS\nScotty?\n\n"
        "INT. BOSS'S OFFICE - LATER\n\nTHE BOSS\nSit down.\n"
    )
    assert "the_boss" not in board.scenes[0].entities and "scott" in board.scenes[0].entities
    assert board.scenes[1].entities == ["the_boss"]


def test_the_two_men_are_the_two_latest_men_and_an_indefinite_owner_is_not_cast():
    board = plan(
        "EXT. PARK - DAY\n\nA woman waves. Edward and Norther walk in. The two men begin to fight. "
        "A neighbor's cat makes a run for it. Will watches two NEIGHBOR KIDS.\n\n"
        "EDWARD\nHi.\n\nNORTHER\nHo.\n\nWILL\nHe.\n"
    )
    assert sorted(ids(board)) == ["cat", "edward", "neighbor_kid_1", "neighbor_kid_2", "norther", "will", "woman"]


def test_a_name_spelled_like_a_cue_but_for_a_letter_is_that_character():
    board = plan("EXT. PARK - DAY\n\nBob waves Margeret over. His friends Wilbur Freeley and Ruthie look.\n\nMARGARET\nHi.\n\nWILBUR FREELY\nHo.\n\nBOB\nHe.\n")
    assert "margeret" not in ids(board) and "wilbur_freeley" not in ids(board)
    assert {"margaret", "wilbur_freely"} <= set(board.scenes[0].entities)


def test_a_voice_heard_off_screen_stays_heard_through_an_intercut():
    board = plan(
        "INT. OFFICE - DAY\n\nA finger hits the speakerphone button.\n\nTHE BOSS (O.S.)\nYes?\n\n> INTERCUT WITH:\n\n"
        "INT. KITCHEN - DAY\n\nScott holds the phone.\n\nSCOTT\nBoss, it is me.\n\nTHE BOSS\nScotty?\n"
    )
    assert board.scenes[1].entities == ["scott"] and board.scenes[1].dialogue[1].speaker == "the_boss"


def test_a_courtesy_titles_full_stop_ends_no_sentence():
    board = plan(
        "INT. HOFF AND SPIRNHOLD LOBBY - DAY\n\nShe points up.  Mr. Hoff is at the railing. Later, Hoff waves. "
        "Nak hugs his father. The man waves.\n"
    )
    assert [e.name for e in board.entities if e.category == "person"][:1] == ["Mr. Hoff"]
    assert "father" in [e.name for e in board.entities]


def test_a_titled_name_with_a_first_name_is_the_titled_cue():
    board = plan("INT. HOSPITAL - DAY\n\nDR. JULIUS BENNETT enters from the foyer.\n\nDR. BENNETT\nPush.\n")
    assert ids(board) == ["dr_bennett"] and board.scenes[0].motions[0].enters


def test_a_noun_the_parser_sets_in_apposition_to_a_name_describes_it():
    board = plan(
        "EXT. PARK - DAY\n\nCYBER BOSS, 40 (or any age), an ageless,\nfaceless,\nworld-roaming cloud\n"
        "which transmits instructions,\ndescends over the park.\n\nCYBER BOSS\nHi.\n"
    )
    assert [(e.id, e.category) for e in board.entities] == [("cyber_boss", "cloud")]


# -- kinds of nouns the lexicon lacks, from WordNet (planners/kinds.py) ----------------------------------


def test_wordnet_gives_the_kind_of_a_noun_the_lexicon_lacks():
    from planners.kinds import kind_of

    assert kind_of("emcee") == "person" and kind_of("husband") == "person" and kind_of("well-wisher") == "person"
    assert kind_of("lion") == "animal" and kind_of("lions") == "animal" and kind_of("helicopter") == "vehicle"
    assert kind_of("toddler") == "child"
    # first senses WordNet never saw tagged come in no order ('taco' lists a slur first); roots say nothing
    assert kind_of("taco") is None and kind_of("date") is None and kind_of("creature") is None


def test_people_and_animals_only_wordnet_knows_are_cast_with_their_kind():
    board = plan(
        "INT. TENT - NIGHT\n\nEDWARD signs an autograph for an ADMIRING CUB SCOUT. The EMCEE comes on. "
        "His head is in a MASSIVE LION's open mouth. If the lion so much as flinches, he is dead. As his mother talks to a WELL-WISHER, Will looks left.\n\nEDWARD\nThank you!\n"
    )
    cast = cast_of(board)
    assert cast["admiring_cub_scout"][0] == "person" and cast["emcee"][0] == "person"
    assert cast["lion"][0] == "lion" and cast["well_wisher"][0] == "person"


def test_a_people_noun_in_caps_with_no_article_introduces_that_character():
    board = plan("INT. BARN - NIGHT\n\nFrom FARMER to BAKER'S WIFE, everyone wants to dance with EDWARD.\n")
    names = {e.id: e.name for e in board.entities}
    assert names["farmer"] == "Farmer" and names["baker_s_wife"] == "Baker's Wife"


def test_a_wordnet_noun_where_no_one_stands_is_not_cast():
    board = plan(
        "EXT. BRIDGE - DAY\n\nA SAMURAI SWORD slices into view. Suddenly, we hear a POP. NORA stops to guard the door. "
        "She was the town's first physician. A modern bridge floats up. It finally POPS.\n\nNORA\nWho's there?\n"
    )
    assert [e.id for e in board.entities if e.category in ("person", "child")] == ["nora"]


def test_a_name_that_is_also_a_wordnet_noun_stays_a_name():
    board = plan("INT. CIRCUS - DAY\n\nColossus walks down the row. The crowd cheers.\n\nCOLOSSUS\nBehold!\n")
    assert [e.id for e in board.entities if e.category == "person"] == ["colossus"]


def test_a_name_the_action_only_mentions_once_is_not_cast():
    board = plan(
        "EXT. FIELD - DAY\n\nEDWARD picks up a stone, ready to play David to Goliath. Not to get all Dr. Seuss on you, "
        "but he throws it.\n\nEDWARD\nHere goes.\n"
    )
    assert [e.id for e in board.entities if e.category == "person"] == ["edward"]


def test_a_name_written_once_as_the_subject_is_still_cast():
    board = plan("INT. BANK - DAY\n\nMr. Hoff counts the money. Edward waits.\n\nEDWARD\nWell?\n")
    assert {"mr_hoff", "edward"} <= set(ids(board))


def test_a_speaker_the_action_puts_offscreen_is_heard_not_seen():
    board = plan("EXT. MANSION - DAY\n\nA HANDSOME MAN drinks a beer.\n\nHis minion approaches offscreen:\n\nMINION\nSir, it has arrived.\n\nHANDSOME MAN\nGood.\n")
    scene = board.scenes[0]
    assert "minion" not in scene.entities and "handsome_man" in scene.entities
    assert [line.speaker for line in scene.dialogue] == ["minion", "handsome_man"]


def test_the_voice_on_the_phone_is_heard_and_the_one_who_answers_is_seen():
    board = plan(
        "INT. STUDIO - DAY\n\nScott is painting. The phone rings.\n\nSCOTT\nHello?\n\n"
        "The voice is that of a sophisticated-sounding woman.\n\nSOPHISTICATED WOMAN\nIs this Scott?\n\nSCOTT\nYes.\n"
    )
    people = [i for i in board.scenes[0].entities if i != "phone"]
    assert people == ["scott"]
    alone = plan("INT. STUDIO - DAY\n\nThe phone rings.\n\nSCOTT\nHello?\n")  # no one else: the one who answers is here
    assert "scott" in alone.scenes[0].entities


def test_a_short_cue_ending_one_longer_cue_is_that_character():
    board = plan("EXT. PARK - DAY\n\nBob waits.\n\nCYBER BOSS\nHello.\n\nBOB\nHi.\n\nBOSS\nAim your phone.\n")
    assert [e.id for e in board.entities if e.category == "person"] == ["bob", "cyber_boss"]
    assert {line.speaker for line in board.scenes[0].dialogue} == {"bob", "cyber_boss"}


def test_an_owner_and_a_caps_word_that_make_a_cue_are_that_character():
    board = plan("INT. GYM - NIGHT\n\nEdward chats up Will's pretty DATE.\n\nWILL'S DATE\nReally?\n\nEDWARD\nReally.\n")
    assert board.scenes[0].entities == ["edward", "will_s_date"]  # no 'date' of its own


def test_what_something_is_a_ball_of_is_no_new_entity_but_places_still_are():
    board = plan("EXT. PARK - DAY\n\nA white puffy ball of a cloud hangs there. A cat sits to the left of a tree.\n")
    assert "cloud" not in ids(board)
    assert {"cat", "tree"} <= set(ids(board))


def test_a_comparison_introduces_no_one():
    board = plan("INT. HOSPITAL - DAY\n\nThe infant is slippery like a fish. DR. BENNETT works as a waiter on weekends.\n\nDR. BENNETT\nHold still.\n")
    assert "fish" not in ids(board) and "waiter" not in ids(board) and "infant" in ids(board)


def test_an_animal_wordnet_files_under_a_drawn_category_takes_that_category():
    from planners.kinds import category_of

    assert category_of("poodle", "animal") == "dog" and category_of("sparrow", "animal") == "bird"
    assert category_of("limousine", "vehicle") == "car" and category_of("lion", "animal") == "lion"
    board = plan("EXT. PARK - DAY\n\nA small poodle runs after a hawk.\n")
    assert {e.category for e in board.entities} == {"dog", "bird"}


def test_what_someone_is_or_is_compared_with_is_no_one_new():
    board = plan(
        "EXT. WOODS - DAY\n\nKARL is bigger than any man you've ever seen. Karl is less a monster than a freak -- a giant man, "
        "but in the end, just a man. No dog barks. For he's no longer a man.\n\nKARL\nHungry.\n"
    )
    assert ids(board) == ["karl"]


def test_a_predicate_noun_describes_its_subject_and_there_are_puts_them_in_the_frame():
    board = plan("INT. TRAFFIC LIGHT - NIGHT\n\nMIRA (8) is a little girl. There are SEVEN CHIHUAHUAS, all age 5.\n\nMIRA\nHi.\n")
    assert cast_of(board)["mira"] == ("child", "Mira, a little girl")
    assert [e.category for e in board.entities if e.id.startswith("chihuahua")] == ["dog"] * 7


def test_someone_said_to_be_absent_is_not_in_the_frame():
    board = plan("INT. HALL - NIGHT\n\nJosephine covers well for her absent husband. Then Josephine mourns her late husband.\n\nJOSEPHINE\nHe is away.\n")
    assert ids(board) == ["josephine"]


def test_breeds_wordnet_writes_in_capitals_are_animals_of_their_kind():
    from planners.kinds import category_of, kind_of

    assert kind_of("chihuahuas") == "animal" and category_of("chihuahua", "animal") == "dog"
    assert kind_of("tom") == "animal"  # a tomcat still: lower-case senses come first
    assert kind_of("lincoln") is None  # a breed of sheep in WordNet, a car or a name in a script


def test_the_chopper_is_the_helicopter_in_a_script_that_names_one():
    board = plan("EXT. APARTMENT - DAY\n\nScott sees a MILITARY HELICOPTER drop into view. Scott runs.\n\n"
                 "EXT. STREET - DAY\n\nScott hides. The chopper exits, leaving the building ablaze.\n")
    assert [e.id for e in board.entities if e.category == "helicopter"] == ["military_helicopter"]
    assert any(m.entity == "military_helicopter" for m in board.scenes[1].motions)
    # no helicopter anywhere: a chopper may be a cleaver or a motorbike, and the reader does not guess
    board = plan("INT. KITCHEN - DAY\n\nNora lifts the chopper. The chopper falls.\n")
    assert "helicopter" not in {e.category for e in board.entities}


def test_this_is_a_name_names_the_person_just_described():
    board = plan(
        "EXT. OVERLOOK - DAY\n\nThrough the rifle scope Scott can make out the DRIVER, a man in his forties. The man calmly eats. "
        "This is SPALDING JEAGER.\n\nSCOTT\nGot him.\n\nSPALDING JEAGER\nMm.\n"
    )
    assert sorted(board.scenes[0].entities) == ["scott", "spalding_jeager"]
    assert cast_of(board)["spalding_jeager"][1] == "Spalding Jeager, a driver"
    # 'it's NAME, pleading with ...' says whose voice it is: nobody described is renamed
    board = plan("INT. GALLERY - DAY\n\nRaised voices come from the office. Sure enough, it's Scott, pleading with a snobby GALLERY DIRECTOR.\n\nSCOTT\nPlease.\n")
    assert "gallery_director" in board.scenes[0].entities


def test_a_common_noun_cue_is_whoever_of_that_noun_the_scene_shows():
    board = plan(
        "EXT. PARK - DAY\n\nMargaret walks a CUTE DOG.\n\nDOG\nWoof.\n\n"
        "INT. TRAFFIC LIGHT - NIGHT\n\nThere are SEVEN CHIHUAHUAS. The seventh dog steps off a panel. All the dogs stop. "
        "The dog who watches the clock speaks.\n\nDOG\nYip.\n\nBOB\nHi.\n\nDOG\nYap.\n"
    )
    light = board.scenes[1]
    assert "dog" not in light.entities  # the park's dog is not in the traffic light
    assert {line.speaker for line in light.dialogue if line.speaker != "bob"} == {"chihuahua_7"}
    assert cast_of(board)["chihuahua_7"][1].startswith("Dog, ")


def test_the_man_of_a_late_scene_is_no_man_of_an_early_one_but_his_father_is():
    scenes = "".join(f"INT. ROOM {k} - DAY\n\nEdward waits.\n\n" for k in range(4))
    board = plan(
        "EXT. CIRCUS - DAY\n\nA man juggles. Will watches his father Edward.\n\n" + scenes + "INT. BANK - DAY\n\nThe man in front of Edward turns. "
        "Will hugs his father.\n\nEDWARD\nHi.\n"
    )
    bank = board.scenes[-1]
    assert "man" not in bank.entities and "edward" in bank.entities
    assert len([e for e in board.entities if e.name == "man"]) == 2


def test_a_thing_written_again_in_caps_with_the_same_words_is_the_same_one():
    from planners.lexicon import Lexicon

    planner = RulesPlanner(lexicon=Lexicon().with_nouns({"catfish": "fish"}))
    text = "EXT. RIVER - DAY\n\nA fat catfish swims along.\n\nEXT. RIVER - NIGHT\n\nEdward sinks.\n\nA FAT CATFISH\n\nA fat catfish swims off. Two small fish follow.\n"
    board = planner.plan(parse_script(text), PlanOptions())
    assert [e.id for e in board.entities if e.id.startswith("fat_catfish")] == ["fat_catfish", "fat_catfish_2"]
    assert board.scenes[1].entities[:2] == ["edward", "fat_catfish"]  # the caps line, not the lower-case one after it


def test_a_looked_up_animal_the_tagger_glues_to_its_verb_is_still_cast():
    board = plan("EXT. FIELD - DAY\n\nA camel first moves from the lower left to the lower right, then to the upper right.\n")
    assert ids(board) == ["camel"] and board.scenes[0].motions
    board = plan("EXT. FIELD - DAY\n\nA realistic video of a scene in which an elephant initially on the lower right of the scene.\n")
    assert ids(board) == ["elephant"]
