"""The day-before reminder: which appointments, on which day, written once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

import pytest

from notify.model import Appointment, Channel
from notify.outbox import MemoryOutboxStore
from notify.reminders import (
    ReminderDay,
    ReminderPolicy,
    due,
    exam_days,
    remind,
    reminder_day,
)
from scheduler.calendar import WorkingCalendar
from tests.notify.conftest import NOW, ORGANIZER, make_appointment

CAL = WorkingCalendar()
WORKING = ReminderPolicy(day=ReminderDay.WORKING)
CALENDAR = ReminderPolicy()
D = date.fromisoformat


def test_calendar_day_before() -> None:
    assert exam_days(D("2026-12-04"), CALENDAR, CAL.is_working_day) == [D("2026-12-05")]
    assert exam_days(D("2026-12-06"), CALENDAR, CAL.is_working_day) == [D("2026-12-07")]
    assert reminder_day(D("2026-12-07"), CALENDAR, CAL.is_working_day) == D("2026-12-06")


def test_previous_working_day_for_monday_exams() -> None:
    # Friday 4 December 2026 reminds Saturday, Sunday and Monday's exams
    assert exam_days(D("2026-12-04"), WORKING, CAL.is_working_day) == [
        D("2026-12-05"), D("2026-12-06"), D("2026-12-07")]
    assert exam_days(D("2026-12-05"), WORKING, CAL.is_working_day) == []
    assert exam_days(D("2026-12-06"), WORKING, CAL.is_working_day) == []
    assert exam_days(D("2026-12-08"), WORKING, CAL.is_working_day) == [D("2026-12-09")]
    assert reminder_day(D("2026-12-07"), WORKING, CAL.is_working_day) == D("2026-12-04")


def test_previous_working_day_across_holidays() -> None:
    # Easter Monday 2027 is 29 March: Thursday 25 March (Good Friday is a working day in
    # Belgium) -> Friday 26; Friday 26 -> Saturday to Tuesday 30
    assert exam_days(D("2027-03-26"), WORKING, CAL.is_working_day) == [
        D("2027-03-27"), D("2027-03-28"), D("2027-03-29"), D("2027-03-30")]
    assert reminder_day(D("2027-03-30"), WORKING, CAL.is_working_day) == D("2027-03-26")
    # Christmas, 26 December (closing day) and the weekend
    assert reminder_day(D("2028-12-27"), WORKING, CAL.is_working_day) == D("2028-12-22")


def test_reminder_day_inverts_exam_days() -> None:
    for policy in (CALENDAR, WORKING):
        for n in range(0, 400, 3):
            send = date.fromordinal(D("2026-12-01").toordinal() + n)
            for exam in exam_days(send, policy, CAL.is_working_day):
                assert reminder_day(exam, policy, CAL.is_working_day) == send


def test_cron() -> None:
    assert ReminderPolicy(send_at=time(17, 30)).cron() == "30 17 * * *"
    assert CALENDAR.cron() == "0 10 * * *"


class Source:
    """An in-memory appointment store: the appointments between two days."""

    def __init__(self, appointments: Iterable[Appointment]):
        self.appointments = list(appointments)
        self.asked: list[tuple[date, date]] = []

    def __call__(self, first: date, last: date) -> list[Appointment]:
        self.asked.append((first, last))
        return [a for a in self.appointments if first <= a.start.date() <= last]


def _week() -> list[Appointment]:
    return [
        make_appointment(1, start=datetime(2026, 12, 7, 9, 0)),                # Monday
        make_appointment(2, start=datetime(2026, 12, 7, 15, 0), phone=None),   # e-mail
        make_appointment(3, start=datetime(2026, 12, 7, 10, 0), cancelled=True),
        make_appointment(4, start=datetime(2026, 12, 7, 11, 0), phone=None, email=None),
        make_appointment(5, start=datetime(2026, 12, 8, 9, 0)),                # Tuesday
        make_appointment(6, start=datetime(2026, 12, 5, 9, 0)),                # Saturday
    ]


def test_remind_writes_each_reminder_once() -> None:
    store, source = MemoryOutboxStore(), Source(_week())
    first = remind(D("2026-12-04"), source, store.add, policy=WORKING,
                   is_working_day=CAL.is_working_day, organizer=ORGANIZER, now=NOW)
    assert source.asked == [(D("2026-12-05"), D("2026-12-07"))]
    assert first.appointments == 4  # 1, 2, 4 and 6; not the cancelled one, not Tuesday
    assert first.messages == 3 and first.new == 3 and first.unreachable == ["A4"]
    sms = store.get("A1:reminder:1:sms")
    mail = store.get("A2:reminder:1:email")
    assert sms is not None and sms.message.channel is Channel.SMS
    assert mail is not None and "Herinnering" in mail.message.subject
    again = remind(D("2026-12-04"), source, store.add, policy=WORKING,
                   is_working_day=CAL.is_working_day, organizer=ORGANIZER, now=NOW)
    assert again.messages == 3 and again.new == 0 and again.already == 3
    assert sum(store.counts().values()) == 3


def test_moved_appointment_gets_a_reminder_for_its_new_revision() -> None:
    store = MemoryOutboxStore()
    a = make_appointment(1, start=datetime(2026, 12, 8, 9, 0))
    kw = dict(policy=CALENDAR, is_working_day=CAL.is_working_day, organizer=ORGANIZER, now=NOW)
    assert remind(D("2026-12-07"), Source([a]), store.add, **kw).new == 1  # type: ignore[arg-type]
    moved = dataclasses.replace(a, revision=2, start=datetime(2026, 12, 8, 14, 0),
                                end=datetime(2026, 12, 8, 14, 30))
    assert remind(D("2026-12-07"), Source([moved]), store.add, **kw).new == 1  # type: ignore[arg-type]
    second = store.get("A1:reminder:2:sms")
    assert second is not None and "14:00" in second.message.body


def test_nothing_on_a_day_off_with_the_working_policy() -> None:
    store, source = MemoryOutboxStore(), Source(_week())
    report = remind(D("2026-12-06"), source, store.add, policy=WORKING,
                    is_working_day=CAL.is_working_day, organizer=ORGANIZER, now=NOW)
    assert report.exam_days == [] and report.messages == 0 and source.asked == []


def test_past_appointments_are_not_reminded() -> None:
    a = make_appointment(1, start=datetime(2026, 12, 2, 9, 0))
    late = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert due(D("2026-12-01"), [a], CALENDAR, CAL.is_working_day, NOW) == [a]
    assert due(D("2026-12-01"), [a], CALENDAR, CAL.is_working_day, late) == []


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_reminder_text_is_in_the_victims_language(language: str) -> None:
    store = MemoryOutboxStore()
    a = make_appointment(1, language=language, start=datetime(2026, 12, 8, 9, 0))
    remind(D("2026-12-07"), Source([a]), store.add, policy=CALENDAR,
           is_working_day=CAL.is_working_day, organizer=ORGANIZER, now=NOW)
    record = store.get("A1:reminder:1:sms")
    assert record is not None and record.message.language == language
    assert {"nl": "Herinnering", "fr": "Rappel", "de": "Erinnerung",
            "en": "reminder"}[language] in record.message.body
