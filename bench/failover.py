"""Failover time of a local cluster: SIGKILL of a whole node (cgroup.kill, a power
loss) running a ``process`` resource that serves HTTP, until it answers HTTP on
another node. Per trial a fresh 3-node ``corral up``; sqlite and etcd.

The split, from the store's own events (watched by this script):
  detection  kill -> the node's member key is gone (its lease expired)
  wait       -> the controller confirms it (lease expiry + margin: the watchdog is the fence)
  scheduling -> the start action is written to another node
  start      -> the resource answers HTTP there
Also: restart in place after a failed monitor (the process SIGKILLed alone).

    .venv/bin/python bench/failover.py [--trials 20] [--stores sqlite,etcd]

Prints a table and writes bench/results/failover.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import (  # noqa: E402
    LocalCluster,
    cmdline,
    free_port,
    http_ok,
    kill_quietly,
    wait_for,
)
from tests.fixtures.etcd import start_cluster  # noqa: E402

from corral.store import EventType, open_store  # noqa: E402


async def _observe(c: LocalCluster, node: str, host: str, port: int, t_kill: float) -> dict:
    prefix = f"/corral/{c.name}/"
    store = await open_store(c.info["store"])
    marks: dict[str, float] = {}
    try:
        rev = await store.revision()
        watch = await store.watch(prefix, from_revision=rev + 1)

        async def events() -> None:
            async for ev in watch:
                k = ev.key[len(prefix) :]
                now = time.time()
                if k == f"members/{node}" and ev.type is EventType.DELETE:
                    marks.setdefault("member_gone", now)
                elif k == f"status/lost/{node}" and ev.type is EventType.DELETE:
                    marks.setdefault("confirmed", now)
                elif k.startswith("actions/") and ev.type is EventType.PUT:
                    doc = ev.kv.json()
                    if doc.get("task") == "start" and doc.get("rsc") == "web":
                        marks.setdefault("start_sent", now)

        task = asyncio.create_task(events())
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                if await asyncio.to_thread(http_ok, host, port, 0.1):
                    marks["http"] = time.time()
                    break
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await watch.close()
    finally:
        await store.close()
    return {k: v - t_kill for k, v in marks.items()}


def node_kill_trial(store: str | None, lease_ttl: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        c = LocalCluster(
            Path(tmp) / "cl", store, "bench" + uuid.uuid4().hex[:6], lease_ttl=lease_ttl
        )
        c.up()
        try:
            host, port = "127.0.0.9", free_port()
            marker = c.web("web", host, port)
            node = wait_for(lambda: c.nodes_running(marker), 20, "web to run")[0]
            wait_for(lambda: http_ok(host, port), 10, "web to answer")
            time.sleep(0.5)
            t_kill = time.time()
            c.kill_node(node)
            m = asyncio.run(_observe(c, node, host, port, t_kill))
            assert "http" in m, f"no failover: {m}"
            return m
        finally:
            c.down()


def restart_trials(store: str | None, n: int) -> list[float]:
    out = []
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        c = LocalCluster(Path(tmp) / "cl", store, "bench" + uuid.uuid4().hex[:6])
        c.up()
        try:
            host, port = "127.0.0.10", free_port()
            marker = c.web("web", host, port, "meta", "migration-threshold=1000")
            node = wait_for(lambda: c.nodes_running(marker), 20, "web to run")[0]
            for _ in range(n):
                wait_for(lambda: http_ok(host, port), 15, "web to answer")
                time.sleep(0.3)
                pid = next(p for p in c.cgroup_pids(node) if marker in cmdline(p))
                t0 = time.monotonic()
                kill_quietly(pid, signal.SIGKILL)
                wait_for(lambda: http_ok(host, port, 0.1), 20, "restart", every=0.02)
                out.append(time.monotonic() - t0)
        finally:
            c.down()
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def summarize(xs: list[float]) -> dict[str, float]:
    return {"p50": pct(xs, 50), "p95": pct(xs, 95), "max": max(xs), "mean": statistics.mean(xs)}


def _gaps(trials: list[dict[str, float]], a: str | None, b: str) -> list[float]:
    return [t[b] - (t[a] if a else 0.0) for t in trials if b in t and (a is None or a in t)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--restarts", type=int, default=10)
    ap.add_argument("--stores", default="sqlite,etcd")
    ap.add_argument("--lease-ttl", type=float, default=2.0)
    args = ap.parse_args()
    results: dict[str, Any] = {"lease_ttl": args.lease_ttl, "trials": args.trials, "stores": {}}
    for kind in args.stores.split(","):
        etcd = start_cluster(1) if kind == "etcd" else None
        url = etcd.url if etcd else None
        try:
            trials = []
            for i in range(args.trials):
                m = node_kill_trial(url, args.lease_ttl)
                trials.append(m)
                print(f"{kind} trial {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in m.items()),
                      flush=True)  # fmt: skip
            restarts = restart_trials(url, args.restarts)
        finally:
            if etcd:
                etcd.stop()
        total = [t["http"] for t in trials]
        split = {
            "detection": _gaps(trials, None, "member_gone"),
            "wait": _gaps(trials, "member_gone", "confirmed"),
            "scheduling": _gaps(trials, "confirmed", "start_sent"),
            "start": _gaps(trials, "start_sent", "http"),
        }
        results["stores"][kind] = {
            "node_kill": summarize(total),
            "split": {k: summarize(v) for k, v in split.items() if v},
            "restart_in_place": summarize(restarts),
            "raw": trials,
            "restarts_raw": restarts,
        }
    print()
    print(f"{'store':8} {'measure':22} {'p50':>7} {'p95':>7} {'max':>7}")
    for kind, r in results["stores"].items():
        rows = [("node kill -> HTTP", r["node_kill"])]
        rows += [(f"  {k}", v) for k, v in r["split"].items()]
        rows += [("restart in place", r["restart_in_place"])]
        for name, s in rows:
            print(f"{kind:8} {name:22} {s['p50']:7.2f} {s['p95']:7.2f} {s['max']:7.2f}")
    out = ROOT / "bench" / "results" / "failover.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
