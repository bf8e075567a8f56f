"""Fencing a node through its devices before anything it ran starts elsewhere.

DESIGN.md, "A node's death, safely": a lost node's resources are recovered only
once a fence device has confirmed the node off, or — when no device can fence
it — once its lease expired plus a margin (its watchdog killed them: "watchdog"
fencing). With ``stonith-enabled`` true and a plan for the node (``fencing_plan``:
its topology levels, else every device that may fence it), the controller:

1. records a fencing op (``fencing/ops/<node>``): why, who asked, attempts;
2. sends a ``stonith`` action to the agent of a healthy member (the controller
   runs no fence agent itself: the agent does, through the topology), and waits
   for its result (``fencing/results/<id>``);
3. writes every device run into the history (``status/fencing/<node>/<seq>``,
   secrets scrubbed);
4. on success: records the fenced incarnation (``fencing/fenced/<node>``: the
   lease of the life that was shot; a member key on that lease is ignored and
   the lease revoked, so the node comes back only as a fresh member), erases the
   node's history (it runs nothing) and lets the scheduler recover elsewhere;
5. on failure: the node stays unclean — its resources stay where they are — and
   the next round is tried after 1 s, 2 s, 4 s ... up to 30 s.

Level-triggered: everything is derived from the store at one revision; a new
leader picks up ops, results and requests where the last one left them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corral.controller import nodeloss
from corral.controller.fence_rules import (
    TASK,
    backoff_s,
    choose_executor,
    describe_op,
    erase_ops,
    history_entry,
    incarnation,
    method_for,
    plan_doc,
    plan_for,
    run_timeout_s,
    secret_params,
    stonith_enabled,
    stonith_timeout_s,
)
from corral.controller.keys import Keys
from corral.controller.snapshot import ClusterView
from corral.model.fence_agent import scrub
from corral.store.base import Compare, Delete, Op, Put, Store
from corral.store.election import Leadership
from corral.store.errors import StoreError

log = logging.getLogger("corral.controller")

HISTORY_KEEP = 50  # entries kept per node
EXECUTOR_SLACK_S = 10.0
TXN_CHUNK = 90


# ---------------------------------------------------------------- the driver


@dataclass
class Fencer:
    """The controller's fencing part; ``step`` is called once per loop."""

    store: Store
    keys: Keys
    name: str
    clock: Callable[[], float]
    margin_s: float = nodeloss.DEFAULT_MARGIN_S

    def device_nodes(self, view: ClusterView) -> set[str]:
        """Lost nodes that only a fence device may clear (never the clock)."""
        return {n for n in view.lost if method_for(view, n) == "device"}

    def waiting(self, view: ClusterView, now: float) -> list[nodeloss.LostNode]:
        """Every node being fenced through a device, as the loop's waiting list."""
        out = []
        names = set(view.fence_ops) | self.device_nodes(view)
        for node in sorted(names):
            op = view.fence_ops.get(node) or {}
            since, rev = view.lost.get(node, (float(op.get("since", now)), 0))
            fl = op.get("in_flight")
            if fl:
                deadline = float(fl.get("deadline", now + 1))
            elif op:
                deadline = float(op.get("next_try", now))
            else:
                deadline = now
            note = describe_op(op, now) if op else "lease expired: fencing through a device"
            out.append(nodeloss.LostNode(node, since, rev, deadline, note))
        return out

    def next_wake(self, view: ClusterView, now: float) -> float | None:
        return min((w.deadline for w in self.waiting(view, now)), default=None)

    async def step(self, lead: Leadership, view: ClusterView, now: float) -> bool:
        """Move every fencing one step on; True if it wrote (the caller re-reads)."""
        for target, op in sorted(view.fence_ops.items()):
            fl = op.get("in_flight")
            if fl and await self._settle_round(lead, view, target, op, fl, now):
                return True
        if await self._late_results(lead, view, now):
            return True
        for target, req in sorted(view.fence_requests.items()):
            await self._take_request(lead, view, target, req, now)
            return True
        for target in sorted(view.lost):
            if target not in view.fence_ops and method_for(view, target) == "device":
                await self._open(lead, view, target, "reboot", "lease expired", self.name, now)
                return True
        for target, op in sorted(view.fence_ops.items()):
            if not op.get("in_flight") and now >= float(op.get("next_try", 0)):
                await self._send(lead, view, target, op, now)
                return True
        return False

    async def _late_results(self, lead: Leadership, view: ClusterView, now: float) -> bool:
        """Results of rounds already given up on (their executor was too late): a success
        still fences the node; anything else only goes into the history."""
        current = {str((op.get("in_flight") or {}).get("id")) for op in view.fence_ops.values()}
        for aid, res in sorted(view.fence_results.items()):
            if aid in current:
                continue
            target = str(res.get("target") or "")
            op = view.fence_ops.get(target)
            if res.get("ok") and op is not None:
                await self._record(lead, view, target, op, res, str(res.get("executor")), now)
                return True
            secrets = secret_params(view)
            entries = []
            for a in res.get("attempts") or []:
                e = history_entry(a, executor=res.get("executor"), round_no=0)
                e["reason"] = scrub(str(e["reason"]), secrets)
                entries.append(e)
            ops = [Delete(self.keys.fence_result(aid)), *self._history_ops(view, target, entries)]
            await lead.txn([], ops)
            return True
        return False

    async def ask(
        self, lead: Leadership, view: ClusterView, target: str, action: str, reason: str
    ) -> None:
        """The scheduler wants ``target`` fenced (a stonith action): open an op if a
        device can do it and none is open."""
        if target in view.fence_ops or target in view.lost or not plan_for(view, target):
            return
        await self._open(lead, view, target, action, reason, "scheduler", self.clock())

    # -- opening
    async def _open(
        self,
        lead: Leadership,
        view: ClusterView,
        target: str,
        action: str,
        reason: str,
        by: str,
        now: float,
        extra: list[Op] | None = None,
    ) -> None:
        op = {
            "target": target,
            "action": action,
            "reason": reason,
            "requested_by": by,
            "since": now,
            "failures": 0,
            "rounds": 0,
            "next_try": now,
            "last_error": "",
            "in_flight": None,
            "incarnation": incarnation(view, target),
        }
        await lead.txn([], [*(extra or []), Put.json(self.keys.fence_op(target), op)])
        log.warning(
            "fencing %s (%s): %s; requested by %s; its resources stay where they are until "
            "a device confirms",
            target,
            action,
            reason,
            by,
        )

    async def _take_request(
        self, lead: Leadership, view: ClusterView, target: str, req: dict[str, Any], now: float
    ) -> None:
        drop = Delete(self.keys.fence_request(target))
        action = "off" if req.get("action") == "off" else "reboot"
        by = str(req.get("requested_by") or "a person")
        if target in view.fence_ops:
            await lead.txn([], [drop])
            return
        if not plan_for(view, target):
            why = (
                "stonith-enabled is false"
                if not stonith_enabled(view)
                else "no fence device can fence this node"
            )
            entry = {
                "target": target,
                "level": None,
                "device": None,
                "action": action,
                "result": "failed",
                "reason": why,
                "requested_by": by,
                "executor": None,
                "when": now,
                "duration_s": 0.0,
                "round": 0,
            }
            await lead.txn([], [drop, *self._history_ops(view, target, [entry])])
            log.warning("fencing %s refused: %s (requested by %s)", target, why, by)
            return
        await self._open(lead, view, target, action, "requested", by, now, extra=[drop])

    # -- a round
    async def _send(
        self, lead: Leadership, view: ClusterView, target: str, op: dict[str, Any], now: float
    ) -> None:
        plan = plan_for(view, target)
        rounds = int(op.get("rounds", 0))
        if not plan:  # stonith disabled or the devices gone meanwhile
            await self._cancel(lead, view, target, "no fence device can fence this node now")
            return
        executor = choose_executor(view, target, rounds)
        if executor is None:
            await self._failed(lead, view, target, op, now, "no healthy node to run the agent")
            return
        aid = f"fence-{target}-{int(now * 1000)}"
        timeout = run_timeout_s(view, plan)
        doc = {
            "id": aid,
            "rsc": f"#stonith-{target}",
            "task": TASK,
            "interval_ms": 0,
            "timeout_ms": int(timeout * 1000),
            "params": {},
            "meta": {},
            "created": now,
            "fence": {
                "target": target,
                "action": op.get("action", "reboot"),
                "plan": [plan_doc(lv) for lv in plan],
                "requested_by": op.get("requested_by"),
                "stonith_timeout_s": stonith_timeout_s(view),
                "round": rounds + 1,
            },
        }
        new_op = {
            **op,
            "rounds": rounds + 1,
            "in_flight": {
                "id": aid,
                "executor": executor,
                "sent": now,
                "deadline": now + timeout + EXECUTOR_SLACK_S,
            },
        }
        key = self.keys.action(executor, aid)
        await lead.txn(
            [Compare.absent(key)],
            [Put.json(key, doc), Put.json(self.keys.fence_op(target), new_op)],
        )
        levels = "; ".join(f"{lv.index}: {','.join(lv.devices)}" for lv in plan)
        log.info(
            "fencing %s: round %d sent to %s (levels %s)", target, rounds + 1, executor, levels
        )

    async def _settle_round(
        self,
        lead: Leadership,
        view: ClusterView,
        target: str,
        op: dict[str, Any],
        fl: dict[str, Any],
        now: float,
    ) -> bool:
        aid, executor = str(fl.get("id")), str(fl.get("executor"))
        res = view.fence_results.get(aid)
        if res is not None:
            await self._record(lead, view, target, op, res, executor, now)
            return True
        why = None
        if executor not in view.members:
            why = f"{executor}, which ran the fence agent, was lost"
        elif (executor, aid) not in view.actions:
            why = f"{executor} dropped the request"
        elif now > float(fl.get("deadline", now)):
            why = f"no result from {executor} in time"
        if why is None:
            return False
        await self._failed(
            lead, view, target, op, now, why, extra=[Delete(self.keys.action(executor, aid))]
        )
        return True

    async def _record(
        self,
        lead: Leadership,
        view: ClusterView,
        target: str,
        op: dict[str, Any],
        res: dict[str, Any],
        executor: str,
        now: float,
    ) -> None:
        round_no = int(op.get("rounds", 1))
        secrets = secret_params(view)
        entries = []
        for a in res.get("attempts") or []:
            e = history_entry(a, executor=executor, round_no=round_no)
            e["reason"] = scrub(str(e["reason"]), secrets)
            entries.append(e)
        drop = Delete(self.keys.fence_result(str(res.get("id"))))
        reason = scrub(str(res.get("reason") or ""), secrets)
        if not res.get("ok"):
            if not entries:
                entries.append(
                    {
                        "target": target,
                        "device": None,
                        "action": op.get("action"),
                        "result": "failed",
                        "reason": reason,
                        "requested_by": op.get("requested_by"),
                        "executor": executor,
                        "when": now,
                        "duration_s": 0.0,
                        "round": round_no,
                    }
                )
            await self._failed(lead, view, target, op, now, reason, extra=[drop], entries=entries)
            return
        await self._succeeded(lead, view, target, op, res, entries, [drop], now)

    async def _failed(
        self,
        lead: Leadership,
        view: ClusterView,
        target: str,
        op: dict[str, Any],
        now: float,
        why: str,
        *,
        extra: list[Op] | None = None,
        entries: list[dict[str, Any]] | None = None,
    ) -> None:
        failures = int(op.get("failures", 0)) + 1
        wait = backoff_s(failures)
        new_op = {
            **op,
            "failures": failures,
            "next_try": now + wait,
            "last_error": why,
            "in_flight": None,
        }
        ops = [*(extra or []), *self._history_ops(view, target, entries or [])]
        await lead.txn([], [*ops, Put.json(self.keys.fence_op(target), new_op)])
        log.error(
            "fencing %s: round %d failed (%s); its resources stay where they are; "
            "next round in %.0f s",
            target,
            int(op.get("rounds", failures)),
            why,
            wait,
        )

    async def _cancel(self, lead: Leadership, view: ClusterView, target: str, why: str) -> None:
        op = view.fence_ops.get(target) or {}
        entry = {
            "target": target,
            "device": None,
            "action": op.get("action"),
            "result": "cancelled",
            "reason": why,
            "requested_by": op.get("requested_by"),
            "executor": None,
            "when": self.clock(),
            "duration_s": 0.0,
            "round": int(op.get("rounds", 0)),
        }
        ops = [Delete(self.keys.fence_op(target)), *self._history_ops(view, target, [entry])]
        await lead.txn([], ops)
        log.warning("fencing %s cancelled: %s", target, why)

    async def _succeeded(
        self,
        lead: Leadership,
        view: ClusterView,
        target: str,
        op: dict[str, Any],
        res: dict[str, Any],
        entries: list[dict[str, Any]],
        extra: list[Op],
        now: float,
    ) -> None:
        lease = op.get("incarnation")
        erase = erase_ops(self.keys, view, target)
        for i in range(0, len(erase), TXN_CHUNK):
            await lead.txn([], erase[i : i + TXN_CHUNK])
        devices = ",".join(res.get("devices") or [])
        marker = {"lease": lease, "at": now, "by": devices, "action": op.get("action")}
        ops: list[Op] = [
            *extra,
            *self._history_ops(view, target, entries),
            Delete(self.keys.fence_op(target)),
            Delete(self.keys.lost_node(target)),
            Put.json(self.keys.fenced_node(target), marker),
        ]
        member = view.members.get(target) or {}
        if lease and (member.get("lease") == lease or view.stale_members.get(target) == lease):
            ops.append(Delete(self.keys.member(target)))
        await lead.txn([], ops)
        took = now - float(op.get("since", now))
        log.warning(
            "node %s fenced by %s (level %s, %s) %.2f s after it was asked: its resources "
            "may run elsewhere",
            target,
            devices,
            res.get("level"),
            op.get("action"),
            took,
        )
        if lease:
            with contextlib.suppress(StoreError, OSError, TimeoutError):
                await self.store.revoke(int(lease))

    # -- history
    def _history_ops(
        self, view: ClusterView, target: str, entries: list[dict[str, Any]]
    ) -> list[Op]:
        if not entries:
            return []
        old = view.fence_history.get(target, [])
        seq = max((s for s, _ in old), default=0)
        ops: list[Op] = []
        for e in entries:
            seq += 1
            ops.append(Put.json(self.keys.fence_entry(target, seq), e))
        excess = len(old) + len(entries) - HISTORY_KEEP
        for s, _ in old[: max(0, excess)]:
            ops.append(Delete(self.keys.fence_entry(target, s)))
        return ops

    def watchdog_entry(self, view: ClusterView, target: str, now: float) -> list[Op]:
        """The history entry of a node cleared by its watchdog (no device could fence it)."""
        since = view.lost.get(target, (now, 0))[0]
        entry = {
            "target": target,
            "level": None,
            "device": "watchdog",
            "action": "off",
            "result": "success",
            "reason": f"lease expired {now - since:.2f} s ago; the node's watchdog has "
            "killed its resources (no fence device can fence it)",
            "requested_by": self.name,
            "executor": None,
            "when": now,
            "duration_s": round(now - since, 3),
            "round": 1,
        }
        return self._history_ops(view, target, [entry])


__all__ = ["TASK", "Fencer"]
