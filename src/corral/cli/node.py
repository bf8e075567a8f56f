"""``corral node standby | unstandby | maintenance | unmaintenance NODE``: the node
attributes a person sets (a thin face over ``corral.commands.nodes``)."""

from __future__ import annotations

from typing import Annotated

import typer

from corral.cli.app import app
from corral.cli.faces import call
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt
from corral.commands import nodes

node_app = typer.Typer(
    name="node",
    help="Put nodes in standby or maintenance.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(node_app)

NodeArg = Annotated[str, typer.Argument(metavar="NODE", help="The node's name")]


@node_app.command("standby")
def standby(
    node: NodeArg, store: StoreOpt = None, directory: DirOpt = None, cluster: ClusterOpt = None
) -> None:
    """Move every resource off NODE and keep them off (standby=on)."""
    call(store, directory, cluster, nodes.standby, node)


@node_app.command("unstandby")
def unstandby(
    node: NodeArg, store: StoreOpt = None, directory: DirOpt = None, cluster: ClusterOpt = None
) -> None:
    """Let NODE run resources again."""
    call(store, directory, cluster, nodes.unstandby, node)


@node_app.command("maintenance")
def maintenance(
    node: NodeArg, store: StoreOpt = None, directory: DirOpt = None, cluster: ClusterOpt = None
) -> None:
    """Stop managing NODE's resources, leaving them as they are (maintenance=on)."""
    call(store, directory, cluster, nodes.maintenance, node)


@node_app.command("unmaintenance")
def unmaintenance(
    node: NodeArg, store: StoreOpt = None, directory: DirOpt = None, cluster: ClusterOpt = None
) -> None:
    """Manage NODE's resources again."""
    call(store, directory, cluster, nodes.unmaintenance, node)
