"""Anonymous clones: one instance per node by default, clone-max, clone-node-max,
instances staying where they run (clone stickiness defaults to 1)."""

from __future__ import annotations

import pytest
from cib_builder import cib, clone, coloc, crm_simulate_summary, loc, prim, summary

C = clone("c", prim("d"))
N3 = ("n1", "n2", "n3")

CASES = [
    ("everywhere", cib(C, nodes=N3), ["Start d:0 ( n1 )", "Start d:1 ( n2 )", "Start d:2 ( n3 )"]),
    ("clone-max", cib(clone("c", prim("d"), clone_max="2"), nodes=N3),
     ["Start d:0 ( n1 )", "Start d:1 ( n2 )"]),
    # clone-node-max only counts for globally unique clones
    ("node-max-anonymous", cib(clone("c", prim("d"), clone_max="4", clone_node_max="2")),
     ["Start d:0 ( n1 )", "Start d:1 ( n2 )"]),
    ("node-max-unique",
     cib(clone("c", prim("d"), globally_unique="true", clone_max="4", clone_node_max="2")),
     ["Start d:0 ( n1 )", "Start d:1 ( n2 )", "Start d:2 ( n1 )", "Start d:3 ( n2 )"]),
    ("ban-node", cib(C, loc("c", "n2", "-INFINITY"), nodes=N3),
     ["Start d:0 ( n1 )", "Start d:1 ( n3 )"]),
    ("stays", cib(clone("c", prim("d"), clone_max="1"), running={"d:0": "n2"}), []),
    ("primitive-with-clone",
     cib(C + prim("p"), loc("c", "n1", "-INFINITY") + coloc("p", "c", "INFINITY")),
     ["Start d:0 ( n2 )", "Start p ( n2 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
