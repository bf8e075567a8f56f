"""The scheduler's entry point: ``schedule(config, status, now) -> Transition``.

The steps, in Pacemaker's order: understand the status (unpack); give every
resource its node scores (location constraints, stickiness, failures);
allocate resources to nodes (priority order, colocations); create the actions
each placement needs (probes, stops, starts, monitors, fencing); order them;
let requirements and impossibilities flow along the orderings; read off the
summary. Pure: the same inputs always give the same transition.
"""

from __future__ import annotations

import gc

from corral.model.config import Config
from corral.model.status import Status
from corral.scheduler.actions import (
    cancel_reloads,
    create_primitive_actions,
    create_probes,
    recurring_cleanup,
    wait_for_pending_nodes,
)
from corral.scheduler.allocate import allocate, allocation_order
from corral.scheduler.colocation import block_colocated_dependents, build_colocations
from corral.scheduler.context import Ctx
from corral.scheduler.definitions import device_unfencing, find_agent_changes
from corral.scheduler.failures import (
    apply_fail_limits,
    apply_hard_errors,
    apply_on_fail_stop,
    clear_failcounts,
    contained_failures,
)
from corral.scheduler.fencing import (
    fence_actions,
    forget_fenced_device_copies,
    nodes_to_fence,
    quorum_blocks,
    shutdown_actions,
    unfence_actions,
)
from corral.scheduler.graph import Graph, propagate
from corral.scheduler.locks import apply_shutdown_locks
from corral.scheduler.migration import plan_migrations
from corral.scheduler.notifications import create_notifications
from corral.scheduler.ordering import collective_actions, constraint_orders, container_orders
from corral.scheduler.placement import apply_node_health, apply_stickiness, init_weights
from corral.scheduler.state import ROLE_STARTED, ROLE_STOPPED
from corral.scheduler.summary import summary
from corral.scheduler.transition import Action, Transition
from corral.scheduler.tree import build_tree
from corral.scheduler.unpack import unpack


def schedule(config: Config, status: Status, now: int, *, with_scores: bool = True) -> Transition:
    """Decide what the cluster must do, as Pacemaker 2.1.5 would.

    ``with_scores=False`` skips the allocation scores (``Transition.scores``),
    which only explain the decision: at 10,000 resources x 100 nodes they are a
    million lines, and the controller does not need them.

    The cyclic garbage collector is paused while the transition is built: a big
    cluster creates about a million small objects (probes, edges) that all stay
    alive, and collecting them over and over cost two thirds of the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _schedule(config, status, now, with_scores=with_scores)
    finally:
        if was_enabled:
            gc.enable()


def _schedule(config: Config, status: Status, now: int, *, with_scores: bool) -> Transition:
    state = unpack(config, status, now)
    tree = build_tree(config, state)
    ctx = Ctx(config=config, state=state, tree=tree, now=now, nodes=state.nodes)
    ctx.keep_scores = with_scores
    ctx.node_names = [n for n, info in state.nodes.items() if info.kind != "ping"]

    fenced = nodes_to_fence(ctx, panic=status.no_quorum_panic)
    fenced_set = {n for n, _ in fenced}
    ctx.usable = ctx.usable - fenced_set
    forget_fenced_device_copies(ctx, fenced_set)
    init_weights(ctx)
    apply_node_health(ctx)
    unlocked = apply_shutdown_locks(ctx, status)
    apply_stickiness(ctx)
    contained_failures(ctx)
    apply_fail_limits(ctx)
    apply_hard_errors(ctx)
    apply_on_fail_stop(ctx)
    build_colocations(ctx)
    order = allocation_order(ctx)
    for r in order:
        allocate(r, ctx)

    graph = Graph()
    ctx.agent_changed = find_agent_changes(ctx, status)
    ctx.migrating, stop_reasons = plan_migrations(ctx, fenced_set)
    for p in tree.primitives:
        create_primitive_actions(p, ctx, graph, fenced_set)
    for rid, why in stop_reasons.items():
        for a in graph.actions_of(tree.by_id[rid], "stop"):
            a.reason = a.reason or why
    for p in tree.primitives:
        if p.inst is not None and p.assigned is None and p.inst.active_on:
            for node in p.inst.active_on:
                stop = graph.get(p, "stop", node)
                if stop is not None and stop.reason is None:
                    stop.reason = "node availability"
    create_probes(ctx, graph, fenced_set)
    wait_for_pending_nodes(ctx, graph)
    for p, node in unlocked:
        graph.new(p, "lrm_delete", node, optional=False).meta["cluster_action"] = "true"
    clear_failcounts(ctx, graph, ctx.changed_definitions)
    for p in tree.primitives:
        recurring_cleanup(p, ctx, graph)
    for r in tree.roots:
        collective_actions(r, ctx, graph)
    constraint_orders(ctx, graph)
    container_orders(ctx, graph)
    fence_changes = fence_actions(ctx, graph, fenced)
    fence_changes += unfence_actions(ctx, graph, fenced_set, device_unfencing(ctx))
    shutdown_actions(ctx, graph, fenced_set)
    quorum_blocks(ctx, graph)
    propagate(graph)
    while block_colocated_dependents(graph):
        propagate(graph)
    cancel_reloads(graph)
    create_notifications(ctx, graph, fenced_set)

    transition = Transition()
    transition.summary = fence_changes + summary(order, graph)
    if with_scores:
        transition.scores = ctx.scores()
    out_ids: dict[int, int] = {}
    for a in graph.acts:
        if not a.happens:
            continue
        out_ids[a.uid] = len(transition.actions)
        meta = dict(a.meta)
        transition.actions.append(
            Action(
                id=len(transition.actions),
                task=meta.pop("task", a.task),
                rsc=a.rsc.id if a.rsc is not None else None,
                node=a.node,
                interval_ms=a.interval,
                pseudo=a.pseudo,
                meta=meta,
            )
        )
    edges = transition.edges
    for a in graph.acts:
        if a.uid not in out_ids:
            continue
        for then, _flags in a.out:
            if then.uid in out_ids:
                edges.append((out_ids[a.uid], out_ids[then.uid]))
    actions = transition.actions
    for p, nodes in graph.probes:
        first = len(actions)
        actions.extend(Action(first + i, "monitor", p.id, n) for i, n in enumerate(nodes))
        start = graph.get(p, "start", p.assigned) if p.assigned is not None else None
        then = out_ids.get(start.uid) if start is not None else None
        if then is not None:
            edges.extend((first + i, then) for i in range(len(nodes)))
    for p in tree.primitives:
        start = graph.get(p, "start", p.assigned) if p.assigned is not None else None
        if start is not None and start.runnable:
            transition.placement[p.id] = (ROLE_STARTED, [p.assigned])
        elif p.inst is not None and p.inst.active_on and (not p.managed or p.inst.blocked):
            transition.placement[p.id] = (
                next(iter(p.inst.active_on.values())),
                list(p.inst.active_on),
            )
        else:
            transition.placement[p.id] = (ROLE_STOPPED, [])
    transition.notes.extend(f"fence {n}: {why}" for n, why in fenced)
    return transition
