"""The saved inputs of the controller's transitions, for replay (``corral simulate
--transition N``).

The leading controller saves, before running transition ``n``, what it gave the
scheduler under ``/corral/<cluster>/transitions/<n, 8 digits>`` (see
``corral/controller/keys.py``)::

    {"n": 42, "revision": 1234, "time": 1718000000.5, "now": 1718000000,
     "config": {...jsonform...}, "status": {...Status...}, "actions": ["start web on n2", ...]}

It keeps the last few; this module lists them and loads one back into the model's
``Config`` and ``Status``, so the scheduler can be run again on exactly that input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corral.commands.config_store import cluster_prefix
from corral.model import jsonform
from corral.model.config import Config
from corral.model.errors import NotFound, ParseError
from corral.model.status import Status
from corral.store.base import KeyValue, Store


@dataclass(frozen=True, slots=True)
class SavedTransition:
    n: int
    revision: int  # the store revision the controller read its snapshot at
    time: float  # when it was planned (epoch seconds)
    now: int  # the "now" the scheduler was given
    config: Config
    status: Status
    actions: list[str]  # what the controller planned, in words


def transitions_prefix(cluster: str) -> str:
    return cluster_prefix(cluster) + "transitions/"


def transition_key(cluster: str, n: int) -> str:
    return f"{transitions_prefix(cluster)}{n:08d}"


def _doc(kv: KeyValue) -> dict[str, Any]:
    try:
        doc = kv.json()
    except ValueError as e:
        raise ParseError(f"{kv.key}: not JSON ({e})", code="bad-json") from None
    if not isinstance(doc, dict):
        raise ParseError(f"{kv.key}: not a saved transition", code="bad-json")
    return doc


def decode_saved(doc: dict[str, Any], *, where: str = "transition") -> SavedTransition:
    """A saved transition document -> its model objects (``ParseError`` if malformed)."""
    try:
        config = jsonform.config_from_json(doc["config"])
        status = jsonform.from_json(Status, doc["status"], where=f"{where}.status")
        return SavedTransition(
            n=int(doc["n"]),
            revision=int(doc.get("revision", 0)),
            time=float(doc.get("time", 0.0)),
            now=int(doc["now"]),
            config=config,
            status=status,
            actions=[str(a) for a in doc.get("actions") or []],
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ParseError(f"{where}: not a saved transition ({e})", code="bad-json") from None


async def load_transition(store: Store, n: int, *, cluster: str) -> SavedTransition:
    """The saved input of transition ``n`` (``NotFound`` if it was never saved or is
    older than the ones kept)."""
    kv = await store.get(transition_key(cluster, n))
    if kv is None:
        kept = [t["n"] for t in await list_transitions(store, cluster=cluster)]
        have = f"kept: {kept[0]}..{kept[-1]}" if kept else "none saved"
        raise NotFound(f"no saved input of transition {n} in cluster {cluster!r} ({have})")
    return decode_saved(_doc(kv), where=kv.key)


async def list_transitions(store: Store, *, cluster: str) -> list[dict[str, Any]]:
    """The saved transitions, oldest first: ``{"n", "time", "revision", "actions"}``."""
    snap = await store.range(transitions_prefix(cluster))
    out = []
    for kv in snap:
        doc = _doc(kv)
        out.append(
            {
                "n": int(doc.get("n", 0)),
                "time": doc.get("time"),
                "revision": doc.get("revision"),
                "actions": list(doc.get("actions") or []),
            }
        )
    return sorted(out, key=lambda t: t["n"])


__all__ = [
    "SavedTransition",
    "decode_saved",
    "list_transitions",
    "load_transition",
    "transition_key",
    "transitions_prefix",
]
