"""API schemas: per entity ``XBase`` (shared fields), ``XCreate`` (POST body), ``XUpdate``
(PATCH body, every field optional) and ``XPublic`` (what the API returns).

Tables (:mod:`api.tables`) never double as bodies; :mod:`api.convert` joins the two.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.tables import Role

T = TypeVar("T")
LANGUAGES = ("nl", "fr", "de", "en")
Language = Literal["nl", "fr", "de", "en"]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
"""An integer the databases can store and compare (64 bits): an id or a count that comes
in through a path, a query or a body.  A larger one is refused as invalid (422, naming the
field), never handed to the driver (SQLite's raises ``OverflowError``: a 500)."""
_OPENING = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(;\d{2}:\d{2}-\d{2}:\d{2})*$")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class Problem(BaseModel):
    """One thing wrong with a request: where (field, or row and column) and why."""

    field: str | None = None
    row: int | None = None
    column: str | None = None
    reason: str


class ErrorOut(BaseModel):
    """Every error response: a sentence, a machine-readable code, and the problems."""

    detail: str
    code: str
    problems: list[Problem] = []
    rule: str | None = None
    """For a refused booking: the hard rule it would break."""


# ------------------------------------------------------------------ centres


class CentreBase(Schema):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=200,
                         description="street, number, postcode and town, as messages say it")
    postcode: str = Field(default="", max_length=8)
    lat: float = Field(ge=49.4, le=51.6)
    lon: float = Field(ge=2.5, le=6.5)
    rooms: int = Field(ge=1, le=100)
    opening: str = Field(default="08:30-16:30", examples=["08:30-12:00;13:00-16:30"])
    languages: list[Language] = Field(min_length=1)

    @field_validator("opening")
    @classmethod
    def _opening(cls, v: str) -> str:
        if not _OPENING.match(v):
            raise ValueError("expected HH:MM-HH:MM intervals separated by ';'")
        return v


class CentreCreate(CentreBase):
    id: str = Field(pattern=r"^[A-Z0-9]{2,16}$")


class CentreUpdate(Schema):
    name: str | None = None
    address: str | None = Field(default=None, max_length=200)
    postcode: str | None = None
    lat: float | None = Field(default=None, ge=49.4, le=51.6)
    lon: float | None = Field(default=None, ge=2.5, le=6.5)
    rooms: int | None = Field(default=None, ge=1, le=100)
    opening: str | None = None
    languages: list[Language] | None = None


class CentrePublic(CentreBase):
    id: str


# ------------------------------------------------------------------ doctors


class DoctorBase(Schema):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164, e.g. +3222221111")
    languages: list[Language] = Field(min_length=1)
    specialties: list[str] = Field(default_factory=lambda: ["general"])
    max_exams_per_day: int = Field(default=12, ge=1, le=40)
    active: bool = True


class DoctorCreate(DoctorBase):
    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")


class DoctorUpdate(Schema):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    languages: list[Language] | None = None
    specialties: list[str] | None = None
    max_exams_per_day: int | None = Field(default=None, ge=1, le=40)
    active: bool | None = None


class DoctorPublic(DoctorBase):
    id: int
    code: str


class SessionBase(Schema):
    doctor_id: Int64
    centre_id: str | None = Field(default=None, description="null: a home round")
    base_centre_id: str | None = Field(default=None,
                                       description="for a home round: where it starts")
    day: date
    start: time
    end: time


class SessionCreate(SessionBase):
    pass


class SessionUpdate(Schema):
    centre_id: str | None = None
    base_centre_id: str | None = None
    day: date | None = None
    start: time | None = None
    end: time | None = None


class SessionPublic(SessionBase):
    id: int


class AbsenceBase(Schema):
    doctor_id: Int64
    first_day: date
    last_day: date
    reason: str = ""


class AbsenceCreate(AbsenceBase):
    pass


class AbsenceUpdate(Schema):
    first_day: date | None = None
    last_day: date | None = None
    reason: str | None = None


class AbsencePublic(AbsenceBase):
    id: int


# ------------------------------------------------------------------ people


class EmployerBase(Schema):
    name: str = Field(min_length=1, max_length=200)
    enterprise_number: str | None = None
    email: str | None = None


class EmployerCreate(EmployerBase):
    pass


class EmployerUpdate(Schema):
    name: str | None = None
    enterprise_number: str | None = None
    email: str | None = None


class EmployerPublic(EmployerBase):
    id: int


class VictimBase(Schema):
    name: str = Field(min_length=1, max_length=200)
    language: Language
    postcode: str = Field(description="Belgian postcode (4 digits)")
    locality: str | None = None
    phone: str | None = Field(default=None, description="a mobile number (it receives the "
                                                        "SMS), stored in E.164: +32470123456")
    email: str | None = Field(default=None, max_length=320,
                              description="receives the e-mails with the calendar invite")
    employer_id: Int64 | None = None


class VictimCreate(VictimBase):
    national_number: str = Field(description="rijksregisternummer / NISS, 11 digits")


class VictimUpdate(Schema):
    name: str | None = None
    language: Language | None = None
    postcode: str | None = None
    locality: str | None = None
    phone: str | None = Field(default=None, description="\"\" removes it")
    email: str | None = Field(default=None, description="\"\" removes it")
    employer_id: Int64 | None = None


class VictimPublic(VictimBase):
    id: int
    national_number: str
    lat: float
    lon: float


# ------------------------------------------------------------------ convocations


class Window(Schema):
    date: date
    start: time
    end: time


class ConvocationBase(Schema):
    victim_id: Int64
    employer_id: Int64 | None = None
    injury: str = Field(description="an injury type of the exam catalogue, e.g. fracture")
    complexity: str | None = Field(default=None,
                                   description="brief|simple|standard|complex|very_complex; "
                                               "the catalogue's usual one when omitted")
    priority: Literal["high", "normal", "low"] | None = None
    specialty: str | None = None
    home_visit: bool = False
    accident_date: date | None = None
    request_date: date
    followup_number: Int64 = 0
    max_travel_min: int = Field(default=90, ge=10, le=300)
    preferred: list[Window] = []
    unavailable: list[date] = []


class ConvocationCreate(ConvocationBase):
    reference: str | None = Field(default=None, description="given when omitted")


class ConvocationUpdate(Schema):
    """Dates and the injury are fixed at intake; these may change afterwards."""

    priority: Literal["high", "normal", "low"] | None = None
    home_visit: bool | None = None
    max_travel_min: int | None = Field(default=None, ge=10, le=300)
    preferred: list[Window] | None = None
    unavailable: list[date] | None = None
    status: Literal["pending", "done", "cancelled"] | None = None


class ConvocationPublic(Schema):
    id: int
    reference: str
    victim_id: int
    employer_id: int | None
    injury: str
    complexity: str
    duration_min: int
    specialty: str
    priority: str
    home_visit: bool
    accident_date: date | None
    request_date: date
    followup_number: int
    release_date: date
    deadline: date
    deadline_rule: str
    status: str
    max_travel_min: int
    preferred: list[dict[str, str]]
    unavailable: list[str]


class LinkIssue(Schema):
    withdraw: bool = Field(default=True, description="withdraw every earlier personal link "
                           "of the convocation (a lost phone, a letter gone astray); false "
                           "when the earlier link only expired")


class LinkIssued(Schema):
    convocation_id: Int64
    url: str = Field(description="the victim's new personal link, to give them")
    last_day: date = Field(description="the last day the new link is valid")
    withdrawn: bool = Field(description="the earlier links no longer work")


# ------------------------------------------------------------------ appointments


class AppointmentPublic(Schema):
    id: int
    convocation_id: int
    reference: str
    doctor_id: int
    doctor_code: str
    centre_id: str | None
    home: bool
    start: datetime
    end: datetime
    travel_min: int
    status: str
    revision: int
    changed_by_id: int | None
    change_reason: str


class MoveRequest(Schema):
    start: datetime = Field(description="Europe/Brussels wall-clock time, on the 5-minute grid")
    doctor_id: Int64 | None = Field(default=None, description="default: the same doctor")
    centre_id: str | None = Field(default=None,
                                  description="default: the same place; 'home' for a home visit")
    reason: str = Field(min_length=1, max_length=500)


# ------------------------------------------------------------------ users and audit


class UserBase(Schema):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    full_name: str = ""
    role: Role
    doctor_id: Int64 | None = None
    employer_id: Int64 | None = Field(default=None, description="for the employer role (an "
                                    "employer's HR user): whose convocations it acts on")
    active: bool = True


class UserCreate(UserBase):
    password: str = Field(min_length=10)


class UserUpdate(Schema):
    full_name: str | None = None
    role: Role | None = None
    doctor_id: Int64 | None = None
    employer_id: Int64 | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10)


class UserPublic(UserBase):
    id: int


class AuditPublic(Schema):
    id: int
    at: datetime
    user_id: int | None
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


# ------------------------------------------------------------------ planning


class PlanCreate(Schema):
    week_start: date = Field(description="a Monday")
    time_limit_s: float | None = Field(default=None, ge=1, le=3600)
    keep_published: bool = Field(
        default=True, description="true: published appointments stay as they are (pinned); "
                                  "false: they may move, each move costs change_penalty")


class PlanProgress(BaseModel):
    best_cost: int | None
    bound: int | None
    elapsed_s: float | None


class Change(BaseModel):
    convocation: str
    before: str
    after: str
    reason: str


class PlanPublic(BaseModel):
    id: str
    week_start: date
    status: str
    keep_published: bool
    time_limit_s: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: PlanProgress
    error: str | None
    scheduled: int | None = None
    unscheduled: int | None = None
    changes: list[Change] = []


class UnscheduledOut(BaseModel):
    convocation: str
    reason: str


class RuleCost(BaseModel):
    rule: str
    cost: int
    count: int
    explanation: str


class Analysis(BaseModel):
    plan_id: str
    total_cost: int
    lower_bound: int | None
    rules: list[RuleCost]
    violations: list[dict[str, str | None]]
    unscheduled: list[UnscheduledOut]


class PublishResult(BaseModel):
    plan_id: str
    created: int
    moved: int
    unchanged: int
    changes: list[Change]


class MessageProblem(BaseModel):
    """A message to a victim that did not reach them: failed for good, or reported
    undelivered by the provider."""

    key: str
    appointment_id: str
    reference: str | None = Field(description="the appointment's convocation")
    kind: str = Field(description="convocation, change, cancellation or reminder")
    revision: int
    channel: str = Field(description="sms or email")
    recipient: str
    state: str = Field(description="failed, or sent but undelivered")
    attempts: int
    provider_status: str | None
    error_code: str | None = Field(description="the provider's code, e.g. Twilio's 21211")
    error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxCounts(BaseModel):
    pending: int
    sending: int
    sent: int
    failed: int


class MessageProblems(BaseModel):
    counts: OutboxCounts
    problems: list[MessageProblem]


class ImportResult(BaseModel):
    kind: str
    rows: int
    created: int
