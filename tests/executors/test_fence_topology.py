"""Fencing through a topology with real agents: level 1 fails (a wrong password
against a real ipmi_sim), level 2 succeeds; every attempt is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.fixtures import bmc as fx
from tests.fixtures.bmc import Bmc, NodeGroup, require

from corral.executors.fence import FenceRunner
from corral.executors.fence_topology import fence_node
from corral.model.config import Config, FenceDevice, FencingLevel
from corral.model.fencing_plan import PlanLevel, fencing_plan

pytestmark = pytest.mark.timeout(60)

bmc = fx.bmc  # pytest fixtures
node_group = fx.node_group


@pytest.fixture
def runner() -> FenceRunner:
    require("/usr/sbin/fence_ipmilan", "/usr/sbin/fence_dummy")
    return FenceRunner(default_timeout_s=20)


def _dummy(tmp_path: Path, dev_id: str, kind: str = "file") -> FenceDevice:
    f = tmp_path / f"{dev_id}.status"
    f.write_text("on")
    params = {"type": kind, "status_file": str(f)}
    if kind == "fail":
        params["power_timeout"] = "1"
    return FenceDevice(id=dev_id, agent="fence_dummy", params=params, retries=0)


async def test_level_one_fails_level_two_succeeds(
    runner: FenceRunner, bmc: Bmc, node_group: NodeGroup
) -> None:
    bmc.set_victims(pgids=[node_group.pgid])
    wrong = FenceDevice(
        id="ipmi-wrong",
        agent="fence_ipmilan",
        params=bmc.fence_params(password="not-the-password"),
        host_list=["n1"],
        retries=1,
    )
    right = FenceDevice(
        id="ipmi-right", agent="fence_ipmilan", params=bmc.fence_params(), host_list=["n1"]
    )
    config = Config(
        fence_devices=[wrong, right],
        fencing_levels=[
            FencingLevel(id="fl-n1-2", index=2, devices=["ipmi-right"], target="n1"),
            FencingLevel(id="fl-n1-1", index=1, devices=["ipmi-wrong"], target="n1"),
        ],
    )
    plan = fencing_plan("n1", config)
    assert [(lv.index, lv.devices) for lv in plan] == [(1, ("ipmi-wrong",)), (2, ("ipmi-right",))]
    out = await fence_node(
        runner,
        "n1",
        plan,
        {d.id: d for d in config.fence_devices},
        action="off",
        requested_by="controller@n2",
    )
    assert out.ok and out.level == 2 and out.devices == ("ipmi-right",)
    assert [(a.level, a.device, a.outcome) for a in out.attempts] == [
        (1, "ipmi-wrong", "failed"),
        (2, "ipmi-right", "success"),
    ]
    first, second = out.attempts
    assert "plug status" in first.reason and first.result and first.result.tries == 2
    assert second.result and second.result.confirmed_by == "status"
    assert all(a.requested_by == "controller@n2" and a.target == "n1" for a in out.attempts)
    assert second.started >= first.started and first.duration_s > 0
    assert not node_group.alive() and bmc.power == "0"
    record = json.dumps([a.to_dict() for a in out.attempts])
    assert bmc.password not in record and "not-the-password" not in record


async def test_every_level_fails(runner: FenceRunner, tmp_path: Path) -> None:
    devices = {
        d.id: d for d in [_dummy(tmp_path, "bad1", "fail"), _dummy(tmp_path, "bad2", "fail")]
    }
    plan = [PlanLevel(1, ("bad1",)), PlanLevel(2, ("bad2",)), PlanLevel(3, ("missing",))]
    out = await fence_node(runner, "n1", plan, devices, action="off", timeout_s=5)
    assert not out.ok and out.level is None
    assert [(a.device, a.outcome) for a in out.attempts] == [
        ("bad1", "failed"),
        ("bad2", "failed"),
        ("missing", "failed"),
    ]
    assert "every level failed" in out.reason and "no such fence device" in out.reason


async def test_all_devices_of_a_level_must_succeed(runner: FenceRunner, tmp_path: Path) -> None:
    good1, bad, good2 = (
        _dummy(tmp_path, "good1"),
        _dummy(tmp_path, "bad", "fail"),
        _dummy(tmp_path, "good2"),
    )
    devices = {d.id: d for d in (good1, bad, good2)}
    plan = [PlanLevel(1, ("good1", "bad")), PlanLevel(2, ("good1", "good2"))]
    out = await fence_node(runner, "n1", plan, devices, action="off", timeout_s=5)
    assert out.ok and out.level == 2 and out.devices == ("good1", "good2")
    assert [(a.level, a.device, a.outcome) for a in out.attempts] == [
        (1, "good1", "success"),
        (1, "bad", "failed"),
        (2, "good1", "success"),
        (2, "good2", "success"),
    ]


async def test_without_topology_devices_that_list_the_node(
    runner: FenceRunner, tmp_path: Path
) -> None:
    other = _dummy(tmp_path, "for-n2")
    other.host_list = ["n2"]
    mine = _dummy(tmp_path, "for-n1")
    mine.host_list = ["n1"]
    config = Config(fence_devices=[other, mine])
    plan = fencing_plan("n1", config)
    assert [lv.devices for lv in plan] == [("for-n1",)]
    out = await fence_node(
        runner, "n1", plan, {d.id: d for d in config.fence_devices}, action="reboot"
    )
    assert out.ok and [a.device for a in out.attempts] == ["for-n1"]
    assert out.attempts[0].result and out.attempts[0].result.confirmed_by == "agent"


async def test_no_device_at_all(runner: FenceRunner) -> None:
    out = await fence_node(runner, "n1", fencing_plan("n1", Config()), {})
    assert not out.ok and out.attempts == [] and "no fence device" in out.reason
