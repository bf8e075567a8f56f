"""The ``<constraints>`` and ``<fencing-topology>`` sections.

Tags and templates named by a constraint are expanded here, as Pacemaker does
when it reads them: a location naming a tag (or a resource set) becomes one
location per member resource; a colocation, order or ticket naming a tag or a
template becomes a set-based constraint whose set holds the members
(``sequential=false``), the role or action moved onto the set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.model import score as scores
from corral.model.config import Colocation, FencingLevel, Location, Order, ResourceSet, Ticket
from corral.model.errors import ConfigError
from corral.pacemaker.cib_rules import rule_from_xml
from corral.pacemaker.cib_xml import Doc, Element, is_true, norm_role


@dataclass
class Expansion:
    """tag and template ids -> the resource ids they stand for."""

    members: dict[str, list[str]]
    # resource id -> its ``critical`` meta (default for a colocation's influence)
    critical: dict[str, bool] = field(default_factory=dict)

    def of(self, ref: str) -> list[str]:
        return self.members.get(ref, [ref])

    def is_group_ref(self, ref: str | None) -> bool:
        return ref is not None and ref in self.members


def _score(doc: Doc, el: Element, name: str = "score") -> int | None:
    v = el.get(name)
    if v is None:
        return None
    try:
        return scores.parse(v, element=el.get("id"), field=name)
    except ConfigError as e:
        doc.problems.items.append(e)
        return None


def _bool_or_none(v: str | None) -> bool | None:
    return None if v is None else is_true(v)


def read_set(doc: Doc, el: Element, exp: Expansion) -> ResourceSet:
    refs: list[str] = []
    for r in doc.children(el, "resource_ref"):
        rid = r.get("id")
        if rid:
            refs.extend(exp.of(rid))
    return ResourceSet(
        id=el.get("id", ""),
        resources=refs,
        sequential=is_true(el.get("sequential"), default=True),
        require_all=is_true(el.get("require-all"), default=True),
        role=norm_role(el.get("role")),
        action=el.get("action"),
        ordering=el.get("ordering"),
        score=_score(doc, el),
    )


def _tag_set(
    cid: str, ref: str, exp: Expansion, *, role: str | None = None, action: str | None = None
) -> ResourceSet:
    grouped = exp.is_group_ref(ref)
    return ResourceSet(
        id=f"{cid}-{ref}",
        resources=exp.of(ref),
        sequential=not grouped,
        role=role,
        action=action,
    )


def read_locations(doc: Doc, el: Element, exp: Expansion) -> list[Location]:
    cid = el.get("id", "")
    role = norm_role(el.get("role"))
    targets: list[tuple[str, str | None]] = []  # (rsc, role)
    rsc = el.get("rsc")
    if rsc is not None:
        targets.extend((r, role) for r in exp.of(rsc))
    for s in doc.children(el, "resource_set"):
        rs = read_set(doc, s, exp)
        targets.extend((r, rs.role or role) for r in rs.resources)
    rules = [rule_from_xml(r, doc) for r in doc.children(el, "rule")]
    common = {
        "node": el.get("node"),
        "score": _score(doc, el),
        "rsc_pattern": el.get("rsc-pattern"),
        "resource_discovery": el.get("resource-discovery") or "always",
    }
    if not targets:
        return [Location(id=cid, rsc=None, rules=rules, role=role, **common)]  # type: ignore[arg-type]
    out = []
    for rid, r_role in targets:
        lid = cid if len(targets) == 1 else f"{cid}-{rid}"
        out.append(Location(id=lid, rsc=rid, rules=list(rules), role=r_role, **common))  # type: ignore[arg-type]
    return out


def read_colocation(doc: Doc, el: Element, exp: Expansion) -> Colocation:
    cid = el.get("id", "")
    rsc, with_rsc = el.get("rsc"), el.get("with-rsc")
    rsc_role, with_role = norm_role(el.get("rsc-role")), norm_role(el.get("with-rsc-role"))
    sets = [read_set(doc, s, exp) for s in doc.children(el, "resource_set")]
    if rsc and with_rsc and (exp.is_group_ref(rsc) or exp.is_group_ref(with_rsc)):
        sets = [
            _tag_set(cid, rsc, exp, role=rsc_role),
            _tag_set(cid, with_rsc, exp, role=with_role),
        ]
        rsc = with_rsc = None
        rsc_role = with_role = None
    return Colocation(
        id=cid,
        rsc=rsc,
        with_rsc=with_rsc,
        score=_score(doc, el) or 0,
        rsc_role=rsc_role,
        with_rsc_role=with_role,
        node_attribute=el.get("node-attribute") or "#uname",
        sets=sets,
        influence=_influence(el.get("influence"), rsc, exp),
    )


def order_kind(kind: str | None, score: int | None) -> str:
    """``kind`` if given (case-normalised), else the legacy meaning of ``score``."""
    if kind:
        k = kind.strip().lower()
        return {"mandatory": "Mandatory", "optional": "Optional", "serialize": "Serialize"}.get(
            k, kind
        )
    if score is not None and score == 0:
        return "Optional"
    return "Mandatory"


_FALSE = frozenset({"false", "off", "no", "n", "0"})


def _influence(value: str | None, dependent: str | None, exp: Expansion) -> bool:
    """A valid boolean as given; otherwise the dependent's ``critical`` (default true)."""
    v = (value or "").strip().lower()
    if is_true(v):
        return True
    if v in _FALSE:
        return False
    return exp.critical.get(dependent or "", True)


def read_order(doc: Doc, el: Element, exp: Expansion) -> Order:
    cid = el.get("id", "")
    first, then = el.get("first"), el.get("then")
    first_action = el.get("first-action") or "start"
    then_action = el.get("then-action")
    sets = [read_set(doc, s, exp) for s in doc.children(el, "resource_set")]
    if first and then and (exp.is_group_ref(first) or exp.is_group_ref(then)):
        sets = [
            _tag_set(cid, first, exp, action=el.get("first-action")),
            _tag_set(cid, then, exp, action=then_action or el.get("first-action")),
        ]
        first = then = None
    sc = _score(doc, el)
    return Order(
        id=cid,
        first=first,
        then=then,
        first_action=first_action,
        then_action=then_action,
        kind=order_kind(el.get("kind"), sc),
        symmetrical=_bool_or_none(el.get("symmetrical")),
        score=sc,
        sets=sets,
        require_all=is_true(el.get("require-all"), default=True),
    )


def read_ticket(doc: Doc, el: Element, exp: Expansion) -> Ticket:
    cid = el.get("id", "")
    rsc = el.get("rsc")
    role = norm_role(el.get("rsc-role"))
    sets = [read_set(doc, s, exp) for s in doc.children(el, "resource_set")]
    if rsc and exp.is_group_ref(rsc):
        sets = [_tag_set(cid, rsc, exp, role=role)]
        rsc, role = None, None
    return Ticket(
        id=cid,
        ticket=el.get("ticket", ""),
        rsc=rsc,
        rsc_role=role,
        loss_policy=el.get("loss-policy") or "stop",
        sets=sets,
    )


def read_constraints(
    doc: Doc, section: Element | None, exp: Expansion
) -> tuple[list[Location], list[Colocation], list[Order], list[Ticket]]:
    locs: list[Location] = []
    cols: list[Colocation] = []
    ords: list[Order] = []
    ticks: list[Ticket] = []
    if section is None:
        return locs, cols, ords, ticks
    for el in section:
        if not isinstance(el.tag, str):
            continue
        d = doc.deref(el)
        if d is None:
            continue
        if d.tag == "rsc_location":
            locs.extend(read_locations(doc, d, exp))
        elif d.tag == "rsc_colocation":
            cols.append(read_colocation(doc, d, exp))
        elif d.tag == "rsc_order":
            ords.append(read_order(doc, d, exp))
        elif d.tag == "rsc_ticket":
            ticks.append(read_ticket(doc, d, exp))
    return locs, cols, ords, ticks


def read_fencing(doc: Doc, section: Element | None) -> list[FencingLevel]:
    out: list[FencingLevel] = []
    if section is None:
        return out
    for el in doc.children(section, "fencing-level"):
        lid = el.get("id", "")
        try:
            index = int(el.get("index", ""))
        except ValueError:
            doc.problems.add(
                f"index {el.get('index')!r} is not a number",
                element=lid,
                field="index",
                code="bad-value",
            )
            continue
        out.append(
            FencingLevel(
                id=lid,
                index=index,
                devices=[d for d in (el.get("devices") or "").split(",") if d],
                target=el.get("target"),
                target_pattern=el.get("target-pattern"),
                target_attribute=el.get("target-attribute"),
                target_value=el.get("target-value"),
            )
        )
    return out
