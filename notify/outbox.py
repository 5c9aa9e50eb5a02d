"""The outbox: messages written with the change that causes them, sent later by a worker.

A change to an appointment (booked, moved, cancelled) and the messages it causes are
written in the same database transaction (:func:`compose` builds them, the store's
``add`` writes them); after the commit a worker drains the outbox (:class:`Dispatcher`).
So a rollback sends nothing and a crash loses nothing.

**One message per (appointment, kind, revision, channel).**  That tuple is the message's
idempotency key (:func:`message_key`) and is unique in the store: writing it again (the
reminder command run twice, a retried request) is a no-op.

**Exactly once.**  A worker *claims* a batch (state ``sending``, a claim token, a lease),
sends each message and records the outcome with its claim token.  The provider is asked
first whether it already has a message when an earlier attempt's outcome is unknown: the
worker died after the request left (the lease expired with the row still ``sending``), or
the request timed out.  Only when the provider has no such message is it sent (again).
A provider that cannot be asked (SMTP, the console) is sent to again: at least once.

**Retries.**  A transient failure (5xx, 429, time-out, connection refused) puts the
message back with an exponential backoff (:class:`RetryPolicy`); after ``max_attempts`` it
fails.  A permanent failure (invalid or landline number, unsubscribed recipient, refused
address) fails at once.  Failed messages, and those the provider later reports
undelivered, are what :meth:`OutboxStore.problems` shows to planners.

The store is a protocol: :class:`MemoryOutboxStore` here (tests, the embedded set-up) and
:class:`notify.outbox_sql.SqlOutboxStore` on SQLAlchemy Core.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from notify import ics, messages
from notify.errors import (
    DeliveryInDoubt,
    PermanentDeliveryError,
    RecipientUnsubscribed,
    TransientDeliveryError,
)
from notify.model import Appointment, Channel, Kind

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class State(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


PROVIDER_STATUS_RANK: dict[str, int] = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "read": 5,
}
"""Order of Twilio's message statuses: callbacks may arrive out of order and a status
never goes back."""
UNDELIVERED = frozenset({"undelivered", "failed"})


def message_key(appointment: str, kind: Kind, revision: int, channel: Channel) -> str:
    """The idempotency key of a message: one per (appointment, kind, revision, channel)."""
    return f"{appointment}:{kind.value}:{revision}:{channel.value}"


@dataclass(frozen=True)
class OutboxMessage:
    """A message to send, with everything needed to send it (rendered when written)."""

    appointment: str
    kind: Kind
    revision: int
    channel: Channel
    recipient: str
    """E.164 for an SMS, an address for an e-mail."""
    body: str
    subject: str = ""
    attachment: bytes | None = None
    """The iCalendar invite attached to an e-mail."""
    language: str = ""
    created_at: datetime = field(default_factory=utcnow)

    @property
    def key(self) -> str:
        return message_key(self.appointment, self.kind, self.revision, self.channel)


@dataclass(frozen=True)
class Claimed:
    """A message claimed by one worker for one attempt."""

    message: OutboxMessage
    claim: str
    attempt: int
    """1 for the first attempt."""
    in_doubt: bool
    """An earlier attempt may have reached the provider: look it up before sending."""


@dataclass(frozen=True)
class OutboxRecord:
    """A message and where it stands, as planners see it."""

    message: OutboxMessage
    state: State
    attempts: int
    available_at: datetime
    provider_id: str | None = None
    provider_status: str | None = None
    error_code: str | None = None
    error: str | None = None
    sent_at: datetime | None = None


class OutboxStore(Protocol):
    """Where outbox messages live.  Every method is its own transaction, except that the
    SQL store also offers ``add`` on the caller's connection (same transaction as the
    change)."""

    def add(self, messages: Iterable[OutboxMessage]) -> int:
        """Write messages whose key is new; return how many were new."""
        ...

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Claim up to ``limit`` due messages: pending ones whose time has come and
        ``sending`` ones whose lease expired (their worker died; they are in doubt)."""
        ...

    def mark_sent(self, key: str, claim: str, provider_id: str, now: datetime) -> bool:
        """Record a sent message; False if the claim was lost (another worker has it)."""
        ...

    def mark_retry(self, key: str, claim: str, available_at: datetime, error: str,
                   code: str | None, in_doubt: bool) -> bool:
        ...

    def mark_failed(self, key: str, claim: str, error: str, code: str | None,
                    now: datetime) -> bool:
        ...

    def record_status(self, key: str | None, provider_id: str, status: str,
                      error_code: str | None, now: datetime) -> bool:
        """A provider's delivery report (status callback): by ``key`` when the callback
        URL carries it, else by ``provider_id``.  A report on a message still
        ``sending`` proves the provider has it: it becomes ``sent``."""
        ...

    def get(self, key: str) -> OutboxRecord | None:
        ...

    def problems(self, limit: int = 100) -> list[OutboxRecord]:
        """Failed messages and those reported undelivered, newest first."""
        ...

    def counts(self) -> dict[State, int]:
        ...


class OptOuts(Protocol):
    """Phone numbers that sent STOP (and not START since)."""

    def is_opted_out(self, phone: str) -> bool: ...

    def set_opted_out(self, phone: str, opted_out: bool, now: datetime, source: str) -> None:
        ...


class Sender(Protocol):
    """Sends one channel's messages.  ``send`` returns the provider's id of the message;
    ``find_sent`` asks the provider whether it already has ``message`` (created after
    ``since``) and returns its id, or ``None`` (also when the provider cannot tell)."""

    channel: Channel

    def send(self, message: OutboxMessage, attempt: int) -> str: ...

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None: ...


# -- composing -------------------------------------------------------------------------


def compose(appointment: Appointment, kind: Kind, *, organizer: ics.Organizer,
            now: datetime | None = None) -> list[OutboxMessage]:
    """The messages that ``kind`` about ``appointment`` causes, ready for the outbox.

    An SMS when the victim has a phone number, an e-mail (with the invite for a
    convocation, change or cancellation) when they have an address; the day-before
    reminder goes by SMS, or by e-mail to a victim without a phone number.  An offer of a
    freed slot to a waitlisted victim is not a booking: it carries no invite.  For a
    cancellation ``appointment.cancelled`` must be set (and its revision bumped, so the
    CANCEL's SEQUENCE is above the last REQUEST's).
    """
    if (kind is Kind.CANCELLATION) != appointment.cancelled:
        raise ValueError(f"a {kind.value} message for an appointment with "
                         f"cancelled={appointment.cancelled}")
    moment = utcnow() if now is None else now
    contact = appointment.contact
    out: list[OutboxMessage] = []

    def message(channel: Channel, recipient: str, body: str, subject: str = "",
                attachment: bytes | None = None) -> OutboxMessage:
        return OutboxMessage(appointment=appointment.id, kind=kind,
                             revision=appointment.revision, channel=channel,
                             recipient=recipient, body=body, subject=subject,
                             attachment=attachment, language=contact.language,
                             created_at=moment)

    if contact.phone:
        out.append(message(Channel.SMS, contact.phone, messages.sms_text(appointment, kind)))
    if contact.email and not (kind is Kind.REMINDER and contact.phone):
        text = messages.email_text(appointment, kind)
        invite = (None if kind in (Kind.REMINDER, Kind.OFFER) else
                  ics.invite(appointment, organizer=organizer, now=moment))
        out.append(message(Channel.EMAIL, contact.email, text.body, text.subject, invite))
    return out


# -- the memory store --------------------------------------------------------------------


@dataclass
class _Row:
    message: OutboxMessage
    state: State = State.PENDING
    attempts: int = 0
    available_at: datetime = field(default_factory=utcnow)
    lease_until: datetime | None = None
    claim: str | None = None
    in_doubt: bool = False
    provider_id: str | None = None
    provider_status: str | None = None
    error_code: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    updated_at: datetime = field(default_factory=utcnow)

    def record(self) -> OutboxRecord:
        return OutboxRecord(self.message, self.state, self.attempts, self.available_at,
                            self.provider_id, self.provider_status, self.error_code,
                            self.error, self.sent_at)


def _due(row: _Row, now: datetime) -> bool:
    if row.state is State.PENDING:
        return row.available_at <= now
    return row.state is State.SENDING and row.lease_until is not None and row.lease_until <= now


class MemoryOutboxStore:
    """An :class:`OutboxStore` in memory (thread-safe), for tests and the embedded set-up."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()

    def add(self, messages: Iterable[OutboxMessage]) -> int:
        new = 0
        with self._lock:
            for m in messages:
                if m.key not in self._rows:
                    self._rows[m.key] = _Row(m, available_at=m.created_at,
                                             updated_at=m.created_at)
                    new += 1
        return new

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        token = uuid.uuid4().hex
        out = []
        with self._lock:
            due = sorted((r for r in self._rows.values() if _due(r, now)),
                         key=lambda r: (r.available_at, r.message.key))
            for row in due[:limit]:
                row.in_doubt = row.in_doubt or row.state is State.SENDING
                row.state, row.claim = State.SENDING, token
                row.lease_until, row.updated_at = now + lease, now
                row.attempts += 1
                out.append(Claimed(row.message, token, row.attempts, row.in_doubt))
        return out

    def _claimed(self, key: str, claim: str) -> _Row | None:
        row = self._rows.get(key)
        if row is None or row.claim != claim or row.state is not State.SENDING:
            return None
        return row

    def mark_sent(self, key: str, claim: str, provider_id: str, now: datetime) -> bool:
        with self._lock:
            row = self._claimed(key, claim)
            if row is None:
                return False
            row.state, row.provider_id, row.sent_at = State.SENT, provider_id, now
            row.in_doubt, row.lease_until, row.updated_at = False, None, now
            row.error = row.error_code = None
            return True

    def mark_retry(self, key: str, claim: str, available_at: datetime, error: str,
                   code: str | None, in_doubt: bool) -> bool:
        with self._lock:
            row = self._claimed(key, claim)
            if row is None:
                return False
            row.state, row.available_at, row.lease_until = State.PENDING, available_at, None
            row.error, row.error_code, row.in_doubt = error, code, in_doubt
            return True

    def mark_failed(self, key: str, claim: str, error: str, code: str | None,
                    now: datetime) -> bool:
        with self._lock:
            row = self._claimed(key, claim)
            if row is None:
                return False
            row.state, row.error, row.error_code = State.FAILED, error, code
            row.in_doubt, row.lease_until, row.updated_at = False, None, now
            return True

    def record_status(self, key: str | None, provider_id: str, status: str,
                      error_code: str | None, now: datetime) -> bool:
        with self._lock:
            row = self._rows.get(key) if key else None
            if row is None:
                row = next((r for r in self._rows.values() if r.provider_id == provider_id),
                           None)
            if row is None:
                return False
            _apply_status(row, provider_id, status, error_code, now)
            return True

    def get(self, key: str) -> OutboxRecord | None:
        with self._lock:
            row = self._rows.get(key)
            return None if row is None else row.record()

    def problems(self, limit: int = 100) -> list[OutboxRecord]:
        with self._lock:
            rows = [r for r in self._rows.values()
                    if r.state is State.FAILED or r.provider_status in UNDELIVERED]
            rows.sort(key=lambda r: r.updated_at, reverse=True)
            return [r.record() for r in rows[:limit]]

    def counts(self) -> dict[State, int]:
        with self._lock:
            out = dict.fromkeys(State, 0)
            for r in self._rows.values():
                out[r.state] += 1
            return out


def _apply_status(row: _Row, provider_id: str, status: str, error_code: str | None,
                  now: datetime) -> None:
    """Shared by the stores: a status never goes back; a report proves the message left."""
    rank = PROVIDER_STATUS_RANK.get(status, -1)
    if rank >= PROVIDER_STATUS_RANK.get(row.provider_status or "", -1):
        row.provider_status = status
        if status in UNDELIVERED:
            row.error_code = error_code
            row.error = f"not delivered ({status})"
    if row.state in (State.SENDING, State.PENDING):
        row.state, row.sent_at, row.claim, row.lease_until = State.SENT, now, None, None
        row.in_doubt = False
    if not row.provider_id:
        row.provider_id = provider_id
    row.updated_at = now


class MemoryOptOuts:
    def __init__(self) -> None:
        self._out: dict[str, bool] = {}
        self._lock = threading.Lock()

    def is_opted_out(self, phone: str) -> bool:
        with self._lock:
            return self._out.get(phone, False)

    def set_opted_out(self, phone: str, opted_out: bool, now: datetime, source: str) -> None:
        with self._lock:
            self._out[phone] = opted_out


# -- the worker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base * factor**(attempt - 1)``, at most ``max_delay``, plus up
    to ``jitter`` of it at random; the message fails after ``max_attempts``."""

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        raw = min(self.max_delay.total_seconds(),
                  self.base.total_seconds() * self.factor ** (attempt - 1))
        return timedelta(seconds=raw * (1 + self.jitter * rng.random()))


@dataclass
class DrainReport:
    claimed: int = 0
    sent: int = 0
    found: int = 0
    """In-doubt messages the provider already had: recorded sent, not sent again."""
    retried: int = 0
    failed: int = 0
    lost_claims: int = 0

    def __iadd__(self, other: DrainReport) -> DrainReport:
        for name in ("claimed", "sent", "found", "retried", "failed", "lost_claims"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


class Dispatcher:
    """Drains an outbox through one :class:`Sender` per channel.

    The senders and the store must be safe to use from ``concurrency`` threads."""

    def __init__(self, store: OutboxStore, senders: Iterable[Sender], *,
                 opt_outs: OptOuts | None = None, policy: RetryPolicy = RetryPolicy(),
                 lease: timedelta = timedelta(minutes=5), clock: Clock = utcnow,
                 rng: random.Random | None = None, concurrency: int = 1):
        self.store = store
        self.senders: Mapping[Channel, Sender] = {s.channel: s for s in senders}
        self.opt_outs = opt_outs
        self.policy = policy
        self.lease = lease
        self.clock = clock
        self.rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        """Messages of a batch sent at once (threads): a provider's API answers in tens or
        hundreds of milliseconds, so one at a time would cap the rate well below it."""

    def drain_once(self, limit: int = 100,
                   pool: ThreadPoolExecutor | None = None) -> DrainReport:
        """Claim one batch of due messages and send it (on ``pool``'s threads, if given or
        if ``concurrency`` > 1)."""
        report = DrainReport()
        batch = self.store.claim(self.clock(), limit, self.lease)
        report.claimed = len(batch)
        if pool is not None:
            outcomes = list(pool.map(self._handle, batch))
        elif self.concurrency > 1 and len(batch) > 1:
            with self._pool() as own:
                outcomes = list(own.map(self._handle, batch))
        else:
            outcomes = [self._handle(c) for c in batch]
        for outcome in outcomes:
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    def drain(self, limit: int = 100, max_batches: int | None = None) -> DrainReport:
        """Send batches until nothing is due (or ``max_batches`` were claimed); the same
        threads (and their connections to the provider) serve every batch."""
        total = DrainReport()
        batches = 0
        with ExitStack() as stack:
            pool = stack.enter_context(self._pool()) if self.concurrency > 1 else None
            while max_batches is None or batches < max_batches:
                report = self.drain_once(limit, pool)
                batches += 1
                total += report
                if report.claimed == 0:
                    break
        return total

    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="outbox")

    def _handle(self, c: Claimed) -> str:
        """Send one claimed message; return the :class:`DrainReport` field it counts in."""
        m = c.message
        sender = self.senders.get(m.channel)
        if sender is None:
            return self._fail(c, f"no sender for channel {m.channel.value}", None)
        if c.in_doubt:
            try:
                found = sender.find_sent(m, m.created_at)
            except TransientDeliveryError as exc:
                return self._retry(c, f"looking it up: {exc}", exc.code, True)
            if found is not None:
                log.info("outbox %s: the provider already has it (%s)", m.key, found)
                return _kept(self.store.mark_sent(m.key, c.claim, found, self.clock()), "found")
        if m.channel is Channel.SMS and self.opt_outs is not None \
                and self.opt_outs.is_opted_out(m.recipient):
            return self._fail(c, "the recipient unsubscribed from SMS (sent STOP)", "21610")
        try:
            provider_id = sender.send(m, c.attempt)
        except RecipientUnsubscribed as exc:
            if self.opt_outs is not None:
                self.opt_outs.set_opted_out(m.recipient, True, self.clock(), "provider")
            return self._fail(c, str(exc), exc.code)
        except PermanentDeliveryError as exc:
            return self._fail(c, str(exc), exc.code)
        except DeliveryInDoubt as exc:
            return self._retry(c, str(exc), exc.code, True)
        except TransientDeliveryError as exc:
            return self._retry(c, str(exc), exc.code, False)
        except Exception as exc:  # a sender's bug must not crash the worker on every run
            log.exception("outbox %s: unexpected error from the %s sender", m.key,
                          m.channel.value)
            return self._retry(c, f"unexpected error: {exc!r}", None, True)
        return _kept(self.store.mark_sent(m.key, c.claim, provider_id, self.clock()), "sent")

    def _fail(self, c: Claimed, error: str, code: str | None) -> str:
        log.warning("outbox %s failed: %s", c.message.key, error)
        return _kept(self.store.mark_failed(c.message.key, c.claim, error, code, self.clock()),
                     "failed")

    def _retry(self, c: Claimed, error: str, code: str | None, in_doubt: bool) -> str:
        if c.attempt >= self.policy.max_attempts:
            doubt = " (it may have reached the provider)" if in_doubt else ""
            return self._fail(c, f"gave up after {c.attempt} attempts{doubt}: {error}", code)
        with self._rng_lock:
            when = self.clock() + self.policy.delay(c.attempt, self.rng)
        log.info("outbox %s: attempt %d failed (%s), again at %s", c.message.key, c.attempt,
                 error, when.isoformat(timespec="seconds"))
        return _kept(self.store.mark_retry(c.message.key, c.claim, when, error, code, in_doubt),
                     "retried")


def _kept(kept: bool, outcome: str) -> str:
    """``outcome``, or ``lost_claims`` when the worker no longer held the message."""
    return outcome if kept else "lost_claims"
