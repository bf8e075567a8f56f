"""Running a transition graph, as a pure state machine (no store, no clock).

Pacemaker's controller rule: an action may run once every action ordered before
it has *succeeded*; pseudo actions (a collective's "running", a fencing
round's "complete") complete as soon as they are runnable. A failed or
timed-out action aborts the graph: nothing new is sent, what is in flight is
awaited, and the controller plans again from a new snapshot. The daemon feeds
this object with what happened (``sent``, ``succeeded``, ``failed``) and asks
it what may go next (``runnable``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from corral.scheduler.transition import Action, Transition


class State(enum.Enum):
    WAITING = "waiting"  # predecessors not all done
    SENT = "sent"  # in flight at its node's agent
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # never sent: the graph was aborted


@dataclass
class GraphRun:
    number: int
    transition: Transition
    states: dict[int, State] = field(default_factory=dict)
    aborted: str | None = None  # why, once aborted
    _preds: dict[int, list[int]] = field(default_factory=dict)
    _by_id: dict[int, Action] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {a.id: a for a in self.transition.actions}
        self._preds = {a.id: [] for a in self.transition.actions}
        for before, after in self.transition.edges:
            if before in self._by_id and after in self._by_id:
                self._preds[after].append(before)
        self.states = {a.id: State.WAITING for a in self.transition.actions}

    def action(self, action_id: int) -> Action:
        return self._by_id[action_id]

    # -- what may go next
    def runnable(self) -> list[Action]:
        """Actions not yet sent whose predecessors all succeeded. Pseudo actions among
        them are completed here (and their successors considered), so the result holds
        only real actions to send. Empty once aborted."""
        if self.aborted is not None:
            return []
        out: list[Action] = []
        changed = True
        while changed:
            changed = False
            for a in self.transition.actions:
                if self.states[a.id] is not State.WAITING:
                    continue
                if not all(self.states[p] is State.DONE for p in self._preds[a.id]):
                    continue
                if a.pseudo:
                    self.states[a.id] = State.DONE
                    changed = True
                elif a not in out:
                    out.append(a)
        return out

    # -- what happened
    def sent(self, action_id: int) -> None:
        self.states[action_id] = State.SENT

    def succeeded(self, action_id: int) -> None:
        self.states[action_id] = State.DONE

    def failed(self, action_id: int, why: str) -> None:
        self.states[action_id] = State.FAILED
        self.abort(why)

    def abort(self, why: str) -> None:
        if self.aborted is None:
            self.aborted = why

    # -- where it stands
    def in_flight(self) -> list[Action]:
        return [self._by_id[i] for i, s in self.states.items() if s is State.SENT]

    @property
    def complete(self) -> bool:
        """Nothing in flight and nothing more will be sent."""
        if self.in_flight():
            return False
        if self.aborted is not None:
            return True
        return all(s is State.DONE for s in self.states.values())

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.states.values():
            out[s.value] = out.get(s.value, 0) + 1
        return out

    def finish(self) -> None:
        """Mark what was never sent as skipped (after an abort)."""
        for i, s in self.states.items():
            if s is State.WAITING:
                self.states[i] = State.SKIPPED
