"""LVD's stage-1 benchmark as rebuilt in benchmarks/lvd: its prompts, its answer reader and its rules."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.lvd.parse import AnswerError, answer_to_video, read_answer, replay_cache
from benchmarks.lvd.prompts import CATEGORIES, lvd_cases
from benchmarks.lvd.rules import Attribution, Count, MovesPast, MovesTo, Visibility, Visits

LVD_CACHES = Path(__file__).resolve().parent.parent / "benchmarks" / "lvd" / "cache"  # copied from LVD (NOTICE.md there)

# sha256 of json.dumps([[prompt, number of answers], ...]) over the keys of LVD's
# cache/cache_lvd_v0.1_gpt-4-1106-preview.json at commit 22d90d2, in file order (the order LVD asked
# them; cache_lvd_v0.1_gpt-3.5-turbo.json has the same keys and counts). Reference data from LVD.
LVD_CACHE_KEYS_SHA256 = "4274a6894ec47ddd43d75c709b71a299bf459a3c784a9df02653f056af8ff4a8"


def frames_text(*frames: list[tuple[int, str, tuple[int, int, int, int]]], reasoning: str = "Reasoning: made by hand.") -> str:
    """An answer in LVD's text format: one list of (id, name, [x, y, w, h]) per frame, in 512-pixel units."""
    lines = [reasoning]
    for k, objects in enumerate(frames):
        items = [{"id": i, "name": name, "box": list(box)} for i, name, box in objects]
        lines.append(f"Frame {k + 1}: {items!r}")
    lines.append("Background keyword: park")
    return "\n".join(lines)


def still(*objects: tuple[int, str, tuple[int, int, int, int]]) -> list[list]:
    return [list(objects)] * 6


def test_there_are_500_prompts_100_per_category_in_lvds_order_and_wording():
    cases = lvd_cases()
    assert len(cases) == 500 and [c.index for c in cases] == list(range(500))
    assert Counter(c.category for c in cases) == {category: 100 for category in CATEGORIES}
    assert [c.category for c in cases] == sorted((c.category for c in cases), key=CATEGORIES.index)
    distinct = Counter(c.prompt for c in cases)
    fingerprint = hashlib.sha256(json.dumps([[p, n] for p, n in distinct.items()]).encode()).hexdigest()
    assert fingerprint == LVD_CACHE_KEYS_SHA256
    # a few of the seeded draws, as they stand among the keys of LVD's cache
    assert cases[100].prompt == "A realistic lively video of a scene with a blue cat and a white bird"
    assert cases[350].prompt == "A realistic lively video of a scene with a bird moving from the left of a car to its right"
    assert cases[351].prompt == "A realistic lively video of a scene with a car moving from the right of a bird to its left"
    assert cases[0].rule == Count("car", 1) and cases[5].prompt.endswith("one lively cat")
    assert cases[25].prompt.endswith("with two moving cars") and cases[25].rule == Count("car", 2)


def test_lvds_cached_gpt_answers_score_as_its_readme_says():
    """README of LVD: GPT-4 100/100/100/100/88 (98%); the cached GPT-3.5 rerun 100/100/100/73/15 (78%)."""
    expected = {"gpt-4-1106-preview": [100, 100, 100, 100, 88], "gpt-3.5-turbo": [100, 100, 100, 73, 15]}
    cases = lvd_cases()
    for model, per_category in expected.items():
        cache = json.loads((LVD_CACHES / f"cache_lvd_v0.1_{model}.json").read_text())
        assert list(cache) == list(dict.fromkeys(c.prompt for c in cases))
        passed = Counter()
        for case, answer in zip(cases, replay_cache(cache, [c.prompt for c in cases]), strict=True):
            passed[case.category] += case.rule.check(answer_to_video(answer)) is None
        assert [passed[c] for c in CATEGORIES] == per_category


def test_the_reader_takes_lvds_text_with_reasoning_comments_and_list_dashes():
    text = frames_text(*still((0, "red car", (0, 256, 100, 50))), reasoning="Reasoning: a car.\nFrame 1 comes next.")
    text = text.replace("Frame 3: [", "Frame 3: - [").replace("50]}]\nFrame 4", "50]}] - it stays\nFrame 4")
    frames, background = read_answer(text)
    assert len(frames) == 6 and background == "park"
    assert frames[2] == [{"id": 0, "name": "red car", "box": [0, 256, 100, 50]}]
    video = answer_to_video(text)
    assert [t.phrase for t in video.tracks] == ["red car"]
    assert video.tracks[0].boxes[0].tolist() == pytest.approx([0, 0.5, 100 / 512, 306 / 512])


def test_an_answer_missing_a_frame_or_with_a_broken_list_is_unreadable():
    good = frames_text(*still((0, "cat", (0, 0, 50, 50))))
    with pytest.raises(AnswerError, match="Frame 5"):
        answer_to_video(good.replace("Frame 5:", "Frame five:"))
    with pytest.raises(AnswerError, match="not a Python literal"):
        answer_to_video(good.replace("Frame 2: [", "Frame 2: [oops"))
    with pytest.raises(AnswerError, match="'box'"):
        answer_to_video(good.replace("'box'", "'bbox'"))


def test_numbered_names_are_stripped_and_counts_are_the_majority_over_frames():
    three = still((0, "moving car 1", (0, 200, 80, 40)), (1, "moving car 2", (150, 200, 80, 40)), (2, "moving car 3", (300, 200, 80, 40)))
    video = answer_to_video(frames_text(*three))
    assert [t.phrase for t in video.tracks] == ["moving car"] * 3
    assert Count("car", 3).check(video) is None
    two_mostly = [three[0], three[1][:2], three[2][:2], three[3][:2], three[4], three[5]]
    why = Count("car", 3).check(answer_to_video(frames_text(*two_mostly)))
    assert why is not None and "2 boxes in most frames" in why


def test_attribution_needs_each_colour_on_its_object():
    right = still((0, "red car", (0, 200, 80, 40)), (1, "blue dog", (300, 200, 80, 80)))
    assert Attribution("car", "red", "dog", "blue").check(answer_to_video(frames_text(*right))) is None
    swapped = still((0, "blue car", (0, 200, 80, 40)), (1, "red dog", (300, 200, 80, 80)))
    assert "no object named 'red car'" in Attribution("car", "red", "dog", "blue").check(answer_to_video(frames_text(*swapped)))


def test_visibility_reads_frames_one_two_against_five_six():
    cat = (0, "lively cat", (200, 200, 100, 100))
    late = [[], [], [], [cat], [cat], [cat]]
    assert Visibility("cat", appears=True).check(answer_to_video(frames_text(*late))) is None
    assert Visibility("cat", appears=False).check(answer_to_video(frames_text(*late))) is not None
    always = still(cat)
    assert "present in first half True" in Visibility("cat", appears=True).check(answer_to_video(frames_text(*always)))


def test_moving_from_the_left_to_the_right_compares_first_and_last_frames():
    moving = [[(0, "dog", (40 + 80 * k, 300, 60, 60))] for k in range(6)]
    video = answer_to_video(frames_text(*moving))
    assert MovesTo("dog", "left", "right").check(video) is None
    assert MovesTo("dog", "right", "left").check(video) is not None
    ball = (1, "ball", (250, 300, 30, 30))
    past = [[(0, "dog", (40 + 80 * k, 300, 60, 60)), ball] for k in range(6)]
    assert MovesPast("dog", "ball", "left", "right").check(answer_to_video(frames_text(*past))) is None
    short = [[(0, "dog", (40 + 30 * k, 300, 60, 60)), ball] for k in range(6)]  # never gets past the ball
    assert "(False)" in MovesPast("dog", "ball", "left", "right").check(answer_to_video(frames_text(*short)))


def test_a_sequence_must_be_in_the_second_quadrant_at_the_middle_frame():
    lower_left, lower_right, upper_right = (60, 350, 60, 60), (380, 350, 60, 60), (380, 60, 60, 60)
    on_time = [lower_left, (220, 350, 60, 60), (300, 350, 60, 60), lower_right, (380, 200, 60, 60), upper_right]
    rule = Visits("bird", ("lower left", "lower right", "upper right"))
    assert rule.check(answer_to_video(frames_text(*[[(0, "bird", b)] for b in on_time]))) is None
    late = [lower_left, (100, 350, 60, 60), (140, 350, 60, 60), (180, 350, 60, 60), lower_right, upper_right]
    why = rule.check(answer_to_video(frames_text(*[[(0, "bird", b)] for b in late])))
    assert why is not None and "frame 4" in why and "not lower right" in why


def test_names_match_on_word_boundaries_as_lvds_get_box():
    video = answer_to_video(frames_text(*still((0, "carrot", (0, 0, 50, 50)), (1, "cars", (100, 0, 50, 50)))))
    assert video.find(("car",)) is None
    assert answer_to_video(frames_text(*still((0, "small car", (0, 0, 50, 50))))).find(("car",)) is not None


def test_a_director_storyboard_is_exported_and_scored_as_lvd_reads_it():
    from benchmarks.bench_lvd import score_answer
    from director.interchange import export_layouts
    from tests.conftest import make_board

    case = next(c for c in lvd_cases() if c.rule == MovesTo("cat", "left", "right"))
    verdict = score_answer(case, export_layouts(make_board(scenes=1), "lvd"))  # its cat walks from x 0.15 to 0.8
    assert verdict["invalid"] is None and verdict["why"] is None
    assert verdict["seen"] == "'cat' [123456], 'dog' [123456]"
    backwards = next(c for c in lvd_cases() if c.rule == MovesTo("cat", "right", "left"))
    assert score_answer(backwards, export_layouts(make_board(scenes=1), "lvd"))["why"] is not None


def test_a_layout_without_boxes_or_unreadable_is_an_invalid_plan():
    from benchmarks.bench_lvd import score_answer

    case = lvd_cases()[0]
    assert score_answer(case, frames_text(*[[]] * 6))["invalid"] == "no boxes"
    assert score_answer(case, "Reasoning: I cannot.")["invalid"].startswith("no 'Frame 2:'")
    assert score_answer(case, None)["invalid"] == "no answer"
