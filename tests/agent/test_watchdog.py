"""The node watchdog kills the agent's resources when it is not fed in time (real
processes; process-group mode, and cgroup mode when cgroup v2 is writable)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from corral.agent.watchdog import Watchdog, feed, read_feed
from corral.local.cgroups import NodeGroup, join_self, v2_mount

# an "agent": a Python process that starts a resource in its own session and sleeps
AGENT = (
    "import subprocess,time,sys;"
    "subprocess.Popen(['sleep','300'],start_new_session=True);"
    "print('ok',flush=True);time.sleep(300)"
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(name))
    return out


def test_feed_roundtrip(tmp_path: Path) -> None:
    feed(tmp_path, 1.5)
    st = read_feed(tmp_path)
    assert st is not None and st.pid == os.getpid()
    assert st.deadline - st.fed_at == pytest.approx(1.5)


def test_fires_once_when_not_fed_and_kills_process_groups(tmp_path: Path) -> None:
    agent = subprocess.Popen([sys.executable, "-c", AGENT], stdout=subprocess.PIPE)
    try:
        assert agent.stdout is not None and agent.stdout.readline().strip() == b"ok"
        res = _children(agent.pid)
        assert len(res) == 1
        dog = Watchdog(node="n1", state_dir=tmp_path, deadline_s=0.3)
        # the agent's feed, written on its behalf (same format, its pid)
        now = time.monotonic()
        (tmp_path / "watchdog.feed").write_text(
            f'{{"fed_at": {now}, "deadline": {now + 0.3}, "pid": {agent.pid}}}'
        )
        dog.step(now + 0.1)
        assert dog.fired == 0 and _alive(res[0])
        dog.step(now + 0.31)
        assert dog.fired == 1
        deadline = time.monotonic() + 5
        while _alive(res[0]) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(res[0])
        assert agent.poll() is None  # the feeder (the agent) is spared
        dog.step(now + 1.0)
        assert dog.fired == 1  # once per missed deadline
        assert "FIRED" in (tmp_path / "watchdog.log").read_text()
    finally:
        agent.kill()
        agent.wait()


def test_cgroup_mode_kills_everything_but_itself_and_the_spared(tmp_path: Path) -> None:
    root = v2_mount()
    if root is None:
        if os.environ.get("CI") == "true":
            pytest.fail("cgroup v2 not writable")
        pytest.skip("cgroup v2 not writable")
    g = NodeGroup(root / f"corral-test-{uuid.uuid4().hex[:8]}")
    g.create()
    try:
        spared = subprocess.Popen(["sleep", "300"], preexec_fn=lambda: join_self(g.path))
        victim = subprocess.Popen(
            ["sh", "-c", "setsid sleep 301 & wait"], preexec_fn=lambda: join_self(g.path)
        )
        time.sleep(0.2)
        assert len(g.procs()) >= 3
        dog = Watchdog(node="n1", state_dir=tmp_path, deadline_s=0.2, cgroup=g.path,
                       spare={spared.pid})  # fmt: skip
        now = time.monotonic()
        (tmp_path / "watchdog.feed").write_text(
            f'{{"fed_at": {now - 1}, "deadline": {now - 0.5}, "pid": 999999}}'
        )
        dog.step(now)
        victim.wait(timeout=5)
        deadline = time.monotonic() + 5
        while g.procs() != [spared.pid] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert g.procs() == [spared.pid]
        spared.kill()
        spared.wait()
    finally:
        assert g.remove()


def test_the_feeds_own_deadline_rules_not_the_cli_default(tmp_path: Path) -> None:
    # `corral agent --ttl 10` feeds a 7.5 s deadline; a watchdog started with the
    # default --deadline 1.5 must not fire 1.5 s after the feed
    dog = Watchdog(node="n1", state_dir=tmp_path, deadline_s=1.5)
    now = time.monotonic()
    (tmp_path / "watchdog.feed").write_text(
        f'{{"fed_at": {now}, "deadline": {now + 7.5}, "pid": {os.getpid()}}}'
    )
    state = read_feed(tmp_path)
    assert not dog.due(state, now + 2.0)
    assert not dog.due(state, now + 7.4)
    assert dog.due(state, now + 7.5)
    # a feed without a deadline of its own falls back on --deadline
    (tmp_path / "watchdog.feed").write_text(f'{{"fed_at": {now}, "pid": {os.getpid()}}}')
    state = read_feed(tmp_path, dog.deadline_s)
    assert state is not None and state.deadline == pytest.approx(now + 1.5)


def test_feed_deadline_counts_from_the_send_time(tmp_path: Path) -> None:
    sent = time.monotonic() - 0.4  # the refresh was sent 0.4 s ago and just returned
    feed(tmp_path, 1.5, sent_at=sent)
    st = read_feed(tmp_path)
    assert st is not None and st.deadline == pytest.approx(sent + 1.5)
    assert st.deadline < st.fed_at + 1.5
