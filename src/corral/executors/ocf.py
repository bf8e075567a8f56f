"""The ``ocf`` resource class: run ``<OCF_ROOT>/resource.d/<provider>/<type> <action>``
with the environment OCF agents expect (see ../shared/notes/ocf-agents.md), a hard
timeout that kills the agent's whole process group, and its exit code mapped to a
``Result``.

Each node gets its own ``HA_RSCTMP`` and its own bin directory of Pacemaker-command
shims (first on ``PATH`` and ``HA_SBIN_DIR``), so several nodes on one host never
share pid files, state files or node attributes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from corral.executors import spawn
from corral.executors.agents import DEFAULT_OCF_ROOT, MetadataCache, agent_path, check_name
from corral.executors.result import Result, ResultKind
from corral.executors.shims.install import install_shims
from corral.model.errors import CorralError
from corral.model.status import AGENT_ACTIONS

ACTIONS = AGENT_ACTIONS
# actions before which the agent's required parameters are checked against its meta-data
CHECKED_ACTIONS = frozenset({"start", "promote", "reload", "reload-agent", "validate-all"})
CRM_FEATURE_SET = "3.16.2"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
EXIT_REASON_PREFIX = "ocf-exit-reason:"


def base_instance(rsc: str) -> str:
    """A clone instance ``web:2`` runs as ``OCF_RESOURCE_INSTANCE=web``."""
    head, sep, tail = rsc.rpartition(":")
    return head if sep and tail.isdigit() else rsc


def env_key(name: str) -> str:
    return name.replace("-", "_")


def exit_reason_of(stderr: str) -> str:
    reason = ""
    for line in stderr.splitlines():
        if line.startswith(EXIT_REASON_PREFIX):
            reason = line[len(EXIT_REASON_PREFIX) :].strip()
    return reason


@dataclass(slots=True)
class OcfCall:
    """One call of an OCF agent."""

    provider: str
    type: str
    action: str
    rsc: str
    params: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)  # becomes OCF_RESKEY_CRM_meta_*
    interval_ms: int = 0
    timeout_ms: int = 20_000

    @property
    def agent(self) -> str:
        return f"ocf:{self.provider}:{self.type}"


class OcfExecutor:
    """Runs OCF agents for one node."""

    def __init__(
        self,
        *,
        node: str,
        state_dir: str,
        root: str = DEFAULT_OCF_ROOT,
        netns: str | None = None,
        metadata: MetadataCache | None = None,
    ) -> None:
        self.node = node
        self.root = root
        self.state_dir = state_dir
        self.netns = netns  # run agents with `ip netns exec <netns>` (a test node)
        self.rsctmp = os.path.join(state_dir, "rsctmp")
        self.bin_dir = os.path.join(state_dir, "bin")
        os.makedirs(self.rsctmp, exist_ok=True)
        install_shims(self.bin_dir, node=node, state_dir=state_dir)
        self.metadata = metadata or MetadataCache(root)

    def environment(self, call: OcfCall) -> dict[str, str]:
        env = {
            "OCF_ROOT": self.root,
            "OCF_FUNCTIONS_DIR": os.path.join(self.root, "lib", "heartbeat"),
            "OCF_RA_VERSION_MAJOR": "1",
            "OCF_RA_VERSION_MINOR": "1",
            "OCF_RESOURCE_INSTANCE": base_instance(call.rsc),
            "OCF_RESOURCE_TYPE": call.type,
            "OCF_RESOURCE_PROVIDER": call.provider,
            "OCF_RESKEY_crm_feature_set": CRM_FEATURE_SET,
            "HA_RSCTMP": self.rsctmp,
            "HA_SBIN_DIR": self.bin_dir,
            "HA_LOGD": "no",
            "SHELL": "/bin/bash",
            "PATH": f"{self.bin_dir}:{SYSTEM_PATH}",
            "LC_ALL": "C",
            "HOME": "/root" if os.geteuid() == 0 else os.environ.get("HOME", "/"),
            "CORRAL_NODE": self.node,
            "CORRAL_STATE_DIR": self.state_dir,
        }
        for k, v in call.params.items():
            env[f"OCF_RESKEY_{env_key(k)}"] = str(v)
        meta = {k: str(v) for k, v in call.meta.items()}
        meta.setdefault("name", call.action)
        meta["interval"] = str(call.interval_ms)
        meta["timeout"] = str(call.timeout_ms)
        meta["on_node"] = self.node
        meta["on_node_uuid"] = self.node
        if call.rsc != base_instance(call.rsc):
            meta.setdefault("clone", call.rsc.rpartition(":")[2])
        for k, v in meta.items():
            env[f"OCF_RESKEY_CRM_meta_{env_key(k)}"] = v
        return env

    async def _missing_required(self, call: OcfCall) -> list[str]:
        md = await self.metadata.get(call.provider, call.type)
        return [p for p in md.required if call.params.get(p, "") == ""]

    async def run(self, call: OcfCall) -> Result:
        if call.action not in ACTIONS:
            return Result.of_kind(
                ResultKind.UNIMPLEMENTED, f"{call.agent}: unknown OCF action {call.action!r}"
            )
        try:
            check_name("provider", call.provider)
            check_name("type", call.type)
        except CorralError as e:
            return Result.of_kind(ResultKind.ERROR_ARGS, e.message)
        path = agent_path(self.root, call.provider, call.type)
        if not os.path.isfile(path):
            return Result.of_kind(
                ResultKind.NOT_INSTALLED, f"agent {call.agent} is not installed (no {path})"
            )
        if call.action in CHECKED_ACTIONS:
            try:
                missing = await self._missing_required(call)
            except CorralError as e:
                return Result.of_kind(ResultKind.NOT_INSTALLED, e.message)
            if missing:
                return Result.of_kind(
                    ResultKind.NOT_CONFIGURED,
                    f"{call.agent}: missing required parameter(s): {', '.join(missing)}",
                )
        argv = [path, call.action]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        out = await spawn.run(
            argv, env=self.environment(call), cwd="/", timeout_s=call.timeout_ms / 1000
        )
        if out.timed_out:
            return Result.of_kind(
                ResultKind.TIMEOUT,
                f"{call.action} timed out after {call.timeout_ms}ms (process group killed)",
                stdout=out.stdout[-2000:],
                stderr=out.stderr[-2000:],
                duration_ms=out.duration_ms,
            )
        if out.rc is None:
            return Result.of_kind(
                ResultKind.NOT_INSTALLED,
                f"{call.agent}: cannot run: {out.start_error}",
                duration_ms=out.duration_ms,
            )
        rc = out.rc if out.rc >= 0 else 1  # killed by a signal: a generic error
        reason = exit_reason_of(out.stderr)
        if out.rc < 0 and not reason:
            reason = f"agent killed by signal {-out.rc}"
        return Result.of_rc(
            rc,
            reason,
            stdout=out.stdout[-2000:],
            stderr=out.stderr[-2000:],
            duration_ms=out.duration_ms,
        )
