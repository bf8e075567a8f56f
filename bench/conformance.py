"""Conformance of ``corral simulate --format pacemaker`` with Pacemaker's own
scheduler regression cases (the corpus is outside the project: its path is an
argument).

For each case it compares corral's output with ``summary/NAME.summary`` and counts,
per feature of ``cases.tsv``, overall, and on the "core" subset, the cases that
match (a) in the Transition Summary block, (b) also in the set of executed
actions, (c) in the whole text. Writes bench/results/conformance.json and
bench/results/conformance-failing.txt.

    python bench/conformance.py ../shared/pacemaker-scheduler [--out DIR] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import signal
import sys
import time
from pathlib import Path
from types import FrameType

NOT_CORE = frozenset(
    {
        "promotable",
        "bundle",
        "remote",
        "resource-set",
        "ticket",
        "c:rsc_ticket",
        "utilization",
        "migration",
        "fencing-topology",
        "acls",
        "tags",
    }
)

# (pattern, replacement, replace all on the line?) -- the corpus's sed, line by line
_SED = [
    (re.compile(r"ocf::"), "ocf:", True),
    (re.compile(r"Masters:"), "Promoted:", False),
    (re.compile(r"Slaves:"), "Unpromoted:", False),
    (re.compile(r" Master( |\[|$)"), r" Promoted\1", False),
    (re.compile(r" Slave "), " Unpromoted ", False),
]


def normalise(text: str) -> str:
    """The corpus's own normalisation (README), applied to corral's text too."""
    out = []
    for line in text.split("\n"):
        for pat, rep, every in _SED:
            line = pat.sub(rep, line, count=0 if every else 1)
        out.append(line)
    return "\n".join(out)


def block(text: str, header: str) -> list[str]:
    """Lines after ``header`` up to the next blank line, whitespace-normalised."""
    out: list[str] = []
    on = False
    for line in text.splitlines():
        if not on:
            on = line.startswith(header)
            continue
        if not line.strip():
            break
        out.append(" ".join(line.split()))
    return out


def executed(text: str) -> set[str]:
    return {x for x in block(text, "Executing Cluster Transition:") if x.startswith("*")}


def whole(text: str) -> list[str]:
    lines = [ln.rstrip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeout


def run_case(job: tuple[str, str, int]) -> dict[str, object]:
    """One case, in a worker: corral's text vs the expected summary."""
    from corral.cli.simulate import Format, simulate_text

    name, cases_dir, timeout = job
    d = Path(cases_dir)
    expected = (d / "summary" / f"{name}.summary").read_text()
    t0 = time.perf_counter()
    error = None
    got = ""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        got = normalise(simulate_text(d / "xml" / f"{name}.xml", Format.pacemaker))
    except CaseTimeout:
        error = f"timeout after {timeout} s"
    except BaseException as e:
        error = f"{type(e).__name__}: {e}".splitlines()[0][:300]
    finally:
        signal.alarm(0)
    secs = time.perf_counter() - t0
    head = "Transition Summary:"
    a = error is None and block(got, head) == block(expected, head)
    b = a and executed(got) == executed(expected)
    c = b and whole(got) == whole(expected)
    return {"name": name, "summary": a, "actions": b, "whole": c, "error": error, "secs": secs}


def read_cases(cases_dir: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    lines = (cases_dir / "cases.tsv").read_text().splitlines()
    for line in lines[1:]:
        parts = line.split("\t")
        if not parts or not parts[0]:
            continue
        feats = parts[2].split(",") if len(parts) > 2 and parts[2] else []
        out[parts[0]] = [f for f in feats if f]
    return out


def tally(results: list[dict[str, object]]) -> dict[str, int]:
    return {
        "cases": len(results),
        "summary": sum(1 for r in results if r["summary"]),
        "actions": sum(1 for r in results if r["actions"]),
        "whole": sum(1 for r in results if r["whole"]),
    }


def pct(n: int, total: int) -> str:
    return f"{n:4d} {100.0 * n / total:5.1f}%" if total else "   -"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases_dir", type=Path)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=30, help="seconds per case")
    ap.add_argument("--only", nargs="*", help="run only these case names")
    args = ap.parse_args(argv)

    cases = read_cases(args.cases_dir)
    names = sorted(n for n in cases if (args.cases_dir / "xml" / f"{n}.xml").exists())
    if args.only:
        names = [n for n in names if n in set(args.only)]
    jobs = [(n, str(args.cases_dir), args.timeout) for n in names]
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.jobs, maxtasksperchild=50) as pool:
        results = list(pool.imap_unordered(run_case, jobs, chunksize=4))
    elapsed = time.perf_counter() - t0
    results.sort(key=lambda r: str(r["name"]))

    by_feature: dict[str, list[dict[str, object]]] = {}
    core: list[dict[str, object]] = []
    for r in results:
        feats = cases[str(r["name"])]
        for f in feats:
            by_feature.setdefault(f, []).append(r)
        if not NOT_CORE.intersection(feats):
            core.append(r)

    rows = [(f, tally(rs)) for f, rs in sorted(by_feature.items())]
    print(
        f"{'feature':<22} {'cases':>5}  {'(a) summary':>12}  {'(b) +actions':>12}  "
        f"{'(c) whole':>12}"
    )
    for f, t in rows:
        n = t["cases"]
        print(
            f"{f:<22} {n:5d}  {pct(t['summary'], n):>12}  {pct(t['actions'], n):>12}  "
            f"{pct(t['whole'], n):>12}"
        )
    print("-" * 70)
    for label, rs in (("core", core), ("all", results)):
        t = tally(rs)
        n = t["cases"]
        print(
            f"{label:<22} {n:5d}  {pct(t['summary'], n):>12}  {pct(t['actions'], n):>12}  "
            f"{pct(t['whole'], n):>12}"
        )
    errors = [r for r in results if r["error"]]
    print(f"{len(results)} cases in {elapsed:.1f} s ({len(errors)} crashed or timed out)")

    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "cases_dir": str(args.cases_dir),
        "elapsed_s": round(elapsed, 2),
        "all": tally(results),
        "core": tally(core),
        "features": {f: t for f, t in rows},
        "cases": results,
    }
    (args.out / "conformance.json").write_text(json.dumps(report, indent=1) + "\n")
    failing = [str(r["name"]) for r in results if not r["summary"]]
    (args.out / "conformance-failing.txt").write_text("".join(f"{n}\n" for n in failing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
