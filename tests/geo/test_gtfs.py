from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from geo.errors import GtfsError, UnknownStation
from geo.gtfs import read_gtfs, station_key, write_edges, write_patterns
from geo.rail import RailGraph, RailParams, build_from_gtfs, load_edges, load_patterns, refresh

A, B, X, C, D, E, F = (f"100000{i}" for i in (1, 2, 9, 3, 4, 5, 6))


def test_station_key() -> None:
    assert station_key("8814001_14      ") == "8814001"
    assert station_key("S8814001") == "8814001"
    assert station_key("008814001") == "8814001"
    assert station_key("ABC") == "ABC"


@pytest.mark.parametrize("fixture", ["tiny_feed", "tiny_zip"])
def test_read_tiny_feed(fixture: str, request: pytest.FixtureRequest) -> None:
    feed = read_gtfs(request.getfixturevalue(fixture))
    assert feed.day == date(2024, 1, 3)  # the Wednesday with the extra trip
    assert feed.trips == 5  # t1, t1b, t1x, t2, t3; the bus is dropped
    assert feed.stations[B].name == "Beta"
    seqs = {(p.category, p.stations): p for p in feed.patterns}
    assert set(seqs) == {("IC", (A, B, C)), ("L", (C, D)), ("S9", (E, F))}
    ic = seqs[("IC", (A, B, C))]
    assert ic.trips_per_day == 3
    assert ic.arrive == (0.0, 10.0, 20.0) and ic.depart == (0.0, 11.0, 20.0)  # medians
    edges = {(e.from_id, e.to_id): e for e in feed.edges}
    assert set(edges) == {(A, B), (B, C), (C, D), (E, F)}  # X passes, A-D is a bus
    assert edges[(A, B)].minutes == 10 and edges[(A, B)].trips_per_day == 3
    assert edges[(B, C)].minutes == 9 and edges[(B, C)].median_minutes == 9  # 9, 9, 10


def test_day_and_errors(tiny_feed: Path, tmp_path: Path) -> None:
    assert read_gtfs(tiny_feed, date(2024, 1, 4)).trips == 4
    with pytest.raises(GtfsError, match="no rail trip runs on 2024-01-02"):
        read_gtfs(tiny_feed, date(2024, 1, 2))  # removed by calendar_dates
    with pytest.raises(GtfsError, match="does not exist"):
        read_gtfs(tmp_path / "nowhere")
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(GtfsError, match="neither a folder nor a GTFS zip"):
        read_gtfs(bad)
    (tiny_feed / "trips.txt").unlink()
    with pytest.raises(GtfsError, match=r"trips\.txt is missing"):
        read_gtfs(tiny_feed)


def test_missing_column(tiny_feed: Path) -> None:
    text = (tiny_feed / "stop_times.txt").read_text().replace("departure_time", "dep")
    (tiny_feed / "stop_times.txt").write_text(text)
    with pytest.raises(GtfsError, match=r"stop_times\.txt lacks departure_time"):
        read_gtfs(tiny_feed)


def test_graph_from_tiny_feed(tiny_zip: Path) -> None:
    g = build_from_gtfs(tiny_zip, params=RailParams(transfer_min=12))
    assert g.kind == "patterns"
    assert g.minutes(A, C) == pytest.approx(20, abs=0.01)
    j = g.journey(A, D)
    assert j is not None
    assert j.minutes == pytest.approx(20 + 12 + 15, abs=0.01)  # transfer penalty at Gamma
    assert j.transfers == 1
    assert j.legs == (("IC", A, C), ("L", C, D))
    assert g.minutes(A, B) == pytest.approx(10, abs=0.01)
    # B is intermediate for A->C: its dwell (1 min) is part of the 20 minutes
    assert g.minutes(B, C) == pytest.approx(9, abs=0.01)
    # disconnected component and wrong direction: unreachable, never zero
    assert g.minutes(A, E) is None
    assert g.minutes(D, A) is None
    assert g.journey(A, A) is not None and g.minutes(A, A) == 0
    with pytest.raises(UnknownStation):
        g.minutes(A, "9999999")
    assert set(g.served) == {A, B, C, D, E, F}  # X: trains pass without calling
    assert X in g.stations and g.minutes(A, X) is None


def test_refresh_round_trip(tiny_feed: Path, tmp_path: Path) -> None:
    feed = refresh(tiny_feed, tmp_path / "out")
    patterns = load_patterns(tmp_path / "out" / "rail_patterns.csv")
    assert sorted(p.stations for p in patterns) == sorted(p.stations for p in feed.patterns)
    edges = load_edges(tmp_path / "out" / "rail_edges.csv")
    assert {(e.from_id, e.to_id, e.minutes) for e in edges} == \
        {(e.from_id, e.to_id, e.minutes) for e in feed.edges}
    write_patterns(feed.patterns, tmp_path / "p.csv")
    write_edges(feed.edges, tmp_path / "e.csv")
    assert (tmp_path / "p.csv").read_text() == \
        (tmp_path / "out" / "rail_patterns.csv").read_text()


def test_edge_graph_dwell(tiny_feed: Path) -> None:
    feed = read_gtfs(tiny_feed)
    stations = RailGraph.from_feed(feed).stations
    g = RailGraph.from_edges(feed.edges, stations, RailParams(dwell_min=1.0))
    assert g.minutes(A, C) == pytest.approx(10 + 1 + 9, abs=0.01)
    assert g.minutes(A, D) == pytest.approx(10 + 1 + 9 + 1 + 15, abs=0.01)  # no transfer
    assert g.minutes(A, E) is None


def test_pattern_with_unknown_station(tiny_feed: Path) -> None:
    feed = read_gtfs(tiny_feed)
    stations = dict(RailGraph.from_feed(feed).stations)
    del stations[C]
    with pytest.raises(UnknownStation, match="1000003"):
        RailGraph.from_patterns(feed.patterns, stations)
    with pytest.raises(UnknownStation, match="1000003"):
        RailGraph.from_edges(feed.edges, stations)
