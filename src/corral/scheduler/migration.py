"""Live migration: moving a resource without stopping it first.

Pacemaker Explained, "Migrating Resources": a primitive with
``allow-migrate=true`` that moves from a healthy node to another is migrated
instead of stopped and started: ``migrate_to`` on the old node, then
``migrate_from`` on the new one, then the (now trivial) stop on the old node;
its start becomes a pseudo action. It cannot migrate if it failed, runs on
several nodes, its old node is unclean or offline, or it must wait for a
resource ordered before it that stops rather than migrates.
"""

from __future__ import annotations

from corral.scheduler.context import Ctx
from corral.scheduler.tree import Rsc, is_true


def _may_migrate(p: Rsc, ctx: Ctx, fenced: set[str]) -> bool:
    inst = p.inst
    if inst is None or p.prim is None or not p.managed or inst.blocked:
        return False
    if not is_true(p.meta.get("allow-migrate")):
        return False
    if len(inst.active_on) != 1 or inst.failed_on or p.assigned is None:
        return False
    cur = next(iter(inst.active_on))
    if cur == p.assigned or cur in fenced:
        return False
    info = ctx.nodes.get(cur)
    if info is None or not info.online or info.unclean:
        return False
    return p.clone is None


def plan_migrations(ctx: Ctx, fenced: set[str]) -> tuple[set[str], dict[str, str]]:
    """Primitive ids that migrate, and for those that cannot because of an
    ordering, the reason their stop gives ("unrunnable A stop")."""
    migrating = {p.id for p in ctx.tree.primitives if _may_migrate(p, ctx, fenced)}
    reasons: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for o in ctx.config.orders:
            if o.sets or o.first is None or o.then is None:
                continue
            if (o.kind or "Mandatory").lower() != "mandatory":
                continue
            if (o.first_action or "start") != "start":
                continue
            first = ctx.tree.by_id.get(o.first)
            then = ctx.tree.by_id.get(o.then)
            if first is None or then is None:
                continue
            stopping = [p for p in first.primitives() if _stops(p) and p.id not in migrating]
            if not stopping:
                continue
            for p in then.primitives():
                if p.id in migrating:
                    migrating.discard(p.id)
                    who = first.id if first.kind != "primitive" else stopping[0].id
                    reasons[p.id] = f"unrunnable {who} stop"
                    changed = True
    return migrating, reasons


def _stops(p: Rsc) -> bool:
    inst = p.inst
    if inst is None or not inst.active_on:
        return False
    return (
        bool(inst.failed_on) or p.assigned is None or any(n != p.assigned for n in inst.active_on)
    )
