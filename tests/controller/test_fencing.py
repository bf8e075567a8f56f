"""The controller's fencing: pure rules (plan, method, backoff, executor, redaction)
and the driver's rounds against the memory store (the agent's part is played by
the test: it writes the result an agent would)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from corral.controller import fence_rules
from corral.controller.fencing import Fencer
from corral.controller.keys import Keys
from corral.controller.snapshot import ClusterView, read_view
from corral.model import jsonform
from corral.model.config import Config, FenceDevice, FencingLevel
from corral.store import open_store
from corral.store.base import Delete, Put, Store
from corral.store.election import Leadership

K = Keys("t")


def _config(*, stonith: str = "true", levels: bool = False) -> Config:
    c = Config(properties={"stonith-enabled": stonith})
    c.fence_devices = [
        FenceDevice(
            "ipmi-n2", "fence_ipmilan", params={"ip": "x", "password": "s3cret"}, host_list=["n2"]
        ),
        FenceDevice("pdu", "fence_dummy", params={"token": "tok-123"}, host_list=["n2", "n3"]),
    ]
    if levels:
        c.fencing_levels = [
            FencingLevel("l1", 1, ["pdu"], target="n2"),
            FencingLevel("l2", 2, ["ipmi-n2"], target="n2"),
        ]
    return c


def _view(config: Config, **kw: Any) -> ClusterView:
    return ClusterView(revision=1, config=config, config_revision=1, **kw)


@pytest.mark.parametrize(
    ("failures", "wait"), [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (99, 30.0)]
)
def test_backoff_doubles_to_thirty_seconds(failures: int, wait: float) -> None:
    assert fence_rules.backoff_s(failures) == wait


@pytest.mark.parametrize(
    ("node", "stonith", "method", "devices"),
    [
        ("n2", "true", "device", [("ipmi-n2",), ("pdu",)]),
        ("n3", "true", "device", [("pdu",)]),
        ("n1", "true", "watchdog", []),  # no device lists n1
        ("n2", "false", "watchdog", []),  # stonith disabled: never through a device
    ],
)
def test_plan_and_method(node: str, stonith: str, method: str, devices: list[tuple[str]]) -> None:
    view = _view(_config(stonith=stonith))
    assert [lv.devices for lv in fence_rules.plan_for(view, node)] == devices
    assert fence_rules.method_for(view, node) == method


def test_topology_orders_the_plan() -> None:
    view = _view(_config(levels=True))
    assert [(lv.index, lv.devices) for lv in fence_rules.plan_for(view, "n2")] == [
        (1, ("pdu",)),
        (2, ("ipmi-n2",)),
    ]


def test_executor_is_a_healthy_member_rotated_by_round() -> None:
    view = _view(Config(), members={"n1": {}, "n2": {}, "n3": {}, "n4": {}})
    view.fence_ops = {"n4": {}}  # being fenced itself: never an executor
    assert [fence_rules.choose_executor(view, "n2", r) for r in range(3)] == ["n1", "n3", "n1"]
    assert fence_rules.choose_executor(_view(Config(), members={"n2": {}}), "n2", 0) is None


def test_saved_config_has_no_secrets() -> None:
    c = _config()
    red = fence_rules.redacted(c)
    assert red.fence_devices[0].params == {"ip": "x", "password": "****"}
    assert red.fence_devices[1].params == {"token": "****"}
    assert c.fence_devices[0].params["password"] == "s3cret"  # the original is untouched


# ---------------------------------------------------------------- the driver


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = await open_store("memory://")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def lead(store: Store) -> AsyncIterator[Leadership]:
    lead = await store.election(K.leader, ttl=5).campaign(b"test")
    try:
        yield lead
    finally:
        await lead.resign()


async def _setup(store: Store, config: Config, members: list[str]) -> None:
    ops = [
        Put.json(f"{K.config}{kind}/{ident}", doc)
        for (kind, ident), doc in jsonform.to_documents(config).items()
    ]
    for m in members:
        ops.append(Put.json(K.member(m), {"node": m, "lease": 100 + int(m[1:])}))
    ops.append(Put.json(f"{K.status_nodes}n2", {"agent": {"lease": 102}}))
    ops.append(Put.json(K.lost_node("n2"), {"since": 1000.0, "revision": 1}))
    ops.append(Put.json(f"{K.status_ops}n2/web", {"role": "Started"}))
    await store.txn([], ops)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _step(f: Fencer, lead: Leadership, store: Store, now: float) -> bool:
    return await f.step(lead, await read_view(store, K), now)


def _attempt(device: str, level: int, outcome: str, reason: str) -> dict[str, Any]:
    return {
        "target": "n2",
        "level": level,
        "device": device,
        "action": "reboot",
        "outcome": outcome,
        "reason": reason,
        "started": 1001.0,
        "duration_s": 0.1,
        "requested_by": "n1",
        "result": {"rc": 1 if outcome != "success" else 0, "confirmed_by": None},
    }


async def test_rounds_back_off_then_success_clears_the_node(store: Store, lead: Leadership) -> None:
    clock = Clock()
    await _setup(store, _config(levels=True), ["n1", "n3"])
    f = Fencer(store, K, "n1", clock)
    assert await _step(f, lead, store, 1000.0)  # opens the op
    assert await _step(f, lead, store, 1000.0)  # sends round 1 to n1
    view = await read_view(store, K)
    op = view.fence_ops["n2"]
    aid = op["in_flight"]["id"]
    assert op["in_flight"]["executor"] == "n1" and ("n1", aid) in view.actions
    action = view.actions[("n1", aid)]
    assert action["task"] == "stonith" and "s3cret" not in str(action)
    assert [lv["devices"] for lv in action["fence"]["plan"]] == [["pdu"], ["ipmi-n2"]]
    assert not await _step(f, lead, store, 1000.5)  # waiting for the agent: nothing to do
    # the agent reports every level failed (a reason that leaks a secret gets scrubbed)
    result = {
        "id": aid,
        "ok": False,
        "reason": "every level failed",
        "attempts": [
            _attempt("pdu", 1, "failed", "bad token tok-123"),
            _attempt("ipmi-n2", 2, "timeout", "off did not finish in time; killed"),
        ],
    }
    # as the agent does: the result and the deletion of its action, in one transaction
    await store.txn([], [Put.json(K.fence_result(aid), result), Delete(K.action("n1", aid))])
    assert await _step(f, lead, store, 1001.0)
    view = await read_view(store, K)
    op = view.fence_ops["n2"]
    assert op["failures"] == 1 and op["next_try"] == 1002.0 and op["in_flight"] is None
    hist = [e for _, e in view.fence_history["n2"]]
    assert [(e["device"], e["level"], e["result"]) for e in hist] == [
        ("pdu", 1, "failed"),
        ("ipmi-n2", 2, "timeout"),
    ]
    assert "tok-123" not in str(hist)
    assert not await _step(f, lead, store, 1001.5)  # backing off: no busy loop
    assert await _step(f, lead, store, 1002.0)  # round 2, on the next executor
    view = await read_view(store, K)
    fl = view.fence_ops["n2"]["in_flight"]
    assert fl["executor"] == "n3"
    ok = {
        "id": fl["id"],
        "ok": True,
        "level": 2,
        "devices": ["ipmi-n2"],
        "attempts": [_attempt("ipmi-n2", 2, "success", "powered off")],
    }
    await store.put_json(K.fence_result(fl["id"]), ok)
    await store.delete(K.action("n3", fl["id"]))
    assert await _step(f, lead, store, 1003.0)
    view = await read_view(store, K)
    assert "n2" not in view.fence_ops and "n2" not in view.lost
    assert view.fenced["n2"]["lease"] == 102
    assert ("n2", "web") not in view.ops  # it runs nothing now
    assert view.fence_history["n2"][-1][1]["result"] == "success"
    # a member key on the fenced lease is not a member
    await store.put_json(K.member("n2"), {"node": "n2", "lease": 102})
    view = await read_view(store, K)
    assert "n2" not in view.members and view.stale_members == {"n2": 102}
    await store.put_json(K.member("n2"), {"node": "n2", "lease": 999})
    assert "n2" in (await read_view(store, K)).members


async def test_dropped_or_lost_executor_counts_as_a_failed_round(
    store: Store, lead: Leadership
) -> None:
    await _setup(store, _config(), ["n1", "n3"])
    f = Fencer(store, K, "n1", Clock())
    await _step(f, lead, store, 1000.0)
    await _step(f, lead, store, 1000.0)
    view = await read_view(store, K)
    aid = view.fence_ops["n2"]["in_flight"]["id"]
    await store.delete(K.member("n1"))  # the executor is lost
    assert await _step(f, lead, store, 1000.2)
    view = await read_view(store, K)
    assert "was lost" in view.fence_ops["n2"]["last_error"]
    assert ("n1", aid) not in view.actions


async def test_manual_request_without_device_is_refused_in_the_history(
    store: Store, lead: Leadership
) -> None:
    await _setup(store, _config(), ["n1", "n3"])
    await store.delete(K.lost_node("n2"))
    await store.put_json(K.fence_request("n1"), {"action": "off", "requested_by": "me"})
    f = Fencer(store, K, "n3", Clock())
    assert await _step(f, lead, store, 1000.0)
    view = await read_view(store, K)
    assert view.fence_requests == {} and view.fence_ops == {}
    ((_, entry),) = view.fence_history["n1"]
    assert entry["result"] == "failed" and "no fence device" in entry["reason"]
    assert entry["requested_by"] == "me"
    # with a device it becomes an op, requested by the person
    await store.put_json(K.fence_request("n3"), {"action": "off", "requested_by": "me"})
    assert await _step(f, lead, store, 1000.0)
    op = (await read_view(store, K)).fence_ops["n3"]
    assert op["action"] == "off" and op["requested_by"] == "me"
