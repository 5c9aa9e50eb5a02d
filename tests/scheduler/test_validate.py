"""The independent checker: a satisfied and a violated case per hard rule, exact costs.

Schedules are written by hand on tiny weeks from :mod:`tests.factory`; no solver runs here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from scheduler.validate import (
    CostBreakdown,
    Report,
    Violation,
    check_schedule,
    driving_min,
    format_report,
    haversine_km,
    working_days_waited,
)
from scheduler.week_format import read_week
from tests.factory import (
    EXAMPLE_WEEK,
    FRIDAY,
    MONDAY,
    SATURDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    assignment,
    centre,
    convocation,
    doctor,
    fixed,
    home_session,
    needs_example,
    patient,
    plan,
    schedule,
    session,
    tiny_week,
    unscheduled,
    week,
    weights,
    window,
)


def check(doc: dict[str, Any], assignments: Iterable[dict[str, Any]] = (),
          left: Iterable[dict[str, Any]] = ()) -> Report:
    return check_schedule(week(doc), plan(schedule(assignments, left)))


def rules(report: Report) -> list[str]:
    return [v.rule for v in report.violations]


def only(report: Report, rule: str) -> Violation:
    """The report has exactly one violation, of ``rule``."""
    assert rules(report) == [rule], format_report(report)
    return report.violations[0]


def at(day: str, hm: str) -> str:
    return f"{day}T{hm}"


# ---------------------------------------------------------------- the baseline


def test_a_valid_schedule_has_no_violation() -> None:
    report = check(tiny_week(), [assignment()])
    assert report.ok, format_report(report)
    assert report.violations == ()
    assert report.cost == CostBreakdown(unscheduled=0, travel=20, waiting=0, preference=0)
    assert report.cost.total == 20


def test_an_empty_week_with_an_empty_schedule_is_valid() -> None:
    report = check(tiny_week(convocations=[]))
    assert report.ok
    assert report.cost.total == 0


# ---------------------------------------------------------------- completeness


def test_missing_convocation() -> None:
    v = only(check(tiny_week()), "missing")
    assert v.convocation == "C0001"
    assert "C0001" in v.message


def test_unscheduled_convocation_is_not_missing() -> None:
    report = check(tiny_week(), left=[unscheduled()])
    assert report.ok
    assert report.cost.unscheduled == 10000


def test_duplicate_assignment() -> None:
    report = check(tiny_week(), [assignment(), assignment(start=at(MONDAY, "10:00"))])
    assert rules(report) == ["duplicate"]
    assert report.violations[0].convocation == "C0001"


def test_duplicate_assigned_and_unscheduled() -> None:
    v = only(check(tiny_week(), [assignment()], [unscheduled()]), "duplicate")
    assert "unscheduled" in v.message


def test_duplicate_unscheduled_twice() -> None:
    only(check(tiny_week(), left=[unscheduled(), unscheduled()]), "duplicate")


def test_unknown_convocation_in_assignments() -> None:
    report = check(tiny_week(), [assignment(), assignment("C9999", start=at(MONDAY, "10:00"))])
    v = only(report, "unknown-id")
    assert v.convocation == "C9999"


def test_unknown_convocation_in_unscheduled() -> None:
    v = only(check(tiny_week(), [assignment()], [unscheduled("C9999")]), "unknown-id")
    assert "C9999" in v.message


def test_unknown_doctor() -> None:
    v = only(check(tiny_week(), [assignment(doctor="D999")]), "unknown-id")
    assert "D999" in v.message


def test_unknown_centre() -> None:
    v = only(check(tiny_week(), [assignment(centre="XXX")]), "unknown-id")
    assert "XXX" in v.message


# ---------------------------------------------------------------- end = start + duration


def test_end_equals_start_plus_duration_satisfied() -> None:
    doc = tiny_week(convocations=[convocation(duration_min=45)])
    assert check(doc, [assignment(duration_min=45)]).ok


def test_end_equals_start_plus_duration_violated() -> None:
    doc = tiny_week(convocations=[convocation(duration_min=45)])
    v = only(check(doc, [assignment(duration_min=30)]), "end-equals-start-plus-duration")
    assert "45 min" in v.message and "09:45" in v.message


# ---------------------------------------------------------------- rule 1: inside a session


@pytest.mark.parametrize("start", ["09:00", "12:00"])
def test_inside_session_satisfied_at_both_edges(start: str) -> None:
    assert check(tiny_week(), [assignment(start=at(MONDAY, start))]).ok


@pytest.mark.parametrize(("day", "start"), [
    (MONDAY, "08:30"),      # before the session starts (the centre is open)
    (MONDAY, "12:05"),      # ends 12:35, after the session ends
    (MONDAY, "13:00"),      # no session in the afternoon
    (TUESDAY, "09:00"),     # no session that day
])
def test_inside_session_violated(day: str, start: str) -> None:
    v = only(check(tiny_week(), [assignment(start=at(day, start))]), "inside-session")
    assert v.convocation == "C0001"


def test_inside_session_violated_at_another_centre() -> None:
    doc = tiny_week(centres=[centre("BRU"), centre("GNT")],
                    convocations=[convocation(travel_min={"BRU": 20, "GNT": 30})])
    v = only(check(doc, [assignment(centre="GNT", travel_min=30)]), "inside-session")
    assert "GNT" in v.message and "D001" in v.message


def test_message_names_convocation_doctor_centre_and_time() -> None:
    v = only(check(tiny_week(), [assignment(start=at(MONDAY, "13:00"))]), "inside-session")
    for part in ("C0001", "D001", "BRU", "2026-12-07", "13:00-13:30", "09:00-12:30"):
        assert part in v.message


def _lunch_break_week() -> dict[str, Any]:
    """BRU closes 12:00-13:00; D001's session 09:00-16:00 spans the break."""
    return tiny_week(centres=[centre(opening=[["08:30", "12:00"], ["13:00", "16:30"]])],
                     doctors=[doctor(sessions=[session(start="09:00", end="16:00")])])


@pytest.mark.parametrize("start", ["11:30", "13:00"])
def test_opening_hours_satisfied_around_a_break(start: str) -> None:
    assert check(_lunch_break_week(), [assignment(start=at(MONDAY, start))]).ok


@pytest.mark.parametrize("start", ["11:45", "12:30"])
def test_opening_hours_violated_in_a_break(start: str) -> None:
    v = only(check(_lunch_break_week(), [assignment(start=at(MONDAY, start))]),
             "inside-session")
    assert "opening hours" in v.message


# ---------------------------------------------------------------- rule 1: home visits


def _home_week(**conv: Any) -> dict[str, Any]:
    """D001 has a centre session Monday morning and a home round Monday afternoon."""
    settings: dict[str, Any] = {"home_visit": True, "patient": patient(50.85, 4.34)}
    settings.update(conv)
    return tiny_week(doctors=[doctor(sessions=[session(), home_session()])],
                     convocations=[convocation(**settings)])


def test_home_visit_satisfied() -> None:
    report = check(_home_week(), [assignment(centre="home", start=at(MONDAY, "13:30"),
                                             travel_min=0)])
    assert report.ok, format_report(report)
    assert report.cost.travel == 0


def test_home_visit_violated_at_a_centre() -> None:
    v = only(check(_home_week(), [assignment()]), "home-visit")
    assert "home visit" in v.message


def test_home_session_serves_only_home_visits() -> None:
    doc = _home_week(home_visit=False)
    v = only(check(doc, [assignment(centre="home", start=at(MONDAY, "13:30"), travel_min=0)]),
             "home-visit")
    assert "not a home visit" in v.message


def test_home_visit_needs_a_home_session() -> None:
    doc = _home_week()
    report = check(doc, [assignment(centre="home", start=at(MONDAY, "09:30"), travel_min=0)])
    assert rules(report) == ["inside-session"]


# ---------------------------------------------------------------- rule 2: doctor


def _two_convocations(**doc: Any) -> dict[str, Any]:
    return tiny_week(convocations=[convocation("C0001"), convocation("C0002")], **doc)


def test_doctor_overlap_satisfied_back_to_back() -> None:
    report = check(_two_convocations(), [
        assignment("C0001", start=at(MONDAY, "09:00")),
        assignment("C0002", start=at(MONDAY, "09:30")),
    ])
    assert report.ok


def test_doctor_overlap_violated() -> None:
    report = check(_two_convocations(), [
        assignment("C0001", start=at(MONDAY, "09:00")),
        assignment("C0002", start=at(MONDAY, "09:15")),
    ])
    v = only(report, "doctor-overlap")
    assert v.convocation == "C0002" and "C0001" in v.message


def test_doctor_overlap_of_a_long_exam_over_two_short_ones() -> None:
    doc = tiny_week(convocations=[convocation("C0001", duration_min=90), convocation("C0002"),
                                  convocation("C0003")])
    report = check(doc, [
        assignment("C0001", start=at(MONDAY, "09:00"), duration_min=90),
        assignment("C0002", start=at(MONDAY, "09:30")),
        assignment("C0003", start=at(MONDAY, "10:00")),
    ])
    assert rules(report) == ["doctor-overlap", "doctor-overlap"]
    assert all("C0001" in v.message for v in report.violations)


def _busy_day(max_per_day: int) -> dict[str, Any]:
    return tiny_week(
        centres=[centre(rooms=3)],
        doctors=[doctor(max_exams_per_day=max_per_day,
                        sessions=[session(end="12:00"), session(start="13:00", end="16:00")])],
        convocations=[convocation(f"C000{i}") for i in (1, 2, 3)])


_THREE_EXAMS = [assignment("C0001", start=at(MONDAY, "09:00")),
                assignment("C0002", start=at(MONDAY, "09:30")),
                assignment("C0003", start=at(MONDAY, "13:00"))]


def test_max_exams_per_day_satisfied() -> None:
    assert check(_busy_day(3), _THREE_EXAMS).ok


def test_max_exams_per_day_violated_across_two_sessions() -> None:
    v = only(check(_busy_day(2), _THREE_EXAMS), "max-exams-per-day")
    assert v.convocation == "C0003"
    assert "at most 2" in v.message


def test_max_exams_per_day_counts_each_day_apart() -> None:
    doc = tiny_week(doctors=[doctor(max_exams_per_day=1,
                                    sessions=[session(), session(date=TUESDAY)])],
                    convocations=[convocation("C0001"), convocation("C0002")])
    report = check(doc, [assignment("C0001"), assignment("C0002", start=at(TUESDAY, "09:00"))])
    assert report.ok


# ---------------------------------------------------------------- rule 2: home round

# Base BRU at (50.0, 4.0); patients 0.1 degree of latitude apart (11.12 km, so every leg is
# ceil(11.12 / 40 * 60) = ceil(16.68) = 17 minutes).  Session 13:00-16:00.


def _round_week() -> dict[str, Any]:
    return tiny_week(
        centres=[centre(lat=50.0, lon=4.0)],
        doctors=[doctor(sessions=[home_session(start="13:00", end="16:00")])],
        convocations=[
            convocation("C0001", home_visit=True, patient=patient(50.1, 4.0)),
            convocation("C0002", home_visit=True, patient=patient(50.2, 4.0)),
        ])


def test_driving_leg_is_seventeen_minutes() -> None:
    assert haversine_km(50.0, 4.0, 50.1, 4.0) == pytest.approx(11.1195, abs=1e-3)
    assert driving_min(50.0, 4.0, 50.1, 4.0) == 17
    assert driving_min(50.1, 4.0, 50.2, 4.0) == 17


def test_haversine_brussels_paris() -> None:
    assert haversine_km(50.8503, 4.3517, 48.8566, 2.3522) == pytest.approx(264.0, abs=0.5)


def test_home_driving_legs_satisfied() -> None:
    # first: 13:00 + 17 = 13:17 -> 13:20; next: 13:50 + 17 = 14:07 -> 14:10
    report = check(_round_week(), [
        assignment("C0001", centre="home", start=at(MONDAY, "13:20"), travel_min=0),
        assignment("C0002", centre="home", start=at(MONDAY, "14:10"), travel_min=0),
    ])
    assert report.ok, format_report(report)


def test_home_driving_leg_from_base_violated() -> None:
    report = check(_round_week(), [
        assignment("C0001", centre="home", start=at(MONDAY, "13:15"), travel_min=0),
        assignment("C0002", centre="home", start=at(MONDAY, "14:10"), travel_min=0),
    ])
    v = only(report, "home-driving-leg")
    assert v.convocation == "C0001"
    assert "13:17" in v.message and "17 min" in v.message


def test_home_driving_leg_between_patients_violated() -> None:
    report = check(_round_week(), [
        assignment("C0001", centre="home", start=at(MONDAY, "13:20"), travel_min=0),
        assignment("C0002", centre="home", start=at(MONDAY, "14:05"), travel_min=0),
    ])
    v = only(report, "home-driving-leg")
    assert v.convocation == "C0002"
    assert "14:07" in v.message


def test_home_round_needs_no_return_leg() -> None:
    # C0002 ends 15:55; the drive back to base (34 min) would end after the session.
    report = check(_round_week(), [
        assignment("C0001", centre="home", start=at(MONDAY, "13:20"), travel_min=0),
        assignment("C0002", centre="home", start=at(MONDAY, "15:25"), travel_min=0),
    ])
    assert report.ok, format_report(report)


# ---------------------------------------------------------------- rule 3: rooms


def _one_room(n: int = 2) -> dict[str, Any]:
    return tiny_week(
        centres=[centre(rooms=1)],
        doctors=[doctor(f"D00{i}") for i in range(1, n + 1)],
        convocations=[convocation(f"C000{i}") for i in range(1, n + 1)])


def test_rooms_satisfied_when_one_ends_as_the_next_starts() -> None:
    report = check(_one_room(), [
        assignment("C0001", "D001", start=at(MONDAY, "09:00")),
        assignment("C0002", "D002", start=at(MONDAY, "09:30")),
    ])
    assert report.ok


def test_rooms_violated() -> None:
    report = check(_one_room(), [
        assignment("C0001", "D001", start=at(MONDAY, "09:00")),
        assignment("C0002", "D002", start=at(MONDAY, "09:15")),
    ])
    v = only(report, "rooms")
    assert v.convocation == "C0002"
    assert "1 room" in v.message and "09:15" in v.message


def test_rooms_with_two_rooms_and_three_exams() -> None:
    doc = tiny_week(doctors=[doctor(f"D00{i}") for i in (1, 2, 3)],
                    convocations=[convocation(f"C000{i}") for i in (1, 2, 3)])
    three = [assignment(f"C000{i}", f"D00{i}", start=at(MONDAY, "10:00")) for i in (1, 2, 3)]
    assert rules(check(doc, three)) == ["rooms"]
    two = [*three[:2], assignment("C0003", "D003", start=at(MONDAY, "10:30"))]
    assert check(doc, two).ok


def test_rooms_ignore_home_visits() -> None:
    doc = tiny_week(
        centres=[centre(rooms=1)],
        doctors=[doctor("D001"), doctor("D002", sessions=[home_session(start="09:00")])],
        convocations=[convocation("C0001"),
                      convocation("C0002", home_visit=True, patient=patient(50.84, 4.34))])
    report = check(doc, [
        assignment("C0001", "D001", start=at(MONDAY, "10:00")),
        assignment("C0002", "D002", centre="home", start=at(MONDAY, "10:00"), travel_min=0),
    ])
    assert report.ok, format_report(report)


# ---------------------------------------------------------------- rule 4: language, specialty


def test_language_satisfied() -> None:
    assert check(tiny_week(convocations=[convocation(language="fr")]), [assignment()]).ok


def test_language_violated() -> None:
    v = only(check(tiny_week(convocations=[convocation(language="de")]), [assignment()]),
             "language")
    assert "'de'" in v.message


def test_specialty_satisfied() -> None:
    doc = tiny_week(convocations=[convocation(specialty="orthopaedics")])
    assert check(doc, [assignment()]).ok


def test_specialty_general_is_had_by_any_doctor() -> None:
    doc = tiny_week(doctors=[doctor(specialties=["psychiatry"])])
    assert check(doc, [assignment()]).ok


def test_specialty_violated() -> None:
    doc = tiny_week(convocations=[convocation(specialty="psychiatry")])
    v = only(check(doc, [assignment()]), "specialty")
    assert "psychiatry" in v.message


# ---------------------------------------------------------------- rule 5: dates

_EVERY_WEEKDAY = [session(date=d) for d in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)]


def _dates_week(**conv: Any) -> dict[str, Any]:
    return tiny_week(doctors=[doctor(sessions=_EVERY_WEEKDAY)],
                     convocations=[convocation(**conv)])


@pytest.mark.parametrize("day", [TUESDAY, WEDNESDAY, THURSDAY])
def test_date_window_satisfied_from_release_to_deadline(day: str) -> None:
    doc = _dates_week(release=TUESDAY, deadline=THURSDAY)
    assert check(doc, [assignment(start=at(day, "09:00"))]).ok


@pytest.mark.parametrize("day", [MONDAY, FRIDAY])
def test_date_window_violated(day: str) -> None:
    doc = _dates_week(release=TUESDAY, deadline=THURSDAY)
    v = only(check(doc, [assignment(start=at(day, "09:00"))]), "date-window")
    assert TUESDAY in v.message and THURSDAY in v.message


def test_closed_date_violated() -> None:
    doc = _dates_week()
    doc["closed_dates"] = [WEDNESDAY]
    v = only(check(doc, [assignment(start=at(WEDNESDAY, "09:00"))]), "closed-date")
    assert WEDNESDAY in v.message
    assert check(doc, [assignment(start=at(THURSDAY, "09:00"))]).ok


def test_weekend_violated() -> None:
    doc = tiny_week(days=7, doctors=[doctor(sessions=[*_EVERY_WEEKDAY, session(date=SATURDAY)])],
                    convocations=[convocation(deadline=SATURDAY)])
    v = only(check(doc, [assignment(start=at(SATURDAY, "09:00"))]), "weekend")
    assert "Saturday" in v.message
    assert check(doc, [assignment(start=at(FRIDAY, "09:00"))]).ok


def test_unavailable_violated() -> None:
    doc = _dates_week(unavailable=[TUESDAY])
    v = only(check(doc, [assignment(start=at(TUESDAY, "09:00"))]), "unavailable")
    assert TUESDAY in v.message
    assert check(doc, [assignment(start=at(WEDNESDAY, "09:00"))]).ok


# ---------------------------------------------------------------- rule 6: travel


def test_travel_known_violated() -> None:
    doc = tiny_week(centres=[centre("BRU"), centre("GNT")],
                    convocations=[convocation(travel_min={"GNT": 20})])
    v = only(check(doc, [assignment()]), "travel-known")
    assert "BRU" in v.message


def test_max_travel_satisfied_at_the_limit() -> None:
    doc = tiny_week(convocations=[convocation(travel_min={"BRU": 90}, max_travel_min=90)])
    assert check(doc, [assignment(travel_min=90)]).ok


def test_max_travel_violated() -> None:
    doc = tiny_week(convocations=[convocation(travel_min={"BRU": 91}, max_travel_min=90)])
    v = only(check(doc, [assignment(travel_min=91)]), "max-travel")
    assert "91" in v.message and "90" in v.message


def test_max_travel_uses_the_reported_travel_without_instance_travel() -> None:
    doc = tiny_week(convocations=[convocation(travel_min=None, max_travel_min=60)])
    report = check(doc, [assignment(travel_min=55)])
    assert report.ok and report.cost.travel == 55
    only(check(doc, [assignment(travel_min=65)]), "max-travel")


def test_home_visits_have_no_travel_limit() -> None:
    doc = tiny_week(doctors=[doctor(sessions=[home_session()])],
                    convocations=[convocation(home_visit=True, travel_min={"BRU": 500},
                                              max_travel_min=10, patient=patient(50.84, 4.34))])
    assert check(doc, [assignment(centre="home", start=at(MONDAY, "13:30"), travel_min=0)]).ok


def test_travel_reported_satisfied_and_violated() -> None:
    assert check(tiny_week(), [assignment(travel_min=20)]).ok
    v = only(check(tiny_week(), [assignment(travel_min=25)]), "travel-reported")
    assert "25" in v.message and "20" in v.message


def test_travel_reported_is_zero_for_a_home_visit() -> None:
    doc = _home_week()
    v = only(check(doc, [assignment(centre="home", start=at(MONDAY, "13:30"), travel_min=5)]),
             "travel-reported")
    assert "home visit" in v.message


# ---------------------------------------------------------------- rule 7: grid, fixed


@pytest.mark.parametrize("start", ["09:03", "09:01"])
def test_grid_violated(start: str) -> None:
    v = only(check(tiny_week(), [assignment(start=at(MONDAY, start))]), "grid")
    assert start in v.message


def test_grid_violated_by_seconds() -> None:
    only(check(tiny_week(), [assignment(start=at(MONDAY, "09:05:30"))]), "grid")


def test_grid_satisfied() -> None:
    assert check(tiny_week(), [assignment(start=at(MONDAY, "09:05"))]).ok


def _fixed_week() -> dict[str, Any]:
    return tiny_week(doctors=[doctor("D001"), doctor("D002")],
                     convocations=[convocation(fixed=fixed("D001", "BRU", at(MONDAY, "09:30")))])


def test_fixed_satisfied() -> None:
    assert check(_fixed_week(), [assignment(start=at(MONDAY, "09:30"))]).ok


def test_fixed_violated_by_another_start() -> None:
    v = only(check(_fixed_week(), [assignment(start=at(MONDAY, "09:00"))]), "fixed")
    assert "09:30" in v.message and "09:00" in v.message


def test_fixed_violated_by_another_doctor() -> None:
    v = only(check(_fixed_week(), [assignment(doctor="D002", start=at(MONDAY, "09:30"))]),
             "fixed")
    assert "D002" in v.message


def test_fixed_violated_by_another_centre() -> None:
    doc = _fixed_week()
    doc["centres"].append(centre("GNT"))
    doc["doctors"][0]["sessions"].append(session("GNT", TUESDAY))
    doc["convocations"][0]["travel_min"]["GNT"] = 30
    report = check(doc, [assignment(centre="GNT", start=at(TUESDAY, "09:30"), travel_min=30)])
    v = only(report, "fixed")
    assert "centre GNT" in v.message


def test_fixed_violated_when_left_unscheduled() -> None:
    v = only(check(_fixed_week(), left=[unscheduled()]), "fixed")
    assert "unscheduled" in v.message


# ---------------------------------------------------------------- several violations


def test_every_violation_is_reported_at_once() -> None:
    doc = tiny_week(convocations=[convocation("C0001", language="de", specialty="psychiatry"),
                                  convocation("C0002")])
    report = check(doc, [assignment("C0001", start=at(MONDAY, "09:02"), travel_min=99)])
    assert sorted(rules(report)) == ["grid", "language", "missing", "specialty",
                                     "travel-reported"]
    assert not report.ok


# ---------------------------------------------------------------- cost


def test_cost_unscheduled_per_convocation() -> None:
    doc = tiny_week(weights=weights(unscheduled=700),
                    convocations=[convocation("C0001"), convocation("C0002"), convocation("C0003")])
    report = check(doc, [assignment("C0001")], [unscheduled("C0002"), unscheduled("C0003")])
    assert report.cost == CostBreakdown(unscheduled=1400, travel=20, waiting=0, preference=0)


def test_cost_counts_a_missing_convocation_as_unscheduled() -> None:
    assert check(tiny_week()).cost.unscheduled == 10000


def test_cost_travel_times_the_weight() -> None:
    doc = tiny_week(weights=weights(travel_minute=3),
                    convocations=[convocation(travel_min={"BRU": 37})])
    assert check(doc, [assignment(travel_min=37)]).cost.travel == 111


def test_cost_travel_is_zero_for_a_home_visit() -> None:
    doc = _home_week(travel_min={"BRU": 40})
    report = check(doc, [assignment(centre="home", start=at(MONDAY, "13:30"), travel_min=0)])
    assert report.cost.travel == 0


def test_cost_travel_takes_the_reported_value_without_instance_travel() -> None:
    doc = tiny_week(convocations=[convocation(travel_min=None)])
    assert check(doc, [assignment(travel_min=42)]).cost.travel == 42


def _holiday_week(priority: str) -> dict[str, Any]:
    """Two weeks from Monday 2026-12-21, Christmas (Friday 25) closed.

    Released Wednesday 23, examined Monday 28: the working days strictly after the release up
    to the exam are Thursday 24 and Monday 28 (25 closed, 26-27 a weekend), so 2 days."""
    return tiny_week(
        week_start="2026-12-21", days=14, closed_dates=["2026-12-25"],
        weights=weights(wait_day={"high": 120, "normal": 30, "low": 5}),
        doctors=[doctor(sessions=[session(date="2026-12-28")])],
        convocations=[convocation(priority=priority, release="2026-12-23",
                                  deadline="2027-01-08")])


@pytest.mark.parametrize(("priority", "cost"), [("high", 240), ("normal", 60), ("low", 10)])
def test_cost_waiting_over_a_closed_date_and_a_weekend(priority: str, cost: int) -> None:
    report = check(_holiday_week(priority), [assignment(start="2026-12-28T09:00")])
    assert report.ok, format_report(report)
    assert report.cost.waiting == cost
    assert report.cost.total == cost + 20


def test_cost_waiting_is_zero_on_the_release_date() -> None:
    doc = tiny_week(convocations=[convocation(priority="high")])
    assert check(doc, [assignment()]).cost.waiting == 0


def test_cost_waiting_with_custom_weights() -> None:
    doc = _dates_week(priority="low")
    doc["weights"] = weights(wait_day={"high": 1, "normal": 2, "low": 7})
    # Monday release, Thursday exam: Tuesday, Wednesday, Thursday = 3 days
    assert check(doc, [assignment(start=at(THURSDAY, "09:00"))]).cost.waiting == 21


def test_working_days_waited() -> None:
    from datetime import date
    closed = frozenset({date(2026, 12, 25)})
    assert working_days_waited(date(2026, 12, 23), date(2026, 12, 28), closed) == 2
    assert working_days_waited(date(2026, 12, 23), date(2026, 12, 23), closed) == 0
    assert working_days_waited(date(2026, 12, 21), date(2026, 12, 25), closed) == 3
    assert working_days_waited(date(2026, 12, 21), date(2026, 12, 25), frozenset()) == 4
    assert working_days_waited(date(2026, 12, 26), date(2026, 12, 28), frozenset()) == 1


@pytest.mark.parametrize(("start", "windows", "miss"), [
    ("09:00", [], 0),                                       # no preference: no cost
    ("09:00", [window(MONDAY, "09:00", "09:30")], 0),      # exactly the window
    ("09:30", [window(MONDAY, "09:00", "12:00")], 0),      # well inside
    ("11:45", [window(MONDAY, "09:00", "12:00")], 60),     # ends 12:15, after the window
    ("09:00", [window(MONDAY, "09:15", "12:00")], 60),     # starts before the window
    ("09:00", [window(TUESDAY, "09:00", "12:00")], 60),    # another date
    ("11:45", [window(MONDAY, "09:00", "12:00"), window(MONDAY, "11:30", "12:30")], 0),
])
def test_cost_preference(start: str, windows: list[dict[str, Any]], miss: int) -> None:
    doc = tiny_week(convocations=[convocation(preferred=windows)])
    report = check(doc, [assignment(start=at(MONDAY, start))])
    assert report.ok
    assert report.cost.preference == miss


def test_cost_all_terms_together() -> None:
    doc = tiny_week(
        weights=weights(unscheduled=1000, travel_minute=2, preference_miss=50,
                        wait_day={"high": 100, "normal": 10, "low": 1}),
        doctors=[doctor(sessions=_EVERY_WEEKDAY)],
        convocations=[
            convocation("C0001", priority="high", travel_min={"BRU": 15},
                        preferred=[window(MONDAY)]),
            convocation("C0002", priority="normal", travel_min={"BRU": 25}),
            convocation("C0003"),
        ])
    report = check(doc, [
        assignment("C0001", start=at(WEDNESDAY, "09:00"), travel_min=15),   # 2 days, miss
        assignment("C0002", start=at(WEDNESDAY, "10:00"), travel_min=25),   # 2 days
    ], [unscheduled("C0003")])
    assert report.ok, format_report(report)
    assert report.cost == CostBreakdown(unscheduled=1000, travel=2 * (15 + 25),
                                        waiting=100 * 2 + 10 * 2, preference=50)
    assert report.cost.total == 1000 + 80 + 220 + 50


# ---------------------------------------------------------------- the report


def _total_line(text: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.strip().startswith("total"))


def test_format_report_of_a_valid_schedule() -> None:
    text = format_report(check(tiny_week(), [assignment()]))
    assert "No violations" in text
    assert "travel" in text and "total" in text
    assert _total_line(text) == ["total", "20"]


def test_format_report_lists_every_violation_then_the_cost() -> None:
    doc = tiny_week(convocations=[convocation("C0001", language="de"), convocation("C0002")])
    report = check(doc, [assignment("C0001")])
    lines = format_report(report).splitlines()
    assert lines[0].startswith("missing: ") and "C0002" in lines[0]
    assert lines[1].startswith("language: ") and "C0001" in lines[1]
    assert lines[2] == "2 violations of the hard rules."
    assert lines[3] == "Cost:"
    assert _total_line("\n".join(lines)) == ["total", "10020"]


def test_format_report_mentions_a_wrong_reported_cost() -> None:
    report = check_schedule(week(tiny_week()), plan(schedule([assignment()], cost=99)))
    assert not report.cost_matches
    assert "reports a cost of 99, not 20" in format_report(report)
    report = check_schedule(week(tiny_week()), plan(schedule([assignment()], cost=20)))
    assert report.cost_matches
    assert "reports a cost" not in format_report(report)


# ---------------------------------------------------------------- the shared example


def _example_schedule(left_out: set[str] | None = None) -> dict[str, Any]:
    """C00016 as it is fixed (D004 at Liège, Wednesday 23 December 08:30, 37 min away)."""
    example = read_week(EXAMPLE_WEEK)
    others = [c.id for c in example.convocations if c.id != "C00016"]
    return schedule(
        [assignment("C00016", "D004", "LIE", start="2026-12-23T08:30", travel_min=37)],
        [unscheduled(c) for c in others if c not in (left_out or set())])


@needs_example
def test_the_shared_example_with_one_assignment() -> None:
    report = check_schedule(read_week(EXAMPLE_WEEK), plan(_example_schedule()))
    assert report.ok, format_report(report)
    # 23 unscheduled; 37 min travel; high priority on its release date waits 0 days
    assert report.cost == CostBreakdown(unscheduled=230000, travel=37, waiting=0, preference=0)


@needs_example
def test_the_shared_example_with_a_moved_fixed_exam() -> None:
    doc = _example_schedule({"C00001"})
    doc["assignments"][0] = assignment("C00016", "D004", "LIE", start="2026-12-23T09:00",
                                       travel_min=37)
    report = check_schedule(read_week(EXAMPLE_WEEK), plan(doc))
    assert sorted(rules(report)) == ["fixed", "missing"]
