"""Placement: each resource's score for each node, and the choice of node.

Pacemaker Explained, "Resource Constraints" and "Resource Stickiness":
- In a symmetric cluster (``symmetric-cluster=true``, the default) every
  resource may run on every node (score 0) until constraints say otherwise; in
  an asymmetric ("opt-in") cluster a resource may run only where a location
  constraint lets it.
- A location constraint adds its score (or a holding rule's score) to the
  node's score; INFINITY means "must", -INFINITY "never".
- ``resource-stickiness`` is added to the node where a resource runs now.
- A resource goes to the node with the highest score; a node with a negative
  score (or one that cannot run resources: offline, standby, maintenance,
  unclean, shutting down) is never chosen. Between equal scores the node the
  resource runs on wins if the score is positive, else the node holding the
  fewest resources so far, then the node whose name sorts first.
- Resources with higher ``priority`` are placed first; between equals, the one
  scoring highest where it runs now, then the one with the highest scores.
"""

from __future__ import annotations

import re

from corral.model import score as scores
from corral.model.score import INFINITY, MINUS_INFINITY
from corral.scheduler.context import Ctx
from corral.scheduler.rules import rule_holds, rule_score
from corral.scheduler.tree import Rsc, is_true


def init_weights(ctx: Ctx) -> None:
    """Give every resource its starting scores, then apply location constraints."""
    symmetric = ctx.state.options.symmetric_cluster
    for root in ctx.tree.roots:
        _init(root, ctx.node_names if symmetric else [])
    for loc in ctx.config.locations:
        if loc.role and loc.role not in ("Started",):
            continue
        targets: list[Rsc] = []
        if loc.rsc is not None:
            r = ctx.tree.by_id.get(loc.rsc)
            if r is not None:
                targets.append(r)
        elif loc.rsc_pattern:
            try:
                pat = re.compile(loc.rsc_pattern)
            except re.error:
                continue
            targets.extend(r for r in ctx.tree.roots if pat.match(r.id))
        for r in targets:
            for node, value in _location_scores(loc, r, ctx):
                apply_location(r, node, value)


_HEALTH_COLORS = {
    # strategy: (red, yellow, green)
    "migrate-on-red": (scores.MINUS_INFINITY, 0, 0),
    "only-green": (scores.MINUS_INFINITY, scores.MINUS_INFINITY, 0),
}


def node_health_score(ctx: Ctx, node: str) -> int:
    """Pacemaker Explained, "Tracking Node Health": the node's ``#health-*``
    attributes (red, yellow, green or a score) summed into one score, by the
    cluster's ``node-health-strategy``."""
    strategy = (ctx.config.prop("node-health-strategy") or "none").lower()
    if strategy == "none":
        return 0
    colors = _HEALTH_COLORS.get(strategy)
    if colors is None:  # progressive, custom: the cluster's own scores
        colors = tuple(
            scores.parse(ctx.config.prop(f"node-health-{c}") or "0")
            for c in ("red", "yellow", "green")
        )  # type: ignore[assignment]
    total = 0
    for name, value in ctx.nodes[node].attributes.items():
        if not name.startswith("#health"):
            continue
        v = value.strip().lower()
        if v in ("red", "yellow", "green"):
            total = scores.add(total, colors[("red", "yellow", "green").index(v)])
        elif scores.is_score(v):
            total = scores.add(total, scores.parse(v))
    return total


def apply_node_health(ctx: Ctx) -> None:
    for node in ctx.node_names:
        value = node_health_score(ctx, node)
        if value == 0:
            continue
        for r in ctx.tree.roots:
            if not is_true(r.meta.get("allow-unhealthy-nodes")):
                apply_location(r, node, value)


def _init(r: Rsc, names: list[str]) -> None:
    r.allowed = dict.fromkeys(names, 0)
    for c in r.children:
        _init(c, names)


def _location_scores(loc, r: Rsc, ctx: Ctx) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    if loc.node is not None and not loc.rules:
        if loc.node in ctx.nodes:
            out.append((loc.node, loc.score if loc.score is not None else 0))
        return out
    params = r.prim.instance if r.prim is not None else {}
    for rule in loc.rules:
        if rule.role and rule.role not in ("Started",):
            continue
        for n in ctx.node_names:
            attrs = ctx.attrs(n)
            if rule_holds(rule, attrs, ctx.now, params, r.meta):
                out.append((n, rule_score(rule, attrs)))
    return out


def apply_location(r: Rsc, node: str, value: int) -> None:
    """Pacemaker's location on any resource: a group's members after the first
    only learn that the node exists (score 0), so the group is not counted twice;
    a clone's instances get it like the clone."""
    r.allowed[node] = scores.add(r.allowed.get(node, 0), value)
    if r.kind == "group":
        first = True
        for c in r.children:
            apply_location(c, node, value if first else 0)
            first = False
    elif r.kind == "clone":
        for c in r.children:
            apply_location(c, node, value)


def apply_stickiness(ctx: Ctx) -> None:
    symmetric = ctx.state.options.symmetric_cluster
    for p in ctx.tree.primitives:
        if not p.managed or p.stickiness < 1 or p.inst is None:
            continue
        active = p.inst.active_on
        if len(active) != 1:
            continue
        node = next(iter(active))
        if not symmetric and node not in p.allowed:
            continue
        if node not in ctx.nodes:
            continue
        p.allowed[node] = scores.add(p.allowed.get(node, 0), p.stickiness)


def ban(r: Rsc, node: str) -> None:
    """-INFINITY for ``r`` (and everything inside it) on ``node``."""
    r.allowed[node] = MINUS_INFINITY
    for c in r.children:
        ban(c, node)


def ban_everywhere(r: Rsc) -> None:
    for n in list(r.allowed):
        r.allowed[n] = MINUS_INFINITY


def usable(ctx: Ctx, weights: dict[str, int]) -> bool:
    """Pacemaker's "can run anywhere": some available node with a score >= 0."""
    return any(w >= 0 and ctx.available(n) for n, w in weights.items())


def choose_node(r: Rsc, ctx: Ctx, prefer: str | None = None) -> str | None:
    """The node a primitive goes to, or None. ``prefer`` (a clone instance's
    current node) wins if it scores as well as the best."""
    best: str | None = None
    best_key: tuple[int, int, int, str] | None = None
    running = r.current_node if r.inst is not None and len(r.inst.active_on) == 1 else None
    if r.inst is not None and r.inst.active_on and running is None:
        running = next(iter(r.inst.active_on))
    usable = ctx.usable
    count = ctx.count
    top = None
    for n, w in r.allowed.items():
        if n not in usable or (top is not None and w < top):
            continue
        key = (-w, count.get(n, 0), 0 if n == running else 1, n)
        if best_key is None or key < best_key:
            best, best_key, top = n, key, w
    if best is None or best_key is None:
        return None
    weight = -best_key[0]
    if weight < 0:
        return None
    if prefer is not None:
        pw = r.allowed.get(prefer)
        if pw is not None and pw >= weight and ctx.available(prefer):
            return prefer
    if (
        weight > 0
        and running is not None
        and running != best
        and ctx.available(running)
        and r.allowed.get(running) == weight
        and not (r.clone is not None and is_true(r.clone.meta.get("globally-unique")))
    ):
        return running
    return best


def assign(r: Rsc, node: str | None, ctx: Ctx) -> None:
    r.assigned = node
    r.provisional = False
    if node is not None:
        ctx.count[node] = ctx.count.get(node, 0) + 1


def sort_key_nodes(ctx: Ctx) -> list[str]:
    """Nodes in Pacemaker's resource-sorting order: available first, then by name."""
    return sorted(ctx.node_names, key=lambda n: (0 if ctx.available(n) else 1, n))


def clamp_inf(v: int) -> int:
    return INFINITY if v >= INFINITY else MINUS_INFINITY if v <= MINUS_INFINITY else v
