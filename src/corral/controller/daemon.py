"""The controller daemon: a thin, level-triggered shell around ``schedule()``.

Any number of candidates campaign (``store.election``); the leader loops:

1. read the cluster at one revision (``snapshot.read_view``);
2. settle what does not need the scheduler: actions still in flight (sent by
   this or an earlier leader) are awaited, never re-sent; lost nodes are
   recorded, and confirmed once their lease expiry plus a margin has passed
   (``nodeloss``) — their history is then erased, as after a fence;
3. call the scheduler; save its input as ``transitions/<n>``; run the graph:
   an action goes to ``actions/<node>/<id>`` (a fenced write, so a deposed
   leader sends nothing) once its predecessors succeeded; its result is the
   agent's op record;
4. a failed or timed-out action, a change of membership, of configuration, or
   of status not caused by this graph aborts it: what is in flight is awaited
   and the loop starts over from 1. Changes are gathered for ``debounce_s``
   before planning, so changes arriving together are planned together.

Every write goes through ``Leadership.txn`` (the fencing token compare).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corral.controller import fence_rules, fencing, nodeloss, wire
from corral.controller.graph import GraphRun
from corral.controller.keys import KEEP_TRANSITIONS, Keys
from corral.controller.snapshot import ClusterView, read_view, status_json, to_status
from corral.model import jsonform
from corral.model.config import Config
from corral.model.status import Status
from corral.scheduler import schedule as default_schedule
from corral.scheduler.transition import Action, Transition
from corral.store.base import Compare, Delete, EventType, Op, Put, Store
from corral.store.election import Leadership
from corral.store.errors import NotLeader, StoreError

log = logging.getLogger("corral.controller")

Scheduler = Callable[[Config, Status, int], Transition]
ACTION_SLACK_S = 5.0  # beyond an action's own timeout (the agent enforces that one)


@dataclass
class Settings:
    debounce_s: float = 0.05
    margin_s: float = nodeloss.DEFAULT_MARGIN_S
    leader_ttl: float = 2.0
    idle_recheck_s: float = 5.0


@dataclass
class Sent:
    action: Action
    wire_id: str
    node: str
    rsc: str  # history name
    op_key: str
    deadline: float


@dataclass
class Controller:
    store: Store
    cluster: str
    name: str = field(default_factory=socket.gethostname)
    settings: Settings = field(default_factory=Settings)
    scheduler: Scheduler = default_schedule
    clock: Callable[[], float] = time.time  # wall clock: what the store's records say
    monotonic: Callable[[], float] = time.monotonic  # this leader's own elapsed time

    def __post_init__(self) -> None:
        self.keys = Keys(self.cluster)
        self._wake = asyncio.Event()
        self._external = False  # an event not caused by the running graph
        self._graph_ids: set[str] = set()
        self._node_docs: dict[str, Any] = {}
        self._last_state: Any = None
        self._seen_revision = 0  # events up to this revision are in the planned snapshot
        self._lost_from: dict[str, str] = {}  # resource -> the lost node it ran on
        self._lost_seen: dict[str, float] = {}  # lost node -> monotonic time first seen here
        self.fencer = fencing.Fencer(
            self.store, self.keys, self.name, self.clock, self.settings.margin_s
        )

    # ------------------------------------------------------------------ election
    async def run(self) -> None:
        """Campaign, lead until the leadership is lost, campaign again; forever."""
        election = self.store.election(self.keys.leader, ttl=self.settings.leader_ttl)
        me = json.dumps({"name": self.name, "pid": os.getpid(), "since": self.clock()})
        while True:
            try:
                lead = await election.campaign(me.encode())
            except (StoreError, OSError) as e:
                # a candidate that gives up is one fewer for the next failover
                log.warning("controller %s: store error while campaigning: %s", self.name, e)
                await asyncio.sleep(0.5)
                continue
            log.info(
                "controller %s leads %s (fencing token %d)", self.name, self.cluster, lead.token
            )
            pause = 0.2
            try:
                await self.lead(lead)
            except NotLeader:
                log.warning("controller %s is no longer the leader", self.name)
            except StoreError as e:
                log.warning("controller %s: store error, stepping down: %s", self.name, e)
            except Exception:
                # a bug must not leave the cluster without a leader: step down, say why,
                # and campaign again (another candidate may lead meanwhile)
                log.exception("controller %s: unexpected error, stepping down", self.name)
                pause = 1.0
            finally:
                with contextlib.suppress(StoreError, OSError):
                    await lead.resign()
            await asyncio.sleep(pause)

    async def lead(self, lead: Leadership) -> None:
        view = await read_view(self.store, self.keys)
        self._node_docs = self._relevant_node_docs(view)
        watcher = asyncio.create_task(self._watch(view.revision + 1), name="controller-watch")
        lost = asyncio.create_task(lead.lost.wait(), name="leadership-lost")
        work = asyncio.create_task(self._loop(lead), name="controller-loop")
        try:
            done, _ = await asyncio.wait({watcher, lost, work}, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is lost:
                    raise NotLeader("leadership lost (lease)")
                t.result()
        finally:
            for t in (watcher, lost, work):
                t.cancel()
            for t in (watcher, lost, work):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t

    # ------------------------------------------------------------------ watching
    def _relevant_node_docs(self, view: ClusterView) -> dict[str, Any]:
        return {n: (d.get("attributes"), d.get("permanent")) for n, d in view.node_records.items()}

    async def _watch(self, from_revision: int) -> None:
        k = self.keys
        async with await self.store.watch(k.prefix, from_revision=from_revision) as w:
            async for ev in w:
                key = ev.key
                if ev.revision <= self._seen_revision:
                    continue
                if key.startswith((k.transitions, k.prefix + "controller/", k.lost)):
                    continue
                if key == k.leader:
                    continue
                if key.startswith((k.fence_ops, k.fenced, k.fence_history)):
                    continue  # the controller's own fencing records
                if key.startswith(k.fence_results) and ev.type is EventType.DELETE:
                    continue
                if key.startswith(k.actions):
                    self._wake.set()  # completions: not external by themselves
                    continue
                if key.startswith(k.status_nodes):
                    node = key[len(k.status_nodes) :]
                    doc = None
                    if ev.type is EventType.PUT:
                        with contextlib.suppress(ValueError):
                            d = ev.kv.json()
                            doc = (d.get("attributes"), d.get("permanent"))
                    if self._node_docs.get(node) == doc:
                        continue
                    self._node_docs[node] = doc
                elif key.startswith(k.status_ops) and ev.type is EventType.PUT:
                    with contextlib.suppress(ValueError, AttributeError):
                        d = ev.kv.json()
                        last = (d.get("ops") or {}).get(d.get("last") or "") or {}
                        if last.get("action_id") in self._graph_ids:
                            self._wake.set()
                            continue
                if not self._external:
                    log.debug("change: %s %s", ev.type.value, key)
                self._external = True
                self._wake.set()

    async def _sleep_until_wake(self, timeout: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _debounce(self) -> None:
        await asyncio.sleep(self.settings.debounce_s)
        self._wake.clear()

    # ------------------------------------------------------------------ the loop
    async def _loop(self, lead: Leadership) -> None:
        counter = (await read_view(self.store, self.keys)).counter
        while True:
            self._external = False
            view = await read_view(self.store, self.keys)
            self._seen_revision = view.revision
            now = self.clock()
            if await self._settle_lost(lead, view, now):
                continue
            if await self.fencer.step(lead, view, now):
                continue
            members = set(view.members)
            foreign = [
                (n, a)
                for (n, a), doc in view.actions.items()
                if n in members and doc.get("task") != fence_rules.TASK
            ]
            if foreign:
                await self._write_state(
                    lead, "waiting", detail=f"{len(foreign)} action(s) in flight"
                )
                await self._sleep_until_wake(1.0)
                await self._debounce()
                continue
            loss = nodeloss.assess(
                members=members,
                busy_nodes=view.busy_nodes(),
                records=self._lost_records(view, now),
                now=now,
                margin_s=self.settings.margin_s,
            )
            device = self.fencer.waiting(view, now)
            by_device = {w.name for w in device}
            waiting = [w for w in loss.waiting if w.name not in by_device] + device
            unclean = {n.name for n in waiting if n.name not in view.members}
            status = to_status(view, unclean=unclean, now=now)
            transition = self.scheduler(view.config, status, int(now))
            real = [a for a in transition.actions if not a.pseudo]
            next_wake = min((n.deadline for n in waiting), default=None)
            if not real:
                await self._write_state(lead, "idle", waiting=waiting)
                timeout = self.settings.idle_recheck_s
                if next_wake is not None:
                    timeout = max(0.0, min(timeout, next_wake - self.clock()))
                if not self._external:
                    await self._sleep_until_wake(timeout)
                await self._debounce()
                continue
            counter += 1
            await self._save_input(lead, counter, view, status, now, transition)
            stalled = await self._run_graph(lead, counter, view, transition, waiting)
            if stalled and not self._external:
                timeout = self.settings.idle_recheck_s
                if next_wake is not None:
                    timeout = max(0.0, min(timeout, next_wake - self.clock()))
                await self._sleep_until_wake(timeout)
            await self._debounce()

    # ------------------------------------------------------------------ lost nodes
    async def _settle_lost(self, lead: Leadership, view: ClusterView, now: float) -> bool:
        """Record newly lost nodes; erase the history of confirmed ones. True if it wrote."""
        loss = nodeloss.assess(
            members=set(view.members),
            busy_nodes=view.busy_nodes(),
            records=self._lost_records(view, now),
            now=now,
            margin_s=self.settings.margin_s,
        )
        wrote = False
        if view.stale_members:  # a fenced life's member key: that life is over
            ops: list[Op] = [Delete(self.keys.member(n)) for n in sorted(view.stale_members)]
            await lead.txn([], ops)
            log.warning(
                "ignoring the member key of %s: its lease belongs to a fenced life",
                ", ".join(sorted(view.stale_members)),
            )
            wrote = True
        by_device = self.fencer.device_nodes(view)
        for name in loss.new:
            doc = {"since": now, "revision": view.revision, "reason": "lease expired"}
            await lead.txn([], [Put.json(self.keys.lost_node(name), doc)])
            self._lost_seen.setdefault(name, self.monotonic())
            if fence_rules.plan_for(view, name):
                log.warning(
                    "node %s lost (lease expired): its resources stay where they are until "
                    "a fence device confirms it off",
                    name,
                )
            else:
                log.warning(
                    "node %s lost (lease expired): its resources are recovered after %.2f s, "
                    "once its watchdog has killed them (watchdog fencing)",
                    name,
                    self.settings.margin_s,
                )
            wrote = True
        for lost in loss.confirmed:
            if lost.name in by_device:
                continue  # only a fence device's confirmation clears it (fencing.py)
            for node, rsc in view.ops:
                if node == lost.name:
                    self._lost_from[wire.base_id(rsc)] = node
            ops = [
                *fence_rules.erase_ops(self.keys, view, lost.name),
                *self.fencer.watchdog_entry(view, lost.name, now),
            ]
            # in chunks (a transaction holds a bounded number of operations); the lost
            # record goes in the LAST one, so an erase cut short is done again
            for i in range(0, len(ops), fencing.TXN_CHUNK):
                await lead.txn([], ops[i : i + fencing.TXN_CHUNK])
            await lead.txn([], [Delete(self.keys.lost_node(lost.name))])
            self._lost_seen.pop(lost.name, None)
            log.warning(
                "node %s: lease expired %.2f s ago, its watchdog has killed its resources "
                "(watchdog fencing): they may run elsewhere",
                lost.name,
                now - lost.since,
            )
            wrote = True
        return wrote

    def _lost_records(self, view: ClusterView, now: float) -> dict[str, tuple[float, int]]:
        """``view.lost`` with each ``since`` replaced by the moment THIS leader first saw
        the node lost, measured on its monotonic clock (expressed on its wall clock):
        the margin then runs after the lease expired as the store saw it, whatever the
        hosts' wall clocks say (the record's ``since`` was written by the wall clock of
        maybe another host). A new leader waits a whole margin from its first look."""
        mono = self.monotonic()
        for name in set(self._lost_seen) - set(view.lost):
            del self._lost_seen[name]
        out: dict[str, tuple[float, int]] = {}
        for name, (_, revision) in view.lost.items():
            first = self._lost_seen.setdefault(name, mono)
            out[name] = (now - (mono - first), revision)
        return out

    # ------------------------------------------------------------------ one transition
    async def _save_input(
        self,
        lead: Leadership,
        n: int,
        view: ClusterView,
        status: Status,
        now: float,
        transition: Transition,
    ) -> None:
        doc = {
            "n": n,
            "revision": view.revision,
            "time": now,
            "now": int(now),
            "config": jsonform.config_to_json(fence_rules.redacted(view.config)),
            "status": status_json(status),
            "actions": [wire.describe(a) for a in transition.actions if not a.pseudo],
        }
        ops: list[Op] = [
            Put.json(self.keys.counter, {"n": n}),
            Put.json(self.keys.transition(n), doc),
        ]
        if n > KEEP_TRANSITIONS:
            ops.append(Delete(self.keys.transition(n - KEEP_TRANSITIONS)))
        try:
            await lead.txn([], ops)
        except StoreError as e:
            if isinstance(e, NotLeader):
                raise
            log.warning("transition %d: input not saved (%s)", n, e.message)
            await lead.txn([], [Put.json(self.keys.counter, {"n": n})])

    async def _run_graph(
        self,
        lead: Leadership,
        n: int,
        view: ClusterView,
        transition: Transition,
        waiting: list[nodeloss.LostNode],
    ) -> bool:
        """Run one graph to its end; True if it stalled on held actions."""
        graph = GraphRun(n, transition)
        reasons = _reasons(transition, view, self._lost_from)
        sent: dict[int, Sent] = {}
        held: dict[int, str] = {}
        members = set(view.members)
        waiting_nodes = {w.name: w for w in waiting}
        t0 = self.clock()
        summary = ", ".join(wire.describe(a) for a in transition.actions if not a.pseudo)
        log.info("transition %d: planned %s", n, summary)
        self._graph_ids = set()
        while True:
            for a in graph.runnable():
                if a.id in sent or a.id in held:
                    continue
                why = self._hold_reason(a, view, members, waiting_nodes)
                if a.task == "stonith" and a.node is not None:
                    action = a.meta.get("stonith_action", "reboot")
                    await self.fencer.ask(lead, view, a.node, action, "scheduler: node is unclean")
                if why is not None:
                    held[a.id] = why
                    log.info("transition %d: hold %s (%s)", n, wire.describe(a), why)
                    continue
                if a.rsc is None or a.task not in wire.AGENT_TASKS | set(wire.TASK_ALIASES):
                    graph.succeeded(a.id)  # nothing to run at an agent (do_shutdown, ...)
                    continue
                s = await self._send(lead, n, a, view)
                sent[a.id] = s
                graph.sent(a.id)
                why = reasons.get(a.id)
                if a.task == "start":
                    self._lost_from.pop(wire.base_id(a.rsc or ""), None)
                log.info("transition %d: %s%s", n, wire.describe(a), f" ({why})" if why else "")
            sendable = [a for a in graph.runnable() if a.id not in held]
            if graph.complete or (not graph.in_flight() and not sendable):
                break
            await self._write_state(lead, "running", graph=graph, held=held, waiting=waiting)
            timeout = _next_deadline(sent, graph, self.clock())
            await self._sleep_until_wake(timeout)
            if self._external:
                await self._debounce()
            cur = await read_view(self.store, self.keys)
            self._check_results(graph, sent, cur)
            if self._external and graph.aborted is None:
                why = _what_changed(view, cur)
                graph.abort(why)
                log.info("transition %d: aborted (%s)", n, why)
            if set(cur.members) != members:
                graph.abort("membership changed")
        stalled = graph.aborted is None and bool(held)
        graph.finish()
        self._graph_ids = set()
        took = self.clock() - t0
        c = graph.counts()
        log.info(
            "transition %d: %s in %.2f s (%s)",
            n,
            "aborted: " + graph.aborted if graph.aborted else "stalled" if held else "complete",
            took,
            ", ".join(f"{v} {k}" for k, v in sorted(c.items())),
        )
        return stalled

    def _hold_reason(
        self,
        a: Action,
        view: ClusterView,
        members: set[str],
        waiting: dict[str, nodeloss.LostNode],
    ) -> str | None:
        if a.task == "stonith":
            node = a.node or "?"
            if node in view.fence_ops or fence_rules.plan_for(view, node):
                op = view.fence_ops.get(node) or {}
                return f"{node}: {fence_rules.describe_op(op, self.clock())}"
            if node in waiting:
                left = waiting[node].left(self.clock())
                return f"{node} lost: its watchdog is the fence, waiting {left:.2f} s"
            return f"cannot fence {node}: no fencing device"
        if a.node is not None and a.node in view.fence_ops:
            return f"{a.node} is being fenced"
        if a.node is not None and a.node not in members:
            return f"{a.node} is not a member"
        if a.rsc is not None and a.task in ("start", "promote", "migrate_from") and waiting:
            base = wire.base_id(a.rsc)
            for node in waiting:
                if any(n == node and wire.base_id(r) == base for (n, r) in view.ops):
                    return f"{base} may still run on lost node {node}"
        return None

    async def _send(self, lead: Leadership, n: int, a: Action, view: ClusterView) -> Sent:
        assert a.node is not None and a.rsc is not None
        wire_id = f"t{n}-{a.id}"
        doc = wire.wire_action(
            a, wire_id=wire_id, transition=n, config=view.config, now=self.clock()
        )
        key = self.keys.action(a.node, wire_id)
        self._graph_ids.add(wire_id)
        await lead.txn([Compare.absent(key)], [Put.json(key, doc)])
        deadline = self.clock() + doc["timeout_ms"] / 1000.0 + ACTION_SLACK_S
        op_key = f"{doc['task']}_{doc['interval_ms']}"
        return Sent(a, wire_id, a.node, doc["rsc"], op_key, deadline)

    def _check_results(self, graph: GraphRun, sent: dict[int, Sent], cur: ClusterView) -> None:
        now = self.clock()
        for aid, s in sent.items():
            if graph.states[aid].value != "sent":
                continue
            if s.node not in cur.members:
                graph.failed(aid, f"{s.node} lost")
                continue
            if (s.node, s.wire_id) in cur.actions:
                if now > s.deadline:
                    graph.failed(aid, f"{wire.describe(s.action)} timed out")
                continue
            if s.op_key.rsplit("_", 1)[0] in wire.LOCAL_TASKS:
                graph.succeeded(aid)  # answered by removing the action: no history record
                continue
            rec = ((cur.ops.get((s.node, s.rsc)) or {}).get("ops") or {}).get(s.op_key) or {}
            if rec.get("action_id") != s.wire_id:
                # the agent removes the action in the transaction that records its result
                # (or after it): a result that is not there was never recorded (the agent
                # refused a stale action) or has been removed since (a cleanup). Waiting
                # would wait forever: plan again from what the store says now
                graph.failed(aid, f"{wire.describe(s.action)}: no result recorded")
                continue
            if rec.get("failed"):
                graph.failed(
                    aid,
                    f"{wire.describe(s.action)} failed: rc {rec.get('rc')} "
                    f"{rec.get('exit_reason') or rec.get('kind') or ''}".rstrip(),
                )
            else:
                graph.succeeded(aid)

    # ------------------------------------------------------------------ status for people
    async def _write_state(
        self,
        lead: Leadership,
        phase: str,
        *,
        graph: GraphRun | None = None,
        held: dict[int, str] | None = None,
        waiting: list[nodeloss.LostNode] = (),
        detail: str = "",
    ) -> None:
        now = self.clock()
        doc: dict[str, Any] = {
            "leader": self.name,
            "phase": phase,
            "updated": now,
            "detail": detail,
            "waiting": [
                {"node": w.name, "since": w.since, "until": w.deadline, "reason": w.reason}
                for w in waiting
            ],
        }
        if graph is not None:
            doc["transition"] = graph.number
            doc["counts"] = graph.counts()
            doc["in_flight"] = [wire.describe(a) for a in graph.in_flight()]
            doc["held"] = [
                f"{wire.describe(graph.action(i))}: {why}" for i, why in (held or {}).items()
            ]
        key = self.keys.state
        if self._last_state == (phase, doc.get("counts"), doc["waiting"], detail):
            return
        self._last_state = (phase, doc.get("counts"), doc["waiting"], detail)
        await lead.txn([], [Put.json(key, doc)])


def _next_deadline(sent: dict[int, Sent], graph: GraphRun, now: float) -> float:
    pending = [s.deadline for i, s in sent.items() if graph.states[i].value == "sent"]
    return max(0.05, min(pending, default=now + 1.0) - now)


def _what_changed(old: ClusterView, new: ClusterView) -> str:
    if new.config_revision != old.config_revision:
        return "configuration changed"
    if set(new.members) != set(old.members):
        return "membership changed"
    return "status changed"


def _reasons(
    transition: Transition, view: ClusterView, lost_from: dict[str, str]
) -> dict[int, str]:
    """Why each action: the summary's reason, else what the transition does to it."""
    by_rsc = {c.rsc: c for c in transition.summary if c.rsc}
    lost_on = {wire.base_id(r): n for (n, r) in view.ops if n not in view.members}
    lost_on = {**lost_from, **lost_on}
    out: dict[int, str] = {}
    for a in transition.actions:
        if a.rsc is None:
            continue
        c = by_rsc.get(a.rsc)
        base = wire.base_id(a.rsc)
        if base in lost_on and a.task == "start":
            out[a.id] = f"{lost_on[base]} lost"
        elif c is not None:
            verb = c.verb.lower()
            where = f" {c.from_node} -> {c.to_node}" if verb == "move" else ""
            out[a.id] = f"{verb}{where}" + (f", {c.reason}" if c.reason else "")
    return out
