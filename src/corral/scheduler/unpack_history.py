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

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from corral.model.status import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_INSTALLED,
    OCF_ERR_PERM,
    OCF_ERR_UNIMPLEMENTED,
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

_CLEARABLE = ("ignore", "block", "demote", "restart", "restart-container")
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
    managed: bool = True  # is-managed (an unmanaged resource found stopped is stopped)
    can_fence: bool = True  # the node can be fenced (stonith enabled, a device, quorum)
    # set by ``interpret``: a stop failed with a hard error where fencing is
    # impossible: nothing can recover the resource, it is blocked
    blocked: bool = False
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


def _transition_ids(op: OpRecord) -> tuple[str, int, int] | None:
    """(uuid, transition, action) of the transition that asked for ``op``:
    from its transition-magic (``status:rc;key``), else its transition key."""
    magic = op.meta.get("transition-magic")
    key = magic.split(";", 1)[1] if magic and ";" in magic else op.transition_key
    if not key:
        return None
    parts = key.split(":")
    if len(parts) < 4:
        return None
    try:
        return parts[3], int(parts[1]), int(parts[0])
    except ValueError:
        return None


def _compare(a: OpRecord, b: OpRecord) -> int:
    """Pacemaker's history order: by call id; the same call id by time of the
    result; an operation still pending (call id -1) by the transition that
    asked for it (then its action number) when both come from one cluster."""
    ca, cb = a.call_id, b.call_id
    if ca == -1 and cb == -1:
        return 0
    if ca >= 0 and ca < cb:
        return -1
    if cb >= 0 and ca > cb:
        return 1
    if ca >= 0 and cb >= 0:  # the same call
        ta, tb = a.last_rc_change, b.last_rc_change
        if ta is not None and tb is not None and ta != tb:
            return -1 if ta < tb else 1
        return 0
    ka, kb = _transition_ids(a), _transition_ids(b)
    if ka is None or kb is None or ka[0] != kb[0]:
        return 0
    if ka[1] != kb[1]:
        return -1 if ka[1] < kb[1] else 1
    if ka[2] != kb[2]:
        return -1 if ka[2] < kb[2] else 1
    return 0


def sorted_ops(ops: list[OpRecord]) -> list[OpRecord]:
    return sorted(ops, key=functools.cmp_to_key(_compare))


def is_probe(op: OpRecord) -> bool:
    return op.operation == "monitor" and op.interval_ms == 0


def _severity(on_fail: str | None) -> int:
    if on_fail is None:
        return -1
    return ON_FAIL_ORDER.index(on_fail) if on_fail in ON_FAIL_ORDER else 2


_DEGRADED = {190: OCF_SUCCESS, 191: OCF_RUNNING_PROMOTED}


def effective_rc(op: OpRecord) -> int:
    """A monitor's result as the scheduler reads it: "degraded" (190) is
    running, "degraded promoted" (191) is running promoted."""
    if op.operation == "monitor":
        return _DEGRADED.get(op.rc, op.rc)
    return op.rc


def _succeeded(op: OpRecord) -> tuple[bool, str | None]:
    """(is it a success, role it reveals) for a completed operation."""
    rc = effective_rc(op)
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


_MONITOR_ROLE = {OCF_SUCCESS: ROLE_STARTED, OCF_NOT_RUNNING: ROLE_STOPPED, 8: ROLE_PROMOTED}


def _hard_error(op: OpRecord) -> bool:
    """Results that say the agent cannot act on this node at all."""
    rc = effective_rc(op)
    if rc == OCF_ERR_UNIMPLEMENTED:
        return op.interval_ms == 0
    return rc in (OCF_ERR_ARGS, OCF_ERR_PERM, OCF_ERR_INSTALLED)


def _still_reported(failures: list[FailedOp]) -> list[FailedOp]:
    """After a success clears past failures: those whose handling goes on, and
    ignored ones (a resource keeps its "failure ignored" mark)."""
    return [f for f in failures if f.on_fail == "ignore" or f.on_fail not in _CLEARABLE]


def _completed(op: OpRecord) -> bool:
    return op.op_status in (OP_DONE, OP_ERROR)


def _after_success(
    st: NodeRscState,
    op: OpRecord,
    task: str,
    seen: str | None,
    rc: int,
    role: str,
    on_fail: str | None,
    last_failed_key: str | None,
) -> tuple[str, bool]:
    """(role, clears past failures) after an operation that gave the result
    the cluster expected (``rc``). Whatever the task, ``not running`` means
    stopped."""
    if rc == OCF_NOT_RUNNING:
        return ROLE_STOPPED, True
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
    return role, clear


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
        if not ok and not ctx.managed and op.rc == OCF_NOT_RUNNING and _completed(op):
            ok, seen = True, ROLE_STOPPED  # an unmanaged resource found stopped
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
            if task == "stop" and not ctx.can_fence and _hard_error(op):
                ctx.blocked = True
            pretend = handling == "ignore" or (handling == "restart-container" and task == "stop")
            failures.append(FailedOp(ctx.node, op, "ignore" if pretend else handling))
            if pretend and expected_rc(op) is not None:
                # on-fail=ignore (or a stop inside a container that restarts): the
                # failure is reported, and the operation taken as if it had given
                # the result the cluster expected
                rc = expected_rc(op)
                seen = _MONITOR_ROLE.get(rc) if task == "monitor" else None
                role, clear = _after_success(st, op, task, seen, rc, role, on_fail, last_failed_key)
                if rc == OCF_NOT_RUNNING or (clear and on_fail in _CLEARABLE):
                    on_fail = None
                if handling != "ignore" and _severity(on_fail) <= _severity("restart"):
                    on_fail = handling
                st.last_op = op
                continue
            if _severity(handling) > _severity(on_fail):
                on_fail = handling
            last_failed_key = f"{task}_{op.interval_ms}"
            role = _role_after_failure(task, op, role, handling, ctx.promotable)
            st.last_op = op
            continue
        role, clear = _after_success(
            st, op, task, seen, effective_rc(op), role, on_fail, last_failed_key
        )
        if op.rc == OCF_NOT_RUNNING:
            # found stopped as expected: every past failure's handling is over
            on_fail = None
            failures = _still_reported(failures)
        elif clear and on_fail in _CLEARABLE:
            on_fail = None
            failures = _still_reported(failures)
        st.last_op = op
    if role == ROLE_STARTED and ctx.promotable:
        role = ROLE_UNPROMOTED
    st.role = role
    st.failed = on_fail is not None and on_fail != "ignore"
    st.on_fail = on_fail
    st.monitors = active_monitors(st.ops)
    return st, failures


def merge_states(first: NodeRscState, later: NodeRscState) -> NodeRscState:
    """Two records of the same instance on one node, read one after the
    other, the first finding it active: what the later one finds running adds
    to that (a later record that finds it stopped does not stop it)."""
    first.ops = first.ops + later.ops
    first.probed = first.probed or later.probed
    first.pending.extend(later.pending)
    first.monitors.extend(m for m in later.monitors if m not in first.monitors)
    if later.role != ROLE_STOPPED:
        first.role = later.role
        first.last_op = later.last_op
    if _severity(later.on_fail) > _severity(first.on_fail):
        first.on_fail = later.on_fail
    first.failed = first.failed or later.failed
    first.migrating_to = first.migrating_to or later.migrating_to
    first.migrated_from = first.migrated_from or later.migrated_from
    return first


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
        elif (
            is_probe(op) and effective_rc(op) in (OCF_SUCCESS, OCF_RUNNING_PROMOTED) and i > stop_i
        ):
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
