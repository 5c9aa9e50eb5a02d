"""Many victims booking at once, on SQLite and PostgreSQL: one winner per slot, nothing
double-booked (the independent checker on the resulting week), nothing lost (one
appointment, one audit entry and one message per success; none for a refusal)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import select

from api.booking import Actor, SlotChoice, SlotTaken, book, cancel
from api.db import Database, lock_rows, make_engine
from api.planning import build_week, published_schedule
from api.tables import Appointment, Centre, Doctor, DoctorSession
from scheduler.validate import check_schedule
from tests.api.booking_fixtures import MONDAY, NOW, Agenda, make_agenda

pytestmark = pytest.mark.slow
RACERS = 100


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` for i < n in n threads released at once; each result or exception."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def go(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # collected and judged by the test
            out[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return out


def _agenda(url: str) -> Agenda:
    agenda = make_agenda(url)
    if not url.startswith("sqlite"):  # a pool as a server has it: requests queue for it
        agenda.db.dispose()
        agenda.db = Database(url, engine=make_engine(url, pool_size=20, max_overflow=0,
                                                     pool_timeout=120))
    return agenda


def _independent_check(agenda: Agenda) -> None:
    with agenda.db.session() as s:
        built = build_week(s, MONDAY, keep_published=False)
        report = check_schedule(built.week, published_schedule(built))
    assert report.ok, [v.message for v in report.violations[:5]]


def _book(agenda: Agenda, conv: int, doctor: str, start: datetime) -> Appointment:
    with agenda.db.session() as s:
        return book(s, conv, SlotChoice(doctor, "BRU", start), Actor.victim(conv),
                    notices=agenda.notices, settings=agenda.settings, now=NOW)


def test_a_hundred_victims_race_for_the_last_slot_one_wins(db_url: str) -> None:
    agenda = _agenda(db_url)
    try:
        convs = [agenda.convocation(phone=f"+32470{i:06d}") for i in range(RACERS)]
        last = datetime.combine(MONDAY, time(9))
        got = _together(RACERS, lambda i: _book(agenda, convs[i], "D001", last))
        won = [g for g in got if isinstance(g, Appointment)]
        lost = [g for g in got if isinstance(g, SlotTaken)]
        assert len(won) == 1, Counter(type(g).__name__ for g in got)
        assert len(lost) == RACERS - 1, [g for g in got if not isinstance(
            g, Appointment | SlotTaken)][:3]
        assert [(a.doctor_id, a.start) for a in agenda.confirmed()] == [
            (agenda.ids["D001"], last)]
        assert len(agenda.audit("book")) == 1
        [message] = agenda.outbox()
        assert message["appointment_id"] == str(won[0].id)
        _independent_check(agenda)
    finally:
        agenda.db.dispose()


def test_concurrent_bookings_of_different_free_slots_all_succeed(db_url: str) -> None:
    agenda = _agenda(db_url)
    try:
        n = 30
        convs = [agenda.convocation(language="fr", phone=f"+32471{i:06d}") for i in range(n)]
        # D001 in the mornings, D002 in the afternoons, 30-minute exams, 5 days: 65 slots
        slots = [(doctor, datetime.combine(MONDAY + timedelta(days=day), time(h, m)))
                 for day in range(5)
                 for doctor, hours in (("D001", range(9, 12)), ("D002", range(13, 16)))
                 for h in hours for m in (0, 30)]
        got = _together(n, lambda i: _book(agenda, convs[i], *slots[i]))
        assert all(isinstance(g, Appointment) for g in got), [g for g in got
                                                                if not isinstance(g, Appointment)]
        assert len(agenda.confirmed()) == n
        assert len(agenda.audit("book")) == n and len(agenda.outbox()) == n
        _independent_check(agenda)
    finally:
        agenda.db.dispose()


def test_reschedules_and_cancels_racing_with_new_bookings_stay_consistent(db_url: str
                                                                          ) -> None:
    agenda = _agenda(db_url)
    try:
        movers = [agenda.convocation() for _ in range(10)]
        newcomers = [agenda.convocation() for _ in range(10)]
        for i, conv in enumerate(movers):
            _book(agenda, conv, "D001", datetime.combine(MONDAY + timedelta(days=i // 5),
                                                         time(9 + (i % 5) // 2, 30 * (i % 2))))
        targets = [datetime.combine(MONDAY + timedelta(days=2 + i // 6),
                                    time(9 + (i % 6) // 2, 30 * (i % 2))) for i in range(10)]

        def work(i: int) -> Any:
            if i < 10:  # half the movers cancel, half move to Wednesday/Thursday
                with agenda.db.session() as s:
                    if i % 2:
                        return cancel(s, movers[i], Actor.victim(movers[i]), reason="x",
                                      notices=agenda.notices, settings=agenda.settings,
                                      now=NOW)
                    return book(s, movers[i], SlotChoice("D001", "BRU", targets[i]),
                                Actor.victim(movers[i]), reason="moved",
                                notices=agenda.notices, settings=agenda.settings, now=NOW)
            # the newcomers want the same Wednesday/Thursday slots, or a freed Monday one
            j = i - 10
            start = targets[j] if j % 2 == 0 else datetime.combine(
                MONDAY + timedelta(days=j // 5), time(9 + (j % 5) // 2, 30 * (j % 2)))
            return _book(agenda, newcomers[j], "D001", start)

        got = _together(20, work)
        unexpected = [g for g in got if isinstance(g, Exception)
                      and not isinstance(g, SlotTaken)]
        assert not unexpected, unexpected
        _independent_check(agenda)
        confirmed = agenda.confirmed()
        successes = [g for g in got if isinstance(g, Appointment)]
        with agenda.db.session() as s:
            cancelled = s.exec(select(Appointment).where(
                Appointment.status == "cancelled")).all()
        assert len(confirmed) + len(cancelled) == 10 + len(
            [g for g in got[10:] if isinstance(g, Appointment)])
        # every success left one audit entry and its message(s); a refusal none
        kinds = Counter(m["kind"] for m in agenda.outbox())
        audit = Counter(e.action for e in agenda.audit())
        assert audit["reschedule"] == kinds["change"] == len(
            [g for g in got[:10:2] if isinstance(g, Appointment)])
        assert audit["cancel"] == kinds["cancellation"] == 5
        assert audit["book"] == kinds["convocation"] == 10 + len(
            [g for g in got[10:] if isinstance(g, Appointment)])
        assert len(successes) >= 10
    finally:
        agenda.db.dispose()


def test_two_doctors_racing_for_the_last_room_one_wins(db_url: str) -> None:
    """Different doctors, the same centre and time, one room: the centre's day is what the
    bookings must share, not a doctor's."""
    agenda = _agenda(db_url)
    try:
        with agenda.db.session() as s:
            bru = s.get(Centre, "BRU")
            assert bru is not None
            bru.rooms = 1
            s.add(bru)
            s.add(DoctorSession(doctor_id=agenda.ids["D002"], centre_id="BRU", day=MONDAY,
                                start=time(9), end=time(12, 30)))
        convs = [agenda.convocation(language="fr", phone=f"+32472{i:06d}")
                 for i in range(RACERS)]
        nine = datetime.combine(MONDAY, time(9))
        got = _together(RACERS, lambda i: _book(agenda, convs[i], ("D001", "D002")[i % 2],
                                                 nine))
        won = [g for g in got if isinstance(g, Appointment)]
        assert len(won) == 1, Counter(type(g).__name__ for g in got)
        assert all(isinstance(g, SlotTaken) for g in got if g not in won), [
            g for g in got if not isinstance(g, Appointment | SlotTaken)][:3]
        assert len(agenda.confirmed()) == 1 and len(agenda.outbox()) == 1
        _independent_check(agenda)
    finally:
        agenda.db.dispose()


def _waits(work: Callable[[], Any], hold_s: float = 1.5) -> tuple[threading.Thread, list[Any]]:
    """Start ``work`` in a thread; after ``hold_s`` the thread is still running if it waits
    for a lock (the caller checks), and its result lands in the list."""
    out: list[Any] = []

    def go() -> None:
        try:
            out.append(work())
        except Exception as exc:  # judged by the test
            out.append(exc)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(timeout=hold_s)
    return thread, out


def test_on_postgresql_only_bookings_of_the_same_day_wait_for_each_other(db_url: str
                                                                         ) -> None:
    """A booking in progress (Monday, Dr. D001 at BRU) holds its doctor's day and its
    centre's day: a booking of Tuesday with the same doctor at the same centre goes on at
    once, one of Monday with another doctor at the same centre (its rooms) waits."""
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite serialises all writers (BEGIN IMMEDIATE)")
    agenda = _agenda(db_url)
    try:
        with agenda.db.session() as s:
            s.add(DoctorSession(doctor_id=agenda.ids["D002"], centre_id="BRU", day=MONDAY,
                                start=time(9), end=time(12, 30)))
        first, other_day, same_day = (agenda.convocation(language="fr") for _ in range(3))
        nine = datetime.combine(MONDAY, time(9))
        with agenda.db.session() as s:
            book(s, first, SlotChoice("D001", "BRU", nine), Actor.victim(first),
                 notices=agenda.notices, settings=agenda.settings, now=NOW)
            tuesday, got_tuesday = _waits(lambda: _book(agenda, other_day, "D001",
                                                        nine + timedelta(days=1)), 30)
            assert not tuesday.is_alive(), "another day waited"
            assert isinstance(got_tuesday[0], Appointment), got_tuesday
            monday, got_monday = _waits(lambda: _book(agenda, same_day, "D002",
                                                      nine + timedelta(minutes=30)))
            assert monday.is_alive(), "the same centre's day did not wait"
        monday.join(timeout=30)
        assert isinstance(got_monday[0], Appointment), got_monday
        assert len(agenda.confirmed()) == 3
        _independent_check(agenda)
    finally:
        agenda.db.dispose()


def test_a_doctor_locked_for_update_holds_the_bookings_until_it_is_released(db_url: str
                                                                            ) -> None:
    """Publishing a plan and a planner's move lock doctors ``FOR UPDATE``: a booking of
    that doctor waits for them (and they for it), on PostgreSQL; on SQLite the write lock
    does the same."""
    agenda = _agenda(db_url)
    try:
        conv = agenda.convocation()
        nine = datetime.combine(MONDAY, time(9))
        with agenda.db.session() as s:
            lock_rows(s, Doctor, [agenda.ids["D001"]])
            s.execute(select(Centre).where(Centre.id == "GNT")).all()  # SQLite: begun
            waiting, got = _waits(lambda: _book(agenda, conv, "D001", nine))
            assert waiting.is_alive(), "the booking did not wait for the doctor's lock"
        waiting.join(timeout=30)
        assert isinstance(got[0], Appointment), got
    finally:
        agenda.db.dispose()
