"""What every step of one scheduling run shares: the inputs, the resource tree,
the nodes in the order ties are broken, how many resources each node has been
given so far, and the scores recorded for ``--show-scores``."""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.model.config import Config
from corral.scheduler.state import ClusterState, NodeInfo
from corral.scheduler.transition import Score
from corral.scheduler.tree import Tree


@dataclass(slots=True)
class Ctx:
    config: Config
    state: ClusterState
    tree: Tree
    now: int
    nodes: dict[str, NodeInfo]
    # nodes that may hold resources at all (cluster and remote nodes, not ping nodes)
    node_names: list[str] = field(default_factory=list)
    count: dict[str, int] = field(default_factory=dict)  # resources assigned per node
    # (phase, resource, a copy of its scores): turned into Score lines at the end
    score_tables: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)
    migrating: set[str] = field(default_factory=set)  # primitives that live-migrate
    usable: frozenset[str] = frozenset()  # nodes that can run resources at all
    keep_scores: bool = True
    # (instance, node) whose configuration changed since it started there
    changed_definitions: set[tuple[str, str]] = field(default_factory=set)
    # (instance, node) whose history there names another agent (class/provider/type)
    agent_changed: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.usable = frozenset(n for n, info in self.nodes.items() if info.can_run)

    def attrs(self, node: str) -> dict[str, str]:
        """What rules see of a node: its attributes, with ``#is_dc`` filled in."""
        info = self.nodes[node]
        if "#is_dc" in info.attributes:
            return info.attributes
        return {**info.attributes, "#is_dc": "true" if info.is_dc else "false"}

    def available(self, node: str) -> bool:
        return node in self.usable

    def record(self, phase: str, rsc: str, weights: dict[str, int]) -> None:
        if self.keep_scores:
            self.score_tables.append((phase, rsc, weights.copy()))

    def scores(self) -> list[Score]:
        return [
            Score(phase, rsc, node, value)
            for phase, rsc, table in self.score_tables
            for node, value in table.items()
        ]
