"""Door-to-door travel time from a home to the centres (placeholder road estimate)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lon1)
    q1, q2 = math.radians(lat2), math.radians(lon2)
    h = math.sin((q1 - p1) / 2) ** 2 + math.cos(p1) * math.cos(q1) * math.sin((q2 - p2) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


class TravelModel:
    """Travel minutes from a home to centres; best over the modes available."""

    @classmethod
    def default(cls) -> TravelModel:
        return cls()

    def minutes(self, lat: float, lon: float,
                centres: Sequence[tuple[str, float, float]]) -> dict[str, int | None]:
        return {cid: round(10 + _km(lat, lon, clat, clon) * 1.3 / 70 * 60)
                for cid, clat, clon in centres}
