"""The LP bound of the assignment relaxation, by column generation (HiGHS).

The LP over all columns would have hundreds of thousands of them.  It is solved over a
restricted set (each task's cheapest columns), then every column's reduced cost is priced
with the duals in one sparse product, and the columns that would improve the LP are added
to the warm-started simplex, until none would: the LP optimum over the restricted set is
then the optimum over all columns, a valid lower bound of the weekly problem.  The final
reduced costs also rank the columns worth giving to the integer model, and prove that a
column left out of it cannot improve on a given cost (cost >= LP + reduced cost).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from solver.columns import Columns

log = logging.getLogger(__name__)
TOLERANCE = 1e-6


def run_within(h: highspy.Highs, seconds: float) -> None:
    """Solve ``h`` again for at most ``seconds`` more: HiGHS counts its time limit over all
    the runs of one instance, as column generation makes them."""
    h.setOptionValue("time_limit", float(h.getRunTime() + seconds))
    h.run()


@dataclass(frozen=True)
class LpResult:
    bound: int | None
    """ceil of the LP optimum over all columns; None when not proven within the time."""
    value: float
    reduced: np.ndarray
    """Reduced cost of every column at the final duals (valid only with a bound)."""
    x: np.ndarray
    """LP value of every column (0 outside the restricted set)."""
    rounds: int
    converged: bool = True
    """False: ``bound`` is the weaker Lagrangian bound of the last prices, and ``reduced``
    does not prove that a left-out column cannot help."""


@contextlib.contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """HiGHS prints its banner from C++ when an instance is made, before any option can
    be set: send the process's standard output to /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _first_columns(cols: Columns, per_task: int, seed: np.ndarray | None) -> np.ndarray:
    keep = np.zeros(cols.size, dtype=bool)
    order = np.lexsort((cols.cost, cols.task))
    rank = np.arange(cols.size) - cols.first[cols.task[order]]
    keep[order[rank < per_task]] = True
    keep[cols.segment < 0] = True
    fixed_tasks = np.flatnonzero(cols.fixed >= 0)
    for t in fixed_tasks:
        keep[cols.of_task(int(t))] = False
    keep[cols.fixed[fixed_tasks]] = True
    if seed is not None:
        keep[seed] = True
    return keep


def lp_bound(cols: Columns, deadline: float, seed_columns: np.ndarray | None = None,
             per_task: int = 12, add_per_task: int = 10) -> LpResult:
    n_tasks = len(cols.first) - 1
    n_rows = cols.rows.shape[0]
    # the whole matrix, task rows first: column j has a 1 in row task[j]
    full = sp.vstack([sp.csr_matrix((np.ones(cols.size), (cols.task, np.arange(cols.size))),
                                    shape=(n_tasks, cols.size)), cols.rows]).tocsc()
    full_t = full.T.tocsr()
    cost = cols.cost.astype(float)
    with _native_stdout_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "simplex")
    inf = highspy.kHighsInf
    lower = np.r_[np.ones(n_tasks), np.full(n_rows, -inf)]
    upper = np.r_[np.ones(n_tasks), cols.rhs.astype(float)]
    h.addRows(len(lower), lower, upper, 0, np.zeros(0, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    active = np.zeros(cols.size, dtype=bool)
    in_lp: list[np.ndarray] = []

    def add(columns: np.ndarray) -> None:
        sub = full[:, columns]
        h.addCols(len(columns), cost[columns], np.zeros(len(columns)),
                  np.full(len(columns), inf), sub.nnz, sub.indptr[:-1].astype(np.int32),
                  sub.indices.astype(np.int32), sub.data.astype(float))
        active[columns] = True
        in_lp.append(columns)

    add(np.flatnonzero(_first_columns(cols, per_task, seed_columns)))
    value = float("nan")
    reduced = np.zeros(cols.size)
    rounds = 0
    trivial = np.full(n_tasks, np.inf)
    np.minimum.at(trivial, cols.task, cost)
    lagrangian = float(trivial.sum())
    """Best bound so far: at first each task at its cheapest column, whatever the others do;
    then the restricted LP's value plus, per task, its most negative reduced cost (every
    schedule costs at least that at any dual-feasible prices, since each task takes exactly
    one column)."""
    while True:
        rounds += 1
        left = deadline - time.monotonic()
        if left <= 0:
            break
        run_within(h, left)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            log.info("LP stopped: %s", h.modelStatusToString(h.getModelStatus()))
            break
        value = float(h.getInfo().objective_function_value)
        y = np.asarray(h.getSolution().row_dual)
        reduced = cost - full_t @ y
        most_negative = np.zeros(n_tasks)
        np.minimum.at(most_negative, cols.task, reduced)
        lagrangian = max(lagrangian, value + float(most_negative.sum()))
        candidates = np.flatnonzero((reduced < -TOLERANCE) & ~active)
        log.info("LP round %d: %d columns, value %.1f, %d improving", rounds, active.sum(),
                 value, len(candidates))
        if not len(candidates):
            x = np.zeros(cols.size)
            # the restricted LP is the full LP: its value is the bound
            x[np.concatenate(in_lp)] = np.asarray(h.getSolution().col_value)
            return LpResult(int(np.ceil(value - TOLERANCE)), value, reduced, x, rounds)
        order = candidates[np.lexsort((reduced[candidates], cols.task[candidates]))]
        tasks = cols.task[order]
        starts = np.r_[0, np.flatnonzero(np.diff(tasks)) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        add(order[rank < add_per_task])
    if n_tasks:
        log.info("LP not converged in time: Lagrangian bound %.1f (LP value %.1f)", lagrangian,
                 value)
        return LpResult(int(np.ceil(lagrangian - TOLERANCE)), value, reduced, np.zeros(cols.size),
                        rounds, converged=False)
    return LpResult(None, value, reduced, np.zeros(cols.size), rounds)
