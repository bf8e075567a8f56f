"""Clone notifications (``notify=true``).

Pacemaker Explained, "Clone Notifications": when instances of a clone with
``notify=true`` start or stop, every instance is told before and after: a
``pre`` notification goes to the instances active before the change, a
``post`` notification to those active after it. Each round is bracketed by
pseudo actions (``<clone>_pre_notify_start_0`` ... ``<clone>_confirmed-
post_notify_running_0``) ordered around the clone's own start/running (or
stop/stopped) pseudo actions.
"""

from __future__ import annotations

from corral.scheduler.context import Ctx
from corral.scheduler.graph import Act, Graph
from corral.scheduler.tree import Rsc, is_true

# change -> (the clone's begin action, its end action, the end's notification name)
_ROUNDS = {"start": ("start", "running"), "stop": ("stop", "stopped")}


def create_notifications(ctx: Ctx, graph: Graph, fenced: set[str]) -> None:
    """Add the notifications of every clone whose instances start or stop.
    Runs after propagation: it needs to know which starts and stops happen."""
    for r in ctx.tree.roots:
        if r.kind == "clone" and is_true(r.meta.get("notify")):
            _clone(r, ctx, graph, fenced)


def _happens(a: Act | None) -> bool:
    return a is not None and not a.optional and a.runnable


def _clone(clone: Rsc, ctx: Ctx, graph: Graph, fenced: set[str]) -> None:
    prims = clone.primitives()
    before: list[tuple[Rsc, str]] = []
    after: list[tuple[Rsc, str]] = []
    for p in prims:
        if p.inst is not None:
            for node in p.inst.active_on:
                info = ctx.nodes.get(node)
                if node not in fenced and info is not None and info.online:
                    before.append((p, node))
        if p.assigned is not None:
            start = graph.get(p, "start", p.assigned)
            if start is not None and start.runnable:
                after.append((p, p.assigned))
    for change, (begin_task, end_task) in _ROUNDS.items():
        acts = [a for p in prims for a in graph.actions_of(p, change) if _happens(a)]
        if not acts:
            continue
        begin = graph.get(clone, begin_task, None)
        end = graph.get(clone, end_task, None)
        # what stays through the stops: told after the stops, and before the starts
        staying = [(p, n) for p, n in before if not _happens(graph.get(p, "stop", n))]
        pre_targets = before if change == "stop" else staying
        post_targets = after if change == "start" else staying
        pre = _round(clone, graph, f"pre_notify_{change}", pre_targets, change)
        post = _round(clone, graph, f"post_notify_{end_task}", post_targets, change)
        graph.order(pre[1], begin, 0)
        graph.order(end, post[0], 0)


def _round(
    clone: Rsc, graph: Graph, name: str, targets: list[tuple[Rsc, str]], change: str
) -> tuple[Act, Act]:
    """One notification round: its pseudo action, a notify action on every
    target, and the confirming pseudo action."""
    first = graph.new(clone, name, None, optional=False, pseudo=True)
    done = graph.new(clone, f"confirmed-{name}", None, optional=False, pseudo=True)
    graph.order(first, done, 0)
    kind = name.split("_", 1)[0]
    for p, node in targets:
        n = graph.new(p, f"notify-{name}", node, optional=False)
        n.meta.update({"notify_type": kind, "notify_operation": change, "task": "notify"})
        graph.order(first, n, 0)
        graph.order(n, done, 0)
    return first, done
