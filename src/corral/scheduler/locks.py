"""Shutdown locks.

Pacemaker Explained, "Cluster Options" (``shutdown-lock``,
``shutdown-lock-limit``): with ``shutdown-lock=true``, a resource active on a
node that is cleanly shut down is *locked* to that node: it is stopped there
and may run on no other node until the node comes back (it then starts
there again). ``shutdown-lock-limit`` (a duration; 0, the default, means no
limit) ends a lock that long after the shutdown: the lock is dropped and the
resource's history on the locked node is cleared (``lrm_delete``). Fence
devices, remote connections and clone instances are never locked; a lock
found in the history of a resource that is already active elsewhere is
dropped the same way.
"""

from __future__ import annotations

from corral.model.durations import try_parse_ms
from corral.model.status import Status
from corral.scheduler.context import Ctx
from corral.scheduler.placement import ban
from corral.scheduler.tree import Rsc


def _lockable(p: Rsc) -> bool:
    if p.prim is None or p.prim.cls == "stonith":
        return False
    if p.meta.get("remote-node") or p.prim.type == "remote":
        return False
    r = p.parent
    while r is not None:
        if r.kind == "clone":
            return False
        r = r.parent
    return True


def apply_shutdown_locks(ctx: Ctx, status: Status) -> list[tuple[Rsc, str]]:
    """Ban every locked resource from every node but its lock node; return the
    (resource, node) histories to clear (expired or overtaken locks)."""
    if not ctx.state.options.shutdown_lock:
        return []
    limit_ms = try_parse_ms(ctx.config.prop("shutdown-lock-limit") or "") or 0
    locks: dict[str, str] = {}
    clear: list[tuple[Rsc, str]] = []
    for node, ns in status.nodes.items():
        for rid, hist in ns.history.items():
            p = ctx.tree.by_id.get(rid)
            if p is None or p.kind != "primitive" or not hist.shutdown_lock:
                continue
            if not _lockable(p):
                continue
            expired = limit_ms > 0 and ctx.now * 1000 > hist.shutdown_lock * 1000 + limit_ms
            active = p.inst is not None and bool(p.inst.active_on)
            if expired or active:
                clear.append((p, node))
            else:
                locks[p.id] = node
    for p in ctx.tree.primitives:
        if p.id in locks or not _lockable(p) or p.inst is None or len(p.inst.active_on) != 1:
            continue
        node = next(iter(p.inst.active_on))
        info = ctx.nodes.get(node)
        if info is not None and info.shutdown and not info.unclean:
            locks[p.id] = node
    for rid, node in locks.items():
        p = ctx.tree.by_id[rid]
        for other in ctx.node_names:
            if other != node:
                ban(p, other)
    return clear
