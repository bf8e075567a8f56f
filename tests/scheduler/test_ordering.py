"""Ordering: mandatory orders restart and block the then resource; optional ones
only order; the inverse order applies to stops."""

from __future__ import annotations

import pytest
from cib_builder import cib, crm_simulate_summary, loc, order, prim, run, summary

R2 = prim("r1", resource_stickiness="100") + prim("r2", resource_stickiness="100")
BAN_R1 = loc("r1", "n1", "-INFINITY") + loc("r1", "n2", "-INFINITY")

CASES = [
    ("first-starts-then-restarts", cib(R2, order("r1", "r2"), running={"r2": "n1"}),
     ["Start r1 ( n1 )", "Restart r2 ( n1 ) due to required r1 start"]),
    ("first-cannot-start", cib(R2, BAN_R1 + order("r1", "r2"), running={"r2": "n1"}),
     ["Stop r2 ( n1 ) due to unrunnable r1 start"]),
    ("first-cannot-start-then-blocked", cib(R2, BAN_R1 + order("r1", "r2")),
     ["Start r2 ( n1 ) due to unrunnable r1 start (blocked)"]),
    ("optional-no-restart", cib(R2, order("r1", "r2", kind="Optional"), running={"r2": "n1"}),
     ["Start r1 ( n1 )"]),
    ("first-moves",
     cib(R2, loc("r1", "n2", "INFINITY") + order("r1", "r2"), running={"r1": "n1", "r2": "n1"}),
     ["Move r1 ( n1 -> n2 )", "Restart r2 ( n1 ) due to required r1 start"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected


def test_then_starts_after_first() -> None:
    t = run(cib(R2, order("r1", "r2")))
    ids = {(a.rsc, a.task): a.id for a in t.actions}
    assert (ids[("r1", "start")], ids[("r2", "start")]) in t.edges
