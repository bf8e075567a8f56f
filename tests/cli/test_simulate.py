"""``corral simulate``: bad input exits non-zero with one line, never a traceback;
the json form is JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webfarm-cib.xml"

GOOD = (
    '<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"'
    ' have-quorum="1"><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes>'
    '<resources><primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/></resources>'
    "<constraints>{constraints}</constraints></configuration><status/></cib>"
)


def corral(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral.cli.main", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("corral: error: ")
    for w in words:
        assert w in lines[0]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("this is not XML at all", ["not XML"]),
        ("<cib><configuration>", ["not XML"]),
        ("<html><body/></html>", ["not a CIB"]),
        ("<cib/>", ["not a CIB"]),
        (
            GOOD.format(constraints='<rsc_colocation id="c" rsc="r" with-rsc="ghost" score="10"/>'),
            ["ghost", "c"],
        ),
        (
            GOOD.format(constraints='<rsc_location id="l" rsc="r" node="n1" score="lots"/>'),
            ["l.score"],
        ),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, content: str, words: list[str]) -> None:
    f = tmp_path / "bad.xml"
    f.write_text(content)
    assert_one_line_error(corral("--xml", str(f)), *words)


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(corral("--xml", str(tmp_path / "nope.xml")), "nope.xml")


def test_json_format_is_the_transition() -> None:
    r = corral("--xml", str(EXAMPLE), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"actions", "edges", "summary", "placement"} <= set(data)
    for a in data["actions"]:
        assert {"id", "task", "rsc", "node"} <= set(a)
    ids = {a["id"] for a in data["actions"]}
    for before, after in data["edges"]:
        assert before in ids and after in ids


def test_text_format() -> None:
    r = corral("--xml", str(EXAMPLE), "--format", "text")
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().splitlines()[-1].endswith("orderings")
