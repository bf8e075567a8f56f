"""Resource commands on an in-process store: create/update/delete of each kind, the
cli-prefer/cli-ban constraints, enable/disable, cleanup, and every refusal with its
code (nothing written)."""

from __future__ import annotations

import asyncio

import pytest

from corral.commands import resources as rc
from corral.commands.args import parse_agent, parse_resource_words
from corral.commands.catalog import TableCatalog
from corral.commands.config_store import load_config
from corral.commands.constraints import add_colocation, add_order
from corral.commands.resource_edits import CreateSpec
from corral.model.config import Clone, Group, Primitive
from corral.model.errors import ConflictError, CorralError, Problems, ValidationFailed
from corral.store import Store

C = "default"


def spec(name: str, agent: str, words: str = "", **kw: object) -> CreateSpec:
    p = Problems()
    a = parse_agent(p, agent)
    args = parse_resource_words(p, words.split())
    p.raise_if_any()
    assert a is not None
    return CreateSpec(name=name, agent=a, args=args, **kw)  # type: ignore[arg-type]


async def test_create_primitive_with_ops(store: Store, catalog: TableCatalog) -> None:
    done = await rc.create_resource(
        store,
        spec("db", "ocf:heartbeat:Dummy", "fake=1 op monitor interval=5s timeout=5s meta a=b"),
        catalog=catalog,
    )
    assert done.value == ["db"] and done.written
    cfg, rev = await load_config(store)
    assert rev == done.revision
    (db,) = cfg.resources
    assert isinstance(db, Primitive)
    assert (db.cls, db.provider, db.type, db.instance, db.meta) == (
        "ocf",
        "heartbeat",
        "Dummy",
        {"fake": "1"},
        {"a": "b"},
    )
    ops = {(o.id, o.name, o.interval_ms, o.timeout_ms) for o in db.ops}
    assert ops == {
        ("db-monitor-interval-5s", "monitor", 5000, 5000),
        ("db-start-interval-0s", "start", 0, 20000),  # from the agent's meta-data
        ("db-stop-interval-0s", "stop", 0, 20000),
    }


async def test_create_process_clone_and_group(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(
        store,
        spec("web", "process", "command=python3_-m_http.server health=http:8080 clone clone-max=2"),
        catalog=catalog,
    )
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy", group="g"), catalog=catalog)
    await rc.create_resource(store, spec("b", "ocf:heartbeat:Dummy", group="g"), catalog=catalog)
    await rc.create_resource(
        store, spec("c", "ocf:heartbeat:Dummy", group="g", before="b"), catalog=catalog
    )
    cfg, _ = await load_config(store)
    web, g = cfg.resources
    assert isinstance(web, Clone) and web.id == "web-clone" and web.meta == {"clone-max": "2"}
    assert isinstance(web.child, Primitive) and web.child.cls == "process"
    assert isinstance(g, Group) and [c.id for c in g.children] == ["a", "c", "b"]


async def test_update_and_delete(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(
        store, spec("db", "ocf:heartbeat:Dummy", "fake=1 state=/x"), catalog=catalog
    )
    p = Problems()
    args = parse_resource_words(
        p, ["fake=", "state=/y", "op", "monitor", "interval=20s", "meta", "m=1"]
    )
    await rc.update_resource(store, "db", args, catalog=catalog)
    cfg, _ = await load_config(store)
    (db,) = cfg.resources
    assert isinstance(db, Primitive)
    assert db.instance == {"state": "/y"} and db.meta == {"m": "1"}
    assert [o.interval_ms for o in db.ops if o.name == "monitor"] == [20000]
    done = await rc.delete_resource(store, "db")
    assert done.value == ["db"]
    cfg, _ = await load_config(store)
    assert cfg.resources == []


async def test_delete_takes_constraints_and_empty_parents(
    store: Store, catalog: TableCatalog
) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy", group="g"), catalog=catalog)
    await rc.create_resource(store, spec("b", "ocf:heartbeat:Dummy", "clone"), catalog=catalog)
    await add_order(store, ["g", "then", "b-clone"])
    await add_colocation(store, ["a", "with", "b-clone"])
    done = await rc.delete_resource(store, "a")
    assert set(done.value) == {
        "a",
        "g",
        "order-g-b-clone-mandatory",
        "colocation-a-b-clone-INFINITY",
    }
    done = await rc.delete_resource(store, "b")  # the clone goes with its child
    assert set(done.value) == {"b", "b-clone"}
    cfg, _ = await load_config(store)
    assert (cfg.resources, cfg.orders, cfg.colocations) == ([], [], [])


async def test_enable_disable(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy", "clone"), catalog=catalog)
    await rc.disable_resource(store, "a-clone")
    cfg, _ = await load_config(store)
    assert cfg.resources[0].meta == {"target-role": "Stopped"}
    await rc.enable_resource(store, "a")  # enabling a member enables its clone too
    cfg, _ = await load_config(store)
    assert cfg.resources[0].meta == {}


async def test_move_ban_clear(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy"), catalog=catalog)
    for n in ("n1", "n2", "n3"):  # members now
        await store.put(f"/corral/{C}/members/{n}", b"{}")
    assert (await rc.move_resource(store, "a", "n1")).value == "cli-prefer-a"
    await rc.move_resource(store, "a", "n2")  # replaces the first
    await rc.ban_resource(store, "a", "n3")
    cfg, _ = await load_config(store)
    assert [(c.id, c.node, c.score, c.role) for c in cfg.locations] == [
        ("cli-prefer-a", "n2", 1_000_000, "Started"),
        ("cli-ban-a-on-n3", "n3", -1_000_000, "Started"),
    ]
    assert sorted((await rc.clear_resource(store, "a")).value) == [
        "cli-ban-a-on-n3",
        "cli-prefer-a",
    ]
    cleared = await rc.clear_resource(store, "a")
    assert cleared.value == [] and not cleared.written
    cfg, _ = await load_config(store)
    assert cfg.locations == []


async def test_cleanup_deletes_history(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy", "clone"), catalog=catalog)
    for key in ("n1/a:0", "n2/a:1", "n2/a", "n1/other"):
        await store.put(f"/corral/default/status/ops/{key}", b'{"role": "Failed"}')
    done = await rc.cleanup_resource(store, "a-clone", node="n2")
    assert sorted(done.records) == [("n2", "a"), ("n2", "a:1")]
    done = await rc.cleanup_resource(store, "a")
    assert done.records == [("n1", "a:0")]
    assert await store.get("/corral/default/status/ops/n1/other") is not None
    with pytest.raises(CorralError) as e:
        await rc.cleanup_resource(store, "ghost")
    assert e.value.code == "not-found"


async def test_restart_times_out_without_a_controller(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy"), catalog=catalog)
    await store.put("/corral/default/status/ops/n1/a", b'{"role": "Started"}')
    with pytest.raises(CorralError) as e:
        await rc.restart_resource(store, "a", timeout_s=0.3, poll_s=0.05)
    assert e.value.code == "restart-timeout"
    cfg, _ = await load_config(store)
    assert cfg.resources[0].meta == {}  # target-role put back


async def test_restart_waits_for_the_stop(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(
        store, spec("a", "ocf:heartbeat:Dummy", "meta target-role=Started"), catalog=catalog
    )
    await store.put("/corral/default/status/ops/n1/a", b'{"role": "Started"}')

    async def controller() -> None:  # stands in for the controller: stop when told
        while True:
            cfg, _ = await load_config(store)
            if cfg.resources[0].meta.get("target-role") == "Stopped":
                await store.put("/corral/default/status/ops/n1/a", b'{"role": "Stopped"}')
                return
            await asyncio.sleep(0.02)

    task = asyncio.create_task(controller())
    await rc.restart_resource(store, "a", timeout_s=10, poll_s=0.02)
    await task
    cfg, _ = await load_config(store)
    assert cfg.resources[0].meta == {"target-role": "Started"}


CASES = [
    # (what, setup words, the bad spec, codes)
    ("unknown agent", spec("x", "ocf:heartbeat:Nope"), ["unknown-agent"]),
    ("missing parameter", spec("x", "ocf:heartbeat:IPaddr2"), ["missing-parameter"]),
    ("unknown parameter", spec("x", "ocf:heartbeat:Dummy", "bogus=1"), ["unknown-parameter"]),
    ("bad id", spec("1x", "ocf:heartbeat:Dummy"), ["bad-id"]),
    ("duplicate id", spec("a", "ocf:heartbeat:Dummy"), ["duplicate-id"]),
    (
        "bad duration",
        spec("x", "ocf:heartbeat:Dummy", "op monitor interval=soon"),
        ["bad-duration"],
    ),
    (
        "bad role",
        spec("x", "ocf:heartbeat:Dummy", "op monitor interval=5s role=boss"),
        ["bad-role"],
    ),
    (
        "bad on-fail",
        spec("x", "ocf:heartbeat:Dummy", "op monitor interval=5s on-fail=cry"),
        ["bad-value"],
    ),
    ("group is not a group", spec("x", "ocf:heartbeat:Dummy", group="a"), ["not-a-group"]),
    ("group and clone", spec("x", "ocf:heartbeat:Dummy", "clone", group="g"), ["bad-argument"]),
    ("process without command", spec("x", "process"), ["missing-parameter"]),
    ("process bad health", spec("x", "process", "command=sleep health=udp:53"), ["bad-value"]),
    ("unknown op", spec("x", "ocf:heartbeat:Dummy", "op bogus interval=5s"), ["unknown-op"]),
    (
        "op the agent does not advertise",
        spec("x", "ocf:heartbeat:Dummy", "op promote"),
        ["unknown-op"],
    ),
    (
        "bad meta values",
        spec(
            "x",
            "ocf:heartbeat:Dummy",
            "meta migration-threshold=abc resource-stickiness=lots priority=x "
            "failure-timeout=soon target-role=Bogus is-managed=maybe clone-max=-1 "
            "multiple-active=panic",
        ),
        ["bad-meta-value"] * 8,
    ),
    (
        "bad clone meta",
        spec("x", "ocf:heartbeat:Dummy", "clone interleave=perhaps"),
        ["bad-meta-value"],
    ),
    (
        "several at once",
        spec("x", "ocf:heartbeat:IPaddr2", "bogus=1 op monitor interval=soon"),
        ["bad-duration", "missing-parameter", "unknown-parameter"],
    ),
]


@pytest.mark.parametrize(("what", "bad", "codes"), CASES, ids=[c[0] for c in CASES])
async def test_refusals(
    store: Store, catalog: TableCatalog, what: str, bad: CreateSpec, codes: list[str]
) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy"), catalog=catalog)
    before = await store.range("/corral/")
    with pytest.raises(ValidationFailed) as e:
        await rc.create_resource(store, bad, catalog=catalog)
    assert sorted(e.value.codes) == sorted(codes)
    after = await store.range("/corral/")
    assert after.revision == before.revision  # nothing written


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda s: rc.delete_resource(s, "ghost"), "not-found"),
        (
            lambda s: rc.update_resource(s, "ghost", parse_resource_words(Problems(), [])),
            "not-found",
        ),
        (lambda s: rc.move_resource(s, "ghost", "n1", force=True), "not-found"),
        (lambda s: rc.ban_resource(s, "ghost", "n1", force=True), "not-found"),
        (lambda s: rc.enable_resource(s, "ghost"), "not-found"),
        (lambda s: rc.disable_resource(s, "ghost"), "not-found"),
        (lambda s: rc.move_resource(s, "c-clone", "n1", force=True), "cannot-move-clone"),
    ],
)
async def test_missing_resources(store: Store, catalog: TableCatalog, call, code: str) -> None:  # type: ignore[no-untyped-def]
    await rc.create_resource(store, spec("c", "ocf:heartbeat:Dummy", "clone"), catalog=catalog)
    with pytest.raises(ValidationFailed) as e:
        await call(store)
    assert e.value.codes == [code]


async def test_two_writers_one_wins(store: Store, catalog: TableCatalog) -> None:
    """Two commands that read the same revision: exactly one writes, the other gets a
    conflict (and writes nothing)."""
    from corral.commands import config_store

    real = config_store.read_config
    reads: list[object] = []
    gate = asyncio.Event()

    async def slow_read(s: Store, cluster: str = C) -> config_store.ConfigRead:
        r = await real(s, cluster)
        reads.append(r)
        if len(reads) == 2:
            gate.set()
        await gate.wait()  # both have read before either writes
        return r

    from corral.commands import change

    change.read_config = slow_read  # type: ignore[assignment]
    try:
        results = await asyncio.gather(
            rc.create_resource(store, spec("x", "ocf:heartbeat:Dummy"), catalog=catalog),
            rc.create_resource(store, spec("y", "ocf:heartbeat:Dummy"), catalog=catalog),
            return_exceptions=True,
        )
    finally:
        change.read_config = real  # type: ignore[assignment]
    ok = [r for r in results if not isinstance(r, BaseException)]
    errs = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1 and len(errs) == 1
    assert isinstance(errs[0], ConflictError) and errs[0].code == "conflict"
    cfg, _ = await load_config(store)
    assert len(cfg.resources) == 1


async def test_good_meta_values_pass(store: Store, catalog: TableCatalog) -> None:
    words = (
        "meta migration-threshold=INFINITY resource-stickiness=-100 priority=2 "
        "failure-timeout=10min target-role=slave is-managed=no requires=fencing "
        "promotable clone-max=3 promoted-max=1 notify=yes interleave=1"
    )
    await rc.create_resource(store, spec("x", "ocf:heartbeat:Dummy", words), catalog=catalog)
    cfg, _ = await load_config(store)
    assert cfg.resources[0].meta["clone-max"] == "3"


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("meta target-role=Bogus", "bad-meta-value"),
        ("meta failure-timeout=never", "bad-meta-value"),
        ("op bogus interval=5s", "unknown-op"),
        ("op notify", "unknown-op"),  # Dummy does not advertise notify
    ],
)
async def test_update_refuses_bad_values(
    store: Store, catalog: TableCatalog, words: str, code: str
) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy"), catalog=catalog)
    before = await store.range("/corral/")
    with pytest.raises(ValidationFailed) as e:
        await rc.update_resource(
            store, "a", parse_resource_words(Problems(), words.split()), catalog=catalog
        )
    assert e.value.codes == [code]
    assert (await store.range("/corral/")).revision == before.revision


async def test_move_and_ban_want_a_known_node(store: Store, catalog: TableCatalog) -> None:
    await rc.create_resource(store, spec("a", "ocf:heartbeat:Dummy"), catalog=catalog)
    before = await store.range("/corral/")
    for call in (rc.move_resource, rc.ban_resource):
        with pytest.raises(ValidationFailed) as e:
            await call(store, "a", "nosuchnode")
        assert e.value.codes == ["unknown-node"]
    assert (await store.range("/corral/")).revision == before.revision
    # a member, a node the status knows and a configured node will do
    await store.put(f"/corral/{C}/members/m1", b"{}")
    await store.put(f"/corral/{C}/status/nodes/s1", b"{}")
    await rc.move_resource(store, "a", "m1")
    await rc.ban_resource(store, "a", "s1")
    # and with force, a node that has not joined yet
    await rc.move_resource(store, "a", "later", force=True)
    await rc.ban_resource(store, "a", "later2", force=True)
    cfg, _ = await load_config(store)
    assert sorted(c.node for c in cfg.locations) == ["later", "later2", "s1"]
