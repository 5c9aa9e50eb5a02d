"""Benchmark the exact p-median solver on the 40 OR-Library pmed instances, beside spopt.

    .venv/bin/python bench/pmed.py                         # all 40, ours and spopt (120 s)
    .venv/bin/python bench/pmed.py --only pmed1 pmed26 --spopt-time-limit 60
    .venv/bin/python bench/pmed.py --no-spopt --csv out.csv

For each instance: the file is read (:func:`geo.orlib.read_pmed`: last-wins duplicate
edges, all-pairs shortest paths), then solved by :class:`solver.facility.PMedian` and, in
the same run, by pysal/spopt's ``PMedian.from_cost_matrix`` with its default CBC through
PuLP, one thread.  spopt runs in a child process killed at 1.5 x ``--spopt-time-limit`` + 60 s
(CBC is given the limit itself; model building in PuLP counts too).  Reported per
instance: time (seconds, wall clock, solve only: the shared matrix is read once), status,
objective, gap to the known optimum (``pmedopt.txt``) and, for ours, the proven bound.

spopt is not a dependency of the project: install the ``bench`` extra
(``.venv/bin/pip install -e '.[bench]'``) to include it; without it the script says so and
reports ours alone.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.orlib import read_optima, read_pmed  # noqa: E402
from solver.facility import PMedian  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "bench" / "pmed"


def spopt_available() -> bool:
    return (importlib.util.find_spec("spopt") is not None
            and importlib.util.find_spec("pulp") is not None)


def _spopt_child(path: str, time_limit: float) -> None:
    """Run in the child process: solve one file with spopt + CBC, print JSON."""
    import numpy as np
    import pulp
    from spopt.locate import PMedian as SpoptPMedian

    f = read_pmed(path)
    started = time.monotonic()
    model = SpoptPMedian.from_cost_matrix(f.cost.astype(float), np.ones(f.n), p_facilities=f.p)
    built = time.monotonic() - started
    try:
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
        status = pulp.LpStatus[model.problem.status]
    except RuntimeError:  # spopt refuses a model that CBC left "Not Solved" at its limit
        status = "not solved"
    obj = None
    if status != "not solved":  # otherwise the values are CBC's LP, not a solution
        try:
            obj = pulp.value(model.problem.objective)
        except (AttributeError, TypeError):
            obj = None
    print(json.dumps({"seconds": time.monotonic() - started, "build": built,
                      "status": status, "objective": obj}))


def run_spopt(path: Path, time_limit: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--spopt-child", str(path), "--spopt-time-limit",
             str(time_limit)], capture_output=True, text=True, timeout=1.5 * time_limit + 60.0,
            check=False)
    except subprocess.TimeoutExpired:
        return {"seconds": time.monotonic() - started, "status": "killed", "objective": None}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        print(f"  spopt failed on {path.name}: {tail[0]}", file=sys.stderr)
        return {"seconds": time.monotonic() - started, "status": "error",
                "objective": None}
    data: dict[str, Any] = json.loads(lines[-1])
    # a CBC run stopped by its time limit still says "Optimal" through PuLP's status map
    if data["seconds"] >= time_limit - 1.0:
        data["status"] = "time limit"
    return data


def gap_pct(value: float | None, optimum: float) -> float | None:
    if value is None:
        return None
    return 100.0 * (value - optimum) / optimum


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                    help="folder with instances/pmedN.txt and pmedopt.txt")
    ap.add_argument("--only", nargs="*", help="instance names (default: pmed1..pmed40)")
    ap.add_argument("--time-limit", type=float, default=300.0, help="ours, per instance")
    ap.add_argument("--spopt-time-limit", type=float, default=120.0, help="spopt, per instance")
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--csv", type=Path, help="write the table as CSV")
    ap.add_argument("--spopt-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.spopt_child:
        _spopt_child(args.spopt_child, args.spopt_time_limit)
        return 0
    optima = read_optima(args.dir / "pmedopt.txt")
    names = args.only or [f"pmed{k}" for k in range(1, 41)]
    with_spopt = not args.no_spopt and spopt_available()
    if not args.no_spopt and not with_spopt:
        print("spopt is not installed: reporting ours alone "
              "(install it with: .venv/bin/pip install -e '.[bench]')", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    header = (f"{'instance':9} {'n':>4} {'p':>4} {'optimum':>8} | {'ours s':>8} {'status':>8} "
              f"{'value':>7} {'gap%':>6} | {'spopt s':>8} {'status':>10} {'value':>8} "
              f"{'gap%':>6}")
    print(header)
    print("-" * len(header))
    for name in names:
        path = args.dir / "instances" / f"{name}.txt"
        f = read_pmed(path)
        opt = optima[name]
        started = time.monotonic()
        res = PMedian.from_cost_matrix(f.cost, f.p).solve(time_limit=args.time_limit)
        ours_s = time.monotonic() - started
        row: dict[str, Any] = {
            "instance": name, "n": f.n, "p": f.p, "optimum": opt,
            "ours_seconds": round(ours_s, 3), "ours_status": res.status,
            "ours_value": res.objective, "ours_bound": res.bound,
            "ours_gap_pct": gap_pct(res.objective, opt), "ours_nodes": res.nodes,
        }
        if with_spopt:
            sp = run_spopt(path, args.spopt_time_limit)
            row.update({"spopt_seconds": round(sp["seconds"], 3), "spopt_status": sp["status"],
                        "spopt_value": sp["objective"],
                        "spopt_gap_pct": gap_pct(sp["objective"], opt)})
        rows.append(row)
        sp_part = ""
        if with_spopt:
            g = row["spopt_gap_pct"]
            sp_part = (f"{row['spopt_seconds']:8.1f} {row['spopt_status']:>10} "
                       f"{row['spopt_value'] if row['spopt_value'] is not None else '-':>8} "
                       f"{'-' if g is None else f'{g:.2f}':>6}")
        print(f"{name:9} {f.n:4} {f.p:4} {opt:8.0f} | {ours_s:8.2f} {res.status:>8} "
              f"{res.objective:7.0f} {row['ours_gap_pct']:6.2f} | {sp_part}", flush=True)
    ours_total = sum(r["ours_seconds"] for r in rows)
    at_opt = sum(1 for r in rows if abs(r["ours_gap_pct"]) < 1e-9)
    proven = sum(1 for r in rows if r["ours_status"] == "optimal")
    ours_median = statistics.median(r["ours_seconds"] for r in rows)
    print(f"\nours : total {ours_total:.1f} s, median {ours_median:.2f} s, "
          f"{at_opt}/{len(rows)} at the known optimum, {proven} proven optimal")
    if with_spopt:
        sp_total = sum(r["spopt_seconds"] for r in rows)
        sp_opt = sum(1 for r in rows if r["spopt_gap_pct"] is not None
                     and abs(r["spopt_gap_pct"]) < 1e-6)
        sp_done = sum(1 for r in rows if r["spopt_status"] == "Optimal")
        print(f"spopt: total {sp_total:.1f} s (capped at {args.spopt_time_limit:.0f} s per "
              f"instance), median {statistics.median(r['spopt_seconds'] for r in rows):.2f} s, "
              f"{sp_opt}/{len(rows)} at the known optimum, {sp_done} finished within the limit")
        print(f"ratio: spopt total / ours total = {sp_total / max(ours_total, 1e-9):.1f}x")
    if args.csv:
        with args.csv.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
