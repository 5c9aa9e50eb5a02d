"""The day-before reminders on the service's database: ``medex remind --date D`` (twice:
one reminder per appointment), ``medex worker --once`` to the file sender, the daily task
in the job queue (PostgreSQL) and the in-process timer and outbox thread (SQLite)."""

from __future__ import annotations

import json
import time as clock
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import notices
from api.cli import app
from api.cli_service import start_background
from api.jobs import (
    REMIND_TASK,
    REMINDERS_QUEUE,
    queue_app,
    reminder_cron,
    reminders_due_at,
)
from api.outbox import DailyTimer, next_run
from notify.reminders import ReminderDay, ReminderPolicy, reminder_day
from scheduler.calendar import DEFAULT_CALENDAR
from scheduler.domain import BRUSSELS
from tests.api.conftest import SECRET, Service, fresh_database, make_settings
from tests.api.test_notices import VICTIMS, appointments, outbox, publish_week

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WORKING = ReminderPolicy(day=ReminderDay.WORKING)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The reminders' present: before the test week, whatever the real date."""
    monkeypatch.setattr(notices, "aware_now", lambda: NOW)
    return NOW


def _reminder_days(svc: Service, policy: ReminderPolicy) -> dict[str, date]:
    return {ref: reminder_day(datetime.fromisoformat(a["start"]).date(), policy,
                              DEFAULT_CALENDAR.is_working_day)
            for ref, a in appointments(svc).items()}


@pytest.fixture
def sqlite_service(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    for url in fresh_database("sqlite", request, tmp_path):
        svc = Service(url)
        yield svc
        svc.close()


@pytest.mark.slow
def test_remind_twice_then_the_worker_sends_each_reminder_once(
        sqlite_service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        fixed_now: datetime) -> None:
    svc = sqlite_service
    publish_week(svc)
    sent = tmp_path / "sent.jsonl"
    for name, value in (("DATABASE_URL", svc.url), ("SECRET_KEY", SECRET),
                        ("SMS_BACKEND", "file"), ("OUTBOX_FILE", str(sent)),
                        ("REMINDER_DAY", "working")):
        monkeypatch.setenv(f"MEDEX_{name}", value)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    days = sorted(set(_reminder_days(svc, WORKING).values()))
    for day in days:
        first = runner.invoke(app, ["remind", "--date", day.isoformat()])
        assert first.exit_code == 0, first.output
        assert f"reminders of {day.isoformat()}" in first.output
        again = runner.invoke(app, ["remind", "--date", day.isoformat()])
        assert again.exit_code == 0 and ": 0 new," in again.output, again.output
    reminders = [r for r in outbox(svc) if r.kind == "reminder"]
    reachable = sum(1 for _, phone, email in VICTIMS if phone or email)
    assert len(reminders) == reachable
    assert len({r.appointment_id for r in reminders}) == reachable
    # by SMS, or by e-mail to a victim without a phone number
    assert sorted(r.channel for r in reminders) == ["email", "sms", "sms"]

    r = runner.invoke(app, ["worker", "--once"])
    assert r.exit_code == 0, r.output
    assert "outbox: 7 sent" in r.output  # 4 convocation notices and 3 reminders
    assert "outbox: 0 sent" in runner.invoke(app, ["worker", "--once"]).output
    lines = [json.loads(x) for x in sent.read_text().splitlines()]
    keys = Counter(x["key"] for x in lines)
    assert max(keys.values()) == 1
    assert sum(1 for k in keys if ":reminder:" in k) == reachable


def test_remind_refuses_a_bad_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDEX_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    r = CliRunner().invoke(app, ["remind", "--date", "7/12/2026"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_the_daily_task_runs_at_the_brussels_hour_in_winter_and_summer() -> None:
    policy = ReminderPolicy(send_at=time(10, 0))
    assert reminder_cron(policy) == "0 8,9 * * *"
    assert reminder_cron(ReminderPolicy(send_at=time(1, 30))) == "30 0,23 * * *"
    winter = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 10:00 CET
    summer = datetime(2026, 7, 3, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert reminders_due_at(int(winter.timestamp()), policy)
    assert not reminders_due_at(int((winter - timedelta(hours=1)).timestamp()), policy)
    assert reminders_due_at(int(summer.timestamp()), policy)
    assert not reminders_due_at(int((summer + timedelta(hours=1)).timestamp()), policy)


def test_next_run_across_the_change_to_summer_time() -> None:
    at = time(10, 0)
    before = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)  # Saturday, the clocks go forward
    assert next_run(before, at) == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert next_run(datetime(2027, 3, 28, 7, 59, tzinfo=UTC), at) == datetime(
        2027, 3, 28, 8, 0, tzinfo=UTC)
    assert next_run(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), at) == datetime(
        2026, 12, 5, 9, 0, tzinfo=UTC)


def test_the_timer_catches_up_at_start_then_waits_for_the_hour() -> None:
    days: list[date] = []
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    timer = DailyTimer(days.append, time(10, 0), clock=lambda: now).start()
    deadline = clock.monotonic() + 5
    while not days and clock.monotonic() < deadline:
        clock.sleep(0.01)
    timer.stop()
    assert days == [date(2026, 12, 4)]
    early: list[date] = []
    timer = DailyTimer(early.append, time(23, 59), clock=lambda: now).start()
    clock.sleep(0.1)
    timer.stop()
    assert early == []


@pytest.mark.slow
def test_serve_sends_the_outbox_and_reminds_in_process(
        sqlite_service: Service, tmp_path: Path, fixed_now: datetime) -> None:
    svc = sqlite_service
    sent = tmp_path / "sent.jsonl"
    settings = make_settings(svc.url, sms_backend="file", outbox_file=sent, outbox_poll_s=0.1,
                             reminder_at=time(0, 0))
    background = start_background(settings, svc.db)
    try:
        publish_week(svc)
        deadline = clock.monotonic() + 30
        while clock.monotonic() < deadline:
            if sent.exists() and len(sent.read_text().splitlines()) >= 4:
                break
            clock.sleep(0.1)
    finally:
        for task in background:
            task.stop()
    keys = [json.loads(x)["key"] for x in sent.read_text().splitlines()]
    assert sorted(k.split(":")[1] for k in keys) == ["convocation"] * 4


@pytest.mark.slow
def test_the_daily_task_in_the_job_queue_writes_the_reminders(
        request: pytest.FixtureRequest, tmp_path: Path, fixed_now: datetime) -> None:
    for url in fresh_database("postgresql", request, tmp_path):
        svc = Service(url, reminder_day="working")
        try:
            publish_week(svc)
            booked = appointments(svc)
            reachable = {ref for ref in booked  # C000001 is the first victim of the file
                         if any(VICTIMS[int(ref[1:]) - 1][1:])}
            days = _reminder_days(svc, WORKING)
            day = min(days[ref] for ref in reachable)
            expected = {str(booked[ref]["id"]) for ref in reachable if days[ref] == day}
            queue = queue_app(svc.settings)
            [periodic] = queue.periodic_registry.periodic_tasks.values()
            assert periodic.cron == reminder_cron(svc.settings.reminder_policy)
            at_ten = datetime.combine(day, time(10, 0), tzinfo=BRUSSELS)
            with queue.open():
                for moment in (at_ten - timedelta(hours=1), at_ten):  # the other offset, then
                    queue.tasks[REMIND_TASK].defer(timestamp=int(moment.timestamp()))
            queue.run_worker(queues=[REMINDERS_QUEUE], wait=False,
                             install_signal_handlers=False, listen_notify=False)
            reminded = {r.appointment_id for r in outbox(svc) if r.kind == "reminder"}
            assert expected and reminded == expected
        finally:
            svc.close()
