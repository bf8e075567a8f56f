"""Example service sets that ``corral up --example NAME`` puts in a new local cluster.

An example is the list of ``corral`` commands a person would type; ``up`` runs them
one by one in-process (same parsing, validation and errors) and prints them, so
the example also shows how it is written.

``webfarm``: a database and a farm of two web servers, without any virtual IP.

* ``db`` — ``ocf:heartbeat:Dummy`` (stands for a database), monitored every 5 s;
* ``web`` — a ``process`` resource cloned twice (``web-clone``, clone-max=2): Python's
  ``http.server`` on ``$CORRAL_NODE_ADDR:PORT``. Each local node has its own loopback
  address (127.0.1.<k> for node n<k>), so the two instances, on two nodes of one host,
  bind the same port without colliding; its health check is an HTTP GET on that
  address, and its page says which node serves it;
* ``db then web-clone`` — the web servers start only once the database runs (and stop
  before it).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

DEFAULT_PORT = 8080


def webfarm(directory: Path, port: int) -> list[list[str]]:
    www = shlex.quote(str(directory / "www"))
    serve = (
        f'd={www}/"$CORRAL_NODE"; mkdir -p "$d"; '
        'echo "web on $CORRAL_NODE ($CORRAL_NODE_ADDR)" > "$d/index.html"; '
        f'exec python3 -m http.server {port} --bind "$CORRAL_NODE_ADDR" --directory "$d"'
    )
    return [
        ["resource", "create", "db", "ocf:heartbeat:Dummy",
         "op", "monitor", "interval=5s", "timeout=10s"],
        ["resource", "create", "web", "process", f"command=sh -c {shlex.quote(serve)}",
         f"health=http:$CORRAL_NODE_ADDR:{port}/",
         "op", "monitor", "interval=2s", "timeout=5s", "clone", "clone-max=2"],
        ["constraint", "order", "db", "then", "web-clone"],
    ]  # fmt: skip


EXAMPLES: dict[str, Callable[[Path, int], list[list[str]]]] = {"webfarm": webfarm}


def commands(name: str, directory: Path, port: int = DEFAULT_PORT) -> list[list[str]]:
    """The ``corral`` commands (argument lists, without ``corral``) of example ``name``."""
    from corral.model.errors import CorralError

    make = EXAMPLES.get(name)
    if make is None:
        raise CorralError(
            f"no example {name!r} (known: {', '.join(sorted(EXAMPLES))})", code="bad-argument"
        )
    return make(directory, port)


__all__ = ["DEFAULT_PORT", "EXAMPLES", "commands"]
