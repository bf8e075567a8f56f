"""corral: a cluster resource manager with Pacemaker's semantics, offered as a service."""

__version__ = "0.1.0"
