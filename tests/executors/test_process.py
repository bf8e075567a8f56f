"""The process executor with real daemons: python's http.server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.executors import procfs, spawn
from corral.executors.health import HealthCheck
from corral.executors.process import ProcessExecutor, ProcessSpec
from corral.executors.result import ResultKind


def http_spec(port: int, **kw) -> ProcessSpec:
    return ProcessSpec(
        argv=[sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        health=HealthCheck(kind="http", port=port, timeout_ms=1000),
        **kw,
    )


@pytest.fixture
def pex(tmp_path: Path) -> Iterator[ProcessExecutor]:
    ex = ProcessExecutor(node="n1", state_dir=str(tmp_path))
    yield ex
    ex.kill_all()  # never leave a daemon behind


async def test_start_monitor_stop(pex: ProcessExecutor, free_port: int) -> None:
    spec = http_spec(free_port)
    r = await pex.start("web", spec, 10_000)
    assert r.ok, r
    pid = r.extra["pid"]
    assert os.getpgid(pid) == pid  # its own process group (setsid)
    assert (await pex.monitor("web", spec, 5000)).ok
    r = await pex.stop("web", 5000)
    assert r.ok and r.extra["signal"] == "SIGTERM"
    assert not procfs.is_alive(pid, None)
    assert (await pex.monitor("web", spec, 5000)).kind is ResultKind.NOT_RUNNING


async def test_survives_a_new_executor_and_is_not_started_twice(
    tmp_path: Path, pex: ProcessExecutor, free_port: int
) -> None:
    spec = http_spec(free_port)
    first = await pex.start("web", spec, 10_000)
    again = ProcessExecutor(node="n1", state_dir=str(tmp_path))  # an agent restart
    assert again.running() == {"web": first.extra["pid"]}
    r = await again.start("web", spec, 10_000)
    assert r.ok and r.extra == {"pid": first.extra["pid"], "already_running": True}


async def test_failing_monitor(pex: ProcessExecutor, free_port: int) -> None:
    spec = http_spec(free_port)
    pid = (await pex.start("web", spec, 10_000)).extra["pid"]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while procfs.is_alive(pid, None) and time.monotonic() < deadline:
        time.sleep(0.01)
    r = await pex.monitor("web", spec, 5000)
    assert r.kind is ResultKind.NOT_RUNNING and f"process {pid} is gone" in r.exit_reason


async def test_unhealthy_but_alive_is_a_failure(pex: ProcessExecutor, free_port: int) -> None:
    spec = ProcessSpec(
        argv=["sleep", "300"], health=HealthCheck(kind="tcp", port=free_port, timeout_ms=300)
    )
    r = await pex.start("s", spec, 600)  # never healthy: times out, group killed
    assert r.kind is ResultKind.TIMEOUT and "process group killed" in r.exit_reason
    assert not procfs.is_alive(r.extra["pid"], None)
    plain = ProcessSpec(argv=["sleep", "300"])
    assert (await pex.start("s", plain, 5000)).ok
    r = await pex.monitor("s", spec, 5000)
    assert r.kind is ResultKind.ERROR_GENERIC and "health check failed" in r.exit_reason


async def test_stop_escalates_to_sigkill(pex: ProcessExecutor) -> None:
    spec = ProcessSpec(argv=["sh", "-c", "trap '' TERM; sleep 300 & wait; sleep 300"])
    r = await pex.start("stubborn", spec, 5000)
    assert r.ok
    t0 = time.monotonic()
    r = await pex.stop("stubborn", 1000)
    assert r.ok and "SIGKILL" in r.exit_reason
    assert time.monotonic() - t0 < 2.0
    assert not procfs.is_alive(int(r.extra["pid"]), None)


async def test_pid_reuse_is_not_mistaken_for_the_process(tmp_path: Path) -> None:
    ex = ProcessExecutor(node="n1", state_dir=str(tmp_path))
    # a state file naming a live pid (ours) with another start time
    st = procfs.start_time(os.getpid())
    assert st is not None
    (tmp_path / "processes" / "old.json").write_text(
        json.dumps({"pid": os.getpid(), "start_time": st + 1, "started_at": 0, "argv": ["x"]})
    )
    r = await ex.monitor("old", ProcessSpec(argv=["x"]), 1000)
    assert r.kind is ResultKind.NOT_RUNNING
    assert ex.running() == {}


@pytest.mark.parametrize(
    ("spec", "kind", "reason"),
    [
        (ProcessSpec(argv=["no-such-command-xyz"]), ResultKind.NOT_INSTALLED, "command not found"),
        (ProcessSpec(argv=[]), ResultKind.NOT_CONFIGURED, "empty command line"),
        (ProcessSpec(argv=["true"], cwd="/no/such/dir"), ResultKind.NOT_CONFIGURED, "does not"),
        (ProcessSpec(argv=["true"], user="no-such-user-x"), ResultKind.NOT_CONFIGURED, "no such"),
        (ProcessSpec(argv=["false"]), ResultKind.ERROR_GENERIC, "exited during start"),
    ],
)
async def test_bad_input(pex: ProcessExecutor, spec: ProcessSpec, kind, reason: str) -> None:
    r = await pex.start("bad", spec, 3000)
    assert r.kind is kind and reason in r.exit_reason


async def test_spawn_timeout_and_missing_command() -> None:
    out = await spawn.run(["sleep", "5"], timeout_s=0.2)
    assert out.timed_out and out.rc is None
    out = await spawn.run(["/no/such/binary"], timeout_s=1)
    assert out.rc is None and "No such file" in out.start_error
