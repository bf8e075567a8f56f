"""The words of ``corral stonith ...``, parsed and checked; no store yet.

    stonith create NAME AGENT key=value ... [op monitor interval=60s [timeout=20s]] [meta k=v ...]
    stonith list | delete NAME | describe AGENT
    stonith level add LEVEL NODE DEVICE[,DEVICE] [DEVICE ...]
    stonith fence NODE [--off]
    stonith history [NODE]

NODE of ``level add`` is a node name, ``regexp%PATTERN`` or ``attrib%NAME=VALUE``
(pcs's spellings). AGENT is ``fence_x`` or ``stonith:fence_x``.

Everything here is pure: the agent's metadata, when a caller has it (the CLI
fetches it through ``corral.executors.fence_meta``), comes in as a value.
Problems are collected and raised together (``ValidationFailed``).
"""

from __future__ import annotations

from dataclasses import dataclass

from corral.commands.args import check_id, parse_duration, parse_resource_words
from corral.model.config import Config, FenceDevice, FencingLevel
from corral.model.errors import Problems, ValidationFailed
from corral.model.fence_agent import AgentMetadata, check_params, valid_agent_name
from corral.model.fencing_plan import check_topology, device_from_attrs

DEFAULT_MONITOR_MS = 60_000


def parse_agent_name(p: Problems, text: str, *, element: str | None = None) -> str:
    """``fence_x`` or ``stonith:fence_x`` -> ``fence_x``."""
    name = text.removeprefix("stonith:")
    if not valid_agent_name(name):
        p.add(
            f"{text!r} is not a fence agent (fence_... or stonith:fence_...)",
            element=element,
            field="agent",
            code="fence-agent-unknown",
        )
    return name


def parse_create(words: list[str]) -> FenceDevice:
    """``NAME AGENT key=value ... [op monitor interval=..] [meta k=v ...]`` to a device."""
    p = Problems()
    if len(words) < 2:
        p.add("usage: stonith create NAME AGENT [key=value ...]", code="bad-argument")
        p.raise_if_any()
    name, agent_text, rest = words[0], words[1], words[2:]
    check_id(p, name, what="fence device id")
    agent = parse_agent_name(p, agent_text, element=name)
    spec = parse_resource_words(p, rest, element=name, allow_clone=False)
    interval: int | None = DEFAULT_MONITOR_MS
    timeout_ms: int | None = None
    for op in spec.ops:
        if op.name != "monitor":
            p.add(
                f"a fence device has only a monitor op, not {op.name!r}",
                element=name,
                field="op",
                code="bad-argument",
            )
            continue
        for k, v in op.attrs.items():
            if k == "interval":
                interval = parse_duration(p, v, element=name, field="interval")
            elif k == "timeout":
                timeout_ms = parse_duration(p, v, element=name, field="timeout")
            else:
                p.add(f"monitor op has no {k!r}", element=name, field=k, code="bad-argument")
    attrs = dict(spec.instance)
    if timeout_ms:
        attrs.setdefault("pcmk_monitor_timeout", f"{timeout_ms}ms")
    dev: FenceDevice | None = None
    try:
        dev = device_from_attrs(
            name, agent, attrs, monitor_interval_ms=interval or 0, meta=spec.meta
        )
    except ValidationFailed as e:
        seen = {(x.code, x.element, x.field) for x in p.items}
        p.items.extend(x for x in e.problems if (x.code, x.element, x.field) not in seen)
    p.raise_if_any()
    assert dev is not None
    return dev


def check_create(dev: FenceDevice, config: Config, metadata: AgentMetadata | None) -> None:
    """A new device against the configuration (its id free) and, when known, its agent's
    metadata (required parameters present, no unknown ones). Raises ValidationFailed."""
    p = Problems()
    taken = {d.id for d in config.fence_devices} | {r.id for r in config.all_primitives()}
    if dev.id in taken:
        p.add("an element with this id already exists", element=dev.id, code="duplicate-id")
    if metadata is not None:
        check_params(dev.id, dev.params, metadata, p)
    p.raise_if_any()


def parse_level_add(words: list[str]) -> FencingLevel:
    """``LEVEL NODE DEVICE[,DEVICE] [DEVICE ...]`` to a fencing level."""
    p = Problems()
    if len(words) < 3:
        p.add("usage: stonith level add LEVEL NODE DEVICE[,DEVICE]", code="bad-argument")
        p.raise_if_any()
    index_text, node, dev_words = words[0], words[1], words[2:]
    index = int(index_text) if index_text.isdigit() else 0
    if index < 1:
        p.add(
            f"level {index_text!r} is not a positive integer",
            field="index",
            code="fence-level-index",
        )
    devices = [d for w in dev_words for d in w.split(",") if d]
    for d in devices:
        check_id(p, d, what="fence device id")
    level = FencingLevel(id="", index=index, devices=devices)
    if node.startswith("regexp%"):
        level.target_pattern = node.removeprefix("regexp%")
        label = "re-" + "".join(c if c.isalnum() else "_" for c in level.target_pattern)
    elif node.startswith("attrib%"):
        name, eq, value = node.removeprefix("attrib%").partition("=")
        if not name or not eq:
            p.add(f"{node!r} is not attrib%NAME=VALUE", field="target", code="bad-argument")
        level.target_attribute, level.target_value = name, value
        label = f"{name}-{value}"
    else:
        check_id(p, node, what="node name")
        level.target = node
        label = node
    level.id = f"fl-{label}-{index}"
    p.raise_if_any()
    return level


def check_level_add(level: FencingLevel, config: Config) -> None:
    """The level added to the configuration must name existing devices and a free index."""
    trial = Config(
        fence_devices=list(config.fence_devices),
        resources=list(config.resources),
        fencing_levels=[*config.fencing_levels, level],
    )
    problems = [x for x in check_topology(trial).items if x.element == level.id]
    if problems:
        raise ValidationFailed(problems)


@dataclass(frozen=True, slots=True)
class FenceRequest:
    node: str
    action: str  # reboot | off


def parse_fence(words: list[str]) -> FenceRequest:
    """``NODE [--off]``."""
    p = Problems()
    off = "--off" in words
    rest = [w for w in words if w != "--off"]
    if len(rest) != 1 or rest[0].startswith("-"):
        p.add("usage: stonith fence NODE [--off]", code="bad-argument")
        p.raise_if_any()
    check_id(p, rest[0], what="node name")
    p.raise_if_any()
    return FenceRequest(rest[0], "off" if off else "reboot")


def parse_one_name(words: list[str], *, usage: str, optional: bool = False) -> str | None:
    """The single NAME of ``delete NAME`` / ``describe AGENT`` / ``history [NODE]``."""
    p = Problems()
    if len(words) > 1 or (not words and not optional):
        p.add(f"usage: {usage}", code="bad-argument")
    elif words:
        check_id(p, words[0].removeprefix("stonith:"))
    p.raise_if_any()
    return words[0].removeprefix("stonith:") if words else None
