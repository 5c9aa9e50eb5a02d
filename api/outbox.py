"""The outbox worker and the daily reminders, as the service runs them.

* :func:`make_senders` picks the senders from the settings: the SMS to the console (the
  default), to a file of JSON lines, or through Twilio; the e-mails through SMTP when it is
  configured, else where the SMS go (console or file).
* :func:`make_dispatcher` is :class:`notify.outbox.Dispatcher` on the service's database.
* :class:`Drainer` drains the outbox in a thread until stopped: ``medex worker`` runs one,
  and so does ``medex serve`` with the in-process runner (the SQLite default), so the
  embedded set-up sends without a separate worker.
* :class:`DailyTimer` runs the day-before reminders at the configured hour (Europe/Brussels)
  with the in-process runner; on PostgreSQL the job queue's periodic task does
  (:mod:`api.jobs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from api.config import Settings
from notify.mail import SmtpSender, SmtpSettings
from notify.model import Channel
from notify.outbox import Dispatcher, DrainReport, OutboxMessage, Sender
from notify.outbox_sql import SqlOptOuts, SqlOutboxStore
from notify.senders import ConsoleSender, FileSender
from notify.sms import TwilioSender, TwilioSettings
from scheduler.domain import BRUSSELS

log = logging.getLogger(__name__)
BATCH = 100
STATUS_PATH = "/twilio/status"
INBOUND_PATH = "/twilio/inbound"


def quiet_twilio() -> None:
    """The twilio client logs every request at INFO; only its warnings are kept."""
    logging.getLogger("twilio").setLevel(logging.WARNING)


def twilio_settings(settings: Settings) -> TwilioSettings:
    token = settings.twilio_auth_token
    return TwilioSettings(
        account_sid=settings.twilio_account_sid or "",
        auth_token=token.get_secret_value() if token else "",
        from_=settings.twilio_from, messaging_service_sid=settings.twilio_messaging_service_sid,
        status_callback=settings.public_base_url + STATUS_PATH,
        base_url=settings.twilio_base_url)


def smtp_settings(settings: Settings) -> SmtpSettings:
    password = settings.smtp_password
    return SmtpSettings(host=settings.smtp_host or "", port=settings.smtp_port,
                        sender=settings.mail_from, username=settings.smtp_username,
                        password=password.get_secret_value() if password else None,
                        starttls=settings.smtp_starttls and not settings.smtp_ssl,
                        ssl=settings.smtp_ssl, reply_to=settings.organizer_email)


class OnChannel:
    """A sender that also serves another channel (one file, one lock, for SMS and e-mail)."""

    def __init__(self, sender: Sender, channel: Channel):
        self.sender = sender
        self.channel = channel

    def send(self, message: OutboxMessage, attempt: int) -> str:
        return self.sender.send(message, attempt)

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None:
        return self.sender.find_sent(message, since)


def make_senders(settings: Settings) -> list[Sender]:
    """One sender per channel, as the settings say."""
    sms: Sender
    if settings.sms_backend == "twilio":
        sms = TwilioSender(twilio_settings(settings))
    elif settings.sms_backend == "file":
        sms = FileSender(Channel.SMS, settings.outbox_file)
    else:
        sms = ConsoleSender(Channel.SMS)
    email: Sender
    if settings.email_backend == "smtp":
        email = SmtpSender(smtp_settings(settings))
    elif settings.email_backend == "file":
        email = (OnChannel(sms, Channel.EMAIL) if isinstance(sms, FileSender)
                 else FileSender(Channel.EMAIL, settings.outbox_file))
    else:
        email = ConsoleSender(Channel.EMAIL)
    return [sms, email]


def make_dispatcher(settings: Settings, engine: Engine) -> Dispatcher:
    quiet_twilio()
    return Dispatcher(SqlOutboxStore(engine), make_senders(settings),
                      opt_outs=SqlOptOuts(engine), concurrency=settings.outbox_concurrency)


def drain_once(settings: Settings, engine: Engine) -> DrainReport:
    """Send everything due now, then return (``medex worker --once``)."""
    return make_dispatcher(settings, engine).drain(limit=BATCH)


class Drainer:
    """Drains the outbox in a background thread: everything due, then a pause of
    ``poll_s`` when nothing was due.  A failing database is logged and tried again."""

    def __init__(self, dispatcher: Dispatcher, poll_s: float = 2.0, batch: int = BATCH):
        self.dispatcher = dispatcher
        self.poll_s = poll_s
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.total = DrainReport()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.dispatcher.drain(limit=self.batch)
            except Exception:
                log.exception("the outbox worker failed; trying again in %.0f s", self.poll_s)
                report = DrainReport()
            self.total += report
            if report.claimed:
                log.info("outbox: %d sent, %d already with the provider, %d to retry, "
                         "%d failed", report.sent, report.found, report.retried, report.failed)
            self._stop.wait(self.poll_s)

    def start(self) -> Drainer:
        self._thread = threading.Thread(target=self.run, name="medex-outbox", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def next_run(after: datetime, at: time) -> datetime:
    """The first moment after ``after`` (aware) when it is ``at`` in Brussels."""
    local = after.astimezone(BRUSSELS)
    day = local.date()
    for _ in range(3):
        candidate = datetime.combine(day, at, tzinfo=BRUSSELS)
        if candidate > local:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("unreachable")  # pragma: no cover


class DailyTimer:
    """Calls ``job(day)`` every day at ``at`` (Europe/Brussels) in a background thread;
    at start, once for today when ``at`` has passed already (the job is idempotent, so a
    restart catches up on a missed run and repeats nothing)."""

    def __init__(self, job: Callable[[date], object], at: time, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 catch_up: bool = True):
        self.job = job
        self.at = at
        self.clock = clock
        self.catch_up = catch_up
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run_for(self, day: date) -> None:
        try:
            self.job(day)
        except Exception:
            log.exception("the daily job of %s failed", day)

    def run(self) -> None:
        now = self.clock()
        local = now.astimezone(BRUSSELS)
        if self.catch_up and local.time() >= self.at:
            self._run_for(local.date())
        while not self._stop.is_set():
            when = next_run(self.clock(), self.at)
            if self._stop.wait(max(0.0, (when - self.clock()).total_seconds())):
                break
            self._run_for(when.astimezone(BRUSSELS).date())

    def start(self) -> DailyTimer:
        self._thread = threading.Thread(target=self.run, name="medex-daily", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
