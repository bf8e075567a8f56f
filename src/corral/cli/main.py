"""The ``corral`` command: one typer app; each sub-command lives in its own module
and registers itself here. Errors below the faces are CorralError values: this is
the one place that turns them into a one-line message and an exit code. Usage errors
(an unknown command or option, a bad option value) are one line too, with Click's
exit code 2."""

from __future__ import annotations

import sys

import click
import typer

from corral.cli.app import app
from corral.model.errors import CorralError, ValidationFailed


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


def error_line(e: CorralError) -> str:
    """The one line a CorralError prints as: every problem of a ValidationFailed,
    joined by "; "."""
    if isinstance(e, ValidationFailed) and e.problems:
        text = "; ".join(p.message for p in e.problems)
    else:
        text = e.message
    return "corral: error: " + " ".join(text.split())


def usage_line(e: Exception) -> str:
    """A Click usage error as one line, naming the command it is about."""
    format_message = getattr(e, "format_message", None)
    text = " ".join(str(format_message() if callable(format_message) else e).split())
    ctx = getattr(e, "ctx", None)
    if ctx is not None and getattr(e, "exit_code", 1) == 2:
        text += f" (see '{ctx.command_path} --help')"
    return "corral: error: " + text


# Click's errors; typer >= 0.24 carries its own copy of Click, whose errors derive from
# typer.TyperException instead
CLICK_ERRORS: tuple[type[Exception], ...] = (
    click.ClickException,
    *((typer.TyperException,) if hasattr(typer, "TyperException") else ()),
)
ABORTS: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)


def _fail(line: str, code: int) -> None:
    print(line, file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    _register()
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        # not standalone: Click's own errors come back here, to be printed as one line
        rc = command.main(args=args, prog_name="corral", standalone_mode=False)
    except CorralError as e:
        _fail(error_line(e), 2)
    except CLICK_ERRORS as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            # `corral` (or `corral resource`) alone: its help, as Click shows it
            _fail(e.format_message(), 2)  # type: ignore[attr-defined]
        _fail(usage_line(e), getattr(e, "exit_code", 2))
    except ABORTS:
        _fail("corral: error: aborted", 1)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
