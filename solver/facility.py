"""Facility location on a plain cost matrix: p-median, maximal covering, p-center, their
capacitated variants and expansion planning (existing sites kept open).

The models see integers and arrays only: ``cost[i, j]`` is the cost (travel minutes, km,
graph distance) of serving client ``i`` from candidate site ``j``, ``weights[i]`` the
client's demand.  Adapters (:mod:`geo.whatif`) compute the matrix from geography and
delegate here, as pysal/spopt does with ``from_cost_matrix``.  Every model checks its
input before solving and says what to change; every solve returns an immutable
:class:`FacilityResult` with the objective, a proven bound and the gap.

p-median (:class:`PMedian`), the exact method
    With ``c_ij = w_i d_ij``, the p-median problem is::

        min  sum_i theta_i
        s.t. sum_j y_j = p,   y_j = 1 for the kept (existing) sites,   y_j in {0, 1}
             theta_i >= r - sum_j (r - c_ij)^+ y_j     for every client i and radius r

    The last family is the *radius* (covering) formulation of Elloumi (2010) / García,
    Labbé & Marín (2011) written as Benders optimality cuts: if a site within ``r`` is
    open, the right-hand side is at most the distance to the nearest open site, else it is
    ``r``.  Its LP relaxation equals that of the classic strong formulation
    (``x_ij <= y_j``), but it has ``n + m`` columns instead of ``n m``.  The solve:

    1. a heuristic start: greedy, then best-improvement vertex substitution (the fast
       swap evaluation of Resende & Werneck), then perturbation and local search again;
    2. the LP relaxation by cutting planes; the most violated radius of a client is found
       in ``O(m)`` from the cumulative fractional openings along its sorted costs;
    3. reductions: a site whose LP reduced cost lifts the bound past the incumbent is
       closed (or kept open) for good, in the whole tree or in a subtree;
    4. branch and bound on ``y``, best bound first, each node's LP warm-started from the
       previous basis (HiGHS dual simplex) with its own cutting-plane rounds.

    With integral costs, a node is pruned when its bound exceeds ``incumbent - 1``, so the
    incumbent is *proven* optimal when the tree is empty; otherwise the relative ``gap``
    option applies.  Without integrality of the costs the default gap is ``1e-9``.

Maximal covering (:class:`MaxCovering`)::

        max sum_i w_i u_i   s.t.  u_i <= sum_{j: d_ij <= T} y_j,  sum_j y_j = p,  u <= 1

p-center (:class:`PCenter`): the smallest radius ``r`` among the distinct costs such that
``p`` sites cover every client within ``r`` (a minimum set-cover MIP per probe, by
bisection over the sorted distinct costs); spare sites are then added greedily by the
reduction of the total weighted cost.

Capacitated (:class:`CapacitatedPMedian`, :class:`CapacitatedFacilityLocation`)::

        min  sum_j f_j y_j + sum_ij c_ij x_ij
        s.t. sum_j x_ij = 1,  sum_i q_i x_ij <= Q_j y_j,  x_ij <= y_j,  (sum_j y_j = p)

with ``x`` continuous (demand may be split, the OR-Library convention) or binary
(``single_source=True``).  ``c_ij`` is the cost of serving *all* of client ``i`` from
``j``, as in the OR-Library files.  Solved by HiGHS branch and cut.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

INF = highspy.kHighsInf

__all__ = [
    "CapacitatedFacilityLocation",
    "CapacitatedPMedian",
    "FacilityError",
    "FacilityResult",
    "MaxCovering",
    "PCenter",
    "PMedian",
    "SolveProgress",
]


class FacilityError(ValueError):
    """An infeasible or malformed facility-location input; the message says what to change."""


@dataclass(frozen=True)
class SolveProgress:
    """Reported during a solve: elapsed seconds, best objective, proven bound, nodes."""

    elapsed: float
    objective: float
    bound: float
    nodes: int
    stage: str


ProgressFn = Callable[[SolveProgress], None]


@dataclass(frozen=True)
class FacilityResult:
    """The outcome of a solve (immutable).

    ``assignment[i]`` is the site serving client ``i`` (its main site when demand is
    split); ``allocation`` (capacitated models only) is the share of each client's demand
    per site, as ``((client, site, share), ...)``.
    """

    model: str
    status: str
    """``"optimal"`` (proven), ``"feasible"`` (time or node limit), ``"infeasible"``."""
    objective: float
    bound: float
    """A proven bound on the optimum (lower for minimisation, upper for max covering)."""
    open_sites: tuple[int, ...]
    assignment: tuple[int, ...]
    seconds: float
    nodes: int = 0
    allocation: tuple[tuple[int, int, float], ...] = ()
    heuristic_objective: float | None = None
    """The heuristic start's objective (p-median), for reporting."""
    details: tuple[tuple[str, float], ...] = field(default=())

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def gap(self) -> float:
        """Relative gap ``|objective - bound| / max(1, |objective|)``; 0 when proven."""
        if self.status == "optimal":
            return 0.0
        if not (math.isfinite(self.objective) and math.isfinite(self.bound)):
            return math.inf
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))


# -- input checks ----------------------------------------------------------------------


def _as_cost(cost: object, name: str = "cost") -> np.ndarray:
    arr = np.array(cost, dtype=float)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise FacilityError(f"{name} must be a non-empty (clients x sites) matrix, got shape "
                            f"{arr.shape}")
    if np.isnan(arr).any():
        raise FacilityError(f"{name} has NaN entries: use np.inf for 'unreachable'")
    if (arr < 0).any():
        raise FacilityError(f"{name} has negative entries (min {arr.min()}): costs must be >= 0")
    arr.setflags(write=False)
    return arr


def _as_weights(weights: object | None, n: int) -> np.ndarray:
    w = np.ones(n) if weights is None else np.array(weights, dtype=float).ravel()
    if w.size != n:
        raise FacilityError(f"{w.size} weights for {n} clients (one per row of the cost matrix)")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise FacilityError("weights must be finite and >= 0")
    w.setflags(write=False)
    return w


def _check_sites(sites: Sequence[int], m: int, what: str) -> tuple[int, ...]:
    out = tuple(sorted({int(s) for s in sites}))
    bad = [s for s in out if not 0 <= s < m]
    if bad:
        raise FacilityError(f"{what}: site index {bad[0]} outside 0..{m - 1}")
    return out


def _check_p(p: int, m: int, fixed: tuple[int, ...]) -> None:
    if not 1 <= p <= m:
        raise FacilityError(f"p = {p} sites requested but there are {m} candidate sites: "
                            f"choose p in 1..{m}")
    if len(fixed) > p:
        raise FacilityError(f"{len(fixed)} sites are kept open but p = {p}: raise p to at "
                            f"least {len(fixed)} or keep fewer sites")


def _reachable(cost: np.ndarray, weights: np.ndarray) -> None:
    dead = np.nonzero(~np.isfinite(cost).any(axis=1) & (weights > 0))[0]
    if dead.size:
        raise FacilityError(f"{dead.size} client(s) (first: row {int(dead[0])}) cannot reach "
                            "any candidate site (all costs infinite): add a site within "
                            "reach, allow another travel mode, or drop those clients")


def _finite(cost: np.ndarray) -> np.ndarray:
    """Infinite costs replaced by a penalty above any finite assignment."""
    if np.isfinite(cost).all():
        return cost
    top = float(np.max(cost[np.isfinite(cost)], initial=0.0))
    return np.where(np.isfinite(cost), cost, 10.0 * (top + 1.0) * cost.shape[0])


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.rint(values)) < 1e-9))


# -- p-median heuristic ----------------------------------------------------------------


def _nearest_two(cm: np.ndarray, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sub = cm[:, open_]
    n = cm.shape[0]
    if open_.size == 1:
        return np.zeros(n, dtype=np.int64), sub[:, 0], np.full(n, np.inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    a = sub[np.arange(n), part[:, 0]]
    b = sub[np.arange(n), part[:, 1]]
    first = np.where(a <= b, part[:, 0], part[:, 1])
    return first, np.minimum(a, b), np.maximum(a, b)


def _local_search(cm: np.ndarray, open_: np.ndarray, movable: np.ndarray,
                  deadline: float) -> tuple[np.ndarray, float]:
    """Best-improvement vertex substitution; ``movable[k]``: open site k may be swapped out.

    The change of swapping ``out`` for ``in`` is ``-gain(in) + T[out, in]`` with
    ``gain(in) = sum_i (d1_i - c_i,in)^+`` and ``T[out, in] = sum_{i: phi_i = out}
    clip(c_i,in - d1_i, 0, d2_i - d1_i)`` (Resende & Werneck)."""
    n = cm.shape[0]
    open_ = open_.copy()
    p = open_.size
    while True:
        first, d1, d2 = _nearest_two(cm, open_)
        if p == 1 or time.monotonic() > deadline:
            return open_, float(d1.sum())
        gain = np.maximum(d1[:, None] - cm, 0.0).sum(axis=0)
        extra = np.clip(cm - d1[:, None], 0.0, (d2 - d1)[:, None])
        owner = sp.csr_matrix((np.ones(n), (first, np.arange(n))), shape=(p, n))
        delta = np.asarray(owner @ extra) - gain[None, :]
        delta[:, open_] = np.inf
        delta[~movable, :] = np.inf
        k, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[k, j] < -1e-9 * max(1.0, float(d1.sum())):
            return open_, float(d1.sum())
        open_[k] = j


def _greedy(cm: np.ndarray, p: int, fixed: tuple[int, ...]) -> np.ndarray:
    n = cm.shape[0]
    chosen = list(fixed)
    best = cm[:, chosen].min(axis=1) if chosen else np.full(n, np.inf)
    while len(chosen) < p:
        total = np.minimum(best[:, None], cm).sum(axis=0)
        total[chosen] = np.inf
        j = int(np.argmin(total))
        chosen.append(j)
        best = np.minimum(best, cm[:, j])
    return np.array(chosen, dtype=np.int64)


def pmedian_heuristic(cm: np.ndarray, p: int, fixed: tuple[int, ...] = (),
                      seconds: float = 2.0, seed: int = 0,
                      candidates: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Greedy + vertex substitution + perturbation (``seconds`` at most after the first
    local optimum).  ``cm`` is the weighted cost; returns ``(open sites, cost)``."""
    started = time.monotonic()
    cols = np.arange(cm.shape[1]) if candidates is None else np.asarray(candidates)
    sub = cm[:, cols]
    local_fixed = tuple(int(np.nonzero(cols == f)[0][0]) for f in fixed)
    movable_of = np.array([True] * p)
    open_ = _greedy(sub, p, local_fixed)
    movable_of[: len(local_fixed)] = False
    deadline = started + max(seconds, 0.0) + 30.0
    best, best_cost = _local_search(sub, open_, movable_of, deadline)
    rng = np.random.default_rng(seed)
    free_slots = np.nonzero(movable_of)[0]
    stop = time.monotonic() + seconds
    tries = 0
    while free_slots.size and time.monotonic() < stop and sub.shape[1] > p:
        tries += 1
        trial = best.copy()
        k = int(rng.integers(1, max(2, min(4, free_slots.size) + 1)))
        closed = np.setdiff1d(np.arange(sub.shape[1]), trial)
        slots = rng.choice(free_slots, size=min(k, free_slots.size), replace=False)
        trial[slots] = rng.choice(closed, size=slots.size, replace=False)
        trial, cost = _local_search(sub, trial, movable_of, stop + 5.0)
        if cost < best_cost - 1e-9:
            best, best_cost = trial, cost
    log.debug("heuristic: %d perturbations, cost %s", tries, best_cost)
    return cols[best], best_cost


# -- p-median exact: radius cuts, branch and bound -------------------------------------


class _RadiusMaster:
    """The LP ``min sum theta`` over ``y`` with the radius cuts added so far (HiGHS)."""

    def __init__(self, cm: np.ndarray, p: int) -> None:
        self.cm = cm
        n, m = cm.shape
        self.n, self.m = n, m
        self.order = np.argsort(cm, axis=1, kind="stable")
        self.sorted = np.take_along_axis(cm, self.order, axis=1)
        self.scale = max(1.0, float(self.sorted[:, 0].sum()), float(cm.max()))
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 1)  # dual simplex, warm starts
        h.addVars(m, np.zeros(m), np.ones(m))
        h.addVars(n, self.sorted[:, 0].copy(), np.full(n, INF))
        h.changeColsCost(n, np.arange(m, m + n, dtype=np.int32), np.ones(n))
        h.addRow(float(p), float(p), m, np.arange(m, dtype=np.int32), np.ones(m))
        self.h = h
        self.cuts = 0

    def set_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.h.changeColsBounds(self.m, np.arange(self.m, dtype=np.int32),
                                lo.astype(float), hi.astype(float))

    def separate(self, y: np.ndarray, theta: np.ndarray, rows: np.ndarray | None = None
                 ) -> int:
        """Add the most violated radius cut of each client; returns how many."""
        idx = np.arange(self.n) if rows is None else rows
        ys = y[self.order[idx]]
        cs = np.cumsum(ys, axis=1)
        k = np.argmax(cs >= 1.0 - 1e-9, axis=1)
        k = np.where(cs[:, -1] >= 1.0 - 1e-9, k, self.m - 1)
        srt = self.sorted[idx]
        r = srt[np.arange(idx.size), k]
        slack = np.maximum(r[:, None] - srt, 0.0)
        value = r - (slack * ys).sum(axis=1)
        viol = value - theta[idx] > 1e-7 * self.scale
        viol &= value > self.sorted[idx, 0] + 1e-9
        which = np.nonzero(viol)[0]
        if which.size == 0:
            return 0
        starts, indices, values, lower = [0], [], [], []
        for q in which:
            cols = self.order[idx[q]][: k[q]]
            coef = slack[q][: k[q]]
            keep = coef > 0
            cols, coef = cols[keep], coef[keep]
            indices.append(cols)
            indices.append(np.array([self.m + idx[q]]))
            values.append(coef)
            values.append(np.ones(1))
            starts.append(starts[-1] + cols.size + 1)
            lower.append(r[q])
        ind = np.concatenate(indices).astype(np.int32)
        val = np.concatenate(values)
        self.h.addRows(which.size, np.array(lower), np.full(which.size, INF), ind.size,
                       np.array(starts[:-1], dtype=np.int32), ind, val)
        self.cuts += which.size
        return int(which.size)

    def solve(self, max_rounds: int = 200, deadline: float = math.inf
              ) -> tuple[str, float, np.ndarray, np.ndarray, np.ndarray]:
        """Cutting-plane loop: ``(status, bound, y, theta, reduced costs of y)``."""
        y = np.zeros(self.m)
        theta = np.zeros(self.n)
        obj = -math.inf
        for _ in range(max_rounds):
            self.h.run()
            status = self.h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return "infeasible", math.inf, y, theta, np.zeros(self.m)
            if status != highspy.HighsModelStatus.kOptimal:
                return "error", -math.inf, y, theta, np.zeros(self.m)
            sol = self.h.getSolution()
            col = np.array(sol.col_value)
            y, theta = col[: self.m], col[self.m:]
            obj = float(self.h.getInfo().objective_function_value)
            if time.monotonic() > deadline or self.separate(y, theta) == 0:
                break
        rc = np.array(self.h.getSolution().col_dual)[: self.m]
        return "optimal", obj, y, theta, rc


def _solve_pmedian(cm: np.ndarray, p: int, fixed: tuple[int, ...], time_limit: float,
                   rel_gap: float, heuristic_seconds: float | None,
                   on_progress: ProgressFn | None, max_nodes: int,
                   strong: int = 1) -> FacilityResult:
    started = time.monotonic()
    deadline = started + time_limit
    n, m = cm.shape
    integral = _integral(cm)
    hs = heuristic_seconds if heuristic_seconds is not None else min(
        0.05 * time_limit, 0.2 + n * m * p / 2e8)
    best_open, ub = pmedian_heuristic(cm, p, fixed, seconds=hs)
    heur = ub

    def tol() -> float:
        if integral:
            return 1.0 - 1e-6
        return max(rel_gap * abs(ub), 1e-9 * max(1.0, abs(ub)))

    def report(bound: float, nodes: int, stage: str) -> None:
        if on_progress is not None:
            on_progress(SolveProgress(time.monotonic() - started, ub, bound, nodes, stage))

    report(-math.inf, 0, "heuristic")
    if p == m:
        best_open = np.arange(m)
        ub = float(cm.min(axis=1).sum())
        return _pm_result(cm, best_open, ub, ub, "optimal", started, 0, heur)
    master = _RadiusMaster(cm, p)
    lo = np.zeros(m)
    hi = np.ones(m)
    lo[list(fixed)] = 1.0
    master.set_bounds(lo, hi)
    master.separate(np.isin(np.arange(m), best_open).astype(float), np.zeros(n))
    status, root, y, _theta, rc = master.solve(deadline=deadline)
    if status != "optimal":
        raise FacilityError(f"the p-median LP could not be solved ({status})")
    report(root, 1, "root")
    nodes = 1
    # global reduced-cost fixing at the root
    at0 = (y < 1e-9) & (lo < 0.5)
    at1 = (y > 1 - 1e-9) & (hi > 0.5) & (lo < 0.5)
    hi[at0 & (root + rc > ub - tol())] = 0.0
    lo[at1 & (root - rc > ub - tol())] = 1.0
    log.debug("root %.3f ub %.3f closed %d forced %d cuts %d", root, ub, int((hi < 0.5).sum()),
              int((lo > 0.5).sum()), master.cuts)
    cols = np.arange(m)
    full = cm
    open_sites = int((hi > 0.5).sum())
    if open_sites < 0.8 * m and open_sites > p and root <= ub - tol():
        # the closed sites leave the model: a smaller master for the tree
        cols = np.nonzero(hi > 0.5)[0]
        cm = full[:, cols]
        lo, hi = lo[cols], hi[cols]
        master = _RadiusMaster(cm, p)
        master.set_bounds(lo, hi)
        inside = np.isin(cols, best_open)
        if inside.sum() == p:
            master.separate(inside.astype(float), np.zeros(n))
        status, root2, y, _theta, rc = master.solve(deadline=deadline)
        if status == "optimal":
            root = max(root, root2)
    counter = 0
    heap: list[tuple[float, int, np.ndarray, np.ndarray]] = []
    if root <= ub - tol():
        heap.append((root, counter, lo.copy(), hi.copy()))
    global_bound = root
    last_report = time.monotonic()
    while heap:
        if time.monotonic() > deadline or nodes >= max_nodes:
            break
        bound, _, nlo, nhi = heapq.heappop(heap)
        global_bound = bound
        if bound > ub - tol():
            continue
        master.set_bounds(nlo, nhi)
        status, val, y, _theta, rc = master.solve(deadline=deadline)
        nodes += 1
        if status == "infeasible" or val > ub - tol():
            continue
        if status != "optimal":
            break
        frac = np.minimum(y, 1 - y)
        if frac.max() < 1e-6:
            cand = np.nonzero(y > 0.5)[0]
            cost = float(cm[:, cand].min(axis=1).sum())
            if cost < ub - 1e-9:
                ub, best_open = cost, cols[cand]
                report(global_bound, nodes, "incumbent")
            continue
        if nodes % 10 == 1:
            fixed_local = tuple(int(j) for j in np.nonzero(nlo > 0.5)[0])
            try_open, cost = pmedian_heuristic(cm, p, fixed_local, seconds=0.0,
                                               candidates=np.nonzero(nhi > 0.5)[0])
            if cost < ub - 1e-9:
                ub, best_open = cost, np.sort(cols[try_open])
                report(global_bound, nodes, "incumbent")
        # local reduced-cost fixing
        nlo, nhi = nlo.copy(), nhi.copy()
        gap_left = ub - tol() - val
        nhi[(y < 1e-9) & (nlo < 0.5) & (rc > gap_left)] = 0.0
        nlo[(y > 1 - 1e-9) & (nhi > 0.5) & (-rc > gap_left)] = 1.0
        score = frac + 1e-3 * y
        score[(nlo > 0.5) | (nhi < 0.5)] = -1.0
        if score.max() <= 1e-6:
            continue
        children = _branch(master, nlo, nhi, y, score, val, ub - tol(), p, strong, deadline)
        master.set_bounds(nlo, nhi)
        for child_bound, clo, chi in children:
            counter += 1
            heapq.heappush(heap, (child_bound, counter, clo, chi))
        if time.monotonic() - last_report > 1.0:
            last_report = time.monotonic()
            report(min(val, heap[0][0]) if heap else val, nodes, "branching")
    if heap and (time.monotonic() > deadline or nodes >= max_nodes):
        bound = min(h[0] for h in heap)
        status = "feasible"
    else:
        bound = ub
        status = "optimal"
    if integral and status == "feasible":
        bound = math.ceil(bound - 1e-6)
    log.debug("p-median: %d nodes, %d cuts, %.2f s", nodes, master.cuts,
              time.monotonic() - started)
    return _pm_result(full, best_open, ub, min(bound, ub), status, started, nodes, heur)


def _branch(master: _RadiusMaster, lo: np.ndarray, hi: np.ndarray, y: np.ndarray,
            score: np.ndarray, bound: float, cutoff: float, p: int, strong: int,
            deadline: float) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """The children of a node: strong branching on the ``strong`` most fractional sites
    (each child's LP with a few cut rounds; the product of the two bound increases picks
    the site), returning only the children whose bound stays below ``cutoff``."""
    order = np.argsort(-score)
    order = order[score[order] > 1e-6][: max(1, strong)]
    best: tuple[float, list[tuple[float, np.ndarray, np.ndarray]]] | None = None
    for j in order:
        kids: list[tuple[float, np.ndarray, np.ndarray]] = []
        gains = []
        for value in (1.0, 0.0):
            clo, chi = lo.copy(), hi.copy()
            clo[j] = chi[j] = value
            if clo.sum() > p + 1e-9 or chi.sum() < p - 1e-9:
                gains.append(math.inf)
                continue
            if strong > 1:
                master.set_bounds(clo, chi)
                status, child, *_ = master.solve(max_rounds=4, deadline=deadline)
                child = math.inf if status == "infeasible" else max(child, bound)
            else:
                child = bound
            gains.append(child - bound)
            if child <= cutoff:
                kids.append((child, clo, chi))
        if strong <= 1:
            return kids
        score_j = max(gains[0], 1e-6) * max(gains[1], 1e-6)
        if best is None or score_j > best[0]:
            best = (score_j, kids)
        if not kids:  # both children pruned: the node is done
            return []
    return best[1] if best is not None else []


def _pm_result(cm: np.ndarray, open_: np.ndarray, ub: float, bound: float, status: str,
               started: float, nodes: int, heur: float) -> FacilityResult:
    sites = np.sort(np.asarray(open_, dtype=np.int64))
    nearest = sites[np.argmin(cm[:, sites], axis=1)]
    return FacilityResult(model="p-median", status=status, objective=float(ub),
                          bound=float(bound), open_sites=tuple(int(s) for s in sites),
                          assignment=tuple(int(a) for a in nearest),
                          seconds=time.monotonic() - started, nodes=nodes,
                          heuristic_objective=float(heur))


@dataclass(frozen=True)
class PMedian:
    """Choose ``p`` sites minimising the weighted cost of serving every client from its
    nearest open site.  Build with :meth:`from_cost_matrix`; see the module docstring for
    the formulation and the method."""

    cost: np.ndarray
    weights: np.ndarray
    p: int
    fixed: tuple[int, ...] = ()
    """Sites kept open (expansion planning: the existing centres)."""

    @classmethod
    def from_cost_matrix(cls, cost: object, p: int, weights: object | None = None,
                         fixed: Sequence[int] = ()) -> PMedian:
        c = _as_cost(cost)
        w = _as_weights(weights, c.shape[0])
        kept = _check_sites(fixed, c.shape[1], "fixed")
        _check_p(p, c.shape[1], kept)
        _reachable(c, w)
        return cls(c, w, int(p), kept)

    def weighted(self) -> np.ndarray:
        return _finite(self.cost) * self.weights[:, None]

    def solve(self, time_limit: float = 60.0, gap: float = 0.0,
              heuristic_seconds: float | None = None,
              on_progress: ProgressFn | None = None, max_nodes: int = 1_000_000
              ) -> FacilityResult:
        """Solve to proven optimality, or until ``time_limit`` seconds (``status`` then
        ``"feasible"`` with the proven ``bound``)."""
        return _solve_pmedian(self.weighted(), self.p, self.fixed, time_limit, gap,
                              heuristic_seconds, on_progress, max_nodes)


# -- a small HiGHS MIP helper ----------------------------------------------------------


@dataclass(frozen=True)
class _MipOut:
    status: str
    objective: float
    bound: float
    x: np.ndarray
    nodes: int
    seconds: float


def _mip(cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, integer: np.ndarray,
         matrix: sp.csr_matrix, row_lo: np.ndarray, row_hi: np.ndarray, time_limit: float,
         gap: float, start: np.ndarray | None = None) -> _MipOut:
    """Minimise ``cost @ x`` s.t. ``row_lo <= matrix x <= row_hi``, bounds, integrality."""
    started = time.monotonic()
    a = sp.csc_matrix(matrix)
    lp = highspy.HighsLp()
    lp.num_col_ = int(cost.size)
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(lower, dtype=float)
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lo, dtype=float)
    lp.row_upper_ = np.asarray(row_hi, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                       for flag in integer]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=float))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    has = info.primal_solution_status >= 1
    x = np.array(h.getSolution().col_value) if has else np.zeros(cost.size)
    if status == highspy.HighsModelStatus.kOptimal:
        name = "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        name = "infeasible"
    else:
        name = "feasible" if has else "unknown"
    obj = float(info.objective_function_value) if has else math.inf
    bound = float(info.mip_dual_bound) if name != "optimal" else obj
    return _MipOut(name, obj, bound, x, int(info.mip_node_count), time.monotonic() - started)


def _nearest_open(cost: np.ndarray, sites: Sequence[int]) -> tuple[int, ...]:
    s = np.asarray(sorted(sites), dtype=np.int64)
    if s.size == 0:
        return tuple(-1 for _ in range(cost.shape[0]))
    return tuple(int(v) for v in s[np.argmin(_finite(cost)[:, s], axis=1)])


# -- maximal covering ------------------------------------------------------------------


@dataclass(frozen=True)
class MaxCovering:
    """Choose ``p`` sites covering the most demand within ``radius`` (cost <= radius).

    ``objective`` is the covered weight, ``bound`` a proven upper bound on it."""

    cost: np.ndarray
    weights: np.ndarray
    p: int
    radius: float
    fixed: tuple[int, ...] = ()

    @classmethod
    def from_cost_matrix(cls, cost: object, p: int, radius: float,
                         weights: object | None = None, fixed: Sequence[int] = ()
                         ) -> MaxCovering:
        c = _as_cost(cost)
        w = _as_weights(weights, c.shape[0])
        kept = _check_sites(fixed, c.shape[1], "fixed")
        _check_p(p, c.shape[1], kept)
        if not radius > 0:
            raise FacilityError(f"radius must be > 0, got {radius}")
        return cls(c, w, int(p), float(radius), kept)

    def solve(self, time_limit: float = 60.0, gap: float = 0.0) -> FacilityResult:
        started = time.monotonic()
        cover = sp.csr_matrix((self.cost <= self.radius).astype(float))
        n, m = self.cost.shape
        coverable = np.asarray(cover.sum(axis=1)).ravel() > 0
        rows_u = sp.hstack([-cover, sp.identity(n)]).tocsr()
        card = sp.csr_matrix(np.concatenate([np.ones(m), np.zeros(n)])[None, :])
        matrix = sp.vstack([rows_u, card]).tocsr()
        lower = np.zeros(m + n)
        lower[list(self.fixed)] = 1.0
        upper = np.concatenate([np.ones(m), coverable.astype(float)])
        cost = np.concatenate([np.zeros(m), -self.weights])
        # start: the greedy cover
        start = np.zeros(m + n)
        covered = np.zeros(n, dtype=bool)
        chosen = list(self.fixed)
        for j in chosen:
            covered |= np.asarray(cover[:, j].todense()).ravel() > 0.5
        dense = cover.toarray() > 0.5
        while len(chosen) < self.p:
            gain = (dense[~covered] * self.weights[~covered, None]).sum(axis=0)
            gain[chosen] = -1.0
            j = int(np.argmax(gain))
            chosen.append(j)
            covered |= dense[:, j]
        start[chosen] = 1.0
        start[m:] = covered.astype(float)
        out = _mip(cost, lower, upper, np.concatenate([np.ones(m, bool), np.zeros(n, bool)]),
                   matrix, np.concatenate([np.full(n, -INF), [self.p]]),
                   np.concatenate([np.zeros(n), [self.p]]), time_limit, gap, start)
        if out.status in ("infeasible", "unknown"):
            raise FacilityError(f"maximal covering found no solution ({out.status})")
        sites = tuple(int(j) for j in np.nonzero(out.x[:m] > 0.5)[0])
        y = np.zeros(m)
        y[list(sites)] = 1.0
        value = float(self.weights[(dense @ y) > 0.5].sum())
        return FacilityResult(model="max-covering", status=out.status, objective=value,
                              bound=max(value, -out.bound), open_sites=sites,
                              assignment=_nearest_open(self.cost, sites),
                              seconds=time.monotonic() - started, nodes=out.nodes,
                              details=(("radius", self.radius),
                                       ("share", value / max(float(self.weights.sum()),
                                                             1e-12))))


# -- p-center --------------------------------------------------------------------------


@dataclass(frozen=True)
class PCenter:
    """Choose ``p`` sites minimising the worst cost of a client (weight > 0) to its
    nearest open site.  Sites beyond the optimal cover are added greedily by the
    reduction of the total weighted cost (they never raise the worst cost)."""

    cost: np.ndarray
    weights: np.ndarray
    p: int
    fixed: tuple[int, ...] = ()

    @classmethod
    def from_cost_matrix(cls, cost: object, p: int, weights: object | None = None,
                         fixed: Sequence[int] = ()) -> PCenter:
        c = _as_cost(cost)
        w = _as_weights(weights, c.shape[0])
        kept = _check_sites(fixed, c.shape[1], "fixed")
        _check_p(p, c.shape[1], kept)
        _reachable(c, w)
        return cls(c, w, int(p), kept)

    def _covers(self, radius: float, time_limit: float) -> tuple[bool, tuple[int, ...]]:
        active = self.weights > 0
        cover = sp.csr_matrix((self.cost[active] <= radius).astype(float))
        m = self.cost.shape[1]
        if (np.asarray(cover.sum(axis=1)).ravel() == 0).any():
            return False, ()
        lower = np.zeros(m)
        lower[list(self.fixed)] = 1.0
        out = _mip(np.ones(m), lower, np.ones(m), np.ones(m, bool), cover,
                   np.ones(cover.shape[0]), np.full(cover.shape[0], INF), time_limit, 0.0)
        if out.status != "optimal":
            return out.status == "feasible" and out.objective <= self.p + 1e-9, ()
        sites = tuple(int(j) for j in np.nonzero(out.x > 0.5)[0])
        return len(sites) <= self.p, sites

    def solve(self, time_limit: float = 60.0) -> FacilityResult:
        started = time.monotonic()
        deadline = started + time_limit
        active = self.weights > 0
        values = np.unique(self.cost[active][np.isfinite(self.cost[active])])
        # the optimum is at least the largest "distance to the nearest site" of a client
        low_value = float(np.min(self.cost[active], axis=1).max())
        values = values[values >= low_value]
        lo, hi = 0, values.size - 1
        probes = 0
        while lo < hi:
            mid = (lo + hi) // 2
            probes += 1
            ok, _ = self._covers(float(values[mid]), max(0.1, deadline - time.monotonic()))
            if ok:
                hi = mid
            else:
                lo = mid + 1
        radius = float(values[lo])
        _, sites = self._covers(radius, max(0.1, deadline - time.monotonic()))
        chosen = list(sites) or list(self.fixed)
        # fill up to p sites by the greatest reduction of the weighted total cost
        cm = _finite(self.cost) * self.weights[:, None]
        best = cm[:, chosen].min(axis=1) if chosen else np.full(cm.shape[0], np.inf)
        while len(chosen) < self.p:
            total = np.minimum(best[:, None], cm).sum(axis=0)
            total[chosen] = np.inf
            j = int(np.argmin(total))
            chosen.append(j)
            best = np.minimum(best, cm[:, j])
        assignment = _nearest_open(self.cost, chosen)
        worst = float(self.cost[np.nonzero(active)[0],
                                np.asarray(assignment)[active]].max())
        total_cost = float(best.sum())
        status = "optimal" if time.monotonic() <= deadline else "feasible"
        return FacilityResult(model="p-center", status=status, objective=worst,
                              bound=radius if status == "optimal" else low_value,
                              open_sites=tuple(sorted(chosen)), assignment=assignment,
                              seconds=time.monotonic() - started, nodes=probes,
                              details=(("total_cost", total_cost),))


# -- capacitated -----------------------------------------------------------------------


def _capacitated(cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray | None,
                 fixed_cost: np.ndarray, p: int | None, kept: tuple[int, ...],
                 single_source: bool, time_limit: float, gap: float, model: str,
                 nearest: int | None) -> FacilityResult:
    """``min f y + sum c_ij x_ij`` with ``sum_j x_ij = 1``, capacities, ``x_ij <= y_j``."""
    started = time.monotonic()
    n, m = cost.shape
    c = _finite(cost)
    allowed = np.isfinite(cost)
    if nearest is not None and nearest < m:
        rank = np.argsort(np.argsort(c, axis=1, kind="stable"), axis=1)
        allowed &= rank < nearest
        allowed[:, list(kept)] |= np.isfinite(cost[:, list(kept)])
    ii, jj = np.nonzero(allowed)
    k = ii.size
    # columns: y (m), then x for each allowed pair
    col_cost = np.concatenate([fixed_cost, c[ii, jj]])
    lower = np.zeros(m + k)
    lower[list(kept)] = 1.0
    upper = np.ones(m + k)
    integer = np.concatenate([np.ones(m, bool), np.full(k, single_source)])
    xs = m + np.arange(k)
    blocks = []
    lo_parts, hi_parts = [], []
    # assignment: sum_j x_ij = 1
    blocks.append(sp.csr_matrix((np.ones(k), (ii, xs)), shape=(n, m + k)))
    lo_parts.append(np.ones(n))
    hi_parts.append(np.ones(n))
    if capacity is not None:
        cap = sp.csr_matrix((np.concatenate([demand[ii], -capacity]),
                             (np.concatenate([jj, np.arange(m)]),
                              np.concatenate([xs, np.arange(m)]))), shape=(m, m + k))
        blocks.append(cap)
        lo_parts.append(np.full(m, -INF))
        hi_parts.append(np.zeros(m))
        if demand.sum() > capacity.sum() + 1e-9:
            raise FacilityError(f"total demand {demand.sum():g} exceeds the total capacity "
                                f"{capacity.sum():g} of all sites: add capacity or sites")
    # strong linking x_ij <= y_j
    blocks.append(sp.csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]),
                                 (np.concatenate([np.arange(k), np.arange(k)]),
                                  np.concatenate([xs, jj]))), shape=(k, m + k)))
    lo_parts.append(np.full(k, -INF))
    hi_parts.append(np.zeros(k))
    if p is not None:
        blocks.append(sp.csr_matrix((np.ones(m), (np.zeros(m, int), np.arange(m))),
                                    shape=(1, m + k)))
        lo_parts.append(np.array([float(p)]))
        hi_parts.append(np.array([float(p)]))
    out = _mip(col_cost, lower, upper, integer, sp.vstack(blocks).tocsr(),
               np.concatenate(lo_parts), np.concatenate(hi_parts), time_limit, gap)
    if out.status == "infeasible":
        raise FacilityError(f"{model}: no feasible solution: the capacities cannot serve the "
                            "demand with these sites (raise capacities, p, or the allowed "
                            "pairs)")
    if out.status == "unknown":
        raise FacilityError(f"{model}: no solution within {time_limit:g} s: raise the time "
                            "limit")
    sites = tuple(int(j) for j in np.nonzero(out.x[:m] > 0.5)[0])
    share = out.x[m:]
    alloc = tuple((int(ii[q]), int(jj[q]), float(share[q])) for q in np.nonzero(share > 1e-9)[0])
    main = np.full(n, -1, dtype=np.int64)
    best = np.zeros(n)
    for i, j, s in alloc:
        if s > best[i]:
            best[i], main[i] = s, j
    return FacilityResult(model=model, status=out.status, objective=out.objective,
                          bound=out.bound, open_sites=sites,
                          assignment=tuple(int(a) for a in main),
                          seconds=time.monotonic() - started, nodes=out.nodes, allocation=alloc)


@dataclass(frozen=True)
class CapacitatedPMedian:
    """``p`` sites minimising the weighted cost, each site serving at most its capacity of
    demand (``weights`` is the demand).  ``single_source=True`` keeps each client whole."""

    cost: np.ndarray
    weights: np.ndarray
    capacity: np.ndarray
    p: int
    fixed: tuple[int, ...] = ()
    single_source: bool = False

    @classmethod
    def from_cost_matrix(cls, cost: object, p: int, capacity: object,
                         weights: object | None = None, fixed: Sequence[int] = (),
                         single_source: bool = False) -> CapacitatedPMedian:
        c = _as_cost(cost)
        w = _as_weights(weights, c.shape[0])
        kept = _check_sites(fixed, c.shape[1], "fixed")
        _check_p(p, c.shape[1], kept)
        _reachable(c, w)
        cap = np.array(capacity, dtype=float).ravel()
        if cap.size != c.shape[1] or (cap < 0).any():
            raise FacilityError(f"capacity needs one value >= 0 per site ({c.shape[1]}), got "
                                f"{cap.size}")
        top = float(np.sort(cap)[::-1][:p].sum())
        if top + 1e-9 < float(w.sum()):
            raise FacilityError(f"the {p} largest sites hold {top:g} but the demand is "
                                f"{w.sum():g}: raise p or the capacities")
        cap.setflags(write=False)
        return cls(c, w, cap, int(p), kept, single_source)

    def solve(self, time_limit: float = 60.0, gap: float = 1e-6,
              nearest: int | None = None) -> FacilityResult:
        """``nearest``: allow each client only its ``nearest`` cheapest sites (smaller
        model; kept sites always allowed)."""
        return _capacitated(self.cost * self.weights[:, None], self.weights, self.capacity,
                            np.zeros(self.cost.shape[1]), self.p, self.fixed,
                            self.single_source, time_limit, gap, "capacitated p-median",
                            nearest)


@dataclass(frozen=True)
class CapacitatedFacilityLocation:
    """Open sites at a fixed cost each, serve every client's demand within capacities,
    minimising fixed plus allocation cost (``cost[i, j]``: serving all of ``i`` from
    ``j``, the OR-Library convention).  ``capacity=None``: uncapacitated."""

    cost: np.ndarray
    demand: np.ndarray
    fixed_cost: np.ndarray
    capacity: np.ndarray | None
    fixed: tuple[int, ...] = ()
    p: int | None = None
    single_source: bool = False

    @classmethod
    def from_cost_matrix(cls, cost: object, fixed_cost: object, demand: object | None = None,
                         capacity: object | None = None, fixed: Sequence[int] = (),
                         p: int | None = None, single_source: bool = False
                         ) -> CapacitatedFacilityLocation:
        c = _as_cost(cost)
        d = _as_weights(demand, c.shape[0])
        f = np.array(fixed_cost, dtype=float).ravel()
        if f.size != c.shape[1] or (f < 0).any():
            raise FacilityError(f"fixed_cost needs one value >= 0 per site ({c.shape[1]})")
        kept = _check_sites(fixed, c.shape[1], "fixed")
        if p is not None:
            _check_p(p, c.shape[1], kept)
        _reachable(c, d)
        cap = None
        if capacity is not None:
            cap = np.array(capacity, dtype=float).ravel()
            if cap.size != c.shape[1] or (cap < 0).any():
                raise FacilityError(f"capacity needs one value >= 0 per site ({c.shape[1]})")
            cap.setflags(write=False)
        f.setflags(write=False)
        return cls(c, d, f, cap, kept, p, single_source)

    def solve(self, time_limit: float = 60.0, gap: float = 1e-9,
              nearest: int | None = None) -> FacilityResult:
        name = "capacitated facility location" if self.capacity is not None else \
            "uncapacitated facility location"
        return _capacitated(self.cost, self.demand, self.capacity, self.fixed_cost, self.p,
                            self.fixed, self.single_source, time_limit, gap, name, nearest)
