"""Orders after a clone: a clone's action is required *on a node* only when
an instance's action there is, so a clone gaining an instance on another node
restarts no primitive or group that runs elsewhere; a non-interleaved clone
after it restarts everywhere. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import (
    cib,
    clone,
    coloc,
    crm_simulate_executed,
    crm_simulate_summary,
    group,
    loc,
    order,
    prim,
    pseudo_actions,
    run,
    summary,
)

C = clone("c", prim("d"))
CG = clone("c", group("cg", prim("d"), prim("e")), interleave="true")
R = prim("r", resource_stickiness="100")
G = group("g", prim("r"), prim("s"))
STARTED = {"d:0": "n1", "r": "n1"}

CASES = [
    ("primitive-after-clone", cib(C + R, order("c", "r"), running=STARTED),
     ["Start d:1 ( n2 )"]),
    ("colocated-primitive", cib(C + R, order("c", "r") + coloc("r", "c", "INFINITY"),
                                running=STARTED),
     ["Start d:1 ( n2 )"]),
    ("group-after-clone", cib(C + G, order("c", "g") + coloc("g", "c", "INFINITY"),
                              running={"d:0": "n1", "r": "n1", "s": "n1"}),
     ["Start d:1 ( n2 )"]),
    ("group-after-cloned-group",
     cib(CG + G, order("c", "g") + coloc("g", "c", "INFINITY"),
         running={"d:0": "n1", "e:0": "n1", "r": "n1", "s": "n1"}),
     ["Start d:1 ( n2 )", "Start e:1 ( n2 )"]),
    ("instance-starts-here", cib(C + R, order("c", "r") + coloc("r", "c", "INFINITY"),
                                 running={"r": "n1"}),
     ["Start d:0 ( n1 )", "Start d:1 ( n2 )", "Restart r ( n1 ) due to required c running"]),
    ("clone-after-clone",
     cib(C + clone("k", prim("x")), order("c", "k"),
         running={"d:0": "n1", "x:0": "n1", "x:1": "n2"}),
     ["Start d:1 ( n2 )", "Restart x:0 ( n1 ) due to required c running",
      "Restart x:1 ( n2 ) due to required c running"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected


# ---- interleave: an instance with no first instance on its node is inhibited

K = clone("c", prim("d")) + clone("k", prim("x"), interleave="true")
BAN = loc("c", "n1", "-INFINITY") + order("c", "k")
INTERLEAVE_CASES = [
    ("not-started-there", cib(K, BAN), ["Start d:0 ( n2 )", "Start x:1 ( n2 )"]),
    ("stopped-there-without-reason",
     cib(K, BAN, running={"d:0": "n2", "x:0": "n1", "x:1": "n2"}), ["Stop x:0 ( n1 )"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "xml", "expected"), INTERLEAVE_CASES, ids=[c[0] for c in INTERLEAVE_CASES]
)
def test_interleave_inhibits(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected
    assert crm_simulate_summary(xml) == expected


def test_inhibited_instance_requires_clone_start() -> None:
    """Its start stays required (after its stop) and cannot run: the clone's
    start and running still happen, for the instances that stay."""
    xml = INTERLEAVE_CASES[1][1]
    ours = {x for x in pseudo_actions(run(xml)) if x.startswith("Pseudo action: k_")}
    theirs = {x for x in crm_simulate_executed(xml) if x.startswith("Pseudo action: k_")}
    assert ours == theirs
    assert "Pseudo action: k_start_0" in ours
