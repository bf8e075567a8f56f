"""The etcd backend's lease keepalive: every lease refresh of one store on one
``LeaseKeepAlive`` stream, re-opened after errors. A TTL of 0 in the answer means the
lease is gone; a broken stream fails every waiting refresh with the mapped error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

import grpc
from aetcd import rpc

from corral.store.errors import StoreClosed
from corral.store.etcd_errors import map_error

if TYPE_CHECKING:
    from corral.store.etcd import EtcdStore


class KeepAliveStream:
    """Lease refreshes multiplexed on one LeaseKeepAlive stream, re-opened after errors.

    One writer task writes the requests (a caller that gives up never cancels a write,
    which would end the stream for everybody); one reader task hands out the answers."""

    def __init__(self, store: EtcdStore) -> None:
        self.store = store
        self.call: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.outbox: asyncio.Queue[int] = asyncio.Queue()
        self.waiting: dict[int, deque[asyncio.Future[int]]] = defaultdict(deque)

    async def refresh(self, lid: int, timeout: float) -> int:
        """The TTL etcd granted (0: the lease is gone)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())
        if self.writer is None or self.writer.done():
            self.writer = loop.create_task(self._write())
        self.waiting[lid].append(fut)
        self.outbox.put_nowait(lid)
        return await asyncio.wait_for(fut, timeout)

    async def _write(self) -> None:
        while True:
            lid = await self.outbox.get()
            if self.call is None:
                client = self.store.client
                await client.connect()
                self.call = client.leasestub.LeaseKeepAlive(
                    metadata=client.metadata, wait_for_ready=True
                )
                self.reader = asyncio.get_running_loop().create_task(self._read(self.call))
            call = self.call
            try:
                await call.write(rpc.LeaseKeepAliveRequest(ID=lid))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._fail(call, e)

    async def _read(self, call: Any) -> None:
        try:
            while True:
                resp = await call.read()
                if resp is grpc.aio.EOF:
                    raise ConnectionError("keepalive stream ended")
                queue = self.waiting.get(resp.ID)
                if queue:
                    fut = queue.popleft()
                    if not fut.done():
                        fut.set_result(int(resp.TTL))
        except asyncio.CancelledError:
            self._fail(call, StoreClosed("store closed"))
            raise
        except BaseException as e:
            self._fail(call, e)

    def _fail(self, call: Any, e: BaseException) -> None:
        if call is not self.call:
            return
        self.call = None
        with contextlib.suppress(Exception):
            call.cancel()
        err = map_error(e, "lease keepalive", self.store.endpoints_text)
        for queue in self.waiting.values():
            for fut in queue:
                if not fut.done():
                    fut.set_exception(err)
        self.waiting.clear()

    async def close(self) -> None:
        if self.call is not None:
            self._fail(self.call, StoreClosed("store closed"))
        for task in (self.writer, self.reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
