"""Independent checker of schedules: every hard rule of the week format, and the cost.

``medex check WEEK.json SCHEDULE.json`` runs :func:`check_schedule`.  This module is
written from the specification (``week-instance.md``) alone, on the domain dataclasses,
and on purpose shares no code with the solver's constraints (:mod:`scheduler.eligibility`,
:mod:`scheduler.plan`, ``solver``): a rule misread in one place is then caught by the
other.  It never raises on a bad schedule; it reports every violation it finds, each as a
sentence a planner understands.

The rules, one function each (the name in brackets is :attr:`Violation.rule`):

completeness
    every convocation of the week appears exactly once, assigned or unscheduled
    [``missing``, ``duplicate``]; no assignment names an unknown convocation, doctor or
    centre [``unknown-id``].
rule 1
    the exam lies entirely inside one session of its doctor, at that session's centre,
    and inside one opening interval of the centre (exams avoid a break between two
    intervals) [``inside-session``]; a ``home_visit`` convocation is served only in a home
    session (centre ``"home"``) and a home session serves only home visits [``home-visit``].
rule 2
    a doctor's exams never overlap [``doctor-overlap``]; at most ``max_exams_per_day``
    exams per doctor and date [``max-exams-per-day``]; on a home round each exam starts no
    earlier than the previous end (the first: the session start) plus the driving leg
    [``home-driving-leg``].
rule 3
    at no moment does a centre run more exams than it has rooms [``rooms``]; an exam
    ending at 10:00 and another starting at 10:00 do not overlap.
rule 4
    the doctor speaks the patient's language [``language``] and has the specialty, where
    ``general`` is had by every doctor [``specialty``].
rule 5
    ``release <= date <= deadline`` [``date-window``], not a closed date [``closed-date``],
    not a Saturday or Sunday [``weekend``], not a date the patient is unavailable
    [``unavailable``].
rule 6
    the centre's travel time is known [``travel-known``] and at most ``max_travel_min``
    [``max-travel``]; home visits have no limit.  When the instance gives ``travel_min``
    the reported travel must equal it, and a home visit reports 0 [``travel-reported``];
    when the instance gives none, the reported travel is taken as it is.
rule 7
    starts lie on the 5-minute grid [``grid``]; a fixed convocation keeps exactly its
    doctor, centre and start and is not left unscheduled [``fixed``].
format
    ``end == start + duration_min`` [``end-equals-start-plus-duration``].

Interpretations of the specification:

* An exam occupies ``[start, start + duration_min)``.  When the reported end disagrees,
  that is one violation, and every other rule uses the true length of the exam.
* "The exam lies in a preferred window" means the whole exam ``[start, end]`` lies inside
  the window, on the window's date.
* The travel cost is 0 for an exam served at home (centre ``"home"``); otherwise it uses
  the instance's ``travel_min`` for the centre when known, else the reported one.
* For the cost, a convocation missing from the schedule counts as unscheduled, and a
  convocation assigned twice counts once, by its first assignment.  Assignments of unknown
  convocations cost nothing.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scheduler.domain import (
    GENERAL,
    HOME,
    Assignment,
    Centre,
    Convocation,
    Doctor,
    Schedule,
    Session,
    Week,
)

EARTH_RADIUS_KM = 6371.0
DRIVING_KMH = 40.0
GRID_MINUTES = 5


@dataclass(frozen=True)
class Violation:
    """One broken hard rule.  ``convocation`` is ``None`` for a problem of no single one."""

    rule: str
    convocation: str | None
    message: str


@dataclass(frozen=True)
class CostBreakdown:
    """The cost of a schedule per term of the objective, weights applied."""

    unscheduled: int
    travel: int
    waiting: int
    preference: int

    @property
    def total(self) -> int:
        return self.unscheduled + self.travel + self.waiting + self.preference


@dataclass(frozen=True)
class Report:
    """What :func:`check_schedule` found.  ``ok`` means no hard rule is broken."""

    violations: tuple[Violation, ...]
    cost: CostBreakdown
    reported_cost: int | None = None
    """The cost the schedule claims for itself, to compare with ``cost.total``."""

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def cost_matches(self) -> bool:
        return self.reported_cost is None or self.reported_cost == self.cost.total


@dataclass(frozen=True)
class _Exam:
    """An assignment of a known convocation, with its true end and its session, if any."""

    assignment: Assignment
    convocation: Convocation
    doctor: Doctor | None
    centre: Centre | None
    """``None`` for a home visit or an unknown centre."""
    session: Session | None
    """The session of the doctor that holds the exam, at the assignment's centre."""

    @property
    def start(self) -> datetime:
        return self.assignment.start

    @property
    def end(self) -> datetime:
        return self.assignment.start + timedelta(minutes=self.convocation.duration_min)

    @property
    def day(self) -> date:
        return self.assignment.start.date()

    @property
    def at_home(self) -> bool:
        return self.assignment.centre == HOME

    def describe(self) -> str:
        a = self.assignment
        place = "at home" if self.at_home else f"at {a.centre}"
        when = f"{_day(self.day)} {_span(self.start, self.end)}"
        return f"{a.convocation} ({a.doctor} {place}, {when})"


# ---------------------------------------------------------------- helpers


def _day(d: date) -> str:
    return f"{d:%a} {d.isoformat()}"


def _hm(moment: datetime | time) -> str:
    return f"{moment:%H:%M}"


def _span(start: datetime | time, end: datetime | time) -> str:
    return f"{_hm(start)}-{_hm(end)}"


def _hours(centre: Centre) -> str:
    return ", ".join(_span(a, b) for a, b in centre.opening) or "never open"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km on a sphere of radius 6371.0 km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def driving_min(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """A home round's driving leg: ceil(haversine km / 40 km/h x 60) minutes."""
    return math.ceil(haversine_km(lat1, lon1, lat2, lon2) / DRIVING_KMH * 60)


def working_days_waited(release: date, exam_day: date, closed: frozenset[date]) -> int:
    """Mon-Fri dates not in ``closed`` strictly after ``release`` up to ``exam_day``."""
    count = 0
    d = release + timedelta(days=1)
    while d <= exam_day:
        if d.weekday() < 5 and d not in closed:
            count += 1
        d += timedelta(days=1)
    return count


def _in_window(start: datetime, end: datetime, day: date, a: time, b: time) -> bool:
    return start.date() == day and end.date() == day and a <= start.time() and end.time() <= b


# ---------------------------------------------------------------- completeness


def _completeness(week: Week, schedule: Schedule) -> Iterator[Violation]:
    """Every convocation once; no unknown convocation, doctor or centre."""
    convs = {c.id for c in week.convocations}
    doctors = {d.id for d in week.doctors}
    centres = {c.id for c in week.centres}
    seen: dict[str, str] = {}
    for a in schedule.assignments:
        where = f"assigned to {a.doctor} at {a.centre} on {_day(a.start.date())} {_hm(a.start)}"
        if a.convocation not in convs:
            yield Violation("unknown-id", a.convocation,
                            f"{a.convocation} is {where}, but the week has no such convocation.")
            continue
        if a.doctor not in doctors:
            yield Violation("unknown-id", a.convocation,
                            f"{a.convocation} is {where}, but the week has no doctor {a.doctor}.")
        if a.centre != HOME and a.centre not in centres:
            yield Violation("unknown-id", a.convocation,
                            f"{a.convocation} is {where}, but the week has no centre {a.centre}.")
        if a.convocation in seen:
            yield Violation("duplicate", a.convocation,
                            f"{a.convocation} appears more than once: {seen[a.convocation]}, "
                            f"and again {where}.")
        else:
            seen[a.convocation] = where
    for u in schedule.unscheduled:
        if u.convocation not in convs:
            yield Violation("unknown-id", u.convocation,
                            f"{u.convocation} is listed as unscheduled, but the week has no "
                            f"such convocation.")
            continue
        if u.convocation in seen:
            yield Violation("duplicate", u.convocation,
                            f"{u.convocation} appears more than once: {seen[u.convocation]}, "
                            f"and again as unscheduled.")
        else:
            seen[u.convocation] = "listed as unscheduled"
    for c in week.convocations:
        if c.id not in seen:
            yield Violation("missing", c.id,
                            f"{c.id} is neither assigned nor listed as unscheduled.")


# ---------------------------------------------------------------- rules on one exam


def _end_equals_start_plus_duration(e: _Exam) -> Iterator[Violation]:
    a = e.assignment
    if a.end != e.end:
        yield Violation("end-equals-start-plus-duration", a.convocation,
                        f"{e.describe()}: the schedule says it ends at "
                        f"{a.end:%Y-%m-%d %H:%M}, but {a.convocation} lasts "
                        f"{e.convocation.duration_min} min, so it ends at {_hm(e.end)}.")


def _grid(e: _Exam) -> Iterator[Violation]:
    s = e.start
    if s.second or s.microsecond or (s.hour * 60 + s.minute) % GRID_MINUTES:
        shown = f"{s:%H:%M:%S}" if s.second or s.microsecond else f"{s:%H:%M}"
        yield Violation("grid", e.assignment.convocation,
                        f"{e.describe()}: the start {shown} is not on the "
                        f"{GRID_MINUTES}-minute grid.")


def _inside_session(e: _Exam) -> Iterator[Violation]:
    """Rule 1: inside a session of the doctor at the assignment's centre, and opening hours."""
    if e.doctor is None or (not e.at_home and e.centre is None):
        return  # reported as unknown-id
    a = e.assignment
    if e.session is None:
        same_day = [s for s in e.doctor.sessions if s.day == e.day]
        listed = ", ".join(f"{'home' if s.is_home else s.centre} {_span(s.start, s.end)}"
                           for s in same_day) or "none"
        place = "home session" if e.at_home else f"session at {a.centre}"
        yield Violation("inside-session", a.convocation,
                        f"{e.describe()}: {a.doctor} has no {place} on {_day(e.day)} that holds "
                        f"{_span(e.start, e.end)} (sessions that day: {listed}).")
        return
    if e.centre is not None and not any(
            _in_window(e.start, e.end, e.day, lo, hi) for lo, hi in e.centre.opening):
        yield Violation("inside-session", a.convocation,
                        f"{e.describe()}: {_span(e.start, e.end)} is outside the opening hours "
                        f"of {e.centre.id} ({_hours(e.centre)}).")


def _home_visit(e: _Exam) -> Iterator[Violation]:
    a = e.assignment
    if e.convocation.home_visit and not e.at_home:
        yield Violation("home-visit", a.convocation,
                        f"{e.describe()}: {a.convocation} is a home visit, but is planned at "
                        f"centre {a.centre} instead of in a home session.")
    elif not e.convocation.home_visit and e.at_home:
        yield Violation("home-visit", a.convocation,
                        f"{e.describe()}: {a.convocation} is not a home visit, but is planned "
                        f"at the patient's home.")


def _language(e: _Exam) -> Iterator[Violation]:
    if e.doctor is None:
        return
    lang = e.convocation.patient.language
    if lang not in e.doctor.languages:
        yield Violation("language", e.assignment.convocation,
                        f"{e.describe()}: the patient speaks '{lang}', {e.doctor.id} speaks "
                        f"{', '.join(sorted(e.doctor.languages))}.")


def _specialty(e: _Exam) -> Iterator[Violation]:
    if e.doctor is None:
        return
    need = e.convocation.specialty
    if need != GENERAL and need not in e.doctor.specialties:
        yield Violation("specialty", e.assignment.convocation,
                        f"{e.describe()}: the exam needs specialty '{need}', which "
                        f"{e.doctor.id} does not have "
                        f"({', '.join(sorted(e.doctor.specialties)) or 'none'}).")


def _date_window(e: _Exam) -> Iterator[Violation]:
    c = e.convocation
    if not c.release <= e.day <= c.deadline:
        yield Violation("date-window", c.id,
                        f"{e.describe()}: {e.day} is outside the window from release "
                        f"{c.release} to deadline {c.deadline}.")


def _closed_date(e: _Exam, closed: frozenset[date]) -> Iterator[Violation]:
    if e.day in closed:
        yield Violation("closed-date", e.convocation.id,
                        f"{e.describe()}: {e.day} is a closed date.")


def _weekend(e: _Exam) -> Iterator[Violation]:
    if e.day.weekday() >= 5:
        yield Violation("weekend", e.convocation.id,
                        f"{e.describe()}: {e.day} is a {e.day:%A}.")


def _unavailable(e: _Exam) -> Iterator[Violation]:
    if e.day in e.convocation.unavailable:
        yield Violation("unavailable", e.convocation.id,
                        f"{e.describe()}: the patient is unavailable on {e.day}.")


def _travel(e: _Exam) -> Iterator[Violation]:
    """Rule 6 and the reported travel: ``travel-known``, ``max-travel``, ``travel-reported``."""
    c, a = e.convocation, e.assignment
    if e.at_home:
        if a.travel_min != 0:
            yield Violation("travel-reported", c.id,
                            f"{e.describe()}: reports {a.travel_min} min of travel, but the "
                            f"patient does not travel for a home visit (0).")
        return
    if c.home_visit or e.centre is None:
        return  # reported as home-visit or unknown-id
    if c.travel_min is not None:
        if a.centre not in c.travel_min:
            yield Violation("travel-known", c.id,
                            f"{e.describe()}: the travel time from the patient to {a.centre} is "
                            f"not known (the centre is unreachable for this patient).")
            return
        minutes = c.travel_min[a.centre]
        if a.travel_min != minutes:
            yield Violation("travel-reported", c.id,
                            f"{e.describe()}: reports {a.travel_min} min of travel to "
                            f"{a.centre}, but the week gives {minutes} min.")
    else:
        minutes = a.travel_min
    if minutes > c.max_travel_min:
        yield Violation("max-travel", c.id,
                        f"{e.describe()}: the patient travels {minutes} min to {a.centre}, more "
                        f"than the allowed {c.max_travel_min} min.")


def _fixed(week: Week, schedule: Schedule) -> Iterator[Violation]:
    """Rule 7: a fixed convocation keeps its doctor, centre and start, and is scheduled."""
    first: dict[str, Assignment] = {}
    for each in schedule.assignments:
        first.setdefault(each.convocation, each)
    unscheduled = {u.convocation for u in schedule.unscheduled}
    for c in week.convocations:
        f = c.fixed
        if f is None:
            continue
        wanted = f"{f.doctor} at {f.centre} on {_day(f.start.date())} {_hm(f.start)}"
        a = first.get(c.id)
        if a is None:
            if c.id in unscheduled:
                yield Violation("fixed", c.id,
                                f"{c.id} is fixed to {wanted}, but is left unscheduled.")
            continue
        diffs = []
        if a.doctor != f.doctor:
            diffs.append(f"doctor {a.doctor}")
        if a.centre != f.centre:
            diffs.append(f"centre {a.centre}")
        if a.start != f.start:
            diffs.append(f"start {a.start:%Y-%m-%d %H:%M}")
        if diffs:
            yield Violation("fixed", c.id,
                            f"{c.id} is fixed to {wanted}, but the schedule has "
                            f"{', '.join(diffs)}.")


# ---------------------------------------------------------------- rules on several exams


def _doctor_overlap(exams: Iterable[_Exam]) -> Iterator[Violation]:
    by_doctor: dict[str, list[_Exam]] = defaultdict(list)
    for e in exams:
        by_doctor[e.assignment.doctor].append(e)
    for doctor, mine in by_doctor.items():
        mine.sort(key=lambda e: (e.start, e.end))
        latest: _Exam | None = None
        for e in mine:
            if latest is not None and e.start < latest.end:
                yield Violation("doctor-overlap", e.assignment.convocation,
                                f"{e.describe()}: {doctor} is still examining "
                                f"{latest.assignment.convocation} "
                                f"({_span(latest.start, latest.end)}) then.")
            if latest is None or e.end > latest.end:
                latest = e


def _max_exams_per_day(exams: Iterable[_Exam]) -> Iterator[Violation]:
    by_day: dict[tuple[str, date], list[_Exam]] = defaultdict(list)
    limits: dict[str, int] = {}
    for e in exams:
        if e.doctor is not None:
            by_day[(e.doctor.id, e.day)].append(e)
            limits[e.doctor.id] = e.doctor.max_exams_per_day
    for (doctor, day), mine in by_day.items():
        limit = limits[doctor]
        if len(mine) <= limit:
            continue
        mine.sort(key=lambda e: (e.start, e.assignment.convocation))
        for n, e in enumerate(mine[limit:], start=limit + 1):
            yield Violation("max-exams-per-day", e.assignment.convocation,
                            f"{e.describe()}: exam {n} of {len(mine)} for {doctor} on "
                            f"{_day(day)}, who does at most {limit} a day.")


def _home_driving_legs(exams: Iterable[_Exam], week: Week) -> Iterator[Violation]:
    """Rule 2 on a home round: base -> first patient -> next patient, no return leg."""
    rounds: dict[tuple[str, Session], list[_Exam]] = defaultdict(list)
    for e in exams:
        if e.session is not None and e.session.is_home:
            rounds[(e.assignment.doctor, e.session)].append(e)
    centres = {c.id: c for c in week.centres}
    for (doctor, session), mine in rounds.items():
        mine.sort(key=lambda e: (e.start, e.end))
        base = centres.get(session.base or "")
        if base is None:
            yield Violation("home-driving-leg", mine[0].assignment.convocation,
                            f"{mine[0].describe()}: the home session of {doctor} on "
                            f"{_day(session.day)} has no known base centre "
                            f"({session.base!r}) to drive from.")
            here: tuple[float, float] | None = None
        else:
            here = (base.lat, base.lon)
        ready = session.start_at
        origin = f"the session start {_hm(session.start)} at base {session.base}"
        for e in mine:
            p = e.convocation.patient
            if here is not None:
                leg = driving_min(here[0], here[1], p.lat, p.lon)
                earliest = ready + timedelta(minutes=leg)
                if e.start < earliest:
                    yield Violation("home-driving-leg", e.assignment.convocation,
                                    f"{e.describe()}: {doctor} cannot be there before "
                                    f"{_hm(earliest)} ({origin}, plus {leg} min of driving).")
            here = (p.lat, p.lon)
            ready = e.end
            origin = f"after {e.assignment.convocation} ends at {_hm(e.end)}"


def _rooms(exams: Iterable[_Exam]) -> Iterator[Violation]:
    """Rule 3: a sweep over start and end events per centre; an end frees its room first."""
    by_centre: dict[str, list[_Exam]] = defaultdict(list)
    rooms: dict[str, int] = {}
    for e in exams:
        if e.centre is not None and not e.at_home:
            by_centre[e.centre.id].append(e)
            rooms[e.centre.id] = e.centre.rooms
    for centre, mine in by_centre.items():
        mine.sort(key=lambda e: (e.start, e.end, e.assignment.convocation))
        running: list[tuple[datetime, str]] = []  # heap of (end, convocation)
        for e in mine:
            while running and running[0][0] <= e.start:
                heapq.heappop(running)
            heapq.heappush(running, (e.end, e.assignment.convocation))
            if len(running) > rooms[centre]:
                others = sorted(c for _, c in running if c != e.assignment.convocation)
                yield Violation("rooms", e.assignment.convocation,
                                f"{e.describe()}: at {_hm(e.start)} {centre} would run "
                                f"{len(running)} exams at once ({', '.join(others)} and "
                                f"{e.assignment.convocation}) but has {rooms[centre]} "
                                f"room{'s' if rooms[centre] != 1 else ''}.")


# ---------------------------------------------------------------- cost


def compute_cost(week: Week, schedule: Schedule) -> CostBreakdown:
    """The objective of the week format, recomputed term by term (see the module doc)."""
    w = week.weights
    first: dict[str, Assignment] = {}
    for each in schedule.assignments:
        first.setdefault(each.convocation, each)
    unscheduled = travel = waiting = preference = 0
    for c in week.convocations:
        a = first.get(c.id)
        if a is None:
            unscheduled += w.unscheduled
            continue
        if a.centre != HOME:
            known = c.travel_min.get(a.centre) if c.travel_min is not None else None
            travel += w.travel_minute * (known if known is not None else a.travel_min)
        waiting += w.wait_day.get(c.priority, 0) * working_days_waited(
            c.release, a.start.date(), week.closed_dates)
        end = a.start + timedelta(minutes=c.duration_min)
        if c.preferred and not any(_in_window(a.start, end, p.day, p.start, p.end)
                                   for p in c.preferred):
            preference += w.preference_miss
    return CostBreakdown(unscheduled, travel, waiting, preference)


# ---------------------------------------------------------------- entry points


def _exams(week: Week, schedule: Schedule) -> list[_Exam]:
    convs = {c.id: c for c in week.convocations}
    doctors = {d.id: d for d in week.doctors}
    centres = {c.id: c for c in week.centres}
    out = []
    for a in schedule.assignments:
        conv = convs.get(a.convocation)
        if conv is None:
            continue
        doctor = doctors.get(a.doctor)
        end = a.start + timedelta(minutes=conv.duration_min)
        session = None
        if doctor is not None:
            session = next((s for s in doctor.sessions
                            if s.centre == a.centre and s.start_at <= a.start
                            and end <= s.end_at), None)
        out.append(_Exam(a, conv, doctor, centres.get(a.centre), session))
    return out


def check_schedule(week: Week, schedule: Schedule) -> Report:
    """Check ``schedule`` against every hard rule of ``week`` and recompute its cost."""
    found: list[Violation] = list(_completeness(week, schedule))
    exams = _exams(week, schedule)
    for e in exams:
        found += _end_equals_start_plus_duration(e)
        found += _grid(e)
        found += _inside_session(e)
        found += _home_visit(e)
        found += _language(e)
        found += _specialty(e)
        found += _date_window(e)
        found += _closed_date(e, week.closed_dates)
        found += _weekend(e)
        found += _unavailable(e)
        found += _travel(e)
    found += _fixed(week, schedule)
    found += _doctor_overlap(exams)
    found += _max_exams_per_day(exams)
    found += _home_driving_legs(exams, week)
    found += _rooms(exams)
    return Report(tuple(found), compute_cost(week, schedule), schedule.cost)


def format_report(report: Report) -> str:
    """The report as text for the command line: the violations, then the cost."""
    lines = [f"{v.rule}: {v.message}" for v in report.violations]
    n = len(report.violations)
    if n:
        lines.append(f"{n} violation{'s' if n != 1 else ''} of the hard rules.")
    else:
        lines.append("No violations: the schedule satisfies every hard rule.")
    c = report.cost
    width = max(len(str(x)) for x in (c.unscheduled, c.travel, c.waiting, c.preference, c.total))
    lines += [
        "Cost:",
        f"  unscheduled {c.unscheduled:>{width}}",
        f"  travel      {c.travel:>{width}}",
        f"  waiting     {c.waiting:>{width}}",
        f"  preference  {c.preference:>{width}}",
        f"  total       {c.total:>{width}}",
    ]
    if not report.cost_matches:
        lines.append(f"The schedule reports a cost of {report.reported_cost}, "
                     f"not {c.total}.")
    return "\n".join(lines)
