"""Fencing, the pure part: which devices can fence a node, and in which order.

Pacemaker's rules, in its words:

- A fencing *topology* gives, per target node, an ordered list of levels; each
  level is one or more devices that must all succeed. Levels are tried in index
  order; the next one only when the current one failed.
- Without a topology, any device that can fence the target may be used.
- Whether a device can fence a node follows ``pcmk_host_check``:
  ``static-list`` (the node is in ``pcmk_host_list`` or ``pcmk_host_map``),
  ``dynamic-list`` (the agent's ``list`` action names it), ``status`` (the
  agent's ``status`` with the node as plug answers), ``none`` (any node). The
  default is static-list when a host list or map is set, else dynamic-list when
  the agent has a ``list`` action, else status when it has ``status``, else none.
- ``pcmk_host_map`` (``node1:1;node2:2,3``) gives the plug(s) to pass for a node;
  without it the node's own name is passed as the plug.

What a fence agent says of itself (its metadata: parameters, secrets, actions)
is read and checked in ``corral.model.fence_agent``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from corral.model.config import Config, FenceDevice, FencingLevel, Primitive
from corral.model.durations import try_parse_ms
from corral.model.errors import Problems, ValidationFailed
from corral.model.fence_agent import AgentMetadata, valid_agent_name

HOST_CHECKS = ("static-list", "dynamic-list", "status", "none")
FENCE_ACTIONS = ("off", "on", "reboot", "status", "monitor", "list")


# ---------------------------------------------------------------- devices


def parse_host_list(text: str) -> list[str]:
    """``"n1 n2,n3;n4"`` -> ``["n1", "n2", "n3", "n4"]``."""
    return [h for h in re.split(r"[\s,;]+", text.strip()) if h]


def parse_host_map(text: str) -> dict[str, str]:
    """``"n1:1;n2:2,3"`` (also ``=`` and space separated) -> ``{"n1": "1", "n2": "2,3"}``.

    Raises a ValidationFailed (code ``fence-host-map``) on an entry without a port."""
    out: dict[str, str] = {}
    problems = Problems()
    for entry in re.split(r"[;\s]+", text.strip()):
        if not entry:
            continue
        m = re.fullmatch(r"([^:=]+)[:=](.+)", entry)
        if not m:
            problems.add(
                f"host map entry {entry!r} is not NODE:PORT",
                field="pcmk_host_map",
                code="fence-host-map",
            )
            continue
        out[m.group(1)] = m.group(2)
    problems.raise_if_any()
    return out


def format_host_map(host_map: Mapping[str, str]) -> str:
    return ";".join(f"{n}:{p}" for n, p in host_map.items())


def device_from_attrs(
    device_id: str,
    agent: str,
    attrs: Mapping[str, str],
    *,
    monitor_interval_ms: int | None = None,
    meta: Mapping[str, str] | None = None,
) -> FenceDevice:
    """A device from a flat attribute set as Pacemaker writes it: agent parameters
    and ``pcmk_*`` fencer settings side by side. Raises ValidationFailed."""
    problems = Problems()
    dev = FenceDevice(id=device_id, agent=agent)
    if monitor_interval_ms is not None:
        dev.monitor_interval_ms = monitor_interval_ms
    dev.meta.update(meta or {})
    for k, v in attrs.items():
        if not k.startswith("pcmk_"):
            dev.params[k] = v
        elif k == "pcmk_host_list":
            dev.host_list = parse_host_list(v)
        elif k == "pcmk_host_map":
            try:
                dev.host_map = parse_host_map(v)
            except ValidationFailed as e:  # keep collecting
                problems.items.extend(e.problems)
        elif k == "pcmk_host_check":
            dev.host_check = v
        elif k == "pcmk_host_argument":
            dev.host_argument = v
        elif k in ("pcmk_delay_max", "pcmk_delay_base"):
            ms = try_parse_ms(v)
            if ms is None:
                problems.add(
                    f"{v!r} is not a duration", element=device_id, field=k, code="bad-duration"
                )
            elif k == "pcmk_delay_max":
                dev.delay_max_ms = ms
            else:
                dev.delay_base_ms = ms
        else:
            dev.meta[k] = v
    problems.items.extend(check_device(dev).items)
    problems.raise_if_any()
    return dev


def device_from_primitive(p: Primitive) -> FenceDevice:
    """A CIB stonith primitive (``class="stonith"``) as a FenceDevice."""
    interval = next((op.interval_ms for op in p.ops if op.name == "monitor"), None)
    return device_from_attrs(p.id, p.type, p.instance, monitor_interval_ms=interval, meta=p.meta)


def device_to_attrs(dev: FenceDevice) -> dict[str, str]:
    """The inverse of ``device_from_attrs`` (secrets included: redact before showing)."""
    out = dict(dev.params)
    if dev.host_list:
        out["pcmk_host_list"] = " ".join(dev.host_list)
    if dev.host_map:
        out["pcmk_host_map"] = format_host_map(dev.host_map)
    if dev.host_check:
        out["pcmk_host_check"] = dev.host_check
    if dev.host_argument:
        out["pcmk_host_argument"] = dev.host_argument
    if dev.delay_max_ms:
        out["pcmk_delay_max"] = f"{dev.delay_max_ms}ms"
    if dev.delay_base_ms:
        out["pcmk_delay_base"] = f"{dev.delay_base_ms}ms"
    out.update({k: v for k, v in dev.meta.items() if k.startswith("pcmk_")})
    return out


def check_device(dev: FenceDevice) -> Problems:
    """Problems with a device that need no agent metadata."""
    problems = Problems()
    if not valid_agent_name(dev.agent):
        problems.add(
            f"{dev.agent!r} is not a fence agent name (fence_...)",
            element=dev.id,
            field="agent",
            code="fence-agent-unknown",
        )
    if dev.host_check is not None and dev.host_check not in HOST_CHECKS:
        problems.add(
            f"pcmk_host_check {dev.host_check!r} is not one of {', '.join(HOST_CHECKS)}",
            element=dev.id,
            field="pcmk_host_check",
            code="fence-host-check",
        )
    if dev.host_check == "static-list" and not (dev.host_list or dev.host_map):
        problems.add(
            "pcmk_host_check=static-list needs pcmk_host_list or pcmk_host_map",
            element=dev.id,
            field="pcmk_host_list",
            code="fence-host-list-missing",
        )
    for k in ("timeout_ms", "delay_max_ms", "delay_base_ms", "retries", "monitor_interval_ms"):
        v = getattr(dev, k)
        if v is not None and v < 0:
            problems.add(
                f"{k} may not be negative", element=dev.id, field=k, code="fence-bad-value"
            )
    return problems


def all_devices(config: Config) -> list[FenceDevice]:
    """Every fence device: ``config.fence_devices`` and stonith primitives from a CIB."""
    out = list(config.fence_devices)
    ids = {d.id for d in out}
    for p in config.all_primitives():
        if p.cls == "stonith" and p.id not in ids:
            out.append(device_from_primitive(p))
            ids.add(p.id)
    return out


# ---------------------------------------------------------------- which device fences which node


def host_check_mode(dev: FenceDevice, agent_actions: Iterable[str] | None = None) -> str:
    """The effective ``pcmk_host_check`` of a device."""
    if dev.host_check:
        return dev.host_check
    if dev.host_list or dev.host_map:
        return "static-list"
    actions = set(agent_actions) if agent_actions is not None else set()
    if "list" in actions:
        return "dynamic-list"
    if "status" in actions:
        return "status"
    return "none"


def statically_fences(
    dev: FenceDevice, target: str, agent_actions: Iterable[str] | None = None
) -> bool | None:
    """True/False when the configuration decides; None when the agent must be asked
    (dynamic-list: its ``list``; status: its ``status`` for the target's plug)."""
    mode = host_check_mode(dev, agent_actions)
    if mode == "none":
        return True
    if mode == "static-list":
        return target in dev.host_list or target in dev.host_map
    return None


def ports_for(dev: FenceDevice, target: str) -> list[str]:
    """The plug value(s) naming ``target`` on this device (all must be fenced)."""
    mapped = dev.host_map.get(target)
    if mapped is None:
        return [target]
    return [p for p in re.split(r"[,\s]+", mapped) if p] or [target]


def host_argument(dev: FenceDevice, metadata: AgentMetadata | None = None) -> str | None:
    """The agent parameter that carries the plug (``plug``), or None to pass none."""
    if dev.host_argument:
        return None if dev.host_argument == "none" else dev.host_argument
    if metadata is None:
        return "plug"
    for name in ("plug", "port"):
        if name in metadata.params:
            return name
    return None


def agent_action(dev: FenceDevice, action: str) -> str:
    """The agent action to run for a fencer action (``pcmk_reboot_action=off``, ...)."""
    return dev.meta.get(f"pcmk_{action}_action", action)


def action_timeout_ms(dev: FenceDevice, action: str, default_ms: int) -> int:
    v = try_parse_ms(dev.meta.get(f"pcmk_{action}_timeout"))
    if v:
        return v
    return dev.timeout_ms if dev.timeout_ms else default_ms


def action_retries(dev: FenceDevice, action: str) -> int:
    v = dev.meta.get(f"pcmk_{action}_retries")
    if v is not None and v.strip().isdigit():
        return int(v)
    return dev.retries


# ---------------------------------------------------------------- topology


@dataclass(frozen=True, slots=True)
class PlanLevel:
    """One level of a fencing plan: every device must succeed."""

    index: int
    devices: tuple[str, ...]
    from_topology: bool = True


def levels_for(
    target: str, levels: Iterable[FencingLevel], node_attrs: Mapping[str, str] | None = None
) -> list[FencingLevel]:
    """The topology levels that apply to ``target``, lowest index first."""
    out = []
    attrs = node_attrs or {}
    for lv in levels:
        if lv.target is not None:
            hit = lv.target == target
        elif lv.target_pattern is not None:
            try:
                hit = re.fullmatch(lv.target_pattern, target) is not None
            except re.error:
                hit = False
        elif lv.target_attribute is not None:
            hit = attrs.get(lv.target_attribute) == lv.target_value
        else:
            hit = False
        if hit:
            out.append(lv)
    return sorted(out, key=lambda lv: lv.index)


def fencing_plan(
    target: str,
    config: Config,
    *,
    node_attrs: Mapping[str, str] | None = None,
    agent_actions: Mapping[str, Iterable[str]] | None = None,
) -> list[PlanLevel]:
    """The ordered levels to try for ``target``. With a topology for the node, its
    levels; otherwise one level per device that can (or may, pending a dynamic
    check) fence it, highest ``priority`` first, then configuration order.
    Empty: nothing can fence the node."""
    topo = levels_for(target, config.fencing_levels, node_attrs)
    if topo:
        return [PlanLevel(lv.index, tuple(lv.devices)) for lv in topo]
    candidates: list[tuple[int, int, FenceDevice]] = []
    for pos, dev in enumerate(all_devices(config)):
        actions = (agent_actions or {}).get(dev.agent)
        if statically_fences(dev, target, actions) is False:
            continue
        candidates.append((-_priority(dev), pos, dev))
    candidates.sort(key=lambda c: (c[0], c[1]))
    return [PlanLevel(i + 1, (c[2].id,), from_topology=False) for i, c in enumerate(candidates)]


def _priority(dev: FenceDevice) -> int:
    v = dev.meta.get("priority", "0").strip()
    return int(v) if re.fullmatch(r"[+-]?\d+", v) else 0


def check_topology(config: Config) -> Problems:
    """Problems with fence devices and levels as a whole: duplicate device ids,
    levels naming a missing device, duplicate or bad indexes, levels without a target."""
    problems = Problems()
    seen: set[str] = set()
    devices = list(config.fence_devices)
    for dev in devices:
        if dev.id in seen:
            problems.add("duplicate fence device id", element=dev.id, code="duplicate-id")
        seen.add(dev.id)
        problems.items.extend(check_device(dev).items)
    known = seen | {p.id for p in config.all_primitives() if p.cls == "stonith"}
    slots: set[tuple[str, int]] = set()
    for lv in config.fencing_levels:
        who = (
            lv.target
            or lv.target_pattern
            or (f"{lv.target_attribute}={lv.target_value}" if lv.target_attribute else None)
        )
        if who is None:
            problems.add(
                "a fencing level needs a target node, pattern or attribute",
                element=lv.id,
                field="target",
                code="fence-level-target",
            )
        if lv.index < 1:
            problems.add(
                f"level index {lv.index} is not a positive integer",
                element=lv.id,
                field="index",
                code="fence-level-index",
            )
        if not lv.devices:
            problems.add(
                "a fencing level needs at least one device",
                element=lv.id,
                field="devices",
                code="fence-level-devices",
            )
        for d in lv.devices:
            if d not in known:
                problems.add(
                    f"fencing level names device {d!r}, which does not exist",
                    element=lv.id,
                    field="devices",
                    code="fence-level-unknown-device",
                )
        if who is not None:
            if (who, lv.index) in slots:
                problems.add(
                    f"{who} already has a fencing level {lv.index}",
                    element=lv.id,
                    field="index",
                    code="fence-level-duplicate",
                )
            slots.add((who, lv.index))
    return problems
