"""Self-fencing in-process on memory:// and sqlite:// stores: a refresh that hangs
makes the agent stop everything, and it registers again only once that is done,
with the self-fence report published in its node record."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.agent.helpers import DUMMY, done, inprocess_agent, node_record, send, wait_ops

from corral.agent.protocol import Action
from corral.store import Lease, Store

SLOW_STOP_S = 0.6  # longer than the lease loop's retry after a timed-out refresh


async def test_no_new_life_while_the_old_one_is_still_stopping(
    store: Store, tmp_path: Path
) -> None:
    async with inprocess_agent(store, tmp_path / "n1", ttl=2.0) as agent:
        await send(store, "n1", Action(id="a1", rsc="d1", task="start", agent=DUMMY))
        await wait_ops(store, "n1", "d1", done("start"))
        old_lease = agent.lease
        assert old_lease is not None

        hang = asyncio.Event()
        real_refresh, real_grant, real_run = store.refresh, store.grant, agent.runner.run
        stopping = 0
        at_grant: list[tuple[int, bool]] = []

        async def refresh(lease: Lease | int) -> float:
            if hang.is_set():  # the store stops answering this node's refreshes
                await asyncio.sleep(3600)
            return await real_refresh(lease)

        async def grant(ttl: float) -> Lease:
            at_grant.append((stopping, agent.pending_report is not None))
            return await real_grant(ttl)

        async def run(action: Action) -> Any:
            nonlocal stopping
            if action.task != "stop":
                return await real_run(action)
            stopping += 1  # a slow OCF stop
            try:
                await asyncio.sleep(SLOW_STOP_S)
                return await real_run(action)
            finally:
                stopping -= 1

        store.refresh, store.grant, agent.runner.run = refresh, grant, run  # type: ignore[method-assign]
        hang.set()
        deadline = asyncio.get_running_loop().time() + 5
        while agent.fence_done.is_set() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)  # the fence watch fires at 0.6 x TTL
        assert agent.fencing
        hang.clear()
        await asyncio.wait_for(agent.ready.wait(), 10)  # re-registered and probed

        # the new lease was asked for only once every stop had finished
        assert at_grant and all(n == 0 and reported for n, reported in at_grant)
        assert agent.lease is not None and agent.lease.id != old_lease.id
        info = agent.state.agent_info()
        assert info.get("lease") == agent.lease.id  # not wiped by the old life's end
        rec = await node_record(store, "n1")
        assert rec is not None and rec.self_fence is not None
        assert rec.self_fence.stopped == ["d1"]
        assert agent.pending_report is None and agent.stale_before > 0
