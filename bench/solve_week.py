"""Benchmark the week planner on demo weeks against the hand-planning baseline.

    .venv/bin/python bench/solve_week.py                       # 500 / 3,000 / 10,000
    .venv/bin/python bench/solve_week.py --sizes 300 --time-limit 10
    .venv/bin/python bench/solve_week.py --sizes 3000 --json

For each size, a demo week (:func:`scheduler.demo.demo_week`, one doctor per 25
convocations) is planned by hand (:func:`scheduler.heuristic.plan_by_hand`) and by the
solver (:func:`scheduler.plan.plan_week`); both schedules go through the independent
checker (:func:`scheduler.validate.check_schedule`).  Reported per size:

* time to the first feasible schedule, solve time, status, cost and proven lower bound;
* the **gap** on the part of the cost a planner can influence: the convocations that no
  session can legally serve cost ``unscheduled`` each whatever one does, so
  ``gap = (cost - bound) / (bound - unscheduled x unservable)``;
* our **excess** ``cost - bound``, the hand plan's excess ``hand cost - bound``, and the
  **ratio** hand excess / our excess (how many times closer to the bound the solver is).

Heavy: 10,000 convocations take the whole time limit on the cores given.  Keep ``--workers``
at what the machine can spare.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from scheduler.demo import demo_week
from scheduler.domain import Schedule, Week
from scheduler.heuristic import plan_by_hand
from scheduler.plan import Progress, plan_week
from scheduler.travel import resolve_travel
from scheduler.validate import check_schedule

log = logging.getLogger("bench.solve_week")

DEFAULT_SIZES = (500, 3000, 10000)
DEFAULT_LIMITS = (60.0, 60.0, 300.0)
CONVOCATIONS_PER_DOCTOR = 25
DEFAULT_MONDAY = date(2026, 12, 7)


@dataclass(frozen=True)
class Row:
    convocations: int
    doctors: int
    time_limit: float
    generate_seconds: float
    first_feasible_seconds: float | None
    solve_seconds: float
    status: str
    cost: int
    lower_bound: int | None
    unservable: int
    gap: float | None
    excess: int | None
    checker_ok: bool
    checker_violations: int
    checker_cost: int
    hand_cost: int
    hand_seconds: float
    hand_checker_ok: bool
    hand_unscheduled: int
    unscheduled: int
    hand_excess: int | None
    ratio: float | None
    """Hand excess over our excess; ``inf`` when ours is 0 and the hand plan's is not."""


def gap_of(cost: int, bound: int | None, unscheduled_weight: int, unservable: int
           ) -> float | None:
    """``(cost - bound) / (bound - unscheduled_weight x unservable)``; None without a bound."""
    if bound is None:
        return None
    influenced = bound - unscheduled_weight * unservable
    if influenced <= 0:
        return 0.0 if cost <= bound else math.inf
    return (cost - bound) / influenced


def ratio_of(hand_excess: int | None, excess: int | None) -> float | None:
    if hand_excess is None or excess is None:
        return None
    if excess <= 0:
        return math.inf if hand_excess > 0 else 1.0
    return hand_excess / excess


def _check(week: Week, schedule: Schedule) -> tuple[bool, int, int]:
    report = check_schedule(week, schedule)
    for v in report.violations[:5]:
        log.warning("%s: %s", v.rule, v.message)
    return report.ok, len(report.violations), report.cost.total


def run_size(convocations: int, time_limit: float, *, workers: int, seed: int,
             week_start: date, per_doctor: int = CONVOCATIONS_PER_DOCTOR) -> Row:
    doctors = max(1, round(convocations / per_doctor))
    began = time.perf_counter()
    week = demo_week(convocations, doctors, seed, week_start=week_start)
    generated = time.perf_counter() - began
    travel = resolve_travel(week)
    log.info("%d convocations, %d doctors: generated in %.2f s", convocations, doctors,
             generated)

    hand = plan_by_hand(week, travel)
    hand_ok, _, _ = _check(week, hand)
    log.info("hand plan: cost %d in %.2f s", hand.cost, hand.solve_seconds)

    def progress(p: Progress) -> None:
        log.info("  %7.1f s  cost %d  bound %s", p.elapsed, p.cost, p.bound)

    result = plan_week(week, time_limit=time_limit, workers=workers, on_progress=progress,
                       travel=travel)
    schedule = result.schedule
    ok, violations, checked = _check(week, schedule)
    bound = schedule.lower_bound
    excess = None if bound is None else schedule.cost - bound
    hand_excess = None if bound is None else hand.cost - bound
    return Row(
        convocations=convocations, doctors=doctors, time_limit=time_limit,
        generate_seconds=round(generated, 3),
        first_feasible_seconds=(None if result.first_feasible_seconds is None
                                else round(result.first_feasible_seconds, 3)),
        solve_seconds=round(schedule.solve_seconds, 3), status=schedule.status.value,
        cost=schedule.cost, lower_bound=bound, unservable=result.unservable,
        gap=gap_of(schedule.cost, bound, week.weights.unscheduled, result.unservable),
        excess=excess, checker_ok=ok, checker_violations=violations, checker_cost=checked,
        hand_cost=hand.cost, hand_seconds=round(hand.solve_seconds, 3), hand_checker_ok=hand_ok,
        hand_unscheduled=len(hand.unscheduled), unscheduled=len(schedule.unscheduled),
        hand_excess=hand_excess, ratio=ratio_of(hand_excess, excess),
    )


def _fmt(value: Any, spec: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return format(value, spec)


def table(rows: list[Row]) -> str:
    head = ("conv", "doctors", "first s", "solve s", "status", "cost", "bound", "gap",
            "unserv.", "unsched.", "check", "hand cost", "hand uns.", "hand/ours")
    body = [(
        _fmt(r.convocations, ","), _fmt(r.doctors), _fmt(r.first_feasible_seconds, ".1f"),
        _fmt(r.solve_seconds, ".1f"), r.status, _fmt(r.cost, ","), _fmt(r.lower_bound, ","),
        "-" if r.gap is None else ("inf" if math.isinf(r.gap) else f"{r.gap:.2%}"),
        _fmt(r.unservable), _fmt(r.unscheduled),
        "ok" if r.checker_ok else f"{r.checker_violations} viol.",
        _fmt(r.hand_cost, ","), _fmt(r.hand_unscheduled), _fmt(r.ratio, ".1f"),
    ) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help="convocations per week (default: 500 3000 10000)")
    parser.add_argument("--time-limit", type=float, nargs="+", default=None,
                        help="seconds per size: one value for all, or one per size "
                             "(default: 60 60 300)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-doctor", type=int, default=CONVOCATIONS_PER_DOCTOR,
                        help="convocations per doctor (default 25)")
    parser.add_argument("--week-start", type=date.fromisoformat, default=DEFAULT_MONDAY,
                        help=f"the Monday of the demo week (default {DEFAULT_MONDAY})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the progress")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    sizes: list[int] = args.sizes
    if args.time_limit is None:
        limits = [DEFAULT_LIMITS[DEFAULT_SIZES.index(n)] if n in DEFAULT_SIZES else 60.0
                  for n in sizes]
    elif len(args.time_limit) == 1:
        limits = args.time_limit * len(sizes)
    elif len(args.time_limit) == len(sizes):
        limits = args.time_limit
    else:
        parser.error("--time-limit takes one value or one per size")
    rows = []
    for n, limit in zip(sizes, limits, strict=True):
        rows.append(run_size(n, limit, workers=args.workers, seed=args.seed,
                             week_start=args.week_start, per_doctor=args.per_doctor))
        if not args.json and len(sizes) > 1:
            log.info("\n%s", table(rows[-1:]))
    if args.json:
        print(json.dumps([{k: _json_value(v) for k, v in asdict(r).items()} for r in rows],
                         indent=1))
    else:
        print(table(rows))
    return 0 if all(r.checker_ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
