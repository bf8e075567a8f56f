"""The store contract: every test runs unchanged on memory, sqlite and etcd (``store_url``)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable

import pytest
from tests.store import scenarios

from corral.store import (
    Compacted,
    Compare,
    Delete,
    EventType,
    Get,
    LeaseExpired,
    Limits,
    NotLeader,
    Put,
    Store,
    open_store,
)
from corral.store.errors import CorralError

Opener = Callable[[], Awaitable[Store]]


async def test_cas_counter_loses_no_update(opener: Opener, prefix: str) -> None:
    stores = [await opener() for _ in range(2)]
    assert await scenarios.counter(stores, prefix + "counter", writers=8, each=15) == 8 * 15


async def test_txn_compares_and_branches(store: Store, prefix: str) -> None:
    k = prefix + "k"
    r1 = await store.put(k, b"one")
    kv = await store.get(k)
    assert kv is not None and (kv.create_revision, kv.mod_revision, kv.version) == (r1, r1, 1)
    r2 = await store.put(k, b"two")
    assert r2 > r1 and await store.revision() == r2
    kv = await store.get(k)
    assert kv is not None and (kv.create_revision, kv.mod_revision, kv.version) == (r1, r2, 2)
    table = [
        (Compare.mod_revision(k, "==", r2), True),
        (Compare.mod_revision(k, "==", r1), False),
        (Compare.mod_revision(k, "<", r2 + 1), True),
        (Compare.version(k, "==", 2), True),
        (Compare.version(k, ">", 2), False),
        (Compare.create_revision(k, "==", r1), True),
        (Compare.value(k, "==", b"two"), True),
        (Compare.value(k, "!=", b"two"), False),
        (Compare.exists(k), True),
        (Compare.absent(k), False),
        (Compare.absent(prefix + "missing"), True),
        (Compare.value(prefix + "missing", "==", b""), False),
        (Compare.mod_revision(prefix + "missing", "==", 0), True),
    ]
    for cmp, expect in table:
        res = await store.txn([cmp], [Get(k)], [Get(prefix, prefix=True)])
        assert res.succeeded is expect, cmp
        assert res.revision == r2  # reads do not move the revision
    # all or nothing, one revision for the whole branch
    res = await store.txn(
        [Compare.version(k, "==", 2)],
        [Put(prefix + "a", b"1"), Put(prefix + "b", b"2"), Delete(k)],
    )
    assert res.succeeded and res.revision == r2 + 1 and res.results[2].deleted == 1
    snap = await store.range(prefix)
    assert [kv.key for kv in snap] == [prefix + "a", prefix + "b"]
    assert {kv.mod_revision for kv in snap} == {r2 + 1}
    assert await store.delete(prefix, prefix=True) == 2
    assert len(await store.range(prefix)) == 0
    assert await store.create(k, b"x") is True
    assert await store.create(k, b"y") is False


async def test_lease_expiry_reaches_every_watcher(opener: Opener, prefix: str) -> None:
    a, b = await opener(), await opener()
    start = await a.revision() + 1
    watches = [await a.watch(prefix, from_revision=start), await b.watch(prefix)]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    lease = await a.grant(1)
    await a.txn((), [Put(prefix + "x", b"1", lease.id), Put(prefix + "y", b"2", lease.id)])
    await a.put(prefix + "z", b"no lease")

    async def deletions(w: object) -> set[str]:
        gone: set[str] = set()
        async for ev in w:  # type: ignore[attr-defined]
            if ev.type is EventType.DELETE:
                gone.add(ev.key)
                if gone == {prefix + "x", prefix + "y"}:
                    return gone
        return gone

    results = await asyncio.wait_for(
        asyncio.gather(*(deletions(w) for w in watches)), lease.ttl + 3
    )
    elapsed = loop.time() - t0
    assert all(r == {prefix + "x", prefix + "y"} for r in results)
    assert elapsed <= lease.ttl + 1.0, elapsed
    assert [kv.key for kv in await b.range(prefix)] == [prefix + "z"]
    assert await a.time_to_live(lease) is None
    with pytest.raises(LeaseExpired) as e:
        await a.refresh(lease)
    assert e.value.code == "store-lease-expired"
    with pytest.raises(LeaseExpired):
        await a.put(prefix + "late", b"x", lease=lease)
    assert await a.get(prefix + "late") is None
    for w in watches:
        await w.close()


async def test_keepalive_holds_and_reports_loss(opener: Opener, prefix: str) -> None:
    a, b = await opener(), await opener()
    lease = await a.grant(1)
    await a.put(prefix + "alive", b"1", lease=lease)
    lost: list[int] = []
    async with a.keepalive(lease, on_lost=lambda le: lost.append(le.id)) as ka:
        await asyncio.sleep(lease.ttl * 2 + 0.5)
        assert await b.get(prefix + "alive") is not None
        assert not ka.lost.is_set()
        await b.revoke(lease)  # someone else ends it: the keepalive notices
        await asyncio.wait_for(ka.lost.wait(), lease.ttl + 1)
    assert lost == [lease.id]
    assert await b.get(prefix + "alive") is None


async def test_watch_resumes_exactly_once(opener: Opener, prefix: str) -> None:
    await scenarios.watch_resume(await opener(), await opener(), prefix)


async def test_range_at_revision_is_a_consistent_snapshot(opener: Opener, prefix: str) -> None:
    reader = await opener()
    writers = [await opener() for _ in range(2)]
    assert await scenarios.snapshots(reader, writers + writers, prefix, seconds=1.0) > 3


async def test_compacted_history_is_a_clear_error(store: Store, prefix: str) -> None:
    first = await store.put(prefix + "a", b"1")
    await store.put(prefix + "a", b"2")
    third = await store.put(prefix + "a", b"3")
    await store.compact(third)
    with pytest.raises(Compacted) as e:
        await store.range(prefix, at_revision=first)
    assert e.value.code == "store-compacted"
    kv = await store.get(prefix + "a", at_revision=third)
    assert kv is not None and kv.value == b"3"
    with pytest.raises(Compacted):
        w = await store.watch(prefix, from_revision=first)
        async with w:
            await asyncio.wait_for(w.__anext__(), 5)


async def test_election_hands_over_and_fences(opener: Opener, prefix: str) -> None:
    a, b = await opener(), await opener()
    key = prefix + "leader"
    ea, eb = a.election(key, ttl=1), b.election(key, ttl=1)
    lead_a = await ea.campaign(b"a")
    current = await eb.leader()
    assert current is not None and current.value == b"a"
    assert lead_a.token == current.create_revision
    await lead_a.txn([], [Put(prefix + "state", b"by a")])

    observed: list[bytes | None] = []

    async def observe() -> None:
        async for kv in eb.observe():
            observed.append(kv.value if kv else None)
            if kv is not None and kv.value == b"b":
                return

    watcher = asyncio.create_task(observe())
    campaign_b = asyncio.create_task(eb.campaign(b"b"))
    await asyncio.sleep(0.3)
    assert not campaign_b.done()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await lead_a.keepalive.stop()  # the leader stops (as if it died)
    lead_b = await asyncio.wait_for(campaign_b, lead_a.lease.ttl + 3)
    assert loop.time() - t0 <= lead_a.lease.ttl + 1.0
    assert lead_b.token > lead_a.token
    with pytest.raises(NotLeader) as e:
        await lead_a.txn([], [Put(prefix + "state", b"stale write by a")])
    assert e.value.code == "store-not-leader"
    kv = await b.get(prefix + "state")
    assert kv is not None and kv.value == b"by a"
    res = await lead_b.txn([Compare.value(prefix + "state", "==", b"nope")], [Put(key, b"x")])
    assert not res.succeeded  # a failed compare of the caller's is not NotLeader
    await asyncio.wait_for(watcher, 5)
    assert observed[0] == b"a" and observed[-1] == b"b"
    await lead_b.resign()
    assert await ea.leader() is None


def _bad_inputs(
    limits: Limits, p: str
) -> list[tuple[str, Callable[[Store], Awaitable[object]], str]]:
    big = b"x" * (limits.max_value_bytes + 1)
    half = b"x" * (limits.max_txn_bytes // 2 + 10)
    return [
        ("empty key", lambda s: s.put("", b"v"), "store-invalid-key"),
        ("long key", lambda s: s.put(p + "k" * limits.max_key_bytes, b"v"), "store-invalid-key"),
        ("NUL in key", lambda s: s.put(p + "a\0b", b"v"), "store-invalid-key"),
        ("empty get", lambda s: s.get(""), "store-invalid-key"),
        ("big value", lambda s: s.put(p + "big", big), "store-value-too-large"),
        (
            "big txn",
            lambda s: s.txn((), [Put(p + "ok", b"v"), Put(p + "h1", half), Put(p + "h2", half)]),
            "store-value-too-large",
        ),
        (
            "too many ops",
            lambda s: s.txn((), [Put(f"{p}n{i}", b"") for i in range(limits.max_txn_ops + 1)]),
            "store-too-many-ops",
        ),
        (
            "twice",
            lambda s: s.txn((), [Put(p + "d", b"1"), Put(p + "d", b"2")]),
            "store-invalid-key",
        ),
        (
            "bad in failure",
            lambda s: s.txn([Compare.absent(p + "zz")], [Put(p + "ok", b"v")], [Put("", b"")]),
            "store-invalid-key",
        ),
    ]


async def test_bad_input_is_a_clear_error_and_writes_nothing(store: Store, prefix: str) -> None:
    before = await store.revision()
    for name, call, code in _bad_inputs(store.limits, prefix):
        with pytest.raises(CorralError) as e:
            await call(store)
        assert e.value.code == code, name
    assert await store.revision() == before
    assert len(await store.range(prefix)) == 0


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://x/y", "store-unknown-scheme"),
        ("redis://127.0.0.1:6379", "store-unknown-scheme"),
        ("no-scheme", "store-invalid-url"),
        ("memory://x?bogus=1", "store-invalid-url"),
        ("sqlite://", "store-invalid-url"),
        ("sqlite:///tmp/x.db?synchronous=sometimes", "store-invalid-url"),
        ("etcd://127.0.0.1:notaport", "store-invalid-url"),
        ("etcd://127.0.0.1:2379?colour=red", "store-invalid-url"),
        ("sqlite:///nonexistent-dir/sub/corral.db", "store-unavailable"),
    ],
)
async def test_bad_urls(url: str, code: str) -> None:
    with pytest.raises(CorralError) as e:
        s = await open_store(url)
        await s.close()
    assert e.value.code == code


async def test_unreachable_etcd_names_the_endpoint() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(CorralError) as e:
        store = await open_store(f"etcd://127.0.0.1:{port}?connect_timeout=1")
        with contextlib.suppress(Exception):
            await store.close()
    assert e.value.code == "store-unavailable"
    assert f"127.0.0.1:{port}" in str(e.value)
    assert loop.time() - t0 < 5
