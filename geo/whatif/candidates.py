"""Candidate sites for the location optimisers, and their cost matrices.

* :func:`station_candidates` — the Belgian railway stations with trains, weighted by their
  NMBS weekday boardings (October 2023): only stations with at least ``min_boardings`` are
  candidates (a centre next to a busy station is reachable from far more homes), and the
  boardings are kept for the report;
* :func:`municipality_candidates` — the municipality centroids;
* :func:`given_candidates` — a list of ``(id, name, lat, lon)``;
* :func:`centre_candidates` — the centres of a scenario (to keep them, in expansion
  planning, or to choose among them).

:func:`cost_matrix` gives the (demand x candidates) door-to-door minutes for a mode mix
(each mode's share of the demand weighted in: the expected minutes of a trip), ready for
:mod:`solver.facility`.  :func:`scenario_from_sites` turns chosen candidates back into a
scenario; a new centre speaks the languages of its region (Flanders ``nl``, Wallonia
``fr``, Brussels ``nl`` + ``fr``, the German-speaking Community ``de`` + ``fr``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geo.centres import CentreSite
from geo.distance import unit_xyz
from geo.places import BRUSSELS, FLANDERS, GERMAN_SPEAKING, WALLONIA, municipalities
from geo.rail import load_stations
from geo.travel import TravelModel
from geo.whatif.demand import Demand
from geo.whatif.metrics import mode_minutes
from geo.whatif.scenario import Scenario, ScenarioError

REGION_LANGUAGES = {FLANDERS: ("nl",), WALLONIA: ("fr",), BRUSSELS: ("nl", "fr"),
                    GERMAN_SPEAKING: ("de", "fr")}


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    lat: float
    lon: float
    kind: str
    """``station``, ``municipality``, ``given`` or ``centre``."""
    boardings: int | None = None
    centre: CentreSite | None = None
    """The existing centre, for ``kind == "centre"``."""


def station_candidates(min_boardings: int = 1000) -> list[Candidate]:
    out = [Candidate(f"ST{s.id}", s.name, s.lat, s.lon, "station", s.weekday_boardings)
           for s in load_stations().values()
           if s.country == "be" and s.served and (s.weekday_boardings or 0) >= min_boardings]
    if not out:
        raise ScenarioError(f"no station has {min_boardings} weekday boardings or more: "
                            "lower min_boardings")
    return sorted(out, key=lambda c: -(c.boardings or 0))


def municipality_candidates(min_population: int = 0) -> list[Candidate]:
    return [Candidate(f"M{m.nis_code}", m.name_nl, m.lat, m.lon, "municipality")
            for m in municipalities() if m.population >= min_population]


def given_candidates(rows: Sequence[tuple[str, str, float, float]]) -> list[Candidate]:
    return [Candidate(str(i), str(n), float(la), float(lo), "given") for i, n, la, lo in rows]


def centre_candidates(scenario: Scenario) -> list[Candidate]:
    return [Candidate(c.id, c.name("nl"), c.lat, c.lon, "centre", centre=c)
            for c in scenario.centres]


def cost_matrix(demand: Demand, candidates: Sequence[Candidate],
                modes: Sequence[tuple[str, float]] = (("best", 1.0),),
                model: TravelModel | None = None) -> np.ndarray:
    """(demand points x candidates) expected door-to-door minutes under the mode mix."""
    model = model or TravelModel.default()
    sites = [_as_site(c) for c in candidates]
    mats = mode_minutes(model, demand, sites)
    out = np.zeros((demand.size, len(candidates)))
    for mode, share in modes:
        out += share * mats[mode]
    return out


def _as_site(c: Candidate) -> CentreSite:
    if c.centre is not None:
        return c.centre
    return CentreSite(id=c.id, name_nl=c.name, name_fr=c.name, name_de=c.name, address="",
                      postcode="0000", lat=c.lat, lon=c.lon, station_id="", station_name="",
                      rooms=1, opening=(("08:30", "16:30"),), languages=("nl",),
                      evidenced=False, note="")


def region_of(lat: float, lon: float) -> str:
    muni = municipalities()
    tree = cKDTree(unit_xyz(np.array([m.lat for m in muni]), np.array([m.lon for m in muni])))
    return muni[int(tree.query(unit_xyz(np.array([lat]), np.array([lon])))[1][0])].region


def scenario_from_sites(base: Scenario, chosen: Sequence[Candidate], name: str,
                        rooms: int = 3) -> Scenario:
    """The scenario with exactly the chosen sites: existing centres among them are kept
    as they are, the others closed, new sites added with their region's languages."""
    keep = {c.centre.id for c in chosen if c.centre is not None}
    scen = base
    for cid in base.ids:
        if cid not in keep:
            scen = scen.close(cid) if len(scen.centres) > 1 else scen
    new = [c for c in chosen if c.centre is None]
    for k, c in enumerate(new, start=1):
        scen = scen.add(f"N{k:02d}", name=c.name, lat=c.lat, lon=c.lon, rooms=rooms,
                        languages=REGION_LANGUAGES[region_of(c.lat, c.lon)])
    if not keep and new:  # the last base centre could not be closed before adding
        scen = scen.close(base.ids[-1]) if base.ids[-1] in scen.ids else scen
    return scen.renamed(name)
