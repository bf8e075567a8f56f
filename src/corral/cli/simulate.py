"""``corral simulate``: run the scheduler on a CIB, or on the saved input of one of a
cluster's transitions, and show what it decides.

``--format pacemaker`` prints what ``crm_simulate -x CIB -S`` prints (with
``--show-scores``, the allocation scores as ``-sSQ`` does); ``text`` is corral's
own short form; ``json`` the transition for programs.

``--transition N`` replays transition N of a running cluster (found like every other
command: ``--store``, ``--dir``, ``--cluster``, ``CORRAL_STORE``/``CORRAL_DIR``): the
controller saved what it gave the scheduler, so the decision can be explained after
the fact. ``--list-transitions`` shows which are kept.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from corral.cli import target
from corral.cli.app import app
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt
from corral.commands import transitions
from corral.commands.transitions import SavedTransition
from corral.model.config import Config
from corral.model.errors import CorralError
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


def replay_text(
    saved: SavedTransition, fmt: Format = Format.text, show_scores: bool = False
) -> str:
    """What ``corral simulate --transition N`` prints: the scheduler run again on the
    saved input, at the saved time."""
    transition = schedule(saved.config, saved.status, saved.now)
    if fmt is Format.pacemaker:
        from corral.pacemaker.render import render_simulation

        return render_simulation(saved.config, saved.status, transition, show_scores, saved.now)
    if fmt is Format.json:
        from corral.cli.simulate_text import transition_dict

        doc = {
            "n": saved.n,
            "revision": saved.revision,
            "time": saved.time,
            "now": saved.now,
            "planned": saved.actions,
            "transition": transition_dict(transition, show_scores=show_scores),
        }
        return json.dumps(doc, indent=2) + "\n"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(saved.time))
    head = f"Transition {saved.n}, planned {stamp} from store revision {saved.revision}\n"
    return head + render(saved.config, saved.status, transition, fmt, show_scores)


def list_text(saved: list[dict[str, Any]], fmt: Format) -> str:
    if fmt is Format.json:
        return json.dumps(saved, indent=2) + "\n"
    if not saved:
        return "No saved transitions.\n"
    lines = []
    for t in saved:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t["time"] or 0))
        acts = ", ".join(t["actions"][:4]) + (" ..." if len(t["actions"]) > 4 else "")
        lines.append(f"{t['n']:>6}  {stamp}  {acts}")
    return "\n".join(lines) + "\n"


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
    xml: str | None = typer.Option(None, "--xml", "-x", help="A Pacemaker CIB XML file"),
    transition: int | None = typer.Option(
        None, "--transition", "-t", help="Replay this transition of a cluster (its saved input)"
    ),
    list_transitions: bool = typer.Option(
        False, "--list-transitions", help="List a cluster's saved transitions"
    ),
    fmt: Format | None = typer.Option(
        None,
        "--format",
        "-f",
        help="pacemaker (crm_simulate -S), text or json [default: pacemaker for --xml, "
        "text for --transition]",
        show_default=False,
    ),
    show_scores: bool = typer.Option(
        False, "--show-scores", "-s", help="Also show allocation scores (crm_simulate -sSQ)"
    ),
    now: int | None = typer.Option(
        None, "--now", help="Schedule at this epoch time (default: the CIB's execution-date)"
    ),
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Show what the scheduler would do for a cluster described as CIB XML, or replay one
    of a running cluster's transitions."""
    chosen = [x for x in (xml is not None, transition is not None, list_transitions) if x]
    if len(chosen) != 1:
        raise CorralError(
            "give one of --xml FILE, --transition N or --list-transitions", code="bad-argument"
        )
    if xml is not None:
        typer.echo(simulate_text(xml, fmt or Format.pacemaker, show_scores, now), nl=False)
        return
    if list_transitions:
        got = target.run(
            store, directory, cluster, lambda s, c: transitions.list_transitions(s, cluster=c)
        )
        typer.echo(list_text(got, fmt or Format.text), nl=False)
        return
    assert transition is not None
    n = transition
    saved = target.run(
        store, directory, cluster, lambda s, c: transitions.load_transition(s, n, cluster=c)
    )
    typer.echo(replay_text(saved, fmt or Format.text, show_scores), nl=False)
