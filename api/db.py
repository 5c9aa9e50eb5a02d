"""Engine and sessions, built from the settings (no engine at import time).

SQLite (the default) gets foreign keys, WAL and a busy timeout, and every transaction
that may write starts with ``BEGIN IMMEDIATE``: writers are serialised, so two requests can
never both read a free slot and both book it.  A read-only session
(:meth:`Database.session` with ``read_only=True``: what a page or a list shows) reads a
snapshot instead and takes no lock: WAL lets it read while a booking writes.  SQLite refuses
its writes (``PRAGMA query_only``), PostgreSQL too (``BEGIN READ ONLY``).  On PostgreSQL
the booking code locks the doctor's and the centre's day it books into (advisory locks, see
:func:`day_lock_key` and :func:`advisory_locks`, under the rows ``FOR SHARE``); publishing
and a planner's move lock the rows ``FOR UPDATE`` (:func:`lock_rows`).

Within one process the SQLite transactions of a database file also queue, first come
first served, on a lock taken before ``BEGIN IMMEDIATE`` and given back when the
transaction ends (:class:`WriterQueue`): SQLite's own busy wait polls with growing sleeps,
so under a burst a long waiter is overtaken again and again; the queue serves them in
order.  Other processes still meet the busy timeout.  The connections of a file stay open
in a small pool (closing the last one checkpoints the WAL).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Engine, bindparam, event, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool, QueuePool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)
BUSY_TIMEOUT_S = 30
READ_ONLY = "medex_read_only"
"""The execution option of a read-only session's engine (:meth:`Database.session`)."""
SQLITE_POOL = 20
"""Connections to an SQLite file kept open (more are opened under a burst, and closed)."""
ANALYSIS_LIMIT = 1000
"""Rows of each index that SQLite's ``ANALYZE`` samples (:meth:`Database.analyze`)."""


class WriterQueue:
    """A first-come-first-served lock that any thread may release (a request's
    transaction begins and ends on different threads of the server's pool)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait for our turn (at most ``timeout`` seconds); False when it did not come."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True
        with self._mutex:
            try:
                self._waiters.remove(turn)
            except ValueError:  # handed over just now: it is ours
                return True
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # the next one holds it now
            else:
                self._held = False


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(path: str) -> WriterQueue:
    """The process's queue for the SQLite file at ``path``."""
    key = os.path.realpath(path)
    with _queues_lock:
        return _queues.setdefault(key, WriterQueue())


class _Connection(sqlite3.Connection):
    """An SQLite connection that gives its turn in the writer queue back when its
    transaction ends (after the COMMIT or ROLLBACK itself, also on the pool's reset)."""

    queue: WriterQueue | None = None
    holding = False
    query_only = False
    """``PRAGMA query_only`` is on (the connection serves a read-only session)."""

    def _give(self) -> None:
        if self.holding:
            self.holding = False
            if self.queue is not None:
                self.queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._give()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the project's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        on_file = parsed.database not in (None, "", ":memory:") and not str(
            parsed.database).startswith("file:")
        pool: dict[str, Any] = ({"poolclass": QueuePool, "pool_size": SQLITE_POOL,
                                 "max_overflow": -1} if on_file else {"poolclass": NullPool})
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": BUSY_TIMEOUT_S,
                                                  "factory": _Connection},
                               **{**pool, **kwargs})
        queue = writer_queue(str(parsed.database)) if on_file else None

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # transactions are ours, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            raw = connection.connection.dbapi_connection
            reading = bool(connection.get_execution_options().get(READ_ONLY))
            if isinstance(raw, _Connection) and raw.query_only != reading:
                connection.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
                raw.query_only = reading
            if reading:  # a snapshot: no queue, no lock (WAL)
                connection.exec_driver_sql("BEGIN")
                return
            if queue is not None and isinstance(raw, _Connection) and not raw.holding:
                raw.queue = queue
                # past the timeout, SQLite's own busy wait decides
                raw.holding = queue.acquire(BUSY_TIMEOUT_S)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if isinstance(raw, _Connection):
                    raw._give()
                raise

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)

class Database:
    """The engine and a session factory; one per application."""

    def __init__(self, url: str, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url)
        options: dict[str, Any] = {READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        self.reader = self.engine.execution_options(**options)
        """The same pool, for read-only sessions."""

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        ``read_only``: for what only reads (a page, the offered slots): on SQLite a snapshot
        that neither waits for nor holds the write lock; a write in it is refused by the
        database.  ``session.info["read_only"]`` tells the code that would keep a cache
        (travel times) to leave it."""
        with Session(self.reader if read_only else self.engine,
                     expire_on_commit=False) as session:
            session.info["read_only"] = read_only
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def analyze(self) -> None:
        """Give SQLite's query planner the tables' statistics (``ANALYZE``, on a sample of
        ``ANALYSIS_LIMIT`` rows per index: quick on a large file).  Without them it guesses
        that any indexed equality is selective: it would then read every pending and
        scheduled convocation by the status index to find the few on the waitlist.
        PostgreSQL keeps its statistics itself (autovacuum)."""
        if not self.is_sqlite:
            return
        try:
            with self.session() as session:
                session.connection().exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                session.connection().exec_driver_sql("ANALYZE")
        except OperationalError as exc:  # a read-only file, say: slower, not wrong
            log.warning("no statistics for SQLite's query planner: %s", exc)

    def dispose(self) -> None:
        self.engine.dispose()


def hold(session: Session, *rows: object) -> None:
    """Keep ``rows`` until the session ends: the session's identity map holds its objects
    weakly, and a row read once in a request (the convocation of a link, say) is then found
    there again instead of being read from the database anew."""
    session.info.setdefault("kept", []).extend(rows)


def lock_rows(session: Session, model: Any, ids: Sequence[Any], *, share: bool = False
              ) -> None:
    """Lock the rows of ``model`` with these primary keys until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` (``share``: ``FOR SHARE``, which only ``FOR
    UPDATE`` waits for) in key order (no deadlock between two bookers).  SQLite: the
    transaction already holds the database's write lock (``BEGIN IMMEDIATE``)."""
    if not ids or session.get_bind().dialect.name == "sqlite":
        return
    session.connection().execute(_locking(model.__table__, share), {"ids": sorted(set(ids))})


@lru_cache(maxsize=64)
def _locking(table: Any, share: bool) -> Any:
    """The statement of :func:`lock_rows` for ``table``, built once (a booking locks two
    rows: building the statement cost more than running it)."""
    key = table.primary_key.columns.values()[0]
    return (select(key).where(key.in_(bindparam("ids", expanding=True))).order_by(key)
            .with_for_update(read=share))


DAY_LOCK_KINDS = {"doctor": 1, "centre": 2}


def day_lock_key(kind: str, entity: int | str, day: date) -> int:
    """The advisory lock key (a signed 64-bit integer) of one doctor's or one centre's day:
    the kind, the doctor's id or a CRC of the centre's id, and the day.  Two days that
    happened to share a key would only wait for each other."""
    ident = entity if isinstance(entity, int) else zlib.crc32(entity.encode())
    return (DAY_LOCK_KINDS[kind] << 56) | ((ident & 0xFFFFFFFF) << 22) | day.toordinal()


_ADVISORY = text("SELECT pg_advisory_xact_lock(k) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=ARRAY(BigInteger)))
"""Advisory locks in the order of the array (``unnest`` keeps it)."""


def advisory_locks(session: Session, keys: Sequence[int]) -> None:
    """PostgreSQL's advisory locks of ``keys`` (see :func:`day_lock_key`), taken in key order
    in one statement and held until the transaction ends (nothing on SQLite, whose
    writers hold the database's write lock)."""
    if keys and session.get_bind().dialect.name != "sqlite":
        session.connection().execute(_ADVISORY, {"keys": sorted(set(keys))})
