"""Home visits, solved exactly on their own (CP-SAT).

Home visits are served only by home rounds and home rounds serve only home visits, so they
form a problem of their own; the only link with the centres is a doctor's limit of exams a
day, which the centre part then respects with what the rounds took.  Dropping that link
gives a valid bound, so the weekly bound is the sum of the two parts' bounds.

Per (patient, round) a presence and a start; two patients in one round follow each other
with the driving leg between them, the first after the leg from the round's base; a
preferred window is a reward when the visit lies inside it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.sequencing import in_a_window
from solver.stopping import ShouldStop, stop_when
from solver.week_model import GRID, Placement, WeekProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HomeResult:
    placements: dict[int, Placement]
    cost: int
    """Cost of the home visits (unscheduled ones included)."""
    bound: int | None
    optimal: bool


def solve_home_rounds(problem: WeekProblem, tasks: list[int], time_limit: float,
                      workers: int, hint: dict[int, Placement] | None = None,
                      should_stop: ShouldStop | None = None) -> HomeResult:
    p = problem
    m = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    start: dict[tuple[int, int], cp_model.IntVar] = {}
    objective: list[cp_model.LinearExprT] = []
    per_round: dict[int, list[int]] = defaultdict(list)
    per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    offset = 0
    for t in tasks:
        spec = p.tasks[t]
        row = []
        for option in spec.options:
            s = option.segment
            seg = p.segments[s]
            lo = seg.start + p.home_from_base.get((s, t), 0)
            lo = -(-lo // GRID) * GRID
            hi = (seg.end - spec.duration) // GRID * GRID
            if spec.fixed is not None and spec.fixed[0] != s:
                continue
            if hi < lo and spec.fixed is None:
                continue
            var = m.new_bool_var(f"x{t}_{s}")
            k = m.new_int_var(lo // GRID, max(lo, hi) // GRID, f"k{t}_{s}")
            at = m.new_int_var(lo, max(lo, hi), f"s{t}_{s}")
            m.add(at == GRID * k)
            if spec.fixed is not None:
                m.add(var == 1)
                m.add(at == spec.fixed[1])
            x[t, s], start[t, s] = var, at
            row.append(var)
            per_round[s].append(t)
            per_day[seg.doctor_day].append(var)
            objective.append(option.cost * var)
            if option.windows and spec.pref_bonus:
                objective.append(-spec.pref_bonus * in_a_window(m, at, spec.duration,
                                                                option.windows, var))
        unscheduled = m.new_bool_var(f"u{t}")
        if spec.fixed is not None:
            m.add(unscheduled == 0)
        objective.append(p.unscheduled_cost * unscheduled)
        m.add_exactly_one([*row, unscheduled])
        if hint is not None:
            where = hint.get(t)
            m.add_hint(unscheduled, where is None)
            for (tt, s), var in x.items():
                if tt == t:
                    m.add_hint(var, where is not None and where.segment == s)
                    if where is not None and where.segment == s:
                        m.add_hint(start[t, s], where.start)
    for s, ts in per_round.items():
        seg = p.segments[s]
        for i, a in enumerate(ts):
            for b in ts[i + 1:]:
                da, db = p.tasks[a].duration, p.tasks[b].duration
                ab, ba = p.home_leg.get((a, b), 0), p.home_leg.get((b, a), 0)
                sa, sb = start[a, s], start[b, s]
                lo_a, lo_b = sa.proto.domain[0], sb.proto.domain[0]
                if lo_a + da + ab + db > seg.end and lo_b + db + ba + da > seg.end:
                    m.add_bool_or([x[a, s].Not(), x[b, s].Not()])
                    continue
                first = m.new_bool_var(f"o{s}_{a}_{b}")
                m.add(sb >= sa + da + ab).only_enforce_if([first, x[a, s], x[b, s]])
                m.add(sa >= sb + db + ba).only_enforce_if([first.Not(), x[a, s], x[b, s]])
    for day, xs in per_day.items():
        if len(xs) > p.day_limit[day]:
            m.add(sum(xs) <= p.day_limit[day])
    m.minimize(sum(objective) + offset)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = max(1, workers)
    with stop_when(solver, should_stop):
        status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        log.info("home rounds: %s", solver.status_name(status))
        return HomeResult({}, p.unscheduled_cost * len(tasks), None, False)
    placements = {t: Placement(s, solver.value(start[t, s])) for (t, s), var in x.items()
                  if solver.boolean_value(var)}
    log.info("home rounds: %s cost %d bound %d, %d of %d visits", solver.status_name(status),
             solver.objective_value, solver.best_objective_bound, len(placements), len(tasks))
    return HomeResult(placements, round(solver.objective_value),
                      int(-(-solver.best_objective_bound // 1)), status == cp_model.OPTIMAL)


def drives_consistent(problem: WeekProblem, tasks: list[int]) -> bool:
    """Whether no visit can be reached sooner through another patient than from the base:
    the drive from the base to t is at most the drive to o, o's exam and the leg from o to t,
    for every two patients a round may serve.  Road legs (the format's haversine minutes)
    always are; then this model's earliest start of every visit, the drive from the base,
    cuts no real schedule and its bound is a bound of the home part."""
    p = problem
    per_round: dict[int, list[int]] = defaultdict(list)
    for t in tasks:
        for option in p.tasks[t].options:
            if p.segments[option.segment].is_home:
                per_round[option.segment].append(t)
    for s, ts in per_round.items():
        base = np.array([p.home_from_base.get((s, t), 0) for t in ts])
        duration = np.array([p.tasks[t].duration for t in ts])
        legs = np.array([[p.home_leg.get((o, t), 0) for t in ts] for o in ts]).reshape(
            len(ts), len(ts))
        if (base[None, :] > base[:, None] + duration[:, None] + legs).any():
            return False
    return True
