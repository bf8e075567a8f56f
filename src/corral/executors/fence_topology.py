"""Fencing a node through its plan: level 1's devices, all of which must succeed;
if one fails, level 2's; and so on. Every device run is recorded as an attempt
(the controller writes them to ``status/fencing/``), so the history shows why a
level was passed over.

Devices whose capability is dynamic (``pcmk_host_check`` dynamic-list or status)
are asked first when they come from the automatic plan, not from a topology the
person wrote: a device that cannot reach the target is skipped, and the skip is
recorded too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from corral.executors.fence import FenceResult, FenceRunner
from corral.model.config import FenceDevice
from corral.model.fencing_plan import PlanLevel, host_check_mode, ports_for


@dataclass(slots=True)
class FenceAttempt:
    """One device run while fencing ``target`` (secrets already out of ``result``)."""

    target: str
    level: int
    device: str
    action: str
    outcome: str  # success | failed | timeout | skipped
    reason: str
    started: float  # epoch seconds
    duration_s: float
    requested_by: str | None = None
    result: FenceResult | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "level": self.level,
            "device": self.device,
            "action": self.action,
            "outcome": self.outcome,
            "reason": self.reason,
            "started": self.started,
            "duration_s": round(self.duration_s, 3),
            "requested_by": self.requested_by,
            "result": self.result.to_dict() if self.result else None,
        }


@dataclass(slots=True)
class FenceOutcome:
    target: str
    action: str
    ok: bool
    level: int | None = None  # the level that succeeded
    devices: tuple[str, ...] = ()
    attempts: list[FenceAttempt] = field(default_factory=list)

    @property
    def reason(self) -> str:
        if self.ok:
            return f"fenced by {','.join(self.devices)} (level {self.level})"
        if not self.attempts:
            return "no fence device can fence this node"
        last = self.attempts[-1]
        return f"every level failed; last: {last.device}: {last.reason}"


async def fence_node(
    runner: FenceRunner,
    target: str,
    plan: Sequence[PlanLevel],
    devices: Mapping[str, FenceDevice],
    *,
    action: str = "reboot",
    requested_by: str | None = None,
    timeout_s: float | None = None,
) -> FenceOutcome:
    """Try ``plan`` level by level until one level's devices all succeed."""
    outcome = FenceOutcome(target, action, ok=False)
    for level in plan:
        level_ok = True
        used: list[str] = []
        for dev_id in level.devices:
            dev = devices.get(dev_id)
            if dev is None:
                outcome.attempts.append(
                    _note(
                        target,
                        level,
                        dev_id,
                        action,
                        requested_by,
                        "failed",
                        "no such fence device",
                    )
                )
                level_ok = False
                break
            if not level.from_topology and not await _can_fence(runner, dev, target):
                outcome.attempts.append(
                    _note(
                        target,
                        level,
                        dev_id,
                        action,
                        requested_by,
                        "skipped",
                        "device cannot fence this node",
                    )
                )
                level_ok = False
                break
            res = await runner.run(dev, target, action, timeout_s=timeout_s)
            outcome.attempts.append(
                FenceAttempt(
                    target,
                    level.index,
                    dev_id,
                    action,
                    res.outcome,
                    res.reason,
                    res.started,
                    res.duration_s,
                    requested_by,
                    res,
                )
            )
            if not res.ok:
                level_ok = False
                break
            used.append(dev_id)
        if level_ok and used:
            outcome.ok, outcome.level, outcome.devices = True, level.index, tuple(used)
            return outcome
    return outcome


async def _can_fence(runner: FenceRunner, dev: FenceDevice, target: str) -> bool:
    """The dynamic half of pcmk_host_check (static answers were applied by the plan)."""
    meta = runner.metadata.peek(dev.agent)
    if meta is None:
        try:
            meta = await runner.metadata.get(dev.agent)
        except Exception:
            return True  # let the real run report the agent problem
    mode = host_check_mode(dev, meta.actions)
    if mode == "dynamic-list":
        res = await runner.run(dev, None, "list")
        return res.ok and any(p in res.hosts for p in ports_for(dev, target))
    if mode == "status":
        res = await runner.run(dev, target, "status")
        return res.ok
    return True


def _note(
    target: str,
    level: PlanLevel,
    dev_id: str,
    action: str,
    who: str | None,
    outcome: str,
    reason: str,
) -> FenceAttempt:
    return FenceAttempt(target, level.index, dev_id, action, outcome, reason, time.time(), 0.0, who)
