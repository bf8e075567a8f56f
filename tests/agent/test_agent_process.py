"""The agent as a real process: SIGKILLed and restarted (sqlite store), and cut off from
its store (etcd SIGSTOPped): self-fencing within the lease TTL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tests.agent.helpers import (
    DUMMY,
    KEYS,
    AgentProcess,
    done,
    http_agent,
    node_record,
    send,
    wait_key_gone,
    wait_ops,
)
from tests.fixtures.etcd import EtcdCluster, free_port, start_cluster

from corral.agent.protocol import Action
from corral.executors import procfs
from corral.store import Store, open_store


def pid_of(state_dir: Path, rsc: str) -> int:
    return int(json.loads((state_dir / "processes" / f"{rsc}.json").read_text())["pid"])


def lines(p: Path) -> int:
    return len(p.read_text().splitlines()) if p.exists() else 0


async def wait_member(store: Store, node: str = "n1", timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await store.get(KEYS.member(node)) is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the agent did not register")


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[tuple[str, Store]]:
    url = f"sqlite:///{tmp_path}/corral.db"
    s = await open_store(url)
    yield url, s
    await s.close()


async def test_sigkill_and_restart(tmp_path: Path, sqlite_store: tuple[str, Store]) -> None:
    url, store = sqlite_store
    st = tmp_path / "n1"
    p1, p2 = free_port(), free_port()
    c1, c2 = tmp_path / "web.count", tmp_path / "web2.count"
    web, web2 = http_agent(p1, c1), http_agent(p2, c2)
    agent = AgentProcess(url, st, ttl=6.0)  # a TTL the restart fits in, with margin
    try:
        agent.start()
        await wait_member(store)
        await send(store, "n1", Action(id="w-start", rsc="web", task="start", agent=web))
        await send(store, "n1", Action(id="w-mon", rsc="web", task="monitor", interval_ms=500,
                                       agent=web))  # fmt: skip
        await send(store, "n1", Action(id="d-start", rsc="d1", task="start", agent=DUMMY))
        await wait_ops(store, "n1", "web", done("monitor", 500), timeout=15)
        await wait_ops(store, "n1", "d1", done("start"), timeout=15)
        pid = pid_of(st, "web")

        agent.kill(signal.SIGKILL)
        # sent while the agent is dead: must run exactly once after the restart
        await send(store, "n1", Action(id="w2-start", rsc="web2", task="start", agent=web2))
        agent.start()
        o2 = await wait_ops(store, "n1", "web2", done("start"), timeout=20)
        assert o2.ops["start_0"].action_id == "w2-start"
        await wait_key_gone(store, KEYS.action("n1", "w2-start"))
        assert "lease-resumed" in agent.log_text()

        # nothing started twice; the probe found web running
        assert (lines(c1), lines(c2)) == (1, 1)
        assert pid_of(st, "web") == pid and procfs.is_alive(pid, None)
        o = await wait_ops(store, "n1", "web", done("monitor", 0), timeout=10)
        assert o.role == "Started" and o.monitors == [500]

        # the same action id again: its journaled result is re-published, not re-run
        await send(store, "n1", Action(id="w2-start", rsc="web2", task="start", agent=web2))
        await wait_key_gone(store, KEYS.action("n1", "w2-start"))
        assert lines(c2) == 1 and "action-replayed" in agent.log_text()

        # the recurring monitor resumed: a dead web is seen within interval + 1 s
        os.killpg(pid, signal.SIGKILL)
        t0 = time.monotonic()
        o = await wait_ops(store, "n1", "web", done("monitor", 500, rc=7), timeout=5)
        assert time.monotonic() - t0 <= 1.5
        assert o.fail_count == 1

        # a graceful stop (SIGTERM) stops what runs: web2 and d1
        web2_pid = pid_of(st, "web2")
        agent.terminate()
        assert not procfs.is_alive(web2_pid, None)
        assert not (st / "rsctmp" / "Dummy-d1.state").exists()
    finally:
        agent.close()


@pytest.fixture
def etcd_one() -> Iterator[EtcdCluster]:
    cluster = start_cluster(1)  # our own: this test freezes it
    try:
        yield cluster
    finally:
        for m in cluster.members:
            if m.pid:
                with_cont(m.pid)
        cluster.stop()


def with_cont(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGCONT)


async def test_store_cut_off_self_fences_within_the_ttl(
    tmp_path: Path, etcd_one: EtcdCluster
) -> None:
    ttl = 2.0
    st = tmp_path / "n1"
    store = await open_store(etcd_one.url)
    agent = AgentProcess(etcd_one.url, st, ttl=ttl)
    etcd_pid = etcd_one.members[0].pid
    assert etcd_pid
    try:
        agent.start()
        await wait_member(store)
        port = free_port()
        await send(store, "n1", Action(id="w", rsc="web", task="start", agent=http_agent(port)))
        await send(store, "n1", Action(id="d", rsc="d1", task="start", agent=DUMMY))
        await send(store, "n1", Action(id="dm", rsc="d1", task="monitor", interval_ms=1000,
                                       agent=DUMMY))  # fmt: skip
        await wait_ops(store, "n1", "web", done("start"), timeout=15)
        await wait_ops(store, "n1", "d1", done("monitor", 1000), timeout=15)
        pid = pid_of(st, "web")
        dummy_state = st / "rsctmp" / "Dummy-d1.state"
        assert dummy_state.exists()

        os.kill(etcd_pid, signal.SIGSTOP)  # the store stops answering
        t0 = time.monotonic()
        while procfs.is_alive(pid, None) or dummy_state.exists():
            assert time.monotonic() - t0 < ttl, "resources still running at the lease's end"
            await asyncio.sleep(0.02)
        took = time.monotonic() - t0
        os.kill(etcd_pid, signal.SIGCONT)

        # back in touch: it re-registers and reports what it did
        deadline = time.monotonic() + 20
        rec = None
        while time.monotonic() < deadline:
            rec = await node_record(store, "n1")
            if rec is not None and rec.self_fence is not None:
                break
            await asyncio.sleep(0.1)
        assert rec is not None and rec.self_fence is not None, agent.log_text()[-3000:]
        assert rec.self_fence.stopped == ["d1", "web"] and rec.self_fence.failed == []
        o = await wait_ops(store, "n1", "web", done("stop"), timeout=10)
        assert o.ops["stop_0"].exit_reason == "process group killed"
        assert (
            o.role == "Stopped" and (await wait_ops(store, "n1", "d1", done("stop"))).monitors == []
        )
        await wait_member(store)
        print(f"self-fenced {took:.2f}s after the store froze (ttl {ttl}s)")
    finally:
        with_cont(etcd_pid)
        agent.close()
        await store.close()
