"""Groups: members kept together and started in sequence.

Pacemaker Explained, "Groups": a group is a shorthand for its members, each
colocated with the one before it (INFINITY) and ordered after it (start in
list order, stop in reverse). A group goes where its first member goes; the
first member's scores include the preferences of the members after it, and a
member that cannot run stops the ones after it. Location constraints on the
group count once (on its first member); every member brings its own
stickiness.
"""

from __future__ import annotations

from collections.abc import Callable

from corral.scheduler.context import Ctx
from corral.scheduler.tree import Rsc

Allocator = Callable[..., str | None]


def record_tree(ctx: Ctx, phase: str, r: Rsc) -> None:
    ctx.record(phase, r.id, r.allowed)
    for c in r.children:
        record_tree(ctx, phase, c)


def allocate_group(r: Rsc, ctx: Ctx, prefer: str | None, allocate: Allocator) -> str | None:
    if not r.provisional:
        return r.assigned
    if r.allocating or not r.children:
        return None
    r.allocating = True
    record_tree(ctx, "pcmk__group_assign", r)
    first = r.children[0]
    node = allocate(first, ctx, prefer)
    if prefer is not None and first.provisional:
        # the first member would rather go elsewhere: not this node after all
        r.allocating = False
        return None
    for child in r.children[1:]:
        allocate(child, ctx)
    r.assigned = node
    r.provisional = False
    r.allocating = False
    return node
