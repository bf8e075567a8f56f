"""The ``<status>`` section: node membership and state, transient attributes
(fail counts, promotion scores, ...), each resource's operation history, and
tickets.

Membership fields come in two spellings: ``in_ccm`` is ``true``/``false`` or, in
newer CIBs, the time the node joined (a number: a member); ``crmd`` is
``online``/``offline`` or the time the controller came up (a number: online).
"""

from __future__ import annotations

from corral.model.config import Node
from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status
from corral.pacemaker.cib_rules import RuleContext, resolve_sets
from corral.pacemaker.cib_xml import Doc, Element, is_true

# lrm_rsc_op attributes kept in OpRecord.meta (so they survive a write back)
_OP_META = (
    "operation_key",
    "transition-magic",
    "crm_feature_set",
    "crm-debug-origin",
    "queue-time",
    "op-force-restart",
    "op-restart-digest",
    "op-secure-params",
    "op-secure-digest",
    "migrate_source",
    "migrate_target",
)


def _int(v: str | None, default: int = 0) -> int:
    if v is None:
        return default
    try:
        return int(v)
    except ValueError:
        try:
            return int(float(v))
        except ValueError:
            return default


def _opt_int(v: str | None) -> int | None:
    return None if v is None else _int(v)


def _member(v: str | None) -> bool:
    """``in_ccm``: a boolean, or a join time (a positive number means member)."""
    if v is None:
        return False
    t = v.strip()
    if t.lstrip("-").isdigit():
        return int(t) > 0
    return is_true(t)


def _crmd(v: str | None) -> str:
    if v is None:
        return "offline"
    t = v.strip()
    if t.lstrip("-").isdigit():
        return "online" if int(t) > 0 else "offline"
    return t.lower()


def read_op_record(el: Element) -> OpRecord:
    def a(*names: str) -> str | None:
        for n in names:
            v = el.get(n)
            if v is not None:
                return v
        return None

    return OpRecord(
        id=el.get("id", ""),
        operation=el.get("operation", ""),
        interval_ms=_int(el.get("interval")),
        rc=_int(el.get("rc-code")),
        op_status=_int(el.get("op-status")),
        call_id=_int(el.get("call-id")),
        last_rc_change=_opt_int(a("last-rc-change", "last_rc_change")),
        last_run=_opt_int(a("last-run", "last_run")),
        exec_time_ms=_int(a("exec-time", "exec_time")),
        exit_reason=el.get("exit-reason") or "",
        transition_key=el.get("transition-key"),
        on_node=el.get("on_node"),
        digest=el.get("op-digest"),
        meta={k: el.get(k) for k in _OP_META if el.get(k) is not None},  # type: ignore[misc]
    )


def read_history(doc: Doc, lrm: Element) -> dict[str, ResourceHistory]:
    out: dict[str, ResourceHistory] = {}
    for lrs in doc.children(lrm, "lrm_resources"):
        for r in doc.children(lrs, "lrm_resource"):
            rid = r.get("id", "")
            h = out.get(rid)
            if h is None:
                h = out[rid] = ResourceHistory(
                    rsc=rid,
                    cls=r.get("class"),
                    provider=r.get("provider"),
                    type=r.get("type"),
                    container=r.get("container"),
                    shutdown_lock=_opt_int(r.get("shutdown-lock")),
                )
            else:  # the same resource recorded twice on one node: kept apart
                h.segments.append(len(h.ops))
            h.ops.extend(read_op_record(o) for o in doc.children(r, "lrm_rsc_op"))
    return out


def read_node_state(doc: Doc, el: Element) -> NodeStatus:
    ns = NodeStatus(
        name=el.get("uname") or el.get("id", ""),
        id=el.get("id"),
        in_ccm=_member(el.get("in_ccm")),
        in_ccm_recorded=el.get("in_ccm") is not None,
        crmd=_crmd(el.get("crmd")),
        join=el.get("join") or "down",
        expected=el.get("expected") or "down",
        shutdown=_int(el.get("shutdown")),
        remote_node=is_true(el.get("remote_node")),
        node_fenced=_member(el.get("node_fenced")),
        in_maintenance=is_true(el.get("node_in_maintenance")),
    )
    ctx = RuleContext(now=doc.now)
    for ta in doc.children(el, "transient_attributes"):
        for k, v in resolve_sets(doc, ta, "instance_attributes", ctx).items():
            ns.attributes.setdefault(k, v)
    for lrm in doc.children(el, "lrm"):
        for rid, h in read_history(doc, lrm).items():
            if rid in ns.history:
                prev = ns.history[rid]
                base = len(prev.ops)
                prev.segments.extend([base] + [base + i for i in h.segments])
                prev.ops.extend(h.ops)
            else:
                ns.history[rid] = h
    return ns


def read_status(doc: Doc, nodes: list[Node]) -> Status:
    root = doc.root
    st = Status(
        have_quorum=is_true(root.get("have-quorum")), feature_set=root.get("crm_feature_set")
    )
    st.no_quorum_panic = _member(root.get("no-quorum-panic"))
    ed = root.get("execution-date")
    if ed is not None and ed.strip().isdigit():
        st.execution_date = int(ed)
    section = root.find("status")
    if section is not None:
        for el in doc.children(section, "node_state"):
            ns = read_node_state(doc, el)
            prev = st.nodes.get(ns.name)
            if prev is None:
                st.nodes[ns.name] = ns
            else:  # a node recorded twice: keep the first state, merge history
                for rid, h in ns.history.items():
                    prev.history.setdefault(rid, h)
        for ts in doc.children(section, "tickets"):
            for t in doc.children(ts, "ticket_state"):
                tid = t.get("id", "")
                st.tickets[tid] = {k: v for k, v in t.attrib.items() if k != "id"}
    dc = root.get("dc-uuid")
    if dc is not None:
        st.dc = _uname_of(dc, nodes, st)
    return st


def _uname_of(node_id: str, nodes: list[Node], st: Status) -> str | None:
    for n in nodes:
        if n.id == node_id:
            return n.uname
    for ns in st.nodes.values():
        if ns.id == node_id:
            return ns.name
    return None
