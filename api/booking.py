"""A victim (or their employer) books, reschedules or cancels online; preferences, waitlist.

Each use case runs inside the caller's transaction (:meth:`api.db.Database.session`) and
either writes everything or nothing: the appointment, its audit entry and its messages
in the outbox (:mod:`api.notices`).

**Atomic booking.**  :func:`book` locks the day it books into, the doctor's and the
centre's (on PostgreSQL advisory locks per doctor-day and centre-day, under the doctor's
and centre's rows ``FOR SHARE``, see :func:`_lock`; SQLite's ``BEGIN IMMEDIATE`` already
serialises writers) and the convocation's row, then reads the agenda again and re-checks
the chosen slot with :func:`scheduler.slots.check_slot`, the very code that offered it.
Of two victims racing for the last slot, the second finds it taken and gets
:class:`SlotTaken` (a :class:`~api.errors.Conflict` whose message says so kindly; the route
answers with fresh alternatives).  A slot that was never valid for this victim is
:class:`~api.errors.BookingRefused` naming the rule.  The partial unique indexes on
appointments (one confirmed per convocation, one per doctor and start) stay as the last
safety net: their violation is also a :class:`SlotTaken`.

**Changes.**  A first booking writes a confirmed appointment (revision 1) and the
convocation notice; a reschedule updates the appointment in place (revision + 1, the
change notice); a cancel marks it cancelled (revision + 1, the cancellation notice) and
puts the file back to *pending* for the next planning run.  Reschedule and cancel need a
reason (at most ``REASON_MAX`` characters) and are refused from ``victim_cutoff_hours``
before the start (the settings; default: up to the start).  The audit entry records who:
the HR user's id, or "by the victim through the personal link".

**Waitlist.**  A victim may ask for an earlier date (:func:`join_waitlist`).  When a
reschedule or a cancel frees a slot, the first ``OFFER_FANOUT`` waitlisted convocations
(longest waiting first) for which that slot is feasible by every rule and earlier than
their own appointment get a message (``Kind.OFFER``) with their personal link; the first
to book it has it.  An offer's outbox key is (the offered victim's appointment, or their
convocation, and the freed appointment; ``offer``; the freed appointment's revision;
channel): a retried request writes it once, and each new freeing of a slot is a new
message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.config import Settings
from api.db import advisory_locks, day_lock_key, hold, lock_rows
from api.errors import BookingRefused, Conflict, Forbidden, Invalid, NotFound
from api.links import LinkWithdrawn
from api.notices import Notices, to_notice, venue
from api.offers import (
    BOOKABLE,
    CURRENT,
    DoctorRow,
    active_doctor,
    all_centres,
    brussels_now,
    build_need,
    change_deadline,
    current_appointment,
    day_supply,
    earliest_start,
    window,
)
from api.planning import domain_centre
from api.schemas import Problem
from api.services import audit, snapshot
from api.tables import (
    Appointment,
    AppointmentStatus,
    Centre,
    Convocation,
    ConvocationStatus,
    Doctor,
    Role,
    User,
    Victim,
    utcnow,
)
from notify import model as n
from notify.outbox import compose
from notify.outbox_sql import add_messages
from scheduler import domain as d
from scheduler.calendar import DEFAULT_CALENDAR
from scheduler.slots import NOON, Part, check_slot

REASON_MAX = 500
OFFER_FANOUT = 3
"""Waitlisted victims told about one freed slot."""
OFFER_CANDIDATES = 50
"""Waitlisted convocations looked at for one freed slot (longest waiting first)."""
MAX_WINDOWS = 60
MAX_RANGES = 30
MORNING = (time(7, 0), time(12, 30))
AFTERNOON = (time(12, 0), time(19, 0))
"""The hours of "mornings" and "afternoons" in a victim's preferences: generous, so that a
morning exam ending at 12:15 still counts as a morning."""
BY_LINK = "by the victim through the personal link"
REFUSED_FIELD = {"unknown-id": "doctor", "language": "doctor", "specialty": "doctor",
                 "home-visit": "centre", "travel-known": "centre", "max-travel": "centre",
                 "home-driving-leg": "centre"}
"""The field of a booking that a broken rule of :func:`scheduler.slots.check_slot` is
about; any other rule is about the time (``start``)."""


class SlotTaken(Conflict):
    """The slot was booked by someone else meanwhile: choose another."""

    code = "slot_taken"

    def __init__(self, detail: str = "Sorry, someone else has just booked this time. "
                                     "Please choose another one.", *, rule: str | None = None):
        super().__init__(detail, rule=rule)


class TooLate(BookingRefused):
    """The appointment is too close (or past) to be changed online."""

    code = "too_late"


@dataclass(frozen=True)
class Actor:
    """Who acts: the victim through their personal link (``convocation_id``), or a user
    (an employer's HR user, or a planner)."""

    kind: Literal["victim", "user"]
    convocation_id: int | None = None
    user: User | None = None
    link_generation: int | None = None
    """The victim's link's generation: the change is refused (:class:`LinkWithdrawn`) if
    the convocation's links were withdrawn meanwhile (checked under the row's lock)."""

    @classmethod
    def victim(cls, convocation_id: int, link_generation: int | None = None) -> Actor:
        return cls("victim", convocation_id=convocation_id, link_generation=link_generation)

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls("user", user=user)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    def describe(self) -> str:
        if self.user is None:
            return BY_LINK
        if self.user.role == Role.EMPLOYER:
            return f"by {self.user.email}, HR of employer {self.user.employer_id}"
        return f"by {self.user.email} ({self.user.role})"


@dataclass(frozen=True)
class SlotChoice:
    """The slot a victim picked: doctor (code), centre (id or ``"home"``), start (Brussels
    wall clock; an aware datetime is converted)."""

    doctor: str
    centre: str
    start: datetime


@dataclass(frozen=True)
class Weekly:
    """Every such weekday (0 Monday ... 4 Friday), in the morning, the afternoon, or all
    day (``part`` None)."""

    weekday: int
    part: Part | None = None


@dataclass(frozen=True)
class Window:
    """One explicit window on one day."""

    day: date
    start: time
    end: time


@dataclass(frozen=True)
class DateRange:
    """Days the victim cannot come, ``first`` to ``last`` inclusive."""

    first: date
    last: date


@dataclass(frozen=True)
class Preferences:
    """A victim's windows ("only Tuesday mornings", explicit windows) and the days they
    cannot come ("not the week of 14 Dec").  They replace the convocation's ``preferred``
    and ``unavailable``: the next planning run honours the windows as a soft cost and the
    days as a hard rule (the exchange format's fields)."""

    weekly: tuple[Weekly, ...] = ()
    windows: tuple[Window, ...] = ()
    unavailable: tuple[DateRange, ...] = ()


# ------------------------------------------------------------------ checks


def _invalid(field: str, reason: str) -> Invalid:
    return Invalid(f"{field}: {reason}", problems=[Problem(field=field, reason=reason)])


def allowed(actor: Actor, conv: Convocation) -> bool:
    """May ``actor`` act on ``conv``: the victim on their own, an HR user on its
    employees', a planner or an admin on any."""
    if actor.kind == "victim":
        return actor.convocation_id == conv.id
    user = actor.user
    if user is None or not user.active:
        return False
    if user.role == Role.EMPLOYER:
        return user.employer_id is not None and user.employer_id == conv.employer_id
    return user.role in (Role.PLANNER, Role.ADMIN)


def _convocation(session: Session, convocation_id: int, actor: Actor) -> Convocation:
    conv = session.get(Convocation, convocation_id)
    if conv is None or not allowed(actor, conv):
        if conv is not None and actor.user is not None and actor.user.role in (
                Role.DOCTOR, Role.MANAGER):
            raise Forbidden(f"the {actor.user.role} role may not book for victims")
        raise NotFound(f"no convocation {convocation_id}")
    return conv


def _still_linked(actor: Actor, conv: Convocation) -> None:
    """The victim's link is still the convocation's (after the row's lock: a withdrawal
    that committed meanwhile is seen here)."""
    if actor.link_generation is not None and actor.link_generation != conv.link_generation:
        raise LinkWithdrawn()


def _reason(reason: str | None, *, required: bool) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise _invalid("reason", "say briefly why (required to change or cancel)")
    if len(text) > REASON_MAX:
        raise _invalid("reason", f"at most {REASON_MAX} characters ({len(text)} given)")
    return text


def wall_clock(moment: datetime) -> datetime:
    """``moment`` as a naive Brussels wall-clock time."""
    if moment.tzinfo is not None:
        return moment.astimezone(d.BRUSSELS).replace(tzinfo=None)
    return moment


def _aware(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _before_cutoff(appt: Appointment, settings: Settings, now: datetime) -> None:
    here = brussels_now(now)
    if here >= appt.start:
        raise TooLate("This appointment has started or is over; it can no longer be changed "
                      "online.", rule="cut-off")
    limit = change_deadline(appt.start, settings.victim_cutoff_hours)
    if here >= limit:
        raise TooLate(f"An appointment can be changed online up to "
                      f"{settings.victim_cutoff_hours} hours before it starts (here until "
                      f"{limit:%d/%m/%Y %H:%M}). Please call Medex to change it.",
                      rule="cut-off")


def _choice(slot: SlotChoice) -> tuple[str, str, datetime]:
    problems = []
    code = (slot.doctor or "").strip()
    place = (slot.centre or "").strip()
    if not code or len(code) > 16:
        problems.append(Problem(field="doctor", reason="not a doctor of the agenda"))
    if not place or len(place) > 16:
        problems.append(Problem(field="centre", reason="not a centre of the agenda"))
    if problems:
        raise Invalid("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)
    return code, place, wall_clock(slot.start)


def _lock(session: Session, conv: Convocation, day: tuple[int, str | None, date] | None
          ) -> Appointment | None:
    """Lock what the change writes into, then the convocation; return the convocation's
    confirmed appointment as it is now.

    ``day``: (doctor id, centre id or None for a home round, day) of the slot booked.  On
    PostgreSQL the doctor's and the centre's rows ``FOR SHARE`` (publishing a plan or a
    planner's move locks them ``FOR UPDATE``: each waits for the other), then the advisory
    locks of the doctor's day and of the centre's day (its rooms): two bookings into one
    doctor's day or one centre's day wait for each other, the others go on side by side.
    Always doctors, centres, days, then the convocation: no deadlock.  A cancel only frees:
    it locks the convocation alone.  SQLite's ``BEGIN IMMEDIATE`` has serialised the
    writers already."""
    postgres = session.get_bind().dialect.name != "sqlite"
    if day is not None and postgres:
        doctor_id, centre_id, when = day
        lock_rows(session, Doctor, [doctor_id], share=True)
        keys = [day_lock_key("doctor", doctor_id, when)]
        if centre_id is not None:
            lock_rows(session, Centre, [centre_id], share=True)
            keys.append(day_lock_key("centre", centre_id, when))
        advisory_locks(session, keys)
    if postgres:
        # the convocation locked and read again in one statement (on SQLite the whole
        # transaction, and so every row it has read, is under the write lock already)
        session.exec(_CONVOCATION_LOCKED, params={"id": conv.id}).one()
    return session.exec(_CONFIRMED_NOW, params={"id": conv.id}).first()


_CONVOCATION_LOCKED = select(Convocation).where(
    col(Convocation.id) == bindparam("id")).with_for_update().execution_options(
    populate_existing=True)
_CONFIRMED_NOW = CURRENT.execution_options(populate_existing=True)
"""The statements of :func:`_lock`, built once (the convocation's id bound)."""


def _notify(session: Session, notices: Notices, appt: Appointment, conv: Convocation,
            victim: Victim, doctor: str, centre: Centre | None, kind: n.Kind) -> int:
    """The ``kind`` messages of ``appt`` to the outbox, from the rows in hand: what
    :meth:`api.notices.Notices.enqueue` writes, without reading them again."""
    notice = to_notice(appt, conv.reference, doctor, victim, centre,
                       notices.victim_link(conv.id or 0, conv.link_generation))
    return add_messages(session.connection(), compose(notice, kind,
                                                      organizer=notices.organizer,
                                                      now=notices.clock()))


# ------------------------------------------------------------------ book, reschedule, cancel


@dataclass(frozen=True)
class Booking:
    """A booking done, with the rows it was made of (what the answer shows, not read
    again)."""

    appointment: Appointment
    convocation: Convocation
    victim: Victim
    doctor: DoctorRow
    centre: Centre | None


def book(session: Session, convocation_id: int, slot: SlotChoice, actor: Actor, *,
         reason: str = "", notices: Notices, settings: Settings,
         now: datetime | None = None) -> Appointment:
    """Book ``slot`` for the convocation: a first booking, or a reschedule of its confirmed
    appointment (then ``reason`` is required and the cut-off applies).  Re-checked under
    the row locks; :class:`SlotTaken` when someone else booked it meanwhile.  Booking the
    slot the convocation already has changes nothing and returns it."""
    return make_booking(session, convocation_id, slot, actor, reason=reason, notices=notices,
                        settings=settings, now=now).appointment


def make_booking(session: Session, convocation_id: int, slot: SlotChoice, actor: Actor, *,
                 reason: str = "", notices: Notices, settings: Settings,
                 now: datetime | None = None) -> Booking:
    """:func:`book`, and the rows it was made of."""
    moment = _aware(now)
    conv = _convocation(session, convocation_id, actor)
    code, place, start = _choice(slot)
    text = _reason(reason, required=False)
    doctor = active_doctor(session, code)
    if doctor is None:
        raise _invalid("doctor", f"no doctor {code} in the agenda")
    centres = all_centres(session)
    centre = next((c for c in centres if c.id == place), None)
    if place != d.HOME and centre is None:
        raise _invalid("centre", f"no centre {place}")
    current = _lock(session, conv, (doctor.id or 0, None if place == d.HOME else place,
                                    start.date()))
    _still_linked(actor, conv)
    victim = session.get(Victim, conv.victim_id)
    assert victim is not None
    if current is not None and (current.doctor_id, current.centre_id or d.HOME,
                                current.start) == (doctor.id, place, start):
        return Booking(current, conv, victim, doctor, centre)
    if conv.status not in BOOKABLE:
        raise Conflict(f"This file is {conv.status}: it can no longer be booked online.")
    if current is not None:
        _before_cutoff(current, settings, moment)
        text = _reason(reason, required=True)
    earliest = earliest_start(moment, settings.victim_cutoff_hours)
    hold(session, conv, victim, centre)
    need = build_need(session, conv, victim, earliest, centres)
    try:
        end = start + timedelta(minutes=conv.duration_min)
    except OverflowError:  # a nonsense date (the year 9999): check_slot refuses it below
        end = datetime.max
    supply = day_supply(session, doctor, place, start.date(),
                        {c.id: domain_centre(c) for c in centres}, around=(start, end))
    refusal = check_slot(need, supply, code, place, start)
    if refusal is not None:
        if refusal.taken:
            raise SlotTaken(rule=refusal.rule)
        raise BookingRefused(f"This time cannot be booked: {refusal.message}.",
                             rule=refusal.rule, problems=[Problem(
                                 field=REFUSED_FIELD.get(refusal.rule, "start"),
                                 reason=refusal.message)])
    travel = 0 if place == d.HOME else need.travel_min[place]
    stamp = utcnow()
    note = f"{text} ({actor.describe()})" if text else actor.describe()
    freed: tuple[int, str | None, datetime, datetime] | None = None
    if current is None:
        appt = Appointment(convocation_id=conv.id or 0, doctor_id=doctor.id or 0,
                           centre_id=None if place == d.HOME else place, start=start, end=end,
                           travel_min=travel, changed_by_id=actor.user_id,
                           change_reason=text or "booked online", updated_at=stamp)
        session.add(appt)
        earlier = True
    else:
        appt = current
        before = snapshot(appt)
        freed = (appt.doctor_id, appt.centre_id, appt.start, appt.end)
        earlier = start < appt.start
        appt.doctor_id, appt.centre_id = doctor.id or 0, None if place == d.HOME else place
        appt.start, appt.end, appt.travel_min = start, end, travel
        appt.revision += 1
        appt.changed_by_id, appt.change_reason, appt.updated_at = actor.user_id, text, stamp
        session.add(appt)
    conv.status = ConvocationStatus.SCHEDULED
    if earlier:
        conv.waitlist_since = None
    session.add(conv)
    try:
        session.flush()
    except IntegrityError:
        raise SlotTaken() from None
    if current is None:
        audit(session, actor.user_id, "book", "appointment", appt.id, after=snapshot(appt),
              note=note)
    else:
        audit(session, actor.user_id, "reschedule", "appointment", appt.id, before=before,
              after=snapshot(appt), note=note)
    _notify(session, notices, appt, conv, victim, doctor.code, centre,
            n.Kind.CONVOCATION if current is None else n.Kind.CHANGE)
    if freed is not None:
        offer_freed(session, appt, *freed, notices=notices, settings=settings, now=moment)
    return Booking(appt, conv, victim, doctor, centre)


def cancel(session: Session, convocation_id: int, actor: Actor, *, reason: str,
           notices: Notices, settings: Settings, now: datetime | None = None) -> Appointment:
    """Cancel the convocation's confirmed appointment (before the cut-off, with a reason):
    revision + 1, the cancellation notice, the file back to *pending* (the next planning
    run, or the victim, books another), and the freed slot offered to the waitlist."""
    moment = _aware(now)
    conv = _convocation(session, convocation_id, actor)
    text = _reason(reason, required=True)
    appt = _lock(session, conv, None)
    _still_linked(actor, conv)
    if appt is None:
        raise Conflict("There is no appointment to cancel.")
    _before_cutoff(appt, settings, moment)
    before = snapshot(appt)
    appt.status = AppointmentStatus.CANCELLED
    appt.revision += 1
    appt.changed_by_id, appt.change_reason, appt.updated_at = actor.user_id, text, utcnow()
    session.add(appt)
    conv.status, conv.waitlist_since = ConvocationStatus.PENDING, None
    session.add(conv)
    session.flush()
    audit(session, actor.user_id, "cancel", "appointment", appt.id, before=before,
          after=snapshot(appt), note=f"{text} ({actor.describe()})")
    notices.enqueue(session, [appt], n.Kind.CANCELLATION)
    offer_freed(session, appt, appt.doctor_id, appt.centre_id, appt.start, appt.end,
                notices=notices, settings=settings, now=moment)
    return appt


# ------------------------------------------------------------------ the waitlist


def join_waitlist(session: Session, convocation_id: int, actor: Actor, *, on: bool = True,
                  now: datetime | None = None) -> Convocation:
    """Put the convocation on the waitlist for an earlier date (keeping its place when it
    is on already), or take it off."""
    conv = _convocation(session, convocation_id, actor)
    _lock(session, conv, None)
    _still_linked(actor, conv)
    if conv.status not in BOOKABLE:
        raise Conflict(f"This file is {conv.status}: no waitlist.")
    before = conv.waitlist_since
    if on and before is None:
        conv.waitlist_since = _aware(now).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    elif not on:
        conv.waitlist_since = None
    if conv.waitlist_since != before:
        session.add(conv)
        session.flush()
        audit(session, actor.user_id, "waitlist", "convocation", conv.id,
              before={"waitlist_since": before.isoformat() if before else None},
              after={"waitlist_since": conv.waitlist_since.isoformat()
                     if conv.waitlist_since else None}, note=actor.describe())
    return conv


def _phone(victim: Victim) -> str | None:
    phone = victim.phone or None
    if phone is not None and not (phone.startswith("+") and phone[1:].isdigit()):
        return None
    return phone


_WAITLISTED = sa_select(col(Convocation.id)).where(
    col(Convocation.waitlist_since).is_not(None), col(Convocation.status).in_(list(BOOKABLE)),
    col(Convocation.id) != bindparam("freed"), col(Convocation.home_visit) == bindparam("home"),
    col(Convocation.release_date) <= bindparam("day")).order_by(
    col(Convocation.waitlist_since), col(Convocation.id)).limit(OFFER_CANDIDATES)
"""The waitlisted convocations a freed slot may be offered to, longest waiting first (a
statement built once: most freed slots find no one)."""


def offer_freed(session: Session, freed_appt: Appointment, doctor_id: int,
                centre_id: str | None, start: datetime, end: datetime, *, notices: Notices,
                settings: Settings, now: datetime) -> int:
    """Tell the first waitlisted victims for whom the freed slot (``doctor_id`` at
    ``centre_id`` from ``start``) is feasible and earlier than their appointment; returns
    how many were told.  Each is checked with :func:`scheduler.slots.check_slot` on the
    agenda as it is after the change (this transaction)."""
    earliest = earliest_start(now, settings.victim_cutoff_hours)
    if start < earliest:
        return 0
    place = centre_id or d.HOME
    day = start.date()
    ids = list(session.connection().execute(_WAITLISTED, {
        "freed": freed_appt.convocation_id, "home": centre_id is None, "day": day}).scalars())
    if not ids:
        return 0
    doctor = session.get(Doctor, doctor_id)
    if doctor is None or not doctor.active:
        return 0
    rows = session.exec(select(Convocation, Victim).join(
        Victim, col(Victim.id) == col(Convocation.victim_id)).where(
        col(Convocation.id).in_(ids)).order_by(
        col(Convocation.waitlist_since), col(Convocation.id))).all()
    rows = [(c, v) for c, v in rows if v.language in doctor.languages
            and (c.specialty == d.GENERAL or c.specialty in doctor.specialties)]
    if not rows:
        return 0
    centres = all_centres(session)
    supply = day_supply(session, doctor, place, day, {c.id: domain_centre(c) for c in centres})
    centre = next((c for c in centres if c.id == centre_id), None)
    told = 0
    for conv, victim in rows:
        first, last = window(conv, earliest)
        if not first <= day <= last:
            continue
        mine = current_appointment(session, conv.id or 0)
        if mine is not None and mine.start <= start:
            continue
        need = build_need(session, conv, victim, earliest, centres)
        if check_slot(need, supply, doctor.code, place, start) is not None:
            continue
        offered_end = start + timedelta(minutes=conv.duration_min)
        ident = f"{mine.id}" if mine is not None else f"c{conv.id}"
        offer = n.Appointment(
            id=f"{ident}-offer-{freed_appt.id}", revision=freed_appt.revision,
            convocation=conv.reference, doctor=doctor.code, start=start, end=offered_end,
            venue=venue(centre, victim),
            contact=n.Contact(language=victim.language if victim.language in n.LANGUAGES
                              else "en", phone=_phone(victim), email=victim.email or None,
                              name=victim.name),
            link=notices.victim_link(conv.id or 0, conv.link_generation))
        messages = compose(offer, n.Kind.OFFER, organizer=notices.organizer,
                           now=notices.clock())
        if add_messages(session.connection(), messages):
            audit(session, None, "offer", "convocation", conv.id,
                  after={"doctor": doctor.code, "centre": place, "start": start.isoformat()},
                  note=f"freed slot of appointment {freed_appt.id} offered (waitlist)")
        told += 1
        if told >= OFFER_FANOUT:
            break
    return told


# ------------------------------------------------------------------ preferences


def _today(now: datetime | None) -> datetime:
    return brussels_now(_aware(now))


def set_preferences(session: Session, convocation_id: int, prefs: Preferences, actor: Actor,
                    *, now: datetime | None = None) -> Convocation:
    """Store the victim's windows and unavailable days on the convocation, expanded to the
    exchange format's ``preferred`` windows and ``unavailable`` dates within the file's
    days (release to deadline, from today).  A window in the past, an end before its start,
    a weekday that is not Monday-Friday, a day outside the file's period: :class:`Invalid`
    naming the field as the request's own validation does (``weekly.0.weekday``,
    ``windows.1.end``, ``unavailable.0.last``)."""
    conv = _convocation(session, convocation_id, actor)
    _lock(session, conv, None)
    _still_linked(actor, conv)
    if conv.status not in BOOKABLE:
        raise Conflict(f"This file is {conv.status}: no preferences.")
    here = _today(now)
    first = max(conv.release_date, here.date())
    last = conv.deadline
    problems: list[Problem] = []

    def bad(field: str, reason: str) -> None:
        problems.append(Problem(field=field, reason=reason))

    if len(prefs.weekly) + len(prefs.windows) > MAX_WINDOWS:
        bad("windows", f"at most {MAX_WINDOWS} windows")
    if len(prefs.unavailable) > MAX_RANGES:
        bad("unavailable", f"at most {MAX_RANGES} periods")
    period = f"the period of the file ({conv.release_date} to {conv.deadline})"
    preferred: set[tuple[date, time, time]] = set()
    for i, w in enumerate(prefs.weekly):
        if not 0 <= w.weekday <= 4:
            bad(f"weekly.{i}.weekday", "Monday (0) to Friday (4) only")
            continue
        if w.part not in (None, "morning", "afternoon"):
            bad(f"weekly.{i}.part", "morning, afternoon or empty (all day)")
            continue
        a, b = (MORNING if w.part == "morning" else AFTERNOON if w.part == "afternoon"
                else (MORNING[0], AFTERNOON[1]))
        day = first
        while day <= last:
            if day.weekday() == w.weekday and DEFAULT_CALENDAR.is_working_day(day):
                preferred.add((day, a, b))
            day += timedelta(days=1)
    for i, win in enumerate(prefs.windows):
        if win.end <= win.start:
            bad(f"windows.{i}.end", "ends before it starts")
        elif win.end <= MORNING[0] or win.start >= AFTERNOON[1]:
            bad(f"windows.{i}.start", f"no examination takes place then (only from "
                f"{MORNING[0]:%H:%M} to {AFTERNOON[1]:%H:%M})")
        elif win.day < here.date() or (win.day == here.date() and win.end <= here.time()):
            bad(f"windows.{i}.date", "is in the past")
        elif not conv.release_date <= win.day <= conv.deadline:
            bad(f"windows.{i}.date", f"{win.day} is outside {period}")
        else:
            preferred.add((win.day, win.start, win.end))
    unavailable: set[date] = set()
    booked = current_appointment(session, conv.id or 0)
    for i, r in enumerate(prefs.unavailable):
        if r.last < r.first:
            bad(f"unavailable.{i}.last", "ends before it starts")
        elif booked is not None and r.first <= booked.start.date() <= r.last:
            bad(f"unavailable.{i}.first", f"your appointment is on "
                f"{booked.start:%d/%m/%Y}, within these days: choose another time for it "
                f"first")
        elif r.last < here.date():
            bad(f"unavailable.{i}.first", "is in the past")
        elif r.last < conv.release_date or r.first > conv.deadline:
            bad(f"unavailable.{i}.first", f"{r.first} to {r.last} is outside {period}")
        else:
            day = max(r.first, first)
            while day <= min(r.last, last):
                unavailable.add(day)
                day += timedelta(days=1)
    if problems:
        raise Invalid("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)
    before = {"preferred": list(conv.preferred), "unavailable": list(conv.unavailable)}
    conv.preferred = [{"date": day.isoformat(), "start": f"{a:%H:%M}", "end": f"{b:%H:%M}"}
                      for day, a, b in sorted(preferred)]
    conv.unavailable = sorted(x.isoformat() for x in unavailable)
    session.add(conv)
    session.flush()
    audit(session, actor.user_id, "preferences", "convocation", conv.id, before=before,
          after={"preferred": conv.preferred, "unavailable": conv.unavailable},
          note=actor.describe())
    return conv


__all__ = ["AFTERNOON", "MORNING", "NOON", "Actor", "Booking", "DateRange", "Preferences",
           "SlotChoice", "SlotTaken", "TooLate", "Weekly", "Window", "book", "cancel",
           "join_waitlist", "make_booking", "offer_freed", "set_preferences"]
