"""Maintenance and shutdown: recurring monitors are cancelled where nothing is
watched (maintenance-mode, a node in maintenance) but not on a node that is
shutting down; a node shuts down without waiting for resources the cluster
does not manage. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_executed, prim, run
from test_shutdown_lock import _shutting_down

from corral.scheduler.digests import parameters_digest


def _with_monitor(xml: str) -> str:
    mon = (
        f'<lrm_rsc_op id="r1_monitor_10000" operation="monitor" interval="10000" '
        f'op-digest="{parameters_digest({"CRM_meta_timeout": "20000"})}" op-status="0" '
        f'rc-code="0" call-id="30" last-rc-change="{NOW - 50}" transition-key="0:0:0:x" '
        f'transition-magic="0:0;0:0:0:x" on_node="n1"/>'
    )
    return xml.replace("</lrm_resource>", mon + "</lrm_resource>", 1)


def _node_maintenance(xml: str) -> str:
    return xml.replace(
        '<node id="n1" uname="n1">',
        '<node id="n1" uname="n1"><instance_attributes id="n1-a">'
        '<nvpair id="n1-m" name="maintenance" value="true"/></instance_attributes>',
    )


MAINT = {"maintenance-mode": "true"}
R1 = prim("r1", monitor=10000)
CASES = [
    ("maintenance-mode", _with_monitor(cib(R1, running={"r1": "n1"}, props=MAINT)),
     {"Resource action: r1 cancel=10000 on n1"}),
    ("node-maintenance", _node_maintenance(_with_monitor(cib(R1, running={"r1": "n1"}))),
     {"Resource action: r1 cancel=10000 on n1"}),
    ("nothing-to-do", _with_monitor(cib(R1, running={"r1": "n1"})), set()),
    ("maintenance-while-shutting-down",
     _shutting_down(_with_monitor(cib(R1, running={"r1": "n1"}, props=MAINT)), "n1"),
     {"Cluster action: do_shutdown on n1"}),
    ("unmanaged-while-shutting-down",
     _shutting_down(_with_monitor(cib(prim("r1", monitor=10000, is_managed="false"),
                                      running={"r1": "n1"})), "n1"),
     {"Cluster action: do_shutdown on n1"}),
]  # fmt: skip


def _ours(xml: str) -> set[str]:
    out = set()
    for a in run(xml).actions:
        if a.node != "n1":
            continue
        if a.task == "cancel":
            out.add(f"Resource action: {a.rsc} cancel={a.interval_ms} on n1")
        elif a.task == "do_shutdown":
            out.add("Cluster action: do_shutdown on n1")
        elif not a.pseudo:
            out.add(f"{a.task} {a.rsc}")
    return out


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: set[str]) -> None:
    assert _ours(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: set[str]) -> None:
    assert {x for x in crm_simulate_executed(xml) if " on n1" in x} == expected
