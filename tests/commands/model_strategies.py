"""Hypothesis strategies for the configuration model (every type jsonform handles)."""

from __future__ import annotations

from hypothesis import strategies as st

from corral.model import config as m

ids = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True)
text = st.text(max_size=12)
opt_text = st.none() | text
attrs = st.dictionaries(st.text(min_size=1, max_size=8), text, max_size=3)
scores = st.integers(min_value=-1_000_000, max_value=1_000_000)
opt_scores = st.none() | scores
small = st.integers(min_value=0, max_value=10**9)

ops = st.builds(
    m.Op,
    id=ids,
    name=st.sampled_from(["start", "stop", "monitor", "promote"]),
    interval_ms=small,
    timeout_ms=st.none() | small,
    role=opt_text,
    on_fail=opt_text,
    enabled=st.booleans(),
    meta=attrs,
)
primitives = st.builds(
    m.Primitive,
    id=ids,
    cls=st.sampled_from(["ocf", "process", "stonith", "lsb"]),
    type=text,
    provider=opt_text,
    instance=attrs,
    meta=attrs,
    ops=st.lists(ops, max_size=3),
    utilization=attrs,
    template=opt_text,
    description=opt_text,
)
groups = st.builds(
    m.Group, id=ids, children=st.lists(primitives, max_size=3), meta=attrs, instance=attrs
)
clones = st.builds(
    m.Clone,
    id=ids,
    child=primitives | groups,
    meta=attrs,
    promotable=st.booleans(),
    instance=attrs,
    legacy_master=st.booleans(),
)
resources = primitives | groups | clones
nodes = st.builds(
    m.Node,
    id=ids,
    uname=text,
    type=st.sampled_from(["member", "remote", "ping"]),
    attributes=attrs,
    utilization=attrs,
    score=scores,
)
expressions = st.builds(
    m.Expression,
    id=ids,
    attribute=text,
    operation=st.sampled_from(["eq", "ne", "defined", "gt"]),
    value=opt_text,
    type=opt_text,
    value_source=st.sampled_from(["literal", "param", "meta"]),
)
date_expressions = st.builds(
    m.DateExpression,
    id=ids,
    operation=st.sampled_from(["gt", "lt", "in_range", "date_spec"]),
    start=opt_text,
    end=opt_text,
    duration=attrs,
    date_spec=attrs,
)
rules = st.recursive(
    st.builds(
        m.Rule,
        id=ids,
        score=opt_scores,
        score_attribute=opt_text,
        boolean_op=st.sampled_from(["and", "or"]),
        role=opt_text,
        expressions=st.lists(expressions | date_expressions, max_size=2),
    ),
    lambda inner: st.builds(
        m.Rule,
        id=ids,
        score=opt_scores,
        expressions=st.lists(expressions | date_expressions | inner, max_size=2),
    ),
    max_leaves=4,
)
sets = st.builds(
    m.ResourceSet,
    id=ids,
    resources=st.lists(ids, max_size=3),
    sequential=st.booleans(),
    require_all=st.booleans(),
    role=opt_text,
    action=opt_text,
    ordering=opt_text,
    score=opt_scores,
)
locations = st.builds(
    m.Location,
    id=ids,
    rsc=st.none() | ids,
    node=opt_text,
    score=opt_scores,
    rules=st.lists(rules, max_size=2),
    role=opt_text,
    rsc_pattern=opt_text,
    resource_discovery=st.sampled_from(["always", "never", "exclusive"]),
)
colocations = st.builds(
    m.Colocation,
    id=ids,
    rsc=st.none() | ids,
    with_rsc=st.none() | ids,
    score=scores,
    rsc_role=opt_text,
    with_rsc_role=opt_text,
    node_attribute=text,
    sets=st.lists(sets, max_size=2),
    influence=st.booleans(),
)
orders = st.builds(
    m.Order,
    id=ids,
    first=st.none() | ids,
    then=st.none() | ids,
    first_action=st.sampled_from(["start", "stop", "promote"]),
    then_action=opt_text,
    kind=st.sampled_from(["Mandatory", "Optional", "Serialize"]),
    symmetrical=st.none() | st.booleans(),
    score=opt_scores,
    sets=st.lists(sets, max_size=2),
    require_all=st.booleans(),
)
tickets = st.builds(
    m.Ticket,
    id=ids,
    ticket=text,
    rsc=st.none() | ids,
    rsc_role=opt_text,
    loss_policy=text,
    sets=st.lists(sets, max_size=1),
)
levels = st.builds(
    m.FencingLevel,
    id=ids,
    index=st.integers(1, 9),
    devices=st.lists(ids, max_size=2),
    target=opt_text,
    target_pattern=opt_text,
    target_attribute=opt_text,
    target_value=opt_text,
)
fence_devices = st.builds(
    m.FenceDevice,
    id=ids,
    agent=text,
    params=attrs,
    host_list=st.lists(text, max_size=2),
    host_map=attrs,
    host_check=opt_text,
    host_argument=opt_text,
    monitor_interval_ms=small,
    timeout_ms=st.none() | small,
    retries=st.integers(0, 5),
    delay_max_ms=small,
    delay_base_ms=small,
    meta=attrs,
)
bundles = st.builds(
    m.Bundle,
    id=ids,
    runtime=text,
    runtime_attrs=attrs,
    network=attrs,
    port_mappings=st.lists(attrs, max_size=2),
    storage_mappings=st.lists(attrs, max_size=2),
    child=st.none() | primitives,
    meta=attrs,
    instance=attrs,
    position=st.none() | st.integers(0, 50),
)


def _unique(items: list, key=lambda x: x.id) -> list:  # type: ignore[no-untyped-def]
    seen: set = set()
    out = []
    for x in items:
        if key(x) not in seen:
            seen.add(key(x))
            out.append(x)
    return out


configs = st.builds(
    m.Config,
    properties=attrs,
    rsc_defaults=attrs,
    op_defaults=attrs,
    nodes=st.lists(nodes, max_size=3).map(_unique),
    resources=st.lists(resources, max_size=3).map(_unique),
    locations=st.lists(locations, max_size=3).map(_unique),
    colocations=st.lists(colocations, max_size=2).map(_unique),
    orders=st.lists(orders, max_size=2).map(_unique),
    tickets=st.lists(tickets, max_size=2).map(_unique),
    fencing_levels=st.lists(levels, max_size=2).map(_unique),
    fence_devices=st.lists(fence_devices, max_size=2).map(_unique),
    bundles=st.lists(bundles, max_size=2).map(_unique),
    tags=st.dictionaries(ids, st.lists(ids, max_size=3), max_size=2),
)
"""Configurations whose objects have unique ids within each kind (the store's keys)."""
