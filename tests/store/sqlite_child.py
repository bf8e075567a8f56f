"""A second OS process on a shared sqlite store (run by test_sqlite_processes.py).

``echo URL``: for every put of ``/ping/N`` write ``/pong/N``; prints "ready" once watching.
``writer URL``: loop of transactions (counter CAS + a log key); prints each committed n.
"""

from __future__ import annotations

import asyncio
import sys

from corral.store import Compare, EventType, Put, open_store


async def echo(url: str) -> None:
    store = await open_store(url)
    async with await store.watch("/ping/") as w:
        print("ready", flush=True)
        async for ev in w:
            if ev.type is EventType.PUT:
                n = ev.key.rsplit("/", 1)[1]
                await store.put(f"/pong/{n}", ev.kv.value)
                if ev.kv.value == b"stop":
                    break
    await store.close()


async def writer(url: str) -> None:
    store = await open_store(url)
    print("ready", flush=True)
    while True:
        kv = await store.get("/counter")
        n = int(kv.value) if kv else 0
        cmp = (
            [Compare.mod_revision("/counter", "==", kv.mod_revision)]
            if kv
            else [Compare.absent("/counter")]
        )
        ops = [Put("/counter", str(n + 1).encode()), Put(f"/log/{n + 1:06d}", b"x" * 2000)]
        res = await store.txn(cmp, ops)
        if res.succeeded:
            print(n + 1, flush=True)


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    asyncio.run(echo(url) if mode == "echo" else writer(url))
