"""What-if on the location of the centres: demand, scenarios, metrics, comparison, report.

* :mod:`geo.whatif.demand` — where the patients live: municipality population (Statbel
  2020) as a proxy, or the homes of past victims; each point with its language, region and
  province.
* :mod:`geo.whatif.scenario` — a set of centres (close, move, add, change rooms, hours or
  languages) and a travel-mode mix, as immutable values.
* :mod:`geo.whatif.metrics` — travel time and distance statistics, coverage, per region and
  per province, load per centre against its capacity, language gaps.
* :mod:`geo.whatif.compare` — side-by-side comparison with the differences; CSV and JSON.
* :mod:`geo.whatif.candidates` — candidate sites for the optimisers (stations weighted by
  boardings, municipalities, a given list) and their cost matrices.
* :mod:`geo.whatif.report` — the HTML report (self-contained Leaflet map through folium,
  matplotlib plots, the comparison table).

The optimisers themselves are in :mod:`solver.facility` (plain matrices); the use cases that
join both, and the schedule-aware evaluation, are in :mod:`scheduler.whatif`.
"""
