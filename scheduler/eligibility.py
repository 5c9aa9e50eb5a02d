"""Which sessions may serve which convocation, and what each pairing costs.

The planning use case (:mod:`scheduler.plan`) and the hand-planning baseline
(:mod:`scheduler.heuristic`) share this view of the hard rules.  The independent checker
(:mod:`scheduler.validate`) deliberately does not use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from scheduler.domain import GRID_MIN, HOME, Convocation, Doctor, Session, Week

DRIVE_KMH = 40.0
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Segment:
    """A stretch of one session inside one opening interval of its centre.

    Times are minutes after midnight of ``day``; at a centre ``start`` is rounded up to the
    5-minute grid.  A home session is a single segment (a home visit has no opening hours)
    whose ``start`` is the session's: the first visit starts on the grid after the drive.
    """

    index: int
    doctor: Doctor
    session: Session
    day: date
    start: int
    end: int
    centre: str = field(init=False)
    is_home: bool = field(init=False)
    length: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "centre", self.session.centre)
        object.__setattr__(self, "is_home", self.session.centre == HOME)
        object.__setattr__(self, "length", self.end - self.start)


def _minutes(t: object) -> int:
    return t.hour * 60 + t.minute  # type: ignore[attr-defined]


def _grid_up(minute: int) -> int:
    return -(-minute // GRID_MIN) * GRID_MIN


def segments(week: Week) -> list[Segment]:
    """All segments of the week, in a stable order (doctor, day, start)."""
    horizon = set(week.dates)
    out: list[Segment] = []
    for doctor in week.doctors:
        for session in doctor.sessions:
            if session.day not in horizon:
                continue
            lo, hi = _minutes(session.start), _minutes(session.end)
            spans = [(lo, hi)] if session.is_home else [
                (max(lo, _minutes(a)), min(hi, _minutes(b)))
                for a, b in week.centre(session.centre).opening]
            for a, b in spans:
                if not session.is_home:
                    a = _grid_up(a)
                if b > a:
                    out.append(Segment(len(out), doctor, session, session.day, a, b))
    return out


def working_days_after(release: date, day: date, closed: frozenset[date]) -> int:
    """Monday-Friday dates not in ``closed`` strictly after ``release`` up to ``day``."""
    count = 0
    d = release + timedelta(days=1)
    while d <= day:
        if d.weekday() < 5 and d not in closed:
            count += 1
        d += timedelta(days=1)
    return count


def exam_day_open(week: Week, conv: Convocation, day: date) -> bool:
    return (conv.release <= day <= conv.deadline and day.weekday() < 5
            and day not in week.closed_dates and day not in conv.unavailable)


def drive_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """A home-round driving leg: ceil(haversine km / 40 km/h x 60), as the format defines."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return math.ceil(km / DRIVE_KMH * 60)


def serves(week: Week, conv: Convocation, seg: Segment, travel: dict[str, int]) -> bool:
    """True when ``seg`` may serve ``conv`` by every rule that does not depend on the others."""
    doctor = seg.doctor
    if conv.home_visit != seg.is_home:
        return False
    if conv.patient.language not in doctor.languages or not doctor.has_specialty(conv.specialty):
        return False
    if not exam_day_open(week, conv, seg.day):
        return False
    if seg.length < conv.duration_min:
        return False
    if seg.is_home:
        return home_reach(week, conv, seg) + conv.duration_min <= seg.length
    minutes = travel.get(seg.centre)
    return minutes is not None and minutes <= conv.max_travel_min


def home_reach(week: Week, conv: Convocation, seg: Segment) -> int:
    """Driving minutes from a home round's base centre to the patient (0 without a base)."""
    if seg.session.base is None:
        return 0
    base = week.centre(seg.session.base)
    return drive_minutes(base.lat, base.lon, conv.patient.lat, conv.patient.lon)
