"""corral's own forms of a transition: ``text`` for people, ``json`` for programs."""

from __future__ import annotations

import dataclasses
import json

from corral.model import score as scores
from corral.scheduler.transition import Action, Change, Transition


def _action_line(a: Action) -> str:
    what = a.rsc or ""
    if a.task == "monitor" and a.interval_ms:
        secs = a.interval_ms / 1000
        every = f"{secs:g}s"
        return f"monitor {what} every {every}"
    if a.task == "monitor":
        return f"probe {what}"
    if a.rsc is None:
        return a.task + (f" {a.node}" if a.task == "stonith" and a.node else "")
    return f"{a.task} {what}"


def _change_line(c: Change) -> str:
    who = c.rsc if c.rsc is not None else (c.to_node or c.from_node or "")
    where = ""
    if c.from_node and c.to_node and c.from_node != c.to_node:
        where = f" {c.from_node} -> {c.to_node}"
    elif c.to_node or c.from_node:
        where = f" on {c.to_node or c.from_node}"
    roles = ""
    if c.from_role and c.to_role and c.from_role != c.to_role:
        roles = f" ({c.from_role} -> {c.to_role})"
    reason = f" ({c.reason})" if c.reason else ""
    return f"{c.verb.lower()} {who}{where}{roles}{reason}".rstrip()


def render_text(transition: Transition, *, show_scores: bool = False) -> str:
    """Changes, then the real actions grouped by node, then the size of the graph."""
    lines: list[str] = []
    if transition.summary:
        lines.append("Changes:")
        lines.extend(f"  {_change_line(c)}" for c in transition.summary)
    by_node: dict[str, list[str]] = {}
    for a in transition.actions:
        if a.pseudo:
            continue
        by_node.setdefault(a.node or "cluster", []).append(_action_line(a))
    if by_node:
        lines.append("Actions:")
        for node, acts in by_node.items():
            lines.append(f"  {node}:")
            lines.extend(f"    {x}" for x in acts)
    if not transition.summary and not by_node:
        lines.append("Nothing to do.")
    real = sum(1 for a in transition.actions if not a.pseudo)
    lines.append(
        f"{real} actions ({len(transition.actions) - real} pseudo), "
        f"{len(transition.edges)} orderings"
    )
    if show_scores and transition.scores:
        lines.append("Scores:")
        for s in transition.scores:
            on = f" on {s.node}" if s.node else ""
            lines.append(f"  {s.phase}: {s.rsc}{on} = {scores.to_str(s.value)}")
    for note in transition.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def transition_dict(transition: Transition, *, show_scores: bool = True) -> dict[str, object]:
    d = dataclasses.asdict(transition)
    d["edges"] = [list(e) for e in transition.edges]
    d["placement"] = {
        rsc: {"role": role, "nodes": list(nodes)}
        for rsc, (role, nodes) in transition.placement.items()
    }
    if not show_scores:
        d.pop("scores", None)
    return d


def render_json(transition: Transition, *, show_scores: bool = True) -> str:
    return json.dumps(transition_dict(transition, show_scores=show_scores), indent=2) + "\n"
