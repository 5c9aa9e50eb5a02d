"""What a scenario does to the patients' travel and to the centres' load.

:func:`evaluate` sends every demand point to the centre a planner would convoke it to: the
fastest centre that examines in the patient's language, in each travel mode of the
scenario's mix (``best`` = the faster of car and public transport per trip).  From that:

* door-to-door travel time (minutes) and distance (road km estimate): weighted mean,
  median, p90 and max; the share of demand within 30, 45, 60 and 90 minutes; the same per
  region and per province;
* per centre: the share of demand it receives, the expected weekly load against its weekly
  capacity (:class:`LoadAssumptions`: rooms x opening minutes x open days / exam minutes);
* the **language gap**: demand whose nearest centre in its language is more than
  ``nearby_min`` minutes away (or that no centre serves at all);
* demand that cannot reach any centre in a mode (public transport too far from a station)
  is counted as *unreachable* and left out of the time statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from geo.centres import CentreSite
from geo.road import road_km
from geo.travel import Mode, TravelModel
from geo.whatif.demand import Demand
from geo.whatif.scenario import Scenario

THRESHOLDS = (30, 45, 60, 90)
"""Minutes for the coverage shares."""


@dataclass(frozen=True)
class LoadAssumptions:
    """How demand shares become exams per week (planning assumptions, not data)."""

    weekly_convocations: float = 1500.0
    """Convocations per week over all centres (an assumption: replace it by the real
    figure of the period; ``--weekly-convocations`` on the command line)."""
    exam_minutes: float = 40.0
    """Average room time per exam."""
    open_days: int = 5


@dataclass(frozen=True)
class Summary:
    """Weighted travel statistics of a group of demand (times in minutes, distances in km)."""

    demand: float
    mean_min: float
    median_min: float
    p90_min: float
    max_min: float
    mean_km: float
    median_km: float
    p90_km: float
    max_km: float
    within: tuple[tuple[int, float], ...]
    """``((30, share), (45, share), ...)`` of the reachable demand."""
    unreachable_share: float

    def share_within(self, minutes: int) -> float:
        return dict(self.within)[minutes]


@dataclass(frozen=True)
class CentreLoad:
    id: str
    name: str
    lat: float
    lon: float
    languages: tuple[str, ...]
    rooms: int
    demand_share: float
    weekly_load: float
    weekly_capacity: float
    mean_min: float

    @property
    def utilisation(self) -> float:
        return self.weekly_load / self.weekly_capacity if self.weekly_capacity else math.inf


@dataclass(frozen=True)
class ScenarioMetrics:
    scenario: str
    changes: tuple[str, ...]
    modes: tuple[tuple[str, float], ...]
    demand_source: str
    overall: Summary
    by_region: tuple[tuple[str, Summary], ...]
    by_province: tuple[tuple[str, Summary], ...]
    centres: tuple[CentreLoad, ...]
    language_gap_share: float
    language_gap_by_language: tuple[tuple[str, float], ...]
    nearby_min: float
    # per (demand point x mode) entry, for plots and maps
    point: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)
    minutes: np.ndarray = field(repr=False)
    km: np.ndarray = field(repr=False)
    centre: np.ndarray = field(repr=False)
    """Index into :attr:`centres` (−1: unreachable)."""

    def to_dict(self) -> dict[str, Any]:
        def summary(s: Summary) -> dict[str, Any]:
            d = asdict(s)
            d["within"] = {str(k): v for k, v in s.within}
            return d

        return {
            "scenario": self.scenario, "changes": list(self.changes),
            "modes": dict(self.modes), "demand_source": self.demand_source,
            "overall": summary(self.overall),
            "by_region": {k: summary(v) for k, v in self.by_region},
            "by_province": {k: summary(v) for k, v in self.by_province},
            "centres": [{**asdict(c), "utilisation": c.utilisation} for c in self.centres],
            "language_gap_share": self.language_gap_share,
            "language_gap_by_language": dict(self.language_gap_by_language),
            "nearby_min": self.nearby_min,
        }


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value with at least ``q`` of the weight at or below it."""
    if values.size == 0 or weights.sum() <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1]))
    return float(values[order][min(k, values.size - 1)])


def summarise(minutes: np.ndarray, km: np.ndarray, weight: np.ndarray) -> Summary:
    total = float(weight.sum())
    ok = np.isfinite(minutes)
    t, d, w = minutes[ok], km[ok], weight[ok]
    reach = float(w.sum())
    if reach <= 0:
        nan = math.nan
        return Summary(total, nan, nan, nan, nan, nan, nan, nan, nan,
                       tuple((x, nan) for x in THRESHOLDS), 1.0 if total else 0.0)
    return Summary(
        demand=total,
        mean_min=float((t * w).sum() / reach), median_min=weighted_quantile(t, w, 0.5),
        p90_min=weighted_quantile(t, w, 0.9), max_min=float(t[w > 0].max()),
        mean_km=float((d * w).sum() / reach), median_km=weighted_quantile(d, w, 0.5),
        p90_km=weighted_quantile(d, w, 0.9), max_km=float(d[w > 0].max()),
        within=tuple((x, float(w[t <= x].sum() / reach)) for x in THRESHOLDS),
        unreachable_share=1.0 - reach / total if total else 0.0)


def weekly_capacity(site: CentreSite, load: LoadAssumptions) -> float:
    minutes = sum(_clock(b) - _clock(a) for a, b in site.opening)
    return site.rooms * minutes * load.open_days / load.exam_minutes


def _clock(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def mode_minutes(model: TravelModel, demand: Demand, centres: Sequence[CentreSite]
                 ) -> dict[str, np.ndarray]:
    """``{"car": (N, M), "pt": (N, M), "best": (N, M)}`` door-to-door minutes."""
    sites = [(c.id, c.lat, c.lon) for c in centres]
    mats = model.mode_matrices(demand.lat, demand.lon, sites, check=False)
    car, pt = mats[Mode.CAR], mats[Mode.PUBLIC_TRANSPORT]
    return {"car": car, "pt": pt, "best": np.minimum(car, pt)}


def evaluate(scenario: Scenario, demand: Demand, model: TravelModel | None = None,
             load: LoadAssumptions | None = None, nearby_min: float = 60.0) -> ScenarioMetrics:
    """The metrics of ``scenario`` for ``demand`` (see the module docstring)."""
    model = model or TravelModel.default()
    load = load or LoadAssumptions()
    centres = scenario.centres
    n, m = demand.size, len(centres)
    times = mode_minutes(model, demand, centres)
    sites = [(c.id, c.lat, c.lon) for c in centres]
    km_all = road_km(model.km_matrix(demand.lat, demand.lon, sites, check=False),
                     model.params.road)
    speaks = np.array([[lang in c.languages for c in centres] for lang in demand.language]
                      ).reshape(n, m)
    any_lang: np.ndarray = np.asarray(speaks.any(axis=1), dtype=bool)
    points, weights, minutes, km, chosen = [], [], [], [], []
    gap = np.zeros(n)
    for mode, share in scenario.modes:
        t = times[mode]
        allowed = np.where(speaks | ~any_lang[:, None], t, np.inf)
        best = np.argmin(allowed, axis=1)
        best_t = allowed[np.arange(n), best]
        reach = np.isfinite(best_t)
        gap += share * demand.weight * ((~any_lang) | (best_t > nearby_min))
        points.append(np.arange(n))
        weights.append(demand.weight * share)
        minutes.append(best_t)
        km.append(np.where(reach, km_all[np.arange(n), best], np.inf))
        chosen.append(np.where(reach, best, -1))
    point = np.concatenate(points)
    weight = np.concatenate(weights)
    mins = np.concatenate(minutes)
    dist = np.concatenate(km)
    centre = np.concatenate(chosen)
    region = np.array(demand.region)[point]
    province = np.array(demand.province)[point]
    total = float(weight.sum())

    def group(labels: np.ndarray) -> tuple[tuple[str, Summary], ...]:
        return tuple((str(g), summarise(mins[labels == g], dist[labels == g],
                                        weight[labels == g]))
                     for g in sorted(set(labels.tolist())))

    loads = []
    for k, c in enumerate(centres):
        mask = np.asarray(centre == k, dtype=bool)
        share_k = float(weight[mask].sum() / total) if total else 0.0
        mean_k = float((mins[mask] * weight[mask]).sum() / weight[mask].sum()) \
            if weight[mask].sum() > 0 else math.nan
        loads.append(CentreLoad(c.id, c.name("nl"), c.lat, c.lon, c.languages, c.rooms,
                                share_k, share_k * load.weekly_convocations,
                                weekly_capacity(c, load), mean_k))
    langs = np.array(demand.language)
    by_lang = tuple((lang, float(gap[langs == lang].sum() / max(
        demand.weight[langs == lang].sum(), 1e-12))) for lang in demand.languages())
    for arr in (point, weight, mins, dist, centre):
        arr.setflags(write=False)
    return ScenarioMetrics(
        scenario=scenario.name, changes=scenario.changes, modes=scenario.modes,
        demand_source=demand.source, overall=summarise(mins, dist, weight),
        by_region=group(region), by_province=group(province), centres=tuple(loads),
        language_gap_share=float(gap.sum() / demand.total) if demand.total else 0.0,
        language_gap_by_language=by_lang, nearby_min=nearby_min,
        point=point, weight=weight, minutes=mins, km=dist, centre=centre)


def coverage_curve(metrics: ScenarioMetrics, up_to: int = 180) -> tuple[np.ndarray,
                                                                        np.ndarray]:
    """``(minutes 0..up_to, share of all demand within)`` for the coverage plot."""
    grid = np.arange(0, up_to + 1)
    t, w = metrics.minutes, metrics.weight
    order = np.argsort(t)
    cum = np.cumsum(w[order]) / max(float(w.sum()), 1e-12)
    idx = np.searchsorted(t[order], grid, side="right")
    share = np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)
    return grid, share
