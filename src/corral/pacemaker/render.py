"""What ``crm_simulate -x CIB -S`` (Pacemaker 2.1.5) prints, from corral's
configuration, status and transition: the current status, the transition
summary, every action in the order the simulated run executes it, and the
status after the run. With ``show_scores``: the allocation scores as
``crm_simulate -sSQ`` prints them.

Rules learnt from crm_simulate's output:
- summary lines are ``  * <Verb:8>   <rsc:W>   ( <details:D> )  due to ...``
  where W and D only grow down the list (W: longest name so far + 2, once
  past 5; D: longest details so far, at least 5);
- the run fires, pass after pass over the actions in graph (id) order, every
  action whose predecessors had all completed when the pass began;
- an anonymous clone copy is named in actions as its node's history names it
  (``web`` or ``web:0``), else by its primitive id.
"""

from __future__ import annotations

import copy
import time

from corral.model import score
from corral.model.config import Clone, Config, Primitive, primitives_of
from corral.model.status import OpRecord, ResourceHistory, Status
from corral.pacemaker.render_status import status_lines
from corral.scheduler.transition import Action, Change, Transition
from corral.scheduler.unpack import clone_is_unique, unpack

_ROLE_RANK = {None: 0, "Stopped": 1, "Started": 2, "Unpromoted": 3, "Promoted": 4}


# -- transition summary -----------------------------------------------------


def _details(c: Change) -> str:
    origin, dest = c.from_node, c.to_node
    role, next_role = c.from_role or "Started", c.to_role or c.from_role or "Started"
    need_role = _ROLE_RANK.get(role, 2) > 2 or _ROLE_RANK.get(next_role, 2) > 3
    same_host = origin is not None and origin == dest
    same_role = role == next_role
    if need_role and origin is None:
        return f"{role} -> {next_role} {dest}"
    if origin is None:
        return f"{dest}"
    if need_role and dest is None:
        return f"{role} {origin}"
    if dest is None:
        return origin
    if need_role and same_role and same_host:
        return f"{role} {origin}"
    if same_role and same_host:
        return origin
    if need_role and same_role:
        return f"{origin} -> {dest} {role}"
    if same_role:
        return f"{origin} -> {dest}"
    if same_host:
        return f"{role} -> {next_role} {origin}"
    return f"{role} {origin} -> {next_role} {dest}"


def _reason(c: Change) -> str:
    r = c.reason
    if not r:
        return ""
    if r.startswith("due to") or r == "blocked":
        return "  " + r
    return "  due to " + r


def summary_lines(changes: list[Change]) -> list[str]:
    out: list[str] = []
    rsc_width = 5
    detail_width = 5
    for c in changes:
        if c.verb == "Fence" or c.rsc is None:
            target = c.to_node or c.from_node or ""
            how = c.to_role or "reboot"
            reason = c.reason or "node is unclean"
            out.append(f"  * Fence ({how}) {target} '{reason}'")
            continue
        if len(c.rsc) > rsc_width:
            rsc_width = len(c.rsc) + 2
        details = _details(c)
        detail_width = max(detail_width, len(details))
        out.append(
            f"  * {c.verb:<8}   {c.rsc:<{rsc_width}}   ( {details:>{detail_width}} ){_reason(c)}"
        )
    return out


# -- executing the graph ----------------------------------------------------


def execution_order(transition: Transition) -> list[Action]:
    """crm_simulate's run: pass after pass over the actions in graph (id)
    order, firing each action whose predecessors had all completed when the
    pass began (what fires in a pass enables others only in the next)."""
    preds = transition.predecessors()
    done: set[int] = set()
    ordered = sorted(transition.actions, key=lambda a: a.id)
    out: list[Action] = []
    while len(done) < len(ordered):
        ready = [
            a for a in ordered if a.id not in done and all(p in done for p in preds.get(a.id, []))
        ]
        if not ready:
            break
        out.extend(ready)
        done.update(a.id for a in ready)
    return out


class _Names:
    """How crm_simulate names a resource instance in an action on a node."""

    def __init__(self, config: Config) -> None:
        self.anonymous: set[str] = set()
        self.prims: dict[str, Primitive] = {}
        for r in config.resources:
            if isinstance(r, Clone):
                anon = not clone_is_unique(r)
                for p in primitives_of(r):
                    self.prims[p.id] = p
                    if anon:
                        self.anonymous.add(p.id)
            else:
                for p in primitives_of(r):
                    self.prims[p.id] = p

    def name(self, status: Status, rsc: str, node: str | None) -> str:
        base = rsc.rsplit(":", 1)[0] if ":" in rsc else rsc
        if base not in self.anonymous:
            return rsc
        ns = status.nodes.get(node or "")
        if ns is not None and base not in ns.history and rsc in ns.history:
            return rsc
        return base


def action_line(a: Action, name: str) -> str:
    if a.task in ("stonith", "fence"):
        how = a.meta.get("stonith_action") or a.meta.get("action") or "reboot"
        return f"  * Fencing {a.node} ({how})"
    if a.pseudo or a.node is None:
        return f"  * Pseudo action:   {a.key}"
    if a.rsc is None:
        return f"  * Cluster action:  {a.task} on {a.node}"
    op = a.task if a.interval_ms == 0 else f"{a.task}={a.interval_ms}"
    return f"  * Resource action: {name:<15} {op} on {a.node}"


# -- the status after the run -----------------------------------------------


def _expected_rc(a: Action, status: Status, name: str) -> int:
    if "target_rc" in a.meta:
        try:
            return int(a.meta["target_rc"])
        except ValueError:
            return 0
    if a.task == "monitor" and a.interval_ms == 0:
        return 7
    if a.task == "monitor" and a.meta.get("role") == "Promoted":
        return 8
    return 0


def apply_action(status: Status, a: Action, name: str, names: _Names) -> None:
    """Record one executed action in ``status`` as the cluster would."""
    node = status.nodes.get(a.node or "")
    if a.task in ("stonith", "fence"):
        if node is not None:
            how = a.meta.get("stonith_action") or "reboot"
            node.in_ccm = how == "on"
            node.crmd = "online" if how == "on" else "offline"
            node.join = "member" if how == "on" else "down"
            node.expected = "member" if how == "on" else "down"
            node.history.clear()
            node.attributes.pop("shutdown", None)
        return
    if a.pseudo or a.rsc is None or node is None:
        if a.task == "do_shutdown" and node is not None:
            node.in_ccm = False
            node.crmd = "offline"
            node.join = "down"
            node.expected = "down"
        return
    hist = node.history.get(name)
    if hist is None:
        base = name.rsplit(":", 1)[0] if ":" in name else name
        p = names.prims.get(base)
        hist = ResourceHistory(
            rsc=name,
            cls=p.cls if p else None,
            provider=p.provider if p else None,
            type=p.type if p else None,
        )
        node.history[name] = hist
    call = 1 + max(
        (op.call_id for n in status.nodes.values() for h in n.history.values() for op in h.ops),
        default=0,
    )
    rc = _expected_rc(a, status, name)
    if a.task in ("notify", "cancel"):
        return
    hist.ops.append(
        OpRecord(
            id=f"{name}_{a.task}_{a.interval_ms}",
            operation=a.task,
            interval_ms=a.interval_ms,
            rc=rc,
            call_id=call,
            transition_key=f"{a.id}:1:{rc}:corral-simulate",
            on_node=a.node,
        )
    )


def render_simulation(
    config: Config,
    status: Status,
    transition: Transition,
    show_scores: bool,
    now: int | None = None,
) -> str:
    """crm_simulate's text for this configuration, status and transition."""
    if show_scores:
        return scores_text(transition)
    if now is None:
        now = status.execution_date if status.execution_date is not None else int(time.time())
    out: list[str] = []
    if status.execution_date is not None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(status.execution_date))
        out.append(f"Using the original execution date of: {stamp}")
    state = unpack(config, status, now)
    out.append("Current cluster status:")
    out.extend(status_lines(config, state))
    out.append("")
    out.append("Transition Summary:")
    out.extend(summary_lines(transition.summary))
    out.append("")
    out.append("Executing Cluster Transition:")
    names = _Names(config)
    after = copy.deepcopy(status)
    for a in execution_order(transition):
        name = names.name(after, a.rsc, a.node) if a.rsc else ""
        out.append(action_line(a, name))
        apply_action(after, a, name, names)
    out.append("")
    out.append("Revised Cluster Status:")
    out.extend(status_lines(config, unpack(config, after, now)))
    return "\n".join(out) + "\n"


def scores_text(transition: Transition) -> str:
    """``crm_simulate -sSQ``: one line per score, after a blank line."""
    lines = [""]
    for s in transition.scores:
        value = score.to_str(s.value)
        if s.phase == "promotion":
            lines.append(f"{s.rsc} promotion score on {s.node}: {value}")
        else:
            lines.append(f"{s.phase}: {s.rsc} allocation score on {s.node}: {value}")
    return "\n".join(lines) + "\n"
