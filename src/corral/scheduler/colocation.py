"""Colocation: where one resource runs depends on where another runs.

Pacemaker Explained, "Colocation Constraints": ``rsc`` (the dependent) is
placed relative to ``with-rsc`` (the primary), so the primary is placed first.
A score of INFINITY means the dependent may run only where the primary runs
(nowhere if the primary cannot run); -INFINITY never where it runs; any other
score is a preference added to the dependent's score for the primary's node.
The influence goes both ways: while the primary is placed, the dependents'
own node preferences are added to its scores, scaled by score / INFINITY
(``influence=false`` turns this off once the primary is active). A preference
that would leave a resource nowhere to run is rolled back. ``node-attribute``
widens "the same node" to "a node with the same value of that attribute".
"""

from __future__ import annotations

from itertools import pairwise

from corral.model import score as scores
from corral.model.config import Colocation
from corral.model.score import INFINITY, MINUS_INFINITY
from corral.scheduler.context import Ctx
from corral.scheduler.graph import Act, Graph
from corral.scheduler.tree import Coloc, Rsc, is_true

_UNUSABLE = -100 * INFINITY  # marks a node a positive-only merge must not touch again
_VARIANT = {"primitive": 0, "group": 1, "clone": 2}


def _pairs(c: Colocation) -> list[tuple[str, str, int, str | None, str | None]]:
    """(dependent, primary, score, roles) of a constraint; resource sets are
    chained as Pacemaker does: in a sequential set each member with the one
    before it; between sets, the first member of the earlier set (or each, if
    that set is not sequential) with the last member of the later set (or each)."""
    if not c.sets:
        if c.rsc is None or c.with_rsc is None:
            return []
        return [(c.rsc, c.with_rsc, c.score, c.rsc_role, c.with_rsc_role)]
    out: list[tuple[str, str, int, str | None, str | None]] = []
    for s in c.sets:
        score = s.score if s.score is not None else c.score
        if s.sequential and score > 0:
            for prev, nxt in pairwise(s.resources):
                out.append((nxt, prev, score, s.role, s.role))
    for s1, s2 in pairwise(c.sets):
        if not s1.sequential and not s2.sequential:
            continue  # two unordered sets: Pacemaker 2.1.5 colocates nothing between them
        deps = s1.resources[:1] if s1.sequential else s1.resources
        pris = s2.resources[-1:] if s2.sequential else s2.resources
        out.extend((d, p, c.score, s1.role, s2.role) for d in deps for p in pris)
    return out


def build_colocations(ctx: Ctx) -> None:
    """Attach every two-resource colocation to both resources."""
    for c in ctx.config.colocations:
        for dep_id, pri_id, score, dep_role, pri_role in _pairs(c):
            dep = ctx.tree.by_id.get(dep_id)
            pri = ctx.tree.by_id.get(pri_id)
            if dep is None or pri is None or dep is pri or score == 0:
                continue
            if _role_is_promotion(dep_role) or _role_is_promotion(pri_role):
                continue
            influence = c.influence and is_true(dep.meta.get("critical"), True)
            attr = c.node_attribute or "#uname"
            add(Coloc(c.id, dep, pri, score, dep_role, pri_role, attr, influence))
    # a resource inside a container (meta ``container``) runs with it
    for p in ctx.tree.primitives:
        holder = container_of(ctx, p)
        if holder is not None:
            add(Coloc(f"{p.id}-container", p, holder, INFINITY))
    # a group's members: each with the one before it
    for r in ctx.tree.by_id.values():
        if r.kind == "group" and is_true(r.meta.get("collocated"), True):
            for prev, nxt in pairwise(r.children):
                add(Coloc(f"{r.id}-internal", nxt, prev, INFINITY))
    for r in ctx.tree.by_id.values():
        r.this_with.sort(
            key=lambda c: (-c.primary.priority, -_VARIANT[c.primary.kind], c.primary.id)
        )
        r.with_this.sort(
            key=lambda c: (-c.dependent.priority, -_VARIANT[c.dependent.kind], c.dependent.id)
        )


def container_of(ctx: Ctx, p: Rsc) -> Rsc | None:
    """The resource that ``p`` runs inside (its ``container`` meta attribute)."""
    cid = p.meta.get("container") if p.prim is not None else None
    holder = ctx.tree.by_id.get(cid) if cid else None
    return holder if holder is not None and holder is not p else None


def _role_is_promotion(role: str | None) -> bool:
    return role in ("Promoted", "Unpromoted")


def add(c: Coloc) -> None:
    dep = c.dependent
    # a group as dependent: its first member carries it; as primary: its first
    # member's placement pulls in the dependent's preferences
    dep_holder = dep.children[0] if dep.kind == "group" and dep.children else dep
    pri_holder = (
        c.primary.children[0] if c.primary.kind == "group" and c.primary.children else c.primary
    )
    if dep_holder is not c.dependent:
        c = Coloc(
            c.id,
            dep_holder,
            c.primary,
            c.score,
            c.dependent_role,
            c.primary_role,
            c.attribute,
            c.influence,
        )
    dep_holder.this_with.append(c)
    pri_holder.with_this.append(c)


def has_influence(c: Coloc) -> bool:
    return c.influence or not c.primary.current_nodes


def _attr(ctx: Ctx, node: str, attr: str) -> str | None:
    if attr == "#uname":
        return node
    info = ctx.nodes.get(node)
    return info.attributes.get(attr) if info is not None else None


def primary_nodes(pri: Rsc, score: int) -> list[str] | None:
    """Where the primary ended up; None if it is not placed anywhere."""
    if pri.kind == "group":
        if not pri.children:
            return None
        member = pri.children[-1] if score >= INFINITY else pri.children[0]
        return primary_nodes(member, score)
    if pri.kind == "clone":
        nodes = []
        for child in pri.children:
            if score >= INFINITY and any(
                p.inst is not None and p.inst.blocked for p in child.primitives()
            ):
                continue  # a blocked instance is no place to follow
            got = primary_nodes(child, score)
            if got:
                nodes.extend(got)
        return nodes
    return [pri.assigned] if pri.assigned is not None else None


def apply_colocation(dep: Rsc, c: Coloc, ctx: Ctx) -> None:
    """The dependent follows the primary (primary already placed)."""
    pri = c.primary
    if c.primary_role == "Stopped" or c.dependent_role == "Stopped":
        return
    if pri.kind == "clone" and c.score < INFINITY:
        for child in pri.children:
            _apply_to(dep, primary_nodes(child, c.score), c, ctx)
        return
    nodes = primary_nodes(pri, c.score)
    if pri.kind == "clone" and not nodes:
        nodes = None
    _apply_to(dep, nodes, c, ctx)


def _apply_to(dep: Rsc, nodes: list[str] | None, c: Coloc, ctx: Ctx) -> None:
    if nodes is None and c.score < 0:
        return
    values = {_attr(ctx, n, c.attribute) for n in nodes} if nodes else set()
    work = dict(dep.allowed)
    for n, w in work.items():
        if nodes is None:
            work[n] = scores.add(MINUS_INFINITY, w)
        elif _attr(ctx, n, c.attribute) in values:
            if c.score < INFINITY:
                work[n] = scores.add(c.score, w)
        elif c.score >= INFINITY:
            work[n] = scores.add(MINUS_INFINITY, w)
    if (
        c.score <= MINUS_INFINITY
        or c.score >= INFINITY
        or any(w >= 0 and ctx.available(n) for n, w in work.items())
    ):
        _set_allowed(dep, work)


def _set_allowed(r: Rsc, work: dict[str, int]) -> None:
    r.allowed = work


def _best_matching(r: Rsc, attr: str, value: str | None, ctx: Ctx) -> int:
    if attr == "#uname":
        w = r.allowed.get(value) if value is not None else None
        if w is None or not ctx.available(value or ""):
            return MINUS_INFINITY
        return w
    best = MINUS_INFINITY
    for n, w in r.allowed.items():
        if w > best and ctx.available(n) and _attr(ctx, n, attr) == value:
            best = w
    return best


def _weights_of(r: Rsc) -> dict[str, int]:
    if r.kind == "group" and r.children:
        return _weights_of(r.children[0])
    return r.allowed


def merge_weights(
    r: Rsc,
    nodes: dict[str, int] | None,
    attr: str,
    factor: float,
    ctx: Ctx,
    *,
    init: bool = False,
    forward: bool = False,
    rollback: bool = False,
    positive: bool = False,
) -> dict[str, int]:
    """Add ``r``'s node preferences (and, transitively, those of the resources
    colocated with it) to ``nodes``, scaled by ``factor``."""
    if r.kind == "group" and r.children:
        return merge_weights(
            r.children[0], nodes, attr, factor, ctx,
            init=init, forward=forward, rollback=rollback, positive=positive,
        )  # fmt: skip
    base = nodes if nodes is not None else {}
    if r.merging:
        return base
    r.merging = True
    if init:
        work = dict(_weights_of(r))
    else:
        work = dict(base)
        _add_matching(work, r, attr, factor, positive, ctx)
    if any(w >= 0 and ctx.available(n) for n, w in work.items()):
        mult = -1 if factor < 0 else 1
        links = r.this_with if forward else r.with_this
        for c in links:
            if forward:
                other = c.primary
            elif not has_influence(c):
                continue
            else:
                other = c.dependent
            work = merge_weights(
                other, work, c.attribute, mult * c.score / INFINITY, ctx,
                forward=forward, rollback=rollback, positive=positive,
            )  # fmt: skip
    elif rollback:
        r.merging = False
        return base
    if positive:
        for n, w in work.items():
            if w == _UNUSABLE:
                work[n] = 1
    r.merging = False
    return work


def _add_matching(
    work: dict[str, int], r: Rsc, attr: str, factor: float, positive: bool, ctx: Ctx
) -> None:
    for n, cur in work.items():
        score = _best_matching(r, attr, _attr(ctx, n, attr), ctx)
        if factor < 0 and score < 0:
            continue
        if cur == _UNUSABLE:
            continue
        wf = factor * score
        w = int(wf - 0.5) if wf < 0 else int(wf + 0.5)
        if w == 0 and score != 0:
            w = 1 if factor > 0 else -1 if factor < 0 else 0
        new = scores.add(w, cur)
        if positive and new < 0 < cur:
            work[n] = _UNUSABLE
            continue
        if positive and new < 0 and cur == 0:
            continue
        work[n] = new


def block_colocated_dependents(graph: Graph) -> bool:
    """A mandatory colocation also binds what can run: when a primary cannot
    start anywhere (no instance or member of it can), the resources that must
    be with it cannot start either ("colocation with <primary>"). Returns
    whether anything was blocked (the caller propagates again)."""
    starts: dict[str, list[Act]] = {}
    for a in graph.acts:
        if a.task == "start" and a.rsc is not None and a.node is not None:
            starts.setdefault(a.rsc.id, []).append(a)
    changed = False
    decided: dict[str, bool] = {}
    for act in [a for acts in starts.values() for a in acts]:
        if act.runnable or act.pseudo:
            continue
        top = act.rsc.top
        binding = [
            c for c in top.with_this if c.score >= INFINITY and c.dependent_role != "Promoted"
        ]
        if not binding:
            continue
        if top is not act.rsc:
            if top.id not in decided:
                decided[top.id] = _some_part_starts(top, starts)
            if decided[top.id]:
                continue
        for c in binding:
            changed |= _block_starts(c.dependent, f"colocation with {act.rsc.id}", starts)
    return changed


def _some_part_starts(r: Rsc, starts: dict[str, list[Act]]) -> bool:
    """Whether a first start of one of ``r``'s children can run (a child
    without any start counts as able, as it is left where it is)."""
    for child in r.children:
        mine = [a for p in child.primitives() for a in starts.get(p.id, ())]
        if not mine or mine[0].runnable:
            return True
    return False


def _block_starts(r: Rsc, reason: str, starts: dict[str, list[Act]]) -> bool:
    changed = False
    for p in r.primitives():
        for a in starts.get(p.id, ()):
            if a.runnable and not a.frozen:
                changed |= a.block(reason)
    return changed
