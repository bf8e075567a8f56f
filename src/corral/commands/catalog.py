"""Which resource agents exist and what they need, as the commands see it.

The commands may not run agents themselves (they may not import
``corral.executors``), yet an unknown agent or a missing required parameter must
be refused when the resource is configured, not when it first starts. So every
command that creates or changes a primitive takes an ``AgentCatalog``: the CLI
supplies one built on ``corral.executors`` (the agents' meta-data), tests may
supply a table. Without a catalog, agents are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from corral.commands.args import AgentName
from corral.model.config import Primitive
from corral.model.errors import CorralError, Problems
from corral.model.validate import KNOWN_OPS


@dataclass(frozen=True, slots=True)
class ActionDefault:
    """An action the agent advertises, with its recommended interval and timeout."""

    name: str
    interval_ms: int = 0
    timeout_ms: int | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """What the commands need to know of one agent."""

    agent: str
    parameters: frozenset[str] | None = None  # every parameter it takes; None: any
    required: frozenset[str] = frozenset()
    actions: tuple[ActionDefault, ...] = field(default=())


class AgentCatalog(Protocol):
    """``lookup`` returns the agent's info, None if no such agent is installed, and may
    raise ``CorralError`` when the agent exists but cannot describe itself."""

    async def lookup(self, agent: AgentName) -> AgentInfo | None: ...


@dataclass(slots=True)
class TableCatalog:
    """A catalog from a fixed table (tests, or faces that know their agents up front)."""

    agents: dict[str, AgentInfo] = field(default_factory=dict)

    async def lookup(self, agent: AgentName) -> AgentInfo | None:
        return self.agents.get(str(agent))


def agent_of(prim: Primitive) -> AgentName:
    return AgentName(prim.cls, prim.provider, prim.type)


async def check_primitive(p: Problems, catalog: AgentCatalog, prim: Primitive) -> AgentInfo | None:
    """Add a problem for an unknown agent (``unknown-agent``), each missing required
    parameter (``missing-parameter``), each parameter the agent does not take
    (``unknown-parameter``) and each operation it does not advertise (``unknown-op``; a
    name no agent runs at all is the model's ``unknown-op``, not repeated here). Returns
    the agent's info when there is one."""
    name = agent_of(prim)
    try:
        info = await catalog.lookup(name)
    except CorralError as e:
        p.add(e.message, element=prim.id, code=e.code)
        return None
    if info is None:
        p.add(f"agent {name} is not installed", element=prim.id, code="unknown-agent")
        return None
    for param in sorted(info.required):
        if not prim.instance.get(param):
            p.add(
                f"agent {name} needs parameter {param!r}",
                element=prim.id,
                code="missing-parameter",
            )
    if info.parameters is not None:
        for param in prim.instance:
            if param not in info.parameters:
                p.add(
                    f"agent {name} has no parameter {param!r}",
                    element=prim.id,
                    code="unknown-parameter",
                )
    advertised = {a.name for a in info.actions}
    if advertised:
        for op in prim.ops:
            if op.name in KNOWN_OPS and op.name not in advertised:
                p.add(
                    f"agent {name} has no action {op.name!r} "
                    f"(it has: {', '.join(sorted(advertised))})",
                    element=op.id or f"{prim.id}-{op.name}",
                    field="name",
                    code="unknown-op",
                )
    return info


__all__ = [
    "ActionDefault",
    "AgentCatalog",
    "AgentInfo",
    "TableCatalog",
    "agent_of",
    "check_primitive",
]
