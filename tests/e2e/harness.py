"""A local cluster for end-to-end tests, started with ``corral up`` and stopped with
``corral down``; the processes themselves (cgroup members, /proc cmdlines) are the
ground truth of where a resource runs."""

from __future__ import annotations

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

    def logs(self) -> str:
        out = []
        for n in self.info.get("nodes", []):
            for role, path in n["logs"].items():
                with contextlib.suppress(OSError):
                    out.append(f"--- {n['name']} {role}\n" + Path(path).read_text()[-3000:])
        return "\n".join(out)

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
