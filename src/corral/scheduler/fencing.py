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
from corral.scheduler.graph import RUNNABLE_LEFT, Graph
from corral.scheduler.transition import Change


def can_fence(ctx: Ctx, node: str) -> bool:
    """Fencing needs stonith enabled, a fencing device, and quorum (or a
    policy that ignores its loss, or a target that is still a member)."""
    opts = ctx.state.options
    if not opts.stonith_enabled:
        return False
    if not any(p.prim is not None and p.prim.cls == "stonith" for p in ctx.tree.primitives):
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


def unfence_actions(ctx: Ctx, graph: Graph, fenced: set[str]) -> list[Change]:
    """Unfencing: with a fencing device that ``provides=unfencing`` (fabric
    fencing such as fence_scsi), a node must be unfenced (fencing action
    ``on``) before resources are probed or started there, unless it already
    was (its ``#node-unfenced`` attribute)."""
    devices = [
        p
        for p in ctx.tree.primitives
        if p.prim is not None and p.prim.cls == "stonith" and p.meta.get("provides") == "unfencing"
    ]
    if not devices or not ctx.state.options.stonith_enabled:
        return []
    changes: list[Change] = []
    for node, info in reversed(list(ctx.nodes.items())):
        if not info.online or info.unclean or node in fenced:
            continue
        if info.attributes.get("#node-unfenced"):
            continue
        st = graph.new(None, "stonith", node, optional=False, name="unfence")
        st.meta["stonith_action"] = "on"
        for a in graph.acts:
            if a.node == node and a.rsc is not None and a.task in ("start", "monitor"):
                graph.order(st, a, 0)
        reason = f"required by {devices[0].id} monitor"
        changes.append(
            Change(verb="Fence", rsc=None, to_node=node, to_role="on", reason=reason,
                   fence_action="on")
        )  # fmt: skip
    return changes


def shutdown_actions(ctx: Ctx, graph: Graph, fenced: set[str]) -> None:
    for node, info in ctx.nodes.items():
        if not info.shutdown or not info.online or node in fenced:
            continue
        sd = graph.new(None, "do_shutdown", node, optional=False, name="do_shutdown")
        for a in list(graph.acts):
            if a.node == node and a.task == "stop" and a.rsc is not None:
                graph.order(a, sd, RUNNABLE_LEFT)  # a stop that cannot happen holds it


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
