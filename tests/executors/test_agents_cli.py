"""``corral agents list`` / ``describe`` and the meta-data parser, on real agents."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import corral.cli.agents  # noqa: F401  (registers the commands)
from corral.cli.app import app
from corral.executors.agents import fetch_metadata, list_agents, parse_metadata, split_agent
from corral.model.errors import CorralError, NotFound, ParseError


def test_list(real_ocf: str) -> None:
    names = list_agents(real_ocf)
    assert {"ocf:heartbeat:Dummy", "ocf:heartbeat:IPaddr2"} <= set(names)
    out = CliRunner().invoke(app, ["agents", "list"])
    assert out.exit_code == 0
    assert "ocf:heartbeat:IPaddr2" in out.stdout.splitlines()


def test_describe_ipaddr2(real_ocf: str) -> None:
    out = CliRunner().invoke(app, ["agents", "describe", "ocf:heartbeat:IPaddr2"])
    assert out.exit_code == 0, out.output
    assert "  ip (string) [required, unique]" in out.stdout
    assert "start timeout=20s" in out.stdout
    out = CliRunner().invoke(app, ["agents", "describe", "ocf:heartbeat:Dummy", "--json"])
    md = json.loads(out.stdout)
    assert md["name"] == "Dummy"
    assert {p["name"] for p in md["parameters"]} >= {"state", "fake"}


async def test_metadata(real_ocf: str) -> None:
    md = await fetch_metadata(real_ocf, "heartbeat", "IPaddr2")
    assert md.required == ["ip"]
    assert md.defaults.get("lvs_support") == "false"
    with pytest.raises(NotFound) as e:
        await fetch_metadata(real_ocf, "heartbeat", "NoSuch")
    assert e.value.code == "agent-not-installed"


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("ocf:heartbeat:IPaddr2", ("heartbeat", "IPaddr2")),
        ("heartbeat:Dummy", ("heartbeat", "Dummy")),
        ("IPaddr2", None),
        ("ocf:../x:y", None),
    ],
)
def test_split_agent(spec: str, ok: tuple[str, str] | None) -> None:
    if ok is None:
        with pytest.raises(CorralError) as e:
            split_agent(spec)
        assert e.value.code == "invalid-agent-name"
    else:
        assert split_agent(spec) == ok


def test_parse_errors() -> None:
    with pytest.raises(ParseError):
        parse_metadata("not xml")
    with pytest.raises(ParseError):
        parse_metadata("<other/>")
