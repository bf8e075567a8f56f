"""The one result type every executor returns: the OCF exit code, what it means
(a ``ResultKind``), the exit reason, the tail of the output and the duration.

OCF codes (0 success, 1-6 errors by kind, 7 not running, 8/9 promoted states) are
mapped to kinds here, in one place; a timeout and a cancellation are kinds of their
own with ``rc`` 1 (Pacemaker's "unknown error") and their own ``op_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from corral.model.status import (
    OP_CANCELLED,
    OP_DONE,
    OP_ERROR,
    OP_ERROR_HARD,
    OP_NOT_INSTALLED,
    OP_NOTSUPPORTED,
    OP_TIMEOUT,
)

TAIL_CHARS = 2000


class ResultKind(StrEnum):
    SUCCESS = "success"
    NOT_RUNNING = "not-running"
    PROMOTED = "promoted"
    FAILED_PROMOTED = "failed-promoted"
    ERROR_GENERIC = "error-generic"
    ERROR_ARGS = "error-args"
    UNIMPLEMENTED = "unimplemented"
    PERM = "perm"
    NOT_INSTALLED = "not-installed"
    NOT_CONFIGURED = "not-configured"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


RC_KINDS: Final[Mapping[int, ResultKind]] = MappingProxyType(
    {
        0: ResultKind.SUCCESS,
        1: ResultKind.ERROR_GENERIC,
        2: ResultKind.ERROR_ARGS,
        3: ResultKind.UNIMPLEMENTED,
        4: ResultKind.PERM,
        5: ResultKind.NOT_INSTALLED,
        6: ResultKind.NOT_CONFIGURED,
        7: ResultKind.NOT_RUNNING,
        8: ResultKind.PROMOTED,
        9: ResultKind.FAILED_PROMOTED,
    }
)
KIND_RCS: Final[Mapping[ResultKind, int]] = MappingProxyType(
    {k: rc for rc, k in RC_KINDS.items()}
    | {
        ResultKind.TIMEOUT: 1,
        ResultKind.CANCELLED: 1,
    }
)
# Pacemaker's op-status for a completed call with this kind
KIND_OP_STATUS: Final[Mapping[ResultKind, int]] = MappingProxyType(
    {
        ResultKind.TIMEOUT: OP_TIMEOUT,
        ResultKind.CANCELLED: OP_CANCELLED,
        ResultKind.NOT_INSTALLED: OP_NOT_INSTALLED,
        ResultKind.UNIMPLEMENTED: OP_NOTSUPPORTED,
        ResultKind.NOT_CONFIGURED: OP_ERROR_HARD,
        ResultKind.ERROR_ARGS: OP_ERROR_HARD,
        ResultKind.PERM: OP_ERROR,
    }
)


def kind_of_rc(rc: int) -> ResultKind:
    """The kind of an agent's exit code; anything outside 0-9 is a generic error."""
    return RC_KINDS.get(rc, ResultKind.ERROR_GENERIC)


def tail(text: str | bytes, limit: int = TAIL_CHARS) -> str:
    if isinstance(text, bytes):
        text = text[-limit * 4 :].decode("utf-8", "replace")
    return text[-limit:]


@dataclass(slots=True)
class Result:
    """What one execution of one action returned."""

    kind: ResultKind
    rc: int
    exit_reason: str = ""
    stdout: str = ""  # tail
    stderr: str = ""  # tail
    duration_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # executor-specific facts (pid, ...)

    @property
    def op_status(self) -> int:
        return KIND_OP_STATUS.get(self.kind, OP_DONE)

    @property
    def ok(self) -> bool:
        return self.kind is ResultKind.SUCCESS

    @classmethod
    def of_rc(cls, rc: int, exit_reason: str = "", **kw: Any) -> Result:
        return cls(kind=kind_of_rc(rc), rc=rc, exit_reason=exit_reason, **kw)

    @classmethod
    def of_kind(cls, kind: ResultKind, exit_reason: str = "", **kw: Any) -> Result:
        return cls(kind=kind, rc=KIND_RCS[kind], exit_reason=exit_reason, **kw)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = str(self.kind)
        d["op_status"] = self.op_status
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        return cls(
            kind=ResultKind(d["kind"]),
            rc=int(d["rc"]),
            exit_reason=str(d.get("exit_reason", "")),
            stdout=str(d.get("stdout", "")),
            stderr=str(d.get("stderr", "")),
            duration_ms=int(d.get("duration_ms", 0)),
            extra=dict(d.get("extra", {})),
        )
