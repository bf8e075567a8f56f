"""Status: what is true now. Node membership and state, and per node per
resource the operation history (Pacemaker's ``lrm_rsc_op`` records)."""

from __future__ import annotations

from dataclasses import dataclass, field

# the actions a resource agent runs for a resource (an op's name in the configuration),
# and with the two that describe the agent itself, all an OCF agent answers
RESOURCE_ACTIONS = frozenset(
    {
        "start",
        "stop",
        "monitor",
        "promote",
        "demote",
        "notify",
        "reload",
        "reload-agent",
        "migrate_to",
        "migrate_from",
    }
)
AGENT_ACTIONS = RESOURCE_ACTIONS | {"validate-all", "meta-data"}

# OCF exit codes
OCF_SUCCESS = 0
OCF_ERR_GENERIC = 1
OCF_ERR_ARGS = 2
OCF_ERR_UNIMPLEMENTED = 3
OCF_ERR_PERM = 4
OCF_ERR_INSTALLED = 5
OCF_ERR_CONFIGURED = 6
OCF_NOT_RUNNING = 7
OCF_RUNNING_PROMOTED = 8
OCF_FAILED_PROMOTED = 9

# execution status of an operation (Pacemaker's op-status)
OP_PENDING = -1
OP_DONE = 0
OP_CANCELLED = 1
OP_TIMEOUT = 2
OP_NOTSUPPORTED = 3
OP_ERROR = 4
OP_ERROR_HARD = 5
OP_ERROR_FATAL = 6
OP_NOT_INSTALLED = 7
OP_NOT_CONNECTED = 8
OP_INVALID = 9


@dataclass(slots=True)
class OpRecord:
    """One recorded operation result of one resource on one node."""

    id: str
    operation: str
    interval_ms: int = 0
    rc: int = 0
    op_status: int = OP_DONE
    call_id: int = 0
    last_rc_change: int | None = None  # epoch seconds
    last_run: int | None = None
    exec_time_ms: int = 0
    exit_reason: str = ""
    transition_key: str | None = None
    on_node: str | None = None
    digest: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # migrate_source/target, ...


@dataclass(slots=True)
class ResourceHistory:
    rsc: str
    cls: str | None = None
    provider: str | None = None
    type: str | None = None
    ops: list[OpRecord] = field(default_factory=list)
    container: str | None = None
    shutdown_lock: int | None = None  # epoch seconds of a shutdown lock
    # where in ``ops`` a second (third...) record of the same resource on the same
    # node begins: Pacemaker reads each ``lrm_resource`` element on its own
    segments: list[int] = field(default_factory=list)


@dataclass(slots=True)
class NodeStatus:
    """A node's membership and its controller's view of it."""

    name: str
    id: str | None = None
    in_ccm: bool = False  # member of the cluster layer (corral: holds a live lease)
    # False when the CIB records no in_ccm at all: "peer has not been seen by the cluster"
    in_ccm_recorded: bool = True
    crmd: str = "offline"  # online | offline
    join: str = "down"  # member | down | pending | banned
    expected: str = "down"
    shutdown: int = 0
    unclean: bool = False  # explicitly marked as needing fencing
    attributes: dict[str, str] = field(default_factory=dict)  # transient attributes
    history: dict[str, ResourceHistory] = field(default_factory=dict)
    remote_node: bool = False
    node_fenced: bool = False  # a remote/guest node recorded as fenced
    in_maintenance: bool = False  # node_in_maintenance (remote nodes)

    @property
    def online(self) -> bool:
        return self.in_ccm and self.crmd == "online" and self.join == "member"


@dataclass(slots=True)
class Status:
    nodes: dict[str, NodeStatus] = field(default_factory=dict)
    have_quorum: bool = True
    dc: str | None = None
    tickets: dict[str, dict[str, str]] = field(default_factory=dict)
    # the CIB's ``execution-date`` (epoch seconds): the "now" the input was taken at
    execution_date: int | None = None
    # the CIB's ``no-quorum-panic``: without quorum, nodes fence themselves
    no_quorum_panic: bool = False
    # the CIB's ``crm_feature_set``: Pacemaker reads old operation records by the
    # rules of the version that wrote them (None: not given, the oldest rules)
    feature_set: str | None = "3.16.1"
