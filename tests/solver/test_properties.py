"""Properties on random tiny weeks: every plan passes the independent checker.

A hypothesis strategy draws whole ``medex-week/1`` documents: 1-3 centres with 1-2 rooms
(some closed over lunch), 1-4 doctors with random languages, specialties, daily limits and
sessions inside the opening hours (some starting off the 5-minute grid, some home rounds
from a base centre, some on a weekend), and 1-12 convocations with random durations,
priorities, dates, unavailable days, preferred windows, travel times and home visits, at
most one of them fixed where a doctor can legally serve it.  For every week:

* ``plan_week`` returns a schedule with no violation, the cost the checker recomputes,
  a lower bound no higher than the cost, and every convocation exactly once;
* the problem it solves treats segments alike in centre, day and hours alike (the solver
  merges them for its bound);
* the exchange format reads back what it wrote.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.domain import Week
from scheduler.eligibility import drive_minutes
from scheduler.plan import build_problem, plan_week
from scheduler.validate import check_schedule, format_report
from scheduler.week_format import week_from_dict, week_to_dict
from solver.week_model import GRID

WEEK_START = date(2026, 12, 7)
LANGUAGES = ["nl", "fr", "de", "en"]
SPECIALTIES = ["orthopaedics", "neurology", "psychiatry"]
OPENINGS = [[("08:30", "16:30")], [("08:00", "12:00"), ("13:00", "17:00")],
            [("09:00", "12:30")]]
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minute(hm: str) -> int:
    h, m = hm.split(":")
    return int(h) * 60 + int(m)


def _day(offset: int) -> str:
    return (WEEK_START + timedelta(days=offset)).isoformat()


@st.composite
def _span(draw: st.DrawFn, lo: int, hi: int, shortest: int = 20) -> tuple[int, int] | None:
    """``lo <= a < b <= hi`` with ``b - a >= shortest``, to the minute; ``None`` if too small."""
    if hi - lo < shortest:
        return None
    a = draw(st.integers(lo, hi - shortest))
    b = draw(st.integers(a + shortest, hi))
    return a, b


@st.composite
def weeks(draw: st.DrawFn) -> dict[str, Any]:
    """A valid ``medex-week/1`` document of a tiny week."""
    days = draw(st.sampled_from([5, 5, 7]))
    closed = draw(st.lists(st.integers(0, days - 1), max_size=1, unique=True))
    centres: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 3))):
        opening = draw(st.sampled_from(OPENINGS))
        centres.append({
            "id": f"K{i}", "name": f"Centre {i}",
            "lat": round(draw(st.floats(50.3, 51.2)), 4),
            "lon": round(draw(st.floats(3.5, 5.5)), 4),
            "rooms": draw(st.integers(1, 2)), "opening": [list(x) for x in opening]})
    ids = [c["id"] for c in centres]
    doctors: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 4))):
        sessions: list[dict[str, Any]] = []
        for d in draw(st.lists(st.integers(0, days - 1), min_size=2, max_size=5, unique=True)):
            # one or two sessions a day, split at noon so that they never overlap
            for part in draw(st.sampled_from([["am"], ["pm"], ["am", "pm"]])):
                home = draw(st.integers(0, 4)) == 0
                if home:
                    lo, hi = (480, 720) if part == "am" else (720, 1080)
                    span = draw(_span(lo, hi, 45))
                    if span:
                        sessions.append({"centre": "home", "base": draw(st.sampled_from(ids)),
                                         "date": _day(d), "start": _hm(span[0]),
                                         "end": _hm(span[1])})
                    continue
                c = draw(st.sampled_from(centres))
                first, last = _minute(c["opening"][0][0]), _minute(c["opening"][-1][1])
                lo, hi = (first, min(last, 720)) if part == "am" else (max(first, 720), last)
                span = draw(_span(lo, hi))
                if span is None:
                    continue
                a, b = span
                # a session must overlap an opening interval (not lie inside the break)
                if not any(_minute(x) < b and a < _minute(y) for x, y in c["opening"]):
                    continue
                sessions.append({"centre": c["id"], "date": _day(d), "start": _hm(a),
                                 "end": _hm(b)})
        doctors.append({
            "id": f"D{i}",
            "languages": draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=3,
                                       unique=True)),
            "specialties": ["general", *draw(st.lists(st.sampled_from(SPECIALTIES),
                                                      max_size=2, unique=True))],
            "max_exams_per_day": draw(st.integers(1, 6)), "sessions": sessions})
    convocations = []
    for i in range(draw(st.integers(1, 12))):
        # mostly a patient some doctor can serve, sometimes anyone
        who = draw(st.sampled_from(doctors))
        anyone = draw(st.integers(0, 5)) == 0
        rounds = any(s["centre"] == "home" for s in who["sessions"])
        near = draw(st.sampled_from(centres))
        release = draw(st.integers(-3, days - 2))
        deadline = max(0, release) + draw(st.integers(2, 7))
        has_travel = draw(st.integers(0, 5)) > 0
        conv: dict[str, Any] = {
            "id": f"C{i:02d}",
            # five decimals (a metre): a patient a hair's breadth from a base is a known
            # bug (test_plan.py::test_a_patient_next_door_to_the_base_is_still_a_minute_away)
            "patient": {"lat": round(min(51.1, max(50.4, near["lat"]
                                                   + draw(st.floats(-0.2, 0.2)))), 5),
                        "lon": round(min(5.6, max(3.5, near["lon"]
                                                  + draw(st.floats(-0.3, 0.3)))), 5),
                        "language": draw(st.sampled_from(LANGUAGES if anyone
                                                         else who["languages"]))},
            "injury": "sprain",
            "priority": draw(st.sampled_from(["high", "normal", "low"])),
            "duration_min": 5 * draw(st.integers(3, 18)),
            "specialty": draw(st.sampled_from(["general", *SPECIALTIES] if anyone
                                              else ["general", *who["specialties"]])),
            "home_visit": draw(st.integers(0, 1 if rounds else 6)) == 0,
            "release": _day(release), "deadline": _day(deadline),
            "unavailable": [_day(d) for d in draw(st.lists(st.integers(0, days - 1),
                                                           max_size=1, unique=True))],
            "preferred": [],
            "max_travel_min": draw(st.integers(30, 120)),
            "fixed": None,
        }
        for _ in range(draw(st.integers(0, 2))):
            span = draw(_span(480, 1020, 15))
            assert span is not None
            conv["preferred"].append({"date": _day(draw(st.integers(0, days - 1))),
                                      "start": _hm(span[0]), "end": _hm(span[1])})
        if has_travel:
            reach = draw(st.lists(st.sampled_from(ids), min_size=max(1, len(ids) - 1),
                                  max_size=len(ids), unique=True))
            conv["travel_min"] = {c: draw(st.integers(1, 90)) for c in reach}
        convocations.append(conv)
    doc = {"format": "medex-week/1", "week_start": WEEK_START.isoformat(), "days": days,
           "closed_dates": [_day(d) for d in closed],
           "weights": {"unscheduled": 10000, "travel_minute": draw(st.integers(0, 2)),
                       "wait_day": {"high": 120, "normal": 30, "low": 5},
                       "preference_miss": draw(st.sampled_from([0, 60]))},
           "centres": centres, "doctors": doctors, "convocations": convocations}
    if draw(st.booleans()):
        _fix_one(doc, draw(st.randoms(use_true_random=False)))
    return doc


def _fix_one(doc: dict[str, Any], rnd: Any) -> None:
    """Fix one convocation where a doctor can legally serve it (made to fit if needed)."""
    centres = {c["id"]: c for c in doc["centres"]}
    closed = set(doc["closed_dates"])
    places = []
    for d in doc["doctors"]:
        for s in d["sessions"]:
            if date.fromisoformat(s["date"]).weekday() < 5 and s["date"] not in closed:
                places.append((d, s))
    if not places:
        return
    d, s = rnd.choice(places)
    conv = rnd.choice(doc["convocations"])
    lo, hi = _minute(s["start"]), _minute(s["end"])
    if s["centre"] == "home":
        base = centres[s["base"]]
        p = conv["patient"]
        # From the session start rounded up to the grid, not from the start itself: the
        # planner drops the minutes before the first grid point (see the xfail test
        # test_plan.py::test_a_home_round_starting_off_the_grid_keeps_its_first_minutes).
        lo = -(-lo // GRID) * GRID + drive_minutes(base["lat"], base["lon"], p["lat"], p["lon"])
        spans = [(lo, hi)]
    else:
        spans = [(max(lo, _minute(a)), min(hi, _minute(b)))
                 for a, b in centres[s["centre"]]["opening"]]
    lo, hi = max(spans, key=lambda x: x[1] - x[0])
    lo = -(-lo // GRID) * GRID
    if hi - lo < 15:
        return
    duration = min(conv["duration_min"], (hi - lo) // 5 * 5)
    start = lo + GRID * rnd.randint(0, (hi - lo - duration) // GRID)
    conv.update(
        duration_min=duration, specialty="general", home_visit=s["centre"] == "home",
        release=min(conv["release"], s["date"]), deadline=max(conv["deadline"], s["date"]),
        unavailable=[x for x in conv["unavailable"] if x != s["date"]],
        fixed={"doctor": d["id"], "centre": s["centre"], "start": f"{s['date']}T{_hm(start)}"})
    conv["patient"]["language"] = sorted(d["languages"])[0]
    if s["centre"] != "home":
        travel = dict(conv.get("travel_min") or {})
        travel[s["centre"]] = min(travel.get(s["centre"], 30), conv["max_travel_min"])
        conv["travel_min"] = travel


@PROPERTY
@given(weeks())
def test_every_plan_passes_the_checker(doc: dict[str, Any]) -> None:
    w = week_from_dict(doc)
    result = plan_week(w, time_limit=1.5, workers=2)
    s = result.schedule
    report = check_schedule(w, s)
    assert report.ok, format_report(report)
    assert s.cost == report.cost.total
    assert s.lower_bound is None or s.lower_bound <= s.cost
    assigned = [a.convocation for a in s.assignments]
    left = [u.convocation for u in s.unscheduled]
    assert sorted(assigned + left) == sorted(c.id for c in w.convocations)
    assert len(set(assigned + left)) == len(w.convocations)
    assert all(u.reason for u in s.unscheduled)
    for c in w.convocations:
        if c.fixed is not None:
            a = next(a for a in s.assignments if a.convocation == c.id)
            assert (a.doctor, a.centre, a.start) == (c.fixed.doctor, c.fixed.centre,
                                                     c.fixed.start)


def _alike(w: Week) -> None:
    built = build_problem(w)
    p = built.problem
    key = {s: (seg.centre, seg.day, seg.start, seg.end) for s, seg in enumerate(p.segments)
           if not seg.is_home}
    for spec in p.tasks:
        seen: dict[tuple[int, int, int, int], tuple[int, tuple[tuple[int, int], ...]]] = {}
        for o in spec.options:
            if o.segment in key:
                k = key[o.segment]
                assert seen.setdefault(k, (o.cost, o.windows)) == (o.cost, o.windows)


@PROPERTY
@given(weeks())
def test_segments_alike_cost_alike(doc: dict[str, Any]) -> None:
    _alike(week_from_dict(doc))


@PROPERTY
@given(weeks())
def test_week_format_round_trip(doc: dict[str, Any]) -> None:
    w = week_from_dict(doc)
    again = week_from_dict(week_to_dict(w))
    assert again == w
    assert week_to_dict(again) == week_to_dict(w)
