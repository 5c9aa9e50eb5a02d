"""Door-to-door travel time from a home to the centres, best over the victim's modes.

Modes (:class:`Mode`): ``car``, ``pt`` (public transport) and ``none`` ("cannot travel":
the victim gets a home visit, every centre is unreachable).

* **car** — :mod:`geo.road`: geodesic distance x detour, speed by distance band, plus a
  fixed overhead (calibration in that module).
* **public transport** — the best of
  - *train*: access to one of the ``k_access`` nearest stations with trains (walk or bus),
    ``station_buffer_min`` at the station, the fastest rail journey (:mod:`geo.rail`:
    timetable run and dwell times, ``transfer_min`` per change), and egress from one of the
    ``k_egress`` stations nearest to the centre (walk or bus);
  - *local*: walk or bus straight to the centre.

  Walk: ``walk_detour`` x geodesic km at ``walk_kmh``, up to ``walk_max_km``.  Bus:
  ``bus_overhead_min`` (walk to the stop and wait) + ``bus_factor`` x the car's driving
  time, only up to ``bus_max_km`` geodesic km (no bus legs beyond: a far home is not
  "near a station").

Unreachable is explicit: ``None`` from :meth:`TravelModel.minutes`, ``inf`` in the
matrices, never ``0`` (every reachable time is at least one minute).  Coordinates outside
Belgium and its border band raise :class:`~geo.errors.OutsideBelgium`.

The matrices are vectorised: per centre set, the rail times from every station to each
centre are computed once (one multi-source Dijkstra per centre on the reversed graph) and
cached; per home only the ``k_access`` nearest stations (a cKDTree) matter.
"""

from __future__ import annotations

import enum
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy.spatial import cKDTree

from geo.bounds import BelgiumBounds
from geo.distance import distance_km, distance_matrix_km, pairwise_km, unit_xyz
from geo.errors import GeoError
from geo.rail import RailGraph, Station
from geo.road import RoadParams, car_minutes, driving_minutes, road_km

log = logging.getLogger(__name__)

Site = tuple[str, float, float]
"""``(centre id, lat, lon)``."""


class Mode(enum.StrEnum):
    CAR = "car"
    PUBLIC_TRANSPORT = "pt"
    NONE = "none"

    @classmethod
    def parse(cls, value: Mode | str) -> Mode:
        if isinstance(value, Mode):
            return value
        key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        aliases = {"car": cls.CAR, "auto": cls.CAR, "pt": cls.PUBLIC_TRANSPORT,
                   "public_transport": cls.PUBLIC_TRANSPORT, "transit": cls.PUBLIC_TRANSPORT,
                   "train": cls.PUBLIC_TRANSPORT, "none": cls.NONE,
                   "cannot_travel": cls.NONE, "home": cls.NONE}
        try:
            return aliases[key]
        except KeyError:
            raise GeoError(f"unknown travel mode {value!r} (car, pt or none)") from None


DEFAULT_MODES: tuple[Mode, ...] = (Mode.CAR, Mode.PUBLIC_TRANSPORT)
"""Best of car and public transport."""


def parse_modes(modes: Iterable[Mode | str] | Mode | str) -> frozenset[Mode]:
    """The modes a victim can use; ``none`` (or nothing) means "cannot travel"."""
    if isinstance(modes, Mode | str):
        modes = [modes]
    parsed = frozenset(Mode.parse(m) for m in modes)
    if Mode.NONE in parsed:
        if len(parsed) > 1:
            raise GeoError("travel mode 'none' (cannot travel) excludes car and pt")
        return frozenset()
    return parsed


@dataclass(frozen=True)
class TravelParams:
    road: RoadParams = field(default_factory=RoadParams)
    walk_kmh: float = 4.5
    walk_detour: float = 1.3
    walk_max_km: float = 5.0
    bus_overhead_min: float = 10.0
    bus_factor: float = 1.5
    bus_max_km: float = 35.0
    station_buffer_min: float = 5.0
    k_access: int = 6
    k_egress: int = 3


@dataclass(frozen=True)
class Journey:
    """The best way from one home to one centre (for planners; see ``medex travel``)."""

    centre_id: str
    mode: Mode | None
    """Fastest mode; ``None`` when unreachable in every available mode."""
    minutes: int | None
    km: float
    """Geodesic (straight-line) km, geopy."""
    road_km: float
    car_minutes: int | None
    pt_minutes: int | None
    access_station: Station | None = None
    egress_station: Station | None = None
    access_minutes: int | None = None
    rail_minutes: int | None = None
    egress_minutes: int | None = None
    transfers: int | None = None
    pt_local: bool = False
    """Public transport without train (walk or bus straight to the centre)."""


@dataclass(frozen=True)
class _CentreTable:
    rail: np.ndarray
    """(n_served, M): minutes from each served station to each centre, incl. egress."""
    egress: np.ndarray
    """(M, n_served): index of the egress station (-1 when unreachable)."""


@dataclass(frozen=True)
class _PtResult:
    minutes: np.ndarray
    """(N, M) best public-transport minutes (inf: unreachable)."""
    via_train: np.ndarray
    """(N, M) bool: the train option won."""
    access: np.ndarray
    """(N, M) index into served stations of the access station (-1)."""


def _minutes_int(x: float) -> int | None:
    return None if not np.isfinite(x) else max(1, round(float(x)))


class TravelModel:
    """Travel minutes from homes to centres; best over the modes available."""

    def __init__(self, rail: RailGraph, params: TravelParams | None = None,
                 bounds: BelgiumBounds | None = None, cache_size: int = 16) -> None:
        self.rail = rail
        self.params = params or TravelParams()
        self.bounds = bounds or BelgiumBounds()
        self._ids = rail.served
        st = [rail.stations[s] for s in self._ids]
        self._slat = np.array([s.lat for s in st])
        self._slon = np.array([s.lon for s in st])
        self._tree = cKDTree(unit_xyz(self._slat, self._slon))
        self._tables: OrderedDict[tuple[Site, ...], _CentreTable] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def default(cls) -> TravelModel:
        """The model on the shipped data, built once per process."""
        return _default_model()

    # -- legs ---------------------------------------------------------------------------
    def walk_minutes(self, km: np.ndarray) -> np.ndarray:
        p = self.params
        return np.where(km <= p.walk_max_km, km * p.walk_detour / p.walk_kmh * 60.0, np.inf)

    def bus_minutes(self, km: np.ndarray) -> np.ndarray:
        p = self.params
        t = p.bus_overhead_min + p.bus_factor * driving_minutes(km, p.road)
        return np.where(km <= p.bus_max_km, t, np.inf)

    def local_minutes(self, km: np.ndarray) -> np.ndarray:
        """Walk or bus, whichever is faster."""
        return np.minimum(self.walk_minutes(km), self.bus_minutes(km))

    def _nearest_stations(self, lats: np.ndarray, lons: np.ndarray, k: int
                          ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self._ids))
        _, idx = self._tree.query(unit_xyz(lats, lons), k=k)
        idx = np.asarray(idx, dtype=np.int64).reshape(len(lats), k)
        km = pairwise_km(np.asarray(lats)[:, None], np.asarray(lons)[:, None],
                         self._slat[idx], self._slon[idx])
        return km, idx

    # -- per centre set -----------------------------------------------------------------
    def _table(self, centres: Sequence[Site]) -> _CentreTable:
        key = tuple((str(c), float(la), float(lo)) for c, la, lo in centres)
        hit = self._tables.get(key)
        if hit is not None:
            self._tables.move_to_end(key)
            return hit
        m = len(key)
        if m:
            clat = np.array([c[1] for c in key])
            clon = np.array([c[2] for c in key])
            km, idx = self._nearest_stations(clat, clon, self.params.k_egress)
            egress_min = self.local_minutes(km)
            targets = [[(self._ids[int(idx[c, j])], float(egress_min[c, j]))
                        for j in range(idx.shape[1]) if np.isfinite(egress_min[c, j])]
                       for c in range(m)]
            rail, egress, ids = self.rail.times_to(targets)
            assert ids == self._ids
            table = _CentreTable(np.ascontiguousarray(rail.T), egress)
        else:
            table = _CentreTable(np.zeros((len(self._ids), 0)), np.zeros((0, len(self._ids)),
                                                                        dtype=np.int64))
        self._tables[key] = table
        if len(self._tables) > self._cache_size:
            self._tables.popitem(last=False)
        return table

    # -- matrices -----------------------------------------------------------------------
    def _inputs(self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
                check: bool) -> tuple[np.ndarray, np.ndarray]:
        la = np.asarray(lats, dtype=float).ravel()
        lo = np.asarray(lons, dtype=float).ravel()
        if la.shape != lo.shape:
            raise GeoError(f"{la.size} latitudes but {lo.size} longitudes")
        if check:
            self.bounds.check(la, lo)
        return la, lo

    def km_matrix(self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
                  centres: Sequence[Site], check: bool = True) -> np.ndarray:
        """(N, M) geodesic km from each home to each centre."""
        la, lo = self._inputs(lats, lons, check)
        return distance_matrix_km(la, lo, np.array([c[1] for c in centres], dtype=float),
                                  np.array([c[2] for c in centres], dtype=float))

    def _pt(self, la: np.ndarray, lo: np.ndarray, km: np.ndarray,
            centres: Sequence[Site]) -> _PtResult:
        table = self._table(centres)
        n, m = km.shape
        if m == 0 or n == 0:
            empty = np.zeros((n, m))
            return _PtResult(empty, empty.astype(bool), empty.astype(np.int64))
        skm, sidx = self._nearest_stations(la, lo, self.params.k_access)
        access = self.local_minutes(skm) + self.params.station_buffer_min  # (N, k)
        total = access[:, :, None] + table.rail[sidx]  # (N, k, M)
        best_k = np.argmin(total, axis=1)  # (N, M)
        train = np.take_along_axis(total, best_k[:, None, :], axis=1)[:, 0, :]
        local = self.local_minutes(km)
        via_train = train < local
        access_idx = np.where(np.isfinite(train), np.take_along_axis(sidx, best_k, axis=1), -1)
        return _PtResult(np.minimum(train, local), via_train, access_idx)

    def mode_matrices(self, lats: Sequence[float] | np.ndarray,
                      lons: Sequence[float] | np.ndarray, centres: Sequence[Site],
                      check: bool = True) -> dict[Mode, np.ndarray]:
        """(N, M) minutes per mode (``inf``: unreachable); ``Mode.NONE`` is all ``inf``."""
        la, lo = self._inputs(lats, lons, check)
        km = self.km_matrix(la, lo, centres, check=False)
        car = np.maximum(car_minutes(km, self.params.road), 1.0)
        pt = np.maximum(self._pt(la, lo, km, centres).minutes, 1.0)
        return {Mode.CAR: car, Mode.PUBLIC_TRANSPORT: pt, Mode.NONE: np.full(km.shape, np.inf)}

    def matrix(self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
               centres: Sequence[Site],
               modes: Iterable[Mode | str] | Mode | str = DEFAULT_MODES,
               check: bool = True) -> np.ndarray:
        """(N, M) float minutes, best over ``modes``; ``np.inf`` = unreachable.

        ``check=False`` skips the Belgium test (the caller validated the coordinates)."""
        wanted = parse_modes(modes)
        la, lo = self._inputs(lats, lons, check)
        shape = (la.size, len(centres))
        if not wanted:
            return np.full(shape, np.inf)
        km = self.km_matrix(la, lo, centres, check=False)
        out = np.full(shape, np.inf)
        if Mode.CAR in wanted:
            out = np.minimum(out, car_minutes(km, self.params.road))
        if Mode.PUBLIC_TRANSPORT in wanted:
            out = np.minimum(out, self._pt(la, lo, km, centres).minutes)
        return np.maximum(out, 1.0)

    def minutes(self, lat: float, lon: float, centres: Sequence[Site],
                modes: Iterable[Mode | str] | Mode | str = DEFAULT_MODES
                ) -> dict[str, int | None]:
        """``{centre id: whole minutes or None}`` from one home (``None`` = unreachable)."""
        row = self.matrix([lat], [lon], centres, modes)[0]
        return {str(c[0]): _minutes_int(float(v)) for c, v in zip(centres, row, strict=True)}

    # -- explanation for planners -------------------------------------------------------
    def journeys(self, lat: float, lon: float, centres: Sequence[Site],
                 modes: Iterable[Mode | str] | Mode | str = DEFAULT_MODES) -> list[Journey]:
        """Per centre the best mode with its details, fastest first (unreachable last)."""
        wanted = parse_modes(modes)
        la, lo = self._inputs([lat], [lon], True)
        km = self.km_matrix(la, lo, centres, check=False)
        car = car_minutes(km, self.params.road)[0]
        pt = self._pt(la, lo, km, centres)
        table = self._table(centres)
        out: list[Journey] = []
        for c, (cid, clat, clon) in enumerate(centres):
            exact_km = distance_km(lat, lon, clat, clon)
            car_m = _minutes_int(car[c]) if Mode.CAR in wanted else None
            pt_m = (_minutes_int(pt.minutes[0, c]) if Mode.PUBLIC_TRANSPORT in wanted
                    else None)
            options = [(m, mode) for m, mode in ((car_m, Mode.CAR),
                                                 (pt_m, Mode.PUBLIC_TRANSPORT)) if m is not None]
            best = min(options, key=lambda o: o[0]) if options else None
            details: dict[str, object] = {}
            if pt_m is not None and bool(pt.via_train[0, c]):
                a = int(pt.access[0, c])
                e = int(table.egress[c, a])
                access_st = self.rail.stations[self._ids[a]]
                egress_st = self.rail.stations[self._ids[e]] if e >= 0 else None
                a_km = distance_km(lat, lon, access_st.lat, access_st.lon)
                a_min = float(self.local_minutes(np.array(a_km))) + \
                    self.params.station_buffer_min
                details = {"access_station": access_st, "egress_station": egress_st,
                           "access_minutes": _minutes_int(a_min)}
                if egress_st is not None:
                    j = self.rail.journey(access_st.id, egress_st.id)
                    e_km = distance_km(egress_st.lat, egress_st.lon, clat, clon)
                    details["egress_minutes"] = round(float(self.local_minutes(np.array(e_km))))
                    if j is not None:
                        details["rail_minutes"] = round(j.minutes)
                        details["transfers"] = j.transfers
            elif pt_m is not None:
                details = {"pt_local": True}
            out.append(Journey(
                centre_id=str(cid), mode=best[1] if best else None,
                minutes=best[0] if best else None, km=round(exact_km, 1),
                road_km=round(float(road_km(exact_km, self.params.road)), 1),
                car_minutes=car_m, pt_minutes=pt_m, **details,  # type: ignore[arg-type]
            ))
        out.sort(key=lambda j: (j.minutes is None, j.minutes or 0, j.centre_id))
        return out


@cache
def _default_model() -> TravelModel:
    model = TravelModel(RailGraph.default())
    model.rail.csgraph()
    return model
