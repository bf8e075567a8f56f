"""Store scenarios shared by the contract suite and the etcd failure tests. Each one runs
the same way on every backend and asserts the contract's promise."""

from __future__ import annotations

import asyncio
import random

from corral.store import Compare, Delete, Event, Put, Store, Unavailable


async def cas_increment(store: Store, key: str, writer: str, seq: int) -> None:
    """Add one to the counter at ``key`` by CAS; exactly once even if a write's outcome
    was unknown (the value remembers each writer's last applied seq)."""
    while True:
        try:
            kv = await store.get(key)
        except Unavailable:
            await asyncio.sleep(0.05)
            continue
        doc = kv.json() if kv else {"n": 0, "seq": {}}
        if doc["seq"].get(writer, -1) >= seq:
            return  # an earlier attempt whose answer was lost did land
        doc["n"] += 1
        doc["seq"][writer] = seq
        cmp = [Compare.mod_revision(key, "==", kv.mod_revision)] if kv else [Compare.absent(key)]
        try:
            res = await store.txn(cmp, [Put.json(key, doc)])
        except Unavailable:
            continue
        if res.succeeded:
            return


async def counter(stores: list[Store], key: str, writers: int = 8, each: int = 20) -> int:
    """``writers`` concurrent writers (spread over ``stores``) add ``each`` each."""

    async def writer(i: int) -> None:
        store = stores[i % len(stores)]
        for seq in range(each):
            await cas_increment(store, key, f"w{i}", seq)

    await asyncio.gather(*(writer(i) for i in range(writers)))
    kv = await stores[0].get(key)
    assert kv is not None
    return int(kv.json()["n"])


async def retrying(coro_fn, attempts: int = 50):  # type: ignore[no-untyped-def]
    for _ in range(attempts):
        try:
            return await coro_fn()
        except Unavailable:
            await asyncio.sleep(0.1)
    return await coro_fn()


async def write_history(store: Store, prefix: str, rounds: int, pause: float = 0.0) -> None:
    """Puts, multi-key transactions, deletes and prefix deletes under ``prefix``."""
    for i in range(rounds):
        k = f"{prefix}k{i % 4}"
        await retrying(lambda k=k, i=i: store.put(k, f"v{i}".encode()))
        if i % 3 == 0:
            ops = [Put(f"{prefix}m{j}", f"{i}".encode()) for j in range(3)]
            await retrying(lambda ops=ops: store.txn((), ops))
        if i % 5 == 4:
            await retrying(lambda k=k: store.delete(k))
        if i % 7 == 6:
            await retrying(lambda: store.delete(f"{prefix}m", prefix=True))
        if pause:
            await asyncio.sleep(pause)


async def collect(
    store: Store, prefix: str, from_revision: int, until_revision: int
) -> list[Event]:
    """Every event from ``from_revision`` through ``until_revision`` (which must be a
    revision of a single event under ``prefix``)."""
    out: list[Event] = []
    async with await store.watch(prefix, from_revision=from_revision) as w:
        if from_revision > until_revision:
            return out
        async for ev in w:
            out.append(ev)
            if ev.revision >= until_revision:
                break
    return out


def ident(ev: Event) -> tuple[int, str, str]:
    return (ev.revision, ev.type.value, ev.key)


async def watch_resume(store: Store, writer: Store, prefix: str, rounds: int = 30) -> None:
    """A watch read halfway, closed, and resumed from the last revision seen sees every
    event exactly once, while a writer goes on."""
    start = await store.revision() + 1
    writing = asyncio.create_task(write_history(writer, prefix, rounds, pause=0.002))
    seen: list[Event] = []
    async with await store.watch(prefix, from_revision=start) as w:
        async for ev in w:
            seen.append(ev)
            if len(seen) >= rounds // 2:
                break
    # resume from the last revision seen (events of it already seen are skipped by identity)
    last = seen[-1].revision
    already = {ident(e) for e in seen if e.revision == last}
    await writing
    end = await writer.put(f"{prefix}zz-end", b"")  # a one-event revision closes the history
    for ev in await collect(store, prefix, last, end):
        if ident(ev) in already:
            already.discard(ident(ev))
            continue
        seen.append(ev)
    truth = await collect(store, prefix, start, end)
    assert [ident(e) for e in seen] == [ident(e) for e in truth]
    assert len(set(map(ident, seen))) == len(seen), "an event was repeated"
    # and a watch from any revision R gives exactly the events with revision >= R
    mid = truth[len(truth) // 3].revision
    tail = await collect(store, prefix, mid, end)
    assert [ident(e) for e in tail] == [ident(e) for e in truth if e.revision >= mid]


async def snapshots(store: Store, writers: list[Store], prefix: str, seconds: float = 1.0) -> int:
    """Transfers between 5 accounts keep their sum at 500; every range, current or at an
    older revision, sees a sum of 500 and the same contents for the same revision."""
    accounts = [f"{prefix}acct{i}" for i in range(5)]
    await store.txn((), [Put.json(a, 100) for a in accounts])
    stop = asyncio.Event()

    async def transfer(w: Store, rnd: random.Random) -> None:
        while not stop.is_set():
            a, b = rnd.sample(accounts, 2)
            snap = await w.range(prefix)
            va, vb = snap.get(a), snap.get(b)
            assert va is not None and vb is not None
            amount = rnd.randint(1, 10)
            try:
                await w.txn(
                    [Compare.mod_revision(a, "==", va.mod_revision),
                     Compare.mod_revision(b, "==", vb.mod_revision)],
                    [Put.json(a, va.json() - amount), Put.json(b, vb.json() + amount)],
                )  # fmt: skip
            except Unavailable:
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(transfer(w, random.Random(i))) for i, w in enumerate(writers)]
    seen: dict[int, tuple[tuple[str, bytes], ...]] = {}
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    try:
        while loop.time() < end:
            snap = await store.range(prefix)
            assert sum(kv.json() for kv in snap) == 500, snap
            seen[snap.revision] = tuple((kv.key, kv.value) for kv in snap)
            await asyncio.sleep(0.01)
        for rev, contents in list(seen.items())[:: max(1, len(seen) // 10)]:
            again = await store.range(prefix, at_revision=rev)
            assert again.revision == rev
            assert tuple((kv.key, kv.value) for kv in again) == contents
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return len(seen)


async def delete_prefix(store: Store, prefix: str) -> None:
    await store.txn((), [Delete(prefix, prefix=True)])
