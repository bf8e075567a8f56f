"""The etcd backend's watch: aetcd's watch stream, resumed after every break.

A pump task copies events into a queue. It remembers the last revision delivered and how
many of that revision's events it delivered; after a broken stream (member killed,
connection lost) it watches again from that revision and skips what it already delivered,
so no event is lost or repeated. A compacted start raises ``Compacted``; a store that stays
unreachable for the request timeout raises ``Unavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import aetcd.exceptions as aex
import grpc

from corral.store.base import Event, EventType, KeyValue, Watch
from corral.store.errors import Compacted, StoreClosed, Unavailable

if TYPE_CHECKING:
    from corral.store.etcd import EtcdStore

_DONE = object()


def to_event(ev: Any) -> Event:
    kv = ev.kv
    key = kv.key.decode()
    if ev.kind == "DELETE":
        return Event(EventType.DELETE, KeyValue(key, b"", 0, kv.mod_revision, 0))
    return Event(
        EventType.PUT,
        KeyValue(key, bytes(kv.value), kv.create_revision, kv.mod_revision, kv.version, kv.lease),
    )


class EtcdWatch(Watch):
    def __init__(
        self, store: EtcdStore, prefix: str, start_revision: int, rng: tuple[bytes, bytes]
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.start_revision = start_revision
        self._key, self._end = rng
        self._last = start_revision - 1
        self._seen = 0  # events delivered with revision == self._last
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._current: Any = None
        self._closed = False
        self._failed: BaseException | None = None

    async def open(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._pump(), name="etcd-watch")

    async def __anext__(self) -> Event:
        if self._failed is not None:
            raise self._failed
        item = await self._queue.get()
        if item is _DONE:
            self._queue.put_nowait(_DONE)
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            self._failed = item
            raise item
        return item  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self._current is not None:
            with contextlib.suppress(BaseException):
                await self._current.cancel()
        self._queue.put_nowait(_DONE)

    def _deliver(self, event: Event) -> None:
        if event.revision == self._last:
            self._seen += 1
        else:
            self._last, self._seen = event.revision, 1
        self._queue.put_nowait(event)

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        failing_since: float | None = None
        client = self.store.client
        while not self._closed:
            if self.store.closed:
                self._queue.put_nowait(StoreClosed("store closed"))
                return
            start, skip = (self._last, self._seen) if self._seen else (self._last + 1, 0)
            try:
                await client.connect()
                self._current = await client.watch(
                    self._key, range_end=self._end, start_revision=start
                )
                async for ev in self._current:
                    failing_since = None
                    event = to_event(ev)
                    if skip and event.revision == start:
                        skip -= 1
                        continue
                    skip = 0
                    self._deliver(event)
            except aex.RevisionCompactedError as e:
                self._queue.put_nowait(
                    Compacted(
                        f"watch {self.prefix!r} from revision {start}: compacted "
                        f"(oldest kept: {e.compacted_revision})",
                        revision=start,
                        compact_revision=e.compacted_revision,
                    )
                )
                return
            except (aex.ClientError, grpc.aio.AioRpcError, OSError, TimeoutError) as e:
                now = loop.time()
                failing_since = failing_since or now
                if now - failing_since > self.store.timeout:
                    self._queue.put_nowait(
                        Unavailable(
                            f"watch {self.prefix!r}: etcd at {self.store.endpoints_text} "
                            f"unreachable for {self.store.timeout:g}s: {e}",
                            endpoint=self.store.endpoints_text,
                        )
                    )
                    return
                await asyncio.sleep(0.1)
            finally:
                self._current = None
