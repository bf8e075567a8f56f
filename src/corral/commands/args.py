"""The pcs-like words of the command line, parsed into plain values.

Pure functions: they take the words a person typed (``key=value``, ``op monitor
interval=5s``, ``NODE=SCORE``, ``CLASS:PROVIDER:TYPE``) and return values, adding
every problem they find to a ``Problems`` rather than stopping at the first, so
that a command reports all that is wrong with its input at once.

Codes: ``bad-argument`` (a word that is not what its place wants: ``key=value``
without ``=``, an op without a name, a stray word), ``bad-agent`` (an agent that
is not ``CLASS:PROVIDER:TYPE`` / ``CLASS:TYPE``), ``bad-id``, plus the model's
``bad-score`` and ``bad-duration``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corral.model import durations
from corral.model import score as scores
from corral.model.errors import ConfigError, Problems

# Pacemaker ids are XML ids: a letter or _ first, then letters, digits, _ . - (pcs's rule).
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_KEY = re.compile(r"^[A-Za-z0-9_#][A-Za-z0-9_.:#-]*$")

# resource classes with a provider part (CLASS:PROVIDER:TYPE)
CLASSES_WITH_PROVIDER = frozenset({"ocf"})
CLASSES = frozenset({"ocf", "lsb", "systemd", "service", "stonith", "process"})

# the roles a person may type, to the model's names
ROLE_NAMES = {
    "started": "Started",
    "stopped": "Stopped",
    "promoted": "Promoted",
    "unpromoted": "Unpromoted",
    "master": "Promoted",
    "slave": "Unpromoted",
}
ACTION_NAMES = frozenset({"start", "stop", "promote", "demote"})
ORDER_KINDS = {"mandatory": "Mandatory", "optional": "Optional", "serialize": "Serialize"}


def check_id(p: Problems, ident: str, *, what: str = "id") -> bool:
    """Add a ``bad-id`` problem unless ``ident`` is a valid id. Returns whether it is."""
    if _ID.match(ident):
        return True
    p.add(
        f"{ident!r} is not a valid {what} (a letter or _ first, then letters, digits, _ . -)",
        element=ident or None,
        field="id",
        code="bad-id",
    )
    return False


def split_pair(word: str) -> tuple[str, str] | None:
    """``key=value`` -> (key, value); None if there is no ``=`` or no key."""
    key, eq, value = word.partition("=")
    if not eq or not key:
        return None
    return key, value


def parse_pairs(p: Problems, words: list[str], *, element: str | None = None) -> dict[str, str]:
    """``key=value`` words to a dict (later words win). An empty value is kept as ``""``
    (``update`` reads it as "remove this attribute")."""
    out: dict[str, str] = {}
    for w in words:
        pair = split_pair(w)
        if pair is None or not _KEY.match(pair[0]):
            p.add(
                f"{w!r} is not key=value",
                element=element,
                field=pair[0] if pair else None,
                code="bad-argument",
            )
            continue
        out[pair[0]] = pair[1]
    return out


@dataclass(frozen=True, slots=True)
class AgentName:
    cls: str
    provider: str | None
    type: str

    def __str__(self) -> str:
        return (
            f"{self.cls}:{self.provider}:{self.type}"
            if self.provider
            else f"{self.cls}:{self.type}"
        )


def parse_agent(p: Problems, text: str, *, element: str | None = None) -> AgentName | None:
    """``ocf:heartbeat:Dummy``, ``process:web`` style names (``process`` alone is the
    ``process`` class, whose type is ``process``). None (and a problem) if malformed."""
    parts = text.split(":")
    bad = None
    if text == "process":
        return AgentName("process", None, "process")
    if not all(parts) or len(parts) > 3 or len(parts) == 1:
        bad = "is not CLASS:PROVIDER:TYPE, CLASS:TYPE or process"
    elif parts[0] not in CLASSES:
        bad = f"has an unknown class {parts[0]!r} (one of {', '.join(sorted(CLASSES))})"
    elif parts[0] in CLASSES_WITH_PROVIDER and len(parts) != 3:
        bad = f"needs a provider: {parts[0]}:PROVIDER:TYPE"
    elif parts[0] not in CLASSES_WITH_PROVIDER and len(parts) != 2:
        bad = f"is {parts[0]}:TYPE (class {parts[0]} has no provider)"
    if bad:
        p.add(f"agent {text!r} {bad}", element=element, field="agent", code="bad-agent")
        return None
    if len(parts) == 3:
        return AgentName(parts[0], parts[1], parts[2])
    return AgentName(parts[0], None, parts[1])


def parse_score(
    p: Problems, text: str, *, element: str | None = None, field: str = "score"
) -> int | None:
    try:
        return scores.parse(text, element=element, field=field)
    except ConfigError as e:
        p.items.append(e)
        return None


def parse_duration(
    p: Problems, text: str, *, element: str | None = None, field: str = "interval"
) -> int | None:
    try:
        return durations.parse_ms(text, element=element, field=field)
    except ConfigError as e:
        p.items.append(e)
        return None


def parse_role(
    p: Problems, text: str, *, element: str | None = None, field: str = "role"
) -> str | None:
    """A role as typed (Started, Promoted, Unpromoted, Stopped; Master, Slave) to the
    model's name; None (and a ``bad-role`` problem) for anything else."""
    role = ROLE_NAMES.get(text.lower())
    if role is None:
        p.add(f"{text!r} is not a role", element=element, field=field, code="bad-role")
    return role


@dataclass(slots=True)
class OpSpec:
    """One ``op NAME key=value ...`` group, as typed."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ResourceArgs:
    """The words of ``resource create``/``update`` after the name (and agent), by section."""

    instance: dict[str, str] = field(default_factory=dict)
    ops: list[OpSpec] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    clone: bool = False
    promotable: bool = False
    clone_id: str | None = None
    clone_meta: dict[str, str] = field(default_factory=dict)


_SECTIONS = ("op", "meta", "clone", "promotable")


def parse_resource_words(
    p: Problems, words: list[str], *, element: str | None = None, allow_clone: bool = True
) -> ResourceArgs:
    """``key=value ... [op NAME key=value ...]... [meta key=value ...] [clone [ID] [key=value
    ...] | promotable [ID] [key=value ...]]``."""
    out = ResourceArgs()
    section = "instance"
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w in _SECTIONS:
            if w in ("clone", "promotable"):
                if not allow_clone:
                    p.add(f"{w!r} is not allowed here", element=element, code="bad-argument")
                    continue
                if out.clone:
                    p.add("clone/promotable given twice", element=element, code="bad-argument")
                out.clone = True
                out.promotable = out.promotable or w == "promotable"
                section = "clone"
                if i < len(words) and "=" not in words[i] and words[i] not in _SECTIONS:
                    out.clone_id = words[i]
                    i += 1
                continue
            if w == "op":
                if i >= len(words) or "=" in words[i] or words[i] in _SECTIONS:
                    p.add("'op' needs an operation name", element=element, code="bad-argument")
                    section = "op"
                    out.ops.append(OpSpec(""))
                    continue
                out.ops.append(OpSpec(words[i]))
                i += 1
            section = w
            continue
        if split_pair(w) is None:
            p.add(f"unexpected word {w!r} (want key=value)", element=element, code="bad-argument")
            continue
        target = {
            "instance": out.instance,
            "meta": out.meta,
            "clone": out.clone_meta,
        }.get(section)
        if section == "op":
            target = out.ops[-1].attrs
        assert target is not None
        target.update(parse_pairs(p, [w], element=element))
    return out


def parse_node_score(
    p: Problems, word: str, *, default: int, element: str | None = None
) -> tuple[str, int] | None:
    """``NODE`` or ``NODE=SCORE`` (score defaults to ``default``)."""
    node, eq, text = word.partition("=")
    if not node:
        p.add(f"{word!r} is not NODE[=SCORE]", element=element, code="bad-argument")
        return None
    if not eq:
        return node, default
    s = parse_score(p, text, element=element)
    return None if s is None else (node, s)


__all__ = [
    "ACTION_NAMES",
    "CLASSES",
    "ORDER_KINDS",
    "ROLE_NAMES",
    "AgentName",
    "OpSpec",
    "ResourceArgs",
    "check_id",
    "parse_agent",
    "parse_duration",
    "parse_node_score",
    "parse_pairs",
    "parse_resource_words",
    "parse_role",
    "parse_score",
    "split_pair",
]
