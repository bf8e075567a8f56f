"""The JSON form of the configuration model: what the store, the HTTP API and
``corral ... --format json`` hold and exchange.

The rules (stable; tests hold them):

* An object is a JSON object whose keys are the model's field names
  (``id``, ``cls``, ``provider``, ``type``, ``instance``, ``meta``, ``ops``,
  ``interval_ms``, ``with_rsc``, ...). Values keep their model types: text,
  integers (scores and durations are integers: ``INFINITY`` is ``1000000``,
  durations are milliseconds), booleans, ``name -> text`` objects for attribute
  sets, and lists.
* A field that holds its default value is left out (``{"id": "op1", "name":
  "monitor"}`` is an ``Op`` with interval 0 and no timeout); ``from_json`` fills
  it back in. So the form is short, and the same object always gives the same
  JSON.
* Where a field may hold several kinds of object, each carries ``"kind"``:
  resources (``"primitive"``, ``"group"``, ``"clone"``; always written) and the
  terms of a rule (``"expression"``, ``"date_expression"``, ``"rule"``).
* Reading is strict: an unknown key, a missing required field or a value of the
  wrong type raises ``ParseError`` (code ``bad-json``) naming the object and the
  field. Nothing is guessed.

``config_to_json`` / ``config_from_json`` give a whole ``Config`` as one object
with one member per list of ``Config`` (``nodes``, ``resources``, ...), each left
out when empty. ``to_documents`` / ``from_documents`` split a ``Config`` into the
per-object documents the store keeps under ``config/<kind>/<id>`` (see ``KINDS``).
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, Union, get_args, get_origin

from corral.model import config as m
from corral.model.errors import ParseError

Json = Any

# The types a "kind" discriminator picks from, by the name written in JSON.
_RESOURCE_KINDS: Final[Mapping[str, type]] = MappingProxyType(
    {"primitive": m.Primitive, "group": m.Group, "clone": m.Clone}
)
_TERM_KINDS: Final[Mapping[str, type]] = MappingProxyType(
    {
        "expression": m.Expression,
        "date_expression": m.DateExpression,
        "rule": m.Rule,
    }
)
_KIND_NAMES: Final[Mapping[type, str]] = MappingProxyType(
    {
        **{t: k for k, t in _RESOURCE_KINDS.items()},
        **{t: k for k, t in _TERM_KINDS.items()},
    }
)

MODEL_TYPES: tuple[type, ...] = (
    m.Node,
    m.Op,
    m.Primitive,
    m.Group,
    m.Clone,
    m.Expression,
    m.DateExpression,
    m.Rule,
    m.Location,
    m.ResourceSet,
    m.Colocation,
    m.Order,
    m.FencingLevel,
    m.FenceDevice,
    m.Ticket,
    m.Bundle,
)


def _bad(message: str, *, where: str) -> ParseError:
    return ParseError(f"{where}: {message}" if where else message, code="bad-json")


# --------------------------------------------------------------------------- encode


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default and type(value) is type(f.default))
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def to_json(obj: Any) -> Json:
    """The JSON form (plain dicts, lists, text, ints, bools) of one model object."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Json] = {}
        kind = _KIND_NAMES.get(type(obj))
        if kind is not None:
            out["kind"] = kind
        for f in dataclasses.fields(obj):
            if f.name == "kind" and kind is not None:
                continue  # the discriminator, written above
            value = getattr(obj, f.name)
            if _is_default(f, value):
                continue
            out[f.name] = to_json(value)
        return out
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    raise TypeError(f"no JSON form for {type(obj).__name__}")


# --------------------------------------------------------------------------- decode


def _hints(cls: type) -> dict[str, Any]:
    """The field types of ``cls`` (a model dataclass of ``model.config`` or another model
    module, such as ``model.status``)."""
    return typing.get_type_hints(cls, {**vars(m), **vars(sys.modules[cls.__module__])})


def _decode(hint: Any, value: Json, where: str) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None:
            if type(None) in options:
                return None
            raise _bad("must not be null", where=where)
        classes = [o for o in options if o is not type(None)]
        if len(classes) == 1:
            return _decode(classes[0], value, where)
        return _decode_union(classes, value, where)
    if origin is Literal:
        if value not in get_args(hint):
            raise _bad(f"must be one of {list(get_args(hint))}", where=where)
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _bad("must be a list", where=where)
        (item,) = get_args(hint)
        return [_decode(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _bad("must be an object", where=where)
        _, vt = get_args(hint)
        return {k: _decode(vt, v, f"{where}.{k}") for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise _bad("must be true or false", where=where)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad("must be an integer", where=where)
        return value
    if hint is str:
        if not isinstance(value, str):
            raise _bad("must be text", where=where)
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_json(hint, value, where=where)
    raise TypeError(f"{where}: no JSON decoding for {hint!r}")


def _decode_union(classes: list[Any], value: Json, where: str) -> Any:
    if not isinstance(value, dict):
        raise _bad("must be an object", where=where)
    kind = value.get("kind")
    for c in classes:
        if _KIND_NAMES.get(c) == kind:
            return from_json(c, value, where=where)
    names = sorted(_KIND_NAMES[c] for c in classes if c in _KIND_NAMES)
    raise _bad(f"'kind' must be one of {names}, not {kind!r}", where=where)


def from_json(cls: type[Any], data: Json, *, where: str = "") -> Any:
    """Build a model object of type ``cls`` from its JSON form (strict; see the module doc)."""
    where = where or cls.__name__
    if not isinstance(data, dict):
        raise _bad("must be an object", where=where)
    if "id" in data and isinstance(data["id"], str):
        where = f"{where} {data['id']!r}" if where == cls.__name__ else where
    hints = _hints(cls)
    names = {f.name: f for f in dataclasses.fields(cls)}
    kind = _KIND_NAMES.get(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "kind" and kind is not None:
            if value != kind:
                raise _bad(f"'kind' must be {kind!r}, not {value!r}", where=where)
            continue
        if key not in names or (key == "kind" and kind is not None):
            raise _bad(f"unknown field {key!r}", where=where)
        kwargs[key] = _decode(hints[key], value, f"{where}.{key}")
    for name, f in names.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in kwargs:
            raise _bad(f"missing field {name!r}", where=where)
    return cls(**kwargs)


# --------------------------------------------------------------------------- resources


def resource_to_json(r: m.Resource) -> Json:
    return to_json(r)


def resource_from_json(data: Json, *, where: str = "resource") -> m.Resource:
    return typing.cast(m.Resource, _decode_union(list(_RESOURCE_KINDS.values()), data, where))


# --------------------------------------------------------------------------- a whole Config

# Config's list members and the type of their items; the attribute sets are
# ``properties``, ``rsc_defaults`` and ``op_defaults``; ``tags`` is id -> member ids.
_LISTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "nodes": m.Node,
        "resources": m.Resource,
        "locations": m.Location,
        "colocations": m.Colocation,
        "orders": m.Order,
        "tickets": m.Ticket,
        "fencing_levels": m.FencingLevel,
        "fence_devices": m.FenceDevice,
        "bundles": m.Bundle,
    }
)
_ATTR_SETS = ("properties", "rsc_defaults", "op_defaults")


def config_to_json(c: m.Config) -> Json:
    """A whole configuration as one JSON object (empty members left out)."""
    out = to_json(c)
    assert isinstance(out, dict)
    return out


def config_from_json(data: Json) -> m.Config:
    """The inverse of ``config_to_json`` (strict)."""
    return typing.cast(m.Config, from_json(m.Config, data, where="config"))


# --------------------------------------------------------------------------- store documents

# kind (the store's ``config/<kind>/<id>``) -> the Config member it fills
KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "nodes": "nodes",
        "resources": "resources",
        "locations": "locations",
        "colocations": "colocations",
        "orders": "orders",
        "tickets": "tickets",
        "fencing-levels": "fencing_levels",
        "fence-devices": "fence_devices",
        "bundles": "bundles",
        "tags": "tags",
        "properties": "",  # one document per attribute set: cluster, rsc_defaults, op_defaults
    }
)
# ``config/properties/<set>`` -> the Config attribute set
PROPERTY_SETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "cluster": "properties",
        "rsc_defaults": "rsc_defaults",
        "op_defaults": "op_defaults",
    }
)


def to_documents(c: m.Config) -> dict[tuple[str, str], Json]:
    """The store's documents of ``c``: (kind, id) -> JSON, in the configuration's order
    (dicts keep insertion order; ``from_documents`` restores it from that order).

    Attribute sets that are empty are left out; a tag is ``{"id": ..., "members": [...]}``.
    """
    docs: dict[tuple[str, str], Json] = {}
    for kind, member in KINDS.items():
        if kind == "properties":
            for set_name, attr in PROPERTY_SETS.items():
                values = getattr(c, attr)
                if values:
                    docs[(kind, set_name)] = dict(values)
        elif kind == "tags":
            for tag, members in c.tags.items():
                docs[(kind, tag)] = {"id": tag, "members": list(members)}
        else:
            for obj in getattr(c, member):
                docs[(kind, obj.id)] = to_json(obj)
    return docs


def from_documents(docs: Iterable[tuple[str, str, Json]]) -> m.Config:
    """A ``Config`` from (kind, id, JSON) documents, taken in the order given.

    Unknown kinds raise ``ParseError`` (``bad-json``): a caller that keeps kinds of its
    own filters them out first."""
    c = m.Config()
    for kind, ident, data in docs:
        where = f"config/{kind}/{ident}"
        if kind not in KINDS:
            raise _bad(f"unknown kind {kind!r}", where=where)
        if kind == "properties":
            if ident not in PROPERTY_SETS:
                raise _bad(f"unknown property set {ident!r}", where=where)
            values = _decode(dict[str, str], data, where)
            getattr(c, PROPERTY_SETS[ident]).update(values)
        elif kind == "tags":
            if not isinstance(data, Mapping) or set(data) != {"id", "members"}:
                raise _bad("a tag is {'id': ..., 'members': [...]}", where=where)
            c.tags[_decode(str, data["id"], where)] = _decode(list[str], data["members"], where)
        else:
            member = KINDS[kind]
            item_type = _LISTS[member]
            if item_type is m.Resource:
                obj = resource_from_json(data, where=where)
            else:
                obj = from_json(item_type, data, where=where)
            getattr(c, member).append(obj)
    return c


__all__ = [
    "KINDS",
    "MODEL_TYPES",
    "PROPERTY_SETS",
    "config_from_json",
    "config_to_json",
    "from_documents",
    "from_json",
    "resource_from_json",
    "resource_to_json",
    "to_documents",
    "to_json",
]
