"""Shared pieces of the notify tests: appointments, the fake Twilio, outbox stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notify.ics import Organizer
from notify.model import Appointment, Contact, Venue
from notify.outbox import MemoryOutboxStore, OutboxStore
from notify.outbox_sql import SqlOutboxStore, sqlite_engine
from tests.notify.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

ORGANIZER = Organizer("planning@medex.example", "Medex")
GENT = Venue("GNT", "Medex Gent", "Kortrijksesteenweg 1, 9000 Gent")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def make_appointment(n: int = 1, *, language: str = "nl", phone: str | None = "+32470000001",
                     email: str | None = "victim@example.be",
                     start: datetime = datetime(2026, 12, 8, 9, 30), minutes: int = 30,
                     revision: int = 1, cancelled: bool = False, venue: Venue = GENT,
                     doctor: str = "D1", name: str = "") -> Appointment:
    return Appointment(
        id=f"A{n}", revision=revision, convocation=f"C{n}", doctor=doctor, start=start,
        end=start + timedelta(minutes=minutes), venue=venue,
        contact=Contact(language=language, phone=phone, email=email, name=name),
        link=f"https://medex.example/a/{n}x7Kq", cancelled=cancelled)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> OutboxStore:
    if request.param == "memory":
        return MemoryOutboxStore()
    sql = SqlOutboxStore(sqlite_engine(str(tmp_path / "outbox.db")))
    sql.create_tables()
    return sql


__all__ = ["ACCOUNT_SID", "AUTH_TOKEN", "GENT", "NOW", "ORGANIZER", "make_appointment"]
