"""The web service: ``create_app(settings)`` builds everything from the settings.

No engine, settings or job runner exists at import time; tests build one app per test
on their own database.  ``medex serve`` runs it with uvicorn: in its own process, or with
``--workers N`` (PostgreSQL only) in N server processes that each build it with
:func:`from_environment`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse

from api import errors
from api.config import Settings
from api.db import Database
from api.deps import AppState
from api.jobs import JobRunner, make_runner
from api.notices import Notices
from api.routes import auth, calendar, imports, links, outbox, plans, resources, twilio, victim
from api.security import Tokens

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent

DESCRIPTION = """Plans Medex convocations: resources (centres, doctors, sessions, absences,
victims, employers, convocations, appointments, users, audit log), bulk CSV import, and
planning as a job (POST a week, GET its progress, DELETE to stop it, analyze, publish).
Publishing, moving and cancelling write the victims' messages (SMS, e-mail with the
invite) to an outbox that a worker sends; `/api/outbox/problems` lists those that did not
arrive. Twilio calls back at `/twilio/status` and `/twilio/inbound` (signed); a doctor's
calendar feed is at a private `/calendar/{doctor}/{token}.ics`.

Times are Europe/Brussels wall-clock times without offset. Every error body is an
`ErrorOut`: `detail` (a sentence), `code`, `problems` (field or CSV row and column, with the
reason) and, for a refused booking, the `rule` it would break."""


def _warm_up() -> None:
    """Load what the first requests would otherwise wait for: the travel model (a victim
    with no travel times yet, ~1 s) and this year's and next year's holidays."""
    from datetime import date

    from geo.travel import TravelModel
    from scheduler.calendar import DEFAULT_CALENDAR

    TravelModel.default()
    this_year = date.today().year
    for year in (this_year, this_year + 1):
        DEFAULT_CALENDAR.closed_dates(date(year, 1, 1), date(year, 12, 31))


def create_app(settings: Settings, *, database: Database | None = None,
               runner: JobRunner | None = None) -> FastAPI:
    db = database or Database(settings.database_url)
    holder: dict[str, JobRunner] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # synchronous routes run in anyio's thread pool (40 threads by default): a burst of
        # more requests than threads would leave the one holding SQLite's write lock
        # waiting for a thread while the others wait for the lock
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.http_threads
        # the victims' bookings and reads: a few threads each (CPU-bound in one interpreter;
        # on SQLite one writer at a time, PostgreSQL's also wait on the network and locks)
        few = 1 if db.is_sqlite else 2
        app.state.medex.booking_lane = anyio.CapacityLimiter(settings.booking_threads or few)
        app.state.medex.read_lane = anyio.CapacityLimiter(settings.read_threads or few)
        await anyio.to_thread.run_sync(_warm_up)
        await anyio.to_thread.run_sync(db.analyze)
        yield
        state: AppState = app.state.medex
        state.runner.shutdown()
        if database is None:
            db.dispose()

    app = FastAPI(title="Medex planner", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan)
    holder["runner"] = runner or make_runner(db, settings)
    notices = Notices.from_settings(settings)
    app.state.medex = AppState(settings=settings, db=db, runner=holder["runner"],
                               tokens=Tokens(settings.secret_key.get_secret_value(),
                                             settings.session_max_age_s),
                               notices=notices)
    errors.install(app)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        return JSONResponse({"detail": f"conflict with the stored data: {reason}",
                             "code": "conflict", "problems": [], "rule": None},
                            status_code=409)

    # the victims' API first: the routes a request is matched against are tried in order,
    # and the victims' bookings are the busiest
    app.include_router(victim.router())
    app.include_router(auth.router)
    for router in resources.routers():
        app.include_router(router)
    app.include_router(links.router)
    app.include_router(imports.router)
    app.include_router(plans.router)
    app.include_router(outbox.router)
    app.include_router(twilio.router)
    app.include_router(calendar.router)
    from api import pages

    app.include_router(pages.router)
    from api import victim_pages

    app.include_router(victim_pages.router)
    from api.routes import whatif

    app.include_router(whatif.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", tags=["service"], summary="Liveness and the database kind")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "database": db.engine.dialect.name,
                "runner": settings.runner}

    return app


def from_environment() -> FastAPI:
    """The app of the ``MEDEX_*`` variables (and ``.env``): what each server process of
    ``medex serve --workers N`` builds for itself."""
    return create_app(Settings())
