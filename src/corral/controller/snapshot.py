"""One consistent view of a cluster: configuration, status and membership read at
ONE store revision (a single ``range`` of the cluster's prefix), turned into the
model's ``Config`` and ``Status`` for the scheduler.

Store formats are the agent's (``corral/agent/protocol.py``: MemberRecord,
NodeRecord, ResourceOps, OpRecord), read here as plain JSON because the controller
may not import the agent, and the configuration's (``config/<kind>/<id>``
documents), decoded by ``corral.model.config_docs`` as the commands decode them.

How the store becomes Pacemaker's status:

* a node holding a lease (``members/<node>``) is a full member (in_ccm, crmd
  online, joined);
* a lost node still waiting for its watchdog is *unclean*: out of the
  membership but expected up, its history kept (its resources may still run);
* any other node is cleanly offline;
* each ``status/ops/<node>/<rsc>`` becomes that node's ``lrm_resource`` history,
  and its fail counts the transient attributes ``fail-count-<rsc>#<op>_<interval>``
  and ``last-failure-...`` Pacemaker keeps.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from corral.controller.keys import Keys
from corral.model import config_docs
from corral.model.config import Config
from corral.model.errors import ParseError
from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status
from corral.store.base import KeyValue, Snapshot, Store


@dataclass
class ClusterView:
    """Everything the controller reads, at ``revision``."""

    revision: int
    config: Config
    config_revision: int  # highest mod revision under config/
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    ops: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ops_kv: dict[tuple[str, str], KeyValue] = field(default_factory=dict)
    actions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    lost: dict[str, tuple[float, int]] = field(default_factory=dict)  # node -> (since, rev)
    leader: dict[str, Any] | None = None
    counter: int = 0
    state: dict[str, Any] | None = None  # controller/state: what the leader is doing
    config_error: str | None = None
    # fencing (controller/fencing.py): ops under way, requests, agents' results, the
    # fenced incarnations, the history (node -> [(seq, entry)], oldest first)
    fence_ops: dict[str, dict[str, Any]] = field(default_factory=dict)
    fence_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    fence_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    fenced: dict[str, dict[str, Any]] = field(default_factory=dict)
    fence_history: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    stale_members: dict[str, int] = field(default_factory=dict)  # node -> fenced lease

    def busy_nodes(self) -> set[str]:
        """Nodes that may run something: history or actions in flight."""
        return {n for n, _ in self.ops} | {n for n, _ in self.actions}

    def known_nodes(self) -> list[str]:
        names = [n.uname for n in self.config.nodes]
        for extra in (self.members, self.node_records, {n: 0 for n, _ in self.ops}):
            for n in sorted(extra):
                if n not in names:
                    names.append(n)
        return names


def _json(kv: KeyValue) -> Any:
    try:
        return kv.json()
    except ValueError:
        return None


def decode_config(kvs: list[KeyValue], keys: Keys) -> tuple[Config, int]:
    """The configuration among ``kvs`` (``config/<kind>/<id>``; see
    ``corral.model.config_docs``), with the highest mod revision seen under ``config/``."""
    mine = [kv for kv in kvs if kv.key.startswith(keys.config)]
    rev = max((kv.mod_revision for kv in mine), default=0)
    n = len(keys.config)
    config = config_docs.decode(((kv.key[n:], kv.value) for kv in mine), prefix=keys.config)
    return config, rev


def build_view(snap: Snapshot, keys: Keys) -> ClusterView:
    kvs = list(snap)
    try:
        config, config_rev = decode_config(kvs, keys)
        error = None
    except ParseError as e:
        config, config_rev, error = Config(), 0, e.message
    view = ClusterView(snap.revision, config, config_rev, config_error=error)
    for kv in kvs:
        k = kv.key
        if k.startswith(keys.members):
            doc = _json(kv)
            view.members[k[len(keys.members) :]] = doc if isinstance(doc, dict) else {}
        elif k.startswith(keys.status_nodes):
            doc = _json(kv)
            if isinstance(doc, dict):
                view.node_records[k[len(keys.status_nodes) :]] = doc
        elif k.startswith(keys.status_ops):
            node, _, rsc = k[len(keys.status_ops) :].partition("/")
            doc = _json(kv)
            if rsc and isinstance(doc, dict):
                view.ops[(node, rsc)] = doc
                view.ops_kv[(node, rsc)] = kv
        elif k.startswith(keys.actions):
            node, _, aid = k[len(keys.actions) :].partition("/")
            doc = _json(kv)
            if aid:
                view.actions[(node, aid)] = doc if isinstance(doc, dict) else {}
        elif k.startswith(keys.lost):
            doc = _json(kv) or {}
            view.lost[k[len(keys.lost) :]] = (
                float(doc.get("since", 0)),
                int(doc.get("revision", 0)),
            )
        elif k == keys.leader:
            doc = _json(kv)
            view.leader = (
                doc if isinstance(doc, dict) else {"name": kv.value.decode(errors="replace")}
            )
        elif k == keys.state:
            doc = _json(kv)
            view.state = doc if isinstance(doc, dict) else None
        elif k == keys.counter:
            with contextlib.suppress(TypeError, ValueError):
                view.counter = int((_json(kv) or {}).get("n", 0))
        elif k.startswith((keys.fencing, keys.fence_history)):
            _fencing_key(view, keys, kv)
    _drop_fenced_members(view)
    return view


def _fencing_key(view: ClusterView, keys: Keys, kv: KeyValue) -> None:
    doc = _json(kv)
    if not isinstance(doc, dict):
        return
    k = kv.key
    if k.startswith(keys.fence_history):
        node, _, seq = k[len(keys.fence_history) :].partition("/")
        if seq.isdigit():
            view.fence_history.setdefault(node, []).append((int(seq), doc))
        return
    for prefix, into in (
        (keys.fence_ops, view.fence_ops),
        (keys.fence_requests, view.fence_requests),
        (keys.fence_results, view.fence_results),
        (keys.fenced, view.fenced),
    ):
        if k.startswith(prefix):
            into[k[len(prefix) :]] = doc
            return


def _drop_fenced_members(view: ClusterView) -> None:
    """A member key on the lease of a life that was fenced is not a member: a fenced
    node comes back only with a new lease (DESIGN.md, "A node's death, safely")."""
    for node, doc in view.fenced.items():
        member = view.members.get(node)
        lease = doc.get("lease")
        if member is not None and lease and member.get("lease") == lease:
            view.stale_members[node] = int(lease)
            del view.members[node]


async def read_view(store: Store, keys: Keys) -> ClusterView:
    """The cluster at the store's current revision (one range: one revision)."""
    snap = await store.range(keys.prefix)
    return build_view(snap, keys)


# --------------------------------------------------------------------------- to model Status


def model_op(rsc: str, node: str, key: str, rec: dict[str, Any]) -> OpRecord:
    start = float(rec.get("start", 0.0) or 0.0)
    return OpRecord(
        id=f"{rsc}_{key}",
        operation=str(rec.get("task", "monitor")),
        interval_ms=int(rec.get("interval_ms", 0) or 0),
        rc=int(rec.get("rc", 0)),
        op_status=int(rec.get("op_status", 0)),
        call_id=int(rec.get("call_id", 0)),
        last_rc_change=int(start),
        last_run=int(start),
        exec_time_ms=int(rec.get("duration_ms", 0) or 0),
        exit_reason=str(rec.get("exit_reason", "")),
        transition_key=rec.get("transition_key"),
        on_node=node,
    )


def history_of(rsc: str, node: str, doc: dict[str, Any]) -> ResourceHistory:
    agent = doc.get("agent") or {}
    ops = doc.get("ops") or {}
    return ResourceHistory(
        rsc=rsc,
        cls=agent.get("cls"),
        provider=agent.get("provider"),
        type=agent.get("type") or ("process" if agent.get("cls") == "process" else None),
        ops=[model_op(rsc, node, k, v) for k, v in sorted(ops.items()) if isinstance(v, dict)],
    )


def fail_attributes(rsc: str, doc: dict[str, Any], *, start_fatal: bool = True) -> dict[str, str]:
    """The fail-count attributes Pacemaker's controller would have set for ``rsc``.

    Pacemaker's ``start-failure-is-fatal`` (default true) is applied here, where its
    controller applies it: a failed start sets that fail count to INFINITY, so the
    scheduler keeps the resource off the node instead of retrying it there."""
    out: dict[str, str] = {}
    last = doc.get("last_failure") or {}
    when = str(int(float(last.get("start", 0) or 0)))
    for opkey, count in (doc.get("fail_counts") or {}).items():
        if int(count) > 0:
            fatal = start_fatal and str(opkey).startswith("start_")
            out[f"fail-count-{rsc}#{opkey}"] = "INFINITY" if fatal else str(int(count))
            out[f"last-failure-{rsc}#{opkey}"] = when
    return out


def start_failure_is_fatal(config: Config) -> bool:
    value = config.prop("start-failure-is-fatal", "true") or "true"
    return value.strip().lower() in ("true", "yes", "on", "1", "y")


def to_status(view: ClusterView, *, unclean: set[str], now: float) -> Status:
    """The model Status of ``view``; ``unclean``: lost nodes still waiting for their
    watchdog (kept with their history, marked unclean)."""
    status = Status(execution_date=int(now), dc=(view.leader or {}).get("name"))
    start_fatal = start_failure_is_fatal(view.config)
    for name in view.known_nodes():
        member = name in view.members
        rec = view.node_records.get(name, {})
        ns = NodeStatus(name=name, id=name)
        if member:
            ns.in_ccm, ns.crmd, ns.join, ns.expected = True, "online", "member", "member"
        elif name in unclean:
            ns.in_ccm, ns.crmd, ns.join, ns.expected = False, "offline", "down", "member"
            ns.unclean = True
        attrs = {str(k): str(v) for k, v in (rec.get("attributes") or {}).items()}
        if member or name in unclean:
            for (node, rsc), doc in view.ops.items():
                if node == name:
                    ns.history[rsc] = history_of(rsc, name, doc)
                    attrs.update(fail_attributes(rsc, doc, start_fatal=start_fatal))
        ns.attributes = attrs
        status.nodes[name] = ns
    return status


def status_json(status: Status) -> dict[str, Any]:
    """The Status as JSON (saved with each transition so it can be replayed)."""
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(status)))
