"""Offered slots on the database: what one convocation may book, loaded lean.

:func:`slots_for` reads only what the convocation can use, in a handful of indexed
queries: the active doctors (a small table, filtered here on language and specialty),
their sessions from the first possible day to the deadline at the centres the victim can
reach (or their home rounds, for a home visit), their absences, and the confirmed
appointments of those doctors and at those centres on those days.  The free time is then
computed in memory by :func:`scheduler.slots.offered_slots`; the booking re-checks the
chosen slot with :func:`load_need_and_supply` narrowed to one doctor, centre and day, and
:func:`scheduler.slots.check_slot` (the same rules, the same code).

Dates: a slot lies between ``max(release, the first bookable day)`` and the deadline.  A
convocation already past its deadline is offered the next ``OVERDUE_DAYS`` days (the
weekly engine plans an overdue file in the week it plans, see
:func:`api.planning.build_week`).  No slot starts before now plus ``MARGIN`` (plus the
cut-off for changes, when one is set: a victim should not book what they could no longer
change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.errors import NotFound
from api.planning import domain_centre, travel_minutes
from api.tables import (
    Absence,
    Appointment,
    AppointmentStatus,
    Centre,
    Convocation,
    ConvocationStatus,
    Doctor,
    DoctorSession,
    Victim,
)
from scheduler import domain as d
from scheduler.calendar import DEFAULT_CALENDAR
from scheduler.slots import Booked, Part, Slot, SlotNeed, SlotSupply, offered_slots

MARGIN = timedelta(minutes=30)
"""No slot starts sooner than this after the present."""
OVERDUE_DAYS = 14
"""Days offered to a convocation already past its deadline."""
BOOKABLE = (ConvocationStatus.PENDING, ConvocationStatus.SCHEDULED)


def brussels_now(now: datetime | None = None) -> datetime:
    """``now`` (aware, or naive UTC; default: the present) as Brussels wall-clock time."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(d.BRUSSELS).replace(tzinfo=None)


def earliest_start(now: datetime | None = None, cutoff_hours: int | None = None) -> datetime:
    """The first moment a slot may start (Brussels wall clock)."""
    return brussels_now(now) + max(MARGIN, timedelta(hours=cutoff_hours or 0))


def window(conv: Convocation, earliest: datetime) -> tuple[date, date]:
    """The days a slot of ``conv`` may lie on (empty when the first is after the last)."""
    first = max(conv.release_date, earliest.date())
    if conv.deadline >= max(conv.release_date, earliest.date()):
        return first, conv.deadline
    return first, earliest.date() + timedelta(days=OVERDUE_DAYS - 1)


@dataclass(frozen=True)
class Loaded:
    """A convocation's need and the agenda it may use, with the doctors' ids by code."""

    need: SlotNeed
    supply: SlotSupply
    doctor_ids: dict[str, int]
    current: Appointment | None
    """The convocation's confirmed appointment, if any."""


def current_appointment(session: Session, convocation_id: int) -> Appointment | None:
    return session.exec(select(Appointment).where(
        Appointment.convocation_id == convocation_id,
        Appointment.status == AppointmentStatus.CONFIRMED)).first()


def suits(doctor: Doctor, conv: Convocation, language: str) -> bool:
    return language in doctor.languages and (
        conv.specialty == d.GENERAL or conv.specialty in doctor.specialties)


def build_need(session: Session, conv: Convocation, victim: Victim, earliest: datetime,
               centres: list[Centre]) -> SlotNeed:
    """What ``conv`` needs of a slot, as the week format states it (its travel minutes
    from the victim's cache, or the travel model as :func:`api.planning.build_week`)."""
    travel = travel_minutes(session, [victim], centres).get(victim.id or 0, {})
    return SlotNeed(
        convocation=str(conv.id), language=victim.language, specialty=conv.specialty,
        duration_min=conv.duration_min, home_visit=conv.home_visit,
        release=conv.release_date, deadline=window(conv, earliest)[1], earliest=earliest,
        unavailable=frozenset(date.fromisoformat(x) for x in conv.unavailable),
        max_travel_min=conv.max_travel_min, travel_min=travel, lat=victim.lat, lon=victim.lon)


def load_need_and_supply(session: Session, conv: Convocation, victim: Victim, *,
                         first: date, last: date, earliest: datetime,
                         doctor_codes: Collection[str] | None = None,
                         centre: str | None = None) -> Loaded:
    """What ``conv`` needs and what the agenda offers it from ``first`` to ``last``.

    ``doctor_codes`` / ``centre`` narrow the agenda (a booking's re-check: one doctor,
    one centre, one day).  Only doctors with the language and the specialty, and only
    the centres within the victim's maximum travel (or home rounds), are loaded."""
    centres = list(session.exec(select(Centre).order_by(col(Centre.id))).all())
    need = build_need(session, conv, victim, earliest, centres)
    current = current_appointment(session, conv.id or 0)
    narrow = doctor_codes is not None
    if narrow:  # a chosen slot: load its doctor and place whatever they are, to say why not
        places: set[str] = set() if centre in (None, d.HOME) else {centre}
        wanted_home = centre == d.HOME
    elif conv.home_visit:
        places, wanted_home = set(), centre in (None, d.HOME)
    else:
        places = {c.id for c in centres if need.travel_min.get(c.id) is not None
                  and need.travel_min[c.id] <= conv.max_travel_min}
        if centre is not None:
            places &= {centre}
        wanted_home = False
    stmt = select(Doctor).where(Doctor.active)
    if doctor_codes is not None:
        stmt = stmt.where(col(Doctor.code).in_(list(doctor_codes)))
    doctors = [doc for doc in session.exec(stmt.order_by(col(Doctor.code))).all()
               if narrow or suits(doc, conv, victim.language)]
    supply = load_supply(session, doctors, places, home=wanted_home, first=first, last=last,
                         centres=centres)
    return Loaded(need, supply, {doc.code: doc.id or 0 for doc in doctors}, current)


def load_supply(session: Session, doctors: list[Doctor], places: set[str], *, home: bool,
                first: date, last: date, centres: list[Centre]) -> SlotSupply:
    """The agenda of ``doctors`` from ``first`` to ``last``: their sessions at ``places``
    (or their home rounds, with ``home``) minus their absences, their confirmed
    appointments on those days, and every confirmed appointment at those centres then
    (whoever the doctor: the rooms).  Four queries."""
    def bare() -> SlotSupply:
        return SlotSupply(tuple(d.Doctor(doc.code, frozenset(doc.languages),
                                         frozenset(doc.specialties) | {d.GENERAL},
                                         doc.max_exams_per_day, ()) for doc in doctors),
                          {c.id: domain_centre(c) for c in centres})

    if first > last or not doctors or not (places or home):
        return bare()
    ids = [doc.id for doc in doctors]
    where = col(DoctorSession.centre_id).is_(None) if home else col(
        DoctorSession.centre_id).in_(sorted(places))
    rows = session.exec(select(DoctorSession).where(
        col(DoctorSession.doctor_id).in_(ids), DoctorSession.day >= first,
        DoctorSession.day <= last, where).order_by(col(DoctorSession.day),
                                                   col(DoctorSession.start))).all()
    if not rows:
        return bare()
    working = sorted({r.doctor_id for r in rows})
    absent: dict[int, set[date]] = defaultdict(set)
    for a in session.exec(select(Absence).where(col(Absence.doctor_id).in_(working),
                                                Absence.first_day <= last,
                                                Absence.last_day >= first)).all():
        day = max(a.first_day, first)
        while day <= min(a.last_day, last):
            absent[a.doctor_id].add(day)
            day += timedelta(days=1)
    by_doctor: dict[int, list[d.Session]] = defaultdict(list)
    used: set[str] = set()
    for r in rows:
        if r.day in absent.get(r.doctor_id, ()):
            continue
        by_doctor[r.doctor_id].append(d.Session(
            r.centre_id or d.HOME, r.day, r.start, r.end,
            base=r.base_centre_id if r.centre_id is None else None))
        if r.centre_id is not None:
            used.add(r.centre_id)
    domain_doctors = tuple(
        d.Doctor(doc.code, frozenset(doc.languages), frozenset(doc.specialties) | {d.GENERAL},
                 doc.max_exams_per_day, tuple(by_doctor.get(doc.id or 0, ())))
        for doc in doctors)
    code_of = {doc.id: doc.code for doc in doctors}
    days = sorted({s.day for doc in domain_doctors for s in doc.sessions})
    booked: dict[str, list[Booked]] = defaultdict(list)
    at_centre: dict[str, list[Booked]] = defaultdict(list)
    if days:
        used_centres = sorted(places & used)
        lo = datetime.combine(days[0], time())
        hi = datetime.combine(days[-1] + timedelta(days=1), time())
        cond: ColumnElement[bool] = col(Appointment.doctor_id).in_(
            [i for i in working if by_doctor.get(i)])
        if used_centres:
            cond = or_(cond, col(Appointment.centre_id).in_(used_centres))
        columns: list[Any] = [col(Appointment.convocation_id), col(Appointment.doctor_id),
                              col(Appointment.centre_id), col(Appointment.start),
                              col(Appointment.end)]
        stmt = sa_select(*columns)
        if home:
            stmt = (sa_select(*columns, col(Victim.lat), col(Victim.lon))
                    .join(Convocation, col(Convocation.id) == col(Appointment.convocation_id))
                    .join(Victim, col(Victim.id) == col(Convocation.victim_id)))
        stmt = stmt.where(col(Appointment.status) == AppointmentStatus.CONFIRMED,
                          col(Appointment.start) >= lo, col(Appointment.start) < hi, cond)
        for row in session.execute(stmt).all():
            cid, doctor_id, centre_id, start, end = row[:5]
            lat, lon = (row[5], row[6]) if home and centre_id is None else (None, None)
            b = Booked(str(cid), start, end, centre_id or d.HOME, lat, lon)
            code = code_of.get(doctor_id)
            if code is not None:
                booked[code].append(b)
            if centre_id is not None and centre_id in places:
                at_centre[centre_id].append(b)
    return SlotSupply(
        doctors=domain_doctors, centres={c.id: domain_centre(c) for c in centres},
        closed_dates=DEFAULT_CALENDAR.closed_dates(days[0], days[-1]) if days else frozenset(),
        booked={k: tuple(v) for k, v in booked.items()},
        at_centre={k: tuple(v) for k, v in at_centre.items()})


def current_slot(loaded: Loaded, session: Session) -> Slot | None:
    appt = loaded.current
    if appt is None:
        return None
    code = next((c for c, i in loaded.doctor_ids.items() if i == appt.doctor_id), None)
    if code is None:
        doctor = session.get(Doctor, appt.doctor_id)
        code = doctor.code if doctor else "?"
    return Slot(code, appt.centre_id or d.HOME, appt.start, appt.end, appt.travel_min)


def slots_for(session: Session, convocation_id: int, *, centre: str | None = None,
              day: date | None = None, part: Part | None = None, limit: int = 50,
              now: datetime | None = None, cutoff_hours: int | None = None) -> list[Slot]:
    """The slots the convocation may book now, best first (see
    :func:`scheduler.slots.offered_slots` for the order and the spread); its own
    appointment's slot is not among them.  A cancelled or finished file has none.

    ``now``: aware, or naive UTC (default: the present); ``cutoff_hours``: the
    settings' ``victim_cutoff_hours`` (no slot sooner than that)."""
    conv = session.get(Convocation, convocation_id)
    if conv is None:
        raise NotFound(f"no convocation {convocation_id}")
    if conv.status not in BOOKABLE:
        return []
    victim = session.get(Victim, conv.victim_id)
    if victim is None:  # pragma: no cover - a foreign key
        raise NotFound(f"no victim {conv.victim_id}")
    earliest = earliest_start(now, cutoff_hours)
    first, last = window(conv, earliest)
    if day is not None:
        if not first <= day <= last:
            return []
        first = last = day
    loaded = load_need_and_supply(session, conv, victim, first=first, last=last,
                                  earliest=earliest, centre=centre)
    mine = current_slot(loaded, session)
    return offered_slots(loaded.need, loaded.supply, limit=limit, centre=centre, day=day,
                         part=part, exclude=[mine] if mine else [])
