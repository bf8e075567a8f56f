"""Actions of each primitive: probes, stops, starts and recurring monitors.

Pacemaker Explained, "Resource Operations": before a resource is started
anywhere its state on every online node must be known, so a *probe* (a
monitor with interval 0) runs wherever it is unknown. A resource moving away
from a node is stopped there; one assigned to a node where it does not run is
started there; one that failed (or is active on several nodes) is stopped and
started again ("recovered"). Stops come before starts. Each recurring
``monitor`` operation runs on the node where the resource runs, once it has
started; a monitor with ``role=Stopped`` runs where the resource is not.
"""

from __future__ import annotations

from corral.model.config import Op
from corral.model.durations import try_parse_ms
from corral.model.status import OpRecord
from corral.scheduler.colocation import container_of
from corral.scheduler.context import Ctx
from corral.scheduler.digests import definition_change, last_start, recurring_changed
from corral.scheduler.graph import IMPLIES_THEN, RESTART, RUNNABLE_LEFT, Act, Graph
from corral.scheduler.tree import Rsc, is_true
from corral.scheduler.unpack_history import expected_rc


def node_fenced(ctx: Ctx, node: str, fenced: set[str]) -> bool:
    return node in fenced


def create_primitive_actions(p: Rsc, ctx: Ctx, graph: Graph, fenced: set[str]) -> None:
    inst = p.inst
    current = dict(inst.active_on) if inst is not None else {}
    failed = set(inst.failed_on) if inst is not None else set()
    target = p.assigned
    if (inst is not None and inst.blocked) or not p.managed:
        _frozen(p, graph, current, failed, blocked=inst is not None and inst.blocked)
        return
    multiple = len(current) > 1
    stops: list[Act] = []
    start_after_delete: list[Act] = []
    for node in current:
        info = ctx.nodes.get(node)
        down = node in fenced
        if info is not None and not info.online and not down and not info.unclean:
            continue
        stop = graph.new(p, "stop", node, optional=True, pseudo=down)
        if node != target or node in failed or multiple or down:
            stop.require()
        if info is not None and (not info.online or info.unclean) and not down:
            stop.block()  # an unclean node that cannot be fenced: nothing can stop it
        stops.append(stop)
    for node in sorted(n for r, n in ctx.agent_changed if r == p.id):
        delete = graph.new(p, "delete", node, optional=False)
        graph.order(graph.get(p, "stop", node), delete, 0)
        if target == node:
            start_after_delete.append(delete)
    if inst is not None and inst.orphan and inst.clone is None:
        # a resource no longer configured: once stopped, its history goes
        for stop in stops:
            delete = graph.new(p, "delete", stop.node, optional=False)
            graph.order(stop, delete, 0)
    if p.id in ctx.migrating and target is not None and len(stops) == 1:
        _migrate(p, ctx, graph, stops[0], target)
        return
    if target is not None:
        running_here = target in current and target not in failed and not multiple
        start = graph.new(p, "start", target, optional=running_here)
        if running_here and _pending(p, target, "start", 0):
            start.shown = True  # a start still under way: sent again, nothing changes
        change = _definition_change(p, target) if running_here else None
        if running_here and (p.id, target) in ctx.agent_changed:
            start.require()  # another agent's history: restarted, no reason given
            change = None
        if change == "restart":
            start.require("resource definition change")
        if change is not None:
            ctx.changed_definitions.add((p.id, target))
        for stop in stops:
            graph.order(stop, start, IMPLIES_THEN | RESTART | RUNNABLE_LEFT)
        for delete in start_after_delete:
            graph.order(delete, start, 0)
        _monitors(p, ctx, graph, start, target)
        if change == "reload":
            _reload(p, graph, target)


def recurring_cleanup(p: Rsc, ctx: Ctx, graph: Graph) -> None:
    """Recurring operations beyond the started ones: monitors with
    ``role=Stopped`` run on every online node where the resource will not run
    (and are cancelled where it will); recurring operations still active in the
    history but no longer configured are cancelled."""
    inst = p.inst
    if inst is None or p.prim is None:
        return
    start = graph.get(p, "start", p.assigned) if p.assigned is not None else None
    runs_on = p.assigned if start is not None and start.runnable else None
    if not p.managed:
        runs_on = p.current_node
    stopped_ops = [
        op for op in p.prim.ops
        if op.name == "monitor" and op.interval_ms > 0 and op.enabled and op.role == "Stopped"
    ]  # fmt: skip
    started = {
        op.interval_ms
        for op in p.prim.ops
        if op.name == "monitor" and op.enabled and op.role in (None, "Started")
    }
    stopped = {op.interval_ms for op in stopped_ops}
    for node, active in inst.monitors.items():
        # maintenance of the resource or of its node: nothing is watched there
        resting = is_true(p.meta.get("maintenance")) or (
            node in ctx.nodes and ctx.nodes[node].maintenance
        )
        for task, interval in active:
            if task != "monitor" or interval <= 0:
                continue
            if resting:
                # (a node shutting down stops its monitors anyway)
                if not (node in ctx.nodes and ctx.nodes[node].shutdown):
                    graph.new(p, "cancel", node, interval, optional=False)
                continue
            here = node == runs_on
            if (here and interval not in started) or (
                not here and interval in stopped and node == p.assigned
            ):
                graph.new(p, "cancel", node, interval, optional=False)
    if not p.managed:
        return
    for op in stopped_ops:
        for node in ctx.node_names:
            info = ctx.nodes[node]
            if not info.online or info.unclean or info.pending or node == runs_on:
                continue
            stopping = node in inst.active_on  # a stop there ends what ran there
            if not stopping and ("monitor", op.interval_ms) in inst.monitors.get(node, ()):
                continue
            mon = graph.new(p, "monitor", node, op.interval_ms, optional=False)
            graph.order(graph.get(p, "stop", node), mon, 0)


def _frozen(p: Rsc, graph: Graph, current: dict[str, str], failed: set[str], blocked: bool) -> None:
    """An unmanaged resource: the cluster may not act on it, so its actions
    exist (others are ordered against them) but never become required; those
    of a blocked resource (a failure with on-fail=block) cannot run at all."""
    # a stop is still wanted (and so blocks what waits for it) after a failure
    # whose handling is on-fail=block, not for other reasons to leave it alone
    wanted = blocked and p.inst is not None and p.inst.on_fail == "block"
    for n in current:
        stop = graph.new(p, "stop", n, optional=not (wanted and n in failed))
        stop.frozen = True
        stop.runnable = not blocked
    if p.assigned is not None:
        graph.new(p, "start", p.assigned).frozen = True


def _failed_monitors(p: Rsc, node: str) -> set[tuple[str, int]]:
    """Recurring monitors whose failure has expired (failure-timeout): they
    run no more and are started again."""
    st = p.inst.nodes.get(node) if p.inst is not None else None
    fc = p.inst.fail_counts.get(node) if p.inst is not None else None
    if st is None or fc is None or not fc.expired or p.prim is None:
        return set()
    if any(op.on_fail in ("block", "ignore") for op in p.prim.ops):
        return set()
    last: dict[tuple[str, int], OpRecord] = {}
    for op in st.ops:
        if op.interval_ms > 0:
            last[(op.operation, op.interval_ms)] = op
    return {
        key for key, op in last.items() if (want := expected_rc(op)) is not None and op.rc != want
    }


def _reload(p: Rsc, graph: Graph, node: str) -> None:
    """Reload an agent in place (its reloadable parameters changed): the
    recurring monitors there start over with the new parameters. A stop that
    turns out to be required cancels the reload (``cancel_reloads``)."""
    reload = graph.new(p, "reload-agent", node, optional=False)
    for mon in graph.actions_of(p, "monitor"):
        if mon.node == node and mon.interval > 0:
            mon.require()
            graph.order(reload, mon, 0)


def cancel_reloads(graph: Graph) -> None:
    """A reload is pointless where the resource is stopped (or restarted) anyway."""
    for a in graph.acts:
        if a.task != "reload-agent" or a.rsc is None:
            continue
        stop = graph.get(a.rsc, "stop", a.node)
        if stop is not None and not stop.optional:
            a.optional = True
            a.frozen = True


def _definition_change(p: Rsc, node: str) -> str | None:
    if p.inst is None or p.prim is None:
        return None
    st = p.inst.nodes.get(node)
    if st is None:
        return None
    op = last_start(st.ops)
    if op is None:
        return None
    params = dict(p.prim.instance)
    op_params: set[str] = set()
    for conf in p.prim.ops:  # the operation's own parameters count too
        if conf.name == op.operation and conf.interval_ms == 0:
            params.update(conf.instance)
            op_params.update(conf.instance)
    return definition_change(op, params, frozenset(op_params))


def _migrate(p: Rsc, ctx: Ctx, graph: Graph, stop: Act, target: str) -> None:
    source = stop.node
    mig_to = graph.new(p, "migrate_to", source, optional=False)
    mig_to.meta["migrate_target"] = target
    mig_from = graph.new(p, "migrate_from", target, optional=False)
    mig_from.meta["migrate_source"] = source or ""
    start = graph.new(p, "start", target, optional=False, pseudo=True)
    graph.order(mig_to, mig_from, RUNNABLE_LEFT)
    graph.order(mig_from, stop, RUNNABLE_LEFT)
    graph.order(stop, start, IMPLIES_THEN | RUNNABLE_LEFT)
    _monitors(p, ctx, graph, start, target)


def _monitors(p: Rsc, ctx: Ctx, graph: Graph, start: Act, node: str) -> None:
    if p.prim is None:
        return
    active = set(p.inst.monitors.get(node, [])) if p.inst is not None else set()
    active -= _failed_monitors(p, node)
    for op in p.prim.ops:
        if op.name != "monitor" or op.interval_ms <= 0 or not op.enabled:
            continue
        if op.role not in (None, "Started"):
            continue
        if not is_true(op.meta.get("enabled"), True):
            continue
        needed = ("monitor", op.interval_ms) not in active
        needed = needed or _pending(p, node, "monitor", op.interval_ms)
        if not needed and _monitor_changed(p, ctx, node, op):
            needed = True
        mon = graph.new(p, "monitor", node, op.interval_ms, optional=not needed)
        graph.order(start, mon, IMPLIES_THEN | RUNNABLE_LEFT)


def _pending(p: Rsc, node: str, task: str, interval: int) -> bool:
    """Whether the history on ``node`` shows ``task`` still under way (a
    pending record): Pacemaker schedules it again."""
    st = p.inst.nodes.get(node) if p.inst is not None else None
    return st is not None and any(
        o.operation == task and o.interval_ms == interval for o in st.pending
    )


def _monitor_changed(p: Rsc, ctx: Ctx, node: str, conf: Op) -> bool:
    """The recurring monitor recorded on ``node`` ran with other parameters
    than ``conf`` and ``p``'s now have: it is scheduled again."""
    st = p.inst.nodes.get(node) if p.inst is not None else None
    if st is None or p.prim is None:
        return False
    rec = None
    for o in st.ops:
        same = o.operation == "monitor" and o.interval_ms == conf.interval_ms
        if same and (rec is None or o.call_id >= rec.call_id):
            rec = o
    timeout = conf.timeout_ms
    if timeout is None:
        timeout = try_parse_ms(ctx.config.op_defaults.get("timeout", "")) or 20_000
    return recurring_changed(rec, dict(p.prim.instance), dict(conf.instance), timeout)


def create_probes(ctx: Ctx, graph: Graph, fenced: set[str]) -> None:
    """Probe every primitive on every online node where its state is unknown.

    Probes are many (every resource on every new node) and never depend on
    anything, so they are kept as plain (instance, node) pairs in
    ``graph.probes`` rather than as graph actions."""
    if not ctx.state.options.enable_startup_probes:
        return
    never = _discovery_never(ctx)
    online = [
        n
        for n in ctx.node_names
        if ctx.nodes[n].online
        and not ctx.nodes[n].unclean
        and not ctx.nodes[n].pending
        and n not in fenced
    ]
    for root in ctx.tree.roots:
        if root.kind == "clone" and not is_true(root.meta.get("globally-unique")):
            for node in online:
                _probe_anonymous(root, node, graph, never, ctx)
            continue
        for p in root.primitives():
            _probe_everywhere(p, online, graph, never, ctx)


def wait_for_pending_nodes(ctx: Ctx, graph: Graph) -> None:
    """With fencing enabled, a node that is a cluster member but has not
    joined yet (pending) may run anything: a resource whose state there is
    unknown cannot be started anywhere until it can be probed there."""
    if not ctx.state.options.stonith_enabled:
        return
    pending = [
        n for n in ctx.node_names
        if ctx.nodes[n].online and ctx.nodes[n].pending and not ctx.nodes[n].unclean
    ]  # fmt: skip
    if not pending:
        return
    for p in ctx.tree.primitives:
        # (crm_simulate goes further for clone instances and resources that
        # run: it leaves them alone altogether; not modelled)
        if p.clone is not None or p.current_nodes:
            continue
        if all(_known(p, n) for n in pending):
            continue
        for a in graph.actions_of(p, "start"):
            if a.node is not None and not a.optional:
                a.block()


def _probe_everywhere(
    p: Rsc, online: list[str], graph: Graph, never: set[tuple[str, str]], ctx: Ctx
) -> None:
    if p.inst is None or p.inst.orphan or container_of(ctx, p) is not None:
        return  # nothing to discover inside a container
    known = p.inst.probed_on
    if never:
        nodes = [
            n
            for n in online
            if n not in known and (p.id, n) not in never and (p.config_id, n) not in never
        ]
    else:
        nodes = [n for n in online if n not in known]
    if nodes:
        graph.probes.append((p, nodes))


def _probe_anonymous(
    r: Rsc, node: str, graph: Graph, never: set[tuple[str, str]], ctx: Ctx
) -> None:
    """An anonymous clone is probed once per node: with the instance placed
    there, else with the first instance."""
    if not r.children:
        return
    if any(_known(p, node) for c in r.children for p in c.primitives()):
        return
    chosen = r.children[0]
    for c in r.children:
        first = c if c.kind == "primitive" else (c.children[0] if c.children else None)
        if first is not None and first.assigned == node:
            chosen = c
            break
    for p in chosen.primitives():
        _probe_everywhere(p, [node], graph, never, ctx)


def _discovery_never(ctx: Ctx) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for loc in ctx.config.locations:
        if loc.resource_discovery == "never" and loc.rsc and loc.node:
            r = ctx.tree.by_id.get(loc.rsc)
            if r is not None:
                for p in r.primitives():
                    out.add((p.id, loc.node))
    return out


def _known(p: Rsc, node: str) -> bool:
    return p.inst is not None and node in p.inst.probed_on
