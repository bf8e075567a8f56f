from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from corral.store import Store, open_store


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/corral.db"
    s = await open_store(url)
    yield s
    await s.close()
