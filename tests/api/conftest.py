"""Databases for the service's tests: every test gets its own, on SQLite and PostgreSQL.

A template per database kind is migrated once per test process (``alembic upgrade head``);
each test then gets a fresh copy (a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE``
for PostgreSQL), dropped afterwards.  Nothing is shared between tests.

PostgreSQL is found at ``MEDEX_TEST_POSTGRES_URL`` (default: the local server on
127.0.0.1:5432, user postgres); ``scripts/test.sh`` starts it when it is not running.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.migrate import upgrade

PG_ADMIN_URL = os.environ.get("MEDEX_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
KINDS = ("sqlite", "postgresql")


def _pg_admin() -> object:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _tag() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{worker}_{os.getpid()}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "medex.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"medex_tmpl_{_tag()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc}); "
                    "scripts/test.sh starts it")
    upgrade(_pg_url(name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, migrated, empty database of ``kind``; dropped after the test."""
    if kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / f"medex-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"medex_test_{_tag()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(db_kind, request, tmp_path)


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database (no migrations), for the migration tests."""
    name = f"medex_empty_{_tag()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ------------------------------------------------------------------ the service on a database

import functools  # noqa: E402
from datetime import date, time, timedelta  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import select  # noqa: E402

from api.app import create_app  # noqa: E402
from api.config import Settings  # noqa: E402
from api.db import Database  # noqa: E402
from api.security import hash_password  # noqa: E402
from api.tables import Centre, Doctor, DoctorSession, User  # noqa: E402

WEEK = date(2026, 12, 7)
"""A Monday."""
SECRET = "test-secret-0123456789abcdef"
FEED_SECRET = "test-feed-secret-0123456789"
PASSWORD = "correct horse battery"
USERS = {"admin": "admin@medex.test", "planner": "planner@medex.test",
         "manager": "manager@medex.test", "doctor": "d001@medex.test",
         "doctor2": "d002@medex.test"}


def national_number(birth: str = "850730", seq: int = 33) -> str:
    """A valid rijksregisternummer for someone born on yymmdd (before 2000)."""
    base = f"{birth}{seq:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def seed(db: Database) -> dict[str, int]:
    """Two centres, two doctors with sessions all week, one user per role."""
    ids: dict[str, int] = {}
    with db.session() as s:
        s.add(Centre(id="BRU", name="Brussel/Bruxelles", postcode="1060", lat=50.8356,
                     lon=4.3360, rooms=2, opening="08:30-16:30", languages=["nl", "fr"]))
        s.add(Centre(id="GNT", name="Gent", postcode="9000", lat=51.0359, lon=3.7107, rooms=2,
                     opening="08:30-16:30", languages=["nl"]))
        d1 = Doctor(code="D001", name="Dr. Peeters", languages=["nl", "fr"],
                    specialties=["general", "orthopaedics"], max_exams_per_day=12)
        d2 = Doctor(code="D002", name="Dr. Dubois", languages=["fr"], specialties=["general"],
                    max_exams_per_day=12)
        s.add(d1)
        s.add(d2)
        s.flush()
        for i in range(5):
            day = WEEK + timedelta(days=i)
            s.add(DoctorSession(doctor_id=d1.id or 0, centre_id="BRU", day=day,
                                start=time(9), end=time(12, 30)))
            s.add(DoctorSession(doctor_id=d2.id or 0, centre_id="BRU", day=day,
                                start=time(13), end=time(16)))
        ids["D001"], ids["D002"] = d1.id or 0, d2.id or 0
        hashed = _password_hash()
        for role, email in USERS.items():
            doctor_id = {"doctor": d1.id, "doctor2": d2.id}.get(role)
            s.add(User(email=email, role=role.rstrip("2"), password_hash=hashed,
                       full_name=role.title(), doctor_id=doctor_id))
    return ids


def make_settings(url: str, **kw: object) -> Settings:
    values: dict[str, object] = {"secret_key": SECRET, "feed_secret": FEED_SECRET,
                                 "plan_time_limit_s": 2.0, **kw}
    return Settings(environment="test", database_url=url, _env_file=None,  # type: ignore[call-arg]
                    **values)  # type: ignore[arg-type]


def token(client: TestClient, who: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": USERS[who], "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Service:
    """A running app on a fresh database with the seed, and a client per role."""

    def __init__(self, url: str, **settings: object):
        self.url = url
        self.settings = make_settings(url, **settings)
        self.db = Database(url)
        self.ids = seed(self.db)
        self.app = create_app(self.settings, database=self.db)
        self.client = TestClient(self.app)
        self.client.__enter__()
        tokens = self.app.state.medex.tokens
        with self.db.session() as s:
            users = {u.email: u for u in s.exec(select(User)).all()}
        self.headers = {who: {"Authorization": f"Bearer {tokens.issue(users[email])}"}
                        for who, email in USERS.items()}

    def as_(self, who: str) -> dict[str, str]:
        return self.headers[who]

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.db.dispose()


@pytest.fixture
def service(db_url: str) -> Iterator[Service]:
    svc = Service(db_url)
    yield svc
    svc.close()


# ------------------------------------------------------------------ a real HTTP server

import socket  # noqa: E402
import threading  # noqa: E402

import uvicorn  # noqa: E402


class LiveServer:
    """The service's app behind uvicorn on a free loopback port, in a thread."""

    def __init__(self, svc: Service):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(svc.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            threading.Event().wait(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(service: Service) -> Iterator[LiveServer]:
    server = LiveServer(service)
    yield server
    server.stop()
