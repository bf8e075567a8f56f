"""Constraint commands: location (prefers/avoids), colocation, order, list, delete.
The words after the sub-command are parsed as pcs does (see
``corral.commands.constraint_edits``); each change is validated whole and written in
one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corral.commands import constraint_edits
from corral.commands.change import Changed, apply_change
from corral.commands.config_store import DEFAULT_CLUSTER, load_config
from corral.model import jsonform
from corral.model.config import Colocation, Location, Order, Ticket
from corral.store.base import Store


async def add_location(
    store: Store, words: list[str], *, cluster: str = DEFAULT_CLUSTER
) -> Changed[list[str]]:
    """``RSC prefers|avoids NODE[=SCORE] ...``. Value: the ids of the constraints made."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.location(c, p, words),
        change="constraint location " + " ".join(words),
    )


async def add_colocation(
    store: Store, words: list[str], *, cluster: str = DEFAULT_CLUSTER
) -> Changed[str | None]:
    """``[ROLE] A with [ROLE] B [SCORE] [options]``. Value: the constraint's id."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.colocation(c, p, words),
        change="constraint colocation add " + " ".join(words),
    )


async def add_order(
    store: Store, words: list[str], *, cluster: str = DEFAULT_CLUSTER
) -> Changed[str | None]:
    """``[ACTION] A then [ACTION] B [kind=...] [options]``. Value: the constraint's id."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.order(c, p, words),
        change="constraint order " + " ".join(words),
    )


async def delete_constraints(
    store: Store, ids: list[str], *, cluster: str = DEFAULT_CLUSTER
) -> Changed[list[str]]:
    """Delete constraints by id (all or nothing: an unknown id is ``not-found``)."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.delete(c, p, ids),
        change="constraint delete " + " ".join(ids),
    )


@dataclass(frozen=True, slots=True)
class ConstraintList:
    locations: list[Location]
    colocations: list[Colocation]
    orders: list[Order]
    tickets: list[Ticket]
    revision: int

    def to_json(self) -> dict[str, Any]:
        """``{"locations": [...], "colocations": [...], "orders": [...], "tickets": [...],
        "revision": R}`` in the model's JSON form."""
        return {
            "locations": [jsonform.to_json(c) for c in self.locations],
            "colocations": [jsonform.to_json(c) for c in self.colocations],
            "orders": [jsonform.to_json(c) for c in self.orders],
            "tickets": [jsonform.to_json(c) for c in self.tickets],
            "revision": self.revision,
        }


async def list_constraints(
    store: Store, *, cluster: str = DEFAULT_CLUSTER, rsc: str | None = None
) -> ConstraintList:
    """Every constraint (or those naming ``rsc``), at one revision."""
    config, revision = await load_config(store, cluster)

    def names(c: Location | Colocation | Order | Ticket) -> set[str | None]:
        refs: set[str | None] = set()
        for attr in ("rsc", "with_rsc", "first", "then"):
            refs.add(getattr(c, attr, None))
        for s in getattr(c, "sets", []):
            refs.update(s.resources)
        return refs

    def keep(items: list[Any]) -> list[Any]:
        return [c for c in items if rsc is None or rsc in names(c)]

    return ConstraintList(
        keep(config.locations),
        keep(config.colocations),
        keep(config.orders),
        keep(config.tickets),
        revision,
    )


__all__ = [
    "ConstraintList",
    "add_colocation",
    "add_location",
    "add_order",
    "delete_constraints",
    "list_constraints",
]
