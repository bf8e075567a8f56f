"""crm_simulate's status text: the "Current cluster status" block of corpus
cases must come out exactly as Pacemaker 2.1.5 printed it, and the summary
and execution formatting follow crm_simulate's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.pacemaker.cib_reader import read_cib_file
from corral.pacemaker.render import execution_order, summary_lines
from corral.pacemaker.render_status import status_lines
from corral.scheduler.transition import Action, Change, Transition
from corral.scheduler.unpack import unpack

# one case per rendering rule: plain, groups, anonymous and unique clones,
# standby with resources, failures (FAILED, blocked), unclean nodes, orphans,
# pending actions, disabled groups via rsc_defaults, failed probes, priority order
CASES = [
    "1360",
    "1484",
    "11-a-then-bm-b-move-a-clone-starting",
    "bug-5140-require-all-false",
    "bug-lf-2171",
    "failed-probe-clone",
    "force-anon-clone-max",
    "rec-node-4",
    "rec-node-10",
    "rsc_dep1",
    "stop-failure-with-fencing",
    "probe-3",
    "node-maintenance-1",
    "promoted-9",
    "bug-1718",
]


def _current_block(summary: str) -> str:
    start = summary.index("Current cluster status:\n") + len("Current cluster status:\n")
    return summary[start : summary.index("\n\nTransition Summary:")]


@pytest.mark.parametrize("name", CASES)
def test_current_status_matches_crm_simulate(corpus: Path, name: str) -> None:
    config, status = read_cib_file(corpus / "xml" / f"{name}.xml")
    now = status.execution_date or 2_000_000_000
    got = "\n".join(status_lines(config, unpack(config, status, now)))
    expected = _current_block((corpus / "summary" / f"{name}.summary").read_text())
    assert got == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            [Change("Move", "dollies:0", "ssgtest1a", "ssgtest1b")],
            ["  * Move       dollies:0     ( ssgtest1a -> ssgtest1b )"],
        ),
        (
            [Change("Stop", "the-future-of-vaj", "hb2", None, reason="node availability")],
            ["  * Stop       the-future-of-vaj     (   hb2 )  due to node availability"],
        ),
        (
            [
                Change("Move", "myclone:0", "f20node1", "f20node2"),
                Change("Move", "vm", "f20node1", "f20node2", reason="unrunnable x stop"),
            ],
            [
                "  * Move       myclone:0     ( f20node1 -> f20node2 )",
                "  * Move       vm            ( f20node1 -> f20node2 )  due to unrunnable x stop",
            ],
        ),
        (
            [Change("Promote", "rsc1:0", "n1", "n1", "Unpromoted", "Promoted")],
            ["  * Promote    rsc1:0     ( Unpromoted -> Promoted n1 )"],
        ),
        (
            [Change("Fence", None, to_node="n2", reason="peer is no longer part of the cluster")],
            ["  * Fence (reboot) n2 'peer is no longer part of the cluster'"],
        ),
    ],
)
def test_summary_lines(changes: list[Change], expected: list[str]) -> None:
    assert summary_lines(changes) == expected


def test_execution_runs_in_passes() -> None:
    # 0 waits for 1 and 2; 3 waits for 0: crm_simulate fires 1, 2 then 0 then 3
    t = Transition(
        actions=[Action(i, "start", f"r{i}", "n1") for i in range(4)],
        edges=[(1, 0), (2, 0), (0, 3)],
    )
    assert [a.id for a in execution_order(t)] == [1, 2, 0, 3]
    # an action made ready in a pass runs in the next pass, after the others
    t = Transition(
        actions=[Action(i, "start", f"r{i}", "n1") for i in range(3)],
        edges=[(0, 1)],
    )
    assert [a.id for a in execution_order(t)] == [0, 2, 1]
