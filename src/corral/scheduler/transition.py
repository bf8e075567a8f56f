"""The scheduler's answer: a graph of actions with the order between them, plus
the per-resource summary of what changes (Pacemaker's "Transition Summary") and,
for explanation, the allocation scores it computed.

Every field is plain data so that the controller can run it, the pacemaker
package can print it as crm_simulate does, and the CLI can dump it as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Action:
    """One step of a transition.

    ``rsc`` is the resource *instance* id (``web:1`` for a clone instance), ``None``
    for node-level actions (``stonith``, ``do_shutdown``) and pseudo actions of the
    cluster (``stonith_complete``). ``task`` is Pacemaker's operation name: start,
    stop, monitor, promote, demote, notify, migrate_to, migrate_from, stonith,
    do_shutdown, and for collectives' pseudo actions running, stopped, promoted,
    demoted, notified. A probe is ``monitor`` with interval 0 on a node where the
    resource's state is unknown.
    """

    id: int
    task: str
    rsc: str | None = None
    node: str | None = None
    interval_ms: int = 0
    pseudo: bool = False
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Pacemaker's operation key: ``<rsc>_<task>_<interval>``."""
        return f"{self.rsc}_{self.task}_{self.interval_ms}" if self.rsc else self.task


@dataclass(slots=True)
class Change:
    """One line of the transition summary: what happens to one resource instance.

    ``verb`` is one of Start, Stop, Move, Recover, Restart, Promote, Demote,
    Re-promote, Migrate, Reload, Fence (``rsc`` is then None and ``node`` the
    target, ``reason`` the quoted reason). ``reason`` is the text after "due to"
    when Pacemaker gives one.
    """

    verb: str
    rsc: str | None
    from_node: str | None = None
    to_node: str | None = None
    from_role: str | None = None
    to_role: str | None = None
    reason: str | None = None
    # the action behind this line cannot run; ``reason`` then already reads as
    # crm_simulate prints it: "<reason> (blocked)", or just "blocked"
    blocked: bool = False
    # for Fence: the fencing action (reboot, off, on)
    fence_action: str | None = None


@dataclass(slots=True)
class Score:
    """One allocation (or promotion) score, for ``--show-scores``."""

    phase: str  # e.g. "pcmk__primitive_assign", "pcmk__clone_allocate", "promotion"
    rsc: str
    node: str | None
    value: int


@dataclass(slots=True)
class Transition:
    actions: list[Action] = field(default_factory=list)
    # (before_id, after_id): ``after`` may run only once ``before`` has succeeded
    edges: list[tuple[int, int]] = field(default_factory=list)
    summary: list[Change] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    # where every resource instance is after the transition: rsc -> (role, [nodes])
    placement: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    # nodes that will be fenced, and human-readable notes on decisions
    notes: list[str] = field(default_factory=list)

    def predecessors(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {a.id: [] for a in self.actions}
        for before, after in self.edges:
            out.setdefault(after, []).append(before)
        return out
