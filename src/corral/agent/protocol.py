"""The wire formats between the controller and a node's agent, and the store keys.

All values are JSON objects (compact, key-sorted, as ``Put.json`` writes them).
Times are epoch seconds (float); durations and intervals are integer milliseconds.
Unknown fields are ignored on read, so either side may add optional fields.

Keys (``/corral/<cluster>/`` prefix, see ``Keys``)::

    members/<node>              MemberRecord  on the agent's lease: present while alive
    status/nodes/<node>         NodeRecord    node attributes, agent facts, self-fencing report
    status/ops/<node>/<rsc>     ResourceOps   the resource's operation history on the node
    actions/<node>/<id>         Action        written by the controller, removed by the agent
                                              once its result is in status/ops/<node>/<rsc>

**Action** (controller -> agent), e.g.::

    {"id": "t42-7", "rsc": "web", "task": "start", "interval_ms": 0, "timeout_ms": 20000,
     "agent": {"cls": "ocf", "provider": "heartbeat", "type": "IPaddr2"},
     "params": {"ip": "10.213.0.100", "cidr_netmask": "24"}, "meta": {},
     "role": null, "expected_rc": null, "transition_key": "42:7:0:uuid"}

    {"id": "t42-8", "rsc": "api", "task": "start", "timeout_ms": 10000,
     "agent": {"cls": "process", "argv": ["python3", "-m", "http.server", "8080"],
               "env": {}, "cwd": null, "user": null,
               "health": {"kind": "http", "port": 8080, "path": "/", "timeout_ms": 2000}}}

Tasks: ``start stop monitor promote demote notify reload validate-all meta-data`` run the
agent. Recurring monitors are *actions*: ``monitor`` with ``interval_ms > 0`` runs once at
once (that result is the action's result) and then every ``interval_ms`` until cancelled;
the agent keeps them in its state directory, so they resume after a restart. ``cancel``
(with the ``interval_ms`` of the monitor) cancels one; ``stop`` cancels every recurring
monitor of the resource before it stops it. ``cleanup`` resets the fail count and the last
failure (no agent call). ``forget`` cancels the monitors and deletes the resource's history
on the node (no agent call). ``meta`` becomes ``OCF_RESKEY_CRM_meta_<name>`` (clone_max,
notify_type, promotable, ...). A clone instance ``web:1`` runs with
``OCF_RESOURCE_INSTANCE=web``. Actions of one resource run one at a time, in the order
they were written (store create revision); different resources run concurrently.

``expected_rc``: what counts as success. Default: 0; a recurring monitor with
``role="Promoted"`` expects 8; a probe (monitor, interval 0) never counts as a failure
for 0, 7 or 8.

Each action is executed once: the agent journals its id (and then its result) in its
state directory before it touches the store, so a restarted agent re-publishes the
journaled result instead of running it again.

**ResourceOps** (agent -> store, ``status/ops/<node>/<rsc>``)::

    {"rsc": "web", "node": "n1", "agent": {...AgentSpec...},
     "ops": {"start_0": OpRecord, "monitor_10000": OpRecord, "stop_0": OpRecord},
     "last": "monitor_10000", "role": "Started",
     "fail_count": 1, "fail_counts": {"monitor_10000": 1},
     "last_failure": OpRecord | null, "monitors": [10000], "updated": 1764000000.5}

``role``: the agent's view from the last result — Started, Stopped, Promoted,
Unpromoted, or Failed (a failed start/stop/monitor: state unknown).

**OpRecord**::

    {"task": "monitor", "interval_ms": 10000, "rc": 7, "kind": "not-running",
     "op_status": 0, "exit_reason": "process 4242 is gone", "start": 1764000000.1,
     "duration_ms": 3, "call_id": 17, "action_id": "t42-9" | null,
     "transition_key": "..." | null, "failed": true, "output": "last lines (failures only)"}

``kind`` is one of corral.executors.result.ResultKind (success, not-running, promoted,
failed-promoted, error-generic, error-args, unimplemented, perm, not-installed,
not-configured, timeout, cancelled); ``op_status`` is Pacemaker's execution status
(corral.model.status.OP_*): 0 done, 1 cancelled, 2 timeout, 3 not supported, 5 hard
error, 7 not installed. A recurring monitor is re-recorded only when its rc changes.

**NodeRecord** (``status/nodes/<node>``)::

    {"node": "n1", "attributes": {"master-redis": "10"}, "permanent": {...},
     "crm_config": {...}, "agent": {"pid": 123, "host": "h", "started": 1764000000.0,
     "lease": 7587} , "self_fence": null | {"at": ..., "reason": "...",
     "stopped": ["web"], "failed": []}, "updated": ...}

**MemberRecord** (``members/<node>``)::

    {"node": "n1", "lease": 7587, "pid": 123, "host": "h", "since": 1764000000.0}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from corral.executors.health import HealthCheck
from corral.executors.process import ProcessSpec
from corral.model.cluster import DEFAULT_CLUSTER
from corral.model.status import AGENT_ACTIONS

PROTOCOL_VERSION = 1

AGENT_TASKS = AGENT_ACTIONS
LOCAL_TASKS = frozenset({"cancel", "cleanup", "forget"})
TASKS = AGENT_TASKS | LOCAL_TASKS
CLASSES = frozenset({"ocf", "process"})


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


@dataclass(slots=True)
class Keys:
    """The store keys of one cluster."""

    cluster: str = DEFAULT_CLUSTER

    @property
    def root(self) -> str:
        return f"/corral/{self.cluster}/"

    def member(self, node: str) -> str:
        return f"{self.root}members/{node}"

    @property
    def members(self) -> str:
        return f"{self.root}members/"

    def node_status(self, node: str) -> str:
        return f"{self.root}status/nodes/{node}"

    def ops_prefix(self, node: str) -> str:
        return f"{self.root}status/ops/{node}/"

    def ops(self, node: str, rsc: str) -> str:
        return f"{self.ops_prefix(node)}{rsc}"

    def actions(self, node: str) -> str:
        return f"{self.root}actions/{node}/"

    def action(self, node: str, action_id: str) -> str:
        return f"{self.actions(node)}{action_id}"

    @property
    def config_resources(self) -> str:
        return f"{self.root}config/resources/"


@dataclass(slots=True)
class AgentSpec:
    """Which resource agent: ``ocf`` (provider, type) or ``process`` (argv and friends)."""

    cls: str
    provider: str | None = None
    type: str | None = None
    argv: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    user: str | None = None
    health: HealthCheck | None = None

    @property
    def name(self) -> str:
        if self.cls == "ocf":
            return f"ocf:{self.provider}:{self.type}"
        return f"process:{(self.argv or ['?'])[0]}"

    def process_spec(self) -> ProcessSpec:
        return ProcessSpec(
            argv=list(self.argv or []),
            env=dict(self.env),
            cwd=self.cwd,
            user=self.user,
            health=self.health,
        )

    def to_dict(self) -> dict[str, Any]:
        if self.cls == "ocf":
            return {"cls": "ocf", "provider": self.provider, "type": self.type}
        return {
            "cls": self.cls,
            "argv": list(self.argv or []),
            "env": dict(self.env),
            "cwd": self.cwd,
            "user": self.user,
            "health": self.health.to_dict() if self.health else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AgentSpec:
        h = d.get("health")
        return cls(
            cls=str(d.get("cls") or d.get("class") or ""),
            provider=d.get("provider"),
            type=d.get("type"),
            argv=[str(a) for a in d["argv"]] if d.get("argv") is not None else None,
            env={str(k): str(v) for k, v in (d.get("env") or {}).items()},
            cwd=d.get("cwd"),
            user=d.get("user"),
            health=HealthCheck.from_dict(h) if h else None,
        )


@dataclass(slots=True)
class Action:
    """One action the controller sends one node (``actions/<node>/<id>``)."""

    id: str
    rsc: str
    task: str
    agent: AgentSpec | None = None  # not needed for cancel/cleanup/forget
    interval_ms: int = 0
    timeout_ms: int = 20_000
    params: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    role: str | None = None  # for monitors: "Promoted" expects rc 8
    expected_rc: int | None = None
    transition_key: str | None = None
    created: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["agent"] = self.agent.to_dict() if self.agent else None
        return d

    def to_json(self) -> bytes:
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Action:
        agent = d.get("agent")
        return cls(
            id=str(d["id"]),
            rsc=str(d["rsc"]),
            task=str(d["task"]),
            agent=AgentSpec.from_dict(agent) if agent else None,
            interval_ms=int(d.get("interval_ms") or 0),
            timeout_ms=int(d.get("timeout_ms") or 20_000),
            params={str(k): str(v) for k, v in (d.get("params") or {}).items()},
            meta={str(k): str(v) for k, v in (d.get("meta") or {}).items()},
            role=d.get("role"),
            expected_rc=d.get("expected_rc"),
            transition_key=d.get("transition_key"),
            created=d.get("created"),
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Action:
        return cls.from_dict(json.loads(data))

    @property
    def op_key(self) -> str:
        return op_key(self.task, self.interval_ms)

    @property
    def is_probe(self) -> bool:
        return self.task == "monitor" and self.interval_ms == 0

    def expected(self) -> frozenset[int]:
        """The rc values that count as success for this action."""
        if self.expected_rc is not None:
            return frozenset({int(self.expected_rc)})
        if self.is_probe:
            return frozenset({0, 7, 8})
        if self.task == "monitor" and self.role == "Promoted":
            return frozenset({8})
        return frozenset({0})


def op_key(task: str, interval_ms: int) -> str:
    return f"{task}_{interval_ms}"


@dataclass(slots=True)
class OpRecord:
    """The result of one operation, as recorded in ``ResourceOps.ops``."""

    task: str
    interval_ms: int
    rc: int
    kind: str
    op_status: int
    start: float
    duration_ms: int
    call_id: int
    exit_reason: str = ""
    action_id: str | None = None
    transition_key: str | None = None
    failed: bool = False
    output: str = ""  # tail of stderr/stdout, only for failures

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OpRecord:
        return cls(
            task=str(d["task"]),
            interval_ms=int(d.get("interval_ms", 0)),
            rc=int(d["rc"]),
            kind=str(d.get("kind", "")),
            op_status=int(d.get("op_status", 0)),
            start=float(d.get("start", 0.0)),
            duration_ms=int(d.get("duration_ms", 0)),
            call_id=int(d.get("call_id", 0)),
            exit_reason=str(d.get("exit_reason", "")),
            action_id=d.get("action_id"),
            transition_key=d.get("transition_key"),
            failed=bool(d.get("failed", False)),
            output=str(d.get("output", "")),
        )


@dataclass(slots=True)
class ResourceOps:
    """A resource's operation history on one node (``status/ops/<node>/<rsc>``)."""

    rsc: str
    node: str
    agent: AgentSpec | None = None
    ops: dict[str, OpRecord] = field(default_factory=dict)
    last: str | None = None
    role: str = "Stopped"
    fail_count: int = 0
    fail_counts: dict[str, int] = field(default_factory=dict)
    last_failure: OpRecord | None = None
    monitors: list[int] = field(default_factory=list)
    updated: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rsc": self.rsc,
            "node": self.node,
            "agent": self.agent.to_dict() if self.agent else None,
            "ops": {k: v.to_dict() for k, v in self.ops.items()},
            "last": self.last,
            "role": self.role,
            "fail_count": self.fail_count,
            "fail_counts": dict(self.fail_counts),
            "last_failure": self.last_failure.to_dict() if self.last_failure else None,
            "monitors": sorted(self.monitors),
            "updated": self.updated,
        }

    def to_json(self) -> bytes:
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResourceOps:
        agent = d.get("agent")
        lf = d.get("last_failure")
        return cls(
            rsc=str(d["rsc"]),
            node=str(d["node"]),
            agent=AgentSpec.from_dict(agent) if agent else None,
            ops={k: OpRecord.from_dict(v) for k, v in (d.get("ops") or {}).items()},
            last=d.get("last"),
            role=str(d.get("role", "Stopped")),
            fail_count=int(d.get("fail_count", 0)),
            fail_counts={str(k): int(v) for k, v in (d.get("fail_counts") or {}).items()},
            last_failure=OpRecord.from_dict(lf) if lf else None,
            monitors=[int(i) for i in d.get("monitors") or []],
            updated=float(d.get("updated", 0.0)),
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> ResourceOps:
        return cls.from_dict(json.loads(data))

    @property
    def last_op(self) -> OpRecord | None:
        return self.ops.get(self.last) if self.last else None


@dataclass(slots=True)
class SelfFence:
    """What the agent did when it lost its lease (reported in ``NodeRecord.self_fence``)."""

    at: float
    reason: str
    stopped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SelfFence:
        return cls(
            at=float(d["at"]),
            reason=str(d.get("reason", "")),
            stopped=[str(x) for x in d.get("stopped", [])],
            failed=[str(x) for x in d.get("failed", [])],
        )


@dataclass(slots=True)
class NodeRecord:
    """``status/nodes/<node>``: the node's attributes and its agent's facts."""

    node: str
    attributes: dict[str, str] = field(default_factory=dict)  # transient (reboot)
    permanent: dict[str, str] = field(default_factory=dict)  # lifetime forever
    crm_config: dict[str, str] = field(default_factory=dict)
    agent: dict[str, Any] = field(default_factory=dict)
    self_fence: SelfFence | None = None
    updated: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["self_fence"] = self.self_fence.to_dict() if self.self_fence else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NodeRecord:
        sf = d.get("self_fence")
        return cls(
            node=str(d["node"]),
            attributes=dict(d.get("attributes") or {}),
            permanent=dict(d.get("permanent") or {}),
            crm_config=dict(d.get("crm_config") or {}),
            agent=dict(d.get("agent") or {}),
            self_fence=SelfFence.from_dict(sf) if sf else None,
            updated=float(d.get("updated", 0.0)),
        )


@dataclass(slots=True)
class MemberRecord:
    node: str
    lease: int
    pid: int
    host: str
    since: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MemberRecord:
        return cls(
            node=str(d["node"]),
            lease=int(d.get("lease", 0)),
            pid=int(d.get("pid", 0)),
            host=str(d.get("host", "")),
            since=float(d.get("since", 0.0)),
        )
