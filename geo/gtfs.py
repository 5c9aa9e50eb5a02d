"""Read an NMBS/SNCB GTFS feed (zip or folder) into stopping patterns and station edges.

Only what a station graph needs is kept:

* rail trips only (GTFS ``route_type`` 700–799, buses, are dropped: NMBS uses them for
  replacement buses);
* stops where the train neither picks up nor drops off (``pickup_type = drop_off_type = 1``,
  the train passes) are removed;
* platform stops are folded into their station: ``8814001_14``, ``S8814001`` and
  ``008814001`` all become the 7-digit UIC code ``8814001`` used in ``data/rail``;
* the trips of **one service day** (``day``; default: the Tuesday, Wednesday or Thursday of
  the feed with the most rail trips) are grouped into *patterns*: trips with the same train
  category and the same sequence of stopping stations.  A pattern's arrival/departure
  offsets are the medians over its trips (minutes after the first departure).

The result feeds :class:`geo.rail.RailGraph`; :func:`write_patterns` and :func:`write_edges`
store it in the shipped CSV formats (``python -m geo.rail FEED OUT_DIR``).
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import re
import statistics
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from geo.errors import GtfsError

log = logging.getLogger(__name__)

_UIC = re.compile(r"^S?0*(\d{7})(?:_.*)?$")
_BUS_TYPES = range(700, 800)


@dataclass(frozen=True)
class GtfsStation:
    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Pattern:
    """Trains of one category calling at the same stations in the same order."""

    id: str
    category: str
    trips_per_day: int
    stations: tuple[str, ...]
    arrive: tuple[float, ...]
    """Minutes after the first departure (``arrive[0] == 0``)."""
    depart: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.stations)
        if n < 2 or len(self.arrive) != n or len(self.depart) != n:
            raise ValueError(f"pattern {self.id}: needs >= 2 stations and one time per stop")


@dataclass(frozen=True)
class Edge:
    """Consecutive stopping stations of at least one trip."""

    from_id: str
    to_id: str
    minutes: float
    """Fastest in-vehicle minutes (departure here to arrival there)."""
    trips_per_day: int
    median_minutes: float | None = None


@dataclass(frozen=True)
class GtfsFeed:
    day: date
    stations: dict[str, GtfsStation]
    patterns: tuple[Pattern, ...]
    edges: tuple[Edge, ...]
    trips: int
    """Rail trips running on ``day``."""


def station_key(stop_id: str) -> str:
    """Fold a GTFS stop id onto the 7-digit UIC station code (else the stripped id)."""
    stop_id = stop_id.strip()
    m = _UIC.match(stop_id)
    return m.group(1) if m else stop_id


class _Source:
    """GTFS tables from a zip file or a folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise GtfsError(f"GTFS feed {path} does not exist")
        self._zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile as exc:
                raise GtfsError(f"{path} is neither a folder nor a GTFS zip") from exc
            names = {Path(n).name: n for n in self._zip.namelist()}
            self._names = names
        else:
            self._names = {p.name: str(p) for p in path.iterdir() if p.is_file()}

    def has(self, name: str) -> bool:
        return name in self._names

    def rows(self, name: str, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
        if name not in self._names:
            raise GtfsError(f"GTFS feed {self.path}: {name} is missing")
        if self._zip is not None:
            raw = self._zip.read(self._names[name])
            fh: io.TextIOBase = io.StringIO(raw.decode("utf-8-sig"))
        else:
            fh = open(self._names[name], encoding="utf-8-sig", newline="")  # noqa: SIM115
        with fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            missing = [c for c in required if c not in header]
            if missing:
                raise GtfsError(f"GTFS feed {self.path}: {name} lacks {', '.join(missing)}")
            yield from reader

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _seconds(text: str) -> int:
    h, m, s = text.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def _date(text: str) -> date:
    return datetime.strptime(text.strip(), "%Y%m%d").date()


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _service_days(src: _Source) -> dict[str, set[date]]:
    days: dict[str, set[date]] = defaultdict(set)
    if src.has("calendar.txt"):
        for row in src.rows("calendar.txt", ("service_id", "start_date", "end_date")):
            start, end = _date(row["start_date"]), _date(row["end_date"])
            flags = [row.get(w, "0").strip() == "1" for w in _WEEKDAYS]
            if not any(flags):
                days.setdefault(row["service_id"], set())
                continue
            d = start
            while d <= end:
                if flags[d.weekday()]:
                    days[row["service_id"]].add(d)
                d += timedelta(days=1)
    if src.has("calendar_dates.txt"):
        for row in src.rows("calendar_dates.txt", ("service_id", "date", "exception_type")):
            d, kind = _date(row["date"]), row["exception_type"].strip()
            if kind == "1":
                days[row["service_id"]].add(d)
            elif kind == "2":
                days[row["service_id"]].discard(d)
    if not days:
        raise GtfsError(f"GTFS feed {src.path}: no calendar.txt nor calendar_dates.txt")
    return days


def _pick_day(trip_services: dict[str, str], service_days: dict[str, set[date]]) -> date:
    per_day: Counter[date] = Counter()
    per_service = Counter(trip_services.values())
    for service, n in per_service.items():
        for d in service_days.get(service, ()):
            if d.weekday() in (1, 2, 3):
                per_day[d] += n
    if not per_day:
        for service, n in per_service.items():
            for d in service_days.get(service, ()):
                per_day[d] += n
    if not per_day:
        raise GtfsError("GTFS feed has no service day with rail trips")
    best = max(per_day.values())
    return min(d for d, n in per_day.items() if n == best)


def read_gtfs(path: str | Path, day: date | None = None) -> GtfsFeed:
    """Patterns and edges of the rail trips running on ``day`` (see the module docstring)."""
    src = _Source(Path(path))
    try:
        return _read(src, day)
    except (KeyError, ValueError) as exc:
        raise GtfsError(f"GTFS feed {src.path}: malformed value ({exc})") from exc
    finally:
        src.close()


def _read(src: _Source, day: date | None) -> GtfsFeed:
    stations: dict[str, GtfsStation] = {}
    for row in src.rows("stops.txt", ("stop_id", "stop_name", "stop_lat", "stop_lon")):
        key = station_key(row.get("parent_station") or row["stop_id"])
        if key not in stations:
            name = re.sub(r"\s*\([a-z]{1,2}\)$", "", row["stop_name"].strip())
            stations[key] = GtfsStation(key, name, float(row["stop_lat"]),
                                        float(row["stop_lon"]))
    stop_station = {}
    for row in src.rows("stops.txt", ("stop_id",)):
        stop_station[row["stop_id"].strip()] = station_key(
            row.get("parent_station") or row["stop_id"])

    rail_routes: dict[str, str] = {}
    for row in src.rows("routes.txt", ("route_id", "route_type")):
        if int(row["route_type"]) not in _BUS_TYPES:
            rail_routes[row["route_id"]] = (row.get("route_short_name") or "").strip()
    trip_services: dict[str, str] = {}
    trip_category: dict[str, str] = {}
    for row in src.rows("trips.txt", ("route_id", "service_id", "trip_id")):
        if row["route_id"] in rail_routes:
            trip_services[row["trip_id"]] = row["service_id"]
            trip_category[row["trip_id"]] = rail_routes[row["route_id"]]
    service_days = _service_days(src)
    if day is None:
        day = _pick_day(trip_services, service_days)
    running = {t for t, s in trip_services.items() if day in service_days.get(s, ())}
    if not running:
        raise GtfsError(f"GTFS feed {src.path}: no rail trip runs on {day.isoformat()}")

    calls: dict[str, list[tuple[int, str, int, int]]] = defaultdict(list)
    required = ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence")
    for row in src.rows("stop_times.txt", required):
        trip = row["trip_id"]
        if trip not in running:
            continue
        if (row.get("pickup_type") or "0").strip() == "1" and \
                (row.get("drop_off_type") or "0").strip() == "1":
            continue
        stop = row["stop_id"].strip()
        calls[trip].append((int(row["stop_sequence"]), stop_station.get(stop, station_key(stop)),
                            _seconds(row["arrival_time"]), _seconds(row["departure_time"])))

    groups: dict[tuple[str, tuple[str, ...]], list[list[tuple[int, str, int, int]]]] = \
        defaultdict(list)
    edge_minutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for trip, stops in calls.items():
        stops.sort()
        merged: list[tuple[int, str, int, int]] = []
        for call in stops:  # two platforms of one station in a row: one call
            if merged and merged[-1][1] == call[1]:
                merged[-1] = (merged[-1][0], call[1], merged[-1][2], call[3])
            else:
                merged.append(call)
        if len(merged) < 2:
            continue
        groups[(trip_category[trip], tuple(c[1] for c in merged))].append(merged)
        for a, b in itertools.pairwise(merged):
            edge_minutes[(a[1], b[1])].append((b[2] - a[3]) / 60.0)

    patterns: list[Pattern] = []
    for n, ((category, seq), trips) in enumerate(sorted(groups.items())):
        t0 = [t[0][3] for t in trips]
        arrive = [statistics.median((t[i][2] - z) / 60.0 for t, z in zip(trips, t0, strict=True))
                  for i in range(len(seq))]
        depart = [statistics.median((t[i][3] - z) / 60.0 for t, z in zip(trips, t0, strict=True))
                  for i in range(len(seq))]
        arrive[0] = depart[0] = 0.0
        for i in range(1, len(seq)):  # medians of monotone rows: keep them monotone
            arrive[i] = max(arrive[i], depart[i - 1])
            depart[i] = max(depart[i], arrive[i])
        patterns.append(Pattern(f"P{n + 1:04d}", category, len(trips), seq,
                                tuple(arrive), tuple(depart)))
    edges = tuple(
        Edge(a, b, max(0.0, min(ms)), len(ms), statistics.median(ms))
        for (a, b), ms in sorted(edge_minutes.items())
    )
    missing = {s for p in patterns for s in p.stations} - stations.keys()
    if missing:
        raise GtfsError(f"GTFS feed {src.path}: stop_times refer to unknown stops "
                        f"{', '.join(sorted(missing)[:5])}")
    log.info("GTFS %s: %d rail trips on %s, %d patterns, %d edges", src.path, len(calls),
             day, len(patterns), len(edges))
    return GtfsFeed(day, stations, tuple(patterns), edges, len(calls))


PATTERN_COLUMNS = ("pattern_id", "category", "trips_per_day", "seq", "station_id",
                   "arrive_min", "depart_min")
EDGE_COLUMNS = ("from_station_id", "to_station_id", "minutes", "trips_per_day",
                "median_minutes_weekday")


def write_patterns(patterns: tuple[Pattern, ...] | list[Pattern], path: Path) -> None:
    """Long format, one row per call (see ``data/rail/README.md``)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PATTERN_COLUMNS)
        for p in patterns:
            for i, sid in enumerate(p.stations):
                w.writerow([p.id, p.category, p.trips_per_day, i, sid,
                            f"{p.arrive[i]:g}", f"{p.depart[i]:g}"])


def write_edges(edges: tuple[Edge, ...] | list[Edge], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EDGE_COLUMNS)
        for e in edges:
            w.writerow([e.from_id, e.to_id, f"{e.minutes:g}", e.trips_per_day,
                        "" if e.median_minutes is None else f"{e.median_minutes:g}"])
