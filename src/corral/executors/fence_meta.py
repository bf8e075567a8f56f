"""Finding fence agents on disk and reading their metadata (``fence_x -o metadata``).

The parsing and the checks against it are pure and live in
``corral.model.fence_agent``; this module does the I/O: locate the program,
run it once, cache the answer for the life of a ``MetadataCache``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from corral.executors import spawn
from corral.model.config import FenceDevice
from corral.model.errors import ConfigError, CorralError, ParseError, Problems
from corral.model.fence_agent import AgentMetadata, check_params, parse_metadata, valid_agent_name
from corral.model.fencing_plan import check_device

AGENT_DIRS: tuple[str, ...] = ("/usr/sbin", "/usr/local/sbin", "/sbin")
METADATA_TIMEOUT_S = 15.0


def agent_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment fence agents run in: ours, with fence-agents' Python
    DeprecationWarning ('pipes') silenced so stderr holds only the agent's words."""
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    env.setdefault("LC_ALL", "C")
    env.update(extra or {})
    return env


def find_agent(name: str, dirs: Sequence[str] = AGENT_DIRS) -> Path:
    """The executable of fence agent ``name``; ConfigError ``fence-agent-unknown``."""
    if not valid_agent_name(name):
        raise ConfigError(
            f"{name!r} is not a fence agent name (fence_...)",
            field="agent",
            code="fence-agent-unknown",
        )
    for d in dirs:
        p = Path(d) / name
        if p.is_file() and os.access(p, os.X_OK):
            return p
    raise ConfigError(
        f"fence agent {name} is not installed (looked in {', '.join(dirs)})",
        field="agent",
        code="fence-agent-unknown",
    )


def list_agents(dirs: Sequence[str] = AGENT_DIRS) -> list[str]:
    """Names of the fence agents installed, sorted."""
    out: set[str] = set()
    for d in dirs:
        try:
            for p in Path(d).iterdir():
                if valid_agent_name(p.name) and p.is_file() and os.access(p, os.X_OK):
                    out.add(p.name)
        except OSError:
            continue
    return sorted(out)


async def fetch_metadata(
    name: str, dirs: Sequence[str] = AGENT_DIRS, *, timeout_s: float = METADATA_TIMEOUT_S
) -> AgentMetadata:
    """Run ``name -o metadata`` and parse it. ConfigError ``fence-agent-unknown`` when
    the agent is missing; CorralError ``fence-metadata`` when it does not answer."""
    path = find_agent(name, dirs)
    proc = await asyncio.create_subprocess_exec(
        str(path),
        "-o",
        "metadata",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        env=agent_env(),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except BaseException as e:
        spawn.kill_group(proc.pid)
        with contextlib.suppress(Exception):
            await asyncio.shield(proc.wait())
        if isinstance(e, TimeoutError):
            raise CorralError(
                f"fence agent {name} gave no metadata within {timeout_s:g}s",
                code="fence-metadata",
            ) from None
        raise
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise CorralError(
            f"fence agent {name} metadata failed (exit {proc.returncode}): {tail[0]}",
            code="fence-metadata",
        )
    try:
        return parse_metadata(out)
    except ParseError as e:
        raise CorralError(f"fence agent {name}: {e.message}", code="fence-metadata") from e


@dataclass
class MetadataCache:
    """Metadata per agent name, fetched once. Owned by whoever runs agents."""

    dirs: Sequence[str] = AGENT_DIRS
    _cache: dict[str, AgentMetadata] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def get(self, name: str) -> AgentMetadata:
        if name in self._cache:
            return self._cache[name]
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if name not in self._cache:
                self._cache[name] = await fetch_metadata(name, self.dirs)
        return self._cache[name]

    def peek(self, name: str) -> AgentMetadata | None:
        return self._cache.get(name)


async def validate_device(dev: FenceDevice, cache: MetadataCache | None = None) -> Problems:
    """Every problem with ``dev``: its own settings, an agent that is not installed,
    a parameter the agent does not know, a required one missing. Collects; does not raise."""
    problems = check_device(dev)
    if any(p.code == "fence-agent-unknown" for p in problems.items):
        return problems
    try:
        meta = await (cache or MetadataCache()).get(dev.agent)
    except ConfigError as e:
        problems.add(e.message, element=dev.id, field="agent", code=e.code)
        return problems
    except CorralError as e:
        problems.add(e.message, element=dev.id, field="agent", code=e.code)
        return problems
    check_params(dev.id, dev.params, meta, problems)
    return problems
