"""Routers of the resources: centres, doctors, sessions, absences, employers, victims,
convocations, users, the audit log, appointments (with the manual move)."""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, col, select

from api import planning
from api.booking import offer_freed
from api.config import Settings
from api.deps import PLANNERS, STAFF, AppState, CurrentUser, SessionDep, StateDep, require
from api.errors import Forbidden, Invalid, responses
from api.notices import Notices
from api.routes.crud import crud_router, flush_or_conflict
from api.schemas import (
    AbsenceCreate,
    AbsencePublic,
    AbsenceUpdate,
    AppointmentPublic,
    AuditPublic,
    CentreCreate,
    CentrePublic,
    CentreUpdate,
    ConvocationCreate,
    ConvocationPublic,
    ConvocationUpdate,
    DoctorCreate,
    DoctorPublic,
    DoctorUpdate,
    EmployerCreate,
    EmployerPublic,
    EmployerUpdate,
    Int64,
    MoveRequest,
    Page,
    Problem,
    SessionCreate,
    SessionPublic,
    SessionUpdate,
    UserCreate,
    UserPublic,
    UserUpdate,
    VictimCreate,
    VictimPublic,
    VictimUpdate,
)
from api.security import hash_password
from api.services import (
    audit,
    create_convocation,
    create_victim,
    doctor_changes,
    get_or_404,
    page,
    snapshot,
    victim_changes,
)
from api.tables import (
    Absence,
    Appointment,
    AppointmentStatus,
    AuditEntry,
    Centre,
    Convocation,
    Doctor,
    DoctorSession,
    Employer,
    Role,
    User,
    Victim,
)
from notify.model import Kind

ADMIN = (Role.ADMIN,)
CENTRE_WRITERS = (Role.MANAGER, Role.ADMIN)


def _make_doctor(session: Session, body: DoctorCreate, user: User) -> Doctor:
    data = doctor_changes(body.model_dump())
    row = Doctor(**data)
    session.add(row)
    flush_or_conflict(session, f"doctor {body.code}")
    audit(session, user.id, "create", "doctor", row.id, after=snapshot(row))
    return row


def _session_problems(session: Session, s: DoctorSession) -> list[Problem]:
    out = []
    get_or_404(session, Doctor, s.doctor_id)
    if s.end <= s.start:
        out.append(Problem(field="end", reason=f"{s.end:%H:%M} is not after the start"))
    if s.day.weekday() >= 5:
        out.append(Problem(field="day", reason=f"{s.day} is a {s.day:%A}"))
    if s.centre_id is None:
        if s.base_centre_id is None:
            out.append(Problem(field="base_centre_id", reason="a home round needs a base"))
        else:
            get_or_404(session, Centre, s.base_centre_id)
    else:
        centre = get_or_404(session, Centre, s.centre_id)
        if not any(a <= s.start and s.end <= b
                   for a, b in planning.parse_opening(centre.opening)):
            out.append(Problem(field="end", reason=f"{s.start:%H:%M}-{s.end:%H:%M} is outside "
                                                   f"the opening hours of {centre.id} "
                                                   f"({centre.opening})"))
    others = session.exec(select(DoctorSession).where(
        DoctorSession.doctor_id == s.doctor_id, DoctorSession.day == s.day,
        DoctorSession.id != s.id)).all()
    for o in others:
        if o.start < s.end and s.start < o.end:
            out.append(Problem(field="start", reason=f"overlaps the doctor's session "
                                                     f"{o.start:%H:%M}-{o.end:%H:%M}"))
    return out


def _make_session(session: Session, body: SessionCreate, user: User) -> DoctorSession:
    row = DoctorSession.model_validate(body)
    problems = _session_problems(session, row)
    if problems:
        raise Invalid("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)
    session.add(row)
    flush_or_conflict(session, "session")
    audit(session, user.id, "create", "doctor_session", row.id, after=snapshot(row))
    return row


def _make_absence(session: Session, body: AbsenceCreate, user: User) -> Absence:
    get_or_404(session, Doctor, body.doctor_id)
    if body.last_day < body.first_day:
        raise Invalid("last_day: before first_day",
                      problems=[Problem(field="last_day", reason="before first_day")])
    row = Absence.model_validate(body)
    session.add(row)
    flush_or_conflict(session, "absence")
    audit(session, user.id, "create", "absence", row.id, after=snapshot(row),
          note="doctor absent: re-plan the week to move the published appointments")
    return row


def _make_victim(session: Session, body: VictimCreate, user: User) -> Victim:
    return create_victim(session, body, user.id)


def _make_convocation(session: Session, body: ConvocationCreate, user: User) -> Convocation:
    return create_convocation(session, body, user.id)


FreedSlot = tuple[int, str | None, datetime, datetime]
"""Doctor id, centre id (None: a home round), start, end of a slot that was given up."""


def cancel_appointments(session: Session, conv: Convocation, user: User,
                        notices: Notices) -> list[Appointment]:
    """A cancelled convocation frees its confirmed appointment; the victim gets the
    cancellation notice (written to the outbox in the same transaction)."""
    if conv.status != "cancelled":
        return []
    cancelled = []
    for appt in session.exec(select(Appointment).where(
            Appointment.convocation_id == conv.id,
            Appointment.status == AppointmentStatus.CONFIRMED)).all():
        before = snapshot(appt)
        appt.status = AppointmentStatus.CANCELLED
        appt.revision += 1
        appt.changed_by_id, appt.change_reason = user.id, "convocation cancelled"
        session.add(appt)
        session.flush()
        audit(session, user.id, "cancel", "appointment", appt.id, before=before,
              after=snapshot(appt), note="convocation cancelled")
        cancelled.append(appt)
    notices.enqueue(session, cancelled, Kind.CANCELLATION)
    return cancelled


def _make_user(session: Session, body: UserCreate, user: User) -> User:
    if body.doctor_id is not None:
        get_or_404(session, Doctor, body.doctor_id)
    if body.role == Role.DOCTOR and body.doctor_id is None:
        raise Invalid("doctor_id: required for the doctor role",
                      problems=[Problem(field="doctor_id", reason="required for the doctor "
                                                                  "role")])
    if (body.role == Role.EMPLOYER) != (body.employer_id is not None):
        reason = ("required for the employer role" if body.role == Role.EMPLOYER
                  else "only for the employer role")
        raise Invalid(f"employer_id: {reason}",
                      problems=[Problem(field="employer_id", reason=reason)])
    if body.employer_id is not None:
        get_or_404(session, Employer, body.employer_id)
    row = User(**body.model_dump(exclude={"password"}),
               password_hash=hash_password(body.password))
    session.add(row)
    flush_or_conflict(session, f"user {body.email}")
    audit(session, user.id, "create", "user", row.id,
          after={k: v for k, v in (snapshot(row) or {}).items() if k != "password_hash"})
    return row


def _user_public(_session: Session, row: User) -> UserPublic:
    return UserPublic.model_validate(row)


def offer_freed_slots(session: Session, freed: list[tuple[Appointment, FreedSlot]],
                      notices: Notices, settings: Settings) -> None:
    """A slot a planner freed (a move, a cancelled file) is offered to the waitlist, as one a
    victim frees is (:func:`api.booking.offer_freed`), in the same transaction."""
    for appt, (doctor_id, centre_id, start, end) in freed:
        offer_freed(session, appt, doctor_id, centre_id, start, end, notices=notices,
                    settings=settings, now=notices.clock())


def routers() -> list[APIRouter]:
    def after_convocation_update(session: Session, conv: Convocation, user: User,
                                 state: AppState) -> None:
        cancelled = cancel_appointments(session, conv, user, state.notices)
        offer_freed_slots(session, [(a, (a.doctor_id, a.centre_id, a.start, a.end))
                                    for a in cancelled], state.notices, state.settings)

    out = [
        crud_router(model=Centre, name="centres", create=CentreCreate, update=CentreUpdate,
                    public=CentrePublic, key_type=str, read_roles=(*STAFF, Role.DOCTOR),
                    write_roles=CENTRE_WRITERS),
        crud_router(model=Doctor, name="doctors", create=DoctorCreate, update=DoctorUpdate,
                    public=DoctorPublic, read_roles=STAFF, write_roles=PLANNERS,
                    make=_make_doctor, prepare_update=doctor_changes,
                    filters={"code": (str, Doctor.code), "active": (bool, Doctor.active)}),
        crud_router(model=DoctorSession, name="sessions", create=SessionCreate,
                    update=SessionUpdate, public=SessionPublic, read_roles=STAFF,
                    write_roles=PLANNERS, make=_make_session,
                    filters={"doctor_id": (int, DoctorSession.doctor_id),
                             "centre_id": (str, DoctorSession.centre_id),
                             "day": (date, DoctorSession.day)},
                    order=col(DoctorSession.day)),
        crud_router(model=Absence, name="absences", create=AbsenceCreate, update=AbsenceUpdate,
                    public=AbsencePublic, read_roles=STAFF, write_roles=PLANNERS,
                    make=_make_absence, filters={"doctor_id": (int, Absence.doctor_id)}),
        crud_router(model=Employer, name="employers", create=EmployerCreate,
                    update=EmployerUpdate, public=EmployerPublic, read_roles=STAFF,
                    write_roles=PLANNERS),
        crud_router(model=Victim, name="victims", create=VictimCreate, update=VictimUpdate,
                    public=VictimPublic, read_roles=STAFF, write_roles=PLANNERS,
                    make=_make_victim, prepare_update=victim_changes,
                    filters={"national_number": (str, Victim.national_number),
                             "postcode": (str, Victim.postcode)}),
        crud_router(model=Convocation, name="convocations", create=ConvocationCreate,
                    update=ConvocationUpdate, public=ConvocationPublic, read_roles=STAFF,
                    write_roles=PLANNERS, make=_make_convocation,
                    after_update=after_convocation_update,
                    filters={"reference": (str, Convocation.reference),
                             "status": (str, Convocation.status),
                             "injury": (str, Convocation.injury),
                             "victim_id": (int, Convocation.victim_id),
                             "deadline": (date, Convocation.deadline)}),
        crud_router(model=User, name="users", create=UserCreate, update=UserUpdate,
                    public=UserPublic, read_roles=ADMIN, write_roles=ADMIN, make=_make_user,
                    to_public=_user_public, filters={"role": (str, User.role)}),
        audit_router(),
        appointments_router(),
    ]
    return out


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/api/audit", tags=["audit"], responses=responses(401, 403))
    Reader = Annotated[User, Depends(require(Role.MANAGER, Role.ADMIN, Role.PLANNER))]

    @router.get("", response_model=Page[AuditPublic], summary="The audit log, newest first")
    def list_audit(session: SessionDep, _user: Reader,
                   offset: Annotated[Int64, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   entity: str | None = None, entity_id: str | None = None,
                   user_id: Int64 | None = None) -> Any:
        stmt = select(AuditEntry)
        if entity:
            stmt = stmt.where(AuditEntry.entity == entity)
        if entity_id:
            stmt = stmt.where(AuditEntry.entity_id == entity_id)
        if user_id is not None:
            stmt = stmt.where(AuditEntry.user_id == user_id)
        items, total = page(session, stmt.order_by(col(AuditEntry.id).desc()), offset, limit)
        return Page[AuditPublic](items=[AuditPublic.model_validate(i) for i in items],
                                 total=total, offset=offset, limit=limit)

    return router


def appointment_public(session: Session, a: Appointment) -> AppointmentPublic:
    conv = session.get(Convocation, a.convocation_id)
    doctor = session.get(Doctor, a.doctor_id)
    return AppointmentPublic(
        id=a.id or 0, convocation_id=a.convocation_id, reference=conv.reference if conv else "",
        doctor_id=a.doctor_id, doctor_code=doctor.code if doctor else "",
        centre_id=a.centre_id, home=a.centre_id is None, start=a.start, end=a.end,
        travel_min=a.travel_min, status=a.status, revision=a.revision,
        changed_by_id=a.changed_by_id, change_reason=a.change_reason)


def appointments_router() -> APIRouter:
    router = APIRouter(prefix="/api/appointments", tags=["appointments"],
                       responses=responses(401, 403, 422))
    Mover = Annotated[User, Depends(require(*PLANNERS))]

    @router.get("", response_model=Page[AppointmentPublic],
                summary="Appointments (a doctor sees only their own)")
    def list_appointments(session: SessionDep, user: CurrentUser,
                          offset: Annotated[Int64, Query(ge=0)] = 0,
                          limit: Annotated[int, Query(ge=1, le=500)] = 50,
                          doctor_id: Int64 | None = None, centre_id: str | None = None,
                          status: str | None = "confirmed",
                          day_from: date | None = None, day_to: date | None = None) -> Any:
        stmt = select(Appointment)
        if user.role == Role.DOCTOR:
            if doctor_id is not None and doctor_id != user.doctor_id:
                raise Forbidden("a doctor sees only their own agenda")
            doctor_id = user.doctor_id if user.doctor_id is not None else -1
        if doctor_id is not None:
            stmt = stmt.where(Appointment.doctor_id == doctor_id)
        if centre_id is not None:
            stmt = stmt.where(Appointment.centre_id == centre_id)
        if status:
            stmt = stmt.where(Appointment.status == status)
        if day_from is not None:
            stmt = stmt.where(Appointment.start >= datetime.combine(day_from, time()))
        if day_to is not None:
            stmt = stmt.where(Appointment.start < datetime.combine(day_to + timedelta(days=1),
                                                                   time()))
        items, total = page(session, stmt.order_by(col(Appointment.start)), offset, limit)
        return Page[AppointmentPublic](items=[appointment_public(session, a) for a in items],
                                       total=total, offset=offset, limit=limit)

    @router.get("/{key}", response_model=AppointmentPublic, responses=responses(404),
                summary="One appointment")
    def get_appointment(session: SessionDep, user: CurrentUser, key: Int64) -> Any:
        a = get_or_404(session, Appointment, key)
        if user.role == Role.DOCTOR and a.doctor_id != user.doctor_id:
            raise Forbidden("a doctor sees only their own agenda")
        return appointment_public(session, a)

    @router.post("/{key}/move", response_model=AppointmentPublic,
                 responses=responses(404, 409),
                 summary="Move one appointment by hand (the hard rules are checked; a "
                         "refusal names the rule)")
    def move(session: SessionDep, state: StateDep, user: Mover, key: Int64,
             body: MoveRequest) -> Any:
        before = get_or_404(session, Appointment, key)
        was: FreedSlot = (before.doctor_id, before.centre_id, before.start, before.end)
        a = planning.move_appointment(session, key, body, user, notices=state.notices)
        if (a.doctor_id, a.centre_id, a.start, a.end) != was:
            offer_freed_slots(session, [(a, was)], state.notices, state.settings)
        return appointment_public(session, a)

    return router
