"""Leader election on one key, for every backend (built only on the Store contract).

The leader is whoever created ``key``; the key is attached to the leader's lease, so it
vanishes when the leader stops refreshing (dies, loses the store) or resigns. The fencing
token is the key's ``create_revision``: a new leader's key always has a newer one. Every
write of the leader goes through ``Leadership.txn``, which adds the compare
``create_revision(key) == token``, so once deposed its writes fail with ``NotLeader``::

    election = store.election("/corral/c1/leader", ttl=5)
    lead = await election.campaign(b"controller-on-n1")      # blocks until leader
    await lead.txn([...], [Put(...)])                        # fenced write
    ...
    await lead.resign()

``lead.lost`` (an asyncio.Event) is set when the lease is lost: stop acting as leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from corral.store.base import (
    Compare,
    Delete,
    EventType,
    Get,
    KeepAlive,
    KeyValue,
    Lease,
    Op,
    Put,
    TxnResult,
)
from corral.store.errors import LeaseExpired, NotLeader, StoreError

if TYPE_CHECKING:
    from corral.store.base import Store

log = logging.getLogger(__name__)


class Leadership:
    """Held while this process leads. ``token`` is the fencing token (the leader key's
    create revision); ``fence`` the compare that every leader write carries."""

    def __init__(
        self, election: Election, value: bytes, lease: Lease, keepalive: KeepAlive, token: int
    ) -> None:
        self.election = election
        self.store = election.store
        self.key = election.key
        self.value = value
        self.lease = lease
        self.keepalive = keepalive
        self.token = token

    @property
    def fence(self) -> Compare:
        return Compare.create_revision(self.key, "==", self.token)

    @property
    def lost(self) -> asyncio.Event:
        """Set when the lease behind the leadership is lost."""
        return self.keepalive.lost

    async def txn(
        self,
        compare: Sequence[Compare] = (),
        success: Sequence[Op] = (),
        failure: Sequence[Op] = (),
    ) -> TxnResult:
        """A transaction that runs only while this is still the leader.

        Raises ``NotLeader`` if the fence failed (whatever the other compares did);
        otherwise returns the result as ``Store.txn`` does (``failure`` ran if one of the
        caller's compares failed)."""
        res = await self.store.txn([self.fence, *compare], success, [*failure, Get(self.key)])
        if res.succeeded:
            return res
        current = res.results[-1].kvs
        if not current or current[0].create_revision != self.token:
            raise NotLeader(f"no longer the leader of {self.key} (fencing token {self.token})")
        return TxnResult(False, res.revision, res.results[:-1])

    async def is_leader(self) -> bool:
        kv = await self.store.get(self.key)
        return kv is not None and kv.create_revision == self.token

    async def resign(self) -> None:
        """Step down: delete the leader key (if still ours), stop refreshing, revoke the lease."""
        await self.keepalive.stop()
        with contextlib.suppress(StoreError):
            await self.store.txn([self.fence], [Delete(self.key)])
        with contextlib.suppress(StoreError):
            await self.store.revoke(self.lease)


class Election:
    """Campaign for, observe and query the leadership of ``key``."""

    def __init__(self, store: Store, key: str, *, ttl: float = 5.0) -> None:
        self.store = store
        self.key = key
        self.ttl = ttl

    async def leader(self) -> KeyValue | None:
        """The current leader's key (its value names the leader), None if there is none."""
        return await self.store.get(self.key)

    async def campaign(self, value: bytes = b"") -> Leadership:
        """Block until this process is the leader; returns the held Leadership."""
        lease = await self.store.grant(self.ttl)
        keepalive = self.store.keepalive(lease).start()
        won = False
        try:
            while True:
                if keepalive.lost.is_set():
                    await keepalive.stop()
                    lease = await self.store.grant(self.ttl)
                    keepalive = self.store.keepalive(lease).start()
                try:
                    res = await self.store.txn(
                        [Compare.absent(self.key)],
                        [Put(self.key, value, lease.id)],
                        [Get(self.key)],
                    )
                except LeaseExpired:
                    keepalive.lost.set()
                    continue
                if res.succeeded:
                    won = True
                    return Leadership(self, value, lease, keepalive, res.revision)
                kvs = res.results[0].kvs
                if kvs and kvs[0].lease == lease.id:  # ours already (a retried write)
                    won = True
                    return Leadership(self, value, lease, keepalive, kvs[0].create_revision)
                if kvs:
                    await self._wait_deleted(res.revision + 1, keepalive)
        finally:
            if not won:
                await keepalive.stop()
                with contextlib.suppress(StoreError):
                    await self.store.revoke(lease)

    async def _wait_deleted(self, from_revision: int, keepalive: KeepAlive) -> None:
        async with await self.store.watch(self.key, from_revision=from_revision) as w:
            async for ev in w:
                if ev.key == self.key and ev.type is EventType.DELETE:
                    return
                if keepalive.lost.is_set():
                    return

    async def observe(self) -> AsyncIterator[KeyValue | None]:
        """Yield the current leader (None: none), then every change of leader, forever."""
        snap = await self.store.range(self.key)
        current = snap.get(self.key)
        yield current
        async with await self.store.watch(self.key, from_revision=snap.revision + 1) as w:
            async for ev in w:
                if ev.key != self.key:
                    continue
                new = ev.kv if ev.type is EventType.PUT else None
                if new != current:
                    current = new
                    yield current
