"""Fixtures of the command tests: a private in-process store and a fixed agent table."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from corral.commands.catalog import ActionDefault, AgentInfo, TableCatalog
from corral.store import Store, open_store


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = await open_store(f"memory://cmd-{uuid.uuid4().hex}")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def catalog() -> TableCatalog:
    """Dummy (no required parameters) and IPaddr2 (``ip`` required), as their meta-data say."""
    actions = (
        ActionDefault("start", 0, 20_000),
        ActionDefault("stop", 0, 20_000),
        ActionDefault("monitor", 10_000, 20_000),
    )
    return TableCatalog(
        {
            "ocf:heartbeat:Dummy": AgentInfo(
                "ocf:heartbeat:Dummy", frozenset({"state", "fake"}), frozenset(), actions
            ),
            "ocf:heartbeat:IPaddr2": AgentInfo(
                "ocf:heartbeat:IPaddr2",
                frozenset({"ip", "cidr_netmask", "nic"}),
                frozenset({"ip"}),
                actions,
            ),
        }
    )
