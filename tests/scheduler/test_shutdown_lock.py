"""Shutdown locks (``shutdown-lock``, ``shutdown-lock-limit``): a resource of a
cleanly shut down node stays stopped, locked to it, until the node returns or
the lock expires; fence devices are never locked. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_executed, crm_simulate_summary, prim, run, summary

STONITH = '<primitive id="fence" class="stonith" type="fence_dummy"/>'
LOCK = {"stonith-enabled": "true", "shutdown-lock": "true"}


def _shutting_down(xml: str, node: str) -> str:
    """``node`` asked to shut down a minute ago (its ``shutdown`` attribute)."""
    xml = _stonith_history(xml)
    attr = (
        f'<transient_attributes id="{node}-t"><instance_attributes id="{node}-ti">'
        f'<nvpair id="{node}-sd" name="shutdown" value="{NOW - 60}"/>'
        f"</instance_attributes></transient_attributes>"
    )
    head, sep, tail = xml.partition(f'<node_state id="{node}" ')
    close = tail.index(">") + 1
    return head + sep + tail[:close] + attr + tail[close:]


def _locked_on_offline(xml: str, rsc: str, node: str, age: int) -> str:
    """``node`` is down after a clean shutdown ``age`` seconds ago; ``rsc``
    was stopped there and is locked to it."""
    xml = _stonith_history(xml)
    ops = (
        f'<lrm_rsc_op id="{rsc}_last_0" operation="stop" interval="0" op-status="0" '
        f'rc-code="0" call-id="20" last-rc-change="{NOW - age}" '
        f'transition-key="0:0:0:x" transition-magic="0:0;0:0:0:x" on_node="{node}"/>'
    )
    state = (
        f'<node_state id="{node}" uname="{node}" in_ccm="false" crmd="offline" join="down" '
        f'expected="down"><lrm id="{node}"><lrm_resources><lrm_resource id="{rsc}" class="ocf" '
        f'provider="pacemaker" type="Dummy" shutdown-lock="{NOW - age}">{ops}'
        f"</lrm_resource></lrm_resources></lrm></node_state>"
    )
    return xml.replace("</status>", state + "</status>")


def _stonith_history(xml: str) -> str:
    """The builder records every resource as ocf:pacemaker:Dummy; the fence
    device's history must name its own agent."""
    return xml.replace(
        '<lrm_resource id="fence" class="ocf" provider="pacemaker" type="Dummy">',
        '<lrm_resource id="fence" class="stonith" type="fence_dummy">',
    )


N3 = ("n1", "n2", "n3")
CASES = [
    ("stop-and-lock",
     _shutting_down(cib(STONITH + prim("r1"), nodes=N3, running={"r1": "n1", "fence": "n2"},
                        props=LOCK), "n1"),
     ["Stop r1 ( n1 ) due to node availability"]),
    ("no-lock-moves",
     _shutting_down(cib(STONITH + prim("r1"), nodes=N3, running={"r1": "n1", "fence": "n2"},
                        props={"stonith-enabled": "true"}), "n1"),
     ["Move r1 ( n1 -> n3 )"]),
    ("fence-device-not-locked",
     _shutting_down(cib(STONITH + prim("r1"), nodes=N3, running={"r1": "n2", "fence": "n1"},
                        props=LOCK), "n1"),
     ["Move fence ( n1 -> n2 )", "Move r1 ( n2 -> n3 )"]),
    ("locked-on-offline-node",
     _locked_on_offline(cib(STONITH + prim("r1"), nodes=N3, running={"fence": "n2"},
                            offline=("n1",), props=LOCK), "r1", "n1", 100),
     []),
    ("lock-expired",
     _locked_on_offline(cib(STONITH + prim("r1"), nodes=N3, running={"fence": "n2"},
                            offline=("n1",), props={**LOCK, "shutdown-lock-limit": "1m"}),
                        "r1", "n1", 100),
     ["Start r1 ( n3 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected


def test_expired_lock_clears_history() -> None:
    xml = CASES[-1][1]
    got = {(a.task, a.rsc, a.node) for a in run(xml).actions}
    assert ("lrm_delete", "r1", "n1") in got
    assert "Cluster action: lrm_delete for r1 on n1" in crm_simulate_executed(xml)
