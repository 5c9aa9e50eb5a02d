"""The service's settings: one pydantic-settings class, read from ``MEDEX_*`` variables.

Nothing here is created at import time: :func:`api.app.create_app` takes a
:class:`Settings` and builds the engine, the job runner and the routes from it.

``MEDEX_DATABASE_URL`` selects the database: the default is an SQLite file (embedded, no
set-up); ``postgresql+psycopg://user@host/db`` selects PostgreSQL, whose job queue
(procrastinate) then lets several machines run planning jobs.  Outside ``development`` the
default secret key and the default feed secret are refused.

Messages to victims go to the console by default (``MEDEX_SMS_BACKEND=console``), or to a
file of JSON lines (``file``), or through Twilio (``twilio``, with the account's SID, auth
token and sender); e-mails go through SMTP when ``MEDEX_SMTP_HOST`` is set, else where the
SMS go (the console or the file).
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from notify.reminders import ReminderDay, ReminderPolicy

DEFAULT_SECRET = "change-this-secret"
DEFAULT_FEED_SECRET = "change-this-feed-secret"
Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDEX_", env_file=".env", extra="ignore")

    environment: Environment = "development"
    database_url: str = "sqlite:///medex.db"
    """SQLAlchemy URL; ``sqlite:///path`` or ``postgresql+psycopg://user@host:port/db``."""
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    """Signs session cookies, bearer tokens and the victims' personal links."""
    session_cookie: str = "medex_session"
    session_max_age_s: int = 8 * 3600
    job_runner: Literal["auto", "inprocess", "procrastinate"] = "auto"
    """``auto``: procrastinate on PostgreSQL, the in-process runner on SQLite."""
    plan_time_limit_s: float = 20.0
    """Default seconds a planning job may use."""
    plan_workers: int = 1
    """Solver threads per planning job."""
    change_penalty: int = 500
    """Cost of moving a published appointment when re-planning without pins."""
    admin_email: str = "admin@medex.example"
    admin_password: SecretStr | None = None
    """When set, ``medex db upgrade`` and ``medex serve`` create this admin if absent."""

    # -- messages to victims
    public_base_url: str = "http://127.0.0.1:8000"
    """The service's address as victims and Twilio reach it (behind a proxy: the public
    one): the personal links, the doctors' feed URLs and Twilio's callbacks start with it."""
    sms_backend: Literal["console", "file", "twilio"] = "console"
    outbox_file: Path = Path("medex-outbox.jsonl")
    """Where the ``file`` backend appends each message as a JSON line."""
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    """Also checks the signature of Twilio's callbacks."""
    twilio_from: str | None = None
    """A Twilio number or an alphanumeric sender id (``Medex``)..."""
    twilio_messaging_service_sid: str | None = None
    """... or a messaging service."""
    twilio_base_url: str | None = None
    """Another Twilio API host (a local fake server in tests); default: Twilio's own."""
    smtp_host: str | None = None
    """E-mails (with the invite attached) go through this SMTP server when set."""
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    """Implicit TLS (port 465) instead of STARTTLS."""
    mail_from: str = "Medex <noreply@medex.belgium.be>"
    organizer_email: str = "planning@medex.belgium.be"
    """The invites' organizer: an address victims may write to."""
    outbox_concurrency: int = 4
    """Messages sent at once by one outbox worker."""
    outbox_poll_s: float = 2.0
    """How often an idle outbox worker looks for due messages."""
    reminder_day: ReminderDay = ReminderDay.CALENDAR
    """``calendar``: the day before the exam; ``working``: the previous working day
    (Monday's exams are reminded on Friday)."""
    reminder_at: time = time(10, 0)
    """When the daily reminder task runs, Europe/Brussels time."""
    feed_secret: SecretStr = SecretStr(DEFAULT_FEED_SECRET)
    """Makes the doctors' private calendar-feed URLs."""

    # -- victims online
    victim_cutoff_hours: int | None = None
    """Hours before the start after which a victim (or their employer) may no longer
    reschedule or cancel online; ``None``: up to the appointment's start."""
    link_valid_days: int = 90
    """How long a victim's personal link stays valid."""
    http_threads: int = 200
    """Threads of the server's pool for its synchronous routes and dependencies; above the
    requests expected at once, so that those waiting for the database never starve the one
    holding it (anyio's default, 40, does under a burst of bookings)."""

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(f"{value!r} is not http(s)://host[:port][/path]")
        return value.rstrip("/")

    @field_validator("victim_cutoff_hours")
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("must be 0 or more hours (or unset: until the start)")
        return value

    booking_threads: int | None = None
    """The threads that run the victims' bookings, each booking whole in one of them, from
    reading the link to the commit (default: 1 on SQLite, 2 per server process on
    PostgreSQL).  The work is CPU-bound in one interpreter: more threads only share it with
    the booking that holds the locks (measured on SQLite: more CPU per booking and fewer
    bookings a second with 4 than with 1); the rest wait their turn without taking any of
    it.  PostgreSQL's bookings also wait on the network and on locks, hence two."""

    read_threads: int | None = None
    """The threads that run what the victims' pages and API only show (the convocation, the
    offered slots, a 409's alternatives; each request whole in one of them; default: 1 on
    SQLite, 2 per server process on PostgreSQL): several computing slots at once take the
    interpreter from the booking that holds the locks (measured on SQLite: with 2 and 2
    threads the CPU per request rose by a third over 1 and 1)."""

    @field_validator("outbox_concurrency", "link_valid_days", "http_threads",
                     "booking_threads", "read_threads")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be at least 1")
        return value

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        if self.environment != "development":
            for name, secret, default in (("MEDEX_SECRET_KEY", self.secret_key, DEFAULT_SECRET),
                                          ("MEDEX_FEED_SECRET", self.feed_secret,
                                           DEFAULT_FEED_SECRET)):
                value = secret.get_secret_value()
                if value == default or len(value) < 16:
                    raise ValueError(
                        f"{name}: the default or a short secret (< 16 characters) is refused "
                        f"when MEDEX_ENVIRONMENT={self.environment}; set a long random one")
        return self

    @model_validator(mode="after")
    def _twilio_complete(self) -> Settings:
        if self.sms_backend == "twilio":
            missing = [name for name, value in (
                ("MEDEX_TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("MEDEX_TWILIO_AUTH_TOKEN", self.twilio_auth_token)) if not value]
            if not (self.twilio_from or self.twilio_messaging_service_sid):
                missing.append("MEDEX_TWILIO_FROM or MEDEX_TWILIO_MESSAGING_SERVICE_SID")
            if missing:
                raise ValueError(f"MEDEX_SMS_BACKEND=twilio needs {', '.join(missing)}")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runner(self) -> Literal["inprocess", "procrastinate"]:
        if self.job_runner == "auto":
            return "inprocess" if self.is_sqlite else "procrastinate"
        return self.job_runner

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production"

    @property
    def reminder_policy(self) -> ReminderPolicy:
        return ReminderPolicy(day=self.reminder_day, send_at=self.reminder_at)

    @property
    def email_backend(self) -> Literal["smtp", "console", "file"]:
        if self.smtp_host:
            return "smtp"
        return "file" if self.sms_backend == "file" else "console"
