"""``corral down``: stop a local cluster by the PIDs ``corral up`` recorded."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from corral.cli.app import app
from corral.cli.up import default_dir
from corral.local import launcher
from corral.local.clusterfile import DEFAULT_DIR, ENV_DIR


@app.command()
def down(
    directory: Path | None = typer.Option(
        None, "--dir", help=f"The cluster's directory (default: ${ENV_DIR} or {DEFAULT_DIR})"
    ),
) -> None:
    """Stop every process of a local cluster and remove its cgroups."""
    out = Console(highlight=False)
    c = launcher.down(directory or default_dir(), progress=out.print)
    out.print(f"[bold]cluster {c.cluster!r} in {c.dir} is down[/bold]")
