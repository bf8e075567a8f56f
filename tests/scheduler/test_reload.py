"""Definition changes: restart, or reload in place when only reloadable
parameters changed (the start's record carries ``op-force-restart`` and
``op-restart-digest``), and the clone-min gate's effect on the first clone's
pseudo actions. Each expected answer is checked against crm_simulate."""

from __future__ import annotations

import pytest
from cib_builder import (
    cib,
    clone,
    crm_simulate_executed,
    crm_simulate_summary,
    loc,
    order,
    prim,
    pseudo_actions,
    run,
    summary,
)

from corral.scheduler.digests import parameters_digest


def _with_params(rid: str, params: dict[str, str], monitor: int | None = None) -> str:
    attrs = "".join(f'<nvpair id="{rid}-i-{k}" name="{k}" value="{v}"/>' for k, v in params.items())
    xml = prim(rid, monitor)
    return xml.replace(
        'type="Dummy">',
        f'type="Dummy"><instance_attributes id="{rid}-i">{attrs}</instance_attributes>',
    )


def _started_with(xml: str, rid: str, params: dict[str, str], forced: tuple[str, ...]) -> str:
    """Rewrite ``rid``'s start record as if it had run with ``params``, on an
    agent whose non-reloadable parameters are ``forced``."""
    old = f'op-digest="{parameters_digest({})}" '
    kept = {k: v for k, v in params.items() if k in forced}
    new = (
        f'op-digest="{parameters_digest(params)}" op-force-restart=" {" ".join(forced)} " '
        f'op-restart-digest="{parameters_digest(kept)}" '
    )
    head, sep, tail = xml.partition(f'<lrm_rsc_op id="{rid}_start_0"')
    return head + sep + tail.replace(old, new, 1)


def _reload_cib(new: dict[str, str], old: dict[str, str], forced: tuple[str, ...]) -> str:
    xml = cib(_with_params("r1", new, monitor=10000), running={"r1": "n1"})
    return _started_with(xml, "r1", old, forced)


CASES = [
    ("reloadable-change", _reload_cib({"fake": "new"}, {"fake": "old"}, ("state",)),
     ["Reload r1 ( n1 )"]),
    ("forced-change", _reload_cib({"state": "/tmp/b"}, {"state": "/tmp/a"}, ("state",)),
     ["Restart r1 ( n1 ) due to resource definition change"]),
    ("no-restart-digest", cib(_with_params("r1", {"fake": "new"}), running={"r1": "n1"})
     .replace(f'op-digest="{parameters_digest({})}"',
              f'op-digest="{parameters_digest({"fake": "old"})}"'),
     ["Restart r1 ( n1 ) due to resource definition change"]),
    ("reload-cancelled-by-move",
     _started_with(cib(_with_params("r1", {"fake": "new"}), loc("r1", "n1", "-INFINITY"),
                       running={"r1": "n1"}), "r1", {"fake": "old"}, ("state",)),
     ["Move r1 ( n1 -> n2 )"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corral_decides(name: str, xml: str, expected: list[str]) -> None:
    assert summary(xml) == expected


@pytest.mark.parametrize(("name", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pacemaker_agrees(name: str, xml: str, expected: list[str]) -> None:
    assert crm_simulate_summary(xml) == expected


def test_reload_reissues_monitors() -> None:
    xml = CASES[0][1]
    got = {(a.rsc, a.task, a.node, a.interval_ms) for a in run(xml).actions}
    assert ("r1", "reload-agent", "n1", 0) in got
    assert ("r1", "monitor", "n1", 10000) in got
    assert ("r1", "stop", "n1", 0) not in got
    pcmk = crm_simulate_executed(xml)
    assert "Resource action: r1 reload-agent on n1" in pcmk
    assert "Resource action: r1 monitor=10000 on n1" in pcmk


# ---- clone-min: the first clone's start/running when an instance stops

D3 = clone("c", prim("d"), clone_min="2") + prim("r")
RUN3 = {"d:0": "n1", "d:1": "n2", "d:2": "n3", "r": "n1"}
GATE_CASES = [
    # one instance stops, two stay: Pacemaker shows c's start and running
    ("some-stay", cib(D3, order("c", "r"), nodes=("n1", "n2", "n3"), running=RUN3,
                      standby=("n3",)),
     {"c_stop_0", "c_stopped_0", "c_start_0", "c_running_0"}),
    # every instance stops: nothing can start, so no start/running
    ("all-stop", cib(D3, order("c", "r") + loc("c", "n1", "-INFINITY")
                     + loc("c", "n2", "-INFINITY") + loc("c", "n3", "-INFINITY"),
                     nodes=("n1", "n2", "n3"), running=RUN3),
     {"c_stop_0", "c_stopped_0"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "xml", "expected"), GATE_CASES, ids=[c[0] for c in GATE_CASES])
def test_clone_min_pseudo_actions(name: str, xml: str, expected: set[str]) -> None:
    want = {f"Pseudo action: {x}" for x in expected}
    assert {x for x in pseudo_actions(run(xml)) if x.startswith("Pseudo action: c_")} == want
    assert {x for x in crm_simulate_executed(xml) if x.startswith("Pseudo action: c_")} == want
