"""Health probes of a ``process`` resource: a command, a TCP connect or an HTTP GET
(on 127.0.0.1 by default). Each returns ``None`` when healthy, else the reason."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from corral.executors import spawn


@dataclass(slots=True)
class HealthCheck:
    kind: Literal["command", "tcp", "http"]
    argv: list[str] = field(default_factory=list)  # command
    port: int = 0  # tcp, http
    host: str = "127.0.0.1"
    path: str = "/"  # http
    timeout_ms: int = 2000

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HealthCheck:
        return cls(
            kind=d["kind"],
            argv=[str(a) for a in d.get("argv", [])],
            port=int(d.get("port", 0)),
            host=str(d.get("host", "127.0.0.1")),
            path=str(d.get("path", "/")),
            timeout_ms=int(d.get("timeout_ms", 2000)),
        )


async def _tcp(check: HealthCheck, timeout: float) -> str | None:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(check.host, check.port), timeout)
    except TimeoutError:
        return f"tcp {check.host}:{check.port}: connect timed out"
    except OSError as e:
        return f"tcp {check.host}:{check.port}: {e.strerror or e}"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


async def _http_get(check: HealthCheck) -> str | None:
    reader, writer = await asyncio.open_connection(check.host, check.port)
    try:
        req = f"GET {check.path} HTTP/1.0\r\nHost: {check.host}\r\nConnection: close\r\n\r\n"
        writer.write(req.encode())
        await writer.drain()
        line = (await reader.readline()).decode("latin-1").strip()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    parts = line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return f"http {check.host}:{check.port}{check.path}: bad status line {line[:80]!r}"
    status = int(parts[1])
    if not 200 <= status < 400:
        return f"http {check.host}:{check.port}{check.path}: status {status}"
    return None


def resolve_host(host: str, env: dict[str, str] | None) -> str:
    """A host given as ``$NAME`` / ``${NAME}`` (``$CORRAL_NODE_ADDR``: the node's own
    address) is taken from the process's environment; 127.0.0.1 if it is not there."""
    if not host.startswith("$"):
        return host
    return (env or {}).get(host[1:].strip("{}")) or "127.0.0.1"


async def probe(check: HealthCheck, env: dict[str, str] | None = None) -> str | None:
    timeout = check.timeout_ms / 1000
    if check.host.startswith("$"):
        check = replace(check, host=resolve_host(check.host, env))
    if check.kind == "tcp":
        return await _tcp(check, timeout)
    if check.kind == "http":
        try:
            return await asyncio.wait_for(_http_get(check), timeout)
        except TimeoutError:
            return f"http {check.host}:{check.port}{check.path}: timed out"
        except OSError as e:
            return f"http {check.host}:{check.port}{check.path}: {e.strerror or e}"
    if check.kind == "command":
        if not check.argv:
            return "health command is empty"
        out = await spawn.run(check.argv, env=env, timeout_s=timeout)
        if out.timed_out:
            return f"health command timed out after {check.timeout_ms}ms"
        if out.rc is None:
            return f"health command cannot run: {out.start_error}"
        if out.rc != 0:
            return f"health command exited {out.rc}: {out.stderr.strip()[-200:]}"
        return None
    return f"unknown health check kind {check.kind!r}"
