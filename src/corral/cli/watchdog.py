"""``corral watchdog``: the node watchdog process (see ``corral.agent.watchdog``)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer

from corral.agent.watchdog import DEFAULT_DEADLINE_S, Watchdog
from corral.cli.app import app


@app.command()
def watchdog(
    node: str = typer.Option(..., "--node", help="The node this watchdog guards"),
    state_dir: Path = typer.Option(..., "--state-dir", help="Where the agent feeds it"),
    deadline: float = typer.Option(
        DEFAULT_DEADLINE_S,
        "--deadline",
        help="Fallback only: seconds after a feed that carries no deadline of its own "
        "(the agent's feeds carry 0.75 x its lease TTL, which rules)",
    ),
    cgroup: Path | None = typer.Option(
        None, "--cgroup", help="The node's cgroup v2 group: kill every process in it"
    ),
    spare: list[int] = typer.Option(
        [], "--spare-pid", help="A daemon of the node not to kill (repeatable)"
    ),
) -> None:
    """Kill the node's resources at once when its agent stops renewing its lease."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    dog = Watchdog(
        node=node, state_dir=state_dir, deadline_s=deadline, cgroup=cgroup, spare=set(spare)
    )
    asyncio.run(dog.run())
