"""Car travel time as a documented estimate (no road network is shipped).

``road_km = detour x straight_km``; the driving time covers the road km in distance bands
(the first km are urban, the long ones motorway), plus a fixed overhead for reaching the
car and parking:

    minutes = overhead + min(r, 10)/v1 + clip(r - 10, 0, 30)/v2 + max(r - 40, 0)/v3   (x60)

Calibration (:data:`CALIBRATION`): least squares over a grid of round values against 22
Belgian trips (city centre to city centre, postcode coordinates of ``data/places``) with
typical **off-peak** door-to-door car times as route planners give them, rounded to 5 min
(values recalled from public route planners, not queried from a live service).  Fit:
overhead 5 min, detour 1.20, 45 / 90 / 120 km/h; mean absolute error 2.2 min (6 %),
worst 7.5 min (Bastogne-Libramont, 25 min expected, 32.5 modelled).  Peak-hour traffic
(Brussels ring, Antwerp) is not modelled: use ``RoadParams(peak_factor=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CALIBRATION: tuple[tuple[str, str, int], ...] = (
    ("1000", "2000", 45), ("1000", "9000", 50), ("1000", "3000", 30), ("1000", "4000", 70),
    ("1000", "5000", 50), ("1000", "8000", 70), ("1000", "6700", 115), ("1000", "3500", 60),
    ("1000", "7000", 55), ("2000", "9000", 50), ("4000", "4700", 35), ("6600", "6800", 25),
    ("6600", "4000", 60), ("8300", "8000", 25), ("9000", "8000", 40), ("3500", "3000", 45),
    ("6000", "5000", 35), ("2000", "2100", 15), ("9000", "9050", 12), ("6600", "6700", 40),
    ("6800", "6700", 45), ("4700", "4780", 45),
)
"""``(from postcode, to postcode, off-peak car minutes)`` used for the fit."""


@dataclass(frozen=True)
class RoadParams:
    overhead_min: float = 5.0
    """Walk to the car, park and walk to the door."""
    detour: float = 1.20
    """Road km per straight-line km."""
    urban_km: float = 10.0
    urban_kmh: float = 45.0
    regional_km: float = 40.0
    """End of the regional band (road km)."""
    regional_kmh: float = 90.0
    motorway_kmh: float = 120.0
    peak_factor: float = 1.0
    """Multiplies the driving time (not the overhead); 1.0 = off-peak."""


def road_km(straight_km: np.ndarray | float, p: RoadParams | None = None) -> np.ndarray:
    p = p or RoadParams()
    return np.asarray(straight_km, dtype=float) * p.detour


def driving_minutes(straight_km: np.ndarray | float, p: RoadParams | None = None) -> np.ndarray:
    """Minutes behind the wheel (no overhead), vectorised."""
    p = p or RoadParams()
    r = road_km(straight_km, p)
    urban = np.minimum(r, p.urban_km)
    regional = np.clip(r - p.urban_km, 0.0, p.regional_km - p.urban_km)
    motorway = np.maximum(r - p.regional_km, 0.0)
    hours = urban / p.urban_kmh + regional / p.regional_kmh + motorway / p.motorway_kmh
    return np.asarray(hours * 60.0 * p.peak_factor)


def car_minutes(straight_km: np.ndarray | float, p: RoadParams | None = None) -> np.ndarray:
    """Door-to-door car minutes, vectorised."""
    p = p or RoadParams()
    return np.asarray(p.overhead_min + driving_minutes(straight_km, p))
