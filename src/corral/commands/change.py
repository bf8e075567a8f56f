"""Every configuration change goes the same way (pcs's command library): read the
configuration at one revision, apply a pure edit to a copy, collect every
problem (the edit's own, the agents', the whole new configuration's), and only
then write the difference in one transaction that compares the revision read.

An edit is a function ``(config, problems) -> result``: it changes ``config`` in
place, adds what is wrong with its input to ``problems`` and returns whatever the
command wants to report (the ids it created, ...). It does no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from corral.commands.catalog import AgentCatalog, check_primitive
from corral.commands.config_store import ConfigRead, read_config, write_config
from corral.model import jsonform, process_params
from corral.model.config import Config, Primitive, iter_resources
from corral.model.errors import ConfigError, Problems, ValidationFailed
from corral.model.validate import validate
from corral.store.base import Op, Store

T = TypeVar("T")
Edit = Callable[[Config, Problems], T]


@dataclass(frozen=True, slots=True)
class Changed(Generic[T]):
    """What a change did: the edit's result and the revision of the write (the revision
    read if nothing needed writing)."""

    value: T
    revision: int
    written: bool


def all_ids(config: Config) -> dict[str, str]:
    """Every id of the configuration that must be unique (resources, bundles and
    constraints share one space, as in the CIB) -> what it is."""
    out: dict[str, str] = {}
    for r in iter_resources(config.resources):
        out.setdefault(r.id, r.kind)
    for b in config.bundles:
        out.setdefault(b.id, "bundle")
    for d in config.fence_devices:
        out.setdefault(d.id, "fence device")
    for kind, items in (
        ("location", config.locations),
        ("colocation", config.colocations),
        ("order", config.orders),
        ("ticket", config.tickets),
    ):
        for c in items:
            out.setdefault(c.id, kind)
    return out


def _problems(config: Config) -> list[ConfigError]:
    p = Problems()
    try:
        validate(config)
    except ValidationFailed as e:
        p.items.extend(e.problems)
    seen: dict[str, str] = {}
    for ident, kind in _id_kinds(config):
        if ident in seen and seen[ident] != kind:
            p.add(
                f"is both a {seen[ident]} and a {kind}",
                element=ident,
                field="id",
                code="duplicate-id",
            )
        seen.setdefault(ident, kind)
    return p.items


def _id_kinds(config: Config) -> list[tuple[str, str]]:
    out = [(r.id, "resource") for r in iter_resources(config.resources)]
    out += [(b.id, "resource") for b in config.bundles]
    out += [(d.id, "resource") for d in config.fence_devices]
    for items in (config.locations, config.colocations, config.orders, config.tickets):
        out += [(c.id, "constraint") for c in items]
    return out


def _text(e: ConfigError) -> str:
    """The message without its ``element.field: `` prefix."""
    where = ""
    if e.element is not None:
        where = e.element + (f".{e.field}" if e.field else "") + ": "
    return e.message.removeprefix(where)


def _key(e: ConfigError) -> tuple[str, str]:
    return e.code, e.message


def new_problems(old: Config, new: Config) -> list[ConfigError]:
    """The problems of ``new`` that ``old`` did not have: a change is refused for what it
    breaks, not for what was already there."""
    before = {_key(e) for e in _problems(old)}
    return [e for e in _problems(new) if _key(e) not in before]


def changed_primitives(old: Config, new: Config) -> list[Primitive]:
    """The primitives of ``new`` that are new or whose agent, parameters or operation
    names changed."""

    def what(r: Primitive) -> tuple[object, ...]:
        return (r.cls, r.provider, r.type, r.instance, sorted(o.name for o in r.ops))

    was = {r.id: what(r) for r in iter_resources(old.resources) if isinstance(r, Primitive)}
    return [
        r
        for r in iter_resources(new.resources)
        if isinstance(r, Primitive) and was.get(r.id) != what(r)
    ]


async def check_change(
    read: Config, new: Config, p: Problems, catalog: AgentCatalog | None
) -> None:
    """Add to ``p`` the agents' problems of what changed (``process`` resources are
    checked here, other classes through ``catalog`` when there is one) and the whole
    configuration's new problems."""
    for prim in changed_primitives(read, new):
        if prim.cls == "process":
            process_params.check(p, prim.instance, element=prim.id)
        elif catalog is not None:
            await check_primitive(p, catalog, prim)
    p.items.extend(new_problems(read, new))


async def apply_change(
    store: Store,
    cluster: str,
    edit: Edit[T],
    *,
    change: str,
    catalog: AgentCatalog | None = None,
    extra: Callable[[ConfigRead, Config], Sequence[Op]] | None = None,
) -> Changed[T]:
    """Read, edit a copy, validate everything, write once. Raises ``ValidationFailed``
    with every problem (nothing written) or ``ConflictError`` on a concurrent change."""
    read = await read_config(store, cluster)
    new = copy.deepcopy(read.config)
    p = Problems()
    value = edit(new, p)
    checks = Problems()
    await check_change(read.config, new, checks, catalog)
    # the edit's own problems come first; the same problem seen again by the whole-config
    # checks (under the element's id rather than the words typed) is not repeated
    seen = {(e.code, e.element) for e in p.items} | {(e.code, _text(e)) for e in p.items}
    p.items.extend(
        e
        for e in checks.items
        if (e.code, e.element) not in seen and (e.code, _text(e)) not in seen
    )
    p.raise_if_any()
    ops = list(extra(read, new)) if extra is not None else []
    same = jsonform.to_documents(new) == jsonform.to_documents(read.config)
    if same and not ops:
        return Changed(value, read.revision, False)
    revision = await write_config(store, read, new, change=change, extra=ops)
    return Changed(value, revision, True)


__all__ = [
    "Changed",
    "Edit",
    "all_ids",
    "apply_change",
    "changed_primitives",
    "check_change",
    "new_problems",
]
