"""Where a cluster's things are in the store (DESIGN.md, "Store layout"), under
``/corral/<cluster>/``. The controller's own keys:

* ``leader`` — the election key (attached to the leader's lease);
* ``controller/transition`` — the number of the last transition planned;
* ``controller/state`` — what the leader is doing now (for ``corral status``);
* ``transitions/<n>`` — the input of transition n (config, status, now), the last
  ``KEEP_TRANSITIONS`` of them, so ``corral simulate`` can replay a decision;
* ``status/lost/<node>`` — a node whose lease expired while it may still run
  something: since when, and until when the controller waits for its watchdog;
* ``status/fencing/<node>/<seq>`` — the fence history: one entry per device run
  (or "watchdog" confirmation), secrets redacted (``controller/fencing.py``);
* ``fencing/ops/<node>`` — a fencing of that node under way: attempts, backoff;
* ``fencing/requests/<node>`` — a fencing asked for by a person (``corral stonith
  fence``); the controller turns it into an op and deletes it;
* ``fencing/results/<action-id>`` — what the agent that ran a ``stonith`` action
  found (every attempt); the controller records it in the history and deletes it;
* ``fencing/fenced/<node>`` — the incarnation (lease id) of the node's last fenced
  life: a member key on that lease is not a member.
"""

from __future__ import annotations

from dataclasses import dataclass

KEEP_TRANSITIONS = 20


@dataclass(frozen=True, slots=True)
class Keys:
    cluster: str

    @property
    def prefix(self) -> str:
        return f"/corral/{self.cluster}/"

    @property
    def config(self) -> str:
        return self.prefix + "config/"

    @property
    def members(self) -> str:
        return self.prefix + "members/"

    @property
    def status(self) -> str:
        return self.prefix + "status/"

    @property
    def status_nodes(self) -> str:
        return self.prefix + "status/nodes/"

    @property
    def status_ops(self) -> str:
        return self.prefix + "status/ops/"

    @property
    def lost(self) -> str:
        return self.prefix + "status/lost/"

    @property
    def actions(self) -> str:
        return self.prefix + "actions/"

    @property
    def leader(self) -> str:
        return self.prefix + "leader"

    @property
    def counter(self) -> str:
        return self.prefix + "controller/transition"

    @property
    def state(self) -> str:
        return self.prefix + "controller/state"

    @property
    def transitions(self) -> str:
        return self.prefix + "transitions/"

    def member(self, node: str) -> str:
        return self.members + node

    def action(self, node: str, action_id: str) -> str:
        return f"{self.actions}{node}/{action_id}"

    def transition(self, n: int) -> str:
        return f"{self.transitions}{n:08d}"

    def lost_node(self, node: str) -> str:
        return self.lost + node

    def ops_of(self, node: str) -> str:
        return f"{self.status_ops}{node}/"

    @property
    def fencing(self) -> str:
        return self.prefix + "fencing/"

    @property
    def fence_history(self) -> str:
        return self.prefix + "status/fencing/"

    def fence_history_of(self, node: str) -> str:
        return f"{self.fence_history}{node}/"

    def fence_entry(self, node: str, seq: int) -> str:
        return f"{self.fence_history}{node}/{seq:08d}"

    @property
    def fence_ops(self) -> str:
        return self.fencing + "ops/"

    def fence_op(self, node: str) -> str:
        return self.fence_ops + node

    @property
    def fence_requests(self) -> str:
        return self.fencing + "requests/"

    def fence_request(self, node: str) -> str:
        return self.fence_requests + node

    @property
    def fence_results(self) -> str:
        return self.fencing + "results/"

    def fence_result(self, action_id: str) -> str:
        return self.fence_results + action_id

    @property
    def fenced(self) -> str:
        return self.fencing + "fenced/"

    def fenced_node(self, node: str) -> str:
        return self.fenced + node
