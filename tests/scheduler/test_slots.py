"""Offered slots: each one passes the independent checker, and each hard rule keeps out the
slots that would break it.

The checker is :func:`scheduler.moves.check_move` (on :func:`scheduler.validate.check_schedule`,
written from the specification alone): every slot that :func:`scheduler.slots.offered_slots`
returns, put into the week's schedule, must break no rule that held before.  On small
random weeks the agreement is checked both ways: every grid start the checker accepts is
offered (when the spread is lifted), and nothing else.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.demo import demo_week
from scheduler.domain import HOME, Assignment, Schedule, Status, Week
from scheduler.heuristic import plan_by_hand
from scheduler.moves import check_move
from scheduler.slots import (
    PER_SESSION,
    SPACING_MIN,
    Slot,
    check_slot,
    full_intervals,
    merge,
    need_from_week,
    offered_slots,
    subtract,
    supply_from_week,
)
from scheduler.travel import resolve_travel
from scheduler.validate import driving_min
from tests import factory as f

EARLY = datetime(2026, 12, 1, 8, 0)
"""Long before the factory's week: no slot is "too soon"."""
ALL: dict[str, Any] = {"limit": 10**6, "per_session": 10**6, "spacing_min": 0}
"""Every free start, not the spread-out few."""


def _schedule(*assignments: dict[str, Any], week: Week) -> Schedule:
    placed = {a["convocation"] for a in assignments}
    return f.plan(f.schedule(list(assignments), [f.unscheduled(c.id) for c in week.convocations
                                                 if c.id not in placed]))


def _slots(week: Week, schedule: Schedule, conv_id: str = "C0001", *,
           earliest: datetime = EARLY, **kw: Any) -> list[Slot]:
    conv = next(c for c in week.convocations if c.id == conv_id)
    travel = resolve_travel(week)[conv.id] if conv.travel_min is None else None
    need = need_from_week(conv, earliest, travel)
    return offered_slots(need, supply_from_week(week, schedule), **kw)


def _refusal(week: Week, schedule: Schedule, doctor: str, centre: str, start: str,
             conv_id: str = "C0001", earliest: datetime = EARLY) -> str | None:
    conv = next(c for c in week.convocations if c.id == conv_id)
    got = check_slot(need_from_week(conv, earliest), supply_from_week(week, schedule),
                     doctor, centre, datetime.fromisoformat(start))
    return None if got is None else got.rule


def _moved(conv_id: str, slot: Slot) -> Assignment:
    return Assignment(conv_id, slot.doctor, slot.centre, slot.start, slot.end, slot.travel_min)


def _assert_all_pass(week: Week, schedule: Schedule, conv_id: str, slots: list[Slot]) -> None:
    for slot in slots:
        verdict = check_move(week, schedule, _moved(conv_id, slot))
        assert verdict.ok, (conv_id, slot, verdict.refusal())


def _starts(slots: list[Slot]) -> list[str]:
    return [f"{s.start:%Y-%m-%dT%H:%M}" for s in slots]


# ------------------------------------------------------------------ interval helpers


def test_interval_helpers() -> None:
    assert merge([(5, 10), (0, 3), (2, 6), (20, 20)]) == [(0, 10)]
    assert subtract([(0, 100)], [(10, 20), (30, 40)]) == [(0, 10), (20, 30), (40, 100)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]
    assert subtract([(0, 10)], []) == [(0, 10)]
    # two rooms: full where two exams overlap; an end frees its room before a start
    assert full_intervals([(0, 30), (10, 40), (30, 50)], 2) == [(10, 40)]
    assert full_intervals([(0, 30), (30, 60)], 1) == [(0, 60)]
    assert full_intervals([(0, 30)], 2) == []


# ------------------------------------------------------------------ order, spread, filters


def _busy_week(**kw: Any) -> Week:
    sessions = [f.session(date=day, start="09:00", end="12:30") for day in
                (f.MONDAY, f.TUESDAY, f.WEDNESDAY)] + [
        f.session(date=f.THURSDAY, start="13:00", end="16:00")]
    doc = f.tiny_week(
        centres=[f.centre("BRU"), f.centre("GNT", lat=51.05, lon=3.72)],
        doctors=[f.doctor("D001", sessions), f.doctor("D002", [
            f.session("GNT", f.MONDAY, "09:00", "12:00"),
            f.session("GNT", f.TUESDAY, "13:00", "16:30")])],
        convocations=[f.convocation(travel_min={"BRU": 20, "GNT": 35}, **kw)])
    return f.week(doc)


def test_ranked_by_travel_then_how_soon_with_a_few_per_session() -> None:
    week = _busy_week()
    slots = _slots(week, _schedule(week=week))
    keys = [(s.travel_min, s.start, s.doctor, s.centre) for s in slots]
    assert keys == sorted(keys)
    assert [s.centre for s in slots[:12]] == ["BRU"] * 12 and slots[-1].centre == "GNT"
    per_session: dict[tuple[str, date], list[datetime]] = {}
    for s in slots:
        per_session.setdefault((s.doctor, s.start.date()), []).append(s.start)
    assert all(len(v) <= PER_SESSION for v in per_session.values())
    for starts in per_session.values():
        assert all(b - a >= timedelta(minutes=SPACING_MIN) for a, b in itertools.pairwise(starts))
    assert _starts(slots)[:3] == ["2026-12-07T09:00", "2026-12-07T10:00", "2026-12-07T11:00"]
    _assert_all_pass(week, _schedule(week=week), "C0001", slots)


def test_filters_centre_day_and_part_of_day() -> None:
    week = _busy_week()
    empty = _schedule(week=week)
    assert {s.centre for s in _slots(week, empty, centre="GNT")} == {"GNT"}
    assert {s.start.date() for s in _slots(week, empty, day=date(2026, 12, 8))} == {
        date(2026, 12, 8)}
    morning = _slots(week, empty, part="morning", **ALL)
    afternoon = _slots(week, empty, part="afternoon", **ALL)
    assert morning and all(s.start.time() < time(12) for s in morning)
    assert afternoon and all(s.start.time() >= time(12) for s in afternoon)
    assert _slots(week, empty, limit=2) == _slots(week, empty)[:2]
    assert _slots(week, empty, centre="NOWHERE") == []


def test_the_current_slot_is_not_offered_and_its_own_exam_does_not_block() -> None:
    week = _busy_week()
    mine = f.assignment(start=f"{f.MONDAY}T09:00")
    schedule = _schedule(mine, week=week)
    slots = _slots(week, schedule, exclude=[Slot("D001", "BRU", datetime(2026, 12, 7, 9),
                                                 datetime(2026, 12, 7, 9, 30), 20)])
    mine_only = [s for s in slots if s.doctor == "D001"]
    assert "2026-12-07T09:00" not in _starts(mine_only)
    assert "2026-12-07T09:05" in _starts(mine_only)  # its own exam does not block it


# ------------------------------------------------------------------ one rule at a time


def _one_session_week(conv: dict[str, Any] | None = None, *, doctor: dict[str, Any] | None = None,
                      centres: list[dict[str, Any]] | None = None, others: int = 0,
                      **week_kw: Any) -> Week:
    convs = [conv or f.convocation()] + [f.convocation(f"C9{i:03d}") for i in range(others)]
    return f.week(f.tiny_week(doctors=[doctor or f.doctor()], centres=centres or [f.centre()],
                              convocations=convs, **week_kw))


def test_language() -> None:
    week = _one_session_week(f.convocation(language="de"))
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU", "2026-12-07T09:00") == "language"


def test_specialty_and_general_is_every_doctors() -> None:
    week = _one_session_week(f.convocation(specialty="psychiatry"))
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU", "2026-12-07T09:00") == "specialty"
    week = _one_session_week(f.convocation(specialty="general"),
                             doctor=f.doctor(specialties=["orthopaedics"]))
    assert _slots(week, _schedule(week=week))


def test_release_and_deadline() -> None:
    week = _one_session_week(f.convocation(release=f.TUESDAY, deadline=f.FRIDAY))
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T09:00") == "date-window"


def test_weekend_closed_date_and_unavailable() -> None:
    saturday = f.doctor(sessions=[f.session(date=f.SATURDAY)])
    week = _one_session_week(f.convocation(deadline=f.SUNDAY), doctor=saturday, days=7)
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU", "2026-12-12T09:00") == "weekend"
    week = _one_session_week(closed_dates=[f.MONDAY])
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T09:00") == "closed-date"
    week = _one_session_week(f.convocation(unavailable=[f.MONDAY]))
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T09:00") == "unavailable"


def test_never_before_the_earliest_moment() -> None:
    week = _one_session_week()
    now = datetime(2026, 12, 7, 10, 2)
    slots = _slots(week, _schedule(week=week), earliest=now, **ALL)
    assert slots and min(s.start for s in slots) == datetime(2026, 12, 7, 10, 5)
    assert _refusal(week, _schedule(week=week), "D001", "BRU", "2026-12-07T10:00",
                    earliest=now) == "past"
    assert _slots(week, _schedule(week=week), earliest=datetime(2026, 12, 8)) == []


def test_inside_the_session_and_one_opening_interval() -> None:
    centre = f.centre(opening=[["08:30", "12:00"], ["13:00", "16:30"]])
    week = _one_session_week(centres=[centre], doctor=f.doctor(sessions=[f.session(
        start="08:30", end="14:00")]))
    # the database does not forbid a session wider than the opening hours
    wide = replace(week.doctors[0], sessions=(replace(week.doctors[0].sessions[0],
                                                      start=time(8, 0)),))
    week = replace(week, doctors=(wide,))
    slots = _slots(week, _schedule(week=week), **ALL)
    starts = [s.start.time() for s in slots]
    assert min(starts) == time(8, 30) and max(starts) == time(13, 30)
    assert time(11, 35) not in starts and time(11, 30) in starts  # no exam across the break
    _assert_all_pass(week, _schedule(week=week), "C0001", slots)
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T11:45") == "inside-session"
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T08:00") == "inside-session"
    assert _refusal(week, _schedule(week=week), "D001", "GNT",
                    "2026-12-07T09:00") == "inside-session"


def test_five_minute_grid() -> None:
    doctor = f.doctor(sessions=[f.session(start="09:02", end="12:30")])
    week = _one_session_week(doctor=doctor)
    slots = _slots(week, _schedule(week=week), **ALL)
    assert slots[0].start.time() == time(9, 5)
    assert all(s.start.minute % 5 == 0 for s in slots)
    assert _refusal(week, _schedule(week=week), "D001", "BRU", "2026-12-07T09:07") == "grid"


def test_no_overlap_with_the_doctors_exams() -> None:
    week = _one_session_week(others=1)
    schedule = _schedule(f.assignment("C9000", start=f"{f.MONDAY}T10:00"), week=week)
    starts = {s.start.time() for s in _slots(week, schedule, **ALL)}
    assert time(9, 30) in starts and time(10, 30) in starts
    assert not {time(9, 35), time(10, 0), time(10, 25)} & starts
    assert _refusal(week, schedule, "D001", "BRU", "2026-12-07T09:45") == "doctor-overlap"


def test_max_exams_per_day() -> None:
    week = _one_session_week(doctor=f.doctor(max_exams_per_day=1), others=1)
    schedule = _schedule(f.assignment("C9000", start=f"{f.MONDAY}T09:00"), week=week)
    assert _slots(week, schedule) == []
    assert _refusal(week, schedule, "D001", "BRU", "2026-12-07T11:00") == "max-exams-per-day"


def test_rooms_at_every_moment() -> None:
    doctors = [f.doctor("D001"), f.doctor("D002"), f.doctor("D003")]
    doc = f.tiny_week(centres=[f.centre(rooms=2)], doctors=doctors,
                      convocations=[f.convocation(), f.convocation("C9000"),
                                    f.convocation("C9001")])
    week = f.week(doc)
    schedule = _schedule(f.assignment("C9000", doctor="D002", start=f"{f.MONDAY}T09:00",
                                      duration_min=30),
                         f.assignment("C9001", doctor="D003", start=f"{f.MONDAY}T09:20",
                                      duration_min=30), week=week)
    starts = {s.start.time() for s in _slots(week, schedule, **ALL) if s.doctor == "D001"}
    # both rooms in use from 09:20 to 09:30
    assert time(9, 50) in starts and not {time(9, 0), time(9, 15), time(9, 25)} & starts
    assert _refusal(week, schedule, "D001", "BRU", "2026-12-07T09:00") == "rooms"
    _assert_all_pass(week, schedule, "C0001", _slots(week, schedule, **ALL))


def test_max_travel_and_unreachable_centres() -> None:
    week = _one_session_week(f.convocation(travel_min={"BRU": 95}))
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T09:00") == "max-travel"
    week = _one_session_week(f.convocation(travel_min={}))
    assert _slots(week, _schedule(week=week)) == []
    assert _refusal(week, _schedule(week=week), "D001", "BRU",
                    "2026-12-07T09:00") == "travel-known"


def _home_week(*, visit_at: str | None = None) -> tuple[Week, Schedule]:
    doctor = f.doctor(sessions=[f.session(), f.home_session(start="13:00", end="16:30")])
    other = f.convocation("C9000", home_visit=True, duration_min=30,
                          patient=f.patient(lat=50.85, lon=4.35))
    week = _one_session_week(f.convocation(home_visit=True, travel_min={}),
                             doctor=doctor) if visit_at is None else f.week(f.tiny_week(
        doctors=[doctor], convocations=[f.convocation(home_visit=True, travel_min={}),
                                        other]))
    placed = [] if visit_at is None else [f.assignment("C9000", centre="home",
                                                       start=visit_at, travel_min=0)]
    return week, _schedule(*placed, week=week)


def _grid_after(moment: datetime, minutes: int) -> datetime:
    return moment + timedelta(minutes=-(-minutes // 5) * 5)


def test_home_visits_only_in_home_rounds_and_only_for_home_visits() -> None:
    week, schedule = _home_week()
    slots = _slots(week, schedule, **ALL)
    assert slots and {s.centre for s in slots} == {HOME} and {s.travel_min for s in slots} == {0}
    # the first visit: the session's start plus the drive from the base, on the grid
    leg = driving_min(f.BRUSSELS_LAT, f.BRUSSELS_LON, 50.8798, 4.7005)
    assert slots[0].start == _grid_after(datetime(2026, 12, 7, 13, 0), leg)
    _assert_all_pass(week, schedule, "C0001", slots)
    assert _refusal(week, schedule, "D001", "BRU", "2026-12-07T09:00") == "home-visit"
    clinic = _one_session_week(doctor=f.doctor(sessions=[f.home_session()]))
    assert _slots(clinic, _schedule(week=clinic)) == []
    assert _refusal(clinic, _schedule(week=clinic), "D001", "home",
                    "2026-12-07T14:00") == "home-visit"


def test_home_round_keeps_the_driving_legs_to_the_neighbours() -> None:
    week, schedule = _home_week(visit_at=f"{f.MONDAY}T14:00")
    slots = _slots(week, schedule, **ALL)
    _assert_all_pass(week, schedule, "C0001", slots)
    between = driving_min(50.85, 4.35, 50.8798, 4.7005)
    # before the 14:00 visit: 13:00 + the drive from the base + 30 min + the drive on to
    # the next patient do not fit; after it: once the drive from there is done
    assert min(s.start for s in slots) == _grid_after(datetime(2026, 12, 7, 14, 30), between)
    assert _refusal(week, schedule, "D001", "home", "2026-12-07T13:30") == "home-driving-leg"


# ------------------------------------------------------------------ random weeks


def _random_week(rnd: random.Random) -> Week:
    centres = [f.centre("BRU", rooms=rnd.choice([1, 2]),
                        opening=rnd.choice([[["08:30", "16:30"]],
                                            [["08:30", "12:00"], ["13:00", "16:30"]]])),
               f.centre("GNT", lat=51.05, lon=3.72, rooms=rnd.choice([1, 2]))]
    days = [f.MONDAY, f.TUESDAY, f.WEDNESDAY, f.THURSDAY, f.FRIDAY]
    doctors = []
    for i in range(rnd.randint(1, 3)):
        sessions = []
        for day in rnd.sample(days, rnd.randint(1, 3)):
            kind = rnd.random()
            if kind < 0.25:
                sessions.append(f.home_session(rnd.choice(["BRU", "GNT"]), day, "13:00",
                                               "16:30"))
            else:
                sessions.append(f.session(rnd.choice(["BRU", "GNT"]), day,
                                          rnd.choice(["08:30", "09:00", "09:10"]),
                                          rnd.choice(["12:00", "12:30", "15:00"])))
        doctors.append(f.doctor(f"D{i:03d}", sessions,
                                languages=rnd.choice([["nl"], ["fr"], ["nl", "fr"]]),
                                specialties=rnd.choice([["general"], ["orthopaedics"]]),
                                max_exams_per_day=rnd.randint(2, 8)))
    convs = []
    for i in range(rnd.randint(3, 14)):
        lat, lon = 50.85 + rnd.uniform(-0.3, 0.3), 4.35 + rnd.uniform(-0.6, 0.4)
        convs.append(f.convocation(
            f"C{i:04d}", patient=f.patient(lat, lon, rnd.choice(["nl", "fr"])),
            duration_min=rnd.choice([20, 30, 45, 60]),
            specialty=rnd.choice(["general", "general", "orthopaedics"]),
            home_visit=rnd.random() < 0.2, release=rnd.choice(days[:3]),
            deadline=rnd.choice(days[2:]),
            unavailable=rnd.sample(days, rnd.randint(0, 1)),
            max_travel_min=rnd.choice([30, 60, 90]),
            travel_min={"BRU": rnd.randint(5, 80), "GNT": rnd.randint(5, 100)}))
    return f.week(f.tiny_week(centres=centres, doctors=doctors, convocations=convs,
                              closed_dates=rnd.sample(days, rnd.randint(0, 1))))


def _grid_candidates(week: Week, conv_id: str) -> list[Assignment]:
    conv = next(c for c in week.convocations if c.id == conv_id)
    out = []
    for doctor in week.doctors:
        for s in doctor.sessions:
            t = datetime.combine(s.day, s.start)
            t -= timedelta(minutes=t.minute % 5)
            while t + timedelta(minutes=conv.duration_min) <= s.end_at:
                travel = 0 if s.centre == HOME else (conv.travel_min or {}).get(s.centre, 0)
                out.append(Assignment(conv.id, doctor.id, s.centre, t,
                                      t + timedelta(minutes=conv.duration_min), travel))
                t += timedelta(minutes=5)
    return out


def _agree_both_ways(week: Week, schedule: Schedule, conv_id: str) -> int:
    offered = {(s.doctor, s.centre, s.start) for s in _slots(week, schedule, conv_id, **ALL)}
    accepted = {(a.doctor, a.centre, a.start) for a in _grid_candidates(week, conv_id)
                if check_move(week, schedule, a).ok}
    assert offered == accepted, (conv_id, sorted(offered ^ accepted)[:5])
    return len(offered)


@pytest.mark.parametrize("seed", range(6))
def test_rooms_are_decided_by_the_exams_overlapping_the_slot(seed: int) -> None:
    """What a booking's re-check reads of a centre (:func:`api.offers.day_supply` with
    ``around``): the centre's exams that overlap the slot, not the whole day's.  On a
    crowded morning (one or two rooms, four doctors, exams of every length at random
    times), every grid time of every doctor is decided alike."""
    rnd = random.Random(seed)
    others = [f"C{9000 + i}" for i in range(rnd.randint(5, 10))]
    doc = f.tiny_week(centres=[f.centre(rooms=rnd.choice([1, 2]))],
                      doctors=[f.doctor(f"D00{i}") for i in range(1, 5)],
                      convocations=[f.convocation()] + [f.convocation(c) for c in others])
    week = f.week(doc)
    schedule = _schedule(*(f.assignment(
        c, doctor=f"D00{rnd.randint(2, 4)}", duration_min=rnd.choice([20, 30, 45, 60]),
        start=f"{f.MONDAY}T{rnd.randint(9, 11):02d}:{rnd.randrange(0, 60, 5):02d}")
        for c in others), week=week)
    supply = supply_from_week(week, schedule)
    need = need_from_week(week.convocations[0], EARLY)
    rules: set[str | None] = set()
    for a in _grid_candidates(week, "C0001"):
        near = replace(supply, at_centre={
            centre: tuple(b for b in exams if b.start < a.end and a.start < b.end)
            for centre, exams in supply.at_centre.items()})
        got = check_slot(need, supply, a.doctor, a.centre, a.start)
        assert check_slot(need, near, a.doctor, a.centre, a.start) == got, a
        rules.add(None if got is None else got.rule)
    assert "rooms" in rules and len(rules) > 1, rules


@pytest.mark.parametrize("seed", range(12))
def test_random_weeks_offered_slots_are_exactly_what_the_checker_accepts(seed: int) -> None:
    rnd = random.Random(seed)
    week = _random_week(rnd)
    schedule = plan_by_hand(week, resolve_travel(week))
    convs = rnd.sample([c.id for c in week.convocations], min(3, len(week.convocations)))
    for conv_id in convs:
        _agree_both_ways(week, schedule, conv_id)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=100, max_value=10**6))
def test_property_every_offered_slot_passes_the_checker(seed: int) -> None:
    rnd = random.Random(seed)
    week = _random_week(rnd)
    schedule = plan_by_hand(week, resolve_travel(week))
    for conv in week.convocations:
        _assert_all_pass(week, schedule, conv.id, _slots(week, schedule, conv.id))


@pytest.mark.parametrize("seed", [1, 2])
def test_demo_weeks_every_offered_slot_passes_the_checker(seed: int) -> None:
    week = demo_week(150, 7, seed, week_start=date(2026, 12, 7))
    week = replace(week, convocations=tuple(replace(c, fixed=None) for c in week.convocations))
    schedule = plan_by_hand(week, resolve_travel(week))
    assert schedule.status in (Status.FEASIBLE, Status.OPTIMAL) and schedule.assignments
    rnd = random.Random(seed)
    checked = 0
    for conv in rnd.sample(list(week.convocations), 25):
        slots = _slots(week, schedule, conv.id, limit=8)
        _assert_all_pass(week, schedule, conv.id, slots)
        checked += len(slots)
    assert checked > 20
