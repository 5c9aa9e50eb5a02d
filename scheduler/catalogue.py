"""The exam catalogue: per injury type its deadline, usual complexity, priority and specialty.

Deadlines come from the round tables (see the design's DOMAIN.md):

* the exam of an injury within a term after the **accident**: about 6 months for a fracture,
  2 months for a sprain (the other injury types below are set by analogy);
* the **first convocation within 1 month of the request** (:func:`first_convocation_deadline`);
  a relapse, a consolidation and a contested decision are requests of their own and get that
  month as their deadline;
* re-integration (Back to Work): a visit before work resumption within **10 working days of
  the request**; the exam at work resumption between the resumption day and the **10th
  working day after**; a follow-up talk **within a month** of the start of the re-integration
  track, then **every three months** (:func:`followup_deadlines`).

Month terms use calendar-month arithmetic clamped to the month's end (31 January + 1 month
is 28 or 29 February).  A deadline is the last day an exam may take place, so a term that
ends on a weekend, a public holiday or a closing day is brought back to the working day
before it; working-day terms count through the :class:`~scheduler.calendar.WorkingCalendar`.

Exam minutes by complexity (multiples of the 5-minute grid):

=============  =======  ==============================================================
complexity     minutes  used for
=============  =======  ==============================================================
brief          20       re-integration follow-up talk
simple         30       wound, contusion, sprain, relapse check
standard       45       fracture, back, burn, consolidation, re-integration visits
complex        60       psychological, contested decision
very_complex   90       multiple injuries
=============  =======  ==============================================================
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import enum
from dataclasses import dataclass
from datetime import date

from scheduler.calendar import DEFAULT_CALENDAR, WorkingCalendar
from scheduler.domain import GENERAL, Priority


class Complexity(enum.StrEnum):
    BRIEF = "brief"
    SIMPLE = "simple"
    STANDARD = "standard"
    COMPLEX = "complex"
    VERY_COMPLEX = "very_complex"


EXAM_MINUTES: dict[Complexity, int] = {
    Complexity.BRIEF: 20,
    Complexity.SIMPLE: 30,
    Complexity.STANDARD: 45,
    Complexity.COMPLEX: 60,
    Complexity.VERY_COMPLEX: 90,
}


class Basis(enum.StrEnum):
    """The date a deadline counts from."""

    ACCIDENT = "accident"
    REQUEST = "request"
    RESUMPTION = "resumption"
    """The day the civil servant resumes work."""
    TRACK_START = "track_start"
    """The start of the re-integration track."""


@dataclass(frozen=True)
class Term:
    """A deadline term: ``months`` calendar months or ``working_days`` after the basis."""

    basis: Basis
    months: int = 0
    working_days: int = 0

    def __post_init__(self) -> None:
        if (self.months > 0) == (self.working_days > 0):
            raise ValueError("a term is either months or working days")


@dataclass(frozen=True)
class InjuryType:
    code: str
    label_nl: str
    label_fr: str
    term: Term
    complexity: Complexity
    """The usual complexity; a file may be more or less complex."""
    priority: Priority
    specialty: str = GENERAL
    """The specialty the exam usually needs (``general``: any doctor)."""


def _months(n: int, basis: Basis = Basis.ACCIDENT) -> Term:
    return Term(basis, months=n)


CATALOGUE: dict[str, InjuryType] = {t.code: t for t in (
    InjuryType("fracture", "breuk", "fracture", _months(6), Complexity.STANDARD,
               Priority.NORMAL, "orthopaedics"),
    InjuryType("sprain", "verstuiking", "entorse", _months(2), Complexity.SIMPLE,
               Priority.NORMAL),
    InjuryType("contusion", "kneuzing", "contusion", _months(2), Complexity.SIMPLE,
               Priority.LOW),
    InjuryType("back", "rugletsel", "lésion dorsale", _months(3), Complexity.STANDARD,
               Priority.NORMAL, "orthopaedics"),
    InjuryType("wound", "wonde", "plaie", _months(2), Complexity.SIMPLE, Priority.LOW),
    InjuryType("burn", "brandwonde", "brûlure", _months(3), Complexity.STANDARD,
               Priority.NORMAL),
    InjuryType("psychological", "psychisch letsel", "lésion psychique", _months(3),
               Complexity.COMPLEX, Priority.HIGH, "psychiatry"),
    InjuryType("multiple", "meervoudige letsels", "lésions multiples", _months(6),
               Complexity.VERY_COMPLEX, Priority.HIGH),
    InjuryType("consolidation", "consolidatie", "consolidation", _months(1, Basis.REQUEST),
               Complexity.STANDARD, Priority.NORMAL),
    InjuryType("relapse", "herval", "rechute", _months(1, Basis.REQUEST), Complexity.SIMPLE,
               Priority.HIGH),
    InjuryType("contested_decision", "betwiste beslissing", "décision contestée",
               _months(1, Basis.REQUEST), Complexity.COMPLEX, Priority.NORMAL),
    InjuryType("reintegration_visit", "bezoek voor werkhervatting",
               "visite de pré-reprise", Term(Basis.REQUEST, working_days=10),
               Complexity.STANDARD, Priority.HIGH),
    InjuryType("reintegration_resumption", "onderzoek bij werkhervatting",
               "examen de reprise du travail", Term(Basis.RESUMPTION, working_days=10),
               Complexity.STANDARD, Priority.HIGH),
    InjuryType("reintegration_followup", "opvolgingsgesprek re-integratie",
               "entretien de suivi de réintégration", _months(1, Basis.TRACK_START),
               Complexity.BRIEF, Priority.NORMAL),
)}
"""Every injury type by its code."""

FIRST_CONVOCATION_MONTHS = 1
"""The first convocation takes place within this many months of the request."""
FOLLOWUP_EVERY_MONTHS = 3
"""After the first follow-up talk of a re-integration track, one every this many months."""


def injury_type(code: str) -> InjuryType:
    """The catalogue entry of ``code``; ``KeyError`` names the known codes."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise KeyError(f"unknown injury type {code!r}; known: {', '.join(CATALOGUE)}") from None


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the end of the month (n may be negative)."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def exam_minutes(complexity: Complexity | str) -> int:
    """Exam length in minutes for a complexity (``"standard"`` or ``Complexity.STANDARD``)."""
    return EXAM_MINUTES[Complexity(complexity)]


def term_end(term: Term, reference_date: date,
             calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date:
    """The last working day of ``term`` counted from ``reference_date``."""
    if term.working_days:
        return calendar.add_working_days(reference_date, term.working_days)
    return calendar.previous_working_day(add_months(reference_date, term.months))


def deadline_for(injury: str | InjuryType, reference_date: date,
                 calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date:
    """The last day the exam may take place.

    ``reference_date`` is the date the injury type's term counts from (its ``term.basis``):
    the accident for an injury, the request for a relapse, consolidation, contested decision
    or re-integration visit, the resumption day for the exam at work resumption, the start of
    the track for the first re-integration follow-up."""
    kind = injury if isinstance(injury, InjuryType) else injury_type(injury)
    return term_end(kind.term, reference_date, calendar)


def first_convocation_deadline(request_date: date,
                               calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date:
    """The first convocation takes place within a month of the request."""
    return term_end(Term(Basis.REQUEST, months=FIRST_CONVOCATION_MONTHS), request_date, calendar)


def convocation_deadline(injury: str | InjuryType, accident_date: date, request_date: date,
                         calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date:
    """The deadline of a first convocation: the injury's term, and within a month of the request.

    For injury types whose term counts from the request (or resumption, or track start),
    ``request_date`` is that reference and ``accident_date`` is not used."""
    kind = injury if isinstance(injury, InjuryType) else injury_type(injury)
    if kind.term.basis is not Basis.ACCIDENT:
        return deadline_for(kind, request_date, calendar)
    return min(deadline_for(kind, accident_date, calendar),
               first_convocation_deadline(request_date, calendar))


def resumption_window(resumption_day: date,
                      calendar: WorkingCalendar = DEFAULT_CALENDAR) -> tuple[date, date]:
    """The exam at work resumption: from the resumption day to the 10th working day after."""
    kind = CATALOGUE["reintegration_resumption"]
    return resumption_day, term_end(kind.term, resumption_day, calendar)


def followup_deadlines(track_start: date, count: int,
                       calendar: WorkingCalendar = DEFAULT_CALENDAR) -> list[date]:
    """Deadlines of the first ``count`` follow-up talks of a re-integration track.

    The first within a month of the start, then every three months after that first term
    (1, 4, 7, ... months after the start), each brought back to a working day."""
    first = CATALOGUE["reintegration_followup"].term.months
    return [calendar.previous_working_day(
        add_months(track_start, first + k * FOLLOWUP_EVERY_MONTHS)) for k in range(count)]
