"""Groups: members colocated and ordered; placement is the first member's with
the others' preferences merged; a member that cannot run stops those after it."""

from __future__ import annotations

import pytest
from cib_builder import cib, crm_simulate_summary, group, loc, prim, summary

G = group("g", prim("a"), prim("b"), prim("c"))

CASES = [
    ("together", cib(G), ["Start a ( n1 )", "Start b ( n1 )", "Start c ( n1 )"]),
    ("group-location", cib(G, loc("g", "n2", "10")),
     ["Start a ( n2 )", "Start b ( n2 )", "Start c ( n2 )"]),
    ("member-preference-merged", cib(G, loc("c", "n2", "10")),
     ["Start a ( n2 )", "Start b ( n2 )", "Start c ( n2 )"]),
    ("member-banned-stops-rest",
     cib(G, loc("b", "n1", "-INFINITY") + loc("b", "n2", "-INFINITY")), ["Start a ( n1 )"]),
    ("member-restart-restarts-later",
     cib(G, running={"a": "n1", "b": "n1", "c": "n1"}, failed={"b": "n1"}),
     ["Recover b ( n1 )", "Restart c ( n1 ) due to required b start"]),
    ("group-moves", cib(G, loc("g", "n2", "INFINITY"), running={"a": "n1", "b": "n1", "c": "n1"}),
     ["Move a ( n1 -> n2 )", "Move b ( n1 -> n2 )", "Move c ( n1 -> n2 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
