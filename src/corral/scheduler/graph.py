"""The action graph under construction: every action that may be needed, each
optional until something requires it and runnable until something it depends
on cannot run, with the orderings between them.

Pacemaker's ordering flags, in corral's words:
- IMPLIES_THEN: if the first action is required, so is the then action;
- IMPLIES_FIRST: if the then action is required, so is the first action;
- RUNNABLE_LEFT: the then action can run only if the first can;
- RESTART: (stop then start of one resource) if the start is required or
  cannot run while the resource runs there, the stop is required;
- ONE_OR_MORE: the then action can run if at least one of its firsts can.
An ordering with none of these only orders the two actions when both happen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from corral.scheduler.tree import Rsc

IMPLIES_THEN = 1
IMPLIES_FIRST = 2
RUNNABLE_LEFT = 4
RESTART = 8
ONE_OR_MORE = 16
ASYMMETRICAL = 32  # mandatory but one-way: the then action waits for the first to be runnable
PRINTED = 128  # with IMPLIES_FIRST: only a then action that can run makes the first required


@dataclass(eq=False, slots=True)
class Act:
    uid: int
    task: str
    rsc: Rsc | None
    node: str | None
    interval: int = 0
    optional: bool = True
    runnable: bool = True
    pseudo: bool = False
    reason: str | None = None  # why it is required, or why it cannot run
    name: str | None = None  # node-level actions: "stonith", "do_shutdown"
    frozen: bool = False  # of an unmanaged resource: never made required
    min_runnable: int = 1  # ONE_OR_MORE: how many of the firsts must be able to run
    # a frozen pseudo action still goes into the transition when one of these happens
    shown_by: list[Act] = field(default_factory=list)

    shown: bool = False  # goes into the transition even while optional

    @property
    def happens(self) -> bool:
        if not self.runnable:
            return False
        if not self.optional or self.shown:
            return True
        return any(not a.optional and a.runnable for a in self.shown_by)

    meta: dict[str, str] = field(default_factory=dict)
    out: list[tuple[Act, int]] = field(default_factory=list)
    inn: list[tuple[Act, int]] = field(default_factory=list)

    @property
    def rsc_id(self) -> str | None:
        return self.rsc.id if self.rsc is not None else None

    def require(self, reason: str | None = None) -> bool:
        if self.optional and not self.frozen:
            self.optional = False
            if reason and self.reason is None:
                self.reason = reason
            return True
        return False

    def block(self, reason: str | None = None, overwrite: bool = False) -> bool:
        if self.runnable:
            self.runnable = False
            if reason and (overwrite or self.reason is None):
                self.reason = reason
            return True
        return False

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        flags = ("" if self.optional else "!") + ("" if self.runnable else "x")
        return f"<{self.rsc_id or self.name}_{self.task}_{self.interval} {self.node} {flags}>"


@dataclass(slots=True)
class Graph:
    acts: list[Act] = field(default_factory=list)
    index: dict[tuple[str | None, str, str | None, int], Act] = field(default_factory=dict)
    edges: int = 0
    # probes (monitor, interval 0) as (instance, nodes): always required, each
    # ordered before the instance's start
    probes: list[tuple[Rsc, list[str]]] = field(default_factory=list)

    def get(self, rsc: Rsc | None, task: str, node: str | None, interval: int = 0) -> Act | None:
        return self.index.get((rsc.id if rsc is not None else None, task, node, interval))

    def new(
        self,
        rsc: Rsc | None,
        task: str,
        node: str | None,
        interval: int = 0,
        *,
        optional: bool = True,
        pseudo: bool = False,
        name: str | None = None,
    ) -> Act:
        key = (rsc.id if rsc is not None else name, task, node, interval)
        act = self.index.get(key)
        if act is not None:
            if not optional:
                act.optional = False
            return act
        act = Act(
            uid=len(self.acts), task=task, rsc=rsc, node=node, interval=interval,
            optional=optional, pseudo=pseudo, name=name,
        )  # fmt: skip
        self.acts.append(act)
        self.index[key] = act
        return act

    def order(self, first: Act | None, then: Act | None, flags: int = 0) -> None:
        if first is None or then is None or first is then:
            return
        first.out.append((then, flags))
        then.inn.append((first, flags))
        self.edges += 1

    def actions_of(self, rsc: Rsc, task: str) -> list[Act]:
        return [a for a in self.acts if a.rsc is rsc and a.task == task]


REASON = 64  # an ordering between different resources: what it implies is explained


def propagate(graph: Graph) -> None:
    """Apply the ordering flags until nothing changes.

    First the way Pacemaker walks the graph (newest action first; an action
    looks at the orderings into it, at once re-examining a first action it
    changed, and once changed re-examines the actions after it), so that the
    first cause found is the one reported; then a plain pass to a fixpoint."""
    for root in reversed(graph.acts):
        frames = [_update(root)]
        while frames:
            nxt = next(frames[-1], None)
            if nxt is None:
                frames.pop()
            else:
                frames.append(_update(nxt))
    _fixpoint(graph)


def _update(then: Act) -> Iterator[Act]:
    before = (then.optional, then.runnable)
    for first, flags in reversed(list(then.inn)):
        if _apply(first, then, flags):
            yield first
    if (then.optional, then.runnable) != before:
        for after, _ in list(then.out):
            yield after


def _fixpoint(graph: Graph) -> None:
    stack = list(graph.acts)
    while stack:
        then = stack.pop()
        before = (then.optional, then.runnable)
        for first, flags in then.inn:
            if _apply(first, then, flags):
                stack.append(first)
                stack.extend(a for a, _ in first.out)
        if (then.optional, then.runnable) != before:
            stack.append(then)
            stack.extend(a for a, _ in then.out)


def _apply(first: Act, then: Act, flags: int) -> bool:
    """Apply one ordering; change ``then`` in place and return whether ``first`` changed."""
    first_changed = False
    if flags & IMPLIES_THEN and not first.optional and _required_for(first, then):
        then.require(_explain("required", first, then))
        if (
            not first.runnable
            and then.task in ("stop", "demote", "stopped", "demoted")
            and (first.frozen or not _some_instance_runs(then))
        ):
            # what must wait for a stop that cannot happen cannot happen either
            then.block(_explain("unrunnable", first, then))
    if flags & RUNNABLE_LEFT and not first.runnable:
        then.block(_explain("unrunnable", first, then))
    if flags & ASYMMETRICAL and not first.runnable and not then.optional:
        then.block(_explain("unrunnable", first, then))
    if (
        flags & ONE_OR_MORE
        and then.runnable
        and not first.runnable  # only a first that cannot run lowers the count
        and sum(1 for f, fl in then.inn if fl & ONE_OR_MORE and f.runnable) < then.min_runnable
    ):
        then.block(_explain("unrunnable", first, then))
    if (
        flags & IMPLIES_FIRST
        and not then.optional
        and (then.runnable or (not then.frozen and _prints_anyway(first, flags)))
    ):
        first_changed |= first.require(_explain("required", then, first))
    if flags & RESTART:
        restart = not then.optional or (
            not then.runnable
            and then.rsc is first.rsc
            and then.rsc is not None
            and then.rsc.managed
        )
        if restart:
            if first.runnable or not then.optional:
                first_changed |= first.require(_explain("required", then, first))
            if not first.optional and not first.runnable:
                then.block(_explain("unrunnable", first, then))
    return first_changed


def _required_for(first: Act, then: Act) -> bool:
    """Whether a required ``first`` requires ``then``. A clone's pseudo action
    is asked about the node of the then action (a group's: its node): it
    counts as required there only if an instance's action on that node is
    (a clone gaining an instance elsewhere restarts nothing here)."""
    if not first.pseudo or first.rsc is None or first.rsc.kind != "clone":
        return True
    r = then.rsc
    while r is not None:
        if r.kind == "clone":
            return True  # a clone's instances hear from the clone's action, on any node
        r = r.parent
    node = then.node
    if node is None and then.rsc is not None and then.rsc.kind == "group":
        node = next((p.assigned for p in then.rsc.primitives() if p.assigned), None)
    if node is None:
        return True
    return any(not a.optional and a.node == node for a in _instance_actions(first))


def _instance_actions(act: Act) -> Iterator[Act]:
    """The primitive instance actions feeding a clone's pseudo action."""
    for f, fl in act.inn:
        if not fl & IMPLIES_THEN or f.rsc is None or f.rsc is act.rsc:
            continue
        if f.rsc.kind == "primitive":
            yield f
        elif f.pseudo:  # a group instance's pseudo action: its members'
            yield from (t for t, fl2 in f.out if fl2 & IMPLIES_FIRST and t.rsc is not f.rsc)
            yield from (g for g, fl2 in f.inn if fl2 & IMPLIES_THEN and g.rsc is not f.rsc)


def _some_instance_runs(act: Act) -> bool:
    """A clone's ``stopped``/``demoted`` can happen while any instance's action
    feeding it can (one that stays where it runs has an optional stop)."""
    if not act.pseudo or act.rsc is None or act.rsc.kind != "clone":
        return False
    return any(f.runnable for f, fl in act.inn if fl & IMPLIES_THEN and f.rsc is not act.rsc)


def _prints_anyway(first: Act, flags: int) -> bool:
    """IMPLIES_FIRST|PRINTED: a collective's start/stop is required when a
    member's is, even one that cannot run (a group's start and stop, a
    clone's stop: their ``running``/``stopped`` carry the failure); a clone's
    start only for an instance start that can run. Actions of resources the
    cluster leaves alone (frozen) never require it."""
    if not flags & PRINTED:
        return True
    return first.rsc is not None and (first.rsc.kind == "group" or first.task == "stop")


def _explain(change: str, cause: Act, target: Act) -> str | None:
    """Pacemaker's reason text: "required rsc start", "unrunnable grp running";
    none when the cause is an action of the same resource."""
    if cause.rsc is target.rsc:
        return None
    if cause.rsc is None:
        return f"{change} {cause.task}"
    return f"{change} {cause.rsc.id} {cause.task}"
