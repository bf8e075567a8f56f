"""Placement: location scores, stickiness, symmetric/asymmetric clusters, node
availability and ties. Each expected summary is crm_simulate's answer too."""

from __future__ import annotations

import pytest
from cib_builder import cib, crm_simulate_summary, loc, prim, summary

R2 = prim("r1") + prim("r2")

CASES = [
    # ties: fewest resources first, then node name
    ("spread", cib(R2), ["Start r1 ( n1 )", "Start r2 ( n2 )"]),
    ("prefer", cib(prim("r1"), loc("r1", "n2", "50")), ["Start r1 ( n2 )"]),
    ("ban", cib(prim("r1"), loc("r1", "n1", "-INFINITY")), ["Start r1 ( n2 )"]),
    (
        "ban-everywhere-stops",
        cib(prim("r1"), loc("r1", "n1", "-INFINITY") + loc("r1", "n2", "-INFINITY"),
            running={"r1": "n1"}),
        ["Stop r1 ( n1 ) due to node availability"],
    ),
    # stickiness keeps a resource where it is against a weaker preference
    (
        "sticky-stays",
        cib(prim("r1", resource_stickiness="100"), loc("r1", "n2", "50"), running={"r1": "n1"}),
        [],
    ),
    (
        "preference-beats-stickiness",
        cib(prim("r1", resource_stickiness="10"), loc("r1", "n2", "50"), running={"r1": "n1"}),
        ["Move r1 ( n1 -> n2 )"],
    ),
    # asymmetric ("opt-in"): only where a constraint allows
    (
        "opt-in",
        cib(R2, loc("r1", "n2", "10"), props={"symmetric-cluster": "false"}),
        ["Start r1 ( n2 )"],
    ),
    ("standby", cib(R2, standby=("n1",)), ["Start r1 ( n2 )", "Start r2 ( n2 )"]),
    (
        "standby-moves",
        cib(prim("r1"), standby=("n1",), running={"r1": "n1"}),
        ["Move r1 ( n1 -> n2 )"],
    ),
    ("offline", cib(R2, nodes=("n1", "n2", "n3"), offline=("n1",)),
     ["Start r1 ( n2 )", "Start r2 ( n3 )"]),
    ("priority-first", cib(prim("r1") + prim("r2", priority="10"),
                           loc("r1", "n2", "-INFINITY"), nodes=("n1", "n2")),
     ["Start r2 ( n1 )", "Start r1 ( n1 )"]),  # listed in placement order
    ("target-role-stopped", cib(prim("r1", target_role="Stopped"), running={"r1": "n1"}),
     ["Stop r1 ( n1 ) due to node availability"]),
    ("stop-all", cib(R2, running={"r1": "n1"}, props={"stop-all-resources": "true"}),
     ["Stop r1 ( n1 ) due to node availability"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
