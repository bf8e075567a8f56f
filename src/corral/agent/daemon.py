"""The node agent: lease and heartbeat, action execution, recurring monitors,
self-fencing when the lease is lost, probes at start-up.

Tasks of one agent (all asyncio, one process):

* lease: registers ``members/<node>`` on a lease (re-using the lease of a previous
  agent life if it is still alive) and refreshes it every TTL/3;
* fence watch: when no refresh has succeeded for ``FENCE_AT`` of the TTL, stops every
  resource at once (process groups SIGKILLed; OCF agents stopped with a short timeout,
  their process group killed after it) so that nothing runs when the lease expires;
* actions: watches ``actions/<node>/``; one worker per resource runs its actions in
  order (see ``actions.py``);
* monitors: one task per recurring monitor (see ``monitors.py``);
* publisher: writes changed histories and removes finished actions (``publisher.py``);
* attributes: publishes ``status/nodes/<node>`` when the node attributes change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from corral.agent import fencing, history, watchdog
from corral.agent.actions import ActionQueue
from corral.agent.logkv import log_kv
from corral.agent.monitors import Monitors
from corral.agent.protocol import (
    Action,
    AgentSpec,
    Keys,
    MemberRecord,
    NodeRecord,
    SelfFence,
    dumps,
)
from corral.agent.publisher import Publisher
from corral.agent.runner import Runner
from corral.agent.statedir import ResourceState, StateDir, write_json
from corral.agent.watchdog import feed_from_env
from corral.executors import attributes
from corral.executors.agents import DEFAULT_OCF_ROOT
from corral.model.cluster import DEFAULT_CLUSTER
from corral.store import Lease, Put, Store
from corral.store.errors import LeaseExpired, StoreError

log = logging.getLogger("corral.agent")

DEFAULT_TTL = 2.0
FENCE_AT = 0.6  # start self-fencing this fraction of the TTL after the last good refresh
OCF_FENCE_STOP = 0.25  # OCF stop timeout during self-fencing, as a fraction of the TTL
PROBE_CONCURRENCY = 8
PROBE_TIMEOUT_MS = 20_000
SHUTDOWN_STOP_TIMEOUT_MS = 20_000
RPC_TIMEOUT_S = 5.0
ATTR_POLL_S = 0.5
MEMBERS_POLL_S = 5.0


@dataclass(slots=True)
class AgentOptions:
    node: str
    state_dir: str
    cluster: str = DEFAULT_CLUSTER
    ttl: float = DEFAULT_TTL
    ocf_root: str = DEFAULT_OCF_ROOT
    netns: str | None = None
    probe: bool = True
    stop_on_exit: bool = True  # a graceful exit (SIGTERM) stops the node's resources


class Agent:
    def __init__(self, opts: AgentOptions, store: Store) -> None:
        self.opts = opts
        self.node = opts.node
        self.store = store
        self.keys = Keys(opts.cluster)
        self.state = StateDir(opts.state_dir, opts.node)
        self.runner = Runner(
            node=opts.node, state_dir=self.state.path, ocf_root=opts.ocf_root, netns=opts.netns
        )
        self.resources: dict[str, ResourceState] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.lease: Lease | None = None
        self.registered = asyncio.Event()
        self.ready = asyncio.Event()  # registered and probed: actions may run
        self.last_ok = time.monotonic()  # send time of the last good refresh (or grant)
        self.fencing = False
        self.fence_done = asyncio.Event()  # clear while a self-fence is stopping resources
        self.fence_done.set()
        self.epoch = 0  # bumped by every self-fencing: actions sent before it are stale
        self.stale_before = 0  # actions created before this store revision are stale
        self.pending_report: SelfFence | None = None
        self.reported: SelfFence | None = None  # the last self-fence report published
        self.started = time.time()
        self.publisher = Publisher(self.store, self.keys, self.node, self._history_dict)
        self.monitors = Monitors(self)
        self.actions = ActionQueue(self)
        self._tasks: list[asyncio.Task[Any]] = []
        self._node_dirty = asyncio.Event()
        self._probes: set[asyncio.Future[None]] = set()

    # -- small helpers used by the parts
    def lock(self, rsc: str) -> asyncio.Lock:
        lk = self._locks.get(rsc)
        if lk is None:
            lk = self._locks[rsc] = asyncio.Lock()
        return lk

    def resource(self, rsc: str) -> ResourceState:
        st = self.resources.get(rsc)
        if st is None:
            st = self.resources[rsc] = ResourceState(rsc=rsc, node=self.node)
        return st

    def _history_dict(self, rsc: str) -> dict[str, object] | None:
        st = self.resources.get(rsc)
        return st.ops().to_dict() if st is not None else None

    @property
    def fence_after(self) -> float:
        ttl = min(self.opts.ttl, self.lease.ttl if self.lease else self.opts.ttl)
        return ttl * FENCE_AT

    def record(self, st: ResourceState, action: Action, rec: history.OpRecord) -> None:
        """Apply a result to the history, persist it, log it and have it published."""
        history.apply(st, rec, time.time())
        self.state.save_resource(st)
        if st.agent is not None and st.agent.cls == "process" and action.task in ("start", "stop"):
            self.sync_pgroups()
        level = logging.WARNING if rec.failed else logging.INFO
        log_kv(
            log,
            level,
            "monitor-change" if action.id.startswith("recurring:") else "action",
            node=self.node,
            id=action.id,
            rsc=action.rsc,
            task=action.task,
            interval_ms=action.interval_ms,
            rc=rec.rc,
            kind=rec.kind,
            call_id=rec.call_id,
            duration_ms=rec.duration_ms,
            failed=rec.failed,
            fail_count=st.ops().fail_count,
            exit_reason=rec.exit_reason,
        )

    # -- life
    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        self.resources = self.state.resources()
        info = self.state.agent_info()
        if info.get("self_fence"):
            self.pending_report = SelfFence.from_dict(info["self_fence"])
        hb = info.get("renewed_at")
        if hb:  # the previous life's last good refresh, on this life's clock
            self.last_ok = time.monotonic() - max(0.0, time.time() - float(hb))
        if not info.get("lease"):  # a new node life: transient attributes start empty
            attributes.clear_transient(self.state.path)
        log_kv(
            log,
            logging.INFO,
            "agent-start",
            node=self.node,
            pid=os.getpid(),
            store=getattr(self.store, "url", ""),
            ttl=self.opts.ttl,
            state_dir=self.state.path,
            resources=len(self.resources),
        )
        spawn = asyncio.get_running_loop().create_task
        self._tasks = [
            spawn(self._lease_loop(), name="lease"),
            spawn(self._fence_watch(), name="fence-watch"),
            spawn(self.publisher.run(), name="publisher"),
        ]
        try:
            await self._wait_registered(stop)
            if not stop.is_set():
                if self.opts.probe:
                    await self.probe()
                if not self.fencing:  # a self-fence during the probe: rejoin_loop resumes
                    self.monitors.resume()
                    self.ready.set()
                self._tasks += [
                    spawn(self.actions.run(), name="actions"),
                    spawn(self._attributes_loop(), name="attributes"),
                    spawn(self._members_loop(), name="members"),
                    spawn(fencing.rejoin_loop(self), name="rejoin"),
                ]
                await stop.wait()
        finally:
            await self.shutdown()

    async def _wait_registered(self, stop: asyncio.Event) -> None:
        waiters = [
            asyncio.ensure_future(self.registered.wait()),
            asyncio.ensure_future(stop.wait()),
        ]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()

    async def shutdown(self) -> None:
        self.ready.clear()
        await self.actions.stop()
        await self.monitors.stop_all()
        for t in self._tasks:
            if t.get_name() not in ("publisher", "lease"):
                t.cancel()
        if self.opts.stop_on_exit and not self.fencing and self.registered.is_set():
            await self._stop_everything(SHUTDOWN_STOP_TIMEOUT_MS, "agent shutdown")
            with contextlib.suppress(StoreError, TimeoutError, OSError):
                await asyncio.wait_for(self.publisher.idle.wait(), RPC_TIMEOUT_S)
            if self.lease is not None:
                with contextlib.suppress(StoreError, TimeoutError, OSError):
                    await asyncio.wait_for(self.store.revoke(self.lease), RPC_TIMEOUT_S)
                self.state.update_agent_info(lease=None)
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        log_kv(log, logging.INFO, "agent-stop", node=self.node)

    # -- the lease
    def sync_pgroups(self) -> None:
        """Tell the node watchdog (if a launcher gave one) which process groups to kill:
        process resources are not the agent's descendants (they outlive its restarts)."""
        wd = os.environ.get(watchdog.ENV_STATE_DIR)
        if wd:
            with contextlib.suppress(OSError):
                pgids = sorted(set(self.runner.process.running().values()))
                tmp = os.path.join(wd, f".{watchdog.PGROUPS_FILE}.tmp")
                with open(tmp, "w") as f:
                    f.write("".join(f"{p}\n" for p in pgids))
                os.replace(tmp, os.path.join(wd, watchdog.PGROUPS_FILE))

    def _heartbeat(self, t_send: float) -> None:
        """A refresh (or grant) sent at ``t_send`` (monotonic) succeeded: feed the node
        watchdog once, with an absolute deadline counted from the SEND time (the store
        started the lease's new TTL no earlier than that), so the watchdog fires
        strictly before the lease can expire as the store sees it."""
        ttl = min(self.opts.ttl, self.lease.ttl) if self.lease else self.opts.ttl
        feed_from_env(ttl, sent_at=t_send)  # the node watchdog
        now = time.time()
        self.state.update_agent_info(
            lease=self.lease.id if self.lease else None, renewed_at=now, ttl=self.opts.ttl
        )
        write_json(
            self.state.file("heartbeat"),
            {"pid": os.getpid(), "renewed_at": now, "fence_at": now + self.fence_after},
        )

    def _running_anything(self) -> bool:
        if self.runner.process.running():
            return True
        return any(
            st.agent is not None and st.agent.cls == "ocf" and st.ops().role != "Stopped"
            for st in self.resources.values()
        )

    async def _register(self) -> None:
        old = self.state.agent_info().get("lease")
        lease: Lease | None = None
        t_send = time.monotonic()
        if old and not self.fencing and self.pending_report is None:
            try:
                ttl = await asyncio.wait_for(self.store.refresh(int(old)), RPC_TIMEOUT_S)
                lease = Lease(int(old), ttl)
                log_kv(log, logging.INFO, "lease-resumed", node=self.node, lease=f"{old:x}")
            except LeaseExpired:
                if self._running_anything():
                    await self.self_fence("the lease expired while the agent was down")
        if lease is None:
            t_send = time.monotonic()  # the new lease's TTL starts no earlier
            lease = await asyncio.wait_for(self.store.grant(self.opts.ttl), RPC_TIMEOUT_S)
            log_kv(
                log,
                logging.INFO,
                "lease-granted",
                node=self.node,
                lease=f"{lease.id:x}",
                ttl=lease.ttl,
            )
        self.lease = lease
        self.last_ok = t_send
        member = MemberRecord(
            node=self.node,
            lease=lease.id,
            pid=os.getpid(),
            host=socket.gethostname(),
            since=self.started,
        )
        res = await asyncio.wait_for(
            self.store.txn(
                (),
                [
                    Put(self.keys.member(self.node), dumps(member.to_dict()), lease.id),
                    Put(self.keys.node_status(self.node), dumps(self._node_record())),
                ],
            ),
            RPC_TIMEOUT_S,
        )
        if self.pending_report is not None:
            log_kv(
                log,
                logging.WARNING,
                "self-fence-reported",
                node=self.node,
                stopped=",".join(self.pending_report.stopped),
                failed=",".join(self.pending_report.failed),
            )
            self.stale_before = res.revision
            self.reported, self.pending_report = self.pending_report, None
            self.state.update_agent_info(self_fence=None)
        self.fencing = False
        self._heartbeat(t_send)
        self.registered.set()
        log_kv(
            log,
            logging.INFO,
            "registered",
            node=self.node,
            lease=f"{lease.id:x}",
            revision=res.revision,
        )

    async def _lease_loop(self) -> None:
        while True:
            if not self.registered.is_set():
                # never a new life while the old one is still being stopped: the
                # self-fence must finish (and its report be pending) first
                await self.fence_done.wait()
                try:
                    await self._register()
                except (StoreError, TimeoutError, OSError) as e:
                    log_kv(log, logging.DEBUG, "register-retry", node=self.node, error=e)
                    await asyncio.sleep(0.25)
                continue
            assert self.lease is not None
            interval = self.lease.ttl / 3
            await asyncio.sleep(max(0.0, self.last_ok + interval - time.monotonic()))
            t_send = time.monotonic()
            left = max(0.05, self.last_ok + self.fence_after - t_send)
            try:
                await asyncio.wait_for(self.store.refresh(self.lease), left)
            except LeaseExpired:
                await self.lose_lease("the store says the lease expired")
                continue
            except (StoreError, TimeoutError, OSError) as e:
                log_kv(log, logging.WARNING, "lease-refresh-failed", node=self.node, error=e)
                await asyncio.sleep(0.1)
                continue
            if self.registered.is_set():
                self.last_ok = t_send
                self._heartbeat(t_send)

    async def _fence_watch(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            if self.fencing:
                continue
            late = time.monotonic() - self.last_ok
            if late >= self.fence_after and (self.registered.is_set() or self._running_anything()):
                await self.lose_lease(f"no lease refresh for {late:.2f}s")

    async def lose_lease(self, reason: str) -> None:
        self.registered.clear()
        self.ready.clear()
        old, self.lease = self.lease, None
        if self._running_anything() or self.actions.busy():
            await self.self_fence(reason)
        else:
            log_kv(log, logging.WARNING, "lease-lost", node=self.node, reason=reason)
        # forget the lost lease, never a newer one registered meanwhile
        if old is not None and self.state.agent_info().get("lease") == old.id:
            self.state.update_agent_info(lease=None)

    # -- self-fencing and stopping everything
    async def self_fence(self, reason: str) -> None:
        if self.fencing:
            return
        self.fencing = True
        self.fence_done.clear()
        try:
            await self._self_fence(reason)
        finally:
            self.fence_done.set()

    async def _self_fence(self, reason: str) -> None:
        self.epoch += 1
        self.ready.clear()
        t0 = time.monotonic()
        lease = self.lease
        await self.actions.cancel_inflight()
        await self.monitors.stop_all(forget=True)
        probes = list(self._probes)
        for t in probes:
            t.cancel()
        await asyncio.gather(*probes, return_exceptions=True)
        ttl = self.opts.ttl
        stopped, failed = await self._stop_everything(
            int(ttl * OCF_FENCE_STOP * 1000), f"self-fence: {reason}", kill_first=True
        )
        report = SelfFence(at=time.time(), reason=reason, stopped=stopped, failed=failed)
        # published by the next registration (_register), in the node record
        self.pending_report = report
        self.state.update_agent_info(self_fence=report.to_dict())
        if lease is None or self.state.agent_info().get("lease") == lease.id:
            self.state.update_agent_info(lease=None)
        self._node_dirty.set()
        log_kv(
            log,
            logging.ERROR,
            "self-fence",
            node=self.node,
            reason=reason,
            stopped=",".join(stopped),
            failed=",".join(failed),
            took_ms=int((time.monotonic() - t0) * 1000),
        )

    async def _stop_everything(
        self, ocf_timeout_ms: int, why: str, *, kill_first: bool = False
    ) -> tuple[list[str], list[str]]:
        """Stop every resource that may run here; returns (stopped, failed)."""
        killed = set(self.runner.kill_processes()) if kill_first else set()
        targets = [
            st
            for st in self.resources.values()
            if st.agent is not None and (st.ops().role != "Stopped" or st.rsc in killed)
        ]

        async def stop_one(st: ResourceState) -> tuple[str, bool]:
            assert st.agent is not None
            timeout = ocf_timeout_ms if st.agent.cls == "ocf" else SHUTDOWN_STOP_TIMEOUT_MS
            action = Action(
                id=f"local:{why}:{st.rsc}",
                rsc=st.rsc,
                task="stop",
                agent=st.agent,
                timeout_ms=timeout,
                params=st.params,
                meta=st.meta,
            )
            st.monitors.clear()
            async with self.lock(st.rsc):  # never alongside an action of the same resource
                start = time.time()
                result = await self.runner.run(action)
            if st.rsc in killed and result.ok:
                result.exit_reason = "process group killed"
            if not result.exit_reason:
                result.exit_reason = why
            rec = history.make_record(
                action, result, call_id=self.state.next_call_id(), start=start
            )
            rec.action_id = None
            self.record(st, action, rec)
            self.publisher.mark(st.rsc)
            return st.rsc, not rec.failed

        results = await asyncio.gather(*(stop_one(st) for st in targets))
        stopped = sorted(r for r, ok in results if ok)
        failed = sorted(r for r, ok in results if not ok)
        return stopped, failed

    # -- probes
    def _config_resources(self, kvs: list[Any]) -> dict[str, ResourceState]:
        """OCF primitives named in the store's configuration (best effort: any JSON object
        with class ocf, provider, type and an id, at any depth)."""
        found: dict[str, ResourceState] = {}

        def walk(obj: Any) -> None:
            if isinstance(obj, dict):
                cls = obj.get("cls") or obj.get("class")
                if cls == "ocf" and obj.get("type") and obj.get("provider") and obj.get("id"):
                    params = obj.get("instance") or obj.get("params") or {}
                    st = ResourceState(
                        rsc=str(obj["id"]),
                        node=self.node,
                        agent=AgentSpec(cls="ocf", provider=obj["provider"], type=obj["type"]),
                        params={str(k): str(v) for k, v in params.items()},
                    )
                    found[st.rsc] = st
                for v in obj.values():
                    walk(v)
            elif isinstance(obj, list):
                for v in obj:
                    walk(v)

        for kv in kvs:
            with contextlib.suppress(ValueError):
                walk(kv.json())
        return found

    async def probe(self) -> None:
        """Report what already runs here: a monitor (interval 0) of every resource this
        node knows (state directory) and every OCF resource in the configuration."""
        targets = {r: st for r, st in self.resources.items() if st.agent is not None}
        try:
            snap = await asyncio.wait_for(
                self.store.range(self.keys.config_resources), RPC_TIMEOUT_S
            )
            for rsc, st in self._config_resources(list(snap)).items():
                targets.setdefault(rsc, st)
        except (StoreError, TimeoutError, OSError) as e:
            log_kv(log, logging.WARNING, "probe-config-unreadable", node=self.node, error=e)
        sem = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe_one(st: ResourceState) -> None:
            action = Action(
                id=f"probe:{st.rsc}",
                rsc=st.rsc,
                task="monitor",
                agent=st.agent,
                timeout_ms=PROBE_TIMEOUT_MS,
                params=st.params,
                meta=st.meta,
            )
            async with sem, self.lock(st.rsc):
                start = time.time()
                result = await self.runner.run(action)
            self.resources.setdefault(st.rsc, st)
            rec = history.make_record(
                action, result, call_id=self.state.next_call_id(), start=start
            )
            rec.action_id = None
            self.record(self.resources[st.rsc], action, rec)
            self.publisher.mark(st.rsc)

        tasks = [asyncio.ensure_future(probe_one(st)) for st in targets.values()]
        self._probes.update(tasks)
        try:
            # a self-fence cancels the probes (they hold resource locks)
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._probes.difference_update(tasks)

    # -- node attributes and members
    def _node_record(self) -> dict[str, Any]:
        data = attributes.load(self.state.path)
        rec = NodeRecord(
            node=self.node,
            attributes=dict(data["reboot"].get(self.node, {})),
            permanent=dict(data["forever"].get(self.node, {})),
            crm_config=dict(data["crm_config"]),
            agent={
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": self.started,
                "lease": self.lease.id if self.lease else None,
                "ttl": self.opts.ttl,
            },
            self_fence=self.pending_report or self.reported,
            updated=time.time(),
        )
        return rec.to_dict()

    async def _attributes_loop(self) -> None:
        seen = attributes.mtime(self.state.path)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._node_dirty.wait(), ATTR_POLL_S)
            m = attributes.mtime(self.state.path)
            if m == seen and not self._node_dirty.is_set():
                continue
            self._node_dirty.clear()
            try:
                await asyncio.wait_for(
                    self.store.put(self.keys.node_status(self.node), dumps(self._node_record())),
                    RPC_TIMEOUT_S,
                )
                seen = m
                log_kv(log, logging.DEBUG, "attributes-published", node=self.node)
            except (StoreError, TimeoutError, OSError):
                self._node_dirty.set()
                await asyncio.sleep(0.2)

    async def _members_loop(self) -> None:
        last: list[str] = []
        while True:
            try:
                snap = await asyncio.wait_for(self.store.range(self.keys.members), RPC_TIMEOUT_S)
                names = sorted(kv.key[len(self.keys.members) :] for kv in snap)
                if names != last:
                    self.state.save_members(names)
                    last = names
            except (StoreError, TimeoutError, OSError):
                pass
            self.state.journal_prune()
            await asyncio.sleep(MEMBERS_POLL_S)
