"""Messages to victims from the service's tables: what :mod:`notify` is given, and when.

A change to an appointment writes its messages to the outbox in the change's own
transaction (:meth:`Notices.enqueue`, on the request's session): a published appointment
gets the convocation notice, a moved one (by hand or re-planned) the change notice, a
cancelled one the cancellation notice.  A rollback writes none; the outbox worker sends
them after the commit.  The outbox key is (appointment, kind, revision, channel), and every
change bumps the appointment's revision, so a re-run never writes a message twice.

:func:`notice_appointments` turns appointment rows into :class:`notify.model.Appointment`
(no medical field: the convocation's reference, the doctor's code, the place, the victim's
language, phone, e-mail and personal link).  The personal link is the convocation's
(:mod:`api.links`: ``/v/<token>``, signed, expiring), freshly issued in every message; the
older per-appointment ``/a/<appointment>/<signature>`` of messages already sent is still
read (:meth:`Notices.check_link`) and leads to the new page.  :func:`remind_context` gives
``medex remind`` and the daily task their data; :func:`doctor_feed` a doctor's calendar feed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.cli_remind import RemindContext
from api.config import Settings
from api.db import Database
from api.links import VictimLinks
from api.tables import Appointment, AppointmentStatus, Centre, Convocation, Doctor, Victim
from notify import ics
from notify import model as n
from notify.outbox import OutboxMessage, compose
from notify.outbox_sql import add_messages
from scheduler.calendar import DEFAULT_CALENDAR
from scheduler.domain import BRUSSELS

log = logging.getLogger(__name__)
LINK_BYTES = 8
"""Length of the former per-appointment link's signature (64 bits, 11 characters)."""
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=366)


def aware_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Notices:
    """How the service writes messages: the invites' organizer, the personal links."""

    organizer: ics.Organizer
    public_base_url: str
    link_secret: bytes
    links: VictimLinks
    clock: Callable[[], datetime] = aware_now

    @classmethod
    def from_settings(cls, settings: Settings) -> Notices:
        return cls(organizer=ics.Organizer(settings.organizer_email, "Medex"),
                   public_base_url=settings.public_base_url,
                   link_secret=settings.secret_key.get_secret_value().encode(),
                   links=VictimLinks.from_settings(settings))

    def victim_link(self, convocation_id: int, generation: int) -> str:
        """The victim's personal link to their convocation (``/v/<token>``) at its link
        ``generation``, valid ``link_valid_days`` from today: what every message carries."""
        return self.links.url(convocation_id, generation=generation)

    def link_token(self, appointment_id: int) -> str:
        """The signature of the former per-appointment link (messages already sent)."""
        mac = hmac.new(self.link_secret, f"link:{appointment_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:LINK_BYTES]).decode().rstrip("=")

    def link(self, appointment_id: int) -> str:
        """The former per-appointment link (``/a/<id>/<signature>``); no longer sent, still
        read: it leads to the convocation's personal link."""
        return f"{self.public_base_url}/a/{appointment_id}/{self.link_token(appointment_id)}"

    def check_link(self, appointment_id: int, token: str) -> bool:
        return hmac.compare_digest(self.link_token(appointment_id), token)

    def enqueue(self, session: Session, appointments: Iterable[Appointment],
                kind: n.Kind) -> int:
        """Write the ``kind`` messages of these appointments (at their current revision) to
        the outbox, in the session's transaction; returns how many were new."""
        ids = [a.id for a in appointments if a.id is not None]
        if not ids:
            return 0
        session.flush()
        now = self.clock()
        out: list[OutboxMessage] = []
        for appt in notice_appointments(session, self, col(Appointment.id).in_(ids)):
            out += compose(appt, kind, organizer=self.organizer, now=now)
        return add_messages(session.connection(), out)


def venue(centre: Centre | None, victim: Victim) -> n.Venue:
    if centre is None:
        return n.Venue.home(" ".join(p for p in (victim.postcode, victim.locality) if p))
    return n.Venue(centre.id, f"Medex {centre.name}", centre.address or centre.postcode)


def _phone(victim: Victim) -> str | None:
    """The victim's number if it is in E.164 (every entry path stores it so); a row written
    otherwise gets no SMS rather than stopping the change that notifies it."""
    phone = victim.phone or None
    if phone is not None and not (phone.startswith("+") and phone[1:].isdigit()):
        log.warning("victim %s: phone %r is not in E.164; no SMS", victim.id, phone)
        return None
    return phone


def to_notice(appt: Appointment, reference: str, doctor: str, victim: Victim,
              centre: Centre | None, link: str) -> n.Appointment:
    """One appointment row as :mod:`notify` sees it; cancelled when its status is."""
    return n.Appointment(
        id=str(appt.id), revision=appt.revision, convocation=reference, doctor=doctor,
        start=appt.start, end=appt.end, venue=venue(centre, victim),
        contact=n.Contact(language=victim.language, phone=_phone(victim),
                          email=victim.email or None, name=victim.name),
        link=link, cancelled=appt.status == AppointmentStatus.CANCELLED)


def notice_appointments(session: Session, notices: Notices,
                        where: ColumnElement[bool] | Any) -> list[n.Appointment]:
    """The appointments matching ``where``, as :mod:`notify` sees them, by start."""
    stmt = (sa_select(Appointment, col(Convocation.reference),
                      col(Convocation.link_generation), col(Doctor.code), Victim, Centre)
            .join(Convocation, col(Convocation.id) == col(Appointment.convocation_id))
            .join(Victim, col(Victim.id) == col(Convocation.victim_id))
            .join(Doctor, col(Doctor.id) == col(Appointment.doctor_id))
            .outerjoin(Centre, col(Centre.id) == col(Appointment.centre_id))
            .where(where).order_by(col(Appointment.start), col(Appointment.id)))
    return [to_notice(appt, reference, code, victim, centre,
                      notices.victim_link(appt.convocation_id, generation))
            for appt, reference, generation, code, victim, centre
            in session.execute(stmt).all()]


def _starting(first: date, last: date) -> ColumnElement[bool]:
    return (col(Appointment.start) >= datetime.combine(first, time())) & (
        col(Appointment.start) < datetime.combine(last + timedelta(days=1), time()))


def remind_context(db: Database, settings: Settings,
                   clock: Callable[[], datetime] | None = None) -> RemindContext:
    """What ``medex remind`` and the daily task need, on the service's database; ``clock``
    (aware) is the present, :func:`aware_now` by default."""
    notices = Notices.from_settings(settings)

    def source(first: date, last: date) -> list[n.Appointment]:
        with db.session() as s:
            return notice_appointments(
                s, notices,
                (col(Appointment.status) == AppointmentStatus.CONFIRMED) & _starting(first, last))

    def add(messages: Sequence[OutboxMessage]) -> int:
        with db.session() as s:
            return add_messages(s.connection(), messages)

    return RemindContext(source=source, add=add, policy=settings.reminder_policy,
                         is_working_day=DEFAULT_CALENDAR.is_working_day,
                         organizer=notices.organizer, clock=clock or aware_now)


def feed_url(settings: Settings, doctor: str) -> str:
    return ics.feed_url(settings.public_base_url, settings.feed_secret.get_secret_value()
                        .encode(), doctor)


def doctor_feed(session: Session, settings: Settings, doctor: Doctor,
                now: datetime | None = None) -> bytes:
    """The doctor's calendar feed: their appointments from a month ago to a year ahead,
    cancelled ones marked so, in the doctor's first language."""
    moment = now or aware_now()
    today = moment.astimezone(BRUSSELS).date()
    notices = Notices.from_settings(settings)
    found = notice_appointments(session, notices, (col(Appointment.doctor_id) == doctor.id)
                                & _starting(today - FEED_PAST, today + FEED_AHEAD))
    language = next((lang for lang in doctor.languages if lang in n.LANGUAGES), "en")
    return ics.doctor_feed(doctor.code, found, language=language, organizer=notices.organizer,
                           now=moment)
