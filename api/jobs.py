"""Where planning jobs run: never inside the request.

* :class:`InProcessRunner` (the SQLite default): a background thread per job slot in the
  server process; the solver itself runs in a child process
  (:func:`api.planning.run_plan_job`).
* :class:`QueueRunner` (PostgreSQL): the job is deferred to a procrastinate queue in the
  database; ``medex worker`` processes on any number of machines take jobs from it.  The
  same queue holds the daily reminder task (:func:`reminder_cron`): the workers defer it
  at the configured hour, one of them runs it.

Both share the job's row as the one source of truth for progress, stop requests and the
result, so ``GET`` and ``DELETE`` work the same whichever runs the job.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.engine import make_url
from sqlmodel import col, select

from api.cli_remind import run_remind, summary
from api.config import Settings
from api.db import Database
from api.notices import remind_context
from api.planning import run_plan_job
from api.tables import JobStatus, PlanJob, utcnow
from notify.reminders import ReminderPolicy
from scheduler.domain import BRUSSELS

log = logging.getLogger(__name__)
QUEUE = "planning"
TASK = "medex.plan_week"
REMINDERS_QUEUE = "reminders"
REMIND_TASK = "medex.remind_today"


def reminder_cron(policy: ReminderPolicy) -> str:
    """The daily reminder task's schedule for procrastinate, whose cron runs in UTC.

    ``policy.cron()`` is Brussels time; Brussels is UTC+1 in winter and UTC+2 in summer,
    so the task is deferred at both UTC hours and the run whose Brussels hour is not the
    policy's does nothing (:func:`reminders_due_at`)."""
    hour, minute = policy.send_at.hour, policy.send_at.minute
    hours = sorted({(hour - 1) % 24, (hour - 2) % 24})
    return f"{minute} {','.join(str(h) for h in hours)} * * *"


def reminders_due_at(timestamp: int, policy: ReminderPolicy) -> bool:
    """Whether the tick at ``timestamp`` (seconds, UTC) is the policy's hour in Brussels."""
    return datetime.fromtimestamp(timestamp, UTC).astimezone(BRUSSELS).hour == \
        policy.send_at.hour


def remind_at(settings: Settings, timestamp: int) -> None:
    """The daily task: the reminders of the day of ``timestamp`` in Brussels (idempotent)."""
    policy = settings.reminder_policy
    if not reminders_due_at(timestamp, policy):
        return
    day = datetime.fromtimestamp(timestamp, UTC).astimezone(BRUSSELS).date()
    db = Database(settings.database_url)
    try:
        report = run_remind(day, remind_context(db, settings))
    finally:
        db.dispose()
    log.info("; ".join(summary(report)))


class JobRunner(Protocol):
    def submit(self, job_id: str) -> None: ...

    def shutdown(self) -> None: ...


class InProcessRunner:
    def __init__(self, db: Database, settings: Settings, slots: int = 1):
        self.db = db
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="medex-plan")
        self._recover()

    def _recover(self) -> None:
        """Jobs cut off by a restart are failed; queued ones are started again."""
        with self.db.session() as s:
            rows = s.exec(select(PlanJob).where(col(PlanJob.status).in_(
                [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.STOPPING]))).all()
            queued = []
            for job in rows:
                if job.status == JobStatus.QUEUED:
                    queued.append(job.id)
                    continue
                job.status = JobStatus.STOPPED if job.schedule else JobStatus.FAILED
                job.error = "interrupted by a restart of the service"
                job.finished_at = utcnow()
                s.add(job)
        for job_id in queued:
            self.submit(job_id)

    def submit(self, job_id: str) -> None:
        self._pool.submit(run_plan_job, self.db, job_id, workers=self.settings.plan_workers,
                          change_penalty=self.settings.change_penalty)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def queue_app(settings: Settings) -> Any:
    """The procrastinate app of the planning queue and the daily reminder task, for the
    service and ``medex worker``."""
    import procrastinate

    url = make_url(settings.database_url).set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name=TASK, queue=QUEUE)
    def plan_week_job(job_id: str) -> None:
        db = Database(settings.database_url)
        try:
            run_plan_job(db, job_id, workers=settings.plan_workers,
                         change_penalty=settings.change_penalty)
        finally:
            db.dispose()

    @app.periodic(cron=reminder_cron(settings.reminder_policy), periodic_id="daily")
    @app.task(name=REMIND_TASK, queue=REMINDERS_QUEUE)
    def remind_job(timestamp: int) -> None:
        remind_at(settings, timestamp)

    return app


class QueueRunner:
    def __init__(self, settings: Settings):
        self.app = queue_app(settings)

    def submit(self, job_id: str) -> None:
        with self.app.open():  # a short-lived pool: submits are rare
            self.app.tasks[TASK].defer(job_id=job_id)

    def shutdown(self) -> None:
        pass


def make_runner(db: Database, settings: Settings) -> JobRunner:
    if settings.runner == "procrastinate":
        return QueueRunner(settings)
    return InProcessRunner(db, settings)
