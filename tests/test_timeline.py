"""NUWA-XL's schedule: every frame made once, levels independent, (L-1)^m+1 frames for depth m."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from director.timeline import capacity, depth_for, plan_timeline

windows = st.integers(min_value=3, max_value=24)


@settings(max_examples=300, deadline=None)
@given(num_frames=st.integers(min_value=1, max_value=4000), window=windows)
def test_every_frame_is_made_exactly_once(num_frames, window):
    plan = plan_timeline(num_frames, window)
    made = [i for level in plan.levels for w in level for i in w.targets]
    assert sorted(made) == list(range(num_frames))


@settings(max_examples=300, deadline=None)
@given(num_frames=st.integers(min_value=1, max_value=4000), window=windows)
def test_windows_of_a_level_are_independent_and_fit_the_renderer(num_frames, window):
    plan = plan_timeline(num_frames, window)
    made_before: set[int] = set()
    for depth, level in enumerate(plan.levels):
        made_here: set[int] = set()
        for w in level:
            assert w.level == depth
            assert len(w.frames) <= window
            assert list(w.frames) == sorted(set(w.frames))
            assert set(w.known) <= made_before  # conditioned only on earlier levels
            assert not (set(w.targets) & made_here)  # no two windows make the same frame
            if depth > 0:
                assert w.known == (w.frames[0], w.frames[-1])  # known ends, everything between to make
                assert w.targets == w.frames[1:-1]
            made_here |= set(w.targets)
        made_before |= made_here


@settings(max_examples=200, deadline=None)
@given(num_frames=st.integers(min_value=2, max_value=4000), window=windows)
def test_depth_is_the_fewest_levels_that_fit(num_frames, window):
    plan = plan_timeline(num_frames, window)
    assert plan.depth == depth_for(num_frames, window)
    assert capacity(window, plan.depth) >= num_frames
    assert plan.depth == 1 or capacity(window, plan.depth - 1) < num_frames


@settings(max_examples=50, deadline=None)
@given(window=st.integers(min_value=3, max_value=17), depth=st.integers(min_value=1, max_value=3))
def test_exact_capacity_gives_full_evenly_spaced_windows(window, depth):
    num_frames = (window - 1) ** depth + 1
    plan = plan_timeline(num_frames, window)
    assert plan.depth == depth
    for level in plan.levels:
        for w in level:
            assert len(w.frames) == window
            gaps = {b - a for a, b in zip(w.frames, w.frames[1:])}
            assert len(gaps) == 1  # evenly spaced
    assert "fits the window exactly" in plan.explanation


def test_nuwa_xl_length_is_three_levels_of_sixteen():
    plan = plan_timeline(3376, 16)
    assert [len(level) for level in plan.levels] == [1, 15, 225]
    assert sum(len(w.targets) for level in plan.levels for w in level) == 3376


def test_arbitrary_lengths_are_explained():
    plan = plan_timeline(100, 16)
    assert plan.depth == 2
    text = plan.explanation
    assert "100 is not (L-1)^m+1" in text
    assert "level 1: 15 windows making 84 in-between frames (5-6 per window)" in text


def test_window_below_three_is_refused():
    with pytest.raises(ValueError, match="at least 3"):
        plan_timeline(10, 2)


# The autoregressive schedule --------------------------------------------------------------------

contexts = st.integers(min_value=1, max_value=4)


@settings(max_examples=300, deadline=None)
@given(num_frames=st.integers(min_value=1, max_value=4000), window=windows, context=contexts)
def test_autoregressive_makes_every_frame_once_each_window_after_the_last(num_frames, window, context):
    context = min(context, window - 1)
    plan = plan_timeline(num_frames, window, "autoregressive", context)
    made = [i for level in plan.levels for w in level for i in w.targets]
    assert made == list(range(num_frames))  # in order: each window extends the video forward
    assert all(len(level) == 1 for level in plan.levels)  # nothing within a scene runs at once
    assert plan.levels[0][0].known == ()
    for before, after in zip(plan.levels, plan.levels[1:]):
        previous, window_ = before[0], after[0]
        assert len(window_.frames) <= window
        assert window_.known == previous.frames[-context:]  # conditioned on the last frames of the window before
        assert window_.targets and window_.targets[0] == previous.frames[-1] + 1
        assert list(window_.frames) == list(range(window_.frames[0], window_.frames[-1] + 1))


@settings(max_examples=100, deadline=None)
@given(num_frames=st.integers(min_value=2, max_value=4000), window=st.integers(min_value=4, max_value=24))
def test_autoregressive_needs_as_many_steps_as_windows_and_hierarchical_far_fewer(num_frames, window):
    autoregressive = plan_timeline(num_frames, window, "autoregressive", 2)
    hierarchical = plan_timeline(num_frames, window)
    assert autoregressive.depth == autoregressive.num_jobs
    assert autoregressive.depth == 1 + -(-max(0, num_frames - window) // (window - 2))
    assert hierarchical.depth <= autoregressive.depth


def test_at_nuwa_xl_length_both_schedules_make_241_windows_but_one_needs_241_steps():
    autoregressive = plan_timeline(3376, 16, "autoregressive")
    hierarchical = plan_timeline(3376, 16)
    assert autoregressive.num_jobs == hierarchical.num_jobs == 241
    assert (autoregressive.depth, hierarchical.depth) == (241, 3)
    assert "conditioned on the last 2 frames" in autoregressive.explanation


def test_bad_schedule_and_context_are_refused():
    with pytest.raises(ValueError, match="`schedule` must be one of hierarchical, autoregressive"):
        plan_timeline(10, 4, "sideways")
    with pytest.raises(ValueError, match="`context` must be between 1 and window-1"):
        plan_timeline(10, 4, "autoregressive", 4)
