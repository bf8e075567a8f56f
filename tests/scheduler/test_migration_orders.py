"""Orders with a live-migrating first resource: its start is a pseudo action
that restarts nothing after it, and its stop waits for nothing to stop
first. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import cib, coloc, crm_simulate_summary, loc, order, prim, summary

R2 = prim("r2", resource_stickiness="100")
CONS = loc("r1", "n1", "-INFINITY") + order("r1", "r2") + coloc("r2", "r1", "INFINITY")
WHERE = {"r1": "n1", "r2": "n2"}

CASES = [
    ("migrating-first", cib(prim("r1", allow_migrate="true") + R2, CONS, running=WHERE),
     ["Migrate r1 ( n1 -> n2 )"]),
    ("moving-first", cib(prim("r1") + R2, CONS, running=WHERE),
     ["Move r1 ( n1 -> n2 )", "Restart r2 ( n2 ) due to required r1 start"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
