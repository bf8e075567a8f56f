"""What the thin CLI faces over ``corral.commands`` share: the context settings of a
command that takes pcs-style words (``key=value``, ``op ...``, ``meta ...``), and
``call``, which runs one commands function on the resolved target's store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, TypeVar

from corral.cli.target import run

T = TypeVar("T")

# Click's settings for a command whose trailing words are not options of its own.
WORDS: Final[Mapping[str, bool]] = MappingProxyType(
    {"ignore_unknown_options": True, "allow_interspersed_args": True}
)


def call(
    store: str | None,
    directory: Path | None,
    cluster: str | None,
    command: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """``command(store, *args, cluster=<cluster>, **kwargs)`` on the resolved target."""
    return run(store, directory, cluster, lambda s, c: command(s, *args, cluster=c, **kwargs))


__all__ = ["WORDS", "call"]
