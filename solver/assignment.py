"""The integer assignment model over a chosen set of columns (CP-SAT).

The relaxation of :mod:`solver.columns` with 0/1 columns, restricted to the columns worth
considering (small reduced cost, the current plan's, the LP's support).  It finds which
segment serves which task; :mod:`solver.sequencing` then gives start times.  Its own bound
holds only for the restricted set: the weekly bound comes from :mod:`solver.lp_bound`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.columns import Columns
from solver.stopping import ShouldStop, stop_when
from solver.week_model import Progress, WeekProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssignmentResult:
    chosen: dict[int, tuple[int, bool]]
    """task -> (segment, planned inside a preferred window) for the tasks served."""
    objective: int
    optimal: bool
    feasible: bool


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float, bound: int | None,
                 report: Callable[[Progress], None] | None):
        super().__init__()
        self.started, self.bound, self.report = started, bound, report

    def on_solution_callback(self) -> None:
        if self.report is not None:
            self.report(Progress(time.monotonic() - self.started, int(self.objective_value),
                                 self.bound))


class AssignmentModel:
    """CP-SAT over the columns in ``keep``; built once, re-solved with cuts and hints."""

    def __init__(self, cols: Columns, keep: np.ndarray, problem: WeekProblem | None = None):
        self.cols = cols
        m = self.model = cp_model.CpModel()
        self.index = np.flatnonzero(keep)
        self.var: dict[int, cp_model.IntVar] = {}
        for j in self.index:
            self.var[int(j)] = m.new_bool_var(f"c{j}")
        by_task: dict[int, list[cp_model.IntVar]] = {}
        for j in self.index:
            by_task.setdefault(int(cols.task[j]), []).append(self.var[int(j)])
        for t, xs in by_task.items():
            if cols.fixed[t] >= 0:
                m.add(self.var[int(cols.fixed[t])] == 1)
            m.add_exactly_one(xs)
        rows = cols.rows.tocsr()
        kept = np.zeros(cols.size, dtype=bool)
        kept[self.index] = True
        for r in range(rows.shape[0]):
            lo, hi = rows.indptr[r], rows.indptr[r + 1]
            js, coef = rows.indices[lo:hi], rows.data[lo:hi]
            mask = kept[js]
            if not mask.any() or int(coef[mask].sum()) <= cols.rhs[r]:
                continue
            m.add(cp_model.LinearExpr.weighted_sum([self.var[int(j)] for j in js[mask]],
                                                   [int(c) for c in coef[mask]])
                  <= int(cols.rhs[r]))
        if problem is not None:
            self._home_rounds(problem)
        m.minimize(cp_model.LinearExpr.weighted_sum([self.var[int(j)] for j in self.index],
                                                    [int(cols.cost[j]) for j in self.index]))

    def _home_rounds(self, problem: WeekProblem) -> None:
        """Home rounds exactly: the driving legs depend on which patients share a round.

        Per round, each patient it may serve gets a start; two patients in the same round
        are one after the other with the leg between them, the first after the leg from the
        base.  Rounds are few and short, so the pairs stay few."""
        m, cols = self.model, self.cols
        per_round: dict[int, dict[int, list[cp_model.IntVar]]] = {}
        for j, var in self.var.items():
            s = int(cols.segment[j])
            if s >= 0 and problem.segments[s].is_home:
                per_round.setdefault(s, {}).setdefault(int(cols.task[j]), []).append(var)
        for s, by_task in per_round.items():
            if len(by_task) < 2:
                continue
            seg = problem.segments[s]
            start: dict[int, cp_model.IntVar] = {}
            served: dict[int, cp_model.IntVar] = {}
            for t, xs in by_task.items():
                d = problem.tasks[t].duration
                lo = seg.start + problem.home_from_base.get((s, t), 0)
                start[t] = m.new_int_var(lo, max(lo, seg.end - d), f"h{s}_{t}")
                if len(xs) == 1:
                    served[t] = xs[0]
                else:
                    served[t] = m.new_bool_var(f"hs{s}_{t}")
                    m.add(sum(xs) == served[t])
            ts = sorted(by_task)
            for i, a in enumerate(ts):
                for b in ts[i + 1:]:
                    da, db = problem.tasks[a].duration, problem.tasks[b].duration
                    ab, ba = problem.home_leg.get((a, b), 0), problem.home_leg.get((b, a), 0)
                    if start[a].proto.domain[0] + da + ab + db > seg.end and \
                            start[b].proto.domain[0] + db + ba + da > seg.end:
                        m.add_bool_or([served[a].Not(), served[b].Not()])
                        continue
                    first = m.new_bool_var(f"o{s}_{a}_{b}")
                    m.add(start[b] >= start[a] + da + ab).only_enforce_if(
                        [first, served[a], served[b]])
                    m.add(start[a] >= start[b] + db + ba).only_enforce_if(
                        [first.Not(), served[a], served[b]])

    def column_of(self, task: int, segment: int, in_window: bool) -> int | None:
        cols = self.cols
        for j in cols.of_task(task):
            if (cols.segment[j] == segment and bool(cols.window[j]) == in_window
                    and j in self.var):
                return j
        return None

    def cap_count(self, segments: list[int], count: int) -> None:
        """At most ``count`` exams in these segments: what sequencing could fit there.

        A heuristic cut (another set of exams might fit better), so the model's own bound is
        never reported; the weekly bound comes from the LP."""
        wanted = np.isin(self.cols.segment[self.index], segments)
        terms = [self.var[int(j)] for j in self.index[wanted]]
        if terms:
            self.model.add(sum(terms) <= count)

    def solve(self, hint: dict[int, tuple[int, bool]], time_limit: float, workers: int,
              bound: int | None, report: Callable[[Progress], None] | None,
              started: float, should_stop: ShouldStop | None = None) -> AssignmentResult:
        m, cols = self.model, self.cols
        m.clear_hints()
        hinted = set()
        for t, (s, inside) in hint.items():
            j = self.column_of(t, s, inside)
            if j is None:
                j = self.column_of(t, s, not inside)
            if j is not None:
                hinted.add(j)
        for t in range(len(cols.first) - 1):
            if t not in hint:
                unscheduled = int(cols.first[t + 1]) - 1
                if cols.segment[unscheduled] < 0:
                    hinted.add(unscheduled)
        for j, var in self.var.items():
            m.add_hint(var, j in hinted)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        solver.parameters.num_workers = max(1, workers)
        with stop_when(solver, should_stop):
            status = solver.solve(m, _Callback(started, bound, report))
        feasible = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        chosen: dict[int, tuple[int, bool]] = {}
        if feasible:
            for j, var in self.var.items():
                if cols.segment[j] >= 0 and solver.boolean_value(var):
                    chosen[int(cols.task[j])] = (int(cols.segment[j]), bool(cols.window[j]))
        log.info("assignment model (%d columns): %s objective %s in %.1fs", len(self.var),
                 solver.status_name(status), solver.objective_value if feasible else None,
                 solver.wall_time)
        return AssignmentResult(chosen,
                                round(solver.objective_value) if feasible else 0,
                                status == cp_model.OPTIMAL, feasible)
