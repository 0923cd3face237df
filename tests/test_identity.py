"""Identity: fixed phrases from identity fields, token spans, per-entity noise that follows its box."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

import torch

from director.storyboard import Box
from renderers.diffusers.identity import entity_phrase, frame_prompt, initial_latents, token_spans
from renderers.diffusers.random_pipelines import clip_tokenizer
from tests.tiny_pipelines import CAT, DOG, LEFT, RIGHT, scene


def test_entity_phrase_comes_from_identity_fields_only():
    assert entity_phrase(CAT) == "black cat"
    assert entity_phrase(DOG) == "a small brown dog"  # a description wins
    # The same entity reads the same in any scene.
    night = scene().__class__("s2", "INT. KITCHEN", "the dog barks", "a kitchen at night", "noir", (CAT, DOG), (), 32, 32)
    assert frame_prompt(night, ["cat"]).text.startswith("black cat")
    assert frame_prompt(scene(), ["cat"]).text.startswith("black cat")


def test_entity_phrases_come_first_and_their_tokens_are_found():
    prompt = frame_prompt(scene(entities=(CAT, DOG)), ["cat", "dog"])
    assert prompt.text.startswith("black cat, a small brown dog, a cat plays in the park")
    tokenizer = clip_tokenizer()
    spans = token_spans(tokenizer, prompt)
    ids = tokenizer(prompt.text)["input_ids"]
    decoded = {entity: tokenizer.decode([ids[i] for i in tokens]).replace(" ", "") for entity, tokens in spans.items()}
    assert decoded == {"cat": "blackcat", "dog": "asmallbrowndog"}


def test_a_phrase_cut_off_by_the_token_limit_keeps_no_tokens_past_it():
    long_scene = scene(entities=(CAT, DOG)).__class__("s", "h", "x" * 200, "", "", (CAT, DOG), (), 32, 32)
    tokenizer = clip_tokenizer(model_max_length=12)
    spans = token_spans(tokenizer, frame_prompt(long_scene, ["cat", "dog"]))
    assert all(i < 12 for tokens in spans.values() for i in tokens)
    # Start token, "black cat" (8 characters, one token each), ",", then only the "a" of "a small brown dog" fits
    # before the end token.
    assert spans == {"cat": list(range(1, 9)), "dog": [10]}


def test_entity_noise_moves_with_its_box_and_the_background_stays():
    shape = (4, 8, 8)
    left, right = initial_latents([{"cat": LEFT}, {"cat": RIGHT}], shape, seed=5)
    background = initial_latents([{}], shape, seed=5, entity_noise=False)[0]
    # Outside both boxes: the shared background.
    assert torch.equal(left[:, :2], background[:, :2]) and torch.equal(right[:, 6:], background[:, 6:])
    # Inside: the same patch of the cat's own noise, anchored at the box's corner.
    assert torch.equal(left[:, 2:6, 0:4], right[:, 2:6, 4:8])
    assert not torch.equal(left[:, 2:6, 0:4], background[:, 2:6, 0:4])
    # The cat's noise does not depend on the scene's seed: it is the cat's.
    other_scene = initial_latents([{"cat": LEFT}], shape, seed=99)[0]
    assert torch.equal(other_scene[:, 2:6, 0:4], left[:, 2:6, 0:4])
    assert not torch.equal(other_scene[:, :2], left[:, :2])


def test_smaller_boxes_keep_their_noise_in_front():
    big, small = Box(x0=0.0, y0=0.0, x1=1.0, y1=1.0), Box(x0=0.5, y0=0.5, x1=0.75, y1=0.75)
    both = initial_latents([{"cat": big, "dog": small}], (4, 8, 8), seed=0)[0]
    dog_alone = initial_latents([{"dog": small}], (4, 8, 8), seed=0)[0]
    assert torch.equal(both[:, 4:6, 4:6], dog_alone[:, 4:6, 4:6])
