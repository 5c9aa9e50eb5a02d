"""Following and stopping a plan: every better schedule is handed over, a stop keeps the best."""

from __future__ import annotations

import threading
import time
from datetime import date

from scheduler.demo import demo_week
from scheduler.domain import Schedule
from scheduler.plan import plan_week
from scheduler.validate import check_schedule


def test_each_schedule_handed_over_is_valid_and_better_than_the_last() -> None:
    week = demo_week(150, 6, 4, week_start=date(2026, 12, 7))
    seen: list[Schedule] = []
    result = plan_week(week, time_limit=4, on_schedule=seen.append)
    assert seen, "the first schedule is handed over"
    costs = [s.cost for s in seen]
    assert costs == sorted(costs, reverse=True)
    for schedule in seen:
        report = check_schedule(week, schedule)
        assert report.ok, report.violations[:3]
        assert report.cost.total == schedule.cost
    assert result.schedule.cost <= costs[-1]


def test_a_stop_ends_the_search_early_with_a_valid_schedule() -> None:
    week = demo_week(600, 24, 5, week_start=date(2026, 12, 7))
    stop = threading.Event()
    first = threading.Event()

    def handed(_: Schedule) -> None:
        first.set()

    timer = threading.Timer(0.1, lambda: first.wait(30) and stop.set())
    timer.start()
    started = time.monotonic()
    result = plan_week(week, time_limit=120, on_schedule=handed, should_stop=stop.is_set)
    elapsed = time.monotonic() - started
    timer.cancel()
    assert stop.is_set()
    assert elapsed < 60, f"stopped after {elapsed:.0f} s of a 120 s limit"
    report = check_schedule(week, result.schedule)
    assert report.ok and report.cost.total == result.schedule.cost
