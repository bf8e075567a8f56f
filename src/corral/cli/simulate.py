"""``corral simulate``: run the scheduler on a CIB and show what it decides."""

from __future__ import annotations

import typer

from corral.cli.app import app


@app.command()
def simulate(
    xml: str = typer.Option(..., "--xml", "-x", help="A Pacemaker CIB XML file"),
) -> None:
    """Show what the scheduler would do for a cluster described as CIB XML."""
    raise typer.Exit(1)
