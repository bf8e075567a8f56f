"""Finding and removing resources in the configuration's tree (top-level resources,
group members, clone children) and the constraints that name them. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from corral.model.config import (
    Clone,
    Colocation,
    Config,
    Group,
    Location,
    Order,
    Primitive,
    Resource,
    ResourceSet,
    Ticket,
    iter_resources,
)
from corral.model.errors import Problems

Constraint = Location | Colocation | Order | Ticket


@dataclass(slots=True)
class Found:
    """A resource and where it sits: ``parent`` is its group or clone (None: top level)."""

    resource: Resource
    parent: Group | Clone | None
    top: Resource  # the top-level resource it belongs to


def find(config: Config, ident: str) -> Found | None:
    for top in config.resources:
        if top.id == ident:
            return Found(top, None, top)
        for r in iter_resources([top])[1:]:
            if r.id == ident:
                return Found(r, parent_of(top, ident), top)
    return None


def parent_of(top: Resource, ident: str) -> Group | Clone | None:
    if isinstance(top, Group):
        return top if any(c.id == ident for c in top.children) else None
    if isinstance(top, Clone):
        if top.child.id == ident:
            return top
        return parent_of(top.child, ident)
    return None


def require(p: Problems, config: Config, ident: str, *, field: str = "rsc") -> Found | None:
    """The resource, or a ``not-found`` problem."""
    found = find(config, ident)
    if found is None:
        p.add(f"there is no resource {ident!r}", element=ident, field=field, code="not-found")
    return found


def descendants(r: Resource) -> list[Resource]:
    return iter_resources([r])


def ancestors(config: Config, ident: str) -> list[Group | Clone]:
    out: list[Group | Clone] = []
    found = find(config, ident)
    while found is not None and found.parent is not None:
        out.append(found.parent)
        found = find(config, found.parent.id)
    return out


def primitive_ids(r: Resource) -> list[str]:
    return [x.id for x in descendants(r) if isinstance(x, Primitive)]


def constraints(config: Config) -> list[Constraint]:
    return [*config.locations, *config.colocations, *config.orders, *config.tickets]


def remove_resource(config: Config, ident: str) -> list[str]:
    """Remove a resource (with its children; a group left empty and a clone left without
    its child go too). Returns every resource id removed."""
    found = find(config, ident)
    if found is None:
        return []
    removed = [r.id for r in descendants(found.resource)]
    parent = found.parent
    if parent is None:
        config.resources = [r for r in config.resources if r.id != ident]
    elif isinstance(parent, Group):
        parent.children = [c for c in parent.children if c.id != ident]
        if not parent.children:
            removed += remove_resource(config, parent.id)
    else:  # a clone's only child
        removed += [x for x in remove_resource(config, parent.id) if x not in removed]
    return removed


def _prune_sets(sets: list[ResourceSet], gone: set[str]) -> list[ResourceSet]:
    out = []
    for s in sets:
        s.resources = [r for r in s.resources if r not in gone]
        if s.resources:
            out.append(s)
    return out


def remove_references(config: Config, gone: set[str]) -> list[str]:
    """Drop the constraints that name a removed resource (from a resource set, just the
    name; a set left empty goes, and a constraint left with nothing goes). Returns the ids
    of the constraints removed."""
    dropped: list[str] = []

    def keep(c: Constraint, refs: list[str | None], had_sets: bool) -> bool:
        if any(r in gone for r in refs if r is not None):
            dropped.append(c.id)
            return False
        if had_sets and not getattr(c, "sets", None) and all(r is None for r in refs):
            dropped.append(c.id)
            return False
        return True

    locs = []
    for loc in config.locations:
        if keep(loc, [loc.rsc], False):
            locs.append(loc)
    config.locations = locs
    cols = []
    for col in config.colocations:
        had = bool(col.sets)
        col.sets = _prune_sets(col.sets, gone)
        if keep(col, [col.rsc, col.with_rsc], had):
            cols.append(col)
    config.colocations = cols
    orders = []
    for o in config.orders:
        had = bool(o.sets)
        o.sets = _prune_sets(o.sets, gone)
        if keep(o, [o.first, o.then], had):
            orders.append(o)
    config.orders = orders
    tickets = []
    for t in config.tickets:
        had = bool(t.sets)
        t.sets = _prune_sets(t.sets, gone)
        if keep(t, [t.rsc], had):
            tickets.append(t)
    config.tickets = tickets
    for tag, members in list(config.tags.items()):
        config.tags[tag] = [m for m in members if m not in gone]
    return dropped


def unique_id(taken: set[str] | dict[str, str], base: str) -> str:
    """``base``, or ``base-1``, ``base-2``, ... whichever is free."""
    if base not in taken:
        return base
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def sanitize_id(text: str) -> str:
    """A valid id made from free text (used to build constraint ids from node names)."""
    out = "".join(ch if ch.isalnum() or ch in "_.-" else "-" for ch in text)
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    return out


__all__ = [
    "Constraint",
    "Found",
    "ancestors",
    "constraints",
    "descendants",
    "find",
    "parent_of",
    "primitive_ids",
    "remove_references",
    "remove_resource",
    "require",
    "sanitize_id",
    "unique_id",
]
