"""The README's example end to end: ``corral up --example webfarm`` starts a database
and two web servers on distinct nodes of one host; ``corral simulate --transition N``
replays the decisions the controller took on it."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.conftest import require_cgroups
from tests.e2e.harness import LocalCluster, free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def webfarm(tmp_path: Path) -> Iterator[tuple[LocalCluster, int]]:
    require_cgroups()
    port = free_port()
    c = LocalCluster(
        tmp_path / "cl", None, "e2e", up_args=("--example", "webfarm", "--example-port", str(port))
    )
    try:
        c.up()
        yield c, port
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.down()


def _page(addr: str, port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://{addr}:{port}/", timeout=0.5) as r:
            return r.read().decode() if r.status == 200 else None
    except OSError:
        return None


def _answering(c: LocalCluster, port: int) -> dict[str, str]:
    """node -> its page, for the nodes whose own address answers HTTP."""
    pages = {n["name"]: _page(n["addr"], port) for n in c.info["nodes"]}
    return {n: p for n, p in pages.items() if p}


def test_webfarm_serves_on_two_nodes_and_replays(webfarm: tuple[LocalCluster, int]) -> None:
    c, port = webfarm
    pages = wait_for(lambda: len(_answering(c, port)) == 2 and _answering(c, port), 30, "2 webs")
    addrs = {n["name"]: n["addr"] for n in c.info["nodes"]}
    assert len(set(addrs.values())) == 3  # one loopback address per node
    for node, page in pages.items():  # each instance serves from its own node
        assert page.strip() == f"web on {node} ({addrs[node]})"
    st = c.status()
    web = sorted(r["node"] for r in st["resources"] if r["id"].split(":")[0] == "web")
    assert web == sorted(pages) and len(set(web)) == 2
    assert [r["state"] for r in st["resources"] if r["id"] == "db"] == ["Started"]

    # replay: the transition that started the web servers decides the same again
    saved = json.loads(c.corral("simulate", "--list-transitions", "--format", "json"))
    starts = [t for t in saved if any(a.startswith("start web") for a in t["actions"])]
    assert starts, saved
    n = starts[0]["n"]
    replay = json.loads(c.corral("simulate", "--transition", str(n), "--format", "json"))
    assert replay["n"] == n and replay["planned"] == starts[0]["actions"]
    again = {
        f"start {a['rsc']} on {a['node']}"
        for a in replay["transition"]["actions"]
        if a["task"] == "start" and not a["pseudo"]
    }
    assert again == {a for a in replay["planned"] if re.match(r"start \S+ on \S+$", a)}
    text = c.corral("simulate", "--transition", str(n), "--format", "pacemaker")
    assert "Transition Summary:" in text and "web" in text
    missing = c.corral("simulate", "--transition", "999999", check=False)
    assert "no saved input of transition 999999" in missing

    c.down()  # stops every node and what it runs: nothing answers any more
    assert wait_for(lambda: not _answering(c, port), 10, "webs gone") is True
