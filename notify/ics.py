"""Calendar invites (iCalendar, RFC 5545) and their scheduling methods (iTIP, RFC 5546).

* :func:`invite` is the victim's invite, attached to the e-mails: ``METHOD:REQUEST`` for a
  new or moved appointment, ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` for a cancelled one.
  The UID is stable per appointment (``<appointment id>@<domain>``) and ``SEQUENCE`` is the
  appointment's revision, so a calendar replaces the old version instead of adding a second
  event.  Times are in Europe/Brussels with its VTIMEZONE, ``DTSTAMP`` in UTC, an
  ``ORGANIZER``, the centre's address as ``LOCATION`` and, on a request, a ``VALARM``
  (RFC 5546 allows none in a CANCEL).
* :func:`doctor_feed` is a doctor's agenda as a subscribable feed (``METHOD:PUBLISH``, one
  VEVENT per appointment, the same UIDs), served at a private URL made by :func:`feed_url`
  and checked by :func:`check_feed_token`.  The feed names the convocation and the place,
  never the victim or anything medical: calendar apps sync feeds to third-party servers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

from notify import messages
from notify.model import Appointment
from scheduler.domain import BRUSSELS

PRODID = "-//Medex//Medex planner//EN"
TZID = "Europe/Brussels"
DEFAULT_UID_DOMAIN = "medex.belgium.be"


@dataclass(frozen=True)
class Organizer:
    """Who sends the invites: an e-mail address a victim may write to, and a display name."""

    email: str
    name: str = "Medex"

    def address(self) -> vCalAddress:
        addr = vCalAddress(f"mailto:{self.email}")
        addr.params["CN"] = vText(self.name)
        return addr


def uid(appointment_id: str, domain: str = DEFAULT_UID_DOMAIN) -> str:
    """The stable UID of an appointment's event, the same in every version of its invite."""
    return f"{appointment_id}@{domain}"


@cache
def _vtimezone(first_year: int, last_year: int) -> bytes:
    tz = Timezone.from_tzinfo(BRUSSELS, tzid=TZID, first_date=date(first_year, 1, 1),
                              last_date=date(last_year + 1, 1, 1))
    return bytes(tz.to_ical())


def _with_timezone(cal: Calendar, starts: Iterable[datetime]) -> bytes:
    """``cal`` as iCalendar bytes with Brussels' VTIMEZONE (the years around ``starts``)
    as its first component.  The VTIMEZONE is serialised once per span of years and put in
    as it is: parsing it back into every invite, to serialise it again, took most of the
    invite's time."""
    years = [s.year for s in starts] or [datetime.now(BRUSSELS).year]
    zone = _vtimezone(min(years) - 1, max(years) + 1)
    body = bytes(cal.to_ical())
    at = body.find(b"\r\nBEGIN:")  # the first component, after the calendar's properties
    at = body.rindex(b"\r\nEND:VCALENDAR") if at < 0 else at
    return body[:at + 2] + zone + body[at + 2:]


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _dtstamp(now: datetime | None) -> datetime:
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def _event(appointment: Appointment, stamp: datetime, organizer: Organizer,
           uid_domain: str) -> Event:
    event = Event()
    event.add("uid", uid(appointment.id, uid_domain))
    event.add("sequence", appointment.revision)
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("organizer", organizer.address())
    event.add("location", messages.where(appointment))
    event.add("status", "CANCELLED" if appointment.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def invite(appointment: Appointment, *, organizer: Organizer,
           alarm_before: timedelta = timedelta(hours=2), now: datetime | None = None,
           uid_domain: str = DEFAULT_UID_DOMAIN) -> bytes:
    """The victim's invite for the current revision of ``appointment``, as iCalendar bytes.

    ``METHOD:CANCEL`` when the appointment is cancelled, else ``METHOD:REQUEST``.  ``now``
    (aware) becomes ``DTSTAMP``; the alarm fires ``alarm_before`` the start.
    """
    if alarm_before <= timedelta(0):
        raise ValueError("alarm_before must be positive")
    cal = _calendar("CANCEL" if appointment.cancelled else "REQUEST")
    event = _event(appointment, _dtstamp(now), organizer, uid_domain)
    event.add("summary", messages.invite_text(appointment, "summary"))
    event.add("description", messages.invite_text(appointment, "description"))
    event.add("url", appointment.link)
    event.add("class", "PRIVATE")
    if appointment.contact.email:
        attendee = vCalAddress(f"mailto:{appointment.contact.email}")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
        attendee.params["RSVP"] = vText("FALSE")
        if appointment.contact.name:
            attendee.params["CN"] = vText(appointment.contact.name)
        event.add("attendee", attendee)
    if not appointment.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -alarm_before)
        alarm.add("description", messages.invite_text(appointment, "alarm"))
        event.add_component(alarm)
    cal.add_component(event)
    return _with_timezone(cal, [appointment.start])


def doctor_feed(doctor: str, appointments: Iterable[Appointment], *, language: str,
                organizer: Organizer, now: datetime | None = None,
                uid_domain: str = DEFAULT_UID_DOMAIN,
                refresh: timedelta = timedelta(hours=1)) -> bytes:
    """A doctor's agenda as an iCalendar feed: one VEVENT per appointment of ``doctor``
    (others are left out), cancelled ones marked ``STATUS:CANCELLED``, texts in
    ``language`` (the doctor's)."""
    chosen = sorted((a for a in appointments if a.doctor == doctor),
                    key=lambda a: (a.start, a.id))
    cal = _calendar("PUBLISH")
    name = messages.feed_text(language, "name", doctor=doctor)
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", refresh)
    stamp = _dtstamp(now)
    for a in chosen:
        event = _event(a, stamp, organizer, uid_domain)
        key = "home_visit" if a.venue.is_home else "exam"
        event.add("summary", messages.feed_text(language, key, convocation=a.convocation))
        event.add("class", "CONFIDENTIAL")
        cal.add_component(event)
    return _with_timezone(cal, [a.start for a in chosen])


def feed_token(secret: bytes, doctor: str, version: int = 0) -> str:
    """The unguessable part of a doctor's private feed URL.  Bumping ``version`` (kept per
    doctor) revokes the old URL."""
    mac = hmac.new(secret, f"feed:{doctor}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:20]).decode().rstrip("=")


def check_feed_token(secret: bytes, doctor: str, token: str, version: int = 0) -> bool:
    """True when ``token`` is the doctor's current feed token (constant-time compare)."""
    return hmac.compare_digest(feed_token(secret, doctor, version), token)


def feed_url(base_url: str, secret: bytes, doctor: str, version: int = 0) -> str:
    """The doctor's private feed URL, e.g. ``https://.../calendar/D12/<token>.ics``."""
    return f"{base_url.rstrip('/')}/calendar/{doctor}/{feed_token(secret, doctor, version)}.ics"
