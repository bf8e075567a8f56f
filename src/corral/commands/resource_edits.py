"""Pure edits of resources (create, update, delete, enable/disable): each takes a
``Config`` and a ``Problems``, changes the config in place and reports every
problem with its input. ``corral.commands.resources`` runs them against the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corral.commands import tree
from corral.commands.args import (
    AgentName,
    OpSpec,
    ResourceArgs,
    check_id,
    parse_duration,
    parse_role,
)
from corral.commands.catalog import AgentInfo
from corral.commands.change import all_ids
from corral.model import durations
from corral.model.config import Clone, Config, Group, Op, Primitive
from corral.model.errors import Problems

TRUE = frozenset({"true", "yes", "on", "1", "y"})
FALSE = frozenset({"false", "no", "off", "0", "n"})

# the ops pcs adds from the agent's meta-data when the person gives none of that name
DEFAULT_OPS = ("start", "stop", "monitor")
PROMOTABLE_OPS = ("promote", "demote")
FALLBACK_MONITOR = Op(id="", name="monitor", interval_ms=60_000, timeout_ms=20_000)


@dataclass(slots=True)
class CreateSpec:
    """``resource create NAME AGENT key=value ... [op ...] [meta ...] [clone ...]``."""

    name: str
    agent: AgentName
    args: ResourceArgs = field(default_factory=ResourceArgs)
    group: str | None = None
    before: str | None = None
    after: str | None = None
    disabled: bool = False
    default_ops: bool = True  # add start/stop/monitor from the agent's meta-data


def op_id(rsc: str, name: str, interval_ms: int, role: str | None = None) -> str:
    base = f"{rsc}-{name}-interval-{durations.format_ms(interval_ms) if interval_ms else '0s'}"
    return f"{base}-{role}" if role else base


def build_op(p: Problems, rsc: str, spec: OpSpec) -> Op | None:
    """An ``Op`` from ``op NAME key=value ...``: interval, timeout, role, on-fail, enabled
    and id are fields; any other key (OCF_CHECK_LEVEL, start-delay, ...) is op meta."""
    if not spec.name:
        return None
    attrs = dict(spec.attrs)
    where = f"{rsc} op {spec.name}"
    interval = parse_duration(p, attrs.pop("interval", "0"), element=where, field="interval")
    timeout_text = attrs.pop("timeout", None)
    timeout = (
        parse_duration(p, timeout_text, element=where, field="timeout")
        if timeout_text is not None
        else None
    )
    role_text = attrs.pop("role", None)
    role = parse_role(p, role_text, element=where) if role_text else None
    on_fail = attrs.pop("on-fail", None) or None
    enabled = True
    enabled_text = attrs.pop("enabled", None)
    if enabled_text is not None:
        if enabled_text.lower() in FALSE:
            enabled = False
        elif enabled_text.lower() not in TRUE:
            p.add(
                f"{enabled_text!r} is not true or false",
                element=where,
                field="enabled",
                code="bad-value",
            )
    if interval is None:
        return None
    ident = attrs.pop("id", None) or op_id(rsc, spec.name, interval, role)
    check_id(p, ident, what="operation id")
    return Op(
        id=ident,
        name=spec.name,
        interval_ms=interval,
        timeout_ms=timeout,
        role=role,
        on_fail=on_fail,
        enabled=enabled,
        meta=attrs,
    )


def default_ops(rsc: str, info: AgentInfo | None, *, promotable: bool) -> list[Op]:
    """The ops pcs would add from the agent's advertised actions."""
    wanted = DEFAULT_OPS + (PROMOTABLE_OPS if promotable else ())
    out: list[Op] = []
    if info is not None:
        for a in info.actions:
            if a.name not in wanted:
                continue
            if a.role is not None and not promotable:
                continue
            interval = a.interval_ms if a.name == "monitor" else 0
            out.append(
                Op(
                    id=op_id(rsc, a.name, interval, a.role),
                    name=a.name,
                    interval_ms=interval,
                    timeout_ms=a.timeout_ms,
                    role=a.role,
                )
            )
    if not any(o.name == "monitor" for o in out):
        m = FALLBACK_MONITOR
        out.append(Op(op_id(rsc, m.name, m.interval_ms), m.name, m.interval_ms, m.timeout_ms))
    return out


def create(config: Config, p: Problems, spec: CreateSpec, info: AgentInfo | None) -> list[str]:
    """Add the primitive (in its group, or wrapped in its clone). Returns the ids made."""
    ids = all_ids(config)
    name = spec.name
    made: list[str] = []
    if check_id(p, name, what="resource id") and name in ids:
        p.add(f"the id is already used by a {ids[name]}", element=name, code="duplicate-id")
    a = spec.args
    ops = [op for op in (build_op(p, name, o) for o in a.ops) if op is not None]
    if spec.default_ops:
        have = {o.name for o in ops}
        ops += [o for o in default_ops(name, info, promotable=a.promotable) if o.name not in have]
    meta = dict(a.meta)
    if spec.disabled:
        meta["target-role"] = "Stopped"
    prim = Primitive(
        id=name,
        cls=spec.agent.cls,
        type=spec.agent.type,
        provider=spec.agent.provider,
        instance={k: v for k, v in a.instance.items() if v != ""},
        meta=meta,
        ops=ops,
    )
    made.append(name)
    if a.clone and spec.group:
        p.add("a resource is put in a group or cloned, not both", element=name, code="bad-argument")
        return made
    if a.clone:
        clone_id = a.clone_id or f"{name}-clone"
        if check_id(p, clone_id, what="clone id") and (clone_id in ids or clone_id == name):
            p.add("the clone id is already used", element=clone_id, code="duplicate-id")
        config.resources.append(
            Clone(id=clone_id, child=prim, meta=dict(a.clone_meta), promotable=a.promotable)
        )
        made.append(clone_id)
        return made
    if spec.group:
        _add_to_group(config, p, prim, spec, ids)
        return made
    if spec.before or spec.after:
        p.add("--before/--after need --group", element=name, code="bad-argument")
    config.resources.append(prim)
    return made


def _add_to_group(
    config: Config, p: Problems, prim: Primitive, spec: CreateSpec, ids: dict[str, str]
) -> None:
    g = spec.group
    assert g is not None
    found = tree.find(config, g)
    if found is None:
        if check_id(p, g, what="group id") and g == prim.id:
            p.add("a group and its member need different ids", element=g, code="duplicate-id")
        if spec.before or spec.after:
            p.add(f"group {g!r} does not exist yet", element=g, code="not-found")
        config.resources.append(Group(id=g, children=[prim]))
        return
    group = found.resource
    if not isinstance(group, Group):
        p.add(f"{g!r} is a {group.kind}, not a group", element=g, code="not-a-group")
        return
    ref = spec.before or spec.after
    if ref is None:
        group.children.append(prim)
        return
    at = next((i for i, c in enumerate(group.children) if c.id == ref), None)
    if at is None:
        p.add(f"group {g!r} has no member {ref!r}", element=g, code="not-found")
        return
    group.children.insert(at if spec.before else at + 1, prim)


def _apply_attrs(target: dict[str, str], changes: dict[str, str]) -> None:
    """Set each attribute; an empty value removes it (pcs's ``key=``)."""
    for k, v in changes.items():
        if v == "":
            target.pop(k, None)
        else:
            target[k] = v


def update(config: Config, p: Problems, ident: str, args: ResourceArgs) -> None:
    """``resource update ID key=value ... [op NAME ...] [meta ...]``: instance attributes of
    a primitive (for a group or clone, plain ``key=value`` words are its meta); an op
    replaces the ops of that name; ``key=`` removes an attribute."""
    found = tree.require(p, config, ident)
    if found is None:
        return
    r = found.resource
    if args.clone:
        p.add("update does not clone; use a new resource", element=ident, code="bad-argument")
    if isinstance(r, Primitive):
        _apply_attrs(r.instance, args.instance)
        ops = [op for op in (build_op(p, ident, o) for o in args.ops) if op is not None]
        names = {o.name for o in ops}
        r.ops = [o for o in r.ops if o.name not in names] + ops
    else:
        if args.ops:
            p.add(f"a {r.kind} has no operations", element=ident, field="op", code="bad-argument")
        _apply_attrs(r.meta, args.instance)
    _apply_attrs(r.meta, args.meta)


def delete(config: Config, p: Problems, ident: str) -> list[str]:
    """Remove a resource and every constraint naming it. Returns the ids removed."""
    if tree.require(p, config, ident) is None:
        return []
    gone = tree.remove_resource(config, ident)
    dropped = tree.remove_references(config, set(gone))
    return gone + dropped


def set_target_role(config: Config, p: Problems, ident: str, role: str | None) -> None:
    """disable: ``target-role=Stopped`` on the resource; enable (``role=None``): remove
    ``target-role`` from it, its members and the group/clone holding it."""
    found = tree.require(p, config, ident)
    if found is None:
        return
    if role is not None:
        found.resource.meta["target-role"] = role
        return
    for r in [*tree.descendants(found.resource), *tree.ancestors(config, ident)]:
        r.meta.pop("target-role", None)


__all__ = [
    "CreateSpec",
    "build_op",
    "create",
    "default_ops",
    "delete",
    "op_id",
    "set_target_role",
    "update",
]
