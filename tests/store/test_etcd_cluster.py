"""The contract on a 3-member etcd cluster while one member is killed and restarted: the
client fails over to the other endpoints of its URL by itself (requests, watches, lease
keepalives), and no update or event is lost or repeated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from tests.fixtures.etcd import EtcdCluster
from tests.store import scenarios

from corral.store import EventType, Store, open_store

pytestmark = pytest.mark.slow


@pytest.fixture
async def cluster_stores(
    etcd_cluster: EtcdCluster,
) -> AsyncIterator[Callable[[], Awaitable[Store]]]:
    opened: list[Store] = []

    async def open_one() -> Store:
        s = await open_store(etcd_cluster.url + "?timeout=8")
        opened.append(s)
        return s

    yield open_one
    for s in opened:
        await s.close()


async def chaos(cluster: EtcdCluster, member: int, after: float, down: float) -> None:
    """SIGKILL one member by PID, then restart it with the same data dir."""
    await asyncio.sleep(after)
    m = cluster.members[member]
    await asyncio.to_thread(m.kill)
    await asyncio.sleep(down)
    await asyncio.to_thread(m.restart)


@pytest.mark.parametrize("member", [0, 1])
async def test_counter_and_watch_survive_a_member_kill(
    etcd_cluster: EtcdCluster, cluster_stores: Callable[[], Awaitable[Store]], member: int
) -> None:
    """Member 0 is the one the clients talk to (first endpoint), member 1 another."""
    a, b, c = await cluster_stores(), await cluster_stores(), await cluster_stores()
    prefix = "/cluster/"
    start = await c.revision() + 1
    watch = await c.watch(prefix, from_revision=start)
    killer = asyncio.create_task(chaos(etcd_cluster, member, after=0.3, down=1.0))
    total = await scenarios.counter([a, b], prefix + "counter", writers=8, each=25)
    await killer
    assert total == 8 * 25
    # the watch, broken or not by the kill, delivered every change exactly once, in order
    final = await a.get(prefix + "counter")
    assert final is not None
    revs: list[int] = []
    async with asyncio.timeout(10):
        async for ev in watch:
            assert ev.type is EventType.PUT
            revs.append(ev.revision)
            if ev.revision == final.mod_revision:
                break
    await watch.close()
    assert len(revs) == len(set(revs)) == 8 * 25 and revs == sorted(revs)


async def test_watch_resume_and_snapshots_during_member_restart(
    etcd_cluster: EtcdCluster, cluster_stores: Callable[[], Awaitable[Store]]
) -> None:
    reader, writer = await cluster_stores(), await cluster_stores()
    killer = asyncio.create_task(chaos(etcd_cluster, 0, after=0.2, down=0.8))
    await scenarios.watch_resume(reader, writer, "/resume/", rounds=60)
    await killer
    killer = asyncio.create_task(chaos(etcd_cluster, 0, after=0.2, down=0.8))
    assert await scenarios.snapshots(reader, [writer, writer], "/snap/", seconds=1.5) > 3
    await killer


async def test_leases_and_leadership_survive_a_member_restart(
    etcd_cluster: EtcdCluster, cluster_stores: Callable[[], Awaitable[Store]]
) -> None:
    a, b = await cluster_stores(), await cluster_stores()
    # TTL 5 s: three member restarts (the raft leader among them) under a loaded
    # 2-core machine; the point is that keepalive and leadership ride over them.
    lease = await a.grant(5)
    await a.put("/lease/alive", b"1", lease=lease)
    election = a.election("/lease/leader", ttl=5)
    async with a.keepalive(lease) as ka:
        lead = await election.campaign(b"a")
        for member in (0, 1, 2):  # each member in turn, the leader among them
            await chaos(etcd_cluster, member, after=0.1, down=0.5)
        await asyncio.sleep(0.5)
        assert not ka.lost.is_set() and not lead.lost.is_set()
        assert await b.get("/lease/alive") is not None
        assert await lead.is_leader()
        await lead.txn([], [])  # fenced no-op still accepted
    await lead.resign()
    assert await b.get("/lease/leader") is None
