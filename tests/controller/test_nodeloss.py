"""The controller's handling of a lost node without a fence device (watchdog fencing),
against the memory store: the margin runs on the leader's own monotonic clock, and
erasing a big history is done whole, its fence-history entry included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from corral.controller.daemon import Controller, Settings
from corral.controller.keys import Keys
from corral.controller.snapshot import read_view
from corral.store import open_store
from corral.store.base import Put, Store
from corral.store.election import Leadership

K = Keys("t")
MARGIN = 0.3


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = await open_store("memory://")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def lead(store: Store) -> AsyncIterator[Leadership]:
    lead = await store.election(K.leader, ttl=5).campaign(b"test")
    try:
        yield lead
    finally:
        await lead.resign()


def _controller(store: Store, wall: Clock, mono: Clock) -> Controller:
    return Controller(
        store, "t", name="c1", settings=Settings(margin_s=MARGIN), clock=wall, monotonic=mono
    )


async def _lost_node(store: Store, *, since: float, n_ops: int, rejoined: bool) -> None:
    revision = 0
    for start in range(0, n_ops, 50):
        puts = [Put.json(f"{K.status_ops}n2/r{i}", {"role": "Started"}) for i in range(n_ops)]
        revision = (await store.txn([], puts[start : start + 50])).revision
    ops = [Put.json(K.lost_node("n2"), {"since": since, "revision": revision})]
    if rejoined:  # a new life: only the records older than the loss go
        ops.append(Put.json(K.member("n2"), {"node": "n2", "lease": 7}))
    await store.txn([], ops)


async def test_erasing_a_big_history_is_chunked_and_the_lost_record_goes_last(
    store: Store, lead: Leadership
) -> None:
    await _lost_node(store, since=1000.0, n_ops=150, rejoined=True)
    wall, mono = Clock(1000.0), Clock(50.0)
    ctl = _controller(store, wall, mono)
    assert await ctl._settle_lost(lead, await read_view(store, K), wall.now) is False  # waits
    wall.now += MARGIN + 0.1
    mono.now += MARGIN + 0.1
    assert await ctl._settle_lost(lead, await read_view(store, K), wall.now) is True
    view = await read_view(store, K)
    assert not [rsc for node, rsc in view.ops if node == "n2"]  # all 150 erased
    assert "n2" not in view.lost
    entries = view.fence_history.get("n2", [])
    assert [e["device"] for _, e in entries] == ["watchdog"]


@pytest.mark.parametrize("skew", [-100.0, 0.0, 100.0])
async def test_margin_runs_from_when_this_leader_saw_the_node_lost(
    store: Store, lead: Leadership, skew: float
) -> None:
    # the record's wall-clock time was written by another host whose clock is off
    await _lost_node(store, since=1000.0 + skew, n_ops=2, rejoined=False)
    wall, mono = Clock(1000.0), Clock(7.0)
    ctl = _controller(store, wall, mono)
    assert await ctl._settle_lost(lead, await read_view(store, K), wall.now) is False
    wall.now += MARGIN / 2
    mono.now += MARGIN / 2
    assert await ctl._settle_lost(lead, await read_view(store, K), wall.now) is False
    assert "n2" in (await read_view(store, K)).lost
    wall.now += MARGIN
    mono.now += MARGIN
    assert await ctl._settle_lost(lead, await read_view(store, K), wall.now) is True
    assert "n2" not in (await read_view(store, K)).lost
