"""The controller's status conversion: fail counts as Pacemaker's controller sets them."""

from __future__ import annotations

import pytest

from corral.controller.snapshot import fail_attributes, start_failure_is_fatal
from corral.model.config import Config

DOC = {"fail_counts": {"start_0": 1, "monitor_10000": 2}, "last_failure": {"start": 1700000000}}


@pytest.mark.parametrize(
    ("props", "start_value"),
    [
        ({}, "INFINITY"),  # Pacemaker's default: a failed start bans the node
        ({"start-failure-is-fatal": "true"}, "INFINITY"),
        ({"start-failure-is-fatal": "false"}, "1"),
    ],
)
def test_start_failure_is_fatal(props: dict[str, str], start_value: str) -> None:
    fatal = start_failure_is_fatal(Config(properties=props))
    attrs = fail_attributes("web", DOC, start_fatal=fatal)
    assert attrs["fail-count-web#start_0"] == start_value
    assert attrs["fail-count-web#monitor_10000"] == "2"  # other failures count as they are
    assert attrs["last-failure-web#start_0"] == "1700000000"


def test_a_failed_start_keeps_the_resource_off_that_node() -> None:
    # end to end through the scheduler: r1 failed to start on n1 -> it goes to n2
    from corral.model.config import Node, Op, Primitive
    from corral.model.status import NodeStatus, OpRecord, ResourceHistory, Status
    from corral.scheduler import schedule

    cfg = Config(
        properties={"stonith-enabled": "false"},
        nodes=[Node(id="n1", uname="n1"), Node(id="n2", uname="n2")],
        resources=[
            Primitive(id="r1", cls="ocf", provider="pacemaker", type="Dummy",
                      ops=[Op(id="r1-mon", name="monitor", interval_ms=10000)])
        ],
    )  # fmt: skip
    st = Status()
    for n in ("n1", "n2"):
        ns = NodeStatus(name=n, id=n, in_ccm=True, crmd="online", join="member",
                        expected="member")  # fmt: skip
        probe = OpRecord(id="r1_monitor_0", operation="monitor", rc=7, call_id=1)
        ns.history["r1"] = ResourceHistory(rsc="r1", cls="ocf", provider="pacemaker",
                                           type="Dummy", ops=[probe])  # fmt: skip
        st.nodes[n] = ns
    failed = OpRecord(id="r1_start_0", operation="start", rc=1, call_id=2, last_rc_change=1)
    st.nodes["n1"].history["r1"].ops.append(failed)
    st.nodes["n1"].attributes.update(
        fail_attributes("r1", {"fail_counts": {"start_0": 1}, "last_failure": {"start": 1}},
                        start_fatal=start_failure_is_fatal(cfg))
    )  # fmt: skip
    t = schedule(cfg, st, 100)
    starts = [(a.rsc, a.node) for a in t.actions if a.task == "start"]
    assert starts == [("r1", "n2")]
