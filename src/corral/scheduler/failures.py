"""Failures: how many times a resource may fail on a node, and what a failure does.

Pacemaker Explained, "Failure Response" and "Resource Meta-Attributes":
- every failure on a node raises the resource's fail count there (a failed
  start counts as INFINITY when ``start-failure-is-fatal`` is true);
  ``failure-timeout`` forgets failures older than it (done in unpack);
- once the fail count reaches ``migration-threshold`` (default INFINITY,
  0 disables it) the resource may no longer run on that node (-INFINITY);
  for an anonymous clone the whole clone is banned from the node;
- a failed resource is *recovered*: stopped and started again, here or
  elsewhere (on-fail ``restart``); ``on-fail=stop`` leaves it stopped, ``block``
  leaves it alone, ``ignore`` acts as if nothing failed, ``standby`` and
  ``fence`` act on the node (unpack marks it).
"""

from __future__ import annotations

from corral.model import score as scores
from corral.model.durations import try_parse_ms
from corral.scheduler.colocation import container_of
from corral.scheduler.context import Ctx
from corral.scheduler.graph import Graph
from corral.scheduler.placement import ban, ban_everywhere
from corral.scheduler.tree import Rsc, is_true
from corral.scheduler.unpack_history import expected_rc


def migration_threshold(p: Rsc) -> int:
    v = p.meta.get("migration-threshold")
    if v is None or not scores.is_score(v):
        return scores.INFINITY
    return scores.parse(v)


def contained_failures(ctx: Ctx) -> None:
    """A resource inside a container (meta ``container``) fails with it: a
    failure restarts the container, and a stop that failed inside it counts as
    stopped once the container restarts (on-fail=restart-container)."""
    for p in ctx.tree.primitives:
        inst = p.inst
        if inst is None or container_of(ctx, p) is None or not inst.failed_on:
            continue
        stop_failed = any(
            op.operation == "stop" and op.rc != 0
            for st in inst.nodes.values()
            for op in st.ops[-1:]
        )
        if stop_failed:
            inst.active_on = {}
        inst.blocked = False
        inst.on_fail = "restart-container"


def _container_fail_counts(ctx: Ctx) -> dict[str, dict[str, int]]:
    """Per container, per node: the fail counts of the resources inside it."""
    out: dict[str, dict[str, int]] = {}
    for p in ctx.tree.primitives:
        holder = container_of(ctx, p)
        if holder is None or p.inst is None:
            continue
        per_node = out.setdefault(holder.id, {})
        for node, fc in p.inst.fail_counts.items():
            per_node[node] = scores.add(per_node.get(node, 0), fc.count)
    return out


def apply_fail_limits(ctx: Ctx) -> None:
    inside = _container_fail_counts(ctx)
    for p in ctx.tree.primitives:
        inst = p.inst
        extra = inside.get(p.id, {})
        if inst is None or not (inst.fail_counts or extra):
            continue
        threshold = migration_threshold(p)
        if threshold <= 0:
            continue
        target = _ban_target(p, ctx)
        for node in set(inst.fail_counts) | set(extra):
            if _only_ignored_failures(p, node):
                continue
            count = scores.add(inst.fail_count(node), extra.get(node, 0))
            if count >= threshold and node in ctx.nodes:
                ban(target, node)


_HARD_RC = frozenset({2, 4, 5})  # invalid args, insufficient privileges, not installed
_FATAL_RC = 6  # not configured
_OP_ERROR_HARD = 5
_OP_ERROR_FATAL = 6
_OP_NOT_INSTALLED = 7  # the executor found no such agent on the node


def apply_hard_errors(ctx: Ctx) -> None:
    """An agent that says it cannot work on a node (not installed, insufficient
    privileges, invalid arguments) bans the resource from that node; one that
    says the resource is not configured bans it everywhere."""
    for p in ctx.tree.primitives:
        inst = p.inst
        if inst is None:
            continue
        target = _ban_target(p)
        timeout_ms = try_parse_ms(p.meta.get("failure-timeout")) or 0
        for node, st in inst.nodes.items():
            for op in st.ops:
                changed = op.last_rc_change or op.last_run or 0
                if timeout_ms and changed and ctx.now > changed + timeout_ms // 1000:
                    continue  # failure-timeout has passed: forgotten
                fatal = op.rc == _FATAL_RC or op.op_status == _OP_ERROR_FATAL
                hard = (op.rc in _HARD_RC and op.op_status == 0) or op.op_status in (
                    _OP_ERROR_HARD,
                    _OP_NOT_INSTALLED,
                )
                if fatal:
                    for n in ctx.node_names:
                        ban(target, n)
                elif hard and node in ctx.nodes:
                    ban(target, node)


def _only_ignored_failures(p: Rsc, node: str) -> bool:
    """Failures of operations with ``on-fail=ignore`` do not count."""
    if p.inst is None or p.prim is None or p.inst.nodes.get(node) is None:
        return False
    ignored = {(op.name, op.interval_ms) for op in p.prim.ops if op.on_fail == "ignore"}
    if not ignored:
        return False
    failed = [
        op
        for op in p.inst.nodes[node].ops
        if (want := expected_rc(op)) is not None and op.rc != want
    ]
    return bool(failed) and all((op.operation, op.interval_ms) in ignored for op in failed)


def _ban_target(p: Rsc, ctx: Ctx | None = None) -> Rsc:
    """What a failure of ``p`` bans: its container, an anonymous clone as a
    whole, else ``p``."""
    if ctx is not None:
        holder = container_of(ctx, p)
        if holder is not None:
            return holder
    clone = p.clone
    if clone is not None and not is_true(clone.meta.get("globally-unique")):
        return clone
    return p


def apply_on_fail_stop(ctx: Ctx) -> None:
    """``on-fail=stop``: a failed resource stays stopped."""
    for p in ctx.tree.primitives:
        if p.inst is not None and p.inst.on_fail == "stop" and p.inst.failed_on:
            ban_everywhere(p)
        # multiple-active=stop_only: a resource found active on several nodes stays stopped
        if (
            p.inst is not None
            and len(p.inst.active_on) > 1
            and p.meta.get("multiple-active") == "stop_only"
        ):
            ban_everywhere(p)


def clear_failcounts(ctx: Ctx, graph: Graph, changed: set[tuple[str, str]]) -> None:
    """Fail counts the cluster resets (Pacemaker's ``clear_failcount``): those
    past ``failure-timeout`` (unless the failure blocked the resource), those of
    a resource whose definition changed (``changed``: instance, node), and
    those of a resource that is no longer configured."""
    for p in ctx.tree.primitives:
        inst = p.inst
        if inst is None:
            continue
        for node, fc in inst.fail_counts.items():
            info = ctx.nodes.get(node)
            if info is None or not info.online:
                continue
            gone = inst.orphan and bool(inst.active_on)  # an orphan being stopped
            reset = (fc.expired and not _blocking_failure(p, node)) or (
                fc.count > 0 and (gone or (p.id, node) in changed)
            )
            if reset:
                act = graph.new(p, "clear_failcount", node, optional=False)
                act.meta["cluster_action"] = "true"


def _blocking_failure(p: Rsc, node: str) -> bool:
    if p.inst is None or p.prim is None or node not in p.inst.nodes:
        return False
    blocking = {(op.name, op.interval_ms) for op in p.prim.ops if op.on_fail == "block"}
    return any(
        (op.operation, op.interval_ms) in blocking
        for op in p.inst.nodes[node].ops
        if (want := expected_rc(op)) is not None and op.rc != want
    )
