"""Solving a weekly problem: a greedy start, then home visits and centres apart.

1. :func:`solver.timeline.construct` places every task it can, greedily (or the given start,
   the hand plan, when it is better): a feasible schedule within a second or two.
2. Home visits and home rounds form a problem of their own: its bound comes from column
   generation over routes (:func:`solver.home_routes.home_bound`), raised by splitting on
   the number of visits left out (:func:`solver.home_routes.branched_home_bound`), its plan
   from a MIP over the routes found, improved by the CP-SAT model of
   :mod:`solver.home_rounds` while the home share of the time lasts.  The centres then get
   the doctors' day limits minus what the rounds took.
3. For the centres, :func:`solver.lp_bound.lp_bound` gives the proven lower bound (LP of
   the assignment relaxation over merged interchangeable segments, by column generation,
   or its Lagrangian bound, or each task at its cheapest, whatever time allows).  It does
   not depend on the rounds, so it is solved in a child process on the other core
   (:mod:`solver.lp_process`) from the end of the home LP on, while the rounds are planned
   and :mod:`solver.local_search` improves the start.  The LP solution is then rounded
   into a schedule and the local search goes on from that rounding (far costlier than the
   best schedule at first, but in the LP's neighbourhood, it ends far cheaper); then
   :class:`solver.assignment.AssignmentModel` (CP-SAT over the columns with the smallest
   reduced costs) re-chooses the segments with the time left.
4. :func:`solver.sequencing.sequence_group` gives start times per centre-day; exams that do
   not fit are re-inserted greedily, the local search polishes, and a capacity cut sends
   the assignment model back for another round while time remains.
The weekly bound is the sum of the two parts' bounds; neither depends on the day limits the
other part leaves, so the sum holds for the week.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from solver.assignment import AssignmentModel
from solver.columns import Columns, aggregate, build_columns, project
from solver.home_rounds import HomeResult, drives_consistent, solve_home_rounds
from solver.home_routes import (
    best_routes,
    branched_home_bound,
    home_bound,
    routes_of,
    trivial_bound,
)
from solver.local_search import improve
from solver.lp_bound import LpResult
from solver.lp_process import BackgroundLp
from solver.sequencing import groups, sequence_group
from solver.stopping import ShouldStop
from solver.timeline import Timeline, construct, guided, timeline_cost
from solver.week_model import Placement, Progress, WeekProblem, WeekSolution

log = logging.getLogger(__name__)
MAX_ROUNDS = 6
HOME_SHARE = 0.25
"""Share of the time limit the home rounds may take (plus what starting the centre LP takes)."""
EXACT_HOME_PAIRS = 300_000
"""Above this many (patient, patient) pairs in rounds, the exact CP-SAT model of the rounds
(one order literal per pair) is not tried: it proves nothing in the time."""
FIRST_SEARCH_SHARE = 0.35
"""Share of the centres' time limit for the local search on the start, before the LP, when
the LP is solved in this process."""
LP_SHARE = 0.7
"""Share of the centres' time by which the LP bound must be done (with home visits: of
the time after the home share)."""
SEQUENCING_RESERVE = 0.8
"""Share of the time left that the assignment model may take; the rest is for start times."""
LOCAL_SEARCH_SHARE = 0.85
"""Share of the time left after the LP for the local search from the LP's rounding."""
KEEP_PER_TASK = 10
"""Columns per task, by reduced cost, given to the integer model."""


def _in_window(problem: WeekProblem, t: int, where: Placement) -> bool:
    spec = problem.tasks[t]
    option = next(o for o in spec.options if o.segment == where.segment)
    return any(a <= where.start and where.start + spec.duration <= b for a, b in option.windows)


OnSolution = Callable[[tuple[Placement | None, ...], int], None]
"""Told each better schedule: a placement (or None) per task, and its cost."""


def solve_week(problem: WeekProblem, *, time_limit: float = 60.0, workers: int = 2,
               on_progress: Callable[[Progress], None] | None = None,
               on_solution: OnSolution | None = None,
               should_stop: ShouldStop | None = None,
               start: tuple[Placement | None, ...] | None = None) -> WeekSolution:
    """The best schedule found within ``time_limit`` seconds (or until ``should_stop()``).

    ``start``: a schedule to start from (a placement or None per task), used when it is
    feasible and better than the greedy construction."""
    started = time.monotonic()
    home = [t for t, spec in enumerate(problem.tasks)
            if spec.options and problem.segments[spec.options[0].segment].is_home]
    if not home:
        return _solve_centres(problem, time_limit=time_limit, workers=workers,
                              on_progress=on_progress, on_solution=on_solution,
                              should_stop=should_stop, start=start)

    def elapsed() -> float:
        return time.monotonic() - started

    line = _best_start(problem, start)
    greedy_cost, first_feasible = timeline_cost(line), elapsed()
    if on_progress:
        on_progress(Progress(first_feasible, greedy_cost, None))
    if on_solution:
        on_solution(_as_tuple(line.placed, len(problem.tasks)), greedy_cost)
    # the rounds may use only what the fixed exams at the centres leave of the day limits
    in_home = set(home)
    pinned = Counter(problem.segments[spec.fixed[0]].doctor_day
                     for t, spec in enumerate(problem.tasks)
                     if t not in in_home and spec.fixed is not None)
    home_problem = replace(problem, day_limit=tuple(
        max(0, limit - pinned[d]) for d, limit in enumerate(problem.day_limit)))
    rest = [t for t in range(len(problem.tasks)) if t not in in_home]
    # the centre LP does not depend on what the rounds take (it drops the day limits): it
    # is solved on the other core once the home LP and MIP are done, while the rest of the
    # rounds' planning goes on;
    # the rounds get the time its start takes on top of their share
    centre_lp: _CentreLp | None = None

    def start_centre_lp() -> tuple[int, float]:
        nonlocal centre_lp
        tasks = tuple(problem.tasks[t] for t in rest)
        if not any(spec.fixed is None and spec.options for spec in tasks):
            return workers, 0.0
        before = time.monotonic()
        centre_lp = _start_centre_lp(
            replace(problem, tasks=tasks, home_from_base={}, home_leg={}),
            {i: line.placed[t] for i, t in enumerate(rest) if t in line.placed},
            started + (HOME_SHARE + LP_SHARE * (1 - HOME_SHARE)) * time_limit)
        left = max(1, workers - 1) if centre_lp.job.background else workers
        return left, time.monotonic() - before

    homes = _solve_home(home_problem, home, line, started + HOME_SHARE * time_limit, workers,
                        should_stop, start_centre_lp)
    taken = Counter(problem.segments[p.segment].doctor_day for p in homes.placements.values())
    centres = WeekProblem(problem.segments, tuple(problem.tasks[t] for t in rest), problem.rooms,
                          tuple(limit - taken[d] for d, limit in enumerate(problem.day_limit)),
                          problem.unscheduled_cost)

    def progress(p: Progress) -> None:
        if on_progress:
            bound = None if p.bound is None or homes.bound is None else p.bound + homes.bound
            on_progress(Progress(elapsed(), p.cost + homes.cost, bound))

    def combine(part_placements: tuple[Placement | None, ...]) -> Timeline:
        merged = Timeline(problem)
        for t, where in homes.placements.items():
            merged.place(t, where.segment, where.start)
        for i, spot in enumerate(part_placements):
            if spot is not None:
                merged.place(rest[i], spot.segment, spot.start)
        return merged

    def solution(part_placements: tuple[Placement | None, ...], _: int) -> None:
        if on_solution:
            merged = combine(part_placements)
            on_solution(_as_tuple(merged.placed, len(problem.tasks)), timeline_cost(merged))

    part_start = tuple(line.placed.get(t) for t in rest)
    # the centre part's bound must hold whatever the rounds take of the day limits: it may
    # not use a limit the rounds lowered
    lowered = any(taken[d] for d in range(len(problem.day_limit)))
    try:
        part = _solve_centres(centres, time_limit=max(0.5, time_limit - elapsed()),
                              workers=workers, on_progress=progress, on_solution=solution,
                              should_stop=should_stop, start=part_start,
                              limits_lowered=lowered, centre_lp=centre_lp)
    finally:
        if centre_lp is not None:
            centre_lp.job.stop()
    merged = combine(part.placements)
    cost, placed = timeline_cost(merged), merged.placed
    if greedy_cost < cost:
        cost, placed = greedy_cost, line.placed
    bound = None if homes.bound is None or part.lower_bound is None \
        else homes.bound + part.lower_bound
    if bound is not None and bound > cost:
        log.warning("bound %d above the cost %d: bound dropped", bound, cost)
        bound = None
    stats = {**part.stats, "greedy_cost": greedy_cost, "home_cost": homes.cost,
             "home_bound": homes.bound if homes.bound is not None else -1}
    return WeekSolution(placements=tuple(placed.get(t) for t in range(len(problem.tasks))),
                        cost=cost, lower_bound=bound, optimal=bound is not None and bound >= cost,
                        first_feasible_seconds=first_feasible, seconds=elapsed(), stats=stats)


def _solve_home(problem: WeekProblem, home: list[int], line: Timeline, deadline: float,
                workers: int, should_stop: ShouldStop | None,
                after_lp: Callable[[], tuple[int, float]] | None = None) -> HomeResult:
    """The home part: its bound by column generation over routes, then the best plan of the
    start's own home visits, the routes' MIP and the CP-SAT model started from the better.

    ``after_lp()`` is called once the route LP and MIP are done; it returns the workers
    left for the rest and the seconds it took, which are added to ``deadline``."""
    start_homes = {t: line.placed[t] for t in home if t in line.placed}
    start_cost = sum(line.cost(t, w.segment, w.start) for t, w in start_homes.items()) \
        + problem.unscheduled_cost * (len(home) - len(start_homes))
    now = time.monotonic()
    start_routes = routes_of(problem, start_homes)
    lp = home_bound(problem, home, now + 0.5 * (deadline - now), seed=start_routes)
    best = HomeResult(start_homes, start_cost, lp.bound, start_cost <= lp.bound)
    per_round = Counter(o.segment for t in home for o in problem.tasks[t].options)
    exact_fits = sum(k * k for k in per_round.values()) <= EXACT_HOME_PAIRS
    if not best.optimal:
        # all the time left to the MIP when neither the split nor the exact model follows
        share = 0.7 if exact_fits else 0.6 if lp.converged else 1.0
        found = best_routes(problem, home, lp.routes,
                            max(0.1, share * (deadline - time.monotonic())))
        if found is not None and found[1] < best.cost and _home_fits(problem, found[0]):
            best = HomeResult(found[0], found[1], lp.bound, found[1] <= lp.bound)
    if after_lp is not None:
        workers, took = after_lp()
        deadline += took
    if best.optimal:
        return best
    if lp.converged:
        # then a stronger bound, split on the number of visits left out
        now = time.monotonic()
        lp = branched_home_bound(problem, home,
                                 now + (0.6 if exact_fits else 1.0) * (deadline - now), lp)
        best = HomeResult(best.placements, best.cost, lp.bound, best.cost <= lp.bound)
    log.info("home rounds: cost %d, bound %d (start %d, LP %s after %d rounds)", best.cost,
             lp.bound, start_cost, "converged" if lp.converged else "stopped", lp.rounds)
    left = deadline - time.monotonic()
    if not best.optimal and left > 1.0 and exact_fits and not (should_stop and should_stop()):
        exact = solve_home_rounds(problem, home, time_limit=left, workers=workers,
                                  hint=best.placements, should_stop=should_stop)
        bound = lp.bound
        if exact.bound is not None and drives_consistent(problem, home):
            bound = max(bound, exact.bound)
        if exact.cost < best.cost and _home_fits(problem, exact.placements):
            best = HomeResult(exact.placements, exact.cost, bound, exact.cost <= bound)
        else:
            best = HomeResult(best.placements, best.cost, bound, best.cost <= bound)
    return best


def _home_fits(problem: WeekProblem, placements: dict[int, Placement]) -> bool:
    """Whether home visits keep every rule (drives, rounds, day limits), placed in order."""
    line = Timeline(problem)
    for t, where in sorted(placements.items(), key=lambda kv: (kv[1].segment, kv[1].start)):
        spec = problem.tasks[t]
        if spec.fixed is not None and (where.segment, where.start) != spec.fixed:
            return False
        if not any(o.segment == where.segment for o in spec.options) or \
                not line.fits(t, where.segment, where.start):
            log.warning("home plan breaks a rule at task %d: not used", t)
            return False
        line.place(t, where.segment, where.start)
    return True


def _best_start(problem: WeekProblem, start: tuple[Placement | None, ...] | None) -> Timeline:
    """The greedy construction, or ``start`` if it is feasible and cheaper."""
    line = construct(problem)
    if start is None:
        return line
    given = Timeline(problem)
    for t, where in enumerate(start):
        if where is None:
            continue
        if problem.tasks[t].fixed is None and not given.fits(t, where.segment, where.start):
            log.info("the given start breaks a rule at task %d: not used", t)
            return line
        given.place(t, where.segment, where.start)
    if timeline_cost(given) < timeline_cost(line):
        return given
    return line


def _as_tuple(placed: dict[int, Placement], n: int) -> tuple[Placement | None, ...]:
    return tuple(placed.get(t) for t in range(n))


def _solve_centres(problem: WeekProblem, *, time_limit: float, workers: int,
                   on_progress: Callable[[Progress], None] | None,
                   on_solution: OnSolution | None = None,
                   should_stop: ShouldStop | None = None,
                   start: tuple[Placement | None, ...] | None = None,
                   limits_lowered: bool = False,
                   centre_lp: _CentreLp | None = None) -> WeekSolution:
    """The centre part.  ``limits_lowered``: the doctor-day limits are what home rounds left
    of them, so only bounds that ignore those limits are valid for the week (the LP over
    merged segments drops them).  ``centre_lp``: that LP, already being solved."""
    started = time.monotonic()

    def stopped() -> bool:
        return should_stop is not None and should_stop()

    deadline = started + time_limit

    def elapsed() -> float:
        return time.monotonic() - started

    line = _best_start(problem, start)
    best_cost = timeline_cost(line)
    best = dict(line.placed)
    first_feasible = elapsed()
    bound: int | None = trivial_bound(problem, list(range(len(problem.tasks))))
    if on_progress:
        on_progress(Progress(first_feasible, best_cost, None))
    if on_solution:
        on_solution(_as_tuple(best, len(problem.tasks)), best_cost)
    stats: dict[str, float] = {"greedy_cost": best_cost, "greedy_seconds": first_feasible,
                               "rounds": 0}

    reported_bound: int | None = None

    def report(progress: Progress) -> None:
        """Assignment solutions are not schedules yet: report the bound with the best cost."""
        nonlocal reported_bound
        if on_progress and progress.bound != reported_bound:
            reported_bound = progress.bound
            on_progress(Progress(progress.elapsed, best_cost, progress.bound))

    def keep_if_better(found: Timeline, cost: int, *, tell_progress: bool = True) -> bool:
        """Keep ``found`` when it beats the best schedule, and hand it over."""
        nonlocal best, best_cost
        if cost >= best_cost:
            return False
        best_cost, best = cost, dict(found.placed)
        if on_progress and tell_progress:
            on_progress(Progress(elapsed(), best_cost, bound))
        if on_solution:
            on_solution(_as_tuple(best, len(problem.tasks)), best_cost)
        return True

    movable = any(spec.fixed is None and spec.options for spec in problem.tasks)
    have_lp = False
    if movable and deadline - time.monotonic() > 0.5 and not stopped():
        if centre_lp is None:
            centre_lp = _start_centre_lp(problem, best, started + LP_SHARE * time_limit)
        job = centre_lp.job
        # the moves first, while the LP is solved on the other core (or, when it is solved
        # here, for a share of the time): a better schedule early
        improve(line, job.deadline if job.background else started + FIRST_SEARCH_SHARE
                * time_limit, lambda: stopped() or job.ready())
        keep_if_better(line, timeline_cost(line))
        cols = build_columns(problem)
        to_merged = project(cols, centre_lp.merged, centre_lp.class_of)
        stats["columns"] = cols.size
        stats["merged_columns"] = centre_lp.merged.size
        merged_lp = job.result(stopped)
        job.stop()
        if merged_lp is None:
            merged_lp = LpResult(None, float("nan"), np.zeros(centre_lp.merged.size),
                                 np.zeros(centre_lp.merged.size), 0, converged=False)
        lp = LpResult(merged_lp.bound, merged_lp.value, merged_lp.reduced[to_merged],
                      merged_lp.x[to_merged], merged_lp.rounds, merged_lp.converged)
        stats["lp_seconds"] = elapsed()
        stats["lp_rounds"] = lp.rounds
        have_lp = True
        if lp.bound is not None:
            bound = max(bound or 0, lp.bound)
        if on_progress:
            on_progress(Progress(elapsed(), best_cost, bound))
        if time.monotonic() < deadline and not stopped():
            # the moves again, from the LP's rounding when there is one: far from the best
            # schedule in cost at first, but in the LP's neighbourhood
            if lp.bound is not None and lp.converged:
                line = _round_lp(problem, cols, lp)
                stats["lp_rounding_cost"] = timeline_cost(line)
            else:
                line = Timeline(problem)
                for t, where in sorted(best.items(),
                                       key=lambda kv: problem.tasks[kv[0]].fixed is None):
                    line.place(t, where.segment, where.start)
            left = deadline - time.monotonic()
            improve(line, time.monotonic() + LOCAL_SEARCH_SHARE * left, should_stop)
            cost = timeline_cost(line)
            stats["local_search_cost"] = cost
            keep_if_better(line, cost)
    if have_lp and not stopped():
        incumbent = _columns_of(cols, problem, best)
        keep = _worth_keeping(cols, lp, incumbent)
        stats["model_columns"] = int(keep.sum())
        model = AssignmentModel(cols, keep, problem)
        hint = {t: (p.segment, _in_window(problem, t, p)) for t, p in best.items()}
        for round_no in range(MAX_ROUNDS):
            remaining = deadline - time.monotonic()
            if remaining < 0.3 or (bound is not None and best_cost <= bound) or stopped():
                break
            stats["rounds"] = round_no + 1
            share = SEQUENCING_RESERVE if round_no + 1 < MAX_ROUNDS else 0.9
            result = model.solve(hint, remaining * share, workers, bound, report, started,
                                 should_stop)
            if not result.feasible:
                break
            if result.optimal and lp.bound is not None and lp.converged and round_no == 0 \
                    and not limits_lowered:
                excluded = lp.reduced[~keep]
                floor = lp.value + (float(excluded.min()) if len(excluded) else np.inf)
                if floor >= result.objective - 1e-6:
                    bound = max(bound or 0, result.objective)
            placed, failed = _sequence(problem, result.chosen, deadline)
            improve(placed, deadline, should_stop)
            cost = timeline_cost(placed)
            log.info("round %d: assignment %d, after sequencing %d (bound %s)",
                     round_no, result.objective, cost, bound)
            keep_if_better(placed, cost)
            if not failed:
                break
            for segs, count in failed:
                model.cap_count(segs, count)
            hint = {t: (p.segment, _in_window(problem, t, p)) for t, p in best.items()}
    if bound is not None and bound > best_cost:
        log.warning("bound %d above the cost %d: bound dropped", bound, best_cost)
        bound = None
    placements = tuple(best.get(t) for t in range(len(problem.tasks)))
    return WeekSolution(placements=placements, cost=best_cost, lower_bound=bound,
                        optimal=bound is not None and bound >= best_cost,
                        first_feasible_seconds=first_feasible, seconds=elapsed(), stats=stats)


@dataclass
class _CentreLp:
    """The centre LP over merged segments, being solved (see :mod:`solver.lp_process`)."""

    merged: Columns
    class_of: np.ndarray
    job: BackgroundLp


def _start_centre_lp(problem: WeekProblem, placed: dict[int, Placement],
                     deadline: float) -> _CentreLp:
    """Start the LP of the merged segments, seeded with the columns of ``placed``."""
    merged_problem, class_of = aggregate(problem)
    merged = build_columns(merged_problem)
    seed = _columns_of(merged, merged_problem, {
        t: Placement(int(class_of[where.segment]), where.start) for t, where in placed.items()})
    return _CentreLp(merged, class_of, BackgroundLp(merged, deadline, np.unique(seed)))


def _sequence(problem: WeekProblem, chosen: dict[int, tuple[int, bool]],
              deadline: float | None = None) -> tuple[Timeline, list[tuple[list[int], int]]]:
    """Start times for an assignment; dropped exams re-inserted where they still fit.

    Also returns, for every group that could not take all its exams, its segments and how
    many exams they did take: the next assignment round is asked for no more."""
    line = Timeline(problem)
    failed: list[tuple[list[int], int]] = []
    dropped: list[int] = []
    todo = groups(problem, chosen)
    for k, tasks in enumerate(todo):
        left = 5.0 if deadline is None else (deadline - time.monotonic()) / (len(todo) - k)
        result = sequence_group(problem, tasks, chosen, time_limit=min(5.0, max(0.05, left)))
        for t, (s, start) in result.starts.items():
            line.place(t, s, start)
        if result.dropped:
            dropped.extend(result.dropped)
            failed.append((sorted({chosen[t][0] for t in tasks}), len(result.starts)))
    for t in sorted(dropped, key=lambda t: len(problem.tasks[t].options)):
        found = line.best_insertion(t)
        if found is not None:
            line.place(t, found[1], found[2])
    return line, failed


def _columns_of(cols: Columns, problem: WeekProblem, placed: dict[int, Placement]) -> np.ndarray:
    """The columns of a schedule (including "unscheduled" for the tasks it leaves out)."""
    out = []
    for t in range(len(problem.tasks)):
        where = placed.get(t)
        span = cols.of_task(t)
        if where is None:
            out.append(span.stop - 1)
            continue
        inside = _in_window(problem, t, where)
        for j in span:
            if cols.segment[j] == where.segment and bool(cols.window[j]) == inside:
                out.append(j)
                break
    return np.array(out, dtype=np.int64)


def _worth_keeping(cols: Columns, lp: LpResult, incumbent: np.ndarray) -> np.ndarray:
    """Columns for the integer model: the best by reduced cost, the LP's and the plan's."""
    keep = np.zeros(cols.size, dtype=bool)
    keep[incumbent] = True
    keep[cols.segment < 0] = True
    keep[lp.x > 1e-6] = True
    score = lp.reduced if lp.rounds > 0 and np.isfinite(lp.value) else cols.cost.astype(float)
    order = np.lexsort((score, cols.task))
    rank = np.arange(cols.size) - cols.first[cols.task[order]]
    keep[order[rank < KEEP_PER_TASK]] = True
    return keep


def _round_lp(problem: WeekProblem, cols: Columns, lp: LpResult) -> Timeline:
    """Follow the LP: tasks it serves wholly first, each in the segments it favours."""
    served = (cols.segment >= 0) & (lp.x > 1e-6)
    weight = np.zeros(len(problem.tasks))
    np.maximum.at(weight, cols.task[served], lp.x[served])
    targets: dict[int, list[int]] = {}
    idx = np.flatnonzero(served)
    order_cols = idx[np.lexsort((lp.reduced[idx], -lp.x[idx], cols.task[idx]))]
    for j in order_cols:
        targets.setdefault(int(cols.task[j]), []).append(int(cols.segment[j]))
    order = sorted(range(len(problem.tasks)),
                   key=lambda t: (-round(float(weight[t]), 6), len(problem.tasks[t].options)))
    return guided(problem, targets, order)
