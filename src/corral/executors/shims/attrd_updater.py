"""corral's ``attrd_updater``: transient node attributes (Pacemaker's attribute
manager), with 2.1's query output ``name="X" host="N" value="V"``.

    attrd_updater -n NAME -U VALUE | -Q [-A] | -D  [-N node] [-p]
"""

from __future__ import annotations

import argparse
import sys

from corral.executors import attributes
from corral.executors.shims.common import CRM_EX_NOSUCH, CRM_EX_OK, local_node, state_dir

PROG = "attrd_updater"


def run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog=PROG)
    p.add_argument("-n", "--name", required=True)
    p.add_argument("-U", "--update", "-v")
    p.add_argument("-B", "--update-both")
    p.add_argument("-Y", "--update-delay", action="store_true")
    p.add_argument("-Q", "--query", action="store_true")
    p.add_argument("-D", "--delete", action="store_true")
    p.add_argument("-N", "--node")
    p.add_argument("-A", "--all", action="store_true")
    p.add_argument("-p", "--private", action="store_true")
    p.add_argument("-l", "--lifetime")
    p.add_argument("-d", "--delay")
    p.add_argument("-s", "--set")
    p.add_argument("-R", "--refresh", action="store_true")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) and 64
    sd = state_dir()
    node = a.node or local_node()
    section = "private" if a.private else "reboot"
    value = a.update if a.update is not None else a.update_both
    if a.delete:
        attributes.set_value(sd, "private", node, a.name, None)
        attributes.set_value(sd, "reboot", node, a.name, None)
        return CRM_EX_OK
    if value is not None:
        attributes.set_value(sd, section, node, a.name, value)
        return CRM_EX_OK
    if a.refresh:
        return CRM_EX_OK
    data = attributes.load(sd)
    nodes = sorted(set(data["reboot"]) | set(data["private"])) if a.all else [node]
    found = False
    for n in nodes:
        v = data["private"].get(n, {}).get(a.name, data["reboot"].get(n, {}).get(a.name))
        if v is not None:
            found = True
            print(f'name="{a.name}" host="{n}" value="{v}"')
    if not found:
        print(f"Could not query value of {a.name}: attribute does not exist", file=sys.stderr)
        return CRM_EX_NOSUCH
    return CRM_EX_OK


def main() -> int:
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
