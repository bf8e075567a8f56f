"""End-to-end fixtures: 3-node local clusters (``corral up``) on sqlite and on etcd.

* ``cluster``: a fresh cluster per test, on each store (tests that kill nodes, agents
  or controllers);
* ``shared_cluster``: one cluster per store for a whole module, reset (resources
  deleted and stopped, history cleaned, standby cleared) after each test; if the reset
  fails, the next test gets a fresh cluster;
* ``sqlite_cluster``: a fresh cluster on sqlite only.

When a test fails, the end of every daemon's log of the clusters it used is added to
its report (section "local cluster logs"), so CI output says what the cluster did.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import LocalCluster
from tests.fixtures.etcd import etcd_server  # noqa: F401

from corral.local.cgroups import v2_mount

STORES = ["sqlite", "etcd"]


def require_cgroups() -> None:
    if v2_mount() is None:
        msg = "cgroup v2 is not writable here: local nodes cannot be killed at once"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def _store_url(request: pytest.FixtureRequest, kind: str) -> str | None:
    return request.getfixturevalue("etcd_server").url if kind == "etcd" else None


def start_cluster(directory: Path, store: str | None) -> LocalCluster:
    """``corral up`` a 3-node cluster (its own cluster name, so clusters can share an etcd)."""
    require_cgroups()
    c = LocalCluster(directory, store, "e2e" + uuid.uuid4().hex[:6])
    try:
        c.up()
    except BaseException:
        print(c.logs())
        c.down()
        raise
    return c


@pytest.fixture(params=STORES)
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocalCluster]:
    c = start_cluster(tmp_path / "cl", _store_url(request, request.param))
    try:
        yield c
    finally:
        c.down()


class _Shared:
    """The module's cluster on one store; replaced by a fresh one if a reset fails."""

    def __init__(self, base: Path, store: str | None) -> None:
        self.base = base
        self.store = store
        self.n = 0
        self.current: LocalCluster | None = None

    def get(self) -> LocalCluster:
        if self.current is None:
            self.n += 1
            self.current = start_cluster(self.base / f"cl{self.n}", self.store)
        return self.current

    def reset(self) -> None:
        c = self.current
        if c is None:
            return
        try:
            c.reset()
        except BaseException:
            print(f"reset of {c.name} failed; the next test gets a fresh cluster\n{c.logs()}")
            self.close()
            raise

    def close(self) -> None:
        c, self.current = self.current, None
        if c is not None:
            c.down()


@pytest.fixture(scope="module", params=STORES)
def _shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Shared]:
    holder = _Shared(tmp_path_factory.mktemp("shared"), _store_url(request, request.param))
    try:
        yield holder
    finally:
        holder.close()


@pytest.fixture
def shared_cluster(_shared: _Shared) -> Iterator[LocalCluster]:
    yield _shared.get()
    _shared.reset()


@pytest.fixture
def sqlite_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    c = start_cluster(tmp_path / "cl", None)
    try:
        yield c
    finally:
        c.down()


def _clusters(value: Any) -> list[LocalCluster]:
    if isinstance(value, LocalCluster):
        return [value]
    if isinstance(value, tuple | list):
        return [c for v in value for c in _clusters(v)]
    return []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when == "teardown":
        return
    funcargs = getattr(item, "funcargs", {})
    for c in [c for v in funcargs.values() for c in _clusters(v)]:
        report.sections.append((f"local cluster logs ({c.name})", c.logs()))
