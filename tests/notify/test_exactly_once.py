"""Exactly once: a worker killed in the middle of a batch of 1,000 reminders, then re-run.

The worker is a separate process draining an outbox in a SQLite file through the real
twilio client to the fake Twilio server.  It is killed (SIGKILL) at the worst moment:
Twilio has accepted a message whose answer has not arrived, so the outbox still says
``sending``, with the rest of its batch claimed but not sent.  A new worker then drains
the outbox: every reminder reaches Twilio exactly once (no idempotency key twice, none
missing), and every outbox row is ``sent`` with the sid Twilio gave it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from notify.model import Kind
from notify.outbox import Dispatcher, State, compose
from notify.outbox_sql import SqlOutboxStore, sqlite_engine
from notify.sms import TwilioSender, TwilioSettings
from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN, ORGANIZER, make_appointment
from tests.notify.fake_twilio import FakeTwilio

N = 1000
LEASE = timedelta(seconds=30)
CALLBACK = "https://medex.example/twilio/status"


def _sender(base_url: str) -> TwilioSender:
    return TwilioSender(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_="Medex",
                                       base_url=base_url, status_callback=CALLBACK,
                                       timeout=10))


def _drain(db: str, base_url: str) -> None:
    """The worker process: drain in batches of 100 until killed or done."""
    store = SqlOutboxStore(sqlite_engine(db))
    Dispatcher(store, [_sender(base_url)], lease=LEASE).drain(limit=100)


def _fill(db: str) -> tuple[SqlOutboxStore, list[str]]:
    store = SqlOutboxStore(sqlite_engine(db))
    store.create_tables()
    now = datetime.now(UTC)
    messages = []
    for n in range(N):
        a = make_appointment(n, language=("nl", "fr", "de", "en")[n % 4],
                             phone=f"+3247{n:07d}", email=None,
                             start=datetime(2026, 12, 8, 8, 30) + timedelta(minutes=n % 90))
        messages += compose(a, Kind.REMINDER, organizer=ORGANIZER, now=now)
    assert store.add(messages) == N
    return store, [m.key for m in messages]


def test_killed_worker_then_rerun_sends_every_reminder_exactly_once(tmp_path: Path) -> None:
    db = str(tmp_path / "outbox.db")
    store, keys = _fill(db)
    with FakeTwilio() as fake:
        held = fake.hold_after(437, seconds=30)
        worker = multiprocessing.get_context("spawn").Process(
            target=_drain, args=(db, fake.base_url), daemon=True)
        worker.start()
        assert held.wait(timeout=120), "the worker never reached the 437th message"
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=30)
        assert worker.exitcode == -signal.SIGKILL

        counts = store.counts()
        assert fake.accepted_count() == 437
        assert counts[State.SENT] == 436  # the 437th is accepted but not recorded
        assert counts[State.SENDING] == 64  # the rest of its batch: claimed, in doubt
        assert counts[State.PENDING] == N - 500

        # the re-run, once the dead worker's lease has run out
        later = datetime.now(UTC) + LEASE
        report = Dispatcher(store, [_sender(fake.base_url)], lease=LEASE,
                            clock=lambda: later).drain(limit=100)
        assert report.found == 1  # the 437th: Twilio has it, so it is not sent again
        assert report.sent == N - 437 and report.failed == 0 and report.retried == 0

        accepted = fake.accepted_keys()
        assert len(accepted) == N
        assert [k for k, n in Counter(accepted).items() if n > 1] == []
        assert set(accepted) == set(keys)
        sids = {k: m["sid"] for k, m in zip(accepted, fake.messages, strict=True)}
        assert store.counts()[State.SENT] == N
        for key in keys[::50]:
            record = store.get(key)
            assert record is not None and record.provider_id == sids[key]
        lookups = [r for r in fake.requests if r.method == "GET"]
        assert len(lookups) == 64  # only the in-doubt ones were looked up
