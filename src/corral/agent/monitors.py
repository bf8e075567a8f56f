"""Recurring monitors: one task per (resource, interval). Each run holds the
resource's lock (never concurrent with its start or stop); a result is recorded only
when it differs from the last one recorded for that monitor."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from corral.agent import history
from corral.agent.statedir import Monitor

if TYPE_CHECKING:
    from corral.agent.daemon import Agent


class Monitors:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._tasks: dict[tuple[str, int], asyncio.Task[None]] = {}

    def start(self, rsc: str, mon: Monitor) -> None:
        key = (rsc, mon.interval_ms)
        old = self._tasks.pop(key, None)
        if old is not None:
            old.cancel()
        self._tasks[key] = asyncio.get_running_loop().create_task(
            self._loop(rsc, mon), name=f"monitor-{rsc}-{mon.interval_ms}"
        )

    def resume(self) -> None:
        """Start the monitors recorded in the state directory (after a restart)."""
        for rsc, st in self.agent.resources.items():
            for mon in st.monitors.values():
                self.start(rsc, mon)

    def count(self) -> int:
        return len(self._tasks)

    async def _cancel(self, keys: list[tuple[str, int]]) -> None:
        tasks = [t for k in keys if (t := self._tasks.pop(k, None)) is not None]
        me = asyncio.current_task()
        for t in tasks:
            t.cancel()
        for t in tasks:
            if t is not me:
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    async def cancel(self, rsc: str, interval_ms: int) -> None:
        await self._cancel([(rsc, interval_ms)])

    async def cancel_all(self, rsc: str) -> None:
        await self._cancel([k for k in self._tasks if k[0] == rsc])

    async def stop_all(self, *, forget: bool = False) -> None:
        """Cancel every monitor task; with ``forget`` also drop them from the state
        (self-fencing: the resources are stopped, so are their monitors)."""
        await self._cancel(list(self._tasks))
        if forget:
            for st in self.agent.resources.values():
                if st.monitors:
                    st.monitors.clear()
                    self.agent.state.save_resource(st)

    async def _loop(self, rsc: str, mon: Monitor) -> None:
        ag = self.agent
        interval = mon.interval_ms / 1000
        next_at = time.monotonic() + interval
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            began = time.monotonic()
            async with ag.lock(rsc):
                st = ag.resources.get(rsc)
                if st is None or st.monitors.get(mon.interval_ms) is not mon:
                    return  # cancelled or replaced meanwhile
                action = mon.as_action(rsc, st)
                start = time.time()
                result = await ag.runner.run(action)
                rec = history.make_record(action, result, call_id=0, start=start)
                if not history.unchanged(st, rec):
                    rec.call_id = ag.state.next_call_id()
                    ag.record(st, action, rec)
                    ag.publisher.mark(rsc)
            next_at = max(began + interval, time.monotonic())
