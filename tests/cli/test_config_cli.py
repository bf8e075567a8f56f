"""The configuration CLI, run as a user runs it (``.venv/bin/corral`` subprocesses on an
sqlite store): every kind created, changed and deleted; bad input refused with one
line, exit code 2, and the configuration unchanged; the cluster found through
--store, --dir, CORRAL_STORE and CORRAL_DIR; CIB import/export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer

CORRAL = str(Path(sys.executable).parent / "corral")
CORPUS = Path("/work/shared/pacemaker-scheduler/xml")


def corral(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    out = subprocess.run(
        [CORRAL, *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=60,
    )
    if check and out.returncode != 0:
        raise AssertionError(f"corral {' '.join(args)}: rc {out.returncode}: {out.stderr}")
    return out


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/corral.db"


def config_json(url: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(corral("resource", "config", "--format", "json", "--store", url).stdout)


def constraints_json(url: str) -> dict:  # type: ignore[type-arg]
    return json.loads(corral("constraint", "list", "--format", "json", "--store", url).stdout)


def test_resources_and_constraints_round_trip(url: str) -> None:
    s = ["--store", url]
    corral(
        "resource",
        "create",
        "db",
        "ocf:heartbeat:Dummy",
        "op",
        "monitor",
        "interval=5s",
        "timeout=5s",
        *s,
    )
    corral(
        "resource",
        "create",
        "web",
        "process",
        "command=python3 -m http.server 8080",
        "health=http:8080",
        "op",
        "monitor",
        "interval=5s",
        "timeout=5s",
        "clone",
        *s,
    )
    corral("resource", "create", "a", "ocf:heartbeat:Dummy", "--group", "g", *s)
    res = config_json(url)
    assert [r["id"] for r in res] == ["db", "web-clone", "g"]
    assert res[1]["child"]["instance"] == {
        "command": "python3 -m http.server 8080",
        "health": "http:8080",
    }
    corral("resource", "update", "db", "fake=2", "meta", "resource-stickiness=100", *s)
    db = config_json(url)[0]
    assert db["instance"] == {"fake": "2"} and db["meta"] == {"resource-stickiness": "100"}

    corral("constraint", "order", "db", "then", "web-clone", *s)
    corral("constraint", "colocation", "add", "web-clone", "with", "db", "-INFINITY", *s)
    corral("constraint", "location", "db", "prefers", "n1=50", *s)
    corral("resource", "move", "g", "n2", "--force", *s)  # n2 has not joined yet
    cons = constraints_json(url)
    assert [c["id"] for c in cons["locations"]] == ["location-db-n1-50", "cli-prefer-g"]
    assert cons["colocations"][0]["score"] == -1_000_000
    text = corral("constraint", "list", *s).stdout
    assert "order-db-web-clone-mandatory: start db then start web-clone" in text
    corral("resource", "clear", "g", *s)
    corral("constraint", "delete", "location-db-n1-50", *s)
    assert constraints_json(url)["locations"] == []

    corral("resource", "disable", "web-clone", *s)
    assert config_json(url)[1]["meta"] == {"target-role": "Stopped"}
    corral("resource", "enable", "web-clone", *s)
    assert "meta" not in config_json(url)[1]

    out = corral("resource", "delete", "db", *s).stdout
    assert "order-db-web-clone-mandatory" in out
    assert [r["id"] for r in config_json(url)] == ["web-clone", "g"]
    assert constraints_json(url)["orders"] == []


BAD = [
    # (what, argv, code word expected in the message)
    ("unknown agent", ["resource", "create", "x", "ocf:heartbeat:NoSuchAgent"], "not installed"),
    ("missing parameter", ["resource", "create", "x", "ocf:heartbeat:IPaddr2"], "needs parameter"),
    ("bad key=value", ["resource", "create", "x", "ocf:heartbeat:Dummy", "novalue"], "key=value"),
    ("bad agent", ["resource", "create", "x", "heartbeat"], "CLASS:PROVIDER:TYPE"),
    (
        "bad duration",
        ["resource", "create", "x", "ocf:heartbeat:Dummy", "op", "monitor", "interval=often"],
        "not a duration",
    ),
    ("missing resource", ["constraint", "location", "ghost", "prefers", "n1"], "does not exist"),
    ("not a score", ["constraint", "location", "db", "prefers", "n1=high"], "not a score"),
    (
        "not a score (colocation)",
        ["constraint", "colocation", "add", "db", "with", "db2", "lots"],
        "not a score",
    ),
    ("missing resource (order)", ["constraint", "order", "db", "then", "ghost"], "does not exist"),
    ("unknown constraint", ["constraint", "delete", "nope"], "no constraint"),
    ("unknown node", ["node", "standby", "ghost"], "no node"),
    ("delete missing", ["resource", "delete", "ghost"], "no resource"),
]


@pytest.mark.parametrize(("what", "argv", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_and_changes_nothing(
    tmp_path: Path, what: str, argv: list[str], says: str
) -> None:
    url = f"sqlite://{tmp_path}/corral.db"
    corral("resource", "create", "db", "ocf:heartbeat:Dummy", "--store", url)
    corral("resource", "create", "db2", "ocf:heartbeat:Dummy", "--store", url)
    before = corral("cib", "export", "--store", url).stdout
    out = corral(*argv, "--store", url, check=False)
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corral: error: "), out.stderr
    assert says in lines[0]
    assert corral("cib", "export", "--store", url).stdout == before


def test_finding_the_cluster(tmp_path: Path) -> None:
    d = tmp_path / "local"
    d.mkdir()
    (d / "cluster.json").write_text(json.dumps({"store": "sqlite://store.db", "cluster": "lc"}))
    corral("resource", "create", "a", "ocf:heartbeat:Dummy", "--dir", str(d))
    assert (d / "store.db").exists()  # relative sqlite paths are relative to DIR
    url = f"sqlite://{d}/store.db"
    # the same cluster through the environment, and through --store + --cluster
    ids = lambda r: [x["id"] for x in json.loads(r.stdout)]  # noqa: E731
    assert ids(corral("resource", "config", "--format", "json", env={"CORRAL_DIR": str(d)})) == [
        "a"
    ]
    assert ids(
        corral(
            "resource",
            "config",
            "--format",
            "json",
            env={"CORRAL_STORE": url, "CORRAL_CLUSTER": "lc"},
        )
    ) == ["a"]
    assert ids(
        corral("resource", "config", "--format", "json", "--store", url, "--cluster", "lc")
    ) == ["a"]
    # another cluster name in the same store is another cluster
    assert ids(corral("resource", "config", "--format", "json", "--store", url)) == []
    # ./.corral is where `corral up` puts a cluster by default
    (tmp_path / ".corral").mkdir()
    (tmp_path / ".corral" / "cluster.json").write_text(json.dumps({"store": url, "cluster": "lc"}))
    assert ids(corral("resource", "config", "--format", "json", cwd=tmp_path)) == ["a"]
    # nothing given: one line that says what to give
    out = corral("resource", "config", cwd=d, check=False)
    assert out.returncode == 2 and "--store" in out.stderr and len(out.stderr.splitlines()) == 1


def test_node_standby(url: str) -> None:
    corral("cib", "import", str(CORPUS / "standby.xml"), "--store", url)
    corral("node", "standby", "sapcl01", "--store", url)
    xml = corral("cib", "export", "--store", url).stdout
    assert 'uname="sapcl01"' in xml and xml.count('name="standby" value="on"') == 2
    corral("node", "unstandby", "sapcl01", "--store", url)
    corral("node", "maintenance", "sapcl01", "--store", url)
    xml = corral("cib", "export", "--store", url).stdout
    assert xml.count('name="standby" value="on"') == 1
    assert 'name="maintenance" value="on"' in xml


def test_cib_import_export_reimport(tmp_path: Path, url: str) -> None:
    src = CORPUS / "rsc-sets-clone.xml"
    if not src.exists():
        pytest.fail("the scheduler corpus is missing")
    out = corral("cib", "import", str(src), "--store", url).stdout
    assert out.startswith("imported ")
    first = corral("cib", "export", "--store", url).stdout
    exported = tmp_path / "out.xml"
    corral("cib", "export", "-o", str(exported), "--store", url)
    url2 = f"sqlite://{tmp_path}/second.db"
    corral("cib", "import", str(exported), "--store", url2)
    assert corral("cib", "export", "--store", url2).stdout == first
    bad = corral("cib", "import", str(tmp_path / "missing.xml"), "--store", url, check=False)
    assert bad.returncode == 2 and "cannot read" in bad.stderr
    assert corral("cib", "export", "--store", url).stdout == first


def test_every_command_has_help() -> None:
    from corral.cli.app import app
    from corral.cli.main import _register

    _register()
    root = typer.main.get_command(app)
    assert isinstance(root, click.MultiCommand) or hasattr(root, "commands")
    for group in ("resource", "constraint", "node", "cib"):
        sub = root.commands[group]  # type: ignore[attr-defined]
        assert sub.help
        todo = [sub]
        while todo:
            g = todo.pop()
            for name, cmd in g.commands.items():  # type: ignore[attr-defined]
                if hasattr(cmd, "commands"):
                    todo.append(cmd)
                assert cmd.help and cmd.help.strip(), f"{group} {name} has no help"


def _refused(url: str, *argv: str) -> str:
    """Run a command that must be refused: exit code 2, one line on stderr, and the
    configuration unchanged. Returns the line."""
    before = corral("cib", "export", "--store", url).stdout
    out = corral(*argv, check=False)
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corral: error: "), out.stderr
    assert corral("cib", "export", "--store", url).stdout == before
    return lines[0]


REFUSED = [
    (
        "unknown op",
        ["resource", "create", "w4", "ocf:heartbeat:Dummy", "op", "bogus", "interval=5s"],
    ),
    ("op the agent lacks", ["resource", "create", "w4", "ocf:heartbeat:Dummy", "op", "promote"]),
    (
        "bad meta score",
        ["resource", "create", "w5", "ocf:heartbeat:Dummy", "meta", "migration-threshold=abc"],
    ),
    ("bad clone meta", ["resource", "create", "w6", "ocf:heartbeat:Dummy", "clone", "clone-max=x"]),
    ("update bad target-role", ["resource", "update", "db", "meta", "target-role=Bogus"]),
    ("update bad failure-timeout", ["resource", "update", "db", "meta", "failure-timeout=never"]),
    ("move to an unknown node", ["resource", "move", "db", "nosuchnode"]),
    ("ban on an unknown node", ["resource", "ban", "db", "nosuchnode"]),
]


@pytest.mark.parametrize(("what", "argv"), REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_values_are_refused(url: str, what: str, argv: list[str]) -> None:
    corral("resource", "create", "db", "ocf:heartbeat:Dummy", "--store", url)
    _refused(url, *argv, "--store", url)


def test_every_problem_on_one_line(url: str) -> None:
    corral("resource", "create", "db", "ocf:heartbeat:Dummy", "--store", url)
    line = _refused(
        url,
        "resource", "create", "x", "ocf:heartbeat:IPaddr2", "bogus=1",
        "op", "monitor", "interval=soon", "--store", url,
    )  # fmt: skip
    # three problems: a bad duration, a missing and an unknown parameter
    assert line.count("; ") == 2 and "more)" not in line


def test_update_says_what_it_did_and_move_force(url: str) -> None:
    s = ["--store", url]
    corral("resource", "create", "db", "ocf:heartbeat:Dummy", *s)
    out = corral("resource", "update", "db", "meta", "target-role=Stopped", *s).stdout
    assert out.startswith("updated db") and "target-role=Stopped" in out
    assert (
        "nothing changed"
        in corral("resource", "update", "db", "meta", "target-role=Stopped", *s).stdout
    )
    assert corral("resource", "enable", "db", *s).stdout.strip()
    corral("resource", "move", "db", "later", "--force", *s)
    corral("resource", "ban", "db", "later2", "--force", *s)
    assert [c["node"] for c in constraints_json(url)["locations"]] == ["later", "later2"]
    # location constraints may name a node that has not joined, as in Pacemaker
    corral("constraint", "location", "db", "prefers", "later3", *s)


def test_memory_store_is_refused(tmp_path: Path) -> None:
    for env, argv in (
        ({}, ["resource", "create", "a", "ocf:heartbeat:Dummy", "--store", "memory://"]),
        ({"CORRAL_STORE": "memory://x"}, ["resource", "config"]),
        ({}, ["status", "--store", "memory://"]),
    ):
        out = corral(*argv, env=env, cwd=tmp_path, check=False)
        assert out.returncode == 2, out
        assert len(out.stderr.strip().splitlines()) == 1 and "memory://" in out.stderr


def test_store_messages(tmp_path: Path) -> None:
    out = corral(
        "resource", "config", "--store", f"sqlite:///{tmp_path}/no/such/dir.db", check=False
    )
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert f"{tmp_path}/no/such/dir.db" in out.stderr and "//" + str(tmp_path) not in out.stderr
    out = corral("status", "--store", "etcd://127.0.0.1:1?connect_timeout=0.5", check=False)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert not out.stderr.rstrip().endswith(":"), out.stderr


USAGE = [
    ["resource", "list"],
    ["simulate", "--format", "bogus"],
    ["agents", "list", "bogus"],
    ["status", "--bogus"],
    ["resource", "create"],
    ["constraint", "colocation", "nope"],
]


@pytest.mark.parametrize("argv", USAGE, ids=[" ".join(a) for a in USAGE])
def test_usage_errors_are_one_line(argv: list[str]) -> None:
    out = corral(*argv, check=False)
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corral: error: "), out.stderr
    assert out.stdout == ""


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from corral.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    got = capsys.readouterr()
    return int(e.value.code or 0), got.out + got.err


def test_help_is_plain_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    from corral.cli.app import app
    from corral.cli.main import _register

    _register()
    root = typer.main.get_command(app)
    todo: list[tuple[list[str], object]] = [([], root)]
    seen = 0
    while todo:
        path, cmd = todo.pop()
        rc, text = _help([*path, "--help"], capsys)
        assert rc == 0 and text.startswith("Usage: corral"), (path, text)
        assert "╭" not in text and "<bool>" not in text, (path, text)
        seen += 1
        for name, sub in getattr(cmd, "commands", {}).items():
            todo.append(([*path, name], sub))
    assert seen > 20
    # no arguments at all: the help, as Click gives it (exit code 2)
    rc, text = _help([], capsys)
    assert rc == 2 and text.startswith("Usage: corral") and "resource" in text
