"""Plan a week: convert the domain to the solver's integers, solve, convert back.

``plan_week`` is the use case behind ``medex solve`` and the benchmark.  The schedule it
returns carries the solver's cost and proven lower bound; ``medex check`` recomputes the
cost independently (:mod:`scheduler.validate`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from scheduler.domain import (
    HOME,
    Assignment,
    Convocation,
    Schedule,
    Status,
    Unscheduled,
    Week,
)
from scheduler.eligibility import (
    Segment,
    drive_minutes,
    exam_day_open,
    home_reach,
    segments,
    serves,
    working_days_after,
)
from scheduler.errors import InputError
from scheduler.heuristic import plan_by_hand
from scheduler.reasons import explain_unscheduled
from scheduler.travel import resolve_travel
from solver.week_model import (
    GRID,
    HOME_CENTRE,
    Option,
    Placement,
    Progress,
    SegmentSpec,
    TaskSpec,
    WeekProblem,
)
from solver.week_solver import solve_week

WRITE_SHARE = 0.02
"""Share of the time limit kept for writing the schedule after the solver stops."""

__all__ = ["Move", "PlanResult", "Progress", "build_problem", "plan_week"]


@dataclass(frozen=True)
class Move:
    """A previously published appointment that re-planning changed."""

    convocation: str
    before: Assignment
    after: Assignment | None
    """``None``: no longer scheduled."""
    reason: str


@dataclass(frozen=True)
class PlanResult:
    schedule: Schedule
    first_feasible_seconds: float | None
    unservable: int
    """Convocations that no session can legally serve, whatever the others do."""
    moves: tuple[Move, ...] = ()
    """With ``previous``: the appointments that changed, and why."""


@dataclass(frozen=True)
class Built:
    problem: WeekProblem
    segments: list[Segment]
    travel: dict[str, dict[str, int]]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _candidates(segs: list[Segment]) -> dict[tuple[str, bool, date], list[Segment]]:
    """Segments by (language, home round, day), to avoid testing every pair."""
    out: dict[tuple[str, bool, date], list[Segment]] = defaultdict(list)
    for seg in segs:
        for lang in seg.doctor.languages:
            out[lang, seg.is_home, seg.day].append(seg)
    return out


def _options(week: Week, conv: Convocation, pool: list[Segment], travel: dict[str, int]
             ) -> list[tuple[Segment, int, tuple[tuple[int, int], ...]]]:
    w = week.weights
    out = []
    waits: dict[date, int] = {}
    specialty, duration, limit = conv.specialty, conv.duration_min, conv.max_travel_min
    for seg in pool:
        # the rules of eligibility.serves, in the order that rejects most pairs soonest
        if seg.length < duration or not seg.doctor.has_specialty(specialty):
            continue
        if seg.is_home:
            if not serves(week, conv, seg, travel):
                continue
        elif travel.get(seg.centre, limit + 1) > limit:
            continue
        wait = waits.get(seg.day)
        if wait is None:
            wait = waits[seg.day] = w.wait_day[conv.priority] * working_days_after(
                conv.release, seg.day, week.closed_dates)
        cost = wait
        if not seg.is_home:
            cost += w.travel_minute * travel[seg.centre]
        windows = []
        if conv.preferred:
            cost += w.preference_miss
            for win in conv.preferred:
                if win.day != seg.day:
                    continue
                a = max(seg.start, win.start.hour * 60 + win.start.minute)
                b = min(seg.end, win.end.hour * 60 + win.end.minute)
                if b - a >= conv.duration_min:
                    windows.append((a, b))
        out.append((seg, cost, tuple(windows)))
    return out


def _home_fits_grid(week: Week, conv: Convocation, seg: Segment) -> bool:
    """Whether the visit fits the round alone with its start on the 5-minute grid (the
    drive from the base may end off it): if not, the round cannot legally serve it."""
    first = -(-(seg.start + home_reach(week, conv, seg)) // GRID) * GRID
    return first + conv.duration_min <= seg.end


def _fixed(week: Week, conv: Convocation,
           options: list[tuple[Segment, int, tuple[tuple[int, int], ...]]],
           all_segments: list[Segment], where: str) -> tuple[int, int]:
    fixed = conv.fixed
    assert fixed is not None
    start, day = _minute(fixed.start), fixed.start.date()
    stamp = fixed.start.strftime("%a %d %b %H:%M")
    for seg, _, _ in options:
        if (seg.doctor.id == fixed.doctor and seg.day == day and seg.centre == fixed.centre
                and seg.start <= start and start + conv.duration_min <= seg.end):
            if start % 5:
                raise InputError([f"{where}.fixed.start: {fixed.start:%H:%M} is not on the "
                                  "5-minute grid"])
            if seg.is_home and start < seg.session.start.hour * 60 + seg.session.start.minute \
                    + home_reach(week, conv, seg):
                raise InputError([f"{where}.fixed.start: the round starts at "
                                  f"{seg.session.start:%H:%M} and the drive to the patient "
                                  f"takes {home_reach(week, conv, seg)} min"])
            return seg.index, start
    inside = [s for s in all_segments if s.doctor.id == fixed.doctor and s.day == day
              and s.centre == fixed.centre and s.start <= start
              and start + conv.duration_min <= s.end]
    if not inside:
        raise InputError([f"{where}.fixed: {fixed.doctor} has no session at {fixed.centre} "
                          f"covering {stamp} for {conv.duration_min} min"])
    raise InputError([f"{where}.fixed: {fixed.doctor} at {fixed.centre} on {stamp} breaks a "
                      "rule for this convocation (language, specialty, dates or travel)"])


def _previous(conv: Convocation, before: Assignment,
              options: list[tuple[Segment, int, tuple[tuple[int, int], ...]]]
              ) -> tuple[int, int] | None:
    """The segment and start of a previous appointment, if a segment still holds it."""
    start, day = _minute(before.start), before.start.date()
    for seg, _, _ in options:
        centre = HOME if seg.is_home else seg.centre
        if (seg.doctor.id == before.doctor and centre == before.centre and seg.day == day
                and seg.start <= start and start + conv.duration_min <= seg.end):
            return seg.index, start
    return None


def _fixed_conflicts(week: Week, segs: list[Segment], tasks: list[TaskSpec]) -> list[str]:
    """Fixed exams that cannot all hold together: same doctor at once, too many a day, more
    than the rooms at once, or no time to drive between two fixed home visits."""
    convs = week.convocations
    fixed = [(segs[spec.fixed[0]], spec.fixed[1], spec.fixed[1] + spec.duration, t)
             for t, spec in enumerate(tasks) if spec.fixed is not None]
    problems: list[str] = []
    by_doctor_day: dict[tuple[str, date], list[tuple[int, int, int, Segment]]] = defaultdict(list)
    by_place: dict[tuple[str, date], list[tuple[int, int, int]]] = defaultdict(list)
    for seg, a, b, t in fixed:
        by_doctor_day[seg.doctor.id, seg.day].append((a, b, t, seg))
        if not seg.is_home:
            by_place[seg.centre, seg.day].append((a, b, t))
    for (doctor, day), items in by_doctor_day.items():
        items.sort()
        limit = items[0][3].doctor.max_exams_per_day
        if len(items) > limit:
            t = items[limit][2]
            problems.append(f"convocations[{t}] ({convs[t].id}).fixed: {len(items)} exams are "
                            f"fixed for {doctor} on {day}, more than their {limit} a day")
        for (_, b1, t1, s1), (a2, _, t2, s2) in pairwise(items):
            gap = 0
            if s1.is_home and s2.is_home:
                p, q = convs[t1].patient, convs[t2].patient
                gap = drive_minutes(p.lat, p.lon, q.lat, q.lon)
            if a2 < b1 + gap:
                why = "overlap" if a2 < b1 else f"leave no time for the {gap}-minute drive"
                problems.append(f"convocations[{t2}] ({convs[t2].id}).fixed: it and "
                                f"{convs[t1].id}, both fixed for {doctor} on {day}, {why}")
    for (centre, day), spans in by_place.items():
        rooms = week.centre(centre).rooms
        events = sorted([(a, 1, t) for a, _, t in spans] + [(b, -1, t) for _, b, t in spans],
                        key=lambda e: (e[0], e[1]))
        level = 0
        for moment, step, t in events:
            level += step
            if level > rooms:
                problems.append(f"convocations[{t}] ({convs[t].id}).fixed: more exams are "
                                f"fixed at {centre} on {day} at {_clock(moment)} than its "
                                f"{rooms} rooms")
                break
    return problems


def build_problem(week: Week, travel: dict[str, dict[str, int]] | None = None,
                  previous: dict[str, Assignment] | None = None,
                  change_penalty: int = 0) -> Built:
    """The solver's integer view of a week.  Raises ``InputError`` for impossible fixes.

    With ``previous`` (published appointments being re-planned), serving a convocation
    anywhere else than its previous doctor, centre and start costs ``change_penalty``."""
    previous = previous or {}
    travel = travel if travel is not None else resolve_travel(week)
    segs = segments(week)
    centre_index = {c.id: i for i, c in enumerate(week.centres)}
    doctor_index = {d.id: i for i, d in enumerate(week.doctors)}
    doctor_day: dict[tuple[str, int], int] = {}
    limits: list[int] = []
    specs: list[SegmentSpec] = []
    for seg in segs:
        day = (seg.day - week.week_start).days
        key = (seg.doctor.id, day)
        if key not in doctor_day:
            doctor_day[key] = len(limits)
            limits.append(seg.doctor.max_exams_per_day)
        specs.append(SegmentSpec(doctor=doctor_index[seg.doctor.id], day=day, start=seg.start,
                                 end=seg.end,
                                 centre=HOME_CENTRE if seg.is_home else centre_index[seg.centre],
                                 doctor_day=doctor_day[key]))
    pools = _candidates(segs)
    tasks: list[TaskSpec] = []
    problems: list[str] = []
    home_tasks: dict[int, list[int]] = defaultdict(list)
    for t, conv in enumerate(week.convocations):
        key = (conv.patient.language, conv.home_visit)
        pool = [seg for day in week.dates if exam_day_open(week, conv, day)
                for seg in pools.get((*key, day), ())]
        options = _options(week, conv, pool, travel.get(conv.id, {}))
        if conv.home_visit:
            options = [o for o in options if _home_fits_grid(week, conv, o[0])]
        fixed = None
        if conv.fixed is not None:
            try:
                fixed = _fixed(week, conv, options, segs, f"convocations[{t}] ({conv.id})")
            except InputError as exc:
                problems.extend(exc.problems)
        for seg, _, _ in options:
            if seg.is_home:
                home_tasks[seg.index].append(t)
        before = previous.get(conv.id)
        kept = _previous(conv, before, options) if before is not None and change_penalty else None
        if before is not None and change_penalty:
            options = [(seg, cost + (0 if kept and kept[0] == seg.index else change_penalty), w)
                       for seg, cost, w in options]
        tasks.append(TaskSpec(
            duration=conv.duration_min,
            options=tuple(Option(seg.index, cost, windows) for seg, cost, windows in options),
            pref_bonus=week.weights.preference_miss if conv.preferred else 0,
            fixed=fixed, previous=kept, move_penalty=change_penalty if kept else 0))
    problems.extend(_fixed_conflicts(week, segs, tasks))
    if problems:
        raise InputError(problems)
    from_base: dict[tuple[int, int], int] = {}
    legs: dict[tuple[int, int], int] = {}
    convs = week.convocations
    for s, ts in home_tasks.items():
        seg = segs[s]
        base = week.centre(seg.session.base) if seg.session.base else None
        for t in ts:
            p = convs[t].patient
            from_base[s, t] = drive_minutes(base.lat, base.lon, p.lat, p.lon) if base else 0
            for o in ts:
                if o != t and (t, o) not in legs:
                    q = convs[o].patient
                    legs[t, o] = legs[o, t] = drive_minutes(p.lat, p.lon, q.lat, q.lon)
    problem = WeekProblem(segments=tuple(specs), tasks=tuple(tasks),
                          rooms=tuple(c.rooms for c in week.centres), day_limit=tuple(limits),
                          unscheduled_cost=week.weights.unscheduled,
                          home_from_base=from_base, home_leg=legs)
    return Built(problem, segs, travel)


def plan_week(week: Week, *, time_limit: float = 60.0, workers: int = 2,
              on_progress: Callable[[Progress], None] | None = None,
              travel: dict[str, dict[str, int]] | None = None, instance: str = "",
              previous: dict[str, Assignment] | None = None,
              change_penalty: int = 0,
              on_schedule: Callable[[Schedule], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> PlanResult:
    """Plan ``week``: every convocation gets a doctor, a place and a start, or a reason.

    ``on_schedule`` is given each better schedule as soon as it is found (the first within
    a second or two); ``should_stop()`` returning true ends the search early, keeping the
    best schedule so far.

    Re-planning: ``previous`` maps convocation ids to their published appointments.  To
    keep one exactly, make it ``fixed`` in the week; the others may move, each change of
    doctor, centre or start costing ``change_penalty`` in the objective (not in the
    schedule's cost, which stays the exchange format's).  The moves are reported; the
    lower bound, which holds for the objective with penalties, is then not reported."""
    started = time.monotonic()
    previous = previous or {}
    built = build_problem(week, travel, previous, change_penalty)
    start = _hand_start(week, built)
    # the solver gets what building the problem and the hand start left, less a share for
    # writing the schedule (explaining each unscheduled convocation): the whole fits the
    # time limit
    before_solver = time.monotonic() - started
    spent = before_solver + WRITE_SHARE * time_limit

    def convert(placements: tuple[Placement | None, ...], cost: int, bound: int | None,
                optimal: bool) -> tuple[Schedule, list[Move]]:
        return _schedule(week, built, placements, cost, bound, optimal, previous,
                         change_penalty, time.monotonic() - started, instance)

    def found(placements: tuple[Placement | None, ...], cost: int) -> None:
        if on_schedule is not None:
            on_schedule(convert(placements, cost, None, False)[0])

    solution = solve_week(built.problem, time_limit=max(0.5, time_limit - spent),
                          workers=workers, on_progress=on_progress,
                          on_solution=found if on_schedule else None, should_stop=should_stop,
                          start=start)
    schedule, moves = convert(solution.placements, solution.cost, solution.lower_bound,
                              solution.optimal)
    unservable = sum(1 for task in built.problem.tasks if not task.options)
    return PlanResult(schedule, solution.first_feasible_seconds + before_solver, unservable,
                      tuple(moves))


def _hand_start(week: Week, built: Built) -> tuple[Placement | None, ...]:
    """The hand-planning baseline as a start: the solver keeps the better of it and its own
    greedy construction, so a plan is never worse than planning by hand."""
    by_hand = plan_by_hand(week, built.travel)
    index = {c.id: t for t, c in enumerate(week.convocations)}
    out: list[Placement | None] = [None] * len(week.convocations)
    for a in by_hand.assignments:
        t = index[a.convocation]
        minute, length = _minute(a.start), (a.end - a.start).seconds // 60
        for option in built.problem.tasks[t].options:
            seg = built.segments[option.segment]
            if (seg.doctor.id == a.doctor and seg.day == a.start.date()
                    and (HOME if seg.is_home else seg.centre) == a.centre
                    and seg.start <= minute and minute + length <= seg.end):
                out[t] = Placement(option.segment, minute)
                break
    return tuple(out)


def _schedule(week: Week, built: Built, placements: tuple[Placement | None, ...], cost: int,
              bound: int | None, optimal: bool, previous: dict[str, Assignment],
              change_penalty: int, seconds: float, instance: str) -> tuple[Schedule, list[Move]]:
    """The domain schedule of the solver's placements (and the moves of re-planning)."""
    assignments: list[Assignment] = []
    unscheduled: list[Unscheduled] = []
    booked: dict[int, int] = defaultdict(int)
    for where in placements:
        if where is not None:
            booked[where.segment] += 1
    for t, conv in enumerate(week.convocations):
        where = placements[t]
        if where is None:
            unscheduled.append(Unscheduled(conv.id, explain_unscheduled(
                week, conv, built.segments, built.travel.get(conv.id, {}),
                [o.segment for o in built.problem.tasks[t].options], booked)))
            continue
        seg = built.segments[where.segment]
        start = datetime.combine(seg.day, datetime.min.time()) + timedelta(minutes=where.start)
        centre = HOME if seg.is_home else seg.centre
        assignments.append(Assignment(
            convocation=conv.id, doctor=seg.doctor.id, centre=centre, start=start,
            end=start + timedelta(minutes=conv.duration_min),
            travel_min=0 if seg.is_home else built.travel[conv.id][seg.centre]))
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    moves: list[Move] = []
    if previous and change_penalty:
        moves = _moves(week, previous, assignments, unscheduled, built.segments)
        cost -= change_penalty * sum(1 for m in moves if m.after is not None)
        bound = None
        if status is Status.OPTIMAL and not moves:
            bound = cost
        elif status is Status.OPTIMAL:
            status = Status.FEASIBLE
    schedule = Schedule(status=status, cost=cost, lower_bound=bound, solve_seconds=seconds,
                        assignments=tuple(assignments), unscheduled=tuple(unscheduled),
                        instance=instance)
    return schedule, moves


def _moves(week: Week, previous: dict[str, Assignment], assignments: list[Assignment],
           unscheduled: list[Unscheduled], segs: list[Segment]) -> list[Move]:
    now = {a.convocation: a for a in assignments}
    why_not = {u.convocation: u.reason for u in unscheduled}
    out = []
    for conv in week.convocations:
        before = previous.get(conv.id)
        if before is None:
            continue
        after = now.get(conv.id)
        if after is not None and (after.doctor, after.centre, after.start) == (
                before.doctor, before.centre, before.start):
            continue
        still = any(s.doctor.id == before.doctor and s.day == before.start.date()
                    and (HOME if s.is_home else s.centre) == before.centre
                    and s.start <= _minute(before.start) < s.end for s in segs)
        if not still:
            reason = (f"{before.doctor} no longer has a session at {before.centre} on "
                      f"{before.start:%a %d %b %H:%M}")
        elif after is None:
            reason = f"no longer scheduled: {why_not.get(conv.id, 'no room left')}"
        else:
            reason = "moved to make room for other convocations at a lower total cost"
        out.append(Move(conv.id, before, after, reason))
    return out
