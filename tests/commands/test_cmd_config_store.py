"""The configuration in the store: one key per object, one revision per read, one
transaction per change, and never an overwrite of a change made meanwhile."""

from __future__ import annotations

import copy

import pytest

from corral.commands import config_store as cs
from corral.model.config import Config, Location, Node, Primitive
from corral.model.errors import ConflictError, CorralError, ParseError
from corral.store import Put, Store


def _config(n: int = 3) -> Config:
    return Config(
        properties={"stonith-enabled": "false"},
        nodes=[Node("n1", "n1")],
        resources=[Primitive(f"r{i}", "ocf", "Dummy", "heartbeat") for i in range(n)],
        locations=[Location("l1", "r0", node="n1", score=5)],
    )


async def _write(store: Store, c: Config, change: str = "test") -> int:
    read = await cs.read_config(store, "c1")
    return await cs.write_config(store, read, c, change=change)


async def test_layout_and_load(store: Store) -> None:
    c = _config()
    rev = await _write(store, c)
    snap = await store.range("/corral/c1/")
    keys = [kv.key for kv in snap]
    assert keys == sorted(
        [
            "/corral/c1/config/_generation",
            "/corral/c1/config/locations/l1",
            "/corral/c1/config/nodes/n1",
            "/corral/c1/config/properties/cluster",
            "/corral/c1/config/resources/r0",
            "/corral/c1/config/resources/r1",
            "/corral/c1/config/resources/r2",
        ]
    )
    assert all(kv.mod_revision == rev for kv in snap)  # one transaction
    got, at = await cs.load_config(store, "c1")
    assert got == c and at == rev
    assert snap.get("/corral/c1/config/properties/cluster").json() == {"stonith-enabled": "false"}  # type: ignore[union-attr]
    assert snap.get("/corral/c1/config/resources/r1").json()["_position"] == 1  # type: ignore[union-attr]


async def test_order_is_kept(store: Store) -> None:
    c = Config(resources=[Primitive(x, "ocf", "Dummy", "heartbeat") for x in "zyxa"])
    await _write(store, c)
    got, _ = await cs.load_config(store, "c1")
    assert [r.id for r in got.resources] == ["z", "y", "x", "a"]


async def test_change_writes_only_what_differs(store: Store) -> None:
    c = _config(5)
    await _write(store, c)
    new = copy.deepcopy(c)
    del new.resources[0]  # the others keep their positions: no rewrite
    new.locations = []
    read = await cs.read_config(store, "c1")
    ops = cs.plan_write(read, new)
    assert sorted(op.key for op in ops) == [
        "/corral/c1/config/locations/l1",
        "/corral/c1/config/resources/r0",
    ]
    await cs.write_config(store, read, new, change="x")
    got, _ = await cs.load_config(store, "c1")
    assert got == new


async def test_nothing_to_write(store: Store) -> None:
    rev = await _write(store, _config())
    read = await cs.read_config(store, "c1")
    assert await cs.write_config(store, read, read.config, change="noop") == rev


async def test_concurrent_change_is_a_conflict(store: Store) -> None:
    await _write(store, _config())
    a = await cs.read_config(store, "c1")
    b = await cs.read_config(store, "c1")
    ca = copy.deepcopy(a.config)
    ca.properties["x"] = "a"
    cb = copy.deepcopy(b.config)
    cb.resources.append(Primitive("other", "ocf", "Dummy", "heartbeat"))
    await cs.write_config(store, a, ca, change="writer a")
    with pytest.raises(ConflictError) as e:
        await cs.write_config(store, b, cb, change="writer b")
    assert e.value.code == "conflict"
    assert "writer a" in e.value.message
    got, _ = await cs.load_config(store, "c1")
    assert got == ca  # b wrote nothing


async def test_other_kinds_and_clusters_are_left_alone(store: Store) -> None:
    await store.put("/corral/c1/config/widgets/w1", b'{"id": "w1"}')
    await store.put("/corral/c2/config/resources/r9", b"not json")
    await _write(store, _config())
    read = await cs.read_config(store, "c1")
    new = copy.deepcopy(read.config)
    new.resources = []
    await cs.write_config(store, read, new, change="clear")
    assert await store.get("/corral/c1/config/widgets/w1") is not None
    assert await store.get("/corral/c2/config/resources/r9") is not None


async def test_bad_documents_name_their_key(store: Store) -> None:
    await store.put("/corral/c1/config/resources/r1", b"{not json")
    with pytest.raises(ParseError) as e:
        await cs.load_config(store, "c1")
    assert "/corral/c1/config/resources/r1" in e.value.message
    await store.put("/corral/c1/config/resources/r1", b'{"kind": "primitive", "id": "r2"}')
    with pytest.raises(ParseError):
        await cs.load_config(store, "c1")


async def test_ids_are_escaped_in_keys(store: Store) -> None:
    c = Config(resources=[Primitive("a/b%c", "ocf", "Dummy", "heartbeat")])
    await _write(store, c)
    assert await store.get("/corral/c1/config/resources/a%2Fb%25c") is not None
    got, _ = await cs.load_config(store, "c1")
    assert got == c


async def test_too_large_a_change(store: Store) -> None:
    c = Config(
        resources=[
            Primitive(f"r{i}", "ocf", "Dummy", "heartbeat")
            for i in range(store.limits.max_txn_ops + 1)
        ]
    )
    with pytest.raises(CorralError) as e:
        await _write(store, c)
    assert e.value.code == "change-too-large"
    assert len(await store.range("/corral/c1/")) == 0


async def test_a_hand_made_transaction_with_the_guard(store: Store) -> None:
    await _write(store, _config())
    read = await cs.read_config(store, "c1")
    compare, put = cs.guard_ops(read, "by hand")
    res = await store.txn([compare], [put, Put("/corral/c1/config/properties/op_defaults", b"{}")])
    assert res.succeeded
    assert (await cs.read_config(store, "c1")).generation == read.generation + 1


def test_bad_cluster_name() -> None:
    with pytest.raises(CorralError) as e:
        cs.cluster_prefix("a/b")
    assert e.value.code == "bad-cluster"
