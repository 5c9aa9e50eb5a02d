"""Demo weeks: deterministic, valid, round-tripping, plausible per region."""

from __future__ import annotations

import itertools
import json
import time as clock
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from scheduler.calendar import WorkingCalendar
from scheduler.demo import demo_week, next_demo_monday
from scheduler.domain import HOME, Assignment, Priority, Schedule, Status, Unscheduled, Week
from scheduler.validate import check_schedule
from scheduler.week_format import week_from_dict, week_to_dict

MONDAY = date(2026, 12, 7)
CHRISTMAS_WEEK = date(2026, 12, 21)


@pytest.fixture(scope="module")
def week() -> Week:
    return demo_week(3000, 120, seed=7, week_start=MONDAY)


def test_same_seed_same_week_other_seed_other_week() -> None:
    a = demo_week(300, 12, seed=3, week_start=MONDAY)
    b = demo_week(300, 12, seed=3, week_start=MONDAY)
    c = demo_week(300, 12, seed=4, week_start=MONDAY)
    assert a == b
    assert week_to_dict(a) == week_to_dict(b)
    assert a.convocations != c.convocations


def test_sizes_and_unique_ids(week: Week) -> None:
    assert len(week.convocations) == 3000
    assert len(week.doctors) == 120
    for ids in ([c.id for c in week.convocations], [d.id for d in week.doctors],
                [c.id for c in week.centres]):
        assert len(ids) == len(set(ids))
    assert HOME not in {c.id for c in week.centres}


def test_round_trip_through_the_exchange_format(week: Week, tmp_path: object) -> None:
    text = json.dumps(week_to_dict(week))
    assert week_from_dict(json.loads(text)) == week


def test_week_and_closed_dates_come_from_the_calendar() -> None:
    w = demo_week(200, 10, seed=1, week_start=CHRISTMAS_WEEK)
    assert w.week_start == CHRISTMAS_WEEK and w.days == 5
    assert w.closed_dates == {date(2026, 12, 25)}
    assert all(s.day != date(2026, 12, 25) for d in w.doctors for s in d.sessions)
    assert week_from_dict(week_to_dict(w)) == w
    cal = WorkingCalendar(extra_dates={date(2026, 12, 9)})
    w = demo_week(50, 4, seed=1, week_start=MONDAY, calendar=cal)
    assert w.closed_dates == {date(2026, 12, 9)}
    assert all(s.day != date(2026, 12, 9) for d in w.doctors for s in d.sessions)


def test_default_week_is_a_monday_a_week_ahead() -> None:
    today = date(2026, 12, 2)
    assert next_demo_monday(today) == date(2026, 12, 14)
    assert next_demo_monday(date(2026, 11, 30)) == date(2026, 12, 7)
    w = demo_week(5, 1, seed=1)
    assert w.week_start.weekday() == 0 and w.week_start >= date.today() + timedelta(days=7)


def test_a_week_start_that_is_not_a_monday_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Monday"):
        demo_week(10, 2, seed=1, week_start=date(2026, 12, 8))


def test_sessions_lie_inside_opening_hours_on_working_days(week: Week) -> None:
    days = set(week.dates) - week.closed_dates
    for d in week.doctors:
        for s in d.sessions:
            assert s.day in days and s.day.weekday() < 5
            if s.is_home:
                assert s.base in {c.id for c in week.centres}
                continue
            assert any(a <= s.start and s.end <= b for a, b in week.centre(s.centre).opening)
        ordered = sorted(d.sessions, key=lambda s: (s.day, s.start))
        for x, y in itertools.pairwise(ordered):
            assert x.day != y.day or x.end <= y.start


def _home_centre(week: Week, doctor_id: str) -> str:
    doctor = next(d for d in week.doctors if d.id == doctor_id)
    return next(s.centre if not s.is_home else s.base or "" for s in doctor.sessions)


def test_doctors_speak_their_region_s_languages(week: Week) -> None:
    for d in week.doctors:
        if not d.sessions:
            continue
        centre = _home_centre(week, d.id)
        if centre == "BRU":
            assert d.languages == {"nl", "fr"}
        elif centre == "EUP":
            assert d.languages == {"de", "fr"}
        elif centre in {"ANT", "BRG", "GNT", "HAS", "LEU"}:
            assert "nl" in d.languages and "de" not in d.languages
        else:
            assert "fr" in d.languages and "de" not in d.languages
        assert 10 <= d.max_exams_per_day <= 16
    assert Counter(_home_centre(week, d.id) for d in week.doctors if d.sessions).keys() == {
        c.id for c in week.centres}


def test_patients_languages_follow_the_regions(week: Week) -> None:
    langs = Counter(c.patient.language for c in week.convocations)
    assert set(langs) <= {"nl", "fr", "de"}
    assert 0.50 < langs["nl"] / 3000 < 0.68
    assert 0.30 < langs["fr"] / 3000 < 0.45
    assert 0 < langs["de"] / 3000 < 0.02
    for c in week.convocations:
        if c.patient.language == "de":  # the German-speaking Community lies east of 5.9 E
            assert c.patient.lon > 5.85
        if c.patient.lat > 51.0 and c.patient.lon < 4.0:  # the coast and West Flanders
            assert c.patient.language == "nl"
        assert 49.4 < c.patient.lat < 51.6 and 2.4 < c.patient.lon < 6.5


def test_files_are_valid_and_the_shares_as_documented(week: Week) -> None:
    n = len(week.convocations)
    first, last = week.dates[0], week.dates[-1]
    prio = Counter(c.priority for c in week.convocations)
    assert 0.10 < prio[Priority.HIGH] / n < 0.20
    assert 0.62 < prio[Priority.NORMAL] / n < 0.78
    assert 0.10 < prio[Priority.LOW] / n < 0.20
    assert 0.02 <= sum(c.home_visit for c in week.convocations) / n <= 0.04
    assert 0.07 < sum(bool(c.preferred) for c in week.convocations) / n < 0.13
    assert 0.07 < sum(bool(c.unavailable) for c in week.convocations) / n < 0.13
    assert 0.08 < sum(c.deadline <= last for c in week.convocations) / n < 0.35
    assert 0.40 < sum(c.release < first for c in week.convocations) / n < 0.75
    for c in week.convocations:
        assert c.release <= c.deadline and c.deadline >= first and c.release <= last
        assert c.duration_min in {20, 30, 45, 60, 90}
        assert c.max_travel_min in {90, 120}
        assert c.travel_min and all(isinstance(m, int) and m >= 0 for m in c.travel_min.values())
        assert all(c.release <= w.day <= c.deadline for w in c.preferred)
        assert all(c.release <= d <= c.deadline for d in c.unavailable)
        if c.home_visit:
            assert c.specialty == "general" and c.fixed is None


def test_capacity_is_roughly_the_demand(week: Week) -> None:
    supply = sum((s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute)
                 for d in week.doctors for s in d.sessions)
    demand = sum(c.duration_min for c in week.convocations)
    assert 1.0 < supply / demand < 1.5
    homes = [d for d in week.doctors if any(s.is_home for s in d.sessions)]
    assert len(homes) == round(120 / 15)


def test_rooms_bind_only_at_peaks(week: Week) -> None:
    for centre in week.centres:
        at_once = Counter((s.day, s.start < datetime.min.replace(hour=12).time())
                          for d in week.doctors for s in d.sessions if s.centre == centre.id)
        peak = max(at_once.values(), default=0)
        assert centre.rooms >= 0.8 * peak - 1e-9


def test_fixed_convocations_are_valid_by_the_checker(week: Week) -> None:
    fixed = [c for c in week.convocations if c.fixed is not None]
    assert len(fixed) == 3000 // 300
    assignments = []
    for c in fixed:
        assert c.fixed is not None
        travel = c.travel_min or {}
        assignments.append(Assignment(c.id, c.fixed.doctor, c.fixed.centre, c.fixed.start,
                                      c.fixed.start + timedelta(minutes=c.duration_min),
                                      travel.get(c.fixed.centre, 0)))
    rest = tuple(Unscheduled(c.id, "demo") for c in week.convocations if c.fixed is None)
    report = check_schedule(week, Schedule(Status.FEASIBLE, 0, None, 0.0, tuple(assignments),
                                           rest))
    assert report.ok, [v.message for v in report.violations[:3]]


def test_tiny_and_empty_weeks() -> None:
    w = demo_week(0, 0, seed=1, week_start=MONDAY)
    assert w.convocations == () and w.doctors == ()
    w = demo_week(20, 3, seed=1, week_start=MONDAY)
    assert len(w.doctors) == 3 and len(w.convocations) == 20
    assert week_from_dict(week_to_dict(w)) == w


@pytest.mark.slow
def test_ten_thousand_convocations_in_a_few_seconds() -> None:
    began = clock.perf_counter()
    w = demo_week(10_000, 400, seed=11, week_start=MONDAY)
    assert clock.perf_counter() - began < 10.0
    assert len(w.convocations) == 10_000 and len(w.doctors) == 400
    assert len({c.id for c in w.convocations}) == 10_000
