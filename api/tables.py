"""Database tables (SQLModel, ``table=True``).  Never used as API bodies: see ``schemas``.

Appointment times are Europe/Brussels wall-clock times stored without offset, as in the
domain; the stamps (``created_at``, ``at``...) are UTC, also without offset.
Lists (languages, specialties, preferred windows...) are JSON columns.  Every change made
through the service writes an :class:`AuditEntry` in the same transaction.  The outbox's
tables (``outbox``, ``sms_opt_out``) are :mod:`notify.outbox_sql`'s, added to the same
metadata so that the migrations create them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from notify import outbox_sql

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _json(**kw: Any) -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kw)


def utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


class Role(enum.StrEnum):
    PLANNER = "planner"
    DOCTOR = "doctor"
    MANAGER = "manager"
    ADMIN = "admin"
    EMPLOYER = "employer"
    """An employer's HR user: acts only for the convocations of its own employees."""


class ConvocationStatus(enum.StrEnum):
    PENDING = "pending"
    """Waiting for an appointment."""
    SCHEDULED = "scheduled"
    """Has a confirmed (published) appointment."""
    DONE = "done"
    CANCELLED = "cancelled"


class AppointmentStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    PUBLISHED = "published"


class Centre(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=200)
    """Street, number, postcode and town, as the victims' messages give it; "" if unknown."""
    postcode: str = Field(default="", max_length=8)
    lat: float
    lon: float
    rooms: int
    opening: str = Field(max_length=100)
    """``"08:30-12:00;13:00-16:30"``, the same every working day."""
    languages: list[str] = _json()


class Doctor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    languages: list[str] = _json()
    specialties: list[str] = _json()
    max_exams_per_day: int = 12
    active: bool = True


class DoctorSession(SQLModel, table=True):
    """A span in which a doctor examines at a centre, or a home round (``centre_id`` null)."""

    __tablename__ = "doctor_session"
    __table_args__ = (UniqueConstraint("doctor_id", "day", "start"),)
    id: int | None = Field(default=None, primary_key=True)
    doctor_id: int = Field(foreign_key="doctor.id", index=True)
    centre_id: str | None = Field(default=None, foreign_key="centre.id")
    """``None``: a home round, driving from ``base_centre_id``."""
    base_centre_id: str | None = Field(default=None, foreign_key="centre.id")
    day: date = Field(index=True)
    start: time
    end: time


class Absence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    doctor_id: int = Field(foreign_key="doctor.id", index=True)
    first_day: date
    last_day: date
    reason: str = Field(default="", max_length=200)


class Employer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    enterprise_number: str | None = Field(default=None, unique=True, max_length=20)
    email: str | None = Field(default=None, max_length=200)


class Victim(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    national_number: str = Field(unique=True, index=True, max_length=11)
    """Rijksregisternummer / NISS, 11 digits, checked."""
    name: str = Field(max_length=200)
    language: str = Field(max_length=2)
    postcode: str = Field(max_length=4)
    locality: str | None = Field(default=None, max_length=100)
    lat: float
    lon: float
    phone: str | None = Field(default=None, max_length=20)
    """E.164, a mobile number (it receives the SMS)."""
    email: str | None = Field(default=None, max_length=320)
    """Receives the e-mails with the calendar invite (when SMTP is configured)."""
    employer_id: int | None = Field(default=None, foreign_key="employer.id")
    travel_min: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))
    """Door-to-door minutes to each centre, cached (missing centre: unreachable)."""


class Convocation(SQLModel, table=True):
    __table_args__ = (
        # the waitlist, longest waiting first: only the few convocations on it
        Index("ix_convocation_waitlist", "waitlist_since", "id",
              sqlite_where=text("waitlist_since IS NOT NULL"),
              postgresql_where=text("waitlist_since IS NOT NULL")),
        # an id is never given twice (SQLite would reuse a deleted last one): a personal
        # link names its convocation by id
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True, max_length=20)
    victim_id: int = Field(foreign_key="victim.id", index=True)
    employer_id: int | None = Field(default=None, foreign_key="employer.id")
    injury: str = Field(max_length=40)
    complexity: str = Field(max_length=20)
    duration_min: int
    specialty: str = Field(max_length=40)
    priority: str = Field(max_length=10)
    home_visit: bool = False
    accident_date: date | None = None
    request_date: date
    """The request; for a resumption exam the resumption day, for a follow-up the start of
    the re-integration track."""
    followup_number: int = 0
    release_date: date
    deadline: date
    deadline_rule: str = Field(default="", max_length=300)
    """How the deadline was computed, in words."""
    status: str = Field(default=ConvocationStatus.PENDING, index=True, max_length=12)
    max_travel_min: int = 90
    preferred: list[dict[str, str]] = _json()
    """``[{"date": "2026-12-08", "start": "09:00", "end": "12:00"}]``"""
    unavailable: list[str] = _json()
    """ISO dates the victim cannot come."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime)
    waitlist_since: datetime | None = Field(default=None, sa_type=DateTime)
    """UTC: since when the victim wants an earlier date than their appointment (a freed
    slot is offered to the longest waiting first); ``None`` when not on the waitlist."""
    link_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Signed into the victim's personal links (:mod:`api.links`): raising it withdraws
    every link issued before; messages then carry links of the new generation."""


class Appointment(SQLModel, table=True):
    __table_args__ = (
        Index("one_confirmed_per_convocation", "convocation_id", unique=True,
              sqlite_where=text("status = 'confirmed'"),
              postgresql_where=text("status = 'confirmed'")),
        Index("doctor_start_free", "doctor_id", "start", unique=True,
              sqlite_where=text("status = 'confirmed'"),
              postgresql_where=text("status = 'confirmed'")),
        Index("ix_appointment_centre_start", "centre_id", "start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convocation_id: int = Field(foreign_key="convocation.id", index=True)
    doctor_id: int = Field(foreign_key="doctor.id", index=True)
    centre_id: str | None = Field(default=None, foreign_key="centre.id")
    """``None``: at the victim's home."""
    start: datetime = Field(index=True, sa_type=DateTime)
    end: datetime = Field(sa_type=DateTime)
    travel_min: int = 0
    status: str = Field(default=AppointmentStatus.CONFIRMED, max_length=12)
    revision: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    change_reason: str = Field(default="", max_length=500)
    plan_job_id: str | None = Field(default=None, foreign_key="plan_job.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=200)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=10)
    password_hash: str = Field(max_length=200)
    doctor_id: int | None = Field(default=None, foreign_key="doctor.id")
    """For the doctor role: whose agenda this user sees."""
    employer_id: int | None = Field(default=None, foreign_key="employer.id")
    """For the employer role: whose employees' convocations this HR user may act on."""
    active: bool = True


class PlanJob(SQLModel, table=True):
    """A planning job: a week solved outside the request, its progress and its result."""

    __tablename__ = "plan_job"
    id: str = Field(primary_key=True, max_length=36)
    week_start: date
    status: str = Field(default=JobStatus.QUEUED, index=True, max_length=12)
    keep_published: bool = True
    time_limit_s: float
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime)
    started_at: datetime | None = Field(default=None, sa_type=DateTime)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime)
    stop_requested: bool = False
    best_cost: int | None = None
    bound: int | None = None
    elapsed_s: float | None = None
    error: str | None = None
    week: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    """The week as solved (``medex-week/1``)."""
    schedule: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    """The best schedule (``medex-schedule/1``)."""
    changes: list[dict[str, Any]] = _json()
    """Published appointments that the plan moves, each with the reason."""


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=DateTime)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=20)
    """``create``, ``update``, ``delete``, ``import``, ``publish``, ``move``..."""
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=40)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    note: str = Field(default="", max_length=500)


METADATA = SQLModel.metadata

OUTBOX = outbox_sql.outbox.to_metadata(METADATA)
"""The outbox (:mod:`notify.outbox_sql`): one row per message, written in the transaction
of the change that causes it, sent by the outbox worker."""
SMS_OPT_OUT = outbox_sql.sms_opt_out.to_metadata(METADATA)
"""Phone numbers that sent STOP (and not START since)."""
