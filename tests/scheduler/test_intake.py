"""Intake: the deadline from the catalogue's rules, and a clear refusal of nonsense dates."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar import DEFAULT_CALENDAR as CAL
from scheduler.errors import InputError
from scheduler.intake import IntakeRequest, take_in

TODAY = date(2026, 12, 1)


def test_an_injury_is_examined_within_a_month_of_the_request_when_that_comes_first() -> None:
    got = take_in(IntakeRequest("fracture", date(2026, 11, 20), date(2026, 10, 1)), today=TODAY)
    assert got.deadline == date(2026, 12, 18)  # 20 Dec is a Sunday: the Friday before
    assert got.release == date(2026, 11, 20)
    assert "within 1 month of the request" in got.rule
    assert got.duration_min == 45 and got.specialty == "orthopaedics"
    assert got.letter_by == date(2026, 11, 27)


def test_the_injury_term_after_the_accident_wins_when_it_ends_first() -> None:
    got = take_in(IntakeRequest("sprain", date(2026, 11, 25), date(2026, 10, 1)), today=TODAY)
    assert got.deadline == date(2026, 12, 1)  # 2 months after 1 October
    assert got.rule.startswith("sprain: 2 months after the accident")
    assert not got.overdue


def test_a_deadline_already_passed_at_the_request_is_flagged() -> None:
    got = take_in(IntakeRequest("sprain", date(2026, 11, 25), date(2026, 8, 3)), today=TODAY)
    assert got.overdue and "already passed" in got.rule


def test_reintegration_visit_within_ten_working_days_across_the_holidays() -> None:
    got = take_in(IntakeRequest("reintegration_visit", date(2026, 12, 18)), today=TODAY)
    # 25 Dec (Christmas) and 26 Dec (closing day, a Saturday) and 1 Jan are not counted
    assert CAL.working_days_between(date(2026, 12, 18), got.deadline) == 10
    assert got.deadline == date(2027, 1, 5)


def test_exam_at_resumption_from_the_resumption_day_to_the_tenth_working_day() -> None:
    got = take_in(IntakeRequest("reintegration_resumption", date(2026, 12, 7)), today=TODAY)
    assert got.release == date(2026, 12, 7)
    assert got.deadline == CAL.add_working_days(date(2026, 12, 7), 10)


def test_followups_within_a_month_then_every_three_months() -> None:
    start = date(2026, 1, 30)
    first = take_in(IntakeRequest("reintegration_followup", start), today=TODAY)
    assert first.deadline == date(2026, 2, 27)  # 28 Feb 2026 is a Saturday
    third = take_in(IntakeRequest("reintegration_followup", start, followup_number=2),
                    today=TODAY)
    assert third.deadline == date(2026, 8, 28)  # 30 Aug is a Sunday
    assert third.release == date(2026, 6, 1)  # the day after the second one's deadline
    assert third.duration_min == 20


def test_complexity_sets_the_exam_length() -> None:
    got = take_in(IntakeRequest("sprain", date(2026, 11, 25), date(2026, 11, 1),
                                complexity="very_complex"), today=TODAY)
    assert got.duration_min == 90


@pytest.mark.parametrize(("req", "field"), [
    (IntakeRequest("fracture", date(2026, 11, 20)), "accident_date: required"),
    (IntakeRequest("fracture", date(2026, 11, 20), date(2026, 11, 21)), "accident_date:"),
    (IntakeRequest("broken_heart", date(2026, 11, 20)), "injury: unknown"),
    (IntakeRequest("sprain", date(2026, 11, 20), date(2026, 11, 1), complexity="huge"),
     "complexity: unknown"),
    (IntakeRequest("sprain", date(2028, 11, 20), date(2026, 11, 1)), "request_date:"),
    (IntakeRequest("relapse", date(2026, 11, 20), followup_number=1), "followup_number:"),
])
def test_nonsense_is_refused_naming_the_field(req: IntakeRequest, field: str) -> None:
    with pytest.raises(InputError) as info:
        take_in(req, today=TODAY)
    assert any(p.startswith(field) for p in info.value.problems), info.value.problems
