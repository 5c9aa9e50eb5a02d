"""Where the patients live: the demand of a what-if.

Two sources, one shape (:class:`Demand`, immutable arrays):

* :func:`population_demand` — by default, the 581 municipalities with their 2020
  population (Statbel) as a proxy of where victims live, at the municipality centroid.
  Each municipality carries the language of its region; the bilingual and multilingual
  areas are split by :data:`LANGUAGE_SHARES` (Brussels 60 % ``fr`` / 40 % ``nl``, the
  German-speaking Community 85 % ``de`` / 15 % ``fr``, as in the demo weeks).
* :func:`homes_demand` — the homes of past victims over a period (coordinates and
  language, e.g. from the database), each weight 1 unless given; region and province come
  from the nearest municipality centroid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geo.distance import unit_xyz
from geo.errors import GeoError
from geo.places import BRUSSELS, FLANDERS, GERMAN_SPEAKING, WALLONIA, municipalities

LANGUAGE_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    FLANDERS: (("nl", 1.0),),
    WALLONIA: (("fr", 1.0),),
    BRUSSELS: (("fr", 0.6), ("nl", 0.4)),
    GERMAN_SPEAKING: (("de", 0.85), ("fr", 0.15)),
}
"""Share of each region's demand per examination language."""

BRUSSELS_PROVINCE = "Brussel"
"""The province label used for the Brussels-Capital Region (it has no province)."""


@dataclass(frozen=True)
class Demand:
    """Demand points: one row per (place, language).  Arrays are read-only."""

    source: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    weight: np.ndarray
    language: tuple[str, ...]
    region: tuple[str, ...]
    province: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("names", "language", "region", "province"):
            if len(getattr(self, name)) != n:
                raise GeoError(f"demand: {name} has {len(getattr(self, name))} entries, "
                               f"ids {n}")
        for name in ("lat", "lon", "weight"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise GeoError(f"demand: {name} has shape {arr.shape}, expected ({n},)")
            arr.setflags(write=False)
        if n and (self.weight < 0).any():
            raise GeoError("demand: negative weight")

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def total(self) -> float:
        return float(self.weight.sum())

    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.language)))


def population_demand(min_population: int = 0) -> Demand:
    """Municipality population (Statbel 2020) split by language (:data:`LANGUAGE_SHARES`)."""
    ids, names, lat, lon, w, lang, region, prov = [], [], [], [], [], [], [], []
    for m in municipalities():
        if m.population < min_population:
            continue
        for language, share in LANGUAGE_SHARES[m.region]:
            ids.append(f"{m.nis_code}:{language}")
            names.append(m.name_nl if m.name_nl == m.name_fr else f"{m.name_nl} / {m.name_fr}")
            lat.append(m.lat)
            lon.append(m.lon)
            w.append(m.population * share)
            lang.append(language)
            region.append(m.region)
            prov.append(m.province or BRUSSELS_PROVINCE)
    return Demand("population 2020 (Statbel), by municipality", tuple(ids), tuple(names),
                  np.array(lat), np.array(lon), np.array(w), tuple(lang), tuple(region),
                  tuple(prov))


def homes_demand(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
                 languages: Sequence[str], weights: Sequence[float] | None = None,
                 ids: Sequence[str] | None = None, source: str = "homes of past victims"
                 ) -> Demand:
    """Demand from individual homes; region and province of the nearest municipality."""
    la = np.asarray(lats, dtype=float).ravel()
    lo = np.asarray(lons, dtype=float).ravel()
    n = la.size
    if lo.size != n or len(languages) != n:
        raise GeoError(f"homes: {n} latitudes, {lo.size} longitudes, {len(languages)} "
                       "languages: one each per home")
    bad = sorted({x for x in languages if x not in ("nl", "fr", "de")})
    if bad:
        raise GeoError(f"homes: unknown language(s) {', '.join(bad)} (nl, fr or de)")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    muni = municipalities()
    tree = cKDTree(unit_xyz(np.array([m.lat for m in muni]), np.array([m.lon for m in muni])))
    nearest = tree.query(unit_xyz(la, lo))[1] if n else np.zeros(0, dtype=int)
    names = tuple(muni[k].name_nl for k in nearest)
    return Demand(source, tuple(ids) if ids is not None else tuple(f"h{i}" for i in range(n)),
                  names, la, lo, w, tuple(languages), tuple(muni[k].region for k in nearest),
                  tuple(muni[k].province or BRUSSELS_PROVINCE for k in nearest))
