"""What the victims' pages show and do, for :mod:`api.victim_pages`' routes.

:func:`page` renders the convocation (the victim's view, the offered slots under the
query's filters, the preferences) in a language; :func:`book_slot`,
:func:`cancel_appointment`, :func:`save_wishes` and :func:`set_waitlist` check a form, call
the service (:mod:`api.booking`) in the request's transaction and either redirect to the
page with what was done (POST-redirect-GET) or render the page again with, per field, what
is wrong, in the page's language.  A refusal of the service (a slot taken meanwhile, the
cut-off, a closed file) is rolled back and said in the victim's words; the page then shows
fresh slots.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from api import booking, i18n, offers
from api import victim_forms as forms
from api.deps import AppState
from api.errors import BookingRefused, Conflict, Invalid, ServiceError
from api.notices import notice_appointments
from api.tables import Appointment, AppointmentStatus, Convocation, User
from api.victim_page_data import centres_for, doctor_names, last_cancelled, session_days
from api.victim_schemas import VictimConvocationOut
from api.victim_view import victim_view
from notify import ics
from scheduler.domain import BRUSSELS, HOME
from scheduler.slots import Slot

SLOTS_SHOWN = 12
"""A phone screen of choices; the filters narrow them down."""
CSP = ("default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
"""Only the service's own scripts and styles; the map's tiles from OpenStreetMap."""
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "strict-origin",
            "X-Robots-Tag": "noindex, nofollow", "Content-Security-Policy": CSP,
            "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
"""The pages hold a personal key in their URL: never cached, never sent on as a referrer,
never framed by another site."""
ANCHORS = {"slot": "slot-1", "reason": "book-reason", "cancel_reason": "cancel-reason",
           "weekdays": "wd-0", "away_from": "away-from", "away_to": "away-to",
           "centre": "f-centre", "day": "f-day", "part": "f-part", "waitlist": "waitlist"}
"""The element each error's summary link leads to."""
REASON_MAX = booking.REASON_MAX



@dataclass(frozen=True)
class Access:
    """Whose convocation the page shows and who acts: the victim through their link, or
    an HR user for an employee.  ``base`` is the page's path, the forms post below it."""

    convocation_id: int
    base: str
    user: User | None = None
    csrf: str | None = None
    link_generation: int | None = None
    """Through a personal link: its generation (re-checked when a change locks the file)."""


class PageError(Exception):
    """An answer that is a whole page (an invalid link, a file out of reach)."""

    def __init__(self, status: int, title: str, message: str, language: str | None = None):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message
        self.language = language
        """The page's language when it is not the request's (the victim's, once known)."""


# ------------------------------------------------------------------ rendering


def _switch_links(request: Request, path: str | None) -> dict[str, str] | None:
    """The same page in each language (``?lang=``, with the other query values).  After
    a form was sent (a POST) the links lead to the page the form belongs to, ``path``;
    an answer to a POST with no such page has no language links."""
    if request.method != "GET" and path is None:
        return None
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "done")}
    return {code: f"{path or request.url.path}?{urlencode({**query, 'lang': code})}"
            for code in i18n.LANGUAGES}


def render(request: Request, language: str, template: str, context: dict[str, Any],
           status: int = 200, *, path: str | None = None) -> HTMLResponse:
    """``template`` in ``language``; remembers a language asked for with ``?lang=``."""
    html = i18n.environment(language).get_template(template).render(
        {"switch": _switch_links(request, path), **context})
    response = HTMLResponse(html, status_code=status, headers=NO_STORE)
    if request.query_params.get("lang") == language:
        response.set_cookie(i18n.COOKIE, language, max_age=i18n.COOKIE_MAX_AGE_S,
                            httponly=True, samesite="lax", path="/")
    return response


def error_page(request: Request, error: PageError, language: str,
                user: User | None = None) -> HTMLResponse:
    return render(request, language, "victim/error.html", {
        "title": error.title, "message": error.message, "user": user}, error.status)


def now(state: AppState) -> datetime:
    """The present (aware), from the service's clock: the notices' (tests fix it)."""
    return state.notices.clock()


def _today(state: AppState) -> date:
    return now(state).astimezone(BRUSSELS).date()


@dataclass
class Sent:
    """What a form sent back (shown again) and what is wrong with it, field by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _weekday_names(language: str) -> list[str]:
    fmt = i18n.environment(language).filters["day"]
    return [fmt(date(2026, 12, 7) + timedelta(days=i), "EEEE") for i in range(7)]


def page(request: Request, session: Session, state: AppState, access: Access,
          view: VictimConvocationOut, language: str, *, sent: Sent | None = None,
          notice: str | None = None, status: int = 200) -> HTMLResponse:
    """The convocation page: the view, the offered slots under the query's filters."""
    _ = i18n.gettext(language)
    day = i18n.environment(language).filters["day"]
    sent = sent or Sent()
    today = _today(state)
    centres = centres_for(session, language)
    conv = session.get(Convocation, view.id)
    home = conv is not None and conv.home_visit  # the doctor comes: no centre to choose
    choosable = [] if home else centres
    query = {k: v for k, v in request.query_params.items() if not (home and k == "centre")}
    days = forms.offered_days(view, today, session_days(
        session, forms.first_day(view, today), view.window_to))
    filters, filter_errors = forms.parse_filters(query, [c for c, _n in choosable], days, _)
    errors = {**filter_errors, **sent.errors}
    slots: list[Slot] = []
    if view.can_change:
        slots = offers.slots_for(session, view.id, centre=filters.centre, day=filters.day,
                                 part=filters.part, limit=SLOTS_SHOWN,
                                 now=now(state),
                                 cutoff_hours=state.settings.victim_cutoff_hours)
    names = dict(centres)
    doctors = doctor_names(session, (s.doctor for s in slots))
    weekday_names = _weekday_names(language)
    cancelled = last_cancelled(session, view.id) if view.appointment is None else None
    appt = view.appointment
    place_name = ""
    if appt is not None and not appt.place.home:
        place_name = names.get(appt.place.centre_id or "", appt.place.name)
    return render(request, language, "victim/convocation.html", {
        "title": _("Your Medex appointment") if appt else _("Your Medex convocation"),
        "view": view, "appt": appt, "status_text": forms.status_text(view, cancelled, _, day),
        "can_change": view.can_change,
        "cutoff_set": bool(state.settings.victim_cutoff_hours), "centres": choosable, "days": days,
        "filters": filters, "slots": [{
            "value": forms.SlotPick(s.doctor, s.centre, s.start).value, "start": s.start,
            "end": s.end, "home": s.centre == HOME, "place": names.get(s.centre, s.centre),
            "doctor": doctors.get(s.doctor, s.doctor), "travel_min": s.travel_min}
            for s in slots],
        "prefs": forms.wishes_of(view),
        "prefs_text": forms.wishes_text(view, _, weekday_names, day),
        "weekday_names": list(enumerate(weekday_names[:5])),
        "part_names": [("", _("Morning or afternoon")), ("morning", _("Morning")),
                       ("afternoon", _("Afternoon"))],
        "first_day": forms.first_day(view, today), "deadline": view.window_to,
        "base": access.base, "csrf": access.csrf, "user": access.user,
        "acting": access.user is not None, "victim_name": view.name,
        "reference": view.reference, "errors": errors, "form": sent.values,
        "reason_max": REASON_MAX,
        "anchors": ANCHORS, "notice": notice, "ics_url": _ics_url(access),
        "place_name": place_name, "bring": [_bring(language, item.code, item.text)
                                            for item in view.bring]}, status,
        path=access.base)


def _bring(language: str, code: str, text: str) -> str:
    """What to bring, in the page's language (the view says it in English, by code)."""
    _ = i18n.gettext(language)
    return {"identity_card": _("Your identity card."),
            "convocation": _("This convocation (the letter, or the message on your phone)."),
            "medical_documents": _("Any medical reports, X-rays or scans you have about the "
                                   "accident.")}.get(code, text)


def _ics_url(access: Access) -> str:
    return f"{access.base}.ics" if access.user is None else f"{access.base}/invite.ics"


def notice(language: str, done: str | None) -> str | None:
    _ = i18n.gettext(language)
    return {
        "booked": _("Your appointment is booked. You will receive a confirmation."),
        "moved": _("Your appointment has been moved. You will receive a confirmation."),
        "cancelled": _("Your appointment has been cancelled. You can choose a new date "
                       "below."),
        "prefs": _("Thank you: we have saved what suits you."),
        "waitlist_on": _("We will tell you if an earlier date frees up."),
        "waitlist_off": _("We will no longer tell you about earlier dates."),
    }.get(done or "")


# ------------------------------------------------------------------ the actions


def _actor(access: Access) -> booking.Actor:
    if access.user is not None:
        return booking.Actor.of(access.user)
    return booking.Actor.victim(access.convocation_id, access.link_generation)


def _refused(session: Session, exc: ServiceError | IntegrityError, language: str,
             field_: str) -> dict[str, str]:
    """A service's refusal as a message for the form's field, in the page's language (the
    service's own sentence is English; the page says it in the victim's words)."""
    session.rollback()
    _ = i18n.gettext(language)
    if isinstance(exc, booking.SlotTaken | IntegrityError):
        return {"slot": _("Sorry, someone else booked this time a moment ago. The free times "
                          "below are up to date: please choose another one.")}
    if isinstance(exc, Invalid):
        named = {p.field for p in exc.problems if p.field}
        if "reason" in named:
            return {field_ if field_ != "slot" else "reason": _("Please give a reason.")}
    if isinstance(exc, booking.TooLate):
        return {field_: _("This appointment can no longer be changed online.")}
    if field_ == "slot" and isinstance(exc, BookingRefused) and exc.rule:
        return {"slot": _("This time cannot be booked. The free times below are up to date: "
                          "please choose one of them.")}
    if isinstance(exc, BookingRefused | Conflict):
        return {field_: _("This change is not possible (any more) online. Choose another "
                          "time, or call Medex at the number in your convocation letter.")}
    return {field_: _("This could not be saved. Please check your choice and try again.")}


def _done(access: Access, what: str) -> RedirectResponse:
    return RedirectResponse(f"{access.base}?done={what}", status_code=303)


def book_slot(request: Request, session: Session, state: AppState, access: Access,
              view: VictimConvocationOut, language: str, slot: str, reason: str
              ) -> Response:
    _ = i18n.gettext(language)
    sent = Sent({"slot": slot, "reason": reason})
    picked = forms.parse_slot(slot)
    if picked is None:
        sent.errors["slot"] = _("Choose one of the free times.")
    moving = view.appointment is not None
    text = forms.parse_reason(reason, "reason", sent.errors, _, REASON_MAX) if moving \
        else " ".join(reason.split())[:REASON_MAX]
    if not view.can_change:
        sent.errors["slot"] = _("This appointment can no longer be changed online.")
    if sent.errors or picked is None:
        return page(request, session, state, access, view, language, sent=sent, status=422)
    try:
        booking.book(session, access.convocation_id,
                     booking.SlotChoice(picked.doctor, picked.centre, picked.start),
                     _actor(access), reason=text, notices=state.notices,
                     settings=state.settings, now=now(state))
        session.commit()
    except (ServiceError, IntegrityError) as exc:
        sent.errors.update(_refused(session, exc, language, "slot"))
        if "slot" in sent.errors:
            sent.values.pop("slot", None)
        view = victim_view(session, access.convocation_id, settings=state.settings,
                           now=now(state))
        return page(request, session, state, access, view, language, sent=sent, status=409)
    return _done(access, "moved" if moving else "booked")


def cancel_appointment(request: Request, session: Session, state: AppState, access: Access,
                       view: VictimConvocationOut, language: str, reason: str) -> Response:
    _ = i18n.gettext(language)
    sent = Sent({"cancel_reason": reason})
    text = forms.parse_reason(reason, "cancel_reason", sent.errors, _, REASON_MAX)
    if view.appointment is None:
        sent.errors["cancel_reason"] = _("There is no appointment to cancel.")
    elif not view.can_change:
        sent.errors["cancel_reason"] = _("This appointment can no longer be changed online.")
    if sent.errors:
        return page(request, session, state, access, view, language, sent=sent, status=422)
    try:
        booking.cancel(session, access.convocation_id, _actor(access), reason=text,
                       notices=state.notices, settings=state.settings, now=now(state))
        session.commit()
    except ServiceError as exc:
        sent.errors.update(_refused(session, exc, language, "cancel_reason"))
        view = victim_view(session, access.convocation_id, settings=state.settings,
                           now=now(state))
        return page(request, session, state, access, view, language, sent=sent, status=409)
    return _done(access, "cancelled")


def save_wishes(request: Request, session: Session, state: AppState, access: Access,
                view: VictimConvocationOut, language: str, values: dict[str, str],
                weekdays: list[str]) -> Response:
    _ = i18n.gettext(language)
    day = i18n.environment(language).filters["day"]
    wishes, errors = forms.parse_wishes(values, weekdays, view, _today(state), _, day)
    sent = Sent(values, errors)
    if not view.can_change and view.status not in ("pending", "scheduled"):
        sent.errors["weekdays"] = _("This file is closed: nothing can be changed any more.")
    if sent.errors:
        return page(request, session, state, access, view, language, sent=sent, status=422)
    try:
        booking.set_preferences(session, access.convocation_id,
                                _preferences(view, wishes, values.get("forget") == "1",
                                             _today(state)),
                                _actor(access), now=now(state))
        session.commit()
    except ServiceError as exc:
        sent.errors.update(_refused(session, exc, language, "away_from"))
        return page(request, session, state, access, view, language, sent=sent, status=422)
    return _done(access, "prefs")


def _preferences(view: VictimConvocationOut, wishes: forms.Wishes, forget: bool,
                 today: date) -> booking.Preferences:
    """The form as the service's preferences: the weekdays (every weekday when only a part
    of day is chosen) and the dates given before, unless asked to forget them, plus the new
    range."""
    days = wishes.weekdays or (tuple(forms.WEEKDAYS) if wishes.part else ())
    ranges = [] if forget else forms.runs([d for d in view.unavailable if d >= today])
    if wishes.away:
        ranges.append(wishes.away)
    return booking.Preferences(
        weekly=tuple(booking.Weekly(d, wishes.part) for d in days),
        unavailable=tuple(booking.DateRange(a, b) for a, b in ranges))


def set_waitlist(request: Request, session: Session, state: AppState, access: Access,
                 view: VictimConvocationOut, language: str, on: str) -> Response:
    if on not in ("0", "1"):  # the form's two buttons send nothing else
        _ = i18n.gettext(language)
        sent = Sent(errors={"waitlist": _("This could not be saved. Please check your choice "
                                          "and try again.")})
        return page(request, session, state, access, view, language, sent=sent, status=422)
    wanted = on == "1"
    try:
        booking.join_waitlist(session, access.convocation_id, _actor(access), on=wanted,
                              now=now(state))
        session.commit()
    except ServiceError as exc:
        sent = Sent(errors=_refused(session, exc, language, "waitlist"))
        view = victim_view(session, access.convocation_id, settings=state.settings,
                           now=now(state))
        return page(request, session, state, access, view, language, sent=sent, status=409)
    return _done(access, "waitlist_on" if wanted else "waitlist_off")


def invite(session: Session, state: AppState, access: Access) -> Response:
    """The confirmed appointment's ``.ics`` (404 when there is none).  An HR user's invite
    links to the file's HR page, not to the victim's personal link (which works without a
    login, and would outlive the HR user's access)."""
    found = notice_appointments(session, state.notices, (
        col(Appointment.convocation_id) == access.convocation_id) & (
        col(Appointment.status) == AppointmentStatus.CONFIRMED))
    if not found:
        raise PageError(404, "", "")
    notice = found[0]
    if access.user is not None:
        notice = dataclasses.replace(notice, link=state.settings.public_base_url + access.base)
    return Response(ics.invite(notice, organizer=state.notices.organizer),
                    media_type="text/calendar; charset=utf-8",
                    headers={**NO_STORE,
                             "Content-Disposition": 'attachment; filename="medex.ics"'})


def status_names(language: str) -> dict[str, str]:
    _ = i18n.gettext(language)
    return {"pending": _("Waiting for an appointment"), "scheduled": _("Appointment booked"),
            "done": _("Examination done"), "cancelled": _("Closed")}
