"""OCF agents on disk: list them under an OCF root, read and parse their meta-data
(parameters, which are required, their defaults; the actions and their timeouts).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from corral.executors import spawn
from corral.model.errors import CorralError, NotFound, ParseError

DEFAULT_OCF_ROOT = "/usr/lib/ocf"
METADATA_TIMEOUT_S = 10.0
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


@dataclass(slots=True)
class AgentParameter:
    name: str
    required: bool = False
    unique: bool = False
    type: str = "string"
    default: str | None = None
    shortdesc: str = ""
    longdesc: str = ""
    deprecated: bool = False


@dataclass(slots=True)
class AgentAction:
    name: str
    timeout: str | None = None
    interval: str | None = None
    depth: str | None = None
    role: str | None = None


@dataclass(slots=True)
class AgentMetadata:
    agent: str  # ocf:heartbeat:IPaddr2
    name: str
    version: str = ""
    shortdesc: str = ""
    longdesc: str = ""
    parameters: list[AgentParameter] = field(default_factory=list)
    actions: list[AgentAction] = field(default_factory=list)

    @property
    def required(self) -> list[str]:
        return [p.name for p in self.parameters if p.required]

    @property
    def defaults(self) -> dict[str, str]:
        return {p.name: p.default for p in self.parameters if p.default is not None}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_name(what: str, value: str) -> None:
    """Provider and type names are single path components."""
    if not value or not _NAME.match(value):
        raise CorralError(f"invalid OCF {what} name {value!r}", code="invalid-agent-name")


def split_agent(spec: str) -> tuple[str, str]:
    """``ocf:heartbeat:IPaddr2`` (or ``heartbeat:IPaddr2``) -> (provider, type)."""
    parts = spec.split(":")
    if len(parts) == 3 and parts[0] == "ocf":
        parts = parts[1:]
    if len(parts) != 2:
        raise CorralError(
            f"agent {spec!r} is not of the form ocf:<provider>:<type>", code="invalid-agent-name"
        )
    check_name("provider", parts[0])
    check_name("type", parts[1])
    return parts[0], parts[1]


def agent_path(root: str, provider: str, type_: str) -> str:
    check_name("provider", provider)
    check_name("type", type_)
    return os.path.join(root, "resource.d", provider, type_)


def list_agents(root: str = DEFAULT_OCF_ROOT) -> list[str]:
    """Every executable agent under ``<root>/resource.d``, as ``ocf:<provider>:<type>``."""
    base = os.path.join(root, "resource.d")
    out: list[str] = []
    try:
        providers = sorted(os.listdir(base))
    except FileNotFoundError:
        return out
    for provider in providers:
        pdir = os.path.join(base, provider)
        if not os.path.isdir(pdir):
            continue
        for type_ in sorted(os.listdir(pdir)):
            path = os.path.join(pdir, type_)
            if os.path.isfile(path) and os.access(path, os.X_OK) and not type_.startswith("."):
                out.append(f"ocf:{provider}:{type_}")
    return out


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def parse_metadata(xml: str | bytes, agent: str = "") -> AgentMetadata:
    """Parse an agent's ``meta-data`` output (OCF 1.0 / 1.1 resource-agent XML)."""
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        root = etree.fromstring(data.strip(), parser=parser)
    except etree.XMLSyntaxError as e:
        raise ParseError(f"{agent or 'agent'}: meta-data is not valid XML: {e}") from e
    if root.tag != "resource-agent":
        raise ParseError(
            f"{agent or 'agent'}: meta-data root is <{root.tag}>, not <resource-agent>"
        )
    md = AgentMetadata(
        agent=agent,
        name=root.get("name", ""),
        version=_text(root.find("version")) or root.get("version", ""),
        shortdesc=_text(root.find("shortdesc")),
        longdesc=_text(root.find("longdesc")),
    )
    for p in root.iterfind("parameters/parameter"):
        content = p.find("content")
        md.parameters.append(
            AgentParameter(
                name=p.get("name", ""),
                required=p.get("required", "0") in ("1", "true", "yes"),
                unique=p.get("unique", "0") in ("1", "true", "yes"),
                type=content.get("type", "string") if content is not None else "string",
                default=content.get("default") if content is not None else None,
                shortdesc=_text(p.find("shortdesc")),
                longdesc=_text(p.find("longdesc")),
                deprecated=p.find("deprecated") is not None,
            )
        )
    for a in root.iterfind("actions/action"):
        md.actions.append(
            AgentAction(
                name=a.get("name", ""),
                timeout=a.get("timeout"),
                interval=a.get("interval"),
                depth=a.get("depth"),
                role=a.get("role"),
            )
        )
    return md


async def fetch_metadata(
    root: str, provider: str, type_: str, *, timeout_s: float = METADATA_TIMEOUT_S
) -> AgentMetadata:
    """Run ``<agent> meta-data`` and parse it. NotFound if the agent is not installed."""
    path = agent_path(root, provider, type_)
    name = f"ocf:{provider}:{type_}"
    if not os.path.isfile(path):
        raise NotFound(f"agent {name} is not installed (no {path})", code="agent-not-installed")
    env = {
        "OCF_ROOT": root,
        "OCF_RESOURCE_TYPE": type_,
        "OCF_RESOURCE_PROVIDER": provider,
        "OCF_RESOURCE_INSTANCE": "meta-data",
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "SHELL": "/bin/bash",
        "LC_ALL": "C",
    }
    out = await spawn.run(
        [path, "meta-data"], env=env, cwd="/", timeout_s=timeout_s, max_output=4 << 20
    )
    if out.rc is None:
        why = "timed out" if out.timed_out else out.start_error
        raise CorralError(f"{name}: meta-data failed: {why}", code="agent-metadata-failed")
    if out.rc != 0:
        raise CorralError(
            f"{name}: meta-data exited {out.rc}: {out.stderr.strip()[-200:]}",
            code="agent-metadata-failed",
        )
    return parse_metadata(out.stdout, name)


class MetadataCache:
    """Meta-data by agent path, re-read when the agent file changes."""

    def __init__(self, root: str = DEFAULT_OCF_ROOT) -> None:
        self.root = root
        self._cache: dict[tuple[str, str], tuple[float, AgentMetadata]] = {}

    async def get(self, provider: str, type_: str) -> AgentMetadata:
        path = agent_path(self.root, provider, type_)
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            raise NotFound(
                f"agent ocf:{provider}:{type_} is not installed (no {path})",
                code="agent-not-installed",
            ) from None
        hit = self._cache.get((provider, type_))
        if hit is not None and hit[0] == mtime:
            return hit[1]
        md = await fetch_metadata(self.root, provider, type_)
        self._cache[(provider, type_)] = (mtime, md)
        return md
