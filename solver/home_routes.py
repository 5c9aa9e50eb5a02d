"""Home rounds as routes: a proven bound by column generation, and the best set of routes.

A *route* is what one home round does: a sequence of visits, each with its start on the
5-minute grid, the first after the drive from the round's base, each next one after the
previous exam and the drive between the two patients.  The home part is then a set
partitioning problem:

    minimise   sum_r cost_r l_r + sum_t unscheduled u_t
    subject to sum_r a_tr l_r + u_t = 1                 every home visit t
               sum_{r of round s} l_r <= 1              every round s
               sum_r |r|_d l_r <= max exams             every doctor-day d (when it can bind)
               l, u in {0, 1}

Its LP is solved by column generation over every route, feasible or not quite: pricing is a
dynamic programme over (last visit, start slot), exact over all routes that keep the
timing rules but may visit a patient twice.  That set contains every real route, so at any
prices ``y`` the Lagrangian value ``L(y)`` (the prices' value plus each round's cheapest
route at those prices, if negative) is a lower bound of the home part, whether or not the
LP has converged; at convergence it is the LP optimum.  The routes that visit each patient
once are real routes: a MIP over them (HiGHS) gives a home plan with its start times.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass

import highspy
import numpy as np

from solver.lp_bound import _native_stdout_silenced, run_within
from solver.week_model import GRID, Placement, WeekProblem

log = logging.getLogger(__name__)
TOLERANCE = 1e-6
BIG = 10**7
"""Cost of leaving a fixed visit out: never chosen, keeps the master feasible (a column
more only lowers the LP, so the bound stays valid)."""
ROUTES_PER_ROUND = 6
"""Routes added per round and pricing round (the cheapest per last visit)."""


@dataclass(frozen=True)
class Route:
    segment: int
    visits: tuple[tuple[int, int], ...]
    """(task, start) in order."""
    cost: int

    @property
    def elementary(self) -> bool:
        return len({t for t, _ in self.visits}) == len(self.visits)


@dataclass(frozen=True)
class HomeBound:
    bound: int
    """A proven lower bound of the home part's cost (unscheduled visits included)."""
    converged: bool
    routes: list[Route]
    lp_value: float
    rounds: int
    unscheduled: float = math.nan
    """Visits the LP leaves out (its sum of "unscheduled" values), when it was solved."""


class _Round:
    """The dynamic programme of one home round over (visit, start slot)."""

    def __init__(self, problem: WeekProblem, s: int, tasks: list[int], local: dict[int, int]):
        p = problem
        seg = p.segments[s]
        self.s = s
        self.tasks = tasks
        self.rows = np.array([local[t] for t in tasks], dtype=np.int64)
        n = len(tasks)
        self.k0 = -(-seg.start // GRID)
        last = seg.end // GRID
        self.width = max(1, last - self.k0 + 1)
        k = self.k0 + np.arange(self.width)
        minute = GRID * k
        duration = np.array([p.tasks[t].duration for t in tasks], dtype=np.int64)
        base = np.array([p.home_from_base.get((s, t), 0) for t in tasks], dtype=np.int64)
        legs = np.array([[0 if a == b else p.home_leg.get((a, b), 0) for b in tasks]
                         for a in tasks], dtype=np.int64).reshape(n, n)
        # slots from a visit o's start to the next visit t's earliest start
        self.gap = -(-(duration[:, None] + legs) // GRID)
        self.gap[np.arange(n), np.arange(n)] = self.width
        """Slots from a visit's start to the next visit's earliest start (never itself)."""
        self.first_slot = -(-(seg.start + base) // GRID) - self.k0
        """A route may begin with t only from this slot on (the drive from the base)."""
        self.cost = np.full((n, self.width), np.inf)
        for i, t in enumerate(tasks):
            spec = p.tasks[t]
            option = next(o for o in spec.options if o.segment == s)
            ok = minute + spec.duration <= seg.end
            if spec.fixed is not None:
                ok &= minute == spec.fixed[1]
            row = np.where(ok, float(option.cost), np.inf)
            if spec.pref_bonus:
                for a, b in option.windows:
                    inside = ok & (minute >= a) & (minute + spec.duration <= b)
                    row[inside] = option.cost - spec.pref_bonus
            self.cost[i] = row
        self.integer_cost = self.cost.copy()
        self.doctor_day = seg.doctor_day

    def relaxed(self, w: np.ndarray) -> np.ndarray:
        """``after[o, i]``: the cheapest way to go on after visiting o from slot i, over
        routes that keep the timing but may come back to a patient (0: stop there).

        A lower bound of every real continuation; its value at a fresh start bounds the
        round's cheapest real route."""
        n, width = len(self.tasks), self.width
        after = np.zeros((n, width))
        suffix = np.full((n, width + 1), np.inf)
        """suffix[t, j]: cheapest (w + after) of t at a slot >= j; column width is +inf."""
        cols = np.arange(n)
        for i in range(width - 1, -1, -1):
            if n:
                idx = np.minimum(i + self.gap, width)
                go_on = suffix[cols[None, :], idx].min(axis=1)
                after[:, i] = np.minimum(0.0, go_on)
            suffix[:, i] = np.minimum(suffix[:, i + 1], w[:, i] + after[:, i])
        return after

    def price(self, visit_price: np.ndarray, limit: int, deadline: float
              ) -> tuple[float, bool, list[Route]]:
        """The cheapest route at ``visit_price`` per visit (its reduced cost), whether that
        minimum is exact over real routes, and the cheapest real routes found.

        Labels (last visit, slot, visited, cost) are extended depth first; a label is cut
        when even the relaxed continuation cannot beat the best route so far, or when a
        label at the same last visit with the same or fewer patients ended no later for no
        more.  Past ``limit`` labels or ``deadline`` the search stops and the relaxed minimum is
        returned."""
        n, width = len(self.tasks), self.width
        w = self.cost - visit_price[:, None]
        after = self.relaxed(w)
        fresh = np.arange(width)[None, :] >= self.first_slot[:, None]
        total = np.where(fresh, w + after, np.inf)
        relaxed_min = min(0.0, float(total.min())) if n else 0.0
        # per visit, from each earliest slot: the slots worth starting at (each cheaper than
        # every earlier one)
        choices: list[list[list[tuple[int, float]]]] = []
        for t in range(n):
            row = w[t]
            per_slot: list[list[tuple[int, float]]] = [[] for _ in range(width + 1)]
            for e in range(width - 1, -1, -1):
                here = float(row[e])
                nxt = per_slot[e + 1]
                if np.isfinite(here):
                    per_slot[e] = [(e, here)] + [c for c in nxt if c[1] < here]
                else:
                    per_slot[e] = nxt
            choices.append(per_slot)
        gap = self.gap.tolist()
        after_l = after.tolist()
        best = 0.0
        found: list[tuple[float, tuple[tuple[int, int], ...]]] = []
        labels = 0
        seen: dict[tuple[int, frozenset[int]], list[tuple[int, float]]] = {}
        exact = True

        def extend(last: int, slot: int, cost: float, visited: frozenset[int],
                   path: tuple[tuple[int, int], ...]) -> None:
            nonlocal best, labels, exact
            for t in range(n):
                if t in visited or not exact:
                    continue
                e = slot + gap[last][t]
                if e >= width:
                    continue
                for j, wj in choices[t][e]:
                    c = cost + wj
                    if c + after_l[t][j] >= best - TOLERANCE:
                        continue
                    if not self._fresh_label(seen, t, visited, j, c):
                        continue
                    labels += 1
                    if labels > limit or (labels % 512 == 0 and time.monotonic() > deadline):
                        exact = False
                        return
                    step = (*path, (t, j))
                    if c < -TOLERANCE:
                        found.append((c, step))
                        best = min(best, c)
                    extend(t, j, c, visited | {t}, step)

        order: list[int] = [int(t) for t in np.argsort(total.min(axis=1))] if n else []
        for t in order:
            t = int(t)
            first = int(self.first_slot[t])
            if first >= width or not exact:
                continue
            for j, wj in choices[t][max(first, 0)]:
                if wj + after_l[t][j] >= best - TOLERANCE:
                    continue
                if not self._fresh_label(seen, t, frozenset(), j, wj):
                    continue
                labels += 1
                if wj < -TOLERANCE:
                    found.append((wj, ((t, j),)))
                    best = min(best, wj)
                extend(t, j, wj, frozenset((t,)), ((t, j),))
                if not exact:
                    break
        found.sort(key=lambda f: f[0])
        routes = []
        for _, path in found[:4 * ROUTES_PER_ROUND]:
            visits = tuple((self.tasks[t], GRID * (self.k0 + j)) for t, j in path)
            cost = sum(int(self.integer_cost[t, j]) for t, j in path)
            routes.append(Route(self.s, visits, cost))
        return (best if exact else relaxed_min), exact, routes

    @staticmethod
    def _fresh_label(seen: dict[tuple[int, frozenset[int]], list[tuple[int, float]]],
                     t: int, visited: frozenset[int], slot: int, cost: float) -> bool:
        """False when a label ending with t, over the same patients, ended no later for no
        more; else records this one."""
        key = (t, visited)
        kept = seen.get(key)
        if kept is None:
            seen[key] = [(slot, cost)]
            return True
        for s, c in kept:
            if s <= slot and c <= cost + TOLERANCE:
                return False
        kept.append((slot, cost))
        return True


def _round_tasks(problem: WeekProblem, tasks: list[int]) -> dict[int, list[int]]:
    per_round: dict[int, list[int]] = defaultdict(list)
    for t in tasks:
        spec = problem.tasks[t]
        for option in spec.options:
            if spec.fixed is not None and spec.fixed[0] != option.segment:
                continue
            seg = problem.segments[option.segment]
            if seg.is_home and seg.end - seg.start >= spec.duration:
                per_round[option.segment].append(t)
    return per_round


def trivial_bound(problem: WeekProblem, tasks: list[int]) -> int:
    """Each task at its cheapest option (or unscheduled), whatever the others do."""
    total = 0
    for t in tasks:
        spec = problem.tasks[t]
        cheapest = min((o.cost - (spec.pref_bonus if o.windows else 0) for o in spec.options),
                       default=problem.unscheduled_cost)
        total += cheapest if spec.fixed is not None else min(cheapest, problem.unscheduled_cost)
    return total


def home_bound(problem: WeekProblem, tasks: list[int], deadline: float,
               seed: list[Route] | None = None, label_limit: int = 20000,
               left_out: tuple[int, int] | None = None) -> HomeBound:
    """The LP bound of the home part by column generation, and the routes it generated.

    ``left_out = (lo, hi)``: only over the plans that leave between lo and hi visits out
    (a row on the "unscheduled" values; two artificial columns of cost ``BIG`` keep the
    master feasible, which only lowers the LP)."""
    p = problem
    local = {t: i for i, t in enumerate(tasks)}
    per_round = _round_tasks(p, tasks)
    rounds = [_Round(p, s, ts, local) for s, ts in sorted(per_round.items())]
    n = len(tasks)
    unscheduled = np.array([BIG if p.tasks[t].fixed is not None else p.unscheduled_cost
                            for t in tasks], dtype=float)
    day_rows: dict[int, int] = {}
    capacity: dict[int, int] = defaultdict(int)
    for r in rounds:
        seg = p.segments[r.s]
        shortest = min(p.tasks[t].duration for t in r.tasks)
        capacity[r.doctor_day] += (seg.end - seg.start) // max(1, shortest) + 1
    for dd, most in capacity.items():
        if most > p.day_limit[dd]:
            day_rows[dd] = len(day_rows)
    n_rows = n + len(rounds) + len(day_rows)
    round_row = {r.s: n + k for k, r in enumerate(rounds)}
    limit = np.array([p.day_limit[dd] for dd in day_rows], dtype=float)
    with _native_stdout_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    lower = np.r_[np.ones(n), np.full(len(rounds) + len(day_rows), -inf)]
    upper = np.r_[np.ones(n), np.ones(len(rounds)), limit]
    h.addRows(n_rows, lower, upper, 0, np.zeros(0, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    count_row = n_rows
    if left_out is None:
        h.addCols(n, unscheduled, np.zeros(n), np.full(n, inf), n,
                  np.arange(n, dtype=np.int32), np.arange(n, dtype=np.int32), np.ones(n))
    else:
        h.addRows(1, np.array([float(left_out[0])]), np.array([float(left_out[1])]), 0,
                  np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        # each "unscheduled" column in its visit's row and the count row; the artificials
        # (count row only) let the count be missed at cost BIG
        starts = np.r_[2 * np.arange(n), 2 * n, 2 * n + 1].astype(np.int32)
        index = np.r_[np.column_stack([np.arange(n), np.full(n, count_row)]).ravel(),
                      count_row, count_row].astype(np.int32)
        values = np.r_[np.ones(2 * n), 1.0, -1.0]
        h.addCols(n + 2, np.r_[unscheduled, BIG, BIG], np.zeros(n + 2),
                  np.r_[np.full(n, inf), n, n], len(index), starts, index, values)
    routes: list[Route] = []
    seen: set[tuple[int, tuple[tuple[int, int], ...]]] = set()

    def add(route: Route) -> None:
        key = (route.segment, route.visits)
        if key in seen:
            return
        seen.add(key)
        count: dict[int, float] = defaultdict(float)
        for t, _ in route.visits:
            count[local[t]] += 1.0
        index = list(count)
        values = [count[i] for i in index]
        index.append(round_row[route.segment])
        values.append(1.0)
        dd = p.segments[route.segment].doctor_day
        if dd in day_rows:
            index.append(n + len(rounds) + day_rows[dd])
            values.append(float(len(route.visits)))
        h.addCols(1, np.array([float(route.cost)]), np.zeros(1), np.array([inf]), len(index),
                  np.zeros(1, dtype=np.int32), np.array(index, dtype=np.int32),
                  np.array(values))
        routes.append(route)

    def route_price(route: Route, cover: np.ndarray, day_price: np.ndarray) -> float:
        dd = p.segments[route.segment].doctor_day
        return route.cost - sum(float(cover[local[t]]) + float(day_price[dd])
                                for t, _ in route.visits)

    for route in seed or []:
        if route.segment in round_row and all(t in local for t, _ in route.visits):
            add(route)
    bound = -math.inf
    value = math.nan
    iterations = 0
    out = math.nan
    converged = not rounds
    if not rounds:
        bound = float(unscheduled.sum())
    while rounds:
        iterations += 1
        left = deadline - time.monotonic()
        if left <= 0:
            break
        run_within(h, left)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            log.info("home LP stopped: %s", h.modelStatusToString(h.getModelStatus()))
            break
        value = float(h.getInfo().objective_function_value)
        y = np.asarray(h.getSolution().row_dual, dtype=float)
        out = float(np.asarray(h.getSolution().col_value)[:n].sum())
        cover = y[:n]
        convex = np.minimum(y[n:n + len(rounds)], 0.0)
        per_day = np.minimum(y[n + len(rounds):n_rows], 0.0)
        day_price = np.zeros(len(p.day_limit))
        for dd, k in day_rows.items():
            day_price[dd] = per_day[k]
        lagrangian = float(cover.sum()) + float((per_day * limit).sum())
        if left_out is None:
            lagrangian += float(np.minimum(0.0, unscheduled - cover).sum())
        else:
            # the count row's price: at its lower side when positive, else its upper side;
            # the artificials may take up to n each
            sigma = float(y[count_row])
            lagrangian += sigma * (left_out[0] if sigma > 0 else left_out[1]) \
                + float(np.minimum(0.0, unscheduled - cover - sigma).sum()) \
                + n * (min(0.0, BIG - sigma) + min(0.0, BIG + sigma))
        new = inexact = 0
        for k, r in enumerate(rounds):
            best, exact, found = r.price(cover[r.rows] + day_price[r.doctor_day], label_limit,
                                         deadline)
            lagrangian += best
            inexact += not exact
            for route in found[:ROUTES_PER_ROUND]:
                if route_price(route, cover, day_price) - convex[k] >= -TOLERANCE:
                    break
                before = len(routes)
                add(route)
                new += len(routes) - before
        bound = max(bound, lagrangian)
        log.info("home LP round %d: %d routes, value %.1f, bound %.1f, %d new, %d rounds "
                 "relaxed", iterations, len(routes), value, lagrangian, new, inexact)
        if not new:
            converged = not inexact
            break
    if not math.isfinite(bound):
        bound = float(trivial_bound(p, tasks))
    proven = max(math.ceil(bound - 1e-4), trivial_bound(p, tasks))
    return HomeBound(proven, converged, routes, value, iterations, out)


def branched_home_bound(problem: WeekProblem, tasks: list[int], deadline: float,
                        lp: HomeBound, label_limit: int = 20000) -> HomeBound:
    """A bound at least ``lp.bound``: when the converged LP leaves a fractional number u of
    visits out, every plan leaves at most floor(u) or at least floor(u) + 1 out, so the
    smaller of the two LP bounds over those plans bounds every plan."""
    u = lp.unscheduled
    if not lp.converged or not math.isfinite(u) or abs(u - round(u)) < 1e-6:
        return lp
    k, n = math.floor(u), len(tasks)
    now = time.monotonic()
    fewer = home_bound(problem, tasks, now + 0.5 * (deadline - now), seed=lp.routes,
                       label_limit=label_limit, left_out=(0, k))
    more = home_bound(problem, tasks, deadline, seed=lp.routes + fewer.routes,
                      label_limit=label_limit, left_out=(k + 1, n))
    bound = max(lp.bound, min(fewer.bound, more.bound))
    log.info("home LP leaves %.2f visits out: at most %d, bound %d; at least %d, bound %d",
             u, k, fewer.bound, k + 1, more.bound)
    routes = {(r.segment, r.visits): r for r in lp.routes + fewer.routes + more.routes}
    return HomeBound(bound, True, list(routes.values()), lp.lp_value, lp.rounds, u)


def best_routes(problem: WeekProblem, tasks: list[int], routes: list[Route], time_limit: float
                ) -> tuple[dict[int, Placement], int] | None:
    """The cheapest plan made of real routes (each patient once), by a MIP (HiGHS)."""
    p = problem
    real = [r for r in routes if r.elementary]
    local = {t: i for i, t in enumerate(tasks)}
    n = len(tasks)
    rounds = sorted({r.segment for r in real})
    round_row = {s: n + k for k, s in enumerate(rounds)}
    days = sorted({p.segments[s].doctor_day for s in rounds})
    day_row = {dd: n + len(rounds) + k for k, dd in enumerate(days)}
    with _native_stdout_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    fixed = np.array([p.tasks[t].fixed is not None for t in tasks])
    lower = np.r_[np.ones(n), np.full(len(rounds) + len(days), -inf)]
    upper = np.r_[np.ones(n), np.ones(len(rounds)),
                  np.array([p.day_limit[dd] for dd in days], dtype=float)]
    h.addRows(len(lower), lower, upper, 0, np.zeros(0, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    h.addCols(n, np.full(n, float(p.unscheduled_cost)), np.zeros(n),
              np.where(fixed, 0.0, 1.0), n, np.arange(n, dtype=np.int32),
              np.arange(n, dtype=np.int32), np.ones(n))
    for r in real:
        index = [local[t] for t, _ in r.visits] + [round_row[r.segment],
                                                   day_row[p.segments[r.segment].doctor_day]]
        values = [1.0] * len(r.visits) + [1.0, float(len(r.visits))]
        h.addCols(1, np.array([float(r.cost)]), np.zeros(1), np.ones(1), len(index),
                  np.zeros(1, dtype=np.int32), np.array(index, dtype=np.int32),
                  np.array(values))
    if real:
        h.changeColsIntegrality(len(real), np.arange(n, n + len(real), dtype=np.int32),
                                np.full(len(real), highspy.HighsVarType.kInteger))
    h.setOptionValue("time_limit", max(0.1, float(time_limit)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    if h.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible
        return None
    x = np.asarray(h.getSolution().col_value)
    placements: dict[int, Placement] = {}
    for k, r in enumerate(real):
        if x[n + k] > 0.5:
            for t, start in r.visits:
                placements[t] = Placement(r.segment, start)
    if any(p.tasks[t].fixed is not None and t not in placements for t in tasks):
        return None
    cost = sum(r.cost for k, r in enumerate(real) if x[n + k] > 0.5) \
        + p.unscheduled_cost * (n - len(placements))
    return placements, cost


def routes_of(problem: WeekProblem, placements: dict[int, Placement]) -> list[Route]:
    """The routes of a home plan (to seed the LP with a known schedule)."""
    per_round: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for t, where in placements.items():
        if problem.segments[where.segment].is_home:
            per_round[where.segment].append((where.start, t))
    out = []
    for s, visits in per_round.items():
        visits.sort()
        cost = 0
        for start, t in visits:
            spec = problem.tasks[t]
            option = next(o for o in spec.options if o.segment == s)
            inside = any(a <= start and start + spec.duration <= b for a, b in option.windows)
            cost += option.cost - (spec.pref_bonus if inside else 0)
        out.append(Route(s, tuple((t, start) for start, t in visits), cost))
    return out
