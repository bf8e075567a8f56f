"""Validation of a whole configuration: every problem at once, each naming the
element id and the field (pcs's rule: validate everything, then write once).

Codes: ``duplicate-id``, ``dangling-reference``, ``bad-score``, ``bad-duration``,
``bad-role``, ``bad-value``, ``missing-field``, ``unknown-op`` (an operation name no
resource agent runs) and ``bad-meta-value`` (a known meta attribute whose value is not of
its type: a score, a duration, a role, a boolean, a count or one of its words). Unknown
meta attribute names are left alone, as Pacemaker leaves them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from corral.model import durations
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
from corral.model.status import AGENT_ACTIONS, RESOURCE_ACTIONS

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
# an op's name: what OCF agents run, ``status`` (LSB and fence agents' monitor) and the
# Heartbeat-era ``migrate`` that old CIBs still carry
KNOWN_OPS = AGENT_ACTIONS | {"status", "migrate"}
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"})
# target-role: Pacemaker's roles in either spelling, any case; "#default" means unset
TARGET_ROLES = frozenset(
    {"stopped", "started", "unpromoted", "promoted", "slave", "master", "#default"}
)


def _is_score(v: str) -> bool:
    return scores.is_score(v)


def _is_duration(v: str) -> bool:
    return durations.try_parse_ms(v) is not None


def _is_bool(v: str) -> bool:
    return v.strip().lower() in BOOLEAN_WORDS


def _is_count(v: str) -> bool:
    return v.strip().isdigit()


def _one_of(words: Iterable[str]) -> tuple[str, Callable[[str], bool]]:
    allowed = frozenset(words)
    return (
        "one of " + ", ".join(sorted(allowed)),
        lambda v: v.strip() in allowed,
    )


SCORE = ("a score (an integer, INFINITY or -INFINITY)", _is_score)
DURATION = ("a duration (e.g. 10s, 500ms, 1m, PT10S)", _is_duration)
BOOLEAN = ("true or false", _is_bool)
COUNT = ("a whole number (0, 1, 2, ...)", _is_count)
ROLE = (
    "a role (Stopped, Started, Unpromoted, Promoted)",
    lambda v: v.strip().lower() in TARGET_ROLES,
)

# the meta attributes of resources (and rsc_defaults) whose type Pacemaker defines:
# name -> (what the value must be, its test)
META_TYPES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "resource-stickiness": SCORE,
    "migration-threshold": SCORE,
    "priority": SCORE,
    "failure-timeout": DURATION,
    "remote-connect-timeout": DURATION,
    "target-role": ROLE,
    "is-managed": BOOLEAN,
    "maintenance": BOOLEAN,
    "allow-migrate": BOOLEAN,
    "allow-unhealthy-nodes": BOOLEAN,
    "critical": BOOLEAN,
    "globally-unique": BOOLEAN,
    "interleave": BOOLEAN,
    "ordered": BOOLEAN,
    "notify": BOOLEAN,
    "promotable": BOOLEAN,
    "clone-max": COUNT,
    "clone-node-max": COUNT,
    "clone-min": COUNT,
    "promoted-max": COUNT,
    "promoted-node-max": COUNT,
    "master-max": COUNT,
    "master-node-max": COUNT,
    "multiple-active": _one_of({"block", "stop_only", "stop_start", "stop_unexpected"}),
    "restart-type": _one_of({"ignore", "restart"}),
    "requires": _one_of({"nothing", "quorum", "fencing", "unfencing"}),
    "on-fail": _one_of(ON_FAIL),
}


def check_meta(p: Problems, meta: Mapping[str, str], element: str) -> None:
    """A ``bad-meta-value`` problem for each known meta attribute whose value is not of
    its type (``META_TYPES``); other names are not checked."""
    for name, value in meta.items():
        kind = META_TYPES.get(name)
        if kind is not None and not kind[1](value):
            p.add(
                f"{value!r} is not {kind[0]}",
                element=element,
                field=name,
                code="bad-meta-value",
            )


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
    check_meta(p, prim.meta, prim.id)
    for op in prim.ops:
        where = op.id or f"{prim.id}-{op.name}"
        if not op.name:
            p.add("an operation needs a name", element=where, field="name", code="missing-field")
        elif op.name not in KNOWN_OPS:
            p.add(
                f"{op.name!r} is not an operation (known: {', '.join(sorted(KNOWN_OPS))})",
                element=where,
                field="name",
                code="unknown-op",
            )
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
        if isinstance(r, Group | Clone):
            check_meta(p, r.meta, r.id)
    for b in config.bundles:
        check_meta(p, b.meta, b.id)
        if b.child is not None:
            _check_primitive(p, b.child)
    for d in config.fence_devices:
        check_meta(p, d.meta, d.id)
    check_meta(p, config.rsc_defaults, "rsc_defaults")
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
