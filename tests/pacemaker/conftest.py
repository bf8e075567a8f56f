"""Shared fixtures: the Pacemaker scheduler corpus (outside the project)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    env = os.environ.get("CORRAL_PCMK_CASES")
    return Path(env) if env else (REPO.parent / "shared" / "pacemaker-scheduler")


@pytest.fixture(scope="session")
def corpus() -> Path:
    d = corpus_dir()
    if not (d / "xml").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Pacemaker corpus missing at {d} (set CORRAL_PCMK_CASES)")
        pytest.skip(f"Pacemaker corpus not found at {d}")
    return d


@pytest.fixture(scope="session")
def crm_simulate() -> str:
    exe = shutil.which("crm_simulate")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("crm_simulate missing (apt-get install pacemaker-cli-utils)")
        pytest.skip("crm_simulate not installed")
    return exe
