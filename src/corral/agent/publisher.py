"""Publishes the node's results to the store: each changed resource's history
(``status/ops/<node>/<rsc>``) and, in the same transaction after it, the deletion of the
actions whose results it holds. Retries until the store takes it (level-triggered: what
is published is the latest local history, never a queue of events)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from corral.agent.logkv import log_kv
from corral.agent.protocol import Keys, dumps
from corral.store import Delete, Op, Put, Store
from corral.store.errors import StoreError

log = logging.getLogger("corral.agent")
CHUNK = 100
RETRY_S = 0.2
RPC_TIMEOUT_S = 5.0


class Publisher:
    def __init__(
        self,
        store: Store,
        keys: Keys,
        node: str,
        history_of: Callable[[str], dict[str, object] | None],
    ) -> None:
        self.store = store
        self.keys = keys
        self.node = node
        self.history_of = history_of  # rsc -> ResourceOps dict, None if forgotten
        self._dirty: set[str] = set()
        self._deletes: list[str] = []
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()

    def mark(self, rsc: str, delete_action: str | None = None) -> None:
        self._dirty.add(rsc)
        if delete_action is not None:
            self._deletes.append(delete_action)
        self.idle.clear()
        self._wake.set()

    def delete_action(self, key: str) -> None:
        self._deletes.append(key)
        self.idle.clear()
        self._wake.set()

    def _ops(self, dirty: set[str], deletes: list[str]) -> list[Op]:
        ops: list[Op] = []
        for rsc in sorted(dirty):
            hist = self.history_of(rsc)
            key = self.keys.ops(self.node, rsc)
            ops.append(Put(key, dumps(hist)) if hist is not None else Delete(key))
        ops.extend(Delete(k) for k in deletes)
        return ops

    async def flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        deletes, self._deletes = self._deletes, []
        ops = self._ops(dirty, deletes)
        done = 0
        try:
            for i in range(0, len(ops), CHUNK):
                await asyncio.wait_for(self.store.txn((), ops[i : i + CHUNK]), RPC_TIMEOUT_S)
                done = i + CHUNK
        except (StoreError, TimeoutError, OSError) as e:
            # put back what was not written (a put re-reads the latest history anyway)
            for op in ops[done:]:
                if isinstance(op, Put) or op.key.startswith(self.keys.ops_prefix(self.node)):
                    self._dirty.add(op.key[len(self.keys.ops_prefix(self.node)) :])
                else:
                    self._deletes.append(op.key)
            log_kv(log, logging.DEBUG, "publish-retry", node=self.node, error=e)
            raise

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty or self._deletes:
                try:
                    await self.flush()
                except (StoreError, TimeoutError, OSError):
                    await asyncio.sleep(RETRY_S)
            if not self._wake.is_set():
                self.idle.set()
