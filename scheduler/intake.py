"""Convocation intake: from a request to the dates and length of the exam.

Planners never compute dates by hand: :func:`take_in` applies the exam catalogue
(:mod:`scheduler.catalogue`) and the working-day calendar to a new convocation and says,
in words, which rule fixed its deadline.

* an injury: its term after the **accident** (6 months for a fracture, 2 for a sprain...),
  and the first convocation **within one month of the request**, whichever comes first;
* a relapse, a consolidation, a contested decision: one month after the request;
* re-integration: the visit before work resumption within **10 working days** of the
  request; the exam at work resumption from the resumption day (``reference_date``) to
  the 10th working day after; the follow-up talks of a track that started on
  ``reference_date``: the first within a month, then **every three months**
  (``followup_number`` 0, 1, 2...), each window opening the day after the previous
  deadline.

The exam may take place from the release date (the first working day on or after the
request, or the window's opening) up to the deadline, both working days.  A postal letter
must leave within 7 days of the request (``letter_by``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.calendar import DEFAULT_CALENDAR, WorkingCalendar
from scheduler.catalogue import (
    Basis,
    Complexity,
    InjuryType,
    add_months,
    convocation_deadline,
    deadline_for,
    exam_minutes,
    first_convocation_deadline,
    followup_deadlines,
    injury_type,
    resumption_window,
)
from scheduler.domain import Priority
from scheduler.errors import InputError

LETTER_DAYS = 7
"""The convocation letter leaves within this many days of the request."""
MAX_ACCIDENT_AGE_YEARS = 10


@dataclass(frozen=True)
class IntakeRequest:
    injury: str
    request_date: date
    """The request; for ``reintegration_resumption`` the resumption day, for
    ``reintegration_followup`` the start of the re-integration track."""
    accident_date: date | None = None
    """Required for injury types whose term counts from the accident."""
    complexity: str | None = None
    """The catalogue's usual complexity when ``None``."""
    priority: str | None = None
    specialty: str | None = None
    followup_number: int = 0


@dataclass(frozen=True)
class Intake:
    """What a convocation gets at intake."""

    injury: InjuryType
    complexity: Complexity
    duration_min: int
    priority: Priority
    specialty: str
    release: date
    deadline: date
    rule: str
    """How the deadline was found, e.g. "fracture: 6 months after the accident..."."""
    letter_by: date

    @property
    def overdue(self) -> bool:
        """The deadline passed before the convocation could be released."""
        return self.deadline < self.release


def _iso(d: date) -> str:
    return d.isoformat()


def take_in(req: IntakeRequest, *, today: date | None = None,
            calendar: WorkingCalendar = DEFAULT_CALENDAR) -> Intake:
    """The dates, length and urgency of a new convocation.

    Raises :class:`InputError` naming each field that makes no sense (unknown injury type
    or complexity, an accident after the request, a request far in the future, a missing
    accident date...)."""
    problems: list[str] = []
    try:
        kind = injury_type(req.injury)
    except KeyError as exc:
        raise InputError([f"injury: {exc.args[0]}"]) from None
    complexity = kind.complexity
    if req.complexity:
        try:
            complexity = Complexity(req.complexity)
        except ValueError:
            problems.append(f"complexity: unknown {req.complexity!r}; known: "
                            f"{', '.join(c.value for c in Complexity)}")
    priority = kind.priority
    if req.priority:
        try:
            priority = Priority(req.priority)
        except ValueError:
            problems.append(f"priority: unknown {req.priority!r}; known: high, normal, low")
    today = today or date.today()
    basis = kind.term.basis
    if req.request_date > today + timedelta(days=366):
        problems.append(f"request_date: {_iso(req.request_date)} is more than a year ahead")
    if basis is Basis.ACCIDENT:
        if req.accident_date is None:
            problems.append(f"accident_date: required for injury type {kind.code!r} (its "
                            "deadline counts from the accident)")
        elif req.accident_date > req.request_date:
            problems.append(f"accident_date: {_iso(req.accident_date)} is after the request "
                            f"date {_iso(req.request_date)}")
        elif req.accident_date > today:
            problems.append(f"accident_date: {_iso(req.accident_date)} is in the future")
        elif req.accident_date < add_months(today, -12 * MAX_ACCIDENT_AGE_YEARS):
            problems.append(f"accident_date: {_iso(req.accident_date)} is more than "
                            f"{MAX_ACCIDENT_AGE_YEARS} years ago")
    elif req.accident_date is not None and req.accident_date > req.request_date:
        problems.append(f"accident_date: {_iso(req.accident_date)} is after the request "
                        f"date {_iso(req.request_date)}")
    if req.followup_number < 0:
        problems.append("followup_number: must be 0 or more")
    elif req.followup_number and kind.code != "reintegration_followup":
        problems.append("followup_number: only for injury type 'reintegration_followup'")
    if problems:
        raise InputError(problems)

    ref = req.request_date
    release = calendar.next_working_day(ref)
    if basis is Basis.ACCIDENT:
        assert req.accident_date is not None
        deadline = convocation_deadline(kind, req.accident_date, ref, calendar)
        own = deadline_for(kind, req.accident_date, calendar)
        month = first_convocation_deadline(ref, calendar)
        if own <= month:
            rule = (f"{kind.code}: {kind.term.months} months after the accident of "
                    f"{_iso(req.accident_date)}")
        else:
            rule = (f"first convocation within 1 month of the request of {_iso(ref)} (the "
                    f"{kind.code} term of {kind.term.months} months after the accident ends "
                    f"later, on {_iso(own)})")
    elif basis is Basis.RESUMPTION:
        release, deadline = resumption_window(ref, calendar)
        release = calendar.next_working_day(release)
        rule = (f"exam at work resumption: from the resumption day {_iso(ref)} to the "
                f"{kind.term.working_days}th working day after")
    elif basis is Basis.TRACK_START:
        n = req.followup_number
        deadlines = followup_deadlines(ref, n + 1, calendar)
        deadline = deadlines[-1]
        if n == 0:
            rule = f"first re-integration follow-up within a month of the track start {_iso(ref)}"
        else:
            release = calendar.next_working_day(deadlines[-2] + timedelta(days=1))
            rule = (f"re-integration follow-up {n + 1}: every three months after the first, "
                    f"track started {_iso(ref)}")
    elif kind.term.working_days:
        deadline = deadline_for(kind, ref, calendar)
        rule = (f"{kind.code}: within {kind.term.working_days} working days of the request "
                f"of {_iso(ref)}")
    else:
        deadline = deadline_for(kind, ref, calendar)
        rule = f"{kind.code}: within {kind.term.months} month of the request of {_iso(ref)}"
    if deadline < release:
        rule += f"; already passed on {_iso(deadline)}: plan as soon as possible"
    return Intake(injury=kind, complexity=complexity, duration_min=exam_minutes(complexity),
                  priority=priority, specialty=req.specialty or kind.specialty,
                  release=release, deadline=deadline, rule=rule,
                  letter_by=ref + timedelta(days=LETTER_DAYS))
