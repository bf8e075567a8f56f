"""Configuration: what a person asked for. Mirrors Pacemaker's CIB configuration
section (crm_config, rsc_defaults, op_defaults, nodes, resources, constraints,
fencing-topology) in plain typed values.

Attribute sets are kept as ordered name->value dicts; rule-conditional sets are
resolved by whoever builds the model (the CIB reader evaluates rules that need
no node; node-dependent rules stay in ``Rule`` on location constraints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Attrs = dict[str, str]


@dataclass(slots=True)
class Node:
    id: str
    uname: str
    type: str = "member"  # member | remote | ping
    attributes: Attrs = field(default_factory=dict)
    utilization: Attrs = field(default_factory=dict)
    score: int = 0  # the node's base weight (``<node score=...>``), rarely set


@dataclass(slots=True)
class Op:
    """An operation definition of a primitive (``op monitor interval=10s``)."""

    id: str
    name: str  # start, stop, monitor, promote, demote, notify, migrate_to, ...
    interval_ms: int = 0
    timeout_ms: int | None = None
    role: str | None = None  # Started/Unpromoted/Promoted (normalised), or None
    on_fail: str | None = None
    enabled: bool = True
    meta: Attrs = field(default_factory=dict)  # other op attributes (start-delay, ...)
    instance: Attrs = field(default_factory=dict)  # op instance_attributes (OCF_CHECK_LEVEL)


@dataclass(slots=True)
class Primitive:
    id: str
    cls: str  # ocf | lsb | systemd | service | stonith | process
    type: str
    provider: str | None = None
    instance: Attrs = field(default_factory=dict)
    meta: Attrs = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    utilization: Attrs = field(default_factory=dict)
    template: str | None = None  # the <template> it was built from (already merged in)
    description: str | None = None

    kind: Literal["primitive"] = "primitive"

    @property
    def agent(self) -> str:
        if self.provider:
            return f"{self.cls}:{self.provider}:{self.type}"
        return f"{self.cls}:{self.type}"


@dataclass(slots=True)
class Group:
    id: str
    children: list[Primitive]
    meta: Attrs = field(default_factory=dict)
    instance: Attrs = field(default_factory=dict)

    kind: Literal["group"] = "group"


@dataclass(slots=True)
class Clone:
    id: str
    child: Primitive | Group
    meta: Attrs = field(default_factory=dict)
    promotable: bool = False
    instance: Attrs = field(default_factory=dict)
    legacy_master: bool = False  # written as <master> in the CIB (promotable either way)

    kind: Literal["clone"] = "clone"


Resource = Primitive | Group | Clone


@dataclass(slots=True)
class Expression:
    """A node-attribute test of a rule: ``#uname eq node1``, ``cpu gt 2``, ``attr defined``."""

    id: str
    attribute: str
    operation: str  # lt gt lte gte eq ne defined not_defined
    value: str | None = None
    type: str | None = None  # string | integer | number | version
    value_source: str = "literal"  # literal | param | meta


@dataclass(slots=True)
class DateExpression:
    """A time test of a rule (``date_expression``), evaluated against ``now``."""

    id: str
    operation: str  # gt lt in_range date_spec
    start: str | None = None
    end: str | None = None
    duration: Attrs = field(default_factory=dict)
    date_spec: Attrs = field(default_factory=dict)


@dataclass(slots=True)
class Rule:
    id: str
    score: int | None = None
    score_attribute: str | None = None
    boolean_op: str = "and"
    role: str | None = None
    expressions: list[Expression | DateExpression | Rule] = field(default_factory=list)


@dataclass(slots=True)
class Location:
    id: str
    rsc: str | None
    node: str | None = None
    score: int | None = None
    rules: list[Rule] = field(default_factory=list)
    role: str | None = None
    rsc_pattern: str | None = None
    resource_discovery: str = "always"  # always | never | exclusive


@dataclass(slots=True)
class ResourceSet:
    id: str
    resources: list[str]
    sequential: bool = True
    require_all: bool = True
    role: str | None = None
    action: str | None = None
    ordering: str | None = None
    score: int | None = None


@dataclass(slots=True)
class Colocation:
    """``rsc`` is placed relative to ``with_rsc`` (the dependent follows the primary)."""

    id: str
    rsc: str | None
    with_rsc: str | None
    score: int = 0
    rsc_role: str | None = None
    with_rsc_role: str | None = None
    node_attribute: str = "#uname"
    sets: list[ResourceSet] = field(default_factory=list)
    influence: bool = True


@dataclass(slots=True)
class Order:
    id: str
    first: str | None
    then: str | None
    first_action: str = "start"
    then_action: str | None = None  # defaults to first_action
    kind: str = "Mandatory"  # Mandatory | Optional | Serialize
    symmetrical: bool | None = None  # None: default (True unless Serialize)
    score: int | None = None
    sets: list[ResourceSet] = field(default_factory=list)
    require_all: bool = True


@dataclass(slots=True)
class FencingLevel:
    id: str
    index: int
    devices: list[str]
    target: str | None = None
    target_pattern: str | None = None
    target_attribute: str | None = None
    target_value: str | None = None


@dataclass(slots=True)
class FenceDevice:
    """A fencing device (Pacemaker's stonith resource): a fence agent, its
    parameters, and which nodes it can fence. ``host_map`` maps a node to the
    agent's plug/port ("2" or "2,3"); ``host_check`` is static-list,
    dynamic-list, status or none (None: Pacemaker's default for the agent).
    ``meta`` keeps the other ``pcmk_*`` settings (per-action timeouts, retries,
    action overrides) and meta attributes such as ``priority``."""

    id: str
    agent: str  # fence_ipmilan, fence_dummy, ...
    params: Attrs = field(default_factory=dict)
    host_list: list[str] = field(default_factory=list)
    host_map: Attrs = field(default_factory=dict)
    host_check: str | None = None
    host_argument: str | None = None  # the agent parameter that names the target
    monitor_interval_ms: int = 60_000  # 0: no recurring monitor
    timeout_ms: int | None = None  # None: the cluster's stonith-timeout
    retries: int = 2  # further attempts within the timeout
    delay_max_ms: int = 0
    delay_base_ms: int = 0
    meta: Attrs = field(default_factory=dict)


@dataclass(slots=True)
class Ticket:
    id: str
    ticket: str
    rsc: str | None
    rsc_role: str | None = None
    loss_policy: str = "stop"
    sets: list[ResourceSet] = field(default_factory=list)


@dataclass(slots=True)
class Bundle:
    """A container bundle (recorded, not scheduled by the core): its runtime
    (docker/podman/rkt) settings, network, storage and the primitive inside."""

    id: str
    runtime: str = "docker"
    runtime_attrs: Attrs = field(default_factory=dict)
    network: Attrs = field(default_factory=dict)
    port_mappings: list[Attrs] = field(default_factory=list)
    storage_mappings: list[Attrs] = field(default_factory=list)
    child: Primitive | None = None
    meta: Attrs = field(default_factory=dict)
    instance: Attrs = field(default_factory=dict)
    position: int | None = None  # how many of Config.resources came before it in the CIB


@dataclass(slots=True)
class Config:
    properties: Attrs = field(default_factory=dict)  # crm_config: stonith-enabled, ...
    rsc_defaults: Attrs = field(default_factory=dict)
    op_defaults: Attrs = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    colocations: list[Colocation] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    fencing_levels: list[FencingLevel] = field(default_factory=list)
    fence_devices: list[FenceDevice] = field(default_factory=list)
    bundles: list[Bundle] = field(default_factory=list)
    # tag id -> member ids; constraints naming a tag are already expanded by the reader
    tags: dict[str, list[str]] = field(default_factory=dict)

    def prop(self, name: str, default: str | None = None) -> str | None:
        """A cluster property, by either spelling (``stonith-enabled`` / ``stonith_enabled``)."""
        v = self.properties.get(name)
        if v is None:
            v = self.properties.get(name.replace("-", "_"))
        return default if v is None else v

    def all_primitives(self) -> list[Primitive]:
        out: list[Primitive] = []
        for r in self.resources:
            out.extend(primitives_of(r))
        return out


def primitives_of(r: Resource) -> list[Primitive]:
    if isinstance(r, Primitive):
        return [r]
    if isinstance(r, Group):
        return list(r.children)
    return primitives_of(r.child)


def iter_resources(resources: list[Resource]) -> list[Resource]:
    """Every resource, collective and member, parents before children."""
    out: list[Resource] = []
    for r in resources:
        out.append(r)
        if isinstance(r, Group):
            out.extend(r.children)
        elif isinstance(r, Clone):
            out.extend(iter_resources([r.child]))
    return out
