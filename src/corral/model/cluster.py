"""A cluster's name: the key prefix ``/corral/<cluster>/`` in the store.

One default for every face and daemon (``corral up``, the agent, the controller and
every command given only ``--store``), so they meet in the same keys unless told
otherwise (``--cluster`` or ``CORRAL_CLUSTER``).
"""

from __future__ import annotations

DEFAULT_CLUSTER = "default"
