"""The migrations build the schema from nothing on both databases, and match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db import make_engine
from api.migrate import current_head, include_name, upgrade
from api.tables import METADATA


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_name": include_name})
            return list(compare_metadata(context, METADATA))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_on_a_new_sqlite_file_builds_every_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    assert set(METADATA.tables) | {"alembic_version"} == _tables(url)
    assert _diff(url) == []


def test_upgrade_head_on_a_new_postgresql_database_matches_the_models(empty_pg_url: str
                                                                       ) -> None:
    upgrade(empty_pg_url)
    tables = _tables(empty_pg_url)
    assert set(METADATA.tables) <= tables
    assert "procrastinate_jobs" in tables  # the job queue's schema comes with the migrations
    assert _diff(empty_pg_url) == []


def test_one_head() -> None:
    assert current_head() == "0006"
