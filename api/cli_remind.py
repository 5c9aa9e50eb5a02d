"""``medex remind --date D``: write the day-before reminders that leave on day D.

Idempotent: the outbox holds one reminder per appointment revision, so running it again
(by hand after the daily task, or twice by mistake) writes nothing new and sends nothing
twice; the outbox worker sends what was written.

The command takes its data through a :class:`RemindContext` built by the application
(the appointment query, the outbox writer, the reminder policy, the working-day
calendar), so it can be tested with an in-memory store.  Wiring, in ``api/cli.py``::

    app.command("remind", help=REMIND_HELP)(make_remind_command(lambda: context(settings)))

and the daily job calls :func:`remind_today` with the same context at
``context.policy.cron()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

import typer

from notify.ics import Organizer
from notify.outbox import OutboxMessage, utcnow
from notify.reminders import AppointmentSource, ReminderPolicy, RemindReport, remind
from scheduler.domain import BRUSSELS

REMIND_HELP = ("Write the day-before reminders (SMS, or e-mail without a phone number) of "
               "the appointments whose reminder leaves on --date (default: today) to the "
               "outbox. Running it again writes nothing twice.")


@dataclass(frozen=True)
class RemindContext:
    source: AppointmentSource
    """Appointments (at their current revision) starting from one day to another."""
    add: Callable[[Sequence[OutboxMessage]], int]
    """Writes messages to the outbox, skipping keys already there; returns how many new."""
    policy: ReminderPolicy
    is_working_day: Callable[[date], bool]
    organizer: Organizer
    clock: Callable[[], datetime] = utcnow


def run_remind(day: date, context: RemindContext, *, dry_run: bool = False) -> RemindReport:
    """The reminders leaving on ``day``, written unless ``dry_run``."""
    return remind(day, context.source, (lambda messages: 0) if dry_run else context.add,
                  policy=context.policy, is_working_day=context.is_working_day,
                  organizer=context.organizer, now=context.clock())


def today(context: RemindContext) -> date:
    """Today in Brussels by the context's clock."""
    return context.clock().astimezone(BRUSSELS).date()


def remind_today(context: RemindContext) -> RemindReport:
    """The daily job: today's reminders."""
    return run_remind(today(context), context)


def summary(report: RemindReport, dry_run: bool = False) -> list[str]:
    days = ", ".join(d.isoformat() for d in report.exam_days) or "none (not a working day)"
    lines = [f"reminders of {report.send_day.isoformat()}",
             f"exam days     {days}",
             f"appointments  {report.appointments}"]
    if dry_run:
        lines.append(f"messages      {report.messages} (dry run: nothing written)")
    else:
        lines.append(f"messages      {report.messages}: {report.new} new, "
                     f"{report.already} already in the outbox")
    if report.unreachable:
        lines.append(f"unreachable   {len(report.unreachable)} (no phone number, no e-mail): "
                     + ", ".join(report.unreachable[:10])
                     + (" ..." if len(report.unreachable) > 10 else ""))
    return lines


def make_remind_command(context_factory: Callable[[], RemindContext]) -> Callable[..., None]:
    """The ``medex remind`` command, taking its data from ``context_factory()``."""

    def remind_command(
        on: Annotated[str | None, typer.Option(
            "--date", help="The day the reminders leave (YYYY-MM-DD); default: today.",
            show_default=False)] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Count the reminders, write nothing.")] = False,
    ) -> None:
        if on is None:
            context = context_factory()
            day = today(context)
        else:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                typer.echo(f"error: --date: {on!r} is not a date (YYYY-MM-DD)", err=True)
                raise typer.Exit(2) from None
            context = context_factory()
        report = run_remind(day, context, dry_run=dry_run)
        for line in summary(report, dry_run):
            typer.echo(line)

    return remind_command
