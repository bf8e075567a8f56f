"""The node watchdog: kills a node's resources when its agent stops renewing.

"A node's death, safely" (DESIGN.md): what an agent started must never outlive
the node's right to run it. The watchdog is a tiny process of its own, not a
thread of the agent: the agent *feeds* it every time it renews its lease in the
store (``feed(state_dir, deadline_s, sent_at=...)``, an atomic write of an
absolute monotonic deadline to ``<state_dir>/watchdog.feed``: 0.75 x the lease
TTL after the renewal was *sent*). The watchdog trusts the feed's deadline; its
own ``deadline_s`` only serves a feed that carries none. If the deadline passes
without a new feed — the agent was SIGKILLed, is hung or stopped, or cannot reach the store and so
renews nothing — the watchdog SIGKILLs the node's resources at once, with no
graceful stop, like sbd's hardware watchdog reboot. The deadline is shorter
than the lease TTL, so by the time the lease expires (and the controller may
start the resources elsewhere) nothing of the node runs.

What it kills:

* a local cluster node (``cgroup=``): every process of the node's cgroup v2
  group except itself and the node's daemons (the agent that feeds it and the
  ``spare`` PIDs, e.g. the node's controller candidate), repeated until the
  group holds nothing else — a process cannot leave a cgroup by itself;
* otherwise: the process groups of every process seen below the feeding agent
  (scanned from /proc while armed, so they are known even after the agent died)
  plus any process group listed in ``<state_dir>/pgroups``.

The watchdog is disarmed until the first feed, fires once per missed deadline
and re-arms on the next feed. It writes what it killed to
``<state_dir>/watchdog.log``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

FEED_FILE = "watchdog.feed"
LOG_FILE = "watchdog.log"
PGROUPS_FILE = "pgroups"
ENV_STATE_DIR = "CORRAL_WATCHDOG_DIR"
"""The launcher sets this in the agent's environment: where its watchdog listens."""

DEFAULT_DEADLINE_S = 1.5


# --------------------------------------------------------------------------- feeding


@dataclass(frozen=True, slots=True)
class FeedState:
    fed_at: float  # time.monotonic() of the feed (CLOCK_MONOTONIC: one clock per host)
    deadline: float  # monotonic time after which the watchdog fires
    pid: int  # the feeder (the agent)


def feed(
    state_dir: str | os.PathLike[str], deadline_s: float, *, sent_at: float | None = None
) -> None:
    """Tell the watchdog of ``state_dir`` that this process is alive and holds its lease;
    it fires if no new feed comes by ``sent_at + deadline_s`` (monotonic; ``sent_at``
    defaults to now). Call it after every successful lease renewal with ``sent_at`` the
    time the renewal was SENT: the store restarted the lease's TTL no earlier than that,
    so a deadline shorter than the TTL from then passes before the lease expires.
    Atomic (write + rename); a few microseconds."""
    now = time.monotonic()
    start = now if sent_at is None else min(now, float(sent_at))
    d = Path(state_dir)
    tmp = d / f".{FEED_FILE}.{os.getpid()}"
    doc = {"fed_at": now, "deadline": start + float(deadline_s), "pid": os.getpid()}
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, d / FEED_FILE)


def feed_from_env(
    lease_ttl_s: float, *, fraction: float = 0.75, sent_at: float | None = None
) -> None:
    """``feed`` the watchdog named by ``$CORRAL_WATCHDOG_DIR`` (no-op when unset) with a
    deadline of ``fraction`` (< 1) of the lease TTL after ``sent_at``, the send time of
    the renewal. Never raises: a feed that fails is a missed feed, which is the
    watchdog's business."""
    state_dir = os.environ.get(ENV_STATE_DIR)
    if not state_dir:
        return
    with contextlib.suppress(OSError):
        feed(state_dir, lease_ttl_s * fraction, sent_at=sent_at)


def read_feed(
    state_dir: str | os.PathLike[str], default_deadline_s: float | None = None
) -> FeedState | None:
    """The last feed; a feed without a deadline of its own gets ``fed_at +
    default_deadline_s`` (none: unreadable)."""
    try:
        doc = json.loads((Path(state_dir) / FEED_FILE).read_text())
        fed_at = float(doc["fed_at"])
        if doc.get("deadline") is None and default_deadline_s is not None:
            deadline = fed_at + default_deadline_s
        else:
            deadline = float(doc["deadline"])
        return FeedState(fed_at, deadline, int(doc["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --------------------------------------------------------------------------- /proc


@dataclass(frozen=True, slots=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int


def proc_info(pid: int) -> ProcInfo | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses
    rest = raw[raw.rfind(")") + 2 :].split()
    try:
        return ProcInfo(pid, int(rest[1]), int(rest[2]))
    except (IndexError, ValueError):
        return None


def all_procs() -> list[ProcInfo]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_info(int(name))
            if info is not None:
                out.append(info)
    return out


def descendants(root: int, procs: Iterable[ProcInfo]) -> list[ProcInfo]:
    children: dict[int, list[ProcInfo]] = {}
    for p in procs:
        children.setdefault(p.ppid, []).append(p)
    out: list[ProcInfo] = []
    todo = [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c.pid)
    return out


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:200] or "?"


def cgroup_pids(cgroup: str | os.PathLike[str]) -> list[int]:
    try:
        text = (Path(cgroup) / "cgroup.procs").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


# --------------------------------------------------------------------------- the watchdog


@dataclass
class Watchdog:
    """One node's watchdog. ``run()`` loops until cancelled."""

    node: str
    state_dir: Path
    deadline_s: float = DEFAULT_DEADLINE_S
    cgroup: Path | None = None
    spare: set[int] = field(default_factory=set)
    tick_s: float = 0.05
    scan_every_s: float = 0.25
    fired: int = 0
    _armed_by: float | None = None  # fed_at of the feed that armed it
    _last_fired_for: float | None = None
    _tracked_pgids: set[int] = field(default_factory=set)
    _last_scan: float = 0.0

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)

    # -- decisions (pure given the feed and the clock)
    def due(self, state: FeedState | None, now: float) -> bool:
        """Has the current feed's deadline passed (and not fired for it yet)? The feed's
        own deadline rules: the agent derives it from its lease TTL. ``deadline_s`` only
        serves a feed that carries no deadline."""
        if state is None or state.fed_at == self._last_fired_for:
            return False
        return now >= state.deadline

    # -- the loop
    async def run(self) -> None:
        self.log_line(
            f"started for node {self.node} (pid {os.getpid()}, deadline from each feed, "
            f"{self.deadline_s:.2f} s for a feed without one, "
            + (f"cgroup {self.cgroup})" if self.cgroup else "process groups)")
        )
        while True:
            state = read_feed(self.state_dir, self.deadline_s)
            if self.due(state, time.monotonic()):  # killing waits between rounds: a thread
                await asyncio.to_thread(self.step, time.monotonic())
            else:
                self.step(time.monotonic())
            await asyncio.sleep(self.tick_s)

    def step(self, now: float) -> None:
        state = read_feed(self.state_dir, self.deadline_s)
        if state is not None and state.fed_at != self._armed_by:
            if self._armed_by is None or self._last_fired_for == self._armed_by:
                self.log_line(f"armed by pid {state.pid}")
            self._armed_by = state.fed_at
        if self.cgroup is None and state is not None and now - self._last_scan >= self.scan_every_s:
            self._last_scan = now
            self._track(state.pid)
        if self.due(state, now):
            assert state is not None
            late = now - state.fed_at
            self._last_fired_for = state.fed_at
            self.fire(f"no feed from pid {state.pid} for {late:.2f} s", state.pid)

    def _track(self, feeder: int) -> None:
        if proc_info(feeder) is None:
            return
        own = os.getpgid(0)
        keep = {own, *self._spared_pgids(feeder)}
        for p in descendants(feeder, all_procs()):
            if p.pgid not in keep and p.pgid > 1:
                self._tracked_pgids.add(p.pgid)

    def _spared_pgids(self, feeder: int) -> set[int]:
        out = set()
        for pid in (feeder, *self.spare):
            info = proc_info(pid)
            if info is not None:
                out.add(info.pgid)
        return out

    # -- killing
    def fire(self, why: str, feeder: int) -> list[tuple[int, str]]:
        """SIGKILL the node's resources now; returns (pid, cmdline) of what it killed."""
        self.fired += 1
        spare = {os.getpid(), feeder, *self.spare}
        if self.cgroup is not None:
            killed = kill_cgroup_except(self.cgroup, spare)
        else:
            killed = kill_pgroups(self._all_pgids() - self._spared_pgids(feeder) - {os.getpgid(0)})
        what = ", ".join(f"{pid} ({cmd})" for pid, cmd in killed) or "nothing was running"
        self.log_line(f"FIRED: {why}; killed {len(killed)}: {what}")
        return killed

    def _all_pgids(self) -> set[int]:
        pgids = set(self._tracked_pgids)
        with contextlib.suppress(OSError):
            for line in (self.state_dir / PGROUPS_FILE).read_text().split():
                with contextlib.suppress(ValueError):
                    pgids.add(int(line))
        return {p for p in pgids if p > 1}

    def log_line(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        frac = f"{time.time() % 1:.3f}"[1:]
        line = f"{stamp}{frac}Z watchdog {self.node}: {text}\n"
        with contextlib.suppress(OSError), open(self.state_dir / LOG_FILE, "a") as f:
            f.write(line)
        log.warning("%s", line.rstrip())


def kill_cgroup_except(
    cgroup: str | os.PathLike[str], spare: set[int], rounds: int = 20
) -> list[tuple[int, str]]:
    """SIGKILL every process of ``cgroup`` not in ``spare``, again until none is left
    (a process forking during the kill lands in the same group)."""
    killed: list[tuple[int, str]] = []
    seen: set[int] = set()
    for _ in range(rounds):
        victims = [p for p in cgroup_pids(cgroup) if p not in spare]
        if not victims:
            break
        for pid in victims:
            cmd = cmdline(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            if pid not in seen:
                seen.add(pid)
                killed.append((pid, cmd))
        time.sleep(0.005)
    return killed


def kill_pgroups(pgids: Iterable[int]) -> list[tuple[int, str]]:
    """SIGKILL whole process groups; returns (pid, cmdline) of the members killed."""
    wanted = set(pgids)
    members = [p for p in all_procs() if p.pgid in wanted]
    described = [(p.pid, cmdline(p.pid)) for p in members]
    for pgid in wanted:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return described
