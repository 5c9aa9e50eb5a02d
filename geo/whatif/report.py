"""The what-if report: one self-contained HTML page, plots and the metrics as CSV and JSON.

:func:`write_report` writes into a folder:

* ``report.html`` — the comparison table (each scenario beside the baseline, with the
  differences coloured by whether they improve), the load per centre, the optimiser's
  status and gap and the schedule-aware results when given, the plots, and a Leaflet map
  (folium) with per scenario its centres (size by rooms, colour by utilisation), the
  demand coloured by travel-time band and the catchment of each centre.  Leaflet's
  JavaScript and CSS are **inlined** from the copy in ``geo/whatif/static/leaflet``
  (Leaflet 1.9.4, BSD-2-Clause), so the page works offline; only the background map tiles
  (OpenStreetMap) need a network, and the markers show without them;
* ``travel_times.png`` (distribution before/after), ``coverage.png`` (share of demand
  within T minutes), ``utilisation.png``;
* ``comparison.csv``, ``centres.csv`` and ``metrics.json`` (:mod:`geo.whatif.compare`).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from geo.whatif.compare import (
    Comparison,
    Row,
    write_centres_csv,
    write_csv,
    write_json,
)
from geo.whatif.demand import Demand
from geo.whatif.metrics import ScenarioMetrics, coverage_curve

STATIC = Path(__file__).resolve().parent / "static" / "leaflet"
BANDS = ((30, "#1a9850", "up to 30 min"), (45, "#91cf60", "30-45 min"),
         (60, "#fee08b", "45-60 min"), (90, "#fc8d59", "60-90 min"),
         (math.inf, "#d73027", "over 90 min"))
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")


@dataclass(frozen=True)
class ReportFiles:
    folder: Path
    html: Path
    comparison_csv: Path
    centres_csv: Path
    json: Path
    plots: tuple[Path, ...]


def _band(minutes: float) -> str:
    for limit, colour, _ in BANDS:
        if minutes <= limit:
            return colour
    return BANDS[-1][1]


def _fmt(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "–"
    if unit in ("", "exams"):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _diff_cell(row: Row, diff: float) -> str:
    if not math.isfinite(diff) or abs(diff) < 1e-9:
        return '<td class="diff">0</td>'
    good = (diff < 0) == (row.better == "lower")
    cls = "better" if good else "worse"
    return f'<td class="diff {cls}">{diff:+,.1f}</td>'


def comparison_table(comp: Comparison) -> str:
    """The HTML comparison table (``id="comparison"``)."""
    head = "".join(f"<th>{html.escape(n)}</th>" + ("<th>diff</th>" if k else "")
                   for k, n in enumerate(comp.scenarios))
    out = [f'<table id="comparison"><thead><tr><th>metric</th><th>unit</th>{head}</tr>'
           "</thead><tbody>"]
    group = None
    for row in comp.rows:
        if row.group != group:
            group = row.group
            span = 2 + 2 * len(comp.scenarios) - 1
            out.append(f'<tr class="group"><td colspan="{span}">{html.escape(group)}</td></tr>')
        cells = []
        for k, (v, d) in enumerate(zip(row.values, row.diffs, strict=True)):
            cells.append(f"<td>{_fmt(v, row.unit)}</td>")
            if k:
                cells.append(_diff_cell(row, d))
        out.append(f"<tr><td>{html.escape(row.label)}</td><td>{html.escape(row.unit)}</td>"
                   f"{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def centres_table(comp: Comparison) -> str:
    out = ['<table id="centres"><thead><tr><th>scenario</th><th>centre</th><th>languages</th>'
           "<th>rooms</th><th>demand share %</th><th>exams / week</th><th>capacity / week</th>"
           "<th>utilisation %</th><th>mean travel min</th></tr></thead><tbody>"]
    for m in comp.metrics:
        for c in m.centres:
            cls = ' class="worse"' if c.utilisation > 1 else ""
            out.append(f"<tr><td>{html.escape(m.scenario)}</td><td>{html.escape(c.id)} "
                       f"{html.escape(c.name)}</td><td>{'+'.join(c.languages)}</td>"
                       f"<td>{c.rooms}</td><td>{100 * c.demand_share:.1f}</td>"
                       f"<td>{c.weekly_load:.0f}</td><td>{c.weekly_capacity:.0f}</td>"
                       f"<td{cls}>{100 * c.utilisation:.0f}</td>"
                       f"<td>{_fmt(c.mean_min, 'min')}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _records_table(table_id: str, records: Sequence[Mapping[str, Any]]) -> str:
    if not records:
        return ""
    keys = list(records[0])
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = []
    for r in records:
        cells = []
        for k in keys:
            v = r[k]
            text = f"{v:,.2f}" if isinstance(v, float) and math.isfinite(v) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>'
            f"{''.join(body)}</tbody></table>")


# -- plots -----------------------------------------------------------------------------


def _png(fig: Any, path: Path) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = buf.getvalue()
    path.write_bytes(data)
    return base64.b64encode(data).decode("ascii")


def plot_travel_times(metrics: Sequence[ScenarioMetrics], path: Path) -> str:
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    finite = np.concatenate([m.minutes[np.isfinite(m.minutes)] for m in metrics])
    top = float(np.percentile(finite, 99.5)) if finite.size else 120.0
    bins = [float(b) for b in np.arange(0, max(30.0, top) + 5, 5)]
    for k, m in enumerate(metrics):
        ok = np.isfinite(m.minutes)
        ax.hist(m.minutes[ok], bins=bins, weights=m.weight[ok] / m.weight.sum() * 100,
                histtype="step" if k else "stepfilled", alpha=1.0 if k else 0.35,
                linewidth=2, label=m.scenario, color=PALETTE[k % len(PALETTE)])
    ax.set_xlabel("door-to-door travel time (minutes)")
    ax.set_ylabel("share of demand (%) per 5 min")
    ax.set_title("Travel time distribution")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig, path)


def plot_coverage(metrics: Sequence[ScenarioMetrics], path: Path) -> str:
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for k, m in enumerate(metrics):
        grid, share = coverage_curve(m, 150)
        ax.plot(grid, 100 * share, label=m.scenario, linewidth=2,
                color=PALETTE[k % len(PALETTE)])
    for t in (30, 45, 60, 90):
        ax.axvline(t, color="grey", linewidth=0.6, linestyle=":")
    ax.set_xlabel("travel time T (minutes)")
    ax.set_ylabel("demand within T (%)")
    ax.set_title("Coverage curve")
    ax.set_ylim(0, 101)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return _png(fig, path)


def plot_utilisation(metrics: Sequence[ScenarioMetrics], path: Path) -> str:
    ids = sorted({c.id for m in metrics for c in m.centres})
    fig, ax = plt.subplots(figsize=(max(7.5, 0.45 * len(ids)), 3.8))
    width = 0.8 / max(1, len(metrics))
    x = np.arange(len(ids))
    for k, m in enumerate(metrics):
        u = {c.id: 100 * c.utilisation for c in m.centres}
        ax.bar(x + k * width, [u.get(i, 0.0) for i in ids], width=width, label=m.scenario,
               color=PALETTE[k % len(PALETTE)])
    ax.axhline(100, color="black", linewidth=0.8)
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, ids, rotation=60, fontsize=8)
    ax.set_ylabel("weekly load / capacity (%)")
    ax.set_title("Load per centre against its capacity")
    ax.legend(fontsize=8)
    return _png(fig, path)


# -- map -------------------------------------------------------------------------------


def _inline_leaflet(page: str) -> str:
    """Replace the CDN references of folium by the shipped Leaflet, drop the unused ones."""
    js = (STATIC / "leaflet.js").read_text(encoding="utf-8")
    css = (STATIC / "leaflet.css").read_text(encoding="utf-8")
    page = re.sub(r'<script src="[^"]*leaflet(?:@[\d.]+)?/dist/leaflet\.js"></script>',
                  lambda _: f"<script>{js}</script>", page)
    page = re.sub(r'<link rel="stylesheet" href="[^"]*leaflet(?:@[\d.]+)?/dist/leaflet\.css"'
                  r"\s*/>", lambda _: f"<style>{css}</style>", page)
    page = re.sub(r'\s*<script src="https?://[^"]*"></script>', "", page)
    page = re.sub(r'\s*<link rel="stylesheet" href="https?://[^"]*"\s*/>', "", page)
    return page


def build_map(metrics: Sequence[ScenarioMetrics], demand: Demand,
              figure: folium.Figure) -> folium.Map:
    fmap = folium.Map(location=[50.55, 4.55], zoom_start=8, tiles=None, width="100%",
                      height="620px", control_scale=True, prefer_canvas=False)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online only)").add_to(fmap)
    fmap.add_to(figure)
    # one marker per place (the language split points share coordinates)
    for k, m in enumerate(metrics):
        show = k < 2
        travel = folium.FeatureGroup(name=f"{m.scenario}: travel time", show=k == 0)
        catch = folium.FeatureGroup(name=f"{m.scenario}: catchments", show=False)
        centres = folium.FeatureGroup(name=f"{m.scenario}: centres", show=show)
        w = np.bincount(m.point, weights=m.weight, minlength=demand.size)
        finite = np.where(np.isfinite(m.minutes), m.minutes, 999.0)
        t = np.bincount(m.point, weights=m.weight * finite, minlength=demand.size) / \
            np.maximum(w, 1e-12)
        main = np.full(demand.size, -1)
        best_w = np.zeros(demand.size)
        for p_idx, c_idx, wt in zip(m.point, m.centre, m.weight, strict=True):
            if wt > best_w[p_idx]:
                best_w[p_idx], main[p_idx] = wt, c_idx
        seen: dict[tuple[float, float], int] = {}
        for i in range(demand.size):
            key = (round(float(demand.lat[i]), 5), round(float(demand.lon[i]), 5))
            if key in seen:
                continue
            seen[key] = i
            same = [j for j in range(i, min(demand.size, i + 3))
                    if (round(float(demand.lat[j]), 5), round(float(demand.lon[j]), 5)) == key]
            weight = float(sum(w[j] for j in same))
            minutes = float(sum(t[j] * w[j] for j in same) / max(weight, 1e-12))
            radius = 2.0 + 10.0 * math.sqrt(weight / max(float(w.max()), 1e-12))
            centre_name = m.centres[int(main[i])].id if main[i] >= 0 else "unreachable"
            tip = (f"{html.escape(demand.names[i])}: {minutes:.0f} min to {centre_name}, "
                   f"demand {weight:,.0f}")
            folium.CircleMarker([demand.lat[i], demand.lon[i]], radius=radius, weight=0.5,
                                color="#333333", fill=True, fill_color=_band(minutes),
                                fill_opacity=0.8, tooltip=tip).add_to(travel)
            colour = PALETTE[int(main[i]) % len(PALETTE)] if main[i] >= 0 else "#000000"
            folium.CircleMarker([demand.lat[i], demand.lon[i]], radius=radius, weight=0,
                                fill=True, fill_color=colour, fill_opacity=0.75,
                                tooltip=tip).add_to(catch)
        for ci, c in enumerate(m.centres):
            colour = "#d73027" if c.utilisation > 1 else "#1a1a1a"
            tip = (f"<b>{html.escape(c.id)} {html.escape(c.name)}</b> ({m.scenario})<br>"
                   f"{'+'.join(c.languages)}, {c.rooms} rooms<br>"
                   f"{100 * c.demand_share:.1f}% of demand, {c.weekly_load:.0f} / "
                   f"{c.weekly_capacity:.0f} exams a week ({100 * c.utilisation:.0f}%)")
            folium.CircleMarker([c.lat, c.lon], radius=6 + 2 * c.rooms, weight=3, color=colour,
                                fill=True, fill_color=PALETTE[ci % len(PALETTE)],
                                fill_opacity=0.9, tooltip=folium.Tooltip(tip)).add_to(centres)
        travel.add_to(fmap)
        catch.add_to(fmap)
        centres.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 1.5em;
       color: #1a1a1a; max-width: 1400px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef; position: sticky; top: 0; }
tr.group td { background: #f4f4f4; font-weight: bold; text-align: left; }
td.better { color: #1a7f37; font-weight: bold; } td.worse, td .worse { color: #c62828; }
td.worse { font-weight: bold; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 4px;
               border-radius: 3px; font-size: 0.85em; }
.note { color: #555; font-size: 0.85em; }
img { max-width: 100%; }
details { margin: 0.6em 0; }
"""


def write_report(comp: Comparison, demand: Demand, folder: Path, *,
                 title: str = "Medex what-if: location of the centres",
                 proposals: Sequence[Mapping[str, Any]] = (),
                 schedule: Sequence[Mapping[str, Any]] = (),
                 notes: Sequence[str] = ()) -> ReportFiles:
    """Write the report, plots, CSV and JSON into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = comp.metrics
    plots = (folder / "travel_times.png", folder / "coverage.png",
             folder / "utilisation.png")
    img = [plot_travel_times(metrics, plots[0]), plot_coverage(metrics, plots[1]),
           plot_utilisation(metrics, plots[2])]
    csv_path = write_csv(comp, folder / "comparison.csv")
    centres_path = write_centres_csv(comp, folder / "centres.csv")
    json_path = write_json(comp, folder / "metrics.json",
                           {"proposals": list(proposals), "schedule_aware": list(schedule),
                            "demand_source": demand.source})
    changes = "".join(
        f"<li><b>{html.escape(m.scenario)}</b>: "
        f"{html.escape('; '.join(m.changes) or 'no change')} "
        f"(modes {', '.join(f'{k} {100 * v:.0f}%' for k, v in m.modes)})</li>"
        for m in metrics)
    legend = "".join(f'<span style="background:{c}">{html.escape(t)}</span>'
                     for _, c, t in BANDS)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">Demand: {html.escape(demand.source)}, {demand.total:,.0f} in '
        f"{demand.size} points. Travel: door-to-door model (car and NMBS train). "
        "Each patient goes to the fastest centre that examines in their language. "
        f"Differences are to the first scenario.</p><ul>{changes}</ul>",
        "<h2>Comparison</h2>", comparison_table(comp),
    ]
    if proposals:
        parts += ["<h2>Optimiser</h2>", _records_table("proposals", proposals)]
    if schedule:
        parts += ["<h2>Schedule-aware evaluation (demo weeks through the weekly engine)</h2>",
                  _records_table("schedule", schedule)]
    parts += [
        "<h2>Plots</h2>",
        f'<img alt="travel time distribution" src="data:image/png;base64,{img[0]}">',
        f'<img alt="coverage curve" src="data:image/png;base64,{img[1]}">',
        f'<img alt="utilisation" src="data:image/png;base64,{img[2]}">',
        "<h2>Map</h2>",
        f'<p class="legend">Travel time: {legend} &nbsp; Centres: size by rooms, red ring '
        "when over capacity. Layers per scenario: travel time, catchments (colour of the "
        "centre), centres.</p>",
    ]
    bottom = ["<h2>Load per centre</h2>", "<details open><summary>table</summary>",
              centres_table(comp), "</details>"]
    bottom += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    figure = folium.Figure(title=title)
    figure.header.add_child(folium.Element(
        f'<meta charset="utf-8"><style>{CSS}</style>'))
    figure.html.add_child(folium.Element("\n".join(parts)))
    build_map(metrics, demand, figure)
    figure.html.add_child(folium.Element("\n".join(bottom)))
    page = _inline_leaflet(figure.render())
    out = folder / "report.html"
    out.write_text(page, encoding="utf-8")
    return ReportFiles(folder, out, csv_path, centres_path, json_path, plots)
