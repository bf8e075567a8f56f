"""Invariants of the scheduler on random small clusters (hypothesis):
- no primitive is ever placed on two nodes;
- nothing is placed on a node where a location constraint gives it -INFINITY;
- scheduling again on the cluster as the transition leaves it proposes nothing.

Colocations are mandatory here: with an advisory colocation a primary's score
takes in its dependents' stickiness, so Pacemaker itself (and so corral) may
move a resource on the second run (checked with crm_simulate).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral.model.config import Colocation, Config, Group, Location, Node, Order, Primitive
from corral.model.score import INFINITY, MINUS_INFINITY
from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status
from corral.scheduler import Transition, schedule
from corral.scheduler.digests import parameters_digest

NOW = 1_700_000_000
SCORES = [MINUS_INFINITY, -50, 0, 10, 100, INFINITY]


def _op(rsc: str, task: str, rc: int, call: int) -> OpRecord:
    expect = 7 if task == "monitor" else 0
    return OpRecord(
        id=f"{rsc}_{task}_0",
        operation=task,
        rc=rc,
        call_id=call,
        transition_key=f"0:0:{expect}:x",
        last_rc_change=NOW - 10,
        digest=parameters_digest({}) if task == "start" else None,
    )


def _status(nodes: list[str], placed: dict[str, str], prims: list[str]) -> Status:
    """Every node has probed every primitive; each placed primitive runs on its node."""
    out = Status(have_quorum=True)
    for n in nodes:
        ns = NodeStatus(name=n, id=n, in_ccm=True, crmd="online", join="member", expected="member")
        for i, r in enumerate(prims):
            ops = [_op(r, "monitor", 7, 1)]
            if placed.get(r) == n:
                ops.append(_op(r, "start", 0, 100 + i))
            ns.history[r] = ResourceHistory(
                rsc=r, cls="ocf", provider="pacemaker", type="Dummy", ops=ops
            )
        out.nodes[n] = ns
    return out


@st.composite
def clusters(draw: st.DrawFn) -> tuple[Config, dict[str, str]]:
    n_nodes = draw(st.integers(1, 4))
    nodes = [f"n{i}" for i in range(1, n_nodes + 1)]
    n_rsc = draw(st.integers(1, 6))
    prims = [f"r{i}" for i in range(1, n_rsc + 1)]
    resources: list = []
    free = list(prims)
    if n_rsc >= 3 and draw(st.booleans()):
        members = [
            Primitive(id=p, cls="ocf", provider="pacemaker", type="Dummy") for p in prims[:2]
        ]
        resources.append(Group(id="g", children=members))
        free = prims[2:]
    resources += [Primitive(id=p, cls="ocf", provider="pacemaker", type="Dummy") for p in free]
    ids = ["g", *free] if free != prims else prims
    locations = [
        Location(id=f"l{i}", rsc=draw(st.sampled_from(ids)), node=draw(st.sampled_from(nodes)),
                 score=draw(st.sampled_from(SCORES)))
        for i in range(draw(st.integers(0, 4)))
    ]  # fmt: skip
    colocations = []
    orders = []
    # At most one anti-colocation: through a chain of them (a apart from b,
    # b apart from c) the resources' stickiness feeds back into each other's
    # scores, and crm_simulate itself moves them again on a second run.
    kinds = [MINUS_INFINITY, INFINITY]
    for i in range(draw(st.integers(0, 2))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        if a != b:
            score = draw(st.sampled_from(kinds))
            if score == MINUS_INFINITY:
                kinds = [INFINITY]
            colocations.append(Colocation(id=f"c{i}", rsc=a, with_rsc=b, score=score))
            orders.append(Order(id=f"o{i}", first=b, then=a))
    config = Config(
        properties={"stonith-enabled": "false"},
        rsc_defaults={"resource-stickiness": "100"},
        nodes=[Node(id=n, uname=n) for n in nodes],
        resources=resources,
        locations=locations,
        colocations=colocations,
        orders=orders,
    )  # fmt: skip
    running = {p: draw(st.sampled_from(nodes)) for p in prims if draw(st.booleans())}
    return config, running


def _placed(t: Transition) -> dict[str, str]:
    out = {}
    for rsc, (_role, nodes) in t.placement.items():
        assert len(nodes) <= 1, f"{rsc} placed on {nodes}"
        if nodes:
            out[rsc] = nodes[0]
    return out


def _banned(config: Config) -> set[tuple[str, str]]:
    members = {r.id: [c.id for c in r.children] if isinstance(r, Group) else [r.id]
               for r in config.resources}  # fmt: skip
    return {
        (p, loc.node)
        for loc in config.locations
        if loc.score == MINUS_INFINITY and loc.node and loc.rsc
        for p in members[loc.rsc]
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_invariants(cluster: tuple[Config, dict[str, str]]) -> None:
    config, running = cluster
    nodes = [n.uname for n in config.nodes]
    prims = [p.id for p in config.all_primitives()]
    first = schedule(config, _status(nodes, running, prims), NOW)
    placed = _placed(first)
    for rsc, node in placed.items():
        assert (rsc, node) not in _banned(config), f"{rsc} placed on banned {node}"
    again = schedule(config, _status(nodes, placed, prims), NOW)
    # a blocked change (a start that cannot run) is reported again, but nothing runs
    assert [c for c in again.summary if not c.blocked] == []
    assert [a for a in again.actions if not a.pseudo] == []
    assert _placed(again) == placed
