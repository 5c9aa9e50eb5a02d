"""Planning on the database: the week as the solver sees it, jobs, publishing, moves.

* :func:`build_week` turns the tables into a domain :class:`~scheduler.domain.Week`:
  sessions minus absences, pending convocations released by the end of the week, and
  the published appointments of the week, pinned (``fixed``) unless told otherwise.  A
  published appointment that can no longer stand (its doctor is absent, its session is
  gone) is not pinned, and the reason is kept to explain the move.
* :func:`run_plan_job` solves a job's week outside the request: a plan by hand first (a
  schedule exists within a second), then the optimiser in a child process, each better
  schedule it finds saved with its progress; a stop request ends the child and keeps the
  best schedule saved.
* :func:`publish` turns a finished plan into confirmed appointments, re-checked against
  every hard rule under row locks; :func:`move_appointment` moves one by hand.  Both write
  the victims' notices to the outbox in the same transaction (:mod:`api.notices`).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from api.db import Database, lock_rows
from api.errors import BookingRefused, Conflict, NotFound
from api.notices import Notices
from api.schemas import Change, MoveRequest
from api.services import audit, get_or_404, snapshot
from api.tables import (
    Absence,
    Appointment,
    AppointmentStatus,
    Centre,
    Convocation,
    ConvocationStatus,
    Doctor,
    DoctorSession,
    JobStatus,
    PlanJob,
    User,
    Victim,
    utcnow,
)
from notify.model import Kind
from scheduler import domain as d
from scheduler.calendar import DEFAULT_CALENDAR
from scheduler.moves import check_move
from scheduler.validate import check_schedule
from scheduler.week_format import (
    schedule_from_dict,
    schedule_to_dict,
    week_from_dict,
    week_to_dict,
)

log = logging.getLogger(__name__)
DAYS = 5
UNREACHABLE = -1
"""Stored in a victim's travel cache for a centre that cannot be reached."""


# ------------------------------------------------------------------ tables -> domain


def parse_opening(text: str) -> tuple[tuple[time, time], ...]:
    out = []
    for part in text.split(";"):
        a, b = part.split("-")
        out.append((time.fromisoformat(a), time.fromisoformat(b)))
    return tuple(out)


def domain_centre(c: Centre) -> d.Centre:
    return d.Centre(c.id, c.name, c.lat, c.lon, c.rooms, parse_opening(c.opening))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def absent_days(session: Session, start: date, end: date) -> dict[int, set[date]]:
    out: dict[int, set[date]] = {}
    rows = session.exec(select(Absence).where(Absence.first_day <= end,
                                              Absence.last_day >= start)).all()
    for a in rows:
        day = max(a.first_day, start)
        while day <= min(a.last_day, end):
            out.setdefault(a.doctor_id, set()).add(day)
            day += timedelta(days=1)
    return out


def travel_minutes(session: Session, victims: Iterable[Victim], centres: list[Centre]
                   ) -> dict[int, dict[str, int]]:
    """Door-to-door minutes per victim and centre, from the cache or the travel model
    (what the model gives is kept in the cache, except in a read-only session)."""
    from geo.travel import TravelModel

    ids = {c.id for c in centres}
    out: dict[int, dict[str, int]] = {}
    missing: list[Victim] = []
    for v in victims:
        if v.travel_min is not None and set(v.travel_min) == ids:
            out[v.id or 0] = {k: m for k, m in v.travel_min.items() if m != UNREACHABLE}
        else:
            missing.append(v)
    if missing:
        sites = [(c.id, c.lat, c.lon) for c in centres]
        table = TravelModel.default().matrix([v.lat for v in missing],
                                             [v.lon for v in missing], sites)
        for v, row in zip(missing, table, strict=True):
            cache = {cid: (max(1, round(float(m))) if m == m and m != float("inf")
                           else UNREACHABLE) for (cid, _, _), m in zip(sites, row, strict=True)}
            if not session.info.get("read_only"):  # kept for the next time
                v.travel_min = cache
                session.add(v)
            out[v.id or 0] = {k: m for k, m in cache.items() if m != UNREACHABLE}
    return out


@dataclass
class BuiltWeek:
    week: d.Week
    previous: dict[str, d.Assignment] = field(default_factory=dict)
    """The published assignment of each convocation of the week (by reference)."""
    unpinned: dict[str, str] = field(default_factory=dict)
    """Published appointments that cannot stay where they are, with the reason."""
    convocations: dict[str, int] = field(default_factory=dict)
    """Reference -> convocation id."""
    doctors: dict[str, int] = field(default_factory=dict)
    """Doctor code -> doctor id."""


def _assignment(a: Appointment, ref: str, code: str) -> d.Assignment:
    return d.Assignment(ref, code, a.centre_id or d.HOME, a.start, a.end, a.travel_min)


def _holds(doctor: d.Doctor, a: d.Assignment) -> bool:
    return any(s.centre == a.centre and s.start_at <= a.start and a.end <= s.end_at
               for s in doctor.sessions)


def build_week(session: Session, week_start: date, *, keep_published: bool = True,
               include: set[int] | None = None) -> BuiltWeek:
    """The week from ``week_start`` (a Monday) as the solver and the checker see it.

    ``include``: also these convocations (by id) whatever their status (a manual move)."""
    end = week_start + timedelta(days=DAYS - 1)
    centres = list(session.exec(select(Centre).order_by(Centre.id)).all())
    absent = absent_days(session, week_start, end)
    doctors_rows = list(session.exec(select(Doctor).where(Doctor.active).order_by(Doctor.code)))
    sessions = session.exec(select(DoctorSession).where(
        DoctorSession.day >= week_start, DoctorSession.day <= end).order_by(
        col(DoctorSession.day), col(DoctorSession.start))).all()
    by_doctor: dict[int, list[d.Session]] = {}
    for s in sessions:
        if s.day in absent.get(s.doctor_id, set()):
            continue
        by_doctor.setdefault(s.doctor_id, []).append(
            d.Session(s.centre_id or d.HOME, s.day, s.start, s.end,
                      base=s.base_centre_id if s.centre_id is None else None))
    doctors = tuple(d.Doctor(doc.code, frozenset(doc.languages),
                             frozenset(doc.specialties) | {d.GENERAL}, doc.max_exams_per_day,
                             tuple(by_doctor.get(doc.id or 0, ())))
                    for doc in doctors_rows)
    doctor_by_code = {doc.id: doc for doc in doctors}
    code_of = {doc.id: doc.code for doc in doctors_rows}
    week_from = datetime.combine(week_start, time())
    week_to = datetime.combine(end + timedelta(days=1), time())
    appointments = session.exec(select(Appointment).where(
        Appointment.status == AppointmentStatus.CONFIRMED, Appointment.start >= week_from,
        Appointment.start < week_to)).all()
    appointment_of = {a.convocation_id: a for a in appointments}
    wanted = (col(Convocation.id).in_(list(appointment_of) + list(include or ()))
              | ((Convocation.status == ConvocationStatus.PENDING)
                 & (Convocation.release_date <= end)))
    convs = list(session.exec(select(Convocation).where(wanted).order_by(col(Convocation.id))))
    victims = {v.id: v for v in session.exec(select(Victim).where(
        col(Victim.id).in_({c.victim_id for c in convs})))}
    travel = travel_minutes(session, victims.values(), centres)
    built = BuiltWeek(week=None)  # type: ignore[arg-type]
    out = []
    for c in convs:
        v = victims[c.victim_id]
        deadline = c.deadline if c.deadline >= max(c.release_date, week_start) else end
        release = min(c.release_date, deadline)
        fixed = None
        appt = appointment_of.get(c.id or 0)
        if appt is not None:
            prev = _assignment(appt, c.reference, code_of.get(appt.doctor_id, "?"))
            built.previous[c.reference] = prev
            doctor = doctor_by_code.get(prev.doctor)
            if doctor is None or prev.start.date() in absent.get(appt.doctor_id, set()):
                built.unpinned[c.reference] = (f"doctor {prev.doctor} is absent on "
                                               f"{prev.start:%a %d %b}")
            elif not _holds(doctor, prev):
                built.unpinned[c.reference] = (f"no session of {prev.doctor} holds "
                                               f"{prev.start:%a %d %b %H:%M} any more")
            elif keep_published:
                fixed = d.Fixed(prev.doctor, prev.centre, prev.start)
        out.append(d.Convocation(
            id=c.reference, patient=d.Patient(v.lat, v.lon, v.language), injury=c.injury,
            priority=d.Priority(c.priority), duration_min=c.duration_min,
            specialty=c.specialty, home_visit=c.home_visit, release=release,
            deadline=deadline,
            unavailable=frozenset(date.fromisoformat(x) for x in c.unavailable),
            preferred=tuple(d.TimeWindow(date.fromisoformat(w["date"]),
                                         time.fromisoformat(w["start"]),
                                         time.fromisoformat(w["end"])) for w in c.preferred),
            max_travel_min=c.max_travel_min, travel_min=travel.get(v.id or 0, {}), fixed=fixed))
        built.convocations[c.reference] = c.id or 0
    built.week = d.Week(week_start, DAYS, DEFAULT_CALENDAR.closed_dates(week_start, end),
                        d.Weights(), tuple(domain_centre(c) for c in centres), doctors,
                        tuple(out))
    built.doctors = {doc.code: doc.id or 0 for doc in doctors_rows}
    return built


# ------------------------------------------------------------------ what moved and why


def _where(a: d.Assignment | None) -> str:
    if a is None:
        return "unscheduled"
    place = "at home" if a.centre == d.HOME else f"at {a.centre}"
    return f"{a.doctor} {place} {a.start:%a %d %b %H:%M}"


def changes(built: BuiltWeek, schedule: d.Schedule,
            why: dict[str, str] | None = None) -> list[Change]:
    """Published appointments that the plan moves or drops, each with its reason (the
    planner's own, ``why``, when it gave one)."""
    new = {a.convocation: a for a in schedule.assignments}
    reasons = {u.convocation: u.reason for u in schedule.unscheduled}
    out = []
    for ref, prev in built.previous.items():
        now = new.get(ref)
        if now is not None and (now.doctor, now.centre, now.start) == (
                prev.doctor, prev.centre, prev.start):
            continue
        if ref in built.unpinned:
            reason = built.unpinned[ref]
        elif why and ref in why:
            reason = why[ref]
        elif now is None:
            reason = reasons.get(ref, "no longer fits")
        else:
            reason = "re-planned without pins: the new plan costs less overall"
        out.append(Change(convocation=ref, before=_where(prev), after=_where(now),
                          reason=reason))
    return out


# ------------------------------------------------------------------ jobs


def _solve_rounds(week_doc: dict[str, Any], time_limit: float, workers: int,
                  previous: dict[str, Any] | None, penalty: int, out: Any) -> None:
    """Child process: plan the week, sending progress and every better schedule at once,
    so that a stop (the parent ends this process) keeps the best one found so far."""
    from scheduler.plan import plan_week

    week = week_from_dict(week_doc)
    kwargs: dict[str, Any] = {}
    if previous:
        kwargs = {"previous": {k: d.Assignment(
            v["convocation"], v["doctor"], v["centre"], datetime.fromisoformat(v["start"]),
            datetime.fromisoformat(v["end"]), v["travel_min"]) for k, v in previous.items()},
            "change_penalty": penalty}
    started = clock.monotonic()

    def report(p: Any) -> None:
        out.put(("progress", p.cost, p.bound, p.elapsed))

    def found(schedule: d.Schedule) -> None:
        out.put(("schedule", schedule_to_dict(schedule), clock.monotonic() - started, {}))

    result = plan_week(week, time_limit=time_limit, workers=workers, on_progress=report,
                       on_schedule=found, **kwargs)
    why = {m.convocation: m.reason for m in result.moves}
    out.put(("schedule", schedule_to_dict(result.schedule), clock.monotonic() - started, why))
    out.put(("end",))


def _save(db: Database, job_id: str, **values: Any) -> PlanJob:
    with db.session() as s:
        job = get_or_404(s, PlanJob, job_id)
        for k, v in values.items():
            setattr(job, k, v)
        s.add(job)
    return job


def _stop_requested(db: Database, job_id: str) -> bool:
    with db.session() as s:
        job = s.get(PlanJob, job_id)
        return job is None or job.stop_requested


def run_plan_job(db: Database, job_id: str, *, workers: int = 1, change_penalty: int = 500,
                 poll_s: float = 0.25) -> None:
    """Solve the job's week; progress and each better schedule go to the job's row."""
    from scheduler.heuristic import plan_by_hand
    from scheduler.travel import resolve_travel

    try:
        with db.session() as s:
            job = get_or_404(s, PlanJob, job_id)
            if job.status != JobStatus.QUEUED:
                return
            if job.stop_requested:
                job.status = JobStatus.STOPPED
                job.finished_at = utcnow()
                s.add(job)
                return
            built = build_week(s, job.week_start, keep_published=job.keep_published)
            job.status, job.started_at = JobStatus.RUNNING, utcnow()
            time_limit, keep = job.time_limit_s, job.keep_published
            s.add(job)
        week_doc = week_to_dict(built.week)
        started = clock.monotonic()
        hand = plan_by_hand(built.week, resolve_travel(built.week))
        best = hand
        _save(db, job_id, week=week_doc, schedule=schedule_to_dict(hand), best_cost=hand.cost,
              elapsed_s=clock.monotonic() - started,
              changes=[c.model_dump() for c in changes(built, hand)])
        previous = None if keep else {
            k: {"convocation": a.convocation, "doctor": a.doctor, "centre": a.centre,
                "start": a.start.isoformat(), "end": a.end.isoformat(),
                "travel_min": a.travel_min} for k, a in built.previous.items()}
        context = mp.get_context("spawn")
        channel = context.Queue()
        child = context.Process(target=_solve_rounds, daemon=True, args=(
            week_doc, max(1.0, time_limit - (clock.monotonic() - started)), workers,
            previous, change_penalty, channel))
        child.start()
        stopped = False
        bound: int | None = None
        last_poll = 0.0
        while True:
            try:
                msg = channel.get(timeout=poll_s)
            except queue.Empty:
                msg = None
            now = clock.monotonic()
            if msg is None and not child.is_alive():
                break
            if msg is not None and msg[0] == "end":
                break
            if msg is not None and msg[0] == "progress":
                _, cost, got_bound, _elapsed = msg
                bound = got_bound if got_bound is not None else bound
                _save(db, job_id, best_cost=min(cost, best.cost), bound=bound,
                      elapsed_s=now - started)
            elif msg is not None and msg[0] == "schedule":
                found = schedule_from_dict(msg[1])
                if found.lower_bound is not None:
                    bound = max(bound or 0, found.lower_bound)
                if found.cost <= best.cost:
                    best = found
                    _save(db, job_id, schedule=schedule_to_dict(best), best_cost=best.cost,
                          bound=bound, elapsed_s=now - started,
                          changes=[c.model_dump() for c in changes(built, best, msg[3])])
            if now - last_poll >= 1.0 or msg is None:
                last_poll = now
                if _stop_requested(db, job_id):
                    stopped = True
                    child.terminate()
                    break
        child.join(timeout=5)
        if child.is_alive():  # pragma: no cover - a stuck child
            child.kill()
        _save(db, job_id, status=JobStatus.STOPPED if stopped else JobStatus.DONE,
              finished_at=utcnow(), elapsed_s=clock.monotonic() - started, bound=bound)
    except Exception as exc:
        log.exception("planning job %s failed", job_id)
        _save(db, job_id, status=JobStatus.FAILED, finished_at=utcnow(), error=str(exc)[:2000])


# ------------------------------------------------------------------ publish and move


def published_schedule(built: BuiltWeek) -> d.Schedule:
    """The week's published appointments as a schedule (the rest unscheduled)."""
    assigned = tuple(built.previous.values())
    have = set(built.previous)
    left = tuple(d.Unscheduled(c.id, "not planned") for c in built.week.convocations
                 if c.id not in have)
    return d.Schedule(d.Status.FEASIBLE, 0, None, 0.0, assigned, left)


def publish(session: Session, job: PlanJob, user: User | None, *, notices: Notices
            ) -> tuple[int, int, int, list[Change]]:
    """Confirm the plan's appointments.  Returns (created, moved, unchanged, changes).

    Each new appointment's victim gets the convocation notice, each moved one's the change
    notice: written to the outbox in this transaction."""
    if job.status not in (JobStatus.DONE, JobStatus.STOPPED):
        raise Conflict(f"plan {job.id} is {job.status}; only a finished or stopped plan "
                       "can be published")
    if job.schedule is None:
        raise Conflict(f"plan {job.id} has no schedule")
    plan = schedule_from_dict(job.schedule)
    lock_rows(session, Doctor, list(session.exec(select(Doctor.id)).all()))
    lock_rows(session, Centre, list(session.exec(select(Centre.id)).all()))
    fresh = session.get(PlanJob, job.id, populate_existing=True)
    if fresh is None or fresh.status == JobStatus.PUBLISHED:
        raise Conflict(f"plan {job.id} is published already")
    built = build_week(session, job.week_start, keep_published=job.keep_published)
    known = {c.id for c in built.week.convocations}
    assignments = tuple(a for a in plan.assignments if a.convocation in known)
    stale = sorted({a.convocation for a in plan.assignments} - known)
    kept = tuple(a for ref, a in built.previous.items()
                 if ref not in {x.convocation for x in assignments})
    candidate = d.Schedule(d.Status.FEASIBLE, 0, None, 0.0, assignments + kept, tuple(
        d.Unscheduled(c.id, "not planned") for c in built.week.convocations
        if c.id not in {a.convocation for a in assignments + kept}))
    report = check_schedule(built.week, candidate)
    if report.violations:
        v = report.violations[0]
        raise BookingRefused(
            f"the plan no longer fits the agenda (changed since it was made): rule {v.rule}: "
            f"{v.message} ({len(report.violations)} problem(s)); plan the week again",
            rule=v.rule)
    moved_list = changes(built, candidate)
    created = moved = unchanged = 0
    now = utcnow()
    user_id = user.id if user else None
    existing = {a.convocation_id: a for a in session.exec(select(Appointment).where(
        Appointment.status == AppointmentStatus.CONFIRMED,
        col(Appointment.convocation_id).in_(list(built.convocations.values()))))}
    why = {c.convocation: c.reason for c in moved_list}
    # free the slots of moved appointments first (the unique doctor/start index)
    updates: list[tuple[Appointment, d.Assignment]] = []
    for a in assignments:
        cid = built.convocations[a.convocation]
        appt = existing.get(cid)
        if appt is None:
            continue
        if (built.doctors[a.doctor], appt.centre_id or d.HOME, appt.start) == (
                appt.doctor_id, a.centre, a.start):
            unchanged += 1
            continue
        before = snapshot(appt)
        appt.status = AppointmentStatus.CANCELLED
        session.add(appt)
        session.flush()
        appt.status = AppointmentStatus.CONFIRMED
        updates.append((appt, a))
        audit(session, user_id, "move", "appointment", appt.id, before=before,
              note=why.get(a.convocation, "re-planned"))
    for appt, a in updates:
        appt.doctor_id = built.doctors[a.doctor]
        appt.centre_id = None if a.centre == d.HOME else a.centre
        appt.start, appt.end, appt.travel_min = a.start, a.end, a.travel_min
        appt.revision += 1
        appt.changed_by_id, appt.change_reason = user_id, why.get(a.convocation, "re-planned")
        appt.plan_job_id, appt.updated_at = job.id, now
        session.add(appt)
        moved += 1
    session.flush()
    for appt, _ in updates:
        audit(session, user_id, "update", "appointment", appt.id, after=snapshot(appt))
    new: list[Appointment] = []
    for a in assignments:
        cid = built.convocations[a.convocation]
        if cid in existing:
            continue
        appt = Appointment(convocation_id=cid, doctor_id=built.doctors[a.doctor],
                           centre_id=None if a.centre == d.HOME else a.centre, start=a.start,
                           end=a.end, travel_min=a.travel_min, changed_by_id=user_id,
                           change_reason="published plan", plan_job_id=job.id)
        session.add(appt)
        new.append(appt)
        conv = session.get(Convocation, cid)
        assert conv is not None
        conv.status = ConvocationStatus.SCHEDULED
        session.add(conv)
        created += 1
    session.flush()
    notices.enqueue(session, new, Kind.CONVOCATION)
    notices.enqueue(session, [appt for appt, _ in updates], Kind.CHANGE)
    fresh.status = JobStatus.PUBLISHED
    session.add(fresh)
    audit(session, user_id, "publish", "plan_job", job.id,
          after={"created": created, "moved": moved, "unchanged": unchanged,
                 "stale": stale},
          note=f"week of {job.week_start}")
    return created, moved, unchanged, moved_list


def move_appointment(session: Session, appt_id: int, req: MoveRequest, user: User | None,
                     *, notices: Notices) -> Appointment:
    """Move one appointment by hand, checked against every hard rule, under row locks; the
    victim gets the change notice (written to the outbox in this transaction)."""
    appt = get_or_404(session, Appointment, appt_id)
    if appt.status != AppointmentStatus.CONFIRMED:
        raise Conflict(f"appointment {appt_id} is {appt.status}")
    doctor_id = req.doctor_id if req.doctor_id is not None else appt.doctor_id
    doctor = get_or_404(session, Doctor, doctor_id)
    centre = appt.centre_id if req.centre_id is None else (
        None if req.centre_id == d.HOME else req.centre_id)
    if centre is not None:
        get_or_404(session, Centre, centre)
    lock_rows(session, Doctor, sorted({doctor_id, appt.doctor_id}))
    if centre is not None:
        lock_rows(session, Centre, [centre])
    session.refresh(appt)
    if appt.status != AppointmentStatus.CONFIRMED:
        raise Conflict(f"appointment {appt_id} was cancelled meanwhile")
    conv = get_or_404(session, Convocation, appt.convocation_id)
    start = req.start.replace(tzinfo=None, second=0, microsecond=0) if req.start.tzinfo is None \
        else req.start.astimezone(d.BRUSSELS).replace(tzinfo=None)
    if req.start.second or req.start.microsecond:
        raise BookingRefused(f"refused by rule grid: {req.start:%H:%M:%S} is not on the "
                             "5-minute grid", rule="grid")
    absent = absent_days(session, start.date(), start.date()).get(doctor_id, set())
    if start.date() in absent:
        raise BookingRefused(f"refused by rule doctor-absent: {doctor.code} is absent on "
                             f"{start:%a %d %b %Y}", rule="doctor-absent")
    target = monday_of(start.date())
    built = build_week(session, target, keep_published=False, include={conv.id or 0})
    current = published_schedule(built)
    if conv.reference not in built.previous:  # moved in from another week
        current = d.Schedule(current.status, 0, None, 0.0, current.assignments,
                             current.unscheduled)
    wconv = next(c for c in built.week.convocations if c.id == conv.reference)
    travel = 0 if centre is None else (wconv.travel_min or {}).get(centre, 0)
    moved = d.Assignment(conv.reference, doctor.code, centre or d.HOME, start,
                         start + timedelta(minutes=conv.duration_min), travel)
    verdict = check_move(built.week, current, moved)
    if not verdict.ok:
        raise BookingRefused(verdict.refusal(), rule=verdict.rule)
    before = snapshot(appt)
    appt.doctor_id, appt.centre_id = doctor_id, centre
    appt.start, appt.end, appt.travel_min = moved.start, moved.end, moved.travel_min
    appt.revision += 1
    appt.changed_by_id = user.id if user else None
    appt.change_reason = req.reason
    appt.updated_at = utcnow()
    session.add(appt)
    session.flush()
    audit(session, appt.changed_by_id, "move", "appointment", appt.id, before=before,
          after=snapshot(appt), note=req.reason)
    notices.enqueue(session, [appt], Kind.CHANGE)
    return appt


def require_job(session: Session, job_id: str) -> PlanJob:
    job = session.get(PlanJob, job_id)
    if job is None:
        raise NotFound(f"no plan {job_id}")
    return job
