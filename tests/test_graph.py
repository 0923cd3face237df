"""Scene graphs, the identity graph, and the checks built on them."""

from __future__ import annotations

from director.graph import check_storyboard, identity_graph, scene_graph, scenes_of
from director.storyboard import Entity, Relation, Scene, Storyboard
from tests.conftest import make_board


def test_scene_graph_has_relations_as_timed_edges(board):
    scene = board.scenes[0].model_copy(
        update={"relations": [Relation(subject="dog", predicate="chase", object="cat", start=0.5, end=1.5)]}
    )
    graph = scene_graph(board, scene)
    assert set(graph.nodes) == {"cat", "dog"}
    edge = graph.get_edge_data("dog", "cat", key="chase")
    assert edge == {"start": 0.5, "end": 1.5, "transitive": True}
    assert graph.nodes["cat"]["attributes"] == {"color": "black"}


def test_identity_graph_links_each_entity_to_its_scenes():
    board = make_board(scenes=3)
    graph = identity_graph(board)
    assert scenes_of(board, "cat") == ["scene_1", "scene_2", "scene_3"]
    assert graph.edges[("entity", "dog"), ("scene", "scene_2")]["speaks"] is True


def test_contradictory_relations_are_reported_as_a_cycle(board):
    scene = board.scenes[0].model_copy(
        update={
            "relations": [
                Relation(subject="cat", predicate="left_of", object="dog"),
                Relation(subject="cat", predicate="right_of", object="dog"),
            ]
        }
    )
    board = board.model_copy(update={"scenes": [scene, *board.scenes[1:]]})
    issues = [i for i in check_storyboard(board) if i.code == "contradictory_relations"]
    assert len(issues) == 1 and issues[0].scene_id == "scene_1"


def test_relations_at_different_times_do_not_contradict(board):
    scene = board.scenes[0].model_copy(
        update={
            "relations": [
                Relation(subject="cat", predicate="left_of", object="dog", end=0.9),
                Relation(subject="cat", predicate="right_of", object="dog", start=1.1),
            ]
        }
    )
    board = board.model_copy(update={"scenes": [scene]})
    assert not [i for i in check_storyboard(board) if i.code == "contradictory_relations"]


def test_cast_member_in_no_scene_and_lookalike_identities_are_reported():
    board = Storyboard(
        entities=[
            Entity(id="cat", name="the cat", category="cat"),
            Entity(id="cat_2", name="cat", category="cat"),
            Entity(id="ghost", name="ghost", category="person"),
        ],
        scenes=[Scene(id="s", duration=2, entities=["cat", "cat_2"])],
    )
    codes = {i.code for i in check_storyboard(board)}
    assert {"unused_entity", "duplicate_identity"} <= codes


def test_entity_in_a_scene_but_in_no_layout_frame_is_reported(board):
    scene = board.scenes[0]
    layouts = [frame.model_copy(update={"boxes": {"cat": frame.boxes["cat"]}}) for frame in scene.layouts]
    board = board.model_copy(update={"scenes": [scene.model_copy(update={"layouts": layouts})]})
    assert [i.code for i in check_storyboard(board)] == ["never_visible"]
