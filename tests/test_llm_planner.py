"""The LLM planner: stages merged with the reader, one repair round, the plan cache, and real backends.

The fast tests drive the planner with `ReplayBackend`, which answers from a list
per stage and checks every answer against the schema it was asked for, so
what they test is the planner's handling of answers (merging, repairing,
caching). The slow tests run the real embedded model, and the OpenAI backend
against llama-cpp-python's own server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from director.cli import app
from director.errors import InputError
from director.planner import PlanOptions
from director.script import parse_script
from director.storyboard import Storyboard
from planners.backends import Backend, BackendError, embedded_model_path, idle_cores
from planners.llm import MERGE_POLICY, POLICIES, LLMPlanner, PlanReport
from planners.rules import RulesPlanner


class ReplayBackend(Backend):
    """Answers each stage from a queue (by the schema's title), after checking the answer fits the schema."""

    model_id = "replay"

    def __init__(self, answers: dict[str, list[dict]]) -> None:
        self.answers = {stage: list(queue) for stage, queue in answers.items()}
        self.calls: list[tuple[str, list[dict]]] = []
        self.questions: list[tuple[str, dict, int]] = []  # (stage, schema, max_tokens) of every call

    def complete_json(self, messages, schema, max_tokens=512, seed=0):
        stage = schema["title"]
        self.calls.append((stage, messages))
        self.questions.append((stage, schema, max_tokens))
        queue = self.answers.get(stage) or [{"CastAnswer": {"things": []}, "KindsAnswer": {"things": []}, "GraphAnswer": {"relations": []}, "MotionAnswer": {"motions": []}, "VisibilityAnswer": {"visibility": []}, "SceneAnswer": {"setting": "grass", "time_of_day": "day"}}.get(stage, {})]
        answer = queue.pop(0) if len(queue) > 1 or stage not in self.answers else queue[0]
        _check_schema(answer, schema)
        return answer


def _check_schema(value, schema, defs=None):
    """Enough of JSON schema to catch a test answer the real grammar would never allow."""
    defs = defs or schema.get("$defs", {})
    if "$ref" in schema:
        return _check_schema(value, defs[schema["$ref"].split("/")[-1]], defs)
    if "enum" in schema:
        assert value in schema["enum"], (value, schema["enum"])
    if schema.get("type") == "object":
        assert set(schema.get("required", [])) <= set(value), (value, schema.get("required"))
        for key, item in value.items():
            _check_schema(item, schema["properties"][key], defs)
    if schema.get("type") == "array":
        for item in value:
            _check_schema(item, schema["items"], defs)


def planner_with(answers: dict[str, list[dict]], **options) -> tuple[LLMPlanner, ReplayBackend]:
    planner = LLMPlanner(**options)
    backend = ReplayBackend(answers)
    planner._backend = backend
    return planner, backend


@pytest.mark.parametrize(("cores", "load", "threads"), [(2, 1.0, 2), (2, 2.1, 1), (2, 5.0, 1), (8, 1.2, 4), (8, 6.0, 3), (1, 0.0, 1)])
def test_a_local_model_takes_the_cores_other_programs_leave_idle(monkeypatch, cores, load, threads):
    # the load average counts this process too: 1.0 on 2 cores is this planner alone, so both cores are idle
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert idle_cores() == threads


def test_a_noun_the_lexicon_lacks_is_taught_to_the_reader_which_then_counts_and_moves_it():
    planner, _ = planner_with({"KindsAnswer": [{"things": ["zorblat"]}]})
    board, report = planner.plan_with_report(parse_script("Three zorblats walk from the left to the right."))
    zorblats = [e for e in board.entities if e.category == "zorblat"]
    assert len(zorblats) == 3
    scene = board.scenes[0]
    for zorblat in zorblats:
        start, end = scene.layout_at(0)[zorblat.id], scene.layout_at(scene.duration)[zorblat.id]
        assert end.center[0] - start.center[0] > 0.3
    assert board.provenance.planner == "llm" and board.provenance.prompt_version == "prompts-v1"
    assert report.used["kinds"] == 1


def test_a_move_the_reader_cannot_read_comes_from_the_model():
    motion = {"motions": [{"entity": "cat", "origin": "left", "path": ["right"], "enters": False, "exits": False}]}
    planner, backend = planner_with({"MotionAnswer": [motion]})
    board, report = planner.plan_with_report(parse_script("A cat pootles from the left to the right."))  # "pootles" is no verb of moving the reader knows
    scene = board.scenes[0]
    assert scene.layout_at(scene.duration)["cat"].center[0] - scene.layout_at(0)["cat"].center[0] > 0.3
    assert report.used["motion"] == 1


def test_the_motion_question_shows_only_the_sentences_with_a_place_the_draft_leaves_unexplained():
    motion = {"motions": [{"entity": "cat", "origin": "left", "path": ["right"], "enters": False, "exits": False}]}
    planner, backend = planner_with({"MotionAnswer": [motion]})
    board = planner.plan(parse_script("A dog sleeps by a tree. A cat pootles from the left to the right."))
    ((stage, messages),) = [(stage, messages) for stage, messages in backend.calls if stage == "MotionAnswer"]
    assert messages[-1]["content"].endswith("Scene: A cat pootles from the left to the right.")
    ((schema, tokens),) = [(schema, tokens) for stage, schema, tokens in backend.questions if stage == "MotionAnswer"]
    assert schema["$defs"]["MotionItem"]["properties"]["entity"]["const"] == "cat" and schema["properties"]["motions"]["maxItems"] == 1
    scene = board.scenes[0]
    assert scene.layout_at(scene.duration)["cat"].center[0] - scene.layout_at(0)["cat"].center[0] > 0.3


def test_the_readers_explicit_answer_stands_against_the_model():
    planner, _ = planner_with({"CastAnswer": [{"things": [{"noun": "cat", "count": 4, "color": "none"}]}]})
    board = planner.plan(parse_script("Two black cats sleep."))
    cats = [e for e in board.entities if e.category == "cat"]
    assert len(cats) == 2 and all(c.attributes["color"] == "black" for c in cats)


class FixedBackend(Backend):
    """Gives one fixed answer to every question whose schema has that title, and counts the questions."""

    model_id = "fixed"

    def __init__(self, answers: dict[str, dict]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def complete_json(self, messages, schema, max_tokens=512, seed=0):
        self.asked.append(schema["title"])
        if schema["title"] not in self.answers:
            raise BackendError(f"no answer for {schema['title']}")
        return self.answers[schema["title"]]


def planner_fixed(answers: dict[str, dict], **options) -> tuple[LLMPlanner, FixedBackend]:
    planner = LLMPlanner(**options)
    planner._backend = backend = FixedBackend(answers)
    return planner, backend


def _kind(board, category: str) -> list[str]:
    return [i for i in board.scenes[0].entities if next(e for e in board.entities if e.id == i).category == category]


def test_the_models_count_wins_where_the_text_says_that_number_and_the_reader_read_another():
    script = parse_script("Three of the cars drive from the left to the right.")
    reader = RulesPlanner().plan(script)
    assert len(_kind(reader, "car")) != 3  # what the reader alone gets wrong
    planner, _ = planner_fixed({"CastAnswer": {"things": [{"noun": "car", "count": 3, "color": "none"}]}})
    board, report = planner.plan_with_report(script)
    cars = _kind(board, "car")
    assert len(cars) == 3 and report.used["counts"] == 1
    names = [e.name for e in board.entities if e.id in cars]
    assert len(set(names)) == 3, names  # three identities, each with a name of its own
    scene = board.scenes[0]
    for car in cars:  # the added car moves as the others do
        assert scene.layout_at(scene.duration)[car].center[0] - scene.layout_at(0)[car].center[0] > 0.3


def test_with_counts_left_to_the_reader_the_drafts_count_stands_and_the_model_is_not_asked():
    script = parse_script("Three moving cars drive from the left to the right.")
    planner, backend = planner_fixed({"CastAnswer": {"things": [{"noun": "car", "count": 3, "color": "none"}]}}, policy={"counts": "reader"})
    board = planner.plan(script)
    assert len(_kind(board, "car")) == len(_kind(RulesPlanner().plan(script), "car"))
    assert "CastAnswer" not in backend.asked  # no noun's answer could change the plan


def test_a_count_the_text_contradicts_does_not_win_unless_the_policy_trusts_the_model():
    script = parse_script("Two black cats sleep.")
    answers = {"CastAnswer": {"things": [{"noun": "cat", "count": 4, "color": "black"}]}}
    assert len(_kind(planner_fixed(answers)[0].plan(script), "cat")) == 2  # "two", not the model's 4
    board = planner_fixed(answers, policy={"counts": "model"})[0].plan(script)
    cats = [e for e in board.entities if e.category == "cat"]
    assert len(cats) == 4 and all(c.attributes["color"] == "black" for c in cats)


def test_an_invalid_answer_leaves_the_readers_draft_standing():
    script = parse_script("Three of the cars drive from the left to the right.")
    wrong = {"CastAnswer": {"things": [{"noun": "car", "count": 99, "color": "none"}]}}  # count is at most 12
    planner, backend = planner_fixed(wrong, repair_rounds=0)
    board, report = planner.plan_with_report(script)
    assert board.scenes[0].entities == RulesPlanner().plan(script).scenes[0].entities
    assert backend.asked.count("CastAnswer") == 1 and any("cast:" in note for note in report.notes)


def test_a_backend_failure_in_every_stage_gives_the_readers_plan():
    script = parse_script("Scene 1: A zebra waits near a tree.\nScene 2: The zebra walks to the upper left and then appears only in the second half.")
    planner, backend = planner_fixed({}, policy={"graph": "model", "motion": "model", "visibility": "model", "scenes": "model"})
    board, report = planner.plan_with_report(script)
    reader = RulesPlanner().plan(script)
    assert [s.entities for s in board.scenes] == [s.entities for s in reader.scenes]
    assert [s.motions for s in board.scenes] == [s.motions for s in reader.scenes]
    assert backend.asked and report.used == Counter()


def test_the_merge_policy_is_data_checked_against_the_stages():
    assert set(MERGE_POLICY) == set(POLICIES) and all(MERGE_POLICY[s] in POLICIES[s] for s in POLICIES)
    with pytest.raises(InputError, match="unknown stage 'colour'"):
        LLMPlanner(policy={"colour": "model"})
    with pytest.raises(InputError, match="counts can be reader, number_said, model"):
        LLMPlanner(policy={"counts": "fill"})
    assert LLMPlanner(policy={"counts": "model"}).cache_key(parse_script("A cat."), PlanOptions()) != LLMPlanner().cache_key(parse_script("A cat."), PlanOptions())


def test_the_planner_keeps_nothing_of_a_plan_and_reports_progress_per_scene():
    seen = []
    planner, _ = planner_fixed({"KindsAnswer": {"things": ["zorblat"]}}, progress=lambda what, done, total: seen.append((what, done, total)))
    before = dict(vars(planner))
    first, first_report = planner.plan_with_report(parse_script("Scene 1: A zorblat sleeps.\nScene 2: A zorblat eats."))
    assert {k: v for k, v in vars(planner).items() if k != "_backend"} == {k: v for k, v in before.items() if k != "_backend"}
    second, second_report = planner.plan_with_report(parse_script("A dog sleeps."))
    assert [e.category for e in second.entities] == ["dog"] and second_report is not first_report
    assert {e.category for e in first.entities} == {"zorblat"}  # taught once, for both scenes
    assert second_report.calls["kinds"] == 0 and first_report.calls["kinds"] == 1  # "dog" is known: nothing to ask
    assert ("cast", 1, 2) in seen and ("cast", 2, 2) in seen and ("kinds", 2, 2) in seen and ("layout", 2, 2) in seen


def _offered(schema: dict) -> list[str]:
    """The nouns a kinds question lets the model name (its enum)."""
    items = schema["properties"]["things"]["items"]
    return items["enum"] if "enum" in items else [items["const"]]


def test_a_noun_the_lexicon_lacks_is_asked_about_once_for_the_whole_script():
    script = parse_script(
        "Scene 1: A gizmo sleeps on the rocks.\nScene 2: The gizmo wakes, and a kiosk watches the gizmo.\n"
        "Scene 3: A gizmo swims.\nScene 4: A kiosk eats."
    )
    planner, backend = planner_with({"KindsAnswer": [{"things": ["gizmo", "kiosk"]}]})
    board, report = planner.plan_with_report(script)
    kinds = [schema for stage, schema, _ in backend.questions if stage == "KindsAnswer"]
    assert len(kinds) == 1 and sorted(_offered(kinds[0])) == ["gizmo", "kiosk"]  # four scenes, one question, each noun once
    assert report.calls["kinds"] == 1 and report.calls["cast"] == 0 and report.used["kinds"] == 2
    categories = [{e.category for e in board.entities if e.id in scene.entities} & {"gizmo", "kiosk"} for scene in board.scenes]
    assert categories == [{"gizmo"}, {"gizmo", "kiosk"}, {"gizmo"}, {"kiosk"}]  # taught for every scene


def test_a_noun_the_model_does_not_name_is_not_taught_and_not_asked_again():
    script = parse_script("Scene 1: A gizmo sleeps near a lantern.\nScene 2: The lantern flickers. A gizmo yawns.")
    planner, backend = planner_with({"KindsAnswer": [{"things": ["gizmo"]}]})
    board, report = planner.plan_with_report(script)
    assert [stage for stage, _, _ in backend.questions if stage in ("KindsAnswer", "CastAnswer")] == ["KindsAnswer"]
    assert {e.category for e in board.entities} == {"gizmo"} and report.proposed["kinds"] == 1


def test_only_nouns_a_cast_member_could_be_are_offered_to_the_kinds_question():
    script = parse_script("A zorblat stands beside a kettle, full of anger, to the left of a glacier, with his flipper. A long pause.")
    planner, backend = planner_with({})
    planner.plan(script)
    (schema,) = [schema for stage, schema, _ in backend.questions if stage == "KindsAnswer"]
    assert _offered(schema) == ["zorblat", "kettle", "glacier"]  # the subject, objects of places; not 'anger', his flipper, a fragment's pause


def test_a_noun_wordnet_knows_only_as_something_no_camera_shows_is_never_offered_to_the_kinds_question():
    script = parse_script("The news reaches a kettle. A storm hits the illness beside a glacier.")
    planner, backend = planner_with({})
    planner.plan(script)
    (schema,) = [schema for stage, schema, _ in backend.questions if stage == "KindsAnswer"]
    assert _offered(schema) == ["kettle", "storm", "glacier"]  # news (a message) and illness (a state) name nothing seen; a storm is seen


def test_kinds_questions_hold_at_most_eight_nouns_and_their_sentences_only():
    nouns = ["gizmo", "kiosk", "lantern", "backpack", "glacier", "kettle", "trombone", "hammock", "cactus", "tuba"]
    script = parse_script("\n".join(f"Scene {k + 1}: The night is cold. A {noun} waits." for k, noun in enumerate(nouns)))
    planner, backend = planner_with({})
    planner.plan(script)
    kinds = [(schema, tokens) for stage, schema, tokens in backend.questions if stage == "KindsAnswer"]
    assert [_offered(schema) for schema, _ in kinds] == [nouns[:8], nouns[8:]]
    assert [schema["properties"]["things"]["maxItems"] for schema, _ in kinds] == [4, 2]  # as many as offered, at most 4
    assert kinds[1][1] < kinds[0][1] <= 50  # and the answer's length in tokens with them
    texts = [messages[-1]["content"] for stage, messages in backend.calls if stage == "KindsAnswer"]
    assert texts[1] == "Scene: A cactus waits. A tuba waits."  # the sentences that show the nouns, not the night


def test_the_cast_question_offers_only_nouns_the_draft_counted_otherwise_and_caps_its_answer_to_them():
    planner, backend = planner_with({"CastAnswer": [{"things": [{"noun": "car", "count": 3, "color": "none"}]}]})
    board = planner.plan(parse_script("The night is cold. Three of the cars drive past a house and a tree."))
    ((schema, tokens),) = [(schema, tokens) for stage, schema, tokens in backend.questions if stage == "CastAnswer"]
    assert [m[-1]["content"] for stage, m in backend.calls if stage == "CastAnswer"] == ["Scene: Three of the cars drive past a house and a tree."]
    assert schema["$defs"]["Thing"]["properties"]["noun"]["const"] == "car"  # not house or tree: no number is said before them
    assert schema["properties"]["things"]["maxItems"] == 1 and tokens < 60
    assert len(_kind(board, "car")) == 3


def test_no_count_is_asked_where_the_draft_already_counts_what_the_text_says():
    planner, backend = planner_with({})
    board, report = planner.plan_with_report(parse_script("Scene 1: Three moving cars drive past two houses.\nScene 2: Two men wait by a car."))
    assert len(_kind(board, "car")) == 3 and report.calls["cast"] == 0
    assert not [stage for stage, _, _ in backend.questions if stage in ("CastAnswer", "KindsAnswer")]


def test_two_men_counts_the_men_not_the_named_people_beside_them():
    script = parse_script("INT. ROOM - DAY\n\nNORA and BEN sit. Two men wait by the door. A man enters.\n\nNORA\nHi.\n\nBEN\nHello.\n")
    assert RulesPlanner().plan(script).scenes[0].entities == ["nora", "ben", "man_1", "man_2", "man"]  # three men in the draft
    planner, backend = planner_fixed({"CastAnswer": {"things": [{"noun": "man", "count": 2, "color": "none"}]}})
    board = planner.plan(script)
    assert backend.asked.count("CastAnswer") == 1
    assert board.scenes[0].entities == ["nora", "ben", "man_1", "man_2"]  # the model's two men; Nora and Ben stay


def test_the_visibility_question_offers_only_entities_without_a_span_named_with_a_word_for_it():
    script = parse_script("A dog sleeps by a tree. Then the cat is gone.")
    planner, backend = planner_with({"VisibilityAnswer": [{"visibility": [{"entity": "cat", "when": "first_half"}]}]})
    board, report = planner.plan_with_report(script)
    ((schema, tokens),) = [(schema, tokens) for stage, schema, tokens in backend.questions if stage == "VisibilityAnswer"]
    assert schema["$defs"]["VisibilityItem"]["properties"]["entity"]["const"] == "cat"  # not the dog or the tree
    assert schema["properties"]["visibility"]["maxItems"] == 1 and tokens < 40
    assert [(v.entity, v.start) for v in board.scenes[0].visibility] == [("cat", 0.0)] and report.used["visibility"] == 1


def test_a_contradictory_answer_gets_one_repair_round_with_the_problem_named():
    contradictory = {"relations": [{"subject": "fox", "predicate": "left_of", "object": "truck", "when": "always"}, {"subject": "fox", "predicate": "right_of", "object": "truck", "when": "always"}]}
    fixed = {"relations": [{"subject": "fox", "predicate": "left_of", "object": "truck", "when": "always"}]}
    planner, backend = planner_with(
        {"CastAnswer": [{"things": [{"noun": "fox", "count": 1, "color": "none"}, {"noun": "truck", "count": 1, "color": "none"}]}], "GraphAnswer": [contradictory, fixed]},
        use_rules=False,
    )
    board, report = planner.plan_with_report(parse_script("A fox waits, and a truck stands to its left."))
    graph_calls = [messages for stage, messages in backend.calls if stage == "GraphAnswer"]
    assert len(graph_calls) == 2
    assert "cannot both hold" in graph_calls[1][-1]["content"]
    relations = {(r.subject, r.predicate, r.object) for r in board.scenes[0].relations}
    assert relations == {("fox", "left_of", "truck")}
    assert report.repaired["graph"] == 1


def test_without_the_reader_the_models_motion_is_used():
    motion = {"motions": [{"entity": "dog", "origin": "right", "path": ["left"], "enters": False, "exits": False}]}
    planner, _ = planner_with({"CastAnswer": [{"things": [{"noun": "dog", "count": 1, "color": "none"}]}], "MotionAnswer": [motion]}, use_rules=False)
    board = planner.plan(parse_script("A dog runs from the right to the left."))
    scene = board.scenes[0]
    assert scene.layout_at(0)["dog"].center[0] > 0.6 > 0.4 > scene.layout_at(scene.duration)["dog"].center[0]


def test_plans_are_cached_by_script_model_prompts_and_seed(tmp_path):
    answers = {"KindsAnswer": [{"things": ["zorblat"]}]}
    planner, backend = planner_with(answers, cache_dir=tmp_path)
    script = parse_script("A zorblat sleeps.")
    first = planner.plan(script)
    calls = len(backend.calls)
    assert calls > 0
    again, report = planner.plan_with_report(script)
    assert len(backend.calls) == calls and report.cached
    assert again == first
    from director.planner import PlanOptions

    planner.plan(script, PlanOptions(seed=1))
    assert len(backend.calls) > calls  # another seed is another plan
    assert len(list((tmp_path / "plans").rglob("*.json"))) == 2


def test_cli_reads_the_llm_backend_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "s.txt").write_text("A cat sleeps.")
    monkeypatch.setenv("DIRECTOR_LLM_BACKEND", "openai")
    monkeypatch.delenv("DIRECTOR_LLM_BASE_URL", raising=False)
    result = CliRunner().invoke(app, ["plan", str(tmp_path / "s.txt"), "-o", str(tmp_path / "b.json"), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 2, result.output
    assert "needs `base_url` (--llm-base-url or DIRECTOR_LLM_BASE_URL)" in result.output
    assert not (tmp_path / "b.json").exists()


def test_vllm_backend_without_vllm_says_where_it_runs():
    if _importable("vllm"):
        pytest.skip("vLLM is installed here")
    planner = LLMPlanner(backend="vllm", model="HuggingFaceTB/SmolLM2-135M-Instruct")
    with pytest.raises(InputError, match="vllm serve"):
        planner.plan(parse_script("A cat sleeps."))


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


# -- the real model -------------------------------------------------------------------------------


@pytest.mark.slow
def test_embedded_model_plans_a_story_with_one_identity_across_scenes(tmp_path):
    script = parse_script("Scene 1: A zorblat walks from the left to the right.\nScene 2: The zorblat sleeps beside a red ball.")
    planner = LLMPlanner(cache_dir=tmp_path)
    board, report = planner.plan_with_report(script)
    assert Storyboard.model_validate_json(board.to_json()) == board
    assert board.provenance.model == "SmolLM2-135M-Instruct.Q4_1"
    zorblats = [e for e in board.entities if e.category == "zorblat"]
    assert len(zorblats) == 1, board.entities  # "a zorblat" ... "the zorblat" is one identity
    assert all(zorblats[0].id in scene.entities for scene in board.scenes)
    assert sum(report.calls.values()) >= 2
    fresh = LLMPlanner(cache_dir=tmp_path)
    assert fresh.plan_with_report(script) == (board, PlanReport(cached=True)) and fresh._backend is None  # no model loaded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server with the embedded GGUF, on 127.0.0.1."""
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server] (pip install -e '.[llm-server]')")
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()), "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--verbose", "False"]
    log = tmp_path_factory.mktemp("server") / "server.log"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("w"), env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"the server did not start in 120 s: {log.read_text()[-2000:]}")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_openai_backend_plans_against_a_real_server(llama_server, tmp_path):
    planner = LLMPlanner(backend="openai", base_url=llama_server, model="smollm2", cache_dir=tmp_path)
    board, report = planner.plan_with_report(parse_script("A purple backpack slides from the right to the left."))
    assert board.provenance.model == f"smollm2@{llama_server}"
    assert report.calls["kinds"] == 1 and not [n for n in report.notes if "kinds" in n]  # "backpack" is asked once (WordNet knows no giraffe's kind)
    giraffe = next(e for e in board.entities if e.category == "backpack")
    assert giraffe.attributes == {"color": "purple"}
    scene = board.scenes[0]
    assert scene.layout_at(0)[giraffe.id].center[0] > scene.layout_at(scene.duration)[giraffe.id].center[0]
    # the server refuses OpenAI's json_schema form, so the backend switched to json_object + schema
    assert planner.backend.config.response_format_style == "json_object"


@pytest.mark.slow
def test_openai_backend_reports_a_server_that_is_down(tmp_path):
    planner = LLMPlanner(backend="openai", base_url=f"http://127.0.0.1:{_free_port()}/v1", cache_dir=tmp_path, timeout=5)
    board, report = planner.plan_with_report(parse_script("A cat sleeps."))  # the draft stands; the failure is reported
    assert [e.category for e in board.entities] == ["cat"]
    assert any("cannot reach the LLM server" in note for note in report.notes)


def test_schema_of_a_stage_is_json():
    from planners import stages as st

    assert json.loads(json.dumps(st.schema_of(st.scenes_answer())))["title"] == "SceneAnswer"
    assert Path(embedded_model_path()).is_file()


@pytest.mark.slow
def test_transformers_backend_constrains_a_real_model_to_the_schema(tmp_path):
    """The same SmolLM2, dequantised from the GGUF by transformers, each token masked by outlines-core."""
    pytest.importorskip("transformers", reason="needs pip install -e '.[llm-transformers]'")
    pytest.importorskip("outlines_core")
    from planners import stages as st
    from planners.backends import BackendConfig, create_backend

    gguf = embedded_model_path()
    config = BackendConfig(kind="transformers", model=str(gguf.parent), gguf_file=gguf.name, cache_dir=str(tmp_path))
    backend = create_backend(config)
    answer_model = st.scenes_answer()
    raw = backend.complete_json(st.load_template("scenes").render(text="At night, a girl reads in her bedroom."), st.schema_of(answer_model), max_tokens=40)
    answer = answer_model.model_validate(raw)
    assert answer.setting in st.SETTINGS and answer.time_of_day in st.TIMES_OF_DAY
    assert list((tmp_path / "dequantised").glob("*/config.json"))  # dequantised once, kept for the next load
    again = create_backend(config)
    assert again.complete_json(st.load_template("scenes").render(text="At night, a girl reads in her bedroom."), st.schema_of(answer_model), max_tokens=40) == raw


def test_a_taught_noun_takes_the_category_another_wordnet_sense_of_it_is_a_kind_of():
    planner, _ = planner_with({"KindsAnswer": [{"things": ["catfish"]}]})  # WordNet's first catfish is a dish
    board = planner.plan(parse_script("A boy watches a catfish."))
    assert sorted(e.category for e in board.entities) == ["child", "fish"]


# -- what the model's stages may add to a screenplay's cast (issue 14) -------------------------------------


def _cast_calls(backend: FixedBackend) -> int:
    return backend.asked.count("CastAnswer")


def test_a_definite_count_refers_to_those_already_there_and_adds_no_one():
    # Big Fish: "The two women start to walk" are Sandra and Josephine, not a second blonde woman.
    script = parse_script("INT. HALL - NIGHT\n\nNora waits outside the restroom with a blonde woman. The two women start to walk.\n\nNORA\nHi.\n")
    drafted = RulesPlanner().plan(script).scenes[0].entities
    planner, backend = planner_fixed({"CastAnswer": {"things": [{"noun": "woman", "count": 2, "color": "none"}]}})
    board = planner.plan(script)
    assert backend.asked.count("CastAnswer") == 1  # asked: the draft counts its women otherwise than the text's two
    assert set(board.scenes[0].entities) <= set(drafted)  # the answer may drop a drafted one, never add one
    assert "blonde woman 2" not in {e.name for e in board.entities}


def test_the_numbers_a_scene_says_are_the_parsers_each_bound_to_its_noun_and_marked_whether_it_brings_them_in():
    from planners.llm import NumberSaid, _numbers_said

    said = _numbers_said(
        "Two checkstands over, a blonde woman in her 50's -- the woman from the store -- gets her change. "
        "The two women start to walk. They are two separate people. Three catfish swim in front of his headlights. "
        "Three of the cars drive on.",
        set(),
    )
    assert said == {
        "checkstand": [NumberSaid(2, introduces=True)],  # not the woman's, three words on
        "woman": [NumberSaid(2, introduces=False)],  # 'the two women': those already there; not 50
        "person": [NumberSaid(2, introduces=False)],  # a predicate: what they are (under both singulars)
        "people": [NumberSaid(2, introduces=False)],
        "catfish": [NumberSaid(3, introduces=True)],
        "car": [NumberSaid(3, introduces=True)],  # the numeral heads 'three of the cars'
    }


def test_a_number_the_parser_binds_to_another_word_is_no_count_and_asks_nothing():
    # "At two, a woman knocks": the number is a time, three words before the noun but not of it.
    script = parse_script("INT. HALL - NIGHT\n\nNora waits. At two, a woman knocks.\n\nNORA\nHi.\n")
    planner, backend = planner_fixed({"CastAnswer": {"things": [{"noun": "woman", "count": 2, "color": "none"}]}})
    board = planner.plan(script)
    assert board.scenes[0].entities == ["nora", "woman"] and _cast_calls(backend) == 0


def test_a_prop_the_script_first_writes_in_caps_is_not_taught_but_one_it_first_writes_plainly_is():
    emphasised = "INT. ROOM - DAY\n\nScott sorts through the mail. And a BIRTHDAY CARD.\n\nHe opens the card and throws it on the table.\n\nSCOTT\nHi.\n"
    planner, backend = planner_fixed({"KindsAnswer": {"things": ["card"]}})
    board, report = planner.plan_with_report(parse_script(emphasised))
    assert "KindsAnswer" in backend.asked and report.used["kinds"] == 0 and report.dropped["kinds"] == 1
    assert not [e for e in board.entities if "card" in e.id]
    plain = "INT. ROOM - DAY\n\nScott opens a card and throws it on the table. Then a BIRTHDAY CARD.\n\nSCOTT\nHi.\n"
    planner, _ = planner_fixed({"KindsAnswer": {"things": ["card"]}})
    board, report = planner.plan_with_report(parse_script(plain))
    assert report.used["kinds"] == 1 and [e.category for e in board.entities if "card" in e.id][:1] == ["card"]


def test_a_count_adds_only_copies_of_that_nouns_own_not_clones_of_another_of_its_kind():
    # "Three of the puppies" beside "a big dog": more puppies are no copies of the big dog (Big Fish's
    # three catfish beside the Beast).
    script = parse_script("A big dog sleeps. Three of the puppies play.")
    assert [e.id for e in RulesPlanner().plan(script).entities] == ["big_dog"]
    planner, backend = planner_fixed({"CastAnswer": {"things": [{"noun": "puppy", "count": 3, "color": "none"}]}})
    board = planner.plan(script)
    assert backend.asked.count("CastAnswer") == 1  # asked: the draft counted one of the kind, the text says three
    assert [e.id for e in board.entities] == ["big_dog"] and [e.name for e in board.entities] == ["big dog"]
