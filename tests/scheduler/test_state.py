"""unpack: small configurations and histories -> the state the scheduler sees."""

from __future__ import annotations

import pytest

from corral.model.config import Clone, Config, Node, Op, Primitive
from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status
from corral.scheduler.unpack import unpack

NOW = 1_700_000_000


def op(
    task: str,
    rc: int = 0,
    call: int = 1,
    interval: int = 0,
    expect: int | None = None,
    status: int = 0,
    changed: int = NOW - 100,
) -> OpRecord:
    want = rc if expect is None else expect
    return OpRecord(
        id=f"x_{task}_{interval}",
        operation=task,
        interval_ms=interval,
        rc=rc,
        op_status=status,
        call_id=call,
        transition_key=f"1:1:{want}:uuid",
        last_rc_change=changed,
    )


def up(name: str, **hist: list[OpRecord]) -> NodeStatus:
    ns = NodeStatus(
        name=name, id=name, in_ccm=True, crmd="online", join="member", expected="member"
    )
    for rsc, ops in hist.items():
        ns.history[rsc.replace("__", ":")] = ResourceHistory(rsc=rsc.replace("__", ":"), ops=ops)
    return ns


def cluster(resources: list, *states: NodeStatus, props: dict | None = None) -> tuple:
    nodes = [Node(id=s.name, uname=s.name) for s in states]
    return Config(properties=props or {}, resources=resources, nodes=nodes), Status(
        nodes={s.name: s for s in states}
    )


def dummy(rid: str = "r", **meta: str) -> Primitive:
    ops = [Op(id=f"{rid}-mon", name="monitor", interval_ms=10000)]
    return Primitive(
        id=rid, cls="ocf", provider="pacemaker", type="Dummy", ops=ops, meta=dict(meta)
    )


# (history of r on n1, expected role there or None, failed there, monitors)
HISTORIES = [
    ([op("monitor", 7)], None, False, []),
    ([op("monitor", 7), op("start", 0, 2)], "Started", False, []),
    ([op("start", 0, 1), op("monitor", 0, 2, 10000)], "Started", False, [("monitor", 10000)]),
    ([op("start", 0, 1), op("monitor", 0, 2, 10000), op("stop", 0, 3)], None, False, []),
    (
        [op("start", 0, 1), op("monitor", 7, 2, 10000, expect=0)],
        "Started",
        True,
        [("monitor", 10000)],
    ),
    ([op("start", 1, 1, expect=0)], "Started", True, []),
    ([op("start", 1, 1, expect=0), op("stop", 0, 2)], None, False, []),
    ([op("monitor", 0)], "Started", False, []),
    ([op("start", 0, 1, status=-1)], "Started", False, []),
    # "not running" when the cluster expected it is stopped, whatever the task
    ([op("start", 7, 1, expect=7)], None, False, []),
    ([op("start", 1, 1, expect=0), op("start", 7, 2, expect=7)], None, False, []),
    # a monitor's "degraded" (190) is running
    (
        [op("start", 0, 1), op("monitor", 190, 2, 10000, expect=0)],
        "Started",
        False,
        [("monitor", 10000)],
    ),
]


@pytest.mark.parametrize(("ops", "role", "failed", "monitors"), HISTORIES)
def test_history_replay(
    ops: list[OpRecord], role: str | None, failed: bool, monitors: list
) -> None:
    st = unpack(*cluster([dummy()], up("n1", r=ops), up("n2")), NOW)
    inst = st.instances["r"]
    assert inst.active_on.get("n1") == role
    assert ("n1" in inst.failed_on) is failed
    assert inst.monitors.get("n1", []) == monitors
    assert "n1" in inst.probed_on
    assert "n2" not in inst.probed_on


def test_failed_stop_fences_node_when_stonith_enabled() -> None:
    ops = [op("start", 0, 1), op("stop", 1, 2, expect=0)]
    st = unpack(*cluster([dummy()], up("n1", r=ops), up("n2")), NOW)
    assert st.nodes["n1"].unclean
    assert st.nodes["n1"].unclean_reason == "r failed there"


def test_failed_stop_blocks_without_stonith() -> None:
    ops = [op("start", 0, 1), op("stop", 1, 2, expect=0)]
    c, s = cluster([dummy()], up("n1", r=ops), up("n2"), props={"stonith-enabled": "false"})
    st = unpack(c, s, NOW)
    assert not st.nodes["n1"].unclean
    assert st.instances["r"].blocked and not st.instances["r"].managed


@pytest.mark.parametrize(
    ("ns", "stonith", "online", "unclean", "pending"),
    [
        (
            NodeStatus("n", in_ccm=True, crmd="online", join="member", expected="member"),
            "true",
            True,
            False,
            False,
        ),
        (
            NodeStatus("n", in_ccm=False, crmd="offline", join="down", expected="down"),
            "true",
            False,
            False,
            False,
        ),
        (
            NodeStatus("n", in_ccm=False, crmd="offline", join="down", expected="member"),
            "true",
            False,
            True,
            False,
        ),
        (
            NodeStatus("n", in_ccm=True, crmd="offline", join="member", expected="member"),
            "true",
            True,
            True,
            False,
        ),
        (
            NodeStatus("n", in_ccm=True, crmd="online", join="pending", expected="down"),
            "true",
            True,
            False,
            True,
        ),
        (
            NodeStatus("n", in_ccm=False, crmd="offline", join="down", expected="member"),
            "false",
            False,
            False,
            False,
        ),
        (  # refused by the cluster ("banned"): fenced
            NodeStatus("n", in_ccm=True, crmd="online", join="banned", expected=""),
            "true",
            True,
            True,
            False,
        ),
    ],
)
def test_node_membership(
    ns: NodeStatus, stonith: str, online: bool, unclean: bool, pending: bool
) -> None:
    c, s = cluster([], ns, props={"stonith-enabled": stonith})
    info = unpack(c, s, NOW).nodes["n"]
    assert (info.online, info.unclean, info.pending) == (online, unclean, pending)


def test_standby_and_shutdown_attributes() -> None:
    a = up("a")
    a.attributes["standby"] = "on"
    b = up("b")
    b.attributes["shutdown"] = "1234"
    st = unpack(*cluster([], a, b), NOW)
    assert st.nodes["a"].standby and not st.nodes["a"].can_run
    assert st.nodes["b"].shutdown and st.nodes["b"].online


def test_fail_counts_and_failure_timeout() -> None:
    n1 = up("n1", r=[op("start", 0, 1)])
    n1.attributes["fail-count-r#monitor_10000"] = "2"
    n1.attributes["last-failure-r#monitor_10000"] = str(NOW - 1000)
    assert unpack(*cluster([dummy()], n1), NOW).instances["r"].fail_count("n1") == 2
    st = unpack(*cluster([dummy(**{"failure-timeout": "60s"})], n1), NOW)
    assert st.instances["r"].fail_count("n1") == 0
    assert st.instances["r"].fail_counts["n1"].expired


def test_anonymous_clone_histories_map_onto_free_instances() -> None:
    clone = Clone(id="c", child=dummy("d"))
    # both nodes name the history "d:0": they must become two different copies
    n1 = up("n1", d__0=[op("start", 0, 1)])
    n2 = up("n2", d__0=[op("start", 0, 1)])
    st = unpack(*cluster([clone], n1, n2), NOW)
    where = {i.id: list(i.active_on) for i in st.instances_for("c")}
    assert where == {"d:0": ["n1"], "d:1": ["n2"]}
    assert st.instances["d:1"].history_name == "d:0"


def test_anonymous_clone_extra_copy_is_orphan() -> None:
    clone = Clone(id="c", child=dummy("d"), meta={"clone-max": "1"})
    n1 = up("n1", d=[op("start", 0, 1)])
    n2 = up("n2", d=[op("start", 0, 1)])
    st = unpack(*cluster([clone], n1, n2), NOW)
    assert st.instances["d:1"].orphan and st.instances["d:1"].active_on == {"n2": "Started"}


def test_orphan_resource_and_multiple_active() -> None:
    n1 = up("n1", gone=[op("start", 0, 1)], r=[op("start", 0, 1)])
    n2 = up("n2", r=[op("start", 0, 1)])
    st = unpack(*cluster([dummy()], n1, n2), NOW)
    assert st.instances["gone"].orphan
    assert st.instances["r"].multiply_active


def test_cluster_option_defaults() -> None:
    o = unpack(Config(), Status(), NOW).options
    assert o.stonith_enabled and o.symmetric_cluster and o.start_failure_is_fatal
    assert o.no_quorum_policy == "stop" and not o.maintenance_mode


def with_ops(rid: str, *ops: Op, **meta: str) -> Primitive:
    p = dummy(rid, **meta)
    p.ops.extend(ops)
    return p


def test_ignored_stop_failure_leaves_it_stopped() -> None:
    prim = with_ops("r", Op(id="r-stop", name="stop", interval_ms=0, on_fail="ignore"))
    ops = [op("start", 0, 1), op("stop", 1, 2, expect=0)]
    inst = unpack(*cluster([prim], up("n1", r=ops), up("n2")), NOW).instances["r"]
    assert not inst.active_on and not inst.failed_on and inst.on_fail is None
    assert [f.on_fail for f in inst.failures] == ["ignore"]


def test_probe_finding_it_stopped_ends_every_failure_handling() -> None:
    prim = with_ops("r", Op(id="r-stop", name="stop", interval_ms=0, on_fail="stop"))
    ops = [op("start", 0, 1), op("stop", 1, 2, expect=0), op("monitor", 7, 3)]
    inst = unpack(*cluster([prim], up("n1", r=ops), up("n2")), NOW).instances["r"]
    assert not inst.active_on and inst.on_fail is None and inst.target_role is None


@pytest.mark.parametrize(("device", "blocked"), [(False, True), (True, False)])
def test_hard_stop_failure_blocks_when_fencing_is_impossible(device: bool, blocked: bool) -> None:
    res: list = [dummy()]
    if device:
        res.append(Primitive(id="fd", cls="stonith", type="fence_dummy"))
    ops = [op("start", 0, 1), op("stop", 5, 2, expect=0)]
    st = unpack(*cluster(res, up("n1", r=ops), up("n2")), NOW)
    assert st.instances["r"].blocked is blocked
    assert st.nodes["n1"].unclean


def test_failure_timeout_does_not_expire_a_blocking_failure() -> None:
    prim = with_ops(
        "r",
        Op(id="r-stop", name="stop", interval_ms=0, on_fail="block"),
        **{"failure-timeout": "60"},
    )
    n1 = up("n1", r=[op("start", 0, 1), op("stop", 1, 2, expect=0, changed=NOW - 1000)])
    n1.attributes["fail-count-r#stop_0"] = "1"
    n1.attributes["last-failure-r#stop_0"] = str(NOW - 1000)
    c, s = cluster([prim], n1, up("n2"), props={"stonith-enabled": "false"})
    inst = unpack(c, s, NOW).instances["r"]
    assert inst.fail_count("n1") == 1 and inst.blocked and "n1" in inst.failed_on


def test_failed_stop_inside_a_container_restarts_the_container() -> None:
    box = dummy("box")
    inner = dummy("r", container="box")
    n1 = up("n1", box=[op("start", 0, 1)], r=[op("start", 0, 1), op("stop", 1, 2, expect=0)])
    inst = unpack(*cluster([box, inner], n1, up("n2")), NOW).instances["r"]
    assert not inst.active_on and inst.failed_on == ["n1"]
    assert inst.on_fail == "restart-container"
    assert [f.on_fail for f in inst.failures] == ["ignore"]


def test_same_resource_recorded_twice_on_a_node() -> None:
    clone = Clone(id="c", child=dummy("d"), meta={"clone-max": "3"})
    n1 = up("n1")
    n1.history["d:0"] = ResourceHistory(
        rsc="d:0", ops=[op("start", 0, 1), op("monitor", 7, 1)], segments=[1]
    )
    n2 = up("n2", d__1=[op("start", 0, 1)])
    st = unpack(*cluster([clone], n1, n2), NOW)
    where = {i.id: list(i.active_on) for i in st.instances_for("c") if i.active_on}
    assert where == {"d:0": ["n1"], "d:1": ["n2"]}
    # a unique resource: a later record finding it stopped does not stop it
    n1 = up("n1")
    n1.history["r"] = ResourceHistory(
        rsc="r", ops=[op("start", 0, 1), op("monitor", 7, 1)], segments=[1]
    )
    assert unpack(*cluster([dummy()], n1, up("n2")), NOW).instances["r"].active_on == {
        "n1": "Started"
    }


def test_fail_counts_read_on_nodes_without_history() -> None:
    clone = Clone(id="c", child=dummy("d"))
    n1 = up("n1", d=[op("start", 0, 1)])
    n2 = up("n2")
    n2.attributes["fail-count-d:1#start_0"] = "INFINITY"
    n2.attributes["fail-count-other"] = "3"
    st = unpack(*cluster([clone], n1, n2), NOW)
    assert {i.id: dict(i.fail_counts) and i.fail_count("n2") for i in st.instances_for("c")} == {
        "d:0": 1_000_000,
        "d:1": 1_000_000,
    }
    assert all(not i.fail_counts.get("n1") for i in st.instances_for("c"))
