"""The cluster as the scheduler sees it: Pacemaker's "unpack" step, as types.

``unpack(config, status, now)`` (in ``corral.scheduler.unpack``) reads the raw
configuration and status and answers the questions every later step asks:
which nodes can run resources (online, standby, maintenance, unclean, shutting
down), where each primitive *instance* is active and in which role, where its
last relevant operation failed, its fail counts (after failure-timeout
expiry), where its state is already known (probed) and which recurring
monitors run. The types here are that answer; they only grow (new fields with
defaults), so the placement code can rely on them.

Words as in Pacemaker Explained:
- an *instance* is one copy of a primitive: ``web`` for a plain primitive,
  ``web:0``, ``web:1``... for the copies of a cloned primitive (also inside a
  cloned group: ``grp:0`` holds ``a:0`` and ``b:0``);
- *roles* are ``Stopped``, ``Started``, ``Unpromoted``, ``Promoted``
  (``Unknown`` never leaves unpack);
- a node is *unclean* when the cluster cannot be sure what runs there and must
  fence it before recovering its resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.model.status import OpRecord

ROLE_STOPPED = "Stopped"
ROLE_STARTED = "Started"
ROLE_UNPROMOTED = "Unpromoted"
ROLE_PROMOTED = "Promoted"

# on-fail handling, least to most severe (Pacemaker's order of precedence)
ON_FAIL_ORDER = ("ignore", "demote", "restart", "stop", "standby", "block", "fence")


@dataclass(slots=True)
class NodeInfo:
    """One node, after interpreting membership, attributes and failures.

    ``online``: a cluster member that can run resources now (for a remote node:
    its connection is up). ``standby`` covers the ``standby`` node attribute,
    the transient ``standby`` attribute and ``standby_onfail`` (a resource
    failed there with ``on-fail=standby``). ``maintenance`` covers the node
    attribute and the cluster's ``maintenance-mode``. ``unclean``: must be
    fenced (lost while expected up with stonith enabled, a failed stop without
    a way to recover, on-fail=fence, ...); ``unclean_reason`` says why, in the
    words of the "Fence (reboot) node 'reason'" summary line. ``shutdown``:
    the node asked to leave (``shutdown`` transient attribute). ``pending``:
    joining, not yet a full member. ``attributes`` is what rules see: the
    configured node attributes merged with the transient ones, plus
    ``#uname``, ``#id``, ``#kind`` (and ``#cluster-name`` etc. when known).
    """

    name: str
    id: str | None = None
    kind: str = "cluster"  # cluster | remote | container | ping
    online: bool = False
    standby: bool = False
    standby_onfail: bool = False
    maintenance: bool = False
    unclean: bool = False
    unclean_reason: str | None = None
    shutdown: bool = False
    pending: bool = False
    remote: bool = False
    expected_up: bool = False
    is_dc: bool = False
    unseen: bool = False  # configured, never seen by the cluster layer
    health: str = "green"  # green | yellow | red, from the #health-* attributes
    attributes: dict[str, str] = field(default_factory=dict)
    utilization: dict[str, str] = field(default_factory=dict)

    @property
    def can_run(self) -> bool:
        """May new resources be placed here (before any constraint)?"""
        return (
            self.online
            and not self.standby
            and not self.maintenance
            and not self.unclean
            and not self.shutdown
            and not self.pending
        )


@dataclass(slots=True)
class FailCount:
    """Fail count of one instance on one node (summed over operations), after
    failure-timeout expiry. ``last_failure`` is epoch seconds (0 if unknown)."""

    count: int = 0
    last_failure: int = 0
    expired: bool = False  # counts existed but failure-timeout has passed


@dataclass(slots=True)
class FailedOp:
    """An operation whose result is a failure that still matters."""

    node: str
    op: OpRecord
    on_fail: str  # the effective on-fail handling (see ON_FAIL_ORDER)
    expired: bool = False


@dataclass(slots=True)
class NodeRscState:
    """What the history of one instance on one node says."""

    node: str
    role: str = ROLE_STOPPED  # the role it is running in there (Stopped if not)
    failed: bool = False  # its last relevant operation failed
    probed: bool = False  # its state there is known (any completed op)
    pending: list[OpRecord] = field(default_factory=list)  # in-flight operations
    monitors: list[tuple[str, int]] = field(default_factory=list)  # active (task, interval_ms)
    last_op: OpRecord | None = None  # the operation that decided ``role``
    ops: list[OpRecord] = field(default_factory=list)  # the history, in call order
    history_name: str | None = None  # the id the history uses (``web``, ``web:3``)
    migrating_to: str | None = None  # a partial live migration from here (migrate_to done)
    migrated_from: str | None = None  # a live migration into here (migrate_from done)
    on_fail: str | None = None  # most severe on-fail among the failures that still matter


@dataclass(slots=True)
class InstanceState:
    """One primitive instance.

    ``active_on`` maps each node where it runs to its role there (more than one
    node: *multiply active*). ``failed_on``: nodes where its last relevant
    operation failed (it still counts as active there unless the failure says
    it is stopped). ``probed_on``: nodes where its state is known; elsewhere a
    probe is needed. ``monitors``: active recurring operations per node.
    ``managed`` is false under is-managed=false or maintenance (resource,
    node-wide only in ``unmanaged_on``, or cluster). ``blocked``: a failure
    whose on-fail is ``block`` (or a failed stop that cannot be fenced): the
    cluster must not touch it. ``orphan``: in the status but not in the
    configuration (it will be stopped). ``on_fail``: the most severe on-fail
    handling among its failures that still matter, or None.
    """

    id: str  # instance id: web, web:1
    primitive: str  # configuration primitive id: web
    clone: str | None = None  # enclosing clone id
    group: str | None = None  # enclosing group id (the template id, not ``grp:0``)
    parent: str | None = None  # immediate parent *instance* id: grp:0, clone id, group id
    clone_instance: int | None = None  # N of ``:N``
    unique: bool = False  # globally-unique clone instance
    active_on: dict[str, str] = field(default_factory=dict)  # node -> role
    failed_on: list[str] = field(default_factory=list)
    fail_counts: dict[str, FailCount] = field(default_factory=dict)
    probed_on: set[str] = field(default_factory=set)
    monitors: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    pending: dict[str, list[OpRecord]] = field(default_factory=dict)
    failures: list[FailedOp] = field(default_factory=list)
    nodes: dict[str, NodeRscState] = field(default_factory=dict)  # per-node detail
    orphan: bool = False
    managed: bool = True
    unmanaged_on: set[str] = field(default_factory=set)  # nodes in maintenance
    blocked: bool = False
    on_fail: str | None = None
    target_role: str | None = None  # resolved target-role meta (None: default)
    history_names: dict[str, str] = field(default_factory=dict)  # node -> name in status
    # the id Pacemaker calls it by in the status (``clone_name``): the last history
    # name that differs from ``id`` (``web`` for anonymous ``web:0``), else None
    history_name: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # effective meta (inherited, defaults)
    agent: str = ""  # class:provider:type (orphans: from the history)
    promotable: bool = False  # instance of a promotable clone

    @property
    def multiply_active(self) -> bool:
        return len(self.active_on) > 1

    @property
    def active(self) -> bool:
        return bool(self.active_on)

    @property
    def failed(self) -> bool:
        return bool(self.failed_on)

    def fail_count(self, node: str) -> int:
        fc = self.fail_counts.get(node)
        return fc.count if fc else 0


@dataclass(slots=True)
class ClusterOptions:
    """Cluster properties resolved with Pacemaker's defaults."""

    stonith_enabled: bool = True
    stonith_action: str = "reboot"
    symmetric_cluster: bool = True
    no_quorum_policy: str = "stop"  # stop | freeze | ignore | demote | suicide
    maintenance_mode: bool = False
    stop_all_resources: bool = False
    start_failure_is_fatal: bool = True
    stop_orphan_resources: bool = True
    stop_orphan_actions: bool = True
    startup_fencing: bool = True
    enable_startup_probes: bool = True
    concurrent_fencing: bool = False
    shutdown_lock: bool = False
    placement_strategy: str = "default"
    node_health_strategy: str = "none"
    have_quorum: bool = True
    default_stickiness: int = 0  # rsc_defaults resource-stickiness
    rsc_defaults: dict[str, str] = field(default_factory=dict)
    op_defaults: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ClusterState:
    """Everything unpack knows. ``nodes`` keeps the configuration's order
    (status-only nodes after); ``instances`` keeps configuration order with
    orphans last; ``instances_of`` maps every resource id (primitive, group,
    clone) to its primitive instance ids."""

    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    instances: dict[str, InstanceState] = field(default_factory=dict)
    options: ClusterOptions = field(default_factory=ClusterOptions)
    now: int = 0
    dc: str | None = None
    instances_of: dict[str, list[str]] = field(default_factory=dict)
    # clone id -> instance ids of its direct children (``grp:0``/``web:0``...)
    clone_children: dict[str, list[str]] = field(default_factory=dict)

    @property
    def have_quorum(self) -> bool:
        return self.options.have_quorum

    def node(self, name: str) -> NodeInfo | None:
        return self.nodes.get(name)

    def instances_for(self, rsc_id: str) -> list[InstanceState]:
        return [self.instances[i] for i in self.instances_of.get(rsc_id, [])]
