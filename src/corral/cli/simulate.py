"""``corral simulate``: run the scheduler on a CIB and show what it decides.

``--format pacemaker`` prints what ``crm_simulate -x CIB -S`` prints (with
``--show-scores``, the allocation scores as ``-sSQ`` does); ``text`` is corral's
own short form; ``json`` the transition for programs.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer

from corral.cli.app import app
from corral.model.config import Config
from corral.model.status import Status
from corral.pacemaker.cib_reader import read_cib_file
from corral.scheduler import Transition, schedule


class Format(StrEnum):
    pacemaker = "pacemaker"
    text = "text"
    json = "json"


def simulate_cib(path: str | Path, now: int | None = None) -> tuple[Config, Status, Transition]:
    """Read the CIB at ``path`` and schedule it at ``now`` (its execution-date if
    it has one, else the current time). Raises CorralError on bad input."""
    config, status = read_cib_file(path, now=now)
    if now is None:
        now = status.execution_date if status.execution_date is not None else int(time.time())
    return config, status, schedule(config, status, now)


def render(
    config: Config, status: Status, transition: Transition, fmt: Format, show_scores: bool
) -> str:
    if fmt is Format.pacemaker:
        from corral.pacemaker.render import render_simulation

        return render_simulation(config, status, transition, show_scores)
    from corral.cli.simulate_text import render_json, render_text

    if fmt is Format.json:
        return render_json(transition, show_scores=show_scores)
    return render_text(transition, show_scores=show_scores)


def simulate_text(
    path: str | Path,
    fmt: Format = Format.pacemaker,
    show_scores: bool = False,
    now: int | None = None,
) -> str:
    """What ``corral simulate`` prints, as a string (the bench calls this in-process)."""
    config, status, transition = simulate_cib(path, now)
    return render(config, status, transition, fmt, show_scores)


@app.command()
def simulate(
    xml: str = typer.Option(..., "--xml", "-x", help="A Pacemaker CIB XML file"),
    fmt: Format = typer.Option(
        Format.pacemaker, "--format", "-f", help="pacemaker (crm_simulate -S), text or json"
    ),
    show_scores: bool = typer.Option(
        False, "--show-scores", "-s", help="Also show allocation scores (crm_simulate -sSQ)"
    ),
    now: int | None = typer.Option(
        None, "--now", help="Schedule at this epoch time (default: the CIB's execution-date)"
    ),
) -> None:
    """Show what the scheduler would do for a cluster described as CIB XML."""
    typer.echo(simulate_text(xml, fmt, show_scores, now), nl=False)
