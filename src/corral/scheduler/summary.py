"""The transition summary: one line per resource instance that changes, with
Pacemaker's verbs.

- Start: stopped now, will run; Stop: runs now, will not (``due to node
  availability`` when no node may run it, or what blocks its start);
- Move: runs now, will run elsewhere; Recover: failed, stopped and started
  again (here or elsewhere); Restart: stopped and started again where it is,
  because something it depends on restarts;
- an action that cannot run is shown ``(blocked)``.
"""

from __future__ import annotations

from corral.scheduler.graph import Act, Graph
from corral.scheduler.state import ROLE_STARTED, ROLE_STOPPED
from corral.scheduler.transition import Change
from corral.scheduler.tree import Rsc


def _change(verb: str, p: Rsc, frm: str | None, to: str | None, act: Act | None,
            source: Act | None = None, from_role: str | None = None,
            to_role: str | None = None) -> Change:  # fmt: skip
    src = source or act
    reason = src.reason if src is not None else None
    blocked = act is not None and not act.runnable
    if blocked:
        # crm_simulate's words: "due to <reason> (blocked)", or "blocked" alone
        reason = f"{reason} (blocked)" if reason else "blocked"
    return Change(
        verb=verb, rsc=p.id, from_node=frm, to_node=to, from_role=from_role, to_role=to_role,
        reason=reason, blocked=blocked,
    )  # fmt: skip


def changes_for(p: Rsc, graph: Graph) -> list[Change]:
    inst = p.inst
    if inst is None or not p.managed or inst.blocked:
        return []
    running = list(inst.active_on)
    current = running[0] if running else None
    nxt = p.assigned
    if current is None and nxt is None:
        return []
    role = ROLE_STARTED if running else ROLE_STOPPED
    next_role = ROLE_STARTED if nxt is not None else ROLE_STOPPED
    moving = current is not None and nxt is not None and current != nxt
    failed = bool(inst.failed_on)
    start = graph.get(p, "start", nxt) if nxt is not None else None
    stop_node = current if (start is not None and start.runnable) else None
    stop = graph.get(p, "stop", stop_node) if stop_node else None
    if stop is None and current is not None:
        stop = graph.get(p, "stop", current)
    out: list[Change] = []
    if role == next_role:
        if start is None or start.optional:
            reload = graph.get(p, "reload-agent", current) if current is not None else None
            if reload is not None and reload.happens:
                return [_change("Reload", p, current, None, reload)]
            return []
        if not start.runnable:
            src = stop if (stop is not None and stop.reason) else start
            return [_change("Stop", p, current, None, stop or start, src)]
        if moving and graph.get(p, "migrate_from", nxt) is not None:
            return [_change("Migrate", p, current, nxt, start)]
        if moving:
            return [_change("Recover" if failed else "Move", p, current, nxt, stop)]
        if failed:
            return [_change("Recover", p, current, None, stop)]
        return [_change("Restart", p, current, nxt, start)]
    if stop is not None and (
        next_role == ROLE_STOPPED or (start is not None and not start.runnable)
    ):
        for node in running:
            s = graph.get(p, "stop", node)
            if s is None or s.optional:
                continue
            src = s if s.reason else start
            out.append(_change("Stop", p, node, None, s, src))
        return out
    if stop is not None and failed and not stop.optional:
        return [_change("Recover", p, current, nxt, stop, start)]
    if moving:
        return [_change("Move", p, current, nxt, stop)]
    if stop is not None and not stop.optional:
        return [_change("Restart", p, current, nxt, start)]
    if role == ROLE_STOPPED and next_role != ROLE_STOPPED and start is not None:
        return [_change("Start", p, None, nxt, start)]
    return out


def summary(roots: list[Rsc], graph: Graph) -> list[Change]:
    out: list[Change] = []
    for r in roots:
        for p in r.primitives():
            out.extend(changes_for(p, graph))
    return out
