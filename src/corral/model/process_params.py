"""The parameters of a ``process`` resource (a daemon given as a command line), checked
when it is configured, and their meaning in the agent's terms
(``corral.agent.protocol.AgentSpec``: argv, env, cwd, user, health).

    command         required: the command line, split like a shell does (no shell runs it;
                    write ``sh -c '...'`` for one). ``command="python3 -m http.server 8080"``
    cwd             working directory (absolute)
    user            the user to run it as
    env             extra environment: ``env="A=1 B='two words'"``
    health          how to tell it is healthy beyond "still alive":
                    ``http:PORT[/PATH]`` (a GET answered 2xx/3xx), ``tcp:PORT`` (a connect),
                    ``command:CMDLINE`` (exit 0); on 127.0.0.1, or ``http:HOST:PORT/PATH``;
                    HOST may be ``$CORRAL_NODE_ADDR``, the address of the node it runs on
    health-timeout  how long one probe may take (a duration; default 2s)

``check`` lists the problems of ``params`` (``corral resource create`` and every
configuration write run it); ``agent_object(params)`` gives the ``agent`` object of an
action (``{"cls": "process", "argv": [...], "env": {...}, "cwd": ..., "user": ...,
"health": {...}}``), as the controller sends it; ``process_agent`` does both.
"""

from __future__ import annotations

import shlex
from typing import Any

from corral.model import durations
from corral.model.errors import ConfigError, Problems

PARAMETERS = frozenset({"command", "cwd", "user", "env", "health", "health-timeout"})
REQUIRED = frozenset({"command"})


def _port(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def parse_health(text: str, timeout_ms: int) -> dict[str, Any] | None:
    """``http:[HOST:]PORT[/PATH]``, ``tcp:[HOST:]PORT``, ``command:CMDLINE`` -> the health
    object; None if malformed."""
    kind, _, rest = text.partition(":")
    if kind == "command":
        argv = shlex.split(rest) if rest.strip() else []
        return {"kind": "command", "argv": argv, "timeout_ms": timeout_ms} if argv else None
    if kind not in ("http", "tcp"):
        return None
    hostport, slash, path = rest.partition("/")
    host, _, port_text = hostport.rpartition(":")
    port = _port(port_text)
    if port is None or (kind == "tcp" and slash):
        return None
    out: dict[str, Any] = {
        "kind": kind,
        "host": host or "127.0.0.1",
        "port": port,
        "timeout_ms": timeout_ms,
    }
    if kind == "http":
        out["path"] = "/" + path
    return out


def process_agent(params: dict[str, str], *, element: str = "process") -> dict[str, Any]:
    """The ``process`` agent object of ``params``; raises ``ValidationFailed`` listing
    every problem (``missing-parameter``, ``unknown-parameter``, ``bad-value``)."""
    p = Problems()
    check(p, params, element=element)
    p.raise_if_any()
    return agent_object(params)


def check(p: Problems, params: dict[str, str], *, element: str) -> None:
    """Add every problem of a process resource's parameters to ``p``."""
    for name in sorted(REQUIRED - params.keys()):
        p.add(
            f"a process resource needs {name}=...",
            element=element,
            field=name,
            code="missing-parameter",
        )
    for name in params:
        if name not in PARAMETERS:
            p.add(
                f"a process resource has no parameter {name!r} "
                f"(known: {', '.join(sorted(PARAMETERS))})",
                element=element,
                field=name,
                code="unknown-parameter",
            )
    try:
        argv = shlex.split(params.get("command", "x"))
    except ValueError as e:
        p.add(f"command cannot be split: {e}", element=element, field="command", code="bad-value")
        argv = ["x"]
    if not argv:
        p.add("command is empty", element=element, field="command", code="bad-value")
    cwd = params.get("cwd")
    if cwd is not None and not cwd.startswith("/"):
        p.add("cwd must be an absolute path", element=element, field="cwd", code="bad-value")
    try:
        for word in shlex.split(params.get("env", "")):
            if "=" not in word or word.startswith("="):
                p.add(
                    f"env word {word!r} is not NAME=value",
                    element=element,
                    field="env",
                    code="bad-value",
                )
    except ValueError as e:
        p.add(f"env cannot be split: {e}", element=element, field="env", code="bad-value")
    timeout = 2000
    if "health-timeout" in params:
        try:
            timeout = durations.parse_ms(
                params["health-timeout"], element=element, field="health-timeout"
            )
        except ConfigError as e:
            p.items.append(e)
    if "health" in params:
        try:
            ok = parse_health(params["health"], timeout) is not None
        except ValueError:
            ok = False
        if not ok:
            p.add(
                f"{params['health']!r} is not http:PORT[/PATH], tcp:PORT or command:CMDLINE",
                element=element,
                field="health",
                code="bad-value",
            )


def agent_object(params: dict[str, str]) -> dict[str, Any]:
    """The agent object of (checked) ``params``; never raises: what ``check`` would
    reject is left out (a word of ``env`` that is not NAME=value, a malformed health)."""
    timeout = durations.try_parse_ms(params.get("health-timeout") or "2s") or 2000
    try:
        argv = shlex.split(params.get("command", ""))
        env_words = shlex.split(params.get("env", ""))
    except ValueError:
        argv, env_words = [], []
    health = None
    if params.get("health"):
        try:
            health = parse_health(params["health"], timeout)
        except ValueError:
            health = None
    return {
        "cls": "process",
        "argv": argv,
        "env": dict(w.split("=", 1) for w in env_words if "=" in w and not w.startswith("=")),
        "cwd": params.get("cwd"),
        "user": params.get("user"),
        "health": health,
    }


__all__ = ["PARAMETERS", "REQUIRED", "agent_object", "check", "parse_health", "process_agent"]
