"""The outbox on SQLAlchemy Core: tables ``outbox`` and ``sms_opt_out``.

The tables are defined on their own :data:`metadata`; ``api`` adds them to its Alembic
migrations (the columns below are the contract) and writes a change's messages in the
change's own transaction with :func:`add_messages` on the session's connection::

    with db.session() as session:
        ...  # book, move or cancel the appointment
        add_messages(session.connection(), compose(appointment, Kind.CHANGE, ...))

:class:`SqlOutboxStore` is the :class:`notify.outbox.OutboxStore` the worker drains with.
Claiming is one conditional ``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two
workers never hold the same message; every outcome is written only while the worker
still holds its claim token.  Times are stored in UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from notify.model import Channel, Kind
from notify.outbox import (
    PROVIDER_STATUS_RANK,
    UNDELIVERED,
    Claimed,
    OutboxMessage,
    OutboxRecord,
    State,
)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC (naive UTC on SQLite), read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("appointment_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("language", String(2), nullable=False, server_default=""),
    Column("subject", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("attachment", LargeBinary, nullable=True),
    Column("state", String(10), nullable=False, server_default=State.PENDING.value),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("available_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("claim", String(32), nullable=True),
    Column("in_doubt", Boolean, nullable=False, server_default="0"),
    Column("provider_id", String(64), nullable=True, index=True),
    Column("provider_status", String(20), nullable=True),
    Column("error_code", String(20), nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("appointment_id", "kind", "revision", "channel",
                     name="uq_outbox_message"),
    Index("ix_outbox_due", "state", "available_at"),
)
"""One row per message: (appointment, kind, revision, channel) is unique."""

sms_opt_out = Table(
    "sms_opt_out", metadata,
    Column("phone", String(20), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("source", String(20), nullable=False, server_default=""),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""Numbers that sent STOP (``opted_out``) or START since."""


def _row_values(m: OutboxMessage) -> dict[str, Any]:
    return {
        "key": m.key, "appointment_id": m.appointment, "kind": m.kind.value,
        "revision": m.revision, "channel": m.channel.value, "recipient": m.recipient,
        "language": m.language, "subject": m.subject, "body": m.body,
        "attachment": m.attachment, "state": State.PENDING.value, "attempts": 0,
        "available_at": m.created_at, "in_doubt": False, "created_at": m.created_at,
        "updated_at": m.created_at,
    }


def add_messages(conn: Connection, messages: Iterable[OutboxMessage]) -> int:
    """Write messages whose key is new, on ``conn`` (the caller's transaction); return how
    many were new.  Existing keys are left as they are (idempotent)."""
    rows = [_row_values(m) for m in messages]
    if not rows:
        return 0
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        dialect_insert = sqlite.insert if name == "sqlite" else postgresql.insert
        stmt = dialect_insert(outbox).on_conflict_do_nothing(index_elements=["key"])
        new = 0
        for row in rows:  # rowcount of a multi-row upsert is not portable
            new += conn.execute(stmt, row).rowcount or 0
        return new
    existing = set(conn.execute(select(outbox.c.key).where(
        outbox.c.key.in_([r["key"] for r in rows]))).scalars())
    fresh = [r for r in rows if r["key"] not in existing]
    if fresh:
        conn.execute(insert(outbox), fresh)
    return len(fresh)


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(appointment=row.appointment_id, kind=Kind(row.kind),
                         revision=row.revision, channel=Channel(row.channel),
                         recipient=row.recipient, body=row.body, subject=row.subject,
                         attachment=row.attachment, language=row.language,
                         created_at=row.created_at)


def _record(row: Any) -> OutboxRecord:
    return OutboxRecord(_message(row), State(row.state), row.attempts, row.available_at,
                        row.provider_id, row.provider_status, row.error_code, row.error,
                        row.sent_at)


class SqlOutboxStore:
    """An :class:`notify.outbox.OutboxStore` on a SQLAlchemy engine (SQLite, PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create_tables(self) -> None:
        """Create the tables if missing (tests, the embedded set-up; ``api`` uses Alembic)."""
        metadata.create_all(self.engine)

    def add(self, messages: Iterable[OutboxMessage]) -> int:
        with self.engine.begin() as conn:
            return add_messages(conn, messages)

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        c = outbox.c
        due = or_(and_(c.state == State.PENDING.value, c.available_at <= now),
                  and_(c.state == State.SENDING.value, c.lease_until <= now))
        token = uuid.uuid4().hex
        with self.engine.begin() as conn:
            pick = select(c.id).where(due).order_by(c.available_at, c.id).limit(limit)
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = list(conn.execute(pick).scalars())
            if not ids:
                return []
            conn.execute(
                update(outbox).where(c.id.in_(ids), due).values(
                    in_doubt=or_(c.in_doubt, c.state == State.SENDING.value),
                    state=State.SENDING.value, claim=token, lease_until=now + lease,
                    attempts=c.attempts + 1, updated_at=now))
            rows = conn.execute(select(outbox).where(c.claim == token)
                                .order_by(c.available_at, c.id)).all()
        return [Claimed(_message(r), token, r.attempts, bool(r.in_doubt)) for r in rows]

    def _finish(self, key: str, claim: str, **values: Any) -> bool:
        c = outbox.c
        with self.engine.begin() as conn:
            result = conn.execute(update(outbox).where(
                c.key == key, c.claim == claim, c.state == State.SENDING.value).values(**values))
            return bool(result.rowcount)

    def mark_sent(self, key: str, claim: str, provider_id: str, now: datetime) -> bool:
        return self._finish(key, claim, state=State.SENT.value, provider_id=provider_id,
                            sent_at=now, in_doubt=False, lease_until=None, error=None,
                            error_code=None, updated_at=now)

    def mark_retry(self, key: str, claim: str, available_at: datetime, error: str,
                   code: str | None, in_doubt: bool) -> bool:
        return self._finish(key, claim, state=State.PENDING.value, available_at=available_at,
                            lease_until=None, error=error, error_code=code, in_doubt=in_doubt)

    def mark_failed(self, key: str, claim: str, error: str, code: str | None,
                    now: datetime) -> bool:
        return self._finish(key, claim, state=State.FAILED.value, error=error,
                            error_code=code, in_doubt=False, lease_until=None,
                            updated_at=now)

    def record_status(self, key: str | None, provider_id: str, status: str,
                      error_code: str | None, now: datetime) -> bool:
        c = outbox.c
        with self.engine.begin() as conn:
            where = c.key == key if key else c.provider_id == provider_id
            row = conn.execute(select(outbox).where(where)).first()
            if row is None:
                return False
            values: dict[str, Any] = {"updated_at": now}
            rank = PROVIDER_STATUS_RANK.get(status, -1)
            if rank >= PROVIDER_STATUS_RANK.get(row.provider_status or "", -1):
                values["provider_status"] = status
                if status in UNDELIVERED:
                    values["error_code"] = error_code
                    values["error"] = f"not delivered ({status})"
            if row.state in (State.SENDING.value, State.PENDING.value):
                values.update(state=State.SENT.value, sent_at=now, claim=None,
                              lease_until=None, in_doubt=False)
            if not row.provider_id:
                values["provider_id"] = provider_id
            conn.execute(update(outbox).where(c.id == row.id).values(**values))
            return True

    def get(self, key: str) -> OutboxRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.key == key)).first()
        return None if row is None else _record(row)

    def problems(self, limit: int = 100) -> list[OutboxRecord]:
        c = outbox.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox).where(or_(c.state == State.FAILED.value,
                                         c.provider_status.in_(sorted(UNDELIVERED))))
                .order_by(c.updated_at.desc(), c.id.desc()).limit(limit)).all()
        return [_record(r) for r in rows]

    def counts(self) -> dict[State, int]:
        out = dict.fromkeys(State, 0)
        with self.engine.connect() as conn:
            for state, n in conn.execute(select(outbox.c.state, func.count())
                                         .group_by(outbox.c.state)):
                out[State(state)] = n
        return out


class SqlOptOuts:
    """:class:`notify.outbox.OptOuts` in table ``sms_opt_out``."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def is_opted_out(self, phone: str) -> bool:
        with self.engine.connect() as conn:
            value = conn.execute(select(sms_opt_out.c.opted_out)
                                 .where(sms_opt_out.c.phone == phone)).scalar()
        return bool(value)

    def set_opted_out(self, phone: str, opted_out: bool, now: datetime, source: str) -> None:
        t = sms_opt_out.c
        with self.engine.begin() as conn:
            done = conn.execute(update(sms_opt_out).where(t.phone == phone).values(
                opted_out=opted_out, source=source, updated_at=now)).rowcount
            if not done:
                conn.execute(insert(sms_opt_out).values(phone=phone, opted_out=opted_out,
                                                        source=source, updated_at=now))


def sqlite_engine(path: str) -> Engine:
    """A SQLite engine for the outbox alone (tests, benchmarks, the embedded set-up):
    WAL, a 30 s busy time-out, ``BEGIN IMMEDIATE`` (writers queue instead of failing on a
    stale snapshot) and pooled connections (closing the last one checkpoints the WAL).
    ``api.db.make_engine`` builds the same for the whole database."""
    engine = create_engine(f"sqlite:///{path}",
                           connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
