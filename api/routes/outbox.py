"""Messages to victims as planners see them: what did not reach its victim, and why."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select

from api.deps import SessionDep, Staff, StateDep
from api.errors import responses
from api.schemas import MessageProblem, MessageProblems, OutboxCounts
from api.tables import Appointment, Convocation
from notify.outbox import OutboxRecord
from notify.outbox_sql import SqlOutboxStore

router = APIRouter(prefix="/api/outbox", tags=["messages"], responses=responses(401, 403))


def problems(session: Session, store: SqlOutboxStore, limit: int = 100) -> MessageProblems:
    """Failed and undelivered messages (newest first), with their convocation, and the
    outbox's counts per state.

    The store reads on connections of its own: the request's transaction is ended first
    (on SQLite it holds the database's write lock, see :mod:`api.db`)."""
    session.commit()
    records: list[OutboxRecord] = store.problems(limit)
    counts = {state.value: n for state, n in store.counts().items()}
    ids = {int(r.message.appointment) for r in records if r.message.appointment.isdigit()}
    refs: dict[str, str] = {}
    if ids:
        rows = session.exec(select(Appointment.id, Convocation.reference).join(
            Convocation, col(Convocation.id) == col(Appointment.convocation_id)).where(
            col(Appointment.id).in_(ids)))
        refs = {str(a): ref for a, ref in rows}
    return MessageProblems(counts=OutboxCounts(**counts), problems=[MessageProblem(
        key=r.message.key, appointment_id=r.message.appointment,
        reference=refs.get(r.message.appointment), kind=r.message.kind.value,
        revision=r.message.revision, channel=r.message.channel.value,
        recipient=r.message.recipient, state=r.state.value, attempts=r.attempts,
        provider_status=r.provider_status, error_code=r.error_code, error=r.error,
        created_at=r.message.created_at, sent_at=r.sent_at) for r in records])


@router.get("/problems", response_model=MessageProblems,
            summary="Messages that did not reach their victim (failed for good or reported "
                    "undelivered), newest first, and the outbox's counts")
def list_problems(session: SessionDep, state: StateDep, _user: Staff,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    return problems(session, SqlOutboxStore(state.db.engine), limit)
