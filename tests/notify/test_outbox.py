"""The outbox: idempotent writes, claims and leases, retries with backoff, permanent
failures shown to planners, in-doubt messages looked up before sending again.  Every test
runs on the memory store and on the SQL store (SQLite file)."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table

from notify.errors import (
    DeliveryInDoubt,
    PermanentDeliveryError,
    RecipientUnsubscribed,
    TransientDeliveryError,
)
from notify.model import Channel, Kind
from notify.outbox import (
    Dispatcher,
    MemoryOptOuts,
    OutboxMessage,
    OutboxStore,
    RetryPolicy,
    State,
    compose,
    message_key,
)
from notify.outbox_sql import SqlOutboxStore, add_messages, sqlite_engine
from notify.sms import TwilioSender, TwilioSettings
from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN, NOW, ORGANIZER, make_appointment
from tests.notify.fake_twilio import FakeTwilio


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class ScriptedSender:
    """Answers each send with the next scripted outcome (an exception or ``None``)."""

    channel = Channel.SMS

    def __init__(self, *outcomes: Exception | None, known: set[str] | None = None):
        self.outcomes = list(outcomes)
        self.sent: list[tuple[str, int]] = []
        self.known = known if known is not None else set()
        self.lookups: list[str] = []

    def send(self, message: OutboxMessage, attempt: int) -> str:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.sent.append((message.key, attempt))
        self.known.add(message.key)
        return f"id-{message.key}"

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None:
        self.lookups.append(message.key)
        return f"id-{message.key}" if message.key in self.known else None


def sms(n: int, created: datetime = NOW) -> OutboxMessage:
    return OutboxMessage(f"A{n}", Kind.REMINDER, 1, Channel.SMS, f"+3247000{n:04d}",
                         f"text {n}", created_at=created)


def dispatcher(store: OutboxStore, sender: object, clock: Clock, **kw: object) -> Dispatcher:
    return Dispatcher(store, [sender], clock=clock, rng=random.Random(1),  # type: ignore[list-item]
                      **kw)  # type: ignore[arg-type]


def test_key_is_appointment_kind_revision_channel() -> None:
    assert message_key("A7", Kind.CHANGE, 3, Channel.EMAIL) == "A7:change:3:email"
    assert sms(1).key == "A1:reminder:1:sms"


def test_add_is_idempotent(store: OutboxStore) -> None:
    assert store.add([sms(1), sms(2)]) == 2
    assert store.add([sms(1), sms(2), sms(3)]) == 1
    assert store.add([]) == 0
    assert store.counts()[State.PENDING] == 3
    record = store.get("A1:reminder:1:sms")
    assert record is not None and record.message == sms(1)
    assert store.get("nope") is None


def test_drain_sends_each_message_once(store: OutboxStore) -> None:
    store.add([sms(n) for n in range(5)])
    sender, clock = ScriptedSender(), Clock()
    report = dispatcher(store, sender, clock).drain(limit=2)
    assert report.sent == 5 and report.claimed == 5
    assert sorted(k for k, _ in sender.sent) == sorted(sms(n).key for n in range(5))
    assert dispatcher(store, sender, clock).drain().claimed == 0
    record = store.get(sms(0).key)
    assert record is not None and record.state is State.SENT
    assert record.provider_id == f"id-{sms(0).key}" and record.sent_at == NOW
    assert store.counts()[State.SENT] == 5


def test_not_before_its_time(store: OutboxStore) -> None:
    store.add([sms(1, created=NOW + timedelta(minutes=1))])
    clock = Clock()
    assert dispatcher(store, ScriptedSender(), clock).drain().claimed == 0
    clock.advance(minutes=1)
    assert dispatcher(store, ScriptedSender(), clock).drain().sent == 1


def test_transient_failure_retries_with_growing_backoff(store: OutboxStore) -> None:
    store.add([sms(1)])
    sender = ScriptedSender(TransientDeliveryError("503", "503"),
                            TransientDeliveryError("503", "503"))
    clock = Clock()
    policy = RetryPolicy(base=timedelta(seconds=10), factor=3, jitter=0.0)
    d = dispatcher(store, sender, clock, policy=policy)
    assert d.drain().retried == 1
    record = store.get(sms(1).key)
    assert record is not None and record.state is State.PENDING
    assert record.available_at == NOW + timedelta(seconds=10)
    assert record.error_code == "503" and record.attempts == 1
    clock.advance(seconds=9)
    assert d.drain().claimed == 0  # not yet
    clock.advance(seconds=1)
    assert d.drain().retried == 1
    record = store.get(sms(1).key)
    assert record is not None and record.available_at == clock.now + timedelta(seconds=30)
    clock.advance(seconds=30)
    assert d.drain().sent == 1
    assert sender.sent == [(sms(1).key, 3)]
    assert sender.lookups == []  # a 503 is not in doubt: no look-up


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base=timedelta(seconds=30), factor=2, max_delay=timedelta(minutes=10),
                         jitter=0.2)
    rng = random.Random(3)
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 12)]
    assert 30 <= delays[0] <= 36 and 60 <= delays[1] <= 72
    assert all(600 <= d <= 720 for d in delays[6:])


def test_gives_up_after_max_attempts(store: OutboxStore) -> None:
    store.add([sms(1)])
    sender = ScriptedSender(*[TransientDeliveryError("500 again", "500")] * 3)
    clock = Clock()
    d = dispatcher(store, sender, clock, policy=RetryPolicy(max_attempts=3, jitter=0))
    for _ in range(3):
        d.drain()
        clock.advance(hours=2)
    record = store.get(sms(1).key)
    assert record is not None and record.state is State.FAILED
    assert "gave up after 3 attempts" in (record.error or "")
    assert [r.message.key for r in store.problems()] == [sms(1).key]


def test_permanent_failure_is_marked_and_shown(store: OutboxStore) -> None:
    store.add([sms(1), sms(2)])
    sender = ScriptedSender(PermanentDeliveryError("invalid 'To' (21211)", "21211"))
    report = dispatcher(store, sender, Clock()).drain()
    assert report.failed == 1 and report.sent == 1
    [problem] = store.problems()
    assert problem.state is State.FAILED and problem.error_code == "21211"
    assert "21211" in (problem.error or "")


def test_unsubscribed_number_is_remembered(store: OutboxStore) -> None:
    store.add([sms(1)])
    opt_outs = MemoryOptOuts()
    sender = ScriptedSender(RecipientUnsubscribed("21610", "21610"))
    dispatcher(store, sender, Clock(), opt_outs=opt_outs).drain()
    assert opt_outs.is_opted_out(sms(1).recipient)
    # a later message to the same number is not even tried
    later = OutboxMessage("A1", Kind.CHANGE, 2, Channel.SMS, sms(1).recipient, "x",
                          created_at=NOW)
    store.add([later])
    dispatcher(store, sender, Clock(), opt_outs=opt_outs).drain()
    record = store.get(later.key)
    assert record is not None and record.state is State.FAILED and record.error_code == "21610"
    assert sender.sent == []


def test_in_doubt_is_looked_up_not_sent_twice(store: OutboxStore) -> None:
    store.add([sms(1), sms(2)])
    # sms(1): the provider took it but the answer timed out; sms(2): it did not take it
    sender = ScriptedSender(DeliveryInDoubt("time-out", "timeout"),
                            DeliveryInDoubt("time-out", "timeout"), known={sms(1).key})
    clock = Clock()
    d = dispatcher(store, sender, clock, policy=RetryPolicy(jitter=0))
    assert d.drain().retried == 2
    clock.advance(minutes=5)
    report = d.drain()
    assert report.found == 1 and report.sent == 1
    assert sender.lookups == [sms(1).key, sms(2).key]
    assert sender.sent == [(sms(2).key, 2)]


def test_expired_lease_means_in_doubt(store: OutboxStore) -> None:
    store.add([sms(1), sms(2)])
    clock = Clock()
    claimed = store.claim(clock(), 10, timedelta(minutes=5))  # a worker that then dies
    assert [c.in_doubt for c in claimed] == [False, False]
    assert store.claim(clock(), 10, timedelta(minutes=5)) == []  # held by the lease
    clock.advance(minutes=5)
    again = store.claim(clock(), 10, timedelta(minutes=5))
    assert [c.in_doubt for c in again] == [True, True] and [c.attempt for c in again] == [2, 2]
    # the dead worker's claim token no longer counts
    assert not store.mark_sent(sms(1).key, claimed[0].claim, "late", clock())
    assert store.mark_sent(sms(1).key, again[0].claim, "ok", clock())


def test_lost_claim_is_counted_not_recorded(store: OutboxStore) -> None:
    store.add([sms(1)])
    clock = Clock()

    class SlowSender(ScriptedSender):
        def send(self, message: OutboxMessage, attempt: int) -> str:
            clock.advance(minutes=10)  # longer than the lease: another worker took it
            store.claim(clock(), 10, timedelta(minutes=5))
            return super().send(message, attempt)

    report = dispatcher(store, SlowSender(), clock).drain(max_batches=1)
    assert report.lost_claims == 1 and report.sent == 0


def test_status_reports(store: OutboxStore) -> None:
    store.add([sms(1), sms(2)])
    dispatcher(store, ScriptedSender(), Clock()).drain()
    key = sms(1).key
    assert store.record_status(key, "id-x", "sent", None, NOW)
    assert store.record_status(key, "id-x", "delivered", None, NOW)
    assert store.record_status(key, "id-x", "sent", None, NOW)  # late, out of order
    record = store.get(key)
    assert record is not None and record.provider_status == "delivered"
    # found by the provider's id when the URL has no key
    assert store.record_status(None, f"id-{sms(2).key}", "undelivered", "30003", NOW)
    assert not store.record_status(None, "SMunknown", "delivered", None, NOW)
    [problem] = store.problems()
    assert problem.message.key == sms(2).key and problem.error_code == "30003"
    assert problem.state is State.SENT and problem.provider_status == "undelivered"


def test_a_report_settles_a_message_still_sending(store: OutboxStore) -> None:
    store.add([sms(1)])
    store.claim(NOW, 1, timedelta(minutes=5))  # the worker died after Twilio took it
    assert store.record_status(sms(1).key, "SM1", "queued", None, NOW)
    record = store.get(sms(1).key)
    assert record is not None and record.state is State.SENT and record.provider_id == "SM1"
    assert store.claim(NOW + timedelta(hours=1), 10, timedelta(minutes=5)) == []


def test_a_senders_bug_is_retried_in_doubt_not_fatal(store: OutboxStore) -> None:
    store.add([sms(1)])
    sender = ScriptedSender(KeyError("bug"), known=set())
    clock = Clock()
    d = dispatcher(store, sender, clock, policy=RetryPolicy(max_attempts=2, jitter=0))
    assert d.drain().retried == 1
    record = store.get(sms(1).key)
    assert record is not None and "unexpected" in (record.error or "")
    clock.advance(hours=1)
    assert d.drain().sent == 1 and sender.lookups == [sms(1).key]


def test_no_sender_for_a_channel_fails_the_message(store: OutboxStore) -> None:
    mail = OutboxMessage("A1", Kind.CONVOCATION, 1, Channel.EMAIL, "v@example.be", "b",
                         created_at=NOW)
    store.add([mail])
    dispatcher(store, ScriptedSender(), Clock()).drain()
    record = store.get(mail.key)
    assert record is not None and record.state is State.FAILED
    assert "no sender" in (record.error or "")


def test_with_the_real_client_and_a_flaky_server(store: OutboxStore, fake: FakeTwilio) -> None:
    """500s, a 429, a time-out after acceptance and an invalid number, then all is well."""
    start = datetime.now(UTC)  # the fake server's clock is the real one
    messages = [sms(n, created=start) for n in range(10)]
    store.add(messages)
    fake.fail_number(messages[9].recipient, 400, 21211)
    fake.fail_next(500)
    fake.fail_next(429, 20429)
    fake.time_out_next(0.6, accept=True)
    fake.fail_next(502)
    sender = TwilioSender(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_="Medex",
                                         base_url=fake.base_url, timeout=0.3,
                                         status_callback="https://medex.example/s"))
    clock = Clock(start)
    d = Dispatcher(store, [sender], clock=clock, policy=RetryPolicy(jitter=0))
    for _ in range(4):
        d.drain()
        clock.advance(hours=1)
    keys = fake.accepted_keys()
    assert sorted(keys) == sorted(m.key for m in messages[:9])  # each exactly once
    assert store.counts()[State.SENT] == 9
    [problem] = store.problems()
    assert problem.message.key == messages[9].key and problem.error_code == "21211"
    # the 500, 502 and the time-out were in doubt: looked up before sending again
    assert len([r for r in fake.requests if r.method == "GET"]) == 3


def test_concurrent_sending_still_sends_each_once(store: OutboxStore) -> None:
    start = datetime.now(UTC)
    messages = [sms(n, created=start) for n in range(200)]
    store.add(messages)
    with FakeTwilio(latency=0.01) as fake:
        sender = TwilioSender(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_="Medex",
                                             base_url=fake.base_url,
                                             status_callback="https://medex.example/s"))
        report = Dispatcher(store, [sender], clock=lambda: start, concurrency=8).drain(50)
        keys = fake.accepted_keys()
    assert report.sent == 200 and report.lost_claims == 0
    assert sorted(keys) == sorted(m.key for m in messages)
    assert store.counts()[State.SENT] == 200
    with pytest.raises(ValueError, match="concurrency"):
        Dispatcher(store, [sender], concurrency=0)


def test_compose_sms_and_email() -> None:
    a = make_appointment(language="de")
    out = compose(a, Kind.CONVOCATION, organizer=ORGANIZER, now=NOW)
    assert [(m.channel, m.recipient) for m in out] == [(Channel.SMS, "+32470000001"),
                                                       (Channel.EMAIL, "victim@example.be")]
    assert all(m.key.startswith("A1:convocation:1:") and m.language == "de" for m in out)
    assert out[1].attachment is not None and b"METHOD:REQUEST" in out[1].attachment
    assert out[1].subject.startswith("Ihr Termin")
    assert out[0].attachment is None and out[0].subject == ""


def test_compose_reminder_goes_by_sms_or_else_by_email() -> None:
    both = compose(make_appointment(), Kind.REMINDER, organizer=ORGANIZER, now=NOW)
    assert [m.channel for m in both] == [Channel.SMS]
    mail_only = compose(make_appointment(phone=None), Kind.REMINDER, organizer=ORGANIZER,
                        now=NOW)
    assert [m.channel for m in mail_only] == [Channel.EMAIL]
    assert mail_only[0].attachment is None
    assert compose(make_appointment(phone=None, email=None), Kind.REMINDER,
                   organizer=ORGANIZER, now=NOW) == []


def test_compose_cancellation_needs_a_cancelled_appointment() -> None:
    with pytest.raises(ValueError, match="cancel"):
        compose(make_appointment(), Kind.CANCELLATION, organizer=ORGANIZER)
    with pytest.raises(ValueError, match="cancel"):
        compose(make_appointment(cancelled=True), Kind.CHANGE, organizer=ORGANIZER)
    out = compose(make_appointment(cancelled=True, revision=3), Kind.CANCELLATION,
                  organizer=ORGANIZER, now=NOW)
    assert out[1].attachment is not None and b"METHOD:CANCEL" in out[1].attachment


def test_messages_share_the_callers_transaction(tmp_path: Path) -> None:
    """Written with the change on the same connection: a rollback writes neither."""
    engine = sqlite_engine(str(tmp_path / "app.db"))
    store = SqlOutboxStore(engine)
    store.create_tables()
    change = Table("change", MetaData(), Column("id", Integer, primary_key=True))
    change.create(engine)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(change.insert().values(id=1))
        assert add_messages(conn, [sms(1)]) == 1
        raise RuntimeError("the booking failed after all")
    assert store.get(sms(1).key) is None
    with engine.begin() as conn:
        conn.execute(change.insert().values(id=1))
        add_messages(conn, [sms(1)])
    with engine.begin() as conn:  # the same message again: ignored
        assert add_messages(conn, [sms(1), sms(2)]) == 1
    assert store.counts()[State.PENDING] == 2


def test_two_workers_never_claim_the_same_message(tmp_path: Path) -> None:
    path = str(tmp_path / "two.db")
    SqlOutboxStore(sqlite_engine(path)).create_tables()
    SqlOutboxStore(sqlite_engine(path)).add([sms(n) for n in range(400)])
    claimed: list[list[str]] = [[], []]

    def work(i: int) -> None:
        store = SqlOutboxStore(sqlite_engine(path))  # its own connections
        while batch := store.claim(NOW, 7, timedelta(minutes=5)):
            claimed[i] += [c.message.key for c in batch]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = claimed[0] + claimed[1]
    assert len(everything) == 400 and len(set(everything)) == 400
