"""Run one action with the right executor: ``ocf`` or ``process``."""

from __future__ import annotations

import asyncio
import os
import shutil

from corral.agent.protocol import Action, AgentSpec
from corral.executors.agents import DEFAULT_OCF_ROOT
from corral.executors.ocf import OcfCall, OcfExecutor
from corral.executors.process import DEFAULT_PATH, ProcessExecutor
from corral.executors.result import Result, ResultKind


class Runner:
    def __init__(
        self,
        *,
        node: str,
        state_dir: str,
        ocf_root: str = DEFAULT_OCF_ROOT,
        netns: str | None = None,
    ) -> None:
        self.ocf = OcfExecutor(node=node, state_dir=state_dir, root=ocf_root, netns=netns)
        self.process = ProcessExecutor(node=node, state_dir=state_dir)
        # at most this many agent calls at once (Pacemaker's node-action-limit): an
        # overloaded node queues its monitors instead of starving its lease refresh
        self.limit = asyncio.Semaphore(max(4, 2 * (os.cpu_count() or 1)))

    async def run(self, action: Action, *, timeout_ms: int | None = None) -> Result:
        async with self.limit:
            return await self._run(action, timeout_ms)

    async def _run(self, action: Action, timeout_ms: int | None) -> Result:
        spec = action.agent
        timeout = timeout_ms if timeout_ms is not None else action.timeout_ms
        if spec is None:
            return Result.of_kind(ResultKind.ERROR_ARGS, f"action {action.id} names no agent")
        if spec.cls == "ocf":
            if not spec.provider or not spec.type:
                return Result.of_kind(
                    ResultKind.ERROR_ARGS, "ocf agent needs a provider and a type"
                )
            return await self.ocf.run(
                OcfCall(
                    provider=spec.provider,
                    type=spec.type,
                    action=action.task,
                    rsc=action.rsc,
                    params=action.params,
                    meta=action.meta,
                    interval_ms=action.interval_ms,
                    timeout_ms=timeout,
                )
            )
        if spec.cls == "process":
            return await self._process(action, spec, timeout)
        return Result.of_kind(
            ResultKind.NOT_INSTALLED, f"unknown resource class {spec.cls!r} (ocf or process)"
        )

    async def _process(self, action: Action, spec: AgentSpec, timeout_ms: int) -> Result:
        pspec = spec.process_spec()
        if action.task == "start":
            return await self.process.start(action.rsc, pspec, timeout_ms)
        if action.task == "stop":
            return await self.process.stop(action.rsc, timeout_ms)
        if action.task == "monitor":
            return await self.process.monitor(action.rsc, pspec, timeout_ms)
        if action.task == "validate-all":
            if not pspec.argv:
                return Result.of_kind(ResultKind.NOT_CONFIGURED, "process: empty command line")
            path = pspec.env.get("PATH", DEFAULT_PATH)
            if shutil.which(pspec.argv[0], path=path) is None:
                return Result.of_kind(
                    ResultKind.NOT_INSTALLED, f"process: command not found: {pspec.argv[0]}"
                )
            return Result.of_kind(ResultKind.SUCCESS)
        if action.task == "notify":
            return Result.of_kind(ResultKind.SUCCESS)
        return Result.of_kind(
            ResultKind.UNIMPLEMENTED, f"process resources do not implement {action.task}"
        )

    def kill_processes(self) -> list[str]:
        return self.process.kill_all()
