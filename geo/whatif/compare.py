"""Side-by-side comparison of scenarios, with the differences to the first (the baseline).

:func:`compare` turns a list of :class:`~geo.whatif.metrics.ScenarioMetrics` into a
:class:`Comparison`: one row per metric (overall, per region, per province, language gap,
centres), one value per scenario and the difference of each scenario to the baseline.
:func:`write_csv` and :func:`write_json` save it; the HTML report renders it.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.whatif.metrics import THRESHOLDS, ScenarioMetrics, Summary


@dataclass(frozen=True)
class Row:
    group: str
    """``overall``, ``region``, ``province``, ``language``, ``centres``."""
    label: str
    unit: str
    values: tuple[float, ...]
    better: str
    """``lower`` or ``higher``: which direction is an improvement."""

    @property
    def diffs(self) -> tuple[float, ...]:
        base = self.values[0]
        return tuple(v - base for v in self.values)


@dataclass(frozen=True)
class Comparison:
    scenarios: tuple[str, ...]
    rows: tuple[Row, ...]
    metrics: tuple[ScenarioMetrics, ...]

    def row(self, label: str) -> Row:
        for r in self.rows:
            if r.label == label:
                return r
        raise KeyError(label)


def _summary_rows(group: str, prefix: str, summaries: Sequence[Summary],
                  brief: bool) -> list[Row]:
    def vals(attr: str) -> tuple[float, ...]:
        return tuple(float(getattr(s, attr)) for s in summaries)

    rows = [Row(group, f"{prefix}mean travel", "min", vals("mean_min"), "lower")]
    if not brief:
        rows += [Row(group, f"{prefix}median travel", "min", vals("median_min"), "lower"),
                 Row(group, f"{prefix}p90 travel", "min", vals("p90_min"), "lower"),
                 Row(group, f"{prefix}max travel", "min", vals("max_min"), "lower"),
                 Row(group, f"{prefix}mean distance", "km", vals("mean_km"), "lower"),
                 Row(group, f"{prefix}median distance", "km", vals("median_km"), "lower"),
                 Row(group, f"{prefix}p90 distance", "km", vals("p90_km"), "lower"),
                 Row(group, f"{prefix}max distance", "km", vals("max_km"), "lower")]
    for t in THRESHOLDS if not brief else (45, 60):
        rows.append(Row(group, f"{prefix}within {t} min", "%",
                        tuple(100 * s.share_within(t) for s in summaries), "higher"))
    if not brief or any(s.unreachable_share > 0 for s in summaries):
        rows.append(Row(group, f"{prefix}unreachable", "%",
                        tuple(100 * s.unreachable_share for s in summaries), "lower"))
    return rows


def compare(metrics: Sequence[ScenarioMetrics]) -> Comparison:
    """The comparison table; the first scenario is the baseline of the differences."""
    if not metrics:
        raise ValueError("compare needs at least one scenario")
    ms = tuple(metrics)
    rows = _summary_rows("overall", "", [m.overall for m in ms], brief=False)
    for kind, attr in (("region", "by_region"), ("province", "by_province")):
        keys = sorted({k for m in ms for k, _ in getattr(m, attr)})
        for key in keys:
            found = [dict(getattr(m, attr)).get(key) for m in ms]
            if any(s is None for s in found):
                continue
            rows += _summary_rows(kind, f"{key}: ", [s for s in found if s is not None],
                                  brief=True)
    rows.append(Row("language", "language gap (no centre in the language nearby)", "%",
                    tuple(100 * m.language_gap_share for m in ms), "lower"))
    rows.append(Row("centres", "centres", "", tuple(float(len(m.centres)) for m in ms),
                    "lower"))
    rows.append(Row("centres", "weekly capacity", "exams",
                    tuple(sum(c.weekly_capacity for c in m.centres) for m in ms), "higher"))
    rows.append(Row("centres", "highest utilisation", "%",
                    tuple(100 * max(c.utilisation for c in m.centres) for m in ms), "lower"))
    rows.append(Row("centres", "centres over capacity", "",
                    tuple(float(sum(c.utilisation > 1 for c in m.centres)) for m in ms),
                    "lower"))
    return Comparison(tuple(m.scenario for m in ms), tuple(rows), ms)


def _clean(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


def as_records(comp: Comparison) -> list[dict[str, Any]]:
    out = []
    for r in comp.rows:
        rec: dict[str, Any] = {"group": r.group, "metric": r.label, "unit": r.unit,
                               "better": r.better}
        for name, v, d in zip(comp.scenarios, r.values, r.diffs, strict=True):
            rec[name] = _clean(v)
            rec[f"{name} (diff)"] = _clean(d)
        out.append(rec)
    return out


def write_csv(comp: Comparison, path: Path) -> Path:
    recs = as_records(comp)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(recs[0]))
        writer.writeheader()
        writer.writerows(recs)
    return path


def write_centres_csv(comp: Comparison, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["scenario", "centre", "name", "languages", "rooms", "demand_share",
                         "weekly_load", "weekly_capacity", "utilisation", "mean_travel_min"])
        for m in comp.metrics:
            for c in m.centres:
                writer.writerow([m.scenario, c.id, c.name, "+".join(c.languages), c.rooms,
                                 round(c.demand_share, 5), round(c.weekly_load, 1),
                                 round(c.weekly_capacity, 1), round(c.utilisation, 4),
                                 _clean(c.mean_min)])
    return path


def write_json(comp: Comparison, path: Path, extra: dict[str, Any] | None = None) -> Path:
    def clean(obj: Any) -> Any:
        if isinstance(obj, float):
            return _clean(obj)
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [clean(v) for v in obj]
        return obj

    doc = {"format": "medex-whatif/1", "scenarios": list(comp.scenarios),
           "comparison": as_records(comp), "metrics": [m.to_dict() for m in comp.metrics],
           **(extra or {})}
    path.write_text(json.dumps(clean(doc), indent=1, ensure_ascii=False), encoding="utf-8")
    return path
