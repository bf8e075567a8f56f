"""A fence agent as it describes itself, the pure part: its metadata XML
(``fence_x -o metadata``: parameters, which are required or secret, and its
actions), the checks of a device's parameters against it, and keeping secrets
out of what is shown.

The executor runs the agent to get the XML (``corral.executors.fence_meta``);
everything here works on text and values only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from corral.model.errors import ParseError, Problems

REDACTED = "****"

# Parameters the fencer itself supplies or interprets; never configured by hand
# as agent parameters (``plug``/``port`` come from the host map).
_SUPPLIED = frozenset({"action", "plug", "port", "nodename"})
# Parameters every fence-agents agent accepts on stdin although some leave
# them out of their metadata.
_COMMON = frozenset({"verbose", "debug", "debug_file", "quiet", "delay"})

_AGENT_NAME = re.compile(r"^fence_[A-Za-z0-9_\-]+$")
_SECRET_NAME = re.compile(r"passw|secret|token|_kg$|(^|_)key$|credential|apikey", re.IGNORECASE)


# ---------------------------------------------------------------- secrets


def is_secret(name: str, metadata: AgentMetadata | None = None) -> bool:
    """A parameter whose value must never be logged, stored in status or shown."""
    if _SECRET_NAME.search(name):
        return True
    return metadata is not None and name in metadata.secret_params


def redact(params: Mapping[str, str], metadata: AgentMetadata | None = None) -> dict[str, str]:
    """A copy of ``params`` with every secret value replaced by ``****``."""
    return {k: (REDACTED if is_secret(k, metadata) else v) for k, v in params.items()}


def scrub(text: str, params: Mapping[str, str], metadata: AgentMetadata | None = None) -> str:
    """``text`` with every secret value of ``params`` (3 characters or more) masked."""
    for k, v in params.items():
        if v and len(v) >= 3 and is_secret(k, metadata):
            text = text.replace(v, REDACTED)
    return text


# ---------------------------------------------------------------- metadata


@dataclass(frozen=True, slots=True)
class AgentParam:
    name: str
    required: bool = False
    type: str = "string"
    default: str | None = None
    options: tuple[str, ...] = ()
    deprecated: bool = False
    obsoletes: str | None = None  # the older name this one replaces
    secret: bool = False
    shortdesc: str = ""


@dataclass(frozen=True, slots=True)
class AgentMetadata:
    name: str
    shortdesc: str = ""
    longdesc: str = ""
    params: Mapping[str, AgentParam] = field(default_factory=dict)
    actions: frozenset[str] = frozenset()

    @property
    def secret_params(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params.values() if p.secret)

    def aliases(self, name: str) -> frozenset[str]:
        """``name`` and its old/new spellings (``ip``/``ipaddr``, ``password``/``passwd``)."""
        out = {name}
        p = self.params.get(name)
        if p is not None and p.obsoletes:
            out.add(p.obsoletes)
        out.update(q.name for q in self.params.values() if q.obsoletes == name)
        return frozenset(out)

    def required(self) -> list[str]:
        """Required parameters a person must give: one name per alias group, the newer one."""
        out: list[str] = []
        seen: set[str] = set()
        for p in self.params.values():
            if not p.required or p.name in _SUPPLIED or p.name in seen:
                continue
            group = self.aliases(p.name)
            seen |= group
            newer = [q for q in group if q in self.params and not self.params[q].deprecated]
            out.append(sorted(newer)[0] if newer else p.name)
        return out


def parse_metadata(xml_text: str | bytes) -> AgentMetadata:
    """An agent's metadata XML into ``AgentMetadata``; ParseError if it is not that."""
    data = xml_text.encode() if isinstance(xml_text, str) else xml_text
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as e:
        raise ParseError(f"fence agent metadata is not XML: {e}", code="fence-metadata") from e
    if root.tag != "resource-agent":
        raise ParseError(
            f"fence agent metadata has root <{root.tag}>, not <resource-agent>",
            code="fence-metadata",
        )
    params: dict[str, AgentParam] = {}
    for p in root.iterfind("parameters/parameter"):
        name = p.get("name")
        if not name:
            continue
        content = p.find("content")
        ptype = content.get("type", "string") if content is not None else "string"
        options = (
            tuple(o.get("value", "") for o in content.iterfind("option"))
            if content is not None
            else ()
        )
        params[name] = AgentParam(
            name=name,
            required=p.get("required") == "1",
            type=ptype,
            default=content.get("default") if content is not None else None,
            options=options,
            deprecated=p.get("deprecated") == "1",
            obsoletes=p.get("obsoletes"),
            secret=ptype == "password" or p.get("secret") == "1" or p.get("sensitive") == "1",
            shortdesc=(p.findtext("shortdesc") or "").strip(),
        )
    actions = frozenset(a.get("name", "") for a in root.iterfind("actions/action"))
    return AgentMetadata(
        name=root.get("name", ""),
        shortdesc=root.get("shortdesc", ""),
        longdesc=(root.findtext("longdesc") or "").strip(),
        params=params,
        actions=actions - {""},
    )


def valid_agent_name(name: str) -> bool:
    """A fence agent is named ``fence_*`` and nothing that could leave its directory."""
    return bool(_AGENT_NAME.match(name))


def check_params(
    device_id: str, params: Mapping[str, str], metadata: AgentMetadata, problems: Problems
) -> None:
    """Add a problem for each parameter the agent does not know, each required one
    that is missing, each value with a newline, and each bad boolean/integer/choice."""
    given = set(params)
    for name, value in params.items():
        if "\n" in value or "\r" in value or "=" in name or not name:
            problems.add(
                "a fence parameter's name or value may not contain a line break",
                element=device_id,
                field=name or "?",
                code="fence-param-invalid",
            )
            continue
        if name in _SUPPLIED:
            problems.add(
                f"{name!r} is supplied by the fencer (use pcmk_host_map for ports)",
                element=device_id,
                field=name,
                code="fence-param-reserved",
            )
            continue
        p = metadata.params.get(name)
        if p is None:
            if name in _COMMON:
                continue
            problems.add(
                f"agent {metadata.name} has no parameter {name!r}",
                element=device_id,
                field=name,
                code="fence-param-unknown",
            )
            continue
        _check_value(device_id, p, value, problems)
    for name in metadata.required():
        if not given & metadata.aliases(name):
            problems.add(
                f"agent {metadata.name} requires parameter {name!r}",
                element=device_id,
                field=name,
                code="fence-param-missing",
            )


def _check_value(device_id: str, p: AgentParam, value: str, problems: Problems) -> None:
    bad = False
    if p.type == "boolean":
        bad = value.lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off", "")
    elif p.type == "integer":
        bad = not re.fullmatch(r"[+-]?\d+", value.strip())
    elif p.type == "select" and p.options:
        bad = value not in p.options
    if bad:
        allowed = f" (one of {', '.join(p.options)})" if p.type == "select" and p.options else ""
        problems.add(
            f"{value!r} is not a valid {p.type}{allowed}",
            element=device_id,
            field=p.name,
            code="fence-param-value",
        )


__all__ = [
    "REDACTED",
    "AgentMetadata",
    "AgentParam",
    "check_params",
    "is_secret",
    "parse_metadata",
    "redact",
    "scrub",
    "valid_agent_name",
]
