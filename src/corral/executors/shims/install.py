"""Write a node's bin directory: one small shell wrapper per Pacemaker command,
with the node's name and state directory baked in."""

from __future__ import annotations

import os
import shlex
import sys

COMMANDS = ("crm_attribute", "crm_master", "attrd_updater", "crm_node")


def wrapper(command: str, *, node: str, state_dir: str, python: str) -> str:
    return (
        "#!/bin/sh\n"
        f"# corral's {command} for node {node} (generated)\n"
        f"CORRAL_NODE={shlex.quote(node)} CORRAL_STATE_DIR={shlex.quote(state_dir)} "
        f'exec {shlex.quote(python)} -m corral.executors.shims.{command} "$@"\n'
    )


def install_shims(bin_dir: str, *, node: str, state_dir: str, python: str | None = None) -> None:
    os.makedirs(bin_dir, exist_ok=True)
    py = python or sys.executable
    for cmd in COMMANDS:
        text = wrapper(cmd, node=node, state_dir=os.path.abspath(state_dir), python=py)
        path = os.path.join(bin_dir, cmd)
        try:
            with open(path) as f:
                if f.read() == text:
                    continue
        except FileNotFoundError:
            pass
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
