"""corral's crm_attribute / crm_master / attrd_updater / crm_node, run as the
agents run them: through the node's bin directory, and from a real OCF agent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from corral.executors import attributes
from corral.executors.ocf import OcfCall, OcfExecutor
from corral.executors.shims.install import install_shims


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    install_shims(str(tmp_path / "bin"), node="n1", state_dir=str(tmp_path))
    return tmp_path / "bin"


def sh(bin_dir: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    p = subprocess.run(
        [str(bin_dir / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=30,
    )
    return p.returncode, p.stdout, p.stderr


CASES = [
    # (argv, rc, stdout, stderr contains)
    (
        ["crm_attribute", "-N", "n1", "-l", "reboot", "-n", "x", "-G"],
        105,
        "",
        "Error performing operation: No such device or address",
    ),
    (["crm_attribute", "-N", "n1", "-l", "reboot", "-n", "x", "-v", "5"], 0, "", ""),
    (
        ["crm_attribute", "-N", "n1", "-l", "reboot", "-n", "x", "-G"],
        0,
        "scope=status  name=x value=5\n",
        "",
    ),
    (["crm_attribute", "-N", "n1", "-l", "reboot", "--name", "x", "--query", "-q"], 0, "5\n", ""),
    (["crm_attribute", "-N", "n1", "-l", "forever", "-n", "x", "-G"], 105, "", "No such device"),
    (
        ["crm_attribute", "-N", "n1", "-l", "forever", "-n", "x", "-G", "-d", "dflt"],
        0,
        "scope=nodes  name=x value=dflt\n",
        "",
    ),
    (
        ["crm_attribute", "--type", "crm_config", "--name", "R_REPL_INFO", "-s", "r", "-v", "a|b"],
        0,
        "",
        "",
    ),
    (
        ["crm_attribute", "--type", "crm_config", "--name", "R_REPL_INFO", "-s", "r", "-G", "-q"],
        0,
        "a|b\n",
        "",
    ),
    (["crm_attribute", "-N", "n1", "-l", "reboot", "-n", "x", "-D"], 0, "", ""),
    (["crm_attribute", "-N", "n1", "-l", "reboot", "-n", "x", "-G", "-q"], 105, "", "No such"),
    (["crm_master", "-l", "reboot", "-v", "100"], 0, "", ""),
    (["crm_master", "-l", "reboot", "-G", "--quiet"], 0, "100\n", ""),
    (["crm_attribute", "-p", "-G", "-q"], 0, "100\n", ""),
    (["crm_attribute", "-p", "-D"], 0, "", ""),
    (["crm_master", "-l", "reboot", "-G", "-q"], 105, "", "No such"),
    (["attrd_updater", "-p", "-n", "gtid", "-U", "0-1-5", "-N", "n2"], 0, "", ""),
    (
        ["attrd_updater", "-p", "-n", "gtid", "-Q", "-N", "n2"],
        0,
        'name="gtid" host="n2" value="0-1-5"\n',
        "",
    ),
    (["attrd_updater", "-n", "gtid", "-D", "-N", "n2"], 0, "", ""),
    (["attrd_updater", "-n", "gtid", "-Q", "-N", "n2"], 105, "", "does not exist"),
    (["crm_node", "-n"], 0, "n1\n", ""),
    (["crm_node", "-l"], 0, "1 n1 member\n", ""),
    (["crm_node", "-p"], 0, "n1\n", ""),
]


def test_shims_in_sequence(bin_dir: Path) -> None:
    env = {"OCF_RESOURCE_INSTANCE": "redis"}
    for argv, rc, out, err in CASES:
        got = sh(bin_dir, *argv, env=env)
        assert got[0] == rc, (argv, got)
        assert got[1] == out, (argv, got)
        assert err in got[2], (argv, got)


def test_attribute_file_layout(bin_dir: Path, tmp_path: Path) -> None:
    sh(bin_dir, "crm_attribute", "-N", "n1", "-l", "reboot", "-n", "a", "-v", "1")
    sh(bin_dir, "crm_attribute", "-N", "n1", "-l", "forever", "-n", "b", "-v", "2")
    data = json.loads((tmp_path / "attributes.json").read_text())
    assert data["reboot"] == {"n1": {"a": "1"}}
    assert data["forever"] == {"n1": {"b": "2"}}
    attributes.clear_transient(str(tmp_path))
    assert attributes.load(str(tmp_path))["reboot"] == {}


async def test_an_ocf_agent_calls_the_shims(test_ocf_root: str, tmp_path: Path) -> None:
    ex = OcfExecutor(node="n3", state_dir=str(tmp_path), root=test_ocf_root)
    c = OcfCall(provider="corraltest", type="attrs", action="monitor", rsc="db")
    assert (await ex.run(c)).rc == 7
    c.action = "start"
    assert (await ex.run(c)).ok
    c.action = "monitor"
    r = await ex.run(c)
    assert r.ok and r.stdout == "42\n"
    data = attributes.load(str(tmp_path))
    assert data["reboot"]["n3"] == {"master-db": "42"}
    assert data["forever"]["n3"] == {"master-db": "7"}
