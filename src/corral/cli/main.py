"""The ``corral`` command: one typer app; each sub-command lives in its own module
and registers itself here. Errors below the faces are CorralError values: this is
the one place that turns them into a one-line message and an exit code."""

from __future__ import annotations

import sys

from corral.cli.app import app
from corral.model.errors import CorralError


def _register() -> None:
    # Each module adds its commands to ``app``; imported here, never at module level
    # of one another, so that a face is only as heavy as what it uses.
    from corral.cli import (  # noqa: F401
        agent,
        agents,
        cib,
        constraint,
        controller,
        down,
        node,
        resource,
        simulate,
        status,
        stonith,
        up,
        watchdog,
    )


def main(argv: list[str] | None = None) -> None:
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except CorralError as e:
        print(f"corral: error: {e.message}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
