"""Ordering: which actions wait for which.

Pacemaker Explained, "Ordering Constraints": ``first`` then ``then``. Kind
Mandatory (score > 0): the then action waits for the first and cannot run if
the first cannot; if the first must happen (the first resource starts or
restarts), the then resource restarts too. Optional (score 0): order only when
both happen. Serialize: never at the same time. Symmetrical orderings (the
default) also order the inverse actions the other way: stop ``then`` before
stopping ``first``.

Implied orderings: a resource stops before it starts again; a group's members
start in order and stop in reverse; a collective (group, clone) has pseudo
actions ``start``/``running`` and ``stop``/``stopped`` around its members'.
``interleave=true`` on a clone orders its instances only after the instances
of the first clone on the same node.
"""

from __future__ import annotations

from itertools import pairwise

from corral.model.config import Order
from corral.scheduler.colocation import container_of
from corral.scheduler.context import Ctx
from corral.scheduler.graph import (
    ASYMMETRICAL,
    IMPLIES_FIRST,
    IMPLIES_THEN,
    ONE_OR_MORE,
    PRINTED,
    REASON,
    RESTART,
    RUNNABLE_LEFT,
    Act,
    Graph,
)
from corral.scheduler.tree import Rsc, is_true

_INVERSE = {"start": "stop", "stop": "start", "promote": "demote", "demote": "promote"}
_DONE = {"start": "running", "stop": "stopped", "promote": "promoted", "demote": "demoted"}


def collective_actions(r: Rsc, ctx: Ctx, graph: Graph) -> None:
    """Pseudo actions of groups and clones, and the group's internal order."""
    for c in r.children:
        collective_actions(c, ctx, graph)
    if r.kind == "primitive":
        return
    start = graph.new(r, "start", None, pseudo=True)
    running = graph.new(r, "running", None, pseudo=True)
    stop = graph.new(r, "stop", None, pseudo=True)
    stopped = graph.new(r, "stopped", None, pseudo=True)
    graph.order(start, running, RUNNABLE_LEFT)
    graph.order(stop, stopped, RUNNABLE_LEFT)
    graph.order(stopped, start, 0)
    will_run = []
    for child in r.children:
        for a in _starts(child, graph):
            graph.order(start, a, IMPLIES_FIRST | PRINTED)
            graph.order(
                a, running, IMPLIES_THEN | (ONE_OR_MORE if r.kind == "clone" else RUNNABLE_LEFT)
            )
            will_run.append(a)
        for a in _stops(child, graph):
            graph.order(stop, a, IMPLIES_FIRST | PRINTED)
            graph.order(a, stopped, IMPLIES_THEN)
    if r.kind == "clone":
        if not will_run:
            running.runnable = False
    elif any(_assigned(p) is None for p in r.primitives()):
        running.runnable = False
    if r.kind == "group" and is_true(r.meta.get("ordered"), True):
        for prev, nxt in pairwise(r.children):
            for a in graph.actions_of(prev, "start"):
                for b in graph.actions_of(nxt, "start"):
                    graph.order(a, b, IMPLIES_THEN | RUNNABLE_LEFT | REASON)
            for b in graph.actions_of(nxt, "stop"):
                for a in graph.actions_of(prev, "stop"):
                    graph.order(b, a, RESTART | IMPLIES_FIRST * 0)
            # a member that cannot start stops those after it
            if (
                not any(a.runnable for a in graph.actions_of(prev, "start"))
                and _assigned(prev) is None
            ):
                for b in graph.actions_of(nxt, "start"):
                    b.block()
    if r.kind == "clone" and is_true(r.meta.get("ordered")):
        prims = r.children
        for prev, nxt in pairwise(prims):
            for a in _starts(prev, graph):
                for b in _starts(nxt, graph):
                    graph.order(a, b, 0)


def _assigned(p: Rsc) -> str | None:
    return p.assigned


def _starts(r: Rsc, graph: Graph) -> list[Act]:
    if r.kind == "primitive":
        return graph.actions_of(r, "start")
    a = graph.get(r, "start", None)
    return [a] if a is not None else []


def _stops(r: Rsc, graph: Graph) -> list[Act]:
    if r.kind == "primitive":
        return graph.actions_of(r, "stop")
    a = graph.get(r, "stop", None)
    return [a] if a is not None else []


def _prim_actions(r: Rsc, task: str, graph: Graph) -> list[Act]:
    out: list[Act] = []
    for p in r.primitives():
        out.extend(graph.actions_of(p, task))
    return out


def container_orders(ctx: Ctx, graph: Graph) -> None:
    """A resource inside a container starts after it and stops before it; a
    failure inside the container restarts the container."""
    for p in ctx.tree.primitives:
        holder = container_of(ctx, p)
        if holder is None:
            continue
        for a in _prim_actions(holder, "start", graph):
            for b in graph.actions_of(p, "start"):
                graph.order(a, b, IMPLIES_THEN | RUNNABLE_LEFT | REASON)
        for b in graph.actions_of(p, "stop"):
            for a in _prim_actions(holder, "stop", graph):
                graph.order(b, a, IMPLIES_FIRST | REASON)
        if p.inst is not None:
            for node in p.inst.failed_on:
                for a in _prim_actions(holder, "stop", graph):
                    if a.node == node:
                        a.require()


def constraint_orders(ctx: Ctx, graph: Graph) -> None:
    by_prim: dict[tuple[str, str], list[Act]] = {}
    for a in graph.acts:
        if a.rsc is not None and a.rsc.kind == "primitive" and a.task in ("start", "stop"):
            by_prim.setdefault((a.rsc.id, a.task), []).append(a)

    def prim_acts(r: Rsc, task: str) -> list[Act]:
        out: list[Act] = []
        for p in r.primitives():
            out.extend(by_prim.get((p.id, task), []))
        return out

    for o, first_id, fa, then_id, ta in _expand_orders(ctx.config.orders):
        first = ctx.tree.by_id.get(first_id)
        then = ctx.tree.by_id.get(then_id)
        if first is None or then is None or first is then:
            continue
        if fa not in _DONE or ta not in _DONE:
            continue
        kind = o.kind.capitalize() if o.kind else "Mandatory"
        if o.score is not None and o.kind is None:
            kind = "Mandatory" if o.score > 0 else "Optional"
        symmetrical = o.symmetrical if o.symmetrical is not None else kind != "Serialize"
        if kind == "Mandatory":
            flags = IMPLIES_THEN | (RUNNABLE_LEFT if fa in ("start", "promote") else 0)
            if not symmetrical:
                flags = ASYMMETRICAL if fa in ("start", "promote") else 0
        elif then.meta.get("restart-type") == "restart":
            flags = IMPLIES_THEN  # deprecated restart-type=restart upgrades an optional order
        else:
            flags = 0
        if fa == "start" and any(p.id in ctx.migrating for p in first.primitives()):
            # a live migration's start is a pseudo action: what comes after the
            # migrating resource is not restarted for it
            flags &= ~IMPLIES_THEN
        interleave = (
            then.kind == "clone" and first.kind == "clone" and is_true(then.meta.get("interleave"))
        )
        needed = _min_needed(o, first, fa)
        if needed and kind == "Mandatory":
            _order_one_or_more(o.id, first, then, ta, needed, graph, prim_acts)
        else:
            _order(first, fa, then, ta, flags, interleave, graph, prim_acts)
        if symmetrical and not needed and fa in _INVERSE and ta in _INVERSE:
            inv = IMPLIES_FIRST if kind == "Mandatory" else 0
            if any(p.id in ctx.migrating for p in first.primitives()):
                inv = 0  # a migrating resource's stop needs nothing stopped before it
            _order(then, _INVERSE[ta], first, _INVERSE[fa], inv, interleave, graph, prim_acts)


def _min_needed(o: Order, first: Rsc, fa: str) -> int:
    """How many instances of a first clone must start for the then resource to
    start: ``clone-min``, or one if the ordering does not require all."""
    if first.kind != "clone" or fa != "start":
        return 0
    v = first.meta.get("clone-min")
    if v is not None and v.strip().isdigit() and int(v) > 0:
        return int(v)
    return 1 if not o.require_all else 0


def _order_one_or_more(oid, first, then, ta, needed, graph, prim_acts) -> None:
    """Pacemaker's "clone-one-or-more" pseudo action: runnable once enough
    instances of the first clone can start; the then resource waits for it."""
    name = f"clone-one-or-more:{oid}"
    gate = graph.new(None, name, None, optional=True, pseudo=True, name=name)
    gate.min_runnable = needed
    gate.frozen = True  # shown when an instance starts, but never required itself
    starts = prim_acts(first, "start")
    for f in starts:
        graph.order(f, gate, ONE_OR_MORE)
    gate.shown_by = starts
    gate.runnable = sum(1 for f in starts if f.runnable) >= needed
    _phantom_instance_starts(first, graph)
    thens = prim_acts(then, ta)
    if then.kind != "primitive":
        begin = graph.get(then, ta, None)
        if begin is not None:
            thens = [begin, *thens]
    for t in thens:
        graph.order(gate, t, RUNNABLE_LEFT)


def _require_collective_start(clone: Rsc, graph: Graph) -> None:
    """A clone's start/running are required when an instance's start is; they
    happen if any instance can start (one staying where it runs can)."""
    start = graph.get(clone, "start", None)
    if start is None or not start.optional:
        return  # already decided
    if any(a.runnable for c in clone.children for a in _starts(c, graph) if a.node is not None):
        for task in ("start", "running"):
            act = graph.get(clone, task, None)
            if act is not None:
                act.require()


def _phantom_instance_starts(clone: Rsc, graph: Graph) -> None:
    """The gate waits for each instance's start, and Pacemaker creates the start
    an instance lacks: for an instance that is only stopping, that start has no
    node (it cannot run) and is required by the instance's stop (a stop implies
    the start after it). A required instance start makes the clone's own
    ``start``/``running`` pseudo actions required, and they happen when any
    instance can start (an instance that stays where it runs can)."""
    phantom = False
    runnable = False
    for child in clone.children:
        if child.kind != "primitive":
            continue
        starts = graph.actions_of(child, "start")
        runnable |= any(a.runnable for a in starts)
        if starts or not any(not a.optional for a in graph.actions_of(child, "stop")):
            continue
        act = graph.new(child, "start", None, optional=False)
        act.runnable = False
        phantom = True
    if phantom and runnable:
        for task in ("start", "running"):
            act = graph.get(clone, task, None)
            if act is not None:
                act.require()


def _expand_orders(orders: list[Order]) -> list[tuple[Order, str, str, str, str]]:
    """(constraint, first, first action, then, then action) pairs; ordered sets
    chain their members (sequential sets in order; between sets, the last of
    the earlier set, or each of it, before the first of the later, or each)."""
    out: list[tuple[Order, str, str, str, str]] = []
    for o in orders:
        fa = o.first_action or "start"
        if not o.sets:
            if o.first is not None and o.then is not None:
                out.append((o, o.first, fa, o.then, o.then_action or fa))
            continue
        if any(not s.require_all for s in o.sets):
            continue
        for s in o.sets:
            act = s.action or fa
            if s.sequential:
                out.extend((o, a, act, b, act) for a, b in pairwise(s.resources))
        for s1, s2 in pairwise(o.sets):
            firsts = s1.resources[-1:] if s1.sequential else s1.resources
            thens = s2.resources[:1] if s2.sequential else s2.resources
            a1, a2 = s1.action or fa, s2.action or fa
            out.extend((o, f, a1, t, a2) for f in firsts for t in thens)
    return out


def _order(first, fa, then, ta, flags, interleave, graph, prim_acts) -> None:
    flags |= REASON
    if first.kind == "primitive" or interleave:
        firsts = prim_acts(first, fa)
        if not firsts and first.kind == "primitive":
            if fa == "stop" and not first.current_nodes:
                return
            # Pacemaker creates the missing first action: with no node, it cannot run
            act = graph.new(first, fa, None)
            act.runnable = False
            firsts = [act]
    else:
        done = graph.get(first, _DONE[fa], None)
        firsts = [done] if done is not None else []
    thens = prim_acts(then, ta)
    if then.kind != "primitive":
        begin = graph.get(then, ta, None)
        if begin is not None:
            thens = [begin, *thens]
    for t in thens:
        matched = False
        for f in firsts:
            if interleave and t.node is not None and f.node is not None and f.node != t.node:
                continue
            if interleave and t.node is None:
                graph.order(f, t, 0)
                continue
            matched = True
            graph.order(f, t, flags)
        if interleave and not matched and t.node is not None and flags & RUNNABLE_LEFT:
            _inhibit(t, graph)


def _inhibit(t: Act, graph: Graph) -> None:
    """An interleaved instance with no instance of the first clone on its node
    may not be active at all: it is left unassigned (stopped where it runs),
    rather than shown as a start that cannot run."""
    inst = t.rsc
    if inst is None or inst.kind != "primitive":
        t.block()
        return
    inst.assigned = None
    t.block()
    stops = graph.actions_of(inst, "stop")
    for stop in stops:
        stop.require()
    if stops:
        # its start, still there, is now required (after the stop) and cannot
        # run: the clone's start and running are required with it
        t.require()
        clone = inst.parent
        if clone is not None and clone.kind == "clone":
            _require_collective_start(clone, graph)
