"""Use cases of the service on the database: intake, people, audit.  No HTTP here.

Each function works inside the caller's transaction (one per request, see
:meth:`api.db.Database.session`): either everything it wrote is committed or nothing is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select
from stdnum.be import nn
from stdnum.exceptions import ValidationError as StdnumError

from api.errors import Conflict, Invalid, NotFound
from api.schemas import ConvocationCreate, Problem, VictimCreate
from api.tables import AuditEntry, Convocation, Employer, Victim
from geo.errors import UnknownPostcode
from geo.places import lookup_postcode
from notify.errors import InvalidPhoneNumber
from notify.phone import normalise
from scheduler.domain import HOME
from scheduler.errors import InputError
from scheduler.intake import IntakeRequest, take_in

M = TypeVar("M", bound=SQLModel)


# ------------------------------------------------------------------ checks of single values


def national_number(value: str) -> str:
    """The 11 digits of a valid rijksregisternummer / NISS; ``ValueError`` says why not."""
    try:
        return str(nn.validate(value))
    except StdnumError as exc:
        raise ValueError(f"{value!r} is not a valid national register number "
                         f"({str(exc).rstrip('.').lower()})") from None


def e164(value: str, *, mobile: bool = True) -> str:
    """A phone number in E.164 (+32...); national Belgian forms are accepted and converted.

    With ``mobile`` (a victim's number: it receives the SMS) a landline, a toll-free or a
    premium-rate number is refused, saying so (:func:`notify.phone.normalise`)."""
    try:
        return normalise(value, mobile=mobile)
    except InvalidPhoneNumber as exc:
        raise ValueError(f"{value!r}: {exc.reason}") from None


def landline_or_mobile(value: str) -> str:
    """A staff member's phone number (E.164), landlines accepted."""
    return e164(value, mobile=False)


_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}$")


def email_address(value: str) -> str:
    """An e-mail address, its domain in lower case; ``ValueError`` says why not."""
    text = value.strip()
    if len(text) > 320:
        raise ValueError("an e-mail address has at most 320 characters")
    if not _EMAIL.match(text):
        raise ValueError(f"{value!r} is not an e-mail address (name@domain.be)")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def locate(postcode: str, locality: str | None = None) -> tuple[float, float]:
    try:
        place = lookup_postcode(postcode, locality)
    except UnknownPostcode as exc:
        raise ValueError(str(exc)) from None
    return place.lat, place.lon


# ------------------------------------------------------------------ generic helpers


def snapshot(obj: SQLModel | None) -> dict[str, Any] | None:
    return None if obj is None else obj.model_dump(mode="json")


def audit(session: Session, user_id: int | None, action: str, entity: str, entity_id: Any,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
          note: str = "") -> None:
    session.add(AuditEntry(user_id=user_id, action=action, entity=entity,
                           entity_id=str(entity_id), before=before, after=after,
                           note=note[:500]))


def get_or_404(session: Session, model: type[M], key: Any) -> M:
    found = session.get(model, key)
    if found is None:
        raise NotFound(f"no {model.__name__.lower()} {key}")
    return found


def page(session: Session, stmt: Any, offset: int, limit: int) -> tuple[list[Any], int]:
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    items = list(session.exec(stmt.offset(offset).limit(limit)).all())
    return items, int(total)


# ------------------------------------------------------------------ victims and convocations


def victim_problems(data: VictimCreate, row: int | None = None) -> list[Problem]:
    problems = []
    for field, check in (("national_number", lambda: national_number(data.national_number)),
                         ("postcode", lambda: locate(data.postcode, data.locality)),
                         ("phone", lambda: data.phone and e164(data.phone)),
                         ("email", lambda: data.email and email_address(data.email))):
        try:
            check()
        except ValueError as exc:
            problems.append(Problem(field=None if row else field, row=row,
                                    column=field if row else None, reason=str(exc)))
    return problems


def checked_changes(changes: dict[str, Any], checks: dict[str, Callable[[str], str]]
                    ) -> dict[str, Any]:
    """A PATCH's fields with those of ``checks`` checked and normalised (``Invalid`` naming
    every bad field otherwise); an empty value removes the field's value."""
    out = dict(changes)
    problems = []
    for field, check in checks.items():
        value = out.get(field)
        if value is None:
            continue
        if not str(value).strip():
            out[field] = None
            continue
        try:
            out[field] = check(str(value))
        except ValueError as exc:
            problems.append(Problem(field=field, reason=str(exc)))
    if problems:
        raise Invalid("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)
    return out


def victim_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A victim's PATCH: a mobile phone number, an e-mail address."""
    return checked_changes(changes, {"phone": e164, "email": email_address})


def doctor_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A doctor's fields: a phone number (landlines accepted), an e-mail address."""
    return checked_changes(changes, {"phone": landline_or_mobile, "email": email_address})


def create_victim(session: Session, data: VictimCreate, user_id: int | None) -> Victim:
    problems = victim_problems(data)
    if problems:
        raise Invalid("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)
    number = national_number(data.national_number)
    if session.exec(select(Victim).where(Victim.national_number == number)).first():
        raise Conflict(f"national_number: a victim with {number} exists already")
    if data.employer_id is not None:
        get_or_404(session, Employer, data.employer_id)
    lat, lon = locate(data.postcode, data.locality)
    victim = Victim(**data.model_dump(exclude={"national_number", "phone", "email"}),
                    national_number=number, phone=e164(data.phone) if data.phone else None,
                    email=email_address(data.email) if data.email else None, lat=lat, lon=lon)
    session.add(victim)
    session.flush()
    audit(session, user_id, "create", "victim", victim.id, after=snapshot(victim))
    return victim


def next_reference(session: Session) -> str:
    last = session.exec(select(func.max(Convocation.id))).one()
    n = (last or 0) + 1
    while True:
        ref = f"C{n:06d}"
        if not session.exec(select(Convocation.id).where(Convocation.reference == ref)).first():
            return ref
        n += 1


def build_convocation(data: ConvocationCreate, reference: str, *, today: date | None = None
                      ) -> Convocation:
    """A convocation row with its dates and length from intake; ``InputError`` if absurd."""
    got = take_in(IntakeRequest(injury=data.injury, request_date=data.request_date,
                                accident_date=data.accident_date, complexity=data.complexity,
                                priority=data.priority, specialty=data.specialty,
                                followup_number=data.followup_number), today=today)
    problems = []
    for i, w in enumerate(data.preferred):
        if w.end <= w.start:
            problems.append(f"preferred[{i}]: ends at {w.end:%H:%M}, before its start")
    if problems:
        raise InputError(problems)
    return Convocation(
        reference=reference, victim_id=data.victim_id, employer_id=data.employer_id,
        injury=got.injury.code, complexity=got.complexity.value,
        duration_min=got.duration_min, specialty=got.specialty,
        priority=got.priority.value, home_visit=data.home_visit,
        accident_date=data.accident_date, request_date=data.request_date,
        followup_number=data.followup_number, release_date=got.release,
        deadline=got.deadline, deadline_rule=got.rule, max_travel_min=data.max_travel_min,
        preferred=[{"date": w.date.isoformat(), "start": f"{w.start:%H:%M}",
                    "end": f"{w.end:%H:%M}"} for w in data.preferred],
        unavailable=[d.isoformat() for d in data.unavailable])


def create_convocation(session: Session, data: ConvocationCreate, user_id: int | None,
                       *, today: date | None = None) -> Convocation:
    get_or_404(session, Victim, data.victim_id)
    if data.employer_id is not None:
        get_or_404(session, Employer, data.employer_id)
    reference = data.reference or next_reference(session)
    if session.exec(select(Convocation.id).where(Convocation.reference == reference)).first():
        raise Conflict(f"reference: {reference} exists already")
    conv = build_convocation(data, reference, today=today)
    session.add(conv)
    session.flush()
    audit(session, user_id, "create", "convocation", conv.id, after=snapshot(conv),
          note=conv.deadline_rule)
    return conv


def place_label(centre_id: str | None) -> str:
    return HOME if centre_id is None else centre_id
