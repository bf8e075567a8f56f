"""How crm_simulate (Pacemaker 2.1.5) names a resource in the actions it runs.

The transition graph names each action's resource twice: a preferred id and a
"long" id. For a copy of an anonymous clone the preferred id is the
primitive's own id (``web``) and the long id is the other name a node's
history gives the copy where it is active (``web:1`` for copy ``web:0``),
else the copy's id (``web:0``); for an orphan known by another name, the
preferred id is that name; otherwise both are the instance id.

crm_simulate prints the preferred id when a resource of the cluster answers to
it (its id, or the name some node's history gives it), else the long id when
one answers to that. It records the result in the node's history under the
name the node already uses (the printed one), else the preferred id.
Cluster actions (``clear_failcount``, ``lrm_delete``) print the preferred id.

All of this is decided on the status as it was before the run.
"""

from __future__ import annotations

from corral.scheduler.state import ROLE_STOPPED, ClusterState, InstanceState


def _clone_name(inst: InstanceState) -> str | None:
    """The other name a node's history gives this copy, where it is active."""
    out: str | None = None
    for st in inst.nodes.values():
        if st.history_name and st.history_name != inst.id and st.role != ROLE_STOPPED:
            out = st.history_name
    return out


class ActionNames:
    """The names of instances in a run, fixed by the status before it."""

    def __init__(self, state: ClusterState) -> None:
        self.instances = state.instances
        self.known: set[str] = set(state.instances)
        self.known.update(i.history_name for i in state.instances.values() if i.history_name)

    def _ids(self, rsc: str) -> tuple[str, str | None]:
        inst: InstanceState | None = self.instances.get(rsc)
        if inst is None:
            return rsc, None
        if inst.orphan and inst.history_name:
            return inst.history_name, inst.id
        if inst.clone is not None and not inst.unique:
            known = _clone_name(inst)
            if known and known != inst.primitive:
                return inst.primitive, known
            return inst.primitive, inst.id
        return inst.id, None

    def preferred(self, rsc: str) -> str:
        """The graph's id for this instance (what history is written under)."""
        return self._ids(rsc)[0]

    def long(self, rsc: str) -> str:
        """The graph's long id for this instance."""
        pref, long = self._ids(rsc)
        return long if long is not None else pref

    def shown(self, rsc: str) -> str:
        """The name crm_simulate prints for an action on this instance."""
        pref, long = self._ids(rsc)
        if pref in self.known:
            return pref
        if long is not None and long in self.known:
            return long
        return pref
