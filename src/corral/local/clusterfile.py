"""``DIR/cluster.json``: what ``corral up`` started, so that ``corral down``, ``corral
status`` and every ``--dir DIR`` command can find the cluster and its processes.

Format (version 1)::

    {"version": 1, "cluster": "default", "store": "sqlite:////abs/DIR/store.db",
     "dir": "/abs/DIR", "isolation": "cgroup" | "pgroup", "cgroup_root": "/sys/fs/cgroup/unified",
     "lease_ttl": 2.0, "started": 1718000000.0,
     "nodes": [{"name": "n1", "cgroup": "/sys/fs/cgroup/unified/corral-default-ab12cd-n1" | null,
                "agent_pid": 101, "watchdog_pid": 102, "controller_pid": 103,
                "state_dir": "/abs/DIR/n1", "logs": {"agent": "/abs/DIR/n1/agent.log", ...},
                "addr": "127.0.1.1"}]}
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corral.model.errors import CorralError, NotFound

FILE_NAME = "cluster.json"
DEFAULT_DIR = ".corral"
ENV_DIR = "CORRAL_DIR"
VERSION = 1


@dataclass(slots=True)
class LocalNode:
    name: str
    state_dir: str
    cgroup: str | None = None
    agent_pid: int | None = None
    watchdog_pid: int | None = None
    controller_pid: int | None = None
    logs: dict[str, str] = field(default_factory=dict)
    addr: str = "127.0.0.1"  # the node's own loopback address (CORRAL_NODE_ADDR)

    def pids(self) -> dict[str, int]:
        out = {}
        for role in ("agent", "watchdog", "controller"):
            pid = getattr(self, f"{role}_pid")
            if pid:
                out[role] = pid
        return out


@dataclass(slots=True)
class LocalCluster:
    cluster: str
    store: str
    dir: str
    isolation: str = "cgroup"  # cgroup | pgroup
    cgroup_root: str | None = None
    lease_ttl: float = 2.0
    started: float = 0.0
    nodes: list[LocalNode] = field(default_factory=list)
    version: int = VERSION

    def node(self, name: str) -> LocalNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise NotFound(f"no node {name!r} in the local cluster at {self.dir}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> LocalCluster:
        nodes = [LocalNode(**n) for n in doc.get("nodes", [])]
        rest = {k: v for k, v in doc.items() if k != "nodes" and k in cls.__dataclass_fields__}
        return cls(nodes=nodes, **rest)


def path_of(directory: str | os.PathLike[str]) -> Path:
    return Path(directory) / FILE_NAME


def load(directory: str | os.PathLike[str]) -> LocalCluster:
    p = path_of(directory)
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError as e:
        raise NotFound(f"no local cluster at {directory} (no {FILE_NAME}; run `corral up`)") from e
    except (OSError, ValueError) as e:
        raise CorralError(f"cannot read {p}: {e}", code="bad-cluster-file") from e
    try:
        return LocalCluster.from_json(doc)
    except TypeError as e:
        raise CorralError(f"{p} is not a corral cluster file: {e}", code="bad-cluster-file") from e


def save(c: LocalCluster) -> None:
    p = path_of(c.dir)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(c.to_json(), indent=2) + "\n")
    os.replace(tmp, p)
