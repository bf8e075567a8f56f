"""Rules in a CIB: reading them into the model, and evaluating the ones that pick
attribute sets (cluster properties, defaults, resource attributes).

Pacemaker's rule for attribute sets: sets are taken in order of their ``score``
(highest first; between equal scores the *later* set in the document comes
first, as crm_simulate shows; ``cib-bootstrap-options`` first for cluster
properties); a set applies when it has no rule or any of its rules
passes; the first set that names an attribute gives its value. Node-dependent
expressions are tested against no node attributes at all, as Pacemaker does when
it reads the configuration (``defined`` fails, ``ne`` passes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.model import score as scores
from corral.model.config import Attrs, DateExpression, Expression, Rule
from corral.model.durations import try_parse_ms
from corral.model.errors import ConfigError
from corral.pacemaker.cib_xml import Doc, Element, norm_role
from corral.scheduler.dates import date_holds


@dataclass(frozen=True)
class RuleContext:
    now: int
    node_attrs: dict[str, str] = field(default_factory=dict)
    rsc: tuple[str | None, str | None, str | None] | None = None  # class, provider, type
    op: tuple[str, int] | None = None  # name, interval ms


def _score(el: Element, name: str, doc: Doc) -> int | None:
    v = el.get(name)
    if v is None:
        return None
    try:
        return scores.parse(v, element=el.get("id"), field=name)
    except ConfigError as e:
        doc.problems.items.append(e)
        return None


def rule_from_xml(el: Element, doc: Doc) -> Rule:
    """A ``<rule>`` (already dereferenced) as the model's Rule."""
    exprs: list[Expression | DateExpression | Rule] = []
    for c in doc.children(el, "expression", "date_expression", "rule"):
        if c.tag == "rule":
            exprs.append(rule_from_xml(c, doc))
        elif c.tag == "expression":
            exprs.append(
                Expression(
                    id=c.get("id", ""),
                    attribute=c.get("attribute", ""),
                    operation=c.get("operation", "eq"),
                    value=c.get("value"),
                    type=c.get("type"),
                    value_source=c.get("value-source", "literal"),
                )
            )
        else:
            exprs.append(_date_expr(c))
    return Rule(
        id=el.get("id", ""),
        score=_score(el, "score", doc),
        score_attribute=el.get("score-attribute"),
        boolean_op=(el.get("boolean-op") or "and").lower(),
        role=norm_role(el.get("role")),
        expressions=exprs,
    )


def _attrs_of(el: Element | None) -> Attrs:
    if el is None:
        return {}
    return {k: v for k, v in el.attrib.items() if k != "id"}


def _date_expr(c: Element) -> DateExpression:
    return DateExpression(
        id=c.get("id", ""),
        operation=c.get("operation", "in_range"),
        start=c.get("start"),
        end=c.get("end"),
        duration=_attrs_of(c.find("duration")),
        date_spec=_attrs_of(c.find("date_spec")),
    )


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _version(text: str) -> tuple[int, ...]:
    out = []
    for p in text.split("."):
        try:
            out.append(int(p))
        except ValueError:
            out.append(0)
    return tuple(out)


def compare(have: str | None, op: str, value: str | None, typ: str | None) -> bool:
    """Pacemaker's attribute expression test of ``have`` (the node's value)."""
    op = op.lower()
    if op == "defined":
        return have is not None
    if op == "not_defined":
        return have is None
    if have is None or value is None:
        cmp = 0 if have is None and value is None else (1 if value is None else -1)
    else:
        t = (typ or "").lower()
        if not t:
            if op in ("lt", "lte", "gt", "gte"):
                t = "number" if "." in have or "." in value else "integer"
            else:
                t = "string"
        cmp = _cmp_typed(have, value, t)
    return {
        "eq": cmp == 0,
        "ne": cmp != 0,
        "lt": cmp < 0,
        "lte": cmp <= 0,
        "gt": cmp > 0,
        "gte": cmp >= 0,
    }.get(op, False)


def _cmp_typed(a: str, b: str, t: str) -> int:
    if t in ("integer", "int", "number"):
        x, y = _num(a), _num(b)
        if x is not None and y is not None:
            if t != "number":
                x, y = float(int(x)), float(int(y))
            return (x > y) - (x < y)
    elif t == "version":
        va, vb = _version(a), _version(b)
        return (va > vb) - (va < vb)
    al, bl = a.lower(), b.lower()
    return (al > bl) - (al < bl)


def eval_rule(rule: Rule, ctx: RuleContext) -> bool:
    """Evaluate a model Rule against the context's node attributes and time."""
    results = (_eval_item(x, ctx) for x in rule.expressions)
    if rule.boolean_op == "or":
        return any(results) if rule.expressions else True
    return all(results)


def _eval_item(x: Expression | DateExpression | Rule, ctx: RuleContext) -> bool:
    if isinstance(x, Rule):
        return eval_rule(x, ctx)
    if isinstance(x, DateExpression):
        return date_holds(x, ctx.now)
    return compare(ctx.node_attrs.get(x.attribute), x.operation, x.value, x.type)


def eval_rule_xml(el: Element, doc: Doc, ctx: RuleContext) -> bool:
    """Evaluate a ``<rule>`` element, including rsc_expression and op_expression."""
    results: list[bool] = []
    for c in el:
        if not isinstance(c.tag, str):
            continue
        d = doc.deref(c)
        if d is None:
            results.append(False)
            continue
        if d.tag == "rule":
            results.append(eval_rule_xml(d, doc, ctx))
        elif d.tag == "expression":
            results.append(
                compare(
                    ctx.node_attrs.get(d.get("attribute", "")),
                    d.get("operation", "eq"),
                    d.get("value"),
                    d.get("type"),
                )
            )
        elif d.tag == "date_expression":
            results.append(date_holds(_date_expr(d), ctx.now))
        elif d.tag == "rsc_expression":
            results.append(_rsc_matches(d, ctx))
        elif d.tag == "op_expression":
            results.append(_op_matches(d, ctx))
    if (el.get("boolean-op") or "and").lower() == "or":
        return any(results) if results else True
    return all(results)


def _rsc_matches(d: Element, ctx: RuleContext) -> bool:
    if ctx.rsc is None:
        return False
    for name, have in zip(("class", "provider", "type"), ctx.rsc, strict=True):
        want = d.get(name)
        if want is not None and want != have:
            return False
    return True


def _op_matches(d: Element, ctx: RuleContext) -> bool:
    if ctx.op is None:
        return False
    name, interval = ctx.op
    if d.get("name") is not None and d.get("name") != name:
        return False
    want = d.get("interval")
    return want is None or try_parse_ms(want) == interval


def set_applies(set_el: Element, doc: Doc, ctx: RuleContext) -> bool:
    rules = doc.children(set_el, "rule")
    return not rules or any(eval_rule_xml(r, doc, ctx) for r in rules)


def resolve_sets(
    doc: Doc,
    parent: Element,
    tag: str,
    ctx: RuleContext,
    first_id: str | None = None,
) -> Attrs:
    """Merge the ``tag`` attribute sets of ``parent`` as Pacemaker does (see module doc)."""
    sets = doc.children(parent, tag)
    return resolve_set_list(doc, sets, ctx, first_id)


def resolve_set_list(
    doc: Doc, sets: list[Element], ctx: RuleContext, first_id: str | None = None
) -> Attrs:
    def key(i_el: tuple[int, Element]) -> tuple[int, int, int]:
        i, el = i_el
        first = 0 if first_id is not None and el.get("id") == first_id else 1
        try:
            s = scores.parse(el.get("score")) if el.get("score") else 0
        except ConfigError:
            s = 0
        return (first, -s, -i)

    out: Attrs = {}
    for _, s in sorted(enumerate(sets), key=key):
        if not set_applies(s, doc, ctx):
            continue
        for nv in doc.children(s, "nvpair"):
            name, value = nv.get("name"), nv.get("value")
            if name is not None and value is not None and name not in out:
                out[name] = value
    return out
