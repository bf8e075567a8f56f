"""Unpack: from configuration and status to the ``ClusterState`` the scheduler
decides on (Pacemaker's "unpack" step). Pure: ``now`` is a parameter.

Order of work, as Pacemaker's: cluster options, nodes (membership, standby,
maintenance, unclean), resource instances (clone copies ``rsc:N``), then each
node's operation history, mapped onto instances. Histories of an *anonymous*
clone name the primitive (``rsc``) or any copy (``rsc:7``); the number means
nothing: on each node the history goes to the copy already active there, else
to the first copy active nowhere, else to a new *orphan* copy. A *unique*
clone's copies are told apart by their number. After the histories: a
resource thought active on a node that is down makes that node unclean, and
each failure's on-fail handling takes effect (fence the node, put it in
standby, block the resource, stop it).
"""

from __future__ import annotations

import itertools

from corral.model import score
from corral.model.config import Clone, Config, Group, Primitive
from corral.model.durations import try_parse_ms
from corral.model.status import OpRecord, ResourceHistory, Status
from corral.scheduler.state import (
    ON_FAIL_ORDER,
    ROLE_STOPPED,
    ClusterOptions,
    ClusterState,
    FailCount,
    InstanceState,
    NodeInfo,
)
from corral.scheduler.unpack_failcounts import FailCountIndex, base_name
from corral.scheduler.unpack_history import (
    HistoryContext,
    expected_rc,
    interpret,
    merge_states,
)
from corral.scheduler.unpack_nodes import bool_opt, is_true, read_options, unpack_nodes


def clone_is_unique(clone: Clone) -> bool:
    """globally-unique, unless an agent class cannot tell copies apart (only OCF
    and fence agents can): such clones are anonymous whatever the setting."""
    if not is_true(clone.meta.get("globally-unique") or clone.meta.get("globally_unique")):
        return False
    child = clone.child
    prims = [child] if isinstance(child, Primitive) else list(child.children)
    return all(p.cls in ("ocf", "stonith") for p in prims)


class _Builder:
    """One unpack run: the state under construction and the lookups it needs."""

    def __init__(self, config: Config, status: Status, now: int) -> None:
        self.config = config
        self.status = status
        self.now = now
        self.opts: ClusterOptions = read_options(config, status)
        self.nodes: dict[str, NodeInfo] = unpack_nodes(config, status, self.opts)
        self.state = ClusterState(nodes=self.nodes, options=self.opts, now=now, dc=status.dc)
        # instances by their immediate parent instance id (grp:0 -> its members)
        self.children_of: dict[str, list[InstanceState]] = {}
        self.prims: dict[str, Primitive] = {}
        self.clone_of: dict[str, Clone] = {}  # primitive id -> enclosing clone
        self.group_of: dict[str, Group] = {}  # primitive id -> enclosing group
        self.blocked_children: set[str] = set()
        self.fail_index = FailCountIndex(self.nodes)
        # instances whose failure-timeout no longer applies (a failure that blocks)
        self.keep_failures: set[str] = set()
        self._have_device: bool | None = None

    # -- configuration side ------------------------------------------------

    def meta_for(self, prim: Primitive) -> dict[str, str]:
        meta = dict(self.opts.rsc_defaults)
        clone = self.clone_of.get(prim.id)
        group = self.group_of.get(prim.id)
        if clone is not None:
            meta.update(clone.meta)
        if group is not None:
            meta.update(group.meta)
        meta.update(prim.meta)
        return meta

    def _new_instance(
        self,
        prim: Primitive,
        iid: str,
        *,
        parent: str | None,
        number: int | None,
        orphan: bool = False,
    ) -> InstanceState:
        clone = self.clone_of.get(prim.id)
        group = self.group_of.get(prim.id)
        inst = InstanceState(
            id=iid,
            primitive=prim.id,
            clone=clone.id if clone else None,
            group=group.id if group else None,
            parent=parent,
            clone_instance=number,
            unique=bool(clone and clone_is_unique(clone)),
            orphan=orphan,
            meta=self.meta_for(prim),
            agent=prim.agent,
            promotable=bool(clone and (clone.promotable or is_true(clone.meta.get("promotable")))),
        )
        self.state.instances[iid] = inst
        if parent is not None:
            self.children_of.setdefault(parent, []).append(inst)
        for rid in {prim.id, group.id if group else None, clone.id if clone else None}:
            if rid is not None:
                self.state.instances_of.setdefault(rid, []).append(iid)
        return inst

    def clone_max(self, clone: Clone) -> int:
        v = clone.meta.get("clone-max") or clone.meta.get("clone_max")
        if v is not None and score.is_score(v):
            return max(0, score.parse(v))
        return len(self.nodes)

    def _clone_copy(self, clone: Clone, n: int, orphan: bool = False) -> str:
        child = clone.child
        if isinstance(child, Primitive):
            cid = f"{child.id}:{n}"
            self._new_instance(child, cid, parent=clone.id, number=n, orphan=orphan)
        else:
            cid = f"{child.id}:{n}"
            for member in child.children:
                self._new_instance(member, f"{member.id}:{n}", parent=cid, number=n, orphan=orphan)
        self.state.clone_children.setdefault(clone.id, []).append(cid)
        return cid

    def build_instances(self) -> None:
        for r in self.config.resources:
            if isinstance(r, Primitive):
                self.prims[r.id] = r
            elif isinstance(r, Group):
                for c in r.children:
                    self.prims[c.id] = c
                    self.group_of[c.id] = r
            elif isinstance(r, Clone):
                if isinstance(r.child, Group):
                    for c in r.child.children:
                        self.prims[c.id] = c
                        self.group_of[c.id] = r.child
                        self.clone_of[c.id] = r
                elif isinstance(r.child, Primitive):
                    self.prims[r.child.id] = r.child
                    self.clone_of[r.child.id] = r
        self.declare_remote_nodes()
        for r in self.config.resources:
            if isinstance(r, Primitive):
                self._new_instance(r, r.id, parent=None, number=None)
            elif isinstance(r, Group):
                for c in r.children:
                    self._new_instance(c, c.id, parent=r.id, number=None)
            elif isinstance(r, Clone):
                self.state.clone_children.setdefault(r.id, [])
                for n in range(self.clone_max(r)):
                    self._clone_copy(r, n)

    # -- mapping histories onto instances ----------------------------------

    def _member_of_copy(self, copy_id: str, base: str) -> InstanceState | None:
        n = copy_id.rsplit(":", 1)[1]
        return self.state.instances.get(f"{base}:{n}")

    def _copy_nodes(self, copy_id: str) -> set[str]:
        out: set[str] = set()
        own = self.state.instances.get(copy_id)
        for inst in [own] if own is not None else []:
            out.update(inst.active_on)
            out.update(n for n, p in inst.pending.items() if p)
        for inst in self.children_of.get(copy_id, ()):
            out.update(inst.active_on)
            out.update(n for n, p in inst.pending.items() if p)
        return out

    def _needs_fencing(self, inst: InstanceState) -> bool:
        req = inst.meta.get("requires")
        if req is None:
            prim = self.prims.get(inst.primitive)
            if prim is not None and prim.cls == "stonith":
                return False
            return self.opts.stonith_enabled
        return req in ("fencing", "unfencing")

    def _anonymous(self, clone: Clone, base: str, node: str) -> InstanceState:
        found: InstanceState | None = None
        inactive: InstanceState | None = None
        skip_inactive = False
        for copy_id in list(self.state.clone_children.get(clone.id, [])):
            where = self._copy_nodes(copy_id)
            member = self._member_of_copy(copy_id, base)
            if where:
                if node in where and member is not None:
                    if member.active_on:
                        skip_inactive = True
                    else:
                        found = member
                        break
            elif not skip_inactive and inactive is None and copy_id not in self.blocked_children:
                inactive = member
        if found is None and not skip_inactive:
            found = inactive
        info = self.nodes.get(node)
        universal = self.clone_max(clone) >= len(self.nodes)
        if (
            found is not None
            and not self._needs_fencing(found)
            and info is not None
            and (not info.online or info.unclean)
            and info.kind != "guest"
            and not universal
        ):
            found = None
        if found is None:
            n = len(self.state.clone_children.get(clone.id, []))
            copy_id = self._clone_copy(clone, n, orphan=True)
            found = self._member_of_copy(copy_id, base)
            assert found is not None
        return found

    def _orphan(self, hist: ResourceHistory) -> InstanceState:
        inst = self.state.instances.get(hist.rsc)
        if inst is not None and inst.orphan:
            return inst
        agent = ":".join(x for x in (hist.cls, hist.provider, hist.type) if x)
        inst = InstanceState(
            id=hist.rsc,
            primitive=hist.rsc,
            orphan=True,
            agent=agent,
            meta=dict(self.opts.rsc_defaults),
        )
        self.state.instances[inst.id] = inst
        self.state.instances_of.setdefault(inst.id, []).append(inst.id)
        return inst

    def resolve(self, hist: ResourceHistory, node: str) -> InstanceState:
        name = hist.rsc
        base = base_name(name)
        prim = self.prims.get(base)
        clone = self.clone_of.get(base) if prim is not None else None
        if clone is not None and not clone_is_unique(clone):
            return self._anonymous(clone, base, node)
        inst = self.state.instances.get(name)
        if inst is not None and (clone is None or name != base):
            return inst
        return self._orphan(hist)

    # -- failures and fail counts ------------------------------------------

    def fail_count(self, inst: InstanceState, node: str) -> FailCount:
        return self.fail_index.read(inst, node, self.failure_timeout_s(inst), self.now)

    def fail_counts_elsewhere(self) -> None:
        """Fail counts on nodes where the instance has no history: only the
        nodes whose attributes may name it are read."""
        where = self.fail_index.nodes_naming(list(self.state.instances.values()))
        for iid, candidates in where.items():
            inst = self.state.instances[iid]
            for node in self.nodes:
                if node in candidates and node not in inst.fail_counts:
                    fc = self.fail_count(inst, node)
                    if fc.count or fc.expired:
                        inst.fail_counts[node] = fc

    def _blocks_timeout(self, inst: InstanceState, ops: list[OpRecord]) -> bool:
        """A failure of an operation configured with on-fail=block: its fail
        count never expires (Pacemaker drops failure-timeout for the resource)."""
        prim = self.prims.get(inst.primitive)
        if prim is None:
            return False
        blocking = {(o.name, o.interval_ms) for o in prim.ops if (o.on_fail or "") == "block"}
        if not blocking:
            return False
        for op in ops:
            want = expected_rc(op)
            if want is not None and op.rc != want and (op.operation, op.interval_ms) in blocking:
                return True
        return False

    def failure_timeout_s(self, inst: InstanceState) -> int:
        if inst.id in self.keep_failures:
            return 0
        v = inst.meta.get("failure-timeout") or inst.meta.get("failure_timeout")
        ms = try_parse_ms(v) if v else None
        return (ms or 0) // 1000

    def on_fail_for(self, inst: InstanceState, task: str, interval_ms: int) -> str:
        prim = self.prims.get(inst.primitive)
        value: str | None = None
        if prim is not None:
            for op in prim.ops:
                if op.name == task and op.interval_ms == interval_ms and op.on_fail:
                    value = op.on_fail
                    break
        if value is None:
            value = self.opts.op_defaults.get("on-fail")
        if value is not None:
            value = value.lower()
        if value == "fence" and not self.opts.stonith_enabled:
            value = "stop"
        if value is None and inst.meta.get("container"):
            value = "restart-container"  # a resource inside a container fails with it
        if value is None:
            if task == "stop":
                value = "fence" if self.opts.stonith_enabled else "block"
            else:
                value = "restart"
        return value

    def _expired(self, inst: InstanceState, fc: FailCount, op: OpRecord) -> bool:
        timeout = self.failure_timeout_s(inst)
        if timeout <= 0 or fc.count > 0:
            return False
        changed = op.last_rc_change or op.last_run or 0
        return changed > 0 and self.now > changed + timeout

    # -- the histories -----------------------------------------------------

    def _process_node(self, node: str) -> bool:
        info = self.nodes.get(node)
        if info is None:
            return False
        return info.online or self.opts.stonith_enabled or info.remote

    def _unpack_entry(self, hist: ResourceHistory, node: str) -> None:
        """One resource's record on one node, mapped onto its instance."""
        inst = self.resolve(hist, node)
        if hist.rsc != inst.id:
            inst.history_name = hist.rsc
        inst.history_names[node] = hist.rsc
        if not inst.agent:
            inst.agent = ":".join(x for x in (hist.cls, hist.provider, hist.type) if x)
        fc = self.fail_count(inst, node)
        if fc.expired and self._blocks_timeout(inst, hist.ops):
            self.keep_failures.add(inst.id)
            fc = self.fail_count(inst, node)
        if fc.count or fc.expired:
            inst.fail_counts[node] = fc
        ctx = HistoryContext(
            node=node,
            promotable=inst.promotable,
            on_fail_for=lambda t, i, _inst=inst: self.on_fail_for(_inst, t, i),
            failure_expired=lambda op, _i=inst, _f=fc: self._expired(_i, _f, op),
            managed=self._managed(inst),
            can_fence=self.can_fence(node),
        )
        st, failures = interpret(hist.ops, ctx)
        if ctx.blocked:
            inst.blocked = True
            inst.managed = False
        st.history_name = hist.rsc
        prev = inst.nodes.get(node)
        if prev is not None and prev.role != ROLE_STOPPED:
            st = merge_states(prev, st)  # a second record of an instance active there
        inst.nodes[node] = st
        inst.failures.extend(failures)
        inst.failures.extend(ctx.hard_failures)
        if st.probed:
            inst.probed_on.add(node)
        if st.pending:
            inst.pending[node] = list(st.pending)
        if st.monitors:
            inst.monitors[node] = list(st.monitors)
        if st.role != ROLE_STOPPED:
            inst.active_on[node] = st.role

    def can_fence(self, node: str) -> bool:
        """Pacemaker's test: stonith enabled, a fencing device configured, and
        quorum (or a policy that ignores its loss, or a target still online)."""
        if self._have_device is None:
            self._have_device = bool(self.config.fence_devices) or any(
                p.cls == "stonith" for p in self.prims.values()
            )
        if not (self.opts.stonith_enabled and self._have_device):
            return False
        if self.opts.have_quorum or self.opts.no_quorum_policy == "ignore":
            return True
        info = self.nodes.get(node)
        return info is not None and info.online

    def _managed(self, inst: InstanceState) -> bool:
        """Managed by its configuration (is-managed, maintenance) at unpack time."""
        meta = inst.meta
        if self.opts.maintenance_mode or is_true(meta.get("maintenance")):
            return False
        return bool_opt(meta.get("is-managed") or meta.get("is_managed"), True)

    def unpack_histories(self) -> None:
        for node, ns in self.status.nodes.items():
            if not self._process_node(node):
                continue
            for whole in ns.history.values():
                for hist in _entries(whole):
                    self._unpack_entry(hist, node)
        self.fail_counts_elsewhere()

    def apply_effects(self) -> None:
        """Per instance, per node (Pacemaker's order): a resource active on a
        node that is down makes it unclean; on an unclean node failures need
        nothing more (fencing recovers them); else on-fail takes effect."""
        for inst in self.state.instances.values():
            worst: str | None = None
            for node, st in inst.nodes.items():
                info = self.nodes.get(node)
                if info is None:
                    continue
                active = st.role != ROLE_STOPPED
                if active and not info.online and not info.unclean and not info.remote:
                    info.unclean = True
                    info.unclean_reason = f"{inst.id} is thought to be active there"
                on_fail = st.on_fail
                if info.unclean:
                    on_fail = None
                if on_fail is None or on_fail == "ignore":
                    continue
                if worst is None or _sev(on_fail) > _sev(worst):
                    worst = on_fail
                if active or on_fail == "restart-container":
                    inst.failed_on.append(node)
                if on_fail == "fence":
                    info.unclean = True
                    info.unclean_reason = f"{inst.id} failed there"
                elif on_fail == "standby":
                    info.standby = True
                    info.standby_onfail = True
                elif on_fail == "block":
                    inst.blocked = True
                    inst.managed = False
                elif on_fail == "stop":
                    inst.target_role = ROLE_STOPPED
            inst.on_fail = worst
            for node in inst.active_on:
                info = self.nodes.get(node)
                if info is not None and info.maintenance:
                    inst.unmanaged_on.add(node)
            meta = inst.meta
            if not bool_opt(meta.get("is-managed") or meta.get("is_managed"), True):
                inst.managed = False
            if is_true(meta.get("maintenance")) or self.opts.maintenance_mode:
                inst.managed = False
            if inst.unmanaged_on:
                inst.managed = False
            if inst.multiply_active and (meta.get("multiple-active") or "") == "block":
                inst.blocked = True
                inst.managed = False
            tr = meta.get("target-role") or meta.get("target_role")
            if tr is not None and inst.target_role is None:
                inst.target_role = _norm_role(tr)

    def _remote_defs(self) -> list[tuple[str, str, Primitive]]:
        out: list[tuple[str, str, Primitive]] = []
        for prim in self.prims.values():
            name: str | None = None
            kind = ""
            if prim.cls == "ocf" and prim.provider == "pacemaker" and prim.type == "remote":
                name, kind = prim.id, "remote"
            elif prim.meta.get("remote-node"):
                name, kind = prim.meta["remote-node"], "guest"
            if name is not None:
                out.append((name, kind, prim))
        return out

    def declare_remote_nodes(self) -> None:
        """Remote (``ocf:pacemaker:remote``) and guest (``remote-node`` meta) nodes."""
        for name, kind, _prim in self._remote_defs():
            info = self.nodes.get(name)
            if info is None:
                info = NodeInfo(name=name, id=name, kind=kind, remote=True)
                info.attributes = {"#uname": name, "#id": name, "#kind": _kind_attr(kind)}
                ns = self.status.nodes.get(name)
                if ns is not None:
                    info.attributes.update(ns.attributes)
                self.nodes[name] = info
            else:
                info.kind = kind
                info.remote = True
                info.attributes["#kind"] = _kind_attr(kind)

    def remote_nodes(self) -> None:
        """A remote or guest node is online while its connection (container) runs."""
        for name, _kind, prim in self._remote_defs():
            info = self.nodes[name]
            conn = self.state.instances.get(prim.id)
            info.online = bool(conn and conn.active_on and not conn.failed)


def _entries(hist: ResourceHistory) -> list[ResourceHistory]:
    """A resource recorded more than once on a node: each record on its own
    (Pacemaker unpacks every ``lrm_resource`` element separately)."""
    if not hist.segments:
        return [hist]
    bounds = [0, *hist.segments, len(hist.ops)]
    return [
        ResourceHistory(
            rsc=hist.rsc,
            cls=hist.cls,
            provider=hist.provider,
            type=hist.type,
            ops=hist.ops[a:b],
            container=hist.container,
            shutdown_lock=hist.shutdown_lock,
        )
        for a, b in itertools.pairwise(bounds)
    ]


def _kind_attr(kind: str) -> str:
    return "container" if kind == "guest" else kind


def _sev(on_fail: str) -> int:
    return ON_FAIL_ORDER.index(on_fail) if on_fail in ON_FAIL_ORDER else 2


def _norm_role(v: str) -> str:
    t = v.strip().lower()
    return {
        "stopped": "Stopped",
        "started": "Started",
        "slave": "Unpromoted",
        "unpromoted": "Unpromoted",
        "master": "Promoted",
        "promoted": "Promoted",
    }.get(t, v)


def unpack(config: Config, status: Status, now: int) -> ClusterState:
    """Interpret configuration and status at time ``now`` (epoch seconds)."""
    b = _Builder(config, status, now)
    b.build_instances()
    b.unpack_histories()
    b.remote_nodes()
    b.apply_effects()
    return b.state
