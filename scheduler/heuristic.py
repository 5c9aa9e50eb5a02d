"""Planning by hand: the baseline a planner reaches without the optimiser.

:func:`plan_by_hand` does what a planner does with a paper agenda:

1. the **fixed** convocations first, exactly where they are fixed;
2. then the others by **earliest deadline**, then priority (high first), then release;
3. each to the **nearest centre** (fewest travel minutes) among the centres where some doctor
   who may serve it works this week, at the **first free slot** there: the earliest day, and
   on that day the earliest start on the 5-minute grid in any session that may serve it; when
   that centre has no free slot left, the next nearest centre;
4. a home visit goes to the home round whose base centre is nearest to the patient (by
   driving minutes), at the first free slot of the earliest day, between the visits already
   planned, with the driving legs from the base and between patients;
5. what finds no slot is left unscheduled with a short reason.

Every hard rule of the week format is respected: sessions and opening hours (through
:func:`scheduler.eligibility.segments` and :func:`~scheduler.eligibility.serves`), no
overlap of a doctor's exams, ``max_exams_per_day``, the rooms of a centre at every minute,
the driving legs of a home round, the fixed convocations.  The cost is the independent
checker's (:func:`scheduler.validate.check_schedule`).
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from scheduler.domain import (
    GRID_MIN,
    HOME,
    Assignment,
    Convocation,
    Priority,
    Schedule,
    Status,
    Unscheduled,
    Week,
)
from scheduler.eligibility import Segment, drive_minutes, exam_day_open, segments, serves

log = logging.getLogger(__name__)

DAY_MINUTES = 24 * 60
_PRIORITY_RANK = {Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}


@dataclass
class _Visit:
    start: int
    end: int
    lat: float
    lon: float


@dataclass
class _Board:
    """What is booked so far: per doctor and day the busy minutes and the exam count, per
    centre and day the exams running at each minute, per home round its visits in order."""

    week: Week
    doctor_busy: dict[tuple[str, date], npt.NDArray[np.bool_]] = field(default_factory=dict)
    doctor_count: dict[tuple[str, date], int] = field(default_factory=lambda: defaultdict(int))
    room_load: dict[tuple[str, date], npt.NDArray[np.int16]] = field(default_factory=dict)
    rounds: dict[int, list[_Visit]] = field(default_factory=lambda: defaultdict(list))
    free: dict[int, int] = field(default_factory=dict)
    """Minutes of each segment not yet taken by its doctor."""
    first_free: dict[int, int] = field(default_factory=dict)
    """The first minute of each segment at which its doctor is free (a bound on any start)."""
    fails_from: dict[int, int] = field(default_factory=dict)
    """The shortest exam a centre segment had no slot for: bookings only add, so no longer
    one will fit later either."""

    def busy(self, doctor: str, day: date) -> npt.NDArray[np.bool_]:
        key = (doctor, day)
        found = self.doctor_busy.get(key)
        if found is None:
            found = self.doctor_busy[key] = np.zeros(DAY_MINUTES, dtype=np.bool_)
        return found

    def load(self, centre: str, day: date) -> npt.NDArray[np.int16]:
        key = (centre, day)
        found = self.room_load.get(key)
        if found is None:
            found = self.room_load[key] = np.zeros(DAY_MINUTES, dtype=np.int16)
        return found

    def room_full(self, seg: Segment) -> npt.NDArray[np.bool_]:
        rooms = self.week.centre(seg.centre).rooms
        return self.load(seg.centre, seg.day)[seg.start:seg.end] >= rooms

    def book(self, seg: Segment, start: int, conv: Convocation) -> None:
        end = start + conv.duration_min
        self.busy(seg.doctor.id, seg.day)[start:end] = True
        self.doctor_count[(seg.doctor.id, seg.day)] += 1
        self.free[seg.index] = self.free.get(seg.index, seg.length) - conv.duration_min
        first = self.first_free.get(seg.index, seg.start)
        if start <= first < end:
            busy = self.busy(seg.doctor.id, seg.day)
            first = end
            while first < seg.end and busy[first]:
                first += 1
            self.first_free[seg.index] = first
        if seg.is_home:
            visits = self.rounds[seg.index]
            visits.append(_Visit(start, end, conv.patient.lat, conv.patient.lon))
            visits.sort(key=lambda v: v.start)
        else:
            self.load(seg.centre, seg.day)[start:end] += 1


def _grid_up(minute: int) -> int:
    return -(-minute // GRID_MIN) * GRID_MIN


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)


def _earliest_at_centre(board: _Board, seg: Segment, duration: int) -> int | None:
    """The earliest grid start in ``seg`` where the doctor is free and a room is free."""
    if board.free.get(seg.index, seg.length) < duration or seg.length < duration:
        return None
    blocked = board.busy(seg.doctor.id, seg.day)[seg.start:seg.end] | board.room_full(seg)
    run = np.concatenate(([0], np.cumsum(blocked, dtype=np.int32)))
    ok = run[duration:] == run[:-duration]  # ok[k]: [seg.start + k, + duration) is free
    grid = ok[::GRID_MIN]  # seg.start lies on the grid
    hits = np.flatnonzero(grid)
    return seg.start + int(hits[0]) * GRID_MIN if hits.size else None


def _home_origin(week: Week, seg: Segment) -> tuple[float, float]:
    base = week.centre(seg.session.base or "")
    return base.lat, base.lon


def _earliest_at_home(board: _Board, seg: Segment, conv: Convocation) -> int | None:
    """The earliest grid start in a home round between its visits, with the driving legs."""
    if board.free.get(seg.index, seg.length) < conv.duration_min:
        return None
    busy = board.busy(seg.doctor.id, seg.day)
    visits = board.rounds[seg.index]
    p = conv.patient
    here = _home_origin(board.week, seg)
    ready = _minute(seg.session.start_at)
    for k in range(len(visits) + 1):
        leg = drive_minutes(here[0], here[1], p.lat, p.lon)
        start = max(seg.start, _grid_up(ready + leg))
        end = start + conv.duration_min
        if end > seg.end:
            return None
        nxt = visits[k] if k < len(visits) else None
        fits = nxt is None or end + drive_minutes(p.lat, p.lon, nxt.lat, nxt.lon) <= nxt.start
        if fits and not busy[start:end].any():
            return start
        if nxt is not None:
            here, ready = (nxt.lat, nxt.lon), nxt.end
    return None


def _earliest(board: _Board, seg: Segment, conv: Convocation,
              before: int | None = None) -> int | None:
    """The earliest start of ``conv`` in ``seg``; ``None`` also when none is before ``before``."""
    if board.doctor_count[(seg.doctor.id, seg.day)] >= seg.doctor.max_exams_per_day:
        return None
    if conv.duration_min >= board.fails_from.get(seg.index, DAY_MINUTES):
        return None
    if before is not None and _grid_up(board.first_free.get(seg.index, seg.start)) >= before:
        return None
    if seg.is_home:  # whether a visit fits depends on where the patient lives
        return _earliest_at_home(board, seg, conv)
    found = _earliest_at_centre(board, seg, conv.duration_min)
    if found is None:
        board.fails_from[seg.index] = min(conv.duration_min,
                                          board.fails_from.get(seg.index, DAY_MINUTES))
    return found


class _Pools:
    """Segments by (centre, day), and per kind of convocation the ones that may serve it.

    Whether a segment of a given (centre, day) may serve a convocation depends, once the
    day is open to the patient and the centre within reach, only on the home-visit flag,
    the language, the specialty and the exam length: the pools at centres are cached on
    those.  Home rounds are few and depend on where the patient lives: not cached."""

    def __init__(self, week: Week, segs: list[Segment]):
        self.week = week
        self.by_place: dict[tuple[str, date], list[Segment]] = defaultdict(list)
        for s in segs:
            self.by_place[(s.centre, s.day)].append(s)
        self.centres = sorted({s.centre for s in segs if not s.is_home})
        self.home_days = sorted({s.day for s in segs if s.is_home})
        self._cache: dict[tuple[str, date, str, str, int, bool], list[Segment]] = {}

    def serving(self, conv: Convocation, centre: str, day: date,
                travel: dict[str, int]) -> list[Segment]:
        """The segments at ``centre`` on ``day`` that may serve ``conv``."""
        if not exam_day_open(self.week, conv, day):
            return []
        if centre != HOME:
            minutes = travel.get(centre)
            if minutes is None or minutes > conv.max_travel_min:
                return []
        if centre == HOME:  # whether a round reaches the patient depends on where they live
            return [s for s in self.by_place.get((centre, day), ())
                    if serves(self.week, conv, s, travel)]
        key = (centre, day, conv.patient.language, conv.specialty, conv.duration_min,
               conv.home_visit)
        found = self._cache.get(key)
        if found is None:
            found = [s for s in self.by_place.get((centre, day), ())
                     if serves(self.week, conv, s, travel)]
            self._cache[key] = found
        return found


def _order(c: Convocation) -> tuple[date, int, date, str]:
    return c.deadline, _PRIORITY_RANK[c.priority], c.release, c.id


def _describe(conv: Convocation) -> str:
    who = f"'{conv.patient.language}'"
    if conv.specialty != "general":
        who += f" with specialty '{conv.specialty}'"
    return who


def _unservable_reason(week: Week, conv: Convocation, travel: dict[str, int],
                       segs: list[Segment]) -> str:
    kind = [s for s in segs if s.is_home == conv.home_visit]
    what = "home round" if conv.home_visit else "session"
    if not kind:
        return f"no {what} this week"
    spoken = [s for s in kind if conv.patient.language in s.doctor.languages
              and s.doctor.has_specialty(conv.specialty)]
    if not spoken:
        return f"no doctor speaking {_describe(conv)} has a {what} this week"
    dated = [s for s in spoken if exam_day_open(week, conv, s.day)]
    if not dated:
        return (f"no doctor speaking {_describe(conv)} has a {what} on a day the patient can "
                f"come between {conv.release} and {conv.deadline}")
    if not conv.home_visit:
        near = [s for s in dated if travel.get(s.centre, conv.max_travel_min + 1)
                <= conv.max_travel_min]
        if not near:
            return (f"no doctor speaking {_describe(conv)} works within "
                    f"{conv.max_travel_min} min of travel on an open day")
        dated = near
    if all(s.length < conv.duration_min for s in dated):
        return f"no session long enough for a {conv.duration_min}-minute exam"
    return "no session may serve it"


def _place_fixed(board: _Board, pools: _Pools, conv: Convocation,
                 travel: dict[str, int]) -> tuple[Segment, int] | str:
    """The segment and start of a fixed convocation, or why its fixed slot breaks a rule."""
    assert conv.fixed is not None
    f = conv.fixed
    day, start = f.start.date(), _minute(f.start)
    end = start + conv.duration_min
    where = f"fixed to {f.doctor} at {f.centre} on {f.start:%Y-%m-%d %H:%M}"
    if start % GRID_MIN or f.start.second:
        return f"{where}, off the {GRID_MIN}-minute grid"
    segs = [s for s in pools.serving(conv, f.centre, day, travel)
            if s.doctor.id == f.doctor and s.start <= start and end <= s.end]
    if not segs:
        return f"{where}, but no session of that doctor may serve it there"
    seg = segs[0]
    if board.doctor_count[(seg.doctor.id, day)] >= seg.doctor.max_exams_per_day:
        return f"{where}, but the doctor's day is full"
    if board.busy(seg.doctor.id, day)[start:end].any():
        return f"{where}, but it overlaps another fixed exam of that doctor"
    if seg.is_home:
        visits = board.rounds[seg.index]
        before = [v for v in visits if v.start < start]
        after = [v for v in visits if v.start >= start]
        here = (before[-1].lat, before[-1].lon) if before else _home_origin(board.week, seg)
        ready = before[-1].end if before else _minute(seg.session.start_at)
        p = conv.patient
        if start < ready + drive_minutes(here[0], here[1], p.lat, p.lon):
            return f"{where}, but the doctor cannot drive there in time"
        if after and end + drive_minutes(p.lat, p.lon, after[0].lat, after[0].lon) > after[0].start:
            return f"{where}, but the doctor cannot drive to the next fixed visit in time"
    elif board.room_full(seg)[start - seg.start:end - seg.start].any():
        return f"{where}, but every room of {f.centre} is taken then"
    return seg, start


def plan_by_hand(week: Week, travel: dict[str, dict[str, int]]) -> Schedule:
    """A feasible schedule planned as by hand (see the module doc); cost from the checker.

    ``travel`` is ``{convocation id: {centre id: minutes}}`` as from
    :func:`scheduler.travel.resolve_travel`; a missing centre is unreachable."""
    from scheduler.validate import check_schedule  # the checker stays independent of us

    began = clock.perf_counter()
    segs = segments(week)
    pools = _Pools(week, segs)
    board = _Board(week)
    assignments: list[Assignment] = []
    unscheduled: list[Unscheduled] = []

    def assign(conv: Convocation, seg: Segment, start: int, minutes: int) -> None:
        board.book(seg, start, conv)
        moment = _at(seg.day, start)
        assignments.append(Assignment(conv.id, seg.doctor.id, seg.centre, moment,
                                      moment + timedelta(minutes=conv.duration_min), minutes))

    fixed = sorted((c for c in week.convocations if c.fixed is not None),
                   key=lambda c: (c.fixed.start if c.fixed else datetime.min, c.id))
    for conv in fixed:
        mine = travel.get(conv.id, {})
        placed = _place_fixed(board, pools, conv, mine)
        if isinstance(placed, str):
            unscheduled.append(Unscheduled(conv.id, placed))
            continue
        seg, start = placed
        assign(conv, seg, start, 0 if seg.is_home else mine[seg.centre])

    days = week.dates
    for conv in sorted((c for c in week.convocations if c.fixed is None), key=_order):
        mine = travel.get(conv.id, {})
        if conv.home_visit:
            found = _first_home_slot(board, pools, conv, mine, days)
        else:
            found = _first_centre_slot(board, pools, conv, mine, days)
        if isinstance(found, str):
            reason = found or _unservable_reason(week, conv, mine, segs)
            unscheduled.append(Unscheduled(conv.id, reason))
            continue
        seg, start = found
        assign(conv, seg, start, 0 if seg.is_home else mine[seg.centre])

    order = {c.id: i for i, c in enumerate(week.convocations)}
    assignments.sort(key=lambda a: (a.start, a.doctor, a.convocation))
    unscheduled.sort(key=lambda u: order.get(u.convocation, len(order)))
    schedule = Schedule(Status.FEASIBLE, 0, None, 0.0, tuple(assignments), tuple(unscheduled))
    report = check_schedule(week, schedule)
    if report.violations:
        log.warning("hand plan breaks %d hard rule(s), first: %s", len(report.violations),
                    report.violations[0].message)
    seconds = clock.perf_counter() - began
    log.info("hand plan: %d assigned, %d unscheduled, cost %d, %.2f s", len(assignments),
             len(unscheduled), report.cost.total, seconds)
    return replace(schedule, cost=report.cost.total, solve_seconds=seconds)


def _first_centre_slot(board: _Board, pools: _Pools, conv: Convocation,
                       travel: dict[str, int], days: list[date]) -> tuple[Segment, int] | str:
    """Nearest centre with a doctor who may serve it, first free slot; else the next one.

    Returns ``""`` when no session at all may serve it, a reason when all are full."""
    options: list[tuple[int, str, list[list[Segment]]]] = []
    for centre in pools.centres:
        per_day = [pools.serving(conv, centre, day, travel) for day in days]
        if any(per_day):
            options.append((travel[centre], centre, per_day))
    if not options:
        return ""
    options.sort(key=lambda o: (o[0], o[1]))
    for _, _, per_day in options:
        for day_segs in per_day:
            best: tuple[int, Segment] | None = None
            for seg in day_segs:
                start = _earliest(board, seg, conv, None if best is None else best[0])
                if start is not None and (best is None or start < best[0]):
                    best = (start, seg)
            if best is not None:
                return best[1], best[0]
    return (f"all {sum(len(s) for o in options for s in o[2])} sessions that may serve it "
            f"(at {', '.join(o[1] for o in options)}) are full up to the deadline")


def _first_home_slot(board: _Board, pools: _Pools, conv: Convocation, travel: dict[str, int],
                     days: list[date]) -> tuple[Segment, int] | str:
    """The home round whose base is nearest, first free slot; else the next nearest base."""
    by_base: dict[str, list[list[Segment]]] = {}
    for k, day in enumerate(days):
        for seg in pools.serving(conv, HOME, day, travel):
            per_day = by_base.setdefault(seg.session.base or "", [[] for _ in days])
            per_day[k].append(seg)
    if not by_base:
        return ""
    p = conv.patient

    def distance(base: str) -> tuple[int, str]:
        c = board.week.centre(base)
        return drive_minutes(c.lat, c.lon, p.lat, p.lon), base

    for base in sorted(by_base, key=distance):
        for day_segs in by_base[base]:
            best: tuple[int, Segment] | None = None
            for seg in day_segs:
                start = _earliest(board, seg, conv, None if best is None else best[0])
                if start is not None and (best is None or start < best[0]):
                    best = (start, seg)
            if best is not None:
                return best[1], best[0]
    rounds = sum(len(s) for v in by_base.values() for s in v)
    return f"all {rounds} home rounds that may serve it are full up to the deadline"
