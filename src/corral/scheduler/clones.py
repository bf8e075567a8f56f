"""Clones: several copies (instances) of one resource.

Pacemaker Explained, "Clones": ``clone-max`` copies (default: one per node),
at most ``clone-node-max`` per node (default 1). Instances are placed one at a
time: first every active instance that can stay where it runs, then the rest
in order; an instance that would exceed the limits stays stopped. A clone's
stickiness defaults to 1, so instances stay put. Colocations of the clone
apply to each instance; the preferences of resources colocated with the clone
are added to the clone's scores (positive ones only where they cannot cause a
move). ``interleave`` and ``ordered`` shape the ordering (see ordering.py).
"""

from __future__ import annotations

from corral.model import score as scores
from corral.model.score import INFINITY, MINUS_INFINITY
from corral.scheduler.colocation import has_influence, merge_weights
from corral.scheduler.context import Ctx
from corral.scheduler.groups import Allocator, record_tree
from corral.scheduler.placement import assign
from corral.scheduler.tree import Coloc, Rsc, is_true


def clone_max(r: Rsc, ctx: Ctx) -> int:
    v = r.meta.get("clone-max") or r.meta.get("clone_max")
    if v is not None and scores.is_score(v):
        return max(0, scores.parse(v))
    return len(ctx.node_names)


def clone_node_max(r: Rsc) -> int:
    """At most this many instances per node; anonymous clones always have one."""
    if not is_true(r.meta.get("globally-unique")):
        return 1
    v = r.meta.get("clone-node-max") or r.meta.get("clone_node_max")
    if v is not None and scores.is_score(v):
        return max(0, scores.parse(v))
    return 1


def _instance_key(c: Rsc, ctx: Ctx) -> tuple[int, int, int, int, int, int]:
    """Pacemaker's order for placing instances: active ones first (on one node
    before several), those whose node can run resources, then the higher the
    instance's score for where it runs, healthy before failed, by number."""
    cur = c.current_nodes
    failed = any(p.inst is not None and p.inst.failed for p in c.primitives())
    num = c.id.rsplit(":", 1)[-1]
    here = c.allowed.get(cur[0], MINUS_INFINITY) if cur else MINUS_INFINITY
    return (
        0 if cur else 1,
        len(cur),
        0 if (cur and ctx.available(cur[0])) else 1,
        -here,
        1 if failed else 0,
        int(num) if num.isdigit() else 0,
    )


def allocate_clone(r: Rsc, ctx: Ctx, allocate: Allocator) -> None:
    if not r.provisional or r.allocating:
        return
    r.allocating = True
    for c in r.this_with:
        allocate(c.primary, ctx)
    for c in r.with_this:
        if has_influence(c):
            r.allowed = merge_weights(
                c.dependent, r.allowed, c.attribute, c.score / INFINITY, ctx,
                rollback=True, positive=True,
            )  # fmt: skip
    record_tree(ctx, "pcmk__clone_allocate", r)
    children = sorted(r.children, key=lambda c: _instance_key(c, ctx))
    _distribute(r, children, ctx, allocate)
    r.provisional = False
    r.allocating = False


def _distribute(r: Rsc, children: list[Rsc], ctx: Ctx, allocate: Allocator) -> None:
    limit_total = clone_max(r, ctx)
    per_node = clone_node_max(r)
    count: dict[str, int] = {}
    available = sum(1 for n in r.allowed if ctx.available(n))
    all_coloc = limit_total < available
    optimal = max(1, limit_total // available) if available else 1
    extra_this = [c for c in r.this_with if all_coloc or c.score < 0 or c.score == INFINITY]
    extra_with = [c for c in r.with_this if has_influence(c) and (all_coloc or c.score < 0)]
    placed = 0
    for child in children:
        if placed >= limit_total:
            break
        cur = child.current_nodes
        failed = any(p.inst is not None and p.inst.failed for p in child.primitives())
        if not cur or not child.provisional or failed:
            continue
        node = cur[0]
        if node not in r.allowed or not ctx.available(node) or r.allowed[node] < 0:
            continue
        if count.get(node, 0) >= optimal:
            continue  # that node already holds its share: place this one freely
        if _instance(r, child, node, count, per_node, ctx, allocate, extra_this, extra_with):
            placed += 1
    for child in children:
        if not child.provisional:
            continue
        if placed >= limit_total:
            for p in [child, *child.children]:
                for n in p.allowed:
                    p.allowed[n] = MINUS_INFINITY
            _stop_all(child, ctx)
            continue
        if _instance(r, child, None, count, per_node, ctx, allocate, extra_this, extra_with):
            placed += 1


def _stop_all(child: Rsc, ctx: Ctx) -> None:
    for p in child.primitives():
        ctx.record("pcmk__primitive_assign", p.id, p.allowed)
        if p.provisional:
            assign(p, None, ctx)
    child.provisional = False


def _set_weight(r: Rsc, node: str, value: int) -> None:
    r.allowed[node] = value
    for c in r.children:
        _set_weight(c, node, value)


def _instance(
    clone: Rsc,
    child: Rsc,
    prefer: str | None,
    count: dict[str, int],
    per_node: int,
    ctx: Ctx,
    allocate: Allocator,
    extra_this: list[Coloc],
    extra_with: list[Coloc],
) -> bool:
    if not child.provisional:
        return child.assigned is not None
    if child.allocating:
        return False
    if prefer is not None:
        w = child.allowed.get(prefer)
        if w is None or w < 0:
            return False
    for n in list(child.allowed):
        pw = clone.allowed.get(n)
        if not ctx.available(n) or pw is None:
            _set_weight(child, n, MINUS_INFINITY)
        elif pw < 0:
            _set_weight(child, n, pw)
        elif count.get(n, 0) >= per_node:
            _set_weight(child, n, MINUS_INFINITY)
    backup = {p.id: dict(p.allowed) for p in [child, *child.primitives()]}
    holder = child.children[0] if child.kind == "group" and child.children else child
    holder.this_with.extend(extra_this)
    holder.with_this.extend(extra_with)
    try:
        chosen = allocate(child, ctx, prefer)
    finally:
        for c in extra_this:
            holder.this_with.remove(c)
        for c in extra_with:
            holder.with_this.remove(c)
    if prefer is not None and child.provisional:
        for p in [child, *child.primitives()]:
            p.allowed = backup[p.id]
        return False
    if chosen is not None:
        count[chosen] = count.get(chosen, 0) + 1
    return chosen is not None
