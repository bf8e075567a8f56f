"""Unpack, part 3: fail counts, read from the nodes' transient attributes.

Pacemaker Explained, "Failure Response": each failure raises the resource's
fail count on that node (attributes ``fail-count-<rsc>#<op>_<interval>`` and
``last-failure-<rsc>#<op>_<interval>``; older CIBs have ``fail-count-<rsc>``).
The count is their sum; the last failure their latest time. Once
``failure-timeout`` has passed since the last failure, the count has expired.
An anonymous clone's copies share their counts: any ``rsc:N`` counts for all.

The attributes are indexed once (node -> resource base name), so every
question costs only the attributes present, not resources x nodes.
"""

from __future__ import annotations

import re

from corral.model import score
from corral.scheduler.state import FailCount, InstanceState, NodeInfo

_SUFFIX = re.compile(r":\d+$")
_FAIL_KEY = re.compile(r"^(fail-count|last-failure)-(.+?)(#.+_\d+)?$")

# (resource name in the attribute, "fail-count" | "last-failure", value)
Entry = tuple[str, str, str]


def base_name(rsc_id: str) -> str:
    """``web`` for ``web:3``."""
    return _SUFFIX.sub("", rsc_id)


def _names_of(inst: InstanceState) -> set[str]:
    """The base names an attribute naming this instance can have."""
    bases = {base_name(inst.id), inst.primitive}
    if inst.history_name:
        bases.add(base_name(inst.history_name))
    return bases


def _matches(inst: InstanceState, name: str) -> bool:
    if name in (inst.id, inst.history_name):
        return True
    return inst.clone is not None and not inst.unique and base_name(name) == inst.primitive


class FailCountIndex:
    """The fail-count attributes of every node, read on first use."""

    def __init__(self, nodes: dict[str, NodeInfo]) -> None:
        self._nodes = nodes
        self._index: dict[str, dict[str, list[Entry]]] | None = None

    def _by_node(self) -> dict[str, dict[str, list[Entry]]]:
        if self._index is None:
            index: dict[str, dict[str, list[Entry]]] = {}
            for node, info in self._nodes.items():
                for key, value in info.attributes.items():
                    if not key.startswith(("fail-count-", "last-failure-")):
                        continue
                    m = _FAIL_KEY.match(key)
                    if m is None:
                        continue
                    name = m.group(2)
                    by_base = index.setdefault(node, {})
                    by_base.setdefault(base_name(name), []).append((name, m.group(1), value))
            self._index = index
        return self._index

    def read(self, inst: InstanceState, node: str, timeout_s: int, now: int) -> FailCount:
        """The instance's fail count on ``node`` at ``now``."""
        by_base = self._by_node().get(node)
        count = 0
        last = 0
        if by_base:
            for base in _names_of(inst):
                for name, kind, value in by_base.get(base, ()):
                    if not _matches(inst, name):
                        continue
                    if kind == "fail-count":
                        v = score.parse(value) if score.is_score(value) else 0
                        count = score.add(count, max(v, 0))
                    elif value.strip().isdigit():
                        last = max(last, int(value))
        fc = FailCount(count=count, last_failure=last)
        if count > 0 and last > 0 and timeout_s > 0 and now > last + timeout_s:
            fc.count = 0
            fc.expired = True
        return fc

    def nodes_naming(self, instances: list[InstanceState]) -> dict[str, set[str]]:
        """Per instance id: the nodes whose attributes may name it."""
        index = self._by_node()
        if not index:
            return {}
        nodes_of: dict[str, set[str]] = {}
        for node, by_base in index.items():
            for base in by_base:
                nodes_of.setdefault(base, set()).add(node)
        out: dict[str, set[str]] = {}
        for inst in instances:
            found: set[str] = set()
            for base in _names_of(inst):
                found |= nodes_of.get(base, set())
            if found:
                out[inst.id] = found
        return out
