"""``corral resource ...``: create, update, delete, move, ban, clear, cleanup, enable,
disable, restart and show resources (pcs's grammar). A thin face over
``corral.commands.resources``; agents are checked against what is installed here
(``corral.executors``) through the commands' ``AgentCatalog``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from corral.cli.app import app
from corral.cli.faces import WORDS, call
from corral.cli.target import ClusterOpt, DirOpt, StoreOpt, run
from corral.commands import resources
from corral.commands.args import (
    ROLE_NAMES,
    AgentName,
    ResourceArgs,
    parse_agent,
    parse_resource_words,
)
from corral.commands.catalog import ActionDefault, AgentInfo
from corral.commands.config_store import load_config
from corral.commands.resource_edits import CreateSpec
from corral.executors import agents
from corral.model import durations, jsonform
from corral.model.config import Clone, Group, Primitive, Resource
from corral.model.errors import CorralError, NotFound, Problems

resource_app = typer.Typer(
    name="resource",
    help="Create, change and move resources.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(resource_app)


class ExecutorCatalog:
    """The agents installed on this machine, as the commands need to know them."""

    def __init__(self) -> None:
        self.ocf = agents.MetadataCache()

    async def lookup(self, agent: AgentName) -> AgentInfo | None:
        if agent.cls == "ocf":
            assert agent.provider is not None
            try:
                md = await self.ocf.get(agent.provider, agent.type)
            except NotFound:
                return None
            return AgentInfo(
                agent=str(agent),
                parameters=frozenset(p.name for p in md.parameters),
                required=frozenset(md.required),
                actions=tuple(_action(a) for a in md.actions),
            )
        if agent.cls == "stonith":
            from corral.executors import fence_meta  # only for fence agents

            try:
                fence_meta.find_agent(agent.type)
            except CorralError:
                return None
            return AgentInfo(agent=str(agent))
        raise CorralError(
            f"class {agent.cls!r} is not one corral runs (ocf, process, stonith)",
            code="unsupported-class",
        )


def _action(a: agents.AgentAction) -> ActionDefault:
    role = ROLE_NAMES.get((a.role or "").lower())
    return ActionDefault(
        name=a.name,
        interval_ms=durations.try_parse_ms(a.interval) or 0,
        timeout_ms=durations.try_parse_ms(a.timeout),
        role=role,
    )


FORCE_HELP = "Allow a node that is not (yet) in the cluster"


def _say(text: str) -> None:
    typer.echo(text)


def _updated(ident: str, args: ResourceArgs) -> str:
    """What ``resource update`` changed, in the words typed: ``updated web: set
    fake=2, meta target-role=Started; removed meta foo; replaced op monitor``."""
    done: list[str] = []
    for section, attrs in (("", args.instance), ("meta ", args.meta)):
        set_ = [f"{section}{k}={v}" for k, v in attrs.items() if v != ""]
        gone = [f"{section}{k}" for k, v in attrs.items() if v == ""]
        if set_:
            done.append("set " + ", ".join(set_))
        if gone:
            done.append("removed " + ", ".join(gone))
    if args.ops:
        done.append("replaced " + ", ".join(f"op {o.name}" for o in args.ops))
    return f"updated {ident}: " + "; ".join(done)


@resource_app.command(
    "create",
    context_settings=WORDS,
    epilog="Example: corral resource create web process "
    'command="python3 -m http.server 8080" health=http:8080 op monitor interval=5s '
    "timeout=5s clone",
)
def create(
    name: Annotated[str, typer.Argument(help="The resource's id")],
    agent: Annotated[
        str, typer.Argument(help="CLASS:PROVIDER:TYPE (ocf:heartbeat:Dummy) or process")
    ],
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="key=value ... [op NAME key=value ...]... [meta key=value ...] "
            "[clone [ID] [key=value ...] | promotable [ID] [key=value ...]]",
            show_default=False,
        ),
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="Put it in this group")] = None,
    before: Annotated[str | None, typer.Option("--before", help="In the group, before")] = None,
    after: Annotated[str | None, typer.Option("--after", help="In the group, after")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it stopped")] = False,
    no_default_ops: Annotated[
        bool, typer.Option("--no-default-ops", help="Add no ops from the agent's meta-data")
    ] = False,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Create a resource.

    An agent with parameters, operations and meta attributes, alone, in a group or
    cloned."""
    p = Problems()
    parsed = parse_agent(p, agent, element=name)
    args = parse_resource_words(p, words or [], element=name)
    p.raise_if_any()
    assert parsed is not None
    spec = CreateSpec(
        name=name,
        agent=parsed,
        args=args,
        group=group,
        before=before,
        after=after,
        disabled=disabled,
        default_ops=not no_default_ops,
    )
    done = run(
        store,
        directory,
        cluster,
        lambda s, c: resources.create_resource(s, spec, cluster=c, catalog=ExecutorCatalog()),
    )
    _say(f"created {', '.join(done.value)}")


@resource_app.command("update", context_settings=WORDS)
def update(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="key=value ... [op NAME key=value ...]... [meta key=value ...]; "
            "key= removes an attribute",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Change a resource's parameters, operations and meta attributes.

    An op replaces the ops of its name; key= (empty) removes an attribute."""
    p = Problems()
    args = parse_resource_words(p, words or [], element=ident)
    p.raise_if_any()
    done = run(
        store,
        directory,
        cluster,
        lambda s, c: resources.update_resource(
            s, ident, args, cluster=c, catalog=ExecutorCatalog()
        ),
    )
    _say(_updated(ident, args) if done.written else f"{ident}: nothing changed")


@resource_app.command("delete")
def delete(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Delete a resource, and the constraints that name it."""
    done = call(store, directory, cluster, resources.delete_resource, ident)
    _say(f"deleted {', '.join(done.value)}")


@resource_app.command("enable")
def enable(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Let a resource run.

    Removes target-role from it, its members and the group or clone that holds it."""
    done = call(store, directory, cluster, resources.enable_resource, ident)
    _say(f"enabled {ident}" if done.written else f"{ident} is already enabled")


@resource_app.command("disable")
def disable(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Stop a resource and keep it stopped (target-role=Stopped)."""
    done = call(store, directory, cluster, resources.disable_resource, ident)
    _say(f"disabled {ident}" if done.written else f"{ident} is already disabled")


@resource_app.command("move")
def move(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    node: Annotated[str, typer.Argument(help="The node it should run on")],
    promoted: Annotated[
        bool, typer.Option("--promoted", help="Move the promoted role of a promotable clone")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Move a resource to NODE.

    Adds the location constraint cli-prefer-ID (INFINITY on NODE); remove it with
    `corral resource clear ID`."""
    done = call(
        store,
        directory,
        cluster,
        resources.move_resource,
        ident,
        node,
        promoted=promoted,
        force=force,
    )
    _say(f"{done.value}: {ident} prefers {node} (undo with: corral resource clear {ident})")


@resource_app.command("ban")
def ban(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    node: Annotated[str, typer.Argument(help="The node it must not run on")],
    promoted: Annotated[
        bool, typer.Option("--promoted", help="Ban only the promoted role")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Keep a resource off NODE.

    Adds the location constraint cli-ban-ID-on-NODE (-INFINITY); remove it with
    `corral resource clear ID`."""
    done = call(
        store,
        directory,
        cluster,
        resources.ban_resource,
        ident,
        node,
        promoted=promoted,
        force=force,
    )
    _say(f"{done.value}: {ident} avoids {node} (undo with: corral resource clear {ident})")


@resource_app.command("clear")
def clear(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    node: Annotated[str | None, typer.Argument(help="Only the constraints on this node")] = None,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Remove the constraints `move` and `ban` made for a resource."""
    done = call(store, directory, cluster, resources.clear_resource, ident, node)
    _say(f"removed {', '.join(done.value)}" if done.value else "nothing to clear")


@resource_app.command("cleanup")
def cleanup(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    node: Annotated[str | None, typer.Option("--node", help="Only on this node")] = None,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Forget a resource's failures.

    Deletes its operation history and fail counts on every node (or --node); the
    scheduler then probes it again."""
    done = call(store, directory, cluster, resources.cleanup_resource, ident, node=node)
    where = ", ".join(f"{r} on {n}" for n, r in done.records)
    _say(f"cleaned up {where}" if where else "nothing to clean up")


@resource_app.command("restart")
def restart(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The resource's id")],
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for it to stop")
    ] = 60.0,
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Stop a resource everywhere, then start it again.

    Waits until no node reports it running (this needs a running controller)."""
    run(
        store,
        directory,
        cluster,
        lambda s, c: resources.restart_resource(s, ident, cluster=c, timeout_s=timeout),
    )
    _say(f"restarted {ident}")


@resource_app.command("config")
def config(
    ident: Annotated[str | None, typer.Argument(metavar="[ID]", help="Only this one")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    store: StoreOpt = None,
    directory: DirOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Show the configured resources (or one)."""
    if fmt not in ("text", "json"):
        raise CorralError(f"--format is text or json, not {fmt!r}", code="bad-argument")
    cfg, _rev = run(store, directory, cluster, lambda s, c: load_config(s, c))
    items: list[Resource] = list(cfg.resources)
    if ident is not None:
        from corral.commands import tree

        found = tree.find(cfg, ident)
        if found is None:
            raise NotFound(f"there is no resource {ident!r}", code="not-found")
        items = [found.resource]
    if fmt == "json":
        typer.echo(json.dumps([jsonform.to_json(r) for r in items], indent=2))
        return
    for r in items:
        for line in _text(r, 0):
            typer.echo(line)


def _attrs(d: dict[str, str]) -> str:
    return " ".join(f"{k}={_quote(v)}" for k, v in d.items())


def _quote(v: str) -> str:
    return json.dumps(v) if (not v or any(ch in v for ch in " \t\"'")) else v


def _text(r: Any, depth: int) -> list[str]:
    pad = "  " * depth
    if isinstance(r, Primitive):
        lines = [f"{pad}{r.id} ({r.agent}) {_attrs(r.instance)}".rstrip()]
        if r.meta:
            lines.append(f"{pad}  meta {_attrs(r.meta)}")
        for op in r.ops:
            extra = {
                "interval": durations.format_ms(op.interval_ms),
                **({"timeout": durations.format_ms(op.timeout_ms)} if op.timeout_ms else {}),
                **({"role": op.role} if op.role else {}),
                **({"on-fail": op.on_fail} if op.on_fail else {}),
                **op.meta,
            }
            lines.append(f"{pad}  op {op.name} {_attrs(extra)}")
        return lines
    kind = "promotable clone" if isinstance(r, Clone) and r.promotable else r.kind
    lines = [f"{pad}{r.id} ({kind})"]
    if r.meta:
        lines.append(f"{pad}  meta {_attrs(r.meta)}")
    children = r.children if isinstance(r, Group) else [r.child]
    for child in children:
        lines += _text(child, depth + 1)
    return lines
