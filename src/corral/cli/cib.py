"""``corral cib import FILE.xml`` and ``corral cib export``: a Pacemaker CIB's
configuration into the store (replacing it, in one transaction, after validation),
and the stored configuration out as CIB XML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from corral.cli.app import app
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt, run
from corral.commands import cib
from corral.model.config import iter_resources
from corral.model.errors import CorralError

cib_app = typer.Typer(
    name="cib", help="Pacemaker CIB XML in and out.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(cib_app)


@cib_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(metavar="FILE.xml", help="A Pacemaker CIB ('-': stdin)")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Replace the cluster's configuration with a CIB's (all of it, at once, after
    validation; the CIB's status section is ignored)."""
    try:
        xml = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as e:
        raise CorralError(f"cannot read {path}: {e.strerror or e}", code="bad-file") from None
    done = run(store, directory, cluster, lambda s, c: cib.import_cib(s, xml, cluster=c))
    c = done.value
    typer.echo(
        f"imported {len(c.nodes)} nodes, {len(iter_resources(c.resources))} resources, "
        f"{len(c.locations) + len(c.colocations) + len(c.orders) + len(c.tickets)} constraints"
    )


@cib_app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Print the cluster's configuration as a Pacemaker CIB (empty status)."""
    xml = run(store, directory, cluster, lambda s, c: cib.export_cib(s, cluster=c))
    if output is None:
        sys.stdout.write(xml if xml.endswith("\n") else xml + "\n")
    else:
        output.write_text(xml)
