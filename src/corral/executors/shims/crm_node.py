"""corral's ``crm_node``: the basics (-n name, -i id, -l list, -p partition, -q quorum).

The member list comes from ``<state>/members.json`` (written by the node agent from
the store's ``members/``); without it the local node is the only member.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from corral.executors.shims.common import CRM_EX_OK, local_node

PROG = "crm_node"


def members() -> list[str]:
    sd = os.environ.get("CORRAL_STATE_DIR", "")
    try:
        with open(os.path.join(sd, "members.json")) as f:
            names = [str(n) for n in json.load(f)]
    except (OSError, ValueError, TypeError):
        names = []
    me = local_node()
    return sorted(set(names) | {me})


def run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog=PROG)
    p.add_argument("-n", "--name", action="store_true")
    p.add_argument("-i", "--cluster-id", action="store_true")
    p.add_argument("-l", "--list", action="store_true")
    p.add_argument("-p", "--partition", action="store_true")
    p.add_argument("-q", "--quorum", action="store_true")
    p.add_argument("-N", "--name-for-id")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) and 64
    names = members()
    if a.list:
        for i, n in enumerate(names, 1):
            print(f"{i} {n} member")
    elif a.partition:
        print(" ".join(names))
    elif a.quorum:
        print("1")
    elif a.cluster_id:
        print(names.index(local_node()) + 1)
    elif a.name_for_id:
        idx = int(a.name_for_id) - 1 if a.name_for_id.isdigit() else -1
        if not 0 <= idx < len(names):
            return 105
        print(names[idx])
    else:
        print(local_node())
    return CRM_EX_OK


def main() -> int:
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
