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


def test_failed_instance_recovered_in_place_before_others_move() -> None:
    """Instances are placed in Pacemaker's order: the failed one, whose node
    scores higher for it, keeps its node; the one on a banned node stops."""
    xml = cib(
        clone("c", prim("d", monitor=10000)),
        loc("c", "n1", "-INFINITY"),
        running={"d:0": "n2", "d:1": "n1"},
        failed={"d:0": "n2"},
    )
    expected = ["Stop d:0 ( n1 ) due to node availability", "Recover d:1 ( n2 )"]
    assert summary(xml) == expected
    assert crm_simulate_summary(xml) == expected


def test_clone_stopped_happens_while_some_instance_stops() -> None:
    """An instance that cannot be stopped (unclean node, no quorum to fence)
    does not hold the clone's ``stopped`` back while another instance stops."""
    from cib_builder import crm_simulate_executed, pseudo_actions, run

    device = '<primitive id="fence" class="stonith" type="fence_dummy"/>'
    xml = cib(
        device + clone("c", prim("d")),
        nodes=("n1", "n2", "n3"),
        running={"d:0": "n1", "d:1": "n2"},
        unclean=("n1",),
        quorum=False,
        props={"stonith-enabled": "true"},
    )
    expected = {"Pseudo action: c_stop_0", "Pseudo action: c_stopped_0"}
    assert {x for x in crm_simulate_executed(xml) if "Pseudo" in x} == expected
    assert pseudo_actions(run(xml)) == expected
    assert summary(xml) == crm_simulate_summary(xml)


def test_lsb_clone_is_anonymous_whatever_globally_unique_says() -> None:
    """Only OCF and fence agents can tell copies apart: a clone of an LSB
    service is anonymous, so it is probed once per node."""
    from cib_builder import crm_simulate_executed, run

    child = '<primitive id="svc" class="lsb" type="foo"/>'
    xml = cib(clone("c", child, globally_unique="true", clone_max="2"))
    theirs = sorted(x for x in crm_simulate_executed(xml) if x.endswith(("on n1", "on n2")))
    probes = [a for a in run(xml).actions if a.task == "monitor" and a.interval_ms == 0]
    assert len(probes) == 2  # one per node
    assert sorted({a.node for a in probes}) == ["n1", "n2"]
    assert len([x for x in theirs if " monitor on " in x]) == 2
