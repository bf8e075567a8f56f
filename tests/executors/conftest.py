"""Shared fixtures of the executor tests: real OCF agents, a scratch OCF root with
small test agents, network namespaces, free ports."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

OCF_ROOT = "/usr/lib/ocf"


def require(path: str, what: str) -> None:
    if os.path.exists(path):
        return
    msg = f"{what} not found at {path}"
    if os.environ.get("CI") == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture
def real_ocf() -> str:
    require(f"{OCF_ROOT}/resource.d/heartbeat/Dummy", "resource-agents (Dummy)")
    return OCF_ROOT


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# a test agent: `start` forks a child into its own process group and hangs; `stop` and
# `monitor` are instant; every call records its environment
SLOW_AGENT = """#!/bin/sh
[ -n "$OCF_RESKEY_envfile" ] && env > "$OCF_RESKEY_envfile.$1"
case "$1" in
  start) sleep 300 & echo $! > "$OCF_RESKEY_childpid"; sleep 300 ;;
  meta-data) cat <<'XML'
<?xml version="1.0"?>
<resource-agent name="slow" version="1.0">
<version>1.1</version>
<shortdesc lang="en">hangs on start</shortdesc>
<parameters>
<parameter name="envfile" required="1"><content type="string"/></parameter>
<parameter name="childpid" required="1"><content type="string"/></parameter>
<parameter name="mode"><content type="string" default="hang"/></parameter>
</parameters>
<actions><action name="start" timeout="20s"/><action name="stop" timeout="20s"/></actions>
</resource-agent>
XML
  ;;
  promote) echo "ocf-exit-reason:cannot promote here" >&2; exit 1 ;;
  *) exit 0 ;;
esac
"""

ATTR_AGENT = """#!/bin/sh
case "$1" in
  start) ${HA_SBIN_DIR}/crm_attribute -p -v 42 &&
         crm_master -l forever -v 7 -N "$OCF_RESKEY_CRM_meta_on_node" ;;
  monitor) ${HA_SBIN_DIR}/crm_attribute -p -G -q || exit 7 ;;
  meta-data) echo '<resource-agent name="attrs"><parameters/></resource-agent>' ;;
esac
"""


@pytest.fixture
def test_ocf_root(tmp_path: Path) -> str:
    """A scratch OCF root: the real heartbeat lib (ocf-shellfuncs) plus provider
    ``corraltest`` with the agents above."""
    root = tmp_path / "ocf"
    (root / "resource.d" / "corraltest").mkdir(parents=True)
    if os.path.isdir(f"{OCF_ROOT}/lib"):
        (root / "lib").symlink_to(f"{OCF_ROOT}/lib")
    for name, text in (("slow", SLOW_AGENT), ("attrs", ATTR_AGENT)):
        p = root / "resource.d" / "corraltest" / name
        p.write_text(text)
        p.chmod(p.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(root)


@pytest.fixture
def netns() -> Iterator[str]:
    """A network namespace with a veth pair d0/d1 (both inside); ``d0`` holds
    10.213.0.1/24, which exists inside the namespace only."""
    if shutil.which("ip") is None:
        require("/usr/sbin/ip", "iproute2")
    name = f"corral-t-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for cmd in (
            "ip link set lo up",
            "ip link add d0 type veth peer name d1",
            "ip link set d1 up",
            "ip link set d0 up",
            "ip addr add 10.213.0.1/24 dev d0",
        ):
            subprocess.run(["ip", "netns", "exec", name, *cmd.split()], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def ns_addresses(ns: str, dev: str = "d0") -> str:
    return subprocess.run(
        ["ip", "netns", "exec", ns, "ip", "-4", "addr", "show", "dev", dev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
