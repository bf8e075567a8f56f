"""Validation of a whole configuration: every problem at once, each naming the
element id and the field (pcs's rule: validate everything, then write once).

Codes: ``duplicate-id``, ``dangling-reference``, ``bad-score``, ``bad-duration``,
``bad-role``, ``bad-value``, ``missing-field``.
"""

from __future__ import annotations

from collections.abc import Iterable

from corral.model import score as scores
from corral.model.config import (
    Clone,
    Colocation,
    Config,
    Group,
    Order,
    Primitive,
    ResourceSet,
    Rule,
    iter_resources,
)
from corral.model.errors import Problems
from corral.model.status import RESOURCE_ACTIONS

ROLES = frozenset({"Started", "Stopped", "Promoted", "Unpromoted", "Unknown"})
ORDER_KINDS = frozenset({"Mandatory", "Optional", "Serialize"})
ON_FAIL = frozenset(
    {
        "ignore",
        "block",
        "stop",
        "restart",
        "standby",
        "fence",
        "demote",
        "restart-container",
        "reset",
    }
)
DISCOVERY = frozenset({"always", "never", "exclusive"})
ACTIONS = RESOURCE_ACTIONS


def _score_ok(v: int | None) -> bool:
    return v is None or scores.MINUS_INFINITY <= v <= scores.INFINITY


def _check_role(p: Problems, role: str | None, element: str, field: str) -> None:
    if role is not None and role not in ROLES:
        p.add(
            f"{role!r} is not a role ({', '.join(sorted(ROLES))})",
            element=element,
            field=field,
            code="bad-role",
        )


def _check_primitive(p: Problems, prim: Primitive) -> None:
    if not prim.cls:
        p.add("a primitive needs a class", element=prim.id, field="class", code="missing-field")
    if not prim.type:
        p.add("a primitive needs a type", element=prim.id, field="type", code="missing-field")
    if prim.cls == "ocf" and not prim.provider:
        p.add(
            "an ocf primitive needs a provider",
            element=prim.id,
            field="provider",
            code="missing-field",
        )
    for op in prim.ops:
        where = op.id or f"{prim.id}-{op.name}"
        if not op.name:
            p.add("an operation needs a name", element=where, field="name", code="missing-field")
        if op.interval_ms < 0:
            p.add(
                f"interval {op.interval_ms} ms is negative",
                element=where,
                field="interval",
                code="bad-duration",
            )
        if op.timeout_ms is not None and op.timeout_ms < 0:
            p.add(
                f"timeout {op.timeout_ms} ms is negative",
                element=where,
                field="timeout",
                code="bad-duration",
            )
        _check_role(p, op.role, where, "role")
        if op.on_fail is not None and op.on_fail not in ON_FAIL:
            p.add(
                f"{op.on_fail!r} is not an on-fail policy",
                element=where,
                field="on-fail",
                code="bad-value",
            )


def _ids(config: Config) -> tuple[set[str], list[tuple[str, str]]]:
    """Every resource id (with bundles), and (id, kind) for duplicate checks."""
    seen: list[tuple[str, str]] = []
    known: set[str] = set()
    for r in iter_resources(config.resources):
        seen.append((r.id, r.kind))
        known.add(r.id)
    for b in config.bundles:
        seen.append((b.id, "bundle"))
        known.add(b.id)
        if b.child is not None:
            seen.append((b.child.id, "primitive"))
            known.add(b.child.id)
    return known, seen


def _check_refs(
    p: Problems, known: set[str], element: str, refs: Iterable[tuple[str, str | None]]
) -> None:
    for field, ref in refs:
        if ref is not None and ref not in known:
            p.add(
                f"names resource {ref!r}, which does not exist",
                element=element,
                field=field,
                code="dangling-reference",
            )


def _check_sets(p: Problems, known: set[str], element: str, sets: list[ResourceSet]) -> None:
    for s in sets:
        sid = s.id or element
        _check_refs(p, known, sid, (("resource_ref", r) for r in s.resources))
        _check_role(p, s.role, sid, "role")
        if not _score_ok(s.score):
            p.add(f"score {s.score} is out of range", element=sid, field="score", code="bad-score")


def _check_rule(p: Problems, rule: Rule, element: str) -> None:
    _check_role(p, rule.role, rule.id or element, "role")
    if not _score_ok(rule.score):
        p.add(
            f"score {rule.score} is out of range",
            element=rule.id or element,
            field="score",
            code="bad-score",
        )
    for x in rule.expressions:
        if isinstance(x, Rule):
            _check_rule(p, x, element)


def _check_colocation(p: Problems, known: set[str], c: Colocation) -> None:
    _check_refs(p, known, c.id, (("rsc", c.rsc), ("with-rsc", c.with_rsc)))
    if not c.sets and (c.rsc is None or c.with_rsc is None):
        p.add(
            "a colocation needs rsc and with-rsc, or resource sets",
            element=c.id,
            field="rsc",
            code="missing-field",
        )
    _check_role(p, c.rsc_role, c.id, "rsc-role")
    _check_role(p, c.with_rsc_role, c.id, "with-rsc-role")
    if not _score_ok(c.score):
        p.add(f"score {c.score} is out of range", element=c.id, field="score", code="bad-score")
    _check_sets(p, known, c.id, c.sets)


def _check_order(p: Problems, known: set[str], o: Order) -> None:
    _check_refs(p, known, o.id, (("first", o.first), ("then", o.then)))
    if not o.sets and (o.first is None or o.then is None):
        p.add(
            "an order needs first and then, or resource sets",
            element=o.id,
            field="first",
            code="missing-field",
        )
    if o.kind not in ORDER_KINDS:
        p.add(
            f"{o.kind!r} is not an order kind (Mandatory, Optional, Serialize)",
            element=o.id,
            field="kind",
            code="bad-value",
        )
    for field, action in (("first-action", o.first_action), ("then-action", o.then_action)):
        if action is not None and action not in ACTIONS:
            p.add(f"{action!r} is not an action", element=o.id, field=field, code="bad-value")
    _check_sets(p, known, o.id, o.sets)


def validate(config: Config) -> None:
    """Raise ValidationFailed listing every problem of ``config``; return if none."""
    p = Problems()
    known, seen = _ids(config)
    counts: dict[str, int] = {}
    for rid, _kind in seen:
        counts[rid] = counts.get(rid, 0) + 1
    for rid, n in counts.items():
        if n > 1:
            p.add(f"{n} resources share this id", element=rid, field="id", code="duplicate-id")
    for field, values in (
        ("id", [n.id for n in config.nodes]),
        ("uname", [n.uname for n in config.nodes]),
    ):
        dup: set[str] = set()
        for v in values:
            if values.count(v) > 1 and v not in dup:
                dup.add(v)
                p.add(
                    f"{values.count(v)} nodes share this {field}",
                    element=v,
                    field=field,
                    code="duplicate-id",
                )
    cons_ids = (
        [c.id for c in config.locations]
        + [c.id for c in config.colocations]
        + [c.id for c in config.orders]
        + [c.id for c in config.tickets]
    )
    cdup: dict[str, int] = {}
    for c in cons_ids:
        cdup[c] = cdup.get(c, 0) + 1
    for cid, n in cdup.items():
        if n > 1:
            p.add(f"{n} constraints share this id", element=cid, field="id", code="duplicate-id")

    for r in iter_resources(config.resources):
        if isinstance(r, Primitive):
            _check_primitive(p, r)
        elif isinstance(r, Group) and not r.children:
            p.add(
                "a group needs at least one primitive",
                element=r.id,
                field="children",
                code="missing-field",
            )
        elif isinstance(r, Clone):
            pass
    for b in config.bundles:
        if b.child is not None:
            _check_primitive(p, b.child)
    for n in config.nodes:
        if not n.uname:
            p.add("a node needs a name", element=n.id, field="uname", code="missing-field")

    for loc in config.locations:
        _check_refs(p, known, loc.id, (("rsc", loc.rsc),))
        if loc.rsc is None and loc.rsc_pattern is None:
            p.add(
                "a location needs rsc, rsc-pattern or resource sets",
                element=loc.id,
                field="rsc",
                code="missing-field",
            )
        if loc.node is None and not loc.rules:
            p.add(
                "a location needs a node and score, or rules",
                element=loc.id,
                field="node",
                code="missing-field",
            )
        if loc.node is not None and loc.score is None and not loc.rules:
            p.add(
                "a location on a node needs a score",
                element=loc.id,
                field="score",
                code="missing-field",
            )
        if not _score_ok(loc.score):
            p.add(
                f"score {loc.score} is out of range",
                element=loc.id,
                field="score",
                code="bad-score",
            )
        if loc.resource_discovery not in DISCOVERY:
            p.add(
                f"{loc.resource_discovery!r} is not always, never or exclusive",
                element=loc.id,
                field="resource-discovery",
                code="bad-value",
            )
        _check_role(p, loc.role, loc.id, "role")
        for rule in loc.rules:
            _check_rule(p, rule, loc.id)
    for c in config.colocations:
        _check_colocation(p, known, c)
    for o in config.orders:
        _check_order(p, known, o)
    for t in config.tickets:
        _check_refs(p, known, t.id, (("rsc", t.rsc),))
        _check_role(p, t.rsc_role, t.id, "rsc-role")
        _check_sets(p, known, t.id, t.sets)
        if not t.ticket:
            p.add(
                "a ticket constraint needs a ticket",
                element=t.id,
                field="ticket",
                code="missing-field",
            )
    for lvl in config.fencing_levels:
        if lvl.index < 1 or lvl.index > 9:
            p.add(
                f"index {lvl.index} is not between 1 and 9",
                element=lvl.id,
                field="index",
                code="bad-value",
            )
    p.raise_if_any()
