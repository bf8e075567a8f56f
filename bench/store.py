"""Store benchmark: per backend, median and p99 of get, put, CAS txn and watch delivery
(put in one Store -> event in another Store object), and how many leases one process keeps
alive at TTL 2 s. Prints a table and writes bench/results/store.json.

    .venv/bin/python bench/store.py [--backends memory,sqlite,etcd] [--ops 1000]

Targets: watch delivery p99 < 50 ms on sqlite, < 10 ms on etcd (loopback).
etcd is a real single member started on free ports (tests/fixtures/etcd.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.etcd import start_cluster  # noqa: E402

from corral.store import Compare, Put, Store, open_store  # noqa: E402

LEASE_STEPS = (250, 1000, 2500, 5000)


def stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return {"median_ms": statistics.median(s) * 1e3, "p99_ms": p99 * 1e3, "n": len(s)}


async def timed(n: int, fn: Any) -> dict[str, float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await fn(i)
        out.append(time.perf_counter() - t0)
    return stats(out)


async def bench_ops(a: Store, b: Store, n: int) -> dict[str, Any]:
    p = f"/bench/{time.time_ns()}/"
    value = b"v" * 100
    res: dict[str, Any] = {}
    res["put"] = await timed(n, lambda i: a.put(f"{p}k{i % 100}", value))
    res["get"] = await timed(n, lambda i: a.get(f"{p}k{i % 100}"))

    t = []
    for i in range(n):  # time only the txn, not the read before it
        kv = await a.get(p + "cas")
        cmp = [Compare.mod_revision(p + "cas", "==", kv.mod_revision)] if kv else []
        t0 = time.perf_counter()
        r = await a.txn(cmp, [Put(p + "cas", str(i).encode())])
        t.append(time.perf_counter() - t0)
        assert r.succeeded
    res["cas_txn"] = stats(t)

    # the watcher waits in its own task (as a daemon's would) while the writer puts
    count = min(n, 300)
    sent: dict[str, float] = {}
    delays: list[float] = []
    async with await b.watch(p + "w/") as w:

        async def consume() -> None:
            async for ev in w:
                delays.append(time.perf_counter() - sent[ev.key])
                if len(delays) == count:
                    return

        consumer = asyncio.create_task(consume())
        await asyncio.sleep(0.05)
        for i in range(count):
            key = f"{p}w/{i}"
            sent[key] = time.perf_counter()
            await a.put(key, value)
            await asyncio.sleep(0.005)  # spread over time, as real changes are
        await asyncio.wait_for(consumer, 30)
    res["watch_delivery"] = stats(delays)
    await a.delete(p, prefix=True)
    return res


async def bench_leases(url: str, hold: float) -> dict[str, Any]:
    """Ramp the number of leases kept alive (TTL 2 s, one key each) until one is lost."""
    steps: list[dict[str, Any]] = []
    best = 0
    for n in LEASE_STEPS:
        store = await open_store(url)
        try:
            t0 = time.perf_counter()
            sem = asyncio.Semaphore(200)

            async def grant_one(i: int, store: Store = store, sem: asyncio.Semaphore = sem) -> Any:
                async with sem:
                    lease = await store.grant(2)
                    await store.put(f"/bench-lease/{i}", b"x", lease=lease)
                    return store.keepalive(lease).start()

            kas = await asyncio.gather(*(grant_one(i) for i in range(n)))
            grant_s = time.perf_counter() - t0
            await asyncio.sleep(hold)
            lost = sum(ka.lost.is_set() for ka in kas)
            present = len(await store.range("/bench-lease/"))
            for ka in kas:
                await ka.stop()
            await asyncio.gather(*(store.revoke(ka.lease) for ka in kas), return_exceptions=True)
            await store.delete("/bench-lease/", prefix=True)
        finally:
            await store.close()
        ok = lost == 0 and present == n
        steps.append(
            {"leases": n, "lost": lost, "keys_left": present, "grant_s": round(grant_s, 2)}
        )
        print(
            f"  leases {n}: lost {lost}, keys {present}/{n}, granted in {grant_s:.1f}s", flush=True
        )
        if not ok:
            break
        best = n
    return {"kept_alive": best, "cap": LEASE_STEPS[-1], "steps": steps}


async def run_backend(name: str, url: str, n: int, hold: float) -> dict[str, Any]:
    print(f"== {name}: {url}", flush=True)
    a, b = await open_store(url), await open_store(url)
    try:
        res = await bench_ops(a, b, n)
    finally:
        await a.close()
        await b.close()
    res["leases"] = await bench_leases(url, hold)
    return res


def table(results: dict[str, Any]) -> str:
    ops = ["get", "put", "cas_txn", "watch_delivery"]
    head = (
        "| backend | "
        + " | ".join(f"{o} med / p99 (ms)" for o in ops)
        + " | leases kept at TTL 2 s |"
    )
    lines = [head, "|" + " --- |" * (len(ops) + 2)]
    for name, r in results.items():
        cells = [f"{r[o]['median_ms']:.2f} / {r[o]['p99_ms']:.2f}" for o in ops]
        lease = r["leases"]
        kept = f"{lease['kept_alive']}" + (" (cap)" if lease["kept_alive"] == lease["cap"] else "")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {kept} |")
    return "\n".join(lines)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="memory,sqlite,etcd")
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=4.0, help="seconds to hold each lease step")
    ap.add_argument("--merge", action="store_true", help="update store.json, keep the rest")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    cluster = None
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        try:
            for name in args.backends.split(","):
                if name == "memory":
                    url = "memory://bench"
                elif name == "sqlite":
                    url = f"sqlite://{tmp}/bench.db"
                elif name == "etcd":
                    cluster = start_cluster(1)
                    url = cluster.url
                else:
                    raise SystemExit(f"unknown backend {name}")
                results[name] = await run_backend(name, url, args.ops, args.hold)
        finally:
            if cluster is not None:
                cluster.stop()
    out = ROOT / "bench" / "results" / "store.json"
    if args.merge and out.exists():  # keep other backends' figures from an earlier run
        results = {**json.loads(out.read_text()).get("results", {}), **results}
    print(table(results))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"time": time.time(), "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())
