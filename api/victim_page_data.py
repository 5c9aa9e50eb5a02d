"""The little the victims' page reads beside the victim's view (:mod:`api.victim_view`):
the centres' names in the page's language (the victim may choose any centre), the
doctors' names of the offered slots, the days on which doctors examine (the day filter),
and the day of a cancelled appointment (to say so).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache

from sqlmodel import Session, col, select

from api.tables import Appointment, AppointmentStatus, Centre, Doctor, DoctorSession
from geo.centres import load_centres


@cache
def _town_names() -> dict[str, dict[str, str]]:
    return {c.id: {"nl": c.name_nl, "fr": c.name_fr, "de": c.name_de}
            for c in load_centres()}


def centre_name(centre: Centre, language: str) -> str:
    """``Medex <town>`` in ``language`` when ``data/centres`` names the town in it (Dutch,
    French, German); else, and in English, the database's name (``Brussel/Bruxelles``)."""
    name = _town_names().get(centre.id, {}).get(language)
    return f"Medex {name or centre.name}"


def centres_for(session: Session, language: str) -> list[tuple[str, str]]:
    """Every centre as ``(id, name in language)``, by name."""
    found = [(c.id, centre_name(c, language)) for c in session.exec(select(Centre))]
    return sorted(found, key=lambda pair: pair[1])


def doctor_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The names of the doctors with these codes (an offered slot names its doctor)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {d.code: d.name for d in session.exec(select(Doctor).where(
        col(Doctor.code).in_(wanted)))}


def last_cancelled(session: Session, convocation_id: int) -> datetime | None:
    """The start of the convocation's latest cancelled appointment, if any."""
    found = session.exec(select(Appointment).where(
        Appointment.convocation_id == convocation_id,
        Appointment.status == AppointmentStatus.CANCELLED).order_by(
        col(Appointment.updated_at).desc(), col(Appointment.id).desc())).first()
    return found.start if found else None


def session_days(session: Session, first: date, last: date) -> set[date]:
    """The days from ``first`` to ``last`` on which some doctor examines (a session)."""
    day = col(DoctorSession.day)
    return set(session.exec(select(day).where(day >= first, day <= last).distinct()))
