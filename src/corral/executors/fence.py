"""Running fence agents (Debian's fence-agents: /usr/sbin/fence_*).

The stdin protocol: the agent is started with no arguments and reads one
``key=value`` per line (``action=off``, ``plug=...``, ``ip=...``, ``password=...``)
until end of input. Exit 0 is success; for ``status``, 0 is ON and 2 is OFF.

Each agent runs in its own process group; when its time is up the whole group
(the agent and the ipmitool/ssh it started) is SIGKILLed. An action gets one time
budget (the device's or the caller's timeout) within which failed tries are
repeated ``retries`` more times. ``off`` and ``on`` count only when a following
``status`` says so; ``reboot`` counts on the agent's own success.

Secrets never leave this module: results carry redacted tails of the agent's
output, and ``redact(params)`` masks a parameter set for logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Literal

from corral.executors.fence_meta import AGENT_DIRS, MetadataCache, agent_env, find_agent
from corral.executors.spawn import kill_group
from corral.model.config import FenceDevice
from corral.model.errors import CorralError
from corral.model.fence_agent import REDACTED, AgentMetadata, redact, scrub
from corral.model.fencing_plan import (
    action_retries,
    action_timeout_ms,
    agent_action,
    host_argument,
    ports_for,
)

__all__ = [
    "REDACTED",
    "AgentRun",
    "FenceResult",
    "FenceRunner",
    "Outcome",
    "redact",
    "run_agent",
]

Outcome = Literal["success", "failed", "timeout"]
Power = Literal["on", "off"]

DEFAULT_TIMEOUT_S = 60.0  # Pacemaker's stonith-timeout
TAIL_CHARS = 2000
_STATUS_RC = {0: "on", 2: "off"}
_NO_PLUG = frozenset({"monitor", "list", "metadata"})
_ERROR_LINE = re.compile(r"(?:ERROR|Error|Failed):\s*(.*)$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:,.]+\s+")


@dataclass(slots=True)
class AgentRun:
    """One run of an agent program."""

    rc: int | None  # None: killed at its timeout, or could not start
    stdout: str
    stderr: str
    duration_s: float
    start_error: bool = False

    @property
    def timed_out(self) -> bool:
        return self.rc is None and not self.start_error


@dataclass(slots=True)
class FenceResult:
    """The outcome of one fencer action of one device against one target."""

    device: str
    agent: str
    target: str | None
    action: str
    outcome: Outcome
    reason: str = ""
    power: Power | None = None  # what status said (status, off, on)
    confirmed_by: Literal["status", "agent"] | None = None
    rc: int | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    started: float = 0.0  # wall clock, epoch seconds
    duration_s: float = 0.0
    tries: int = 0
    hosts: list[str] = field(default_factory=list)  # for list

    @property
    def ok(self) -> bool:
        return self.outcome == "success"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


async def run_agent(
    path: str | Path,
    params: Mapping[str, str],
    *,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
) -> AgentRun:
    """Run one agent with ``params`` on stdin; SIGKILL its process group at ``timeout_s``.

    Parameters go through a pipe (never argv, never a file); output goes to
    anonymous files, so a helper left holding stdout cannot make us wait."""
    for k, v in params.items():
        if "\n" in k or "\n" in v or "\r" in v or "=" in k:
            raise CorralError(
                f"fence parameter {k!r} contains a line break or '='", code="fence-param-invalid"
            )
    data = "".join(f"{k}={v}\n" for k, v in params.items()).encode()
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = await asyncio.create_subprocess_exec(
                str(path),
                stdin=asyncio.subprocess.PIPE,
                stdout=out,
                stderr=err,
                start_new_session=True,
                env=dict(env) if env is not None else agent_env(),
            )
        except OSError as e:
            return AgentRun(
                None,
                "",
                f"cannot start {path}: {e.strerror or e}",
                time.monotonic() - t0,
                start_error=True,
            )
        rc: int | None
        try:
            rc = await asyncio.wait_for(_feed_and_wait(proc, data), max(timeout_s, 0.001))
        except TimeoutError:
            rc = None
            kill_group(proc.pid)
            await proc.wait()
        except BaseException:
            kill_group(proc.pid)
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        return AgentRun(rc, _read(out), _read(err), time.monotonic() - t0)


async def _feed_and_wait(proc: asyncio.subprocess.Process, data: bytes) -> int:
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
    proc.stdin.close()
    return await proc.wait()


def _read(fh: IO[bytes]) -> str:
    try:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 4 * TAIL_CHARS))
        return fh.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""


def _tail(text: str, params: Mapping[str, str], meta: AgentMetadata | None) -> str:
    return scrub(text, params, meta)[-TAIL_CHARS:].strip()


def _reason(run: AgentRun) -> str:
    """The agent's own words for a failure, one line, without its log timestamp."""
    lines = [ln.strip() for ln in (run.stderr + "\n" + run.stdout).splitlines() if ln.strip()]
    for ln in reversed(lines):
        m = _ERROR_LINE.search(ln)
        if m:
            return m.group(1).strip() or ln
    if lines:
        return _TIMESTAMP.sub("", lines[-1])
    return "ok" if run.rc == 0 else f"exit code {run.rc}"


def _power_of(run: AgentRun) -> Power | None:
    text = run.stdout.upper()
    if "STATUS: OFF" in text:
        return "off"
    if "STATUS: ON" in text:
        return "on"
    state = _STATUS_RC.get(run.rc) if run.rc is not None else None
    return "on" if state == "on" else "off" if state == "off" else None


def _hosts_of(run: AgentRun) -> list[str]:
    """``list`` output: one ``plug[,alias]`` per line; notices are not hosts."""
    out = []
    for ln in run.stdout.splitlines():
        ln = ln.strip()
        if not ln or ln.startswith(("NOTICE", "WARNING", "ERROR", "Parse error")):
            continue
        out.extend(p for p in ln.split(",") if p)
    return out


@dataclass
class FenceRunner:
    """Runs fencer actions of configured devices. One per agent or controller;
    holds the metadata cache and the default timeout, nothing else."""

    dirs: tuple[str, ...] = AGENT_DIRS
    default_timeout_s: float = DEFAULT_TIMEOUT_S
    metadata: MetadataCache = field(default_factory=MetadataCache)

    def __post_init__(self) -> None:
        self.metadata.dirs = self.dirs

    async def status(
        self, dev: FenceDevice, target: str | None = None, *, timeout_s: float | None = None
    ) -> FenceResult:
        """Power state of ``target`` (``result.power``) as the device sees it."""
        return await self.run(dev, target, "status", timeout_s=timeout_s)

    async def monitor(self, dev: FenceDevice, *, timeout_s: float | None = None) -> FenceResult:
        """Is the device itself reachable and working (the recurring monitor)."""
        return await self.run(dev, None, "monitor", timeout_s=timeout_s)

    async def run(
        self,
        dev: FenceDevice,
        target: str | None,
        action: str,
        *,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> FenceResult:
        """Run fencer ``action`` (off, on, reboot, status, monitor, list) of ``dev``
        against ``target`` within one time budget. Never raises for an agent's failure:
        the result says what happened."""
        started = time.time()
        t0 = time.monotonic()
        budget = (
            timeout_s
            if timeout_s is not None
            else (action_timeout_ms(dev, action, int(self.default_timeout_s * 1000)) / 1000)
        )
        deadline = t0 + budget
        tries_left = 1 + (retries if retries is not None else action_retries(dev, action))
        base = FenceResult(dev.id, dev.agent, target, action, "failed", started=started)
        try:
            path = find_agent(dev.agent, self.dirs)
            meta = await self.metadata.get(dev.agent)
        except CorralError as e:
            return _finish(base, t0, outcome="failed", reason=e.message)
        if action in ("off", "reboot"):
            delay = (dev.delay_base_ms + random.uniform(0, dev.delay_max_ms)) / 1000
            if delay > 0:
                await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        last = base
        while tries_left > 0:
            tries_left -= 1
            try:
                last = await self._try_once(dev, path, meta, target, action, deadline, base)
            except CorralError as e:  # a parameter that cannot go on stdin
                return _finish(base, t0, outcome="failed", reason=e.message)
            last.tries = base.tries = base.tries + 1
            if last.ok or time.monotonic() >= deadline:
                break
        return _finish(last, t0)

    async def _try_once(
        self,
        dev: FenceDevice,
        path: Path,
        meta: AgentMetadata,
        target: str | None,
        action: str,
        deadline: float,
        base: FenceResult,
    ) -> FenceResult:
        res = _copy(base)
        plugs: list[str | None] = [None]
        arg = host_argument(dev, meta)
        if target is not None and action not in _NO_PLUG and arg:
            plugs = list(ports_for(dev, target))
        for plug in plugs:
            params = dict(dev.params)
            if plug is not None and arg:
                params[arg] = plug
            res = await self._one_plug(dev, path, meta, params, action, deadline, res)
            if not res.ok:
                break
        return res

    async def _one_plug(
        self,
        dev: FenceDevice,
        path: Path,
        meta: AgentMetadata,
        params: dict[str, str],
        action: str,
        deadline: float,
        res: FenceResult,
    ) -> FenceResult:
        res = _copy(res)
        verb = agent_action(dev, action)
        if meta.actions and verb not in meta.actions:
            res.outcome = "failed"
            res.reason = f"agent {dev.agent} has no {verb!r} action"
            return res
        run = await run_agent(
            path, {"action": verb, **params}, timeout_s=deadline - time.monotonic()
        )
        res.rc = run.rc
        res.stdout_tail = _tail(run.stdout, params, meta)
        res.stderr_tail = _tail(run.stderr, params, meta)
        if run.timed_out:
            res.outcome, res.reason = "timeout", f"{verb} did not finish in time; killed"
            return res
        if verb == "status":
            res.power = _power_of(run)
            if res.power is None:
                res.outcome, res.reason = "failed", scrub(_reason(run), params, meta)
            else:
                res.outcome, res.reason = "success", f"power is {res.power}"
            return res
        if run.rc != 0:
            res.outcome, res.reason = "failed", scrub(_reason(run), params, meta)
            return res
        if verb == "list":
            res.hosts = _hosts_of(run)
        if verb in ("off", "on") and "status" in meta.actions:
            return await self._confirm(path, meta, params, verb, deadline, res)
        res.outcome, res.reason = "success", scrub(_reason(run), params, meta)
        if verb in ("off", "on", "reboot"):
            res.confirmed_by = "agent"
            res.power = "off" if verb == "off" else "on" if verb == "on" else None
        return res

    async def _confirm(
        self,
        path: Path,
        meta: AgentMetadata,
        params: dict[str, str],
        verb: str,
        deadline: float,
        res: FenceResult,
    ) -> FenceResult:
        """After off/on: ask ``status`` and count the action only if it agrees."""
        run = await run_agent(
            path, {"action": "status", **params}, timeout_s=deadline - time.monotonic()
        )
        if run.timed_out:
            res.outcome = "timeout"
            res.reason = f"{verb} reported success but status did not answer in time"
            return res
        res.power = _power_of(run)
        if res.power == verb:
            res.outcome, res.confirmed_by = "success", "status"
            res.reason = f"powered {verb}, confirmed by status"
        else:
            res.outcome = "failed"
            seen = res.power.upper() if res.power else scrub(_reason(run), params, meta)
            res.reason = f"{verb} reported success but status says {seen}"
        return res


def _copy(r: FenceResult) -> FenceResult:
    return FenceResult(**{**asdict(r), "hosts": list(r.hosts)})


def _finish(
    r: FenceResult, t0: float, *, outcome: Outcome | None = None, reason: str | None = None
) -> FenceResult:
    r = _copy(r)
    if outcome is not None:
        r.outcome = outcome
    if reason is not None:
        r.reason = reason
    r.duration_s = time.monotonic() - t0
    return r
