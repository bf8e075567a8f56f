"""A mandatory colocation binds what can run, not only where: when the primary
cannot start anywhere (an order it waits for cannot happen), its dependents
cannot start either. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import cib, clone, coloc, crm_simulate_summary, loc, order, prim, summary

BAN_R0 = loc("r0", "n1", "-INFINITY") + loc("r0", "n2", "-INFINITY")
R = prim("r0") + prim("r1", resource_stickiness="100") + prim("r2", resource_stickiness="100")
CONS = BAN_R0 + order("r0", "r1") + coloc("r2", "r1", "INFINITY")

CASES = [
    ("dependent-running", cib(R, CONS, running={"r1": "n1", "r2": "n1"}),
     ["Stop r1 ( n1 ) due to unrunnable r0 start",
      "Stop r2 ( n1 ) due to colocation with r1"]),
    ("dependent-stopped", cib(R, CONS),
     ["Start r1 ( n1 ) due to unrunnable r0 start (blocked)",
      "Start r2 ( n1 ) due to colocation with r1 (blocked)"]),
    ("advisory-colocation", cib(R, BAN_R0 + order("r0", "r1") + coloc("r2", "r1", "100"),
                                running={"r1": "n1", "r2": "n1"}),
     ["Stop r1 ( n1 ) due to unrunnable r0 start"]),
    # a clone primary with an instance that can still start binds nothing
    ("clone-primary-partly-runnable",
     cib(clone("c", prim("d")) + prim("r2", resource_stickiness="100"),
         loc("c", "n1", "-INFINITY") + coloc("r2", "c", "INFINITY"), running={"r2": "n2"}),
     ["Start d:0 ( n2 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
