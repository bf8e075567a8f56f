"""The order of the synapses in Pacemaker's transition graph (2.1.5), which is
the order crm_simulate's run visits the actions in.

An action's id is its creation number (corral's ``Action.id`` means the same).
Pacemaker writes the graph resource by resource, in the order of its resource
list (configuration order sorted by ``priority``, orphans last), each
resource's own actions newest first:

- a primitive: its actions;
- a group: the group's own actions (its start/stop pseudo actions), then each
  member's;
- a clone: each copy's (a cloned group: the copy's own, then its members'),
  then the clone's own actions (pseudo actions, notifications);

then the actions of no resource (fencing, shutdown, cluster pseudo actions),
newest first.
"""

from __future__ import annotations

from corral.model.config import Clone, Config, Group, Primitive, Resource
from corral.pacemaker.render_status import by_priority
from corral.scheduler.state import ClusterState
from corral.scheduler.transition import Action, Transition


def _is_probe(a: Action) -> bool:
    return a.task == "monitor" and a.interval_ms == 0 and not a.pseudo


def _newest_first(a: Action) -> tuple[bool, int]:
    """Probes are a resource's oldest actions (Pacemaker creates them before
    the others), whatever their ids; the rest go newest first."""
    return _is_probe(a), -a.id


class _Walk:
    def __init__(self, state: ClusterState, transition: Transition) -> None:
        self.state = state
        self.by_rsc: dict[str | None, list[Action]] = {}
        for a in transition.actions:
            self.by_rsc.setdefault(a.rsc, []).append(a)
        self.out: list[Action] = []
        self.seen: set[str | None] = set()

    def emit(self, rsc: str | None) -> None:
        if rsc in self.seen:
            return
        self.seen.add(rsc)
        self.out.extend(sorted(self.by_rsc.get(rsc, []), key=_newest_first))

    def walk(self, r: Resource, suffix: str = "") -> None:
        if isinstance(r, Primitive):
            self.emit(r.id + suffix)
        elif isinstance(r, Group):
            self.emit(r.id + suffix)
            for c in r.children:
                self.walk(c, suffix)
        elif isinstance(r, Clone):
            for copy_id in self.state.clone_children.get(r.id, []):
                self.walk(r.child, ":" + copy_id.rsplit(":", 1)[1])
            self.emit(r.id)
        else:
            self.emit(r.id)


def synapse_order(config: Config, state: ClusterState, transition: Transition) -> list[Action]:
    """Every action of ``transition``, in the order of the graph's synapses."""
    w = _Walk(state, transition)
    for r in by_priority(config.resources, state.options.rsc_defaults):
        w.walk(r)
    for a in transition.actions:  # resources the configuration does not list
        if a.rsc is not None:
            w.emit(a.rsc)
    w.emit(None)
    return w.out
