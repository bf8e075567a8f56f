"""``corral controller``: one controller candidate (see ``corral.controller.daemon``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket

import typer

from corral.cli.app import app
from corral.controller.daemon import Controller, Settings
from corral.controller.nodeloss import DEFAULT_MARGIN_S
from corral.model.cluster import DEFAULT_CLUSTER
from corral.store import open_store


async def _run(store_url: str, cluster: str, name: str, settings: Settings) -> None:
    store = await open_store(store_url)
    ctl = Controller(store, cluster, name=name, settings=settings)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    assert task is not None
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await ctl.run()
    except asyncio.CancelledError:
        pass
    finally:
        with contextlib.suppress(Exception):
            await store.close()


@app.command()
def controller(
    store: str = typer.Option(..., "--store", help="Store URL"),
    cluster: str = typer.Option(DEFAULT_CLUSTER, "--cluster", help="Cluster name in the store"),
    name: str = typer.Option(
        socket.gethostname(), "--name", help="This candidate's name (shown as the leader)"
    ),
    margin: float = typer.Option(
        DEFAULT_MARGIN_S,
        "--margin",
        help="Seconds after a lost node's lease expiry before its resources are recovered",
    ),
    leader_ttl: float = typer.Option(2.0, "--leader-ttl", help="Leader lease TTL (s)"),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run a controller candidate: when it leads, it plans and runs transitions."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    settings = Settings(margin_s=margin, leader_ttl=leader_ttl)
    asyncio.run(_run(store, cluster, name, settings))
