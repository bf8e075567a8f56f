"""The resources as the scheduler works on them: a tree of primitives, groups and
clones, each carrying its meta attributes resolved the way Pacemaker resolves
them (the resource's own, then its parent's, then ``rsc_defaults``), its node
weights while it is being placed, and the node it is finally assigned to.

Pacemaker Explained, "Resource Meta-Attributes": ``priority`` (placed first
when not all can run), ``resource-stickiness`` (how much a resource prefers to
stay where it is; clones default to 1), ``target-role``, ``is-managed``,
``migration-threshold``, ``failure-timeout``. A clone's copies are *instances*
(``web:0``, ``web:1``); a cloned group's instances are groups (``grp:0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.model import score as scores
from corral.model.config import Clone, Config, Group, Primitive, Resource
from corral.scheduler.state import ROLE_STARTED, ROLE_STOPPED, ClusterState, InstanceState
from corral.scheduler.unpack import clone_is_unique

_TRUE = frozenset({"true", "on", "yes", "y", "1"})


def is_true(v: str | None, default: bool = False) -> bool:
    return default if v is None else v.strip().lower() in _TRUE


@dataclass(eq=False, slots=True)
class Coloc:
    """A colocation between two scheduler resources (``dependent`` with ``primary``)."""

    id: str
    dependent: Rsc
    primary: Rsc
    score: int
    dependent_role: str | None = None
    primary_role: str | None = None
    attribute: str = "#uname"
    influence: bool = True


@dataclass(eq=False, slots=True)
class Rsc:
    id: str
    kind: str  # primitive | group | clone
    config_id: str
    meta: dict[str, str]
    parent: Rsc | None = None
    children: list[Rsc] = field(default_factory=list)
    prim: Primitive | None = None
    inst: InstanceState | None = None
    priority: int = 0
    stickiness: int = 0
    # node -> weight; a node absent is not allowed at all
    allowed: dict[str, int] = field(default_factory=dict)
    assigned: str | None = None
    provisional: bool = True
    allocating: bool = False
    merging: bool = False
    role: str = ROLE_STOPPED  # current role
    next_role: str | None = None  # None: not decided
    target_role: str | None = None
    managed: bool = True
    this_with: list[Coloc] = field(default_factory=list)  # colocations where it is dependent
    with_this: list[Coloc] = field(default_factory=list)  # colocations where it is primary
    order_index: int = 0

    # -- navigation -------------------------------------------------------
    def primitives(self) -> list[Rsc]:
        if self.kind == "primitive":
            return [self]
        out: list[Rsc] = []
        for c in self.children:
            out.extend(c.primitives())
        return out

    @property
    def top(self) -> Rsc:
        r = self
        while r.parent is not None:
            r = r.parent
        return r

    @property
    def clone(self) -> Rsc | None:
        r = self.parent
        while r is not None:
            if r.kind == "clone":
                return r
            r = r.parent
        return None

    @property
    def current_nodes(self) -> list[str]:
        """Nodes where this resource (any of its primitives) is active now."""
        if self.inst is not None:
            return list(self.inst.active_on)
        seen: dict[str, None] = {}
        for p in self.primitives():
            if p.inst is not None:
                for n in p.inst.active_on:
                    seen[n] = None
        return list(seen)

    @property
    def current_node(self) -> str | None:
        nodes = self.current_nodes
        return nodes[0] if nodes else None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Rsc({self.id})"


@dataclass(slots=True)
class Tree:
    roots: list[Rsc]
    by_id: dict[str, Rsc]  # configuration ids (primitive, group, clone) and instance ids
    primitives: list[Rsc]  # every primitive instance, in configuration order


def _meta_int(meta: dict[str, str], name: str, default: int) -> int:
    v = meta.get(name)
    if v is None or not scores.is_score(v):
        return default
    return scores.parse(v)


def _finish(r: Rsc, in_clone: bool) -> None:
    r.priority = _meta_int(r.meta, "priority", 0)
    default_stick = 1 if in_clone else 0
    r.stickiness = _meta_int(r.meta, "resource-stickiness", default_stick)
    tr = r.meta.get("target-role")
    r.target_role = _norm_role(tr) if tr else None
    r.managed = is_true(r.meta.get("is-managed"), True)


def _norm_role(v: str) -> str:
    low = v.strip().lower()
    return {
        "master": "Promoted",
        "promoted": "Promoted",
        "slave": "Unpromoted",
        "unpromoted": "Unpromoted",
        "started": ROLE_STARTED,
        "stopped": ROLE_STOPPED,
    }.get(low, v.strip())


def build_tree(config: Config, state: ClusterState) -> Tree:
    defaults = dict(config.rsc_defaults)
    if "resource-stickiness" not in defaults:
        legacy = config.prop("default-resource-stickiness")
        if legacy is not None:
            defaults["resource-stickiness"] = legacy
    by_id: dict[str, Rsc] = {}
    roots: list[Rsc] = []
    prims: list[Rsc] = []

    def primitive(p: Primitive, inst_id: str, parent_meta: dict[str, str], in_clone: bool) -> Rsc:
        meta = {**parent_meta, **p.meta}
        r = Rsc(id=inst_id, kind="primitive", config_id=p.id, meta=meta, prim=p)
        r.inst = state.instances.get(inst_id)
        _finish(r, in_clone)
        if r.inst is not None:
            r.managed = r.managed and r.inst.managed
            if r.inst.active_on:
                r.role = next(iter(r.inst.active_on.values()))
        by_id[inst_id] = r
        prims.append(r)
        return r

    def group(
        g: Group, inst_id: str, suffix: str, parent_meta: dict[str, str], in_clone: bool
    ) -> Rsc:
        meta = {**parent_meta, **g.meta}
        r = Rsc(id=inst_id, kind="group", config_id=g.id, meta=meta)
        _finish(r, in_clone)
        by_id[inst_id] = r
        for m in g.children:
            c = primitive(m, m.id + suffix, meta, in_clone)
            c.parent = r
            r.children.append(c)
        return r

    def resource(res: Resource) -> Rsc | None:
        if isinstance(res, Primitive):
            return primitive(res, res.id, defaults, False)
        if isinstance(res, Group):
            return group(res, res.id, "", defaults, False)
        if isinstance(res, Clone):
            meta = {**defaults, **res.meta}
            if not clone_is_unique(res):
                # only OCF and fence agents can tell copies apart: others are
                # anonymous whatever globally-unique says (as unpack reads them)
                meta.pop("globally_unique", None)
                meta["globally-unique"] = "false"
            r = Rsc(id=res.id, kind="clone", config_id=res.id, meta=meta)
            _finish(r, True)
            by_id[res.id] = r
            for child_id in state.clone_children.get(res.id, []):
                suffix = child_id[child_id.rfind(":") :] if ":" in child_id else ""
                if isinstance(res.child, Group):
                    c = group(res.child, child_id, suffix, meta, True)
                else:
                    c = primitive(res.child, child_id, meta, True)
                c.parent = r
                r.children.append(c)
            by_id.setdefault(res.child.id, r)
            return r
        return None

    for res in config.resources:
        if isinstance(res, Primitive | Group | Clone):
            r = resource(res)
            if r is not None:
                roots.append(r)
    # resources only in the status (orphans): stopped wherever they run
    for inst in state.instances.values():
        if inst.id not in by_id and inst.orphan:
            p = Primitive(id=inst.primitive, cls="ocf", type="orphan")
            r = Rsc(id=inst.id, kind="primitive", config_id=inst.primitive, meta=dict(defaults))
            r.prim = p
            r.inst = inst
            _finish(r, False)
            r.managed = inst.managed
            if inst.active_on:
                r.role = next(iter(inst.active_on.values()))
            by_id[inst.id] = r
            prims.append(r)
            roots.append(r)
    for i, r in enumerate(roots):
        r.order_index = i
    return Tree(roots=roots, by_id=by_id, primitives=prims)
