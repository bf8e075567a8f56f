"""The one typer application every sub-command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="corral",
    help="corral: keep services running through failures (Pacemaker semantics).",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """corral: keep services running through failures (Pacemaker semantics)."""
