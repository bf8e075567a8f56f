"""Constraint and node commands, and CIB import/export, on an in-process store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.commands import cib, constraints, nodes
from corral.commands import resources as rc
from corral.commands.args import AgentName
from corral.commands.config_store import load_config
from corral.commands.resource_edits import CreateSpec
from corral.model.config import Primitive
from corral.model.errors import CorralError, ParseError, ValidationFailed
from corral.model.score import INFINITY
from corral.store import Store

CORPUS = Path("/work/shared/pacemaker-scheduler/xml")
CIBS = [
    "group1.xml",
    "clone-no-shuffle.xml",
    "promoted-1.xml",
    "order-sets.xml",
    "rsc-sets-clone.xml",
    "one-or-more-1.xml",
    "node-maintenance-1.xml",
    "attrs1.xml",
]


async def _two(store: Store) -> None:
    for name in ("a", "b"):
        await rc.create_resource(store, CreateSpec(name, AgentName("ocf", "heartbeat", "Dummy")))


async def test_location_prefers_avoids(store: Store) -> None:
    await _two(store)
    done = await constraints.add_location(store, ["a", "prefers", "n1", "n2=50"])
    assert done.value == ["location-a-n1-INFINITY", "location-a-n2-50"]
    done = await constraints.add_location(store, ["a", "avoids", "n3", "n4=20"])
    cfg, _ = await load_config(store)
    assert [(c.node, c.score) for c in cfg.locations] == [
        ("n1", INFINITY),
        ("n2", 50),
        ("n3", -INFINITY),
        ("n4", -20),
    ]
    again = await constraints.add_location(store, ["a", "prefers", "n1"])
    assert again.value == ["location-a-n1-INFINITY-1"]


async def test_colocation_and_order(store: Store) -> None:
    await _two(store)
    c = await constraints.add_colocation(store, ["a", "with", "b", "-100", "node-attribute=rack"])
    o = await constraints.add_order(
        store, ["stop", "a", "then", "start", "b", "kind=Optional", "symmetrical=false"]
    )
    cfg, _ = await load_config(store)
    (col,) = cfg.colocations
    (order,) = cfg.orders
    assert (c.value, col.rsc, col.with_rsc, col.score, col.node_attribute) == (
        "colocation-a-b--100",
        "a",
        "b",
        -100,
        "rack",
    )
    assert (o.value, order.first_action, order.then_action, order.kind, order.symmetrical) == (
        "order-a-b-optional",
        "stop",
        "start",
        "Optional",
        False,
    )
    listed = await constraints.list_constraints(store, rsc="b")
    assert [x.id for x in listed.colocations] == [col.id]
    assert listed.to_json()["orders"][0]["id"] == order.id
    deleted = await constraints.delete_constraints(store, [col.id, order.id])
    assert deleted.value == [col.id, order.id]
    cfg, _ = await load_config(store)
    assert (cfg.colocations, cfg.orders) == ([], [])


async def test_promoted_roles(store: Store) -> None:
    await _two(store)
    await constraints.add_colocation(store, ["promoted", "a", "with", "Unpromoted", "b"])
    cfg, _ = await load_config(store)
    assert (cfg.colocations[0].rsc_role, cfg.colocations[0].with_rsc_role) == (
        "Promoted",
        "Unpromoted",
    )


@pytest.mark.parametrize(
    ("call", "codes"),
    [
        (lambda s: constraints.add_location(s, ["ghost", "prefers", "n1"]), ["dangling-reference"]),
        (lambda s: constraints.add_location(s, ["a", "prefers", "n1=lots"]), ["bad-score"]),
        (lambda s: constraints.add_location(s, ["a", "likes", "n1"]), ["bad-argument"]),
        (lambda s: constraints.add_colocation(s, ["a", "with", "ghost"]), ["dangling-reference"]),
        (lambda s: constraints.add_colocation(s, ["a", "with", "b", "much"]), ["bad-score"]),
        (lambda s: constraints.add_colocation(s, ["a", "b"]), ["bad-argument"]),
        (lambda s: constraints.add_colocation(s, ["a", "with", "b", "id=a"]), ["duplicate-id"]),
        (lambda s: constraints.add_colocation(s, ["a", "with", "b", "weight=1"]), ["bad-argument"]),
        (lambda s: constraints.add_order(s, ["a", "then", "ghost"]), ["dangling-reference"]),
        (lambda s: constraints.add_order(s, ["a", "then", "b", "kind=Always"]), ["bad-value"]),
        (
            lambda s: constraints.add_order(s, ["a", "then", "b", "symmetrical=maybe"]),
            ["bad-value"],
        ),
        (lambda s: constraints.add_order(s, ["a", "then", "a"]), ["bad-argument"]),
        (lambda s: constraints.add_order(s, ["a", "b"]), ["bad-argument"]),
        (lambda s: constraints.delete_constraints(s, ["nope"]), ["not-found"]),
        (lambda s: nodes.standby(s, "ghost"), ["unknown-node"]),
        (
            lambda s: constraints.add_location(s, ["ghost", "prefers", "n1=x", "=3"]),
            ["bad-argument", "bad-score", "dangling-reference"],
        ),
    ],
)
async def test_constraint_refusals(store: Store, call, codes: list[str]) -> None:  # type: ignore[no-untyped-def]
    await _two(store)
    rev = (await store.range("/corral/")).revision
    with pytest.raises(ValidationFailed) as e:
        await call(store)
    assert sorted(e.value.codes) == sorted(codes)
    assert (await store.range("/corral/")).revision == rev


async def test_node_attributes(store: Store) -> None:
    await store.put("/corral/default/members/n1", b'{"node": "n1"}')
    await nodes.standby(store, "n1")
    await nodes.maintenance(store, "n1")
    cfg, _ = await load_config(store)
    assert [(n.id, n.uname, n.attributes) for n in cfg.nodes] == [
        ("n1", "n1", {"standby": "on", "maintenance": "on"})
    ]
    await nodes.unstandby(store, "n1")
    await nodes.unmaintenance(store, "n1")
    cfg, _ = await load_config(store)
    assert cfg.nodes[0].attributes == {}
    # a configured node needs no member record
    await store.delete("/corral/default/members/n1")
    await nodes.standby(store, "n1")


@pytest.mark.parametrize("name", CIBS)
async def test_cib_import_export_reimport(store: Store, name: str) -> None:
    if not (CORPUS / name).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus CIB {name} missing")
        pytest.skip(f"corpus CIB {name} missing")
    xml = (CORPUS / name).read_bytes()
    done = await cib.import_cib(store, xml)
    stored, _ = await load_config(store)
    assert stored == cib.parse_cib(xml) == done.value
    out = await cib.export_cib(store)
    await cib.import_cib(store, out)
    again, _ = await load_config(store)
    assert again == stored


async def test_cib_import_replaces_everything(store: Store) -> None:
    await _two(store)
    await constraints.add_order(store, ["a", "then", "b"])
    await cib.import_cib(store, (CORPUS / "group1.xml").read_bytes())
    cfg, _ = await load_config(store)
    ids = {r.id for r in cfg.resources}
    assert "a" not in ids and not any(o.id == "order-a-b-mandatory" for o in cfg.orders)


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (b"<nope", "parse-error"),
        (b"<html/>", "parse-error"),
        (
            b"<cib><configuration><crm_config/><nodes/><resources/><constraints>"
            b'<rsc_location id="l" rsc="ghost" node="n1" score="5"/>'
            b"</constraints></configuration></cib>",
            "validation-failed",
        ),
    ],
)
async def test_cib_import_refusals(store: Store, xml: bytes, code: str) -> None:
    await _two(store)
    before, _ = await load_config(store)
    with pytest.raises((ParseError, ValidationFailed, CorralError)) as e:
        await cib.import_cib(store, xml)
    assert e.value.code == code
    after, _ = await load_config(store)
    assert after == before


async def test_export_of_created_resources(store: Store) -> None:
    await _two(store)
    xml = await cib.export_cib(store)
    cfg = cib.parse_cib(xml)
    assert [r.id for r in cfg.resources] == ["a", "b"]
    assert isinstance(cfg.resources[0], Primitive)


async def test_cib_import_checks_meta_types_and_op_names(store: Store) -> None:
    """The model's checks, shared by every command and by CIB import."""
    xml = (
        b"<cib><configuration><crm_config/><nodes/><resources>"
        b'<primitive id="r" class="ocf" provider="heartbeat" type="Dummy">'
        b'<meta_attributes id="r-m">'
        b'<nvpair id="r-m1" name="migration-threshold" value="abc"/>'
        b'<nvpair id="r-m2" name="target-role" value="Bogus"/>'
        b"</meta_attributes>"
        b'<operations><op id="r-op" name="bogus" interval="5s"/></operations>'
        b"</primitive></resources><constraints/></configuration></cib>"
    )
    await _two(store)
    before, _ = await load_config(store)
    with pytest.raises(ValidationFailed) as e:
        await cib.import_cib(store, xml)
    assert sorted(e.value.codes) == ["bad-meta-value", "bad-meta-value", "unknown-op"]
    after, _ = await load_config(store)
    assert after == before


async def test_location_may_name_a_node_not_yet_known(store: Store) -> None:
    """Pacemaker allows it (only move/ban want a known node)."""
    await _two(store)
    made = await constraints.add_location(store, ["a", "prefers", "later=10"])
    assert made.value == ["location-a-later-10"]
