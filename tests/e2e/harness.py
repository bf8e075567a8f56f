"""A local cluster for end-to-end tests, started with ``corral up`` and stopped with
``corral down``; the processes themselves (cgroup members, /proc cmdlines) are the
ground truth of where a resource runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral.commands.config_store import read_config
from corral.commands.nodes import STANDBY, unstandby
from corral.commands.resources import RUNNING_ROLES, cleanup_resource, delete_resource
from corral.model.errors import CorralError
from corral.store import open_store

CORRAL = [sys.executable, "-m", "corral.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_ok(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for(pred: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Sampler:
    """Samples every ``every`` s on which nodes a process matching ``marker`` runs."""

    cluster: LocalCluster
    marker: str
    every: float = 0.05
    samples: list[tuple[float, list[str]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self.cluster.nodes_running(self.marker)))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def max_copies(self) -> int:
        return max((len(n) for _, n in self.samples), default=0)

    def doubles(self) -> list[tuple[float, list[str]]]:
        return [s for s in self.samples if len(s[1]) > 1]


@dataclass
class LocalCluster:
    directory: Path
    store: str | None
    name: str
    nodes: int = 3
    lease_ttl: float = 2.0
    up_args: tuple[str, ...] = ()  # more words for `corral up` (--example webfarm, ...)
    info: dict[str, Any] = field(default_factory=dict)

    def corral(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        env = {**os.environ, "CORRAL_DIR": str(self.directory)}
        out = subprocess.run(
            [*CORRAL, *args], capture_output=True, text=True, env=env, timeout=timeout
        )
        if check and out.returncode != 0:
            raise AssertionError(f"corral {' '.join(args)}: rc {out.returncode}\n{out.stderr}")
        return out.stdout + out.stderr

    def up(self) -> None:
        args = ["up", "--dir", str(self.directory), "--nodes", str(self.nodes)]
        args += ["--cluster", self.name, "--lease-ttl", str(self.lease_ttl)]
        if self.store:
            args += ["--store", self.store]
        self.corral(*args, *self.up_args)
        self.info = json.loads((self.directory / "cluster.json").read_text())

    def down(self) -> None:
        if (self.directory / "cluster.json").exists():
            self.corral("down", "--dir", str(self.directory), check=False)

    def status(self) -> dict[str, Any]:
        return json.loads(self.corral("status", "--format", "json"))

    def node(self, name: str) -> dict[str, Any]:
        return next(n for n in self.info["nodes"] if n["name"] == name)

    def cgroup_pids(self, name: str) -> list[int]:
        try:
            text = (Path(self.node(name)["cgroup"]) / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def nodes_running(self, marker: str) -> list[str]:
        return [
            n["name"]
            for n in self.info["nodes"]
            if any(marker in cmdline(p) for p in self.cgroup_pids(n["name"]))
        ]

    def where(self, rsc: str) -> list[str]:
        """Nodes where the status says ``rsc`` is Started."""
        return [
            r["node"]
            for r in self.status()["resources"]
            if r["id"].split(":")[0] == rsc and r["state"] in ("Started", "Promoted")
        ]

    def kill_node(self, name: str) -> None:
        (Path(self.node(name)["cgroup"]) / "cgroup.kill").write_text("1")

    def signal_agent(self, name: str, sig: int) -> None:
        os.kill(self.node(name)["agent_pid"], sig)

    def leader(self) -> str | None:
        return self.status().get("leader")

    def controller_pid(self, name: str) -> int:
        return int(self.node(name)["controller_pid"])

    def watchdog_log(self, name: str) -> str:
        p = Path(self.node(name)["state_dir"]) / "watchdog" / "watchdog.log"
        return p.read_text() if p.exists() else ""

    def logs(self, tail: int = 6000) -> str:
        """The end of every daemon's log (and each watchdog's own record), for a report."""
        where = self.store or "sqlite"
        out = [f"=== local cluster {self.name} in {self.directory} (store {where})"]
        for n in self.info.get("nodes", []):
            paths = dict(n["logs"])
            paths["watchdog.log"] = str(Path(n["state_dir"]) / "watchdog" / "watchdog.log")
            for role, path in paths.items():
                with contextlib.suppress(OSError):
                    text = Path(path).read_text(errors="replace")
                    cut = f"[... {len(text) - tail} chars before]\n" if len(text) > tail else ""
                    out.append(f"--- {n['name']} {role} ({path})\n{cut}{text[-tail:]}")
        return "\n".join(out)

    def reset(self, timeout: float = 30) -> None:
        """Back to an empty cluster between tests sharing it: every resource deleted
        (with the constraints naming it) and stopped, its history cleaned, no node in
        standby. Raises AssertionError if that does not happen within ``timeout``."""
        asyncio.run(self._clear_config())
        wait_for(lambda: self.nodes_running("http.server") == [], timeout, "resources stopped")
        wait_for(lambda: asyncio.run(self._settled()), timeout, "history of stopped resources")
        asyncio.run(self._clear_history())

    async def _with_store(self, fn: Callable[[Any], Any]) -> Any:
        s = await open_store(self.info["store"])
        try:
            return await fn(s)
        finally:
            await s.close()

    async def _clear_config(self) -> None:
        async def go(s: Any) -> None:
            config = (await read_config(s, self.name)).config
            for r in config.resources:
                await delete_resource(s, r.id, cluster=self.name)
            for n in config.nodes:
                if STANDBY in n.attributes:
                    await unstandby(s, n.uname, cluster=self.name)

        await self._with_store(go)

    async def _settled(self) -> bool:
        """No action in flight and no history record of a running resource."""
        root = f"/corral/{self.name}/"

        async def go(s: Any) -> bool:
            if list(await s.range(root + "actions/")):
                return False
            for kv in await s.range(root + "status/ops/"):
                with contextlib.suppress(ValueError, AttributeError):
                    if kv.json().get("role") in RUNNING_ROLES:
                        return False
            return True

        return bool(await self._with_store(go))

    async def _clear_history(self) -> None:
        root = f"/corral/{self.name}/status/ops/"

        async def go(s: Any) -> None:
            rscs = {kv.key[len(root) :].partition("/")[2] for kv in await s.range(root)}
            for rsc in sorted(r for r in rscs if r):
                with contextlib.suppress(CorralError):  # gone meanwhile
                    await cleanup_resource(s, rsc, cluster=self.name)

        await self._with_store(go)

    def web(self, rsc: str, host: str, port: int, *extra: str) -> str:
        """Create a process resource serving HTTP on host:port; returns its marker."""
        marker = f"http.server {port} --bind {host}"
        self.corral(
            "resource", "create", rsc, "process",
            f"command=python3 -m {marker}", f"health=http:{host}:{port}",
            "op", "monitor", "interval=1s", "timeout=5s", *extra,
        )  # fmt: skip
        return marker


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
