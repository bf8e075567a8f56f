"""``corral agents list`` and ``corral agents describe ocf:heartbeat:IPaddr2``: the OCF
resource agents installed on this host and their parameters (from their meta-data)."""

from __future__ import annotations

import asyncio
import json

import typer

from corral.cli.app import app
from corral.executors.agents import DEFAULT_OCF_ROOT, fetch_metadata, list_agents, split_agent

agents_app = typer.Typer(
    help="OCF resource agents on this host.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(agents_app, name="agents")


@agents_app.command("list")
def list_cmd(
    ocf_root: str = typer.Option(DEFAULT_OCF_ROOT, "--ocf-root", help="OCF root directory"),
    provider: str | None = typer.Option(None, "--provider", help="Only this provider"),
) -> None:
    """List the agents as ocf:<provider>:<type>, plus the process class."""
    for name in list_agents(ocf_root):
        if provider is None or name.split(":")[1] == provider:
            typer.echo(name)
    if provider is None:
        typer.echo("process (a command line; see docs/agent.md)")


@agents_app.command("describe")
def describe_cmd(
    agent: str = typer.Argument(..., help="ocf:<provider>:<type>"),
    ocf_root: str = typer.Option(DEFAULT_OCF_ROOT, "--ocf-root", help="OCF root directory"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
) -> None:
    """Show an agent's description, parameters (required ones marked) and actions."""
    provider, type_ = split_agent(agent)
    md = asyncio.run(fetch_metadata(ocf_root, provider, type_))
    if as_json:
        typer.echo(json.dumps(md.to_dict(), indent=2))
        return
    typer.echo(f"{md.agent} ({md.name} {md.version})".rstrip())
    if md.shortdesc:
        typer.echo(md.shortdesc)
    typer.echo("")
    typer.echo("parameters:")
    for p in md.parameters:
        flags = []
        if p.required:
            flags.append("required")
        if p.unique:
            flags.append("unique")
        if p.deprecated:
            flags.append("deprecated")
        default = f" default={p.default!r}" if p.default not in (None, "") else ""
        tag = f" [{', '.join(flags)}]" if flags else ""
        typer.echo(f"  {p.name} ({p.type}){tag}{default}")
        if p.shortdesc:
            typer.echo(f"      {p.shortdesc}")
    typer.echo("")
    typer.echo("actions:")
    for a in md.actions:
        extra = " ".join(
            f"{k}={v}"
            for k, v in (
                ("timeout", a.timeout),
                ("interval", a.interval),
                ("role", a.role),
                ("depth", a.depth),
            )
            if v
        )
        typer.echo(f"  {a.name} {extra}".rstrip())
