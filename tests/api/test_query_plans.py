"""The statements of the busy paths use the indexes meant for them (SQLite's planner,
with the statistics the service gives it at start: :meth:`api.db.Database.analyze`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.dialects import sqlite
from sqlmodel import col

from api.booking import _WAITLISTED
from api.db import Database
from api.offers import _SUPPLY
from api.seed import load_demo
from api.tables import Appointment, Convocation
from tests.api.booking_fixtures import MONDAY, demo_week_half_booked
from tests.api.conftest import fresh_database


@pytest.fixture
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = next(fresh_database("sqlite", request, tmp_path))
    db = Database(url)
    load_demo(db, convocations=600, seed=1)
    yield db
    db.dispose()


def _plan(db: Database, statement: object) -> str:
    sql = str(statement.compile(dialect=sqlite.dialect(),  # type: ignore[attr-defined]
                                compile_kwargs={"literal_binds": True}))
    with db.session(read_only=True) as s:
        rows = s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("every", [3, 50, 0])
def test_the_waitlist_is_read_from_its_own_index_in_order(demo_db: Database, every: int
                                                           ) -> None:
    # a third, one in fifty, or none of the convocations waiting for an earlier date
    with demo_db.session() as s:
        if every:
            s.execute(update(Convocation).where(col(Convocation.id) % every == 0).values(
                waitlist_since=datetime(2026, 11, 20, 10, 0)))
    demo_db.analyze()
    plan = _plan(demo_db, _WAITLISTED.params(freed=1, home=False, day=date(2026, 12, 10)))
    assert "USING INDEX ix_convocation_waitlist " in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # read in the index's order: no sort


@pytest.fixture
def booked_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = next(fresh_database("sqlite", request, tmp_path))
    db = Database(url)
    demo_week_half_booked(db, convocations=600, seed=3)
    db.analyze()
    yield db
    db.dispose()


@pytest.mark.parametrize("home", [False, True])
def test_the_agenda_of_offered_slots_is_read_by_doctor_and_by_centre(booked_db: Database,
                                                                     home: bool) -> None:
    # a day of the busiest centre: its doctors' exams by (doctor, start), the other
    # doctors' exams there by (centre, start); not every exam of the day by its start
    with booked_db.session(read_only=True) as s:
        centre = s.connection().execute(
            select(col(Appointment.centre_id)).where(col(Appointment.centre_id).is_not(None))
            .group_by(col(Appointment.centre_id)).order_by(func.count().desc()).limit(1)
        ).scalar_one()
    since = datetime.combine(MONDAY, datetime.min.time())
    plan = _plan(booked_db, _SUPPLY[home, True].params(
        doctors=[1, 2, 3], places=[centre], since=since, until=since + timedelta(days=1)))
    assert "USING INDEX doctor_start_free (doctor_id=? AND start>? AND start<?)" in plan, plan
    assert "USING INDEX ix_appointment_centre_start (centre_id=? AND start>? AND start<?)" \
        in plan, plan
    assert "ix_appointment_start" not in plan, plan
