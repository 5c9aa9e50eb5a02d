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


def test_serve_refuses_several_processes_on_sqlite(sqlite_env: str) -> None:
    result = runner.invoke(app, ["serve", "--workers", "2", "--no-demo"])
    assert result.exit_code == 2
    assert "--workers" in result.output and "PostgreSQL" in result.output


def _tree(pid: int) -> set[int]:
    """``pid`` and its descendants (Linux /proc)."""
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        out.add(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            todo.extend(int(c) for c in task.read_text().split())
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_serve_from_several_processes_on_postgresql(empty_pg_url: str, tmp_path: Path) -> None:
    """Two server processes answer from the same PostgreSQL, each with the same secret: a
    victim's link signed by one opens in the other."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from api.links import VictimLinks
    from tests.api.conftest import make_settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secret = "serve-secret-0123456789abcdef"
    env = dict(os.environ, MEDEX_DATABASE_URL=empty_pg_url, MEDEX_SECRET_KEY=secret,
               MEDEX_FEED_SECRET=secret, MEDEX_ENVIRONMENT="test")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "medex"), "serve", "--port", str(port), "--workers", "2",
         "--convocations", "20"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
        workers = _tree(server.pid) - {server.pid}
        assert len(workers) >= 2, "expected two server processes"
        assert httpx.get(f"{base}/healthz").json()["database"] == "postgresql"
        db = Database(empty_pg_url)
        victim = demo_victim(db)
        db.dispose()
        assert victim is not None
        token = VictimLinks.from_settings(make_settings(empty_pg_url, secret_key=secret)).token(
            victim[0], generation=victim[1])
        # fresh connections: the requests are spread over the processes
        answers = [httpx.get(f"{base}/api/v/{token}", timeout=10) for _ in range(8)]
        assert all(r.status_code == 200 for r in answers), [r.status_code for r in answers]
        assert len({r.json()["id"] for r in answers}) == 1
        # with no MEDEX_PUBLIC_BASE_URL, the links a process issues lead to this server
        from api.seed import DEMO_PASSWORD, DemoUsers

        login = httpx.post(f"{base}/api/auth/token", data={
            "username": DemoUsers().planner, "password": DEMO_PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for _ in range(4):  # whichever process answers
            issued = httpx.post(f"{base}/api/convocations/{victim[0]}/link", json={},
                                headers=bearer, timeout=10)
            assert issued.status_code == 200, issued.text
            assert issued.json()["url"].startswith(f"{base}/v/"), issued.json()
    finally:
        server.terminate()
        server.wait(timeout=20)
