"""Builders of tiny documents in the exchange format (``medex-week/1``, ``medex-schedule/1``).

Every builder returns a plain ``dict`` as it would appear in the JSON file, with sensible
defaults and keyword overrides, so that a test states only what it is about::

    doc = tiny_week(convocations=[convocation(priority="high")])
    draft = schedule([assignment(start="2026-12-07T10:00")])
    report = check_schedule(week(doc), plan(draft))

The default week starts on Monday 2026-12-07 and holds one centre ``BRU`` (2 rooms, open
08:30-16:30), one doctor ``D001`` (nl/fr, general and orthopaedics, one session at BRU on
Monday 09:00-12:30) and one convocation ``C0001`` (nl, normal priority, 30 min, general,
released Monday, deadline Friday, 20 min from BRU).  In December Brussels is at +01:00.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.domain import BRUSSELS, Schedule, Week
from scheduler.week_format import schedule_from_dict, week_from_dict

WEEK_START = "2026-12-07"
"""A Monday."""
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (f"2026-12-{d:02d}" for d in range(7, 12))
SATURDAY, SUNDAY = "2026-12-12", "2026-12-13"
BRUSSELS_LAT, BRUSSELS_LON = 50.8356, 4.3360
EXAMPLE_WEEK = Path(__file__).resolve().parents[1] / "docs" / "week-example.json"
"""The example beside the format's specification (copied into docs/)."""
needs_example = pytest.mark.skipif(not EXAMPLE_WEEK.exists(),
                                   reason=f"{EXAMPLE_WEEK} is not on this machine")


def centre(id: str = "BRU", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": id, "name": id.title(), "lat": BRUSSELS_LAT,
                           "lon": BRUSSELS_LON, "rooms": 2, "opening": [["08:30", "16:30"]]}
    doc.update(overrides)
    return doc


def session(centre: str = "BRU", date: str = MONDAY, start: str = "09:00", end: str = "12:30",
            **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"centre": centre, "date": date, "start": start, "end": end}
    doc.update(overrides)
    return doc


def home_session(base: str = "BRU", date: str = MONDAY, start: str = "13:00",
                 end: str = "16:00", **overrides: Any) -> dict[str, Any]:
    return session("home", date, start, end, base=base, **overrides)


def doctor(id: str = "D001", sessions: Iterable[dict[str, Any]] | None = None,
           **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": id, "languages": ["nl", "fr"], "specialties": ["general", "orthopaedics"],
        "max_exams_per_day": 16,
        "sessions": list(sessions) if sessions is not None else [session()],
    }
    doc.update(overrides)
    return doc


def patient(lat: float = 50.8798, lon: float = 4.7005, language: str = "nl") -> dict[str, Any]:
    return {"lat": lat, "lon": lon, "language": language}


def window(date: str = MONDAY, start: str = "09:00", end: str = "12:00") -> dict[str, Any]:
    """A preferred window of a convocation."""
    return {"date": date, "start": start, "end": end}


def fixed(doctor: str = "D001", centre: str = "BRU",
          start: str = f"{MONDAY}T09:00") -> dict[str, Any]:
    return {"doctor": doctor, "centre": centre, "start": start}


def convocation(id: str = "C0001", **overrides: Any) -> dict[str, Any]:
    """A convocation; ``language=`` is a shortcut for the patient's language."""
    language = overrides.pop("language", "nl")
    doc: dict[str, Any] = {
        "id": id, "patient": patient(language=language), "injury": "sprain",
        "priority": "normal", "duration_min": 30, "specialty": "general", "home_visit": False,
        "release": MONDAY, "deadline": FRIDAY, "unavailable": [], "preferred": [],
        "max_travel_min": 90, "travel_min": {"BRU": 20}, "fixed": None,
    }
    doc.update(overrides)
    return doc


def weights(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"unscheduled": 10000, "travel_minute": 1,
                           "wait_day": {"high": 120, "normal": 30, "low": 5},
                           "preference_miss": 60}
    doc.update(overrides)
    return doc


def tiny_week(**overrides: Any) -> dict[str, Any]:
    """A whole ``medex-week/1`` document; each keyword replaces a top-level field."""
    doc: dict[str, Any] = {
        "format": "medex-week/1", "week_start": WEEK_START, "days": 5, "closed_dates": [],
        "weights": weights(), "centres": [centre()], "doctors": [doctor()],
        "convocations": [convocation()],
    }
    doc.update(overrides)
    return doc


def week(doc: dict[str, Any] | None = None, **overrides: Any) -> Week:
    """The domain :class:`Week` of ``doc`` (default: ``tiny_week(**overrides)``)."""
    return week_from_dict(doc if doc is not None else tiny_week(**overrides))


def local(moment: str) -> str:
    """``2026-12-07T09:00`` as ISO 8601 with the Brussels offset."""
    return datetime.fromisoformat(moment).replace(tzinfo=BRUSSELS).isoformat()


def assignment(convocation: str = "C0001", doctor: str = "D001", centre: str = "BRU",
               start: str = f"{MONDAY}T09:00", duration_min: int = 30, end: str | None = None,
               travel_min: int = 20) -> dict[str, Any]:
    """An assignment; ``end`` defaults to ``start + duration_min``.  Local times, no offset."""
    if end is None:
        end = (datetime.fromisoformat(start) + timedelta(minutes=duration_min)).isoformat()
    return {"convocation": convocation, "doctor": doctor, "centre": centre,
            "start": local(start), "end": local(end), "travel_min": travel_min}


def unscheduled(convocation: str = "C0001", reason: str = "no room") -> dict[str, Any]:
    return {"convocation": convocation, "reason": reason}


def schedule(assignments: Iterable[dict[str, Any]] = (),
             unscheduled: Iterable[dict[str, Any]] = (), **overrides: Any) -> dict[str, Any]:
    """A ``medex-schedule/1`` document."""
    doc: dict[str, Any] = {
        "format": "medex-schedule/1", "instance": "tiny.json", "status": "FEASIBLE",
        "cost": 0, "lower_bound": None, "solve_seconds": 0.0,
        "assignments": list(assignments), "unscheduled": list(unscheduled),
    }
    doc.update(overrides)
    return doc


def plan(doc: dict[str, Any] | None = None, **overrides: Any) -> Schedule:
    """The domain :class:`Schedule` of ``doc`` (default: ``schedule(**overrides)``)."""
    return schedule_from_dict(doc if doc is not None else schedule(**overrides))
