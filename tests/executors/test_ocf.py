"""The ocf executor against real Debian resource agents (Dummy, IPaddr2 in a network
namespace) and small test agents in a scratch OCF root."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.executors.conftest import ns_addresses

from corral.executors.ocf import OcfCall, OcfExecutor, base_instance, exit_reason_of
from corral.executors.procfs import is_alive
from corral.executors.result import ResultKind


def call(type_: str, action: str, rsc: str = "d1", provider: str = "heartbeat", **kw) -> OcfCall:
    return OcfCall(provider=provider, type=type_, action=action, rsc=rsc, **kw)


async def test_dummy_start_monitor_stop(real_ocf: str, tmp_path: Path) -> None:
    ex = OcfExecutor(node="n1", state_dir=str(tmp_path), root=real_ocf)
    state_file = tmp_path / "rsctmp" / "Dummy-d1.state"
    steps = [
        ("monitor", ResultKind.NOT_RUNNING, 7, False),
        ("start", ResultKind.SUCCESS, 0, True),
        ("monitor", ResultKind.SUCCESS, 0, True),
        ("start", ResultKind.SUCCESS, 0, True),  # idempotent
        ("stop", ResultKind.SUCCESS, 0, False),
        ("monitor", ResultKind.NOT_RUNNING, 7, False),
        ("stop", ResultKind.SUCCESS, 0, False),
    ]
    for action, kind, rc, exists in steps:
        r = await ex.run(call("Dummy", action, timeout_ms=10_000))
        assert (action, r.kind, r.rc) == (action, kind, rc), r
        assert state_file.exists() is exists  # the state file is in the node's own dir


async def test_two_nodes_on_one_host_do_not_share_state(real_ocf: str, tmp_path: Path) -> None:
    a = OcfExecutor(node="a", state_dir=str(tmp_path / "a"), root=real_ocf)
    b = OcfExecutor(node="b", state_dir=str(tmp_path / "b"), root=real_ocf)
    assert (await a.run(call("Dummy", "start"))).ok
    assert (await b.run(call("Dummy", "monitor"))).kind is ResultKind.NOT_RUNNING
    assert (await a.run(call("Dummy", "stop"))).ok


async def test_environment(test_ocf_root: str, tmp_path: Path) -> None:
    ex = OcfExecutor(node="n7", state_dir=str(tmp_path / "st"), root=test_ocf_root)
    envfile = tmp_path / "env"
    r = await ex.run(
        call(
            "slow",
            "monitor",
            rsc="web:2",
            provider="corraltest",
            params={"envfile": str(envfile), "childpid": "x", "my-param": "v w"},
            meta={"clone-max": "3", "notify": "true"},
            interval_ms=10_000,
            timeout_ms=5000,
        )
    )
    assert r.ok, r
    env = dict(
        line.split("=", 1)
        for line in (tmp_path / "env.monitor").read_text().splitlines()
        if "=" in line
    )
    expect = {
        "OCF_ROOT": test_ocf_root,
        "OCF_RESOURCE_INSTANCE": "web",
        "OCF_RESOURCE_TYPE": "slow",
        "OCF_RESOURCE_PROVIDER": "corraltest",
        "OCF_RESKEY_my_param": "v w",
        "OCF_RESKEY_CRM_meta_interval": "10000",
        "OCF_RESKEY_CRM_meta_timeout": "5000",
        "OCF_RESKEY_CRM_meta_on_node": "n7",
        "OCF_RESKEY_CRM_meta_clone": "2",
        "OCF_RESKEY_CRM_meta_clone_max": "3",
        "OCF_RESKEY_CRM_meta_notify": "true",
        "OCF_RESKEY_crm_feature_set": "3.16.2",
        "HA_RSCTMP": str(tmp_path / "st" / "rsctmp"),
        "HA_SBIN_DIR": str(tmp_path / "st" / "bin"),
        "SHELL": "/bin/bash",
    }
    assert {k: env.get(k) for k in expect} == expect
    assert env["PATH"].split(":")[0] == str(tmp_path / "st" / "bin")


async def test_start_timeout_kills_the_whole_process_group(
    test_ocf_root: str, tmp_path: Path
) -> None:
    ex = OcfExecutor(node="n1", state_dir=str(tmp_path / "st"), root=test_ocf_root)
    child = tmp_path / "child"
    params = {"envfile": str(tmp_path / "env"), "childpid": str(child)}
    t0 = time.monotonic()
    r = await ex.run(call("slow", "start", provider="corraltest", params=params, timeout_ms=700))
    took = time.monotonic() - t0
    assert r.kind is ResultKind.TIMEOUT and r.rc == 1 and r.op_status == 2
    assert "timed out after 700ms" in r.exit_reason
    assert 0.6 < took < 5.0
    pid = int(child.read_text())
    deadline = time.monotonic() + 2
    while is_alive(pid, None) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not is_alive(pid, None), "the agent's child outlived the timeout"


@pytest.mark.parametrize(
    ("type_", "action", "params", "kind", "reason"),
    [
        ("NoSuchAgent", "start", {}, ResultKind.NOT_INSTALLED, "not installed"),
        ("IPaddr2", "start", {}, ResultKind.NOT_CONFIGURED, "missing required parameter(s): ip"),
        ("Dummy", "frobnicate", {}, ResultKind.UNIMPLEMENTED, "unknown OCF action"),
        ("../../bin/sh", "start", {}, ResultKind.ERROR_ARGS, "invalid OCF type"),
    ],
)
async def test_bad_input(
    real_ocf: str, tmp_path: Path, type_: str, action: str, params: dict, kind, reason: str
) -> None:
    ex = OcfExecutor(node="n1", state_dir=str(tmp_path), root=real_ocf)
    r = await ex.run(call(type_, action, params=params))
    assert r.kind is kind
    assert reason in r.exit_reason


async def test_exit_reason_and_rc(test_ocf_root: str, tmp_path: Path) -> None:
    ex = OcfExecutor(node="n1", state_dir=str(tmp_path), root=test_ocf_root)
    params = {"envfile": str(tmp_path / "env"), "childpid": "x"}
    r = await ex.run(call("slow", "promote", provider="corraltest", params=params))
    assert (r.kind, r.rc, r.exit_reason) == (ResultKind.ERROR_GENERIC, 1, "cannot promote here")


def test_helpers() -> None:
    assert base_instance("web:3") == "web"
    assert base_instance("web") == "web"
    assert base_instance("a:b") == "a:b"
    assert exit_reason_of("x\nocf-exit-reason:first\nocf-exit-reason: last \n") == "last"


async def test_ipaddr2_in_a_network_namespace(real_ocf: str, netns: str, tmp_path: Path) -> None:
    require_ip = f"{real_ocf}/resource.d/heartbeat/IPaddr2"
    assert os.path.exists(require_ip)
    ex = OcfExecutor(node="n1", state_dir=str(tmp_path), root=real_ocf, netns=netns)
    params = {"ip": "10.213.0.100", "cidr_netmask": "24", "nic": "d0"}
    for action, kind in [
        ("monitor", ResultKind.NOT_RUNNING),
        ("start", ResultKind.SUCCESS),
        ("monitor", ResultKind.SUCCESS),
    ]:
        r = await ex.run(call("IPaddr2", action, rsc="vip", params=params, timeout_ms=20_000))
        assert r.kind is kind, r
    assert "10.213.0.100/24" in ns_addresses(netns)
    r = await ex.run(call("IPaddr2", "stop", rsc="vip", params=params, timeout_ms=20_000))
    assert r.ok, r
    assert "10.213.0.100" not in ns_addresses(netns)
    r = await ex.run(call("IPaddr2", "monitor", rsc="vip", params=params, timeout_ms=20_000))
    assert r.kind is ResultKind.NOT_RUNNING
