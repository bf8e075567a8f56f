"""Which cluster a command talks to, and the store it lives in.

Every command that reads or writes a cluster takes ``--store URL``, ``--dir DIR`` and
``--cluster NAME``, and looks, in this order:

1. ``--store URL`` (``sqlite:///path``, ``etcd://host:port``);
2. ``--dir DIR``: a local cluster started by ``corral up``; its ``DIR/cluster.json``
   names the store and the cluster;
3. the ``CORRAL_STORE`` environment variable (a URL);
4. the ``CORRAL_DIR`` environment variable (a directory, as ``--dir``);
5. ``./.corral/cluster.json``, where ``corral up`` puts a cluster by default.

The cluster's name is ``--cluster``, else ``CORRAL_CLUSTER``, else the ``cluster`` of
``cluster.json`` when the store came from one, else ``default``. Its keys are under
``/corral/<cluster>/``.

``DIR/cluster.json`` (written by ``corral up``, see ``corral.local.clusterfile``) must
hold at least ``{"store": URL, "cluster": NAME}``; a relative ``sqlite://`` path in it
is taken relative to ``DIR``. A ``memory://`` store is refused (``store-not-shared``):
it lives only as long as the command's own process, so nothing would ever read what a
command wrote into it. Other members (``version``, ``dir``, ``nodes`` with their
pids and cgroups, ...) belong to the launcher.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from corral.model.cluster import DEFAULT_CLUSTER
from corral.model.errors import CorralError
from corral.store import Store, open_store

ENV_STORE = "CORRAL_STORE"
ENV_DIR = "CORRAL_DIR"
ENV_CLUSTER = "CORRAL_CLUSTER"
DEFAULT_DIR = ".corral"
CLUSTER_FILE = "cluster.json"

T = TypeVar("T")

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help=f"Store URL of the cluster (or ${ENV_STORE})", show_default=False),
]
DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help=f"Directory of a local cluster made by `corral up` (or ${ENV_DIR})",
        show_default=False,
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help=f"Cluster name in the store (or ${ENV_CLUSTER}; default: from --dir, else "
        f"'{DEFAULT_CLUSTER}')",
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class Target:
    store: str
    cluster: str
    source: str  # how it was found, for messages: "--store", "--dir /x", "$CORRAL_STORE", ...


def _from_dir(directory: Path, source: str) -> tuple[str, str]:
    path = directory / CLUSTER_FILE
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise CorralError(
            f"no cluster at {directory} (no {CLUSTER_FILE}; start one with `corral up`)",
            code="no-cluster",
        ) from None
    except (OSError, ValueError) as e:
        raise CorralError(f"cannot read {path}: {e}", code="bad-cluster-file") from None
    url = doc.get("store") if isinstance(doc, dict) else None
    if not isinstance(url, str) or "://" not in url:
        raise CorralError(f"{path} names no store (from {source})", code="bad-cluster-file")
    if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
        rel = url[len("sqlite://") :]
        url = "sqlite://" + str((directory / rel).resolve())
    cluster = doc.get("cluster")
    return url, cluster if isinstance(cluster, str) and cluster else DEFAULT_CLUSTER


def _shared(target: Target) -> Target:
    """A one-shot command needs a store other processes see: not ``memory://``."""
    if target.store.split("://", 1)[0].lower() == "memory":
        raise CorralError(
            f"a memory:// store (from {target.source}) lives only inside one process, so "
            "a command's change would vanish with it: use sqlite:///path or etcd://host:port",
            code="store-not-shared",
        )
    return target


def resolve_target(
    store: str | None = None,
    directory: Path | str | None = None,
    cluster: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Target:
    """Find the cluster a command means (see the module doc for the order); a
    ``memory://`` store is ``store-not-shared``."""
    return _shared(_find_target(store, directory, cluster, env=env, cwd=cwd))


def _find_target(
    store: str | None,
    directory: Path | str | None,
    cluster: str | None,
    *,
    env: Mapping[str, str] | None,
    cwd: Path | None,
) -> Target:
    env = os.environ if env is None else env
    name = cluster or env.get(ENV_CLUSTER) or None
    if store:
        return Target(store, name or DEFAULT_CLUSTER, "--store")
    if directory is not None:
        url, file_cluster = _from_dir(Path(directory), "--dir")
        return Target(url, name or file_cluster, f"--dir {directory}")
    if env.get(ENV_STORE):
        return Target(env[ENV_STORE], name or DEFAULT_CLUSTER, f"${ENV_STORE}")
    if env.get(ENV_DIR):
        url, file_cluster = _from_dir(Path(env[ENV_DIR]), f"${ENV_DIR}")
        return Target(url, name or file_cluster, f"${ENV_DIR}")
    local = (cwd or Path.cwd()) / DEFAULT_DIR
    if (local / CLUSTER_FILE).exists():
        url, file_cluster = _from_dir(local, DEFAULT_DIR)
        return Target(url, name or file_cluster, f"./{DEFAULT_DIR}")
    raise CorralError(
        f"which cluster? give --store URL or --dir DIR (or set ${ENV_STORE} / ${ENV_DIR})",
        code="no-cluster",
    )


def run(
    store: str | None,
    directory: Path | None,
    cluster: str | None,
    action: Callable[[Store, str], Awaitable[T]],
) -> T:
    """Resolve the target, open its store, run ``action(store, cluster)``, close the store."""
    target = resolve_target(store, directory, cluster)

    async def go() -> T:
        s = await open_store(target.store)
        try:
            return await action(s, target.cluster)
        finally:
            await s.close()

    return asyncio.run(go())


__all__ = [
    "CLUSTER_FILE",
    "DEFAULT_CLUSTER",
    "ENV_CLUSTER",
    "ENV_DIR",
    "ENV_STORE",
    "ClusterOpt",
    "DirOpt",
    "StoreOpt",
    "Target",
    "resolve_target",
    "run",
]
