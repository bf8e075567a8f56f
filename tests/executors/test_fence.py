"""Real fence agents: fence_ipmilan against OpenIPMI's ipmi_sim on 127.0.0.1
(see tests/fixtures/bmc.py), fence_dummy, and metadata-driven validation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.fixtures import bmc as fx
from tests.fixtures.bmc import Bmc, CgroupNode, NodeGroup, free_udp_port, require

from corral.executors.fence import FenceRunner, redact, run_agent
from corral.executors.fence_meta import (
    MetadataCache,
    fetch_metadata,
    find_agent,
    list_agents,
    validate_device,
)
from corral.model.config import FenceDevice
from corral.model.errors import ConfigError, CorralError

pytestmark = pytest.mark.timeout(60)

bmc = fx.bmc  # pytest fixtures
node_group = fx.node_group


@pytest.fixture
def runner() -> FenceRunner:
    require("/usr/sbin/fence_ipmilan", "/usr/sbin/fence_dummy")
    return FenceRunner(default_timeout_s=20)


def ipmi_device(b: Bmc, dev_id: str = "ipmi-n1", **override: str) -> FenceDevice:
    return FenceDevice(
        id=dev_id, agent="fence_ipmilan", params=b.fence_params(**override), host_list=[b.name]
    )


def _wait_dead(g: NodeGroup, within_s: float = 2.0) -> bool:
    deadline = time.monotonic() + within_s
    while g.alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not g.alive()


# ---------------------------------------------------------------- fence_ipmilan + ipmi_sim


async def test_status_on(runner: FenceRunner, bmc: Bmc) -> None:
    res = await runner.status(ipmi_device(bmc), "n1")
    assert res.ok and res.power == "on" and res.rc == 0
    assert res.device == "ipmi-n1" and res.target == "n1" and res.action == "status"
    assert res.duration_s > 0 and res.started > 0


async def test_off_kills_node_and_is_confirmed_by_status(
    runner: FenceRunner,
    bmc: Bmc,
    node_group: NodeGroup,
) -> None:
    bmc.set_victims(pgids=[node_group.pgid])
    assert node_group.alive()
    res = await runner.run(ipmi_device(bmc), "n1", "off")
    assert res.ok, res.reason
    assert res.power == "off" and res.confirmed_by == "status"
    assert "set power 0" in bmc.chassis_log() and "killed" in bmc.chassis_log()
    assert _wait_dead(node_group), f"node processes survived: {node_group.live_pids()}"
    assert bmc.power == "0"
    st = await runner.status(ipmi_device(bmc), "n1")
    assert st.ok and st.power == "off" and st.rc == 2


async def test_on_then_reboot(runner: FenceRunner, bmc: Bmc, node_group: NodeGroup) -> None:
    dev = ipmi_device(bmc)
    assert (await runner.run(dev, "n1", "off")).ok
    on = await runner.run(dev, "n1", "on")
    assert on.ok and on.power == "on" and on.confirmed_by == "status"
    assert bmc.power == "1"
    bmc.set_victims(pgids=[node_group.pgid])
    rb = await runner.run(dev, "n1", "reboot")
    assert rb.ok and rb.confirmed_by == "agent", rb.reason
    log = bmc.chassis_log()
    assert log.count("set power 0") == 2 and log[-1].startswith("get power")
    assert _wait_dead(node_group)
    assert bmc.power == "1"


async def test_wrong_password_fails_fast_with_reason_and_no_secret(
    runner: FenceRunner,
    bmc: Bmc,
    node_group: NodeGroup,
) -> None:
    bmc.set_victims(pgids=[node_group.pgid])
    dev = ipmi_device(bmc, password="wrong-pass-123")
    t0 = time.monotonic()
    res = await runner.run(dev, "n1", "off", timeout_s=15)
    took = time.monotonic() - t0
    assert res.outcome == "failed"
    assert "plug status" in res.reason  # "Unable to obtain correct plug status ..."
    assert res.tries == 3  # the default: 2 retries
    assert took < 10, took  # about 0.1 s per try on an idle machine
    assert node_group.alive() and bmc.power == "1"
    assert "wrong-pass-123" not in repr(res.to_dict())


async def test_unreachable_bmc_times_out_within_budget(runner: FenceRunner) -> None:
    port = free_udp_port()  # nothing listens: fence_ipmilan alone would wait 20 s
    dev = FenceDevice(
        id="gone",
        agent="fence_ipmilan",
        params={
            "ip": "127.0.0.1",
            "ipport": str(port),
            "username": "admin",
            "password": "pw-gone",
            "lanplus": "1",
            "cipher": "3",
        },
    )
    t0 = time.monotonic()
    res = await runner.run(dev, "n1", "off", timeout_s=2)
    took = time.monotonic() - t0
    assert res.outcome == "timeout" and not res.ok
    assert 1.9 < took < 6, took


async def test_hung_bmc_times_out_and_agent_group_is_killed(runner: FenceRunner, bmc: Bmc) -> None:
    bmc.pause()
    try:
        res = await runner.status(ipmi_device(bmc), "n1", timeout_s=1.5)
    finally:
        bmc.resume()
    assert res.outcome == "timeout"
    again = await runner.status(ipmi_device(bmc), "n1")
    assert again.ok and again.power == "on"


async def test_off_kills_a_cgroup_node(runner: FenceRunner, bmc: Bmc) -> None:
    node = CgroupNode.create()
    try:
        node.start()
        assert len(node.pids()) >= 3
        bmc.set_victims(cgroups=[str(node.path)])
        res = await runner.run(ipmi_device(bmc), "n1", "off")
        assert res.ok and res.confirmed_by == "status"
        deadline = time.monotonic() + 2
        while node.populated() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not node.populated(), node.pids()
    finally:
        node.destroy()


async def test_host_map_passes_the_plug(runner: FenceRunner, bmc: Bmc) -> None:
    # fence_ipmilan takes a plug it does not need; the map decides what is passed
    dev = ipmi_device(bmc)
    dev.host_map = {"n1": "7"}
    res = await runner.status(dev, "n1")
    assert res.ok and res.power == "on"


async def test_action_the_agent_lacks(runner: FenceRunner, bmc: Bmc) -> None:
    res = await runner.run(ipmi_device(bmc), None, "list")
    assert res.outcome == "failed" and "list" in res.reason


# ---------------------------------------------------------------- fence_dummy


def dummy_device(tmp_path: Path, state: str = "on", dev_id: str = "dummy") -> FenceDevice:
    f = tmp_path / f"{dev_id}.status"
    f.write_text(state)  # exactly "on"/"off": no newline
    return FenceDevice(
        id=dev_id, agent="fence_dummy", params={"type": "file", "status_file": str(f)}
    )


async def test_fence_dummy_off_on(runner: FenceRunner, tmp_path: Path) -> None:
    dev = dummy_device(tmp_path)
    assert (await runner.status(dev, "n1")).power == "on"
    off = await runner.run(dev, "n1", "off")
    assert off.ok and off.confirmed_by == "status" and off.power == "off"
    assert (tmp_path / "dummy.status").read_text() == "off"
    on = await runner.run(dev, "n1", "on")
    assert on.ok and on.power == "on"


async def test_fence_dummy_failing_type(runner: FenceRunner) -> None:
    dev = FenceDevice(
        id="fail", agent="fence_dummy", params={"type": "fail", "power_timeout": "1"}, retries=0
    )
    res = await runner.run(dev, "n1", "off", timeout_s=10)
    assert res.outcome == "failed" and res.tries == 1


async def test_run_agent_kills_its_process_group_on_timeout(tmp_path: Path) -> None:
    script = tmp_path / "fence_slow"
    pidfile = tmp_path / "child.pid"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pidfile}\nwait\n")
    script.chmod(0o755)
    run = await run_agent(script, {"action": "off"}, timeout_s=0.5)
    assert run.timed_out and run.rc is None
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.01)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_run_agent_rejects_line_breaks() -> None:
    with pytest.raises(CorralError) as e:
        await run_agent("/usr/sbin/fence_dummy", {"x": "a\naction=on"}, timeout_s=1)
    assert e.value.code == "fence-param-invalid"


# ---------------------------------------------------------------- metadata and validation


async def test_metadata_of_fence_ipmilan() -> None:
    require("/usr/sbin/fence_ipmilan")
    meta = await fetch_metadata("fence_ipmilan")
    assert meta.name == "fence_ipmilan"
    assert {"off", "on", "reboot", "status", "monitor"} <= meta.actions
    assert "list" not in meta.actions
    assert meta.params["ipport"].default == "623" and meta.params["ipport"].type == "integer"
    assert meta.aliases("password") == {"password", "passwd"}
    assert "fence_ipmilan" in list_agents()


@pytest.mark.parametrize(
    ("agent", "params", "codes"),
    [
        ("fence_nosuch", {}, ["fence-agent-unknown"]),
        ("../bin/sh", {}, ["fence-agent-unknown"]),
        ("fence_apc", {"ip": "127.0.0.1"}, ["fence-param-missing"]),
        ("fence_apc", {"ipaddr": "127.0.0.1", "login": "a"}, []),  # old names count
        ("fence_ipmilan", {"ip": "127.0.0.1", "bogus": "1"}, ["fence-param-unknown"]),
        ("fence_ipmilan", {"lanplus": "maybe", "ipport": "x"}, ["fence-param-value"] * 2),
        ("fence_ipmilan", {"method": "sideways"}, ["fence-param-value"]),
        ("fence_ipmilan", {"plug": "3"}, ["fence-param-reserved"]),
        ("fence_ipmilan", {"ip": "127.0.0.1", "verbose": "1", "delay": "0"}, []),
    ],
)
async def test_validate_device(agent: str, params: dict[str, str], codes: list[str]) -> None:
    require("/usr/sbin/fence_ipmilan", "/usr/sbin/fence_apc")
    problems = await validate_device(
        FenceDevice(id="d1", agent=agent, params=params), MetadataCache()
    )
    assert [p.code for p in problems.items] == codes
    assert all(p.element == "d1" for p in problems.items)


def test_find_agent_unknown() -> None:
    with pytest.raises(ConfigError) as e:
        find_agent("fence_nosuch")
    assert e.value.code == "fence-agent-unknown"


def test_redact() -> None:
    params = {
        "ip": "10.0.0.1",
        "password": "s3",
        "passwd_script": "/x",
        "api_token": "t",
        "secret_key": "k",
        "key_file": "/k",
        "login": "admin",
    }
    assert redact(params) == {
        "ip": "10.0.0.1",
        "password": "****",
        "passwd_script": "****",
        "api_token": "****",
        "secret_key": "****",
        "key_file": "/k",
        "login": "admin",
    }
