"""How a victim gets to a centre by train: the nearest railway station and the walk.

The station is the one ``data/centres/centres.csv`` names for the centre (``station_id``);
a centre not in that file gets the nearest station with trains within
:data:`MAX_STATION_KM`.  The walk is the travel model's: the geodesic distance times
``walk_detour`` at ``walk_kmh`` (:class:`geo.travel.TravelParams`), at least one minute.
Where a centre's coordinates are only those of its station (``coords_approximate`` in the
file, and the centre still where the file puts it) the walk is not known: the station is
named, the minutes are not (they would say "1 min" for a building that may be further).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cache, lru_cache

from geo.centres import load_centres
from geo.distance import distance_km
from geo.errors import GeoError
from geo.rail import Station, load_stations
from geo.travel import TravelParams

log = logging.getLogger(__name__)
MAX_STATION_KM = 5.0
"""Beyond this no station is "near": the page then says nothing about the train."""


@dataclass(frozen=True)
class StationWalk:
    name: str
    walk_min: int | None
    """``None``: the centre's place is only known as its station's."""


@cache
def _stations() -> tuple[dict[str, Station], dict[str, str], set[tuple[str, float, float]]]:
    """The station table, each known centre's station id and the centres whose
    coordinates are only approximate, with those coordinates (loaded once, read-only)."""
    try:
        centres = load_centres()
        return (load_stations(), {c.id: c.station_id for c in centres},
                {(c.id, c.lat, c.lon) for c in centres if c.coords_approximate})
    except GeoError as exc:  # a broken data file must not break a victim's page
        log.warning("no station data: %s", exc)
        return {}, {}, set()


def walk_minutes(km: float, params: TravelParams | None = None) -> int:
    p = params or TravelParams()
    return max(1, math.ceil(km * p.walk_detour / p.walk_kmh * 60.0))


@lru_cache(maxsize=1024)
def station_walk(centre_id: str, lat: float, lon: float) -> StationWalk | None:
    """The station nearest the centre and the walking minutes (``None`` where the centre's
    place is only its station's), or ``None`` if no station is near (kept per centre and
    place: the stations are read-only data)."""
    stations, named, approximate = _stations()
    station = stations.get(named.get(centre_id, ""))
    if station is None:
        near = [(distance_km(lat, lon, s.lat, s.lon), s) for s in stations.values()
                if s.served and abs(s.lat - lat) < 0.1 and abs(s.lon - lon) < 0.15]
        if not near:
            return None
        km, station = min(near, key=lambda x: x[0])
        if km > MAX_STATION_KM:
            return None
    if (centre_id, lat, lon) in approximate:
        return StationWalk(name=station.name, walk_min=None)
    km = distance_km(lat, lon, station.lat, station.lon)
    return StationWalk(name=station.name, walk_min=walk_minutes(km))
