"""The shipped rail graph against the 2018 NMBS timetable.

Reference times were derived once from the full NMBS GTFS of 2018-06-01 (``shared/data``),
service day Tuesday 2018-09-18, rail trips only:

* direct: the fastest scheduled train Brussel-Zuid -> destination (departure to arrival);
  they match the well-known timetable (Gent ~30, Antwerpen 40-45, Liège 60-70, Arlon ~165);
* with changes: a connection scan over that day's trains (5 min minimum transfer), the
  fastest journey departing between 07:00 and 19:00.
"""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import UnknownStation
from geo.rail import RailGraph, load_edges, load_stations

BRUSSEL_ZUID = "8814001"
DIRECT = {  # Brussel-Zuid -> station: fastest scheduled train, minutes
    "8892007": 29,   # Gent-Sint-Pieters
    "8821006": 45,   # Antwerpen-Centraal
    "8841004": 61,   # Liège-Guillemins
    "8866001": 161,  # Arlon
}
WITH_CHANGES = [  # (from, to, fastest scheduled journey in minutes)
    ("8891660", "8831005", 162),  # Knokke -> Hasselt
    ("8892338", "8833001", 150),  # De Panne -> Leuven
    ("8821907", "8892007", 105),  # Turnhout -> Gent-Sint-Pieters
    ("8866001", "8892007", 208),  # Arlon -> Gent-Sint-Pieters
    ("8885001", "8831005", 140),  # Tournai -> Hasselt
    ("8865003", "8891009", 196),  # Libramont -> Brugge
    ("8831765", "8881000", 155),  # Genk -> Mons
    ("8896503", "8863008", 207),  # Ieper -> Namur
    ("8866407", "8814001", 185),  # Virton -> Brussel-Zuid
    ("8896735", "8821006", 135),  # Poperinge -> Antwerpen-Centraal
    ("8891702", "8866001", 248),  # Oostende -> Arlon
    ("8895505", "8821006", 96),   # Geraardsbergen -> Antwerpen-Centraal
    ("8896008", "8863008", 132),  # Kortrijk -> Namur
    ("8863503", "8833001", 118),  # Dinant -> Leuven
    ("8891405", "8841004", 142),  # Blankenberge -> Liège-Guillemins
    ("8895760", "8833001", 74),   # Ninove -> Leuven
    ("8844628", "8891009", 162),  # Eupen -> Brugge
]


@pytest.fixture(scope="module")
def graph() -> RailGraph:
    return RailGraph.default()


@pytest.mark.parametrize(("to", "reference"), sorted(DIRECT.items()))
def test_direct_journeys_within_15_percent(graph: RailGraph, to: str, reference: int) -> None:
    minutes = graph.minutes(BRUSSEL_ZUID, to)
    assert minutes is not None
    assert abs(minutes - reference) <= 0.15 * reference, (to, minutes, reference)
    j = graph.journey(BRUSSEL_ZUID, to)
    assert j is not None and j.transfers == 0


@pytest.mark.parametrize(("frm", "to", "reference"), WITH_CHANGES)
def test_journeys_with_changes_within_15_percent(graph: RailGraph, frm: str, to: str,
                                                 reference: int) -> None:
    minutes = graph.minutes(frm, to)
    assert minutes is not None
    assert abs(minutes - reference) <= 0.15 * reference, (frm, to, minutes, reference)


def test_changes_are_penalised(graph: RailGraph) -> None:
    j = graph.journey("8891660", "8831005")  # Knokke -> Hasselt
    assert j is not None and j.transfers >= 1
    assert len(j.legs) == j.transfers + 1
    assert j.legs[0][1] == "8891660" and j.legs[-1][2] == "8831005"
    for (_, _, alight), (_, board, _) in zip(j.legs, j.legs[1:], strict=False):
        assert alight == board


def test_edge_graph_is_a_lower_bound_within_15_percent() -> None:
    g = RailGraph.from_edges(load_edges(), load_stations())
    for to, reference in DIRECT.items():
        minutes = g.minutes(BRUSSEL_ZUID, to)
        assert minutes is not None and minutes <= reference
        assert abs(minutes - reference) <= 0.15 * reference


def test_unknown_and_unserved_stations(graph: RailGraph) -> None:
    with pytest.raises(UnknownStation, match="1234567"):
        graph.minutes(BRUSSEL_ZUID, "1234567")
    unserved = [s.id for s in graph.stations.values() if not s.served and s.country == "be"]
    assert unserved
    assert graph.minutes(BRUSSEL_ZUID, unserved[0]) is None  # unreachable, not zero
    assert unserved[0] not in graph.served


def test_times_to_matches_single_journeys(graph: RailGraph) -> None:
    minutes, egress, ids = graph.times_to([[("8831005", 0.0)], [("8814001", 2.0),
                                                               ("8813003", 4.0)]])
    assert minutes.shape == (2, len(ids)) and egress.shape == (2, len(ids))
    j = ids.index("8891660")
    knokke_hasselt = graph.minutes("8891660", "8831005")
    assert knokke_hasselt is not None
    assert minutes[0, j] == pytest.approx(knokke_hasselt, abs=0.01)
    assert ids[egress[0, j]] == "8831005"
    gent = ids.index("8892007")
    best = min(graph.minutes("8892007", "8814001") + 2,  # type: ignore[operator]
               graph.minutes("8892007", "8813003") + 4)  # type: ignore[operator]
    assert minutes[1, gent] == pytest.approx(best, abs=0.01)
    assert ids[egress[1, gent]] in ("8814001", "8813003")
    belgian = np.array([graph.stations[s].country == "be" for s in ids])
    assert np.isfinite(minutes[0, belgian]).all()  # one connected Belgian network
    # the 2018 NMBS feed only has trains *to* foreign stations (Lille, Luxembourg, ...)
    assert not np.isfinite(minutes[0, ids.index("8200100")])
    assert minutes[0, ids.index("8831005")] == pytest.approx(0, abs=0.01)
