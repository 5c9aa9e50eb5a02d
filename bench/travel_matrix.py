"""Timings of the travel-time matrix: homes x centres, after the one-time precomputation.

Run: ``.venv/bin/python bench/travel_matrix.py [--homes 10000] [--centres 20] [--runs 5]``.
Homes are postcode localities drawn with replacement (a fixed seed); the centre set is the
shipped centres padded with the largest stations up to ``--centres``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time

import numpy as np

from geo.centres import load_centres, sites
from geo.places import locality_points
from geo.rail import RailGraph
from geo.travel import Mode, TravelModel

log = logging.getLogger("bench.travel_matrix")


def _centres(n: int, rail: RailGraph) -> list[tuple[str, float, float]]:
    out = sites(load_centres())[:n]
    taken = {c[0] for c in out}
    busiest = sorted((s for s in rail.stations.values()
                      if s.country == "be" and s.weekday_boardings and s.served),
                     key=lambda s: -(s.weekday_boardings or 0))
    for s in busiest:
        if len(out) >= n:
            break
        if s.id not in taken:
            out.append((f"S{s.id}", s.lat, s.lon))
    return out


def _median(fn: object, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--homes", type=int, default=10_000)
    parser.add_argument("--centres", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)

    t = time.perf_counter()
    model = TravelModel.default()
    build = time.perf_counter() - t
    centres = _centres(args.centres, model.rail)
    rng = np.random.default_rng(7)
    pts = locality_points()
    pick = rng.integers(0, len(pts), args.homes)
    lats = np.array([pts[i].lat for i in pick]) + rng.normal(0, 0.01, args.homes)
    lons = np.array([pts[i].lon for i in pick]) + rng.normal(0, 0.01, args.homes)

    t = time.perf_counter()
    model.matrix(lats[:1], lons[:1], centres)
    first = time.perf_counter() - t

    log.info("graph + model build (once per process): %.2f s", build)
    log.info("first call for a new centre set (rail precomputation, %d centres): %.3f s",
             len(centres), first)
    for label, modes in (("best of car+pt", (Mode.CAR, Mode.PUBLIC_TRANSPORT)),
                         ("car only", (Mode.CAR,)), ("pt only", (Mode.PUBLIC_TRANSPORT,))):
        med, times = _median(lambda m=modes: model.matrix(lats, lons, centres, m), args.runs)
        log.info("matrix %d homes x %d centres, %-15s median %.3f s  (runs: %s)", args.homes,
                 len(centres), label, med, ", ".join(f"{x:.3f}" for x in times))
    med, times = _median(lambda: model.km_matrix(lats, lons, centres), args.runs)
    log.info("km matrix %d x %d: median %.3f s", args.homes, len(centres), med)
    med, times = _median(lambda: model.bounds.check(lats, lons), args.runs)
    log.info("Belgium check of %d homes: median %.3f s", args.homes, med)
    one = [model.minutes(float(lats[i]), float(lons[i]), centres) for i in range(3)]
    log.info("sample minutes(): %s", one[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
