"""Scene graphs and the story's identity graph, with the checks built on them.

- `scene_graph(board, scene)`: a networkx `MultiDiGraph` per scene. Nodes are
  the entities present (with name, category and attributes); each relation
  is an edge keyed by its predicate, carrying its time span (Dysen-VDM style
  actions are edges with `start`/`end`).
- `identity_graph(board)`: a bipartite graph linking every cast member to the
  scenes it appears or speaks in. One node per identity is what keeps "a cat"
  in scene 1 and "the cat" in scene 4 one cat.
- `check_storyboard(board)`: problems a valid storyboard can still have
  (contradictory relations, cast members who never appear, entities listed in
  a scene but never visible, two identities that look like one), as
  `GraphIssue`s: warnings for a person to read, not validation errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from director.storyboard import Scene, Storyboard

# Spatial predicates, each as (axis, direction): "left_of" orders subject before object on x.
ORDERING_PREDICATES = {
    "left_of": ("x", +1),
    "right_of": ("x", -1),
    "above": ("y", +1),
    "on": ("y", +1),
    "below": ("y", -1),
    "under": ("y", -1),
}


@dataclass(frozen=True)
class GraphIssue:
    code: str
    message: str
    scene_id: str | None = None

    def __str__(self) -> str:
        where = f"scene {self.scene_id}: " if self.scene_id else ""
        return f"{where}{self.message} [{self.code}]"


def scene_graph(board: Storyboard, scene: Scene) -> nx.MultiDiGraph:
    """The scene's entities and relations as a multigraph (edge key = predicate)."""
    graph = nx.MultiDiGraph(scene_id=scene.id)
    for entity_id in scene.entities:
        entity = board.entity(entity_id)
        graph.add_node(entity_id, name=entity.name, category=entity.category, attributes=dict(entity.attributes))
    for relation in scene.relations:
        start = relation.start if relation.start is not None else 0.0
        end = relation.end if relation.end is not None else scene.duration
        target = relation.object if relation.object is not None else relation.subject
        graph.add_edge(relation.subject, target, key=relation.predicate, start=start, end=end, transitive=relation.object is not None)
    return graph


def identity_graph(board: Storyboard) -> nx.Graph:
    """Bipartite graph: ('entity', id) -- ('scene', id) where the entity is present or speaks."""
    graph = nx.Graph()
    for entity in board.entities:
        graph.add_node(("entity", entity.id), kind="entity", name=entity.name, category=entity.category)
    for index, scene in enumerate(board.scenes):
        graph.add_node(("scene", scene.id), kind="scene", index=index)
        visible = {entity_id for frame in scene.layouts for entity_id in frame.boxes}
        speakers = {line.speaker for line in scene.dialogue if line.speaker}
        for entity_id in set(scene.entities) | speakers:
            graph.add_edge(
                ("entity", entity_id),
                ("scene", scene.id),
                present=entity_id in scene.entities,
                visible=entity_id in visible,
                speaks=entity_id in speakers,
            )
    return graph


def scenes_of(board: Storyboard, entity_id: str) -> list[str]:
    """The scenes an identity appears or speaks in, in story order."""
    graph = identity_graph(board)
    scenes = [node for node in graph.neighbors(("entity", entity_id))]
    return [node[1] for node in sorted(scenes, key=lambda node: graph.nodes[node]["index"])]


def ordering_graph(scene: Scene, axis: str, t: float | None = None) -> nx.DiGraph:
    """Edges a -> b meaning 'a comes before b' on `axis` (x: left to right, y: top to bottom),
    from the spatial relations in force at time `t` (all of them when `t` is None)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(scene.entities)
    for relation in scene.relations:
        rule = ORDERING_PREDICATES.get(relation.predicate)
        if rule is None or relation.object is None or rule[0] != axis:
            continue
        if t is not None and not _in_span(t, relation.start, relation.end, scene.duration):
            continue
        first, second = (relation.subject, relation.object) if rule[1] > 0 else (relation.object, relation.subject)
        graph.add_edge(first, second, predicate=relation.predicate)
    return graph


def _in_span(t: float, start: float | None, end: float | None, duration: float) -> bool:
    return (start if start is not None else 0.0) <= t <= (end if end is not None else duration)


def check_storyboard(board: Storyboard) -> list[GraphIssue]:
    """Warnings about a valid storyboard that probably does not say what the writer meant."""
    issues: list[GraphIssue] = []
    identities = identity_graph(board)
    for entity in board.entities:
        if identities.degree(("entity", entity.id)) == 0:
            issues.append(GraphIssue("unused_entity", f"'{entity.id}' is in the cast but in no scene"))

    seen_names: dict[tuple[str, str], str] = {}
    for entity in board.entities:
        key = (entity.name.strip().lower().removeprefix("the ").removeprefix("a "), entity.category)
        if key in seen_names:
            issues.append(
                GraphIssue(
                    "duplicate_identity",
                    f"'{seen_names[key]}' and '{entity.id}' are both called {entity.name!r}; "
                    "if they are one identity, merge them so they look the same",
                )
            )
        else:
            seen_names[key] = entity.id

    for scene in board.scenes:
        for axis in ("x", "y"):
            for cycle in _cycles_in_span(scene, axis):
                chain = " -> ".join(cycle + [cycle[0]])
                issues.append(
                    GraphIssue("contradictory_relations", f"relations on the {axis} axis form a cycle: {chain}", scene.id)
                )
        if scene.layouts:
            visible = {entity_id for frame in scene.layouts for entity_id in frame.boxes}
            for entity_id in scene.entities:
                if entity_id not in visible:
                    issues.append(
                        GraphIssue("never_visible", f"'{entity_id}' is in the scene but in no layout frame", scene.id)
                    )
        for line in scene.dialogue:
            if line.speaker and line.speaker not in scene.entities:
                issues.append(
                    GraphIssue("offscreen_speaker", f"'{line.speaker}' speaks but is not in the scene (voice-over?)", scene.id)
                )
    return issues


def _cycles_in_span(scene: Scene, axis: str) -> list[list[str]]:
    """Cycles among relations that hold at the same time (checked at every relation boundary)."""
    instants = {0.0, scene.duration}
    for relation in scene.relations:
        instants.update(t for t in (relation.start, relation.end) if t is not None)
    found: dict[frozenset[str], list[str]] = {}
    for t in sorted(instants):
        for cycle in nx.simple_cycles(ordering_graph(scene, axis, t)):
            found.setdefault(frozenset(cycle), cycle)
    return list(found.values())
