from __future__ import annotations

import numpy as np
import pytest

from geo.bounds import BelgiumBounds
from geo.distance import distance_km, distance_matrix_km, pairwise_km
from geo.errors import GeoError, OutsideBelgium
from geo.places import lookup_postcode
from geo.road import CALIBRATION, RoadParams, car_minutes, driving_minutes, road_km


def test_vectorised_distance_matches_geopy() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform([49.4, 2.5], [51.6, 6.5], (300, 2))
    b = rng.uniform([49.4, 2.5], [51.6, 6.5], (300, 2))
    fast = pairwise_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    exact = np.array([distance_km(*p, *q) for p, q in zip(a, b, strict=True)])
    assert np.abs(fast - exact).max() < 0.01  # 10 m
    assert pairwise_km(np.array([50.0]), np.array([4.0]), np.array([50.0]),
                       np.array([4.0]))[0] == 0.0
    m = distance_matrix_km(a[:5, 0], a[:5, 1], b[:3, 0], b[:3, 1])
    assert m.shape == (5, 3)
    assert m[4, 2] == pytest.approx(distance_km(*a[4], *b[2]), abs=0.01)


def test_brussels_antwerp_distance() -> None:
    assert distance_km(50.835707, 4.336531, 51.2172, 4.421101) == pytest.approx(42.8, abs=0.3)


def test_road_model_is_monotone_and_continuous() -> None:
    km = np.linspace(0, 300, 3001)
    t = car_minutes(km)
    assert t[0] == pytest.approx(RoadParams().overhead_min)
    assert np.all(np.diff(t) > 0)
    assert np.abs(np.diff(t)).max() < 0.2  # no jumps between bands
    assert road_km(10.0) == pytest.approx(12.0)
    slow = car_minutes(100.0, RoadParams(peak_factor=1.5))
    assert slow - RoadParams().overhead_min == pytest.approx(1.5 * driving_minutes(100.0))


def test_road_model_calibration() -> None:
    """The documented fit: mean absolute error under 3 min, none off by more than 10 min."""
    errors = []
    for a, b, expected in CALIBRATION:
        p, q = lookup_postcode(a), lookup_postcode(b)
        errors.append(float(car_minutes(distance_km(p.lat, p.lon, q.lat, q.lon))) - expected)
    err = np.abs(errors)
    assert err.mean() < 3.0
    assert err.max() < 10.0


@pytest.fixture(scope="module")
def bounds() -> BelgiumBounds:
    return BelgiumBounds()


@pytest.mark.parametrize(("lat", "lon"), [
    (50.85, 4.35),   # Brussels
    (49.55, 5.55),   # Virton area, southern tip
    (51.35, 3.29),   # Knokke
    (50.32, 6.10),   # Sankt Vith
    (50.85, 5.69),   # Maastricht (border band)
    (50.63, 3.06),   # Lille (border band)
])
def test_inside_belgium_or_border_band(bounds: BelgiumBounds, lat: float, lon: float) -> None:
    bounds.check([lat], [lon])
    assert bounds.contains(lat, lon)


@pytest.mark.parametrize(("lat", "lon"), [
    (48.85, 2.35),   # Paris
    (52.37, 4.90),   # Amsterdam
    (50.94, 6.96),   # Köln
    (0.0, 0.0),
    (-50.85, 4.35),  # sign error
])
def test_outside_belgium(bounds: BelgiumBounds, lat: float, lon: float) -> None:
    with pytest.raises(OutsideBelgium) as info:
        bounds.check([lat], [lon])
    assert isinstance(info.value, GeoError)
    assert f"({lat:.5f}, {lon:.5f})" in str(info.value)
    assert "km away" in str(info.value)


def test_invalid_coordinates(bounds: BelgiumBounds) -> None:
    with pytest.raises(OutsideBelgium, match="row 1: not a valid"):
        bounds.check([50.8, float("nan")], [4.3, 4.3])
    with pytest.raises(OutsideBelgium, match="not a valid"):
        bounds.check([95.0], [4.3])
    with pytest.raises(OutsideBelgium, match="row 2: the nearest"):
        bounds.check([50.8, 50.9, 48.85], [4.3, 4.4, 2.35])
