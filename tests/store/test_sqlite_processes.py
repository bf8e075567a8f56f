"""The sqlite backend shared by several OS processes: writes and watches cross process
boundaries; a SIGKILL in the middle of a transaction loses nothing committed."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.store import EventType, open_store

CHILD = str(Path(__file__).with_name("sqlite_child.py"))


@pytest.fixture
def spawn() -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(mode: str, url: str) -> subprocess.Popen[str]:
        p = subprocess.Popen(
            [sys.executable, CHILD, mode, url],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        procs.append(p)
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


async def test_two_processes_see_each_others_writes_and_watches(
    tmp_path: Path, spawn: object
) -> None:
    url = f"sqlite://{tmp_path}/shared.db"
    store = await open_store(url)
    try:
        spawn("echo", url)  # type: ignore[operator]
        async with await store.watch("/pong/") as w:
            for i in range(5):
                await store.put(f"/ping/{i}", f"hello {i}".encode())
            await store.put("/ping/5", b"stop")
            got = []
            async with asyncio.timeout(10):
                async for ev in w:
                    assert ev.type is EventType.PUT
                    got.append((ev.key, ev.kv.value))
                    if ev.kv.value == b"stop":
                        break
        assert got == [(f"/pong/{i}", f"hello {i}".encode()) for i in range(5)] + [
            ("/pong/5", b"stop")
        ]
        snap = await store.range("/pong/")
        assert len(snap) == 6
    finally:
        await store.close()


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.parametrize("after", [5, 60, 250])
async def test_sigkill_mid_transaction_loses_nothing_committed(
    tmp_path: Path, spawn: object, after: int
) -> None:
    path = tmp_path / "kill.db"
    url = f"sqlite://{path}"
    p = spawn("writer", url)  # type: ignore[operator]
    assert p.stdout is not None
    last = 0
    for line in p.stdout:
        last = int(line)
        if last >= after:
            break
    os.killpg(p.pid, signal.SIGKILL)  # mid-loop: most likely inside a transaction
    p.wait()
    assert _integrity(path) == "ok"
    store = await open_store(url)
    try:
        kv = await store.get("/counter")
        assert kv is not None
        n = int(kv.value)
        assert last <= n <= last + 1  # everything reported committed is there
        logs = await store.range("/log/")
        assert [k.key for k in logs] == [f"/log/{i:06d}" for i in range(1, n + 1)]
        await store.put("/after", b"still writable")
    finally:
        await store.close()
    assert _integrity(path) == "ok"
