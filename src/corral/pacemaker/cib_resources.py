"""The ``<resources>`` section: primitives (with ``template=`` merged in), groups,
clones and ``<master>`` (promotable clones), and bundles (recorded only).

A template gives a primitive its agent, attribute sets and operations; what the
primitive says itself wins. Resource defaults with rules that test the agent
(``rsc_expression``) or the operation (``op_expression``) cannot be one global
value: the ones that differ from the global defaults are folded into each
matching primitive's meta attributes / operation, under what it sets itself.
"""

from __future__ import annotations

from corral.model.config import Attrs, Bundle, Clone, Group, Op, Primitive, Resource
from corral.model.durations import parse_ms, try_parse_ms
from corral.model.errors import ConfigError
from corral.pacemaker.cib_rules import RuleContext, resolve_set_list, resolve_sets
from corral.pacemaker.cib_xml import Doc, Element, is_true, norm_role

_OP_FIELDS = {"id", "name", "interval", "timeout", "role", "on-fail", "enabled"}


def _sets(doc: Doc, el: Element | None, tag: str) -> list[Element]:
    return [] if el is None else doc.children(el, tag)


def _merged(doc: Doc, own: Element, tmpl: Element | None, tag: str, ctx: RuleContext) -> Attrs:
    out = resolve_set_list(doc, _sets(doc, tmpl, tag), ctx)
    out.update(resolve_sets(doc, own, tag, ctx))
    return out


def read_op(doc: Doc, el: Element, ctx: RuleContext) -> Op | None:
    oid = el.get("id", "")
    try:
        interval = parse_ms(el.get("interval"), element=oid or None, field="interval")
    except ConfigError as e:
        doc.problems.items.append(e)
        return None
    meta = {k: v for k, v in el.attrib.items() if k not in _OP_FIELDS}
    meta.update(resolve_sets(doc, el, "meta_attributes", ctx))
    timeout_text = el.get("timeout")
    timeout = try_parse_ms(timeout_text)
    if timeout_text is not None and timeout is None:
        meta["timeout"] = timeout_text  # Pacemaker ignores it and uses the default
    return Op(
        id=oid,
        name=el.get("name", ""),
        interval_ms=interval,
        timeout_ms=timeout,
        role=norm_role(el.get("role")),
        on_fail=el.get("on-fail"),
        enabled=is_true(el.get("enabled"), default=True),
        meta=meta,
        instance=resolve_sets(doc, el, "instance_attributes", ctx),
    )


def _ops(doc: Doc, el: Element | None, ctx: RuleContext) -> list[Op]:
    out: list[Op] = []
    if el is None:
        return out
    for ops in doc.children(el, "operations"):
        for o in doc.children(ops, "op"):
            op = read_op(doc, o, ctx)
            if op is not None:
                out.append(op)
    return out


def read_primitive(doc: Doc, el: Element, ctx: RuleContext) -> Primitive:
    pid = el.get("id", "")
    tid = el.get("template")
    tmpl: Element | None = None
    if tid is not None:
        tmpl = doc.ids.get(tid)
        if tmpl is None or tmpl.tag != "template":
            doc.problems.add(
                f"template {tid!r} does not exist",
                element=pid,
                field="template",
                code="dangling-reference",
            )
            tmpl = None

    def pick(name: str) -> str | None:
        v = el.get(name)
        if v is None and tmpl is not None:
            v = tmpl.get(name)
        return v

    own_ops = _ops(doc, el, ctx)
    keys = {(o.name, o.interval_ms, o.role) for o in own_ops}
    ops = own_ops + [o for o in _ops(doc, tmpl, ctx) if (o.name, o.interval_ms, o.role) not in keys]
    return Primitive(
        id=pid,
        cls=pick("class") or "",
        type=pick("type") or "",
        provider=pick("provider"),
        instance=_merged(doc, el, tmpl, "instance_attributes", ctx),
        meta=_merged(doc, el, tmpl, "meta_attributes", ctx),
        ops=ops,
        utilization=_merged(doc, el, tmpl, "utilization", ctx),
        template=tid,
        description=el.get("description"),
    )


def read_group(doc: Doc, el: Element, ctx: RuleContext) -> Group:
    return Group(
        id=el.get("id", ""),
        children=[read_primitive(doc, c, ctx) for c in doc.children(el, "primitive")],
        meta=resolve_sets(doc, el, "meta_attributes", ctx),
        instance=resolve_sets(doc, el, "instance_attributes", ctx),
    )


def read_clone(doc: Doc, el: Element, ctx: RuleContext) -> Clone | None:
    cid = el.get("id", "")
    meta = resolve_sets(doc, el, "meta_attributes", ctx)
    kids = doc.children(el, "primitive", "group")
    if not kids:
        doc.problems.add("a clone needs a primitive or a group", element=cid, code="empty-clone")
        return None
    k = kids[0]
    child: Primitive | Group = (
        read_primitive(doc, k, ctx) if k.tag == "primitive" else read_group(doc, k, ctx)
    )
    legacy = el.tag == "master"
    return Clone(
        id=cid,
        child=child,
        meta=meta,
        promotable=legacy or is_true(meta.get("promotable")),
        instance=resolve_sets(doc, el, "instance_attributes", ctx),
        legacy_master=legacy,
    )


def read_bundle(doc: Doc, el: Element, ctx: RuleContext) -> Bundle:
    b = Bundle(id=el.get("id", ""))
    for c in el:
        if not isinstance(c.tag, str):
            continue
        if c.tag in ("docker", "podman", "rkt"):
            b.runtime = c.tag
            b.runtime_attrs = dict(c.attrib)
        elif c.tag == "network":
            b.network = dict(c.attrib)
            b.port_mappings = [dict(p.attrib) for p in c if p.tag == "port-mapping"]
        elif c.tag == "storage":
            b.storage_mappings = [dict(s.attrib) for s in c if s.tag == "storage-mapping"]
        elif c.tag == "primitive":
            b.child = read_primitive(doc, c, ctx)
    b.meta = resolve_sets(doc, el, "meta_attributes", ctx)
    b.instance = resolve_sets(doc, el, "instance_attributes", ctx)
    return b


def read_resources(
    doc: Doc, section: Element | None, ctx: RuleContext
) -> tuple[list[Resource], list[Bundle]]:
    resources: list[Resource] = []
    bundles: list[Bundle] = []
    if section is None:
        return resources, bundles
    for el in section:
        if not isinstance(el.tag, str):
            continue
        if el.tag == "primitive":
            resources.append(read_primitive(doc, el, ctx))
        elif el.tag == "group":
            resources.append(read_group(doc, el, ctx))
        elif el.tag in ("clone", "master"):
            c = read_clone(doc, el, ctx)
            if c is not None:
                resources.append(c)
        elif el.tag == "bundle":
            b = read_bundle(doc, el, ctx)
            b.position = len(resources)
            bundles.append(b)
    return resources, bundles


def template_members(resources: list[Resource], bundles: list[Bundle]) -> dict[str, list[str]]:
    """template id -> ids of the primitives built from it, in document order."""
    out: dict[str, list[str]] = {}
    prims: list[Primitive] = []
    for r in resources:
        if isinstance(r, Primitive):
            prims.append(r)
        elif isinstance(r, Group):
            prims.extend(r.children)
        else:
            ch = r.child
            prims.extend([ch] if isinstance(ch, Primitive) else ch.children)
    prims.extend(b.child for b in bundles if b.child is not None)
    for p in prims:
        if p.template:
            out.setdefault(p.template, []).append(p.id)
    return out


def _has_rules(doc: Doc, section: Element | None) -> bool:
    return section is not None and any(
        doc.children(s, "rule") for s in doc.children(section, "meta_attributes")
    )


def fold_defaults(
    doc: Doc,
    prims: list[Primitive],
    rsc_defaults_el: Element | None,
    op_defaults_el: Element | None,
    rsc_defaults: Attrs,
    op_defaults: Attrs,
) -> None:
    """Apply agent- or operation-specific defaults to the primitives they match."""
    if _has_rules(doc, rsc_defaults_el):
        assert rsc_defaults_el is not None
        for p in prims:
            ctx = RuleContext(now=doc.now, rsc=(p.cls, p.provider, p.type))
            mine = resolve_sets(doc, rsc_defaults_el, "meta_attributes", ctx)
            for k, v in mine.items():
                if rsc_defaults.get(k) != v:
                    p.meta.setdefault(k, v)
    if _has_rules(doc, op_defaults_el):
        assert op_defaults_el is not None
        for p in prims:
            for op in p.ops:
                ctx = RuleContext(
                    now=doc.now, rsc=(p.cls, p.provider, p.type), op=(op.name, op.interval_ms)
                )
                mine = resolve_sets(doc, op_defaults_el, "meta_attributes", ctx)
                for k, v in mine.items():
                    if op_defaults.get(k) == v:
                        continue
                    if k == "timeout" and op.timeout_ms is None:
                        op.timeout_ms = try_parse_ms(v)
                    elif k == "on-fail" and op.on_fail is None:
                        op.on_fail = v
                    elif k not in ("timeout", "on-fail"):
                        op.meta.setdefault(k, v)
