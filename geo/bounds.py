"""Is a coordinate in Belgium (or its border band)?

No border polygon is shipped; instead a coordinate is accepted when a Belgian postcode
locality (2,775 village centres, ``data/places``) lies within ``band_km`` (20 km).  Inside
Belgium the nearest locality is never more than ~6 km away, so this accepts Belgium plus a
band of roughly 15-20 km beyond the border (Maastricht, Lille, Aachen, Luxembourg city
commuters, the coastal sea) and rejects anything farther.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from geo.distance import pairwise_km, unit_xyz
from geo.errors import OutsideBelgium
from geo.places import Postcode, locality_points

BAND_KM = 20.0


class BelgiumBounds:
    def __init__(self, points: Sequence[Postcode] | None = None, band_km: float = BAND_KM):
        self.points = list(points) if points is not None else locality_points()
        self.band_km = band_km
        self._lat = np.array([p.lat for p in self.points])
        self._lon = np.array([p.lon for p in self.points])
        self._tree = cKDTree(unit_xyz(self._lat, self._lon))

    def nearest(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(km, index)`` of the nearest locality for each coordinate."""
        _, idx = self._tree.query(unit_xyz(lats, lons), k=1)
        idx = np.asarray(idx, dtype=np.int64)
        return pairwise_km(lats, lons, self._lat[idx], self._lon[idx]), idx

    def check(self, lats: np.ndarray | Sequence[float], lons: np.ndarray | Sequence[float]
              ) -> None:
        """Raise :class:`OutsideBelgium` for the first coordinate outside the band."""
        la = np.asarray(lats, dtype=float).ravel()
        lo = np.asarray(lons, dtype=float).ravel()
        if la.shape != lo.shape:
            raise ValueError(f"{la.size} latitudes but {lo.size} longitudes")
        bad = ~(np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180))
        if bad.any():
            i = int(np.argmax(bad))
            raise OutsideBelgium(float(la[i]), float(lo[i]),
                                 f"row {i}: not a valid latitude/longitude")
        if la.size == 0:
            return
        km, idx = self.nearest(la, lo)
        far = km > self.band_km
        if far.any():
            i = int(np.argmax(far))
            p = self.points[int(idx[i])]
            row = f"row {i}: " if la.size > 1 else ""
            raise OutsideBelgium(float(la[i]), float(lo[i]),
                                 f"{row}the nearest Belgian locality, {p.postcode} "
                                 f"{p.locality}, is {math.floor(float(km[i]))} km away "
                                 f"(border band {self.band_km:g} km)")

    def contains(self, lat: float, lon: float) -> bool:
        try:
            self.check([lat], [lon])
        except OutsideBelgium:
            return False
        return True
