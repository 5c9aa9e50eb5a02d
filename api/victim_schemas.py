"""What the victims' JSON API (``/api/v/{token}/...``, ``/api/hr/...``) takes and returns.

Nothing medical leaves through these: no injury, no specialty, no complexity, no exam
duration rule.  A victim (or their employer's HR user) sees when, where, with whom (the
doctor's name), what to bring, how to get there and the status of the file in words.
Times are Europe/Brussels wall-clock times without offset, as in the rest of the API.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import ErrorOut, Schema

Part = Literal["morning", "afternoon"]


class StationOut(BaseModel):
    """The railway station nearest the centre, and the walk from it."""

    name: str
    walk_min: int | None = Field(description="walking minutes from the station to the "
                                 "centre; null where the centre's exact place is not known")


class PlaceOut(BaseModel):
    """Where the exam takes place: a centre, or the victim's home (``home``)."""

    home: bool
    centre_id: str | None = None
    name: str = Field(description="'Medex <centre>', or '' for a home visit")
    address: str = Field(description="street and town of the centre; the victim's postcode "
                                     "and town for a home visit")
    postcode: str = ""
    lat: float | None = None
    lon: float | None = None
    station: StationOut | None = None


class AppointmentOut(BaseModel):
    """The victim's confirmed appointment."""

    start: datetime
    end: datetime
    doctor: str = Field(description="the doctor's name")
    place: PlaceOut
    travel_min: int | None = Field(default=None, description="the victim's door-to-door "
                                                             "minutes, when known")
    revision: int


class BringOut(BaseModel):
    code: str
    text: str


class WindowOut(BaseModel):
    date: date
    start: str
    end: str


class VictimConvocationOut(BaseModel):
    """A convocation as the victim (or their employer's HR user) may see it."""

    id: int
    reference: str
    name: str = Field(description="the victim's name")
    language: str
    status: Literal["pending", "scheduled", "done", "cancelled"]
    status_text: str = Field(description="the status of the file in words (English; the "
                                         "pages translate the status code)")
    window_from: date = Field(description="the first day an exam may take place")
    window_to: date = Field(description="the last day (the legal deadline)")
    appointment: AppointmentOut | None
    can_change: bool = Field(description="whether the victim may still book, reschedule or "
                                         "cancel online")
    change_until: datetime | None = Field(description="the cut-off for online changes of "
                                                      "the current appointment, if any")
    waitlist: bool = Field(description="the victim wants an earlier date if one frees up")
    preferred: list[WindowOut]
    unavailable: list[date]
    bring: list[BringOut]
    link_expires: date | None = Field(default=None,
                                      description="the last day of this personal link")


class SlotOut(BaseModel):
    """A slot the victim may book; send ``doctor``, ``centre`` and ``start`` back."""

    doctor: str = Field(description="the doctor's code")
    doctor_name: str
    centre: str = Field(description="the centre's id, or 'home'")
    centre_name: str
    start: datetime
    end: datetime
    travel_min: int


class SlotsOut(BaseModel):
    items: list[SlotOut]


class BookingIn(Schema):
    """Book a slot (a first booking, or a reschedule of the current appointment)."""

    doctor: str = Field(min_length=1, max_length=16, description="the slot's doctor code")
    centre: str = Field(min_length=1, max_length=16, description="the slot's centre or 'home'")
    start: datetime = Field(description="the slot's start, Europe/Brussels wall clock")
    reason: str = Field(default="", max_length=500,
                        description="why (required to reschedule an appointment)")


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class WaitlistIn(Schema):
    on: bool


class SlotTakenOut(ErrorOut):
    """409: the slot was taken meanwhile; here are fresh ones."""

    alternatives: list[SlotOut] = Field(default_factory=list)


class HrConvocationsOut(BaseModel):
    items: list[VictimConvocationOut]


class HrMeOut(BaseModel):
    email: str
    full_name: str
    employer_id: int
    employer_name: str


class WeeklyIn(Schema):
    """Every such weekday: "only Tuesday mornings" is ``{"weekday": 1, "part": "morning"}``."""

    weekday: int = Field(ge=0, le=4, description="0 Monday ... 4 Friday")
    part: Part | None = Field(default=None, description="morning, afternoon, or all day")


class WindowIn(Schema):
    date: date
    start: time
    end: time


class RangeIn(Schema):
    """Days the victim cannot come, ``first`` to ``last`` inclusive ("not the week of 14
    Dec": ``{"first": "2026-12-14", "last": "2026-12-18"}``)."""

    first: date
    last: date


class PreferencesIn(Schema):
    """The victim's proposal: it replaces their windows and unavailable days."""

    weekly: list[WeeklyIn] = Field(default_factory=list, max_length=60)
    windows: list[WindowIn] = Field(default_factory=list, max_length=60)
    unavailable: list[RangeIn] = Field(default_factory=list, max_length=30)
