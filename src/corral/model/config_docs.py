"""The configuration as store documents: ``config/<kind>/<id>`` keys, each holding
one object's JSON (``corral.model.jsonform``) plus ``"_position"``, its place among
the objects of its kind; ``config/properties/<set>`` holds ``{"name": "value"}``.

This module knows no store: callers read the keys (at one revision) and hand over
``(key, value)`` pairs whose key is relative to the cluster's ``config/`` prefix.
Commands, the controller and the agent all decode through ``decode``, so they read
one configuration the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

from corral.model import jsonform
from corral.model.config import Config
from corral.model.errors import ParseError

POSITION = "_position"  # the store's own member of an object document


def object_path(kind: str, ident: str) -> str:
    """``<kind>/<id>`` (the id percent-encoded: ``/``, ``%`` and anything outside
    letters, digits and ``_.-``), relative to ``config/``."""
    return f"{kind}/{quote(ident, safe='')}"


def split_path(path: str) -> tuple[str, str] | None:
    """``<kind>/<id>`` -> (kind, id as it is); None if ``path`` is not of that shape."""
    kind, slash, ident = path.partition("/")
    if not slash or not ident or "/" in ident:
        return None
    return kind, unquote(ident)


def position_of(doc: Any) -> int | None:
    """An object document's ``_position``, if it has a valid one."""
    pos = doc.get(POSITION) if isinstance(doc, dict) else None
    return pos if isinstance(pos, int) and not isinstance(pos, bool) else None


def decode(items: Iterable[tuple[str, bytes | str]], *, prefix: str = "config/") -> Config:
    """The ``Config`` held by ``(path, value)`` pairs, ``path`` relative to ``config/``
    (``resources/web``). Paths of kinds ``jsonform`` does not know are left alone;
    objects of one kind come in the order of their position (then id).

    Raises ``ParseError`` (``bad-json``) naming the key (``prefix`` + path) if a value is
    not JSON or an object document's id is not the one of its key."""
    rows: list[tuple[str, int, str, Any]] = []
    for path, value in items:
        split = split_path(path)
        if split is None or split[0] not in jsonform.KINDS:
            continue
        kind, ident = split
        try:
            doc = json.loads(value)
        except ValueError as e:
            raise ParseError(f"{prefix}{path}: not JSON ({e})", code="bad-json") from None
        position = 0
        if kind != "properties" and isinstance(doc, dict):
            position = position_of(doc) or 0
            doc = {k: v for k, v in doc.items() if k != POSITION}
            if doc.get("id") != ident:
                raise ParseError(
                    f"{prefix}{path}: the document's id is {doc.get('id')!r}", code="bad-json"
                )
        rows.append((kind, position, ident, doc))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return jsonform.from_documents((kind, ident, doc) for kind, _, ident, doc in rows)


__all__ = ["POSITION", "decode", "object_path", "position_of", "split_path"]
