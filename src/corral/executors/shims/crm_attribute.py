"""corral's ``crm_attribute``: query, update and delete node attributes and cluster
options, with Pacemaker 2.1's options, output and exit codes (the basics agents use).

    crm_attribute -N node -l reboot -n NAME -v VALUE | -G [-q] [-d DEFAULT] | -D
    crm_attribute -p [RSC] -v SCORE | -G -q | -D           (promotion score)
    crm_attribute --type crm_config -n NAME -v VALUE | --query -q
"""

from __future__ import annotations

import argparse
import os
import sys

from corral.executors import attributes
from corral.executors.shims.common import (
    CRM_EX_NOSUCH,
    CRM_EX_OK,
    NOSUCH_MESSAGE,
    local_node,
    state_dir,
    usage_error,
)

PROG = "crm_attribute"
# output scope name by section
SCOPES = {"reboot": "status", "forever": "nodes", "crm_config": "crm_config"}
TYPES = {
    "status": "reboot",
    "nodes": "forever",
    "crm_config": "crm_config",
    "rsc_defaults": "crm_config",
    "op_defaults": "crm_config",
}
LIFETIMES = {"reboot": "reboot", "forever": "forever", "permanent": "forever"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, add_help=True)
    p.add_argument("-n", "--name", "--attr-name")
    p.add_argument("-v", "--update", "--attr-value", dest="update")
    p.add_argument("-D", "--delete", action="store_true")
    p.add_argument("-G", "--query", "--get-value", dest="query", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-N", "-U", "--node", "--uname", dest="node")
    p.add_argument("-l", "--lifetime")
    p.add_argument("-t", "--type")
    p.add_argument("-s", "--set-name")
    p.add_argument("-i", "--id")
    p.add_argument("-d", "--default")
    p.add_argument("-p", "--promotion", nargs="?", const="", default=None)
    p.add_argument("-z", "--utilization", action="store_true")
    p.add_argument("-W", "--pattern")
    return p


def run(argv: list[str], prog: str = PROG) -> int:
    try:
        a = parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) and 64
    section: str
    node: str | None = a.node
    name: str | None = a.name
    if a.promotion is not None:
        rsc = a.promotion or os.environ.get("OCF_RESOURCE_INSTANCE", "")
        if not rsc:
            return usage_error(prog, "--promotion needs a resource (or OCF_RESOURCE_INSTANCE)")
        name = f"master-{rsc}"
        section = LIFETIMES.get(a.lifetime or "reboot", "reboot")
        node = node or local_node()
    elif a.type:
        if a.type not in TYPES:
            return usage_error(prog, f"unknown --type {a.type}")
        section = TYPES[a.type]
    elif a.lifetime:
        if a.lifetime not in LIFETIMES:
            return usage_error(prog, f"unknown --lifetime {a.lifetime}")
        section = LIFETIMES[a.lifetime]
    else:
        section = "forever" if node else "crm_config"
    if section != "crm_config":
        node = node or local_node()
    if not name:
        return usage_error(prog, "an attribute name (-n) is required")
    sd = state_dir()
    if a.delete:
        attributes.set_value(sd, section, node, name, None)
        return CRM_EX_OK
    if a.update is not None:
        attributes.set_value(sd, section, node, name, a.update)
        return CRM_EX_OK
    # query (the default action)
    value = attributes.get(sd, section, node, name)
    if value is None:
        if a.default is None:
            print(NOSUCH_MESSAGE, file=sys.stderr)
            return CRM_EX_NOSUCH
        value = a.default
    if a.quiet:
        print(value)
    else:
        print(f"scope={SCOPES[section]}  name={name} value={value}")
    return CRM_EX_OK


def main() -> int:
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
