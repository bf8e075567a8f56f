"""Write corral's model back as Pacemaker CIB XML (configuration and status) that
Pacemaker's tools (``crm_simulate -x FILE``) accept.

What the reader folded (templates, tags, rule-selected attribute sets) comes out
resolved: the written CIB schedules the same, it is not the same text.
"""

from __future__ import annotations

import itertools
import re

from lxml import etree

from corral.model import score as scores
from corral.model.config import (
    Attrs,
    Bundle,
    Clone,
    Colocation,
    Config,
    DateExpression,
    Expression,
    FencingLevel,
    Group,
    Location,
    Op,
    Order,
    Primitive,
    Resource,
    ResourceSet,
    Rule,
    Ticket,
)
from corral.model.durations import format_ms
from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status

Element = etree._Element
SubElement = etree.SubElement

SCHEMA = "pacemaker-3.7"
# 3.16.2 (2.1.5's own) makes crm_simulate abort while it executes; one below behaves
FEATURE_SET = "3.16.1"
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")


class _Ids:
    """Hands out document-unique, schema-valid ids."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, want: str) -> str:
        base = _BAD_ID_CHARS.sub(".", want) or "id"
        if not (base[0].isalpha() or base[0] == "_"):
            base = "id-" + base
        out, n = base, 1
        while out in self.used:
            n += 1
            out = f"{base}-{n}"
        self.used.add(out)
        return out


def _set_attrs(el: Element, **attrs: str | int | None) -> Element:
    for k, v in attrs.items():
        if v is not None:
            el.set(k.replace("_", "-"), str(v))
    return el


def _nvset(parent: Element, tag: str, set_id: str, values: Attrs, ids: _Ids) -> None:
    if not values:
        return
    s = SubElement(parent, tag, id=ids.take(set_id))
    for name, value in values.items():
        SubElement(s, "nvpair", id=ids.take(f"{set_id}-{name}"), name=name, value=value)


# ---- configuration -----------------------------------------------------------------


_OP_ATTRS = {
    "start-delay",
    "interval-origin",
    "record-pending",
    "requires",
    "description",
    "timeout",
}


def _op(parent: Element, op: Op, owner: str, ids: _Ids) -> None:
    el = SubElement(
        parent,
        "op",
        id=ids.take(op.id or f"{owner}-{op.name}-interval-{op.interval_ms}ms"),
        name=op.name,
        interval=format_ms(op.interval_ms),
    )
    if op.timeout_ms is not None:
        el.set("timeout", format_ms(op.timeout_ms))
    _set_attrs(el, role=op.role, on_fail=op.on_fail)
    if not op.enabled:
        el.set("enabled", "false")
    extra = {}
    for k, v in op.meta.items():
        if k in _OP_ATTRS and el.get(k) is None:
            el.set(k, v)
        elif k not in _OP_ATTRS:
            extra[k] = v
    _nvset(el, "meta_attributes", f"{el.get('id')}-meta", extra, ids)
    _nvset(el, "instance_attributes", f"{el.get('id')}-params", op.instance, ids)


def _primitive(parent: Element, p: Primitive, ids: _Ids) -> None:
    el = SubElement(parent, "primitive", id=p.id)
    ids.used.add(p.id)
    _set_attrs(el, **{"class": p.cls}, provider=p.provider, type=p.type)
    if p.description:
        el.set("description", p.description)
    _nvset(el, "instance_attributes", f"{p.id}-instance_attributes", p.instance, ids)
    _nvset(el, "meta_attributes", f"{p.id}-meta_attributes", p.meta, ids)
    _nvset(el, "utilization", f"{p.id}-utilization", p.utilization, ids)
    if p.ops:
        ops = SubElement(el, "operations")
        for op in p.ops:
            _op(ops, op, p.id, ids)


def _group(parent: Element, g: Group, ids: _Ids) -> None:
    el = SubElement(parent, "group", id=g.id)
    ids.used.add(g.id)
    _nvset(el, "meta_attributes", f"{g.id}-meta_attributes", g.meta, ids)
    _nvset(el, "instance_attributes", f"{g.id}-instance_attributes", g.instance, ids)
    for c in g.children:
        _primitive(el, c, ids)


def _clone(parent: Element, c: Clone, ids: _Ids) -> None:
    el = SubElement(parent, "master" if c.legacy_master else "clone", id=c.id)
    ids.used.add(c.id)
    meta = dict(c.meta)
    if c.promotable and not c.legacy_master:
        meta.setdefault("promotable", "true")
    _nvset(el, "meta_attributes", f"{c.id}-meta_attributes", meta, ids)
    _nvset(el, "instance_attributes", f"{c.id}-instance_attributes", c.instance, ids)
    _resource(el, c.child, ids)


def _bundle(parent: Element, b: Bundle, ids: _Ids) -> None:
    el = SubElement(parent, "bundle", id=b.id)
    ids.used.add(b.id)
    SubElement(el, b.runtime, **b.runtime_attrs)
    if b.network or b.port_mappings:
        net = SubElement(el, "network", **b.network)
        for pm in b.port_mappings:
            SubElement(net, "port-mapping", **pm)
    if b.storage_mappings:
        st = SubElement(el, "storage")
        for sm in b.storage_mappings:
            SubElement(st, "storage-mapping", **sm)
    _nvset(el, "meta_attributes", f"{b.id}-meta_attributes", b.meta, ids)
    _nvset(el, "instance_attributes", f"{b.id}-instance_attributes", b.instance, ids)
    if b.child is not None:
        _primitive(el, b.child, ids)


def _resource(parent: Element, r: Resource, ids: _Ids) -> None:
    if isinstance(r, Primitive):
        _primitive(parent, r, ids)
    elif isinstance(r, Group):
        _group(parent, r, ids)
    else:
        _clone(parent, r, ids)


def _score_attr(v: int | None) -> str | None:
    return None if v is None else scores.to_str(v)


def _rule(parent: Element, r: Rule, ids: _Ids) -> None:
    el = SubElement(parent, "rule", id=ids.take(r.id or "rule"))
    if r.score_attribute:
        el.set("score-attribute", r.score_attribute)
    else:
        el.set("score", _score_attr(r.score) or "0")
    el.set("boolean-op", r.boolean_op)
    _set_attrs(el, role=r.role)
    for x in r.expressions:
        if isinstance(x, Rule):
            _rule(el, x, ids)
        elif isinstance(x, Expression):
            e = SubElement(
                el,
                "expression",
                id=ids.take(x.id or "expr"),
                attribute=x.attribute,
                operation=x.operation,
            )
            _set_attrs(e, value=x.value, type=x.type)
            if x.value_source != "literal":
                e.set("value-source", x.value_source)
        elif isinstance(x, DateExpression):
            d = SubElement(
                el, "date_expression", id=ids.take(x.id or "date"), operation=x.operation
            )
            _set_attrs(d, start=x.start, end=x.end)
            if x.duration:
                SubElement(d, "duration", id=ids.take(f"{d.get('id')}-duration"), **x.duration)
            if x.date_spec:
                SubElement(d, "date_spec", id=ids.take(f"{d.get('id')}-spec"), **x.date_spec)


def _sets(parent: Element, sets: list[ResourceSet], ids: _Ids) -> None:
    for s in sets:
        el = SubElement(parent, "resource_set", id=ids.take(s.id or f"{parent.get('id')}-set"))
        if not s.sequential:
            el.set("sequential", "false")
        if not s.require_all:
            el.set("require-all", "false")
        _set_attrs(
            el, role=s.role, action=s.action, ordering=s.ordering, score=_score_attr(s.score)
        )
        for r in s.resources:
            SubElement(el, "resource_ref", id=r)


def _location(parent: Element, c: Location, ids: _Ids) -> None:
    el = SubElement(parent, "rsc_location", id=ids.take(c.id))
    if c.rsc is not None:
        el.set("rsc", c.rsc)
    elif c.rsc_pattern is not None:
        el.set("rsc-pattern", c.rsc_pattern)
    _set_attrs(el, role=c.role)
    if c.resource_discovery != "always":
        el.set("resource-discovery", c.resource_discovery)
    if c.rules:
        for r in c.rules:
            _rule(el, r, ids)
    else:
        _set_attrs(el, node=c.node, score=_score_attr(c.score))


def _colocation(parent: Element, c: Colocation, ids: _Ids) -> None:
    el = SubElement(parent, "rsc_colocation", id=ids.take(c.id), score=scores.to_str(c.score))
    if not c.sets:
        _set_attrs(
            el, rsc=c.rsc, with_rsc=c.with_rsc, rsc_role=c.rsc_role, with_rsc_role=c.with_rsc_role
        )
    if c.node_attribute != "#uname":
        el.set("node-attribute", c.node_attribute)
    if not c.influence:
        el.set("influence", "false")
    _sets(el, c.sets, ids)


def _order(parent: Element, o: Order, ids: _Ids) -> None:
    el = SubElement(parent, "rsc_order", id=ids.take(o.id), kind=o.kind)
    if not o.sets:
        _set_attrs(el, first=o.first, then=o.then)
        el.set("first-action", o.first_action)
        _set_attrs(el, then_action=o.then_action)
    if o.symmetrical is not None:
        el.set("symmetrical", "true" if o.symmetrical else "false")
    if not o.require_all:
        el.set("require-all", "false")
    _sets(el, o.sets, ids)


def _ticket(parent: Element, t: Ticket, ids: _Ids) -> None:
    el = SubElement(parent, "rsc_ticket", id=ids.take(t.id), ticket=t.ticket)
    if not t.sets:
        _set_attrs(el, rsc=t.rsc, rsc_role=t.rsc_role)
    el.set("loss-policy", t.loss_policy)
    _sets(el, t.sets, ids)


def _fencing(parent: Element, levels: list[FencingLevel], ids: _Ids) -> None:
    ft = SubElement(parent, "fencing-topology")
    for lv in levels:
        el = SubElement(
            ft,
            "fencing-level",
            id=ids.take(lv.id),
            index=str(lv.index),
            devices=",".join(lv.devices),
        )
        _set_attrs(
            el,
            target=lv.target,
            target_pattern=lv.target_pattern,
            target_attribute=lv.target_attribute,
            target_value=lv.target_value,
        )


def _configuration(root: Element, cfg: Config, ids: _Ids) -> None:
    for r in cfg.resources:  # resource ids are fixed: reserve them first
        ids.used.add(r.id)
    conf = SubElement(root, "configuration")
    crm = SubElement(conf, "crm_config")
    props = SubElement(crm, "cluster_property_set", id=ids.take("cib-bootstrap-options"))
    for name, value in cfg.properties.items():
        SubElement(
            props, "nvpair", id=ids.take(f"cib-bootstrap-options-{name}"), name=name, value=value
        )
    nodes = SubElement(conf, "nodes")
    for n in cfg.nodes:
        el = SubElement(nodes, "node", id=n.id, uname=n.uname)
        if n.type != "member":
            el.set("type", n.type)
        if n.score:
            el.set("score", scores.to_str(n.score))
        _nvset(el, "instance_attributes", f"nodes-{n.id}", n.attributes, ids)
        _nvset(el, "utilization", f"nodes-{n.id}-utilization", n.utilization, ids)
    res = SubElement(conf, "resources")
    bundles = sorted(
        cfg.bundles, key=lambda b: len(cfg.resources) if b.position is None else b.position
    )
    for i, r in enumerate(cfg.resources):
        while bundles and bundles[0].position is not None and bundles[0].position <= i:
            _bundle(res, bundles.pop(0), ids)
        _resource(res, r, ids)
    for b in bundles:
        _bundle(res, b, ids)
    cons = SubElement(conf, "constraints")
    for loc in cfg.locations:
        _location(cons, loc, ids)
    for col in cfg.colocations:
        _colocation(cons, col, ids)
    for o in cfg.orders:
        _order(cons, o, ids)
    for t in cfg.tickets:
        _ticket(cons, t, ids)
    if cfg.fencing_levels:
        _fencing(conf, cfg.fencing_levels, ids)
    if cfg.rsc_defaults:
        rd = SubElement(conf, "rsc_defaults")
        _nvset(rd, "meta_attributes", "rsc-options", cfg.rsc_defaults, ids)
    if cfg.op_defaults:
        od = SubElement(conf, "op_defaults")
        _nvset(od, "meta_attributes", "op-options", cfg.op_defaults, ids)
    if cfg.tags:
        tags = SubElement(conf, "tags")
        for tid, members in cfg.tags.items():
            t = SubElement(tags, "tag", id=ids.take(tid))
            for m in members:
                SubElement(t, "obj_ref", id=m)


# ---- status ----------------------------------------------------------------------------


def _expected_rc(op: OpRecord) -> int:
    if op.operation == "monitor" and op.interval_ms == 0:
        return 7
    return 8 if op.rc == 8 else 0


def _op_record(parent: Element, rsc: str, node: str, op: OpRecord) -> None:
    key = op.transition_key or f"{op.call_id}:0:{_expected_rc(op)}:corral-0000"
    meta = op.meta
    el = SubElement(parent, "lrm_rsc_op", id=op.id or f"{rsc}_last_{op.call_id}")
    if "operation_key" in meta:
        el.set("operation_key", meta["operation_key"])
    el.set("operation", op.operation)
    el.set("crm_feature_set", meta.get("crm_feature_set", FEATURE_SET))
    el.set("transition-key", key)
    el.set("transition-magic", meta.get("transition-magic", f"{op.op_status}:{op.rc};{key}"))
    if op.exit_reason:
        el.set("exit-reason", op.exit_reason)
    if op.on_node is not None:
        el.set("on_node", op.on_node)
    el.set("call-id", str(op.call_id))
    el.set("rc-code", str(op.rc))
    el.set("op-status", str(op.op_status))
    el.set("interval", str(op.interval_ms))
    _set_attrs(el, last_rc_change=op.last_rc_change, last_run=op.last_run)
    el.set("exec-time", str(op.exec_time_ms))
    if "queue-time" in meta:
        el.set("queue-time", meta["queue-time"])
    if op.digest is not None:
        el.set("op-digest", op.digest)
    for k in (
        "crm-debug-origin",
        "op-force-restart",
        "op-restart-digest",
        "op-secure-params",
        "op-secure-digest",
        "migrate_source",
        "migrate_target",
    ):
        if k in meta:
            el.set(k, meta[k])


def _history(parent: Element, node: str, h: ResourceHistory) -> None:
    # a resource recorded more than once on the node: one element per record
    bounds = [0, *h.segments, len(h.ops)]
    for start, end in itertools.pairwise(bounds):
        el = SubElement(parent, "lrm_resource", id=h.rsc)
        _set_attrs(el, type=h.type, **{"class": h.cls}, provider=h.provider, container=h.container)
        if h.shutdown_lock is not None:
            el.set("shutdown-lock", str(h.shutdown_lock))
        for op in h.ops[start:end]:
            _op_record(el, h.rsc, node, op)


def _node_state(parent: Element, ns: NodeStatus, node_id: str) -> None:
    el = SubElement(parent, "node_state", id=node_id, uname=ns.name)
    if ns.remote_node:
        el.set("remote_node", "true")
    if ns.in_ccm_recorded:
        el.set("in_ccm", "true" if ns.in_ccm else "false")
    if not ns.remote_node:
        el.set("crmd", ns.crmd)
        el.set("join", ns.join)
        el.set("expected", ns.expected)
    if ns.shutdown:
        el.set("shutdown", str(ns.shutdown))
    if ns.node_fenced:
        el.set("node_fenced", "1")
    if ns.in_maintenance:
        el.set("node_in_maintenance", "true")
    if ns.attributes:
        ta = SubElement(el, "transient_attributes", id=node_id)
        ia = SubElement(ta, "instance_attributes", id=f"status-{node_id}")
        for name, value in ns.attributes.items():
            nid = f"status-{node_id}-" + _BAD_ID_CHARS.sub(".", name)
            SubElement(ia, "nvpair", id=nid, name=name, value=value)
    lrm = SubElement(el, "lrm", id=node_id)  # crm_simulate wants one, even empty
    lrs = SubElement(lrm, "lrm_resources")
    for h in ns.history.values():
        _history(lrs, ns.name, h)


def _status(root: Element, cfg: Config, st: Status) -> None:
    section = SubElement(root, "status")
    by_uname = {n.uname: n.id for n in cfg.nodes}
    for ns in st.nodes.values():
        _node_state(section, ns, ns.id or by_uname.get(ns.name, ns.name))
    if st.tickets:
        ts = SubElement(section, "tickets")
        for tid, attrs in st.tickets.items():
            SubElement(ts, "ticket_state", id=tid, **attrs)


def to_element(config: Config, status: Status) -> Element:
    root = etree.Element("cib", epoch="1", num_updates="0", admin_epoch="0")
    if status.feature_set is not None:
        root.set("crm_feature_set", status.feature_set)
    root.set("validate-with", SCHEMA)
    root.set("have-quorum", "1" if status.have_quorum else "0")
    if status.dc is not None:
        dc_id = next((n.id for n in config.nodes if n.uname == status.dc), None)
        ns = status.nodes.get(status.dc)
        dc_id = dc_id or (ns.id if ns is not None else None)
        if dc_id is not None:
            root.set("dc-uuid", dc_id)
    if status.no_quorum_panic:
        root.set("no-quorum-panic", "1")
    if status.execution_date is not None:
        root.set("execution-date", str(status.execution_date))
    _configuration(root, config, _Ids())
    _status(root, config, status)
    return root


def write_cib(config: Config, status: Status) -> str:
    """The model as CIB XML text."""
    return etree.tostring(to_element(config, status), pretty_print=True, encoding="unicode")
