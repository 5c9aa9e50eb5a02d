"""Engine and sessions, built from the settings (no engine at import time).

SQLite (the default) gets foreign keys, WAL and a busy timeout, and every transaction
starts with ``BEGIN IMMEDIATE``: writers are serialised, so two requests can never both
read a free slot and both book it.  On PostgreSQL the booking code takes row locks
(``SELECT ... FOR UPDATE``) on the doctors and centres it books, see :func:`lock_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the project's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               poolclass=NullPool, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # transactions are ours, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The engine and a session factory; one per application."""

    def __init__(self, url: str, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def lock_rows(session: Session, model: Any, ids: Sequence[Any]) -> None:
    """Lock the rows of ``model`` with these primary keys until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` in key order (no deadlock between two bookers).
    SQLite: the transaction already holds the database's write lock (``BEGIN IMMEDIATE``)."""
    if not ids or session.get_bind().dialect.name == "sqlite":
        return
    key = model.__table__.primary_key.columns.values()[0]
    session.execute(select(key).where(key.in_(sorted(set(ids)))).order_by(key).with_for_update())
