"""The store contract: what every backend (memory, sqlite, etcd) provides, exactly.

The model is etcd v3's, kept small:

* Keys are non-empty text (UTF-8, at most ``limits.max_key_bytes``); values are bytes
  (``KeyValue.json()`` / ``Put.json()`` for JSON).
* One global **revision** grows by one with every change (a transaction that writes
  anything, a lease expiry that deletes keys). All writes of one transaction share a revision.
* Every key carries ``create_revision`` (when it was created), ``mod_revision`` (last
  change) and ``version`` (number of puts since creation; a delete resets it).
* ``range(prefix, at_revision=R)`` is a consistent snapshot at one revision.
* ``txn(compare, success, failure)``: if every ``Compare`` holds, the ``success`` ops run,
  else the ``failure`` ops; all or nothing.
* Leases: ``grant(ttl)``; keys put with ``lease=`` vanish when it expires or is revoked
  (and watchers see the deletions); ``keepalive(lease)`` refreshes at TTL/3 and reports loss.
* ``watch(prefix, from_revision=R)``: every put/delete event with revision >= R, in order,
  none lost or repeated; a compacted R raises ``Compacted``.
* Leader election (``election(key)``, see ``corral.store.election``) with a fencing compare.

Typical reader (level-triggered)::

    snap = await store.range("/corral/c1/config/")
    handle(snap)
    async with await store.watch("/corral/c1/config/", from_revision=snap.revision + 1) as w:
        async for ev in w:
            ...

Typical CAS write::

    kv = await store.get(key)
    cmp = [Compare.mod_revision(key, "==", kv.mod_revision)] if kv else [Compare.absent(key)]
    res = await store.txn(cmp, [Put.json(key, doc)])
    if not res.succeeded: ...  # somebody else won: re-read and retry
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from corral.store.errors import (
    LeaseExpired,
    StoreClosed,
    StoreError,
)

if TYPE_CHECKING:
    from corral.store.election import Election

log = logging.getLogger(__name__)

CompareOp = Literal["==", "!=", "<", ">"]
CompareTarget = Literal["mod_revision", "create_revision", "version", "value"]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One key at one revision."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0
    """The id of the lease the key is attached to, 0 if none."""

    def json(self) -> Any:
        """The value decoded as JSON."""
        return json.loads(self.value)

    def text(self) -> str:
        """The value decoded as UTF-8."""
        return self.value.decode()


class EventType(enum.Enum):
    PUT = "put"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Event:
    """One change seen by a watch.

    For PUT, ``kv`` is the key after the change. For DELETE, ``kv.key`` is the key,
    ``kv.value`` is ``b""``, ``kv.mod_revision`` is the revision of the deletion and
    ``create_revision``/``version`` are 0.
    """

    type: EventType
    kv: KeyValue

    @property
    def revision(self) -> int:
        """The revision of the change."""
        return self.kv.mod_revision

    @property
    def key(self) -> str:
        return self.kv.key


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The result of ``range``: every key under a prefix at one revision, sorted by key."""

    revision: int
    kvs: tuple[KeyValue, ...]

    def __iter__(self) -> Any:
        return iter(self.kvs)

    def __len__(self) -> int:
        return len(self.kvs)

    def get(self, key: str) -> KeyValue | None:
        for kv in self.kvs:
            if kv.key == key:
                return kv
        return None

    def as_dict(self) -> dict[str, KeyValue]:
        return {kv.key: kv for kv in self.kvs}


@dataclass(frozen=True, slots=True)
class Compare:
    """One condition of a transaction. Build with the class methods.

    A missing key has create_revision, mod_revision and version 0 and never compares
    equal on ``value`` (a value compare on a missing key is false, as in etcd).
    """

    key: str
    target: CompareTarget
    op: CompareOp
    operand: int | bytes

    @classmethod
    def mod_revision(cls, key: str, op: CompareOp, revision: int) -> Compare:
        return cls(key, "mod_revision", op, revision)

    @classmethod
    def create_revision(cls, key: str, op: CompareOp, revision: int) -> Compare:
        return cls(key, "create_revision", op, revision)

    @classmethod
    def version(cls, key: str, op: CompareOp, version: int) -> Compare:
        return cls(key, "version", op, version)

    @classmethod
    def value(cls, key: str, op: CompareOp, value: bytes) -> Compare:
        return cls(key, "value", op, value)

    @classmethod
    def absent(cls, key: str) -> Compare:
        """The key does not exist (create_revision == 0)."""
        return cls(key, "create_revision", "==", 0)

    @classmethod
    def exists(cls, key: str) -> Compare:
        """The key exists (create_revision > 0)."""
        return cls(key, "create_revision", ">", 0)

    def holds(self, kv: KeyValue | None) -> bool:
        """Evaluate against the key's current state (None: missing). Used by backends."""
        if self.target == "value":
            if kv is None:
                return False
            actual: int | bytes = kv.value
        elif kv is None:
            actual = 0
        else:
            actual = getattr(kv, self.target)
        want = self.operand
        if self.op == "==":
            return actual == want
        if self.op == "!=":
            return actual != want
        if self.op == "<":
            return actual < want  # type: ignore[operator]
        return actual > want  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Put:
    """Set ``key`` to ``value`` (optionally attached to lease id ``lease``)."""

    key: str
    value: bytes
    lease: int = 0

    @classmethod
    def json(cls, key: str, obj: Any, lease: int = 0) -> Put:
        """A put of ``obj`` as compact, key-sorted JSON."""
        data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
        return cls(key, data, lease)


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete ``key``, or every key starting with it if ``prefix`` is true."""

    key: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Get:
    """Read ``key`` (or every key under it if ``prefix``) inside a transaction, at the
    transaction's revision. Useful in ``failure`` to see what won."""

    key: str
    prefix: bool = False


Op = Put | Delete | Get


@dataclass(frozen=True, slots=True)
class OpResult:
    """What one op of a transaction did: ``kvs`` for a Get, ``deleted`` for a Delete."""

    kvs: tuple[KeyValue, ...] = ()
    deleted: int = 0


@dataclass(frozen=True, slots=True)
class TxnResult:
    """``succeeded``: whether the compares held. ``revision``: the store's revision after the
    transaction (the revision of its writes if it wrote anything). ``results``: one per op of
    the branch that ran, in order."""

    succeeded: bool
    revision: int
    results: tuple[OpResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Lease:
    """A granted lease. ``ttl`` is the TTL the store granted (etcd may raise small TTLs to its
    minimum and rounds up to whole seconds)."""

    id: int
    ttl: float


@dataclass(frozen=True, slots=True)
class Limits:
    """A backend's size limits (checked before anything is sent or written)."""

    max_key_bytes: int = 4096
    max_value_bytes: int = 1_500_000
    max_txn_bytes: int = 1_500_000
    """Sum of the keys and values of one transaction (etcd: a request is at most 1.5 MiB)."""
    max_txn_ops: int = 128
    """Ops in one branch of a transaction (etcd's default --max-txn-ops)."""


# --------------------------------------------------------------------------- watch


class Watch(abc.ABC):
    """An open watch: ``async for event in watch``; close with ``await watch.close()`` or use it
    as an async context manager. Iteration raises ``Compacted`` if the events asked for were
    compacted away, ``Unavailable`` if the store stays unreachable, ``StoreClosed`` if closed.
    """

    prefix: str
    start_revision: int
    """The first revision this watch reports (events with revision >= this)."""

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    @abc.abstractmethod
    async def __anext__(self) -> Event: ...

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop the watch; a pending ``__anext__`` raises StopAsyncIteration."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


# --------------------------------------------------------------------------- keepalive


class KeepAlive:
    """Keeps one lease alive: refreshes it every TTL/3 in a background task.

    ``lost`` is set (and ``on_lost`` called, once) when the lease is known to be gone:
    the store said so, or no refresh succeeded for a whole TTL. After a loss it stops.
    Use as ``async with store.keepalive(lease) as ka:`` or ``ka.start()`` / ``await ka.stop()``.
    """

    def __init__(
        self,
        store: Store,
        lease: Lease,
        on_lost: Callable[[Lease], None] | None = None,
        interval: float | None = None,
    ) -> None:
        self.store = store
        self.lease = lease
        self.on_lost = on_lost
        self.interval = interval if interval is not None else max(lease.ttl / 3.0, 0.05)
        self.lost = asyncio.Event()
        self.last_refresh = asyncio.get_running_loop().time()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> KeepAlive:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"keepalive-{self.lease.id}"
            )
        return self

    async def stop(self) -> None:
        """Stop refreshing (does not revoke the lease)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StoreError):
                await task

    async def __aenter__(self) -> KeepAlive:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _mark_lost(self) -> None:
        if not self.lost.is_set():
            self.lost.set()
            if self.on_lost is not None:
                self.on_lost(self.lease)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + self.interval
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            deadline = self.last_refresh + self.lease.ttl
            try:
                left = max(0.05, deadline - loop.time())
                await asyncio.wait_for(self.store.refresh(self.lease), timeout=left)
            except LeaseExpired:
                self._mark_lost()
                return
            except StoreClosed:
                return
            except (StoreError, TimeoutError, OSError) as e:
                if loop.time() >= deadline:
                    log.warning("lease %x lost: no refresh for its TTL (%s)", self.lease.id, e)
                    self._mark_lost()
                    return
                next_at = loop.time() + min(0.2, self.interval)
                continue
            self.last_refresh = loop.time()
            next_at = self.last_refresh + self.interval


# --------------------------------------------------------------------------- the contract


class Store(abc.ABC):
    """The store contract. Get one with ``corral.store.open_store(url)``; close it with
    ``await store.close()`` or ``async with``. Every method may raise ``Unavailable``
    (store unreachable) and ``StoreClosed``; bad input raises ``InvalidKey``,
    ``ValueTooLarge`` or ``TooManyOps`` before anything is written.
    """

    url: str
    limits: Limits = Limits()

    # -- reads
    @abc.abstractmethod
    async def get(self, key: str, *, at_revision: int | None = None) -> KeyValue | None:
        """The key's current value (or at ``at_revision``), None if it does not exist."""

    @abc.abstractmethod
    async def range(self, prefix: str, *, at_revision: int | None = None) -> Snapshot:
        """Every key starting with ``prefix`` ("" = all), at one revision: the current one,
        or ``at_revision`` (raises ``Compacted`` if compacted, ``FutureRevision`` if ahead)."""

    @abc.abstractmethod
    async def revision(self) -> int:
        """The store's current revision."""

    # -- writes
    @abc.abstractmethod
    async def txn(
        self,
        compare: Sequence[Compare] = (),
        success: Sequence[Op] = (),
        failure: Sequence[Op] = (),
    ) -> TxnResult:
        """Atomically: if every compare holds run ``success``, else ``failure``."""

    async def put(self, key: str, value: bytes, *, lease: Lease | int = 0) -> int:
        """Unconditional put; returns the revision of the write."""
        res = await self.txn((), [Put(key, value, _lease_id(lease))])
        return res.revision

    async def put_json(self, key: str, obj: Any, *, lease: Lease | int = 0) -> int:
        res = await self.txn((), [Put.json(key, obj, _lease_id(lease))])
        return res.revision

    async def delete(self, key: str, *, prefix: bool = False) -> int:
        """Delete a key (or every key under a prefix); returns how many were deleted."""
        res = await self.txn((), [Delete(key, prefix)])
        return res.results[0].deleted

    async def create(self, key: str, value: bytes, *, lease: Lease | int = 0) -> bool:
        """Put only if the key does not exist; returns whether it was created."""
        res = await self.txn([Compare.absent(key)], [Put(key, value, _lease_id(lease))])
        return res.succeeded

    # -- leases
    @abc.abstractmethod
    async def grant(self, ttl: float) -> Lease:
        """A new lease that expires ``ttl`` seconds from now unless refreshed."""

    @abc.abstractmethod
    async def refresh(self, lease: Lease | int) -> float:
        """Push the lease's expiry a full TTL ahead; returns the TTL. Raises ``LeaseExpired``."""

    @abc.abstractmethod
    async def revoke(self, lease: Lease | int) -> None:
        """End the lease now, deleting its keys (no error if already gone)."""

    @abc.abstractmethod
    async def time_to_live(self, lease: Lease | int) -> float | None:
        """Seconds left on the lease, None if it does not exist."""

    def keepalive(self, lease: Lease, on_lost: Callable[[Lease], None] | None = None) -> KeepAlive:
        """A keepalive for ``lease`` (not started: use ``async with`` or ``.start()``)."""
        return KeepAlive(self, lease, on_lost)

    # -- watches and history
    @abc.abstractmethod
    async def watch(self, prefix: str, *, from_revision: int | None = None) -> Watch:
        """Watch every key starting with ``prefix``: events with revision >= ``from_revision``
        (None: changes after the current revision). Resume after the last event seen with
        ``from_revision=last.revision + 1``."""

    @abc.abstractmethod
    async def compact(self, revision: int) -> None:
        """Forget history before ``revision``: reads at, and watches from, older revisions
        raise ``Compacted``."""

    # -- election
    def election(self, key: str, *, ttl: float = 5.0) -> Election:
        """Leader election on ``key`` (e.g. ``/corral/c1/leader``) with leases of ``ttl``."""
        from corral.store.election import Election

        return Election(self, key, ttl=ttl)

    # -- lifetime
    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and background tasks. Leases are not revoked."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _lease_id(lease: Lease | int) -> int:
    return lease.id if isinstance(lease, Lease) else int(lease)


lease_id = _lease_id

__all__ = [
    "Compare",
    "Delete",
    "Event",
    "EventType",
    "Get",
    "KeepAlive",
    "KeyValue",
    "Lease",
    "Limits",
    "Op",
    "OpResult",
    "Put",
    "Snapshot",
    "Store",
    "TxnResult",
    "Watch",
]
