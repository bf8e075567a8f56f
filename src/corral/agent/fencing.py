"""The agent's part in fencing: run a fencing plan for the controller, and come
back as a fresh member after being fenced.

**Running a plan.** The controller may not run fence agents (it imports no
executor): it sends a healthy node's agent an action with task ``stonith``::

    {"id": "fence-n2-1764000000123", "rsc": "#stonith-n2", "task": "stonith",
     "timeout_ms": 120000, "fence": {"target": "n2", "action": "reboot",
       "plan": [{"index": 1, "devices": ["ipmi-n2"], "from_topology": true}],
       "requested_by": "n1", "stonith_timeout_s": 60, "round": 1}}

The plan names devices only: their parameters (secrets included) are read here
from the configuration (``config/``), never carried in the action. The agent
runs the plan through ``executors.fence_topology.fence_node`` and writes, in one
transaction with the deletion of the action, ``fencing/results/<id>``::

    {"id": ..., "target": "n2", "action": "reboot", "ok": true, "level": 2,
     "devices": ["ipmi-n2"], "reason": "...", "executor": "n1", "finished": ...,
     "attempts": [FenceAttempt.to_dict(), ...]}   # reasons and output scrubbed

A fencing is not journaled: an agent that restarts in the middle leaves the
action without a result and the controller, seeing it dropped, runs another
round (off and reboot are safe to repeat).

**Coming back fresh.** A node that was fenced must not resume the life that was
shot. The controller records the fenced life's lease in ``fencing/fenced/<node>``
and revokes it; an agent that still holds that lease (it was frozen, or it was
restarted and resumed it) revokes it too, so its next refresh fails: it stops
everything and registers with a new lease. After any such re-registration the
agent probes every resource it knows before it takes actions again
(``rejoin_loop``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from corral.agent.logkv import log_kv
from corral.agent.protocol import Action, dumps
from corral.executors.fence import FenceRunner
from corral.executors.fence_topology import FenceOutcome, fence_node
from corral.model import config_docs
from corral.model.config import Config, FenceDevice
from corral.model.errors import CorralError
from corral.model.fence_agent import scrub
from corral.model.fencing_plan import PlanLevel, all_devices
from corral.store import Delete, KeyValue, Put
from corral.store.errors import StoreError

if TYPE_CHECKING:
    from corral.agent.daemon import Agent

log = logging.getLogger("corral.agent")

TASK = "stonith"
RPC_TIMEOUT_S = 5.0
FENCED_POLL_S = 1.0
REJOIN_POLL_S = 0.1
DEFAULT_TIMEOUT_S = 60.0


def result_key(root: str, action_id: str) -> str:
    return f"{root}fencing/results/{action_id}"


def fenced_key(root: str, node: str) -> str:
    return f"{root}fencing/fenced/{node}"


def decode_config(kvs: list[KeyValue], root: str) -> Config:
    """The configuration under ``<root>config/`` (``corral.model.config_docs``)."""
    prefix = root + "config/"
    return config_docs.decode(
        ((kv.key[len(prefix) :], kv.value) for kv in kvs if kv.key.startswith(prefix)),
        prefix=prefix,
    )


def plan_of(fence: dict[str, Any]) -> list[PlanLevel]:
    return [
        PlanLevel(
            int(lv.get("index", i + 1)),
            tuple(str(d) for d in lv.get("devices") or []),
            bool(lv.get("from_topology", True)),
        )
        for i, lv in enumerate(fence.get("plan") or [])
    ]


def result_doc(
    action_id: str, outcome: FenceOutcome, executor: str, devices: dict[str, FenceDevice]
) -> dict[str, Any]:
    """The result as the controller reads it: every attempt, secrets scrubbed."""
    params = {f"{d.id}.{k}": v for d in devices.values() for k, v in d.params.items()}
    attempts = []
    for a in outcome.attempts:
        d = a.to_dict()
        d["reason"] = scrub(str(d.get("reason") or ""), params)
        res = d.get("result")
        if isinstance(res, dict):
            for k in ("reason", "stdout_tail", "stderr_tail"):
                res[k] = scrub(str(res.get(k) or ""), params)
        attempts.append(d)
    return {
        "id": action_id,
        "target": outcome.target,
        "action": outcome.action,
        "ok": outcome.ok,
        "level": outcome.level,
        "devices": list(outcome.devices),
        "reason": scrub(outcome.reason, params),
        "executor": executor,
        "finished": time.time(),
        "attempts": attempts,
    }


async def execute(ag: Agent, action: Action, kv: KeyValue) -> None:
    """Run the fencing plan of a ``stonith`` action and publish its result."""
    t0 = time.monotonic()
    try:
        fence = (kv.json() or {}).get("fence") or {}
    except ValueError:
        fence = {}
    target = str(fence.get("target") or "")
    verb = "off" if fence.get("action") == "off" else "reboot"
    devices: dict[str, FenceDevice] = {}
    try:
        snap = await asyncio.wait_for(ag.store.range(ag.keys.root + "config/"), RPC_TIMEOUT_S)
        config = decode_config(list(snap), ag.keys.root)
        devices = {d.id: d for d in all_devices(config)}
        runner = FenceRunner(
            default_timeout_s=float(fence.get("stonith_timeout_s") or DEFAULT_TIMEOUT_S)
        )
        log_kv(log, logging.WARNING, "fence-start", node=ag.node, target=target, action=verb)
        outcome = await fence_node(
            runner,
            target,
            plan_of(fence),
            devices,
            action=verb,
            requested_by=str(fence.get("requested_by") or ""),
        )
    except (StoreError, TimeoutError, OSError, CorralError, ValueError) as e:
        outcome = FenceOutcome(target, verb, ok=False)
        doc = result_doc(action.id, outcome, ag.node, devices)
        doc["reason"] = f"the agent on {ag.node} could not run the plan: {e}"
    else:
        doc = result_doc(action.id, outcome, ag.node, devices)
    await _publish(ag, action, kv, doc)
    log_kv(
        log,
        logging.WARNING if doc["ok"] else logging.ERROR,
        "fence-done",
        node=ag.node,
        target=target,
        action=verb,
        ok=doc["ok"],
        level=doc["level"],
        devices=",".join(doc["devices"]),
        attempts=len(doc["attempts"]),
        reason=doc["reason"],
        took_ms=int((time.monotonic() - t0) * 1000),
    )


async def _publish(ag: Agent, action: Action, kv: KeyValue, doc: dict[str, Any]) -> None:
    ops = [Put(result_key(ag.keys.root, action.id), dumps(doc)), Delete(kv.key)]
    for _ in range(50):  # ~10 s: the controller treats a vanished executor as a failure
        try:
            await asyncio.wait_for(ag.store.txn((), ops), RPC_TIMEOUT_S)
            return
        except (StoreError, TimeoutError, OSError) as e:
            log_kv(log, logging.WARNING, "fence-publish-retry", node=ag.node, error=e)
            await asyncio.sleep(0.2)


async def rejoin_loop(ag: Agent) -> None:
    """Come back fresh: drop a lease the cluster fenced, and after any re-registration
    probe every resource before taking actions again."""
    was_ready = True  # run() probed at start-up (or left it to us after a self-fence)
    next_check = 0.0
    while True:
        await asyncio.sleep(REJOIN_POLL_S)
        if ag.ready.is_set():
            was_ready = True
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + FENCED_POLL_S
                await _check_fenced(ag)
            continue
        if was_ready and ag.registered.is_set() and not ag.fencing:
            log_kv(log, logging.WARNING, "rejoin-probe", node=ag.node)
            await ag.probe()
            if ag.registered.is_set() and not ag.fencing:
                ag.ready.set()


async def _check_fenced(ag: Agent) -> None:
    lease = ag.lease
    if lease is None:
        return
    try:
        kv = await asyncio.wait_for(ag.store.get(fenced_key(ag.keys.root, ag.node)), RPC_TIMEOUT_S)
    except (StoreError, TimeoutError, OSError):
        return
    if kv is None:
        return
    try:
        fenced = int((kv.json() or {}).get("lease") or 0)
    except (ValueError, TypeError, AttributeError):
        return
    if fenced == lease.id and ag.lease is lease:
        # end that life the agent's own way: its next refresh finds the lease gone,
        # stops everything and registers anew
        log_kv(log, logging.ERROR, "fenced-life", node=ag.node, lease=f"{lease.id:x}")
        with contextlib.suppress(StoreError, TimeoutError, OSError):
            await asyncio.wait_for(ag.store.revoke(lease), RPC_TIMEOUT_S)
