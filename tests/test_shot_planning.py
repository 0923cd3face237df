"""Shot planning: shot lines in Fountain and prose become shots at their place in the scene; a scene the
script names no shot for gets the default coverage; no camera word is ever cast."""

from __future__ import annotations

import pytest

from director.camera import frame_boxes
from director.graph import check_storyboard
from director.planner import PlanOptions
from director.script import Action, ShotLine, Speech, parse_script
from director.storyboard import Storyboard
from planners import lexicon as lx
from planners.backends import Backend
from planners.llm import LLMPlanner
from planners.rules import RulesPlanner

KEY_SCENE = """INT. HALL - NIGHT

NORA (40) creeps to the door. She kneels by the lock.

CLOSE ON the key

It turns slowly in the lock.

NORA
Finally.
"""

SHOT_WORDS_SCENE = """INT. HALL - NIGHT

NORA (40) creeps to the door.

.KEYHOLE POV

A man counts money at a table.

WIDE SHOT
Nora stands.

INSERT - THE LETTER

TRACKING SHOT

Nora runs down the hall.

ANGLE ON NORA
She freezes.

OVER THE SHOULDER

EXTREME CLOSE UP - NORA'S EYE

TWO SHOT - NORA AND SAM

POV - NORA

The door creaks open.

BACK TO SCENE

SAM
Who's there?
"""


def plan(text: str, coverage: str = "default", **options) -> Storyboard:
    return RulesPlanner(coverage=coverage).plan(parse_script(text), PlanOptions(**options))


def shot_at(scene, t: float):
    return next(shot for shot in scene.cut if shot.start <= t < shot.end)


# -- reading shot lines ------------------------------------------------------------------------------------


def test_shot_lines_are_beats_at_their_place_and_keep_apart_what_they_show():
    (scene,) = parse_script(KEY_SCENE).scenes
    assert scene.beats == (
        Action("NORA (40) creeps to the door. She kneels by the lock."),
        ShotLine("CLOSE ON the key", "the key"),
        Action("It turns slowly in the lock."),
        Speech("Nora", "Finally."),
    )


def test_a_shot_heading_fountain_reads_as_a_cue_is_a_shot_and_no_character():
    script = parse_script(SHOT_WORDS_SCENE)
    assert script.characters == ("Sam",)  # the only cue; WIDE SHOT and ANGLE ON NORA are none
    beats = script.scenes[0].beats
    assert ShotLine("WIDE SHOT", "") in beats and Action("Nora stands.") in beats
    assert ShotLine("ANGLE ON NORA", "NORA") in beats


def test_a_forced_heading_used_as_a_shot_stays_in_its_scene():
    script = parse_script(SHOT_WORDS_SCENE)
    assert len(script.scenes) == 1
    assert ShotLine("KEYHOLE POV", "") in script.scenes[0].beats


def test_a_shot_sentence_inside_action_is_cut_out_of_it():
    (scene,) = parse_script("INT. ROOM - DAY\n\nHe walks away. We PUSH IN on Nora, lost in thought. The clock ticks.\n").scenes
    assert scene.beats == (
        Action("He walks away."),
        ShotLine("We PUSH IN on Nora, lost in thought.", "Nora, lost in thought."),
        Action("The clock ticks."),
    )


def test_we_in_ordinary_case_in_a_screenplay_is_no_camera():
    (scene,) = parse_script("INT. ROOM - DAY\n\nWe follow the road home. We see a house.\n").scenes
    assert scene.shot_lines == []


# -- planning shots ------------------------------------------------------------------------------------------


def test_close_on_the_key_is_a_close_up_on_the_key_when_its_line_comes():
    board = plan(KEY_SCENE)
    scene = board.scenes[0]
    assert "key" in [e.id for e in board.entities] and "key" in scene.entities
    close = next(shot for shot in scene.shots if shot.description == "CLOSE ON the key")
    assert (close.size, close.subjects) == ("close_up", ["key"])
    line = scene.dialogue[0]
    assert 0.0 < close.start < line.start  # after the opening action, before Nora speaks
    assert scene.shots[0].start == 0.0 and scene.shots[0].size == "wide" and scene.shots[0].end == close.start
    t = (close.start + close.end) / 2
    assert frame_boxes(scene, close, t)["key"].height > 2 * scene.layout_at(t)["key"].height


def test_a_move_through_a_place_to_find_someone_frames_the_place_and_casts_no_verb():
    board = plan("INT. HALL - DAY\n\nEdward sits.\n\nWe slowly MOVE THROUGH a foreclosure auction to find Edward watching.\n")
    assert "watching" not in {e.id for e in board.entities} | {e.category for e in board.entities}


def test_a_keyhole_pov_looks_through_the_eyes_of_whoever_acted_last():
    scene = plan(SHOT_WORDS_SCENE).scenes[0]
    pov = next(shot for shot in scene.shots if shot.description == "KEYHOLE POV")
    assert (pov.angle, pov.pov) == ("pov", "nora")
    t = (pov.start + pov.end) / 2
    assert "nora" not in frame_boxes(scene, pov, t)
    named = next(shot for shot in scene.shots if shot.description == "POV - NORA")
    assert (named.angle, named.pov) == ("pov", "nora")


def test_shot_words_give_size_move_and_subjects():
    scene = plan(SHOT_WORDS_SCENE).scenes[0]
    by_line = {shot.description: shot for shot in scene.shots}
    assert by_line["WIDE SHOT"].size == "wide"
    assert (by_line["INSERT - THE LETTER"].size, by_line["INSERT - THE LETTER"].subjects) == ("insert", ["letter"])
    assert (by_line["ANGLE ON NORA"].size, by_line["ANGLE ON NORA"].subjects) == ("medium", ["nora"])
    assert by_line["EXTREME CLOSE UP - NORA'S EYE"].size == "extreme_close_up"
    assert by_line["EXTREME CLOSE UP - NORA'S EYE"].subjects == ["nora"]
    assert by_line["TRACKING SHOT"].move.kind == "follow"
    assert by_line["BACK TO SCENE"].size == "wide"


def test_camera_moves_in_prose_become_moves_with_their_direction():
    scene = plan("A red ball rolls from the left to the right. The camera pans left to a black cat. Then we push in on the cat.").scenes[0]
    pan = next(shot for shot in scene.shots if shot.move.kind == "pan")
    assert (pan.move.direction, pan.subjects) == ("left", ["black_cat"])
    push = next(shot for shot in scene.shots if shot.move.kind == "dolly")
    assert (push.move.direction, push.subjects) == ("in", ["black_cat"])
    assert push.start >= pan.end


# -- default coverage -----------------------------------------------------------------------------------------

TALK = """INT. KITCHEN - DAY

NORA (40) walks from the left to the right. SAM (10) sits at the table.

NORA
Have you seen my keys anywhere?

SAM
No. Ask Dad.

NORA (V.O.)
That was the last time I asked him.
"""


def test_a_scene_without_shot_lines_gets_an_establishing_wide_then_its_speakers():
    scene = plan(TALK).scenes[0]
    first, *rest = scene.shots
    assert (first.start, first.size, first.move.kind) == (0.0, "wide", "static")
    for line in scene.dialogue[:2]:
        on_line = shot_at(scene, line.start + 0.01)
        assert (on_line.size, on_line.subjects) == ("medium", [line.speaker])
    assert any(shot.move.kind == "follow" and shot.move.target == "nora" for shot in rest)  # she walks
    assert not any(shot.start == scene.dialogue[2].start for shot in rest)  # a voice over gets no shot of its own


HIKE = """EXT. MOUNT GURU STREAM--DAY

Yorblef hikes across a stream.

He stops where the trail ends abruptly over the cliff of a deep chasm.

YORBLEF
Uh, seriously?

He notices a sign.

YORBLEF
Uh. Huh. No trail markers. I guess I've gone almost eleven miles? Maybe? I have been walking since the morning and my feet are not what they were when I set out.
"""  # after ascent_to_guru_peak.fountain (benchmarks/screenplays): he walks the whole scene, and talks for 13 s


def test_a_speaker_who_walks_while_talking_stays_in_the_frame_of_the_medium_on_them():
    from director.camera import frame_boxes

    scene = plan(HIKE).scenes[0]
    assert any(m.entity == "yorblef" and m.start is None for m in scene.motions)  # the walk spans the scene
    mediums = [shot for shot in scene.cut if shot.size == "medium"]
    assert mediums and all(shot.subjects == ["yorblef"] for shot in mediums)
    for shot in mediums:
        for t in (shot.start, (shot.start + shot.end) / 2, shot.end - 1e-3):
            assert "yorblef" in frame_boxes(scene, shot, t), (shot.id, t)
    long_line = shot_at(scene, scene.dialogue[1].start + 0.01)
    assert (long_line.move.kind, long_line.move.target) == ("follow", "yorblef")


def test_no_coverage_leaves_each_scene_one_wide_shot():
    board = plan(TALK, coverage="none")
    assert all(scene.shots == [] for scene in board.scenes)
    (only,) = board.scenes[0].cut
    assert (only.size, only.end) == ("wide", board.scenes[0].duration)


def test_default_coverage_is_deterministic_and_every_shot_lasts_at_least_a_second():
    first, second = plan(TALK, fps=24), plan(TALK, fps=24)
    assert first.to_json() == second.to_json()
    assert all(shot.duration >= 1.0 - 1e-6 for shot in first.scenes[0].shots)


def test_an_unknown_coverage_is_refused():
    with pytest.raises(ValueError, match="coverage"):
        plan(TALK, coverage="lots")


# -- the cast and the plan --------------------------------------------------------------------------------------


def test_no_shot_direction_is_ever_read_as_a_cast_member():
    board = plan(SHOT_WORDS_SCENE + "\n" + KEY_SCENE)
    camera = lx.SCREEN_DIRECTIONS | {"keyhole", "shoulder", "extreme", "tracking", "two"}
    for entity in board.entities:
        words = set(entity.name.lower().replace("-", " ").split()) | set(entity.id.split("_"))
        assert not words & camera, entity


def test_a_planned_board_with_shots_validates_and_round_trips():
    board = plan(SHOT_WORDS_SCENE + "\n" + KEY_SCENE + "\n" + TALK, fps=12)
    check_storyboard(board)
    again = Storyboard.from_json(board.to_json())
    assert again == board and all(scene.shots for scene in again.scenes)
    for scene in again.scenes:
        assert scene.shots[0].start == 0.0 and scene.shots[-1].end == scene.duration


# -- the LLM planner's shot stage -------------------------------------------------------------------------------

class ShotReplay(Backend):
    """Answers the shot stage from a queue and every other stage with nothing to add; each answer is
    checked against the schema it was asked for (by the stage's own answer model)."""

    model_id = "replay"
    EMPTY = {
        "CastAnswer": {"things": []},
        "KindsAnswer": {"nouns": []},
        "GraphAnswer": {"relations": []},
        "MotionAnswer": {"motions": []},
        "VisibilityAnswer": {"visibility": []},
        "SceneAnswer": {"setting": "grass", "time_of_day": "day"},
    }

    def __init__(self, shots: list[dict]) -> None:
        self.shots = list(shots)
        self.calls: list[str] = []

    def complete_json(self, messages, schema, max_tokens=512, seed=0):
        stage = schema["title"]
        self.calls.append(stage)
        if stage != "ShotAnswer":
            return self.EMPTY[stage]
        answer = self.shots.pop(0)
        allowed = schema["properties"]
        for field in ("size", "angle", "move"):
            assert answer[field] in allowed[field]["enum"], (field, answer[field])
        return answer


def planner_with(shots: list[dict], **options) -> tuple[LLMPlanner, ShotReplay]:
    planner = LLMPlanner(**options)
    planner._backend = ShotReplay(shots)
    return planner, planner._backend


SNIPER = """INT. ROOF - NIGHT

.SNIPER SCOPE POV

STEEL (50) walks to the window. A SNIPER (30) lowers the rifle.
"""


def test_the_shot_stage_fills_the_eyes_of_a_pov_the_reader_could_not_tell():
    answer = {"size": "medium", "angle": "pov", "pov": "sniper", "move": "static", "direction": "none", "subjects": ["steel"]}
    planner, backend = planner_with([answer])
    board, report = planner.plan_with_report(parse_script(SNIPER))
    draft = RulesPlanner().plan(parse_script(SNIPER)).scenes[0].shots[0]
    assert (draft.angle, draft.pov) == ("eye_level", None)  # nobody has acted yet: whose eyes?
    pov = board.scenes[0].shots[0]
    assert (pov.angle, pov.pov, pov.subjects) == ("pov", "sniper", [])
    assert backend.calls.count("ShotAnswer") == 1 and report.used["shots"] == 1


def test_the_shot_stage_is_not_asked_where_the_reader_framed_the_line():
    planner, backend = planner_with([])
    board = planner.plan(parse_script(KEY_SCENE))
    assert "ShotAnswer" not in backend.calls
    assert any(shot.subjects == ["key"] for shot in board.scenes[0].shots)


def test_with_the_model_policy_the_models_reading_of_a_shot_line_wins():
    answer = {"size": "extreme_close_up", "angle": "low", "pov": "none", "move": "dolly", "direction": "in", "subjects": ["key"]}
    planner, _ = planner_with([answer], policy={"shots": "model"})
    board = planner.plan(parse_script(KEY_SCENE))
    close = next(shot for shot in board.scenes[0].shots if shot.description == "CLOSE ON the key")
    assert (close.size, close.angle, close.move.kind, close.move.direction, close.subjects) == ("extreme_close_up", "low", "dolly", "in", ["key"])
    check_storyboard(board)


# -- the CLI --------------------------------------------------------------------------------------------------------


def test_director_plan_takes_the_coverage_and_refuses_an_unknown_one(tmp_path):
    from typer.testing import CliRunner

    from director.cli import app

    script = tmp_path / "talk.fountain"
    script.write_text(TALK, encoding="utf-8")
    runner = CliRunner()
    for coverage, many in (("default", True), ("none", False)):
        out = tmp_path / f"{coverage}.json"
        result = runner.invoke(app, ["plan", str(script), "-o", str(out), "--planner", "rules", "--coverage", coverage])
        assert result.exit_code == 0, result.output
        assert (len(Storyboard.load(out).scenes[0].shots) > 1) is many
    refused = runner.invoke(app, ["plan", str(script), "-o", str(tmp_path / "x.json"), "--planner", "rules", "--coverage", "lots"])
    assert refused.exit_code == 2 and "--coverage must be default or none" in refused.output
    assert not (tmp_path / "x.json").exists()
