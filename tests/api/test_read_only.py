"""Read-only sessions: what only shows reads a snapshot (on SQLite without the writers'
lock), any write in them is refused by the database, and the connection serves writers
again afterwards; the victims' pages and lists answer while a booking holds the lock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from api.db import Database
from api.migrate import upgrade
from api.tables import Centre, Victim
from tests.api.victim_fixtures import Victims, victims_fixture  # noqa: F401


def _centres(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Centre)).scalar_one())


def _centre(key: str) -> Centre:
    return Centre(id=key, name=f"Centre {key}", postcode="1000", lat=50.85, lon=4.35,
                  rooms=1, opening="08:30-16:30", languages=["nl"])


def test_a_read_only_session_refuses_writes_and_keeps_nothing(db_url: str) -> None:
    db = Database(db_url)
    try:
        before = _centres(db)
        with pytest.raises(DBAPIError), db.session(read_only=True) as s:
            s.add(_centre("RO1"))
        with pytest.raises(DBAPIError), db.session(read_only=True) as s:
            s.execute(insert(Centre).values(
                id="RO2", name="x", postcode="1000", lat=50.8, lon=4.3, rooms=1,
                opening="08:30-16:30", languages=["nl"]))
        assert _centres(db) == before
    finally:
        db.dispose()


def test_a_connection_writes_again_after_serving_a_reader(db_url: str) -> None:
    db = Database(db_url)
    try:
        before = _centres(db)
        for i in range(3):  # the pool hands the same connection back and forth
            with db.session(read_only=True) as s:
                assert s.info["read_only"] is True
                s.execute(select(func.count()).select_from(Centre)).scalar_one()
            with db.session() as s:
                assert s.info["read_only"] is False
                s.add(_centre(f"RW{i}"))
        assert _centres(db) == before + 3
    finally:
        db.dispose()


def test_on_sqlite_a_reader_neither_waits_for_a_writer_nor_sees_its_changes(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    upgrade(url)
    db = Database(url)
    seen: list[Any] = []
    try:
        with db.session() as writer:  # holds the write lock until the end of the block
            writer.add(_centre("NEW"))
            writer.flush()

            def read() -> None:
                with db.session(read_only=True) as s:
                    seen.append(s.get(Centre, "NEW"))

            reader = threading.Thread(target=read)
            reader.start()
            reader.join(timeout=10)
            assert not reader.is_alive(), "the read waited for the writer"
        assert seen == [None]  # the snapshot before the writer's commit
        with db.session(read_only=True) as s:
            assert s.get(Centre, "NEW") is not None
    finally:
        db.dispose()


def test_the_slots_and_the_page_answer_while_a_booking_holds_the_lock(victims: Victims
                                                                       ) -> None:
    db = victims.svc.db
    answers: dict[str, int] = {}

    def look() -> None:
        answers["slots"] = victims.client.get(victims.v("bert", "/slots")).status_code
        answers["convocation"] = victims.client.get(victims.v("bert")).status_code
        answers["page"] = victims.client.get(f"/v/{victims.token('bert')}").status_code

    with db.session() as writer:  # a booking in progress: on SQLite, the write lock
        writer.execute(text("UPDATE centre SET rooms = rooms WHERE id = 'BRU'"))
        looker = threading.Thread(target=look)
        looker.start()
        looker.join(timeout=20)
        assert not looker.is_alive(), "the reads waited for the writer"
    assert answers == {"slots": 200, "convocation": 200, "page": 200}


def test_slots_shown_keep_no_travel_cache_and_a_booking_keeps_it(victims: Victims) -> None:
    db = victims.svc.db
    with db.session() as s:
        victim = s.get(Victim, victims.victim["bert"])
        assert victim is not None
        victim.travel_min = None
        s.add(victim)

    def cached() -> Any:
        with db.session(read_only=True) as s:
            found = s.get(Victim, victims.victim["bert"])
            assert found is not None
            return found.travel_min

    r = victims.client.get(victims.v("bert", "/slots"))
    assert r.status_code == 200, r.text
    slots = r.json()["items"]
    assert slots and all(s["travel_min"] > 0 for s in slots if s["centre"] != "home")
    assert cached() is None
    first = slots[0]
    r = victims.client.post(victims.v("bert", "/booking"), json={
        "doctor": first["doctor"], "centre": first["centre"], "start": first["start"]})
    assert r.status_code == 200, r.text
    assert set(cached() or {}) == {"BRU", "GNT"}
