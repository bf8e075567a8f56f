"""The cluster status as ``crm_simulate -S`` (Pacemaker 2.1.5) prints it: the
"Node List" and the "Full List of Resources", from the configuration and the
unpacked ``ClusterState`` alone.

Words are the normalised ones of the shared corpus (Promoted/Unpromoted).
Layout, learnt from crm_simulate's output:
- nodes in natural name order; a node in a special state gets its own line
  (``Node n1: standby``), the others are gathered in ``Online: [ ... ]``,
  ``OFFLINE: [ ... ]`` and the Remote/Guest variants;
- a primitive is ``name<TAB>(agent):<TAB> <state> <node> (<flags>)``;
- a clone lists the copies that need their own line (unique clones,
  orphans, failed or partly active copies, copies on unclean nodes), then
  ``Promoted:``/``Started:``/``Unpromoted:`` node lists and the nodes where
  it could run but does not (``Stopped:``).
"""

from __future__ import annotations

from corral.model import score
from corral.model.config import Clone, Config, Group, Primitive, Resource
from corral.scheduler.state import (
    ROLE_PROMOTED,
    ROLE_STARTED,
    ROLE_STOPPED,
    ROLE_UNPROMOTED,
    ClusterState,
    InstanceState,
    NodeInfo,
)
from corral.scheduler.unpack import clone_is_unique
from corral.scheduler.unpack_history import is_probe
from corral.scheduler.unpack_nodes import is_true, node_sort_key

_ROLE_RANK = {ROLE_STOPPED: 0, ROLE_STARTED: 1, ROLE_UNPROMOTED: 1, ROLE_PROMOTED: 2}
_RC_TEXT = {
    0: "ok",
    1: "error",
    2: "invalid parameter",
    3: "unimplemented feature",
    4: "insufficient privileges",
    5: "not installed",
    6: "not configured",
    7: "not running",
    8: "promoted",
    9: "promoted (failed)",
}
_PENDING_STATE = {
    "start": "Starting",
    "stop": "Stopping",
    "migrate_to": "Migrating",
    "migrate_from": "Migrating",
    "promote": "Promoting",
    "demote": "Demoting",
}
_PENDING_FLAG = {"monitor": "Monitoring"}


def _sorted_nodes(names: list[str]) -> list[str]:
    return sorted(names, key=node_sort_key)


# -- nodes ------------------------------------------------------------------


def _hosts_resources(state: ClusterState, node: str) -> bool:
    return any(node in inst.active_on for inst in state.instances.values())


def _node_mode(state: ClusterState, info: NodeInfo) -> str | None:
    """The text of a node's own line, or None when it goes in a list."""
    if info.unclean:
        return "UNCLEAN (online)" if info.online else "UNCLEAN (offline)"
    if info.pending:
        return "pending"
    if info.standby_onfail and info.online:
        return "standby (on-fail)"
    if info.standby:
        if not info.online:
            return "OFFLINE (standby)"
        if _hosts_resources(state, info.name):
            return "standby (with active resources)"
        return "standby"
    if info.maintenance and not state.options.maintenance_mode:
        return "maintenance" if info.online else "OFFLINE (maintenance)"
    if info.online and info.health != "green" and state.options.node_health_strategy != "none":
        return f"online (health is {info.health.upper()})"
    return None


def node_lines(state: ClusterState) -> list[str]:
    out = ["  * Node List:"]
    groups: dict[str, list[str]] = {}
    for name in _sorted_nodes(list(state.nodes)):
        info = state.nodes[name]
        if info.kind == "ping":
            continue
        mode = _node_mode(state, info)
        if mode is not None:
            out.append(f"    * Node {name}: {mode}")
            continue
        prefix = {"remote": "Remote", "guest": "Guest"}.get(info.kind, "")
        key = prefix + ("Online" if info.online else "OFFLINE")
        groups.setdefault(key, []).append(name)
    for key in (
        "Online",
        "OFFLINE",
        "RemoteOnline",
        "RemoteOFFLINE",
        "GuestOnline",
        "GuestOFFLINE",
    ):
        if key in groups:
            out.append(f"    * {key}: [ {' '.join(groups[key])} ]")
    return out


# -- primitives -------------------------------------------------------------


def _role(inst: InstanceState) -> str:
    role = ROLE_STOPPED
    for r in inst.active_on.values():
        if _ROLE_RANK.get(r, 1) > _ROLE_RANK.get(role, 0) or role == ROLE_STOPPED:
            role = r
    return role


def _pending_task(inst: InstanceState) -> str | None:
    for ops in inst.pending.values():
        for op in ops:
            if is_probe(op):
                continue
            return op.operation
    return None


def _failed_probe(inst: InstanceState, node: str | None) -> int | None:
    for f in inst.failures:
        if is_probe(f.op) and f.op.rc not in (0, 7, 8) and (node is None or f.node == node):
            return f.op.rc
    return None


def _add_flag(flags: list[str], flag: str) -> None:
    flags.append(flag)


def _target_role(inst: InstanceState) -> str | None:
    tr = inst.meta.get("target-role") or inst.meta.get("target_role")
    return tr


def primitive_text(state: ClusterState, inst: InstanceState, name: str, agent: str) -> str:
    nodes = list(inst.active_on)
    node = nodes[0] if len(nodes) == 1 else None
    words: list[str] = []
    if inst.orphan:
        words.append("ORPHANED")
    role = _role(inst)
    if inst.failed_on:
        words.append("FAILED")
        if role == ROLE_PROMOTED:
            words.append(role)
    else:
        task = _pending_task(inst)
        words.append(_PENDING_STATE.get(task or "", role))
    if node is not None:
        words.append(node)
    text = f"{name}\t({agent}):\t " + " ".join(words)
    if role == ROLE_STOPPED:
        rc = _failed_probe(inst, node)
        if rc is not None:
            text += f" ({_RC_TEXT.get(rc, 'unknown')}) "
    flags: list[str] = []
    info = state.nodes.get(node) if node else None
    if info is not None and not info.online and info.unclean:
        flags.append("UNCLEAN")
    task = _pending_task(inst)
    if task in _PENDING_FLAG:
        flags.append(_PENDING_FLAG[task])
    tr = _target_role(inst)
    if tr is not None:
        t = tr.strip().lower()
        if t == "stopped":
            flags.append("disabled")
        elif inst.promotable and t in ("slave", "unpromoted"):
            flags.append("target-role:" + tr)
    if inst.blocked:
        flags.append("blocked")
    elif not inst.managed:
        flags.append("unmanaged")
    if any(f.on_fail == "ignore" for f in inst.failures):
        flags.append("failure ignored")
    if flags:
        text += " (" + ", ".join(flags) + ")"
    if len(nodes) > 1:
        text += " [ " + " ".join(nodes) + " ]"
    return text


def _agent(config_prim: Primitive | None, inst: InstanceState) -> str:
    if config_prim is not None:
        return config_prim.agent
    return inst.agent


# -- collectives ------------------------------------------------------------


class _Printer:
    def __init__(self, config: Config, state: ClusterState) -> None:
        self.config = config
        self.state = state
        self.out: list[str] = []

    def prim(self, p: Primitive, inst: InstanceState, indent: str, name: str) -> None:
        text = primitive_text(self.state, inst, name, _agent(p, inst))
        self.out.append(f"{indent}* {text}")

    def group(self, g: Group, indent: str, suffix: str = "", unique: bool = True) -> None:
        flags: list[str] = []
        meta = {**self.state.options.rsc_defaults, **g.meta}
        members = [self.state.instances.get(c.id + suffix) for c in g.children]
        if any(m is not None and not m.managed and not m.blocked for m in members) and (
            not _bool_meta(meta, "is-managed", True)
            or is_true(meta.get("maintenance"))
            or self.state.options.maintenance_mode
        ):
            flags.append("unmanaged")
        if _stopped_role(meta):
            flags.append("disabled")
        head = f"{indent}* Resource Group: {g.id}{suffix}"
        if flags:
            head += " (" + ", ".join(flags) + ")"
        self.out.append(head + ":")
        for c, m in zip(g.children, members, strict=True):
            if m is not None:
                self.prim(c, m, indent + "  ", c.id + suffix if unique or not suffix else c.id)

    def clone(self, c: Clone) -> None:
        st = self.state
        unique = clone_is_unique(c)
        meta = {**st.options.rsc_defaults, **c.meta}
        promotable = c.promotable or is_true(c.meta.get("promotable"))
        flags = []
        if promotable:
            flags.append("promotable")
        if unique:
            flags.append("unique")
        if _stopped_role(meta):
            flags.append("disabled")
        if not _bool_meta(meta, "is-managed", True) or is_true(meta.get("maintenance")):
            flags.append("unmanaged")
        head = f"    * Clone Set: {c.id} [{c.child.id}]"
        if flags:
            head += " (" + ", ".join(flags) + ")"
        self.out.append(head + ":")
        promoted: list[str] = []
        started: list[str] = []
        running: set[str] = set()
        active_copies = 0
        for copy_id in st.clone_children.get(c.id, []):
            members = self._members(c, copy_id)
            any_active = any(m.active_on for m in members)
            all_active = all(m.active_on for m in members)
            for m in members:
                running.update(m.active_on)
            orphan = any(m.orphan for m in members)
            if any_active and not orphan:
                active_copies += 1
            full = False
            if orphan:
                if not any_active:
                    continue
                full = True
            elif unique:
                full = True
            elif all_active:
                locs = {n for m in members for n in m.active_on}
                bad = any(
                    m.failed_on or not m.managed or m.blocked or m.multiply_active or m.pending
                    for m in members
                )
                if len(locs) != 1 or bad:
                    full = True
                else:
                    loc = next(iter(locs))
                    info = st.nodes.get(loc)
                    if info is not None and not info.online and info.unclean:
                        full = True
                    elif any(_role(m) == ROLE_PROMOTED for m in members):
                        promoted.append(loc)
                    else:
                        started.append(loc)
            elif any_active:
                full = True
            if full:
                self._print_copy(c, copy_id, members, unique)
        if promoted:
            self.out.append(f"      * Promoted: [ {' '.join(_sorted_nodes(promoted))} ]")
        if started:
            label = "Unpromoted" if promotable else "Started"
            self.out.append(f"      * {label}: [ {' '.join(_sorted_nodes(started))} ]")
        if not unique and active_copies < self._clone_max(c):
            self._stopped_lists(c, running)

    def _clone_max(self, c: Clone) -> int:
        return sum(
            1
            for cid in self.state.clone_children.get(c.id, [])
            if not any(m.orphan for m in self._members(c, cid))
        )

    def _stopped_lists(self, c: Clone, running: set[str]) -> None:
        st = self.state
        disabled = _stopped_role({**st.options.rsc_defaults, **c.meta})
        if st.options.symmetric_cluster:
            candidates = [n for n, i in st.nodes.items() if i.kind != "ping"]
        else:
            candidates = sorted(
                {n for iid in st.instances_of.get(c.id, []) for n in st.instances[iid].probed_on}
            )
        by_state: dict[str, list[str]] = {}
        insts = [st.instances[i] for i in st.instances_of.get(c.id, [])]
        for node in _sorted_nodes(candidates):
            if node in running:
                continue
            text = "Stopped (disabled)" if disabled else "Stopped"
            for inst in insts:
                rc = _failed_probe(inst, node)
                if rc is not None:
                    text = f"Stopped ({_RC_TEXT.get(rc, 'unknown')})"
                    break
            by_state.setdefault(text, []).append(node)
        for text, nodes in sorted(by_state.items()):
            self.out.append(f"      * {text}: [ {' '.join(nodes)} ]")

    def _members(self, c: Clone, copy_id: str) -> list[InstanceState]:
        if isinstance(c.child, Group):
            n = copy_id.rsplit(":", 1)[1]
            return [
                self.state.instances[f"{m.id}:{n}"]
                for m in c.child.children
                if f"{m.id}:{n}" in self.state.instances
            ]
        inst = self.state.instances.get(copy_id)
        return [inst] if inst is not None else []

    def _print_copy(
        self, c: Clone, copy_id: str, members: list[InstanceState], unique: bool
    ) -> None:
        if isinstance(c.child, Group):
            n = copy_id.rsplit(":", 1)[1]
            self.group(c.child, "      ", f":{n}", unique)
            return
        inst = members[0]
        name = inst.id if unique else inst.primitive
        self.prim(c.child, inst, "      ", name)

    def resources(self) -> list[str]:
        self.out = ["  * Full List of Resources:"]
        for r in by_priority(self.config.resources, self.state.options.rsc_defaults):
            if isinstance(r, Primitive):
                inst = self.state.instances.get(r.id)
                if inst is not None:
                    self.prim(r, inst, "    ", r.id)
            elif isinstance(r, Group):
                self.group(r, "    ")
            elif isinstance(r, Clone):
                self.clone(r)
        for inst in self.state.instances.values():
            if inst.orphan and inst.clone is None and inst.active_on:
                text = primitive_text(self.state, inst, inst.id, inst.agent)
                self.out.append(f"    * {text}")
        return self.out


def by_priority(resources: list[Resource], defaults: dict[str, str]) -> list[Resource]:
    """Pacemaker keeps resources sorted by their ``priority`` meta, highest first
    (configuration order among equals)."""

    def prio(r: Resource) -> int:
        v = r.meta.get("priority", defaults.get("priority"))
        return score.parse(v) if v is not None and score.is_score(v) else 0

    return sorted(resources, key=lambda r: -prio(r))


def _bool_meta(meta: dict[str, str], name: str, default: bool) -> bool:
    v = meta.get(name)
    if v is None:
        return default
    return is_true(v)


def _stopped_role(meta: dict[str, str]) -> bool:
    v = meta.get("target-role") or meta.get("target_role")
    return v is not None and v.strip().lower() == "stopped"


def status_lines(config: Config, state: ClusterState) -> list[str]:
    """The two blocks of a cluster status, with the blank line between."""
    return [*node_lines(state), "", *_Printer(config, state).resources()]
