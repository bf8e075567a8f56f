"""Agent throughput and footprint.

1. Monitors per second one agent sustains: N resources with a recurring monitor at a
   short interval (more than the agent can do), counted over a window, for ocf:heartbeat:
   Dummy (a fork+exec of a shell script per monitor) and for ``process`` resources
   (a /proc check; and with an HTTP health probe).
2. The agent process (``corral agent``, sqlite store) with 100 resources (50 Dummy,
   50 process) and 10 s monitors: its RSS and CPU use over an idle window.

Prints a table and writes bench/results/agent.json. Usage: .venv/bin/python bench/agent.py
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corral.agent.daemon import Agent, AgentOptions
from corral.agent.protocol import Action, AgentSpec, Keys
from corral.executors.health import HealthCheck
from corral.store import open_store

KEYS = Keys("bench")
DUMMY = AgentSpec(cls="ocf", provider="heartbeat", type="Dummy")
WINDOW_S = 8.0


async def wait_started(store, node: str, rscs: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = await store.range(KEYS.ops_prefix(node))
        started = {kv.key.rsplit("/", 1)[1] for kv in snap if b'"monitor_' in kv.value}
        if set(rscs) <= started:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("resources did not start")


async def monitor_rate(kind: str, n: int, interval_ms: int) -> dict[str, float]:
    store = await open_store("memory://")
    with tempfile.TemporaryDirectory() as d:
        agent = Agent(AgentOptions(node="b1", state_dir=d, cluster="bench", probe=False), store)
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        await agent.ready.wait()
        base = 20000 + os.getpid() % 20000
        rscs = []
        for i in range(n):
            rsc = f"{kind}{i}"
            rscs.append(rsc)
            if kind == "dummy":
                spec = DUMMY
            elif kind == "process":
                spec = AgentSpec(cls="process", argv=["sleep", "3600"])
            else:
                port = base + i
                spec = AgentSpec(
                    cls="process",
                    argv=[sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                    health=HealthCheck(kind="http", port=port),
                )
            for a in (
                Action(id=f"s-{rsc}", rsc=rsc, task="start", agent=spec),
                Action(id=f"m-{rsc}", rsc=rsc, task="monitor", interval_ms=interval_ms, agent=spec),
            ):
                await store.put(KEYS.action("b1", a.id), a.to_json())
        await wait_started(store, "b1", rscs)
        count = 0
        real_run = agent.runner.run

        async def counted(action, **kw):
            nonlocal count
            r = await real_run(action, **kw)
            if action.id.startswith("recurring:"):
                count += 1
            return r

        agent.runner.run = counted  # type: ignore[method-assign]
        t0 = time.monotonic()
        cpu0 = time.process_time()
        await asyncio.sleep(WINDOW_S)
        took = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        stop.set()
        await task
        agent.runner.process.kill_all()
    await store.close()
    return {"monitors_per_s": count / took, "agent_cpu_share": cpu / took}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid: int) -> int:
    raw = Path(f"/proc/{pid}/stat").read_text()
    rest = raw[raw.rindex(")") + 2 :].split()
    return int(rest[11]) + int(rest[12])  # utime + stime


async def footprint(n: int = 100, interval_ms: int = 10_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/c.db"
        st = Path(d) / "b1"
        proc = subprocess.Popen(
            [sys.executable, "-c", "import corral.cli.agent; from corral.cli.app import app; app()",
             "agent", "--node", "b1", "--store", url, "--cluster", "bench", "--state-dir", str(st),
             "--log-level", "warning"],
            start_new_session=True,
        )  # fmt: skip
        store = await open_store(url)
        try:
            rscs = []
            for i in range(n):
                rsc = f"r{i}"
                rscs.append(rsc)
                spec = DUMMY if i % 2 == 0 else AgentSpec(cls="process", argv=["sleep", "3600"])
                for a in (
                    Action(id=f"s-{rsc}", rsc=rsc, task="start", agent=spec),
                    Action(id=f"m-{rsc}", rsc=rsc, task="monitor", interval_ms=interval_ms,
                           agent=spec),
                ):  # fmt: skip
                    await store.put(KEYS.action("b1", a.id), a.to_json())
            await wait_started(store, "b1", rscs)
            await asyncio.sleep(2)
            hz = os.sysconf("SC_CLK_TCK")
            c0, t0 = cpu_ticks(proc.pid), time.monotonic()
            await asyncio.sleep(20)
            c1, t1 = cpu_ticks(proc.pid), time.monotonic()
            return {
                "resources": n,
                "monitor_interval_s": interval_ms / 1000,
                "rss_mib": rss_kb(proc.pid) / 1024,
                "cpu_percent": 100 * (c1 - c0) / hz / (t1 - t0),
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            await store.close()


async def main() -> None:
    results: dict[str, object] = {"cores": os.cpu_count()}
    rates = {}
    for kind, n, iv in (("dummy", 40, 100), ("process", 200, 50), ("process-http", 40, 100)):
        rates[kind] = await monitor_rate(kind, n, iv)
        rates[kind].update({"resources": n, "interval_ms": iv})
    results["monitor_rate"] = rates
    results["footprint"] = await footprint()
    print(f"{'monitors/s (one agent)':<30}{'rate':>10}{'agent CPU (own)':>18}")
    for kind, r in rates.items():
        print(f"{kind:<30}{r['monitors_per_s']:>10.0f}{100 * r['agent_cpu_share']:>17.0f}%")
    f = results["footprint"]
    print(
        f"\nagent with {f['resources']} resources (50 Dummy + 50 process, monitors every "
        f"{f['monitor_interval_s']:g} s): RSS {f['rss_mib']:.1f} MiB, CPU {f['cpu_percent']:.2f}%"
    )
    out = Path(__file__).parent / "results" / "agent.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())
