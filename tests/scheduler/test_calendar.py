"""The working-day calendar, on real 2026 and 2027 dates."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar import CLOSING_DAY, WorkingCalendar


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.mark.parametrize(("day", "reason"), [
    (date(2027, 3, 29), "Easter Monday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 11, 11), "Armistice Day"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2026, 5, 14), "Ascension Day"),
    (date(2026, 7, 21), "National Day"),
    (date(2026, 11, 2), CLOSING_DAY),
    (date(2027, 11, 15), CLOSING_DAY),
    (date(2025, 12, 26), CLOSING_DAY),
    (date(2026, 12, 26), "Saturday"),        # 26 December 2026 is a Saturday
    (date(2026, 11, 15), "Sunday"),          # so is 15 November 2026 a Sunday
    (date(2026, 11, 1), "All Saints' Day"),  # a Sunday that is a holiday keeps its name
])
def test_closed_days_and_their_reason(cal: WorkingCalendar, day: date, reason: str) -> None:
    assert not cal.is_working_day(day)
    assert cal.reason_closed(day) == reason


@pytest.mark.parametrize("day", [
    date(2026, 12, 7), date(2026, 12, 24), date(2026, 12, 28), date(2027, 3, 30),
    date(2026, 11, 3), date(2026, 11, 16), date(2027, 12, 27),
])
def test_ordinary_weekdays_are_working_days(cal: WorkingCalendar, day: date) -> None:
    assert cal.is_working_day(day)
    assert cal.reason_closed(day) is None


def test_closed_dates_of_a_range_leave_weekends_out(cal: WorkingCalendar) -> None:
    assert cal.closed_dates(date(2026, 12, 21), date(2027, 1, 3)) == {
        date(2026, 12, 25), date(2027, 1, 1)}
    assert cal.closed_dates(date(2026, 11, 1), date(2026, 11, 30)) == {
        date(2026, 11, 2), date(2026, 11, 11)}
    assert cal.closed_dates(date(2027, 3, 29), date(2027, 4, 2)) == {date(2027, 3, 29)}
    assert cal.closed_dates(date(2026, 12, 7), date(2026, 12, 11)) == frozenset()
    assert cal.closed_dates(date(2026, 12, 11), date(2026, 12, 7)) == frozenset()


def test_add_working_days_skips_weekends_and_holidays(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2026, 12, 7), 0) == date(2026, 12, 7)
    assert cal.add_working_days(date(2026, 12, 26), 0) == date(2026, 12, 26)
    assert cal.add_working_days(date(2026, 12, 7), 4) == date(2026, 12, 11)
    assert cal.add_working_days(date(2026, 12, 11), 1) == date(2026, 12, 14)
    # Christmas (Fri), the weekend with 26 Dec, New Year's Day (Fri)
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert cal.add_working_days(date(2026, 12, 24), 10) == date(2027, 1, 11)
    # Easter Monday 2027
    assert cal.add_working_days(date(2027, 3, 26), 1) == date(2027, 3, 30)
    # All Saints' (Sun), 2 Nov closing day, Armistice Day (Wed)
    assert cal.add_working_days(date(2026, 10, 30), 10) == date(2026, 11, 17)


def test_add_working_days_backwards(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2026, 12, 28), -1) == date(2026, 12, 24)
    assert cal.add_working_days(date(2027, 3, 30), -1) == date(2027, 3, 26)
    assert cal.add_working_days(date(2027, 1, 11), -10) == date(2026, 12, 24)
    assert cal.add_working_days(date(2027, 1, 8), -10) == date(2026, 12, 23)


def test_working_days_between_counts_after_start_up_to_end(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(date(2026, 12, 7), date(2026, 12, 7)) == 0
    assert cal.working_days_between(date(2026, 12, 7), date(2026, 12, 11)) == 4
    assert cal.working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 5
    assert cal.working_days_between(date(2026, 12, 11), date(2026, 12, 7)) == -4
    assert cal.working_days_between(date(2026, 10, 30), date(2026, 11, 17)) == 10


def test_working_days_between_inverts_add_working_days(cal: WorkingCalendar) -> None:
    start = date(2026, 10, 1)
    for n in range(0, 70, 3):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_next_and_previous_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert cal.previous_working_day(date(2026, 12, 27)) == date(2026, 12, 24)
    assert cal.next_working_day(date(2026, 12, 7)) == date(2026, 12, 7)
    assert cal.working_days(date(2026, 12, 21), date(2026, 12, 27)) == [
        date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 24)]


def test_extra_dates_and_yearly_days_are_configurable() -> None:
    cal = WorkingCalendar(extra_yearly=(), extra_dates={date(2026, 12, 9)})
    assert cal.is_working_day(date(2026, 11, 2))
    assert cal.reason_closed(date(2026, 12, 9)) == "closing day"
    assert cal.closed_dates(date(2026, 12, 7), date(2026, 12, 11)) == {date(2026, 12, 9)}
    assert cal.reason_closed(date(2026, 12, 25)) == "Christmas Day"
    local = WorkingCalendar(extra_yearly=((5, 8), (11, 2)))
    assert local.reason_closed(date(2026, 5, 8)) == CLOSING_DAY
    assert local.is_working_day(date(2027, 11, 15))


def test_impossible_yearly_day_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(extra_yearly=((2, 30),))


def test_leap_day_as_yearly_closing_day_only_in_leap_years() -> None:
    cal = WorkingCalendar(extra_yearly=((2, 29),))
    assert not cal.is_working_day(date(2028, 2, 29))
    assert cal.working_days_between(date(2027, 2, 26), date(2027, 3, 1)) == 1
