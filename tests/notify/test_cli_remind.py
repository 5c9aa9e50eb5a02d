"""``medex remind --date D`` on an in-memory store (api/cli_remind.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from typer.testing import CliRunner

from api.cli_remind import RemindContext, make_remind_command, remind_today, run_remind
from notify.outbox import MemoryOutboxStore, State
from notify.reminders import ReminderDay, ReminderPolicy
from scheduler.calendar import WorkingCalendar
from tests.notify.conftest import NOW, ORGANIZER
from tests.notify.test_reminders import Source, _week


def _context(store: MemoryOutboxStore, policy: ReminderPolicy | None = None) -> RemindContext:
    return RemindContext(source=Source(_week()), add=store.add,
                         policy=policy or ReminderPolicy(day=ReminderDay.WORKING),
                         is_working_day=WorkingCalendar().is_working_day,
                         organizer=ORGANIZER, clock=lambda: NOW)


def _app(store: MemoryOutboxStore) -> typer.Typer:
    app = typer.Typer()
    app.command("remind")(make_remind_command(lambda: _context(store)))

    @app.command("other")
    def other() -> None:  # a second command, so that "remind" is a subcommand
        pass

    return app


def test_remind_command_is_idempotent() -> None:
    store = MemoryOutboxStore()
    runner = CliRunner()
    first = runner.invoke(_app(store), ["remind", "--date", "2026-12-04"])
    assert first.exit_code == 0, first.output
    assert "exam days     2026-12-05, 2026-12-06, 2026-12-07" in first.output
    assert "messages      3: 3 new, 0 already in the outbox" in first.output
    assert "unreachable   1" in first.output and "A4" in first.output
    second = runner.invoke(_app(store), ["remind", "--date", "2026-12-04"])
    assert "messages      3: 0 new, 3 already in the outbox" in second.output
    assert store.counts()[State.PENDING] == 3


def test_dry_run_writes_nothing() -> None:
    store = MemoryOutboxStore()
    result = CliRunner().invoke(_app(store), ["remind", "--date", "2026-12-04", "--dry-run"])
    assert result.exit_code == 0 and "dry run" in result.output
    assert sum(store.counts().values()) == 0


def test_bad_date_is_an_input_error() -> None:
    result = CliRunner().invoke(_app(MemoryOutboxStore()), ["remind", "--date", "04/12/2026"])
    assert result.exit_code == 2
    assert "--date" in result.output and "YYYY-MM-DD" in result.output


def test_default_is_today_in_brussels() -> None:
    store = MemoryOutboxStore()
    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # already Friday 4 in Brussels
    context = RemindContext(source=Source(_week()), add=store.add,
                            policy=ReminderPolicy(day=ReminderDay.WORKING),
                            is_working_day=WorkingCalendar().is_working_day,
                            organizer=ORGANIZER, clock=lambda: late)
    report = remind_today(context)
    assert report.send_day.isoformat() == "2026-12-04" and report.new == 3
    app = typer.Typer()
    app.command("remind")(make_remind_command(lambda: context))
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["remind"])
    assert "reminders of 2026-12-04" in result.output


def test_run_remind_with_the_calendar_policy() -> None:
    store = MemoryOutboxStore()
    report = run_remind(datetime(2026, 12, 6).date(), _context(store, ReminderPolicy()))
    assert report.exam_days == [datetime(2026, 12, 7).date()] and report.new == 2
