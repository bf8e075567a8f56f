"""The node's action queue: watches ``actions/<node>/`` and runs each action once.

One worker per resource runs that resource's actions in the order they were written
(create revision); different resources run concurrently. Exactly once, across agent
restarts: the action id is journaled in the state directory before the agent runs it
and its result after; a journaled result is re-published, never re-run. An action
interrupted by an agent's death (journaled "started", no result) is run again: OCF
actions are idempotent by contract and a process start finds its running process.
Actions sent before the node self-fenced are answered "cancelled" and not run.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import time
from typing import TYPE_CHECKING

from corral.agent import fencing, history
from corral.agent.logkv import log_kv
from corral.agent.protocol import AGENT_TASKS, TASKS, Action, OpRecord
from corral.agent.statedir import Monitor
from corral.executors.result import Result, ResultKind
from corral.store import KeyValue
from corral.store.errors import StoreError

if TYPE_CHECKING:
    from corral.agent.daemon import Agent

log = logging.getLogger("corral.agent")
SETS_SPEC = frozenset({"start", "promote", "demote", "reload", "reload-agent", "migrate_from"})


class ActionQueue:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._queues: dict[str, collections.deque[tuple[Action, KeyValue, int]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._ids: set[str] = set()
        self._watch: asyncio.Task[None] | None = None
        self._restart = False

    def busy(self) -> bool:
        return bool(self._workers)

    # -- watching
    async def run(self) -> None:
        ag = self.agent
        while True:
            await ag.ready.wait()
            self._watch = asyncio.get_running_loop().create_task(self._watch_once())
            try:
                await self._watch
            except asyncio.CancelledError:
                me = asyncio.current_task()
                # a restart cancels the watch only: a cancel of this task itself wins
                if not self._restart or (me is not None and me.cancelling()):
                    raise
                self._restart = False
            except (StoreError, TimeoutError, OSError) as e:
                log_kv(log, logging.DEBUG, "actions-watch-retry", node=ag.node, error=e)
                await asyncio.sleep(0.2)

    async def _watch_once(self) -> None:
        ag = self.agent
        prefix = ag.keys.actions(ag.node)
        snap = await asyncio.wait_for(ag.store.range(prefix), 5.0)
        for kv in sorted(snap, key=lambda kv: kv.create_revision):
            self.submit(kv)
        async with await ag.store.watch(prefix, from_revision=snap.revision + 1) as w:
            async for ev in w:
                if ev.type.value == "put" and ev.kv.version == 1:
                    self.submit(ev.kv)

    def submit(self, kv: KeyValue) -> None:
        ag = self.agent
        try:
            action = Action.from_json(kv.value)
        except (ValueError, KeyError, TypeError) as e:
            log_kv(log, logging.ERROR, "action-invalid", node=ag.node, key=kv.key, error=e)
            ag.publisher.delete_action(kv.key)
            return
        if action.id in self._ids:
            return
        self._ids.add(action.id)
        self._queues.setdefault(action.rsc, collections.deque()).append((action, kv, ag.epoch))
        if action.rsc not in self._workers:
            self._workers[action.rsc] = asyncio.get_running_loop().create_task(
                self._worker(action.rsc), name=f"actions-{action.rsc}"
            )

    async def _worker(self, rsc: str) -> None:
        q = self._queues[rsc]
        try:
            while q:
                action, kv, epoch = q[0]
                try:
                    await self.handle(action, kv, epoch)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # an agent bug must not stop the node's other work
                    log.exception("action-crashed id=%s rsc=%s", action.id, rsc)
                    self._finish_local(
                        action, kv, Result.of_kind(ResultKind.ERROR_GENERIC, f"agent error: {e}")
                    )
                q.popleft()
                self._ids.discard(action.id)
        finally:
            if self._workers.get(rsc) is asyncio.current_task():
                del self._workers[rsc]
            if not q:
                self._queues.pop(rsc, None)

    async def cancel_inflight(self) -> None:
        """Self-fencing: drop every queued action, cancel the running ones (their agent's
        process group is killed), and restart the watch once the node is back."""
        workers = list(self._workers.values())
        for t in workers:
            t.cancel()
        if self._watch is not None and not self._watch.done():
            self._restart = True
            self._watch.cancel()
        for t in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._workers.clear()
        self._queues.clear()
        self._ids.clear()

    async def stop(self) -> None:
        await self.cancel_inflight()

    # -- one action
    def _finish_local(self, action: Action, kv: KeyValue, result: Result) -> OpRecord:
        """Journal a result that does not go into the resource's history."""
        ag = self.agent
        rec = history.make_record(
            action, result, call_id=ag.state.next_call_id(), start=time.time()
        )
        ag.state.journal_done(action, rec)
        ag.publisher.delete_action(kv.key)
        log_kv(
            log,
            logging.INFO,
            "action",
            node=ag.node,
            id=action.id,
            rsc=action.rsc,
            task=action.task,
            interval_ms=action.interval_ms,
            rc=rec.rc,
            kind=rec.kind,
            exit_reason=rec.exit_reason,
        )
        return rec

    async def handle(self, action: Action, kv: KeyValue, epoch: int) -> None:
        ag = self.agent
        if epoch != ag.epoch or kv.create_revision < ag.stale_before:
            self._finish_local(
                action,
                kv,
                Result.of_kind(ResultKind.CANCELLED, "sent before the node self-fenced; not run"),
            )
            return
        if action.task == fencing.TASK:  # a fencing plan to run for the controller
            await fencing.execute(ag, action, kv)
            return
        j = ag.state.journal_get(action.id)
        if j is not None and j.get("state") == "done":
            rec = j.get("record")
            if rec and action.task in AGENT_TASKS:
                st = ag.resource(action.rsc)
                history.apply(st, OpRecord.from_dict(rec), time.time())
                ag.state.save_resource(st)
                ag.publisher.mark(action.rsc, kv.key)
            else:
                ag.publisher.delete_action(kv.key)
            log_kv(
                log,
                logging.INFO,
                "action-replayed",
                node=ag.node,
                id=action.id,
                rsc=action.rsc,
                task=action.task,
            )
            return
        if j is not None:
            log_kv(
                log,
                logging.WARNING,
                "action-rerun",
                node=ag.node,
                id=action.id,
                rsc=action.rsc,
                task=action.task,
                reason="interrupted by an agent restart",
            )
        if action.task not in TASKS:
            self._finish_local(
                action,
                kv,
                Result.of_kind(ResultKind.UNIMPLEMENTED, f"unknown task {action.task!r}"),
            )
            return
        if action.task not in AGENT_TASKS:
            await self._local_task(action, kv)
            return
        call_id = ag.state.next_call_id()
        ag.state.journal_started(action, call_id)
        async with ag.lock(action.rsc):
            st = ag.resource(action.rsc)
            if action.agent is not None and (action.task in SETS_SPEC or st.agent is None):
                st.agent, st.params, st.meta = action.agent, dict(action.params), dict(action.meta)
            elif action.agent is None and st.agent is not None:
                # an orphan (deleted from the configuration while it ran): the controller
                # knows no agent for it any more; stop (or probe) it with the one it ran as
                action = dataclasses.replace(action, agent=st.agent, params=dict(st.params))
            if action.task == "stop":
                await ag.monitors.cancel_all(action.rsc)
                st.monitors.clear()
            start = time.time()
            result = await ag.runner.run(action)
            rec = history.make_record(action, result, call_id=call_id, start=start)
            ag.state.journal_done(action, rec)
            if action.task == "monitor" and action.interval_ms > 0:
                mon = Monitor(
                    interval_ms=action.interval_ms,
                    timeout_ms=action.timeout_ms,
                    role=action.role,
                    expected_rc=action.expected_rc,
                    action_id=action.id,
                )
                st.monitors[mon.interval_ms] = mon
                ag.monitors.start(action.rsc, mon)
            ag.record(st, action, rec)
        ag.publisher.mark(action.rsc, kv.key)

    async def _local_task(self, action: Action, kv: KeyValue) -> None:
        ag = self.agent
        rsc = action.rsc
        async with ag.lock(rsc):
            st = ag.resources.get(rsc)
            if action.task == "cancel":
                await ag.monitors.cancel(rsc, action.interval_ms)
                if st is not None and st.monitors.pop(action.interval_ms, None) is not None:
                    ag.state.save_resource(st)
            elif action.task == "cleanup":
                if st is not None:
                    history.cleanup(st, time.time())
                    ag.state.save_resource(st)
            elif action.task == "forget":
                await ag.monitors.cancel_all(rsc)
                ag.resources.pop(rsc, None)
                ag.state.delete_resource(rsc)
            self._finish_local(action, kv, Result.of_kind(ResultKind.SUCCESS))
            if st is not None:
                ag.publisher.mark(rsc)
