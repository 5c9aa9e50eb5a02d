"""The victims' pages: their convocation through the personal link, and the same page for
their employer's HR user.  Plain HTML forms, POST-redirect-GET, no JavaScript needed.

``/v/{token}`` (the link of every letter, SMS and e-mail; :mod:`api.links` reads it):
when, where, with whom (the doctor's name, nothing medical), what to bring, how to get
there, the state of the file in words and the ``.ics``; the offered slots (filtered by
centre, day, morning/afternoon) to book or to move the appointment to; cancelling with a
reason; the days and times that suit and the dates that do not (preferences for the next
planning run); the waitlist for an earlier date.  ``/hr`` lists an HR user's employees'
convocations and ``/hr/c/{id}`` is the same page acting for one of them; its forms carry
a CSRF field (an HMAC of the session token) because a form cannot send ``X-Medex``.

This module answers who is asking (the link, or the HR login with its CSRF field) and
routes; :mod:`api.victim_actions` renders the page and carries out its forms, calling the
services directly (:mod:`api.offers`, :mod:`api.booking`) inside the request's
transaction.  Every failure a person can cause (a tampered or expired link, a slot taken
meanwhile, a window in the past, a nonsense date) is answered by the page in the person's
language, with the message next to the field it concerns and summarised at the top; never
a 500 or a JSON body.  The texts are in :mod:`api.i18n`'s catalogues.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api import i18n
from api.deps import (
    HR_ROLES,
    AppState,
    ReadSessionDep,
    SessionDep,
    StateDep,
    token_of,
    user_from_request,
)
from api.errors import NotFound
from api.links import LinkExpired, LinkInvalid, LinkWithdrawn
from api.personal_links import convocation_of
from api.tables import Convocation, User, Victim
from api.victim_actions import (
    Access,
    PageError,
    book_slot,
    cancel_appointment,
    error_page,
    invite,
    notice,
    now,
    page,
    render,
    save_wishes,
    set_waitlist,
    status_names,
)
from api.victim_schemas import VictimConvocationOut
from api.victim_view import hr_convocation, hr_convocations, victim_view

router = APIRouter(include_in_schema=False)

LEAFLET = {"leaflet.js": "text/javascript", "leaflet.css": "text/css"}
LEAFLET_DIR = Path(__file__).resolve().parents[1] / "geo" / "whatif" / "static" / "leaflet"


# ------------------------------------------------------------------ who is asking


def csrf_token(state: AppState, session_token: str) -> str:
    """The CSRF field of an HR user's forms: an HMAC of their session token."""
    key = state.settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"hr-form:" + session_token.encode(), hashlib.sha256).hexdigest()[:32]


def _victim_access(request: Request, state: AppState, session: Session, token: str) -> Access:
    language = _language(request, None)
    _ = i18n.gettext(language)
    links = state.notices.links
    try:
        opened = convocation_of(session, links, token)[1]
    except LinkWithdrawn as exc:  # a genuine link: the page speaks the victim's language
        conv = session.get(Convocation, links.read(token))  # read just now: in the session
        victim = session.get(Victim, conv.victim_id) if conv is not None else None
        language = _language(request, victim.language if victim is not None else None)
        _ = i18n.gettext(language)
        raise PageError(410, _("This link has been replaced"), _(
            "Medex has given you a newer personal link: use the newest one. Call Medex at "
            "the number in your convocation letter to receive a new link."),
            language) from exc
    except LinkExpired as exc:
        raise PageError(410, _("This link has expired"), _(
            "This personal link was valid until %(day)s. Call Medex at the number in your "
            "convocation letter, or answer our e-mail, to receive a new link.",
            day=i18n.environment(language).filters["day"](exc.last_day))) from exc
    except LinkInvalid as exc:
        raise _invalid_link(language) from exc
    return Access(opened.convocation_id, f"/v/{token}", link_generation=opened.generation)


def _invalid_link(language: str) -> PageError:
    _ = i18n.gettext(language)
    return PageError(404, _("This link is not valid"), _(
        "Check that the link was copied completely, or open it again from your letter, SMS "
        "or e-mail. Call Medex at the number in your convocation letter to receive a new "
        "link."))


def _hr_user(request: Request, state: AppState, session: Session) -> User | None:
    """The logged-in HR user bound to an employer; ``None`` if nobody is logged in.
    Anyone else logged in (staff, an HR account of no employer) gets a page saying so."""
    user = user_from_request(request, state, session, roles=None)
    if user is None:
        return None
    if user.role not in HR_ROLES or user.employer_id is None:
        _ = i18n.gettext(_language(request, None))
        raise PageError(403, _("This page is for employers"), _(
            "Only the HR staff of an employer, linked to that employer by Medex, can use "
            "these pages."))
    return user


def _hr_access(request: Request, state: AppState, session: Session, user: User,
               convocation_id: int, language: str) -> Access:
    """The HR user's access to one convocation: only their employer's; any other id is
    answered exactly as a missing one."""
    try:
        hr_convocation(session, user, convocation_id)
    except NotFound:
        raise _not_theirs(language) from None
    token = token_of(request, state) or ""
    return Access(convocation_id, f"/hr/c/{convocation_id}", user, csrf_token(state, token))


def _check_csrf(request: Request, state: AppState, access: Access, sent: str) -> None:
    if access.user is not None and not hmac.compare_digest(access.csrf or "", sent or ""):
        language = _language(request, None)
        _ = i18n.gettext(language)
        raise PageError(403, _("The form has expired"), _(
            "For your safety this form was refused: it did not come from this page. Go back "
            "to the page, reload it and send the form again."))


def _language(request: Request, own: str | None) -> str:
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                       own, request.headers.get("accept-language", ""))


def _login(request: Request) -> RedirectResponse:
    target = request.url.path
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


# ------------------------------------------------------------------ the routes

Action = Callable[[Access, VictimConvocationOut, str], Response]
FormStr = Annotated[str, Form()]


def _victim(request: Request, session: Session, state: AppState, token: str,
            action: Action) -> Response:
    """Run ``action`` for the victim of ``token``; a bad link gets its page."""
    language = _language(request, None)
    try:
        access = _victim_access(request, state, session, token)
        try:
            view = victim_view(session, access.convocation_id, settings=state.settings,
                           now=now(state))
        except NotFound:
            raise _invalid_link(language) from None
        return action(access, view, _language(request, view.language))
    except PageError as error:
        return error_page(request, error, error.language or language)


def _hr(request: Request, session: Session, state: AppState, convocation: str,
        action: Action, csrf: str | None = None) -> Response:
    """Run ``action`` for an HR user on one of their employees' convocations."""
    language = _language(request, None)
    try:
        user = _hr_user(request, state, session)
    except PageError as error:
        return error_page(request, error, language)
    if user is None:
        return _login(request)
    try:
        if not convocation.isdigit() or len(convocation) > 12:
            raise _not_theirs(language)
        access = _hr_access(request, state, session, user, int(convocation), language)
        if csrf is not None:
            _check_csrf(request, state, access, csrf)
        view = victim_view(session, access.convocation_id, settings=state.settings,
                           now=now(state))
        return action(access, view, language)
    except PageError as error:
        return error_page(request, error, language, user)


def _not_theirs(language: str) -> PageError:
    _ = i18n.gettext(language)
    return PageError(404, _("File not found"), _(
        "There is no file with this number among your employees' files."))


@router.get("/v-static/{name}")
def leaflet_file(name: str) -> Response:
    """The vendored Leaflet (the map of the place), served only by name."""
    if name not in LEAFLET:
        raise NotFound("no such file")
    return FileResponse(LEAFLET_DIR / name, media_type=LEAFLET[name],
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/v/{token}.ics")
def victim_invite(request: Request, session: ReadSessionDep, state: StateDep, token: str
                  ) -> Response:
    return _victim(request, session, state, token,
                   lambda access, _view, _lang: invite(session, state, access))


@router.get("/v/{token}", response_class=HTMLResponse)
async def victim_page(request: Request, state: StateDep, token: str,
                      done: str | None = None) -> Response:
    """The victim's convocation (``?lang=`` to switch, ``centre``/``day``/``part`` to
    filter the slots; ``done`` names what was just saved, to confirm it).  Read-only,
    whole in one thread of the readers' lane (see :func:`api.routes.victim._reading`)."""
    def show() -> Response:
        with state.db.session(read_only=True) as session:
            return _victim(request, session, state, token, lambda access, view, lang: page(
                request, session, state, access, view, lang, notice=notice(lang, done)))

    return await anyio.to_thread.run_sync(show, limiter=state.read_lane)


@router.post("/v/{token}/book")
def victim_book(request: Request, session: SessionDep, state: StateDep, token: str,
                slot: FormStr = "", reason: FormStr = "") -> Response:
    return _victim(request, session, state, token, lambda access, view, lang: book_slot(
        request, session, state, access, view, lang, slot, reason))


@router.post("/v/{token}/cancel")
def victim_cancel(request: Request, session: SessionDep, state: StateDep, token: str,
                  cancel_reason: FormStr = "") -> Response:
    return _victim(request, session, state, token, lambda access, view, lang:
                   cancel_appointment(request, session, state, access, view, lang,
                                      cancel_reason))


@router.post("/v/{token}/preferences")
def victim_preferences(request: Request, session: SessionDep, state: StateDep, token: str,
                       weekdays: Annotated[list[str] | None, Form()] = None,
                       part: FormStr = "", away_from: FormStr = "", away_to: FormStr = "",
                       forget: FormStr = ""
                       ) -> Response:
    values = {"part": part, "away_from": away_from, "away_to": away_to, "forget": forget}
    return _victim(request, session, state, token, lambda access, view, lang: save_wishes(
        request, session, state, access, view, lang, values, weekdays or []))


@router.post("/v/{token}/waitlist")
def victim_waitlist(request: Request, session: SessionDep, state: StateDep, token: str,
                    on: FormStr = "1") -> Response:
    return _victim(request, session, state, token,
                   lambda access, view, lang: set_waitlist(
                       request, session, state, access, view, lang, on))


@router.get("/v/{token}/{action}")
def victim_form_url(token: str, action: str) -> Response:
    """A form's address opened as a page (a bookmark, a reload): the page itself."""
    return RedirectResponse(f"/v/{quote(token, safe='')}", status_code=303)


@router.get("/hr", response_class=HTMLResponse)
def hr_list(request: Request, session: ReadSessionDep, state: StateDep) -> Response:
    """An HR user's employees' convocations: reference, name, state, appointment."""
    language = _language(request, None)
    try:
        user = _hr_user(request, state, session)
    except PageError as error:
        return error_page(request, error, language)
    if user is None:
        return _login(request)
    _ = i18n.gettext(language)
    rows = hr_convocations(session, user, settings=state.settings)
    return render(request, language, "victim/hr.html", {
        "title": _("Your employees' convocations"), "user": user, "rows": rows,
        "status_names": status_names(language)})


@router.get("/hr/c/{convocation}/invite.ics")
def hr_invite(request: Request, session: ReadSessionDep, state: StateDep, convocation: str
              ) -> Response:
    return _hr(request, session, state, convocation,
               lambda access, _view, _lang: invite(session, state, access))


@router.get("/hr/c/{convocation}", response_class=HTMLResponse)
def hr_page(request: Request, session: ReadSessionDep, state: StateDep, convocation: str,
            done: str | None = None) -> Response:
    return _hr(request, session, state, convocation, lambda access, view, lang: page(
        request, session, state, access, view, lang, notice=notice(lang, done)))


@router.get("/hr/c/{convocation}/{action}")
def hr_form_url(convocation: str, action: str) -> Response:
    """A form's address opened as a page: the employee's page itself."""
    return RedirectResponse(f"/hr/c/{quote(convocation, safe='')}", status_code=303)


@router.post("/hr/c/{convocation}/book")
def hr_book(request: Request, session: SessionDep, state: StateDep, convocation: str,
            slot: FormStr = "", reason: FormStr = "", csrf: FormStr = "") -> Response:
    return _hr(request, session, state, convocation, lambda access, view, lang: book_slot(
        request, session, state, access, view, lang, slot, reason), csrf)


@router.post("/hr/c/{convocation}/cancel")
def hr_cancel(request: Request, session: SessionDep, state: StateDep, convocation: str,
              cancel_reason: FormStr = "", csrf: FormStr = "") -> Response:
    return _hr(request, session, state, convocation, lambda access, view, lang:
               cancel_appointment(request, session, state, access, view, lang,
                                  cancel_reason), csrf)


@router.post("/hr/c/{convocation}/preferences")
def hr_preferences(request: Request, session: SessionDep, state: StateDep, convocation: str,
                   weekdays: Annotated[list[str] | None, Form()] = None,
                   part: FormStr = "", away_from: FormStr = "", away_to: FormStr = "",
                   forget: FormStr = "", csrf: FormStr = "") -> Response:
    values = {"part": part, "away_from": away_from, "away_to": away_to, "forget": forget}
    return _hr(request, session, state, convocation, lambda access, view, lang: save_wishes(
        request, session, state, access, view, lang, values, weekdays or []), csrf)


@router.post("/hr/c/{convocation}/waitlist")
def hr_waitlist(request: Request, session: SessionDep, state: StateDep, convocation: str,
                on: FormStr = "1", csrf: FormStr = "") -> Response:
    return _hr(request, session, state, convocation,
               lambda access, view, lang: set_waitlist(
                   request, session, state, access, view, lang, on), csrf)
