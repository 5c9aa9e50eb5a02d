"""The victims' page, from data to words and from forms back to values.

:func:`status_text`, :func:`offered_days` and :func:`wishes_text` turn the victim's view
(:class:`~api.victim_schemas.VictimConvocationOut`) into what ``victim/convocation.html``
shows: the state of the file in words, the days of the day filter, the preferences.  The
``parse_*`` functions read what a form or a query sent, as text, and answer either values
for the services or, per field, a message
in the page's language: a nonsense date, a window in the past or outside the file's
period, an end before its start, an unknown slot.  They never raise on input.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from api.booking import AFTERNOON, MORNING
from api.victim_schemas import VictimConvocationOut
from scheduler.calendar import DEFAULT_CALENDAR

Text = Callable[..., str]
Part = Literal["morning", "afternoon"]
PARTS: tuple[Part, ...] = ("morning", "afternoon")
MAX_DAYS = 60
"""At most this many days in the day filter (the file's period rarely is longer)."""
WEEKDAYS = range(5)


@dataclass(frozen=True)
class Filters:
    """The slot filters of the query, checked: ``None`` where nothing (valid) was chosen."""

    centre: str | None = None
    day: date | None = None
    part: Part | None = None


@dataclass(frozen=True)
class SlotPick:
    """A slot the form sent back: the doctor's code, the centre (or ``home``), the start."""

    doctor: str
    centre: str
    start: datetime

    @property
    def value(self) -> str:
        return f"{self.doctor}|{self.centre}|{self.start.isoformat(timespec='minutes')}"


@dataclass(frozen=True)
class Wishes:
    """The preferences form: weekdays (0 = Monday) and part of day that suit, and one range
    of dates the victim cannot come (both ends included)."""

    weekdays: tuple[int, ...] = ()
    part: Part | None = None
    away: tuple[date, date] | None = None


def first_day(file: VictimConvocationOut, today: date) -> date:
    return max(file.window_from, today)


def offered_days(file: VictimConvocationOut, today: date,
                 session_days: Collection[date] | None = None) -> list[date]:
    """The working days on which an exam may still take place (the day filter): from
    today or the release to the deadline, and among ``session_days`` (the days some doctor
    examines) when given."""
    out: list[date] = []
    day = first_day(file, today)
    while day <= file.window_to and len(out) < MAX_DAYS:
        if DEFAULT_CALENDAR.is_working_day(day) and (session_days is None
                                                     or day in session_days):
            out.append(day)
        day += timedelta(days=1)
    return out


def parse_filters(query: Mapping[str, str], centres: Sequence[str], days: Sequence[date],
                  _: Text) -> tuple[Filters, dict[str, str]]:
    """The filters asked for; an unknown centre, a nonsense day or part is dropped with a
    message for its field (the list then shows every slot)."""
    errors: dict[str, str] = {}
    centre = query.get("centre") or None
    if centre is not None and centre not in centres:
        errors["centre"] = _("This centre does not exist. All centres are shown.")
        centre = None
    day: date | None = None
    if query.get("day"):
        try:
            day = date.fromisoformat(query["day"])
        except ValueError:
            errors["day"] = _("This is not a valid date. All days are shown.")
        else:
            if day not in days:
                errors["day"] = _("No examination is possible on that day. All days are "
                                  "shown.")
                day = None
    part_text = query.get("part") or None
    part: Part | None = None
    if part_text == "morning":
        part = "morning"
    elif part_text == "afternoon":
        part = "afternoon"
    elif part_text is not None:
        errors["part"] = _("Choose morning or afternoon.")
    return Filters(centre, day, part), errors


def parse_slot(value: str) -> SlotPick | None:
    """``doctor|centre|start`` as the slot radios send it; ``None`` if it is not."""
    parts = value.split("|")
    if len(parts) != 3:
        return None
    doctor, centre, start = parts
    if not doctor or not centre or len(doctor) > 16 or len(centre) > 16:
        return None
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        return None
    return SlotPick(doctor, centre, moment.replace(tzinfo=None, second=0, microsecond=0))


def parse_reason(text: str, field: str, errors: dict[str, str], _: Text,
                 max_length: int = 400) -> str:
    reason = " ".join(text.split())
    if not reason:
        errors[field] = _("Please give a reason.")
    elif len(reason) > max_length:
        errors[field] = _("Please keep the reason under %(n)s characters.", n=max_length)
    return reason


def _date(text: str, field: str, errors: dict[str, str], _: Text) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = _("This is not a valid date: write it as day, month and year, for "
                          "example 14/12/2026.")
        return None


def parse_wishes(form: Mapping[str, Any], weekdays: Sequence[str], file: VictimConvocationOut,
                 today: date, _: Text, day: Callable[[date], str]
                 ) -> tuple[Wishes, dict[str, str]]:
    """The preferences form, checked against today and the file's period."""
    errors: dict[str, str] = {}
    chosen: set[int] = set()
    for value in weekdays:
        if value.isdigit() and int(value) in WEEKDAYS:
            chosen.add(int(value))
        else:
            errors["weekdays"] = _("Choose days from Monday to Friday.")
    part_text = str(form.get("part") or "")
    part: Part | None = None
    if part_text == "morning":
        part = "morning"
    elif part_text == "afternoon":
        part = "afternoon"
    elif part_text:
        errors["part"] = _("Choose morning or afternoon.")
    start = _date(str(form.get("away_from") or ""), "away_from", errors, _)
    end = _date(str(form.get("away_to") or ""), "away_to", errors, _)
    away: tuple[date, date] | None = None
    if start and not end and "away_to" not in errors:
        errors["away_to"] = _("Give the last day you cannot come too.")
    elif end and not start and "away_from" not in errors:
        errors["away_from"] = _("Give the first day you cannot come too.")
    elif start and end:
        first, last = first_day(file, today), file.window_to
        if start < today:
            errors["away_from"] = _("This date is in the past.")
        elif end < start:
            errors["away_to"] = _("The last day comes before the first day.")
        elif end < first or start > last:
            errors["away_from"] = _(
                "Choose dates between %(first)s and %(last)s, the period of your file.",
                first=day(first), last=day(last))
        elif file.appointment is not None and \
                start <= file.appointment.start.date() <= end:
            errors["away_from"] = _(
                "Your appointment is on %(day)s, within these days: choose another time for "
                "it first.", day=day(file.appointment.start.date()))
        else:
            away = (max(start, first), min(end, last))
    return Wishes(tuple(sorted(chosen)), part, away), errors


# ------------------------------------------------------------------ words for the page


def status_text(file: VictimConvocationOut, cancelled: datetime | None, _: Text,
                day: Callable[[date], str]) -> str:
    """The state of the file in words."""
    if file.status == "done":
        return _("The examination has taken place. There is nothing more for you to do here.")
    if file.status == "cancelled":
        return _("This file is closed: no examination is needed any more.")
    if file.appointment is not None:
        if not file.can_change:
            return _("Your appointment is confirmed. It can no longer be changed online; "
                     "call Medex at the number in your convocation letter if you cannot "
                     "come.")
        return _("Your appointment is confirmed. You can still move or cancel it below.")
    if cancelled is not None:
        return _("Your appointment of %(day)s was cancelled. Choose a new date below, before "
                 "%(deadline)s.", day=day(cancelled.date()),
                 deadline=day(file.window_to))
    return _("Your file is waiting for an appointment. Choose a date below, before "
             "%(deadline)s.", deadline=day(file.window_to))


def wishes_of(file: VictimConvocationOut) -> Wishes:
    """The stored preferences read back as the form's weekdays and part of day (the
    ``preferred`` windows keep the weekday and hours they were made from)."""
    days = {w.date.weekday() for w in file.preferred}
    parts = {_part_of(w.start, w.end) for w in file.preferred}
    return Wishes(tuple(sorted(days)), parts.pop() if len(parts) == 1 else None, None)


def _part_of(start: str, end: str) -> Part | None:
    """The part of day a stored window (``"HH:MM"``) covers: ``None`` for more than one."""
    if end <= f"{MORNING[1]:%H:%M}":
        return "morning"
    if start >= f"{AFTERNOON[0]:%H:%M}":
        return "afternoon"
    return None


def wishes_text(file: VictimConvocationOut, _: Text, weekday_names: Sequence[str],
                day: Callable[[date], str]) -> str:
    """What the victim said suits them, in one or two sentences ("" if nothing)."""
    parts = []
    wishes = wishes_of(file)
    if wishes.weekdays or wishes.part:
        days = ", ".join(weekday_names[d] for d in wishes.weekdays) or _("any weekday")
        when = {"morning": _("in the morning"), "afternoon": _("in the afternoon"),
                None: _("morning or afternoon")}[wishes.part]
        parts.append(_("You told us that suits you: %(days)s, %(when)s.", days=days,
                       when=when))
    if file.unavailable:
        spans = [day(a) if a == b else _("%(first)s to %(last)s", first=day(a), last=day(b))
                 for a, b in runs(file.unavailable)]
        parts.append(_("You cannot come: %(dates)s.", dates="; ".join(spans)))
    return " ".join(parts)


def runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days ``(first, last)``."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out
