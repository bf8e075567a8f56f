"""Fencing commands (``corral stonith ...``), written once for the CLI and the API.

Devices and levels are configuration (``config/fence-devices/<id>``,
``config/fencing-levels/<id>``): each change is validated — against the agent's
metadata when the caller has it (the CLI fetches it through
``corral.executors.fence_meta``; commands run no program) — and written in one
transaction that compares the revision read (``change.apply_change``).

A manual fencing is a request the controller carries out
(``fencing/requests/<node>``: it runs the node's plan through an agent and
records every attempt in ``status/fencing/<node>/<seq>``, the fence history
read by ``history``). Nothing returned here holds a secret: device parameters
come back redacted.
"""

from __future__ import annotations

import getpass
import socket
import time
from dataclasses import dataclass
from typing import Any

from corral.commands.change import Changed, all_ids, apply_change
from corral.commands.config_store import DEFAULT_CLUSTER, cluster_prefix, load_config
from corral.commands.fencing_args import (
    FenceRequest,
    check_create,
    check_level_add,
    parse_create,
    parse_level_add,
)
from corral.model.config import Config, FenceDevice, FencingLevel
from corral.model.errors import CorralError, NotFound, Problems
from corral.model.fence_agent import AgentMetadata, redact
from corral.model.fencing_plan import all_devices, check_topology, device_to_attrs
from corral.store.base import Put, Store


def _requests_key(cluster: str, node: str) -> str:
    return f"{cluster_prefix(cluster)}fencing/requests/{node}"


def _history_prefix(cluster: str) -> str:
    return f"{cluster_prefix(cluster)}status/fencing/"


# ---------------------------------------------------------------- devices


async def create(
    store: Store,
    words: list[str],
    *,
    metadata: AgentMetadata | None,
    cluster: str = DEFAULT_CLUSTER,
) -> Changed[FenceDevice]:
    """``NAME AGENT key=value ... [op monitor interval=..] [meta ...]``: add a device.
    ``metadata`` is the agent's (None: the agent could not be asked; parameters are
    then not checked against it)."""
    dev = parse_create(words)

    def edit(config: Config, p: Problems) -> FenceDevice:
        if dev.id in all_ids(config):
            p.add("an element with this id already exists", element=dev.id, code="duplicate-id")
            return dev
        try:
            check_create(dev, config, metadata)
        except CorralError as e:
            p.items.extend(getattr(e, "problems", []))
        config.fence_devices.append(dev)
        return dev

    return await apply_change(store, cluster, edit, change=f"stonith create {dev.id}")


async def delete(store: Store, name: str, *, cluster: str = DEFAULT_CLUSTER) -> Changed[list[str]]:
    """Remove a device, and it from every level naming it (a level left with no device
    goes too, as pcs does). Returns the ids of the levels removed."""

    def edit(config: Config, p: Problems) -> list[str]:
        if not any(d.id == name for d in config.fence_devices):
            p.add("there is no such fence device", element=name, code="not-found")
            return []
        config.fence_devices = [d for d in config.fence_devices if d.id != name]
        for lv in config.fencing_levels:
            lv.devices = [d for d in lv.devices if d != name]
        gone = [lv.id for lv in config.fencing_levels if not lv.devices]
        config.fencing_levels = [lv for lv in config.fencing_levels if lv.devices]
        return gone

    return await apply_change(store, cluster, edit, change=f"stonith delete {name}")


def device_view(dev: FenceDevice, metadata: AgentMetadata | None = None) -> dict[str, Any]:
    """A device as people see it: secrets as ``****``."""
    attrs = device_to_attrs(dev)
    return {
        "id": dev.id,
        "agent": dev.agent,
        "nodes": list(dev.host_list) + [n for n in dev.host_map if n not in dev.host_list],
        "host_check": dev.host_check,
        "params": redact(attrs, metadata),
        "monitor_interval_ms": dev.monitor_interval_ms,
    }


async def list_devices(store: Store, *, cluster: str = DEFAULT_CLUSTER) -> list[dict[str, Any]]:
    config, _ = await load_config(store, cluster)
    return [device_view(d) for d in all_devices(config)]


# ---------------------------------------------------------------- levels


async def level_add(
    store: Store, words: list[str], *, cluster: str = DEFAULT_CLUSTER
) -> Changed[FencingLevel]:
    """``LEVEL NODE DEVICE[,DEVICE]``: add a topology level."""
    level = parse_level_add(words)

    def edit(config: Config, p: Problems) -> FencingLevel:
        try:
            check_level_add(level, config)
        except CorralError as e:
            p.items.extend(getattr(e, "problems", []))
        config.fencing_levels.append(level)
        return level

    return await apply_change(store, cluster, edit, change=f"stonith level add {level.id}")


async def level_delete(
    store: Store, index: int, target: str | None, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[list[str]]:
    """Remove level ``index`` (of ``target``, else of every node)."""

    def edit(config: Config, p: Problems) -> list[str]:
        hit = [
            lv
            for lv in config.fencing_levels
            if lv.index == index and (target is None or target in level_target(lv))
        ]
        if not hit:
            p.add(f"there is no fencing level {index}", element=target, code="not-found")
        ids = {lv.id for lv in hit}
        config.fencing_levels = [lv for lv in config.fencing_levels if lv.id not in ids]
        return sorted(ids)

    return await apply_change(store, cluster, edit, change=f"stonith level delete {index}")


def level_target(lv: FencingLevel) -> str:
    if lv.target is not None:
        return lv.target
    if lv.target_pattern is not None:
        return f"regexp%{lv.target_pattern}"
    return f"attrib%{lv.target_attribute}={lv.target_value}"


async def level_list(store: Store, *, cluster: str = DEFAULT_CLUSTER) -> list[dict[str, Any]]:
    config, _ = await load_config(store, cluster)
    problems = {p.element for p in check_topology(config).items}
    return [
        {
            "id": lv.id,
            "target": level_target(lv),
            "index": lv.index,
            "devices": list(lv.devices),
            "ok": lv.id not in problems,
        }
        for lv in sorted(config.fencing_levels, key=lambda lv: (level_target(lv), lv.index))
    ]


# ---------------------------------------------------------------- fencing now, and after


def requester() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"{user}@{socket.gethostname()} (corral stonith fence)"


@dataclass(frozen=True, slots=True)
class FenceAsked:
    node: str
    action: str
    revision: int


async def request_fence(
    store: Store,
    req: FenceRequest,
    *,
    requested_by: str | None = None,
    cluster: str = DEFAULT_CLUSTER,
) -> FenceAsked:
    """Ask the controller to fence ``req.node`` now. The node must be known (configured,
    a member, or in the status) and some device must be able to fence it."""
    root = cluster_prefix(cluster)
    config, _ = await load_config(store, cluster)
    known = any(req.node in (n.uname, n.id) for n in config.nodes)
    for key in (f"{root}members/{req.node}", f"{root}status/nodes/{req.node}"):
        known = known or await store.get(key) is not None
    if not known:
        raise NotFound(f"there is no node {req.node!r}", code="unknown-node")
    doc = {
        "node": req.node,
        "action": req.action,
        "requested_by": requested_by or requester(),
        "at": time.time(),
    }
    res = await store.txn([], [Put.json(_requests_key(cluster, req.node), doc)])
    return FenceAsked(req.node, req.action, res.revision)


async def history(
    store: Store, node: str | None = None, *, cluster: str = DEFAULT_CLUSTER
) -> list[dict[str, Any]]:
    """The fence history (of ``node``, else of every node), newest first."""
    prefix = _history_prefix(cluster) + (f"{node}/" if node else "")
    snap = await store.range(prefix)
    out: list[tuple[float, str, dict[str, Any]]] = []
    for kv in snap:
        try:
            doc = kv.json()
        except ValueError:
            continue
        if isinstance(doc, dict):
            out.append((float(doc.get("when") or 0), kv.key, doc))
    out.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return [d for _, _, d in out]


# ---------------------------------------------------------------- agents


def describe(metadata: AgentMetadata) -> dict[str, Any]:
    """An agent's parameters (required first) and actions, as ``stonith describe`` shows."""
    required = set(metadata.required())
    params = sorted(
        metadata.params.values(), key=lambda p: (p.name not in required, p.deprecated, p.name)
    )
    return {
        "agent": metadata.name,
        "shortdesc": metadata.shortdesc,
        "longdesc": metadata.longdesc,
        "actions": sorted(metadata.actions),
        "parameters": [
            {
                "name": p.name,
                "required": p.name in required,
                "type": p.type,
                "default": p.default,
                "secret": p.secret,
                "deprecated": p.deprecated,
                "obsoletes": p.obsoletes,
                "shortdesc": p.shortdesc,
            }
            for p in params
            if p.name not in ("action", "plug", "port", "nodename")
        ],
    }


__all__ = [
    "FenceAsked",
    "create",
    "delete",
    "describe",
    "device_view",
    "history",
    "level_add",
    "level_delete",
    "level_list",
    "list_devices",
    "request_fence",
    "requester",
]
