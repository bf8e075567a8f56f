"""Helpers of the agent tests: send actions, wait for results, run an agent in-process
or as a real process (killed by PID, with everything it started)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from corral.agent.daemon import Agent, AgentOptions
from corral.agent.protocol import Action, AgentSpec, Keys, NodeRecord, ResourceOps
from corral.executors.health import HealthCheck
from corral.store import Store

KEYS = Keys("t")
DUMMY = AgentSpec(cls="ocf", provider="heartbeat", type="Dummy")


def http_agent(port: int, count_file: Path | None = None) -> AgentSpec:
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    if count_file is not None:  # counts its starts
        argv = ["sh", "-c", f'echo start >> {count_file}; exec "$@"', "sh", *argv]
    return AgentSpec(
        cls="process", argv=argv, health=HealthCheck(kind="http", port=port, timeout_ms=1000)
    )


async def send(store: Store, node: str, action: Action) -> None:
    await store.put(KEYS.action(node, action.id), action.to_json())


async def ops_of(store: Store, node: str, rsc: str) -> ResourceOps | None:
    kv = await store.get(KEYS.ops(node, rsc))
    return ResourceOps.from_json(kv.value) if kv else None


async def wait_ops(
    store: Store,
    node: str,
    rsc: str,
    pred: Callable[[ResourceOps], bool],
    timeout: float = 10.0,
) -> ResourceOps:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await ops_of(store, node, rsc)
        if last is not None and pred(last):
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"timeout waiting on {rsc}: {last}")


async def wait_key_gone(store: Store, key: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await store.get(key) is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} still there")


async def node_record(store: Store, node: str) -> NodeRecord | None:
    kv = await store.get(KEYS.node_status(node))
    return NodeRecord.from_dict(kv.json()) if kv else None


def done(task: str, interval_ms: int = 0, rc: int = 0) -> Callable[[ResourceOps], bool]:
    def pred(o: ResourceOps) -> bool:
        rec = o.ops.get(f"{task}_{interval_ms}")
        return rec is not None and rec.rc == rc

    return pred


@contextlib.asynccontextmanager
async def inprocess_agent(
    store: Store, state_dir: Path, node: str = "n1", **kw
) -> AsyncIterator[Agent]:
    opts = AgentOptions(node=node, state_dir=str(state_dir), cluster=KEYS.cluster, **kw)
    agent = Agent(opts, store)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:
        await asyncio.wait_for(agent.ready.wait(), 15)
        yield agent
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        kill_leftovers(state_dir)


def kill_leftovers(state_dir: Path) -> None:
    """SIGKILL the process group of every process resource a state dir records."""
    pdir = state_dir / "processes"
    if not pdir.is_dir():
        return
    for f in pdir.glob("*.json"):
        with contextlib.suppress(ValueError, OSError, KeyError):
            pid = int(json.loads(f.read_text())["pid"])
            os.killpg(pid, signal.SIGKILL)


AGENT_MAIN = "import corral.cli.agent; from corral.cli.app import app; app()"


class AgentProcess:
    """``corral agent`` as a real process in its own process group."""

    def __init__(self, store_url: str, state_dir: Path, node: str = "n1", ttl: float = 2.0):
        self.argv = [
            sys.executable, "-c", AGENT_MAIN, "agent", "--node", node, "--store", store_url,
            "--cluster", KEYS.cluster, "--state-dir", str(state_dir), "--ttl", str(ttl),
            "--log-level", "debug",
        ]  # fmt: skip
        self.state_dir = state_dir
        self.log = state_dir.parent / f"agent-{node}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=60)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def close(self) -> None:
        self.terminate()
        self.kill()
        kill_leftovers(self.state_dir)
