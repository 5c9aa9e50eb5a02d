"""The service's settings: one pydantic-settings class, read from ``MEDEX_*`` variables.

Nothing here is created at import time: :func:`api.app.create_app` takes a
:class:`Settings` and builds the engine, the job runner and the routes from it.

``MEDEX_DATABASE_URL`` selects the database: the default is an SQLite file (embedded, no
set-up); ``postgresql+psycopg://user@host/db`` selects PostgreSQL, whose job queue
(procrastinate) then lets several machines run planning jobs.  Outside ``development`` the
default secret key is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-this-secret"
Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDEX_", env_file=".env", extra="ignore")

    environment: Environment = "development"
    database_url: str = "sqlite:///medex.db"
    """SQLAlchemy URL; ``sqlite:///path`` or ``postgresql+psycopg://user@host:port/db``."""
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    """Signs session cookies and bearer tokens."""
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

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        if self.environment != "development":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 16:
                raise ValueError(
                    f"MEDEX_SECRET_KEY: the default or a short secret (< 16 characters) is "
                    f"refused when MEDEX_ENVIRONMENT={self.environment}; set a long random one")
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
