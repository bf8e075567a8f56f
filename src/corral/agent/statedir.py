"""The node's state directory: everything the agent must find again after a restart.

    <state>/agent.json               the lease id and the pending self-fencing report
    <state>/callid                   the last call id used
    <state>/resources/<rsc>.json     ResourceState: agent spec, params, meta, recurring
                                     monitors and the operation history (ResourceOps)
    <state>/journal/<action>.json    {"id", "state": "started"|"done", "record": OpRecord}
    <state>/processes/               the process executor's pid files and logs
    <state>/rsctmp/, <state>/bin/    HA_RSCTMP and the Pacemaker-command shims (OCF)
    <state>/attributes.json          node attributes (written by the shims)
    <state>/members.json             the cluster's members (read by crm_node)

Files are replaced atomically (write, rename). They are not fsynced: they must survive
the agent's death (SIGKILL, OOM), not the host's; a host that loses power loses its
resources too.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from corral.agent.protocol import Action, AgentSpec, OpRecord, ResourceOps

JOURNAL_KEEP_S = 24 * 3600
JOURNAL_KEEP_MIN = 1000


def _safe(name: str) -> str:
    return name.replace("%", "%25").replace("/", "%2F")


def _unsafe(name: str) -> str:
    return name.replace("%2F", "/").replace("%25", "%")


def write_json(path: str, obj: Any) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, sort_keys=True, separators=(",", ":"))
    os.replace(tmp, path)


def read_json(path: str) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass(slots=True)
class Monitor:
    """A recurring monitor the agent runs for a resource."""

    interval_ms: int
    timeout_ms: int
    role: str | None = None
    expected_rc: int | None = None
    action_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval_ms": self.interval_ms,
            "timeout_ms": self.timeout_ms,
            "role": self.role,
            "expected_rc": self.expected_rc,
            "action_id": self.action_id,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Monitor:
        return cls(
            interval_ms=int(d["interval_ms"]),
            timeout_ms=int(d.get("timeout_ms", 20_000)),
            role=d.get("role"),
            expected_rc=d.get("expected_rc"),
            action_id=d.get("action_id"),
        )

    def as_action(self, rsc: str, state: ResourceState) -> Action:
        return Action(
            id=f"recurring:{rsc}:monitor_{self.interval_ms}",
            rsc=rsc,
            task="monitor",
            agent=state.agent,
            interval_ms=self.interval_ms,
            timeout_ms=self.timeout_ms,
            params=dict(state.params),
            meta=dict(state.meta),
            role=self.role,
            expected_rc=self.expected_rc,
        )


@dataclass(slots=True)
class ResourceState:
    """What the agent knows about one resource on its node."""

    rsc: str
    node: str
    agent: AgentSpec | None = None
    params: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    monitors: dict[int, Monitor] = field(default_factory=dict)
    history: ResourceOps | None = None

    def ops(self) -> ResourceOps:
        if self.history is None:
            self.history = ResourceOps(rsc=self.rsc, node=self.node, agent=self.agent)
        self.history.agent = self.agent
        self.history.monitors = sorted(self.monitors)
        return self.history

    def to_dict(self) -> dict[str, Any]:
        return {
            "rsc": self.rsc,
            "node": self.node,
            "agent": self.agent.to_dict() if self.agent else None,
            "params": self.params,
            "meta": self.meta,
            "monitors": [m.to_dict() for m in self.monitors.values()],
            "history": self.ops().to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResourceState:
        agent = d.get("agent")
        hist = d.get("history")
        st = cls(
            rsc=str(d["rsc"]),
            node=str(d["node"]),
            agent=AgentSpec.from_dict(agent) if agent else None,
            params=dict(d.get("params") or {}),
            meta=dict(d.get("meta") or {}),
            history=ResourceOps.from_dict(hist) if hist else None,
        )
        for m in d.get("monitors") or []:
            mon = Monitor.from_dict(m)
            st.monitors[mon.interval_ms] = mon
        return st


class StateDir:
    def __init__(self, path: str, node: str) -> None:
        self.path = os.path.abspath(path)
        self.node = node
        for sub in ("resources", "journal", "processes", "rsctmp", "bin"):
            os.makedirs(os.path.join(self.path, sub), exist_ok=True)

    def file(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)

    # -- agent.json
    def agent_info(self) -> dict[str, Any]:
        return read_json(self.file("agent.json")) or {}

    def update_agent_info(self, **fields: Any) -> None:
        info = self.agent_info()
        info.update(fields)
        write_json(self.file("agent.json"), info)

    # -- call ids
    def next_call_id(self) -> int:
        p = self.file("callid")
        try:
            with open(p) as f:
                n = int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            n = 0
        n += 1
        with open(p + ".tmp", "w") as f:
            f.write(str(n))
        os.replace(p + ".tmp", p)
        return n

    # -- resources
    def resources(self) -> dict[str, ResourceState]:
        out: dict[str, ResourceState] = {}
        d = self.file("resources")
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json"):
                continue
            data = read_json(os.path.join(d, name))
            if data:
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    st = ResourceState.from_dict(data)
                    out[st.rsc] = st
        return out

    def save_resource(self, st: ResourceState) -> None:
        write_json(self.file("resources", _safe(st.rsc) + ".json"), st.to_dict())

    def delete_resource(self, rsc: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file("resources", _safe(rsc) + ".json"))

    # -- the action journal
    def _journal(self, action_id: str) -> str:
        return self.file("journal", _safe(action_id) + ".json")

    def journal_get(self, action_id: str) -> dict[str, Any] | None:
        data = read_json(self._journal(action_id))
        return data if isinstance(data, dict) else None

    def journal_started(self, action: Action, call_id: int) -> None:
        write_json(
            self._journal(action.id),
            {
                "id": action.id,
                "rsc": action.rsc,
                "state": "started",
                "call_id": call_id,
                "at": time.time(),
            },
        )

    def journal_done(self, action: Action, record: OpRecord) -> None:
        write_json(
            self._journal(action.id),
            {
                "id": action.id,
                "rsc": action.rsc,
                "state": "done",
                "call_id": record.call_id,
                "at": time.time(),
                "record": record.to_dict(),
            },
        )

    def journal_prune(self, now: float | None = None) -> int:
        """Forget done entries older than a day, keeping at least the newest 1000."""
        now = time.time() if now is None else now
        d = self.file("journal")
        entries = []
        for name in os.listdir(d):
            p = os.path.join(d, name)
            with contextlib.suppress(FileNotFoundError):
                entries.append((os.stat(p).st_mtime, p))
        entries.sort(reverse=True)
        removed = 0
        for mtime, p in entries[JOURNAL_KEEP_MIN:]:
            if now - mtime > JOURNAL_KEEP_S:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(p)
                    removed += 1
        return removed

    # -- members (for crm_node)
    def save_members(self, names: list[str]) -> None:
        write_json(self.file("members.json"), sorted(names))

    def resource_name(self, filename: str) -> str:
        return _unsafe(filename)
