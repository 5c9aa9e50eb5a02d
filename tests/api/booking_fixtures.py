"""A small agenda on a real database for the booking tests, with a fixed present.

Built on ``tests/api/conftest.py``'s seed: centre BRU (2 rooms, 08:30-16:30) and GNT,
Dr. D001 (nl, fr; general, orthopaedics) at BRU 09:00-12:30 and Dr. D002 (fr; general)
at BRU 13:00-16:00, every day of ``WEEK``.  Victims get a cached travel time (20 min to
BRU, 50 to GNT) so that no travel model is needed.  The present is Tuesday 1 December
2026, 09:00 in Brussels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.booking import Actor, SlotChoice, book
from api.config import Settings
from api.db import Database
from api.notices import Notices
from api.planning import BuiltWeek, build_week, monday_of, published_schedule
from api.tables import OUTBOX, Appointment, AuditEntry, Convocation, Victim
from scheduler import domain as d
from scheduler.moves import MoveVerdict, check_move
from scheduler.slots import Slot
from tests.api.conftest import WEEK, make_settings, national_number, seed

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
"""09:00 in Brussels, the Tuesday before ``WEEK``."""
MONDAY = WEEK
FRIDAY = WEEK + timedelta(days=4)


@dataclass
class Agenda:
    db: Database
    settings: Settings
    notices: Notices
    ids: dict[str, int]
    seq: list[int] = field(default_factory=lambda: [100])

    def victim(self, s: Session, *, language: str = "nl", phone: str | None = "+32470000001",
               travel: dict[str, int] | None = None, lat: float = 50.85,
               lon: float = 4.35) -> Victim:
        self.seq[0] += 1
        v = Victim(national_number=national_number("850730", self.seq[0]),
                   name=f"Victim {self.seq[0]}", language=language, postcode="1000",
                   lat=lat, lon=lon, phone=phone, email=None,
                   travel_min=travel or {"BRU": 20, "GNT": 50})
        s.add(v)
        s.flush()
        return v

    def convocation(self, *, language: str = "nl", duration: int = 30, home: bool = False,
                    employer_id: int | None = None, **kw: Any) -> int:
        with self.db.session() as s:
            v = self.victim(s, language=language, **kw)
            c = Convocation(reference=f"C{self.seq[0]:06d}", victim_id=v.id or 0,
                            employer_id=employer_id, injury="sprain", complexity="standard",
                            duration_min=duration, specialty="general", priority="normal",
                            home_visit=home, request_date=MONDAY, release_date=MONDAY,
                            deadline=FRIDAY)
            s.add(c)
            s.flush()
            return c.id or 0

    def book(self, conv: int, doctor: str, start: datetime, *, centre: str = "BRU",
             reason: str = "", actor: Actor | None = None, now: datetime = NOW,
             settings: Settings | None = None) -> Appointment:
        with self.db.session() as s:
            return book(s, conv, SlotChoice(doctor, centre, start),
                        actor or Actor.victim(conv), reason=reason, notices=self.notices,
                        settings=settings or self.settings, now=now)

    def outbox(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [dict(r._mapping) for r in s.execute(sa_select(OUTBOX).order_by(
                OUTBOX.c.id)).all()]

    def audit(self, action: str | None = None) -> list[AuditEntry]:
        with self.db.session() as s:
            stmt = select(AuditEntry).order_by(col(AuditEntry.id))
            if action:
                stmt = stmt.where(AuditEntry.action == action)
            return list(s.exec(stmt).all())

    def confirmed(self) -> list[Appointment]:
        with self.db.session() as s:
            return list(s.exec(select(Appointment).where(
                Appointment.status == "confirmed").order_by(col(Appointment.start))).all())


def independent_verdict(session: Session, convocation_id: int, slot: Slot) -> MoveVerdict:
    """The slot put into the published schedule of its week, checked by the independent
    checker as a planner's move is (:func:`api.planning.move_appointment`)."""
    built = build_week(session, monday_of(slot.start.date()), keep_published=False,
                       include={convocation_id})
    conv = session.get(Convocation, convocation_id)
    assert conv is not None
    moved = d.Assignment(conv.reference, slot.doctor, slot.centre, slot.start, slot.end,
                         slot.travel_min)
    return check_move(built.week, published_schedule(built), moved)


def demo_week_half_booked(db: Database, *, convocations: int, seed: int) -> BuiltWeek:
    """The demo data for ``MONDAY``'s week (the real centres, the demo doctors with home
    rounds, their victims), the week planned by hand and every other assignment of that
    plan written as a confirmed appointment; the week as built before the booking."""
    from api.seed import load_demo
    from scheduler.heuristic import plan_by_hand
    from scheduler.travel import resolve_travel

    load_demo(db, convocations=convocations, seed=seed, week_start=MONDAY)
    with db.session() as s:
        built = build_week(s, MONDAY)
    plan = plan_by_hand(built.week, resolve_travel(built.week))
    chosen = list(plan.assignments)[::2]
    with db.session() as s:
        s.execute(insert(Appointment), [{
            "convocation_id": built.convocations[a.convocation],
            "doctor_id": built.doctors[a.doctor],
            "centre_id": None if a.centre == "home" else a.centre, "start": a.start,
            "end": a.end, "travel_min": a.travel_min, "status": "confirmed",
            "revision": 1, "change_reason": "test"} for a in chosen])
        for a in chosen:
            conv = s.get(Convocation, built.convocations[a.convocation])
            assert conv is not None
            conv.status = "scheduled"
            s.add(conv)
    return built


def make_agenda(url: str, **settings: Any) -> Agenda:
    db = Database(url)
    ids = seed(db)
    values = make_settings(url, **settings)
    notices = dataclasses.replace(Notices.from_settings(values), clock=lambda: NOW)
    return Agenda(db, values, notices, ids)


@pytest.fixture
def agenda(db_url: str) -> Iterator[Agenda]:
    a = make_agenda(db_url)
    yield a
    a.db.dispose()
