"""The weekly solver on its own integers: every placement it returns obeys every hard rule.

Problems are written directly as :class:`solver.week_model.WeekProblem` (no dates, no
domain objects), and each solution is checked by :func:`verify`, a small checker of the
integer model written here from the docstrings of :mod:`solver.week_model`: options,
segment bounds, the grid, no overlap, day limits, rooms, home legs, fixed tasks, the cost,
and the bound.  The domain-level rules are tested through ``plan_week`` in
``tests/scheduler/test_plan.py``.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from itertools import combinations, pairwise
from typing import Any

import pytest

from scheduler.plan import plan_week
from scheduler.validate import check_schedule, format_report
from scheduler.week_format import week_from_dict
from solver.week_model import (
    GRID,
    HOME_CENTRE,
    Option,
    Placement,
    Progress,
    SegmentSpec,
    TaskSpec,
    WeekProblem,
    WeekSolution,
)
from solver.week_solver import solve_week

UNSCHEDULED = 10_000
TIME_LIMIT = 2.0


def problem(segments: list[SegmentSpec], tasks: list[TaskSpec], rooms: tuple[int, ...] = (2,),
            day_limit: tuple[int, ...] | None = None,
            home_from_base: dict[tuple[int, int], int] | None = None,
            home_leg: dict[tuple[int, int], int] | None = None) -> WeekProblem:
    limits = day_limit if day_limit is not None else \
        tuple(16 for _ in range(1 + max((s.doctor_day for s in segments), default=0)))
    return WeekProblem(segments=tuple(segments), tasks=tuple(tasks), rooms=rooms,
                       day_limit=limits, unscheduled_cost=UNSCHEDULED,
                       home_from_base=home_from_base or {}, home_leg=home_leg or {})


def seg(start: int = 540, end: int = 750, *, doctor: int = 0, day: int = 0, centre: int = 0,
        doctor_day: int = 0) -> SegmentSpec:
    return SegmentSpec(doctor=doctor, day=day, start=start, end=end, centre=centre,
                       doctor_day=doctor_day)


def task(duration: int = 30, options: dict[int, int] | None = None,
         windows: dict[int, tuple[tuple[int, int], ...]] | None = None, pref_bonus: int = 0,
         fixed: tuple[int, int] | None = None) -> TaskSpec:
    """A task; ``options`` maps segment -> cost (default: segment 0 at cost 0)."""
    opts = options if options is not None else {0: 0}
    wins = windows or {}
    return TaskSpec(duration=duration,
                    options=tuple(Option(s, c, wins.get(s, ())) for s, c in opts.items()),
                    pref_bonus=pref_bonus, fixed=fixed)


def cost_of(p: WeekProblem, t: int, where: Placement | None) -> int:
    if where is None:
        return p.unscheduled_cost
    spec = p.tasks[t]
    option = next(o for o in spec.options if o.segment == where.segment)
    inside = any(a <= where.start and where.start + spec.duration <= b
                 for a, b in option.windows)
    return option.cost - (spec.pref_bonus if inside else 0)


def verify(p: WeekProblem, sol: WeekSolution) -> None:
    """Every hard rule of the integer model, the cost and the bound."""
    assert len(sol.placements) == len(p.tasks)
    by_seg: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    by_doctor: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    by_room: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    per_day: dict[int, int] = defaultdict(int)
    for t, where in enumerate(sol.placements):
        spec = p.tasks[t]
        if spec.fixed is not None:
            assert where == Placement(*spec.fixed), f"task {t} moved from its fixed place"
        if where is None:
            continue
        assert where.segment in {o.segment for o in spec.options}, f"task {t}: not an option"
        s = p.segments[where.segment]
        end = where.start + spec.duration
        assert s.start <= where.start and end <= s.end, f"task {t} outside its segment"
        assert where.start % GRID == 0, f"task {t} off the grid"
        by_seg[where.segment].append((where.start, end, t))
        by_doctor[s.doctor, s.day].append((where.start, end))
        per_day[s.doctor_day] += 1
        if not s.is_home:
            by_room[s.centre, s.day].append((where.start, end))
    for (doctor, day), spans in by_doctor.items():
        for (a0, a1), (b0, b1) in combinations(spans, 2):
            assert a1 <= b0 or b1 <= a0, f"doctor {doctor} overlaps on day {day}"
    for dd, n in per_day.items():
        assert n <= p.day_limit[dd], f"doctor-day {dd}: {n} exams"
    for (centre, day), spans in by_room.items():
        events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
        level = 0
        for _, step in events:
            level += step
            assert level <= p.rooms[centre], f"centre {centre} day {day}: {level} exams at once"
    for s_idx, exams in by_seg.items():
        s = p.segments[s_idx]
        if not s.is_home:
            continue
        exams.sort()
        ready = s.start + p.home_from_base.get((s_idx, exams[0][2]), 0)
        assert exams[0][0] >= ready, f"segment {s_idx}: no time to drive from base"
        for (_, prev_end, prev), (start, _, t) in pairwise(exams):
            assert start >= prev_end + p.home_leg.get((prev, t), 0), \
                f"segment {s_idx}: no time to drive from task {prev} to task {t}"
    assert sol.cost == sum(cost_of(p, t, w) for t, w in enumerate(sol.placements))
    if sol.lower_bound is not None:
        assert sol.lower_bound <= sol.cost
    if sol.optimal:
        assert sol.lower_bound == sol.cost


def solve(p: WeekProblem, progress: list[Progress] | None = None) -> WeekSolution:
    sol = solve_week(p, time_limit=TIME_LIMIT, workers=2,
                     on_progress=None if progress is None else progress.append)
    verify(p, sol)
    return sol


def placed(sol: WeekSolution) -> set[int]:
    return {t for t, w in enumerate(sol.placements) if w is not None}


# ---------------------------------------------------------------- small cases


def test_an_empty_problem() -> None:
    sol = solve(problem([seg()], []))
    assert sol.placements == ()
    assert sol.cost == 0


def test_one_task_one_segment_is_optimal() -> None:
    sol = solve(problem([seg()], [task(options={0: 17})]))
    assert placed(sol) == {0}
    assert sol.cost == 17
    assert sol.optimal and sol.lower_bound == 17


def test_a_task_without_options_is_unscheduled() -> None:
    sol = solve(problem([seg()], [task(options={}), task()]))
    assert sol.placements[0] is None
    assert placed(sol) == {1}
    assert sol.cost == UNSCHEDULED


def test_no_segments_at_all() -> None:
    sol = solve(problem([], [task(options={}), task(options={})], rooms=(), day_limit=()))
    assert sol.placements == (None, None)
    assert sol.cost == 2 * UNSCHEDULED
    assert sol.lower_bound in (None, 2 * UNSCHEDULED)


def test_the_cheapest_tasks_fill_a_full_segment() -> None:
    # Room for two 60-minute exams; all four want in: the cheapest two is the only optimum.
    tasks = [task(60, {0: c}) for c in (40, 5, 30, 10)]
    sol = solve(problem([seg(540, 660)], tasks))
    assert placed(sol) == {1, 3}
    assert sol.cost == 2 * UNSCHEDULED + 15
    assert sol.optimal


def test_a_doctor_never_examines_two_patients_at_once() -> None:
    tasks = [task(25 + 5 * (i % 3)) for i in range(7)]
    sol = solve(problem([seg(540, 750)], tasks, rooms=(6,)))
    assert placed(sol) == set(range(7))


def test_one_room_shared_by_two_doctors() -> None:
    segs = [seg(540, 660, doctor=0, doctor_day=0), seg(540, 660, doctor=1, doctor_day=1)]
    tasks = [task(60, {0: 0, 1: 0}) for _ in range(3)]
    sol = solve(problem(segs, tasks, rooms=(1,)))
    assert len(placed(sol)) == 2  # two hours, one room


def test_rooms_are_per_centre_and_day() -> None:
    segs = [seg(540, 600, doctor=0, centre=0, doctor_day=0),
            seg(540, 600, doctor=1, centre=1, doctor_day=1),
            seg(540, 600, doctor=2, centre=0, day=1, doctor_day=2)]
    tasks = [task(60, {0: 0, 1: 0, 2: 0}) for _ in range(3)]
    sol = solve(problem(segs, tasks, rooms=(1, 1)))
    assert placed(sol) == {0, 1, 2}


def test_the_day_limit_spans_the_segments_of_a_doctor_day() -> None:
    segs = [seg(540, 720, doctor_day=0), seg(780, 960, doctor_day=0)]
    tasks = [task(30, {0: 0, 1: 0}) for _ in range(5)]
    sol = solve(problem(segs, tasks, day_limit=(3,)))
    assert len(placed(sol)) == 3


def test_durations_off_the_grid_still_start_on_it() -> None:
    sol = solve(problem([seg(540, 600)], [task(17), task(17), task(17)]))
    assert len(placed(sol)) == 3
    assert all(w is None or w.start % GRID == 0 for w in sol.placements)


def test_a_fixed_task_stays_and_the_others_go_around_it() -> None:
    tasks = [task(30, fixed=(0, 570)), task(30), task(30), task(30)]
    sol = solve(problem([seg(540, 660)], tasks, rooms=(1,)))
    assert sol.placements[0] == Placement(0, 570)
    assert len(placed(sol)) == 4


def test_a_fixed_task_in_a_costly_segment_stays_there() -> None:
    segs = [seg(540, 660, doctor_day=0), seg(540, 660, doctor=1, doctor_day=1)]
    tasks = [task(30, {0: 0, 1: 500}, fixed=(1, 600))]
    sol = solve(problem(segs, tasks))
    assert sol.placements[0] == Placement(1, 600)
    assert sol.cost == 500


def test_the_preferred_window_is_taken_when_it_pays() -> None:
    tasks = [task(30, {0: 60}, windows={0: ((600, 660),)}, pref_bonus=60)]
    sol = solve(problem([seg(540, 750)], tasks))
    where = sol.placements[0]
    assert where is not None and 600 <= where.start <= 630
    assert sol.cost == 0
    assert sol.optimal


def test_windows_are_shared_out_when_they_compete() -> None:
    # Two doctors, one room, one preferred hour: only two 30-minute exams fit in it.
    segs = [seg(540, 750, doctor=0, doctor_day=0), seg(540, 750, doctor=1, doctor_day=1)]
    tasks = [task(30, {0: 60, 1: 60}, windows={0: ((600, 660),), 1: ((600, 660),)},
                  pref_bonus=60) for _ in range(3)]
    sol = solve(problem(segs, tasks, rooms=(1,)))
    assert placed(sol) == {0, 1, 2}
    assert sol.cost == 60  # the relaxation behind the bound does not see the room: no proof


def test_a_home_round_waits_for_the_drives() -> None:
    home = seg(780, 960, centre=HOME_CENTRE)
    tasks = [task(45), task(45)]
    sol = solve(problem([home], tasks, rooms=(),
                        home_from_base={(0, 0): 30, (0, 1): 20},
                        home_leg={(0, 1): 25, (1, 0): 25}))
    assert placed(sol) == {0, 1}
    (a_start, a), (b_start, _b) = sorted((w.start, t) for t, w in enumerate(sol.placements)
                                        if w is not None)
    assert a_start >= 780 + (30 if a == 0 else 20)
    assert b_start >= a_start + 45 + 25


def test_a_home_round_too_short_for_both_drives() -> None:
    home = seg(780, 900, centre=HOME_CENTRE)  # 120 minutes
    tasks = [task(45), task(45)]
    sol = solve(problem([home], tasks, rooms=(),
                        home_from_base={(0, 0): 10, (0, 1): 10},
                        home_leg={(0, 1): 25, (1, 0): 25}))
    assert len(placed(sol)) == 1  # 10 + 45 + 25 + 45 = 125 > 120


def test_home_rounds_do_not_use_centre_rooms() -> None:
    segs = [seg(540, 600, doctor=0, doctor_day=0),
            seg(540, 600, doctor=1, doctor_day=1, centre=HOME_CENTRE)]
    tasks = [task(60, {0: 0}), task(60, {1: 0})]
    sol = solve(problem(segs, tasks, rooms=(1,)))
    assert placed(sol) == {0, 1}


def test_progress_is_reported() -> None:
    seen: list[Progress] = []
    sol = solve(problem([seg()], [task(options={0: 3})]), seen)
    assert seen
    assert all(isinstance(p.cost, int) for p in seen)
    assert min(p.cost for p in seen) == sol.cost
    assert sol.first_feasible_seconds <= sol.seconds


# ---------------------------------------------------------------- random problems


def random_problem(seed: int) -> WeekProblem:
    """A few doctors over two or three days, centres with 1-3 rooms, some home rounds.

    As in the problems ``scheduler.plan`` builds, an option's cost depends only on the
    task, the centre and the day, and its windows only on the task and the day (clipped to
    the segment): segments alike in centre, day and hours are interchangeable.
    """
    rnd = random.Random(seed)
    n_centres = rnd.randint(1, 3)
    rooms = tuple(rnd.randint(1, 3) for _ in range(n_centres))
    segments: list[SegmentSpec] = []
    limits: list[int] = []
    for doctor in range(rnd.randint(1, 4)):
        for day in range(rnd.randint(1, 3)):
            limits.append(rnd.randint(1, 6))
            dd = len(limits) - 1
            morning = rnd.choice([0, 1, 2])
            if morning:
                a = 480 + GRID * rnd.randint(0, 12)
                b = a + GRID * rnd.randint(6, 48)
                centre = rnd.randrange(n_centres)
                segments.append(SegmentSpec(doctor, day, a, b, centre, dd))
            if morning != 1 or rnd.random() < 0.5:
                a = 780 + GRID * rnd.randint(0, 6)
                b = a + GRID * rnd.choice([12, 24, 36, 48])
                centre = HOME_CENTRE if rnd.random() < 0.3 else rnd.randrange(n_centres)
                segments.append(SegmentSpec(doctor, day, a, b, centre, dd))
    homes = [i for i, s in enumerate(segments) if s.is_home]
    tasks: list[TaskSpec] = []
    home_tasks: dict[int, list[int]] = defaultdict(list)
    places: list[tuple[float, float]] = []
    for t in range(rnd.randint(3, 16)):
        places.append((rnd.uniform(0, 40), rnd.uniform(0, 40)))
        duration = 5 * rnd.randint(3, 18)
        at_home = bool(homes) and rnd.random() < 0.25
        pool = homes if at_home else [i for i, s in enumerate(segments) if not s.is_home]
        chosen = rnd.sample(pool, rnd.randint(0, len(pool))) if pool else []
        bonus = rnd.choice([0, 0, 60])
        cost: dict[tuple[int, int], int] = {}
        wanted: dict[int, tuple[int, int]] = {}
        options = []
        for s in sorted(chosen):
            spec = segments[s]
            if spec.end - spec.start < duration:
                continue
            if bonus and spec.day not in wanted:
                a = 480 + GRID * rnd.randint(0, 100)
                wanted[spec.day] = (a, a + duration + GRID * rnd.randint(0, 24))
            windows: tuple[tuple[int, int], ...] = ()
            if bonus:
                a, b = wanted[spec.day]
                a, b = max(a, spec.start), min(b, spec.end)
                if b - a >= duration:
                    windows = ((a, b),)
            key = (spec.centre, spec.day)
            if key not in cost:
                cost[key] = rnd.randint(0, 400) + bonus
            options.append(Option(s, cost[key], windows))
            if at_home:
                home_tasks[s].append(t)
        tasks.append(TaskSpec(duration, tuple(options), bonus))
    from_base: dict[tuple[int, int], int] = {}
    legs: dict[tuple[int, int], int] = {}
    for s, ts in home_tasks.items():
        for t in ts:
            from_base[s, t] = rnd.randint(0, 40)
            for o in ts:
                if o != t:
                    (x1, y1), (x2, y2) = places[t], places[o]
                    legs[t, o] = math.ceil(math.hypot(x1 - x2, y1 - y2))
    return WeekProblem(tuple(segments), tuple(tasks), rooms, tuple(limits), UNSCHEDULED,
                       from_base, legs)


@pytest.mark.parametrize("seed", range(12))
def test_random_problems_obey_every_rule(seed: int) -> None:
    p = random_problem(seed)
    seen: list[Progress] = []
    sol = solve(p, seen)
    assert seen
    for t, spec in enumerate(p.tasks):
        if not spec.options:
            assert sol.placements[t] is None
    # every cost reported along the way was the cost of a real schedule, none below the best
    assert min(pr.cost for pr in seen) >= sol.cost


# a doctor allowed one exam a day, with a fixed centre exam on Monday and a home round that
# day too: the rounds may not take the day's only exam (found by the property test)
PINNED_DAY: dict[str, Any] = {'format': 'medex-week/1',
                              'week_start': '2026-12-07',
                              'days': 5,
                              'closed_dates': [],
                              'weights': {'unscheduled': 10000,
                                          'travel_minute': 0,
                                          'wait_day': {'high': 120, 'normal': 30, 'low': 5},
                                          'preference_miss': 0},
                              'centres': [{'id': 'K0',
                                           'name': 'Centre 0',
                                           'lat': 51.0,
                                           'lon': 4.0,
                                           'rooms': 1,
                                           'opening': [['08:30', '16:30']]}],
                              'doctors': [{'id': 'D0',
                                           'languages': ['nl'],
                                           'specialties': ['general'],
                                           'max_exams_per_day': 1,
                                           'sessions': [{'centre': 'home',
                                                         'base': 'K0',
                                                         'date': '2026-12-07',
                                                         'start': '08:00',
                                                         'end': '08:45'},
                                                        {'centre': 'K0',
                                                         'date': '2026-12-07',
                                                         'start': '12:00',
                                                         'end': '12:20'},
                                                        {'centre': 'home',
                                                         'base': 'K0',
                                                         'date': '2026-12-08',
                                                         'start': '08:00',
                                                         'end': '08:45'}]}],
                              'convocations': []}


def _pinned_day_convocation(ident: str, *, home_visit: bool,
                            fixed: dict[str, str] | None) -> dict[str, Any]:
    return {'id': ident, 'patient': {'lat': 51.0, 'lon': 4.0, 'language': 'nl'},
            'injury': 'sprain', 'priority': 'high', 'duration_min': 15,
            'specialty': 'general', 'home_visit': home_visit, 'release': '2026-12-07',
            'deadline': '2026-12-09', 'unavailable': [], 'preferred': [],
            'max_travel_min': 30, 'fixed': fixed, 'travel_min': {'K0': 1}}


PINNED_DAY['convocations'] = [
    _pinned_day_convocation('C00', home_visit=False, fixed={
        'doctor': 'D0', 'centre': 'K0', 'start': '2026-12-07T12:00'}),
    _pinned_day_convocation('C01', home_visit=True, fixed=None)]


def test_home_rounds_leave_the_day_limit_that_fixed_centre_exams_use() -> None:
    w = week_from_dict(PINNED_DAY)
    result = plan_week(w, time_limit=1.5, workers=2)
    report = check_schedule(w, result.schedule)
    assert report.ok, format_report(report)
    placed = {a.convocation: a for a in result.schedule.assignments}
    assert placed["C00"].start.date().isoformat() == "2026-12-07"  # the fixed exam
    assert placed["C01"].start.date().isoformat() == "2026-12-08"  # the next round
