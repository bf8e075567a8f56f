"""corral's scheduler against Debian's crm_simulate on synthetic clusters.

For each size (resources x nodes) it writes a CIB: Dummy primitives with a
monitor, a location preference for every 10th resource, a colocation and an
order constraint chaining every 5th resource to the one before it, and half
the resources already running (start and monitor records in the status). It
times corral's ``schedule()`` in a child process, without allocation scores
as the controller calls it (the CIB parse reported apart), and
``crm_simulate -x FILE -G out.xml -Q`` (cut off at --crm-timeout seconds,
reported as "> N s"), with each one's peak memory (ru_maxrss).

    python bench/scheduler.py [--sizes 1000x10,1000x100,10000x100] [--crm-timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SIZES = "1000x10,1000x100,10000x100"
KEY_UUID = "c0ffee00-0000-4000-8000-000000000000"


def _op(rsc: str, node: str, op: str, interval: int, call: int, digest: str | None) -> str:
    key = f"{call}:1:0:{KEY_UUID}"
    d = f' op-digest="{digest}"' if digest else ""
    return (
        f'<lrm_rsc_op id="{rsc}_{"last_0" if interval == 0 else f"monitor_{interval}"}"'
        f' operation_key="{rsc}_{op}_{interval}" operation="{op}" crm_feature_set="3.16.1"'
        f' transition-key="{key}" transition-magic="0:0;{key}" on_node="{node}"'
        f' call-id="{call}" rc-code="0" op-status="0" interval="{interval}"'
        f' last-rc-change="1700000000" exec-time="10" queue-time="0"{d}/>'
    )


def generate(n_rsc: int, n_nodes: int, digests: dict[str, str]) -> str:
    nodes = [f"node{i + 1}" for i in range(n_nodes)]
    parts = [
        '<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.7" epoch="1" num_updates="0"'
        ' admin_epoch="0" have-quorum="1" dc-uuid="1" execution-date="1700000100">'
        '<configuration><crm_config><cluster_property_set id="cib-bootstrap-options">'
        '<nvpair id="o1" name="stonith-enabled" value="false"/>'
        '<nvpair id="o2" name="no-quorum-policy" value="ignore"/>'
        "</cluster_property_set></crm_config><nodes>"
    ]
    parts += [f'<node id="{i + 1}" uname="{n}"/>' for i, n in enumerate(nodes)]
    parts.append("</nodes><resources>")
    for r in range(n_rsc):
        parts.append(
            f'<primitive id="r{r}" class="ocf" provider="pacemaker" type="Dummy"><operations>'
            f'<op id="r{r}-mon" name="monitor" interval="10s" timeout="20s"/>'
            "</operations></primitive>"
        )
    parts.append("</resources><constraints>")
    for r in range(n_rsc):
        if r % 10 == 0:
            parts.append(
                f'<rsc_location id="loc-r{r}" rsc="r{r}" node="{nodes[(r // 10) % n_nodes]}"'
                ' score="100"/>'
            )
        if r % 5 == 4:
            parts.append(
                f'<rsc_colocation id="col-r{r}" rsc="r{r}" with-rsc="r{r - 1}" score="INFINITY"/>'
                f'<rsc_order id="ord-r{r}" first="r{r - 1}" then="r{r}" kind="Mandatory"/>'
            )
    parts.append("</constraints></configuration><status>")
    running: dict[str, list[str]] = {n: [] for n in nodes}
    for r in range(0, n_rsc, 2):  # half the resources already run, spread over the nodes
        running[nodes[(r // 2) % n_nodes]].append(f"r{r}")
    for i, n in enumerate(nodes):
        parts.append(
            f'<node_state id="{i + 1}" uname="{n}" in_ccm="true" crmd="online" join="member"'
            f' expected="member"><lrm id="{i + 1}"><lrm_resources>'
        )
        for call, rsc in enumerate(running[n]):
            parts.append(
                f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Dummy">'
                + _op(rsc, n, "start", 0, 2 * call + 1, digests.get("start"))
                + _op(rsc, n, "monitor", 10000, 2 * call + 2, digests.get("monitor"))
                + "</lrm_resource>"
            )
        parts.append("</lrm_resources></lrm></node_state>")
    parts.append("</status></cib>")
    return "".join(parts)


def learn_digests(crm: str | None, work: Path) -> dict[str, str]:
    """The op digests crm_simulate computes for a Dummy with no parameters, so that
    the generated history does not look like a changed definition."""
    if crm is None:
        return {}
    src = work / "digest.xml"
    out = work / "digest-out.xml"
    src.write_text(
        generate(1, 1, {}).replace("<lrm_resource ", "<x ").split("<status>")[0]
        + '<status><node_state id="1" uname="node1" in_ccm="true" crmd="online"'
        ' join="member" expected="member"><lrm id="1"><lrm_resources/></lrm>'
        "</node_state></status></cib>"
    )
    subprocess.run([crm, "-x", str(src), "-S", "-O", str(out)], capture_output=True, timeout=60)
    if not out.exists():
        return {}
    from lxml import etree

    found: dict[str, str] = {}
    for op in etree.parse(str(out)).iter("lrm_rsc_op"):
        if op.get("op-digest") and op.get("operation") in ("start", "monitor"):
            if op.get("operation") == "monitor" and op.get("interval") == "0":
                continue
            found[op.get("operation")] = op.get("op-digest")
    return found


def child_measure(path: str) -> None:
    """In a child process: parse, schedule, print timings and peak memory as JSON."""
    import resource

    from corral.pacemaker.cib_reader import read_cib_file
    from corral.scheduler import schedule

    t0 = time.perf_counter()
    config, status = read_cib_file(path)
    t1 = time.perf_counter()
    now = status.execution_date or int(time.time())
    tr = schedule(config, status, now, with_scores=False)  # as the controller calls it
    t2 = time.perf_counter()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "parse_s": t1 - t0,
                "schedule_s": t2 - t1,
                "rss_mb": rss_kb / 1024,
                "actions": len(tr.actions),
            }
        )
    )


def run_limited(cmd: list[str], limit: float) -> tuple[float, float | None, bool]:
    """Wall time, peak RSS (MB) and whether it finished within ``limit`` seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return time.perf_counter() - t0, usage.ru_maxrss / 1024, True
        if time.perf_counter() - t0 > limit:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return limit, usage.ru_maxrss / 1024, False
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="e.g. 1000x10,1000x100")
    ap.add_argument("--crm-timeout", type=float, default=300.0)
    ap.add_argument("--no-crm", action="store_true", help="time corral only")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_measure(args.child)
        return 0

    crm = None if args.no_crm else shutil.which("crm_simulate")
    rows = []
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        work = Path(tmp)
        digests = learn_digests(crm, work)
        for size in args.sizes.split(","):
            n_rsc, n_nodes = (int(x) for x in size.lower().split("x"))
            cib = work / f"cib-{n_rsc}x{n_nodes}.xml"
            cib.write_text(generate(n_rsc, n_nodes, digests))
            r = subprocess.run(
                [sys.executable, __file__, "--child", str(cib)],
                capture_output=True,
                text=True,
                check=False,
            )
            if r.returncode != 0:
                print(r.stderr[-2000:], file=sys.stderr)
                corral = {"error": r.stderr.strip().splitlines()[-1] if r.stderr else "failed"}
            else:
                corral = json.loads(r.stdout.strip().splitlines()[-1])
            row: dict[str, object] = {"resources": n_rsc, "nodes": n_nodes, "corral": corral}
            if crm is not None:
                secs, rss, done = run_limited(
                    [crm, "-x", str(cib), "-G", str(work / "out.xml"), "-Q"], args.crm_timeout
                )
                row["crm_simulate"] = {
                    "s": secs if done else None,
                    "finished": done,
                    "limit_s": args.crm_timeout,
                    "rss_mb": rss,
                }
            rows.append(row)
            print_row(row, header=len(rows) == 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scheduler.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def print_row(row: dict[str, object], *, header: bool) -> None:
    if header:
        print(
            f"{'size':>12} {'parse s':>8} {'corral s':>9} {'corral MB':>10} "
            f"{'crm_sim s':>10} {'crm MB':>8} {'ratio':>8}"
        )
    c = row["corral"]
    assert isinstance(c, dict)
    size = f"{row['resources']}x{row['nodes']}"
    if "error" in c:
        print(f"{size:>12} corral failed: {c['error']}")
        return
    crm = row.get("crm_simulate")
    crm_s, crm_mb, ratio = "-", "-", "-"
    if isinstance(crm, dict):
        crm_mb = f"{crm['rss_mb']:.0f}" if crm["rss_mb"] is not None else "-"
        if crm["finished"]:
            crm_s = f"{crm['s']:.2f}"
            ratio = f"{crm['s'] / max(c['schedule_s'], 1e-9):.1f}x"
        else:
            crm_s = f"> {crm['limit_s']:.0f}"
            ratio = f"> {crm['limit_s'] / max(c['schedule_s'], 1e-9):.0f}x"
    print(
        f"{size:>12} {c['parse_s']:8.2f} {c['schedule_s']:9.3f} {c['rss_mb']:10.0f} "
        f"{crm_s:>10} {crm_mb:>8} {ratio:>8}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
