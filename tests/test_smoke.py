import subprocess
import sys

from corral.model import score


def test_score_arithmetic() -> None:
    assert score.add(score.INFINITY, score.MINUS_INFINITY) == score.MINUS_INFINITY
    assert score.add(score.INFINITY, 5) == score.INFINITY
    assert score.add(999_999, 5) == score.INFINITY
    assert score.parse("-inf") == score.MINUS_INFINITY
    assert score.to_str(score.parse("+INFINITY")) == "INFINITY"


def test_cli_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "corral.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "simulate" in out.stdout
