"""Resources active on several nodes when one of them is fenced, and probes
that found the agent missing. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_summary, prim, summary

STONITH = '<primitive id="fence" class="stonith" type="fence_dummy"/>'
FENCING = {"stonith-enabled": "true"}
N3 = ("n1", "n2", "n3")


def _also_on(xml: str, rsc: str, node: str) -> str:
    """Record ``rsc`` as started on ``node`` too (a later call than elsewhere)."""
    i = xml.index(f'<lrm_resource id="{rsc}"')
    j = xml.index("</lrm_resource>", i) + len("</lrm_resource>")
    entry = xml[i:j].replace('call-id="', 'call-id="9').replace('on_node="', 'x-node="')
    anchor = f'<lrm id="{node}"><lrm_resources>'
    k = xml.index(anchor) + len(anchor)
    return xml[:k] + entry + xml[k:]


def _device_history(xml: str) -> str:
    return xml.replace(
        '<lrm_resource id="fence" class="ocf" provider="pacemaker" type="Dummy">',
        '<lrm_resource id="fence" class="stonith" type="fence_dummy">',
    )


def _not_installed_on(xml: str, rsc: str, node: str) -> str:
    """A probe of ``rsc`` on ``node`` that found no agent (rc 5, op-status 7)."""
    probe = (
        f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Dummy">'
        f'<lrm_rsc_op id="{rsc}_last_failure_0" operation="monitor" interval="0" '
        f'op-status="7" rc-code="5" call-id="3" last-rc-change="{NOW - 100}" '
        f'transition-key="1:1:7:x" transition-magic="7:5;1:1:7:x" on_node="{node}"/>'
        f"</lrm_resource>"
    )
    anchor = f'<lrm id="{node}"><lrm_resources>'
    k = xml.index(anchor) + len(anchor)
    return xml[:k] + probe + xml[k:]


STICKY = prim("r1", resource_stickiness="100")
CASES = [
    # an ordinary resource active on a node being fenced and on another:
    # stopped everywhere and started once
    ("resource-on-fenced-node-too",
     _also_on(cib(STONITH + STICKY, nodes=N3, running={"r1": "n2", "fence": "n3"},
                  unclean=("n1",), props=FENCING), "r1", "n1"),
     ["Fence (reboot) n1 'peer is no longer part of the cluster'", "Restart fence ( n3 )",
      "Move r1 ( n1 -> n2 )"]),
    # a fencing device: the copy on the fenced node ends with the fencing
    ("device-on-fenced-node-too",
     _also_on(_device_history(cib(STONITH + STICKY, nodes=N3,
                                  running={"r1": "n2", "fence": "n3"}, unclean=("n1",),
                                  props=FENCING)), "fence", "n1"),
     ["Fence (reboot) n1 'peer is no longer part of the cluster'"]),
    ("agent-not-installed", _not_installed_on(cib(prim("r1")), "r1", "n1"),
     ["Start r1 ( n2 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected
