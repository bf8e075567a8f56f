"""Fencing and quorum.

Pacemaker Explained, "Fencing" and "Cluster Options":
- a node that is unclean (lost while expected up, a stop that failed, an
  ``on-fail=fence``) is fenced when ``stonith-enabled`` is true; its resources
  are stopped by the fencing itself: their stops become pseudo actions that
  complete when the fencing does, and nothing starts elsewhere before;
- ``no-quorum-policy`` when the partition has lost quorum: ``stop`` (the
  default) stops everything and starts nothing, ``freeze`` starts nothing new
  but keeps what runs, ``ignore`` carries on.
- a node that asked to shut down gets ``do_shutdown`` once its resources stopped.
"""

from __future__ import annotations

from corral.scheduler.context import Ctx
from corral.scheduler.graph import IMPLIES_THEN, RUNNABLE_LEFT, Graph
from corral.scheduler.transition import Change
from corral.scheduler.tree import Rsc


def fence_device_ids(ctx: Ctx, provides: str | None = None) -> list[str]:
    """Every fencing device, in configuration order: the CIB's ``stonith``
    primitives and the devices of ``config.fence_devices`` (made by ``corral
    stonith create``). ``provides``: only devices whose ``provides`` meta
    attribute is that value (``unfencing``)."""
    out = [
        p.id
        for p in ctx.tree.primitives
        if p.prim is not None
        and p.prim.cls == "stonith"
        and (provides is None or p.meta.get("provides") == provides)
    ]
    seen = set(out)
    for dev in ctx.config.fence_devices:
        if dev.id in seen:
            continue
        if provides is None or dev.meta.get("provides") == provides:
            out.append(dev.id)
            seen.add(dev.id)
    return out


def can_fence(ctx: Ctx, node: str) -> bool:
    """Fencing needs stonith enabled, a fencing device (a CIB stonith resource
    or a configured fence device), and quorum (or a policy that ignores its
    loss, or a target that is still a member)."""
    opts = ctx.state.options
    if not opts.stonith_enabled:
        return False
    if not fence_device_ids(ctx):
        return False
    if opts.have_quorum or opts.no_quorum_policy == "ignore":
        return True
    info = ctx.nodes.get(node)
    return info is not None and info.online


def nodes_to_fence(ctx: Ctx, panic: bool = False) -> list[tuple[str, str]]:
    """(node, reason) for every node that will be fenced, in Pacemaker's order.
    ``panic``: the partition had quorum and lost it (the CIB's no-quorum-panic):
    with no-quorum-policy=suicide every node fences itself."""
    opts = ctx.state.options
    out: list[tuple[str, str]] = []
    suicide = opts.no_quorum_policy == "suicide" and panic
    if not opts.have_quorum and suicide and opts.stonith_enabled:
        out = [(n, "cluster does not have quorum") for n, i in ctx.nodes.items() if i.online]
    for n, info in ctx.nodes.items():
        if info.unclean and can_fence(ctx, n) and all(n != m for m, _ in out):
            out.append((n, info.unclean_reason or "node is unclean"))
    out.reverse()
    return out


def forget_fenced_device_copies(ctx: Ctx, fenced: set[str]) -> None:
    """A fencing device active on several nodes, some of them being fenced:
    the copies there end with the fencing and only the others count, so the
    device is not recovered (crm_simulate recovers any other resource active
    on several nodes with a stop everywhere and one start)."""
    for p in ctx.tree.primitives:
        inst = p.inst
        if inst is None or p.prim is None or p.prim.cls != "stonith" or len(inst.active_on) < 2:
            continue
        survivors = {n: r for n, r in inst.active_on.items() if n not in fenced}
        if survivors and len(survivors) < len(inst.active_on):
            inst.active_on = survivors


def fence_actions(ctx: Ctx, graph: Graph, fenced: list[tuple[str, str]]) -> list[Change]:
    changes: list[Change] = []
    action = ctx.state.options.stonith_action or "reboot"
    for node, reason in fenced:
        st = graph.new(None, "stonith", node, optional=False, name="stonith")
        st.meta["stonith_action"] = action
        for a in list(graph.acts):
            if a.node == node and a.rsc is not None and a.task == "stop":
                a.pseudo = True
                graph.order(st, a, 0)
        changes.append(
            Change(
                verb="Fence", rsc=None, to_node=node, to_role=action, reason=reason,
                fence_action=action,
            )
        )  # fmt: skip
    return changes


def unfence_actions(
    ctx: Ctx, graph: Graph, fenced: set[str], again: dict[str, str] | None = None
) -> list[Change]:
    """Unfencing: with a fencing device that ``provides=unfencing`` (fabric
    fencing such as fence_scsi), a node must be unfenced (fencing action
    ``on``) before resources are probed or started there, unless it already
    was (its ``#node-unfenced`` attribute). ``again``: nodes unfenced anew
    (node -> reason), such as where a fencing device changed; what runs
    there (but the devices) restarts after it ("required stonith")."""
    devices = fence_device_ids(ctx, provides="unfencing")
    if not devices or not ctx.state.options.stonith_enabled:
        return []
    again = again or {}
    changes: list[Change] = []
    for node, info in reversed(list(ctx.nodes.items())):
        if not info.online or info.unclean or node in fenced or (info.shutdown and node in again):
            continue
        if info.attributes.get("#node-unfenced") and node not in again:
            continue
        st = graph.new(None, "stonith", node, optional=False, name="unfence")
        st.meta["stonith_action"] = "on"
        for a in graph.acts:
            if a.node != node or a.rsc is None or a.task not in ("start", "monitor"):
                continue
            restart = node in again and a.task == "start" and not _is_device(a.rsc)
            graph.order(st, a, IMPLIES_THEN if restart else 0)
        reason = again.get(node) or f"required by {devices[0]} monitor"
        changes.append(
            Change(verb="Fence", rsc=None, to_node=node, to_role="on", reason=reason,
                   fence_action="on")
        )  # fmt: skip
    return changes


def _is_device(r: Rsc) -> bool:
    return r.prim is not None and r.prim.cls == "stonith"


def shutdown_actions(ctx: Ctx, graph: Graph, fenced: set[str]) -> None:
    for node, info in ctx.nodes.items():
        if not info.shutdown or not info.online or node in fenced:
            continue
        sd = graph.new(None, "do_shutdown", node, optional=False, name="do_shutdown")
        for a in list(graph.acts):
            if a.node == node and a.task == "stop" and a.rsc is not None:
                # a stop that cannot happen holds it; those of resources the
                # cluster does not manage are not waited for
                graph.order(a, sd, 0 if not a.rsc.managed else RUNNABLE_LEFT)


def quorum_blocks(ctx: Ctx, graph: Graph) -> None:
    """Starts that may not run without quorum."""
    opts = ctx.state.options
    if opts.have_quorum or opts.no_quorum_policy == "ignore":
        return
    for a in graph.acts:
        if a.task != "start" or a.rsc is None or a.pseudo or a.rsc.kind != "primitive":
            continue
        if a.rsc.meta.get("requires") == "nothing":
            continue
        if opts.no_quorum_policy == "freeze":
            if a.rsc.current_nodes:
                continue
            a.block("quorum freeze", overwrite=True)
        else:
            a.block("no quorum", overwrite=True)
