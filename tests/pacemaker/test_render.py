"""crm_simulate's status text: the "Current cluster status" block of corpus
cases must come out exactly as Pacemaker 2.1.5 printed it, and the summary
and execution formatting follow crm_simulate's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import cib, dummy

from corral.pacemaker.cib_reader import read_cib, read_cib_file
from corral.pacemaker.render import execution_order, summary_lines
from corral.pacemaker.render_graph import synapse_order
from corral.pacemaker.render_header import header_lines
from corral.pacemaker.render_names import ActionNames
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


def test_summary_columns_take_the_width_the_whole_list_reaches() -> None:
    # crm_simulate logs the list once before printing it: a longer name further
    # down widens the lines above it too
    lines = summary_lines(
        [
            Change("Start", "rsc1", None, "node1"),
            Change("Start", "child_rsc1", None, "node2"),
        ]
    )
    assert lines == [
        "  * Start      rsc1           ( node1 )",
        "  * Start      child_rsc1     ( node2 )",
    ]


def test_execution_runs_in_passes() -> None:
    # 0 waits for 1 and 2; 3 waits for 0: crm_simulate fires 1, 2 then 0 and 3
    t = Transition(
        actions=[Action(i, "start", f"r{i}", "n1") for i in range(4)],
        edges=[(1, 0), (2, 0), (0, 3)],
    )
    assert [a.id for a in execution_order(t)] == [1, 2, 0, 3]
    # an action made ready earlier in a pass fires in that same pass
    t = Transition(
        actions=[Action(i, "start", f"r{i}", "n1") for i in range(3)],
        edges=[(0, 1)],
    )
    assert [a.id for a in execution_order(t)] == [0, 1, 2]
    # one listed before what it waits for waits for the next pass
    assert [a.id for a in execution_order(t, [t.actions[1], t.actions[0], t.actions[2]])] == [
        0,
        2,
        1,
    ]


def test_synapse_order_walks_resources_newest_first() -> None:
    resources = (
        f"<group id='g'>{dummy('a')}{dummy('b')}</group>"
        f"<clone id='c'>{dummy('w')}</clone>{dummy('p')}"
    )
    config, status = read_cib(cib(resources=resources))
    state = unpack(config, status, 0)
    acts = [
        Action(0, "start", "g", pseudo=True),
        Action(1, "start", "a", "n1"),
        Action(2, "monitor", "a", "n2"),  # a probe: created first in Pacemaker
        Action(3, "start", "b", "n1"),
        Action(4, "start", "w:0", "n1"),
        Action(5, "start", "c", pseudo=True),
        Action(6, "start", "w:1", "n2"),
        Action(7, "start", "p", "n2"),
        Action(8, "stonith", None, "n3"),
        Action(9, "running", "g", pseudo=True),
    ]
    order = synapse_order(config, state, Transition(actions=acts))
    assert [a.id for a in order] == [9, 0, 1, 2, 3, 4, 6, 5, 7, 8]


# (case, resource ids the graph gives as (id, long-id)), from the corpus' exp/ files
GRAPH_NAMES = [
    ("clone-anon-probe-2", [("drbd0", "drbd0:1")]),
    ("a-demote-then-b-migrate", [("rsc1", "rsc1:1"), ("rsc1", "rsc1:0")]),
    ("bug-lf-2171", [("res_Dummy1", "res_Dummy1:1"), ("res_Dummy1", "res_Dummy1:0")]),
    ("clone-interleave-1", [("child-1", "child-1:0")]),
]


@pytest.mark.parametrize(("name", "pairs"), GRAPH_NAMES)
def test_action_names_follow_the_graph(corpus: Path, name: str, pairs: list) -> None:
    config, status = read_cib_file(corpus / "xml" / f"{name}.xml")
    state = unpack(config, status, status.execution_date or 2_000_000_000)
    names = ActionNames(state)
    known = {(names.preferred(i), names.long(i)) for i in state.instances}
    for pair in pairs:
        assert pair in known


def test_action_shown_by_history_name(corpus: Path) -> None:
    # history calls the copy "myclone": every copy is printed so
    config, status = read_cib_file(corpus / "xml" / "11-a-then-bm-b-move-a-clone-starting.xml")
    names = ActionNames(unpack(config, status, 2_000_000_000))
    assert names.shown("myclone:0") == "myclone"
    assert names.shown("myclone:1") == "myclone"


@pytest.mark.parametrize(
    "name", ["bug-5028-detach", "rec-rsc-4", "intervals", "stopped-monitor-20", "1360"]
)
def test_header_lines(corpus: Path, name: str) -> None:
    config, status = read_cib_file(corpus / "xml" / f"{name}.xml")
    state = unpack(config, status, status.execution_date or 2_000_000_000)
    expected = (corpus / "summary" / f"{name}.summary").read_text()
    expected = expected.split("Current cluster status:")[0]
    if expected.startswith("Using the original"):
        expected = expected.split("\n", 1)[1]
    got = "".join(line + "\n" for line in header_lines(state))
    assert got == expected
