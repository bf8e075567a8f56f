"""What ``crm_simulate -x CIB -S`` (Pacemaker 2.1.5) prints, from corral's
configuration, status and transition: the current status, the transition
summary, every action in the order the simulated run executes it, and the
status after the run. With ``show_scores``: the allocation scores as
``crm_simulate -sSQ`` prints them.

Rules learnt from crm_simulate's output:
- summary lines are ``  * <Verb:8>   <rsc:W>   ( <details:D> )  due to ...``
  where W and D are what the whole list reaches (W: grows to a name's length
  + 2 whenever a name is longer than W, from 5; D: longest details, at least 5);
- the run fires, pass after pass over the actions in the graph's synapse
  order (``render_graph``), every
  action whose predecessors have all completed (earlier in the same pass
  included: a simulated action completes at once);
- resources in actions are named as ``render_names`` says.
"""

from __future__ import annotations

import copy
import time

from corral.model import score
from corral.model.config import Config, Primitive, primitives_of
from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status
from corral.pacemaker.render_graph import synapse_order
from corral.pacemaker.render_header import header_lines
from corral.pacemaker.render_names import ActionNames
from corral.pacemaker.render_status import status_lines
from corral.scheduler.transition import Action, Change, Transition
from corral.scheduler.unpack import unpack

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
    """The Transition Summary lines. crm_simulate's scheduler logs the same
    list once before printing it, and the column widths it keeps grow during
    that first pass, so every printed line uses the widths the whole list
    reached: W = longest name + 2 once past 5, D = longest details, at least 5."""
    rsc_width = 5
    detail_width = 5
    for c in changes:
        if c.verb == "Fence" or c.rsc is None:
            continue
        if len(c.rsc) > rsc_width:
            rsc_width = len(c.rsc) + 2
        detail_width = max(detail_width, len(_details(c)))
    out: list[str] = []
    for c in changes:
        if c.verb == "Fence" or c.rsc is None:
            target = c.to_node or c.from_node or ""
            how = c.to_role or "reboot"
            reason = c.reason or "node is unclean"
            out.append(f"  * Fence ({how}) {target} '{reason}'")
            continue
        details = _details(c)
        out.append(
            f"  * {c.verb:<8}   {c.rsc:<{rsc_width}}   ( {details:>{detail_width}} ){_reason(c)}"
        )
    return out


# -- executing the graph ----------------------------------------------------


def execution_order(transition: Transition, graph: list[Action] | None = None) -> list[Action]:
    """crm_simulate's run: pass after pass over the actions in graph order
    (``graph``: the synapse order, by default the ids'), firing each action
    whose predecessors have all completed. A simulated action completes at
    once, so an action made ready earlier in a pass fires later in that same
    pass; one listed before what it waits for fires in the next pass."""
    preds = transition.predecessors()
    done: set[int] = set()
    pending = list(graph) if graph is not None else sorted(transition.actions, key=lambda a: a.id)
    out: list[Action] = []
    while pending:
        left: list[Action] = []
        for a in pending:
            if all(p in done for p in preds.get(a.id, [])):
                out.append(a)
                done.add(a.id)
            else:
                left.append(a)
        if len(left) == len(pending):
            break
        pending = left
    return out


def _primitives(config: Config) -> dict[str, Primitive]:
    out: dict[str, Primitive] = {}
    for r in config.resources:
        for p in primitives_of(r):
            out[p.id] = p
    return out


_CLUSTER_TASKS = frozenset({"do_shutdown", "clear_failcount", "lrm_delete"})


def action_line(a: Action, name: str) -> str:
    if a.task in ("stonith", "fence"):
        how = a.meta.get("stonith_action") or a.meta.get("action") or "reboot"
        return f"  * Fencing {a.node} ({how})"
    if a.pseudo or a.node is None:
        return f"  * Pseudo action:   {a.key}"
    if a.rsc is None:
        return f"  * Cluster action:  {a.task} on {a.node}"
    if a.task in _CLUSTER_TASKS:
        return f"  * Cluster action:  {a.task} for {name} on {a.node}"
    op = a.task if a.interval_ms == 0 else f"{a.task}={a.interval_ms}"
    return f"  * Resource action: {name:<15} {op} on {a.node}"


# -- the status after the run -----------------------------------------------


def _expected_rc(a: Action, prim: Primitive | None) -> int:
    """The result the graph expects (and the simulation records): 7 for a
    probe or a monitor of the Stopped role, 8 for one of the Promoted role."""
    if "target_rc" in a.meta:
        try:
            return int(a.meta["target_rc"])
        except ValueError:
            return 0
    if a.task != "monitor":
        return 0
    if a.interval_ms == 0:
        return 7
    role = a.meta.get("role")
    if role is None and prim is not None:
        role = next(
            (o.role for o in prim.ops if o.name == "monitor" and o.interval_ms == a.interval_ms),
            None,
        )
    if role == "Stopped":
        return 7
    if role in ("Promoted", "Master"):
        return 8
    return 0


def _history_for(
    node: NodeStatus, a: Action, names: ActionNames, prims: dict[str, Primitive]
) -> ResourceHistory:
    """The node's history entry an action is recorded in: the one under the
    printed name, else under the preferred id (created when missing)."""
    rsc = a.rsc or ""
    for key in (names.shown(rsc), names.preferred(rsc)):
        if key in node.history:
            return node.history[key]
    name = names.preferred(rsc)
    inst = names.instances.get(rsc)
    p = prims.get(inst.primitive if inst is not None else name)
    hist = ResourceHistory(
        rsc=name,
        cls=p.cls if p else None,
        provider=p.provider if p else None,
        type=p.type if p else None,
    )
    node.history[name] = hist
    return hist


def _fence(status: Status, config: Config, target: str, how: str) -> None:
    """A fenced node (not for "on"): out of the cluster, its resource history
    and transient attributes cleared; a node the status never listed gets
    its entry."""
    if how == "on":
        return
    node = status.nodes.get(target)
    if node is None:
        node_id = next((n.id for n in config.nodes if n.uname == target), target)
        node = status.nodes[target] = NodeStatus(name=target, id=node_id)
    node.in_ccm = False
    node.in_ccm_recorded = True
    node.crmd = "offline"
    node.join = "down"
    node.expected = "down"
    node.unclean = False
    node.history.clear()
    node.attributes.clear()


class _Run:
    """Records each executed action in a copy of the status, as crm_simulate
    does: one operation result per resource action."""

    def __init__(self, config: Config, status: Status, names: ActionNames) -> None:
        self.status = copy.deepcopy(status)
        self.config = config
        self.names = names
        self.prims = _primitives(config)
        self.call = max(
            (op.call_id for n in status.nodes.values() for h in n.history.values() for op in h.ops),
            default=0,
        )

    def apply(self, a: Action) -> None:
        node = self.status.nodes.get(a.node or "")
        if a.task in ("stonith", "fence"):
            if a.node is not None:
                _fence(self.status, self.config, a.node, a.meta.get("stonith_action") or "reboot")
            return
        if a.pseudo or a.rsc is None or node is None or a.task in _CLUSTER_TASKS:
            return
        if a.task in ("delete", "meta-data"):
            return
        hist = _history_for(node, a, self.names, self.prims)
        if a.task in ("notify", "cancel"):
            return
        self.call += 1
        inst = self.names.instances.get(a.rsc)
        rc = _expected_rc(a, self.prims.get(inst.primitive if inst is not None else a.rsc))
        hist.ops.append(
            OpRecord(
                id=f"{hist.rsc}_{a.task}_{a.interval_ms}",
                operation=a.task,
                interval_ms=a.interval_ms,
                rc=rc,
                call_id=self.call,
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
    out.extend(header_lines(state))
    out.append("Current cluster status:")
    out.extend(status_lines(config, state))
    out.append("")
    out.append("Transition Summary:")
    out.extend(summary_lines(transition.summary))
    out.append("")
    out.append("Executing Cluster Transition:")
    names = ActionNames(state)
    run = _Run(config, status, names)
    for a in execution_order(transition, synapse_order(config, state, transition)):
        out.append(action_line(a, names.shown(a.rsc) if a.rsc else ""))
        run.apply(a)
    out.append("")
    out.append("Revised Cluster Status:")
    out.extend(status_lines(config, unpack(config, run.status, now)))
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
