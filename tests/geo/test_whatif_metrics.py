"""geo.whatif.metrics and compare: travel statistics, coverage, load, language gap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geo.whatif.compare import compare, write_centres_csv, write_csv, write_json
from geo.whatif.demand import homes_demand, population_demand
from geo.whatif.metrics import coverage_curve, evaluate, summarise, weighted_quantile
from geo.whatif.scenario import Scenario


@pytest.fixture(scope="module")
def demand():  # type: ignore[no-untyped-def]
    return population_demand()


@pytest.fixture(scope="module")
def current(demand):  # type: ignore[no-untyped-def]
    return evaluate(Scenario.current(), demand)


def test_weighted_statistics() -> None:
    v = np.array([10.0, 20.0, 30.0, 40.0])
    w = np.array([1.0, 1.0, 1.0, 7.0])
    assert weighted_quantile(v, w, 0.5) == 40.0
    assert weighted_quantile(v, np.ones(4), 0.5) == 20.0
    s = summarise(v, v / 2, w)
    assert s.mean_min == pytest.approx(34.0)
    assert s.share_within(30) == pytest.approx(0.3)
    assert s.max_km == 20.0
    s = summarise(np.array([10.0, np.inf]), np.array([1.0, np.inf]), np.array([1.0, 3.0]))
    assert s.unreachable_share == pytest.approx(0.75) and s.mean_min == 10.0


def test_current_centres_on_population(current, demand) -> None:  # type: ignore[no-untyped-def]
    o = current.overall
    assert o.demand == pytest.approx(demand.total)
    assert 10 < o.mean_min < 60 and o.median_min <= o.p90_min <= o.max_min
    shares = [s for _, s in o.within]
    assert shares == sorted(shares) and shares[-1] <= 1.0
    assert {r for r, _ in current.by_region} == {"Flanders", "Wallonia", "Brussels",
                                                 "German-speaking Community"}
    assert len(current.by_province) == 11  # 10 provinces + Brussels
    assert sum(c.demand_share for c in current.centres) == pytest.approx(1.0)
    # German speakers are sent to Eupen, the only German-language centre
    de = [i for i, lang in enumerate(demand.language) if lang == "de"]
    eup = [c.id for c in current.centres].index("EUP")
    idx = np.isin(current.point, de)
    assert (current.centre[idx] == eup).all()


def test_closing_a_centre_lengthens_travel(current, demand) -> None:  # type: ignore[no-untyped-def]
    closed = evaluate(Scenario.current().close("LIB"), demand)
    assert closed.overall.mean_min > current.overall.mean_min
    lux_before = dict(current.by_province)["Luxemburg"]
    lux_after = dict(closed.by_province)["Luxemburg"]
    assert lux_after.mean_min > lux_before.mean_min + 10


def test_language_gap_when_the_german_centre_closes(demand) -> None:  # type: ignore[no-untyped-def]
    m = evaluate(Scenario.current().close("EUP"), demand)
    assert dict(m.language_gap_by_language)["de"] == pytest.approx(1.0)
    assert m.language_gap_share > 0


def test_mode_mix_public_transport_is_slower(current, demand) -> None:  # type: ignore[no-untyped-def]
    pt = evaluate(Scenario.current().with_modes({"pt": 1}), demand)
    assert pt.overall.mean_min > current.overall.mean_min


def test_comparison_rows_and_files(current, demand, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    alt = evaluate(Scenario.current().close("MON").renamed("no Mons"), demand)
    comp = compare([current, alt])
    row = comp.row("mean travel")
    assert row.values[0] == pytest.approx(current.overall.mean_min)
    assert row.diffs[1] == pytest.approx(alt.overall.mean_min - current.overall.mean_min)
    assert comp.row("centres").values == (12.0, 11.0)
    assert any(r.label.startswith("Henegouwen: ") for r in comp.rows)
    write_csv(comp, tmp_path / "c.csv")
    write_centres_csv(comp, tmp_path / "centres.csv")
    write_json(comp, tmp_path / "c.json")
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["scenarios"] == ["current centres", "no Mons"]
    assert (tmp_path / "c.csv").read_text().splitlines()[0].startswith("group,metric")
    _grid, share = coverage_curve(alt)
    assert share[0] == 0.0 and np.all(np.diff(share) >= 0) and share[-1] <= 1.0


def test_homes_as_demand() -> None:
    d = homes_demand([51.22, 49.68], [4.40, 5.81], ["nl", "fr"])
    m = evaluate(Scenario.current(), d)
    ids = [c.id for c in m.centres]
    assert ids[int(m.centre[0])] == "ANT"
    assert m.overall.max_min > m.overall.mean_min
