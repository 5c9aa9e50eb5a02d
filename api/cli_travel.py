"""``medex travel``: how long does a victim need to reach each centre?

Registered in :mod:`api.cli` as ``app.command("travel")(travel)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo.centres import CentreSite, load_centres, sites
from geo.errors import GeoError
from geo.geocode import AddressGeocoder, resolve
from geo.travel import DEFAULT_MODES, Journey, Mode, TravelModel

_MODES: dict[str, tuple[Mode, ...]] = {
    "best": DEFAULT_MODES,
    "car": (Mode.CAR,),
    "pt": (Mode.PUBLIC_TRANSPORT,),
    "none": (Mode.NONE,),
}


def _stations(j: Journey) -> str:
    if j.mode is None:
        return "unreachable"
    if j.pt_minutes is None:
        return "-"
    if j.pt_local:
        return "walk/bus, no train"
    if j.access_station is None or j.egress_station is None:
        return "?"
    changes = "" if j.transfers is None else \
        f" ({j.transfers} change{'s' if j.transfers != 1 else ''})"
    return f"{j.access_station.name} -> {j.egress_station.name}{changes}"


def _fmt(value: int | None) -> str:
    return "-" if value is None else str(value)


def _table(journeys: list[Journey], by_id: dict[str, CentreSite]) -> list[str]:
    header = ("#", "centre", "name", "mode", "min", "car", "pt", "km", "road km",
              "stations used (access -> egress)")
    rows = [header]
    for n, j in enumerate(journeys, start=1):
        c = by_id[j.centre_id]
        rows.append((str(n), c.id, c.name_nl if c.name_nl == c.name_fr
                     else f"{c.name_nl}/{c.name_fr}",
                     "-" if j.mode is None else j.mode.value, _fmt(j.minutes),
                     _fmt(j.car_minutes), _fmt(j.pt_minutes), f"{j.km:.1f}",
                     f"{j.road_km:.1f}", _stations(j)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {0, 4, 5, 6, 7, 8}
    return ["  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                      for i, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip()
            for r in rows]


def travel(
    from_: Annotated[str, typer.Option(
        "--from",
        help="Home: a postcode ('6600', '8300 Knokke'), 'lat,lon', or an address "
             "(needs MEDEX_GEOCODER; else its postcode is used).")],
    to: Annotated[str, typer.Option(
        "--to", help="Centre ids separated by commas (e.g. 'LIB,BRU'), or 'all'.")] = "all",
    mode: Annotated[str, typer.Option(
        "--mode",
        help="best (of car and public transport), car, pt (public transport, no car), or "
             "none (cannot travel: home visit).")] = "best",
    centres_file: Annotated[Path | None, typer.Option(
        "--centres",
        help="Centres CSV (default: the shipped data/centres/centres.csv).")] = None,
) -> None:
    """Travel time from a home to each centre, best first: mode, minutes, km, stations."""
    try:
        modes = _MODES.get(mode.strip().lower())
        if modes is None:
            raise GeoError(f"unknown --mode {mode!r}: best, car, pt or none")
        centres = load_centres(centres_file)
        by_id = {c.id: c for c in centres}
        if to.strip().lower() != "all":
            wanted = [t.strip().upper() for t in to.split(",") if t.strip()]
            unknown = [t for t in wanted if t not in by_id]
            if unknown or not wanted:
                what = ", ".join(unknown) if unknown else repr(to)
                raise GeoError(f"unknown centre(s) {what}; known: {', '.join(by_id)}")
            centres = [by_id[t] for t in wanted]
        place = resolve(from_, AddressGeocoder.from_env())
        model = TravelModel.default()
        journeys = model.journeys(place.lat, place.lon, sites(centres), modes)
    except GeoError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"From {place.label} ({place.lat:.5f}, {place.lon:.5f}); mode: {mode}")
    if not modes or modes == (Mode.NONE,):
        typer.echo("Cannot travel: every centre is unreachable, plan a home visit.")
    for line in _table(journeys, by_id):
        typer.echo(line)
