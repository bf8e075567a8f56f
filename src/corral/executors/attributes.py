"""A node's attributes, kept in one JSON file in the node's state directory.

Written by corral's versions of ``crm_attribute``, ``crm_master`` and
``attrd_updater`` (run by OCF agents) and read by the node agent, which publishes
them to the store. Standard library only: the shims import this on every call.

Layout of ``<state>/attributes.json``::

    {"reboot":     {"<node>": {"<name>": "<value>"}},   # transient (status section)
     "forever":    {"<node>": {"<name>": "<value>"}},   # permanent node attributes
     "private":    {"<node>": {"<name>": "<value>"}},   # attrd_updater -p: never published
     "crm_config": {"<name>": "<value>"}}               # --type crm_config

Every change takes an exclusive ``flock`` and replaces the file atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from typing import Any

FILE = "attributes.json"
SECTIONS = ("reboot", "forever", "private", "crm_config")


def path_of(state_dir: str) -> str:
    return os.path.join(state_dir, FILE)


@contextlib.contextmanager
def _locked(state_dir: str) -> Iterator[None]:
    os.makedirs(state_dir, exist_ok=True)
    fd = os.open(os.path.join(state_dir, FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def load(state_dir: str) -> dict[str, Any]:
    try:
        with open(path_of(state_dir)) as f:
            data = json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        data = {}
    for s in SECTIONS:
        data.setdefault(s, {})
    return data


def _save(state_dir: str, data: dict[str, Any]) -> None:
    p = path_of(state_dir)
    tmp = f"{p}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, sort_keys=True)
    os.replace(tmp, p)


def get(state_dir: str, section: str, node: str | None, name: str) -> str | None:
    data = load(state_dir)
    table = data[section] if section == "crm_config" else data[section].get(node or "", {})
    value = table.get(name)
    return None if value is None else str(value)


def set_value(state_dir: str, section: str, node: str | None, name: str, value: str | None) -> bool:
    """Set (``value`` not None) or delete an attribute. True if something changed."""
    with _locked(state_dir):
        data = load(state_dir)
        if section == "crm_config":
            table = data["crm_config"]
        else:
            table = data[section].setdefault(node or "", {})
        old = table.get(name)
        if value is None:
            if name not in table:
                return False
            del table[name]
        else:
            if old == value:
                return False
            table[name] = value
        _save(state_dir, data)
        return True


def clear_transient(state_dir: str) -> None:
    """A node "reboot": forget transient and private attributes (new agent life)."""
    with _locked(state_dir):
        data = load(state_dir)
        data["reboot"] = {}
        data["private"] = {}
        _save(state_dir, data)


def mtime(state_dir: str) -> float:
    try:
        return os.stat(path_of(state_dir)).st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0
