"""The victims' JSON API: through the personal link, and for an employer's HR user.

``/api/v/{token}/...`` is authorised by the token alone (:mod:`api.links`; no cookie, so no
cross-site request can use it): an altered or unknown token is 404 ``link_invalid``, an
expired one 410 ``link_expired`` saying how to get a new one, a withdrawn one (replaced by
a newer link) 410 ``link_withdrawn``.  ``/api/hr/convocations/...``
is the same for an HR user (:data:`api.deps.HrUser`), limited to their employer's
convocations: another employer's id and an id that does not exist give the same 404.  A
change made with the HR session cookie needs ``X-Medex: 1`` (as every staff change).

Routes, the same under both prefixes (``{c}`` = ``/api/v/{token}`` or
``/api/hr/convocations/{id}``): ``GET {c}`` the convocation as the victim may see it,
``GET {c}/slots?centre=&day=&part=&limit=`` the slots offered, best first, ``POST
{c}/booking`` book or reschedule (409 with fresh ``alternatives`` when the slot was taken),
``DELETE {c}/booking`` cancel with a reason, ``PUT {c}/preferences`` the windows proposed,
``PUT {c}/waitlist`` an earlier date wanted; ``GET /api/v/{token}/invite.ics`` the invite;
``GET /api/hr/convocations`` the employer's files, ``GET /api/hr/me`` who is logged in.
Every error is an :class:`api.schemas.ErrorOut` naming the field; nothing is half saved
(one transaction per request).  Slots are computed for the one convocation
(:func:`api.offers.slots_for`), never from a whole week.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api import offers
from api.booking import (
    Actor,
    DateRange,
    Preferences,
    SlotChoice,
    SlotTaken,
    Weekly,
    Window,
    cancel,
    join_waitlist,
    make_booking,
    set_preferences,
)
from api.db import hold
from api.deps import AppState, HrUser, ReadSessionDep, SessionDep, StateDep
from api.errors import Invalid, NotFound, responses
from api.notices import notice_appointments
from api.personal_links import convocation_of
from api.schemas import Int64, Problem
from api.tables import Appointment, AppointmentStatus, Centre, Convocation, Doctor, Employer
from api.victim_schemas import (
    BookingIn,
    CancelIn,
    HrConvocationsOut,
    HrMeOut,
    Part,
    PreferencesIn,
    SlotOut,
    SlotsOut,
    SlotTakenOut,
    VictimConvocationOut,
    WaitlistIn,
)
from api.victim_view import build_view, hr_convocation, hr_convocations, victim_view
from notify import ics
from scheduler.domain import HOME
from scheduler.slots import Slot

NO_STORE = {"Cache-Control": "no-store"}
T = TypeVar("T")
MAX_SLOTS = 50


@dataclass(frozen=True)
class Access:
    """Whose convocation a request acts on, and who acts (the victim or an HR user)."""

    convocation_id: int
    actor: Actor
    link_expires: date | None = None
    """Through a personal link: its last day."""


def _by_link(token: str, state: AppState, session: Session, response: Response) -> Access:
    """The convocation of a genuine, unexpired personal link of its current generation
    (that still exists)."""
    conv, opened = convocation_of(session, state.notices.links, token)
    hold(session, conv)  # what the request does next finds it in the session
    response.headers.update(NO_STORE)
    return Access(opened.convocation_id,
                  Actor.victim(opened.convocation_id, opened.generation),
                  link_expires=opened.last_day)


def link_access(token: str, state: StateDep, session: SessionDep, response: Response
                ) -> Access:
    """A personal link's convocation, in the request's transaction (one that may write)."""
    return _by_link(token, state, session, response)


def link_reader(token: str, state: StateDep, session: ReadSessionDep, response: Response
                ) -> Access:
    """A personal link's convocation, in the request's read-only transaction (what only
    shows: on SQLite it does not wait for the bookings' write lock)."""
    return _by_link(token, state, session, response)


def hr_access(key: Int64, user: HrUser, session: SessionDep, response: Response) -> Access:
    """One of the HR user's employer's convocations (404 otherwise, whatever the reason)."""
    conv = hr_convocation(session, user, key)
    hold(session, conv)
    response.headers.update(NO_STORE)
    return Access(conv.id or 0, Actor.of(user))


ByLink = Annotated[Access, Depends(link_access)]
ReadByLink = Annotated[Access, Depends(link_reader)]
ByHr = Annotated[Access, Depends(hr_access)]


# ------------------------------------------------------------------ the shared handlers


def now_of(state: StateDep) -> datetime:
    """The present as the service's messages see it (the notices' clock: injectable)."""
    return state.notices.clock()


def show(session: Session, state: StateDep, access: Access) -> VictimConvocationOut:
    """The convocation as it is now."""
    return victim_view(session, access.convocation_id, settings=state.settings,
                       now=now_of(state), link_expires=access.link_expires)


def _check_centre(session: Session, centre: str | None) -> str | None:
    if centre is None or centre == "":
        return None
    if centre != HOME and session.get(Centre, centre) is None:
        raise Invalid(f"centre: no centre {centre!r}", problems=[
            Problem(field="centre", reason=f"no centre {centre!r} (a centre id, or 'home')")])
    return centre


def _check_day(session: Session, state: StateDep, convocation_id: int, day: date | None
               ) -> None:
    if day is None:
        return
    conv = session.get(Convocation, convocation_id)
    if conv is None:
        raise NotFound("no such convocation")
    earliest = offers.earliest_start(now_of(state),
                                     cutoff_hours=state.settings.victim_cutoff_hours)
    first, last = offers.window(conv, earliest)
    reason = None
    if day < earliest.date():
        reason = f"{day.isoformat()} is in the past"
    elif not first <= day <= last:
        reason = (f"{day.isoformat()} is outside the days of this file "
                  f"({first.isoformat()} to {last.isoformat()})")
    if reason:
        raise Invalid(f"day: {reason}", problems=[Problem(field="day", reason=reason)])


def slot_out(session: Session, slots: list[Slot]) -> list[SlotOut]:
    """The slots with their doctor's and centre's names (two small lookups)."""
    codes = sorted({s.doctor for s in slots})
    doctors = {d.code: d.name for d in session.exec(
        select(Doctor).where(col(Doctor.code).in_(codes)))} if codes else {}
    places = sorted({s.centre for s in slots if s.centre != HOME})
    centres = {c.id: f"Medex {c.name}" for c in session.exec(
        select(Centre).where(col(Centre.id).in_(places)))} if places else {}
    return [SlotOut(doctor=s.doctor, doctor_name=doctors.get(s.doctor, ""), centre=s.centre,
                    centre_name=centres.get(s.centre, ""), start=s.start, end=s.end,
                    travel_min=s.travel_min) for s in slots]


def offered(session: Session, state: StateDep, access: Access, *, centre: str | None,
            day: date | None, part: Part | None, limit: int) -> SlotsOut:
    chosen = _check_centre(session, centre)
    _check_day(session, state, access.convocation_id, day)
    slots = offers.slots_for(session, access.convocation_id, centre=chosen, day=day,
                             part=part, limit=limit, now=now_of(state),
                             cutoff_hours=state.settings.victim_cutoff_hours)
    return SlotsOut(items=slot_out(session, slots))


def conflict_body(state: StateDep, access: Access, exc: SlotTaken, limit: int = 10
                  ) -> JSONResponse:
    """409 for a slot taken meanwhile: the friendly sentence and fresh alternatives, read
    (after the failed attempt was rolled back) in a read-only transaction of their own."""
    with state.db.session(read_only=True) as reader:
        slots = offers.slots_for(reader, access.convocation_id, limit=limit,
                                 now=now_of(state),
                                 cutoff_hours=state.settings.victim_cutoff_hours)
        alternatives = slot_out(reader, slots)
    body = SlotTakenOut(detail=exc.detail, code=exc.code, problems=exc.problems,
                        rule=exc.rule, alternatives=alternatives)
    return JSONResponse(body.model_dump(mode="json"), status_code=409, headers=NO_STORE)


def attempt(session: Session, state: StateDep, access: Access, body: BookingIn
            ) -> VictimConvocationOut | SlotTaken:
    """Book or reschedule, and commit; the convocation as it is then (from the rows the
    booking was made of, after the commit: the locks are given back first), or, rolled
    back, the :class:`SlotTaken` of a slot that went meanwhile."""
    try:
        done = make_booking(session, access.convocation_id,
                            SlotChoice(body.doctor, body.centre, body.start), access.actor,
                            reason=body.reason, notices=state.notices,
                            settings=state.settings, now=now_of(state))
        session.commit()
    except SlotTaken as exc:
        session.rollback()
        return exc
    except IntegrityError:  # a unique index, at the commit: the slot went meanwhile
        session.rollback()
        return SlotTaken()
    return build_view(done.convocation, done.victim, done.appointment, done.doctor,
                      done.centre, settings=state.settings, now=now_of(state),
                      link_expires=access.link_expires)


def booked(session: Session, state: StateDep, access: Access, body: BookingIn
           ) -> VictimConvocationOut | JSONResponse:
    """:func:`attempt`, or 409 with alternatives."""
    got = attempt(session, state, access, body)
    return conflict_body(state, access, got) if isinstance(got, SlotTaken) else got


def _read_by_link(state: AppState, token: str, response: Response,
                  work: Callable[[Session, Access], T]) -> T:
    """``work`` for the convocation of a personal link, in a read-only transaction, from
    reading the link to the answer in the calling thread."""
    with state.db.session(read_only=True) as session:
        return work(session, _by_link(token, state, session, response))


async def _reading(state: AppState, token: str, response: Response,
                   work: Callable[[Session, Access], T]) -> T:
    """:func:`_read_by_link` in a thread of the readers' lane (a few threads: a few requests
    computing slots at once, not dozens sharing the interpreter with the booking that holds
    the locks; ``MEDEX_READ_THREADS``)."""
    return await anyio.to_thread.run_sync(_read_by_link, state, token, response, work,
                                          limiter=state.read_lane)


def _book_by_link(state: AppState, token: str, body: BookingIn, response: Response
                  ) -> tuple[Access, VictimConvocationOut | SlotTaken]:
    """A booking through a personal link, from reading the link to the commit, in the
    calling thread."""
    with state.db.session() as session:
        access = link_access(token, state, session, response)
        return access, attempt(session, state, access, body)


def cancelled(session: Session, state: StateDep, access: Access, body: CancelIn
              ) -> VictimConvocationOut:
    cancel(session, access.convocation_id, access.actor, reason=body.reason,
           notices=state.notices, settings=state.settings, now=now_of(state))
    return show(session, state, access)


def preferred(session: Session, state: StateDep, access: Access, body: PreferencesIn
              ) -> VictimConvocationOut:
    prefs = Preferences(
        weekly=tuple(Weekly(w.weekday, w.part) for w in body.weekly),
        windows=tuple(Window(w.date, w.start, w.end) for w in body.windows),
        unavailable=tuple(DateRange(r.first, r.last) for r in body.unavailable))
    set_preferences(session, access.convocation_id, prefs, access.actor, now=now_of(state))
    return show(session, state, access)


def waitlisted(session: Session, state: StateDep, access: Access, body: WaitlistIn
               ) -> VictimConvocationOut:
    join_waitlist(session, access.convocation_id, access.actor, on=body.on, now=now_of(state))
    return show(session, state, access)


# ------------------------------------------------------------------ the routers

WRITES = responses(404, 409, 422)
TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"model": SlotTakenOut, "description": "The slot was taken meanwhile (code "
          "slot_taken, with fresh alternatives), or a rule or the cut-off refuses it"}}


def _victim_router() -> APIRouter:
    router = APIRouter(prefix="/api/v/{token}", tags=["victim"],
                       responses=responses(404, 410, 422))

    @router.get("", response_model=VictimConvocationOut,
                summary="The convocation as the victim may see it (nothing medical)")
    async def get_convocation(token: str, state: StateDep, response: Response) -> Any:
        return await _reading(state, token, response, lambda session, access: show(
            session, state, access))

    @router.get("/slots", response_model=SlotsOut,
                summary="The slots the victim may book, best first (travel, then how soon)")
    async def get_slots(token: str, state: StateDep, response: Response,
                        centre: Annotated[str | None, Query(max_length=16)] = None,
                        day: date | None = None, part: Part | None = None,
                        limit: Annotated[int, Query(ge=1, le=MAX_SLOTS)] = 20) -> Any:
        return await _reading(state, token, response, lambda session, access: offered(
            session, state, access, centre=centre, day=day, part=part, limit=limit))

    @router.post("/booking", response_model=VictimConvocationOut,
                 responses={**WRITES, **TAKEN},
                 summary="Book a slot, or move the appointment to it (a reason is required "
                         "to move)")
    async def post_booking(token: str, state: StateDep, body: BookingIn,
                           response: Response) -> Any:
        # the whole booking in one thread of the bookings' few-thread lane: its transaction
        # and its locks never wait for a thread between steps
        access, got = await anyio.to_thread.run_sync(
            _book_by_link, state, token, body, response, limiter=state.booking_lane)
        if isinstance(got, SlotTaken):  # the alternatives are a reading: the readers' lane
            return await anyio.to_thread.run_sync(conflict_body, state, access, got,
                                                  limiter=state.read_lane)
        return got

    @router.delete("/booking", response_model=VictimConvocationOut, responses=WRITES,
                   summary="Cancel the appointment, with a reason")
    def delete_booking(session: SessionDep, state: StateDep, access: ByLink,
                       body: CancelIn) -> Any:
        return cancelled(session, state, access, body)

    @router.put("/preferences", response_model=VictimConvocationOut, responses=WRITES,
                summary="Propose windows and days you cannot come (the next planning run "
                        "honours them)")
    def put_preferences(session: SessionDep, state: StateDep, access: ByLink,
                        body: PreferencesIn) -> Any:
        return preferred(session, state, access, body)

    @router.put("/waitlist", response_model=VictimConvocationOut, responses=WRITES,
                summary="Ask for (or stop asking for) an earlier date if one frees up")
    def put_waitlist(session: SessionDep, state: StateDep, access: ByLink,
                     body: WaitlistIn) -> Any:
        return waitlisted(session, state, access, body)

    @router.get("/invite.ics", summary="The appointment's calendar invite",
                response_class=Response)
    def get_invite(session: ReadSessionDep, state: StateDep, access: ReadByLink
                   ) -> Response:
        found = notice_appointments(session, state.notices, (
            Appointment.convocation_id == access.convocation_id) & (
            Appointment.status == AppointmentStatus.CONFIRMED))
        if not found:
            raise NotFound("no appointment is booked yet")
        return Response(ics.invite(found[0], organizer=state.notices.organizer),
                        media_type="text/calendar; charset=utf-8",
                        headers={**NO_STORE,
                                 "Content-Disposition": 'attachment; filename="medex.ics"'})

    return router


def _hr_router() -> APIRouter:
    router = APIRouter(prefix="/api/hr", tags=["employer HR"],
                       responses=responses(401, 403, 404, 422))

    @router.get("/me", response_model=HrMeOut, summary="The HR user and their employer")
    def me(session: SessionDep, user: HrUser) -> Any:
        employer = session.get(Employer, user.employer_id)
        return HrMeOut(email=user.email, full_name=user.full_name,
                       employer_id=user.employer_id or 0,
                       employer_name=employer.name if employer else "")

    @router.get("/convocations", response_model=HrConvocationsOut,
                summary="The employer's employees' convocations (only those)")
    def list_convocations(session: SessionDep, state: StateDep, user: HrUser,
                          status: Annotated[str | None, Query(
                              pattern="^(pending|scheduled|done|cancelled)$")] = None) -> Any:
        return HrConvocationsOut(items=hr_convocations(session, user,
                                                       settings=state.settings,
                                                       status=status))

    @router.get("/convocations/{key}", response_model=VictimConvocationOut,
                summary="One of the employer's convocations, as the employee sees it")
    def get_convocation(session: SessionDep, state: StateDep, access: ByHr) -> Any:
        return show(session, state, access)

    @router.get("/convocations/{key}/slots", response_model=SlotsOut,
                summary="The slots the employee may book, best first")
    def get_slots(session: SessionDep, state: StateDep, access: ByHr,
                  centre: Annotated[str | None, Query(max_length=16)] = None,
                  day: date | None = None, part: Part | None = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_SLOTS)] = 20) -> Any:
        return offered(session, state, access, centre=centre, day=day, part=part,
                       limit=limit)

    @router.post("/convocations/{key}/booking", response_model=VictimConvocationOut,
                 responses={**WRITES, **TAKEN},
                 summary="Book a slot, or move the appointment to it (a reason is required "
                         "to move)")
    def post_booking(session: SessionDep, state: StateDep, access: ByHr,
                     body: BookingIn) -> Any:
        return booked(session, state, access, body)

    @router.delete("/convocations/{key}/booking", response_model=VictimConvocationOut,
                   responses=WRITES, summary="Cancel the appointment, with a reason")
    def delete_booking(session: SessionDep, state: StateDep, access: ByHr,
                       body: CancelIn) -> Any:
        return cancelled(session, state, access, body)

    @router.put("/convocations/{key}/preferences", response_model=VictimConvocationOut,
                responses=WRITES, summary="Propose the employee's windows and days they "
                                          "cannot come (the next planning run honours them)")
    def put_preferences(session: SessionDep, state: StateDep, access: ByHr,
                        body: PreferencesIn) -> Any:
        return preferred(session, state, access, body)

    @router.put("/convocations/{key}/waitlist", response_model=VictimConvocationOut,
                responses=WRITES, summary="Ask for (or stop asking for) an earlier date for "
                                          "the employee if one frees up")
    def put_waitlist(session: SessionDep, state: StateDep, access: ByHr,
                     body: WaitlistIn) -> Any:
        return waitlisted(session, state, access, body)

    return router


def router() -> APIRouter:
    """Both routers under one, for a single ``include_router`` in :mod:`api.app`."""
    out = APIRouter()
    out.include_router(_victim_router())
    out.include_router(_hr_router())
    return out

