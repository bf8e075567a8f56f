"""Fencing decisions, pure: whether a node is fenced through a device or its
watchdog, with which plan, by which executor, after which backoff; what the
history and ``corral status`` say. ``controller/fencing.py`` writes them.
"""

from __future__ import annotations

import copy
from typing import Any

from corral.controller.keys import Keys
from corral.controller.snapshot import ClusterView
from corral.model.config import Config
from corral.model.durations import try_parse_ms
from corral.model.fence_agent import redact
from corral.model.fencing_plan import PlanLevel, all_devices, fencing_plan
from corral.store.base import Delete, Op

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
DEFAULT_STONITH_TIMEOUT_S = 60.0
TASK = "stonith"  # the agent's task that runs a fencing plan
_TRUE = ("true", "on", "yes", "1", "y")


def backoff_s(failures: int) -> float:
    """The wait before round ``failures + 1``: 1 s, 2 s, 4 s ... at most 30 s."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** min(failures - 1, 16))


def stonith_enabled(view: ClusterView) -> bool:
    return str(view.config.prop("stonith-enabled", "true")).lower() in _TRUE


def stonith_timeout_s(view: ClusterView) -> float:
    ms = try_parse_ms(view.config.prop("stonith-timeout"))
    return ms / 1000 if ms else DEFAULT_STONITH_TIMEOUT_S


def node_attrs(view: ClusterView, node: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for n in view.config.nodes:
        if node in (n.uname, n.id):
            out.update(n.attributes)
    rec = view.node_records.get(node, {})
    for part in ("permanent", "attributes"):
        out.update({str(k): str(v) for k, v in (rec.get(part) or {}).items()})
    return out


def plan_for(view: ClusterView, node: str) -> list[PlanLevel]:
    """How ``node`` would be fenced; empty when no device can (or stonith is off)."""
    if not stonith_enabled(view):
        return []
    return fencing_plan(node, view.config, node_attrs=node_attrs(view, node))


def method_for(view: ClusterView, node: str) -> str:
    """``device`` (a fence device must confirm) or ``watchdog`` (lease expiry + margin)."""
    if node in view.fence_ops:
        return "device"
    return "device" if plan_for(view, node) else "watchdog"


def incarnation(view: ClusterView, node: str) -> int | None:
    """The lease of the node's current (or last known) life."""
    lease = (view.members.get(node) or {}).get("lease")
    if not lease:
        lease = ((view.node_records.get(node) or {}).get("agent") or {}).get("lease")
    try:
        return int(lease) if lease else None
    except (TypeError, ValueError):
        return None


def choose_executor(view: ClusterView, target: str, round_no: int) -> str | None:
    """A healthy member, not the target nor a node being fenced; rotated by round so
    that a broken executor is not asked forever."""
    able = sorted(n for n in view.members if n != target and n not in view.fence_ops)
    if not able:
        return None
    return able[round_no % len(able)]


def plan_doc(level: PlanLevel) -> dict[str, Any]:
    return {
        "index": level.index,
        "devices": list(level.devices),
        "from_topology": level.from_topology,
    }


def run_timeout_s(view: ClusterView, plan: list[PlanLevel]) -> float:
    """How long one round may take at the executor: each device's time budget, twice
    (the dynamic host check may run the agent too)."""
    devices = {d.id: d for d in all_devices(view.config)}
    default = stonith_timeout_s(view)
    total = 0.0
    for level in plan:
        for dev_id in level.devices:
            dev = devices.get(dev_id)
            t = dev.timeout_ms / 1000 if dev is not None and dev.timeout_ms else default
            total += 2 * t
    return max(total, 5.0)


def secret_params(view: ClusterView) -> dict[str, str]:
    """Every device parameter, for scrubbing text before it is kept (``scrub`` masks
    only the secret ones)."""
    out: dict[str, str] = {}
    for dev in all_devices(view.config):
        for k, v in dev.params.items():
            out[f"{dev.id}.{k}"] = v
    return out


def redacted(config: Config) -> Config:
    """A copy of ``config`` with every secret fence parameter masked (what is saved
    with a transition for replay: the scheduler needs no password)."""
    out = copy.deepcopy(config)
    for dev in out.fence_devices:
        dev.params = redact(dev.params)
    for p in out.all_primitives():
        if p.cls == "stonith":
            p.instance = redact(p.instance)
    return out


def history_entry(
    attempt: dict[str, Any], *, executor: str | None, round_no: int
) -> dict[str, Any]:
    res = attempt.get("result") or {}
    return {
        "target": attempt.get("target"),
        "level": attempt.get("level"),
        "device": attempt.get("device"),
        "action": attempt.get("action"),
        "result": attempt.get("outcome"),
        "reason": attempt.get("reason") or "",
        "requested_by": attempt.get("requested_by"),
        "executor": executor,
        "when": attempt.get("started"),
        "duration_s": attempt.get("duration_s"),
        "rc": res.get("rc"),
        "confirmed_by": res.get("confirmed_by"),
        "round": round_no,
    }


def describe_op(op: dict[str, Any], now: float) -> str:
    """One line for a person: what the fencing of a node is doing."""
    failures = int(op.get("failures", 0))
    fl = op.get("in_flight")
    if fl:
        what = f"fencing ({op.get('action')}) through a device, run by {fl.get('executor')}"
        if failures:
            what += f"; {failures} earlier round(s) failed: {op.get('last_error')}"
        return what
    if failures:
        left = max(0.0, float(op.get("next_try", now)) - now)
        return (
            f"fencing is failing: {failures} round(s) failed, last: {op.get('last_error')}; "
            f"next attempt in {left:.1f} s"
        )
    return f"fencing ({op.get('action')}) through a device"


def pending(view: ClusterView, now: float) -> list[dict[str, Any]]:
    """The fencings under way, for ``corral status``."""
    out = []
    for node, op in sorted(view.fence_ops.items()):
        failures = int(op.get("failures", 0))
        fl = op.get("in_flight") or {}
        out.append(
            {
                "node": node,
                "method": "device",
                "state": "failing" if failures and not fl else "fencing",
                "action": op.get("action"),
                "requested_by": op.get("requested_by"),
                "since": op.get("since"),
                "failures": failures,
                "rounds": int(op.get("rounds", 0)),
                "last_error": op.get("last_error") or None,
                "next_attempt": None if fl else op.get("next_try"),
                "executor": fl.get("executor"),
                "reason": describe_op(op, now),
            }
        )
    for node, (since, _) in sorted(view.lost.items()):
        if node in view.fence_ops:
            continue
        device = method_for(view, node) == "device"
        out.append(
            {
                "node": node,
                "method": "device" if device else "watchdog",
                "state": "fencing" if device else "waiting-watchdog",
                "since": since,
                "failures": 0,
                "reason": "fencing through a device"
                if device
                else "watchdog fencing: no fence device can fence this node; its resources "
                "are recovered once the lease expired plus a margin",
            }
        )
    return out


def erase_ops(keys: Keys, view: ClusterView, node: str) -> list[Op]:
    """What a fence makes true: the node runs nothing. Its operation history goes (only
    the records older than its loss, if it rejoined meanwhile) and so do its actions."""
    lost = view.lost.get(node)
    if node in view.members and lost is not None:
        return [
            Delete(kv.key)
            for (n, _), kv in view.ops_kv.items()
            if n == node and kv.mod_revision <= lost[1]
        ]
    return [
        Delete(keys.ops_of(node), prefix=True),
        Delete(f"{keys.actions}{node}/", prefix=True),
    ]
