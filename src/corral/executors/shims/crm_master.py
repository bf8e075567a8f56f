"""corral's ``crm_master`` (deprecated in Pacemaker 2.1, removed in 3; agents such as
redis still call it): the promotion score ``master-<OCF_RESOURCE_INSTANCE>`` of the
local node, by way of ``crm_attribute``.

    crm_master [-N node] [-l reboot|forever] -v SCORE | -G [-q] | -D  [-r RSC]
"""

from __future__ import annotations

import argparse
import os
import sys

from corral.executors.shims import crm_attribute
from corral.executors.shims.common import local_node, usage_error

PROG = "crm_master"


def run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog=PROG)
    p.add_argument("-N", "--node")
    p.add_argument("-l", "--lifetime", default="forever")
    p.add_argument("-v", "--update")
    p.add_argument("-G", "--query", "--get-value", dest="query", action="store_true")
    p.add_argument("-D", "--delete", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-r", "--resource")
    p.add_argument("-i", "--id")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) and 64
    rsc = a.resource or os.environ.get("OCF_RESOURCE_INSTANCE", "")
    if not rsc:
        return usage_error(PROG, "no resource: set OCF_RESOURCE_INSTANCE or use -r")
    args = ["-N", a.node or local_node(), "-n", f"master-{rsc}", "-l", a.lifetime]
    if a.update is not None:
        args += ["-v", a.update]
    elif a.delete:
        args += ["-D"]
    else:
        args += ["-G"]
    if a.quiet:
        args += ["-q"]
    return crm_attribute.run(args, prog=PROG)


def main() -> int:
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
