"""The JSON form of the model: exact round trips, short stable output, strict reading."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from tests.commands import model_strategies as ms

from corral.model import jsonform
from corral.model.config import Clone, Config, Group, Location, Op, Primitive, Rule
from corral.model.errors import ParseError


def _through_text(obj: object) -> object:
    return json.loads(json.dumps(obj))


@settings(max_examples=60, deadline=None)
@given(ms.configs)
def test_config_round_trip(c: Config) -> None:
    data = _through_text(jsonform.config_to_json(c))
    assert jsonform.config_from_json(data) == c
    # stable: the same object gives the same JSON
    assert jsonform.config_to_json(jsonform.config_from_json(data)) == data


@settings(max_examples=60, deadline=None)
@given(ms.configs)
def test_documents_round_trip(c: Config) -> None:
    docs = jsonform.to_documents(c)
    back = jsonform.from_documents((k, i, _through_text(d)) for (k, i), d in docs.items())
    assert back == c


@settings(max_examples=100, deadline=None)
@given(ms.resources)
def test_resource_round_trip(r: Primitive | Group | Clone) -> None:
    data = _through_text(jsonform.resource_to_json(r))
    assert data["kind"] == r.kind
    assert jsonform.resource_from_json(data) == r


def test_defaults_are_left_out() -> None:
    op = Op(id="o", name="monitor")
    assert jsonform.to_json(op) == {"id": "o", "name": "monitor"}
    p = Primitive(id="p", cls="ocf", type="Dummy", provider="heartbeat", ops=[op])
    assert jsonform.to_json(p) == {
        "kind": "primitive",
        "id": "p",
        "cls": "ocf",
        "type": "Dummy",
        "provider": "heartbeat",
        "ops": [{"id": "o", "name": "monitor"}],
    }
    assert jsonform.config_to_json(Config()) == {}


def test_rule_terms_carry_kind() -> None:
    loc = Location(id="l", rsc="r", rules=[Rule(id="r1", score=5, expressions=[Rule(id="r2")])])
    data = jsonform.to_json(loc)
    assert data["rules"][0]["kind"] == "rule"
    assert data["rules"][0]["expressions"][0]["kind"] == "rule"


@pytest.mark.parametrize(
    ("cls", "data", "where"),
    [
        (Op, {"id": "o", "name": "m", "interval_ms": "5"}, "interval_ms"),
        (Op, {"id": "o", "name": "m", "interval_ms": True}, "interval_ms"),
        (Op, {"id": "o"}, "name"),
        (Op, {"id": "o", "name": "m", "bogus": 1}, "bogus"),
        (Op, {"id": "o", "name": "m", "meta": {"a": 1}}, "meta.a"),
        (Op, {"id": "o", "name": "m", "enabled": "yes"}, "enabled"),
        (Op, ["id"], "object"),
        (Primitive, {"kind": "group", "id": "p", "cls": "ocf", "type": "D"}, "kind"),
        (Clone, {"id": "c", "child": {"kind": "clone", "id": "x"}}, "kind"),
        (Clone, {"id": "c", "child": None}, "null"),
    ],
)
def test_reading_is_strict(cls: type, data: object, where: str) -> None:
    with pytest.raises(ParseError) as e:
        jsonform.from_json(cls, data)
    assert e.value.code == "bad-json"
    assert where in e.value.message


def test_unknown_document_kind() -> None:
    with pytest.raises(ParseError) as e:
        jsonform.from_documents([("widgets", "w", {"id": "w"})])
    assert e.value.code == "bad-json"
    with pytest.raises(ParseError):
        jsonform.from_documents([("properties", "nope", {})])


def test_every_model_type_encodes() -> None:
    # a guard for model changes: every type jsonform knows has a JSON form of its own
    for t in jsonform.MODEL_TYPES:
        assert t.__dataclass_fields__  # type: ignore[attr-defined]
