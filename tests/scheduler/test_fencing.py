"""Fencing of unclean nodes, and what no-quorum-policy does."""

from __future__ import annotations

import pytest
from cib_builder import cib, crm_simulate_summary, prim, run, summary

STONITH = '<primitive id="fence" class="stonith" type="fence_dummy"/>'
FENCING = {"stonith-enabled": "true"}

CASES = [
    ("fence-and-recover",
     cib(STONITH + prim("r1"), running={"r1": "n1"}, unclean=("n1",), props=FENCING),
     ["Fence (reboot) n1 'peer is no longer part of the cluster'", "Start fence ( n2 )",
      "Move r1 ( n1 -> n2 )"]),
    ("no-quorum-stop", cib(prim("r1"), running={"r1": "n1"}, quorum=False),
     ["Stop r1 ( n1 ) due to no quorum"]),
    ("no-quorum-freeze",
     cib(prim("r1") + prim("r2"), running={"r1": "n1"}, quorum=False,
         props={"no-quorum-policy": "freeze"}),
     ["Start r2 ( n2 ) due to quorum freeze (blocked)"]),
    ("no-quorum-ignore", cib(prim("r1"), quorum=False, props={"no-quorum-policy": "ignore"}),
     ["Start r1 ( n1 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected


def test_stops_on_fenced_node_wait_for_fencing() -> None:
    t = run(CASES[0][1])
    by = {(a.rsc, a.task, a.node): a for a in t.actions}
    st = next(a for a in t.actions if a.task == "stonith")
    stop = by[("r1", "stop", "n1")]
    assert stop.pseudo
    assert (st.id, stop.id) in t.edges
