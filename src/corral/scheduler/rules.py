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

import calendar
import datetime as dt
import re

from corral.model import score as scores
from corral.model.config import DateExpression, Expression, Rule

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


# ---- dates ---------------------------------------------------------------


def parse_iso(text: str | None) -> int | None:
    """An ISO 8601 date/time (``2005-12-31``, ``2005-12-31 13:00:00``,
    ``2005-12-31T13:00:00Z``, ``2005-001``) as epoch seconds, UTC unless offset."""
    if not text:
        return None
    t = text.strip().replace(" ", "T", 1)
    m = re.match(
        r"^(\d{4})-?(\d{2})-?(\d{2})(?:T(\d{2}):?(\d{2})?:?(\d{2})?(?:\.\d+)?)?"
        r"(Z|[+-]\d{2}:?\d{2})?$",
        t,
    )
    if not m:
        m2 = re.match(r"^(\d{4})-(\d{3})$", t)
        if m2:
            d = dt.datetime(int(m2.group(1)), 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                days=int(m2.group(2)) - 1
            )
            return int(d.timestamp())
        return None
    y, mo, d, h, mi, s, tz = m.groups()
    value = dt.datetime(
        int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=dt.UTC
    )
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        value -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return int(value.timestamp())


def _add_duration(epoch: int, parts: dict[str, str]) -> int:
    d = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    years = int(parts.get("years", 0) or 0)
    months = int(parts.get("months", 0) or 0) + 12 * years
    if months:
        total = d.month - 1 + months
        y, mo = d.year + total // 12, total % 12 + 1
        day = min(d.day, calendar.monthrange(y, mo)[1])
        d = d.replace(year=y, month=mo, day=day)
    delta = dt.timedelta(
        weeks=int(parts.get("weeks", 0) or 0),
        days=int(parts.get("days", 0) or 0),
        hours=int(parts.get("hours", 0) or 0),
        minutes=int(parts.get("minutes", 0) or 0),
        seconds=int(parts.get("seconds", 0) or 0),
    )
    return int((d + delta).timestamp())


def _in_spec(value: int, spec: str) -> bool:
    for part in spec.split(","):
        part = part.strip()
        if "-" in part[1:]:
            lo, hi = part.split("-", 1)
            if int(lo) <= value <= int(hi):
                return True
        elif part and int(part) == value:
            return True
    return False


def date_spec_holds(epoch: int, spec: dict[str, str]) -> bool:
    d = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    iso = d.isocalendar()
    fields = {
        "years": d.year,
        "months": d.month,
        "monthdays": d.day,
        "hours": d.hour,
        "minutes": d.minute,
        "seconds": d.second,
        "yeardays": d.timetuple().tm_yday,
        "weekyears": iso[0],
        "weeks": iso[1],
        "weekdays": iso[2],
    }
    for name, value in fields.items():
        s = spec.get(name)
        if s is not None and not _in_spec(value, s):
            return False
    return True


def date_holds(e: DateExpression, now: int) -> bool:
    op = e.operation.lower()
    start = parse_iso(e.start)
    end = parse_iso(e.end)
    if op == "gt":
        return start is not None and now > start
    if op == "lt":
        return end is not None and now < end
    if op == "in_range":
        if end is None and start is not None and e.duration:
            end = _add_duration(start, e.duration)
        if start is not None and now < start:
            return False
        return not (end is not None and now > end)
    if op == "date_spec":
        return date_spec_holds(now, e.date_spec)
    return False
