"""``corral agent``: run the node agent (see docs/agent.md)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import typer

from corral.agent.daemon import DEFAULT_TTL, Agent, AgentOptions
from corral.cli.app import app
from corral.executors.agents import DEFAULT_OCF_ROOT
from corral.model.cluster import DEFAULT_CLUSTER
from corral.store import open_store


def default_state_dir(cluster: str, node: str) -> str:
    """``$CORRAL_STATE_DIR``; next to the node's watchdog when a launcher gave one
    (``$CORRAL_WATCHDOG_DIR/../agent``); else ``/var/lib/corral/<cluster>/<node>``."""
    if os.environ.get("CORRAL_STATE_DIR"):
        return os.environ["CORRAL_STATE_DIR"]
    wd = os.environ.get("CORRAL_WATCHDOG_DIR")
    if wd:
        return str(Path(wd).resolve().parent / "agent")
    return f"/var/lib/corral/{cluster}/{node}"


async def run_agent(opts: AgentOptions, store_url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    store = await open_store(store_url)
    try:
        await Agent(opts, store).run(stop)
    finally:
        await store.close()


@app.command()
def agent(
    node: str = typer.Option(..., "--node", help="This node's name"),
    store: str = typer.Option(..., "--store", help="Store URL: memory://, sqlite:///path, etcd://"),
    cluster: str = typer.Option(DEFAULT_CLUSTER, "--cluster", help="Cluster name (key prefix)"),
    state_dir: str | None = typer.Option(
        None, "--state-dir", help="Node state directory [default: /var/lib/corral/CLUSTER/NODE]"
    ),
    ttl: float = typer.Option(
        DEFAULT_TTL, "--ttl", "--lease-ttl", help="Lease TTL in seconds (dead node noticed after)"
    ),
    ocf_root: str = typer.Option(DEFAULT_OCF_ROOT, "--ocf-root", help="OCF root directory"),
    netns: str | None = typer.Option(
        None, "--netns", help="Run OCF agents inside this network namespace (test nodes)"
    ),
    probe: bool = typer.Option(True, "--probe/--no-probe", help="Probe resources at start-up"),
    stop_on_exit: bool = typer.Option(
        True, "--stop-on-exit/--leave-running", help="On SIGTERM, stop this node's resources"
    ),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error"),
) -> None:
    """Run the node agent: lease, actions, monitors, self-fencing."""
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    opts = AgentOptions(
        node=node,
        state_dir=state_dir or default_state_dir(cluster, node),
        cluster=cluster,
        ttl=ttl,
        ocf_root=ocf_root,
        netns=netns,
        probe=probe,
        stop_on_exit=stop_on_exit,
    )
    asyncio.run(run_agent(opts, store))
