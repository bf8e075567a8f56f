"""Small CIBs for the scheduler's table tests, written as Pacemaker XML so that
every expected answer can be checked with Debian's ``crm_simulate -x FILE -S``."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

from corral.pacemaker.cib_reader import read_cib
from corral.scheduler import Change, Transition, schedule
from corral.scheduler.digests import parameters_digest

NOW = 1_700_000_000


def prim(rid: str, monitor: int | None = None, **meta: str) -> str:
    m = "".join(
        f'<nvpair id="{rid}-m-{k}" name="{k.replace("_", "-")}" value="{v}"/>'
        for k, v in meta.items()
    )
    metas = f'<meta_attributes id="{rid}-meta">{m}</meta_attributes>' if meta else ""
    ops = (
        f'<operations><op id="{rid}-mon" name="monitor" interval="{monitor}ms"/></operations>'
        if monitor
        else ""
    )
    return (
        f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
        f"{metas}{ops}</primitive>"
    )


def group(gid: str, *members: str) -> str:
    return f'<group id="{gid}">{"".join(members)}</group>'


def clone(cid: str, child: str, **meta: str) -> str:
    m = "".join(
        f'<nvpair id="{cid}-m-{k}" name="{k.replace("_", "-")}" value="{v}"/>'
        for k, v in meta.items()
    )
    metas = f'<meta_attributes id="{cid}-meta">{m}</meta_attributes>' if meta else ""
    return f'<clone id="{cid}">{metas}{child}</clone>'


def loc(rsc: str, node: str, score: str) -> str:
    return f'<rsc_location id="loc-{rsc}-{node}" rsc="{rsc}" node="{node}" score="{score}"/>'


def coloc(rsc: str, with_rsc: str, score: str) -> str:
    return (
        f'<rsc_colocation id="col-{rsc}-{with_rsc}" rsc="{rsc}" with-rsc="{with_rsc}" '
        f'score="{score}"/>'
    )


def order(first: str, then: str, kind: str = "Mandatory", symmetrical: str = "true") -> str:
    return (
        f'<rsc_order id="ord-{first}-{then}" first="{first}" then="{then}" kind="{kind}" '
        f'symmetrical="{symmetrical}"/>'
    )


def _op(rsc: str, task: str, rc: int, call: int, interval: int = 0) -> str:
    digest = f'op-digest="{parameters_digest({})}" ' if task == "start" else ""
    return (
        f'<lrm_rsc_op id="{rsc}_{task}_{interval}" operation="{task}" interval="{interval}" '
        f"{digest}"
        f'op-status="0" rc-code="{rc}" call-id="{call}" last-rc-change="{NOW - 60}" '
        f'transition-key="0:0:{0 if task != "monitor" or interval else 7}:x" '
        f'transition-magic="0:{rc};0:0:{0 if task != "monitor" or interval else 7}:x" '
        f'on_node="NODE"/>'
    )


def cib(
    resources: str,
    constraints: str = "",
    *,
    nodes: tuple[str, ...] = ("n1", "n2"),
    running: dict[str, str] | None = None,
    failed: dict[str, str] | None = None,
    offline: tuple[str, ...] = (),
    unclean: tuple[str, ...] = (),
    standby: tuple[str, ...] = (),
    props: dict[str, str] | None = None,
    quorum: bool = True,
    fail_count: int = 1,
) -> str:
    """A whole CIB. ``running``: resource (or clone instance) -> node where it was
    started; ``failed``: resource -> node where its recurring monitor failed;
    ``unclean``: nodes lost while expected up; each failure counts ``fail_count``."""
    props = {"stonith-enabled": "false", **(props or {})}
    nv = "".join(f'<nvpair id="p-{k}" name="{k}" value="{v}"/>' for k, v in props.items())
    node_xml = ""
    for n in nodes:
        attrs = ""
        if n in standby:
            attrs = (
                f'<instance_attributes id="{n}-a"><nvpair id="{n}-sb" name="standby" '
                f'value="on"/></instance_attributes>'
            )
        node_xml += f'<node id="{n}" uname="{n}">{attrs}</node>'
    hist: dict[str, list[str]] = {n: [] for n in nodes}
    call = 10
    for rsc, node in (running or {}).items():
        call += 1
        ops = _op(rsc, "start", 0, call)
        if failed and failed.get(rsc) == node:
            call += 1
            ops += _op(rsc, "monitor", 1, call, 10000)
        hist[node].append(
            f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Dummy">'
            f"{ops.replace('NODE', node)}</lrm_resource>"
        )
    transient: dict[str, str] = {n: "" for n in nodes}
    for rsc, node in (failed or {}).items():
        transient[node] += (
            f'<nvpair id="fc-{rsc}" name="fail-count-{rsc}" value="{fail_count}"/>'
            f'<nvpair id="lf-{rsc}" name="last-failure-{rsc}" value="{NOW - 60}"/>'
        )
    states = ""
    for n in nodes:
        if n in offline:
            continue
        attrs = (
            f'<transient_attributes id="{n}-t"><instance_attributes id="{n}-ti">'
            f"{transient[n]}</instance_attributes></transient_attributes>"
            if transient[n]
            else ""
        )
        up = "false" if n in unclean else "true"
        crmd = "offline" if n in unclean else "online"
        join = "down" if n in unclean else "member"
        states += (
            f'<node_state id="{n}" uname="{n}" in_ccm="{up}" crmd="{crmd}" join="{join}" '
            f'expected="member">{attrs}<lrm id="{n}"><lrm_resources>{"".join(hist[n])}'
            f"</lrm_resources></lrm></node_state>"
        )
    return (
        f'<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="{str(quorum).lower()}" '
        f'dc-uuid="{nodes[0]}" validate-with="pacemaker-3.0" '
        f'execution-date="{NOW}">'
        f'<configuration><crm_config><cluster_property_set id="opts">{nv}'
        f"</cluster_property_set></crm_config><nodes>{node_xml}</nodes>"
        f"<resources>{resources}</resources><constraints>{constraints}</constraints>"
        f"</configuration><status>{states}</status></cib>"
    )


def run(xml: str) -> Transition:
    config, status = read_cib(xml)
    return schedule(config, status, NOW)


def line(c: Change) -> str:
    """A summary line in crm_simulate's words, spaces collapsed."""
    if c.verb == "Fence":
        return f"Fence ({c.fence_action}) {c.to_node} '{c.reason}'"
    if c.from_node and c.to_node and c.from_node != c.to_node:
        where = f"{c.from_node} -> {c.to_node}"
    else:
        where = c.from_node or c.to_node
    text = f"{c.verb} {c.rsc} ( {where} )"
    if c.reason == "blocked":
        return f"{text} blocked"
    return f"{text} due to {c.reason}" if c.reason else text


def summary(xml: str) -> list[str]:
    return [line(c) for c in run(xml).summary]


def crm_simulate_summary(xml: str) -> list[str]:
    """Pacemaker's own answer for ``xml``: its Transition Summary lines."""
    exe = shutil.which("crm_simulate")
    assert exe, "crm_simulate (pacemaker-cli-utils) is needed to check expected answers"
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(xml)
        f.flush()
        out = subprocess.run(
            [exe, "-x", f.name, "-S"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    m = re.search(r"Transition Summary:\n((?:  .*\n)*)", out)
    lines = m.group(1).splitlines() if m else []
    return [re.sub(r"\s+", " ", x.strip())[2:] for x in lines if x.strip()]


def crm_simulate_executed(xml: str) -> list[str]:
    """Pacemaker's executed actions for ``xml``: the lines of its "Executing
    Cluster Transition" block, spaces collapsed, without the leading ``* ``."""
    exe = shutil.which("crm_simulate")
    assert exe, "crm_simulate (pacemaker-cli-utils) is needed to check expected answers"
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(xml)
        f.flush()
        out = subprocess.run(
            [exe, "-x", f.name, "-S"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    m = re.search(r"Executing Cluster Transition:\n((?:  .*\n)*)", out)
    lines = m.group(1).splitlines() if m else []
    return [re.sub(r"\s+", " ", x.strip())[2:] for x in lines if x.strip()]


def pseudo_actions(t: Transition) -> set[str]:
    """corral's pseudo actions of collectives, as crm_simulate names them."""
    return {
        f"Pseudo action: {a.rsc}_{a.task}_0"
        for a in t.actions
        if a.pseudo and a.rsc is not None and a.node is None
    }
