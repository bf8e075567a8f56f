"""Agent changes: a resource whose class, provider or type differs from the
one its history on a node was recorded with.

Pacemaker treats such a history as another resource's: it deletes it
(``delete`` on that node, after any stop and before any start) and, where the
resource is active, restarts it (the stop and start are simply required, with
no reason of their own). A fencing device that changed this way, or whose
parameters changed, unfences again (fencing action ``on``) the node where it
ran, when unfencing is in use: "Device definition changed" / "Device
parameters changed".
"""

from __future__ import annotations

from corral.model.status import Status
from corral.scheduler.context import Ctx
from corral.scheduler.tree import Rsc


def _recorded(p: Rsc, node: str, status: Status) -> tuple[str | None, str | None, str | None]:
    ns = status.nodes.get(node)
    if ns is None or p.inst is None:
        return (None, None, None)
    name = p.inst.history_names.get(node) or p.id
    hist = ns.history.get(name)
    if hist is None or hist.type is None:
        return (None, None, None)
    return (hist.cls, hist.provider, hist.type)


def find_agent_changes(ctx: Ctx, status: Status) -> set[tuple[str, str]]:
    """(primitive, node) pairs whose history names another agent."""
    out: set[tuple[str, str]] = set()
    for p in ctx.tree.primitives:
        if p.prim is None or p.inst is None or not p.managed:
            continue
        for node in p.inst.nodes:
            info = ctx.nodes.get(node)
            if info is None or not info.online or info.unclean or info.shutdown:
                continue
            cls, provider, typ = _recorded(p, node, status)
            if typ is None:
                continue
            if (cls, provider or None, typ) != (p.prim.cls, p.prim.provider or None, p.prim.type):
                out.add((p.id, node))
    return out


def device_unfencing(ctx: Ctx) -> dict[str, str]:
    """node -> reason: nodes to unfence again because the fencing device that
    ran there changed (agent changes first, then parameter changes)."""
    out: dict[str, str] = {}
    for rid, node in sorted(ctx.agent_changed):
        p = ctx.tree.by_id[rid]
        if p.prim is not None and p.prim.cls == "stonith":
            out.setdefault(node, "Device definition changed")
    for rid, node in sorted(ctx.changed_definitions):
        p = ctx.tree.by_id[rid]
        if p.prim is not None and p.prim.cls == "stonith":
            out.setdefault(node, "Device parameters changed")
    return out
