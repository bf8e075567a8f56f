"""Rules: does a location constraint's rule hold on a node, at a moment?

Pacemaker Explained, "Rules": a rule holds when its expressions combine to true
with its ``boolean-op`` (``and`` by default, or ``or``). A node attribute
expression compares the node's attribute with a value (``lt gt lte gte eq ne``
as ``string``, ``integer``, ``number`` or ``version``; ``defined`` and
``not_defined`` test presence); the special attributes ``#uname``, ``#id`` and
``#kind`` name the node itself. A date expression tests the moment the cluster
is evaluated (``now``): ``gt`` after ``start``, ``lt`` before ``end``,
``in_range`` between them (or ``start`` plus a ``duration``), ``date_spec`` a
recurring calendar pattern. A rule's score is its ``score``, or the node's value
of ``score-attribute``.
"""

from __future__ import annotations

import re

from corral.model import score as scores
from corral.model.config import DateExpression, Expression, Rule
from corral.scheduler.dates import date_holds

_NUM = re.compile(r"^[+-]?\d+(\.\d*)?$")


def rule_holds(
    rule: Rule,
    attrs: dict[str, str],
    now: int,
    rsc_params: dict[str, str] | None = None,
    rsc_meta: dict[str, str] | None = None,
) -> bool:
    """Whether ``rule`` holds for a node with ``attrs`` at epoch second ``now``."""
    results = (_holds(e, attrs, now, rsc_params or {}, rsc_meta or {}) for e in rule.expressions)
    if rule.boolean_op.lower() == "or":
        return any(results)
    if not rule.expressions:
        return True
    return all(results)


def rule_score(rule: Rule, attrs: dict[str, str]) -> int:
    """The score a holding rule gives a node."""
    if rule.score_attribute:
        return (
            scores.parse(attrs.get(rule.score_attribute))
            if _is_score(attrs.get(rule.score_attribute))
            else 0
        )
    return rule.score or 0


def _is_score(v: str | None) -> bool:
    return v is not None and scores.is_score(v)


def _holds(
    e: Expression | DateExpression | Rule,
    attrs: dict[str, str],
    now: int,
    params: dict[str, str],
    meta: dict[str, str],
) -> bool:
    if isinstance(e, Rule):
        return rule_holds(e, attrs, now, params, meta)
    if isinstance(e, DateExpression):
        return date_holds(e, now)
    return attr_holds(e, attrs, params, meta)


def attr_holds(
    e: Expression, attrs: dict[str, str], params: dict[str, str], meta: dict[str, str]
) -> bool:
    left = attrs.get(e.attribute)
    op = e.operation.lower()
    if op == "defined":
        return left is not None
    if op == "not_defined":
        return left is None
    right = e.value
    if e.value_source == "param" and right is not None:
        right = params.get(right)
    elif e.value_source == "meta" and right is not None:
        right = meta.get(right)
    if left is None or right is None:
        # Pacemaker: a missing value satisfies only "ne"
        return op == "ne" and not (left is None and right is None)
    cmp = _compare(left, right, (e.type or "").lower(), op)
    if cmp is None:
        return False
    return {
        "eq": cmp == 0,
        "ne": cmp != 0,
        "lt": cmp < 0,
        "lte": cmp <= 0,
        "gt": cmp > 0,
        "gte": cmp >= 0,
    }.get(op, False)


def _compare(left: str, right: str, typ: str, op: str) -> int | None:
    if not typ:
        if op in ("lt", "lte", "gt", "gte") and _NUM.match(left) and _NUM.match(right):
            typ = "number"
        else:
            typ = "string"
    if typ in ("integer", "number"):
        try:
            a, b = float(left), float(right)
        except ValueError:
            typ = "string"
        else:
            if typ == "integer":
                a, b = float(int(a)), float(int(b))
            return (a > b) - (a < b)
    if typ == "version":
        va, vb = _version(left), _version(right)
        return (va > vb) - (va < vb)
    la, lb = left.lower(), right.lower()
    return (la > lb) - (la < lb)


def _version(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("."):
        m = re.match(r"\d+", part)
        out.append(int(m.group()) if m else 0)
    while out and out[-1] == 0:
        out.pop()
    return tuple(out)
