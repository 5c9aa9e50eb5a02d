"""The service's commands: db upgrade, import, create-user; the demo data that serve loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from api.cli import app
from api.db import Database
from api.migrate import upgrade
from api.seed import demo_victim, is_empty, load_demo
from api.tables import Convocation, Doctor, DoctorSession, User, Victim
from tests.api.helpers import convocations_csv

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MEDEX_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def test_db_upgrade_then_import_all_or_nothing(sqlite_env: str, tmp_path: Path) -> None:
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    good = tmp_path / "good.csv"
    good.write_text(convocations_csv(2), encoding="utf-8")
    r = runner.invoke(app, ["import", "convocations", str(good)])
    assert r.exit_code == 0 and "2 convocations imported" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text(convocations_csv(1).replace(",1000,", ",0000,"), encoding="utf-8")
    r = runner.invoke(app, ["import", "convocations", str(bad)])
    assert r.exit_code == 2
    assert "row 2, column postcode" in r.output
    db = Database(sqlite_env)
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(Convocation)).one() == 2
    db.dispose()


def test_create_user(sqlite_env: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    r = runner.invoke(app, ["create-user", "ann@medex.test", "--role", "planner",
                            "--password", "a long passphrase"])
    assert r.exit_code == 0, r.output
    db = Database(sqlite_env)
    with db.session() as s:
        user = s.exec(select(User)).one()
        assert user.role == "planner" and user.password_hash.startswith("$argon2")
    db.dispose()


def test_the_demo_data_fills_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        assert is_empty(s)
    week = load_demo(db, convocations=30, week_start=date(2026, 12, 14))
    assert week == date(2026, 12, 14)
    with db.session() as s:
        assert not is_empty(s)
        assert s.exec(select(func.count()).select_from(Convocation)).one() == 30
        assert s.exec(select(func.count()).select_from(Victim)).one() == 30
        assert s.exec(select(func.count()).select_from(Doctor)).one() >= 2
        assert s.exec(select(func.count()).select_from(DoctorSession)).one() > 0
        assert s.exec(select(func.count()).select_from(User)).one() == 5
        hr = s.exec(select(User).where(User.role == "employer")).one()
        assert hr.employer_id is not None
        theirs = s.exec(select(Convocation).where(Convocation.employer_id == hr.employer_id)
                        ).all()
        assert 0 < len(theirs) < 30
        for conv in theirs:
            victim = s.get(Victim, conv.victim_id)
            assert victim is not None and victim.employer_id == hr.employer_id
    assert demo_victim(db) is not None
    db.dispose()
