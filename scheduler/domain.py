"""The planning domain: centres, doctors and their sessions, convocations, schedules.

Plain immutable dataclasses with datetimes in local wall-clock time (Europe/Brussels).
No I/O here: the exchange format lives in :mod:`scheduler.week_format`, the database in
``api``.  The solver never sees these objects; :mod:`scheduler.plan` converts them to
integers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
HOME = "home"
"""Centre id used for home-visit sessions and for the assignments they serve."""
GENERAL = "general"
"""The specialty every doctor has: a convocation needing ``general`` may go to any doctor."""
GRID_MIN = 5
"""Exam starts lie on this grid of minutes after midnight."""


class Priority(enum.StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Status(enum.StrEnum):
    """Outcome of a solve, as in the exchange format."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Centre:
    id: str
    name: str
    lat: float
    lon: float
    rooms: int
    opening: tuple[tuple[time, time], ...]
    """Opening intervals, the same on every open day."""


@dataclass(frozen=True)
class Session:
    """A half-day (or any span) in which a doctor examines at one centre or on a home round."""

    centre: str
    day: date
    start: time
    end: time
    base: str | None = None
    """For a home round: the centre the doctor drives from."""

    @property
    def is_home(self) -> bool:
        return self.centre == HOME

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.day, self.start)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.day, self.end)


@dataclass(frozen=True)
class Doctor:
    id: str
    languages: frozenset[str]
    specialties: frozenset[str]
    max_exams_per_day: int
    sessions: tuple[Session, ...]

    def has_specialty(self, specialty: str) -> bool:
        return specialty == GENERAL or specialty in self.specialties


@dataclass(frozen=True)
class Patient:
    lat: float
    lon: float
    language: str


@dataclass(frozen=True)
class TimeWindow:
    day: date
    start: time
    end: time

    def contains(self, start: datetime, end: datetime) -> bool:
        """True when the exam ``[start, end]`` lies entirely inside the window."""
        return (
            start.date() == self.day
            and end.date() == self.day
            and self.start <= start.time()
            and end.time() <= self.end
        )


@dataclass(frozen=True)
class Fixed:
    doctor: str
    centre: str
    start: datetime


@dataclass(frozen=True)
class Convocation:
    id: str
    patient: Patient
    injury: str
    priority: Priority
    duration_min: int
    specialty: str
    home_visit: bool
    release: date
    deadline: date
    unavailable: frozenset[date] = frozenset()
    preferred: tuple[TimeWindow, ...] = ()
    max_travel_min: int = 90
    travel_min: dict[str, int] | None = None
    """Minutes to each centre; a missing centre is unreachable.  ``None``: computed."""
    fixed: Fixed | None = None


@dataclass(frozen=True)
class Weights:
    unscheduled: int = 10000
    travel_minute: int = 1
    wait_day: dict[Priority, int] = field(
        default_factory=lambda: {Priority.HIGH: 120, Priority.NORMAL: 30, Priority.LOW: 5}
    )
    preference_miss: int = 60


@dataclass(frozen=True)
class Week:
    week_start: date
    days: int
    closed_dates: frozenset[date]
    weights: Weights
    centres: tuple[Centre, ...]
    doctors: tuple[Doctor, ...]
    convocations: tuple[Convocation, ...]

    @property
    def dates(self) -> list[date]:
        return [self.week_start + timedelta(days=i) for i in range(self.days)]

    def centre(self, centre_id: str) -> Centre:
        for c in self.centres:
            if c.id == centre_id:
                return c
        raise KeyError(centre_id)


@dataclass(frozen=True)
class Assignment:
    convocation: str
    doctor: str
    centre: str
    start: datetime
    end: datetime
    travel_min: int
    """Minutes from the patient's home to the centre (0 for a home visit)."""


@dataclass(frozen=True)
class Unscheduled:
    convocation: str
    reason: str


@dataclass(frozen=True)
class Schedule:
    status: Status
    cost: int
    lower_bound: int | None
    solve_seconds: float
    assignments: tuple[Assignment, ...]
    unscheduled: tuple[Unscheduled, ...]
    instance: str = ""
