"""The offered slots read nearest places first (the nearest alone, then two, four... travel
times at a time) are exactly the list computed from the whole agenda at once, on the demo
data: the real centres, the demo doctors (home rounds too), half the week booked."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from api import offers
from api.db import Database
from api.offers import slots_for
from api.planning import domain_centre
from api.tables import Centre, Convocation, Victim
from scheduler import domain as d
from scheduler.slots import Slot, check_slot, offered_slots
from tests.api.booking_fixtures import MONDAY, NOW, demo_week_half_booked


def _everything_at_once(s: Any, cid: int, *, limit: int, centre: str | None = None,
                        day: date | None = None, part: Any = None) -> list[Slot]:
    """The definition: every session of every suitable doctor at every reachable place
    over the whole window, in one supply."""
    conv = s.get(Convocation, cid)
    victim = s.get(Victim, conv.victim_id)
    if conv.status not in offers.BOOKABLE:
        return []
    earliest = offers.earliest_start(NOW)
    first, last = offers.window(conv, earliest)
    if day is not None:
        if not first <= day <= last:
            return []
        first = last = day
    centres = list(s.exec(select(Centre).order_by(col(Centre.id))).all())
    need = offers.build_need(s, conv, victim, earliest, centres)
    if conv.home_visit:
        places, home = set(), centre in (None, d.HOME)
    else:
        places = {c.id for c in centres if need.travel_min.get(c.id) is not None
                  and need.travel_min[c.id] <= conv.max_travel_min}
        places, home = (places & {centre} if centre else places), False
    doctors = [doc for doc in offers.active_doctors(s)
               if offers.suits(doc, conv, victim.language)]
    sessions = offers.load_sessions(s, [doc.id or 0 for doc in doctors], places, home=home,
                                    first=first, last=last)
    mine = offers.current_appointment(s, cid)
    exclude = []
    if mine is not None:
        code = next(doc.code for doc in doctors if doc.id == mine.doctor_id)
        exclude = [Slot(code, mine.centre_id or d.HOME, mine.start, mine.end,
                        mine.travel_min)]
    supply = offers.supply_of(s, doctors, sessions, places,
                              {c.id: domain_centre(c) for c in centres}, with_idle=False)
    return offered_slots(need, supply, limit=limit, centre=centre, day=day, part=part,
                         exclude=exclude)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Any:
    path = tmp_path_factory.mktemp("offers") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    built = demo_week_half_booked(db, convocations=300, seed=5)
    homes = sorted(built.convocations[c.id] for c in built.week.convocations if c.home_visit)
    others = sorted(set(built.convocations.values()) - set(homes))
    sample = random.Random(8).sample(others, 30) + homes[:4]
    yield db, sample
    db.dispose()


@pytest.mark.parametrize("limit", [1, 6, 20, 50])
def test_nearest_first_is_the_whole_agenda_at_once(demo: Any, limit: int) -> None:
    db, sample = demo
    compared = 0
    with db.session() as s:
        for cid in sample:
            got = slots_for(s, cid, now=NOW, limit=limit)
            assert got == _everything_at_once(s, cid, limit=limit), cid
            compared += len(got)
    assert compared >= len(sample) * min(limit, 3) // 2  # most victims are offered slots


def test_nearest_first_with_filters_is_the_whole_agenda_at_once(demo: Any) -> None:
    db, sample = demo
    rnd = random.Random(2)
    with db.session() as s:
        centres = [c.id for c in s.exec(select(Centre)).all()]
        for cid in sample:
            day = MONDAY + timedelta(days=rnd.randrange(12))
            for kw in ({"part": "morning"}, {"part": "afternoon"}, {"day": day},
                       {"centre": rnd.choice(centres)}, {"centre": "home"},
                       {"day": day, "part": "afternoon"}):
                assert slots_for(s, cid, now=NOW, limit=10, **kw) == _everything_at_once(
                    s, cid, limit=10, **kw), (cid, kw)


def test_one_slots_agenda_decides_as_the_whole_day(demo: Any) -> None:
    """The booking's re-check reads only the centre's appointments that overlap the slot
    (``around``): exactly those of the whole day that overlap it, the doctor's whole day,
    and the same decision for offered slots and times beside them (taken, overlapping,
    off the grid, outside the session).  That the rooms' rule needs no other exam is
    :func:`tests.scheduler.test_slots.test_rooms_are_decided_by_the_exams_overlapping_the_slot`."""
    db, sample = demo
    decided: dict[bool, int] = {True: 0, False: 0}
    near_ones = 0
    with db.session() as s:
        centres = list(s.exec(select(Centre).order_by(col(Centre.id))).all())
        known = {c.id: domain_centre(c) for c in centres}
        doctors = {doc.code: doc for doc in offers.active_doctors(s)}
        earliest = offers.earliest_start(NOW)
        for cid in sample:
            conv = s.get(Convocation, cid)
            need = offers.build_need(s, conv, s.get(Victim, conv.victim_id), earliest, centres)
            week = [MONDAY + timedelta(days=k) for k in range(5)]  # the days booked
            for slot in [x for day in week
                         for x in _everything_at_once(s, cid, limit=3, day=day)]:
                doctor = doctors[slot.doctor]
                whole = offers.day_supply(s, doctor, slot.centre, slot.start.date(), known)
                others = [b.start + timedelta(minutes=m)  # the other exams at that centre
                          for b in whole.at_centre.get(slot.centre, ()) for m in (-15, 0, 15)]
                for start in [slot.start + timedelta(minutes=m)
                              for m in (0, 5, 15, 30, -15, -45, 60, 240)] + others:
                    end = start + timedelta(minutes=conv.duration_min)
                    near = offers.day_supply(s, doctor, slot.centre, start.date(), known,
                                             around=(start, end))
                    overlapping = tuple(b for b in whole.at_centre.get(slot.centre, ())
                                        if b.start < end and start < b.end)
                    assert near.at_centre.get(slot.centre, ()) == overlapping
                    assert near.booked == whole.booked and near.doctors == whole.doctors
                    near_ones += len(overlapping)
                    refusal = check_slot(need, whole, slot.doctor, slot.centre, start)
                    assert check_slot(need, near, slot.doctor, slot.centre, start) == \
                        refusal, (cid, slot, start)
                    decided[refusal is None] += 1
    assert decided[True] > 100 and decided[False] > 100 and near_ones > 50, (decided,
                                                                             near_ones)


def test_active_doctors_are_the_doctors_table_as_it_is(db_url: str) -> None:
    """The plain rows of the offers (their JSON lists read as text and decoded once per
    distinct text) hold what the ORM reads, on both databases; the language filter keeps
    exactly the doctors speaking it; an inactive doctor is left out."""
    from api.seed import load_demo
    from api.tables import Doctor

    db = Database(db_url)
    try:
        load_demo(db, convocations=600, seed=4)
        with db.session() as s:
            gone = s.exec(select(Doctor).order_by(col(Doctor.code))).first()
            assert gone is not None
            gone.active, gone.specialties = False, []
            s.add(gone)
        with db.session() as s:
            orm = [doc for doc in s.exec(select(Doctor).order_by(col(Doctor.code))).all()
                   if doc.active]
            want = [(doc.id, doc.code, tuple(doc.languages), tuple(doc.specialties),
                     doc.max_exams_per_day) for doc in orm]
            assert [tuple(row[:5]) for row in offers.active_doctors(s)] == want
            assert len(want) > 10 and any(len(doc.languages) > 1 for doc in orm)
            for language in ("nl", "fr", "de", "en"):
                assert [row.code for row in offers.active_doctors(s, language)] == [
                    doc.code for doc in orm if language in doc.languages], language
            one = orm[3]
            row = offers.active_doctor(s, one.code)
            assert row is not None and (row.name, row.languages, row.specialties) == (
                one.name, tuple(one.languages), tuple(one.specialties))
            assert offers.active_doctor(s, gone.code) is None
    finally:
        db.dispose()
