"""``medex whatif``: what if a centre closes, moves or opens; where should centres be?

A typer sub-app, registered in :mod:`api.cli` with ``app.add_typer(whatif_app,
name="whatif")``.  Commands:

* ``medex whatif orlib FILE [--capacitated] [--capacity Q] [--time-limit S]`` solves one
  OR-Library file (p-median, or capacitated warehouse location) and prints the objective
  value alone on its last line;
* ``medex whatif compare`` evaluates scenarios on real Belgian demand and writes the
  report (HTML with a map and plots, CSV, JSON);
* ``medex whatif optimise`` proposes centre locations (p-median, maximal covering,
  p-center, capacitated, expansion) and reports them beside the current centres.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import GeoError
from geo.orlib import read_cflp, read_pmed
from geo.whatif.candidates import given_candidates
from geo.whatif.demand import Demand, homes_demand, population_demand
from geo.whatif.metrics import LoadAssumptions
from geo.whatif.scenario import Scenario, ScenarioError, scenario_from_spec
from scheduler.whatif import Proposal, propose, run_whatif
from solver.facility import (
    CapacitatedFacilityLocation,
    FacilityError,
    FacilityResult,
    PMedian,
    SolveProgress,
)

EXIT_INPUT = 2

whatif_app = typer.Typer(
    name="whatif",
    help="What-if on the location of the centres: evaluate scenarios, propose locations, "
         "solve OR-Library benchmark files.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@whatif_app.callback()
def _group() -> None:
    """What-if on the location of the centres (see the commands below)."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_INPUT)


def _progress(quiet: bool):  # type: ignore[no-untyped-def]
    def show(p: SolveProgress) -> None:
        if quiet:
            return
        bound = "-" if not math.isfinite(p.bound) else f"{p.bound:.6g}"
        typer.echo(f"  {p.elapsed:7.1f}s  {p.stage:10} best {p.objective:.6g}  bound {bound}"
                   f"  nodes {p.nodes}", err=True)
    return show


def _format_value(value: float) -> str:
    return str(round(value)) if abs(value - round(value)) < 1e-6 else f"{value:.3f}"


def _describe(result: FacilityResult) -> list[str]:
    sites = " ".join(str(s + 1) for s in result.open_sites)
    gap = "0" if result.optimal else f"{100 * result.gap:.3f}%"
    return [f"model      {result.model}",
            f"status     {result.status}",
            f"bound      {result.bound:.6f}",
            f"gap        {gap}",
            f"time       {result.seconds:.2f} s, {result.nodes} nodes",
            f"open sites {sites}"]


@whatif_app.command("orlib")
def orlib(
    file: Annotated[Path, typer.Argument(help="An OR-Library file: pmedN.txt, or with "
                                              "--capacitated capNN.txt / capa.txt.gz.")],
    capacitated: Annotated[bool, typer.Option(help="The file is a capacitated warehouse "
                                                   "location file (cap41 … capc).")] = False,
    capacity: Annotated[float | None, typer.Option(help="Capacity of every warehouse for "
                                                        "capa/capb/capc (e.g. 8000).")] = None,
    uncapacitated: Annotated[bool, typer.Option(help="With --capacitated: ignore the "
                                                     "capacities (the UFLP variant).")] = False,
    time_limit: Annotated[float, typer.Option(help="Seconds the solver may use.", min=0.1)
                          ] = 300.0,
    quiet: Annotated[bool, typer.Option(help="No progress lines.")] = False,
) -> None:
    """Solve one OR-Library file; the last line printed is the objective value alone."""
    try:
        if capacitated:
            cf = read_cflp(file, capacity=capacity)
            result = CapacitatedFacilityLocation.from_cost_matrix(
                cf.cost, cf.fixed_cost, cf.demand,
                None if uncapacitated else cf.capacity).solve(time_limit=time_limit)
            typer.echo(f"instance   {cf.name}: {cf.m} warehouses, {cf.n} customers")
        else:
            pf = read_pmed(file)
            typer.echo(f"instance   {pf.name}: {pf.n} vertices, {pf.edges} edges, p = {pf.p}")
            result = PMedian.from_cost_matrix(pf.cost, pf.p).solve(
                time_limit=time_limit, on_progress=_progress(quiet))
    except (GeoError, FacilityError, OSError) as exc:
        raise _fail(str(exc)) from exc
    for line in _describe(result):
        typer.echo(line)
    typer.echo(_format_value(result.objective))


# -- scenarios on real geography -------------------------------------------------------


def _demand(source: str, min_population: int) -> Demand:
    """``population`` or a CSV of homes with columns lat, lon, language[, weight]."""
    if source == "population":
        return population_demand(min_population)
    path = Path(source)
    if not path.exists():
        raise _fail(f"--demand: {source!r} is neither 'population' nor an existing CSV file")
    lats, lons, langs, weights = [], [], [], []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"lat", "lon", "language"} - set(reader.fieldnames or [])
        if missing:
            raise _fail(f"--demand {path}: missing column(s) {', '.join(sorted(missing))} "
                        "(expected lat, lon, language and optionally weight)")
        for line, row in enumerate(reader, start=2):
            try:
                lats.append(float(row["lat"]))
                lons.append(float(row["lon"]))
                weights.append(float(row.get("weight") or 1.0))
            except ValueError:
                raise _fail(f"--demand {path}, row {line}: lat, lon and weight must be "
                            "numbers") from None
            langs.append(row["language"].strip())
    try:
        return homes_demand(lats, lons, langs, weights, source=f"homes from {path.name}")
    except GeoError as exc:
        raise _fail(f"--demand {path}: {exc}") from exc


def _quick_scenario(base: Scenario, close: list[str], move: list[str], add: list[str],
                    rooms: list[str], modes: str | None, name: str | None) -> Scenario | None:
    if not (close or move or add or rooms or modes):
        return None
    scen = base
    for cid in close:
        scen = scen.close(cid)
    for item in move:
        cid, _, where = item.partition("=")
        if not where:
            raise ScenarioError(f"--move {item!r}: expected ID=STATION or ID=POSTCODE")
        station, postcode = (None, where) if where.isdigit() else (where, None)
        scen = scen.move(cid, station=station, postcode=postcode)
    for item in add:
        cid, _, rest = item.partition("=")
        where, _, langs = rest.partition(":")
        if not where:
            raise ScenarioError(f"--add {item!r}: expected ID=STATION[:LANGUAGES] "
                                "(e.g. TOU=Tournai:fr)")
        languages = tuple((langs or "fr").split("+"))
        station, postcode = (None, where) if where.isdigit() else (where, None)
        scen = scen.add(cid, station=station, postcode=postcode, languages=languages)
    for item in rooms:
        cid, _, value = item.partition("=")
        scen = scen.with_rooms(cid, int(value) if value.isdigit() else 0)
    if modes:
        scen = scen.with_modes(_parse_modes(modes))
    return scen.renamed(name or "; ".join(scen.changes))


def _parse_modes(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        try:
            out[key.strip()] = float(value) if value else 1.0
        except ValueError:
            raise ScenarioError(f"--modes {text!r}: expected e.g. car=0.7,pt=0.3") from None
    return out


def _load(weekly: float, exam_minutes: float) -> LoadAssumptions:
    return LoadAssumptions(weekly_convocations=weekly, exam_minutes=exam_minutes)


def _run(scenarios: list[Scenario], demand: Demand, out: Path, proposals: list[Proposal],
         load: LoadAssumptions, weeks: int, week_size: int, week_limit: float,
         quiet: bool) -> None:
    steps = len(scenarios) * (1 + weeks) + 1
    with typer.progressbar(length=steps, label="what-if", file=sys.stderr,
                           hidden=quiet) as bar:
        files = run_whatif(scenarios, demand, out, proposals=proposals, load=load,
                           schedule_weeks=weeks, schedule_convocations=week_size,
                           schedule_time_limit=week_limit, on_step=lambda _: bar.update(1))
    comp_rows = files.comparison_csv.read_text(encoding="utf-8").splitlines()
    typer.echo(f"{len(scenarios)} scenario(s), demand: {demand.source}")
    for line in _headline(files.json):
        typer.echo(line)
    typer.echo(f"report   {files.html}")
    typer.echo(f"csv      {files.comparison_csv} ({len(comp_rows) - 1} metrics), "
               f"{files.centres_csv}")
    typer.echo(f"json     {files.json}")


def _headline(path: Path) -> list[str]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    lines = [f"{'scenario':40} {'centres':>7} {'mean':>6} {'p90':>6} {'max':>6} {'<=45':>6} "
             f"{'<=60':>6} {'lang gap':>8}"]
    for m in doc["metrics"]:
        o = m["overall"]
        lines.append(f"{m['scenario'][:40]:40} {len(m['centres']):7} {o['mean_min']:6.1f} "
                     f"{o['p90_min']:6.1f} {o['max_min']:6.1f} "
                     f"{100 * o['within']['45']:5.1f}% {100 * o['within']['60']:5.1f}% "
                     f"{100 * m['language_gap_share']:7.2f}%")
    for s in doc.get("schedule_aware", []):
        lines.append(f"  planned {s['scenario'][:32]}: {s['unscheduled']} unscheduled of "
                     f"{s['convocations']}, deadlines met {s['deadlines_met']}/"
                     f"{s['deadlines_due']}, mean travel {s['mean_travel_min']:.1f} min")
    return lines


Out = Annotated[Path, typer.Option("--out", "-o", help="Folder for report.html, the plots, "
                                                      "CSV and JSON.")]
DemandOpt = Annotated[str, typer.Option(help="'population' (Statbel 2020, by municipality) "
                                             "or a CSV of homes: lat, lon, language[, weight]."
                                        )]
Weeks = Annotated[int, typer.Option(help="Schedule-aware: demo weeks to plan under each "
                                         "scenario (0: off).", min=0)]


@whatif_app.command("compare")
def compare_command(
    out: Out,
    scenario: Annotated[list[Path] | None, typer.Option(
        help="A scenario as JSON (see geo/whatif/scenario.py); repeatable.")] = None,
    close: Annotated[list[str] | None, typer.Option(help="Quick scenario: close this "
                                                         "centre id; repeatable.")] = None,
    move: Annotated[list[str] | None, typer.Option(help="Quick scenario: ID=STATION or "
                                                        "ID=POSTCODE; repeatable.")] = None,
    add: Annotated[list[str] | None, typer.Option(help="Quick scenario: ID=STATION[:LANGS], "
                                                       "e.g. TOU=Tournai:fr; repeatable.")
                   ] = None,
    rooms: Annotated[list[str] | None, typer.Option(help="Quick scenario: ID=ROOMS.")] = None,
    modes: Annotated[str | None, typer.Option(help="Mode mix of every scenario, e.g. "
                                                   "car=0.7,pt=0.3 (default best).")] = None,
    name: Annotated[str | None, typer.Option(help="Name of the quick scenario.")] = None,
    demand: DemandOpt = "population",
    weekly_convocations: Annotated[float, typer.Option(help="Assumed convocations a week, "
                                                            "for the load per centre.")
                                   ] = 1500.0,
    exam_minutes: Annotated[float, typer.Option(help="Assumed room minutes per exam.")
                            ] = 40.0,
    schedule_weeks: Weeks = 0,
    week_convocations: Annotated[int, typer.Option(help="Convocations per demo week.")
                                 ] = 300,
    week_time_limit: Annotated[float, typer.Option(help="Solver seconds per demo week.")
                               ] = 20.0,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Compare the current centres with one or more scenarios and write the report."""
    try:
        dem = _demand(demand, 0)
        base = Scenario.current()
        if modes:
            base = base.with_modes(_parse_modes(modes))
        scens = [base.renamed("current centres")]
        for path in scenario or []:
            try:
                spec = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise _fail(f"--scenario {path}: {exc}") from exc
            scens.append(scenario_from_spec(spec, base))
        quick = _quick_scenario(base, close or [], move or [], add or [], rooms or [],
                                None, name)
        if quick is not None:
            scens.append(quick)
        if len(scens) == 1:
            typer.echo("note: no scenario given (--scenario, --close, --move, --add, "
                       "--rooms): reporting the current centres alone", err=True)
        _run(scens, dem, out, [], _load(weekly_convocations, exam_minutes), schedule_weeks,
             week_convocations, week_time_limit, quiet)
    except (GeoError, FacilityError) as exc:
        raise _fail(str(exc)) from exc


@whatif_app.command("optimise")
def optimise_command(
    out: Out,
    p: Annotated[int, typer.Option("--p", "-p", help="Number of centres to place.", min=1)
                 ] = 12,
    method: Annotated[str, typer.Option(help="p-median (least total travel), max-covering "
                                             "(most demand within --radius), p-center "
                                             "(least worst travel).")] = "p-median",
    candidates: Annotated[str, typer.Option(help="stations, municipalities, centres, or a "
                                                 "CSV of id,name,lat,lon.")] = "stations",
    keep: Annotated[str, typer.Option(help="Current centres kept open: 'all', 'none' or "
                                           "ids separated by commas (expansion).")] = "none",
    capacitated: Annotated[bool, typer.Option(help="Respect each site's weekly capacity "
                                                   "(p-median only).")] = False,
    radius: Annotated[float, typer.Option(help="Minutes, for max-covering.")] = 45.0,
    min_boardings: Annotated[int, typer.Option(help="Candidate stations: weekday "
                                                    "boardings at least.")] = 1000,
    rooms: Annotated[int, typer.Option(help="Rooms of a new centre.", min=1)] = 3,
    modes: Annotated[str | None, typer.Option(help="Mode mix, e.g. car=0.7,pt=0.3.")
                     ] = None,
    demand: DemandOpt = "population",
    time_limit: Annotated[float, typer.Option(help="Solver seconds.", min=1.0)] = 60.0,
    weekly_convocations: Annotated[float, typer.Option(help="Assumed convocations a week.")
                                   ] = 1500.0,
    schedule_weeks: Weeks = 0,
    week_convocations: Annotated[int, typer.Option(help="Convocations per demo week.")
                                 ] = 300,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
) -> None:
    """Let the optimiser propose centre locations; report them beside the current ones."""
    try:
        dem = _demand(demand, 0)
        base = Scenario.current()
        if modes:
            base = base.with_modes(_parse_modes(modes))
        given = []
        kind = candidates
        if candidates not in ("stations", "municipalities", "centres"):
            path = Path(candidates)
            if not path.exists():
                raise _fail(f"--candidates {candidates!r}: stations, municipalities, centres "
                            "or an existing CSV file")
            with path.open(encoding="utf-8", newline="") as fh:
                rows = [(r["id"], r["name"], float(r["lat"]), float(r["lon"]))
                        for r in csv.DictReader(fh)]
            given = given_candidates(rows)
            kind = "given"
        kept: str | list[str] = "all" if keep == "all" else \
            [] if keep in ("", "none") else [k.strip() for k in keep.split(",") if k.strip()]
        load = _load(weekly_convocations, 40.0)
        if not quiet:
            typer.echo(f"optimising: {method}{' capacitated' if capacitated else ''}, "
                       f"p = {p}, candidates {kind}", err=True)
        prop = propose(dem, base, p, method=method, candidates=kind, given=given, keep=kept,
                       capacitated=capacitated, radius=radius, min_boardings=min_boardings,
                       rooms=rooms, load=load, time_limit=time_limit,
                       on_progress=_progress(quiet))
        r = prop.result
        typer.echo(f"{prop.scenario.name}: {r.status}, objective {r.objective:.6g}, bound "
                   f"{r.bound:.6g}, gap {100 * r.gap:.4f}%, {r.seconds:.1f} s")
        typer.echo("sites    " + ", ".join(c.name for c in prop.chosen))
        _run([base.renamed("current centres"), prop.scenario], dem, out, [prop], load,
             schedule_weeks, week_convocations, 20.0, quiet)
    except (GeoError, FacilityError, ValueError) as exc:
        raise _fail(str(exc)) from exc
