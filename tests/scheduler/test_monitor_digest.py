"""A recurring monitor whose parameters changed (its record's digest differs
from the configured operation's) is scheduled again where the resource keeps
running; the digest covers the resource's and the operation's parameters and
the operation's timeout. Checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_executed, crm_simulate_summary, run, summary

from corral.scheduler.digests import parameters_digest


def _cib(
    op_params: dict[str, str],
    recorded: dict[str, str],
    timeout: str | None,
    feature_set: str | None = None,
) -> str:
    nv = "".join(f'<nvpair id="m-{k}" name="{k}" value="{v}"/>' for k, v in op_params.items())
    attrs = f'<instance_attributes id="m-i">{nv}</instance_attributes>' if nv else ""
    tmo = f' timeout="{timeout}"' if timeout else ""
    rsc = (
        '<primitive id="r1" class="ocf" provider="pacemaker" type="Dummy"><operations>'
        f'<op id="r1-mon" name="monitor" interval="10s"{tmo}>{attrs}</op>'
        "</operations></primitive>"
    )
    xml = cib(rsc, running={"r1": "n1"})
    fs = f'crm_feature_set="{feature_set}" ' if feature_set else ""
    mon = (
        f'<lrm_rsc_op id="r1_monitor_10000" operation="monitor" interval="10000" {fs}'
        f'op-digest="{parameters_digest(recorded)}" op-status="0" rc-code="0" call-id="30" '
        f'last-rc-change="{NOW - 50}" transition-key="0:0:0:x" transition-magic="0:0;0:0:0:x" '
        f'on_node="n1"/>'
    )
    return xml.replace("</lrm_resource>", mon + "</lrm_resource>", 1)


T20 = {"CRM_meta_timeout": "20000"}
CASES = [
    ("unchanged", _cib({}, T20, None), False),
    ("op-parameter-added", _cib({"OCF_CHECK_LEVEL": "10"}, T20, None), True),
    ("timeout-changed", _cib({}, T20, "30s"), True),
    ("op-parameter-recorded", _cib({"OCF_CHECK_LEVEL": "10"},
                                   {"OCF_CHECK_LEVEL": "10", **T20}, None), False),
    # a record without the timeout in its digest, from a current version
    ("record-without-timeout", _cib({}, {}, None), True),
    # ... even from an old version
    ("old-record-without-timeout", _cib({}, {}, None, "2.0"), True),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "again"), CASES, ids=[c[0] for c in CASES])
def test_corral_reschedules(name: str, xml: str, again: bool) -> None:
    assert summary(xml) == []
    got = {(a.task, a.rsc, a.node, a.interval_ms) for a in run(xml).actions}
    assert (("monitor", "r1", "n1", 10000) in got) == again


@pytest.mark.parametrize(("name", "xml", "again"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, again: bool) -> None:
    assert crm_simulate_summary(xml) == []
    assert ("Resource action: r1 monitor=10000 on n1" in crm_simulate_executed(xml)) == again
