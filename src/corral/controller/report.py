"""What ``corral status`` shows, computed from one ``ClusterView`` (pure).

Node states: ``online`` (holds a lease), ``standby``, ``maintenance`` (online
but with that attribute), ``unclean`` (lease gone while it may still run
something: the controller waits for its watchdog), ``offline``. A resource
instance is shown where its agent reports it (Started, Promoted, Unpromoted,
Failed); one that runs nowhere is Stopped.
"""

from __future__ import annotations

from typing import Any

from corral.controller import fence_rules, nodeloss
from corral.controller.snapshot import ClusterView
from corral.model.config import Clone, Group, Primitive

_TRUE = ("true", "on", "yes", "1", "y")


def _flag(attrs: dict[str, Any], name: str) -> bool:
    return str(attrs.get(name, "")).lower() in _TRUE


def node_states(view: ClusterView, now: float) -> list[dict[str, Any]]:
    cfg = {n.uname: n for n in view.config.nodes}
    out = []
    busy = view.busy_nodes()
    for name in sorted(view.known_nodes()):
        rec = view.node_records.get(name, {})
        attrs = {
            **(cfg[name].attributes if name in cfg else {}),
            **(rec.get("permanent") or {}),
            **(rec.get("attributes") or {}),
        }
        member = view.members.get(name)
        lost = view.lost.get(name)
        entry: dict[str, Any] = {"name": name, "reason": None}
        op = view.fence_ops.get(name)
        if op is not None and (lost is not None or member is None):
            entry["state"] = "unclean"
            entry["fencing"] = "device"
            entry["reason"] = fence_rules.describe_op(op, now)
        elif lost is not None and fence_rules.method_for(view, name) == "device":
            entry["state"] = "unclean"
            entry["fencing"] = "device"
            entry["reason"] = "lease expired; fencing through a device"
        elif lost is not None:
            since, _ = lost
            entry["state"] = "unclean"
            left = max(0.0, since + nodeloss.DEFAULT_MARGIN_S - now)
            entry["fencing"] = "watchdog"
            entry["reason"] = (
                f"lease expired {now - since:.1f} s ago; watchdog fencing: recovering its "
                f"resources once its watchdog has killed them"
                + (f" (in {left:.1f} s)" if left > 0 else "")
            )
        elif member is None and name in busy:
            entry["state"] = "unclean"
            entry["reason"] = "lease expired; the controller has not seen it yet"
        elif member is None:
            entry["state"] = "offline"
        elif op is not None:
            entry["state"] = "online"
            entry["fencing"] = "device"
            entry["reason"] = fence_rules.describe_op(op, now)
        elif _flag(attrs, "maintenance"):
            entry["state"] = "maintenance"
        elif _flag(attrs, "standby"):
            entry["state"] = "standby"
        else:
            entry["state"] = "online"
        entry["agent_pid"] = (member or {}).get("pid") or (rec.get("agent") or {}).get("pid")
        entry["self_fence"] = rec.get("self_fence")
        hist = view.fence_history.get(name)
        entry["last_fenced"] = _last_fenced(hist[-1][1]) if hist else None
        out.append(entry)
    return out


def _last_fenced(e: dict[str, Any]) -> dict[str, Any]:
    return {k: e.get(k) for k in ("device", "action", "result", "reason", "when")}


def _kind_of(view: ClusterView) -> dict[str, tuple[str, str | None]]:
    """primitive id -> (kind of its top resource, top id)."""
    out: dict[str, tuple[str, str | None]] = {}
    for r in view.config.resources:
        if isinstance(r, Primitive):
            out[r.id] = ("primitive", None)
        elif isinstance(r, Group):
            for c in r.children:
                out[c.id] = ("group", r.id)
        elif isinstance(r, Clone):
            kids = r.child.children if isinstance(r.child, Group) else [r.child]
            for c in kids:
                out[c.id] = ("clone", r.id)
    return out


def resources(view: ClusterView) -> list[dict[str, Any]]:
    kinds = _kind_of(view)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for (node, rsc), doc in sorted(view.ops.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        role = str(doc.get("role", "Stopped"))
        base = rsc.split(":", 1)[0]
        if role == "Stopped":
            continue
        seen.add(base)
        kind, parent = kinds.get(base, ("orphan", None))
        out.append({"id": rsc, "state": role, "node": node, "kind": kind, "parent": parent})
    for p in view.config.all_primitives():
        if p.id not in seen:
            kind, parent = kinds.get(p.id, ("primitive", None))
            disabled = p.meta.get("target-role", "").lower() == "stopped"
            out.append(
                {
                    "id": p.id,
                    "state": "Stopped" + (" (disabled)" if disabled else ""),
                    "node": None,
                    "kind": kind,
                    "parent": parent,
                }
            )
    return out


def failed_actions(view: ClusterView) -> list[dict[str, Any]]:
    out = []
    for (node, rsc), doc in sorted(view.ops.items()):
        lf = doc.get("last_failure")
        if lf and int(doc.get("fail_count", 0)) > 0:
            out.append(
                {
                    "rsc": rsc,
                    "node": node,
                    "op": f"{lf.get('task')}_{lf.get('interval_ms', 0)}",
                    "rc": lf.get("rc"),
                    "reason": lf.get("exit_reason") or lf.get("kind") or "",
                    "at": lf.get("start"),
                    "fail_count": doc.get("fail_count"),
                }
            )
    return out


def report(
    view: ClusterView, now: float, controller_state: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "revision": view.revision,
        "leader": (view.leader or {}).get("name"),
        "nodes": node_states(view, now),
        "resources": resources(view),
        "failed_actions": failed_actions(view),
        "fencing": fence_rules.pending(view, now),
        "controller": controller_state or {},
        "transitions": view.counter,
    }
