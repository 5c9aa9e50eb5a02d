"""The hand-planning baseline: feasible by the independent checker, and planner-like."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.domain import HOME, Schedule, Status, Week
from scheduler.eligibility import drive_minutes
from scheduler.heuristic import plan_by_hand
from scheduler.travel import resolve_travel
from scheduler.validate import check_schedule
from tests.factory import (
    FRIDAY,
    MONDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    centre,
    convocation,
    doctor,
    fixed,
    home_session,
    patient,
    session,
    week,
)


def _plan(w: Week) -> Schedule:
    schedule = plan_by_hand(w, resolve_travel(w))
    report = check_schedule(w, schedule)
    assert report.ok, [v.message for v in report.violations]
    assert schedule.cost == report.cost.total
    assert schedule.status is Status.FEASIBLE
    assert schedule.lower_bound is None
    return schedule


def _by_conv(schedule: Schedule) -> dict[str, tuple[str, str, datetime]]:
    return {a.convocation: (a.doctor, a.centre, a.start) for a in schedule.assignments}


def test_first_free_slot_on_the_first_day() -> None:
    s = _plan(week())
    assert _by_conv(s) == {"C0001": ("D001", "BRU", datetime(2026, 12, 7, 9, 0))}
    assert s.cost == 20  # travel only, no waiting


def test_earliest_deadline_gets_the_only_slot() -> None:
    w = week(doctors=[doctor(sessions=[session(start="09:00", end="09:30")])],
             convocations=[convocation("C0001", deadline=FRIDAY),
                           convocation("C0002", deadline=MONDAY)])
    s = _plan(w)
    assert set(_by_conv(s)) == {"C0002"}
    assert [u.convocation for u in s.unscheduled] == ["C0001"]
    assert "full" in s.unscheduled[0].reason


def test_priority_breaks_a_deadline_tie() -> None:
    w = week(doctors=[doctor(sessions=[session(start="09:00", end="09:30")])],
             convocations=[convocation("C0001", priority="low"),
                           convocation("C0002", priority="high")])
    assert set(_by_conv(_plan(w))) == {"C0002"}


def test_nearest_centre_then_the_next_when_full() -> None:
    centres = [centre("BRU"), centre("LEU", lat=50.8823, lon=4.7159)]
    doctors = [doctor("D001", sessions=[session("BRU", start="09:00", end="09:30")]),
               doctor("D002", sessions=[session("LEU", start="09:00", end="12:00")])]
    convs = [convocation("C0001", travel_min={"BRU": 50, "LEU": 15}, deadline=MONDAY),
             convocation("C0002", travel_min={"BRU": 15, "LEU": 50}, deadline=MONDAY),
             convocation("C0003", travel_min={"BRU": 10, "LEU": 60})]
    got = _by_conv(_plan(week(centres=centres, doctors=doctors, convocations=convs)))
    assert got["C0001"][1] == "LEU"
    assert got["C0002"][1] == "BRU"
    assert got["C0003"][1] == "LEU"  # BRU's only slot is taken


def test_the_earliest_day_wins_over_a_later_day_at_the_same_centre() -> None:
    doctors = [doctor("D001", sessions=[session(date=WEDNESDAY, start="09:00", end="12:00")]),
               doctor("D002", sessions=[session(date=TUESDAY, start="11:00", end="12:00")])]
    got = _by_conv(_plan(week(doctors=doctors)))
    assert got["C0001"] == ("D002", "BRU", datetime(2026, 12, 8, 11, 0))


def test_one_room_serialises_two_doctors() -> None:
    doctors = [doctor("D001"), doctor("D002")]
    convs = [convocation("C0001"), convocation("C0002")]
    w = week(centres=[centre(rooms=1)], doctors=doctors, convocations=convs)
    starts = sorted(a.start for a in _plan(w).assignments)
    assert starts == [datetime(2026, 12, 7, 9, 0), datetime(2026, 12, 7, 9, 30)]


def test_max_exams_per_day_moves_the_second_to_another_day() -> None:
    doctors = [doctor(max_exams_per_day=1,
                      sessions=[session(date=MONDAY), session(date=TUESDAY)])]
    convs = [convocation("C0001"), convocation("C0002")]
    s = _plan(week(doctors=doctors, convocations=convs))
    assert sorted(a.start.date().isoformat() for a in s.assignments) == [MONDAY, TUESDAY]


def test_dates_respect_release_closed_dates_and_unavailability() -> None:
    doctors = [doctor(sessions=[session(date=d) for d in (MONDAY, TUESDAY, WEDNESDAY,
                                                          THURSDAY, FRIDAY)])]
    convs = [convocation("C0001", release=TUESDAY, unavailable=[WEDNESDAY]),
             convocation("C0002", release=TUESDAY, unavailable=[TUESDAY])]
    w = week(doctors=doctors, convocations=convs, closed_dates=[TUESDAY])
    got = _by_conv(_plan(w))
    assert got["C0001"][2].date().isoformat() == THURSDAY
    assert got["C0002"][2].date().isoformat() == WEDNESDAY


def test_exams_avoid_a_break_in_the_opening_hours() -> None:
    w = week(centres=[centre(opening=[["08:30", "12:00"], ["13:00", "16:30"]])],
             doctors=[doctor(sessions=[session(start="11:00", end="14:00")])],
             convocations=[convocation("C0001", duration_min=45),
                           convocation("C0002", duration_min=45)])
    starts = sorted(a.start.time().isoformat("minutes") for a in _plan(w).assignments)
    assert starts == ["11:00", "13:00"]


LEUVEN = (50.8798, 4.7005)
MECHELEN = (51.0259, 4.4776)


def test_home_round_drives_from_the_base_and_between_patients() -> None:
    doctors = [doctor(sessions=[home_session(start="13:00", end="16:00")])]
    convs = [convocation("C0001", home_visit=True, patient=patient(*LEUVEN)),
             convocation("C0002", home_visit=True, patient=patient(*MECHELEN))]
    w = week(doctors=doctors, convocations=convs)
    s = _plan(w)
    got = _by_conv(s)
    assert {v[1] for v in got.values()} == {HOME}
    base = w.centre("BRU")
    first_leg = drive_minutes(base.lat, base.lon, *LEUVEN)
    first = got["C0001"][2]
    assert (first.hour * 60 + first.minute) >= 13 * 60 + first_leg
    second = got["C0002"][2]
    gap = (second - first).total_seconds() / 60 - 30
    assert gap >= drive_minutes(*LEUVEN, *MECHELEN)
    assert all(a.travel_min == 0 for a in s.assignments)


def test_home_visits_only_in_home_rounds_and_back() -> None:
    doctors = [doctor(sessions=[session(), home_session()])]
    convs = [convocation("C0001", home_visit=True), convocation("C0002")]
    got = _by_conv(_plan(week(doctors=doctors, convocations=convs)))
    assert got["C0001"][1] == HOME
    assert got["C0002"][1] == "BRU"


def test_fixed_convocations_keep_their_slot_and_others_fit_around() -> None:
    convs = [convocation("C0001"),
             convocation("C0002", fixed=fixed(start=f"{MONDAY}T09:00"))]
    got = _by_conv(_plan(week(convocations=convs)))
    assert got["C0002"] == ("D001", "BRU", datetime(2026, 12, 7, 9, 0))
    assert got["C0001"][2] == datetime(2026, 12, 7, 9, 30)


def test_fixed_home_visit_and_a_free_one_before_it() -> None:
    doctors = [doctor(sessions=[home_session(start="13:00", end="16:00")])]
    convs = [convocation("C0001", home_visit=True, patient=patient(*LEUVEN)),
             convocation("C0002", home_visit=True, patient=patient(*LEUVEN),
                         fixed=fixed(centre=HOME, start=f"{MONDAY}T15:00"))]
    got = _by_conv(_plan(week(doctors=doctors, convocations=convs)))
    assert got["C0002"][2] == datetime(2026, 12, 7, 15, 0)
    assert got["C0001"][2] < got["C0002"][2]


def test_a_fixed_slot_outside_every_session_is_reported() -> None:
    convs = [convocation("C0001", fixed=fixed(start=f"{MONDAY}T14:00"))]
    w = week(convocations=convs)
    s = plan_by_hand(w, resolve_travel(w))
    assert not s.assignments
    assert "fixed" in s.unscheduled[0].reason


@pytest.mark.parametrize(("overrides", "words"), [
    ({"language": "de"}, "speaking 'de'"),
    ({"specialty": "psychiatry"}, "psychiatry"),
    ({"travel_min": {"BRU": 120}}, "within 90 min"),
    ({"travel_min": {}}, "within 90 min"),
    ({"unavailable": [MONDAY]}, "can come"),
    ({"duration_min": 240}, "long enough"),
    ({"home_visit": True}, "no home round"),
])
def test_unservable_convocations_say_why(overrides: dict[str, object], words: str) -> None:
    w = week(convocations=[convocation("C0001", **overrides)])
    s = plan_by_hand(w, resolve_travel(w))
    assert not s.assignments
    assert words in s.unscheduled[0].reason
    assert check_schedule(w, s).ok
    assert s.cost == 10000


def test_every_convocation_once_on_a_crowded_week() -> None:
    doctors = [doctor(f"D{i:03d}", max_exams_per_day=5,
                      sessions=[session(date=d, start="08:30", end="12:30")
                                for d in (MONDAY, TUESDAY, WEDNESDAY)])
               for i in range(1, 4)]
    convs = [convocation(f"C{i:04d}", duration_min=(30, 45, 60)[i % 3],
                         priority=("high", "normal", "low")[i % 3],
                         deadline=(TUESDAY, THURSDAY, FRIDAY)[i % 3])
             for i in range(1, 61)]
    w = week(centres=[centre(rooms=2)], doctors=doctors, convocations=convs)
    s = _plan(w)
    assert len(s.assignments) + len(s.unscheduled) == 60
    per_day: dict[str, int] = {}
    for a in s.assignments:
        day = a.start.date().isoformat()
        per_day[day] = per_day.get(day, 0) + int((a.end - a.start).total_seconds() // 60)
    assert set(per_day) == {MONDAY, TUESDAY, WEDNESDAY}
    assert all(minutes <= 2 * 240 for minutes in per_day.values())  # two rooms
    assert len(s.assignments) <= 3 * 3 * 5  # max exams per day
    assert all("full" in u.reason for u in s.unscheduled)


@pytest.mark.parametrize(("convocations", "doctors", "seed", "monday"), [
    (300, 12, 1, "2026-12-07"),
    (600, 24, 2, "2026-12-21"),   # Christmas week: a closed Friday
    (1500, 60, 3, "2027-03-29"),  # Easter Monday closed
])
def test_demo_weeks_pass_the_checker(convocations: int, doctors: int, seed: int,
                                     monday: str) -> None:
    from datetime import date

    from scheduler.demo import demo_week

    w = demo_week(convocations, doctors, seed, week_start=date.fromisoformat(monday))
    s = _plan(w)
    assert len(s.assignments) + len(s.unscheduled) == convocations
    assert len(s.unscheduled) < 0.15 * convocations
    fixed = {c.id: c.fixed for c in w.convocations if c.fixed is not None}
    for a in s.assignments:
        f = fixed.get(a.convocation)
        if f is not None:
            assert (a.doctor, a.centre, a.start) == (f.doctor, f.centre, f.start)
    assert all(u.convocation not in fixed for u in s.unscheduled)
    assert plan_by_hand(w, resolve_travel(w)).assignments == s.assignments  # deterministic
