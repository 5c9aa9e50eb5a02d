"""Alembic environment: the models' metadata, the URL from the settings or the caller."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context

from api.config import Settings
from api.db import make_engine
from api.migrate import include_name
from api.tables import METADATA

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return str(config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
               or Settings().database_url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=METADATA, literal_binds=True,
                      render_as_batch=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:  # a table rebuilt in batch mode must not cascade its drop
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
            _run(conn)
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                conn.commit()
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    finally:
        engine.dispose()


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True,
                      include_name=include_name, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
