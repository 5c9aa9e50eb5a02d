"""The service's commands: ``medex serve``, ``medex db upgrade``, ``medex import``,
``medex worker``, ``medex remind``, ``medex create-user``.  Settings come from ``MEDEX_*``
variables."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_remind import REMIND_HELP, RemindContext, make_remind_command
from api.config import Settings
from api.tables import Role

if TYPE_CHECKING:
    from sqlmodel import Session

    from api.db import Database
    from api.outbox import DailyTimer, Drainer

log = logging.getLogger(__name__)

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True,
                     add_completion=False, rich_markup_mode=None)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head"
               ) -> None:
    """Apply the migrations to MEDEX_DATABASE_URL (an SQLite file by default)."""
    from api.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {_shown(settings.database_url)} is at revision {revision}")


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load demo data into an empty database.")] = True,
    convocations: Annotated[int, typer.Option(help="Demo convocations.", min=1)] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the demo data.")] = 1,
    workers: Annotated[int, typer.Option(
        help="Server processes (PostgreSQL only: SQLite serves from one process, whose "
             "writers queue in order).", min=1)] = 1,
) -> None:
    """Start the planner's service: migrate the database, load the demo data, serve.

    The pages are at http://HOST:PORT/ (log in with a demo user), the API and its
    documentation at /docs.  On SQLite (the default) planning jobs run in this process,
    which also sends the outbox's messages and writes the daily reminders; on PostgreSQL
    start `medex worker` processes too, and `--workers N` serves from N processes.
    """
    import uvicorn

    from api.app import create_app
    from api.db import Database
    from api.links import VictimLinks
    from api.migrate import upgrade
    from api.seed import DEMO_PASSWORD, DemoUsers, demo_victim, ensure_admin, is_empty, load_demo

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings()
    if "public_base_url" not in settings.model_fields_set:  # the links lead here, not to 8000
        settings = settings.model_copy(update={"public_base_url": f"http://{host}:{port}"})
    if workers > 1 and settings.runner == "inprocess":
        typer.echo("error: --workers: more than one server process needs PostgreSQL and "
                   "its job runner (MEDEX_DATABASE_URL=postgresql+psycopg://...); SQLite "
                   "serves from one process", err=True)
        raise typer.Exit(2)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    with db.session() as s:
        empty = is_empty(s)
    week = None
    if demo and empty:
        if settings.environment == "production":
            typer.echo("error: no demo data in production", err=True)
            raise typer.Exit(2)
        typer.echo(f"loading demo data ({convocations} convocations)...")
        week = load_demo(db, convocations=convocations, seed=seed)
    if settings.admin_password is not None:
        ensure_admin(db, settings.admin_email, settings.admin_password.get_secret_value())
    app = create_app(settings, database=db)
    url = f"http://{host}:{port}/"
    typer.echo(f"Medex planner on {url}  (database {_shown(settings.database_url)}, "
               f"jobs {settings.runner})")
    if week is not None or (demo and settings.environment == "development"):
        users = DemoUsers()
        typer.echo(f"  log in as {users.planner} / {DEMO_PASSWORD} (also {users.manager}, "
                   f"{users.admin}, {users.doctor}; an employer's HR: {users.hr})")
        if week is not None:
            typer.echo(f"  demo week: {url}week?start={week.isoformat()}")
        victim = demo_victim(db)
        if victim is not None:
            token = VictimLinks.from_settings(settings).token(victim[0],
                                                              generation=victim[1])
            typer.echo(f"  a victim's personal link: {url}v/{token}")
    typer.echo(f"  API documentation: {url}docs")
    background = start_background(settings, db) if settings.runner == "inprocess" else []
    if background:
        typer.echo(f"  messages: SMS to {_backend(settings)}, e-mail to "
                   f"{settings.email_backend}; reminders daily at "
                   f"{settings.reminder_at:%H:%M} ({settings.reminder_day.value} day before)")
    try:
        if workers > 1:  # each process builds its own app from the same settings
            db.dispose()
            with _environment(MEDEX_PUBLIC_BASE_URL=settings.public_base_url):
                uvicorn.run("api.app:from_environment", factory=True, workers=workers,
                            host=host, port=port, log_level="warning")
        else:
            uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        for task in background:
            task.stop()


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """These variables set for the processes started meanwhile, then as they were."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _backend(settings: Settings) -> str:
    if settings.sms_backend == "file":
        return f"the file {settings.outbox_file}"
    return settings.sms_backend


def start_background(settings: Settings, db: Database) -> list[Drainer | DailyTimer]:
    """What the in-process runner does besides planning jobs: drain the outbox, and write
    the reminders every day at the configured hour (catching up at start)."""
    from api.cli_remind import run_remind, summary
    from api.notices import remind_context
    from api.outbox import DailyTimer, Drainer, make_dispatcher

    context = remind_context(db, settings)

    def remind(day: date) -> None:
        log.info("; ".join(summary(run_remind(day, context))))

    drainer = Drainer(make_dispatcher(settings, db.engine), poll_s=settings.outbox_poll_s)
    return [drainer.start(), DailyTimer(remind, settings.reminder_at).start()]


def worker(
    concurrency: Annotated[int, typer.Option(help="Planning jobs at once in this process.",
                                             min=1)] = 1,
    once: Annotated[bool, typer.Option(
        "--once", help="Send the outbox's due messages, then exit (no planning jobs).")
    ] = False,
) -> None:
    """Send the outbox's messages and, on PostgreSQL, run planning jobs and the daily
    reminders from the job queue (procrastinate); start one per machine.

    On SQLite `medex serve` does all of it itself; this command then only sends messages.
    """
    from api.db import Database
    from api.outbox import Drainer, drain_once, make_dispatcher

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings()
    db = Database(settings.database_url)
    try:
        if once:
            report = drain_once(settings, db.engine)
            typer.echo(f"outbox: {report.sent} sent, {report.found} already with the "
                       f"provider, {report.retried} to retry, {report.failed} failed")
            return
        drainer = Drainer(make_dispatcher(settings, db.engine),
                          poll_s=settings.outbox_poll_s).start()
        try:
            if settings.is_sqlite:
                typer.echo("sending the outbox's messages (planning jobs and reminders run "
                           "in `medex serve` on SQLite); Ctrl-C stops")
                threading.Event().wait()
            else:
                from api.jobs import QUEUE, REMINDERS_QUEUE, queue_app

                queue_app(settings).run_worker(queues=[QUEUE, REMINDERS_QUEUE],
                                               concurrency=concurrency)
        finally:
            drainer.stop()
    except KeyboardInterrupt:
        pass
    finally:
        db.dispose()


def import_file(
    kind: Annotated[str, typer.Argument(help="doctors, sessions or convocations.")],
    path: Annotated[Path, typer.Argument(help="The CSV file.", exists=True, dir_okay=False)],
) -> None:
    """Import a CSV file into the database: all rows or, on any problem, none."""
    from api.db import Database
    from api.errors import ServiceError
    from api.imports import import_csv

    settings = _settings()
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            n = import_csv(s, kind, path.read_bytes(), None)
    except ServiceError as exc:
        for p in exc.problems:
            where = f"row {p.row}" if p.row else ""
            if p.column:
                where += f", column {p.column}"
            typer.echo(f"error: {where or p.field or '-'}: {p.reason}", err=True)
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(f"{n} {kind} imported")


def create_user(
    email: Annotated[str, typer.Argument(help="Login e-mail.")],
    role: Annotated[Role, typer.Option(help="planner, doctor, manager, admin or employer "
                                            "(an employer's HR user).")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    doctor: Annotated[str | None, typer.Option(help="Doctor code, for the doctor role.")
                      ] = None,
    employer: Annotated[str | None, typer.Option(
        help="For the employer role: the employer's id or enterprise number; the HR user "
             "acts only for that employer's convocations.")] = None,
) -> None:
    """Create a user (the password is stored as an argon2 hash): staff, a doctor, or an
    employer's HR user."""
    from sqlmodel import select

    from api.db import Database
    from api.security import hash_password
    from api.tables import Doctor, User

    settings = _settings()
    if (role == Role.EMPLOYER) != (employer is not None):
        typer.echo("error: --employer: required for the employer role, and only for it",
                   err=True)
        raise typer.Exit(2)
    db = Database(settings.database_url)
    with db.session() as s:
        doctor_id = None
        if doctor:
            found = s.exec(select(Doctor).where(Doctor.code == doctor)).first()
            if found is None:
                typer.echo(f"error: --doctor: unknown doctor {doctor}", err=True)
                raise typer.Exit(2)
            doctor_id = found.id
        employer_id = _employer_id(s, employer) if employer is not None else None
        if s.exec(select(User).where(User.email == email.lower())).first() is not None:
            typer.echo(f"error: a user {email.lower()} exists already", err=True)
            raise typer.Exit(2)
        s.add(User(email=email.lower(), role=role, password_hash=hash_password(password),
                   doctor_id=doctor_id, employer_id=employer_id))
    db.dispose()
    typer.echo(f"user {email} ({role.value}) created")


def _employer_id(session: Session, key: str) -> int:
    """The employer named by ``key`` (its id, or its enterprise number), or exit 2."""
    from sqlmodel import select

    from api.tables import Employer

    found = session.get(Employer, int(key)) if key.isdigit() else None
    if found is None:
        found = session.exec(select(Employer).where(
            Employer.enterprise_number == key.strip())).first()
    if found is None or found.id is None:
        typer.echo(f"error: --employer: no employer {key}", err=True)
        raise typer.Exit(2)
    return found.id


def remind_context() -> RemindContext:
    """``medex remind``'s data: the appointments and the outbox of MEDEX_DATABASE_URL."""
    from api.db import Database
    from api.notices import remind_context as context

    settings = _settings()
    return context(Database(settings.database_url), settings)


def register(app: typer.Typer) -> None:
    """Add the service's commands to the ``medex`` command line."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("remind", help=REMIND_HELP)(make_remind_command(remind_context))
    app.command("import")(import_file)
    app.command("create-user")(create_user)
    app.add_typer(db_app, name="db")
