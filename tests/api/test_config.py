"""Settings: defaults for development, the default secret refused anywhere else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.config import DEFAULT_SECRET, Settings


def test_development_runs_on_the_sqlite_default_with_the_in_process_runner() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.environment == "development"
    assert s.is_sqlite and s.runner == "inprocess"
    assert s.secret_key.get_secret_value() == DEFAULT_SECRET


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="MEDEX_SECRET_KEY"):
        Settings(environment=environment, _env_file=None)  # type: ignore[call-arg]


def test_a_short_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="short secret"):
        Settings(environment="production", secret_key="abc",  # type: ignore[arg-type]
                 _env_file=None)  # type: ignore[call-arg]


def test_postgresql_selects_the_job_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDEX_DATABASE_URL", "postgresql+psycopg://u@h/db")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not s.is_sqlite and s.runner == "procrastinate"


def test_the_default_feed_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="MEDEX_FEED_SECRET"):
        Settings(environment="production", secret_key="a-long-random-secret-0123",  # type: ignore[arg-type]
                 _env_file=None)  # type: ignore[call-arg]


def test_messages_default_to_the_console_without_accounts() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.sms_backend == "console" and s.email_backend == "console"
    assert s.reminder_policy.day.value == "calendar" and s.reminder_policy.cron() == "0 10 * * *"


def test_twilio_needs_its_account_token_and_sender() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(sms_backend="twilio", twilio_account_sid="AC1", _env_file=None)  # type: ignore[call-arg]
    text = str(info.value)
    assert "MEDEX_TWILIO_AUTH_TOKEN" in text and "MEDEX_TWILIO_FROM" in text
    assert "MEDEX_TWILIO_ACCOUNT_SID" not in text


def test_message_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("REMINDER_DAY", "working"), ("REMINDER_AT", "18:30"),
                        ("PUBLIC_BASE_URL", "https://planner.medex.be/"),
                        ("SMS_BACKEND", "file"), ("SMTP_HOST", "smtp.medex.be"),
                        ("OUTBOX_CONCURRENCY", "8")):
        monkeypatch.setenv(f"MEDEX_{name}", value)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.reminder_policy.cron() == "30 18 * * *" and s.reminder_day.value == "working"
    assert s.public_base_url == "https://planner.medex.be"
    assert s.email_backend == "smtp" and s.outbox_concurrency == 8
    monkeypatch.setenv("MEDEX_PUBLIC_BASE_URL", "planner.medex.be")
    with pytest.raises(ValidationError, match="http"):
        Settings(_env_file=None)  # type: ignore[call-arg]
