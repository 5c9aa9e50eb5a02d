"""The exchange format: round trips, and a clear message naming the field for bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from scheduler.domain import HOME, Priority, Status
from scheduler.errors import InputError, WeekFormatError
from scheduler.week_format import (
    read_schedule,
    read_week,
    schedule_from_dict,
    schedule_to_dict,
    week_from_dict,
    week_to_dict,
    write_schedule,
    write_week,
)
from tests.factory import (
    EXAMPLE_WEEK,
    TUESDAY,
    assignment,
    centre,
    convocation,
    doctor,
    fixed,
    home_session,
    needs_example,
    patient,
    schedule,
    session,
    tiny_week,
    unscheduled,
    window,
)


def problems(doc: Any) -> list[str]:
    with pytest.raises(WeekFormatError) as info:
        week_from_dict(doc)
    return info.value.problems


def one_problem(doc: Any) -> str:
    found = problems(doc)
    assert len(found) == 1, found
    return found[0]


def _rich_week() -> dict[str, Any]:
    """A week using every field: two centres, a home round, preferences, a fixed exam."""
    return tiny_week(
        days=7, closed_dates=["2026-12-10"],
        weights={"unscheduled": 5000, "travel_minute": 2,
                 "wait_day": {"high": 100, "normal": 20, "low": 1}, "preference_miss": 40},
        centres=[centre("BRU"), centre("GNT", lat=51.0359, lon=3.7107, rooms=1,
                                       opening=[["08:30", "12:00"], ["13:00", "16:30"]])],
        doctors=[doctor("D001", sessions=[session(), home_session(date=TUESDAY)]),
                 doctor("D002", languages=["de"], specialties=["psychiatry"],
                        max_exams_per_day=4, sessions=[session("GNT", start="13:00",
                                                               end="16:00")])],
        convocations=[
            convocation("C0001", priority="high", unavailable=["2026-12-08"],
                        preferred=[window()], travel_min={"BRU": 20, "GNT": 55},
                        fixed=fixed("D001", "BRU", "2026-12-07T09:00")),
            convocation("C0002", home_visit=True, patient=patient(50.9, 4.4, "fr"),
                        travel_min=None, max_travel_min=120, injury="fracture"),
            convocation("C0003", priority="low", specialty="psychiatry", language="de",
                        duration_min=60, deadline="2026-12-13"),
        ])


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("doc", [tiny_week(), _rich_week()], ids=["tiny", "rich"])
def test_round_trip_of_a_week(doc: dict[str, Any]) -> None:
    week = week_from_dict(doc)
    again = week_from_dict(week_to_dict(week))
    assert again == week
    assert week_to_dict(again) == week_to_dict(week)


def test_round_trip_through_json_text(tmp_path: Path) -> None:
    week = week_from_dict(_rich_week())
    path = tmp_path / "week.json"
    write_week(week, path)
    assert read_week(path) == week
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "medex-week/1"


@needs_example
def test_the_shared_example_reads_and_round_trips(tmp_path: Path) -> None:
    week = read_week(EXAMPLE_WEEK)
    assert week.week_start.isoformat() == "2026-12-21"
    assert len(week.centres) == 6 and len(week.doctors) == 6 and len(week.convocations) == 24
    fixed_one = next(c for c in week.convocations if c.id == "C00016")
    assert fixed_one.fixed is not None
    assert fixed_one.fixed.start == datetime(2026, 12, 23, 8, 30)
    path = tmp_path / "again.json"
    write_week(week, path)
    assert read_week(path) == week


def test_reading_keeps_the_fields() -> None:
    week = week_from_dict(_rich_week())
    assert week.weights.wait_day[Priority.LOW] == 1
    d1 = week.doctors[0]
    assert [s.centre for s in d1.sessions] == ["BRU", HOME]
    assert d1.sessions[1].base == "BRU"
    c2 = week.convocations[1]
    assert c2.home_visit and c2.travel_min is None and c2.patient.language == "fr"
    assert week.centre("GNT").opening[1][0].hour == 13


def test_defaults_of_optional_fields() -> None:
    doc = tiny_week()
    del doc["weights"], doc["days"], doc["closed_dates"]
    for key in ("priority", "specialty", "home_visit", "unavailable", "preferred",
                "max_travel_min", "travel_min", "fixed", "injury"):
        del doc["convocations"][0][key]
    week = week_from_dict(doc)
    assert week.days == 5 and week.weights.unscheduled == 10000
    c = week.convocations[0]
    assert c.priority is Priority.NORMAL and c.specialty == "general" and not c.home_visit
    assert c.max_travel_min == 90 and c.travel_min is None and c.fixed is None


def test_round_trip_of_a_schedule(tmp_path: Path) -> None:
    doc = schedule(
        [assignment(), assignment("C0002", centre="home", start="2026-12-08T13:20",
                                  duration_min=45, travel_min=0)],
        [unscheduled("C0003", "no doctor speaks 'de'")],
        status="OPTIMAL", cost=12345, lower_bound=12001, solve_seconds=3.2)
    plan = schedule_from_dict(doc)
    assert plan.status is Status.OPTIMAL and plan.lower_bound == 12001
    assert plan.assignments[0].start == datetime(2026, 12, 7, 9, 0)
    assert schedule_from_dict(schedule_to_dict(plan)) == plan
    assert schedule_to_dict(plan)["assignments"][0]["start"] == "2026-12-07T09:00:00+01:00"
    path = tmp_path / "schedule.json"
    write_schedule(plan, path)
    assert read_schedule(path) == plan


def test_schedule_times_with_another_offset_become_brussels_time() -> None:
    doc = schedule([assignment()])
    doc["assignments"][0]["start"] = "2026-12-07T08:00:00+00:00"
    doc["assignments"][0]["end"] = "2026-12-07T08:30:00Z"
    a = schedule_from_dict(doc).assignments[0]
    assert (a.start, a.end) == (datetime(2026, 12, 7, 9, 0), datetime(2026, 12, 7, 9, 30))


def test_summer_time_offset_is_written() -> None:
    doc = schedule([assignment(start="2026-06-08T09:00")])
    assert doc["assignments"][0]["start"] == "2026-06-08T09:00:00+02:00"
    plan = schedule_from_dict(doc)
    assert schedule_to_dict(plan)["assignments"][0]["start"] == "2026-06-08T09:00:00+02:00"


# ---------------------------------------------------------------- invalid input


def test_problems_are_input_errors() -> None:
    with pytest.raises(InputError):
        week_from_dict(tiny_week(week_start="2026-12-08"))


def test_unknown_centre_in_a_session() -> None:
    doc = tiny_week(doctors=[doctor(sessions=[session("XXX")])])
    msg = one_problem(doc)
    assert msg.startswith("doctors[0] (D001).sessions[0].centre:")
    assert "unknown centre 'XXX'" in msg


def test_unknown_base_of_a_home_session() -> None:
    doc = tiny_week(doctors=[doctor(sessions=[home_session(base="XXX")])])
    assert one_problem(doc).startswith("doctors[0] (D001).sessions[0].base: unknown centre")


def test_home_session_needs_a_base() -> None:
    s = home_session()
    del s["base"]
    msg = one_problem(tiny_week(doctors=[doctor(sessions=[s])]))
    assert msg == "doctors[0] (D001).sessions[0].base: is missing"


def test_session_outside_the_opening_hours() -> None:
    doc = tiny_week(doctors=[doctor(sessions=[session(start="07:30", end="12:00")])])
    msg = one_problem(doc)
    assert msg.startswith("doctors[0] (D001).sessions[0]:")
    assert "07:30-12:00" in msg and "opening hours of BRU" in msg and "08:30-16:30" in msg


def test_session_ending_after_closing_time() -> None:
    doc = tiny_week(doctors=[doctor(sessions=[session(start="13:00", end="17:00")])])
    assert "opening hours" in one_problem(doc)


def test_overlapping_sessions() -> None:
    doc = tiny_week(doctors=[doctor(sessions=[session(), session(start="12:00", end="14:00")])])
    assert one_problem(doc).startswith("doctors[0] (D001).sessions: sessions on 2026-12-07 overlap")


def test_deadline_before_release() -> None:
    doc = tiny_week(convocations=[convocation(release="2026-12-09", deadline="2026-12-08")])
    msg = one_problem(doc)
    assert msg.startswith("convocations[0] (C0001).deadline:")
    assert "2026-12-08 is before the release date 2026-12-09" in msg


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "2026-02-30", "07/12/2026", 20261207])
def test_bad_dates(bad: Any) -> None:
    msg = one_problem(tiny_week(convocations=[convocation(release=bad)]))
    assert msg.startswith("convocations[0] (C0001).release:")
    assert "expected a date YYYY-MM-DD" in msg and repr(bad) in msg


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow"])
def test_bad_week_start(bad: str) -> None:
    msg = one_problem(tiny_week(week_start=bad))
    assert msg == f"week_start: expected a date YYYY-MM-DD, got {bad!r}"


def test_bad_session_date_and_time() -> None:
    found = problems(tiny_week(doctors=[doctor(sessions=[session(date="tomorrow",
                                                                 start="9h")])]))
    assert any(p.startswith("doctors[0] (D001).sessions[0].date:") for p in found)
    assert any(p.startswith("doctors[0] (D001).sessions[0].start:") and "HH:MM" in p
               for p in found)


def test_bad_closed_date() -> None:
    msg = one_problem(tiny_week(closed_dates=["2026-12-25", "Christmas"]))
    assert msg.startswith("closed_dates[1]:")


@pytest.mark.parametrize("tag", ["medex-week/2", "medex-schedule/1", None])
def test_wrong_format_tag(tag: Any) -> None:
    doc = tiny_week(format=tag)
    msg = one_problem(doc)
    assert msg.startswith("format:") and "'medex-week/1'" in msg and repr(tag) in msg


def test_missing_format_tag() -> None:
    doc = tiny_week()
    del doc["format"]
    assert one_problem(doc) == "format: expected 'medex-week/1', got None"


def test_wrong_schedule_format_tag() -> None:
    with pytest.raises(WeekFormatError) as info:
        schedule_from_dict(schedule(format="medex-week/1"))
    assert info.value.problems[0].startswith("format: expected 'medex-schedule/1'")


def test_week_start_not_a_monday() -> None:
    doc = tiny_week(week_start="2026-12-08", doctors=[doctor(sessions=[session(date=TUESDAY)])])
    assert one_problem(doc) == "week_start: 2026-12-08 is a Tuesday, not a Monday"


def test_session_outside_the_planning_week() -> None:
    doc = tiny_week(days=1, doctors=[doctor(sessions=[session(date=TUESDAY)])])
    assert one_problem(doc) == ("doctors[0] (D001).sessions[0].date: 2026-12-08 is outside "
                                "the planning week 2026-12-07..2026-12-07")


def test_days_out_of_range() -> None:
    assert one_problem(tiny_week(days=15)) == "days: must be at most 14, got 15"


def test_missing_week_start() -> None:
    doc = tiny_week()
    del doc["week_start"]
    assert one_problem(doc) == "week_start: is missing"


def test_non_json_text(tmp_path: Path) -> None:
    path = tmp_path / "week.json"
    path.write_text("{\"format\": \"medex-week/1\",\n  oops}", encoding="utf-8")
    with pytest.raises(WeekFormatError) as info:
        read_week(path)
    (msg,) = info.value.problems
    assert str(path) in msg and "not valid JSON" in msg and "line 2" in msg


def test_non_json_schedule(tmp_path: Path) -> None:
    path = tmp_path / "schedule.json"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(WeekFormatError) as info:
        read_schedule(path)
    assert "not valid JSON" in info.value.problems[0]


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(WeekFormatError) as info:
        read_week(tmp_path / "absent.json")
    assert "absent.json: cannot be read" in info.value.problems[0]


def test_not_an_object() -> None:
    assert one_problem([1, 2]) == "document: expected a JSON object"


@pytest.mark.parametrize(("field", "items", "label"), [
    ("centres", [centre("BRU"), centre("BRU")], "centres"),
    ("doctors", [doctor("D001"), doctor("D001")], "doctors"),
    ("convocations", [convocation("C0001"), convocation("C0001")], "convocations"),
])
def test_duplicate_ids(field: str, items: list[dict[str, Any]], label: str) -> None:
    msg = one_problem(tiny_week(**{field: items}))
    assert msg.startswith(f"{label}:") and "'" in msg and "more than once" in msg


def test_fixed_naming_an_unknown_doctor() -> None:
    doc = tiny_week(convocations=[convocation(fixed=fixed(doctor="D999"))])
    assert one_problem(doc) == "convocations[0] (C0001).fixed.doctor: unknown doctor 'D999'"


def test_fixed_naming_an_unknown_centre() -> None:
    doc = tiny_week(convocations=[convocation(fixed=fixed(centre="XXX"))])
    assert one_problem(doc) == "convocations[0] (C0001).fixed.centre: unknown centre 'XXX'"


def test_bad_fixed_start() -> None:
    doc = tiny_week(convocations=[convocation(fixed=fixed(start="monday morning"))])
    assert one_problem(doc).startswith("convocations[0] (C0001).fixed.start: expected a date-time")


@pytest.mark.parametrize(("overrides", "where"), [
    ({"language": "es"}, "patient.language"),
    ({"priority": "urgent"}, "priority"),
    ({"duration_min": 0}, "duration_min"),
    ({"duration_min": "30"}, "duration_min"),
    ({"home_visit": "yes"}, "home_visit"),
    ({"travel_min": {"XXX": 3}}, "travel_min.XXX"),
    ({"travel_min": {"BRU": -3}}, "travel_min.BRU"),
    ({"preferred": [window(start="12:00", end="09:00")]}, "preferred[0]"),
    ({"unavailable": ["soon"]}, "unavailable[0]"),
    ({"patient": patient(lat=95.0)}, "patient.lat"),
])
def test_bad_convocation_fields(overrides: dict[str, Any], where: str) -> None:
    msg = one_problem(tiny_week(convocations=[convocation(**overrides)]))
    assert msg.startswith(f"convocations[0] (C0001).{where}:"), msg


@pytest.mark.parametrize(("overrides", "where"), [
    ({"rooms": 0}, "rooms"),
    ({"opening": [["16:30", "08:30"]]}, "opening[0]"),
    ({"id": "home"}, "id"),
    ({"lat": "north"}, "lat"),
])
def test_bad_centre_fields(overrides: dict[str, Any], where: str) -> None:
    doc = tiny_week(centres=[centre(**overrides)], doctors=[doctor(sessions=[])],
                    convocations=[convocation(travel_min=None)])
    found = problems(doc)
    assert any(p.startswith("centres[0]") and f".{where}:" in p for p in found), found


def test_bad_doctor_fields() -> None:
    doc = tiny_week(doctors=[doctor(languages=["xx"], max_exams_per_day=0)])
    found = problems(doc)
    assert "doctors[0] (D001).languages[0]: unknown language 'xx' (nl, fr, de or en)" in found
    assert "doctors[0] (D001).max_exams_per_day: must be at least 1, got 0" in found


def test_bad_weights() -> None:
    msg = one_problem(tiny_week(weights={"wait_day": {"urgent": 3}}))
    assert msg.startswith("weights.wait_day.urgent:")


def test_several_problems_are_all_reported_at_once() -> None:
    doc = tiny_week(
        week_start="2026-12-08",
        centres=[centre("BRU"), centre("GNT")],
        doctors=[doctor("D001", sessions=[session("XXX"), session(start="07:00", end="08:00")]),
                 doctor("D001")],
        convocations=[
            convocation("C0001", release="2026-13-01"),
            convocation("C0002", release="2026-12-09", deadline="2026-12-08"),
            convocation("C0003", fixed=fixed(doctor="D999")),
        ])
    found = problems(doc)
    expected = [
        "week_start: 2026-12-08 is a Tuesday",
        "doctors[0] (D001).sessions[0].centre: unknown centre 'XXX'",
        "doctors[0] (D001).sessions[1]: 07:00-08:00 lies outside the opening hours of BRU",
        "doctors: id 'D001' is used more than once",
        "convocations[0] (C0001).release: expected a date YYYY-MM-DD, got '2026-13-01'",
        "convocations[1] (C0002).deadline: 2026-12-08 is before the release date 2026-12-09",
        "convocations[2] (C0003).fixed.doctor: unknown doctor 'D999'",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert str(WeekFormatError(found)).count("; ") == len(found) - 1


def test_schedule_problems_name_the_field() -> None:
    doc = schedule([assignment()], status="DONE")
    doc["assignments"][0]["start"] = "9 o'clock"
    doc["assignments"][0]["travel_min"] = -1
    with pytest.raises(WeekFormatError) as info:
        schedule_from_dict(doc)
    found = info.value.problems
    assert any(p.startswith("status: expected one of OPTIMAL") for p in found)
    assert any(p.startswith("assignments[0].start: expected a date-time") for p in found)
    assert any(p.startswith("assignments[0].travel_min: must be at least 0") for p in found)
