"""The in-process backend: ``memory://`` (private) or ``memory://<name>`` (shared by every
Store opened with that name in this process, while any of them is open).

For tests and simulation. Everything lives in one ``MemorySpace``: current keys, the event
history since the last compaction (each event with the key's previous state, so a read at
an old revision rolls the current state back), and leases, which expire on the event loop's
monotonic clock (a timer at the earliest deadline, and a check before every operation).
All mutation happens synchronously on the event loop, so every operation is atomic.

``_NAMED`` below is corral's one deliberate piece of module-level mutable state: a
process-wide registry is what ``memory://<name>`` means (two ``open_store`` calls with the
same name, e.g. a controller and an agent in one test process, must see one keyspace, and
nothing else could hand them the same object). It holds its spaces weakly, so it keeps
nothing alive: a space lives only while one of its Stores does.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from corral.store.base import (
    Compare,
    Delete,
    Event,
    EventType,
    Get,
    KeyValue,
    Lease,
    Limits,
    Op,
    OpResult,
    Put,
    Snapshot,
    Store,
    TxnResult,
    Watch,
    lease_id,
)
from corral.store.checks import check_key, check_txn
from corral.store.errors import Compacted, FutureRevision, LeaseExpired, StoreClosed

# Named spaces shared by Stores of this process (``memory://<name>``). Weak: a space is
# dropped when its last Store is garbage.
_NAMED: weakref.WeakValueDictionary[str, MemorySpace] = weakref.WeakValueDictionary()


@dataclass
class _Change:
    event: Event
    prev: KeyValue | None


@dataclass
class _LeaseState:
    ttl: float
    deadline: float
    keys: set[str] = field(default_factory=set)


class MemorySpace:
    """The shared state behind one or more MemoryStores."""

    def __init__(self) -> None:
        self.revision = 1
        self.compact_revision = 0
        self.kvs: dict[str, KeyValue] = {}
        self.history: list[_Change] = []
        self.history_revs: list[int] = []
        self.leases: dict[int, _LeaseState] = {}
        self.lease_ids = itertools.count(0x1000)
        self.waiters: set[asyncio.Event] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.next_deadline: float | None = None

    # ---- time and leases
    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    def expire_due(self) -> None:
        """Drop expired leases. Cheap unless the earliest deadline has passed."""
        nd = self.next_deadline
        if nd is None or self.now() < nd:
            return
        now = self.now()
        for lid in [lid for lid, st in self.leases.items() if st.deadline <= now]:
            self.drop_lease(lid)
        self.next_deadline = min((st.deadline for st in self.leases.values()), default=None)
        self.schedule_timer()

    def lower_deadline(self, deadline: float) -> None:
        if self.next_deadline is None or deadline < self.next_deadline:
            self.next_deadline = deadline
            self.schedule_timer()

    def schedule_timer(self) -> None:
        """A timer at the earliest deadline (refreshes only push deadlines later, so a
        timer that fires early just finds nothing and re-arms)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.next_deadline is not None:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_at(self.next_deadline + 0.001, self.expire_due)

    def drop_lease(self, lid: int) -> None:
        st = self.leases.pop(lid, None)
        if st is None:
            return
        keys = sorted(k for k in st.keys if k in self.kvs and self.kvs[k].lease == lid)
        if keys:
            self.revision += 1
            for k in keys:
                self._delete(k)
            self.notify()

    # ---- mutation (caller bumped self.revision)
    def _put(self, key: str, value: bytes, lid: int) -> None:
        prev = self.kvs.get(key)
        if prev is not None and prev.lease and prev.lease != lid and prev.lease in self.leases:
            self.leases[prev.lease].keys.discard(key)
        kv = KeyValue(
            key,
            bytes(value),
            prev.create_revision if prev else self.revision,
            self.revision,
            prev.version + 1 if prev else 1,
            lid,
        )
        self.kvs[key] = kv
        if lid:
            self.leases[lid].keys.add(key)
        self._record(Event(EventType.PUT, kv), prev)

    def _delete(self, key: str) -> None:
        prev = self.kvs.pop(key)
        if prev.lease and prev.lease in self.leases:
            self.leases[prev.lease].keys.discard(key)
        self._record(Event(EventType.DELETE, KeyValue(key, b"", 0, self.revision, 0)), prev)

    def _record(self, event: Event, prev: KeyValue | None) -> None:
        self.history.append(_Change(event, prev))
        self.history_revs.append(event.revision)

    def notify(self) -> None:
        for w in self.waiters:
            w.set()

    # ---- reads
    def matching(self, key: str, prefix: bool) -> list[str]:
        if not prefix:
            return [key] if key in self.kvs else []
        return sorted(k for k in self.kvs if k.startswith(key))

    def state_at(self, revision: int) -> dict[str, KeyValue]:
        if revision > self.revision:
            raise FutureRevision(f"revision {revision} is ahead of the store ({self.revision})")
        if revision < self.compact_revision:
            raise Compacted(
                f"revision {revision} was compacted (oldest kept: {self.compact_revision})",
                revision=revision,
                compact_revision=self.compact_revision,
            )
        state = dict(self.kvs)
        start = bisect.bisect_right(self.history_revs, revision)
        for ch in reversed(self.history[start:]):
            if ch.prev is None:
                state.pop(ch.event.key, None)
            else:
                state[ch.event.key] = ch.prev
        return state

    def events_from(self, revision: int, prefix: str) -> list[Event]:
        if revision < self.compact_revision:
            raise Compacted(
                f"watch from revision {revision}: compacted (oldest kept: {self.compact_revision})",
                revision=revision,
                compact_revision=self.compact_revision,
            )
        start = bisect.bisect_left(self.history_revs, revision)
        return [ch.event for ch in self.history[start:] if ch.event.key.startswith(prefix)]

    def compact(self, revision: int) -> None:
        revision = min(revision, self.revision)
        if revision <= self.compact_revision:
            return
        cut = bisect.bisect_left(self.history_revs, revision)
        del self.history[:cut]
        del self.history_revs[:cut]
        self.compact_revision = revision


class MemoryWatch(Watch):
    def __init__(self, store: MemoryStore, prefix: str, start_revision: int) -> None:
        self.store = store
        self.prefix = prefix
        self.start_revision = start_revision
        self._next = start_revision
        self._buffer: list[Event] = []
        self._wake = asyncio.Event()
        self._closed = False
        store.space.waiters.add(self._wake)

    async def __anext__(self) -> Event:
        space = self.store.space
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            if self.store.closed:
                raise StoreClosed("store closed")
            self._wake.clear()
            space.expire_due()
            events = space.events_from(self._next, self.prefix)
            self._next = space.revision + 1
            if events:
                self._buffer.extend(events)
                break
            await self._wake.wait()
        return self._buffer.pop(0)

    async def close(self) -> None:
        self._closed = True
        self.store.space.waiters.discard(self._wake)
        self._wake.set()


class MemoryStore(Store):
    """A Store in this process's memory (see the module docstring)."""

    def __init__(
        self, space: MemorySpace | None = None, *, url: str = "memory://", limits: Limits = Limits()
    ) -> None:
        self.space = space if space is not None else MemorySpace()
        self.url = url
        self.limits = limits
        self.closed = False

    @classmethod
    def named(cls, name: str, *, url: str | None = None) -> MemoryStore:
        """A Store on the named space of this process (created on first use)."""
        if not name:
            return cls(url=url or "memory://")
        space = _NAMED.get(name)
        if space is None:
            space = MemorySpace()
            _NAMED[name] = space
        return cls(space, url=url or f"memory://{name}")

    async def _live(self) -> MemorySpace:
        await asyncio.sleep(0)  # every call yields, as a real store's would
        if self.closed:
            raise StoreClosed(f"store {self.url} is closed")
        self.space.expire_due()
        return self.space

    async def get(self, key: str, *, at_revision: int | None = None) -> KeyValue | None:
        check_key(key, self.limits)
        sp = await self._live()
        if at_revision is None:
            return sp.kvs.get(key)
        return sp.state_at(at_revision).get(key)

    async def range(self, prefix: str, *, at_revision: int | None = None) -> Snapshot:
        check_key(prefix, self.limits, prefix=True)
        sp = await self._live()
        rev = sp.revision if at_revision is None else at_revision
        state = sp.kvs if at_revision is None else sp.state_at(at_revision)
        kvs = tuple(state[k] for k in sorted(state) if k.startswith(prefix))
        return Snapshot(rev, kvs)

    async def revision(self) -> int:
        return (await self._live()).revision

    async def txn(
        self,
        compare: Sequence[Compare] = (),
        success: Sequence[Op] = (),
        failure: Sequence[Op] = (),
    ) -> TxnResult:
        check_txn(compare, success, failure, self.limits)
        sp = await self._live()
        ok = all(c.holds(sp.kvs.get(c.key)) for c in compare)
        ops = success if ok else failure
        for op in ops:
            if isinstance(op, Put) and op.lease and op.lease not in sp.leases:
                raise LeaseExpired(f"lease {op.lease:x} not found", lease_id=op.lease)
        writes = any(
            isinstance(op, Put) or (isinstance(op, Delete) and sp.matching(op.key, op.prefix))
            for op in ops
        )
        if writes:
            sp.revision += 1
        results: list[OpResult] = []
        for op in ops:
            if isinstance(op, Put):
                sp._put(op.key, op.value, op.lease)
                results.append(OpResult())
            elif isinstance(op, Delete):
                keys = sp.matching(op.key, op.prefix)
                for k in keys:
                    sp._delete(k)
                results.append(OpResult(deleted=len(keys)))
            elif isinstance(op, Get):
                results.append(
                    OpResult(kvs=tuple(sp.kvs[k] for k in sp.matching(op.key, op.prefix)))
                )
        if writes:
            sp.notify()
        return TxnResult(ok, sp.revision, tuple(results))

    async def grant(self, ttl: float) -> Lease:
        sp = await self._live()
        lid = next(sp.lease_ids)
        sp.leases[lid] = _LeaseState(float(ttl), sp.now() + ttl)
        sp.lower_deadline(sp.now() + ttl)
        return Lease(lid, float(ttl))

    async def refresh(self, lease: Lease | int) -> float:
        sp = await self._live()
        lid = lease_id(lease)
        st = sp.leases.get(lid)
        if st is None:
            raise LeaseExpired(f"lease {lid:x} expired or revoked", lease_id=lid)
        st.deadline = sp.now() + st.ttl
        return st.ttl

    async def revoke(self, lease: Lease | int) -> None:
        sp = await self._live()
        sp.drop_lease(lease_id(lease))

    async def time_to_live(self, lease: Lease | int) -> float | None:
        sp = await self._live()
        st = sp.leases.get(lease_id(lease))
        return None if st is None else max(0.0, st.deadline - sp.now())

    async def watch(self, prefix: str, *, from_revision: int | None = None) -> Watch:
        check_key(prefix, self.limits, prefix=True)
        sp = await self._live()
        start = sp.revision + 1 if from_revision is None else max(1, from_revision)
        if start < sp.compact_revision:
            raise Compacted(
                f"watch from revision {start}: compacted (oldest kept: {sp.compact_revision})",
                revision=start,
                compact_revision=sp.compact_revision,
            )
        return MemoryWatch(self, prefix, start)

    async def compact(self, revision: int) -> None:
        (await self._live()).compact(revision)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.space.notify()
