"""Re-planning published appointments: kept where possible, moves reported with a reason."""

from __future__ import annotations

import dataclasses

from scheduler.domain import Week
from scheduler.plan import plan_week
from scheduler.validate import check_schedule
from tests.factory import MONDAY, TUESDAY, convocation, doctor, session, tiny_week, week


def _week() -> Week:
    return week(tiny_week(
        doctors=[doctor("D001", sessions=[session(date=MONDAY), session(date=TUESDAY)]),
                 doctor("D002", sessions=[session(date=MONDAY, start="13:00", end="16:00"),
                                          session(date=TUESDAY)])],
        convocations=[convocation(f"C{i:04d}", duration_min=30) for i in range(8)]))


def test_replan_after_an_absence_moves_only_the_absent_doctors_exams() -> None:
    first = plan_week(_week(), time_limit=3).schedule
    assert not first.unscheduled
    previous = {a.convocation: a for a in first.assignments}
    absent = _week()
    absent = dataclasses.replace(absent, doctors=tuple(
        dataclasses.replace(d, sessions=()) if d.id == "D001" else d for d in absent.doctors))
    result = plan_week(absent, time_limit=3, previous=previous, change_penalty=1000)
    report = check_schedule(absent, result.schedule)
    assert report.ok, report.violations
    assert result.schedule.cost == report.cost.total
    moved = {m.convocation for m in result.moves}
    on_d001 = {a.convocation for a in first.assignments if a.doctor == "D001"}
    assert on_d001 <= moved
    # the penalty keeps every appointment of D002 where it was
    assert moved == on_d001
    assert all("D001 no longer has a session" in m.reason for m in result.moves)
    after = {a.convocation: a for a in result.schedule.assignments}
    for conv in set(previous) - on_d001:
        assert (after[conv].doctor, after[conv].start) == (previous[conv].doctor,
                                                          previous[conv].start)


def test_replan_without_changes_keeps_everything() -> None:
    first = plan_week(_week(), time_limit=3).schedule
    previous = {a.convocation: a for a in first.assignments}
    again = plan_week(_week(), time_limit=3, previous=previous, change_penalty=1000)
    assert again.moves == ()
    assert again.schedule.cost == first.cost
    assert check_schedule(_week(), again.schedule).ok
