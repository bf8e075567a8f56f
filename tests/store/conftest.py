"""Store fixtures: ``store_url`` runs each contract test on memory, sqlite and etcd."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from tests.fixtures.etcd import EtcdCluster, etcd_cluster, etcd_server

from corral.store import Store, open_store

__all__ = ["etcd_cluster", "etcd_server"]

BACKENDS = ["memory", "sqlite", "etcd"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "memory":
        return f"memory://t-{uuid.uuid4().hex}"
    if kind == "sqlite":
        return f"sqlite://{tmp_path}/corral.db"
    server: EtcdCluster = request.getfixturevalue("etcd_server")
    return server.url


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own (etcd is shared by the whole session)."""
    return f"/t/{uuid.uuid4().hex[:12]}/"


@pytest.fixture
async def opener(store_url: str) -> AsyncIterator[Callable[[], Awaitable[Store]]]:
    """Opens more Stores on the same space (closed at the end)."""
    opened: list[Store] = []

    async def open_one() -> Store:
        s = await open_store(store_url)
        opened.append(s)
        return s

    yield open_one
    for s in opened:
        await s.close()


@pytest.fixture
async def store(opener: Callable[[], Awaitable[Store]]) -> Store:
    return await opener()
