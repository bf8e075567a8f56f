"""``corral stonith ...``: fence devices, fencing levels, fencing a node now and the
fence history (pcs's grammar). A thin face over ``corral.commands.fencing``; the
agent's metadata is fetched here (``corral.executors.fence_meta``) so that a device
is checked against the agent installed on this machine before it is written."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any

import typer

from corral.cli.app import app
from corral.cli.faces import WORDS, call
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt, run
from corral.commands import fencing
from corral.commands.fencing_args import parse_agent_name, parse_fence, parse_one_name
from corral.executors import fence_meta
from corral.model.errors import Problems
from corral.store.base import Store

stonith_app = typer.Typer(
    name="stonith",
    help="Fence devices, fencing levels, fencing a node, the fence history.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
level_app = typer.Typer(
    name="level", help="Fencing topology levels.", no_args_is_help=True, rich_markup_mode=None
)
stonith_app.add_typer(level_app)
app.add_typer(stonith_app)

FormatOpt = Annotated[str, typer.Option("--format", help="text | json")]


def _say(text: str) -> None:
    typer.echo(text)


def _json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def _when(t: Any) -> str:
    try:
        return datetime.datetime.fromtimestamp(float(t)).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OSError):
        return "-"


@stonith_app.command(
    "create",
    context_settings=WORDS,
    epilog="Example: corral stonith create ipmi-n1 fence_ipmilan ip=10.0.0.11 "
    "username=admin password=secret lanplus=1 pcmk_host_list=n1 op monitor interval=60s",
)
def create(
    name: Annotated[str, typer.Argument(help="The device's id")],
    agent: Annotated[str, typer.Argument(help="fence_x or stonith:fence_x")],
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="key=value ... [pcmk_host_list=...] [op monitor interval=60s] [meta k=v ...]",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Add a fence device, checked against the agent's metadata."""
    p = Problems()
    agent_name = parse_agent_name(p, agent, element=name)
    p.raise_if_any()

    async def go(s: Store, c: str) -> Any:
        metadata = await fence_meta.fetch_metadata(agent_name)
        return await fencing.create(s, [name, agent, *(words or [])], metadata=metadata, cluster=c)

    changed = run(store, directory, cluster, go)
    dev = changed.value
    nodes = ", ".join(fencing.device_view(dev)["nodes"]) or "nodes its host check finds"
    _say(f"created fence device {dev.id} ({dev.agent}) for {nodes}")


@stonith_app.command("list")
def list_(
    fmt: FormatOpt = "text",
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Fence devices and levels (secrets shown as ****)."""

    async def go(s: Store, c: str) -> dict[str, Any]:
        return {
            "devices": await fencing.list_devices(s, cluster=c),
            "levels": await fencing.level_list(s, cluster=c),
        }

    doc = run(store, directory, cluster, go)
    if fmt == "json":
        _json(doc)
        return
    if not doc["devices"]:
        _say("no fence devices")
    for d in doc["devices"]:
        params = " ".join(f"{k}={v}" for k, v in d["params"].items())
        nodes = ",".join(d["nodes"]) or "-"
        _say(f"{d['id']}  {d['agent']}  nodes: {nodes}  {params}")
    for lv in doc["levels"]:
        _say(f"level {lv['index']} {lv['target']}: {','.join(lv['devices'])}")


@stonith_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="The device's id")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Remove a fence device (and it from every fencing level)."""
    parse_one_name([name], usage="stonith delete NAME")
    changed = call(store, directory, cluster, fencing.delete, name)
    gone = f"; removed levels {', '.join(changed.value)}" if changed.value else ""
    _say(f"deleted fence device {name}{gone}")


@stonith_app.command("describe")
def describe(
    agent: Annotated[str, typer.Argument(help="fence_x or stonith:fence_x")],
    fmt: FormatOpt = "text",
) -> None:
    """An agent's parameters (required first) and actions, from its metadata."""
    import asyncio

    p = Problems()
    name = parse_agent_name(p, agent)
    p.raise_if_any()
    doc = fencing.describe(asyncio.run(fence_meta.fetch_metadata(name)))
    if fmt == "json":
        _json(doc)
        return
    _say(f"{doc['agent']}: {doc['shortdesc']}")
    _say("actions: " + ", ".join(doc["actions"]))
    for prm in doc["parameters"]:
        if prm["deprecated"]:
            continue
        flags = [f for f in ("required", "secret") if prm[f]]
        default = f" (default {prm['default']})" if prm["default"] not in (None, "") else ""
        tag = f" [{', '.join(flags)}]" if flags else ""
        _say(f"  {prm['name']}{tag}: {prm['shortdesc']}{default}")


@level_app.command("add", context_settings=WORDS)
def level_add(
    level: Annotated[str, typer.Argument(help="The level's index (1, 2, ...)")],
    node: Annotated[str, typer.Argument(help="NODE, regexp%PATTERN or attrib%NAME=VALUE")],
    devices: Annotated[list[str], typer.Argument(help="DEVICE[,DEVICE] ...")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Add a fencing level: every device of it must succeed; levels are tried in order."""
    words = [level, node, *devices]
    changed = call(store, directory, cluster, fencing.level_add, words)
    lv = changed.value
    _say(f"added fencing level {lv.index} for {fencing.level_target(lv)}: {','.join(lv.devices)}")


@level_app.command("list")
def level_list(
    fmt: FormatOpt = "text",
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """The fencing levels, per node."""
    levels = call(store, directory, cluster, fencing.level_list)
    if fmt == "json":
        _json(levels)
        return
    if not levels:
        _say("no fencing levels")
    for lv in levels:
        _say(f"{lv['target']}  level {lv['index']}: {','.join(lv['devices'])}")


@level_app.command("delete")
def level_delete(
    level: Annotated[int, typer.Argument(help="The level's index")],
    node: Annotated[str | None, typer.Argument(help="Only this node's level")] = None,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Remove a fencing level."""
    changed = call(store, directory, cluster, fencing.level_delete, level, node)
    _say(f"deleted fencing level(s) {', '.join(changed.value)}")


@stonith_app.command("fence")
def fence(
    node: Annotated[str, typer.Argument(help="The node to fence")],
    off: Annotated[bool, typer.Option("--off", help="Power it off (default: reboot)")] = False,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Fence NODE now, through its devices (the controller carries it out)."""
    req = parse_fence([node, *(["--off"] if off else [])])
    asked = call(store, directory, cluster, fencing.request_fence, req)
    _say(
        f"asked the controller to fence {asked.node} ({asked.action}); "
        f"see `corral stonith history {asked.node}`"
    )


@stonith_app.command("history")
def history(
    node: Annotated[str | None, typer.Argument(help="Only this node")] = None,
    fmt: FormatOpt = "text",
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """The fence history, newest first: every device run, who asked, the outcome."""
    if node is not None:
        parse_one_name([node], usage="stonith history [NODE]")
    entries = call(store, directory, cluster, fencing.history, node)
    if fmt == "json":
        _json(entries)
        return
    if not entries:
        _say("no fencing recorded")
    for e in entries:
        level = f" level {e['level']}" if e.get("level") else ""
        by = f" (asked by {e['requested_by']}" + (
            f", run on {e['executor']})" if e.get("executor") else ")"
        )
        took = f" in {float(e.get('duration_s') or 0):.2f} s"
        _say(
            f"{_when(e.get('when'))}  {e.get('target')}  {e.get('action')}  "
            f"{e.get('device') or '-'}{level}: {e.get('result')}{took}: "
            f"{e.get('reason') or ''}{by}"
        )
