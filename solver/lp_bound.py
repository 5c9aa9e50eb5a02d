"""The LP bound of the assignment relaxation, by column generation (HiGHS through SciPy).

The LP over all columns would have hundreds of thousands of them.  It is solved over a
restricted set (each task's cheapest columns), then every column's reduced cost is priced
with the duals in one sparse product, and the columns that would improve the LP are added,
until none would: the LP optimum over the restricted set is then the optimum over all
columns, a valid lower bound of the weekly problem.  Reduced costs also rank the columns
worth giving to the integer model.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from solver.columns import Columns

log = logging.getLogger(__name__)
TOLERANCE = 1e-6


@dataclass(frozen=True)
class LpResult:
    bound: int | None
    """ceil of the LP optimum over all columns; None when not proven within the time."""
    value: float
    reduced: np.ndarray
    """Reduced cost of every column at the final duals."""
    x: np.ndarray
    """LP value of every column (0 outside the restricted set)."""
    rounds: int


def _cheapest(cols: Columns, per_task: int) -> np.ndarray:
    keep = np.zeros(cols.size, dtype=bool)
    order = np.lexsort((cols.cost, cols.task))
    rank = np.arange(cols.size) - cols.first[cols.task[order]]
    keep[order[rank < per_task]] = True
    keep[cols.segment < 0] = True
    return keep


def lp_bound(cols: Columns, deadline: float, seed_columns: np.ndarray | None = None,
             per_task: int = 12, add_per_round: int = 20) -> LpResult:
    n_tasks = len(cols.first) - 1
    active = _cheapest(cols, per_task)
    fixed = cols.fixed[cols.fixed >= 0]
    if len(fixed):
        active[cols.first[cols.task[fixed]]] = False
        for t in np.flatnonzero(cols.fixed >= 0):
            active[cols.of_task(int(t))] = False
        active[fixed] = True
    if seed_columns is not None:
        active[seed_columns] = True
    cost = cols.cost.astype(float)
    a_t = cols.rows.T.tocsr()
    reduced = np.zeros(cols.size)
    x_full = np.zeros(cols.size)
    value = float("nan")
    for round_no in range(1, 200):
        if time.monotonic() > deadline:
            return LpResult(None, value, reduced, x_full, round_no - 1)
        idx = np.flatnonzero(active)
        eq = _task_matrix(cols.task[idx], n_tasks)
        res = linprog(cost[idx], A_ub=cols.rows[:, idx] if cols.rows.shape[0] else None,
                      b_ub=cols.rhs if cols.rows.shape[0] else None, A_eq=eq,
                      b_eq=np.ones(n_tasks), bounds=(0, None), method="highs-ds",
                      options={"time_limit": max(1.0, deadline - time.monotonic())})
        if res.status != 0:
            log.info("LP stopped: %s", res.message)
            return LpResult(None, value, reduced, x_full, round_no)
        value = float(res.fun)
        sigma = res.eqlin.marginals
        y = res.ineqlin.marginals if cols.rows.shape[0] else np.zeros(0)
        reduced = cost - sigma[cols.task] - (a_t @ y if len(y) else 0.0)
        x_full = np.zeros(cols.size)
        x_full[idx] = res.x
        candidates = np.flatnonzero((reduced < -TOLERANCE) & ~active)
        log.info("LP round %d: %d columns, value %.1f, %d improving", round_no, len(idx), value,
                 len(candidates))
        if not len(candidates):
            return LpResult(int(np.ceil(value - TOLERANCE)), value, reduced, x_full, round_no)
        order = candidates[np.lexsort((reduced[candidates], cols.task[candidates]))]
        tasks = cols.task[order]
        starts = np.r_[0, np.flatnonzero(np.diff(tasks)) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        active[order[rank < add_per_round]] = True
    return LpResult(None, value, reduced, x_full, 199)


def _task_matrix(task: np.ndarray, n_tasks: int):  # type: ignore[no-untyped-def]
    import scipy.sparse as sp

    return sp.csr_matrix((np.ones(len(task)), (task, np.arange(len(task)))),
                         shape=(n_tasks, len(task)))
