"""Fencing end to end: a local cluster (``corral up``), the real ``fence_ipmilan``
against OpenIPMI's ``ipmi_sim`` on 127.0.0.1 whose power-off kills the target
node's cgroup (agent, watchdog, controller and everything they started).

The processes themselves, sampled every 50 ms, are the ground truth of where a
resource runs; the fence history (``corral stonith history``) says when a device
confirmed the node off.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import (
    CORRAL,
    LocalCluster,
    Sampler,
    free_port,
    http_ok,
    wait_for,
)
from tests.fixtures import bmc as fx

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

bmc_factory = fx.bmc_factory  # pytest fixture


@pytest.fixture(autouse=True)
def _real_parts() -> None:
    fx.require("ipmi_sim", "ipmitool", "/usr/sbin/fence_ipmilan")


def _history(c: LocalCluster, node: str) -> list[dict[str, Any]]:
    return json.loads(c.corral("stonith", "history", node, "--format", "json"))


def _device(c: LocalCluster, name: str, node: str, bmc: fx.Bmc, password: str) -> None:
    p = bmc.fence_params(password=password)
    c.corral(
        "stonith", "create", name, "fence_ipmilan",
        *(f"{k}={v}" for k, v in p.items()), f"pcmk_host_list={node}",
    )  # fmt: skip


def _web_off_leader(c: LocalCluster) -> tuple[str, str, int, str]:
    """A web resource on a node that is not the leader (the leader in standby, so that
    fencing the web's node does not also kill the controller that fences it)."""
    leader = wait_for(c.leader, 15, "a leader")
    c.corral("node", "standby", leader)
    host, port = "127.0.0.6", free_port()
    marker = c.web("web", host, port)
    node = wait_for(lambda: c.nodes_running(marker), 20, "web to run")[0]
    wait_for(lambda: http_ok(host, port), 10, "web to answer")
    wait_for(lambda: c.where("web") == [node], 10, "status to show web on its node")
    assert node != leader
    return node, host, port, marker


@contextlib.contextmanager
def _stopped_agent(c: LocalCluster, node: str) -> Iterator[None]:
    c.signal_agent(node, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            c.signal_agent(node, signal.SIGCONT)


def _epoch_to_mono() -> Callable[[float], float]:
    offset = time.time() - time.monotonic()
    return lambda t: t - offset


def test_partition_fenced_by_device_before_recovery(
    cluster: LocalCluster, bmc_factory: Callable[..., fx.Bmc]
) -> None:
    c = cluster
    node, host, port, marker = _web_off_leader(c)
    bmc = bmc_factory(node)
    bmc.set_victims(cgroups=[c.node(node)["cgroup"]])
    _device(c, f"ipmi-{node}", node, bmc, bmc.password)
    to_mono = _epoch_to_mono()
    sampler = Sampler(c, marker).start()
    try:
        with _stopped_agent(c, node):
            t0 = time.monotonic()
            fenced = wait_for(
                lambda: [e for e in _history(c, node) if e["result"] == "success"],
                30, "the device to fence the node",
            )  # fmt: skip
            other = wait_for(
                lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web elsewhere"
            )
            wait_for(lambda: http_ok(host, port), 10, "web to answer on another node")
    finally:
        sampler.stop()
    entry = fenced[0]
    assert entry["device"] == f"ipmi-{node}" and entry["action"] == "reboot"
    assert bmc.password not in json.dumps(_history(c, node))
    assert "killed" in bmc.chassis_log()
    assert c.cgroup_pids(node) == []  # the power-off took the whole node
    assert sampler.doubles() == []
    confirmed = to_mono(float(entry["when"]) + float(entry["duration_s"]))
    first_else = min(t for t, nodes in sampler.samples if any(n != node for n in nodes))
    assert first_else > confirmed, "web started elsewhere before the device confirmed"
    on_node = [t for t, nodes in sampler.samples if node in nodes]
    assert not on_node or max(on_node) < first_else
    st = c.status()
    n = next(x for x in st["nodes"] if x["name"] == node)
    assert n["state"] == "offline" and n["last_fenced"]["device"] == f"ipmi-{node}"
    assert other[0] != node
    print(
        f"partition to device confirmation {confirmed - t0:.2f} s; "
        f"confirmation to web running elsewhere {first_else - confirmed:.2f} s"
    )


def test_topology_level_one_fails_level_two_fences(
    sqlite_cluster: LocalCluster, bmc_factory: Callable[..., fx.Bmc]
) -> None:
    c = sqlite_cluster
    node, _host, _port, marker = _web_off_leader(c)
    bmc = bmc_factory(node)
    bmc.set_victims(cgroups=[c.node(node)["cgroup"]])
    _device(c, "bad-pw", node, bmc, "wrong-" + bmc.password)
    _device(c, "good-pw", node, bmc, bmc.password)
    c.corral("stonith", "level", "add", "1", node, "bad-pw")
    c.corral("stonith", "level", "add", "2", node, "good-pw")
    c.corral("stonith", "fence", node, "--off")
    ok = wait_for(
        lambda: [e for e in _history(c, node) if e["result"] == "success"], 30, "the fence"
    )
    hist = _history(c, node)
    first = [e for e in hist if e["device"] == "bad-pw"]
    assert first and first[-1]["level"] == 1 and first[-1]["result"] == "failed"
    assert first[-1]["reason"], first
    assert ok[0]["device"] == "good-pw" and ok[0]["level"] == 2 and ok[0]["action"] == "off"
    assert bmc.power == "0" and c.cgroup_pids(node) == []
    assert bmc.password not in json.dumps(hist)
    wait_for(lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web elsewhere")
    text = c.corral("stonith", "history", node)
    assert "bad-pw level 1: failed" in text and "good-pw level 2: success" in text


def test_device_that_never_succeeds_keeps_resources_and_backs_off(
    sqlite_cluster: LocalCluster, bmc_factory: Callable[..., fx.Bmc]
) -> None:
    c = sqlite_cluster
    node, _host, _port, marker = _web_off_leader(c)
    bmc = bmc_factory(node)
    _device(c, "bad-pw", node, bmc, "wrong-" + bmc.password)
    with _stopped_agent(c, node):
        wait_for(lambda: len({e["round"] for e in _history(c, node)}) >= 4, 25, "4 rounds")
        st = c.status()
        elsewhere = [n for n in c.nodes_running(marker) if n != node]
    hist = sorted(_history(c, node), key=lambda e: e["when"])
    assert all(e["result"] == "failed" for e in hist)
    starts: dict[int, float] = {}
    for e in hist:
        starts.setdefault(e["round"], float(e["when"]))
    times = [starts[r] for r in sorted(starts)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(b > a for a, b in itertools.pairwise(gaps)), gaps
    assert gaps[0] >= 0.9, gaps  # backoff starts at 1 s: no busy loop
    assert elsewhere == [], "web started elsewhere although the node was never fenced"
    # still where it was, as far as the cluster knows
    assert [r["node"] for r in st["resources"] if r["id"] == "web"] == [node]
    f = next(x for x in st["fencing"] if x["node"] == node)
    assert f["state"] == "failing" and f["failures"] >= 3
    assert "plug status" in (f["last_error"] or ""), f
    n = next(x for x in st["nodes"] if x["name"] == node)
    assert n["state"] == "unclean" and "fencing is failing" in n["reason"]
    assert bmc.password not in json.dumps(st)


def test_no_device_for_the_node_falls_back_to_its_watchdog(
    sqlite_cluster: LocalCluster, bmc_factory: Callable[..., fx.Bmc]
) -> None:
    c = sqlite_cluster
    node, host, port, marker = _web_off_leader(c)
    other = next(n["name"] for n in c.info["nodes"] if n["name"] != node)
    _device(c, f"ipmi-{other}", other, bmc_factory(other), "pw")  # a device, not for `node`
    c.kill_node(node)
    wait_for(lambda: [n for n in c.nodes_running(marker) if n != node], 20, "web elsewhere")
    wait_for(lambda: http_ok(host, port), 10, "web to answer")
    (entry,) = _history(c, node)
    assert entry["device"] == "watchdog" and entry["result"] == "success"
    n = next(x for x in c.status()["nodes"] if x["name"] == node)
    assert n["state"] == "offline" and n["last_fenced"]["device"] == "watchdog"


def _cli(store: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CORRAL, *args, "--store", store], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["stonith", "create", "d1", "fence_nosuchagent", "ip=1.2.3.4"], "not installed"),
        (["stonith", "create", "d1", "fence_virsh", "username=a", "password=b"], "'ip'"),
        (["stonith", "create", "d1", "fence_ipmilan", "bogus=1"], "no parameter 'bogus'"),
        (["stonith", "level", "add", "1", "n1", "nosuch"], "'nosuch', which does not exist"),
    ],
)
def test_bad_input_rejected_config_unchanged(tmp_path: Path, words: list[str], says: str) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    ok = _cli(store, "stonith", "create", "d0", "fence_ipmilan", "ip=127.0.0.1",
              "password=topsecret", "pcmk_host_list=n1")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    before = _cli(store, "stonith", "list", "--format", "json").stdout
    out = _cli(store, *words)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corral: error:") and says in lines[0], lines
    assert _cli(store, "stonith", "list", "--format", "json").stdout == before
    assert "topsecret" not in before and "****" in before
