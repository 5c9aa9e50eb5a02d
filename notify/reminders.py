"""The day-before reminder: which appointments get one on a given day, written to the outbox.

:func:`remind` is idempotent: the reminders of an appointment revision have one outbox
key, so running it twice for the same day (``medex remind --date D`` by hand after the
daily task ran) writes nothing new.  A moved appointment has a new revision and gets a
reminder for its new time.

**Which day.**  With :attr:`ReminderDay.CALENDAR` (the default) the reminder leaves the
calendar day before the exam, so Monday's exams are reminded on Sunday.  With
:attr:`ReminderDay.WORKING` it leaves on the previous working day: Monday's exams (and
those after a public holiday) on the Friday before, and nothing leaves on a day off.
The working-day test is passed in (``scheduler.calendar.WorkingCalendar.is_working_day``)
so that ``notify`` needs no more of the domain than its dataclasses.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from notify import ics
from notify.model import Appointment, Kind
from notify.outbox import OutboxMessage, compose, utcnow

MAX_GAP_DAYS = 14
"""Longest run of days off looked across (no Belgian closure is near it)."""


class ReminderDay(enum.StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class ReminderPolicy:
    day: ReminderDay = ReminderDay.CALENDAR
    send_at: time = time(10, 0)
    """When the daily task runs (Europe/Brussels)."""

    def cron(self) -> str:
        """The daily task's schedule as a cron expression (minute hour * * *)."""
        return f"{self.send_at.minute} {self.send_at.hour} * * *"


def exam_days(send_day: date, policy: ReminderPolicy,
              is_working_day: Callable[[date], bool]) -> list[date]:
    """The exam days whose reminders leave on ``send_day``."""
    first = send_day + timedelta(days=1)
    if policy.day is ReminderDay.CALENDAR:
        return [first]
    if not is_working_day(send_day):
        return []
    days = [first]
    while not is_working_day(days[-1]) and len(days) < MAX_GAP_DAYS:
        days.append(days[-1] + timedelta(days=1))
    return days


def reminder_day(exam_day: date, policy: ReminderPolicy,
                 is_working_day: Callable[[date], bool]) -> date:
    """The day the reminder of an exam on ``exam_day`` leaves (the inverse of
    :func:`exam_days`)."""
    day = exam_day - timedelta(days=1)
    if policy.day is ReminderDay.WORKING:
        for _ in range(MAX_GAP_DAYS):
            if is_working_day(day):
                break
            day -= timedelta(days=1)
    return day


def due(send_day: date, appointments: Iterable[Appointment], policy: ReminderPolicy,
        is_working_day: Callable[[date], bool], now: datetime | None = None) -> list[Appointment]:
    """The appointments that get a reminder on ``send_day``: not cancelled, on one of its
    :func:`exam_days`, not started yet at ``now``."""
    days = set(exam_days(send_day, policy, is_working_day))
    moment = utcnow() if now is None else now
    return sorted((a for a in appointments
                   if not a.cancelled and a.start.date() in days and a.start > moment),
                  key=lambda a: (a.start, a.id))


@dataclass
class RemindReport:
    send_day: date
    exam_days: list[date]
    appointments: int = 0
    messages: int = 0
    new: int = 0
    """Messages written now; ``messages - new`` were already in the outbox."""
    unreachable: list[str] = field(default_factory=list)
    """Appointments whose victim has neither a phone number nor an e-mail address."""

    @property
    def already(self) -> int:
        return self.messages - self.new


AppointmentSource = Callable[[date, date], Iterable[Appointment]]
"""Appointments starting from the first day to the last (inclusive), at their current
revision."""


def remind(send_day: date, source: AppointmentSource,
           add: Callable[[Sequence[OutboxMessage]], int], *, policy: ReminderPolicy,
           is_working_day: Callable[[date], bool], organizer: ics.Organizer,
           now: datetime | None = None) -> RemindReport:
    """Write the reminders that leave on ``send_day`` with ``add`` (the outbox store's
    ``add``, or :func:`notify.outbox_sql.add_messages` on a connection)."""
    moment = utcnow() if now is None else now
    days = exam_days(send_day, policy, is_working_day)
    report = RemindReport(send_day, days)
    if not days:
        return report
    chosen = due(send_day, source(days[0], days[-1]), policy, is_working_day, moment)
    report.appointments = len(chosen)
    out: list[OutboxMessage] = []
    for appointment in chosen:
        found = compose(appointment, Kind.REMINDER, organizer=organizer, now=moment)
        if not found:
            report.unreachable.append(appointment.id)
        out += found
    report.messages = len(out)
    report.new = add(out)
    return report
