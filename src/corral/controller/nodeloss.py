"""A node's death, safely: when is a lost node's work safe to recover? (pure)

DESIGN.md, "A node's death, safely": a node whose lease expired is *unclean*:
what it ran may still run. Until fencing devices exist, the proof that it
stopped is time: the node's watchdog kills everything the agent started when
the agent has not renewed for less than a lease TTL, so once the lease has
expired *plus a small margin*, nothing of the node runs. Then, as after a
fence, the node's operation history is erased (it runs nothing) and its
resources are recovered elsewhere. Never by waiting out stop timeouts.

A node needs this only if it may run something: it has operation history or
actions in flight. A node that never ran anything is simply offline.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MARGIN_S = 0.3


@dataclass(frozen=True, slots=True)
class LostNode:
    name: str
    since: float  # epoch seconds: when the controller first saw the lease gone
    revision: int  # the store revision at which it was seen lost
    deadline: float  # since + margin: from then on its watchdog has killed everything
    note: str = ""  # why it waits, when not for its watchdog (a fence device, ...)

    def waiting(self, now: float) -> bool:
        return now < self.deadline

    def left(self, now: float) -> float:
        return max(0.0, self.deadline - now)

    @property
    def reason(self) -> str:
        return self.note or "lease expired: waiting for its watchdog to have killed its resources"


@dataclass(frozen=True, slots=True)
class LossView:
    """What to do about lost nodes at one snapshot."""

    new: list[str]  # lost now, no record yet: record (since=now)
    waiting: list[LostNode]  # recorded, margin not over: hold their resources
    confirmed: list[LostNode]  # margin over: erase their history, then recover


def assess(
    *,
    members: set[str],
    busy_nodes: set[str],
    records: dict[str, tuple[float, int]],
    now: float,
    margin_s: float = DEFAULT_MARGIN_S,
) -> LossView:
    """``members``: nodes holding a live lease; ``busy_nodes``: nodes with operation
    history or actions in flight; ``records``: node -> (since, revision) of the lost
    records already in the store. A recorded node stays lost until confirmed, even
    if it rejoined meanwhile (its old history is stale: its watchdog fired)."""
    new = sorted(n for n in busy_nodes - members if n not in records)
    waiting: list[LostNode] = []
    confirmed: list[LostNode] = []
    for name, (since, revision) in sorted(records.items()):
        lost = LostNode(name, since, revision, since + margin_s)
        (waiting if lost.waiting(now) else confirmed).append(lost)
    return LossView(new, waiting, confirmed)


def base_id(rsc: str) -> str:
    """``web:2`` -> ``web`` (clone instance to its primitive)."""
    return rsc.split(":", 1)[0]
