"""Allocation: walking the resources in Pacemaker's order and giving each
primitive a node (or none).

A primitive is placed after the resources it is colocated with (its
primaries); their placement narrows or shifts its scores, and the resources
colocated with it add their preferences to its scores before it chooses. A
resource whose ``target-role`` is Stopped is placed nowhere; an unmanaged one
stays where it is; ``stop-all-resources`` places nothing.
"""

from __future__ import annotations

from corral.model.score import INFINITY
from corral.scheduler import clones, groups
from corral.scheduler.colocation import apply_colocation, has_influence, merge_weights
from corral.scheduler.context import Ctx
from corral.scheduler.placement import assign, ban_everywhere, choose_node, sort_key_nodes
from corral.scheduler.state import ROLE_STOPPED
from corral.scheduler.tree import Coloc, Rsc


def allocate_all(ctx: Ctx) -> None:
    for r in allocation_order(ctx):
        allocate(r, ctx)


def allocate(r: Rsc, ctx: Ctx, prefer: str | None = None) -> str | None:
    if r.kind == "group":
        return groups.allocate_group(r, ctx, prefer, allocate)
    if r.kind == "clone":
        clones.allocate_clone(r, ctx, allocate)
        return None
    return allocate_primitive(r, ctx, prefer)


def allocate_primitive(
    r: Rsc, ctx: Ctx, prefer: str | None = None, extra_this: list[Coloc] | None = None,
    extra_with: list[Coloc] | None = None,
) -> str | None:  # fmt: skip
    if not r.provisional:
        return r.assigned
    if r.allocating:
        return None
    r.allocating = True
    this_with = list(r.this_with) + (extra_this or [])
    for c in this_with:
        allocate(c.primary, ctx)
        if r.provisional:
            apply_colocation(r, c, ctx)
    for c in list(r.with_this) + (extra_with or []):
        if not has_influence(c):
            continue
        r.allowed = merge_weights(
            c.dependent, r.allowed, c.attribute, c.score / INFINITY, ctx, rollback=True
        )
    target = r.target_role
    if target == ROLE_STOPPED or (r.inst is not None and r.inst.orphan):
        ban_everywhere(r)
    ctx.record("pcmk__primitive_assign", r.id, r.allowed)
    r.allocating = False
    if not r.managed:
        cur = r.current_nodes
        assign(r, cur[0] if cur else None, ctx)
    elif ctx.state.options.stop_all_resources:
        assign(r, None, ctx)
    else:
        node = choose_node(r, ctx, prefer)
        if prefer is not None and node is not None and node != prefer:
            return None
        assign(r, node, ctx)
    return r.assigned


def allocation_order(ctx: Ctx) -> list[Rsc]:
    """Highest ``priority`` first, configuration order between equals. (With a
    placement strategy other than ``default``, Pacemaker also prefers the
    resource scoring highest where it runs now, then the highest scores.)"""
    roots = sorted(ctx.tree.roots, key=lambda r: (-r.priority, r.order_index))
    if ctx.state.options.placement_strategy == "default":
        return roots
    nodes = sort_key_nodes(ctx)
    keyed = []
    for r in roots:
        weights = merge_weights(r, None, "#uname", 1.0, ctx, init=True, forward=True)
        cur = r.current_node
        if r.kind == "clone":
            cur = next((c.current_node for c in r.children if c.current_node), None)
        cur_w = weights.get(cur, -INFINITY) if cur is not None else -INFINITY
        per_node = tuple(-weights.get(n, -INFINITY) for n in nodes)
        keyed.append(((-r.priority, -cur_w, per_node), r.order_index, r))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in keyed]
