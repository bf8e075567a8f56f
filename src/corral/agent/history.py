"""Pure bookkeeping of a resource's operation history: build the ``OpRecord`` of a
result, decide whether it is a failure, apply it (role, fail count, last failure).

A recurring monitor is recorded only when its result changes (rc or op status), so a
healthy resource costs no store write; each change to a failure bumps the fail count
once, as Pacemaker does.
"""

from __future__ import annotations

from corral.agent.protocol import Action, OpRecord, op_key
from corral.agent.statedir import ResourceState
from corral.executors.result import Result, ResultKind

OUTPUT_KEEP = 1000


def is_failure(action: Action, result: Result) -> bool:
    if result.kind is ResultKind.CANCELLED:
        return False
    if result.kind is ResultKind.TIMEOUT:
        return True
    return result.rc not in action.expected()


def make_record(action: Action, result: Result, *, call_id: int, start: float) -> OpRecord:
    failed = is_failure(action, result)
    output = ""
    if failed:
        output = (result.stderr.strip() or result.stdout.strip())[-OUTPUT_KEEP:]
    return OpRecord(
        task=action.task,
        interval_ms=action.interval_ms,
        rc=result.rc,
        kind=str(result.kind),
        op_status=result.op_status,
        start=start,
        duration_ms=result.duration_ms,
        call_id=call_id,
        exit_reason=result.exit_reason,
        action_id=None if action.id.startswith("recurring:") else action.id,
        transition_key=action.transition_key,
        failed=failed,
        output=output,
    )


def role_after(task: str, record: OpRecord, role: str) -> str:
    if task in ("notify", "reload", "reload-agent", "validate-all", "meta-data"):
        return role
    if record.kind == ResultKind.TIMEOUT:
        return "Failed"
    if task == "monitor":
        if record.rc == 0:
            return "Unpromoted" if role in ("Promoted", "Unpromoted") else "Started"
        if record.rc == 8:
            return "Promoted"
        if record.rc == 7:
            return "Stopped"
        return "Failed"
    if record.failed:
        return "Failed"
    return {
        "start": "Started",
        "stop": "Stopped",
        "promote": "Promoted",
        "demote": "Unpromoted",
        "migrate_from": "Started",
        "migrate_to": "Stopped",
    }.get(task, role)


def unchanged(state: ResourceState, record: OpRecord) -> bool:
    """A recurring monitor whose result is the one already recorded."""
    prev = state.ops().ops.get(op_key(record.task, record.interval_ms))
    return prev is not None and prev.rc == record.rc and prev.op_status == record.op_status


def apply(state: ResourceState, record: OpRecord, now: float) -> None:
    """Record ``record`` in the resource's history (idempotent by call id)."""
    ops = state.ops()
    key = op_key(record.task, record.interval_ms)
    prev = ops.ops.get(key)
    if prev is not None and prev.call_id >= record.call_id:
        return  # already applied (a journaled result re-applied after a restart)
    ops.ops[key] = record
    ops.last = key
    if record.failed:
        ops.fail_count += 1
        ops.fail_counts[key] = ops.fail_counts.get(key, 0) + 1
        ops.last_failure = record
    ops.role = role_after(record.task, record, ops.role)
    ops.updated = now


def cleanup(state: ResourceState, now: float) -> None:
    ops = state.ops()
    ops.fail_count = 0
    ops.fail_counts = {}
    ops.last_failure = None
    ops.updated = now
