"""The layout solver: relations, motions and visibility become boxes; broken planner boxes are repaired."""

from __future__ import annotations

import pytest

from director.layout import in_region, plan_layout, relation_holds, repair_layout, solve_layout
from director.storyboard import Box, Entity, LayoutFrame, Motion, Relation, Scene, Visibility

CAST = {
    e.id: e
    for e in [
        Entity(id="cat", name="cat", category="cat"),
        Entity(id="dog", name="dog", category="dog"),
        Entity(id="girl", name="girl", category="child"),
        Entity(id="table", name="table", category="table"),
        Entity(id="bird", name="bird", category="bird"),
        Entity(id="tree", name="tree", category="tree"),
        Entity(id="ball", name="ball", category="ball", attributes={"size": "large"}),
        Entity(id="small_ball", name="ball", category="ball", attributes={"size": "small"}),
    ]
}


def scene(entities, relations=(), motions=(), visibility=(), duration=4.0, layouts=()):
    return Scene(
        id="s",
        duration=duration,
        entities=list(entities),
        relations=list(relations),
        motions=list(motions),
        visibility=list(visibility),
        layouts=list(layouts),
    )


def track(result, entity_id):
    """(t, box) for every frame the entity is in."""
    return [(f.t, f.boxes[entity_id]) for f in result.layouts if entity_id in f.boxes]


PREDICATES = ["left_of", "right_of", "above", "below", "on", "under", "beside", "near", "in_front_of", "behind"]


@pytest.mark.parametrize("predicate", PREDICATES)
def test_every_spatial_relation_holds_in_every_frame(predicate):
    # The cat starts on the "wrong" side of the dog for left_of; the solver must move it.
    result = solve_layout(scene(["dog", "cat"], [Relation(subject="cat", predicate=predicate, object="dog")]), CAST)
    assert result.layouts and not result.notes
    for frame in result.layouts:
        assert relation_holds(predicate, frame.boxes["cat"], frame.boxes["dog"]), (predicate, frame)


def test_chained_relations_are_all_satisfied():
    relations = [
        Relation(subject="cat", predicate="on", object="table"),
        Relation(subject="dog", predicate="left_of", object="table"),
        Relation(subject="girl", predicate="right_of", object="table"),
        Relation(subject="bird", predicate="above", object="cat"),
    ]
    result = solve_layout(scene(["cat", "table", "dog", "girl", "bird"], relations), CAST)
    frame = result.layouts[0]
    for r in relations:
        assert relation_holds(r.predicate, frame.boxes[r.subject], frame.boxes[r.object]), r


def test_category_priors_make_a_girl_taller_than_a_cat_and_size_words_scale():
    frame = solve_layout(scene(["girl", "cat", "ball", "small_ball"]), CAST).layouts[0]
    assert frame.boxes["girl"].height > 1.5 * frame.boxes["cat"].height
    assert frame.boxes["ball"].height == pytest.approx(2 * frame.boxes["small_ball"].height, rel=0.01)


def test_from_the_left_to_the_right_moves_the_box_rightwards():
    result = solve_layout(scene(["dog"], motions=[Motion(entity="dog", origin="left", path=["right"])]), CAST)
    xs = [box.center[0] for _, box in track(result, "dog")]
    assert xs == sorted(xs) and xs[0] < 0.4 and xs[-1] > 0.6
    assert in_region(track(result, "dog")[0][1], "left") and in_region(track(result, "dog")[-1][1], "right")


def test_enters_from_the_upper_right_is_hidden_before_and_starts_at_that_edge():
    motion = Motion(entity="bird", origin="upper_right", enters=True, start=1.0, end=3.0)
    result = solve_layout(scene(["bird", "dog"], motions=[motion]), CAST)
    before = [f for f in result.layouts if f.t < 1.0]
    assert before and all("bird" not in f.boxes for f in before)
    first_t, first_box = track(result, "bird")[0]
    assert first_t == 1.0
    assert first_box.x1 == pytest.approx(1.0) and first_box.y0 == pytest.approx(0.0)
    assert track(result, "bird")[-1][1].center[0] < first_box.center[0]  # it came in


def test_leaves_to_the_left_is_hidden_afterwards():
    motion = Motion(entity="dog", path=["left"], exits=True, start=0.0, end=2.0)
    result = solve_layout(scene(["dog"], motions=[motion]), CAST)
    assert track(result, "dog")[-1][0] == 2.0
    assert track(result, "dog")[-1][1].x0 == pytest.approx(0.0)
    assert all("dog" not in f.boxes for f in result.layouts if f.t > 2.0)


def test_first_to_the_top_left_then_to_the_bottom_right_visits_them_in_order():
    motion = Motion(entity="bird", path=["upper_left", "lower_right"])
    result = solve_layout(scene(["bird"], motions=[motion], duration=4.0), CAST)
    boxes = dict(track(result, "bird"))
    assert in_region(boxes[2.0], "upper_left")
    assert in_region(boxes[4.0], "lower_right")


def test_appears_only_in_the_second_half():
    result = solve_layout(scene(["ball", "dog"], visibility=[Visibility(entity="ball", start=2.0, end=4.0)]), CAST)
    times = [t for t, _ in track(result, "ball")]
    assert times and min(times) == 2.0
    assert any(f.t < 2.0 and "ball" not in f.boxes for f in result.layouts)


def test_something_on_a_moving_thing_moves_with_it():
    result = solve_layout(
        scene(["cat", "dog"], [Relation(subject="cat", predicate="on", object="dog")], [Motion(entity="dog", origin="left", path=["right"])]),
        CAST,
    )
    for frame in result.layouts:
        assert relation_holds("on", frame.boxes["cat"], frame.boxes["dog"])
    assert result.layouts[-1].boxes["cat"].center[0] > result.layouts[0].boxes["cat"].center[0] + 0.3


def test_the_solver_is_deterministic():
    s = scene(["cat", "dog", "bird"], [Relation(subject="cat", predicate="beside", object="dog")], [Motion(entity="bird", origin="left", path=["right"])])
    assert solve_layout(s, CAST) == solve_layout(s, CAST)


def test_contradictory_relations_are_reported_not_silently_dropped():
    relations = [Relation(subject="cat", predicate="left_of", object="dog"), Relation(subject="cat", predicate="right_of", object="dog")]
    result = solve_layout(scene(["cat", "dog"], relations), CAST)
    assert any("could not make" in note for note in result.notes)


def test_repair_fixes_a_planner_box_that_breaks_a_relation_and_keeps_the_rest():
    given = [
        LayoutFrame(
            t=t,
            boxes={
                "cat": Box(x0=0.7, y0=0.6, x1=0.85, y1=0.8),  # drawn right of the dog: wrong
                "dog": Box(x0=0.4, y0=0.55, x1=0.6, y1=0.8),
                "tree": Box(x0=0.05, y0=0.2, x1=0.25, y1=0.85),
            },
        )
        for t in (0.0, 4.0)
    ]
    s = scene(["cat", "dog", "tree"], [Relation(subject="cat", predicate="left_of", object="dog")], layouts=given)
    result = repair_layout(s, CAST)
    for frame in result.layouts:
        assert frame.boxes["cat"].center[0] < frame.boxes["dog"].center[0]
        assert frame.boxes["tree"] == given[0].boxes["tree"]  # untouched: it broke nothing
        assert frame.boxes["cat"].width == pytest.approx(0.15)  # moved, not resized


def test_repair_keeps_a_layout_that_already_follows_everything():
    s = scene(["cat"], layouts=[LayoutFrame(t=0.0, boxes={"cat": Box(x0=0.1, y0=0.5, x1=0.3, y1=0.8)})])
    assert repair_layout(s, CAST).layouts == s.layouts


def test_repair_redraws_a_track_that_ignores_its_motion():
    still = [LayoutFrame(t=t, boxes={"dog": Box(x0=0.4, y0=0.5, x1=0.6, y1=0.8)}) for t in (0.0, 4.0)]
    s = scene(["dog"], motions=[Motion(entity="dog", origin="left", path=["right"])], layouts=still)
    result = plan_layout(s, CAST)
    boxes = track(result, "dog")
    assert in_region(boxes[0][1], "left") and in_region(boxes[-1][1], "right")
    assert boxes[0][1].width == pytest.approx(0.2)  # the planner's size is kept
    assert any("redrew 'dog'" in note for note in result.notes)


def test_repair_adds_an_entity_the_planner_forgot():
    s = scene(["cat", "dog"], layouts=[LayoutFrame(t=0.0, boxes={"cat": Box(x0=0.1, y0=0.5, x1=0.3, y1=0.8)})])
    assert "dog" in repair_layout(s, CAST).layouts[0].boxes
