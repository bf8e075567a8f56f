"""Running a transition graph: predecessors, pseudo actions, aborts."""

from __future__ import annotations

from corral.controller.graph import GraphRun, State
from corral.controller.nodeloss import assess
from corral.scheduler.transition import Action, Transition


def _t() -> Transition:
    # stop a on n1 -> (pseudo) stopped -> start a on n2 -> monitor a on n2; b independent
    return Transition(
        actions=[
            Action(1, "stop", "a", "n1"),
            Action(2, "stopped", "a", None, pseudo=True),
            Action(3, "start", "a", "n2"),
            Action(4, "monitor", "a", "n2", interval_ms=10_000),
            Action(5, "start", "b", "n3"),
        ],
        edges=[(1, 2), (2, 3), (3, 4)],
    )


def ids(actions: list[Action]) -> list[int]:
    return [a.id for a in actions]


def test_runs_in_order_and_completes_pseudo_actions() -> None:
    g = GraphRun(1, _t())
    assert ids(g.runnable()) == [1, 5]
    g.sent(1)
    g.sent(5)
    assert ids(g.runnable()) == []
    g.succeeded(1)
    assert ids(g.runnable()) == [3]  # the pseudo action 2 completed by itself
    assert g.states[2] is State.DONE
    g.sent(3)
    g.succeeded(3)
    g.succeeded(5)
    assert ids(g.runnable()) == [4]
    g.sent(4)
    assert not g.complete
    g.succeeded(4)
    assert g.complete


def test_failure_aborts_the_rest_but_awaits_what_is_in_flight() -> None:
    g = GraphRun(2, _t())
    for a in g.runnable():
        g.sent(a.id)
    g.failed(1, "stop a failed")
    assert g.aborted == "stop a failed"
    assert g.runnable() == []
    assert not g.complete  # b's start is still in flight
    g.succeeded(5)
    assert g.complete
    g.finish()
    assert g.states[3] is State.SKIPPED


def test_lost_nodes_wait_for_the_margin_then_are_confirmed() -> None:
    view = assess(members={"n2"}, busy_nodes={"n1", "n2", "n3"}, records={"n3": (100.0, 7)},
                  now=100.2, margin_s=0.3)  # fmt: skip
    assert view.new == ["n1"]
    assert [w.name for w in view.waiting] == ["n3"]
    assert view.confirmed == []
    later = assess(members={"n2"}, busy_nodes={"n2", "n3"}, records={"n3": (100.0, 7)},
                   now=100.31, margin_s=0.3)  # fmt: skip
    assert [c.name for c in later.confirmed] == ["n3"] and later.new == []
