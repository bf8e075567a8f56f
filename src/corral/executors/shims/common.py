"""What every shim shares: which node and state directory it serves, and
Pacemaker 2.1's exit codes and messages."""

from __future__ import annotations

import os
import sys

CRM_EX_OK = 0
CRM_EX_USAGE = 64
CRM_EX_NOSUCH = 105  # "No such device or address"
NOSUCH_MESSAGE = "Error performing operation: No such device or address"


def local_node() -> str:
    return (
        os.environ.get("OCF_RESKEY_CRM_meta_on_node")  # noqa: SIM112
        or os.environ.get("CORRAL_NODE")
        or os.uname().nodename
    )


def state_dir() -> str:
    d = os.environ.get("CORRAL_STATE_DIR")
    if not d:
        print("corral shim: CORRAL_STATE_DIR is not set", file=sys.stderr)
        raise SystemExit(CRM_EX_USAGE)
    return d


def usage_error(prog: str, message: str) -> int:
    print(f"{prog}: {message}", file=sys.stderr)
    return CRM_EX_USAGE
