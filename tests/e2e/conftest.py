"""End-to-end fixtures: a 3-node local cluster (``corral up``) on sqlite or etcd."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.harness import LocalCluster
from tests.fixtures.etcd import etcd_server  # noqa: F401

from corral.local.cgroups import v2_mount


def require_cgroups() -> None:
    if v2_mount() is None:
        msg = "cgroup v2 is not writable here: local nodes cannot be killed at once"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(params=["sqlite", "etcd"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocalCluster]:
    require_cgroups()
    name = "e2e" + uuid.uuid4().hex[:6]
    store = None
    if request.param == "etcd":
        store = request.getfixturevalue("etcd_server").url
    c = LocalCluster(tmp_path / "cl", store, name)
    try:
        c.up()
        yield c
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.down()


@pytest.fixture
def sqlite_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    require_cgroups()
    c = LocalCluster(tmp_path / "cl", None, "e2e")
    try:
        c.up()
        yield c
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.down()
