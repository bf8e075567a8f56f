"""Run one command to completion with a hard timeout, the way every executor needs it.

The command starts in a new session (its own process group). Its output goes to
anonymous temporary files rather than pipes, so a daemon it leaves behind holding
stdout open can never make us wait. On timeout (or cancellation) the whole process
group is SIGKILLed; the caller gets ``timed_out`` and never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from typing import IO

OUTPUT_TAIL_BYTES = 8192


@dataclass(slots=True)
class Outcome:
    rc: int | None  # None: did not run to completion (timeout) or could not start
    stdout: str
    stderr: str
    duration_ms: int
    timed_out: bool = False
    start_error: str = ""  # why it could not start (e.g. "No such file or directory")
    start_errno: int = 0


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> bool:
    """Signal a whole process group; False if no process is left in it."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_tail(fh: IO[bytes], limit: int) -> str:
    try:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - limit))
        return fh.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""


async def run(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout_s: float,
    user: str | None = None,
    max_output: int = OUTPUT_TAIL_BYTES,
) -> Outcome:
    """Run ``argv`` and wait at most ``timeout_s`` seconds for it to exit. The result keeps
    the last ``max_output`` bytes of stdout and the last 8 KiB of stderr."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=cwd,
                start_new_session=True,
                user=user,
            )
        except OSError as e:
            return Outcome(
                rc=None,
                stdout="",
                stderr="",
                duration_ms=int((time.monotonic() - t0) * 1000),
                start_error=f"{argv[0]}: {e.strerror or e}",
                start_errno=e.errno or 0,
            )
        timed_out = False
        try:
            rc: int | None = await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            timed_out = True
            rc = None
            kill_group(proc.pid)
            await proc.wait()
        except asyncio.CancelledError:
            kill_group(proc.pid)
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        # a timed-out agent's group is gone; a finished agent's leftovers are its business
        return Outcome(
            rc=rc,
            stdout=_read_tail(out, max_output),
            stderr=_read_tail(err, OUTPUT_TAIL_BYTES),
            duration_ms=int((time.monotonic() - t0) * 1000),
            timed_out=timed_out,
        )
