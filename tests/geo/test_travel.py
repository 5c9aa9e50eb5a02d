from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from geo.centres import load_centres, sites
from geo.errors import GeoError, OutsideBelgium
from geo.places import locality_points, lookup_postcode
from geo.rail import RailParams, build_from_gtfs
from geo.travel import Mode, TravelModel, TravelParams, parse_modes

CENTRES = sites(load_centres())


@pytest.fixture(scope="module")
def model() -> TravelModel:
    return TravelModel.default()


def test_default_is_built_once(model: TravelModel) -> None:
    assert TravelModel.default() is model


def test_minutes_interface(model: TravelModel) -> None:
    p = lookup_postcode("6600")
    best = model.minutes(p.lat, p.lon, CENTRES)
    assert set(best) == {c[0] for c in CENTRES}
    assert all(isinstance(v, int) and v >= 1 for v in best.values())
    car = model.minutes(p.lat, p.lon, CENTRES, modes=[Mode.CAR])
    pt = model.minutes(p.lat, p.lon, CENTRES, modes="pt")
    for cid, v in best.items():
        assert v == min(car[cid], pt[cid])  # type: ignore[type-var]
    assert model.minutes(p.lat, p.lon, CENTRES, modes="none") == dict.fromkeys(best)
    assert model.minutes(p.lat, p.lon, CENTRES, modes=[]) == dict.fromkeys(best)
    assert model.minutes(p.lat, p.lon, []) == {}


def test_bastogne_by_car(model: TravelModel) -> None:
    p = lookup_postcode("6600")
    car = model.minutes(p.lat, p.lon, CENTRES, modes=["car"])
    assert min(car, key=car.get) == "LIB"  # type: ignore[arg-type]
    assert 20 <= car["LIB"] <= 40  # type: ignore[operator]
    assert 120 <= car["BRG"] <= 180  # type: ignore[operator]


def test_knokke_without_car(model: TravelModel) -> None:
    p = lookup_postcode("8300", "Knokke")
    pt = model.minutes(p.lat, p.lon, CENTRES, modes=["pt"])
    assert min(pt, key=pt.get) == "BRG"  # type: ignore[arg-type]
    assert 25 <= pt["BRG"] <= 60  # type: ignore[operator]
    journeys = model.journeys(p.lat, p.lon, CENTRES, modes=["pt"])
    assert journeys[0].centre_id == "BRG"
    first = journeys[0]
    assert first.mode is Mode.PUBLIC_TRANSPORT and first.car_minutes is None
    assert first.access_station is not None and first.egress_station is not None
    assert first.egress_station.name == "Brugge"
    assert first.access_station.name in ("Knokke", "Duinbergen", "Heist")
    assert [j.minutes for j in journeys] == sorted(j.minutes for j in journeys)  # type: ignore


def test_station_to_station_matches_rail(model: TravelModel) -> None:
    """From Brussel-Zuid itself to Gent: the 29-minute train plus the station buffer."""
    pt = model.minutes(50.835707, 4.336531, CENTRES, modes=["pt"])
    rail = model.rail.minutes("8814001", "8892007")
    assert rail is not None
    assert pt["GNT"] == round(rail + model.params.station_buffer_min)


def test_matrix_matches_minutes(model: TravelModel) -> None:
    pts = locality_points()[::97]
    lats = np.array([p.lat for p in pts])
    lons = np.array([p.lon for p in pts])
    m = model.matrix(lats, lons, CENTRES)
    km = model.km_matrix(lats, lons, CENTRES)
    assert m.shape == km.shape == (len(pts), len(CENTRES))
    assert np.isfinite(m).all() and (m >= 1).all()
    for i in (0, 5, len(pts) - 1):
        one = model.minutes(float(lats[i]), float(lons[i]), CENTRES)
        assert [one[c[0]] for c in CENTRES] == [max(1, round(v)) for v in m[i]]
    per_mode = model.mode_matrices(lats, lons, CENTRES)
    assert np.allclose(m, np.minimum(per_mode[Mode.CAR], per_mode[Mode.PUBLIC_TRANSPORT]))
    assert np.isinf(per_mode[Mode.NONE]).all()
    assert np.isinf(model.matrix(lats, lons, CENTRES, modes="none")).all()


def test_matrix_10000_by_20_under_2_seconds(model: TravelModel) -> None:
    rng = np.random.default_rng(11)
    pts = locality_points()
    pick = rng.integers(0, len(pts), 10_000)
    lats = np.array([pts[i].lat for i in pick])
    lons = np.array([pts[i].lon for i in pick])
    centres = CENTRES + [(f"X{i}", 50.3 + 0.1 * i, 4.0 + 0.2 * i) for i in range(8)]
    model.matrix(lats[:1], lons[:1], centres)  # one-time precomputation for this set
    t = time.perf_counter()
    m = model.matrix(lats, lons, centres)
    elapsed = time.perf_counter() - t
    assert m.shape == (10_000, 20)
    assert elapsed < 2.0


def test_bad_input(model: TravelModel) -> None:
    with pytest.raises(OutsideBelgium, match=r"\(48\.85000, 2\.35000\)"):
        model.minutes(48.85, 2.35, CENTRES)
    with pytest.raises(OutsideBelgium, match="row 1"):
        model.matrix([50.8, 52.37], [4.3, 4.9], CENTRES)
    with pytest.raises(GeoError, match="2 latitudes but 1 longitudes"):
        model.matrix([50.8, 50.9], [4.3], CENTRES)
    with pytest.raises(GeoError, match="unknown travel mode 'bike'"):
        model.minutes(50.8, 4.3, CENTRES, modes=["bike"])
    with pytest.raises(GeoError, match="excludes"):
        parse_modes(["none", "car"])
    assert parse_modes("public transport") == {Mode.PUBLIC_TRANSPORT}


def test_unreachable_is_explicit(tiny_feed: Path) -> None:
    """A rail network far from the centre and no bus that far: public transport is None."""
    rail = build_from_gtfs(tiny_feed, params=RailParams(transfer_min=12))
    model = TravelModel(rail, TravelParams(bus_max_km=5.0))
    near_alpha = (50.4610, 4.8610)
    centres = [("GAMMA", 50.5500, 5.0500), ("FAR", 51.20, 3.20), ("ECHO", 50.2000, 4.5000)]
    pt = model.minutes(*near_alpha, centres, modes=["pt"])
    assert pt["GAMMA"] is not None and pt["GAMMA"] >= 20  # train Alpha -> Gamma
    assert pt["FAR"] is None  # no station near, too far for a bus
    assert pt["ECHO"] is None  # Echo's line is another component
    best = model.minutes(*near_alpha, centres)
    assert best["FAR"] is not None and best["ECHO"] is not None  # by car
    m = model.matrix([near_alpha[0]], [near_alpha[1]], centres, modes=["pt"])
    assert np.isinf(m[0, 1]) and np.isinf(m[0, 2]) and np.isfinite(m[0, 0])
    j = {x.centre_id: x for x in model.journeys(*near_alpha, centres, modes=["pt"])}
    assert j["FAR"].mode is None and j["FAR"].minutes is None
    assert j["GAMMA"].access_station is not None and j["GAMMA"].access_station.id == "1000001"
    assert [x.centre_id for x in model.journeys(*near_alpha, centres, modes=["pt"])][-2:] \
        == ["ECHO", "FAR"]  # unreachable last
