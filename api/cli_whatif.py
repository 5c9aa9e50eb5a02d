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

import math
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import GeoError
from geo.orlib import read_cflp, read_pmed
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
