"""Unpack, part 1: cluster options and node states.

Pacemaker Explained, "Cluster Options" and "Node States": a node is *online*
when it is a member of the cluster layer; a member whose controller has not
joined yet is *pending*; a node that left while it was expected up, or whose
controller vanished, is *unclean* and must be fenced (when stonith is
enabled) before anything it ran is recovered. A node that asked to shut down
is judged by its controller alone. With stonith disabled, a node is simply up
(member, controller online, joined) or down.
"""

from __future__ import annotations

from corral.model import score
from corral.model.config import Config, Node
from corral.model.status import NodeStatus, Status
from corral.scheduler.state import ClusterOptions, NodeInfo

_TRUE = frozenset({"true", "on", "yes", "y", "1"})


def is_true(v: str | None) -> bool:
    return v is not None and v.strip().lower() in _TRUE


def bool_opt(v: str | None, default: bool) -> bool:
    if v is None:
        return default
    t = v.strip().lower()
    if t in _TRUE:
        return True
    if t in ("false", "off", "no", "n", "0"):
        return False
    return default


def read_options(config: Config, status: Status) -> ClusterOptions:
    p = config.prop
    stick = config.rsc_defaults.get("resource-stickiness") or config.rsc_defaults.get(
        "resource_stickiness"
    )
    if stick is None:
        stick = p("default-resource-stickiness")
    return ClusterOptions(
        stonith_enabled=bool_opt(p("stonith-enabled"), True),
        stonith_action=(p("stonith-action") or "reboot").replace("poweroff", "off"),
        symmetric_cluster=bool_opt(p("symmetric-cluster"), True),
        no_quorum_policy=(p("no-quorum-policy") or "stop").lower(),
        maintenance_mode=bool_opt(p("maintenance-mode"), False),
        stop_all_resources=bool_opt(p("stop-all-resources"), False),
        start_failure_is_fatal=bool_opt(p("start-failure-is-fatal"), True),
        stop_orphan_resources=bool_opt(p("stop-orphan-resources"), True),
        stop_orphan_actions=bool_opt(p("stop-orphan-actions"), True),
        startup_fencing=bool_opt(p("startup-fencing"), True),
        enable_startup_probes=bool_opt(p("enable-startup-probes"), True),
        concurrent_fencing=bool_opt(p("concurrent-fencing"), False),
        shutdown_lock=bool_opt(p("shutdown-lock"), False),
        placement_strategy=(p("placement-strategy") or "default").lower(),
        node_health_strategy=(p("node-health-strategy") or "none").lower(),
        have_quorum=status.have_quorum,
        default_stickiness=score.parse(stick) if stick is not None and score.is_score(stick) else 0,
        rsc_defaults=dict(config.rsc_defaults),
        op_defaults=dict(config.op_defaults),
    )


def _shutdown_requested(attrs: dict[str, str]) -> bool:
    v = attrs.get("shutdown")
    return v is not None and v.strip() not in ("", "0")


def _terminate_requested(attrs: dict[str, str]) -> bool:
    v = attrs.get("terminate")
    if v is None:
        return False
    t = v.strip()
    return is_true(t) or (t[:1].isdigit() and t[:1] != "0")


def _fence(info: NodeInfo, reason: str) -> None:
    if not info.unclean:
        info.unclean = True
        info.unclean_reason = reason


def _membership_fencing(info: NodeInfo, ns: NodeStatus) -> None:
    """Node state when the cluster can fence (Pacemaker's stricter reading)."""
    crmd_online = ns.crmd == "online"
    info.online = ns.in_ccm
    if not ns.in_ccm_recorded:
        _fence(info, "peer has not been seen by the cluster")
    terminate = _terminate_requested(ns.attributes)
    if ns.join in ("banned", "nack"):  # Pacemaker's "nack" join state is written "banned"
        _fence(info, "peer failed Pacemaker membership criteria")
    elif not terminate and ns.expected in ("down", ""):
        if ns.in_ccm or crmd_online:
            info.pending = True
            info.standby = True
    elif terminate and ns.join == "down" and not ns.in_ccm and not crmd_online:
        info.online = False  # just fenced
    elif not ns.in_ccm:
        _fence(info, "peer is no longer part of the cluster")
    elif not crmd_online:
        _fence(info, "peer process is no longer available")
    elif terminate:
        _fence(info, "termination was requested")
    elif ns.join == "member":
        pass
    elif ns.join in ("pending", "down"):
        info.pending = True
        info.standby = True
    else:
        _fence(info, "peer was in an unknown state")


def _membership_no_fencing(info: NodeInfo, ns: NodeStatus) -> None:
    if not ns.in_ccm:
        return
    if ns.crmd == "online":
        info.online = ns.join == "member"
    elif info.expected_up:
        _fence(info, "peer is unexpectedly down")


def _health(attrs: dict[str, str]) -> str:
    worst = "green"
    for k, v in attrs.items():
        if not k.startswith("#health"):
            continue
        t = v.strip().lower()
        if t == "red" or (score.is_score(t) and score.parse(t) <= score.MINUS_INFINITY):
            return "red"
        if t == "yellow":
            worst = "yellow"
    return worst


def _base_info(node: Node, opts: ClusterOptions) -> NodeInfo:
    kind = {"member": "cluster", "normal": "cluster"}.get(node.type, node.type)
    info = NodeInfo(name=node.uname, id=node.id, kind=kind, remote=kind in ("remote", "guest"))
    info.utilization = dict(node.utilization)
    info.attributes = dict(node.attributes)
    info.maintenance = opts.maintenance_mode
    return info


def unpack_nodes(config: Config, status: Status, opts: ClusterOptions) -> dict[str, NodeInfo]:
    """Every configured node (configuration order), then nodes only in the status."""
    nodes: dict[str, NodeInfo] = {}
    for node in config.nodes:
        nodes[node.uname] = _base_info(node, opts)
    for name, ns in status.nodes.items():
        if name not in nodes:
            kind = "remote" if ns.remote_node else "cluster"
            nodes[name] = _base_info(Node(id=ns.id or name, uname=name, type=kind), opts)
    for name, info in nodes.items():
        ns = status.nodes.get(name)
        if ns is not None:
            info.attributes.update(ns.attributes)
        attrs = info.attributes
        info.attributes["#uname"] = name
        info.attributes["#id"] = info.id or name
        info.attributes["#kind"] = "container" if info.kind == "guest" else info.kind
        if info.remote:
            _remote_state(info, ns)
        elif ns is None:
            info.unseen = True
            if opts.stonith_enabled and opts.startup_fencing:
                _fence(info, "node is unclean")
        else:
            info.expected_up = ns.expected == "member"
            info.shutdown = _shutdown_requested(ns.attributes)
            if ns.unclean:
                _fence(info, "node is unclean")
            if info.shutdown:
                info.online = ns.crmd == "online"
            elif opts.stonith_enabled:
                _membership_fencing(info, ns)
            else:
                _membership_no_fencing(info, ns)
        if info.kind == "ping":
            info.unclean = False
            info.unclean_reason = None
            info.online = False
        # node attributes count only for nodes the cluster has seen
        if ns is not None and is_true(attrs.get("standby")):
            info.standby = True
        if ns is not None and (is_true(attrs.get("maintenance")) or ns.in_maintenance):
            info.maintenance = True
        info.is_dc = status.dc is not None and status.dc in (name, info.id)
        info.health = _health(attrs)
    return nodes


def _remote_state(info: NodeInfo, ns: NodeStatus | None) -> None:
    """Remote and guest nodes: online is decided later, from their connection
    resource; here only what the status says about them."""
    if ns is None:
        return
    info.expected_up = True
    info.shutdown = _shutdown_requested(ns.attributes)
    if ns.unclean:
        _fence(info, "remote connection is unrecoverable")


def node_sort_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Pacemaker's node order: case-insensitive, digit runs compared as numbers."""
    parts: list[tuple[int, int | str]] = []
    i = 0
    low = name.lower()
    while i < len(low):
        j = i
        if low[i].isdigit():
            while j < len(low) and low[j].isdigit():
                j += 1
            parts.append((0, int(low[i:j])))
        else:
            while j < len(low) and not low[j].isdigit():
                j += 1
            parts.append((1, low[i:j]))
        i = j
    return tuple(parts)
