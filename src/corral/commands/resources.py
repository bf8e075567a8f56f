"""Resource commands: create, update, delete, enable, disable, move, ban, clear,
cleanup, restart. Each reads the configuration at one revision, validates the whole
change and writes it in one transaction (``corral.commands.change``).

``cleanup`` works on status, not configuration: it deletes the resource's operation
history (``status/ops/<node>/<rsc>``, with its fail count and last failure) on every
node or one, as ``crm_resource --cleanup`` does; with no history the scheduler probes
the resource again and goes on from what the probe finds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from corral.commands import constraint_edits, nodes, resource_edits, tree
from corral.commands.args import ResourceArgs
from corral.commands.catalog import AgentCatalog, AgentInfo
from corral.commands.change import Changed, apply_change
from corral.commands.config_store import DEFAULT_CLUSTER, cluster_prefix, read_config
from corral.commands.resource_edits import CreateSpec
from corral.model.config import Config
from corral.model.errors import CorralError, NotFound, Problems
from corral.store.base import Compare, Delete, KeyValue, Store

RUNNING_ROLES = frozenset({"Started", "Promoted", "Unpromoted", "Failed"})


async def _agent_info(catalog: AgentCatalog | None, spec: CreateSpec) -> AgentInfo | None:
    if catalog is None or spec.agent.cls == "process":
        return None
    try:
        return await catalog.lookup(spec.agent)
    except CorralError:
        return None  # reported by the agent checks of the change


async def create_resource(
    store: Store,
    spec: CreateSpec,
    *,
    cluster: str = DEFAULT_CLUSTER,
    catalog: AgentCatalog | None = None,
) -> Changed[list[str]]:
    """Create a primitive (alone, in ``spec.group``, or in a clone). Value: the ids made."""
    info = await _agent_info(catalog, spec)
    return await apply_change(
        store,
        cluster,
        lambda c, p: resource_edits.create(c, p, spec, info),
        change=f"resource create {spec.name}",
        catalog=catalog,
    )


async def update_resource(
    store: Store,
    ident: str,
    args: ResourceArgs,
    *,
    cluster: str = DEFAULT_CLUSTER,
    catalog: AgentCatalog | None = None,
) -> Changed[None]:
    """Change a resource's parameters, ops and meta (``key=`` removes an attribute)."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: resource_edits.update(c, p, ident, args),
        change=f"resource update {ident}",
        catalog=catalog,
    )


async def delete_resource(
    store: Store, ident: str, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[list[str]]:
    """Delete a resource and the constraints naming it. Value: every id removed."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: resource_edits.delete(c, p, ident),
        change=f"resource delete {ident}",
    )


async def disable_resource(
    store: Store, ident: str, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[None]:
    """Stop a resource and keep it stopped (meta ``target-role=Stopped``)."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: resource_edits.set_target_role(c, p, ident, "Stopped"),
        change=f"resource disable {ident}",
    )


async def enable_resource(
    store: Store, ident: str, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[None]:
    """Let a resource run again (removes ``target-role`` from it, its members and parents)."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: resource_edits.set_target_role(c, p, ident, None),
        change=f"resource enable {ident}",
    )


async def move_resource(
    store: Store,
    ident: str,
    node: str,
    *,
    promoted: bool = False,
    force: bool = False,
    cluster: str = DEFAULT_CLUSTER,
) -> Changed[str]:
    """Prefer ``node`` with INFINITY (location ``cli-prefer-<rsc>``). Value: its id.
    ``node`` must be configured, a member or known to the status (``unknown-node``)
    unless ``force``."""
    known = force or await nodes.known_elsewhere(store, cluster, node)
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.move(c, p, ident, node, promoted=promoted, node_known=known),
        change=f"resource move {ident} {node}",
    )


async def ban_resource(
    store: Store,
    ident: str,
    node: str,
    *,
    promoted: bool = False,
    force: bool = False,
    cluster: str = DEFAULT_CLUSTER,
) -> Changed[str]:
    """Keep a resource off ``node`` (location ``cli-ban-<rsc>-on-<node>``, -INFINITY).
    ``node`` must be known, as for ``move_resource``, unless ``force``."""
    known = force or await nodes.known_elsewhere(store, cluster, node)
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.ban(c, p, ident, node, promoted=promoted, node_known=known),
        change=f"resource ban {ident} {node}",
    )


async def clear_resource(
    store: Store, ident: str, node: str | None = None, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[list[str]]:
    """Remove the constraints move and ban made for a resource. Value: their ids."""
    return await apply_change(
        store,
        cluster,
        lambda c, p: constraint_edits.clear(c, p, ident, node),
        change=f"resource clear {ident}",
    )


# --------------------------------------------------------------------------- status side


@dataclass(frozen=True, slots=True)
class Cleaned:
    """What cleanup removed: (node, resource) history records, and the revision."""

    records: list[tuple[str, str]]
    revision: int


def _history_keys(
    kvs: Sequence[KeyValue], prefix: str, rsc_ids: set[str], node: str | None
) -> list[tuple[KeyValue, str, str]]:
    out = []
    for kv in kvs:
        node_name, _, rsc = kv.key[len(prefix) :].partition("/")
        if not rsc or (node is not None and node_name != node):
            continue
        base = rsc.split(":", 1)[0]
        if rsc in rsc_ids or base in rsc_ids:
            out.append((kv, node_name, rsc))
    return out


def _rsc_ids(config: Config, ident: str) -> set[str]:
    found = tree.find(config, ident)
    if found is None:
        return {ident}
    return {r.id for r in tree.descendants(found.resource)}


async def cleanup_resource(
    store: Store,
    ident: str,
    *,
    node: str | None = None,
    cluster: str = DEFAULT_CLUSTER,
) -> Cleaned:
    """Forget a resource's operation history (fail counts, failed ops) on ``node`` or on
    every node, in one transaction. A resource that is neither configured nor has history
    is ``not-found``; nothing to clean is not an error."""
    read = await read_config(store, cluster)
    prefix = cluster_prefix(cluster) + "status/ops/"
    snap = await store.range(prefix)
    targets = _history_keys(snap.kvs, prefix, _rsc_ids(read.config, ident), node)
    if tree.find(read.config, ident) is None and not targets:
        raise NotFound(f"there is no resource {ident!r}", code="not-found")
    if not targets:
        return Cleaned([], snap.revision)
    compare = [Compare.mod_revision(kv.key, "==", kv.mod_revision) for kv, _, _ in targets]
    res = await store.txn(compare, [Delete(kv.key) for kv, _, _ in targets])
    if not res.succeeded:
        # a result arrived meanwhile: the records are newer than what we decided on
        raise CorralError(
            f"the history of {ident!r} changed while cleaning it up; nothing was removed: "
            "run the command again",
            code="conflict",
        )
    return Cleaned([(n, r) for _, n, r in targets], res.revision)


async def _running_on(store: Store, cluster: str, rsc_ids: set[str]) -> list[str]:
    prefix = cluster_prefix(cluster) + "status/ops/"
    snap = await store.range(prefix)
    nodes = []
    for kv, node, _ in _history_keys(snap.kvs, prefix, rsc_ids, None):
        try:
            role = kv.json().get("role")
        except (ValueError, AttributeError):
            role = None
        if role in RUNNING_ROLES:
            nodes.append(node)
    return nodes


async def restart_resource(
    store: Store,
    ident: str,
    *,
    cluster: str = DEFAULT_CLUSTER,
    timeout_s: float = 60.0,
    poll_s: float = 0.2,
) -> None:
    """Stop a resource everywhere and start it again (as ``crm_resource --restart``):
    set ``target-role=Stopped``, wait until no node reports it running (needs a running
    controller), then put its ``target-role`` back. On timeout the target-role is put
    back too and ``restart-timeout`` is raised."""
    read = await read_config(store, cluster)
    p = Problems()
    found = tree.require(p, read.config, ident)
    p.raise_if_any()
    assert found is not None
    before = found.resource.meta.get("target-role")
    if before == "Stopped":
        raise CorralError(f"{ident} is disabled; enable it instead", code="disabled")
    ids = _rsc_ids(read.config, ident)
    await disable_resource(store, ident, cluster=cluster)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    stopped = False
    while True:
        if not await _running_on(store, cluster, ids):
            stopped = True
            break
        if loop.time() >= deadline:
            break
        await asyncio.sleep(poll_s)

    def restore(c: Config, p: Problems) -> None:
        now = tree.require(p, c, ident)
        if now is not None and now.resource.meta.get("target-role") == "Stopped":
            if before is None:
                now.resource.meta.pop("target-role", None)
            else:
                now.resource.meta["target-role"] = before

    await apply_change(store, cluster, restore, change=f"resource restart {ident}")
    if not stopped:
        raise CorralError(
            f"{ident} did not stop within {timeout_s:g}s (is a controller running?); "
            "its target-role is back as it was",
            code="restart-timeout",
        )


__all__ = [
    "Cleaned",
    "ban_resource",
    "cleanup_resource",
    "clear_resource",
    "create_resource",
    "delete_resource",
    "disable_resource",
    "enable_resource",
    "move_resource",
    "restart_resource",
    "update_resource",
]
