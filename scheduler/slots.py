"""Offered slots: the times a victim may book themselves, by every hard rule of the week.

A victim chooses an appointment online among slots that the weekly engine would accept as
they are: :func:`offered_slots` takes what one convocation needs (:class:`SlotNeed`) and
what the agenda still has (:class:`SlotSupply`: the candidate doctors' sessions minus
absences, their confirmed exams, the exams running at each centre) and returns the free
starts, ranked and spread.  :func:`check_slot` answers for one chosen slot, with the rule
it breaks: the booking re-checks the victim's choice with it under the row locks, so an
offer and a booking can never disagree.

The rules (the names are those of :mod:`scheduler.validate`, which checks the same
specification independently):

* the doctor speaks the victim's language [``language``] and has the specialty, ``general``
  being every doctor's [``specialty``];
* ``release <= day <= deadline`` [``date-window``], a weekday [``weekend``], not a closed
  date [``closed-date``], not a day the victim is unavailable [``unavailable``];
* never before ``SlotNeed.earliest`` (the present plus a margin, or the cut-off)
  [``past``]; starts on the 5-minute grid [``grid``];
* inside one session of the doctor and, at a centre, inside one opening interval
  [``inside-session``]; a home visit only in a home round and a home round only for home
  visits [``home-visit``];
* the centre's travel time known [``travel-known``] and at most ``max_travel_min``
  [``max-travel``] (a home visit travels 0);
* no overlap with the doctor's confirmed exams [``doctor-overlap``], at most
  ``max_exams_per_day`` a day [``max-exams-per-day``], at no moment more exams at the
  centre than its rooms [``rooms``]; in a home round the driving legs from the previous
  visit (the first: from the base at the session's start) and to the next one still fit
  [``home-driving-leg``].

The last four depend on the other bookings: a slot refused by one of them was *taken*
(:attr:`Refusal.taken`), the others were never valid for this victim.

Free time is computed per doctor session in minutes after midnight with sorted interval
lists: the session's part of each opening interval, minus the doctor's exams, minus the
moments the centre's rooms are all in use.  Exams occupy ``[start, end)``: one ending at
10:00 and another starting at 10:00 do not overlap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, NamedTuple

from scheduler.domain import GRID_MIN, HOME, Centre, Convocation, Doctor, Schedule, Session, Week

Part = Literal["morning", "afternoon"]
NOON = 12 * 60
"""A morning slot starts before 12:00, an afternoon slot at 12:00 or later."""
PER_SESSION = 3
"""At most this many slots of one doctor session are offered, so that the victim sees
several days, doctors and centres instead of one morning's every five minutes."""
SPACING_MIN = 60
"""Slots offered within one session start at least this many minutes apart."""
TAKEN_RULES = frozenset({"doctor-overlap", "max-exams-per-day", "rooms", "home-driving-leg"})
"""Rules that a slot breaks only because someone else booked meanwhile."""
DRIVE_KMH = 40.0
EARTH_RADIUS_KM = 6371.0

Interval = tuple[int, int]
"""``[start, end)`` in minutes after midnight."""


@dataclass(frozen=True)
class Slot:
    """A bookable exam: doctor (code), centre (id, or ``"home"``), start and end in
    Europe/Brussels wall-clock time, and the victim's travel minutes (0 at home)."""

    doctor: str
    centre: str
    start: datetime
    end: datetime
    travel_min: int


@dataclass(frozen=True)
class SlotNeed:
    """What one convocation needs, as the week format states it."""

    convocation: str
    """Its key in :attr:`Booked.convocation`: its own exam never blocks its new slot."""
    language: str
    specialty: str
    duration_min: int
    home_visit: bool
    release: date
    deadline: date
    earliest: datetime
    """No slot starts before this moment (Brussels wall clock): now plus a margin."""
    unavailable: frozenset[date] = frozenset()
    max_travel_min: int = 90
    travel_min: Mapping[str, int] = field(default_factory=dict)
    """Minutes to each centre; a missing centre is unreachable."""
    lat: float = 0.0
    lon: float = 0.0
    """The victim's home, where a home round drives to."""


class Booked(NamedTuple):
    """A confirmed exam already in the agenda (a plain tuple: an offer reads hundreds)."""

    convocation: str
    start: datetime
    end: datetime
    centre: str
    """The centre's id, or ``"home"``."""
    lat: float | None = None
    lon: float | None = None
    """For a home visit: the patient's home (the round's next leg starts there)."""


@dataclass(frozen=True)
class SlotSupply:
    """What the agenda offers: the doctors (with their sessions, absences already taken
    out), the centres, the closed dates, and the confirmed exams that may be in the way.

    ``booked`` holds every confirmed exam of each doctor on the days concerned (for the
    overlaps, the daily maximum and the home rounds); ``at_centre`` every confirmed exam
    at each centre on those days, whoever the doctor (for the rooms)."""

    doctors: tuple[Doctor, ...]
    centres: Mapping[str, Centre]
    closed_dates: frozenset[date] = frozenset()
    booked: Mapping[str, tuple[Booked, ...]] = field(default_factory=dict)
    at_centre: Mapping[str, tuple[Booked, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """Why a chosen slot cannot be booked: the rule (as :mod:`scheduler.validate` names
    it) and a sentence for the victim."""

    rule: str
    message: str

    @property
    def taken(self) -> bool:
        """The slot was free for this victim but someone else's booking is in the way."""
        return self.rule in TAKEN_RULES


# ---------------------------------------------------------------- small helpers


def _minutes(t: time | datetime) -> int:
    return t.hour * 60 + t.minute


def _grid_up(minute: int) -> int:
    return -(-minute // GRID_MIN) * GRID_MIN


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def drive_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """A home round's driving leg: ceil(haversine km / 40 km/h x 60) minutes."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return math.ceil(km / DRIVE_KMH * 60)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same minutes."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    """``free`` minus ``busy``; both sorted, ``busy`` merged."""
    out: list[Interval] = []
    j = 0
    for a, b in free:
        while j < len(busy) and busy[j][1] <= a:
            j += 1
        k = j
        cur = a
        while k < len(busy) and busy[k][0] < b:
            c, d = busy[k]
            if c > cur:
                out.append((cur, c))
            cur = max(cur, d)
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


def full_intervals(exams: Iterable[Interval], rooms: int) -> list[Interval]:
    """The moments at which ``rooms`` or more of ``exams`` run at once (a sweep; an end
    frees its room before a start at the same minute takes one)."""
    events = sorted([(a, 1) for a, _ in exams] + [(b, -1) for _, b in exams])
    out: list[Interval] = []
    running = 0
    since: int | None = None
    for minute, delta in events:
        running += delta
        if running >= rooms and since is None:
            since = minute
        elif running < rooms and since is not None:
            if minute > since:
                out.append((since, minute))
            since = None
    return merge(out)


def _starts(free: Iterable[Interval], duration: int, lower: int, upper: int) -> Iterator[int]:
    """Grid starts ``s`` with ``[s, s + duration)`` inside a free interval and
    ``lower <= s < upper``, ascending."""
    for a, b in free:
        s = _grid_up(max(a, lower))
        last = min(b - duration, upper - 1)
        while s <= last:
            yield s
            s += GRID_MIN


# ---------------------------------------------------------------- the agenda, indexed


class _Agenda:
    """The supply indexed by (doctor, day) and (centre, day), without the need's own exam;
    the rooms' full moments computed once per centre and day."""

    def __init__(self, supply: SlotSupply, own: str):
        self.supply = supply
        self.by_doctor: dict[tuple[str, date], list[Booked]] = defaultdict(list)
        self.by_centre: dict[tuple[str, date], list[Booked]] = defaultdict(list)
        for code, exams in supply.booked.items():
            for b in exams:
                if b.convocation != own:
                    self.by_doctor[(code, b.start.date())].append(b)
        for centre, exams in supply.at_centre.items():
            for b in exams:
                if b.convocation != own:
                    self.by_centre[(centre, b.start.date())].append(b)
        self._full: dict[tuple[str, date], list[Interval]] = {}
        self._busy: dict[tuple[str, date], list[Interval]] = {}

    def count(self, doctor: str, day: date) -> int:
        return len(self.by_doctor.get((doctor, day), ()))

    def busy(self, doctor: str, day: date) -> list[Interval]:
        key = (doctor, day)
        found = self._busy.get(key)
        if found is None:
            found = merge((_minutes(b.start), _minutes(b.end))
                          for b in self.by_doctor.get(key, ()))
            self._busy[key] = found
        return found

    def full(self, centre: Centre, day: date) -> list[Interval]:
        key = (centre.id, day)
        found = self._full.get(key)
        if found is None:
            found = full_intervals([(_minutes(b.start), _minutes(b.end))
                                    for b in self.by_centre.get(key, ())], centre.rooms)
            self._full[key] = found
        return found

    def home_visits(self, doctor: str, session: Session) -> list[Booked]:
        lo, hi = session.start_at, session.end_at
        return sorted((b for b in self.by_doctor.get((doctor, session.day), ())
                       if b.centre == HOME and lo <= b.start and b.end <= hi),
                      key=lambda b: (b.start, b.end))


# ---------------------------------------------------------------- rules of one session


def _day_refusal(need: SlotNeed, supply: SlotSupply, day: date) -> Refusal | None:
    if not need.release <= day <= need.deadline:
        return Refusal("date-window", f"{day:%A %d %B %Y} is outside the period of your "
                                      f"convocation ({need.release} to {need.deadline})")
    if day.weekday() >= 5:
        return Refusal("weekend", f"{day:%A %d %B %Y} is not a working day")
    if day in supply.closed_dates:
        return Refusal("closed-date", f"Medex is closed on {day:%A %d %B %Y}")
    if day in need.unavailable:
        return Refusal("unavailable", f"you said you cannot come on {day:%A %d %B %Y}")
    if day < need.earliest.date():
        return Refusal("past", f"{day:%A %d %B %Y} has passed")
    return None


def _doctor_refusal(need: SlotNeed, doctor: Doctor) -> Refusal | None:
    if need.language not in doctor.languages:
        return Refusal("language", f"doctor {doctor.id} does not speak your language")
    if not doctor.has_specialty(need.specialty):
        return Refusal("specialty", f"doctor {doctor.id} does not do this kind of exam")
    return None


def _place_refusal(need: SlotNeed, supply: SlotSupply, session: Session) -> Refusal | None:
    if need.home_visit != session.is_home:
        return Refusal("home-visit", "your exam takes place at your home" if need.home_visit
                       else "this doctor makes home visits at that time")
    if session.is_home:
        if session.base not in supply.centres:
            return Refusal("home-driving-leg", "this home round has no base to drive from")
        return None
    if session.centre not in supply.centres:
        return Refusal("inside-session", f"no centre {session.centre}")
    minutes = need.travel_min.get(session.centre)
    if minutes is None:
        return Refusal("travel-known", f"centre {session.centre} cannot be reached from "
                                       "your home")
    if minutes > need.max_travel_min:
        return Refusal("max-travel", f"centre {session.centre} is {minutes} minutes from "
                                     f"your home, more than {need.max_travel_min}")
    return None


def _lower(need: SlotNeed, day: date) -> int:
    if day == need.earliest.date():
        return _minutes(need.earliest) + (1 if need.earliest.second
                                          or need.earliest.microsecond else 0)
    return 0


def _part_bounds(part: Part | None) -> Interval:
    if part == "morning":
        return 0, NOON
    if part == "afternoon":
        return NOON, 24 * 60
    return 0, 24 * 60


def _centre_free(agenda: _Agenda, doctor: Doctor, session: Session) -> list[Interval]:
    """The session's free minutes at its centre: inside opening hours (one interval at a
    time), not in the doctor's exams, not when every room is in use."""
    centre = agenda.supply.centres[session.centre]
    lo, hi = _minutes(session.start), _minutes(session.end)
    busy = merge(agenda.busy(doctor.id, session.day) + agenda.full(centre, session.day))
    out: list[Interval] = []
    for a, b in centre.opening:
        span = (max(lo, _minutes(a)), min(hi, _minutes(b)))
        if span[1] > span[0]:
            out += subtract([span], busy)
    return out


def _home_free(need: SlotNeed, agenda: _Agenda, doctor: Doctor, session: Session
               ) -> list[Interval]:
    """The ranges of a home round in which this visit fits, as ``[first start, last end)``:
    between two neighbouring visits (or the session's start, from the base) with both
    driving legs, and not in the doctor's exams."""
    base = agenda.supply.centres[session.base or ""]
    visits = agenda.home_visits(doctor.id, session)
    ready, here = _minutes(session.start), (base.lat, base.lon)
    end = _minutes(session.end)
    out: list[Interval] = []
    for i in range(len(visits) + 1):
        nxt = visits[i] if i < len(visits) else None
        first = ready + drive_minutes(here[0], here[1], need.lat, need.lon)
        if nxt is None:
            last_end = end
        else:
            there = (nxt.lat if nxt.lat is not None else need.lat,
                     nxt.lon if nxt.lon is not None else need.lon)
            last_end = min(end, _minutes(nxt.start)
                           - drive_minutes(need.lat, need.lon, there[0], there[1]))
        if last_end > first:
            out.append((first, last_end))
        if nxt is not None:
            ready = _minutes(nxt.end)
            here = (nxt.lat if nxt.lat is not None else here[0],
                    nxt.lon if nxt.lon is not None else here[1])
    return subtract(out, agenda.busy(doctor.id, session.day))


def _session_free(need: SlotNeed, agenda: _Agenda, doctor: Doctor, session: Session
                  ) -> list[Interval]:
    """The free intervals of one session for this need; empty when the doctor's day is
    full (every static rule is checked by the caller)."""
    if agenda.count(doctor.id, session.day) >= doctor.max_exams_per_day:
        return []
    if session.is_home:
        return _home_free(need, agenda, doctor, session)
    return _centre_free(agenda, doctor, session)


def _session_ok(need: SlotNeed, supply: SlotSupply, session: Session) -> bool:
    return (_day_refusal(need, supply, session.day) is None
            and _place_refusal(need, supply, session) is None)


# ---------------------------------------------------------------- entry points


def offered_slots(need: SlotNeed, supply: SlotSupply, *, limit: int = 50,
                  centre: str | None = None, day: date | None = None,
                  part: Part | None = None, per_session: int = PER_SESSION,
                  spacing_min: int = SPACING_MIN, exclude: Iterable[Slot] = ()) -> list[Slot]:
    """The slots this need may book, best first, at most ``limit``.

    Order: travel minutes ascending (a home visit counts 0), then start ascending (how
    soon), then doctor code, then centre id: a total order, so the same agenda always gives
    the same list.  Spread: at most ``per_session`` slots of one doctor session, the
    session's earliest free start and then each next free start at least ``spacing_min``
    minutes after the previous one offered, so that the list shows several days, doctors
    and centres.  Filters: ``centre`` (an id, or ``"home"``), ``day``, ``part`` (a
    morning slot starts before 12:00).  ``exclude``: slots not to offer (the victim's
    current appointment)."""
    if limit <= 0 or per_session <= 0:
        return []
    agenda = _Agenda(supply, need.convocation)
    skip = {(s.doctor, s.centre, s.start) for s in exclude}
    part_lo, part_hi = _part_bounds(part)
    out: list[Slot] = []
    for doctor in supply.doctors:
        if _doctor_refusal(need, doctor) is not None:
            continue
        for session in doctor.sessions:
            if (day is not None and session.day != day) or (
                    centre is not None and session.centre != centre):
                continue
            if not _session_ok(need, supply, session):
                continue
            travel = 0 if session.is_home else need.travel_min[session.centre]
            lower = max(_lower(need, session.day), part_lo)
            taken = 0
            last: int | None = None
            for s in _starts(_session_free(need, agenda, doctor, session), need.duration_min,
                             lower, part_hi):
                if last is not None and s < last + spacing_min:
                    continue
                start = _at(session.day, s)
                if (doctor.id, session.centre, start) in skip:
                    continue
                out.append(Slot(doctor.id, session.centre, start,
                                start + timedelta(minutes=need.duration_min), travel))
                last = s
                taken += 1
                if taken >= per_session:
                    break
    out.sort(key=lambda x: (x.travel_min, x.start, x.doctor, x.centre))
    return out[:limit]


def check_slot(need: SlotNeed, supply: SlotSupply, doctor_code: str, centre: str,
               start: datetime) -> Refusal | None:
    """Why ``need`` cannot book ``doctor_code`` at ``centre`` from ``start`` (Brussels wall
    clock, naive), or ``None`` when it can: the same rules, and the same free-time
    computation, as :func:`offered_slots`."""
    doctor = next((d for d in supply.doctors if d.id == doctor_code), None)
    if doctor is None:
        return Refusal("unknown-id", f"no doctor {doctor_code}")
    refusal = _doctor_refusal(need, doctor) or _day_refusal(need, supply, start.date())
    if refusal is not None:
        return refusal
    if start.second or start.microsecond or _minutes(start) % GRID_MIN:
        return Refusal("grid", f"{start:%H:%M:%S} is not a time the agenda offers "
                               f"(every {GRID_MIN} minutes)")
    if start < need.earliest:
        return Refusal("past", f"{start:%A %d %B %H:%M} is too soon or has passed")
    end = start + timedelta(minutes=need.duration_min)
    if end.date() != start.date():
        return Refusal("inside-session", "the exam would end after midnight")
    session = next((s for s in doctor.sessions if s.centre == centre
                    and s.start_at <= start and end <= s.end_at), None)
    if session is None:
        return Refusal("inside-session", f"doctor {doctor.id} does not examine at "
                                         f"{centre} at {start:%A %d %B %H:%M}")
    refusal = _place_refusal(need, supply, session)
    if refusal is not None:
        return refusal
    s, e = _minutes(start), _minutes(start) + need.duration_min
    if not session.is_home:
        opening = supply.centres[centre].opening
        if not any(_minutes(a) <= s and e <= _minutes(b) for a, b in opening):
            return Refusal("inside-session", f"{start:%H:%M} is outside the opening hours "
                                             f"of {centre}")
    agenda = _Agenda(supply, need.convocation)
    if any(a <= s < b for a, b in _starts_spans(_session_free(need, agenda, doctor, session),
                                                need.duration_min)):
        return None
    if agenda.count(doctor.id, session.day) >= doctor.max_exams_per_day:
        return Refusal("max-exams-per-day", f"doctor {doctor.id} has no more room that day")
    if any(a < e and s < b for a, b in agenda.busy(doctor.id, session.day)):
        return Refusal("doctor-overlap", f"doctor {doctor.id} is already booked at "
                                         f"{start:%H:%M}")
    if session.is_home:
        return Refusal("home-driving-leg", "the doctor cannot reach your home in time "
                                           "between the other visits")
    return Refusal("rooms", f"every room of {centre} is in use at {start:%H:%M}")


def _starts_spans(free: Iterable[Interval], duration: int) -> Iterator[Interval]:
    """For each free interval, the half-open range of starts it allows."""
    for a, b in free:
        if b - a >= duration:
            yield a, b - duration + 1


# ---------------------------------------------------------------- from a week in the format


def need_from_week(conv: Convocation, earliest: datetime,
                   travel: Mapping[str, int] | None = None) -> SlotNeed:
    """The need of a convocation of a ``medex-week/1`` week (``travel``: its minutes when
    the week leaves them to the travel model, see :func:`scheduler.travel.resolve_travel`)."""
    return SlotNeed(
        convocation=conv.id, language=conv.patient.language, specialty=conv.specialty,
        duration_min=conv.duration_min, home_visit=conv.home_visit, release=conv.release,
        deadline=conv.deadline, earliest=earliest, unavailable=conv.unavailable,
        max_travel_min=conv.max_travel_min,
        travel_min=dict(travel if travel is not None else conv.travel_min or {}),
        lat=conv.patient.lat, lon=conv.patient.lon)


def supply_from_week(week: Week, schedule: Schedule) -> SlotSupply:
    """The agenda of a week and a schedule of it: what the slots of a victim of that week
    may use (the exchange format's way to look at offered slots, and the tests')."""
    patients = {c.id: c.patient for c in week.convocations}
    booked: dict[str, list[Booked]] = defaultdict(list)
    at_centre: dict[str, list[Booked]] = defaultdict(list)
    for a in schedule.assignments:
        p = patients.get(a.convocation)
        home = a.centre == HOME
        b = Booked(a.convocation, a.start, a.end, a.centre,
                   p.lat if home and p else None, p.lon if home and p else None)
        booked[a.doctor].append(b)
        if not home:
            at_centre[a.centre].append(b)
    return SlotSupply(week.doctors, {c.id: c for c in week.centres}, week.closed_dates,
                      {k: tuple(v) for k, v in booked.items()},
                      {k: tuple(v) for k, v in at_centre.items()})
