"""Unpack, part 2: what one resource's operation history on one node means.

Pacemaker Explained, "Operation History" and "Failure Handling": the records
are replayed in call order. A result is compared with the one the cluster
expected (the target rc in the transition key): a probe (a monitor with
interval 0) that finds the resource not running is a success, not a failure.
Each success moves the resource's role there (start -> Started, stop ->
Stopped, promote -> Promoted, demote -> Unpromoted; a monitor tells what it
saw: 0 running, 7 not running, 8 running promoted). A failure records the
operation's ``on-fail`` handling (the most severe wins); a later start, stop,
promote or a probe/monitor that finds it stopped clears a past failure whose
handling is ignore, block, demote or restart (stop, standby and fence stay).
A failure older than ``failure-timeout`` whose fail count has expired no
longer matters. Recurring monitors count as running when recorded after the
last start/promote/demote/migration and not followed by a stop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from corral.model.status import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_INSTALLED,
    OCF_NOT_RUNNING,
    OCF_RUNNING_PROMOTED,
    OCF_SUCCESS,
    OP_CANCELLED,
    OP_DONE,
    OP_ERROR,
    OP_NOT_INSTALLED,
    OP_PENDING,
    OpRecord,
)
from corral.scheduler.state import (
    ON_FAIL_ORDER,
    ROLE_PROMOTED,
    ROLE_STARTED,
    ROLE_STOPPED,
    ROLE_UNPROMOTED,
    FailedOp,
    NodeRscState,
)

_CLEARABLE = ("ignore", "block", "demote", "restart")
_HARD_RC = (OCF_ERR_ARGS, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED)


@dataclass(slots=True)
class HistoryContext:
    """What interpreting one history needs from the configuration.

    ``on_fail_for(task, interval_ms)`` gives the effective on-fail of that
    operation (defaults already applied). ``failure_expired(op)`` says whether
    a failure is older than failure-timeout with its fail count expired.
    """

    node: str
    promotable: bool
    on_fail_for: Callable[[str, int], str]
    failure_expired: Callable[[OpRecord], bool]
    hard_failures: list[FailedOp] = field(default_factory=list)


def expected_rc(op: OpRecord) -> int | None:
    """The target rc from a transition key ``action:transition:target_rc:uuid``."""
    key = op.transition_key
    if not key:
        return None
    parts = key.split(":")
    if len(parts) >= 4:
        try:
            return int(parts[2])
        except ValueError:
            return None
    return None


def _call_order(op: OpRecord) -> tuple[int, int, int]:
    # pending records (call-id -1) come last; ties by last-rc-change
    pending = 1 if op.call_id < 0 or op.op_status == OP_PENDING else 0
    return (pending, op.call_id, op.last_rc_change or 0)


def sorted_ops(ops: list[OpRecord]) -> list[OpRecord]:
    return sorted(ops, key=_call_order)


def is_probe(op: OpRecord) -> bool:
    return op.operation == "monitor" and op.interval_ms == 0


def _severity(on_fail: str | None) -> int:
    if on_fail is None:
        return -1
    return ON_FAIL_ORDER.index(on_fail) if on_fail in ON_FAIL_ORDER else 2


def _succeeded(op: OpRecord) -> tuple[bool, str | None]:
    """(is it a success, role it reveals) for a completed operation."""
    rc = op.rc
    want = expected_rc(op)
    probe = is_probe(op)
    if op.op_status not in (OP_DONE, OP_ERROR):
        return False, None
    if op.operation == "monitor":
        if rc == OCF_NOT_RUNNING:
            return (probe or want == OCF_NOT_RUNNING), ROLE_STOPPED
        if rc == OCF_RUNNING_PROMOTED:
            return (probe or want in (None, OCF_RUNNING_PROMOTED)), ROLE_PROMOTED
        if rc == OCF_SUCCESS:
            return (probe or want in (None, OCF_SUCCESS)), ROLE_STARTED
        return False, None
    if want is not None and rc == want:
        return True, None
    return rc == OCF_SUCCESS and want in (None, OCF_SUCCESS), None


def interpret(ops: list[OpRecord], ctx: HistoryContext) -> tuple[NodeRscState, list[FailedOp]]:
    """Replay one node's history of one resource instance."""
    st = NodeRscState(node=ctx.node)
    st.ops = sorted_ops(ops)
    role = ROLE_STOPPED
    on_fail: str | None = None
    failures: list[FailedOp] = []
    last_failed_key: str | None = None
    for op in st.ops:
        task = op.operation
        if task == "notify":
            continue
        if op.op_status == OP_PENDING:
            st.pending.append(op)
            if not is_probe(op):
                st.probed = True  # an action under way: its state is known
            if task in ("start", "migrate_from") and role == ROLE_STOPPED:
                role = ROLE_STARTED
            elif task == "promote":
                role = ROLE_PROMOTED
            elif task == "migrate_to" and role == ROLE_STOPPED:
                role = ROLE_STARTED
            continue
        if op.op_status == OP_CANCELLED:
            continue
        st.probed = True
        ok, seen = _succeeded(op)
        if not ok:
            if ctx.failure_expired(op):
                continue
            handling = ctx.on_fail_for(task, op.interval_ms)
            if is_probe(op) and (op.rc == OCF_ERR_INSTALLED or op.op_status == OP_NOT_INSTALLED):
                # a probe finding the agent missing: stopped, and banned from here
                role = ROLE_STOPPED
                ctx.hard_failures.append(FailedOp(ctx.node, op, handling))
                st.last_op = op
                continue
            failures.append(FailedOp(ctx.node, op, handling))
            if _severity(handling) > _severity(on_fail):
                on_fail = handling
            last_failed_key = f"{task}_{op.interval_ms}"
            role = _role_after_failure(task, op, role, handling, ctx.promotable)
            st.last_op = op
            continue
        clear = False
        if task == "monitor":
            if seen == ROLE_STOPPED:
                role = ROLE_STOPPED
                clear = True
            elif seen == ROLE_PROMOTED:
                role = ROLE_PROMOTED
            elif role == ROLE_STOPPED:
                role = ROLE_STARTED
            if last_failed_key == f"monitor_{op.interval_ms}" and op.interval_ms > 0:
                clear = True
        elif task == "start":
            role, clear = ROLE_STARTED, True
        elif task == "stop":
            role, clear = ROLE_STOPPED, True
        elif task == "promote":
            role, clear = ROLE_PROMOTED, True
        elif task == "demote":
            role = ROLE_UNPROMOTED
            clear = on_fail == "demote"
        elif task == "migrate_from":
            role, clear = ROLE_STARTED, True
            st.migrated_from = op.meta.get("migrate_source")
        elif task == "migrate_to":
            if role == ROLE_STOPPED:
                role = ROLE_STARTED
            st.migrating_to = op.meta.get("migrate_target")
        elif role == ROLE_STOPPED:
            role = ROLE_STARTED
        if clear and on_fail in _CLEARABLE:
            on_fail = None
            failures = [f for f in failures if f.on_fail not in _CLEARABLE]
        st.last_op = op
    if role == ROLE_STARTED and ctx.promotable:
        role = ROLE_UNPROMOTED
    st.role = role
    st.failed = on_fail is not None and on_fail != "ignore"
    st.on_fail = on_fail
    st.monitors = active_monitors(st.ops)
    return st, failures


def _role_after_failure(task: str, op: OpRecord, role: str, handling: str, promotable: bool) -> str:
    if task == "stop":
        return role if role != ROLE_STOPPED else ROLE_STARTED
    if task == "promote":
        return ROLE_PROMOTED
    if task == "demote":
        if handling == "block":
            return ROLE_PROMOTED
        return ROLE_STOPPED if op.rc == OCF_NOT_RUNNING else ROLE_UNPROMOTED
    if task == "monitor" and op.rc == 9:  # failed while promoted
        return ROLE_PROMOTED
    if task == "monitor" and op.interval_ms == 0 and op.rc in _HARD_RC:
        return ROLE_STOPPED if role == ROLE_STOPPED else role
    if role == ROLE_STOPPED:
        return ROLE_STARTED
    return role


def active_monitors(ops: list[OpRecord]) -> list[tuple[str, int]]:
    """Recurring operations still running: recorded after the last
    start/promote/demote/migration, with no stop after them."""
    start_i = -1
    stop_i = -1
    for i, op in enumerate(ops):
        if op.op_status == OP_PENDING:
            continue
        if op.operation in ("start", "promote", "demote", "migrate_from", "migrate_to"):
            start_i = i
        elif op.operation == "stop":
            stop_i = i
        elif is_probe(op) and op.rc in (OCF_SUCCESS, OCF_RUNNING_PROMOTED) and i > stop_i:
            start_i = max(start_i, i)
    if stop_i > start_i:
        return []
    out: list[tuple[str, int]] = []
    for op in ops[start_i + 1 :]:
        if op.interval_ms > 0 and op.op_status != OP_CANCELLED:
            key = (op.operation, op.interval_ms)
            if key not in out:
                out.append(key)
    return out
