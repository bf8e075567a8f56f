"""Failures: recovery in place, migration-threshold, on-fail."""

from __future__ import annotations

import pytest
from cib_builder import cib, crm_simulate_summary, prim, summary

CASES = [
    ("recover-in-place", cib(prim("r1", monitor=10000), running={"r1": "n1"}, failed={"r1": "n1"}),
     ["Recover r1 ( n1 )"]),
    ("threshold-moves",
     cib(prim("r1", monitor=10000, migration_threshold="1"), running={"r1": "n1"},
         failed={"r1": "n1"}),
     ["Recover r1 ( n1 -> n2 )"]),
    ("fail-count-below-threshold",
     cib(prim("r1", monitor=10000, migration_threshold="3"), running={"r1": "n1"},
         failed={"r1": "n1"}, fail_count=2),
     ["Recover r1 ( n1 )"]),
    ("fail-count-at-threshold",
     cib(prim("r1", monitor=10000, migration_threshold="3"), running={"r1": "n1"},
         failed={"r1": "n1"}, fail_count=3),
     ["Recover r1 ( n1 -> n2 )"]),
    ("threshold-not-reached",
     cib(prim("r1", monitor=10000, migration_threshold="3"), running={"r1": "n1"},
         failed={"r1": "n1"}),
     ["Recover r1 ( n1 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
