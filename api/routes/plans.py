"""Planning as a job: POST a week, GET its progress and result, DELETE to stop it early
(the best schedule so far is kept), analyze the cost per rule, publish it."""

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from api import planning
from api.deps import Planner, SessionDep, Staff, StateDep
from api.errors import Conflict, Invalid, responses
from api.schemas import (
    Analysis,
    Change,
    Int64,
    Page,
    PlanCreate,
    PlanProgress,
    PlanPublic,
    Problem,
    PublishResult,
    RuleCost,
    UnscheduledOut,
)
from api.services import audit
from api.tables import JobStatus, PlanJob
from scheduler.validate import check_schedule
from scheduler.week_format import schedule_from_dict, week_from_dict

router = APIRouter(prefix="/api/plans", tags=["planning"], responses=responses(401, 403))
FINISHED = (JobStatus.DONE, JobStatus.STOPPED, JobStatus.FAILED, JobStatus.PUBLISHED)


def plan_public(job: PlanJob) -> PlanPublic:
    sched = job.schedule or {}
    return PlanPublic(
        id=job.id, week_start=job.week_start, status=job.status,
        keep_published=job.keep_published, time_limit_s=job.time_limit_s,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        progress=PlanProgress(best_cost=job.best_cost, bound=job.bound,
                              elapsed_s=job.elapsed_s),
        error=job.error,
        scheduled=len(sched["assignments"]) if sched else None,
        unscheduled=len(sched["unscheduled"]) if sched else None,
        changes=[Change(**c) for c in job.changes])


@router.post("", response_model=PlanPublic, status_code=202, responses=responses(409, 422),
             summary="Plan a week as a job; returns at once with the job's id")
def create_plan(session: SessionDep, state: StateDep, user: Planner, body: PlanCreate) -> Any:
    if body.week_start.weekday() != 0:
        raise Invalid(f"week_start: {body.week_start} is a {body.week_start:%A}, not a Monday",
                      problems=[Problem(field="week_start", reason="not a Monday")])
    busy = session.exec(select(PlanJob).where(
        PlanJob.week_start == body.week_start,
        col(PlanJob.status).in_([JobStatus.QUEUED, JobStatus.RUNNING]))).first()
    if busy is not None:
        raise Conflict(f"plan {busy.id} of the week of {body.week_start} is still {busy.status}"
                       "; stop it first")
    job = PlanJob(id=str(uuid.uuid4()), week_start=body.week_start,
                  keep_published=body.keep_published,
                  time_limit_s=body.time_limit_s or state.settings.plan_time_limit_s,
                  created_by_id=user.id)
    session.add(job)
    audit(session, user.id, "create", "plan_job", job.id,
          after={"week_start": job.week_start.isoformat(), "time_limit_s": job.time_limit_s,
                 "keep_published": job.keep_published})
    session.commit()  # the worker must see the row
    state.runner.submit(job.id)
    return plan_public(job)


@router.get("", response_model=Page[PlanPublic], summary="Planning jobs, newest first")
def list_plans(session: SessionDep, _user: Staff, week_start: date | None = None,
               offset: Annotated[Int64, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Any:
    stmt = select(PlanJob)
    if week_start is not None:
        stmt = stmt.where(PlanJob.week_start == week_start)
    from api.services import page
    items, total = page(session, stmt.order_by(col(PlanJob.created_at).desc()), offset, limit)
    return Page[PlanPublic](items=[plan_public(j) for j in items], total=total, offset=offset,
                            limit=limit)


@router.get("/{plan_id}", response_model=PlanPublic, responses=responses(404),
            summary="A job's status and progress (best cost, bound, elapsed)")
def get_plan(session: SessionDep, _user: Staff, plan_id: str) -> Any:
    return plan_public(planning.require_job(session, plan_id))


@router.get("/{plan_id}/schedule", responses=responses(404, 409),
            summary="The best schedule so far (medex-schedule/1)")
def get_schedule(session: SessionDep, _user: Staff, plan_id: str) -> Any:
    job = planning.require_job(session, plan_id)
    if job.schedule is None:
        raise Conflict(f"plan {plan_id} has no schedule yet ({job.status})")
    return job.schedule


@router.delete("/{plan_id}", response_model=PlanPublic, responses=responses(404),
               summary="Stop the job early; the best schedule so far is kept")
def stop_plan(session: SessionDep, user: Planner, plan_id: str) -> Any:
    job = planning.require_job(session, plan_id)
    if job.status not in FINISHED:
        audit(session, user.id, "stop", "plan_job", job.id)
        job.stop_requested = True
        if job.status == JobStatus.RUNNING:
            job.status = JobStatus.STOPPING
        session.add(job)
    return plan_public(job)


EXPLAIN = {
    "unscheduled": "each convocation left unscheduled costs {w}",
    "travel": "{w} per minute the victims travel to their centre (home visits: 0)",
    "waiting": "per working day from the release to the exam: high {h}, normal {n}, low {lo}",
    "preference": "{w} per exam outside all of the victim's preferred windows",
}


@router.get("/{plan_id}/analysis", response_model=Analysis, responses=responses(404, 409),
            summary="The cost per rule, the broken rules (none expected) and the reason for "
                    "each unscheduled convocation")
def analyze(session: SessionDep, _user: Staff, plan_id: str) -> Any:
    job = planning.require_job(session, plan_id)
    if job.schedule is None or job.week is None:
        raise Conflict(f"plan {plan_id} has no schedule yet ({job.status})")
    week = week_from_dict(job.week)
    sched = schedule_from_dict(job.schedule)
    report = check_schedule(week, sched)
    w = week.weights
    c = report.cost
    waits = {p.value: v for p, v in w.wait_day.items()}
    pref = sum(1 for conv in week.convocations if conv.preferred)
    rules = [
        RuleCost(rule="unscheduled", cost=c.unscheduled, count=len(sched.unscheduled),
                 explanation=EXPLAIN["unscheduled"].format(w=w.unscheduled)),
        RuleCost(rule="travel", cost=c.travel, count=len(sched.assignments),
                 explanation=EXPLAIN["travel"].format(w=w.travel_minute)),
        RuleCost(rule="waiting", cost=c.waiting, count=len(sched.assignments),
                 explanation=EXPLAIN["waiting"].format(h=waits.get("high"),
                                                       n=waits.get("normal"),
                                                       lo=waits.get("low"))),
        RuleCost(rule="preference", cost=c.preference, count=pref,
                 explanation=EXPLAIN["preference"].format(w=w.preference_miss)),
    ]
    return Analysis(plan_id=plan_id, total_cost=c.total, lower_bound=sched.lower_bound,
                    rules=rules,
                    violations=[{"rule": v.rule, "convocation": v.convocation,
                                 "message": v.message} for v in report.violations],
                    unscheduled=[UnscheduledOut(convocation=u.convocation, reason=u.reason)
                                 for u in sched.unscheduled])


@router.post("/{plan_id}/publish", response_model=PublishResult,
             responses=responses(404, 409),
             summary="Confirm the plan's appointments (re-checked against every hard rule); "
                     "reports what moved and why")
def publish_plan(session: SessionDep, state: StateDep, user: Planner, plan_id: str) -> Any:
    job = planning.require_job(session, plan_id)
    created, moved, unchanged, changes = planning.publish(session, job, user,
                                                          notices=state.notices)
    return PublishResult(plan_id=plan_id, created=created, moved=moved, unchanged=unchanged,
                         changes=changes)
