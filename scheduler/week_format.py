"""Read and write the exchange format: ``medex-week/1`` instances, ``medex-schedule/1`` results.

Reading validates everything a planner could get wrong and reports *every* problem at
once, each naming the field (``convocations[3] (C0004).deadline: ...``), through
:class:`scheduler.errors.WeekFormatError`.  Nothing is returned unless the whole document
is valid.  See ``docs/week-instance.md`` for the format itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from scheduler.domain import (
    BRUSSELS,
    HOME,
    Assignment,
    Centre,
    Convocation,
    Doctor,
    Fixed,
    Patient,
    Priority,
    Schedule,
    Session,
    Status,
    TimeWindow,
    Unscheduled,
    Week,
    Weights,
)
from scheduler.errors import WeekFormatError

_PLACEHOLDER = Centre("?", "?", 0.0, 0.0, 1, ((time(0, 0), time(23, 59)),))
"""Stands for a centre whose entry has problems, so references to it are not reported."""
WEEK_FORMAT = "medex-week/1"
SCHEDULE_FORMAT = "medex-schedule/1"
LANGUAGES = frozenset({"nl", "fr", "de", "en"})
T = TypeVar("T")


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, why: str) -> None:
        self.items.append(f"{where}: {why}")


def _field(where: str, key: str) -> str:
    """``where.key``, or ``key`` alone for a top-level field."""
    return f"{where}.{key}" if where else key


class _Reader:
    """Typed field access that records a problem and returns ``None`` instead of raising."""

    def __init__(self, problems: _Problems):
        self.p = problems

    def get(self, obj: Any, key: str, where: str, required: bool = True) -> Any:
        if not isinstance(obj, dict):
            self.p.add(where, "expected an object")
            return None
        if key not in obj:
            if required:
                self.p.add(_field(where, key), "is missing")
            return None
        return obj[key]

    def typed(self, obj: Any, key: str, where: str, kind: Callable[[Any, str], T | None],
              required: bool = True, default: T | None = None) -> T | None:
        value = self.get(obj, key, where, required)
        if value is None:
            return default
        return kind(value, _field(where, key))

    def string(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.p.add(where, f"expected a non-empty string, got {value!r}")
            return None
        return value

    def integer(self, value: Any, where: str, low: int | None = 0,
                high: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.p.add(where, f"expected a whole number, got {value!r}")
            return None
        if low is not None and value < low:
            self.p.add(where, f"must be at least {low}, got {value}")
            return None
        if high is not None and value > high:
            self.p.add(where, f"must be at most {high}, got {value}")
            return None
        return value

    def positive(self, value: Any, where: str) -> int | None:
        return self.integer(value, where, low=1)

    def number(self, value: Any, where: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.p.add(where, f"expected a number, got {value!r}")
            return None
        return float(value)

    def boolean(self, value: Any, where: str) -> bool | None:
        if not isinstance(value, bool):
            self.p.add(where, f"expected true or false, got {value!r}")
            return None
        return value

    def day(self, value: Any, where: str) -> date | None:
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.p.add(where, f"expected a date YYYY-MM-DD, got {value!r}")
            return None

    def clock(self, value: Any, where: str) -> time | None:
        try:
            if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
                raise ValueError
            return time(int(value[:2]), int(value[3:]))
        except ValueError:
            self.p.add(where, f"expected a time HH:MM, got {value!r}")
            return None

    def local_datetime(self, value: Any, where: str) -> datetime | None:
        try:
            if not isinstance(value, str):
                raise ValueError
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.p.add(where, f"expected a date-time YYYY-MM-DDTHH:MM, got {value!r}")
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(BRUSSELS).replace(tzinfo=None)
        return moment

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.p.add(where, "expected a list")
            return []
        return value


def _label(obj: Any, where: str) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return f"{where} ({obj['id']})"
    return where


def _read_weights(r: _Reader, raw: Any) -> Weights:
    default = Weights()
    if raw is None:
        return default
    where = "weights"
    unscheduled = r.typed(raw, "unscheduled", where, r.integer, False, default.unscheduled)
    travel = r.typed(raw, "travel_minute", where, r.integer, False, default.travel_minute)
    preference = r.typed(raw, "preference_miss", where, r.integer, False, default.preference_miss)
    wait = dict(default.wait_day)
    raw_wait = r.get(raw, "wait_day", where, required=False)
    if raw_wait is not None:
        if not isinstance(raw_wait, dict):
            r.p.add(f"{where}.wait_day", "expected an object {high, normal, low}")
        else:
            for key, value in raw_wait.items():
                try:
                    prio = Priority(key)
                except ValueError:
                    r.p.add(f"{where}.wait_day.{key}", "unknown priority (high, normal or low)")
                    continue
                number = r.integer(value, f"{where}.wait_day.{key}")
                if number is not None:
                    wait[prio] = number
    return Weights(
        unscheduled=unscheduled if unscheduled is not None else default.unscheduled,
        travel_minute=travel if travel is not None else default.travel_minute,
        wait_day=wait,
        preference_miss=preference if preference is not None else default.preference_miss,
    )


def _read_centre(r: _Reader, raw: Any, where: str) -> Centre | None:
    cid = r.typed(raw, "id", where, r.string)
    name = r.typed(raw, "name", where, r.string, required=False, default=cid)
    lat = r.typed(raw, "lat", where, r.number)
    lon = r.typed(raw, "lon", where, r.number)
    rooms = r.typed(raw, "rooms", where, r.positive)
    opening: list[tuple[time, time]] = []
    for k, span in enumerate(r.items(r.get(raw, "opening", where), f"{where}.opening")):
        spot = f"{where}.opening[{k}]"
        if not isinstance(span, list) or len(span) != 2:
            r.p.add(spot, 'expected ["HH:MM", "HH:MM"]')
            continue
        a, b = r.clock(span[0], spot), r.clock(span[1], spot)
        if a is not None and b is not None:
            if a >= b:
                r.p.add(spot, f"opens at {a:%H:%M} but closes at {b:%H:%M}")
            else:
                opening.append((a, b))
    if cid == HOME:
        r.p.add(f"{where}.id", f"'{HOME}' is reserved for home visits")
        return None
    if None in (cid, name, lat, lon, rooms):
        return None
    assert cid is not None and name is not None and lat is not None and lon is not None
    assert rooms is not None
    return Centre(cid, name, lat, lon, rooms, tuple(sorted(opening)))


def _within_opening_day(centre: Centre, start: time, end: time) -> bool:
    """Inside the centre's day (first opening to last closing) and overlapping an opening.

    A session may span a break between two opening intervals (exams then avoid the break),
    but not begin before the centre opens or end after it closes."""
    if not centre.opening:
        return False
    return (centre.opening[0][0] <= start and end <= centre.opening[-1][1]
            and any(a < end and start < b for a, b in centre.opening))


def _read_doctor(r: _Reader, raw: Any, where: str, centres: dict[str, Centre],
                 horizon: tuple[date, date] | None) -> Doctor | None:
    did = r.typed(raw, "id", where, r.string)
    langs = [r.string(x, f"{where}.languages[{i}]")
             for i, x in enumerate(r.items(r.get(raw, "languages", where), f"{where}.languages"))]
    for i, lang in enumerate(langs):
        if lang is not None and lang not in LANGUAGES:
            r.p.add(f"{where}.languages[{i}]", f"unknown language {lang!r} (nl, fr, de or en)")
    if not langs:
        r.p.add(f"{where}.languages", "a doctor speaks at least one language")
    specs = [r.string(x, f"{where}.specialties[{i}]") for i, x in
             enumerate(r.items(r.get(raw, "specialties", where, required=False) or [],
                               f"{where}.specialties"))]
    max_day = r.typed(raw, "max_exams_per_day", where, r.positive)
    sessions: list[Session] = []
    for k, s in enumerate(r.items(r.get(raw, "sessions", where), f"{where}.sessions")):
        spot = f"{where}.sessions[{k}]"
        centre = r.typed(s, "centre", spot, r.string)
        day = r.typed(s, "date", spot, r.day)
        start = r.typed(s, "start", spot, r.clock)
        end = r.typed(s, "end", spot, r.clock)
        base = r.typed(s, "base", spot, r.string, required=centre == HOME)
        if None in (centre, day, start, end):
            continue
        assert centre is not None and day is not None and start is not None and end is not None
        if start >= end:
            r.p.add(spot, f"starts at {start:%H:%M} but ends at {end:%H:%M}")
            continue
        if horizon and not (horizon[0] <= day <= horizon[1]):
            r.p.add(f"{spot}.date",
                    f"{day} is outside the planning week {horizon[0]}..{horizon[1]}")
        if centre == HOME:
            if base is not None and base not in centres:
                r.p.add(f"{spot}.base", f"unknown centre {base!r}")
                continue
        elif centre not in centres:
            r.p.add(f"{spot}.centre", f"unknown centre {centre!r}")
            continue
        elif not _within_opening_day(centres[centre], start, end):
            r.p.add(spot, f"{start:%H:%M}-{end:%H:%M} lies outside the opening hours of {centre} "
                          f"({_hours(centres[centre])})")
            continue
        sessions.append(Session(centre, day, start, end, base if centre == HOME else None))
    ordered = sorted(sessions, key=lambda s: (s.day, s.start))
    for a, b in pairwise(ordered):
        if a.day == b.day and b.start < a.end:
            r.p.add(f"{where}.sessions",
                    f"sessions on {a.day} overlap ({a.start:%H:%M}-{a.end:%H:%M} "
                    f"and {b.start:%H:%M}-{b.end:%H:%M})")
    if did is None or max_day is None or not langs or None in langs:
        return None
    return Doctor(did, frozenset(x for x in langs if x), frozenset(x for x in specs if x),
                  max_day, tuple(ordered))


def _hours(centre: Centre) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in centre.opening) or "never open"


def _read_convocation(r: _Reader, raw: Any, where: str, centres: dict[str, Centre],
                      doctors: dict[str, Doctor]) -> Convocation | None:
    cid = r.typed(raw, "id", where, r.string)
    praw = r.get(raw, "patient", where)
    lat = r.typed(praw, "lat", f"{where}.patient", r.number) if praw is not None else None
    lon = r.typed(praw, "lon", f"{where}.patient", r.number) if praw is not None else None
    lang = r.typed(praw, "language", f"{where}.patient", r.string) if praw is not None else None
    if lang is not None and lang not in LANGUAGES:
        r.p.add(f"{where}.patient.language", f"unknown language {lang!r} (nl, fr, de or en)")
        lang = None
    if lat is not None and not -90 <= lat <= 90:
        r.p.add(f"{where}.patient.lat", f"{lat} is not a latitude")
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        r.p.add(f"{where}.patient.lon", f"{lon} is not a longitude")
        lon = None
    injury = r.typed(raw, "injury", where, r.string, required=False, default="unspecified")
    prio_raw = r.get(raw, "priority", where, required=False) or "normal"
    try:
        priority: Priority | None = Priority(prio_raw)
    except ValueError:
        r.p.add(f"{where}.priority", f"expected high, normal or low, got {prio_raw!r}")
        priority = None
    duration = r.typed(raw, "duration_min", where, r.positive)
    specialty = r.typed(raw, "specialty", where, r.string, required=False, default="general")
    home = r.typed(raw, "home_visit", where, r.boolean, required=False, default=False)
    release = r.typed(raw, "release", where, r.day)
    deadline = r.typed(raw, "deadline", where, r.day)
    if release and deadline and deadline < release:
        r.p.add(f"{where}.deadline", f"{deadline} is before the release date {release}")
    unavailable = [r.day(x, f"{where}.unavailable[{i}]") for i, x in
                   enumerate(r.items(r.get(raw, "unavailable", where, required=False) or [],
                                     f"{where}.unavailable"))]
    preferred: list[TimeWindow] = []
    for i, w in enumerate(r.items(r.get(raw, "preferred", where, required=False) or [],
                                  f"{where}.preferred")):
        spot = f"{where}.preferred[{i}]"
        d, a, b = r.typed(w, "date", spot, r.day), r.typed(w, "start", spot, r.clock), \
            r.typed(w, "end", spot, r.clock)
        if d and a and b:
            if a >= b:
                r.p.add(spot, f"starts at {a:%H:%M} but ends at {b:%H:%M}")
            else:
                preferred.append(TimeWindow(d, a, b))
    max_travel = r.typed(raw, "max_travel_min", where, r.integer, required=False, default=90)
    travel: dict[str, int] | None = None
    traw = r.get(raw, "travel_min", where, required=False)
    if traw is not None:
        if not isinstance(traw, dict):
            r.p.add(f"{where}.travel_min", "expected an object {centre: minutes}")
        else:
            travel = {}
            for key, value in traw.items():
                if key not in centres:
                    r.p.add(f"{where}.travel_min.{key}", f"unknown centre {key!r}")
                    continue
                minutes = r.integer(value, f"{where}.travel_min.{key}")
                if minutes is not None:
                    travel[key] = minutes
    fixed: Fixed | None = None
    fraw = r.get(raw, "fixed", where, required=False)
    if fraw is not None:
        spot = f"{where}.fixed"
        fd = r.typed(fraw, "doctor", spot, r.string)
        fc = r.typed(fraw, "centre", spot, r.string)
        fs = r.typed(fraw, "start", spot, r.local_datetime)
        if fd is not None and fd not in doctors:
            r.p.add(f"{spot}.doctor", f"unknown doctor {fd!r}")
        if fc is not None and fc != HOME and fc not in centres:
            r.p.add(f"{spot}.centre", f"unknown centre {fc!r}")
        if fd and fc and fs:
            fixed = Fixed(fd, fc, fs)
    if None in (cid, lat, lon, lang, priority, duration, release, deadline, home, max_travel) \
            or None in unavailable:
        return None
    assert cid and lat is not None and lon is not None and lang and priority and duration
    assert release and deadline and home is not None and max_travel is not None
    return Convocation(
        id=cid, patient=Patient(lat, lon, lang), injury=injury or "unspecified",
        priority=priority, duration_min=duration, specialty=specialty or "general",
        home_visit=home, release=release, deadline=deadline,
        unavailable=frozenset(d for d in unavailable if d), preferred=tuple(preferred),
        max_travel_min=max_travel, travel_min=travel, fixed=fixed)


def _unique(r: _Reader, ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            r.p.add(where, f"id {i!r} is used more than once")
        seen.add(i)


def week_from_dict(raw: Any) -> Week:
    """Validate and convert a parsed ``medex-week/1`` document.  Raises ``WeekFormatError``."""
    problems = _Problems()
    r = _Reader(problems)
    if not isinstance(raw, dict):
        raise WeekFormatError(["document: expected a JSON object"])
    tag = raw.get("format")
    if tag != WEEK_FORMAT:
        raise WeekFormatError([f"format: expected {WEEK_FORMAT!r}, got {tag!r}"])
    start = r.typed(raw, "week_start", "", r.day)
    if start is not None and start.weekday() != 0:
        problems.add("week_start", f"{start} is a {start:%A}, not a Monday")
    days = r.typed(raw, "days", "", lambda v, w: r.integer(v, w, 1, 14), required=False, default=5)
    horizon = (start, start + timedelta(days=(days or 5) - 1)) if start else None
    closed = [r.day(x, f"closed_dates[{i}]") for i, x in
              enumerate(r.items(raw.get("closed_dates", []), "closed_dates"))]
    weights = _read_weights(r, raw.get("weights"))
    centres_raw = r.items(r.get(raw, "centres", ""), "centres")
    centres = [_read_centre(r, c, _label(c, f"centres[{i}]")) for i, c in enumerate(centres_raw)]
    _unique(r, [c.id for c in centres if c], "centres")
    by_id = {c.id: c for c in centres if c}
    # a centre with a bad field is reported once, not again by every reference to it
    for raw_centre in centres_raw:
        if isinstance(raw_centre, dict) and isinstance(raw_centre.get("id"), str):
            by_id.setdefault(raw_centre["id"], _PLACEHOLDER)
    doctors_raw = r.items(r.get(raw, "doctors", ""), "doctors")
    doctors = [_read_doctor(r, d, _label(d, f"doctors[{i}]"), by_id, horizon)
               for i, d in enumerate(doctors_raw)]
    _unique(r, [d.id for d in doctors if d], "doctors")
    doc_by_id = {d.id: d for d in doctors if d}
    conv_raw = r.items(r.get(raw, "convocations", ""), "convocations")
    convs = [_read_convocation(r, c, _label(c, f"convocations[{i}]"), by_id, doc_by_id)
             for i, c in enumerate(conv_raw)]
    _unique(r, [c.id for c in convs if c], "convocations")
    # problems may have been recorded (with None placeholders) even for readable items
    for items, label in ((centres, "centres"), (doctors, "doctors"), (convs, "convocations")):
        if any(x is None for x in items) and not problems.items:
            problems.add(label, "an entry could not be read")
    if problems.items:
        raise WeekFormatError(problems.items)
    assert start is not None and days is not None
    return Week(start, days, frozenset(d for d in closed if d), weights,
                tuple(c for c in centres if c), tuple(d for d in doctors if d),
                tuple(c for c in convs if c))


def _loads(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise WeekFormatError([f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                               f"column {exc.colno})"]) from exc


def read_week(path: str | Path) -> Week:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WeekFormatError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    return week_from_dict(_loads(text, str(path)))


def _hm(t: time) -> str:
    return f"{t:%H:%M}"


def week_to_dict(week: Week) -> dict[str, Any]:
    """The ``medex-week/1`` document of a week (inverse of :func:`week_from_dict`)."""
    w = week.weights
    return {
        "format": WEEK_FORMAT,
        "week_start": week.week_start.isoformat(),
        "days": week.days,
        "closed_dates": sorted(d.isoformat() for d in week.closed_dates),
        "weights": {"unscheduled": w.unscheduled, "travel_minute": w.travel_minute,
                    "wait_day": {p.value: v for p, v in w.wait_day.items()},
                    "preference_miss": w.preference_miss},
        "centres": [{"id": c.id, "name": c.name, "lat": c.lat, "lon": c.lon, "rooms": c.rooms,
                     "opening": [[_hm(a), _hm(b)] for a, b in c.opening]} for c in week.centres],
        "doctors": [{"id": d.id, "languages": sorted(d.languages),
                     "specialties": sorted(d.specialties),
                     "max_exams_per_day": d.max_exams_per_day,
                     "sessions": [{"centre": s.centre, **({"base": s.base} if s.base else {}),
                                   "date": s.day.isoformat(), "start": _hm(s.start),
                                   "end": _hm(s.end)} for s in d.sessions]}
                    for d in week.doctors],
        "convocations": [_convocation_to_dict(c) for c in week.convocations],
    }


def _convocation_to_dict(c: Convocation) -> dict[str, Any]:
    return {
        "id": c.id,
        "patient": {"lat": c.patient.lat, "lon": c.patient.lon, "language": c.patient.language},
        "injury": c.injury, "priority": c.priority.value, "duration_min": c.duration_min,
        "specialty": c.specialty, "home_visit": c.home_visit,
        "release": c.release.isoformat(), "deadline": c.deadline.isoformat(),
        "unavailable": sorted(d.isoformat() for d in c.unavailable),
        "preferred": [{"date": w.day.isoformat(), "start": _hm(w.start), "end": _hm(w.end)}
                      for w in c.preferred],
        "max_travel_min": c.max_travel_min,
        **({"travel_min": dict(c.travel_min)} if c.travel_min is not None else {}),
        "fixed": None if c.fixed is None else {
            "doctor": c.fixed.doctor, "centre": c.fixed.centre,
            "start": c.fixed.start.strftime("%Y-%m-%dT%H:%M")},
    }


def write_week(week: Week, path: str | Path) -> None:
    Path(path).write_text(json.dumps(week_to_dict(week), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def local_iso(moment: datetime) -> str:
    """ISO 8601 with the Brussels offset of that moment (``2026-12-08T09:00:00+01:00``)."""
    return moment.replace(tzinfo=BRUSSELS).isoformat()


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    return {
        "format": SCHEDULE_FORMAT,
        "instance": schedule.instance,
        "status": schedule.status.value,
        "cost": schedule.cost,
        "lower_bound": schedule.lower_bound,
        "solve_seconds": round(schedule.solve_seconds, 3),
        "assignments": [{"convocation": a.convocation, "doctor": a.doctor, "centre": a.centre,
                         "start": local_iso(a.start), "end": local_iso(a.end),
                         "travel_min": a.travel_min} for a in schedule.assignments],
        "unscheduled": [{"convocation": u.convocation, "reason": u.reason}
                        for u in schedule.unscheduled],
    }


def write_schedule(schedule: Schedule, path: str | Path) -> None:
    Path(path).write_text(json.dumps(schedule_to_dict(schedule), indent=1, ensure_ascii=False)
                          + "\n", encoding="utf-8")


def schedule_from_dict(raw: Any) -> Schedule:
    """Validate and convert a ``medex-schedule/1`` document (the shape, not the rules)."""
    problems = _Problems()
    r = _Reader(problems)
    if not isinstance(raw, dict):
        raise WeekFormatError(["document: expected a JSON object"])
    if raw.get("format") != SCHEDULE_FORMAT:
        raise WeekFormatError([f"format: expected {SCHEDULE_FORMAT!r}, got {raw.get('format')!r}"])
    status_raw = raw.get("status", "UNKNOWN")
    try:
        status = Status(status_raw)
    except ValueError:
        problems.add("status", f"expected one of {', '.join(s.value for s in Status)}, "
                               f"got {status_raw!r}")
        status = Status.UNKNOWN
    cost = r.typed(raw, "cost", "", r.integer, required=False, default=0)
    bound_raw = raw.get("lower_bound")
    bound = None if bound_raw is None else r.integer(bound_raw, "lower_bound", low=None)
    seconds = r.typed(raw, "solve_seconds", "", r.number, required=False, default=0.0)
    assignments: list[Assignment] = []
    for i, a in enumerate(r.items(raw.get("assignments", []), "assignments")):
        spot = f"assignments[{i}]"
        conv = r.typed(a, "convocation", spot, r.string)
        doc = r.typed(a, "doctor", spot, r.string)
        centre = r.typed(a, "centre", spot, r.string)
        start = r.typed(a, "start", spot, r.local_datetime)
        end = r.typed(a, "end", spot, r.local_datetime)
        travel = r.typed(a, "travel_min", spot, r.integer, required=False, default=0)
        if conv and doc and centre and start and end and travel is not None:
            assignments.append(Assignment(conv, doc, centre, start, end, travel))
    unscheduled: list[Unscheduled] = []
    for i, u in enumerate(r.items(raw.get("unscheduled", []), "unscheduled")):
        conv = r.typed(u, "convocation", f"unscheduled[{i}]", r.string)
        reason = r.get(u, "reason", f"unscheduled[{i}]", required=False)
        if conv:
            unscheduled.append(Unscheduled(conv, str(reason or "")))
    if problems.items:
        raise WeekFormatError(problems.items)
    return Schedule(status, cost or 0, bound, seconds or 0.0, tuple(assignments),
                    tuple(unscheduled), str(raw.get("instance", "")))


def read_schedule(path: str | Path) -> Schedule:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WeekFormatError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    return schedule_from_dict(_loads(text, str(path)))
