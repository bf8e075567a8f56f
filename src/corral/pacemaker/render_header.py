"""The lines crm_simulate (Pacemaker 2.1.5) prints before "Current cluster
status:".

- With ``maintenance-mode`` on, a banner says resource management is DISABLED.
- When any resource instance is disabled or blocked, one line counts them:
  ``D of N resource instances DISABLED and B BLOCKED from further action due
  to failure``. N counts every primitive instance (each copy of a clone),
  leaving out orphans that are stopped; an instance is *disabled* when its
  effective ``target-role`` is Stopped (or Unpromoted, in a promotable
  clone) and *blocked* when a failure (on-fail=block, a stop that failed
  without fencing) forbids touching it.

Each is followed by a blank line, as is the date line before them.
"""

from __future__ import annotations

from corral.scheduler.state import ClusterState, InstanceState


def _disabled(inst: InstanceState) -> bool:
    tr = inst.meta.get("target-role") or inst.meta.get("target_role")
    if tr is None:
        return False
    t = tr.strip().lower()
    return t == "stopped" or (inst.promotable and t in ("unpromoted", "slave"))


def instance_counts(state: ClusterState) -> tuple[int, int, int]:
    """(disabled, instances, blocked) as Pacemaker counts them."""
    total = disabled = blocked = 0
    for inst in state.instances.values():
        if inst.orphan and not inst.active_on:
            continue
        total += 1
        if _disabled(inst):
            disabled += 1
        if inst.blocked:
            blocked += 1
    return disabled, total, blocked


def header_lines(state: ClusterState) -> list[str]:
    out: list[str] = []
    if state.options.maintenance_mode:
        out += [
            "",
            "              *** Resource management is DISABLED ***",
            "  The cluster will not attempt to start, stop or recover services",
            "",
        ]
    disabled, total, blocked = instance_counts(state)
    if disabled or blocked:
        out.append(
            f"{disabled} of {total} resource instances DISABLED and {blocked} BLOCKED"
            " from further action due to failure"
        )
        out.append("")
    return out
