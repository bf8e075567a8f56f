"""A resource whose history names another agent (class, provider or type)
is restarted where it runs and that history deleted; a fencing device that
changed unfences its node again, restarting what runs there. Checked against
crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_executed, crm_simulate_summary, prim, run, summary


def _as_type(xml: str, rid: str, typ: str) -> str:
    """Configure ``rid`` as ocf:pacemaker:``typ`` (its history stays Dummy)."""
    return xml.replace(
        f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">',
        f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="{typ}">',
    )


def _unfencing(xml: str, device_type: str) -> str:
    """A fence_scsi device providing unfencing, recorded as ``device_type``
    on n1 where it runs; both nodes already unfenced."""
    xml = xml.replace(
        '<lrm_resource id="fence" class="ocf" provider="pacemaker" type="Dummy">',
        f'<lrm_resource id="fence" class="stonith" type="{device_type}">',
    )
    for n in ("n1", "n2"):
        attr = (
            f'<transient_attributes id="{n}-t"><instance_attributes id="{n}-ti">'
            f'<nvpair id="{n}-unf" name="#node-unfenced" value="{NOW - 600}"/>'
            f"</instance_attributes></transient_attributes>"
        )
        head, sep, tail = xml.partition(f'<node_state id="{n}" ')
        close = tail.index(">") + 1
        xml = head + sep + tail[:close] + attr + tail[close:]
    return xml


DEVICE = (
    '<primitive id="fence" class="stonith" type="fence_scsi"><meta_attributes id="f-m">'
    '<nvpair id="f-p" name="provides" value="unfencing"/></meta_attributes></primitive>'
)
FENCING = {"stonith-enabled": "true"}
STICKY = prim("r1", resource_stickiness="100")

CASES = [
    ("type-changed", _as_type(cib(prim("r1"), running={"r1": "n1"}), "r1", "Stateful"),
     ["Restart r1 ( n1 )"]),
    ("device-type-changed",
     _unfencing(cib(DEVICE + STICKY, running={"fence": "n1", "r1": "n1"}, props=FENCING),
                "fence_dummy"),
     ["Fence (on) n1 'Device definition changed'", "Restart fence ( n1 )",
      "Restart r1 ( n1 ) due to required stonith"]),
    ("device-unchanged",
     _unfencing(cib(DEVICE + STICKY, running={"fence": "n1", "r1": "n1"}, props=FENCING),
                "fence_scsi"),
     []),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected


def test_other_agents_history_is_deleted() -> None:
    xml = CASES[0][1]
    t = run(xml)
    ids = {(a.task, a.rsc, a.node): a.id for a in t.actions}
    assert ("delete", "r1", "n1") in ids
    assert (ids[("stop", "r1", "n1")], ids[("delete", "r1", "n1")]) in t.edges
    assert (ids[("delete", "r1", "n1")], ids[("start", "r1", "n1")]) in t.edges
    assert "Resource action: r1 delete on n1" in crm_simulate_executed(xml)
