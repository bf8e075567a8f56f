"""The agent's half of fencing (``corral.agent.fencing``), in-process on memory:// and
sqlite:// stores: it runs a ``stonith`` action through a real fence agent
(``fence_dummy``, its power in a file) and publishes the result; a life the cluster
marked fenced stops everything and comes back with a new lease, probing first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.agent.helpers import DUMMY, KEYS, done, inprocess_agent, send, wait_ops
from tests.fixtures.bmc import require

from corral.agent.fencing import fenced_key, result_key
from corral.agent.protocol import Action, MemberRecord
from corral.model import jsonform
from corral.model.config import FenceDevice
from corral.store import Store, open_store

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/corral.db"
    s = await open_store(url)
    yield s
    await s.close()


async def _wait(pred, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = await pred()
        if v:
            return v
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_runs_the_plan_and_publishes_every_attempt(store: Store, tmp_path: Path) -> None:
    require("/usr/sbin/fence_dummy")
    power = tmp_path / "power"
    power.write_text("on")  # fence_dummy wants exactly on/off, no newline
    good = FenceDevice("dummy", "fence_dummy", {"type": "file", "status_file": str(power)})
    bad = FenceDevice("nowhere", "fence_nosuchagent", {"password": "hunter22"})
    for i, dev in enumerate((bad, good)):
        doc = {**jsonform.to_json(dev), "_position": i}  # type: ignore[dict-item]
        await store.put_json(f"{KEYS.root}config/fence-devices/{dev.id}", doc)
    async with inprocess_agent(store, tmp_path / "n1"):
        doc = {
            "id": "fence-n2-1",
            "rsc": "#stonith-n2",
            "task": "stonith",
            "timeout_ms": 30_000,
            "fence": {
                "target": "n2",
                "action": "off",
                "plan": [
                    {"index": 1, "devices": ["nowhere"]},
                    {"index": 2, "devices": ["dummy"]},
                ],
                "requested_by": "test",
            },
        }
        await store.put_json(KEYS.action("n1", "fence-n2-1"), doc)
        kv = await _wait(lambda: store.get(result_key(KEYS.root, "fence-n2-1")), 20)
        res = kv.json()
        assert await store.get(KEYS.action("n1", "fence-n2-1")) is None
    assert res["ok"] and res["level"] == 2 and res["devices"] == ["dummy"]
    assert [(a["device"], a["outcome"]) for a in res["attempts"]] == [
        ("nowhere", "failed"),
        ("dummy", "success"),
    ]
    assert "not installed" in res["attempts"][0]["reason"]
    assert "hunter22" not in str(res)
    assert res["executor"] == "n1" and power.read_text() == "off"


async def test_a_fenced_life_comes_back_with_a_new_lease_and_probes(
    store: Store, tmp_path: Path
) -> None:
    async with inprocess_agent(store, tmp_path / "n1", ttl=2.0) as agent:
        await send(store, "n1", Action(id="a1", rsc="d1", task="start", agent=DUMMY))
        await wait_ops(store, "n1", "d1", done("start"))
        assert agent.lease is not None
        old = agent.lease.id
        await store.put_json(fenced_key(KEYS.root, "n1"), {"lease": old})

        async def new_member() -> MemberRecord | None:
            kv = await store.get(KEYS.member("n1"))
            m = MemberRecord.from_dict(kv.json()) if kv else None
            return m if m is not None and m.lease != old else None

        member = await _wait(new_member, 15)
        assert member.lease != old
        ops = await wait_ops(store, "n1", "d1", done("monitor", 0, rc=7), timeout=15)
        assert ops.role == "Stopped"  # stopped when fenced, then probed: not running
        assert ops.ops["stop_0"].start <= ops.ops["monitor_0"].start
        await asyncio.wait_for(agent.ready.wait(), 10)  # and takes actions again
        await send(store, "n1", Action(id="a2", rsc="d1", task="start", agent=DUMMY))
        await wait_ops(store, "n1", "d1", done("start"))
