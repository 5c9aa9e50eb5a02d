"""A convocation as its victim (or their employer's HR user) may see it, and the HR scope.

:func:`victim_view` gives what the personal page and ``GET /api/v/{token}`` show: when,
where (centre name and address, or the victim's home), with whom (the doctor's name), what
to bring, how to get there (the centre's nearest railway station and the walk), the
victim's own travel minutes when cached, and the status of the file in words.  Nothing
medical: no injury, specialty, complexity or priority is read into the result.

:func:`hr_convocation` is the one gate of an employer's HR user: a convocation of another
employer and a convocation that does not exist give the same 404, so that an id tried in
a URL reveals nothing.  :func:`hr_convocations` lists the HR user's employees' files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlmodel import Session, col, select

from api.config import Settings
from api.errors import NotFound
from api.getting_there import station_walk
from api.offers import BOOKABLE, brussels_now, change_deadline
from api.tables import (
    Appointment,
    AppointmentStatus,
    Centre,
    Convocation,
    ConvocationStatus,
    Doctor,
    User,
    Victim,
)
from api.victim_schemas import (
    AppointmentOut,
    BringOut,
    PlaceOut,
    StationOut,
    VictimConvocationOut,
    WindowOut,
)

NO_SUCH_CONVOCATION = "no such convocation"
STATUS_TEXT = {
    ConvocationStatus.PENDING: "Waiting for an appointment: choose one of the times offered, "
                               "or Medex will give you one.",
    ConvocationStatus.SCHEDULED: "Your appointment is booked.",
    ConvocationStatus.DONE: "The examination has taken place; Medex is completing the file.",
    ConvocationStatus.CANCELLED: "This convocation has been cancelled by Medex: no "
                                 "examination is needed for now.",
}
BRING = (
    BringOut(code="identity_card", text="Your identity card."),
    BringOut(code="convocation", text="This convocation (the letter, or the message on your "
                                      "phone)."),
    BringOut(code="medical_documents", text="Any medical reports, X-rays or scans you have "
                                            "about the accident."),
)
OPEN = BOOKABLE
"""A file the victim may still act on."""


def change_until(appt: Appointment | None, settings: Settings) -> datetime | None:
    """The moment after which the appointment may no longer change online."""
    return None if appt is None else change_deadline(appt.start, settings.victim_cutoff_hours)


def _place(appt: Appointment, centre: Centre | None, victim: Victim) -> PlaceOut:
    if centre is None:
        return PlaceOut(home=True, name="", address=" ".join(
            p for p in (victim.postcode, victim.locality) if p), postcode=victim.postcode)
    walk = station_walk(centre.id, centre.lat, centre.lon)
    return PlaceOut(home=False, centre_id=centre.id, name=f"Medex {centre.name}",
                    address=centre.address or centre.postcode, postcode=centre.postcode,
                    lat=centre.lat, lon=centre.lon,
                    station=StationOut(name=walk.name, walk_min=walk.walk_min) if walk else None)


def _travel(appt: Appointment, victim: Victim) -> int | None:
    if appt.travel_min:
        return appt.travel_min
    cached = victim.travel_min or {}
    return cached.get(appt.centre_id) if appt.centre_id else None


def _windows(conv: Convocation) -> list[WindowOut]:
    out = []
    for w in conv.preferred:
        try:
            out.append(WindowOut(date=date.fromisoformat(w["date"]), start=w["start"],
                                 end=w["end"]))
        except (KeyError, ValueError):
            continue  # a malformed stored window is not the victim's problem
    return out


def _dates(texts: Sequence[str]) -> list[date]:
    out = []
    for text in texts:
        try:
            out.append(date.fromisoformat(text))
        except ValueError:
            continue
    return out


class Named(Protocol):
    """A doctor as the view needs one: a :class:`~api.tables.Doctor` or a plain row."""

    @property
    def name(self) -> str: ...


def build_view(conv: Convocation, victim: Victim, appt: Appointment | None,
               doctor: Named | None, centre: Centre | None, *, settings: Settings,
               now: datetime | None = None, link_expires: date | None = None
               ) -> VictimConvocationOut:
    """The view of rows already loaded (``appt``: the confirmed appointment, if any)."""
    status = ConvocationStatus(conv.status)
    until = change_until(appt, settings)
    can_change = status in OPEN and (until is None or brussels_now(now) < until)
    shown = None
    if appt is not None:
        shown = AppointmentOut(start=appt.start, end=appt.end,
                               doctor=doctor.name if doctor else "",
                               place=_place(appt, centre, victim),
                               travel_min=_travel(appt, victim), revision=appt.revision)
    return VictimConvocationOut(
        id=conv.id or 0, reference=conv.reference, name=victim.name, language=victim.language,
        status=status.value, status_text=STATUS_TEXT[status], window_from=conv.release_date,
        window_to=conv.deadline, appointment=shown, can_change=can_change,
        change_until=until if status in OPEN else None,
        waitlist=conv.waitlist_since is not None, preferred=_windows(conv),
        unavailable=_dates(conv.unavailable), bring=list(BRING), link_expires=link_expires)


def _confirmed(session: Session, ids: Sequence[int]
               ) -> dict[int, tuple[Appointment, Doctor | None, Centre | None]]:
    stmt = (select(Appointment, Doctor, Centre)
            .join(Doctor, col(Doctor.id) == col(Appointment.doctor_id))
            .outerjoin(Centre, col(Centre.id) == col(Appointment.centre_id))
            .where(col(Appointment.convocation_id).in_(list(ids)),
                   col(Appointment.status) == AppointmentStatus.CONFIRMED))
    return {a.convocation_id: (a, d, c) for a, d, c in session.exec(stmt).all()}


def victim_view(session: Session, convocation_id: int, *, settings: Settings,
                now: datetime | None = None, link_expires: date | None = None
                ) -> VictimConvocationOut:
    """The convocation ``convocation_id`` as its victim sees it; 404 if there is none."""
    conv = session.get(Convocation, convocation_id)
    victim = session.get(Victim, conv.victim_id) if conv is not None else None
    if conv is None or victim is None:
        raise NotFound(NO_SUCH_CONVOCATION)
    appt, doctor, centre = _confirmed(session, [convocation_id]).get(
        convocation_id, (None, None, None))
    return build_view(conv, victim, appt, doctor, centre, settings=settings, now=now,
                      link_expires=link_expires)


def hr_convocation(session: Session, user: User, convocation_id: int) -> Convocation:
    """The convocation if it is one of the HR user's employer's; else 404, the same as for
    a convocation that does not exist."""
    conv = session.get(Convocation, convocation_id)
    if conv is None or user.employer_id is None or conv.employer_id != user.employer_id:
        raise NotFound(NO_SUCH_CONVOCATION)
    return conv


def hr_convocations(session: Session, user: User, *, settings: Settings,
                    status: str | None = None, now: datetime | None = None
                    ) -> list[VictimConvocationOut]:
    """The HR user's employer's convocations (only those), open ones first by deadline."""
    if user.employer_id is None:
        return []
    stmt = (select(Convocation, Victim).join(Victim, col(Victim.id) == col(
        Convocation.victim_id)).where(col(Convocation.employer_id) == user.employer_id))
    if status is not None:
        stmt = stmt.where(col(Convocation.status) == status)
    rows = session.exec(stmt.order_by(col(Convocation.deadline), col(Convocation.id))).all()
    booked = _confirmed(session, [c.id for c, _ in rows if c.id is not None])
    views = [build_view(c, v, *booked.get(c.id or 0, (None, None, None)), settings=settings,
                        now=now) for c, v in rows]
    return sorted(views, key=lambda v: v.status not in OPEN)
