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
