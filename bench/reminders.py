"""5,000 day-before reminders through the outbox and the real twilio client, to the fake
Twilio server on the loopback interface.

Run: ``.venv/bin/python bench/reminders.py [--count 5000] [--runs 3] [--concurrency 1 8]
[--latency 0 0.05]``.

Per run, in a fresh SQLite outbox: *write* renders the reminders (Babel dates, the four
languages) and writes them to the outbox in one transaction, as ``medex remind`` does;
*send* drains the outbox in batches of 100 through ``TwilioSender`` (HTTP to the fake
server, one outbox transaction per message).  ``--latency`` makes each API call take that
long, as a distant API does (Twilio's answers are typically 0.1-0.3 s away from Brussels);
``--concurrency`` is the number of messages of a batch in flight at once.  Every run checks
that each reminder reached the server exactly once.  Medians of ``--runs``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from notify.ics import Organizer
from notify.model import Appointment, Contact, Kind, Venue
from notify.outbox import Dispatcher, State, compose
from notify.outbox_sql import SqlOutboxStore, sqlite_engine
from notify.sms import TwilioSender, TwilioSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake server in tests/
from tests.notify.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

log = logging.getLogger("bench.reminders")
ORGANIZER = Organizer("planning@medex.example")
VENUES = [Venue("GNT", "Medex Gent", "Kortrijksesteenweg 1, 9000 Gent"),
          Venue("LGG", "Medex Liège", "Rue des Guillemins 2, 4000 Liège"),
          Venue("EUP", "Medex Eupen", "Bahnhofstraße 4, 4700 Eupen"),
          Venue.home("Kerkstraat 1, 9000 Gent")]


def _appointments(count: int) -> list[Appointment]:
    day = datetime(2026, 12, 8, 8, 30)
    return [Appointment(
        id=f"B{n}", revision=1, convocation=f"C{n}", doctor=f"D{n % 40}",
        start=day + timedelta(minutes=5 * (n % 96)),
        end=day + timedelta(minutes=5 * (n % 96) + 30),
        venue=VENUES[n % len(VENUES)],
        contact=Contact(("nl", "fr", "de", "en")[n % 4], phone=f"+3247{n:07d}"),
        link=f"https://medex.example/a/{n:06d}q") for n in range(count)]


def _run(count: int, concurrency: int, latency: float) -> tuple[float, float]:
    appointments = _appointments(count)
    with tempfile.TemporaryDirectory() as tmp, FakeTwilio(latency=latency) as fake:
        store = SqlOutboxStore(sqlite_engine(str(Path(tmp) / "outbox.db")))
        store.create_tables()
        t0 = time.perf_counter()
        now = datetime.now(UTC)
        messages = [m for a in appointments
                    for m in compose(a, Kind.REMINDER, organizer=ORGANIZER, now=now)]
        assert store.add(messages) == count
        t1 = time.perf_counter()
        sender = TwilioSender(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_="Medex",
                                             base_url=fake.base_url,
                                             status_callback="https://medex.example/s"))
        report = Dispatcher(store, [sender], concurrency=concurrency).drain(limit=100)
        t2 = time.perf_counter()
        keys = fake.accepted_keys()
        assert report.sent == count and store.counts()[State.SENT] == count
        assert len(keys) == count and max(Counter(keys).values()) == 1
    return t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("twilio").setLevel(logging.WARNING)  # it traces every request at INFO
    log.info("%d reminders, median of %d runs", args.count, args.runs)
    log.info("%-9s %-11s %10s %10s %12s", "latency", "concurrency", "write s", "send s",
             "sent/s")
    for latency in args.latency:
        for concurrency in args.concurrency:
            runs = [_run(args.count, concurrency, latency) for _ in range(args.runs)]
            write = statistics.median(r[0] for r in runs)
            send = statistics.median(r[1] for r in runs)
            log.info("%-9s %-11d %10.2f %10.2f %12.0f", f"{latency * 1000:.0f} ms", concurrency,
                     write, send, args.count / send)
    return 0


if __name__ == "__main__":
    sys.exit(main())
