"""The configuration in the store: where it lives, how to read it at one revision
and how to write a change of it in one compare-and-swap transaction.

Layout, under ``/corral/<cluster>/``::

    config/<kind>/<id>        one object's JSON (corral.model.jsonform), plus
                              "_position": its place among the objects of its kind
    config/properties/<set>   {"name": "value", ...} for cluster | rsc_defaults | op_defaults
    config/_generation        {"generation": N, "change": "resource create web", "time": T}

Kinds: ``nodes``, ``resources`` (top-level: primitive, group, clone), ``locations``,
``colocations``, ``orders``, ``tickets``, ``fencing-levels``, ``fence-devices``,
``bundles``, ``tags``, ``properties``. Ids in keys are percent-encoded (``/``, ``%``
and anything outside letters, digits and ``_.-``); the document holds the id as it is. Keys under
``config/`` of any other kind are left alone by ``load_config`` (another
feature's), and a write keeps them.

``config/_generation`` is the guard: every write of the configuration puts it, in
the same transaction, and compares its ``mod_revision`` with the one read. So a
change made by anyone between a command's read and its write makes the write fail
(``ConflictError``, code ``conflict``) instead of overwriting it. Anyone who writes
``config/`` must do the same (``write_config`` does; ``guard_ops`` gives the
compare and put for a hand-made transaction).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corral.model import config_docs, jsonform
from corral.model.cluster import DEFAULT_CLUSTER
from corral.model.config import Config
from corral.model.errors import ConflictError, CorralError
from corral.store.base import Compare, Delete, Get, KeyValue, Op, Put, Snapshot, Store

GUARD = "_generation"
POSITION = config_docs.POSITION


def cluster_prefix(cluster: str) -> str:
    """``/corral/<cluster>/``: every key of one cluster starts with it."""
    if not cluster or "/" in cluster:
        raise CorralError(f"{cluster!r} is not a cluster name", code="bad-cluster")
    return f"/corral/{cluster}/"


def config_prefix(cluster: str) -> str:
    return cluster_prefix(cluster) + "config/"


def guard_key(cluster: str) -> str:
    return config_prefix(cluster) + GUARD


def object_key(cluster: str, kind: str, ident: str) -> str:
    return config_prefix(cluster) + config_docs.object_path(kind, ident)


def encode(doc: Any) -> bytes:
    """The bytes a document is stored as (compact, key-sorted: equal documents, equal bytes)."""
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True, slots=True)
class ConfigRead:
    """The configuration as read at one store revision, with what a write needs."""

    cluster: str
    config: Config
    revision: int
    keys: dict[str, KeyValue]  # every key under config/ as read (full key -> kv)
    generation: int  # the guard's generation (0: never written)
    guard_revision: int  # the guard's mod_revision (0: absent)


def _split_key(prefix: str, key: str) -> tuple[str, str] | None:
    return config_docs.split_path(key[len(prefix) :])


def decode_config(snapshot: Snapshot | Sequence[KeyValue], cluster: str) -> Config:
    """The ``Config`` held by the ``config/`` keys among ``snapshot`` (other keys ignored;
    see ``corral.model.config_docs.decode``)."""
    prefix = config_prefix(cluster)
    return config_docs.decode(
        ((kv.key[len(prefix) :], kv.value) for kv in snapshot if kv.key.startswith(prefix)),
        prefix=prefix,
    )


async def read_config(store: Store, cluster: str = DEFAULT_CLUSTER) -> ConfigRead:
    """Read the whole configuration at one revision (one ``range``)."""
    snap = await store.range(config_prefix(cluster))
    keys = snap.as_dict()
    guard = keys.get(guard_key(cluster))
    generation = 0
    if guard is not None:
        try:
            generation = int(guard.json().get("generation", 0))
        except (ValueError, AttributeError, TypeError):
            generation = 0
    return ConfigRead(
        cluster=cluster,
        config=decode_config(snap, cluster),
        revision=snap.revision,
        keys=keys,
        generation=generation,
        guard_revision=guard.mod_revision if guard is not None else 0,
    )


async def load_config(
    store: Store, cluster: str = DEFAULT_CLUSTER, *, at_revision: int | None = None
) -> tuple[Config, int]:
    """The configuration and the store revision it was read at (one consistent range)."""
    snap = await store.range(config_prefix(cluster), at_revision=at_revision)
    return decode_config(snap, cluster), snap.revision


def _positions(
    read: ConfigRead, new_docs: dict[tuple[str, str], Any]
) -> dict[tuple[str, str], int]:
    """A position for every new document: an object keeps the one it had when that still
    follows the one before it, else it gets the next; so a change rewrites only the
    objects it touches (plus any it moved)."""
    old: dict[tuple[str, str], int] = {}
    prefix = config_prefix(read.cluster)
    for key, kv in read.keys.items():
        split = _split_key(prefix, key)
        if split is None or split[0] == "properties":
            continue
        try:
            pos = config_docs.position_of(kv.json())
        except ValueError:
            continue
        if pos is not None:
            old[split] = pos
    out: dict[tuple[str, str], int] = {}
    last: dict[str, int] = {}
    for kind, ident in new_docs:
        if kind == "properties":
            continue
        before = last.get(kind, -1)
        pos = old.get((kind, ident))
        if pos is None or pos <= before:
            pos = before + 1
        out[(kind, ident)] = pos
        last[kind] = pos
    return out


def guard_ops(read: ConfigRead, change: str) -> tuple[Compare, Put]:
    """The compare (nobody wrote the configuration since ``read``) and the guard put that
    every configuration write carries."""
    key = guard_key(read.cluster)
    doc = {"generation": read.generation + 1, "change": change, "time": round(time.time(), 3)}
    return Compare.mod_revision(key, "==", read.guard_revision), Put(key, encode(doc))


def plan_write(read: ConfigRead, new: Config) -> list[Op]:
    """The puts and deletes that turn ``read``'s configuration into ``new``: only the
    documents that differ. Keys of kinds this module does not know are kept."""
    docs = jsonform.to_documents(new)
    positions = _positions(read, docs)
    ops: list[Op] = []
    wanted: set[str] = set()
    for (kind, ident), doc in docs.items():
        if kind != "properties":
            doc = {**doc, POSITION: positions[(kind, ident)]}
        key = object_key(read.cluster, kind, ident)
        wanted.add(key)
        value = encode(doc)
        kv = read.keys.get(key)
        if kv is None or kv.value != value:
            ops.append(Put(key, value))
    prefix = config_prefix(read.cluster)
    for key in read.keys:
        split = _split_key(prefix, key)
        if split is None or split[0] not in jsonform.KINDS:
            continue
        if key not in wanted:
            ops.append(Delete(key))
    return ops


async def write_config(
    store: Store,
    read: ConfigRead,
    new: Config,
    *,
    change: str,
    extra: Sequence[Op] = (),
) -> int:
    """Write ``new`` over ``read`` in one transaction that holds only if nobody changed the
    configuration since ``read``; returns the revision of the write (``read.revision`` if
    nothing differs). ``extra`` ops ride along in the same transaction.

    Raises ``ConflictError`` (code ``conflict``) on a concurrent change, and
    ``CorralError`` (code ``change-too-large``) when the change needs more operations than
    the store takes in one transaction."""
    ops = plan_write(read, new)
    if not ops and not extra:
        return read.revision
    compare, guard_put = guard_ops(read, change)
    success: list[Op] = [*ops, *extra, guard_put]
    limit = store.limits.max_txn_ops
    if len(success) > limit:
        raise CorralError(
            f"this change writes {len(success)} keys, more than the store takes in one "
            f"transaction ({limit}; for etcd raise --max-txn-ops); nothing was written",
            code="change-too-large",
        )
    res = await store.txn([compare], success, [Get(guard_key(read.cluster))])
    if res.succeeded:
        return res.revision
    now = res.results[0].kvs[0] if res.results and res.results[0].kvs else None
    by = ""
    if now is not None:
        try:
            doc = now.json()
            by = f" by '{doc.get('change', '?')}' (generation {doc.get('generation', '?')})"
        except (ValueError, AttributeError):
            by = ""
    raise ConflictError(
        f"the configuration changed since it was read at revision {read.revision}{by}; "
        "nothing was written: run the command again",
        revision=read.revision,
    )


__all__ = [
    "DEFAULT_CLUSTER",
    "GUARD",
    "ConfigRead",
    "cluster_prefix",
    "config_prefix",
    "decode_config",
    "encode",
    "guard_key",
    "guard_ops",
    "load_config",
    "object_key",
    "plan_write",
    "read_config",
    "write_config",
]
