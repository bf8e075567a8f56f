"""corral.local: a cluster on one machine (``corral up`` / ``corral down``): per node a
cgroup v2 group holding its agent, its watchdog and a controller candidate."""
