"""``corral up`` / ``corral down``: a whole cluster on one machine.

Per node, one cgroup v2 group of its own (``<v2>/corral-<cluster>-<tag>-<node>``)
holding three daemons started as separate processes (``corral controller``,
``corral watchdog``, ``corral agent``, in that order: the watchdog exists before
the agent can start anything), each with its log in ``DIR/<node>/<daemon>.log``.
A test can kill a whole node at once (``cgroup.kill``) or hang it
(``cgroup.freeze``). Without a writable cgroup v2 hierarchy each daemon gets a
process group of its own instead, and the watchdog tracks the agent's children.

Nothing here prints: progress goes to the ``progress`` callback the CLI gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from corral.agent.watchdog import ENV_STATE_DIR
from corral.local import clusterfile
from corral.local.cgroups import NodeGroup, join_self, v2_mount
from corral.local.clusterfile import LocalCluster, LocalNode
from corral.model.cluster import DEFAULT_CLUSTER
from corral.model.errors import CorralError
from corral.store import open_store
from corral.store.errors import StoreError

Progress = Callable[[str], None]

DEFAULT_LEASE_TTL = 2.0
WATCHDOG_FRACTION = 0.75  # watchdog deadline = this share of the lease TTL
ENV_NODE_ADDR = "CORRAL_NODE_ADDR"  # read by the process executor (executors/process.py)


def _quiet(_: str) -> None:
    return None


def pid_alive(pid: int | None) -> bool:
    """A live process (not a zombie) with this PID."""
    if not pid:
        return False
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = raw[raw.rfind(")") + 2 :].split()[0]
    return state not in ("Z", "X")


def cgroup_name(cluster: str, directory: Path, node: str) -> str:
    tag = hashlib.sha1(str(directory).encode()).hexdigest()[:6]
    return f"corral-{cluster}-{tag}-{node}"


def node_addr(name: str) -> str:
    """A local node's own loopback address, ``127.0.1.<k>`` for node ``n<k>``: given to
    what it runs as ``CORRAL_NODE_ADDR``, so that the instances of a clone on nodes of
    one host can each bind the same port without colliding."""
    k = int(name[1:]) if name[1:].isdigit() else 0
    return f"127.0.1.{k}" if 0 < k < 255 else "127.0.0.1"


def _corral_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "corral.cli.main", *args]


def _spawn(
    argv: list[str], log_path: Path, cgroup: Path | None, env: dict[str, str], cwd: Path
) -> int:
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
            cwd=cwd,
            preexec_fn=(lambda: join_self(cgroup)) if cgroup is not None else None,
        )
    return proc.pid


def running_pids(c: LocalCluster) -> list[int]:
    return [pid for n in c.nodes for pid in n.pids().values() if pid_alive(pid)]


def up(
    directory: str | os.PathLike[str],
    *,
    nodes: int = 3,
    store_url: str | None = None,
    cluster: str = DEFAULT_CLUSTER,
    lease_ttl: float = DEFAULT_LEASE_TTL,
    use_cgroups: bool = True,
    wait_s: float = 20.0,
    progress: Progress = _quiet,
) -> LocalCluster:
    """Start a local cluster in ``directory``; returns what it started (also saved in
    ``directory/cluster.json``). Raises CorralError if one already runs there."""
    if nodes < 1:
        raise CorralError("--nodes must be at least 1", code="invalid-argument")
    d = Path(directory).resolve()
    d.mkdir(parents=True, exist_ok=True)
    if clusterfile.path_of(d).exists():
        old = clusterfile.load(d)
        alive = running_pids(old)
        if alive:
            raise CorralError(
                f"a local cluster is already running in {d} (pids {', '.join(map(str, alive))});"
                f" stop it with `corral down --dir {d}`",
                code="cluster-running",
            )
        _remove_groups(old)
    url = store_url or f"sqlite:///{d / 'store.db'}"
    progress(f"store: {url}")
    asyncio.run(_check_store(url))

    root = v2_mount() if use_cgroups else None
    if use_cgroups and root is None:
        progress("cgroup v2 is not available here: falling back to process groups")
    c = LocalCluster(
        cluster=cluster,
        store=url,
        dir=str(d),
        isolation="cgroup" if root else "pgroup",
        cgroup_root=str(root) if root else None,
        lease_ttl=lease_ttl,
        started=time.time(),
    )
    try:
        for i in range(1, nodes + 1):
            c.nodes.append(_start_node(c, f"n{i}", root, progress))
            clusterfile.save(c)
        progress(f"waiting for {nodes} node(s) to join and a controller to lead ...")
        asyncio.run(_wait_ready(c, wait_s, progress))
    except BaseException:
        clusterfile.save(c)
        down(d)
        raise
    clusterfile.save(c)
    return c


def _start_node(c: LocalCluster, name: str, root: Path | None, progress: Progress) -> LocalNode:
    d = Path(c.dir)
    state = d / name
    state.mkdir(exist_ok=True)
    wd_state = state / "watchdog"
    wd_state.mkdir(exist_ok=True)
    group: Path | None = None
    if root is not None:
        g = NodeGroup(root / cgroup_name(c.cluster, d, name))
        if g.exists():
            g.remove()
        g.create()
        group = g.path
    n = LocalNode(
        name=name, state_dir=str(state), cgroup=str(group) if group else None, addr=node_addr(name)
    )
    n.logs = {r: str(state / f"{r}.log") for r in ("controller", "watchdog", "agent")}
    env = dict(os.environ)
    env.pop(ENV_STATE_DIR, None)
    env["PYTHONUNBUFFERED"] = "1"
    n.controller_pid = _spawn(
        _corral_argv("controller", "--store", c.store, "--cluster", c.cluster, "--name", name),
        Path(n.logs["controller"]),
        group,
        env,
        d,
    )
    deadline = round(c.lease_ttl * WATCHDOG_FRACTION, 3)
    wd_argv = [
        "watchdog",
        "--node",
        name,
        "--state-dir",
        str(wd_state),
        "--deadline",
        str(deadline),
        "--spare-pid",
        str(n.controller_pid),
    ]
    if group is not None:
        wd_argv += ["--cgroup", str(group)]
    n.watchdog_pid = _spawn(_corral_argv(*wd_argv), Path(n.logs["watchdog"]), group, env, d)
    agent_env = {**env, ENV_STATE_DIR: str(wd_state), ENV_NODE_ADDR: n.addr}
    n.agent_pid = _spawn(
        _corral_argv(
            "agent",
            "--node",
            name,
            "--store",
            c.store,
            "--cluster",
            c.cluster,
            "--lease-ttl",
            str(c.lease_ttl),
            "--state-dir",
            str(state / "agent"),
        ),
        Path(n.logs["agent"]),
        group,
        agent_env,
        d,
    )
    where = f"cgroup {group}" if group else "own process groups"
    progress(
        f"node {name}: agent pid {n.agent_pid}, watchdog pid {n.watchdog_pid}, "
        f"controller pid {n.controller_pid} ({where})"
    )
    return n


async def _check_store(url: str) -> None:
    try:
        store = await open_store(url)
    except StoreError as e:
        raise CorralError(f"cannot open the store {url}: {e.message}", code=e.code) from e
    try:
        await store.revision()
    finally:
        await store.close()


async def _wait_ready(c: LocalCluster, wait_s: float, progress: Progress) -> None:
    prefix = f"/corral/{c.cluster}/"
    store = await open_store(c.store)
    try:
        deadline = time.monotonic() + wait_s
        joined: set[str] = set()
        leader = False
        while True:
            snap = await store.range(prefix + "members/")
            now_joined = {kv.key.rsplit("/", 1)[-1] for kv in snap}
            for name in sorted(now_joined - joined):
                progress(f"node {name} joined")
            joined = now_joined
            if not leader and await store.get(prefix + "leader") is not None:
                leader = True
                progress("a controller leads")
            if leader and all(n.name in joined for n in c.nodes):
                return
            for n in c.nodes:
                for role, pid in n.pids().items():
                    if not pid_alive(pid):
                        raise CorralError(
                            f"the {role} of node {n.name} (pid {pid}) exited while starting; "
                            f"see {n.logs[role]}",
                            code="start-failed",
                        )
            if time.monotonic() > deadline:
                missing = [n.name for n in c.nodes if n.name not in joined]
                what = f"nodes {', '.join(missing)} did not join" if missing else "no leader"
                raise CorralError(
                    f"local cluster not ready after {wait_s:.0f} s: {what}; see the logs in "
                    f"{c.dir}/<node>/",
                    code="start-failed",
                )
            await asyncio.sleep(0.1)
    finally:
        await store.close()


def down(directory: str | os.PathLike[str], *, progress: Progress = _quiet) -> LocalCluster:
    """Stop a local cluster by the PIDs it recorded, kill and remove its cgroups."""
    d = Path(directory).resolve()
    c = clusterfile.load(d)
    for n in c.nodes:
        # agent first (it stops starting things), then the rest
        for role in ("agent", "controller", "watchdog"):
            pid = getattr(n, f"{role}_pid")
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3.0
    while running_pids(c) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in running_pids(c):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _remove_groups(c, progress)
    for n in c.nodes:
        progress(f"node {n.name}: stopped")
    with contextlib.suppress(FileNotFoundError):
        clusterfile.path_of(d).unlink()
    return c


def _remove_groups(c: LocalCluster, progress: Progress = _quiet) -> None:
    for n in c.nodes:
        if n.cgroup:
            if not NodeGroup(Path(n.cgroup)).remove():
                progress(f"node {n.name}: could not remove cgroup {n.cgroup}")
        else:
            for pid in n.pids().values():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
