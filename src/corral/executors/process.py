"""The ``process`` resource class: a daemon given as a command line.

It starts in a session of its own (``setsid``) and is *not* the agent's child (a
short ``sh`` launches it in the background and exits), so it outlives an agent
restart. Its identity — pid and /proc start time, which survive pid reuse — lives
in ``<state>/processes/<rsc>.json``; a restarted agent finds it there and never
starts a second copy. It runs with ``CORRAL_NODE`` (the node's name),
``CORRAL_NODE_ADDR`` (the node's address: the agent's own ``CORRAL_NODE_ADDR``, else
127.0.0.1) and ``CORRAL_RESOURCE`` in its environment. Monitor: alive, then the
optional health probe. Stop: SIGTERM to the whole process group, SIGKILL when the
grace (most of the stop timeout) has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from corral.executors import procfs, spawn
from corral.executors.health import HealthCheck, probe
from corral.executors.result import Result, ResultKind

ENV_NODE_ADDR = "CORRAL_NODE_ADDR"  # the node's address, from the agent's environment
DEFAULT_NODE_ADDR = "127.0.0.1"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SETTLE_S = 0.1  # without a health probe, "started" means "still alive after this"
POLL_S = 0.05
LOG_TAIL = 2000
# launch in the background, print its pid, exit; setsid(1) execs in place (not a group leader)
LAUNCHER = 'log=$1; shift; setsid "$@" </dev/null >>"$log" 2>&1 & echo $!'


@dataclass(slots=True)
class ProcessSpec:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    user: str | None = None
    health: HealthCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["health"] = self.health.to_dict() if self.health else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProcessSpec:
        h = d.get("health")
        return cls(
            argv=[str(a) for a in d.get("argv") or []],
            env={str(k): str(v) for k, v in (d.get("env") or {}).items()},
            cwd=d.get("cwd"),
            user=d.get("user"),
            health=HealthCheck.from_dict(h) if h else None,
        )


@dataclass(slots=True)
class Running:
    """What the state file says about a started process."""

    pid: int
    start_time: int | None
    started_at: float
    argv: list[str]

    @property
    def alive(self) -> bool:
        return procfs.is_alive(self.pid, self.start_time)


def _safe(rsc: str) -> str:
    return rsc.replace("/", "%2F")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return bool(procfs.group_members(pgid))  # only zombies left counts as gone


class ProcessExecutor:
    """Starts, monitors and stops the ``process`` resources of one node."""

    def __init__(self, *, node: str, state_dir: str) -> None:
        self.node = node
        self.dir = os.path.join(state_dir, "processes")
        os.makedirs(self.dir, exist_ok=True)

    # -- the state files
    def _state_path(self, rsc: str) -> str:
        return os.path.join(self.dir, _safe(rsc) + ".json")

    def log_path(self, rsc: str) -> str:
        return os.path.join(self.dir, _safe(rsc) + ".log")

    def state(self, rsc: str) -> Running | None:
        try:
            with open(self._state_path(rsc)) as f:
                d = json.load(f)
            return Running(
                pid=int(d["pid"]),
                start_time=d.get("start_time"),
                started_at=float(d.get("started_at", 0)),
                argv=list(d.get("argv", [])),
            )
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def _save(self, rsc: str, run: Running) -> None:
        p = self._state_path(rsc)
        with open(p + ".tmp", "w") as f:
            json.dump(asdict(run), f)
        os.replace(p + ".tmp", p)

    def _forget(self, rsc: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._state_path(rsc))

    def known(self) -> list[str]:
        """Every resource with a state file (running or not)."""
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".json"):
                out.append(name[: -len(".json")].replace("%2F", "/"))
        return out

    def running(self) -> dict[str, int]:
        """Resources whose process is alive: rsc -> pid."""
        out = {}
        for rsc in self.known():
            st = self.state(rsc)
            if st is not None and st.alive:
                out[rsc] = st.pid
        return out

    def _log_tail(self, rsc: str) -> str:
        try:
            with open(self.log_path(rsc), "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - LOG_TAIL))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _env(self, rsc: str, spec: ProcessSpec) -> dict[str, str]:
        env = {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8", "HOME": "/"}
        if spec.user:
            with contextlib.suppress(KeyError):
                env["HOME"] = pwd.getpwnam(spec.user).pw_dir
        elif os.environ.get("HOME"):
            env["HOME"] = os.environ["HOME"]
        env.update(spec.env)
        env["CORRAL_NODE"] = self.node
        env[ENV_NODE_ADDR] = os.environ.get(ENV_NODE_ADDR) or DEFAULT_NODE_ADDR
        env["CORRAL_RESOURCE"] = rsc
        return env

    def _check(self, spec: ProcessSpec, env: dict[str, str]) -> Result | None:
        if not spec.argv:
            return Result.of_kind(ResultKind.NOT_CONFIGURED, "process: empty command line")
        if shutil.which(spec.argv[0], path=env.get("PATH", DEFAULT_PATH)) is None:
            return Result.of_kind(
                ResultKind.NOT_INSTALLED, f"process: command not found: {spec.argv[0]}"
            )
        if spec.cwd and not os.path.isdir(spec.cwd):
            return Result.of_kind(
                ResultKind.NOT_CONFIGURED, f"process: working directory {spec.cwd} does not exist"
            )
        if spec.user:
            try:
                pwd.getpwnam(spec.user)
            except KeyError:
                return Result.of_kind(
                    ResultKind.NOT_CONFIGURED, f"process: no such user {spec.user!r}"
                )
        return None

    # -- actions
    async def start(self, rsc: str, spec: ProcessSpec, timeout_ms: int) -> Result:
        t0 = time.monotonic()
        loop_deadline = t0 + timeout_ms / 1000

        def ms() -> int:
            return int((time.monotonic() - t0) * 1000)

        current = self.state(rsc)
        if current is not None and current.alive:
            return Result.of_kind(
                ResultKind.SUCCESS,
                duration_ms=ms(),
                extra={"pid": current.pid, "already_running": True},
            )
        env = self._env(rsc, spec)
        bad = self._check(spec, env)
        if bad is not None:
            return bad
        log = self.log_path(rsc)
        with open(log, "ab") as f:
            f.write(f"--- corral: start {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode())
        if spec.user:
            with contextlib.suppress(KeyError, OSError):
                pw = pwd.getpwnam(spec.user)
                os.chown(log, pw.pw_uid, pw.pw_gid)
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            LAUNCHER,
            "sh",
            log,
            *spec.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=spec.cwd or "/",
            user=spec.user,
            start_new_session=True,
        )
        out, err = await proc.communicate()
        try:
            pid = int(out.decode().strip())
        except ValueError:
            return Result.of_kind(
                ResultKind.ERROR_GENERIC,
                f"process: launcher failed: {err.decode(errors='replace').strip()[-200:]}",
                duration_ms=ms(),
            )
        run = Running(
            pid=pid, start_time=procfs.start_time(pid), started_at=time.time(), argv=spec.argv
        )
        self._save(rsc, run)
        extra = {"pid": pid}
        # ready: healthy (with a probe) or still alive after a short settle (without)
        settle_until = time.monotonic() + SETTLE_S
        while True:
            if not run.alive:
                self._forget(rsc)
                return Result.of_kind(
                    ResultKind.ERROR_GENERIC,
                    "process: exited during start",
                    stderr=self._log_tail(rsc),
                    duration_ms=ms(),
                    extra=extra,
                )
            if spec.health is None:
                if time.monotonic() >= settle_until:
                    return Result.of_kind(ResultKind.SUCCESS, duration_ms=ms(), extra=extra)
            elif await probe(spec.health, env) is None:
                return Result.of_kind(ResultKind.SUCCESS, duration_ms=ms(), extra=extra)
            if time.monotonic() >= loop_deadline:
                await self._kill_and_wait(pid)
                self._forget(rsc)
                return Result.of_kind(
                    ResultKind.TIMEOUT,
                    f"start timed out after {timeout_ms}ms (not healthy; process group killed)",
                    stderr=self._log_tail(rsc),
                    duration_ms=ms(),
                    extra=extra,
                )
            await asyncio.sleep(POLL_S)

    async def monitor(self, rsc: str, spec: ProcessSpec, timeout_ms: int) -> Result:
        t0 = time.monotonic()
        current = self.state(rsc)
        if current is None:
            return Result.of_kind(ResultKind.NOT_RUNNING, "not running")
        if not current.alive:
            return Result.of_kind(
                ResultKind.NOT_RUNNING,
                f"process {current.pid} is gone",
                stderr=self._log_tail(rsc),
                duration_ms=int((time.monotonic() - t0) * 1000),
            )
        if spec.health is not None:
            check = spec.health
            if check.timeout_ms > timeout_ms:
                check = HealthCheck.from_dict(check.to_dict() | {"timeout_ms": timeout_ms})
            why = await probe(check, self._env(rsc, spec))
            if why is not None:
                return Result.of_kind(
                    ResultKind.ERROR_GENERIC,
                    f"health check failed: {why}",
                    duration_ms=int((time.monotonic() - t0) * 1000),
                    extra={"pid": current.pid},
                )
        return Result.of_kind(
            ResultKind.SUCCESS,
            duration_ms=int((time.monotonic() - t0) * 1000),
            extra={"pid": current.pid},
        )

    async def stop(self, rsc: str, timeout_ms: int) -> Result:
        t0 = time.monotonic()
        current = self.state(rsc)
        if current is None or not current.alive:
            if current is not None and group_alive(current.pid):
                spawn.kill_group(current.pid)  # leader gone, children left behind
            self._forget(rsc)
            return Result.of_kind(ResultKind.SUCCESS, duration_ms=0)
        pgid = current.pid
        timeout = timeout_ms / 1000
        grace = max(0.05, timeout - min(1.0, timeout * 0.2))
        spawn.kill_group(pgid, signal.SIGTERM)
        how = "SIGTERM"
        while group_alive(pgid):
            if time.monotonic() - t0 >= grace:
                spawn.kill_group(pgid, signal.SIGKILL)
                how = "SIGKILL after the stop grace"
                break
            await asyncio.sleep(POLL_S)
        while group_alive(pgid):
            if time.monotonic() - t0 >= timeout:
                return Result.of_kind(
                    ResultKind.TIMEOUT,
                    f"stop: process group {pgid} still alive after SIGKILL",
                    duration_ms=int((time.monotonic() - t0) * 1000),
                )
            await asyncio.sleep(0.01)
        self._forget(rsc)
        return Result.of_kind(
            ResultKind.SUCCESS,
            "" if how == "SIGTERM" else f"stopped by {how}",
            duration_ms=int((time.monotonic() - t0) * 1000),
            extra={"pid": pgid, "signal": how},
        )

    async def _kill_and_wait(self, pgid: int, wait_s: float = 1.0) -> None:
        spawn.kill_group(pgid)
        until = time.monotonic() + wait_s
        while group_alive(pgid) and time.monotonic() < until:
            await asyncio.sleep(0.01)

    def kill_all(self) -> list[str]:
        """SIGKILL every running resource's process group at once (self-fencing)."""
        killed = []
        for rsc in self.known():
            st = self.state(rsc)
            if st is not None and (st.alive or group_alive(st.pid)):
                spawn.kill_group(st.pid)
                killed.append(rsc)
            self._forget(rsc)
        return killed
