"""A node's death, safely: the resource comes back elsewhere and never runs twice
(checked with the processes themselves, sampled every 50 ms)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from tests.e2e.harness import LocalCluster, Sampler, free_port, http_ok, wait_for

pytestmark = pytest.mark.slow


def _start_web(c: LocalCluster, host: str = "127.0.0.2") -> tuple[str, int, str, str]:
    port = free_port()
    marker = c.web("web", host, port)
    node = wait_for(lambda: c.nodes_running(marker), 20, "web to run")[0]
    wait_for(lambda: http_ok(host, port), 10, "web to answer")
    wait_for(lambda: c.where("web") == [node], 10, "status to show web on its node")
    return host, port, marker, node


def test_whole_node_killed(cluster: LocalCluster) -> None:
    host, port, marker, node = _start_web(cluster)
    sampler = Sampler(cluster, marker).start()
    try:
        t0 = time.monotonic()
        cluster.kill_node(node)
        other = wait_for(
            lambda: [n for n in cluster.nodes_running(marker) if n != node], 20, "web elsewhere"
        )
        wait_for(lambda: http_ok(host, port), 10, "web to answer on another node")
        took = time.monotonic() - t0
    finally:
        sampler.stop()
    assert sampler.doubles() == []
    assert other[0] != node
    assert took < 10, f"failover took {took:.1f} s"
    st = cluster.status()
    assert {n["name"]: n["state"] for n in st["nodes"]}[node] == "offline"


def test_agent_sigkilled(cluster: LocalCluster) -> None:
    c = cluster
    host, port, marker, node = _start_web(c)
    sampler = Sampler(c, marker).start()
    try:
        c.signal_agent(node, signal.SIGKILL)
        wait_for(lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web elsewhere")
        wait_for(lambda: http_ok(host, port), 10, "web to answer")
    finally:
        sampler.stop()
    assert sampler.doubles() == []
    assert "FIRED" in c.watchdog_log(node)


def test_agent_sigstopped_longer_than_lease(cluster: LocalCluster) -> None:
    c = cluster
    host, port, marker, node = _start_web(c)
    sampler = Sampler(c, marker).start()
    try:
        c.signal_agent(node, signal.SIGSTOP)
        gone = wait_for(lambda: node not in c.nodes_running(marker), 10, "watchdog to kill web")
        elsewhere = wait_for(
            lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web elsewhere"
        )
        wait_for(lambda: http_ok(host, port), 10, "web to answer")
    finally:
        sampler.stop()
        c.signal_agent(node, signal.SIGCONT)
    assert gone and elsewhere
    assert sampler.doubles() == []
    assert "FIRED" in c.watchdog_log(node)
    # the first sample showing it elsewhere comes after the last showing it on `node`
    last_on = max(t for t, nodes in sampler.samples if node in nodes)
    first_else = min(t for t, nodes in sampler.samples if any(n != node for n in nodes))
    assert last_on < first_else


def test_leader_killed_another_finishes(cluster: LocalCluster) -> None:
    c = cluster
    leader = wait_for(c.leader, 10, "a leader")
    c.corral("node", "standby", leader)  # nothing runs with the leader: only its death
    os.kill(c.controller_pid(leader), signal.SIGKILL)
    port = free_port()
    marker = c.web("web", "127.0.0.3", port)
    wait_for(lambda: c.leader() not in (None, leader), 15, "another leader")
    wait_for(lambda: c.nodes_running(marker), 20, "web started by the new leader")
    wait_for(lambda: http_ok("127.0.0.3", port), 10, "web to answer")
