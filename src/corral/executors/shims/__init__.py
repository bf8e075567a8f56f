"""corral's versions of the Pacemaker commands OCF agents call (crm_attribute,
crm_master, attrd_updater, crm_node), backed by the node's attribute file.

Each is a ``python -m corral.executors.shims.<name>`` entry point; ``install``
writes a per-node bin directory of tiny shell wrappers around them. Standard
library only, so a call costs one interpreter start-up.
"""
