"""Policy end to end: failing monitors, standby and stickiness, order across nodes."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from tests.e2e.harness import LocalCluster, cmdline, free_port, http_ok, kill_quietly, wait_for

from corral.store import open_store

pytestmark = pytest.mark.slow


def _pids_of(c: LocalCluster, node: str, marker: str) -> list[int]:
    """The live processes on ``node`` running ``marker`` (a just-killed one has no cmdline)."""
    return [p for p in c.cgroup_pids(node) if marker in cmdline(p)]


def _restarted(c: LocalCluster, node: str, marker: str, old: int) -> int | None:
    """The pid of a new ``marker`` process on ``node`` (not ``old``), once there is one."""
    pids = [p for p in _pids_of(c, node, marker) if p != old]
    return pids[0] if pids else None


def _started(c: LocalCluster, node: str, port: int) -> None:
    """web answers on ``node`` and its start is recorded (its monitor runs from then)."""
    wait_for(lambda: http_ok("127.0.0.4", port), 10, "web to answer")
    wait_for(lambda: c.where("web") == [node], 10, f"status to show web started on {node}")


def test_failing_monitor_restarts_then_moves(shared_cluster: LocalCluster) -> None:
    c = shared_cluster
    port = free_port()
    marker = c.web("web", "127.0.0.4", port, "meta", "migration-threshold=2")
    node = wait_for(lambda: c.nodes_running(marker), 20, "web to run")[0]
    _started(c, node, port)  # a failure of its MONITOR, not of its start
    # 1st failure: restart in place
    first = wait_for(lambda: _pids_of(c, node, marker), 5, "web's pid")[0]
    kill_quietly(first, signal.SIGKILL)
    second = wait_for(lambda: _restarted(c, node, marker, first), 15, "web restarted in place")
    _started(c, node, port)
    # 2nd failure reaches migration-threshold=2: it moves
    kill_quietly(second, signal.SIGKILL)
    other = wait_for(
        lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web moved away"
    )
    assert other and node not in c.nodes_running(marker)
    wait_for(lambda: http_ok("127.0.0.4", port), 10, "web to answer")
    assert any(f["rsc"] == "web" for f in c.status()["failed_actions"])


def test_standby_empties_unstandby_keeps_sticky(shared_cluster: LocalCluster) -> None:
    c = shared_cluster
    port = free_port()
    marker = c.web("web", "127.0.0.5", port, "meta", "resource-stickiness=100")
    node = wait_for(lambda: c.nodes_running(marker), 20, "web to run")[0]
    c.corral("node", "standby", node)
    other = wait_for(
        lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web off the standby node"
    )
    assert node not in c.nodes_running(marker)
    st = {n["name"]: n["state"] for n in c.status()["nodes"]}
    assert st[node] == "standby"
    c.corral("node", "unstandby", node)
    wait_for(lambda: {n["name"]: n["state"] for n in c.status()["nodes"]}[node] == "online", 10,
             "node online again")  # fmt: skip
    time.sleep(2.0)  # give the controller every chance to move it back (it must not)
    assert c.nodes_running(marker) == other


def test_order_holds_across_nodes(shared_cluster: LocalCluster) -> None:
    c = shared_cluster
    pa, pb = free_port(), free_port()
    ma = c.web("a", "127.0.0.6", pa, "--disabled")
    mb = c.web("b", "127.0.0.7", pb, "--disabled")  # no start of b before the order exists
    c.corral("constraint", "location", "a", "prefers", "n1")
    c.corral("constraint", "location", "b", "prefers", "n2")
    c.corral("constraint", "order", "a", "then", "b")
    c.corral("resource", "enable", "b")
    time.sleep(1.5)
    assert c.nodes_running(mb) == []  # b waits for a, which is disabled
    enabled = time.time()
    c.corral("resource", "enable", "a")
    wait_for(lambda: c.nodes_running(mb) == ["n2"], 20, "b on n2")
    assert c.nodes_running(ma) == ["n1"]
    # b's start began after a's start had finished (the agents' own records). A process
    # is up before its agent records the start, so wait for the records of these starts.
    ops = wait_for(lambda: _start_records(c, enabled), 10, "both start records")
    a_end = ops["a"]["start"] + ops["a"]["duration_ms"] / 1000
    assert ops["b"]["start"] >= a_end


def _start_records(c: LocalCluster, since: float) -> dict[str, dict] | None:
    """a's start record on n1 and b's on n2, once both are of starts begun after ``since``."""

    async def go() -> dict[str, dict] | None:
        s = await open_store(c.info["store"])
        try:
            out = {}
            for node, rsc in (("n1", "a"), ("n2", "b")):
                kv = await s.get(f"/corral/{c.name}/status/ops/{node}/{rsc}")
                rec = (kv.json()["ops"] if kv is not None else {}).get("start_0")
                if rec is None or rec["start"] < since:
                    return None
                out[rsc] = rec
            return out
        finally:
            await s.close()

    return asyncio.run(go())
