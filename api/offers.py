"""Offered slots on the database: what one convocation may book, loaded lean.

:func:`slots_for` reads only what the convocation can use, in a handful of indexed
queries: the active doctors (a small table, filtered here on language and specialty),
their sessions from the first possible day to the deadline at the centres the victim can
reach (or their home rounds, for a home visit), their absences, and the confirmed
appointments of those doctors and at those centres on those days.  The free time is then
computed in memory by :func:`scheduler.slots.offered_slots`; the booking re-checks the
chosen slot with :func:`load_supply` narrowed to one doctor, centre and day, and
:func:`scheduler.slots.check_slot` (the same rules, the same code).

Dates: a slot lies between ``max(release, the first bookable day)`` and the deadline.  A
convocation already past its deadline is offered the next ``OVERDUE_DAYS`` days (the
weekly engine plans an overdue file in the week it plans, see
:func:`api.planning.build_week`).  No slot starts before now plus ``MARGIN`` (plus the
cut-off for changes, when one is set: a victim should not book what they could no longer
change).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    exists,
    literal_column,
    null,
    or_,
    union_all,
)
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


def change_deadline(start: datetime, cutoff_hours: int | None) -> datetime:
    """Until when (Brussels wall clock) an appointment starting at ``start`` may be changed
    online: the settings' ``victim_cutoff_hours`` before it (none: up to its start)."""
    return start - timedelta(hours=cutoff_hours or 0)


def earliest_start(now: datetime | None = None, cutoff_hours: int | None = None) -> datetime:
    """The first moment a slot may start (Brussels wall clock)."""
    return brussels_now(now) + max(MARGIN, timedelta(hours=cutoff_hours or 0))


def window(conv: Convocation, earliest: datetime) -> tuple[date, date]:
    """The days a slot of ``conv`` may lie on (empty when the first is after the last)."""
    first = max(conv.release_date, earliest.date())
    if conv.deadline >= max(conv.release_date, earliest.date()):
        return first, conv.deadline
    return first, earliest.date() + timedelta(days=OVERDUE_DAYS - 1)


CURRENT = select(Appointment).where(col(Appointment.convocation_id) == bindparam("id"),
                                    col(Appointment.status) == AppointmentStatus.CONFIRMED)
_CENTRES = select(Centre).order_by(col(Centre.id))
"""Statements built once: building one costs about as much as running it."""


def current_appointment(session: Session, convocation_id: int) -> Appointment | None:
    return session.exec(CURRENT, params={"id": convocation_id}).first()


def all_centres(session: Session) -> list[Centre]:
    """Every centre, by id."""
    return list(session.exec(_CENTRES).all())


class DoctorLike(Protocol):
    """What the slots need of a doctor: a :class:`~api.tables.Doctor` row, or the plain
    row :func:`active_doctors` reads."""

    @property
    def id(self) -> int | None: ...
    @property
    def code(self) -> str: ...
    @property
    def languages(self) -> Sequence[str]: ...
    @property
    def specialties(self) -> Sequence[str]: ...
    @property
    def max_exams_per_day(self) -> int: ...


CONFIRMED = col(Appointment.status) == literal_column(f"'{AppointmentStatus.CONFIRMED}'")
"""Confirmed appointments, the status written out in the statement (not bound): SQLite
then uses the partial indexes of confirmed appointments, as (doctor, start)."""


class DoctorRow(NamedTuple):
    """A doctor as the slots read it: a plain tuple (built for each of the ~200 active
    doctors at each offer), its languages and specialties decoded once per distinct text
    (:func:`_codes`)."""

    id: int | None
    code: str
    languages: tuple[str, ...]
    specialties: tuple[str, ...]
    max_exams_per_day: int
    name: str = ""


@lru_cache(maxsize=1024)
def _codes(text: str | None) -> tuple[str, ...]:
    """A JSON list of codes (``'["nl", "fr"]'``) as a tuple; the few distinct texts of the
    doctors' languages and specialties are decoded once, not at every row of every offer."""
    return tuple(json.loads(text)) if text else ()


def _as_text(column: Any) -> Any:
    """A JSON column read as its text (decoded by :func:`_codes`, not row by row)."""
    return cast(column, String)


_DOCTOR_COLUMNS = (col(Doctor.id), col(Doctor.code), _as_text(col(Doctor.languages)),
                   _as_text(col(Doctor.specialties)), col(Doctor.max_exams_per_day))


def _doctor_row(row: Any) -> DoctorRow:
    ident, code, languages, specialties, most, *name = row
    return DoctorRow(ident, code, _codes(languages), _codes(specialties), most, *name)


def active_doctors(session: Session, language: str | None = None) -> list[DoctorRow]:
    """The active doctors as plain rows (one query, no objects), or only those whose
    languages' JSON text names ``language`` (a cheap filter in the database that may let
    through more than it should, never fewer: :func:`suits` decides)."""
    if language is None:
        rows = session.connection().execute(_ACTIVE)
    else:
        needle = json.dumps(language)
        for special in ("\\", "%", "_"):
            needle = needle.replace(special, "\\" + special)
        rows = session.connection().execute(_SPEAKING, {"pattern": f"%{needle}%"})
    return [_doctor_row(row) for row in rows.all()]


_ACTIVE = sa_select(*_DOCTOR_COLUMNS).where(col(Doctor.active)).order_by(col(Doctor.code))
_SPEAKING = sa_select(*_DOCTOR_COLUMNS).where(col(Doctor.active), _as_text(
    col(Doctor.languages)).like(bindparam("pattern"), escape="\\")).order_by(col(Doctor.code))
"""The statements of :func:`active_doctors`, built once."""


_BY_CODE = sa_select(*_DOCTOR_COLUMNS, col(Doctor.name)).where(
    col(Doctor.code) == bindparam("code"), col(Doctor.active))


def active_doctor(session: Session, code: str) -> DoctorRow | None:
    """The active doctor of that code as a plain row, with their name (one query on a
    statement built once), or ``None``."""
    row = session.connection().execute(_BY_CODE, {"code": code}).first()
    return None if row is None else _doctor_row(row)


def suits(doctor: DoctorLike, conv: Convocation, language: str) -> bool:
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


def _session_statements() -> tuple[Any, Any, Any]:
    """The statements of :func:`load_sessions`, built once (the lists bound as expanding
    parameters): the sessions at centres, the home rounds, the absences."""
    doctors: Any = bindparam("doctors", expanding=True)
    sessions = sa_select(
        col(DoctorSession.doctor_id), col(DoctorSession.centre_id),
        col(DoctorSession.base_centre_id), col(DoctorSession.day), col(DoctorSession.start),
        col(DoctorSession.end)).where(
        col(DoctorSession.doctor_id).in_(doctors), col(DoctorSession.day) >= bindparam("first"),
        col(DoctorSession.day) <= bindparam("last"))
    order = (col(DoctorSession.day), col(DoctorSession.start))
    at_centres = sessions.where(col(DoctorSession.centre_id).in_(
        bindparam("places", expanding=True))).order_by(*order)
    at_home = sessions.where(col(DoctorSession.centre_id).is_(None)).order_by(*order)
    absences = sa_select(
        col(Absence.doctor_id), col(Absence.first_day), col(Absence.last_day)).where(
        col(Absence.doctor_id).in_(doctors), col(Absence.first_day) <= bindparam("last"),
        col(Absence.last_day) >= bindparam("first"))
    return at_centres, at_home, absences


_SESSIONS = _session_statements()


def load_sessions(session: Session, doctor_ids: list[int], places: set[str], *, home: bool,
                  first: date, last: date) -> dict[int, list[d.Session]]:
    """The sessions of these doctors from ``first`` to ``last`` at ``places`` (or their
    home rounds, with ``home``), less the days they are absent; by doctor id.  Two
    queries, plain rows (no objects)."""
    if first > last or not doctor_ids or not (places or home):
        return {}
    at_centres, at_home, absences = _SESSIONS
    conn = session.connection()
    span = {"first": first, "last": last}
    if home:
        rows = conn.execute(at_home, {**span, "doctors": doctor_ids}).all()
    else:
        rows = conn.execute(at_centres, {**span, "doctors": doctor_ids,
                                         "places": sorted(places)}).all()
    if not rows:
        return {}
    absent: dict[int, set[date]] = defaultdict(set)
    for doctor_id, a_first, a_last in conn.execute(absences, {
            **span, "doctors": sorted({r[0] for r in rows})}).all():
        day = max(a_first, first)
        while day <= min(a_last, last):
            absent[doctor_id].add(day)
            day += timedelta(days=1)
    out: dict[int, list[d.Session]] = defaultdict(list)
    for doctor_id, centre_id, base, day, start, end in rows:
        if day not in absent.get(doctor_id, ()):
            out[doctor_id].append(d.Session(centre_id or d.HOME, day, start, end,
                                            base=base if centre_id is None else None))
    return dict(out)


def _supply_statements() -> dict[tuple[bool, bool], Any]:
    """The statements of :func:`supply_of`, built once, by (home rounds, centres): the
    confirmed appointments of a period of the doctors (with their patients' homes for the
    rounds' legs), then those of the other doctors at the centres.  Two selects in one
    ``UNION ALL``, so that each side reads by its own index, (doctor, start) and (centre,
    start); an ``OR`` of the two has SQLite read the whole period by start."""
    doctors: Any = bindparam("doctors", expanding=True)
    period = (CONFIRMED, col(Appointment.start) >= bindparam("since"),
              col(Appointment.start) < bindparam("until"))
    columns: list[Any] = [col(Appointment.convocation_id), col(Appointment.doctor_id),
                          col(Appointment.centre_id), col(Appointment.start),
                          col(Appointment.end)]
    out: dict[tuple[bool, bool], Any] = {}
    for home in (False, True):
        mine = sa_select(*columns).where(*period, col(Appointment.doctor_id).in_(doctors))
        if home:  # the next leg of a round starts at the patient's home
            mine = (sa_select(*columns, col(Victim.lat), col(Victim.lon))
                    .join(Convocation, col(Convocation.id) == col(Appointment.convocation_id))
                    .join(Victim, col(Victim.id) == col(Convocation.victim_id))
                    .where(*period, col(Appointment.doctor_id).in_(doctors)))
        out[home, False] = mine
        others = sa_select(*columns, *([null(), null()] if home else [])).where(
            *period, col(Appointment.centre_id).in_(bindparam("places", expanding=True)),
            col(Appointment.doctor_id).not_in(doctors))
        out[home, True] = union_all(mine, others)
    return out


_SUPPLY = _supply_statements()


def supply_of(session: Session, doctors: Sequence[DoctorLike], sessions: dict[int, list[d.Session]],
              places: set[str], centres: Mapping[str, d.Centre], *,
              with_idle: bool = True) -> SlotSupply:
    """The supply of these doctors with these ``sessions``: one query for the confirmed
    appointments on the sessions' days of these doctors (their day's count, their home
    rounds) and at ``places`` (the rooms, whoever the doctor).  ``with_idle``: doctors
    without a session are listed too (a chosen slot's refusal then names the rule)."""
    domain_doctors = tuple(
        d.Doctor(doc.code, frozenset(doc.languages), frozenset(doc.specialties) | {d.GENERAL},
                 doc.max_exams_per_day, tuple(sessions.get(doc.id or 0, ())))
        for doc in doctors if with_idle or sessions.get(doc.id or 0))
    code_of = {doc.id: doc.code for doc in doctors}
    days = sorted({s.day for ss in sessions.values() for s in ss})
    home = any(s.is_home for ss in sessions.values() for s in ss)
    booked: dict[str, list[Booked]] = defaultdict(list)
    at_centre: dict[str, list[Booked]] = defaultdict(list)
    if days:
        used = sorted(places & {s.centre for ss in sessions.values() for s in ss})
        params: dict[str, Any] = {
            "doctors": sorted(i for i, ss in sessions.items() if ss),
            "since": datetime.combine(days[0], time()),
            "until": datetime.combine(days[-1] + timedelta(days=1), time())}
        if used:
            params["places"] = used
        for row in session.connection().execute(_SUPPLY[home, bool(used)], params).all():
            cid, doctor_id, centre_id, start, end = row[:5]
            lat, lon = (row[5], row[6]) if home and centre_id is None else (None, None)
            b = Booked(str(cid), start, end, centre_id or d.HOME, lat, lon)
            code = code_of.get(doctor_id)
            if code is not None:
                booked[code].append(b)
            if centre_id is not None and centre_id in places:
                at_centre[centre_id].append(b)
    return SlotSupply(
        doctors=domain_doctors, centres=centres,
        closed_dates=DEFAULT_CALENDAR.closed_dates(days[0], days[-1]) if days else frozenset(),
        booked={k: tuple(v) for k, v in booked.items()},
        at_centre={k: tuple(v) for k, v in at_centre.items()})


def load_supply(session: Session, doctors: Sequence[DoctorLike], places: set[str], *, home: bool,
                first: date, last: date, centres: list[Centre]) -> SlotSupply:
    """The agenda of ``doctors`` from ``first`` to ``last`` at ``places`` (or in their home
    rounds): their sessions less absences, and the confirmed appointments in the way.
    Three queries."""
    sessions = load_sessions(session, [doc.id or 0 for doc in doctors], places, home=home,
                             first=first, last=last)
    return supply_of(session, doctors, sessions, places,
                     {c.id: domain_centre(c) for c in centres})


def _day_statements() -> tuple[Any, Any, Any, Any]:
    """The statements of :func:`day_supply`, built once (their parameters bound later)."""
    doctor: Any = bindparam("doctor")
    day: Any = bindparam("day")
    absent = exists().where(col(Absence.doctor_id) == doctor, col(Absence.first_day) <= day,
                            col(Absence.last_day) >= day)
    sessions = sa_select(
        col(DoctorSession.centre_id), col(DoctorSession.base_centre_id),
        col(DoctorSession.start), col(DoctorSession.end)).where(
        col(DoctorSession.doctor_id) == doctor, col(DoctorSession.day) == day, ~absent)
    at_centre = sessions.where(col(DoctorSession.centre_id) == bindparam("place")).order_by(
        col(DoctorSession.start))
    at_home = sessions.where(col(DoctorSession.centre_id).is_(None)).order_by(
        col(DoctorSession.start))
    columns: list[Any] = [col(Appointment.convocation_id), col(Appointment.doctor_id),
                          col(Appointment.centre_id), col(Appointment.start),
                          col(Appointment.end)]
    that_day = (CONFIRMED,
                col(Appointment.start) >= bindparam("since"),
                col(Appointment.start) < bindparam("until"))
    booked_centre = sa_select(*columns).where(*that_day, or_(
        col(Appointment.doctor_id) == doctor, and_(
            col(Appointment.centre_id) == bindparam("place"),
            col(Appointment.start) < bindparam("to"), col(Appointment.end) > bindparam("from"))))
    booked_home = (sa_select(*columns, col(Victim.lat), col(Victim.lon))
                   .join(Convocation, col(Convocation.id) == col(Appointment.convocation_id))
                   .join(Victim, col(Victim.id) == col(Convocation.victim_id))
                   .where(*that_day, col(Appointment.doctor_id) == doctor))
    return at_centre, at_home, booked_centre, booked_home


_DAY = _day_statements()


def day_supply(session: Session, doctor: DoctorLike, place: str, day: date,
               centres: Mapping[str, d.Centre], *,
               around: tuple[datetime, datetime] | None = None) -> SlotSupply:
    """The agenda of one doctor on one day at ``place`` (a centre, or ``"home"``): what
    :func:`load_supply` gives for that doctor, centre and day (the booking's re-check),
    in two queries on statements built once: the doctor's sessions there that day unless
    absent, then the confirmed appointments of that day of the doctor and at the centre.

    ``around``: (start, end) of the one slot the agenda is read for; the centre's
    appointments are then only those that overlap it (the rooms are full in that slot or
    not by those alone; a busy centre has a hundred others that day).  The doctor's whole
    day is always read (the day's count, the home round's legs)."""
    home = place == d.HOME
    at_centre_stmt, at_home_stmt, booked_centre_stmt, booked_home_stmt = _DAY
    conn = session.connection()
    key = doctor.id or 0
    params: dict[str, Any] = {"doctor": key, "day": day}
    if home:
        rows = conn.execute(at_home_stmt, params).all()
    else:
        rows = conn.execute(at_centre_stmt, {**params, "place": place}).all()
    sessions = [d.Session(centre_id or d.HOME, day, start, end,
                          base=base if centre_id is None else None)
                for centre_id, base, start, end in rows]
    booked: list[Booked] = []
    in_room: list[Booked] = []
    if sessions:
        since = datetime.combine(day, time())
        until = since + timedelta(days=1)
        window_of = {"doctor": key, "since": since, "until": until}
        near_from, near_to = around if around is not None else (since, until)
        if home:
            found = conn.execute(booked_home_stmt, window_of).all()
        else:
            found = conn.execute(booked_centre_stmt, {**window_of, "place": place,
                                                      "from": near_from, "to": near_to}).all()
        for row in found:
            cid, doctor_id, centre_id, start, end = row[:5]
            lat, lon = (row[5], row[6]) if home and centre_id is None else (None, None)
            b = Booked(str(cid), start, end, centre_id or d.HOME, lat, lon)
            if doctor_id == doctor.id:
                booked.append(b)
            if not home and centre_id == place and start < near_to and near_from < end:
                in_room.append(b)  # (the doctor's other exams there are read for the day)
    domain_doctor = d.Doctor(doctor.code, frozenset(doctor.languages),
                             frozenset(doctor.specialties) | {d.GENERAL},
                             doctor.max_exams_per_day, tuple(sessions))
    return SlotSupply(
        doctors=(domain_doctor,), centres=centres,
        closed_dates=DEFAULT_CALENDAR.closed_dates(day, day) if sessions else frozenset(),
        booked={doctor.code: tuple(booked)} if booked else {},
        at_centre={place: tuple(in_room)} if in_room else {})


def _places(conv: Convocation, need: SlotNeed, centres: list[Centre],
            centre: str | None) -> tuple[set[str], bool]:
    """The centres the victim can reach (or none, and home rounds, for a home visit)."""
    if conv.home_visit:
        return set(), centre in (None, d.HOME)
    places = {c.id for c in centres if need.travel_min.get(c.id) is not None
              and need.travel_min[c.id] <= conv.max_travel_min}
    return (places & {centre} if centre is not None else places), False


def slots_for(session: Session, convocation_id: int, *, centre: str | None = None,
              day: date | None = None, part: Part | None = None, limit: int = 50,
              now: datetime | None = None, cutoff_hours: int | None = None) -> list[Slot]:
    """The slots the convocation may book now, best first (see
    :func:`scheduler.slots.offered_slots` for the order and the spread); its own
    appointment's slot is not among them.  A cancelled or finished file has none, nor one
    whose appointment is past its cut-off (:func:`change_deadline`).

    The nearest centres come first in the order, so their agenda is read first: the
    sessions of the suitable doctors and the appointments at the nearest centre, then at
    the next two, four... in the order of the victim's travel time, until ``limit`` slots
    are found (the farther ones could only rank after them).

    ``now``: aware, or naive UTC (default: the present); ``cutoff_hours``: the
    settings' ``victim_cutoff_hours`` (no slot sooner than that)."""
    conv = session.get(Convocation, convocation_id)
    if conv is None:
        raise NotFound(f"no convocation {convocation_id}")
    if conv.status not in BOOKABLE or limit <= 0:
        return []
    mine = current_appointment(session, conv.id or 0)
    if mine is not None and brussels_now(now) >= change_deadline(mine.start, cutoff_hours):
        return []  # past its cut-off: it can no longer be moved online
    victim = session.get(Victim, conv.victim_id)
    if victim is None:  # pragma: no cover - a foreign key
        raise NotFound(f"no victim {conv.victim_id}")
    earliest = earliest_start(now, cutoff_hours)
    first, last = window(conv, earliest)
    if day is not None:
        if not first <= day <= last:
            return []
        first = last = day
    centres = all_centres(session)
    need = build_need(session, conv, victim, earliest, centres)
    places, home = _places(conv, need, centres, centre)
    doctors = [doc for doc in active_doctors(session, victim.language)
               if suits(doc, conv, victim.language)]
    if not doctors or not (places or home):
        return []
    exclude = []
    if mine is not None:
        code = next((doc.code for doc in doctors if doc.id == mine.doctor_id), "")
        exclude = [Slot(code, mine.centre_id or d.HOME, mine.start, mine.end, mine.travel_min)]
    groups: dict[int, set[str]] = defaultdict(set)  # the places by travel minutes
    for place in places:
        groups[need.travel_min[place]].add(place)
    if home:
        groups[0].add(d.HOME)
    known = {c.id: domain_centre(c) for c in centres}
    ids = [doc.id or 0 for doc in doctors]
    order = sorted(groups)
    out: list[Slot] = []
    taken, batch = 0, 1
    while taken < len(order) and len(out) < limit:
        group = set().union(*(groups[m] for m in order[taken:taken + batch]))
        taken, batch = taken + batch, batch * 2  # the nearest alone, then more at a time
        sessions = load_sessions(session, ids, group - {d.HOME}, home=d.HOME in group,
                                 first=first, last=last)
        if not sessions:
            continue
        supply = supply_of(session, doctors, sessions, group - {d.HOME}, known,
                           with_idle=False)
        out += offered_slots(need, supply, limit=limit, centre=centre, day=day, part=part,
                             exclude=exclude)
    out.sort(key=lambda x: (x.travel_min, x.start, x.doctor, x.centre))
    return out[:limit]
