"""A scheduler action as the agent's wire ``Action`` (``corral/agent/protocol.py``).

The agent needs to know what to run: for ``ocf`` the provider and type, for
``process`` a command line, from its parameters (``command``, ``cwd``, ``user``,
``env``, ``health``, ``health-timeout``: ``corral.model.process_params``, which the
commands check them with).
"""

from __future__ import annotations

from typing import Any

from corral.model import process_params
from corral.model.config import Config, Primitive, primitives_of
from corral.model.durations import try_parse_ms
from corral.model.status import RESOURCE_ACTIONS
from corral.scheduler.transition import Action

DEFAULT_TIMEOUT_MS = 20_000
AGENT_TASKS = RESOURCE_ACTIONS | {"cancel", "cleanup"}
TASK_ALIASES = {"clear_failcount": "cleanup", "lrm_delete": "forget", "delete": "forget"}
# tasks the agent answers by removing the action, with no record in the history
LOCAL_TASKS = frozenset({"cancel", "cleanup", "forget"})


def primitives_by_id(config: Config) -> dict[str, Primitive]:
    return {p.id: p for p in config.all_primitives()}


def base_id(rsc: str) -> str:
    return rsc.split(":", 1)[0]


def history_name(rsc: str, config: Config) -> str:
    """The name a resource instance's history is kept under: an anonymous clone's
    instances share the primitive's id (``web:1`` -> ``web``), as in Pacemaker."""
    if ":" not in rsc:
        return rsc
    base = base_id(rsc)
    for r in config.resources:
        if r.kind == "clone":
            unique = (r.meta.get("globally-unique") or "false").lower() in (
                "true",
                "1",
                "yes",
                "on",
            )
            if base in {q.id for q in primitives_of(r)}:
                return rsc if unique else base
    return rsc


def agent_spec(p: Primitive) -> dict[str, Any]:
    """The ``agent`` object of an action for primitive ``p``."""
    if p.cls != "process":
        return {"cls": p.cls, "provider": p.provider, "type": p.type}
    return process_params.agent_object(dict(p.instance))


def _duration(v: str | None) -> int | None:
    return try_parse_ms(v) if v else None


def timeout_ms(p: Primitive | None, task: str, interval_ms: int, config: Config) -> int:
    if p is not None:
        for op in p.ops:
            if op.name == task and op.interval_ms == interval_ms and op.timeout_ms:
                return op.timeout_ms
        for op in p.ops:
            if op.name == task and op.timeout_ms:
                return op.timeout_ms
    return _duration(config.op_defaults.get("timeout")) or DEFAULT_TIMEOUT_MS


def wire_action(
    action: Action, *, wire_id: str, transition: int, config: Config, now: float
) -> dict[str, Any]:
    """The document written to ``actions/<node>/<wire_id>``."""
    assert action.rsc is not None
    task = TASK_ALIASES.get(action.task, action.task)
    p = primitives_by_id(config).get(base_id(action.rsc))
    role = action.meta.get("role")
    target_rc = 7 if task == "monitor" and action.interval_ms == 0 else 0
    if task == "monitor" and role == "Promoted":
        target_rc = 8
    meta = {k: v for k, v in action.meta.items() if k not in ("role", "timeout")}
    params = dict(p.instance) if p is not None and p.cls != "process" else {}
    return {
        "id": wire_id,
        "rsc": history_name(action.rsc, config),
        "task": task,
        "interval_ms": action.interval_ms,
        "timeout_ms": timeout_ms(p, action.task, action.interval_ms, config),
        "agent": agent_spec(p) if p is not None else None,
        "params": params,
        "meta": meta,
        "role": role,
        "expected_rc": None,
        "transition_key": f"{action.id}:{transition}:{target_rc}:corral",
        "created": now,
    }


def describe(action: Action) -> str:
    """``start web:1 on n3`` / ``monitor web (10s) on n1``."""
    what = action.task if action.task != "monitor" or action.interval_ms else "probe"
    every = f" every {action.interval_ms / 1000:g}s" if action.interval_ms else ""
    rsc = f" {action.rsc}" if action.rsc else ""
    node = f" on {action.node}" if action.node else ""
    return f"{what}{rsc}{every}{node}"
