"""Operations still under way (pending records: op-status and call-id -1):
a pending start is sent again without changing anything, a pending recurring
monitor is scheduled again. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_executed, crm_simulate_summary, prim, run, summary

from corral.scheduler.digests import parameters_digest


def _pending(rsc: str, task: str, interval: int, node: str) -> str:
    return (
        f'<lrm_rsc_op id="{rsc}_{task}_{interval}" operation="{task}" interval="{interval}" '
        f'op-status="-1" rc-code="-1" call-id="-1" last-rc-change="{NOW - 5}" '
        f'op-digest="{parameters_digest({})}" '
        f'transition-key="0:0:0:x" transition-magic="-1:-1;0:0:0:x" on_node="{node}"/>'
    )


def _pending_start() -> str:
    xml = cib(prim("r1", monitor=10000), running={"r1": "n1"})
    head, _sep, tail = xml.partition('<lrm_rsc_op id="r1_start_0"')
    end = tail.index("/>") + 2
    return head + _pending("r1", "start", 0, "n1") + tail[end:]


def _pending_monitor() -> str:
    xml = cib(prim("r1", monitor=10000), running={"r1": "n1"})
    return xml.replace(
        "</lrm_resource>", _pending("r1", "monitor", 10000, "n1") + "</lrm_resource>"
    )


CASES = [
    ("pending-start", _pending_start(), {"Resource action: r1 start on n1",
                                         "Resource action: r1 monitor=10000 on n1"}),
    ("pending-monitor", _pending_monitor(), {"Resource action: r1 monitor=10000 on n1"}),
]  # fmt: skip


def _ours(xml: str) -> set[str]:
    out = set()
    for a in run(xml).actions:
        if a.rsc == "r1" and a.node == "n1" and a.task in ("start", "monitor"):
            every = f"={a.interval_ms}" if a.interval_ms else ""
            out.add(f"Resource action: r1 {a.task}{every} on n1")
    return out


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_sends_again(name: str, xml: str, expected: set[str]) -> None:
    assert summary(xml) == []
    assert _ours(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: set[str]) -> None:
    assert crm_simulate_summary(xml) == []
    got = {x for x in crm_simulate_executed(xml) if " on n1" in x and x.startswith("Resource")}
    assert got == expected


# ---- a node that is a member but has not joined yet (pending)

FENCE = '<primitive id="fence" class="stonith" type="fence_dummy"/>'


def _pending_node(xml: str, node: str = "n2") -> str:
    i = xml.index(f'<node_state id="{node}"')
    j = xml.index("</node_state>", i) + len("</node_state>")
    state = f'<node_state id="{node}" uname="{node}" in_ccm="true" crmd="online" join="down"/>'
    return xml[:i] + state + xml[j:]


PENDING_CASES = [
    # with fencing, what may run on the pending node is unknown: no start
    ("fencing-enabled", _pending_node(cib(FENCE + prim("r1"), props={"stonith-enabled": "true"})),
     ["Start fence ( n1 ) blocked", "Start r1 ( n1 ) blocked"]),
    ("fencing-disabled", _pending_node(cib(prim("r1"))), ["Start r1 ( n1 )"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "xml", "expected"), PENDING_CASES, ids=[c[0] for c in PENDING_CASES]
)
def test_pending_node_blocks_starts(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected
    assert crm_simulate_summary(xml) == expected
