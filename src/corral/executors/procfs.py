"""Facts about a process from /proc: is this pid still the process we started?

A pid alone is not an identity (pids are reused); (pid, start time in clock ticks
since boot) is. A zombie counts as gone.
"""

from __future__ import annotations

import os


def start_time(pid: int) -> int | None:
    """The process's start time (field 22 of /proc/<pid>/stat), None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    rest = data[data.rindex(b")") + 2 :].split()
    state = rest[0]
    if state in (b"Z", b"X"):
        return None
    return int(rest[19])


def is_alive(pid: int, started: int | None) -> bool:
    """True if ``pid`` runs and is the process that started at ``started`` ticks."""
    if pid <= 0:
        return False
    st = start_time(pid)
    return st is not None and (started is None or st == started)


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group (scans /proc)."""
    out: list[int] = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rindex(b")") + 2 :].split()
        if rest[0] in (b"Z", b"X"):
            continue
        if int(rest[2]) == pgid:
            out.append(int(name))
    return out
