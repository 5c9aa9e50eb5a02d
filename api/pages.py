"""Server-rendered pages for planners and doctors (Jinja2, a little JavaScript).

``/login``; ``/week`` (a week grid per centre or per doctor, the KPI panel, the
unscheduled list with reasons, planning with live progress, publish, move, and a link to
the messages that did not arrive); ``/messages`` (those messages, with the reason);
``/agenda`` (a doctor's own week and their private calendar-feed URL).  The pages call the
JSON API from the browser with the session cookie; a state-changing call must carry
``X-Medex: 1`` (see :mod:`api.deps`).

``/a/{appointment}/{signature}`` is the former personal link of messages already sent (no
login: the signature is the key): it leads to the convocation's page ``/v/<token>``
(:mod:`api.links`); ``/a/{appointment}/{signature}.ics`` still gives the invite.  Both were
sent before links could be withdrawn: once a convocation's links are withdrawn
(``link_generation`` above 0), its former links lead nowhere (404).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, or_
from sqlmodel import col, select

from api import planning
from api.deps import SessionDep, StateDep, user_from_request
from api.errors import NotFound
from api.kpi import kpis
from api.links import PATH
from api.notices import feed_url, notice_appointments
from api.routes.auth import set_session_cookie
from api.routes.outbox import problems
from api.security import verify_password
from api.tables import (
    OUTBOX,
    Appointment,
    AppointmentStatus,
    Centre,
    Convocation,
    Doctor,
    JobStatus,
    PlanJob,
    Role,
    User,
)
from notify import ics
from notify.model import Appointment as Notice
from notify.outbox import UNDELIVERED, State
from notify.outbox_sql import SqlOutboxStore
from scheduler import domain as d
from scheduler.demo import next_demo_monday
from scheduler.week_format import schedule_from_dict, week_from_dict

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def _login_form(request: Request, next: str, error: bool = False) -> Response:
    """The login page in the language asked for (``?lang=``), remembered, or the
    browser's: staff and employers' HR users from the three language communities."""
    from api import i18n
    from api.victim_actions import render

    language = i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                           None, request.headers.get("accept-language", ""))
    _ = i18n.gettext(language)
    return render(request, language, "victim/login.html", {
        "next": next, "error": _("Wrong e-mail or password.") if error else None},
        401 if error else 200, path="/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, next)


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, session: SessionDep, state: StateDep,
                 username: Annotated[str, Form()], password: Annotated[str, Form()],
                 next: Annotated[str, Form()] = "/") -> Response:
    user = session.exec(select(User).where(User.email == username.strip().lower())).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return _login_form(request, next, error=True)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, state, state.tokens.issue(user))
    return response


@router.post("/logout")
def logout_page(state: StateDep) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(state.settings.session_cookie, path="/")
    return response


@router.get("/")
def home(request: Request, session: SessionDep, state: StateDep) -> Response:
    user = user_from_request(request, state, session, roles=None)
    if user is None:
        return _login_redirect(request)
    target = {Role.DOCTOR: "/agenda", Role.EMPLOYER: "/hr"}.get(Role(user.role), "/week")
    return RedirectResponse(target, status_code=303)


def _monday(text: str | None) -> date:
    if text:
        try:
            return planning.monday_of(date.fromisoformat(text))
        except ValueError:
            pass
    return next_demo_monday()


def _grid(week: d.Week, schedule: d.Schedule, *, centre: str | None, doctor: str | None,
          ids: dict[str, int]) -> list[dict[str, Any]]:
    by_day: dict[date, list[d.Assignment]] = defaultdict(list)
    for a in schedule.assignments:
        if centre and a.centre != centre:
            continue
        if doctor and a.doctor != doctor:
            continue
        by_day[a.start.date()].append(a)
    return [{"day": day, "items": sorted(by_day.get(day, []), key=lambda a: (a.start, a.doctor)),
             "closed": day in week.closed_dates} for day in week.dates]


def _week_view(request: Request, session: SessionDep, user: User, start: date,
               centre: str | None, doctor: str | None, plan_id: str | None) -> Response:
    built = planning.build_week(session, start)
    published = planning.published_schedule(built)
    job: PlanJob | None = None
    if plan_id:
        job = session.get(PlanJob, plan_id)
    else:
        job = session.exec(select(PlanJob).where(PlanJob.week_start == start).order_by(
            col(PlanJob.created_at).desc())).first()
    showing_plan = bool(plan_id and job and job.schedule and job.week)
    if showing_plan and job is not None and job.schedule and job.week:
        week, schedule = week_from_dict(job.week), schedule_from_dict(job.schedule)
    else:
        week, schedule = built.week, published
    real = {c.reference: c.deadline for c in session.exec(select(Convocation).where(
        col(Convocation.reference).in_([c.id for c in week.convocations])))}
    panel = kpis(week, schedule, real)
    unscheduled = list(job.schedule["unscheduled"]) if job and job.schedule else []
    appt_ids: dict[str, int] = {}
    if not showing_plan:
        rows = session.exec(select(Appointment.id, Convocation.reference).join(
            Convocation, col(Convocation.id) == col(Appointment.convocation_id)).where(
            Appointment.status == AppointmentStatus.CONFIRMED))
        appt_ids = {ref: aid for aid, ref in rows if aid is not None}
    doctors = list(session.exec(select(Doctor).order_by(col(Doctor.code))))
    centres = list(session.exec(select(Centre).order_by(col(Centre.id))))
    own_feed = None
    if user.role == Role.DOCTOR and doctor:
        own_feed = feed_url(request.app.state.medex.settings, doctor)
    return templates.TemplateResponse(request, "week.html", {
        "user": user, "start": start, "prev": start - timedelta(days=7),
        "next": start + timedelta(days=7), "grid": _grid(week, schedule, centre=centre,
                                                         doctor=doctor, ids=built.doctors),
        "kpi": panel, "centres": centres, "doctors": doctors, "centre": centre or "",
        "doctor": doctor or "", "job": job, "showing_plan": showing_plan,
        "unscheduled": unscheduled, "appt_ids": appt_ids,
        "can_plan": user.role in (Role.PLANNER, Role.ADMIN),
        "finished": job is not None and job.status in (JobStatus.DONE, JobStatus.STOPPED),
        "doctor_ids": {doc.code: doc.id for doc in doctors},
        "undelivered": undelivered_count(session) if user.role != Role.DOCTOR else 0,
        "feed_url": own_feed,
    })


def undelivered_count(session: SessionDep) -> int:
    """Messages failed for good or reported undelivered (the link to ``/messages``)."""
    c = OUTBOX.c
    return int(session.execute(select(func.count()).select_from(OUTBOX).where(or_(
        c.state == State.FAILED.value, c.provider_status.in_(sorted(UNDELIVERED))))
    ).scalar_one())


@router.get("/week", response_class=HTMLResponse)
def week_page(request: Request, session: SessionDep, state: StateDep,
              start: str | None = None, centre: str | None = None,
              doctor: str | None = None, plan: str | None = None) -> Response:
    user = user_from_request(request, state, session)
    if user is None:
        return _login_redirect(request)
    if user.role == Role.DOCTOR:
        return RedirectResponse("/agenda", status_code=303)
    return _week_view(request, session, user, _monday(start), centre or None, doctor or None,
                      plan or None)


@router.get("/agenda", response_class=HTMLResponse)
def agenda_page(request: Request, session: SessionDep, state: StateDep,
                start: str | None = None) -> Response:
    user = user_from_request(request, state, session)
    if user is None:
        return _login_redirect(request)
    if user.role != Role.DOCTOR:
        return RedirectResponse("/week", status_code=303)
    me = session.get(Doctor, user.doctor_id) if user.doctor_id else None
    return _week_view(request, session, user, _monday(start), None,
                      me.code if me else "-", None)


@router.get("/messages", response_class=HTMLResponse)
def messages_page(request: Request, session: SessionDep, state: StateDep) -> Response:
    user = user_from_request(request, state, session)
    if user is None:
        return _login_redirect(request)
    if user.role == Role.DOCTOR:
        return RedirectResponse("/agenda", status_code=303)
    data = problems(session, SqlOutboxStore(state.db.engine))
    return templates.TemplateResponse(request, "messages.html", {"user": user, "data": data})


def _former_link(session: SessionDep, state: StateDep, appointment: int, token: str
                 ) -> Appointment:
    """The appointment of a former per-appointment link while it holds: its signature is
    right and its convocation's links were never withdrawn (generation 0)."""
    if not state.notices.check_link(appointment, token):
        raise NotFound("no such appointment")
    row = session.get(Appointment, appointment)
    conv = session.get(Convocation, row.convocation_id) if row is not None else None
    if row is None or conv is None or conv.link_generation != 0:
        raise NotFound("no such appointment")
    return row


def _notice(session: SessionDep, state: StateDep, appointment: int, token: str) -> Notice:
    _former_link(session, state, appointment, token)
    found = notice_appointments(session, state.notices, col(Appointment.id) == appointment)
    if not found:
        raise NotFound("no such appointment")
    return found[0]


@router.get("/a/{appointment}/{token}.ics")
def appointment_invite(session: SessionDep, state: StateDep, appointment: int,
                       token: str) -> Response:
    """The appointment's invite, as the e-mails attach it (declared before the page: its
    path would match the page's too)."""
    notice = _notice(session, state, appointment, token)
    return Response(ics.invite(notice, organizer=state.notices.organizer),
                    media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "no-store",
                             "Content-Disposition": 'attachment; filename="medex.ics"'})


@router.get("/a/{appointment}/{token}")
def appointment_page(session: SessionDep, state: StateDep, appointment: int,
                     token: str) -> Response:
    """The former per-appointment link of messages already sent: while its signature holds,
    it leads to the convocation's personal page (``/v/<token>``, a fresh link)."""
    row = _former_link(session, state, appointment, token)
    return RedirectResponse(PATH + state.notices.links.token(row.convocation_id, generation=0),
                            status_code=303, headers={"Cache-Control": "no-store"})
