"""How the controller reads the results of the actions it sent (``_check_results``):
an action is done when its key is gone and its result recorded; a task the agent
answers without a record (cancel, cleanup, forget) is done when its key is gone; a
result that never came, or was removed by a cleanup, fails the action at once (the
controller plans again) instead of holding the graph forever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from corral.controller.daemon import Controller, Sent
from corral.controller.graph import GraphRun
from corral.controller.snapshot import ClusterView
from corral.model.config import Config
from corral.scheduler.transition import Action, Transition
from corral.store import open_store
from corral.store.base import Store

NOW = 1000.0


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = await open_store("memory://")
    try:
        yield s
    finally:
        await s.close()


def _sent(a: Action, task: str, *, deadline: float = NOW + 30) -> Sent:
    assert a.node is not None and a.rsc is not None
    return Sent(a, f"t1-{a.id}", a.node, a.rsc, f"{task}_{a.interval_ms}", deadline)


def _view(actions: set[tuple[str, str]], ops: dict[tuple[str, str], Any]) -> ClusterView:
    return ClusterView(
        revision=9,
        config=Config(),
        config_revision=1,
        members={"n1": {}},
        actions={k: {} for k in actions},
        ops=ops,
    )


@pytest.mark.parametrize(
    ("task", "wire_task", "pending", "record", "state"),
    [
        ("stop", "stop", True, None, "sent"),  # still with the agent
        ("stop", "stop", False, {"action_id": "t1-0", "rc": 0}, "done"),
        ("stop", "stop", False, {"action_id": "t1-0", "rc": 1, "failed": True}, "failed"),
        ("stop", "stop", False, None, "failed"),  # removed by a cleanup: plan again
        ("stop", "stop", False, {"action_id": "t0-3", "rc": 0}, "failed"),  # an older one
        ("delete", "forget", False, None, "done"),  # no record, ever
        ("clear_failcount", "cleanup", False, None, "done"),
        ("cancel", "cancel", False, None, "done"),
        ("delete", "forget", True, None, "sent"),
    ],
)
async def test_results(
    store: Store,
    task: str,
    wire_task: str,
    pending: bool,
    record: dict[str, Any] | None,
    state: str,
) -> None:
    ctl = Controller(store, "t", name="n1", clock=lambda: NOW)
    a = Action(0, task, rsc="web", node="n1", interval_ms=1000 if task == "cancel" else 0)
    graph = GraphRun(1, Transition(actions=[a]))
    graph.sent(a.id)
    s = _sent(a, wire_task)
    ops = {("n1", "web"): {"ops": {s.op_key: record}}} if record is not None else {}
    ctl._check_results(graph, {a.id: s}, _view({("n1", s.wire_id)} if pending else set(), ops))
    assert graph.states[a.id].value == state


async def test_pending_action_past_its_deadline_times_out(store: Store) -> None:
    ctl = Controller(store, "t", name="n1", clock=lambda: NOW)
    a = Action(0, "start", rsc="web", node="n1")
    graph = GraphRun(1, Transition(actions=[a]))
    graph.sent(a.id)
    s = _sent(a, "start", deadline=NOW - 1)
    ctl._check_results(graph, {a.id: s}, _view({("n1", s.wire_id)}, {}))
    assert graph.states[a.id].value == "failed"


async def test_store_error_while_campaigning_does_not_end_the_candidate(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A candidate that died of one store error would be one fewer for the next
    failover: it logs the error and campaigns again."""
    from corral.store.election import Election
    from corral.store.errors import Unavailable

    calls: list[int] = []

    async def campaign(self: Election, value: bytes = b"") -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise Unavailable("store unreachable", endpoint="x")
        raise asyncio.CancelledError  # the second attempt: enough, stop the test

    monkeypatch.setattr(Election, "campaign", campaign)
    ctl = Controller(store, "t", name="n1")
    with pytest.raises(asyncio.CancelledError):
        await ctl.run()
    assert len(calls) == 2
