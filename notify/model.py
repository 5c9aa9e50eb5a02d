"""What ``notify`` needs to know about an appointment, and nothing medical.

An :class:`Appointment` is one booked exam as the victim sees it: when, where, in which
language, how to reach them and their personal link.  It deliberately carries no injury,
no exam type and no specialty, so no message or invite built from it can leak medical
detail (GDPR).  ``api`` builds it from its tables; :meth:`Appointment.from_assignment`
builds it from the planner's :class:`scheduler.domain.Assignment`.

Times are in Europe/Brussels: a naive datetime (the domain's convention) is read as
Brussels wall-clock time, an aware one is converted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from scheduler.domain import BRUSSELS, HOME, Assignment, Centre

LANGUAGES: tuple[str, ...] = ("nl", "fr", "de", "en")
"""The languages of every message: the three official languages and English."""


class Kind(enum.StrEnum):
    """Why a message is sent."""

    CONVOCATION = "convocation"
    CHANGE = "change"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    OFFER = "offer"
    """A waitlisted victim is told that an earlier slot is free (not booked: no invite)."""


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True)
class Venue:
    """Where the exam takes place: a centre, or the victim's home (``centre_id == HOME``)."""

    centre_id: str
    name: str
    address: str
    """One line, e.g. ``"Kortrijksesteenweg 1, 9000 Gent"``; for a home visit the victim's."""

    @property
    def is_home(self) -> bool:
        return self.centre_id == HOME

    @classmethod
    def from_centre(cls, centre: Centre, address: str) -> Venue:
        return cls(centre_id=centre.id, name=centre.name, address=address)

    @classmethod
    def home(cls, address: str = "") -> Venue:
        return cls(centre_id=HOME, name="", address=address)


@dataclass(frozen=True)
class Contact:
    """How to reach the victim, in their language.  ``phone`` is E.164 (see
    :func:`notify.phone.normalise`), ``None`` when unknown; likewise ``email``."""

    language: str
    phone: str | None = None
    email: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language {self.language!r} is not one of {', '.join(LANGUAGES)}")
        if self.phone is not None and not (self.phone.startswith("+")
                                           and self.phone[1:].isdigit()):
            raise ValueError(f"phone {self.phone!r} is not in E.164 form (+32...)")


def _brussels(dt: datetime) -> datetime:
    return dt.replace(tzinfo=BRUSSELS) if dt.tzinfo is None else dt.astimezone(BRUSSELS)


@dataclass(frozen=True)
class Appointment:
    """One booked exam, as the messages and invites show it.

    ``id`` is stable for the life of the appointment (it makes the invite's UID);
    ``revision`` goes up by one on every change (it makes the invite's SEQUENCE and the
    outbox's idempotency key).
    """

    id: str
    revision: int
    convocation: str
    doctor: str
    start: datetime
    end: datetime
    venue: Venue
    contact: Contact
    link: str
    """The victim's personal link to view or change the appointment."""
    cancelled: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _brussels(self.start))
        object.__setattr__(self, "end", _brussels(self.end))
        if not self.id:
            raise ValueError("appointment id is empty")
        if self.revision < 0:
            raise ValueError(f"revision {self.revision} is negative")
        if self.end <= self.start:
            raise ValueError(f"appointment {self.id} ends ({self.end}) before it starts "
                             f"({self.start})")

    @classmethod
    def from_assignment(cls, assignment: Assignment, *, id: str, revision: int, venue: Venue,
                        contact: Contact, link: str, cancelled: bool = False) -> Appointment:
        return cls(id=id, revision=revision, convocation=assignment.convocation,
                   doctor=assignment.doctor, start=assignment.start, end=assignment.end,
                   venue=venue, contact=contact, link=link, cancelled=cancelled)
