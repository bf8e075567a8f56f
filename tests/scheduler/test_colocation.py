"""Colocation: mandatory and advisory, both directions of influence."""

from __future__ import annotations

import pytest
from cib_builder import cib, coloc, crm_simulate_summary, loc, prim, summary

R2 = prim("r1") + prim("r2")

CASES = [
    ("follows-primary", cib(R2, loc("r2", "n2", "10") + coloc("r1", "r2", "INFINITY")),
     ["Start r1 ( n2 )", "Start r2 ( n2 )"]),
    # the dependent's preference pulls the primary along
    ("dependent-pulls-primary", cib(R2, loc("r1", "n2", "10") + coloc("r1", "r2", "INFINITY")),
     ["Start r1 ( n2 )", "Start r2 ( n2 )"]),
    ("anti", cib(R2, coloc("r1", "r2", "-INFINITY")), ["Start r1 ( n2 )", "Start r2 ( n1 )"]),
    ("primary-cannot-run",
     cib(R2, loc("r2", "n1", "-INFINITY") + loc("r2", "n2", "-INFINITY")
         + coloc("r1", "r2", "INFINITY")), []),
    ("advisory-outweighed",
     cib(R2, loc("r1", "n1", "100") + loc("r2", "n2", "100") + coloc("r1", "r2", "50")),
     ["Start r1 ( n1 )", "Start r2 ( n2 )"]),
    ("advisory-wins",
     cib(R2, loc("r1", "n1", "10") + loc("r2", "n2", "100") + coloc("r1", "r2", "50")),
     ["Start r1 ( n2 )", "Start r2 ( n2 )"]),
    ("primary-moves-dependent-follows",
     cib(R2, loc("r2", "n2", "INFINITY") + coloc("r1", "r2", "INFINITY"),
         running={"r1": "n1", "r2": "n1"}),
     ["Move r1 ( n1 -> n2 )", "Move r2 ( n1 -> n2 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
