"""Read a whole Pacemaker CIB (configuration and status) into corral's model.

``read_cib(xml)`` returns ``(Config, Status)``. Input that is not XML or not a
CIB raises ParseError with a one-line reason; a CIB whose configuration is wrong
(dangling references, duplicate ids, bad scores or durations) raises
ValidationFailed listing every problem.

Attribute sets with rules are resolved here when the rule does not depend on a
node (see ``cib_rules``); time-based rules are evaluated at ``now`` (the CIB's
``execution-date`` unless given, else the current time).
"""

from __future__ import annotations

import time
from pathlib import Path

from lxml import etree

from corral.model import score as scores
from corral.model.config import (
    Clone,
    Config,
    Group,
    Node,
    Primitive,
    Resource,
    primitives_of,
)
from corral.model.errors import ConfigError, ParseError, ValidationFailed
from corral.model.status import Status
from corral.model.validate import validate
from corral.pacemaker.cib_constraints import Expansion, read_constraints, read_fencing
from corral.pacemaker.cib_resources import fold_defaults, read_resources, template_members
from corral.pacemaker.cib_rules import RuleContext, resolve_sets
from corral.pacemaker.cib_status import read_status
from corral.pacemaker.cib_xml import Doc, Element, is_true

_NODE_TYPES = {"normal": "member", "member": "member", "remote": "remote", "ping": "ping"}


def _parse_xml(xml: str | bytes) -> Element:
    data = xml.encode() if isinstance(xml, str) else xml
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise ParseError(f"not XML: {e.msg or e}".splitlines()[0]) from None
    except ValueError as e:
        raise ParseError(f"not XML: {e}".splitlines()[0]) from None
    if root is None:
        raise ParseError("not XML: empty document")
    if root.tag != "cib":
        raise ParseError(f"not a CIB: the root element is <{root.tag}>, not <cib>")
    if root.find("configuration") is None:
        raise ParseError("not a CIB: <cib> has no <configuration>")
    return root


def _now(root: Element, now: int | None) -> int:
    if now is not None:
        return now
    ed = root.get("execution-date")
    if ed is not None and ed.strip().isdigit():
        return int(ed)
    return int(time.time())


def _nodes(doc: Doc, section: Element | None) -> list[Node]:
    out: list[Node] = []
    if section is None:
        return out
    ctx = RuleContext(now=doc.now)
    for el in doc.children(section, "node"):
        nid = el.get("id", "")
        score = 0
        if el.get("score"):
            try:
                score = scores.parse(el.get("score"), element=nid, field="score")
            except ConfigError as e:
                doc.problems.items.append(e)
        out.append(
            Node(
                id=nid,
                uname=el.get("uname") or nid,
                type=_NODE_TYPES.get((el.get("type") or "member").lower(), el.get("type", "")),
                attributes=resolve_sets(doc, el, "instance_attributes", ctx),
                utilization=resolve_sets(doc, el, "utilization", ctx),
                score=score,
            )
        )
    return out


def _tags(doc: Doc, section: Element | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if section is None:
        return out
    for t in doc.children(section, "tag"):
        out[t.get("id", "")] = [r.get("id", "") for r in doc.children(t, "obj_ref")]
    return out


def _critical(cfg: Config) -> dict[str, bool]:
    """Each resource's ``critical`` meta, inherited from its parent and rsc_defaults."""
    out: dict[str, bool] = {}

    def walk(r: Resource, inherited: bool) -> None:
        v = r.meta.get("critical")
        mine = inherited if v is None else is_true(v)
        out[r.id] = mine
        if isinstance(r, Group):
            for c in r.children:
                walk(c, mine)
        elif isinstance(r, Clone):
            walk(r.child, mine)

    default = is_true(cfg.rsc_defaults.get("critical"), default=True)
    for r in cfg.resources:
        walk(r, default)
    return out


def read_config(doc: Doc) -> Config:
    conf = doc.root.find("configuration")
    assert conf is not None
    ctx = RuleContext(now=doc.now)
    cfg = Config()
    crm = conf.find("crm_config")
    if crm is not None:
        cfg.properties = resolve_sets(
            doc, crm, "cluster_property_set", ctx, first_id="cib-bootstrap-options"
        )
    rsc_def, op_def = conf.find("rsc_defaults"), conf.find("op_defaults")
    if rsc_def is not None:
        cfg.rsc_defaults = resolve_sets(doc, rsc_def, "meta_attributes", ctx)
    if op_def is not None:
        cfg.op_defaults = resolve_sets(doc, op_def, "meta_attributes", ctx)
    cfg.nodes = _nodes(doc, conf.find("nodes"))
    cfg.resources, cfg.bundles = read_resources(doc, conf.find("resources"), ctx)
    prims: list[Primitive] = [p for r in cfg.resources for p in primitives_of(r)]
    prims.extend(b.child for b in cfg.bundles if b.child is not None)
    fold_defaults(doc, prims, rsc_def, op_def, cfg.rsc_defaults, cfg.op_defaults)
    cfg.tags = _tags(doc, conf.find("tags"))
    members = template_members(cfg.resources, cfg.bundles)
    members.update(cfg.tags)
    (cfg.locations, cfg.colocations, cfg.orders, cfg.tickets) = read_constraints(
        doc, conf.find("constraints"), Expansion(members, _critical(cfg))
    )
    cfg.fencing_levels = read_fencing(doc, conf.find("fencing-topology"))
    return cfg


def read_cib(xml: str | bytes, *, now: int | None = None) -> tuple[Config, Status]:
    """A CIB's configuration and status. Raises ParseError or ValidationFailed."""
    root = _parse_xml(xml)
    doc = Doc.of(root, _now(root, now))
    cfg = read_config(doc)
    st = read_status(doc, cfg.nodes)
    problems = list(doc.problems.items)
    try:
        validate(cfg)
    except ValidationFailed as e:
        problems.extend(e.problems)
    if problems:
        raise ValidationFailed(problems)
    return cfg, st


def read_cib_file(path: str | Path, *, now: int | None = None) -> tuple[Config, Status]:
    """``read_cib`` on a file; a missing or unreadable file is a ParseError."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ParseError(f"cannot read {path}: {e.strerror or e}") from None
    return read_cib(data, now=now)
