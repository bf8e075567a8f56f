"""The node agent in-process on memory:// and sqlite:// stores: actions, recurring
monitors, failures, bad input, probes, node attributes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.agent.helpers import (
    DUMMY,
    KEYS,
    done,
    http_agent,
    inprocess_agent,
    node_record,
    ops_of,
    send,
    wait_key_gone,
    wait_ops,
)

from corral.agent.protocol import Action, AgentSpec, MemberRecord
from corral.executors.ocf import OcfCall, OcfExecutor
from corral.store import Store


async def test_lifecycle_dummy_and_process(store: Store, tmp_path: Path, free_port: int) -> None:
    st = tmp_path / "n1"
    web = http_agent(free_port)
    async with inprocess_agent(store, st) as agent:
        member = await store.get(KEYS.member("n1"))
        assert member is not None and member.lease == agent.lease.id
        assert MemberRecord.from_dict(member.json()).node == "n1"
        assert (await node_record(store, "n1")) is not None
        await send(store, "n1", Action(id="a1", rsc="d1", task="start", agent=DUMMY))
        await send(
            store,
            "n1",
            Action(
                id="a2",
                rsc="d1",
                task="monitor",
                interval_ms=500,
                agent=DUMMY,
                transition_key="1:2:0:x",
            ),
        )
        await send(store, "n1", Action(id="a3", rsc="web", task="start", agent=web))
        await send(
            store, "n1", Action(id="a4", rsc="web", task="monitor", interval_ms=500, agent=web)
        )
        d1 = await wait_ops(store, "n1", "d1", done("monitor", 500))
        w = await wait_ops(store, "n1", "web", done("monitor", 500))
        assert (d1.role, w.role) == ("Started", "Started")
        assert d1.ops["start_0"].action_id == "a1"
        assert d1.ops["monitor_500"].transition_key == "1:2:0:x"
        assert d1.monitors == [500] and d1.fail_count == 0
        for a in ("a1", "a2", "a3", "a4"):
            await wait_key_gone(store, KEYS.action("n1", a))
        assert (st / "rsctmp" / "Dummy-d1.state").exists()

        # a failing monitor is detected within its interval + 1 s
        pid = agent.runner.process.running()["web"]
        os.killpg(pid, signal.SIGKILL)
        t0 = time.monotonic()
        w = await wait_ops(store, "n1", "web", done("monitor", 500, rc=7), timeout=5)
        assert time.monotonic() - t0 <= 0.5 + 1.0
        assert w.fail_count == 1 and w.last_failure is not None and w.role == "Stopped"
        assert "is gone" in w.ops["monitor_500"].exit_reason
        await asyncio.sleep(1.2)  # still failing: not recorded again, not counted again
        again = await ops_of(store, "n1", "web")
        assert again is not None and again.fail_count == 1
        assert again.ops["monitor_500"].call_id == w.ops["monitor_500"].call_id

        # stop cancels the recurring monitor
        await send(store, "n1", Action(id="a5", rsc="d1", task="stop", agent=DUMMY))
        await send(store, "n1", Action(id="a6", rsc="web", task="stop", agent=web))
        d1 = await wait_ops(store, "n1", "d1", done("stop"))
        w = await wait_ops(store, "n1", "web", done("stop"))
        assert (d1.role, d1.monitors, w.role, w.monitors) == ("Stopped", [], "Stopped", [])
        assert not (st / "rsctmp" / "Dummy-d1.state").exists()
        assert agent.monitors.count() == 0
    # a graceful exit revokes the lease: the member key goes with it
    assert await store.get(KEYS.member("n1")) is None


async def test_bad_input_is_a_clear_failure(store: Store, tmp_path: Path) -> None:
    cases = [
        ("x1", AgentSpec(cls="ocf", provider="heartbeat", type="NoSuchAgent"), {}, "start",
         "not-installed", "not installed"),
        ("x2", AgentSpec(cls="ocf", provider="heartbeat", type="IPaddr2"), {}, "start",
         "not-configured", "missing required parameter(s): ip"),
        ("x3", AgentSpec(cls="process", argv=["no-such-command-q"]), {}, "start",
         "not-installed", "command not found: no-such-command-q"),
        ("x4", AgentSpec(cls="lsb", type="foo"), {}, "start", "not-installed",
         "unknown resource class"),
        ("x5", DUMMY, {}, "frobnicate", "unimplemented", "unknown task"),
    ]  # fmt: skip
    async with inprocess_agent(store, tmp_path / "n1"):
        for rsc, spec, params, task, _, _ in cases:
            await send(
                store, "n1", Action(id=f"bad-{rsc}", rsc=rsc, task=task, agent=spec, params=params)
            )
        for rsc, _, _, task, kind, reason in cases:
            await wait_key_gone(store, KEYS.action("n1", f"bad-{rsc}"))
            if task != "start":
                continue  # an unknown task is answered (journal, log) but not in the history
            o = await ops_of(store, "n1", rsc)
            assert o is not None, rsc
            rec = o.ops["start_0"]
            assert (rec.kind, rec.failed) == (kind, True), rec
            assert reason in rec.exit_reason
            assert o.fail_count == 1 and o.role == "Failed"
        # the agent keeps working
        await send(store, "n1", Action(id="ok", rsc="d1", task="start", agent=DUMMY))
        await wait_ops(store, "n1", "d1", done("start"))


async def test_probe_on_start_up(store: Store, tmp_path: Path) -> None:
    st = tmp_path / "n1"
    # d9 already runs on the node; d8 is configured but does not run here
    ocf = OcfExecutor(node="n1", state_dir=str(st))
    assert (await ocf.run(OcfCall("heartbeat", "Dummy", "start", "d9"))).ok
    for rid in ("d9", "d8"):
        doc = {"id": rid, "kind": "primitive", "cls": "ocf", "provider": "heartbeat",
               "type": "Dummy", "instance": {}}  # fmt: skip
        await store.put_json(f"{KEYS.config_resources}{rid}", doc)
    async with inprocess_agent(store, st):
        d9 = await wait_ops(store, "n1", "d9", done("monitor", 0, rc=0))
        d8 = await wait_ops(store, "n1", "d8", done("monitor", 0, rc=7))
        assert (d9.role, d8.role) == ("Started", "Stopped")
        assert not d9.ops["monitor_0"].failed
        await send(store, "n1", Action(id="s9", rsc="d9", task="stop", agent=DUMMY))
        await wait_ops(store, "n1", "d9", done("stop"))


async def test_cancel_cleanup_forget(store: Store, tmp_path: Path) -> None:
    async with inprocess_agent(store, tmp_path / "n1") as agent:
        await send(
            store, "n1", Action(id="m", rsc="d1", task="monitor", interval_ms=300, agent=DUMMY)
        )
        o = await wait_ops(store, "n1", "d1", done("monitor", 300, rc=7))
        assert o.fail_count == 1 and o.monitors == [300]
        await send(store, "n1", Action(id="c", rsc="d1", task="cancel", interval_ms=300))
        await send(store, "n1", Action(id="cl", rsc="d1", task="cleanup"))
        o = await wait_ops(store, "n1", "d1", lambda o: not o.monitors and o.fail_count == 0)
        assert o.last_failure is None and agent.monitors.count() == 0
        await send(store, "n1", Action(id="f", rsc="d1", task="forget"))
        await wait_key_gone(store, KEYS.ops("n1", "d1"))


async def test_node_attributes_are_published(store: Store, tmp_path: Path) -> None:
    st = tmp_path / "n1"
    async with inprocess_agent(store, st):
        subprocess.run([str(st / "bin" / "crm_attribute"), "-N", "n1", "-l", "reboot",
                        "-n", "master-db", "-v", "10"], check=True)  # fmt: skip
        deadline = time.monotonic() + 5
        rec = None
        while time.monotonic() < deadline:
            rec = await node_record(store, "n1")
            if rec is not None and rec.attributes.get("master-db") == "10":
                break
            await asyncio.sleep(0.1)
        assert rec is not None and rec.attributes == {"master-db": "10"}
