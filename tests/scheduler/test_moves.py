"""A manual move is checked with the same hard rules; the refusal names the rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.domain import Assignment, Schedule, Week
from scheduler.moves import check_move
from tests.factory import (
    MONDAY,
    assignment,
    convocation,
    doctor,
    plan,
    schedule,
    session,
    tiny_week,
    week,
)


def _at(text: str, minutes: int = 30) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(text)
    return start, start + timedelta(minutes=minutes)


def _two() -> tuple[Week, Schedule]:
    doc = tiny_week(convocations=[convocation("C0001"), convocation("C0002")],
                    doctors=[doctor(sessions=[session(date=MONDAY, start="09:00",
                                                      end="12:30")])])
    draft = schedule([assignment("C0001", start=f"{MONDAY}T09:00"),
                      assignment("C0002", start=f"{MONDAY}T10:00")])
    return week(doc), plan(draft)


def test_a_move_into_a_free_slot_of_the_same_session_is_accepted() -> None:
    w, s = _two()
    start, end = _at(f"{MONDAY}T11:00")
    verdict = check_move(w, s, Assignment("C0002", "D001", "BRU", start, end, 20))
    assert verdict.ok, verdict.refusal()


def test_a_move_onto_the_doctors_other_exam_is_refused_naming_the_rule() -> None:
    w, s = _two()
    start, end = _at(f"{MONDAY}T09:15")
    verdict = check_move(w, s, Assignment("C0002", "D001", "BRU", start, end, 20))
    assert not verdict.ok and verdict.rule == "doctor-overlap"
    assert verdict.refusal().startswith("refused by rule doctor-overlap")


def test_a_move_outside_the_doctors_sessions_is_refused() -> None:
    w, s = _two()
    start, end = _at(f"{MONDAY}T14:00")
    verdict = check_move(w, s, Assignment("C0002", "D001", "BRU", start, end, 20))
    assert verdict.rule == "inside-session"


def test_a_move_off_the_grid_is_refused() -> None:
    w, s = _two()
    start, end = _at(f"{MONDAY}T11:02")
    verdict = check_move(w, s, Assignment("C0002", "D001", "BRU", start, end, 20))
    assert "grid" in {v.rule for v in verdict.violations}
