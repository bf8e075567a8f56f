"""cgroup v2 groups as local nodes: a whole node can be killed (``cgroup.kill``, as a
power loss would) or hung (``cgroup.freeze``) at once. See notes/local-nodes.md:
the v2 hierarchy may be mounted anywhere (hybrid layouts put it at
``/sys/fs/cgroup/unified``), so it is found in /proc/mounts; no controller is needed."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path


def v2_mount() -> Path | None:
    """Where the cgroup v2 hierarchy is mounted and writable, None if nowhere."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "cgroup2":
            path = Path(parts[1].replace("\\040", " "))
            if os.access(path, os.W_OK) and (path / "cgroup.procs").exists():
                return path
    return None


@dataclass(frozen=True, slots=True)
class NodeGroup:
    """One node's cgroup v2 group."""

    path: Path

    def create(self) -> None:
        self.path.mkdir(exist_ok=True)

    def exists(self) -> bool:
        return (self.path / "cgroup.procs").exists()

    def procs(self) -> list[int]:
        try:
            return [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def populated(self) -> bool:
        try:
            for line in (self.path / "cgroup.events").read_text().splitlines():
                if line.startswith("populated "):
                    return line.split()[1] == "1"
        except OSError:
            return False
        return bool(self.procs())

    def kill(self) -> None:
        """SIGKILL every process in the group at once (power loss)."""
        (self.path / "cgroup.kill").write_text("1")

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or thaw) every process in the group (a hung node)."""
        (self.path / "cgroup.freeze").write_text("1" if frozen else "0")

    def remove(self, timeout_s: float = 5.0) -> bool:
        """Kill what is left, wait until empty, rmdir. True if the group is gone."""
        if not self.exists():
            return True
        deadline = time.monotonic() + timeout_s
        with contextlib.suppress(OSError):
            self.freeze(False)
        while True:
            if self.populated():
                with contextlib.suppress(OSError):
                    self.kill()
            else:
                with contextlib.suppress(OSError):
                    self.path.rmdir()
                if not self.exists():
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)


def join_self(path: Path) -> None:
    """Move the calling process into the group (use as a ``preexec_fn``)."""
    with open(path / "cgroup.procs", "w") as f:
        f.write("0")
