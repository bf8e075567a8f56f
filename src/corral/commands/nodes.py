"""Node commands: standby, unstandby, maintenance, unmaintenance. Each sets or removes a
permanent node attribute in the configuration (``config/nodes/<node>``), as
``pcs node standby`` / ``crm_attribute -t nodes`` do: ``standby=on`` moves every
resource off the node, ``maintenance=on`` leaves its resources as they are, unmanaged.

A node must be known: configured already, a member now (``members/<node>``), or known
to the status (``status/nodes/<node>``); a node only the agent knew gets its
configuration entry (id and name are the node's name) with the attribute.
"""

from __future__ import annotations

from corral.commands.change import Changed, apply_change
from corral.commands.config_store import DEFAULT_CLUSTER, cluster_prefix
from corral.model.config import Config, Node
from corral.model.errors import Problems
from corral.store.base import Store

STANDBY = "standby"
MAINTENANCE = "maintenance"


async def known_elsewhere(store: Store, cluster: str, node: str) -> bool:
    """Whether ``node`` is a member now or known to the status (the configuration's
    nodes are the edits' to check)."""
    root = cluster_prefix(cluster)
    for key in (f"{root}members/{node}", f"{root}status/nodes/{node}"):
        if await store.get(key) is not None:
            return True
    return False


def set_node_attribute(
    config: Config, p: Problems, node: str, name: str, value: str | None, *, known: bool
) -> None:
    """Set (``value``) or remove (None) a permanent attribute of ``node``."""
    entry = next((n for n in config.nodes if node in (n.uname, n.id)), None)
    if entry is None:
        if not known:
            p.add(f"there is no node {node!r}", element=node, code="unknown-node")
            return
        if value is None:
            return
        entry = Node(id=node, uname=node)
        config.nodes.append(entry)
    if value is None:
        entry.attributes.pop(name, None)
    else:
        entry.attributes[name] = value


async def node_attribute(
    store: Store,
    node: str,
    name: str,
    value: str | None,
    *,
    cluster: str = DEFAULT_CLUSTER,
) -> Changed[None]:
    known = await known_elsewhere(store, cluster, node)
    verb = f"set {name}={value}" if value is not None else f"unset {name}"
    return await apply_change(
        store,
        cluster,
        lambda c, p: set_node_attribute(c, p, node, name, value, known=known),
        change=f"node {node} {verb}",
    )


async def standby(store: Store, node: str, *, cluster: str = DEFAULT_CLUSTER) -> Changed[None]:
    """Move every resource off ``node`` and keep them off (``standby=on``)."""
    return await node_attribute(store, node, STANDBY, "on", cluster=cluster)


async def unstandby(store: Store, node: str, *, cluster: str = DEFAULT_CLUSTER) -> Changed[None]:
    """Let ``node`` run resources again (removes ``standby``)."""
    return await node_attribute(store, node, STANDBY, None, cluster=cluster)


async def maintenance(store: Store, node: str, *, cluster: str = DEFAULT_CLUSTER) -> Changed[None]:
    """Stop managing ``node``'s resources, leaving them as they are (``maintenance=on``)."""
    return await node_attribute(store, node, MAINTENANCE, "on", cluster=cluster)


async def unmaintenance(
    store: Store, node: str, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[None]:
    """Manage ``node``'s resources again (removes ``maintenance``)."""
    return await node_attribute(store, node, MAINTENANCE, None, cluster=cluster)


__all__ = [
    "MAINTENANCE",
    "STANDBY",
    "known_elsewhere",
    "maintenance",
    "node_attribute",
    "set_node_attribute",
    "standby",
    "unmaintenance",
    "unstandby",
]
