"""The ``medex`` command line: plan a week, check a schedule, build demo weeks, travel times.

Every command reads and writes the exchange format of ``docs/week-instance.md``.  Problems
with the input are printed one per line, naming the field, with exit code 2; a schedule
that breaks a rule makes ``medex check`` exit with 1.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from api.cli_travel import travel
from geo.errors import GeoError
from scheduler.errors import InputError
from scheduler.plan import PlanResult, Progress, plan_week
from scheduler.week_format import read_schedule, read_week, write_schedule, write_week

app = typer.Typer(
    name="medex",
    help=(
        "Plan Medex medical-expertise convocations: who is examined by which doctor, where "
        "and when.\n\n"
        "A planning week is a JSON file in the medex-week/1 format (centres, doctors with "
        "their sessions, convocations). `medex solve` turns it into a medex-schedule/1 file, "
        "`medex check` verifies a schedule against every rule and recomputes its cost, "
        "`medex demo-week` builds a realistic week on real Belgian geography, and "
        "`medex demo` does all three and prints a summary."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.command("travel", help="Door-to-door travel time from a postcode or coordinates to the "
                           "centres, by car and by train.")(travel)

EXIT_INPUT = 2
EXIT_VIOLATION = 1


def _fail(problems: list[str]) -> NoReturn:
    for line in problems:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(EXIT_INPUT)


def _write(write: Callable[[Any, Path], None], what: Any, path: Path) -> None:
    """Write an output file; a path that cannot be written is an input error."""
    try:
        write(what, path)
    except OSError as exc:
        _fail([f"{path}: cannot be written ({exc.strerror or exc})"])


def _report_progress(progress: Progress) -> None:
    bound = "-" if progress.bound is None else str(progress.bound)
    typer.echo(f"  {progress.elapsed:7.1f}s  cost {progress.cost:>10}  bound {bound:>10}",
               err=True)


def _summary(result: PlanResult, week_size: int) -> str:
    s = result.schedule
    reasons = Counter(u.reason.split(" (")[0] for u in s.unscheduled)
    lines = [
        f"status        {s.status.value}",
        f"scheduled     {len(s.assignments)} of {week_size} convocations",
        f"cost          {s.cost}",
        f"lower bound   {s.lower_bound if s.lower_bound is not None else '-'}",
        f"first plan    {result.first_feasible_seconds:.1f} s" if result.first_feasible_seconds
        is not None else "first plan    -",
        f"solve time    {s.solve_seconds:.1f} s",
    ]
    if s.assignments:
        travel = sorted(a.travel_min for a in s.assignments if a.centre != "home")
        homes = sum(1 for a in s.assignments if a.centre == "home")
        if travel:
            lines.append(f"travel        mean {sum(travel) / len(travel):.0f} min, "
                         f"p90 {travel[int(0.9 * (len(travel) - 1))]} min, max {travel[-1]} min")
        lines.append(f"home visits   {homes}")
    for reason, n in reasons.most_common(5):
        lines.append(f"unscheduled   {n} x {reason}")
    return "\n".join(lines)


@app.command()
def solve(
    week: Annotated[Path, typer.Argument(help="The week to plan (medex-week/1 JSON).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the schedule "
                                                          "(medex-schedule/1 JSON).")],
    time_limit: Annotated[float, typer.Option(help="Seconds the solver may use.", min=0.5)] = 60.0,
    workers: Annotated[int, typer.Option(help="Solver threads.", min=1)] = 2,
    quiet: Annotated[bool, typer.Option(help="No progress lines.")] = False,
) -> None:
    """Plan a week: assign each convocation a doctor, a place and a start time.

    Writes the schedule, possibly partial (each unscheduled convocation with its reason),
    and exits 0 when it was written. Progress (best cost, proven bound) goes to stderr.
    """
    try:
        parsed = read_week(week)
        result = plan_week(parsed, time_limit=time_limit, workers=workers,
                           on_progress=None if quiet else _report_progress, instance=week.name)
    except InputError as exc:
        _fail(exc.problems)
    except GeoError as exc:
        _fail([str(exc)])
    _write(write_schedule, result.schedule, out)
    typer.echo(_summary(result, len(parsed.convocations)))
    typer.echo(f"schedule written to {out}")


@app.command()
def check(
    week: Annotated[Path, typer.Argument(help="The week (medex-week/1 JSON).")],
    schedule: Annotated[Path, typer.Argument(help="The schedule (medex-schedule/1 JSON).")],
) -> None:
    """Verify a schedule against every hard rule and recompute its cost.

    Independent of the solver. Exits 0 when every rule holds, 1 on a violation (one line
    each), 2 when a file cannot be read.
    """
    from scheduler.validate import check_schedule, format_report

    try:
        parsed_week = read_week(week)
        parsed = read_schedule(schedule)
    except InputError as exc:
        _fail(exc.problems)
    report = check_schedule(parsed_week, parsed)
    typer.echo(format_report(report))
    if parsed.cost != report.cost.total:
        typer.echo(f"note: the schedule states cost {parsed.cost}, recomputed "
                   f"{report.cost.total}")
    if not report.ok:
        raise typer.Exit(EXIT_VIOLATION)


@app.command("demo-week")
def demo_week_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the week.")],
    convocations: Annotated[int, typer.Option(help="Number of convocations.", min=1)] = 500,
    doctors: Annotated[int, typer.Option(help="Number of doctors (default: one per 25 "
                                              "convocations).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same week.")
                    ] = 1,
    week_start: Annotated[str | None, typer.Option(help="Monday of the week (YYYY-MM-DD).")
                          ] = None,
) -> None:
    """Build a realistic planning week on real Belgian geography.

    Victims live where the population lives (Statbel 2020 municipalities), speak the language
    of their region, and travel to the Medex centres by road or by train.
    """
    from scheduler.demo import demo_week

    start = None
    if week_start is not None:
        try:
            start = date.fromisoformat(week_start)
        except ValueError:
            _fail([f"--week-start: expected a date YYYY-MM-DD, got {week_start!r}"])
        if start.weekday() != 0:
            _fail([f"--week-start: {start} is a {start:%A}, not a Monday"])
    try:
        built = demo_week(convocations, doctors or max(1, round(convocations / 25)), seed,
                          week_start=start)
    except InputError as exc:
        _fail(exc.problems)
    except GeoError as exc:
        _fail([str(exc)])
    _write(write_week, built, out)
    typer.echo(f"{len(built.convocations)} convocations, {len(built.doctors)} doctors, "
               f"{len(built.centres)} centres, week of {built.week_start} written to {out}")


@app.command()
def demo(
    convocations: Annotated[int, typer.Option(help="Number of convocations.", min=1)] = 500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    time_limit: Annotated[float, typer.Option(help="Seconds the solver may use.")] = 20.0,
    workdir: Annotated[Path | None, typer.Option(help="Folder for the week and schedule files "
                                                      "(default: a temporary one).")] = None,
) -> None:
    """The whole loop on demo data: build a week, plan it, check the plan, print a summary."""
    from scheduler.demo import demo_week
    from scheduler.validate import check_schedule

    folder = workdir or Path(tempfile.mkdtemp(prefix="medex-demo-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail([f"{folder}: cannot be created ({exc.strerror or exc})"])
    week = demo_week(convocations, max(1, round(convocations / 25)), seed)
    week_path = folder / "week.json"
    _write(write_week, week, week_path)
    typer.echo(f"demo week of {week.week_start}: {len(week.convocations)} convocations, "
               f"{len(week.doctors)} doctors, {len(week.centres)} centres -> {week_path}")
    result = plan_week(week, time_limit=time_limit, on_progress=_report_progress,
                       instance=week_path.name)
    out = folder / "schedule.json"
    _write(write_schedule, result.schedule, out)
    typer.echo(_summary(result, len(week.convocations)))
    report = check_schedule(read_week(week_path), read_schedule(out))
    verdict = "every rule holds" if report.ok else f"{len(report.violations)} violations"
    typer.echo(f"check         {verdict}; recomputed cost {report.cost.total}")
    typer.echo(f"schedule written to {out}")
    if not report.ok:
        raise typer.Exit(EXIT_VIOLATION)


# the service's commands (serve, worker, import, create-user, db upgrade)
from api.cli_service import register as _register_service  # noqa: E402

_register_service(app)
from api.cli_whatif import whatif_app  # noqa: E402

app.add_typer(whatif_app, name="whatif")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)
