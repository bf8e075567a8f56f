"""``corral constraint ...``: location, colocation, order, list, delete (pcs's grammar).
A thin face over ``corral.commands.constraints``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from corral.cli.app import app
from corral.cli.faces import WORDS, call
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt, run
from corral.commands import constraints
from corral.model import score as scores
from corral.model.config import Colocation, Location, Order, ResourceSet, Ticket
from corral.model.errors import CorralError

constraint_app = typer.Typer(
    name="constraint",
    help="Say where resources run, together or apart, and in which order.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(constraint_app)
colocation_app = typer.Typer(
    name="colocation",
    help="Place resources together or apart.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
constraint_app.add_typer(colocation_app)


@constraint_app.command(
    "location",
    context_settings=WORDS,
    epilog="Example: corral constraint location web prefers n1=100 n2",
)
def location(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="RSC prefers|avoids NODE[=SCORE]...",
            help="prefers: SCORE defaults to INFINITY; avoids: to -INFINITY (avoids N=50 is -50)",
        ),
    ],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Make a resource prefer or avoid nodes."""
    done = call(store, directory, cluster, constraints.add_location, words)
    typer.echo(f"created {', '.join(done.value)}")


@colocation_app.command(
    "add",
    context_settings=WORDS,
    epilog="Example: corral constraint colocation add web with db INFINITY",
)
def colocation_add(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="[ROLE] A with [ROLE] B [SCORE] [id=ID] [node-attribute=ATTR]",
            help="A is placed where B is (SCORE > 0) or away from it (< 0); "
            "SCORE defaults to INFINITY",
        ),
    ],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Place resource A relative to resource B."""
    done = call(store, directory, cluster, constraints.add_colocation, words)
    typer.echo(f"created {done.value}")


@constraint_app.command(
    "order",
    context_settings=WORDS,
    epilog="Example: corral constraint order db then web kind=Mandatory",
)
def order(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="[ACTION] A then [ACTION] B [kind=Mandatory|Optional|Serialize] "
            "[symmetrical=BOOL] [id=ID]",
            help="ACTION: start (default), stop, promote, demote",
        ),
    ],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Start (or promote, ...) resource B only after A."""
    done = call(store, directory, cluster, constraints.add_order, words)
    typer.echo(f"created {done.value}")


@constraint_app.command("delete")
def delete(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Constraint ids")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Delete constraints by id (see `constraint list`)."""
    done = call(store, directory, cluster, constraints.delete_constraints, ids)
    typer.echo(f"deleted {', '.join(done.value)}")


@constraint_app.command("list")
def list_(
    rsc: Annotated[
        str | None, typer.Option("--resource", help="Only those naming this resource")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """List every constraint, with its id."""
    if fmt not in ("text", "json"):
        raise CorralError(f"--format is text or json, not {fmt!r}", code="bad-argument")
    got = run(
        store, directory, cluster, lambda s, c: constraints.list_constraints(s, cluster=c, rsc=rsc)
    )
    if fmt == "json":
        typer.echo(json.dumps(got.to_json(), indent=2))
        return
    sections: list[tuple[str, list[str]]] = [
        ("Location", [_location(c) for c in got.locations]),
        ("Colocation", [_colocation(c) for c in got.colocations]),
        ("Order", [_order(c) for c in got.orders]),
        ("Ticket", [_ticket(c) for c in got.tickets]),
    ]
    for title, lines in sections:
        if lines:
            typer.echo(f"{title} constraints:")
            for line in lines:
                typer.echo(f"  {line}")


def _score(v: int | None) -> str:
    return scores.to_str(v) if v is not None else "?"


def _sets(sets: list[ResourceSet]) -> str:
    return " ".join(f"set ({' '.join(s.resources)})" for s in sets)


def _role(role: str | None) -> str:
    return f"{role} " if role else ""


def _location(c: Location) -> str:
    what = c.rsc or f"pattern {c.rsc_pattern}"
    if c.node is not None:
        verb = "prefers" if (c.score or 0) >= 0 else "avoids"
        where = f"{verb} {c.node}={_score(abs(c.score or 0)) if c.score is not None else '?'}"
    else:
        where = f"rules ({len(c.rules)})"
    role = f" (role {c.role})" if c.role and c.role != "Started" else ""
    return f"{c.id}: {what} {where}{role}"


def _colocation(c: Colocation) -> str:
    if c.sets:
        return f"{c.id}: {_sets(c.sets)} score={_score(c.score)}"
    a = f"{_role(c.rsc_role)}{c.rsc}"
    b = f"{_role(c.with_rsc_role)}{c.with_rsc}"
    return f"{c.id}: {a} with {b} score={_score(c.score)}"


def _order(o: Order) -> str:
    if o.sets:
        return f"{o.id}: {_sets(o.sets)} kind={o.kind}"
    then_action = o.then_action or o.first_action
    sym = "" if o.symmetrical is None else f" symmetrical={str(o.symmetrical).lower()}"
    return f"{o.id}: {o.first_action} {o.first} then {then_action} {o.then} kind={o.kind}{sym}"


def _ticket(t: Ticket) -> str:
    what = t.rsc if t.rsc else _sets(t.sets)
    return f"{t.id}: {what} needs ticket {t.ticket} (loss-policy={t.loss_policy})"
