"""Planning a week: every hard rule holds, checked twice.

Each schedule ``plan_week`` returns goes through the independent checker
(:func:`scheduler.validate.check_schedule`): no violation, the same cost.  Each test then
asserts the behaviour the rule is about (who, where, when), never the one assignment a
multi-threaded solver happened to pick unless it is the only optimal one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest

from scheduler.demo import demo_week
from scheduler.domain import HOME, Assignment, Schedule, Status, Week
from scheduler.errors import InputError
from scheduler.heuristic import plan_by_hand
from scheduler.plan import PlanResult, Progress, plan_week
from scheduler.travel import resolve_travel
from scheduler.validate import check_schedule, driving_min, format_report
from scheduler.week_format import read_week
from tests.factory import (
    BRUSSELS_LAT,
    BRUSSELS_LON,
    EXAMPLE_WEEK,
    FRIDAY,
    MONDAY,
    SATURDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    centre,
    convocation,
    doctor,
    fixed,
    home_session,
    needs_example,
    patient,
    session,
    week,
    window,
)

TIME_LIMIT = 3.0
NEXT_MONDAY = "2026-12-14"


def solve(w: Week, time_limit: float = TIME_LIMIT, **kwargs: Any) -> Schedule:
    """Plan ``w`` and check the plan independently: no violation, the cost it reports."""
    return run(w, time_limit, **kwargs).schedule


def run(w: Week, time_limit: float = TIME_LIMIT, **kwargs: Any) -> PlanResult:
    result = plan_week(w, time_limit=time_limit, workers=2, **kwargs)
    s = result.schedule
    report = check_schedule(w, s)
    assert report.ok, format_report(report)
    assert s.cost == report.cost.total, format_report(report)
    assert s.lower_bound is None or s.lower_bound <= s.cost
    assert s.status in (Status.OPTIMAL, Status.FEASIBLE)
    if s.status is Status.OPTIMAL:
        assert s.lower_bound == s.cost
    seen = [a.convocation for a in s.assignments] + [u.convocation for u in s.unscheduled]
    assert sorted(seen) == sorted(c.id for c in w.convocations)
    return result


def by_conv(s: Schedule) -> dict[str, Assignment]:
    return {a.convocation: a for a in s.assignments}


def reasons(s: Schedule) -> dict[str, str]:
    return {u.convocation: u.reason for u in s.unscheduled}


def day(iso: str) -> date:
    return date.fromisoformat(iso)


def at(iso_day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{iso_day}T{hm}")


def disjoint(exams: list[Assignment]) -> bool:
    return all(a.end <= b.start or b.end <= a.start for a, b in combinations(exams, 2))


def every_weekday(start: str = "09:00", end: str = "12:30", where: str = "BRU"
                  ) -> list[dict[str, Any]]:
    return [session(where, d, start, end) for d in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY,
                                                   FRIDAY)]


# ---------------------------------------------------------------- rule 4: language, specialty


def test_a_convocation_goes_to_a_doctor_who_speaks_the_language() -> None:
    doctors = [doctor("D001", languages=["nl"]), doctor("D002", languages=["fr"])]
    convs = [convocation(f"C{i}", language="fr" if i % 2 else "nl") for i in range(6)]
    w = week(doctors=doctors, convocations=convs)
    s = solve(w)
    assert len(s.assignments) == 6
    speaks = {"D001": "nl", "D002": "fr"}
    language = {c.id: c.patient.language for c in w.convocations}
    for a in s.assignments:
        assert speaks[a.doctor] == language[a.convocation]


def test_no_doctor_speaks_the_language_gives_a_reason_naming_it() -> None:
    s = solve(week(convocations=[convocation(language="de")]))
    assert s.assignments == ()
    assert "'de'" in reasons(s)["C0001"]
    assert s.cost == 10000


def test_a_convocation_goes_to_a_doctor_with_the_specialty() -> None:
    doctors = [doctor("D001", specialties=["general"]),
               doctor("D002", specialties=["general", "psychiatry"],
                      sessions=[session(date=FRIDAY)])]
    convs = [convocation("C0001", specialty="psychiatry", priority="high"),
             convocation("C0002")]
    s = solve(week(doctors=doctors, convocations=convs))
    got = by_conv(s)
    assert got["C0001"].doctor == "D002"  # despite four days of waiting
    assert got["C0001"].start.date() == day(FRIDAY)
    assert got["C0002"].doctor == "D001"


def test_no_doctor_with_the_specialty_gives_a_reason_naming_it() -> None:
    s = solve(week(convocations=[convocation(specialty="neurology")]))
    assert s.assignments == ()
    assert "'neurology'" in reasons(s)["C0001"]


# ---------------------------------------------------------------- rule 5: dates


def test_not_before_the_release_date() -> None:
    doctors = [doctor(sessions=[session(date=MONDAY), session(date=WEDNESDAY)])]
    s = solve(week(doctors=doctors, convocations=[convocation(release=TUESDAY)]))
    assert by_conv(s)["C0001"].start.date() == day(WEDNESDAY)


def test_not_after_the_deadline() -> None:
    # Monday has room for one exam; the low-priority convocation due on Tuesday stays out
    # rather than go to Wednesday.
    doctors = [doctor(sessions=[session(date=MONDAY, start="09:00", end="09:30"),
                                session(date=WEDNESDAY)])]
    convs = [convocation("C0001", priority="high", deadline=MONDAY),
             convocation("C0002", priority="low", deadline=TUESDAY)]
    s = solve(week(doctors=doctors, convocations=convs))
    got = by_conv(s)
    assert got["C0001"].start.date() == day(MONDAY)
    assert "C0002" not in got
    assert "C0002" in reasons(s)


def test_deadline_before_every_session_gives_a_reason_with_the_dates() -> None:
    doctors = [doctor(sessions=[session(date=THURSDAY)])]
    s = solve(week(doctors=doctors, convocations=[convocation(deadline=TUESDAY)]))
    assert s.assignments == ()
    assert "8 Dec" in reasons(s)["C0001"]


def test_not_on_a_closed_date() -> None:
    doctors = [doctor(sessions=[session(date=MONDAY), session(date=TUESDAY)])]
    s = solve(week(closed_dates=[MONDAY], doctors=doctors, convocations=[convocation()]))
    assert by_conv(s)["C0001"].start.date() == day(TUESDAY)


def test_not_on_a_weekend() -> None:
    # Saturday would cost no waiting at all; the next Monday costs one working day.
    doctors = [doctor(sessions=[session(date=SATURDAY), session(date=SUNDAY),
                                session(date=NEXT_MONDAY)])]
    conv = convocation(release=SATURDAY, deadline=NEXT_MONDAY)
    s = solve(week(days=8, doctors=doctors, convocations=[conv]))
    a = by_conv(s)["C0001"]
    assert a.start.date() == day(NEXT_MONDAY)
    assert a.start.weekday() < 5


def test_only_weekend_sessions_leave_the_convocation_unscheduled() -> None:
    doctors = [doctor(sessions=[session(date=SATURDAY), session(date=SUNDAY)])]
    s = solve(week(days=7, doctors=doctors, convocations=[convocation(deadline=SUNDAY)]))
    assert s.assignments == ()
    assert reasons(s)["C0001"]


def test_not_on_a_day_the_patient_is_unavailable() -> None:
    doctors = [doctor(sessions=[session(date=MONDAY), session(date=TUESDAY)])]
    s = solve(week(doctors=doctors, convocations=[convocation(unavailable=[MONDAY])]))
    assert by_conv(s)["C0001"].start.date() == day(TUESDAY)


# ---------------------------------------------------------------- rule 6: travel


def test_max_travel_excludes_a_cheaper_centre_too_far_away() -> None:
    # BRU on Monday (95 min) would beat LEU on Friday (30 min + 4 days x 120) if it were
    # allowed.
    centres = [centre("BRU"), centre("LEU", lat=50.8823, lon=4.7159)]
    doctors = [doctor("D001", sessions=[session("BRU", MONDAY)]),
               doctor("D002", sessions=[session("LEU", FRIDAY)])]
    conv = convocation(priority="high", max_travel_min=90, travel_min={"BRU": 95, "LEU": 30})
    s = solve(week(centres=centres, doctors=doctors, convocations=[conv]))
    a = by_conv(s)["C0001"]
    assert (a.centre, a.travel_min) == ("LEU", 30)


def test_a_centre_missing_from_travel_min_is_unreachable() -> None:
    centres = [centre("BRU"), centre("LEU", lat=50.8823, lon=4.7159)]
    doctors = [doctor("D001", sessions=[session("BRU", MONDAY)]),
               doctor("D002", sessions=[session("LEU", FRIDAY)])]
    conv = convocation(travel_min={"LEU": 30})
    s = solve(week(centres=centres, doctors=doctors, convocations=[conv]))
    assert by_conv(s)["C0001"].centre == "LEU"


def test_the_only_centre_too_far_gives_a_reason_with_the_limit() -> None:
    s = solve(week(convocations=[convocation(max_travel_min=60, travel_min={"BRU": 75})]))
    assert s.assignments == ()
    reason = reasons(s)["C0001"]
    assert "60 min" in reason and "75 min" in reason


def test_reported_travel_is_the_instance_travel() -> None:
    s = solve(week(convocations=[convocation(travel_min={"BRU": 37})]))
    assert by_conv(s)["C0001"].travel_min == 37
    assert s.cost == 37


# ---------------------------------------------------------------- rule 3: rooms


def test_one_room_two_doctors_at_the_same_time_do_not_overlap() -> None:
    doctors = [doctor("D001", sessions=[session(start="09:00", end="11:00")]),
               doctor("D002", sessions=[session(start="09:00", end="11:00")])]
    convs = [convocation("C0001", duration_min=60), convocation("C0002", duration_min=60)]
    s = solve(week(centres=[centre(rooms=1)], doctors=doctors, convocations=convs))
    assert len(s.assignments) == 2
    assert disjoint(list(s.assignments))


def test_one_room_limits_the_exams_of_the_day() -> None:
    # Two doctors, one hour, one room: two 30-minute exams fit, not four.
    doctors = [doctor("D001", sessions=[session(start="09:00", end="10:00")]),
               doctor("D002", sessions=[session(start="09:00", end="10:00")])]
    convs = [convocation(f"C{i}", duration_min=30) for i in range(4)]
    s = solve(week(centres=[centre(rooms=1)], doctors=doctors, convocations=convs))
    assert len(s.assignments) == 2
    assert disjoint(list(s.assignments))
    assert len(s.unscheduled) == 2
    assert all("booked" in r for r in reasons(s).values())


def test_two_rooms_let_two_doctors_examine_at_once() -> None:
    doctors = [doctor("D001", sessions=[session(start="09:00", end="10:00")]),
               doctor("D002", sessions=[session(start="09:00", end="10:00")])]
    convs = [convocation(f"C{i}", duration_min=60) for i in range(2)]
    s = solve(week(centres=[centre(rooms=2)], doctors=doctors, convocations=convs))
    assert len(s.assignments) == 2


# ---------------------------------------------------------------- rule 2: doctors


def test_max_exams_per_day() -> None:
    doctors = [doctor(max_exams_per_day=2,
                      sessions=[session(date=MONDAY, end="16:00"),
                                session(date=TUESDAY, end="16:00")])]
    convs = [convocation(f"C{i}") for i in range(5)]
    s = solve(week(doctors=doctors, convocations=convs))
    per_day: dict[date, int] = {}
    for a in s.assignments:
        per_day[a.start.date()] = per_day.get(a.start.date(), 0) + 1
    assert per_day == {day(MONDAY): 2, day(TUESDAY): 2}
    assert len(s.unscheduled) == 1


def test_many_exams_in_one_session_never_overlap() -> None:
    doctors = [doctor(sessions=[session(start="08:30", end="16:30")])]
    convs = [convocation(f"C{i:02d}", duration_min=30 + 5 * (i % 4)) for i in range(12)]
    s = solve(week(centres=[centre(rooms=6)], doctors=doctors, convocations=convs))
    assert len(s.assignments) == 12
    assert disjoint(list(s.assignments))
    assert all(at(MONDAY, "08:30") <= a.start and a.end <= at(MONDAY, "16:30")
               for a in s.assignments)


def test_exams_stay_inside_the_session_and_the_opening_hours() -> None:
    # The session spans the lunch break of the centre: no exam during the break.
    c = centre(opening=[["08:30", "12:00"], ["13:00", "16:30"]])
    doctors = [doctor(sessions=[session(start="10:00", end="15:00")])]
    convs = [convocation(f"C{i}", duration_min=45) for i in range(7)]
    s = solve(week(centres=[c], doctors=doctors, convocations=convs))
    assert len(s.assignments) == 4  # two before the break, two after it
    for a in s.assignments:
        assert at(MONDAY, "10:00") <= a.start and a.end <= at(MONDAY, "15:00")
        assert a.end <= at(MONDAY, "12:00") or a.start >= at(MONDAY, "13:00")


# ---------------------------------------------------------------- rule 1: home visits

LEUVEN = patient(50.8798, 4.7005)
MECHELEN = patient(51.0259, 4.4776)


def test_a_home_visit_is_served_at_home_after_the_drive_from_base() -> None:
    doctors = [doctor(sessions=[session(), home_session(start="13:00", end="16:00")])]
    conv = convocation(home_visit=True, patient=LEUVEN, travel_min={"BRU": 20})
    s = solve(week(doctors=doctors, convocations=[conv]))
    a = by_conv(s)["C0001"]
    assert (a.centre, a.travel_min) == (HOME, 0)
    leg = driving_min(BRUSSELS_LAT, BRUSSELS_LON, LEUVEN["lat"], LEUVEN["lon"])
    assert leg > 20
    assert a.start >= at(MONDAY, "13:00") + timedelta(minutes=leg)
    assert a.end <= at(MONDAY, "16:00")


def test_legs_between_patients_of_a_home_round() -> None:
    doctors = [doctor(sessions=[home_session(start="09:00", end="16:00")])]
    convs = [convocation("C0001", home_visit=True, patient=LEUVEN, duration_min=45),
             convocation("C0002", home_visit=True, patient=MECHELEN, duration_min=45)]
    s = solve(week(doctors=doctors, convocations=convs))
    first, second = sorted(s.assignments, key=lambda a: a.start)
    where = {"C0001": LEUVEN, "C0002": MECHELEN}
    p, q = where[first.convocation], where[second.convocation]
    leg = driving_min(p["lat"], p["lon"], q["lat"], q["lon"])
    assert second.start >= first.end + timedelta(minutes=leg)
    base = driving_min(BRUSSELS_LAT, BRUSSELS_LON, p["lat"], p["lon"])
    assert first.start >= at(MONDAY, "09:00") + timedelta(minutes=base)


def test_a_home_round_too_short_for_the_drive() -> None:
    doctors = [doctor(sessions=[home_session(start="13:00", end="13:45")])]
    conv = convocation(home_visit=True, patient=LEUVEN, duration_min=30)
    s = solve(week(doctors=doctors, convocations=[conv]))
    assert s.assignments == ()
    assert "drive" in reasons(s)["C0001"]


def test_a_round_with_room_for_the_drive_but_not_on_the_grid_cannot_serve() -> None:
    leg = driving_min(BRUSSELS_LAT, BRUSSELS_LON, LEUVEN["lat"], LEUVEN["lon"])
    begin = 13 * 60 + 2 if leg % 5 == 0 else 13 * 60
    assert (begin + leg) % 5, "the drive must end off the 5-minute grid for this case"
    end = begin + leg + 30
    doctors = [doctor(sessions=[home_session(start=f"{begin // 60:02d}:{begin % 60:02d}",
                                             end=f"{end // 60:02d}:{end % 60:02d}")])]
    conv = convocation(home_visit=True, patient=LEUVEN, duration_min=30)
    result = plan_week(week(doctors=doctors, convocations=[conv]), time_limit=2.0)
    assert result.schedule.assignments == ()
    assert result.unservable == 1


def test_a_home_visit_never_goes_to_a_centre() -> None:
    s = solve(week(convocations=[convocation(home_visit=True)]))
    assert s.assignments == ()
    assert "home-visit round" in reasons(s)["C0001"]


def test_a_home_round_serves_only_home_visits() -> None:
    doctors = [doctor(sessions=[home_session(start="09:00", end="16:00")])]
    convs = [convocation("C0001"), convocation("C0002", home_visit=True, patient=LEUVEN)]
    s = solve(week(doctors=doctors, convocations=convs))
    assert set(by_conv(s)) == {"C0002"}
    assert by_conv(s)["C0002"].centre == HOME
    assert "session at a centre" in reasons(s)["C0001"]


# ---------------------------------------------------------------- rule 7: grid, fixed


def test_starts_lie_on_the_five_minute_grid() -> None:
    doctors = [doctor(sessions=[session(start="08:32", end="12:30")])]
    convs = [convocation(f"C{i}", duration_min=d) for i, d in enumerate((17, 23, 31, 44))]
    s = solve(week(doctors=doctors, convocations=convs))
    assert len(s.assignments) == 4
    assert min(a.start for a in s.assignments) >= at(MONDAY, "08:35")
    assert all(a.start.minute % 5 == 0 and a.start.second == 0 for a in s.assignments)
    assert disjoint(list(s.assignments))


def test_a_fixed_convocation_is_kept_exactly() -> None:
    # The fixed exam would cost less on Monday at 09:00; it stays on Wednesday at 10:40.
    centres = [centre("BRU"), centre("LEU", lat=50.8823, lon=4.7159)]
    doctors = [doctor("D001", sessions=[session("BRU", MONDAY)]),
               doctor("D002", sessions=[session("LEU", WEDNESDAY)])]
    convs = [convocation("C0001", travel_min={"BRU": 10, "LEU": 50},
                         fixed=fixed("D002", "LEU", f"{WEDNESDAY}T10:40")),
             convocation("C0002", travel_min={"BRU": 10, "LEU": 50})]
    s = solve(week(centres=centres, doctors=doctors, convocations=convs))
    a = by_conv(s)["C0001"]
    assert (a.doctor, a.centre, a.start) == ("D002", "LEU", at(WEDNESDAY, "10:40"))
    assert by_conv(s)["C0002"].centre == "BRU"


def test_others_are_planned_around_a_fixed_exam() -> None:
    doctors = [doctor(sessions=[session(start="09:00", end="10:30")])]
    convs = [convocation("C0001", fixed=fixed(start=f"{MONDAY}T09:30")),
             convocation("C0002"), convocation("C0003")]
    s = solve(week(doctors=doctors, convocations=convs))
    assert by_conv(s)["C0001"].start == at(MONDAY, "09:30")
    assert len(s.assignments) == 3
    assert disjoint(list(s.assignments))


def test_a_fixed_home_visit_is_kept() -> None:
    doctors = [doctor(sessions=[home_session(start="13:00", end="16:00")])]
    conv = convocation(home_visit=True, patient=LEUVEN,
                       fixed=fixed(centre=HOME, start=f"{MONDAY}T14:00"))
    a = by_conv(solve(week(doctors=doctors, convocations=[conv])))["C0001"]
    assert (a.doctor, a.centre, a.start) == ("D001", HOME, at(MONDAY, "14:00"))


def test_a_fixed_start_outside_every_session_is_an_input_error() -> None:
    conv = convocation(fixed=fixed(start=f"{TUESDAY}T09:00"))
    with pytest.raises(InputError) as caught:
        plan_week(week(convocations=[conv]), time_limit=TIME_LIMIT)
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith("convocations[0] (C0001).fixed")
    assert "D001" in problem and "no session" in problem


def test_a_fixed_start_off_the_grid_is_an_input_error() -> None:
    conv = convocation(fixed=fixed(start=f"{MONDAY}T09:02"))
    with pytest.raises(InputError) as caught:
        plan_week(week(convocations=[conv]), time_limit=TIME_LIMIT)
    assert caught.value.problems[0].startswith("convocations[0] (C0001).fixed.start")


def test_a_fixed_assignment_breaking_a_rule_is_an_input_error() -> None:
    conv = convocation(language="de", fixed=fixed())
    with pytest.raises(InputError) as caught:
        plan_week(week(convocations=[conv]), time_limit=TIME_LIMIT)
    assert "language" in caught.value.problems[0]


def test_every_impossible_fixed_assignment_is_reported_at_once() -> None:
    convs = [convocation("C0001", fixed=fixed(start=f"{TUESDAY}T09:00")),
             convocation("C0002", fixed=fixed(doctor="D001", start=f"{MONDAY}T12:15"))]
    with pytest.raises(InputError) as caught:
        plan_week(week(convocations=convs), time_limit=TIME_LIMIT)
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["convocations[0] (C0001).fixed",
                                                    "convocations[1] (C0002).fixed"]


# ---------------------------------------------------------------- preferred windows


def test_a_preferred_window_is_honoured_when_possible() -> None:
    doctors = [doctor(sessions=every_weekday())]
    conv = convocation(preferred=[window(TUESDAY, "11:00", "12:00")])
    w = week(doctors=doctors, convocations=[conv])
    s = solve(w)
    a = by_conv(s)["C0001"]
    assert at(TUESDAY, "11:00") <= a.start and a.end <= at(TUESDAY, "12:00")
    assert check_schedule(w, s).cost.preference == 0


def test_windows_are_shared_out_between_patients() -> None:
    # Two patients want the same hour; only two 30-minute exams fit a doctor's hour, and
    # with two rooms and two doctors all four fit.
    doctors = [doctor("D001", sessions=[session(start="09:00", end="12:30")]),
               doctor("D002", sessions=[session(start="09:00", end="12:30")])]
    convs = [convocation(f"C{i}", preferred=[window(MONDAY, "10:00", "11:00")])
             for i in range(4)]
    w = week(doctors=doctors, convocations=convs)
    s = solve(w)
    assert check_schedule(w, s).cost.preference == 0
    assert all(at(MONDAY, "10:00") <= a.start and a.end <= at(MONDAY, "11:00")
               for a in s.assignments)


def test_a_preferred_window_that_cannot_be_met_is_counted_as_a_miss() -> None:
    conv = convocation(preferred=[window(WEDNESDAY, "09:00", "12:00")])
    w = week(convocations=[conv])  # the only session is on Monday
    s = solve(w)
    assert "C0001" in by_conv(s)
    cost = check_schedule(w, s).cost
    assert cost.preference == 60
    assert s.cost == 20 + 60
    assert s.status is Status.OPTIMAL


# ---------------------------------------------------------------- cost and bound


def test_cost_is_travel_waiting_and_preference_as_the_checker_computes_it() -> None:
    doctors = [doctor(sessions=[session(date=WEDNESDAY)])]
    convs = [convocation("C0001", priority="high", travel_min={"BRU": 12}),
             convocation("C0002", priority="low", travel_min={"BRU": 7},
                          preferred=[window(MONDAY)]),
             convocation("C0003", language="de")]
    w = week(doctors=doctors, convocations=convs)
    s = solve(w)
    cost = check_schedule(w, s).cost
    assert (cost.unscheduled, cost.travel, cost.waiting, cost.preference) == \
        (10000, 19, 2 * 120 + 2 * 5, 60)
    assert s.cost == cost.total


def test_an_easy_week_is_solved_to_optimality() -> None:
    doctors = [doctor("D001", sessions=every_weekday()),
               doctor("D002", languages=["fr"], sessions=every_weekday("13:00", "16:00"))]
    convs = [convocation(f"C{i}", language="fr" if i % 3 == 0 else "nl",
                         priority=("high", "normal", "low")[i % 3],
                         duration_min=30 + 15 * (i % 3)) for i in range(9)]
    s = solve(week(doctors=doctors, convocations=convs))
    assert s.status is Status.OPTIMAL
    assert s.lower_bound == s.cost
    assert len(s.assignments) == 9


def test_overloaded_week_bound_and_cost() -> None:
    doctors = [doctor(sessions=[session(start="09:00", end="10:30")])]
    convs = [convocation(f"C{i}", priority=("high", "low")[i % 2]) for i in range(6)]
    s = solve(week(doctors=doctors, convocations=convs))
    assert len(s.assignments) == 3
    assert s.lower_bound is not None and s.lower_bound <= s.cost
    assert s.cost == 3 * 10000 + 3 * 20  # the three slots cost travel only


def test_an_empty_week() -> None:
    s = solve(week(convocations=[]))
    assert s.cost == 0
    assert s.assignments == s.unscheduled == ()


def test_progress_is_reported_with_a_cost() -> None:
    seen: list[Progress] = []
    result = run(week(), on_progress=seen.append)
    assert seen
    assert all(isinstance(p.cost, int) and p.elapsed >= 0 for p in seen)
    assert min(p.cost for p in seen) == result.schedule.cost
    assert result.first_feasible_seconds is not None
    assert result.first_feasible_seconds <= result.schedule.solve_seconds + 1e-6


def test_unservable_counts_convocations_no_session_can_serve() -> None:
    convs = [convocation("C0001"), convocation("C0002", language="de"),
             convocation("C0003", home_visit=True)]
    result = run(week(convocations=convs))
    assert result.unservable == 2


def test_the_instance_name_is_kept() -> None:
    assert solve(week(), instance="tiny.json").instance == "tiny.json"


# ---------------------------------------------------------------- the shared example


@needs_example
def test_the_shared_example_is_planned_without_violation() -> None:
    w = read_week(EXAMPLE_WEEK)
    s = solve(w, time_limit=5.0, instance=EXAMPLE_WEEK.name)
    assert s.assignments
    for u in s.unscheduled:
        words = u.reason.split()
        assert len(words) >= 5, u.reason
        assert u.reason[0].isalpha() and u.reason[0].islower(), u.reason


# ---------------------------------------------------------------- a demo week


def test_a_demo_week_beats_the_hand_plan() -> None:
    w = demo_week(200, 8, seed=5, week_start=date(2026, 12, 7))
    assert len(w.convocations) == 200
    result = run(w, time_limit=5.0)
    s = result.schedule
    assert s.solve_seconds < 10
    hand = plan_by_hand(w, resolve_travel(w))
    assert check_schedule(w, hand).ok
    assert s.cost <= hand.cost


# ---------------------------------------------------------------- once-known bugs

NORTH_OF_BRUSSELS = patient(BRUSSELS_LAT + 0.16, BRUSSELS_LON)
"""17.8 km from BRU: a 27-minute drive on a home round."""


def test_a_home_round_starting_off_the_grid_keeps_its_first_minutes() -> None:
    assert driving_min(BRUSSELS_LAT, BRUSSELS_LON, NORTH_OF_BRUSSELS["lat"],
                       NORTH_OF_BRUSSELS["lon"]) == 27
    doctors = [doctor(sessions=[home_session(start="13:01", end="13:46")])]
    conv = convocation(home_visit=True, patient=NORTH_OF_BRUSSELS, duration_min=15)
    s = solve(week(doctors=doctors, convocations=[conv]))
    assert by_conv(s)["C0001"].start == at(MONDAY, "13:30")  # the only legal start


def test_a_legal_fixed_home_visit_in_a_round_starting_off_the_grid() -> None:
    doctors = [doctor(sessions=[home_session(start="13:01", end="13:46")])]
    conv = convocation(home_visit=True, patient=NORTH_OF_BRUSSELS, duration_min=15,
                       fixed=fixed(centre=HOME, start=f"{MONDAY}T13:30"))
    s = solve(week(doctors=doctors, convocations=[conv]))
    assert by_conv(s)["C0001"].start == at(MONDAY, "13:30")


def _fixed_conflict_is_refused(w: Week) -> None:
    """Fixed assignments that cannot all hold: an input error, never a broken schedule."""
    try:
        result = plan_week(w, time_limit=TIME_LIMIT)
    except InputError as exc:
        assert all(".fixed" in p for p in exc.problems), exc.problems
        return
    report = check_schedule(w, result.schedule)
    assert report.ok, format_report(report)


def test_a_fixed_home_visit_before_the_drive_from_base_is_refused() -> None:
    doctors = [doctor(sessions=[home_session(start="13:00", end="16:00")])]
    conv = convocation(home_visit=True, patient=LEUVEN,
                       fixed=fixed(centre=HOME, start=f"{MONDAY}T13:00"))
    _fixed_conflict_is_refused(week(doctors=doctors, convocations=[conv]))


@pytest.mark.parametrize("case", ["doctor-overlap", "rooms", "max-exams-per-day"])
def test_fixed_assignments_that_cannot_all_hold_are_refused(case: str) -> None:
    first = fixed("D001", start=f"{MONDAY}T09:00")
    if case == "doctor-overlap":
        w = week(convocations=[convocation("C0001", fixed=first),
                               convocation("C0002", fixed=fixed(start=f"{MONDAY}T09:15"))])
    elif case == "rooms":
        w = week(centres=[centre(rooms=1)], doctors=[doctor("D001"), doctor("D002")],
                 convocations=[convocation("C0001", fixed=first),
                               convocation("C0002", fixed=fixed("D002",
                                                                start=f"{MONDAY}T09:00"))])
    else:
        w = week(doctors=[doctor(max_exams_per_day=1)],
                 convocations=[convocation("C0001", fixed=first),
                               convocation("C0002", fixed=fixed(start=f"{MONDAY}T10:00"))])
    _fixed_conflict_is_refused(w)


def test_a_patient_next_door_to_the_base_is_still_a_minute_away() -> None:
    next_door = patient(BRUSSELS_LAT, BRUSSELS_LON + 1e-12)
    assert driving_min(BRUSSELS_LAT, BRUSSELS_LON, next_door["lat"], next_door["lon"]) == 1
    doctors = [doctor(sessions=[home_session(start="13:00", end="13:45")])]
    conv = convocation(home_visit=True, patient=next_door, duration_min=15)
    a = by_conv(solve(week(doctors=doctors, convocations=[conv])))["C0001"]
    assert a.start >= at(MONDAY, "13:05")
