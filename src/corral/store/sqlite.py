"""The embedded backend: ``sqlite:///path/to/corral.db``, shared by any number of
processes on one host.

* One file in WAL mode. Tables: ``meta`` (revision, compact revision, boot id), ``kv``
  (current keys), ``log`` (one row per put/delete: the history that watches and reads at
  a revision use) and ``lease``. Every write is one ``BEGIN IMMEDIATE`` transaction:
  compares, ops and the revision bump commit together or not at all.
* Leases expire on the host's monotonic clock (CLOCK_MONOTONIC, one clock for every
  process on a Linux host): the db holds each lease's deadline as a monotonic time, and
  any process with the store open deletes expired leases and their keys. The boot id is
  kept too: after a reboot (a new monotonic clock) every old lease counts as expired.
* Watches: each Store polls ``PRAGMA data_version`` (a cheap "did another connection
  commit?") every ``poll`` seconds (default 10 ms) and is told of its own commits at once;
  on a change, watchers read the new log rows.
* Blocking sqlite calls run on two private threads (one for reads and writes, one for
  polling and watches), never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from corral.store.base import (
    Compare,
    Event,
    KeyValue,
    Lease,
    Limits,
    Op,
    Snapshot,
    Store,
    TxnResult,
    Watch,
    lease_id,
)
from corral.store.checks import check_key, check_txn
from corral.store.errors import (
    Compacted,
    InvalidURL,
    LeaseExpired,
    StoreClosed,
    StoreError,
    Unavailable,
)
from corral.store.sqlite_db import Db
from corral.store.url import float_option, parse_options

T = TypeVar("T")


class _Worker:
    """A Db on its own thread."""

    def __init__(self, name: str) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix=name)
        self.db: Db | None = None

    async def call(self, fn: Callable[[Db], T]) -> T:
        loop = asyncio.get_running_loop()
        db = self.db
        if db is None:
            raise StoreClosed("store closed")
        return await loop.run_in_executor(self.pool, functools.partial(fn, db))

    async def start(self, path: str, busy_timeout: float, synchronous: str) -> None:
        loop = asyncio.get_running_loop()
        self.db = await loop.run_in_executor(
            self.pool, functools.partial(Db, path, busy_timeout, synchronous)
        )

    async def stop(self) -> None:
        db, self.db = self.db, None
        if db is not None:
            await asyncio.get_running_loop().run_in_executor(self.pool, db.close)
        self.pool.shutdown(wait=False)


class SqliteWatch(Watch):
    def __init__(self, store: SqliteStore, prefix: str, start_revision: int) -> None:
        self.store = store
        self.prefix = prefix
        self.start_revision = start_revision
        self._next = start_revision
        self._buffer: list[Event] = []
        self._wake = asyncio.Event()
        self._closed = False
        store._waiters.add(self._wake)

    async def __anext__(self) -> Event:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            if self.store.closed:
                raise StoreClosed(f"store {self.store.url} is closed")
            self._wake.clear()
            events, rev = await self.store._poller.call(
                lambda db: db.events(self.prefix, self._next)
            )
            if events:
                self._buffer.extend(events)
                self._next = events[-1].revision + 1
                break
            self._next = max(self._next, rev + 1)
            await self._wake.wait()
        return self._buffer.pop(0)

    async def close(self) -> None:
        self._closed = True
        self.store._waiters.discard(self._wake)
        self._wake.set()


class SqliteStore(Store):
    """A Store in one SQLite file (see the module docstring)."""

    def __init__(
        self,
        path: str,
        *,
        url: str | None = None,
        synchronous: str = "FULL",
        busy_timeout: float = 10.0,
        poll: float = 0.01,
        limits: Limits = Limits(),
    ) -> None:
        self.path = path
        self.url = url or f"sqlite://{path}"
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self.poll = poll
        self.limits = limits
        self.closed = False
        self._worker = _Worker("corral-sqlite")
        self._poller = _Worker("corral-sqlite-poll")
        self._waiters: set[asyncio.Event] = set()
        self._task: asyncio.Task[None] | None = None
        self._next_deadline: float | None = None
        self._refreshes: list[tuple[int, asyncio.Future[float]]] = []
        self._refresher: asyncio.Task[None] | None = None

    @classmethod
    async def open_url(cls, url: str) -> SqliteStore:
        parts = urlsplit(url)
        opts = parse_options(parts.query, {"synchronous", "busy_timeout", "poll"}, url)
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise InvalidURL(f"store URL {url}: no database path (want sqlite:///path/to/db)")
        sync = opts.get("synchronous", "full").upper()
        if sync not in ("FULL", "NORMAL"):
            raise InvalidURL(f"store URL {url}: synchronous must be full or normal")
        store = cls(
            path,
            url=url,
            synchronous=sync,
            busy_timeout=float_option(opts, "busy_timeout", 10.0, url),
            poll=float_option(opts, "poll", 0.01, url),
        )
        await store.open()
        return store

    async def open(self) -> None:
        try:
            await self._worker.start(self.path, self.busy_timeout, self.synchronous)
            await self._worker.call(lambda db: db.setup())
            await self._poller.start(self.path, self.busy_timeout, self.synchronous)
        except sqlite3.Error as e:
            await self._worker.stop()
            await self._poller.stop()
            raise Unavailable(
                f"cannot open sqlite store {self.path}: {e}", endpoint=self.path
            ) from e
        self._task = asyncio.get_running_loop().create_task(self._poll_loop(), name="sqlite-poll")

    # ---- plumbing
    async def _db(self, fn: Callable[[Db], T]) -> T:
        if self.closed:
            raise StoreClosed(f"store {self.url} is closed")
        try:
            return await self._worker.call(fn)
        except StoreError:
            raise
        except sqlite3.OperationalError as e:
            raise Unavailable(f"sqlite store {self.path}: {e}", endpoint=self.path) from e

    def _changed(self) -> None:
        for w in self._waiters:
            w.set()

    async def _poll_loop(self) -> None:
        last: int | None = None
        while not self.closed:
            try:
                dv, first = await self._poller.call(lambda db: db.data_version())
                if dv != last:
                    last = dv
                    self._next_deadline = first
                    self._changed()
                nd = self._next_deadline
                if nd is not None and time.monotonic() >= nd:
                    self._next_deadline = None
                    if await self._db(lambda db: db.drop_leases(None)):
                        self._changed()
            except (sqlite3.Error, StoreError):
                pass
            await asyncio.sleep(self.poll)

    def _local_change(self, lease_deadline: float | None = None) -> None:
        if lease_deadline is not None and (
            self._next_deadline is None or lease_deadline < self._next_deadline
        ):
            self._next_deadline = lease_deadline
        self._changed()

    # ---- the contract
    async def get(self, key: str, *, at_revision: int | None = None) -> KeyValue | None:
        check_key(key, self.limits)
        snap = await self._db(lambda db: db.range(key, at_revision, True))
        return snap.kvs[0] if snap.kvs else None

    async def range(self, prefix: str, *, at_revision: int | None = None) -> Snapshot:
        check_key(prefix, self.limits, prefix=True)
        return await self._db(lambda db: db.range(prefix, at_revision, False))

    async def revision(self) -> int:
        return (await self._db(lambda db: db.revisions()))[0]

    async def txn(
        self,
        compare: Sequence[Compare] = (),
        success: Sequence[Op] = (),
        failure: Sequence[Op] = (),
    ) -> TxnResult:
        check_txn(compare, success, failure, self.limits)
        res = await self._db(lambda db: db.txn(compare, success, failure))
        self._local_change()
        return res

    async def grant(self, ttl: float) -> Lease:
        lid = await self._db(lambda db: db.grant(float(ttl)))
        self._local_change(time.monotonic() + ttl)
        return Lease(lid, float(ttl))

    async def refresh(self, lease: Lease | int) -> float:
        """Refreshes from many tasks are batched into one transaction."""
        lid = lease_id(lease)
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._refreshes.append((lid, fut))
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._flush_refreshes())
        return await fut

    async def _flush_refreshes(self) -> None:
        while self._refreshes:
            batch, self._refreshes = self._refreshes, []
            try:
                ids = [lid for lid, _ in batch]
                alive = await self._db(lambda db, ids=ids: db.refresh_many(ids))
            except Exception as e:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            for lid, fut in batch:
                if fut.done():
                    continue
                if lid in alive:
                    fut.set_result(alive[lid])
                else:
                    fut.set_exception(
                        LeaseExpired(f"lease {lid:x} expired or revoked", lease_id=lid)
                    )

    async def revoke(self, lease: Lease | int) -> None:
        lid = lease_id(lease)
        await self._db(lambda db: db.drop_leases([lid]))
        self._local_change()

    async def time_to_live(self, lease: Lease | int) -> float | None:
        lid = lease_id(lease)
        return await self._db(lambda db: db.lease_ttl(lid))

    async def watch(self, prefix: str, *, from_revision: int | None = None) -> Watch:
        check_key(prefix, self.limits, prefix=True)
        rev, compact = await self._db(lambda db: db.revisions())
        start = rev + 1 if from_revision is None else max(1, from_revision)
        if start < compact:
            raise Compacted(
                f"watch from revision {start}: compacted (oldest kept: {compact})",
                revision=start,
                compact_revision=compact,
            )
        return SqliteWatch(self, prefix, start)

    async def compact(self, revision: int) -> None:
        await self._db(lambda db: db.compact(revision))

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._changed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._worker.stop()
        await self._poller.stop()
