"""``corral status``: the cluster as crm_mon shows it, but readable."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from corral.cli.app import app
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt, resolve_target
from corral.controller.keys import Keys
from corral.controller.report import report
from corral.controller.snapshot import read_view
from corral.local import clusterfile
from corral.model.errors import CorralError
from corral.store import open_store

NODE_STYLE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "online": "green",
        "standby": "yellow",
        "maintenance": "yellow",
        "unclean": "bold red",
        "offline": "dim",
    }
)
RSC_STYLE: Final[Mapping[str, str]] = MappingProxyType(
    {"Started": "green", "Promoted": "bold green", "Unpromoted": "green", "Failed": "red"}
)


def _local_nodes(directory: Path | None) -> dict[str, Any]:
    """The local cluster's per-node facts (cgroup, pids), if the target is one."""
    import os

    d = directory or (Path(os.environ["CORRAL_DIR"]) if os.environ.get("CORRAL_DIR") else None)
    if d is None and (Path.cwd() / clusterfile.DEFAULT_DIR / clusterfile.FILE_NAME).exists():
        d = Path.cwd() / clusterfile.DEFAULT_DIR
    if d is None:
        return {}
    try:
        c = clusterfile.load(d)
    except CorralError:
        return {}
    return {n.name: n for n in c.nodes}


async def gather(store_url: str, cluster: str, local: dict[str, Any]) -> dict[str, Any]:
    store = await open_store(store_url)
    try:
        view = await read_view(store, Keys(cluster))
    finally:
        await store.close()
    doc = report(view, time.time(), view.state)
    doc["cluster"] = cluster
    doc["store"] = store_url
    for n in doc["nodes"]:
        ln = local.get(n["name"])
        n["cgroup"] = ln.cgroup if ln else None
        if ln and not n.get("agent_pid"):
            n["agent_pid"] = ln.agent_pid
    return doc


def render(doc: dict[str, Any]) -> Group:
    parts: list[Any] = []
    ctl = doc.get("controller") or {}
    head = Text()
    head.append(f"cluster {doc['cluster']}", style="bold")
    head.append(f"  store {doc['store']}  leader ")
    head.append(doc.get("leader") or "NONE", style="bold" if doc.get("leader") else "bold red")
    parts.append(head)
    phase = ctl.get("phase")
    if phase:
        line = f"controller: {phase}"
        if ctl.get("transition") and phase == "running":
            counts = ", ".join(f"{v} {k}" for k, v in sorted((ctl.get("counts") or {}).items()))
            line += f" transition {ctl['transition']} ({counts})"
        if ctl.get("in_flight"):
            line += "; in flight: " + ", ".join(ctl["in_flight"])
        if ctl.get("detail"):
            line += f"; {ctl['detail']}"
        parts.append(Text(line))
        for h in ctl.get("held") or []:
            parts.append(Text(f"  held: {h}", style="yellow"))
    for f in doc.get("fencing") or []:
        style = "bold red" if f.get("state") == "failing" else "yellow"
        parts.append(Text(f"fencing {f['node']} ({f['method']}): {f['reason']}", style=style))
    nodes = Table(title="Nodes", title_justify="left", show_edge=False)
    for col in ("node", "state", "agent pid", "why"):
        nodes.add_column(col)
    for n in doc["nodes"]:
        st = n["state"]
        nodes.add_row(
            n["name"],
            Text(st, style=NODE_STYLE.get(st, "")),
            str(n.get("agent_pid") or "-"),
            n.get("reason") or "",
        )
    parts.append(nodes)
    rs = Table(title="Resources", title_justify="left", show_edge=False)
    for col in ("resource", "state", "node", "in"):
        rs.add_column(col)
    for r in doc["resources"]:
        rs.add_row(
            r["id"],
            Text(r["state"], style=RSC_STYLE.get(r["state"], "dim")),
            r["node"] or "-",
            f"{r['kind']} {r['parent']}" if r.get("parent") else "",
        )
    parts.append(rs)
    if doc["failed_actions"]:
        fa = Table(title="Failed actions", title_justify="left", show_edge=False)
        for col in ("resource", "op", "node", "rc", "reason", "fail count"):
            fa.add_column(col)
        for f in doc["failed_actions"]:
            fa.add_row(
                f["rsc"], f["op"], f["node"], str(f["rc"]), f["reason"], str(f["fail_count"])
            )
        parts.append(fa)
    return Group(*parts)


@app.command()
def status(
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
    fmt: str = typer.Option("text", "--format", help="text | json"),
    watch: bool = typer.Option(False, "--watch", "-w", help="Refresh until interrupted"),
    interval: float = typer.Option(0.5, "--interval", help="Refresh period with --watch (s)"),
) -> None:
    """Show nodes, resources, failed actions, the leader and what it is doing."""
    if fmt not in ("text", "json"):
        raise CorralError(f"--format must be text or json, not {fmt!r}", code="invalid-argument")
    target = resolve_target(store, directory, cluster)
    local = _local_nodes(directory) if not store else {}
    console = Console(highlight=False)

    def once() -> dict[str, Any]:
        return asyncio.run(gather(target.store, target.cluster, local))

    if fmt == "json":
        while True:
            print(json.dumps(once(), default=str), flush=True)
            if not watch:
                return
            time.sleep(interval)
    if not watch:
        console.print(render(once()))
        return
    with Live(render(once()), console=console, auto_refresh=False) as live:
        while True:
            time.sleep(interval)
            live.update(render(once()), refresh=True)
