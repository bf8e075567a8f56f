"""``corral up``: start a local cluster (see ``corral.local.launcher``)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import typer
from rich.console import Console

from corral.cli import examples
from corral.cli.app import app
from corral.cli.target import ENV_CLUSTER
from corral.local import launcher
from corral.local.clusterfile import DEFAULT_DIR, ENV_DIR
from corral.model.cluster import DEFAULT_CLUSTER


def default_dir() -> Path:
    return Path(os.environ.get(ENV_DIR) or DEFAULT_DIR)


@app.command()
def up(
    nodes: int = typer.Option(3, "--nodes", "-n", help="How many nodes"),
    store: str | None = typer.Option(
        None, "--store", help="Store URL (default: an embedded sqlite file in DIR)"
    ),
    directory: Path | None = typer.Option(
        None, "--dir", help=f"Where the cluster lives (default: ${ENV_DIR} or {DEFAULT_DIR})"
    ),
    cluster: str = typer.Option(
        DEFAULT_CLUSTER, "--cluster", envvar=ENV_CLUSTER, help="The cluster's name in the store"
    ),
    lease_ttl: float = typer.Option(
        launcher.DEFAULT_LEASE_TTL, "--lease-ttl", help="Node lease TTL in seconds"
    ),
    no_cgroups: bool = typer.Option(
        False, "--no-cgroups", help="Use process groups even where cgroup v2 is available"
    ),
    example: str | None = typer.Option(
        None, "--example", help="Then put an example service set in it: webfarm"
    ),
    example_port: int = typer.Option(
        examples.DEFAULT_PORT, "--example-port", help="The port the example's web servers use"
    ),
) -> None:
    """Start a cluster on this machine: per node an agent, its watchdog and a controller."""
    out = Console(highlight=False)
    d = (directory or default_dir()).resolve()
    todo = examples.commands(example, d, example_port) if example else []
    c = launcher.up(
        d,
        nodes=nodes,
        store_url=store,
        cluster=cluster,
        lease_ttl=lease_ttl,
        use_cgroups=not no_cgroups,
        progress=lambda line: out.print(f"[dim]…[/dim] {line}"),
    )
    out.print(f"\n[bold green]cluster {c.cluster!r} is up[/bold green] in {c.dir}")
    out.print(f"  store:  {c.store}")
    if c.isolation == "pgroup":
        out.print(
            "  [yellow]no cgroup v2: nodes are process groups (a node cannot be killed "
            "at once)[/yellow]"
        )
    for n in c.nodes:
        out.print(
            f"  {n.name}: agent {n.agent_pid}, watchdog {n.watchdog_pid}, controller "
            f"{n.controller_pid}" + (f"; cgroup {n.cgroup}" if n.cgroup else "")
        )
        out.print(f"      logs: {n.state_dir}/{{agent,watchdog,controller}}.log")
    if example:
        out.print(f"\n[bold]example {example!r}[/bold]:")
        for words in todo:
            out.print("  corral " + shlex.join(words), markup=False, emoji=False, soft_wrap=True)
            app(args=[*words[:2], "--dir", str(c.dir), *words[2:]], standalone_mode=False)
        if example == "webfarm":
            urls = ", ".join(f"http://{n.addr}:{example_port}/" for n in c.nodes)
            out.print(f"  the web servers answer on two of: {urls}")
    out.print(f"\n  see it:  corral status --dir {c.dir} --watch")
    out.print(f"  stop it: corral down --dir {c.dir}")
