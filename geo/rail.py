"""The NMBS rail network as a networkx graph, with dwell and transfer penalties.

Two graphs can be built:

* :meth:`RailGraph.from_patterns` (the default): from the stopping patterns of one service
  day (``data/rail/rail_patterns_gtfs2018.csv``, or :func:`build_from_gtfs` on any NMBS GTFS
  zip/folder).  Nodes: per station an *origin* node ``("o", s)`` and a *hub* node
  ``("h", s)``; per pattern call an arrival ``("a", p, i)`` and a departure ``("d", p, i)``.
  Edges: stay ``o(s) -> h(s)`` (0, a journey that ends where it starts), ride
  ``d(p,i) -> a(p,i+1)`` (timetable run time), dwell ``a(p,i) -> d(p,i)``
  (timetable dwell, at least ``min_dwell_min``), alight ``a(p,i) -> h(s)`` (0), first
  boarding ``o(s) -> d(p,i)`` (0: the journey starts with the departure) and transfer
  ``h(s) -> d(p,i)`` (``transfer_min``: walking between platforms plus the expected wait).
  So a journey pays the timetable's in-vehicle time, each intermediate stop's dwell and a
  penalty per change of train; the path says which trains.
* :meth:`RailGraph.from_edges`: from the shipped station edge list
  (``data/rail/rail_edges_gtfs2018.csv``, minimum in-vehicle minutes).  Nodes are stations;
  every intermediate station adds ``dwell_min``.  The edge list says nothing about which
  train continues where, so no transfer penalty can be charged: this graph gives a lower
  bound, used for checks and when no pattern file is available.

Station ids are 7-digit UIC codes (``8814001`` = Brussel-Zuid).  Asking for a station the
table does not know raises :class:`~geo.errors.UnknownStation`; a station that is known but
has no train, or lies in another component, is *unreachable*: ``None``, never ``0``.
"""

from __future__ import annotations

import csv
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo.errors import DataFileError, GeoError, UnknownStation
from geo.gtfs import Edge, GtfsFeed, Pattern, read_gtfs, write_edges, write_patterns
from geo.paths import data_dir, rail_edges_csv, stations_csv

log = logging.getLogger(__name__)

_EPS = 1e-6
"""Added to every edge weight: scipy's sparse graphs drop explicit zeros."""


def rail_patterns_csv() -> Path:
    return data_dir() / "rail" / "rail_patterns_gtfs2018.csv"


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    lat: float
    lon: float
    country: str
    weekday_boardings: int | None
    """NMBS weekday boardings, October 2023 (``None`` when not counted)."""
    transfer_s: int | None
    """Official minimum transfer time in seconds, when published."""
    served: bool
    """Has at least one train in the 2018 graph."""

    def label(self) -> str:
        return f"{self.name} ({self.id})"


@dataclass(frozen=True)
class RailParams:
    """Penalties of the rail graph (minutes); see the module docstring."""

    transfer_min: float = 12.0
    """Per change of train: platform change (NMBS minimum ~5 min) plus the expected extra
    wait for the connection; calibrated against the 2018 timetable (``data/rail/README``)."""
    min_dwell_min: float = 0.5
    """Pattern graph: at least this dwell at an intermediate stop (GTFS has whole minutes,
    so a stop with arrival = departure still costs time)."""
    dwell_min: float = 1.0
    """Edge graph: time per intermediate station (the edges hold in-vehicle time only)."""


@dataclass(frozen=True)
class RailJourney:
    """A fastest rail journey between two stations."""

    from_id: str
    to_id: str
    minutes: float
    transfers: int
    legs: tuple[tuple[str, str, str], ...]
    """``(category, board station id, alight station id)`` per train (pattern graph only)."""


def load_stations(path: Path | None = None) -> dict[str, Station]:
    """The station table ``data/rail/stations.csv`` by station id."""
    path = path or stations_csv()
    out: dict[str, Station] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    boardings = row.get("weekday_embarkments_oct2023", "").strip()
                    transfer = row.get("official_transfer_time_s", "").strip()
                    out[row["station_id"].strip()] = Station(
                        id=row["station_id"].strip(),
                        name=row["name"].strip(),
                        lat=float(row["latitude"]),
                        lon=float(row["longitude"]),
                        country=row["country_code"].strip(),
                        weekday_boardings=int(boardings) if boardings else None,
                        transfer_s=int(float(transfer)) if transfer else None,
                        served=row.get("rail_served_in_gtfs_2018", "1").strip() == "1",
                    )
                except (KeyError, ValueError) as exc:
                    raise DataFileError(path, i, None, f"bad station row: {exc}") from exc
    except OSError as exc:
        raise DataFileError(path, None, None, f"cannot read: {exc}") from exc
    return out


def load_edges(path: Path | None = None) -> list[Edge]:
    """A station edge list (the shipped one by default, or one written by :func:`write_edges`).

    Edges without a weekday train (``trips_per_day = 0``: weekend-only, works) are kept:
    the minimum time is still a valid lower bound."""
    path = path or rail_edges_csv()
    out: list[Edge] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    median = (row.get("median_minutes_weekday") or "").strip()
                    out.append(Edge(row["from_station_id"].strip(), row["to_station_id"].strip(),
                                    float(row["minutes"]), int(row["trips_per_day"]),
                                    float(median) if median else None))
                except (KeyError, ValueError) as exc:
                    raise DataFileError(path, i, None, f"bad edge row: {exc}") from exc
    except OSError as exc:
        raise DataFileError(path, None, None, f"cannot read: {exc}") from exc
    return out


def load_patterns(path: Path | None = None) -> list[Pattern]:
    """Stopping patterns in the long format written by :func:`write_patterns`."""
    path = path or rail_patterns_csv()
    rows: dict[str, list[tuple[int, str, float, float]]] = defaultdict(list)
    meta: dict[str, tuple[str, int]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    pid = row["pattern_id"].strip()
                    meta[pid] = (row["category"].strip(), int(row["trips_per_day"]))
                    rows[pid].append((int(row["seq"]), row["station_id"].strip(),
                                      float(row["arrive_min"]), float(row["depart_min"])))
                except (KeyError, ValueError) as exc:
                    raise DataFileError(path, i, None, f"bad pattern row: {exc}") from exc
    except OSError as exc:
        raise DataFileError(path, None, None, f"cannot read: {exc}") from exc
    out: list[Pattern] = []
    for pid, calls in rows.items():
        calls.sort()
        try:
            out.append(Pattern(pid, meta[pid][0], meta[pid][1], tuple(c[1] for c in calls),
                               tuple(c[2] for c in calls), tuple(c[3] for c in calls)))
        except ValueError as exc:
            raise DataFileError(path, None, "pattern_id", str(exc)) from exc
    return out


def build_from_gtfs(path: str | Path, day: date | None = None,
                    params: RailParams | None = None) -> RailGraph:
    """A pattern graph straight from an NMBS GTFS zip or folder (see :mod:`geo.gtfs`).

    Stations come from the feed's ``stops.txt``, enriched with the shipped station table
    (names, boardings) where the ids match."""
    feed = read_gtfs(path, day)
    return RailGraph.from_feed(feed, params)


Node = tuple[str, ...] | tuple[str, str, int]


class RailGraph:
    """Fastest rail journeys between stations (minutes); see the module docstring."""

    def __init__(self, graph: nx.DiGraph, stations: dict[str, Station], kind: str,
                 params: RailParams) -> None:
        self.graph = graph
        self.stations = stations
        self.kind = kind
        self.params = params
        self._nodes: list[Node] = list(graph.nodes)
        self._index: dict[Node, int] = {n: i for i, n in enumerate(self._nodes)}
        self._csr: csr_matrix | None = None
        self._csr_t: csr_matrix | None = None
        self.served = tuple(sorted(
            s for s in stations
            if graph.out_degree(("o", s)) > 1 or graph.in_degree(("h", s)) > 1
        ))
        """Stations where a train calls (to board or to alight)."""

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_patterns(cls, patterns: Iterable[Pattern], stations: dict[str, Station],
                      params: RailParams | None = None) -> RailGraph:
        params = params or RailParams()
        g = nx.DiGraph()
        categories: dict[str, str] = {}
        g.graph["categories"] = categories
        for s in stations:
            g.add_edge(("o", s), ("h", s), weight=_EPS, kind="stay")
        for p in patterns:
            categories[p.id] = p.category
            for s in p.stations:
                if s not in stations:
                    raise UnknownStation(f"pattern {p.id} calls at station {s}, which is not "
                                         "in the station table")
            n = len(p.stations)
            for i, s in enumerate(p.stations):
                a, d = ("a", p.id, i), ("d", p.id, i)
                if i > 0:
                    run = p.arrive[i] - p.depart[i - 1]
                    g.add_edge(("d", p.id, i - 1), a, weight=max(run, 0.0) + _EPS, kind="ride")
                    g.add_edge(a, ("h", s), weight=_EPS, kind="alight")
                if 0 < i < n - 1:
                    dwell = max(p.depart[i] - p.arrive[i], params.min_dwell_min)
                    g.add_edge(a, d, weight=dwell + _EPS, kind="dwell")
                if i < n - 1:
                    g.add_edge(("o", s), d, weight=_EPS, kind="board")
                    g.add_edge(("h", s), d, weight=params.transfer_min + _EPS, kind="transfer")
        return cls(g, stations, "patterns", params)

    @classmethod
    def from_edges(cls, edges: Iterable[Edge], stations: dict[str, Station],
                   params: RailParams | None = None) -> RailGraph:
        params = params or RailParams()
        g = nx.DiGraph()
        for s in stations:
            g.add_edge(("o", s), ("h", s), weight=_EPS, kind="stay")
        for e in edges:
            for s in (e.from_id, e.to_id):
                if s not in stations:
                    raise UnknownStation(f"edge {e.from_id}->{e.to_id}: station {s} is not in "
                                         "the station table")
            for src, extra in ((("o", e.from_id), 0.0), (("h", e.from_id), params.dwell_min)):
                w = e.minutes + extra + _EPS
                old = g.get_edge_data(src, ("h", e.to_id))
                if old is None or old["weight"] > w:
                    g.add_edge(src, ("h", e.to_id), weight=w, kind="ride")
        return cls(g, stations, "edges", params)

    @classmethod
    def from_feed(cls, feed: GtfsFeed, params: RailParams | None = None) -> RailGraph:
        known = _shipped_stations()
        stations: dict[str, Station] = {}
        for sid, st in feed.stations.items():
            base = known.get(sid)
            stations[sid] = Station(sid, base.name if base else st.name, st.lat, st.lon,
                                    base.country if base else "",
                                    base.weekday_boardings if base else None,
                                    base.transfer_s if base else None, True)
        return cls.from_patterns(feed.patterns, stations, params)

    @classmethod
    def default(cls) -> RailGraph:
        """The shipped pattern graph (cached per process)."""
        return _default_graph()

    # -- queries ------------------------------------------------------------------------
    def station(self, station_id: str) -> Station:
        try:
            return self.stations[station_id]
        except KeyError:
            raise UnknownStation(f"unknown station id {station_id!r}") from None

    def minutes(self, from_id: str, to_id: str) -> float | None:
        """Fastest rail minutes between two stations; ``None`` if no train connects them."""
        j = self.journey(from_id, to_id)
        return None if j is None else j.minutes

    def journey(self, from_id: str, to_id: str) -> RailJourney | None:
        """The fastest journey, or ``None`` when unreachable (no train, other component)."""
        self.station(from_id)
        self.station(to_id)
        if from_id == to_id:
            return RailJourney(from_id, to_id, 0.0, 0, ())
        try:
            length, path = nx.single_source_dijkstra(
                self.graph, ("o", from_id), ("h", to_id), weight="weight")
        except nx.NetworkXNoPath:
            return None
        return self._describe(from_id, to_id, float(length), path)

    def _describe(self, from_id: str, to_id: str, length: float,
                  path: Sequence[Node]) -> RailJourney:
        categories: dict[str, str] = self.graph.graph.get("categories", {})
        legs: list[tuple[str, str, str]] = []
        transfers = 0
        board: tuple[str, str] | None = None  # (category, board station)
        alight = ""
        for u, v in itertools.pairwise(path):
            kind = self.graph.edges[u, v]["kind"]
            if kind in ("board", "transfer"):
                if board is not None:
                    legs.append((board[0], board[1], alight))
                board = (categories.get(str(v[1]), ""), str(u[1]))
                transfers += kind == "transfer"
            elif kind in ("alight", "ride") and v[0] == "h":
                alight = str(v[1])
        if board is not None:
            legs.append((board[0], board[1], alight))
        return RailJourney(from_id, to_id, round(length, 3), transfers, tuple(legs))

    def csgraph(self) -> tuple[csr_matrix, dict[Node, int]]:
        """The graph as a scipy CSR matrix (cached) and the node index."""
        if self._csr is None:
            n = len(self._nodes)
            rows, cols, vals = [], [], []
            for u, v, w in self.graph.edges(data="weight"):
                rows.append(self._index[u])
                cols.append(self._index[v])
                vals.append(w)
            self._csr = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
        return self._csr, self._index

    def times_to(self, targets: Sequence[Sequence[tuple[str, float]]]
                 ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Minutes from every served station to each target, all at once.

        ``targets[c]`` lists ``(egress station id, egress minutes)`` for target ``c`` (a
        centre: its nearest stations and the walk or bus from each).  Returns
        ``(minutes, egress, station_ids)``: ``minutes[c, j]`` the best rail + egress minutes
        from origin station ``station_ids[j]`` to target ``c`` (``inf``: unreachable),
        ``egress[c, j]`` the index in ``station_ids`` of the egress station used (-1)."""
        csr, index = self.csgraph()
        n = csr.shape[0]
        m = len(targets)
        ids = self.served
        if m == 0:
            return np.zeros((0, len(ids))), np.zeros((0, len(ids)), dtype=np.int64), ids
        # reversed graph, plus one super node per target with edges to its egress hubs
        t = csr.T.tocoo()
        rows, cols, vals = list(t.row), list(t.col), list(t.data)
        for c, egress in enumerate(targets):
            for sid, egress_min in egress:
                if ("h", sid) in index:
                    rows.append(n + c)
                    cols.append(index[("h", sid)])
                    vals.append(float(egress_min) + _EPS)
        rev = coo_matrix((vals, (rows, cols)), shape=(n + m, n + m)).tocsr()
        dist, pred = dijkstra(rev, directed=True, indices=np.arange(n, n + m),
                              return_predecessors=True)
        origin = np.array([index[("o", s)] for s in ids], dtype=np.int64)
        minutes: np.ndarray = dist[:, origin]
        # egress station: the hub next to the super node on each shortest path, found by
        # pointer doubling on the predecessor trees (predecessors point towards the target)
        hub_station = np.full(n + m, -1, dtype=np.int64)
        for j, sid in enumerate(ids):
            hub_station[index[("h", sid)]] = j
        egress_idx = np.full((m, len(ids)), -1, dtype=np.int64)
        nodes = np.arange(n + m)
        for c in range(m):
            up = pred[c].astype(np.int64)
            root = (up == n + c) | (up < 0)
            up = np.where(root, nodes, up)
            for _ in range(64):
                nxt = up[up]
                if np.array_equal(nxt, up):
                    break
                up = nxt
            reach = np.isfinite(minutes[c])
            egress_idx[c, reach] = hub_station[up[origin[reach]]]
        return minutes, egress_idx, ids


@cache
def _shipped_stations() -> dict[str, Station]:
    return load_stations()


@cache
def _default_graph() -> RailGraph:
    stations = _shipped_stations()
    path = rail_patterns_csv()
    if path.exists():
        graph = RailGraph.from_patterns(load_patterns(path), stations)
    else:
        log.warning("%s missing: falling back to the edge graph (no transfer penalty)", path)
        graph = RailGraph.from_edges(load_edges(), stations)
    log.info("rail graph (%s): %d nodes, %d edges, %d served stations", graph.kind,
             graph.graph.number_of_nodes(), graph.graph.number_of_edges(), len(graph.served))
    return graph


def refresh(gtfs: str | Path, out_dir: str | Path, day: date | None = None) -> GtfsFeed:
    """Rebuild ``rail_patterns`` and ``rail_edges`` CSVs in ``out_dir`` from a GTFS feed."""
    feed = read_gtfs(gtfs, day)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_patterns(feed.patterns, out / "rail_patterns.csv")
    write_edges(feed.edges, out / "rail_edges.csv")
    return feed


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m geo.rail",
                                     description="Rebuild the rail CSVs from an NMBS GTFS feed")
    parser.add_argument("gtfs", help="GTFS zip or folder")
    parser.add_argument("out_dir")
    parser.add_argument("--day", type=date.fromisoformat, default=None,
                        help="service day YYYY-MM-DD (default: busiest Tue-Thu)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        feed = refresh(args.gtfs, args.out_dir, args.day)
    except GeoError as exc:
        log.error("%s", exc)
        return 2
    log.info("wrote %d patterns and %d edges for %s", len(feed.patterns), len(feed.edges),
             feed.day)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
