"""The exam catalogue: every deadline rule on real dates."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar import WorkingCalendar
from scheduler.catalogue import (
    CATALOGUE,
    Basis,
    Complexity,
    Term,
    add_months,
    convocation_deadline,
    deadline_for,
    exam_minutes,
    first_convocation_deadline,
    followup_deadlines,
    injury_type,
    resumption_window,
)
from scheduler.domain import GRID_MIN, Priority

CAL = WorkingCalendar()
EXPECTED_TYPES = {
    "fracture", "sprain", "contusion", "back", "wound", "burn", "psychological", "multiple",
    "consolidation", "relapse", "contested_decision", "reintegration_visit",
    "reintegration_resumption", "reintegration_followup",
}


def test_catalogue_has_the_expected_types() -> None:
    assert set(CATALOGUE) == EXPECTED_TYPES
    for code, kind in CATALOGUE.items():
        assert kind.code == code
        assert kind.label_nl and kind.label_fr
        assert isinstance(kind.priority, Priority)


def test_exam_minutes_per_complexity_are_on_the_grid() -> None:
    assert exam_minutes(Complexity.BRIEF) == 20
    assert exam_minutes("simple") == 30
    assert exam_minutes(Complexity.STANDARD) == 45
    assert exam_minutes("complex") == 60
    assert exam_minutes(Complexity.VERY_COMPLEX) == 90
    assert all(exam_minutes(c) % GRID_MIN == 0 for c in Complexity)
    with pytest.raises(ValueError):
        exam_minutes("trivial")


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 6, 15), 6, date(2026, 12, 15)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),    # clamped to the month's end
    (date(2027, 8, 31), 6, date(2028, 2, 29)),    # leap year
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 11, 30), 2, date(2027, 1, 30)),
    (date(2026, 12, 15), -12, date(2025, 12, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 5, 5), 0, date(2026, 5, 5)),
])
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_fracture_six_months_after_the_accident() -> None:
    assert deadline_for("fracture", date(2026, 6, 15), CAL) == date(2026, 12, 15)
    # 6 months after 25 June 2026 is Christmas (Friday): the working day before it
    assert deadline_for("fracture", date(2026, 6, 25), CAL) == date(2026, 12, 24)
    # 26 June -> Sat 26 Dec -> Thursday 24 Dec
    assert deadline_for("fracture", date(2026, 6, 26), CAL) == date(2026, 12, 24)


def test_sprain_two_months_after_the_accident() -> None:
    assert deadline_for("sprain", date(2026, 10, 7), CAL) == date(2026, 12, 7)
    # 11 Sep + 2 months = 11 Nov (Armistice Day, Wednesday) -> Tuesday 10 Nov
    assert deadline_for("sprain", date(2026, 9, 11), CAL) == date(2026, 11, 10)
    # 2 Sep + 2 months = 2 Nov (closing day, Monday) -> Friday 30 Oct
    assert deadline_for("sprain", date(2026, 9, 2), CAL) == date(2026, 10, 30)
    # 29 Jan 2027 + 2 months = Easter Monday 29 March 2027 -> Friday 26 March
    assert deadline_for("sprain", date(2027, 1, 29), CAL) == date(2027, 3, 26)


def test_month_terms_of_the_other_injuries() -> None:
    assert deadline_for("back", date(2026, 9, 8), CAL) == date(2026, 12, 8)
    assert deadline_for("psychological", date(2026, 9, 8), CAL) == date(2026, 12, 8)
    assert deadline_for("burn", date(2026, 9, 8), CAL) == date(2026, 12, 8)
    assert deadline_for("multiple", date(2026, 6, 8), CAL) == date(2026, 12, 8)
    assert deadline_for("wound", date(2026, 10, 8), CAL) == date(2026, 12, 8)
    assert deadline_for("contusion", date(2026, 10, 8), CAL) == date(2026, 12, 8)


def test_requests_are_served_within_a_month() -> None:
    for code in ("consolidation", "relapse", "contested_decision"):
        assert injury_type(code).term.basis is Basis.REQUEST
        assert deadline_for(code, date(2026, 11, 9), CAL) == date(2026, 12, 9)
        # 25 Nov + 1 month = Christmas -> 24 Dec
        assert deadline_for(code, date(2026, 11, 25), CAL) == date(2026, 12, 24)


def test_first_convocation_within_a_month_of_the_request() -> None:
    assert first_convocation_deadline(date(2026, 11, 9), CAL) == date(2026, 12, 9)
    # 31 Jan 2027 + 1 month = 28 Feb 2027 (Sunday) -> Friday 26 Feb
    assert first_convocation_deadline(date(2027, 1, 31), CAL) == date(2027, 2, 26)
    # a fracture requested late: the injury's term binds
    assert convocation_deadline("fracture", date(2026, 6, 8), date(2026, 12, 1), CAL) == \
        date(2026, 12, 8)
    # requested early: the month after the request binds
    assert convocation_deadline("fracture", date(2026, 10, 1), date(2026, 11, 9), CAL) == \
        date(2026, 12, 9)
    # a term that counts from the request ignores the accident date
    assert convocation_deadline("relapse", date(2020, 1, 1), date(2026, 11, 9), CAL) == \
        date(2026, 12, 9)


def test_reintegration_visit_within_ten_working_days_of_the_request() -> None:
    assert deadline_for("reintegration_visit", date(2026, 12, 7), CAL) == date(2026, 12, 21)
    # over Christmas and New Year's Day
    assert deadline_for("reintegration_visit", date(2026, 12, 21), CAL) == date(2027, 1, 6)
    # over the 2 Nov closing day and Armistice Day
    assert deadline_for("reintegration_visit", date(2026, 10, 30), CAL) == date(2026, 11, 17)


def test_exam_at_resumption_from_the_resumption_day_to_the_tenth_working_day() -> None:
    assert resumption_window(date(2027, 3, 22), CAL) == (date(2027, 3, 22), date(2027, 4, 6))
    assert deadline_for("reintegration_resumption", date(2027, 3, 22), CAL) == date(2027, 4, 6)


def test_reintegration_followups_one_month_then_every_three() -> None:
    assert deadline_for("reintegration_followup", date(2026, 11, 16), CAL) == date(2026, 12, 16)
    assert followup_deadlines(date(2026, 11, 16), 4, CAL) == [
        date(2026, 12, 16), date(2027, 3, 16), date(2027, 6, 16), date(2027, 9, 16)]
    # start 1 Oct 2026: 1 Nov (Sun) -> 30 Oct; 1 Feb 2027; 1 May 2027 (Sat) -> 30 Apr
    assert followup_deadlines(date(2026, 10, 1), 3, CAL) == [
        date(2026, 10, 30), date(2027, 2, 1), date(2027, 4, 30)]
    assert followup_deadlines(date(2026, 10, 1), 0, CAL) == []


def test_deadlines_are_working_days_and_not_before_the_reference() -> None:
    for kind in CATALOGUE.values():
        d = date(2026, 9, 1)
        while d < date(2027, 1, 15):
            deadline = deadline_for(kind, d, CAL)
            assert CAL.is_working_day(deadline), (kind.code, d, deadline)
            assert deadline > d
            d = d.replace(day=d.day + 1) if d.day < 28 else add_months(d.replace(day=1), 1)


def test_unknown_injury_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="fracture"):
        deadline_for("broken heart", date(2026, 12, 7), CAL)


def test_a_term_is_months_or_working_days() -> None:
    with pytest.raises(ValueError):
        Term(Basis.REQUEST)
    with pytest.raises(ValueError):
        Term(Basis.REQUEST, months=1, working_days=10)
