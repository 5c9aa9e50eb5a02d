"""geo.whatif.scenario and geo.whatif.demand: edits, JSON specs, demand sources."""

from __future__ import annotations

import pytest

from geo.places import BRUSSELS, GERMAN_SPEAKING
from geo.whatif.demand import homes_demand, population_demand
from geo.whatif.scenario import Scenario, ScenarioError, find_station, scenario_from_spec


def test_edits_return_new_scenarios_and_log_changes() -> None:
    base = Scenario.current()
    alt = (base.close("MON").add("TOU", station="Tournai", languages=("fr",))
           .move("CHA", postcode="6000").with_rooms("BRU", 8)
           .with_opening("BRU", "08:00-18:00").with_languages("BRU", ["nl", "fr", "de"])
           .with_modes({"car": 7, "pt": 3}).renamed("alt"))
    assert "MON" in base.ids and "MON" not in alt.ids and "TOU" in alt.ids
    assert alt.centre("TOU").station_name == "Tournai"
    assert alt.centre("TOU").languages == ("fr",)
    assert alt.centre("BRU").rooms == 8
    assert alt.centre("BRU").opening == (("08:00", "18:00"),)
    assert alt.centre("BRU").languages == ("nl", "fr", "de")
    assert dict(alt.modes) == pytest.approx({"car": 0.7, "pt": 0.3})
    assert alt.changes[0] == "close MON" and len(alt.changes) == 7
    assert alt.name == "alt" and base.changes == ()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.close("XXX"), "no centre 'XXX'"),
    (lambda s: s.add("ANT", station="Tournai"), "already exists"),
    (lambda s: s.add("NEW", station="Nowhere-Central"), "unknown station"),
    (lambda s: s.add("NEW", station="Tournai", postcode="7500"), "exactly one place"),
    (lambda s: s.with_rooms("ANT", 0), "at least 1"),
    (lambda s: s.with_opening("ANT", "17:00-08:00"), "ends before"),
    (lambda s: s.with_languages("ANT", ["en"]), "not among"),
    (lambda s: s.with_modes({"bike": 1}), "unknown travel mode"),
])
def test_bad_edits_say_what_to_change(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match=message):
        edit(Scenario.current())


def test_station_lookup_is_accent_insensitive() -> None:
    assert find_station("liege-guillemins").name == "Liège-Guillemins"
    with pytest.raises(ScenarioError, match="did you mean"):
        find_station("Liège")


def test_spec_round_trip_and_errors() -> None:
    spec = {"name": "Tournai", "modes": {"best": 1},
            "changes": [{"close": "MON"},
                        {"add": "TOU", "name": "Doornik", "station": "Tournai",
                         "languages": ["fr"], "rooms": 2},
                        {"rooms": "BRU", "value": 7}]}
    scen = scenario_from_spec(spec)
    assert scen.name == "Tournai" and scen.centre("TOU").name_nl == "Doornik"
    assert scen.centre("BRU").rooms == 7
    with pytest.raises(ScenarioError, match=r"changes\[0\] \(close ZZZ\)"):
        scenario_from_spec({"changes": [{"close": "ZZZ"}]})
    with pytest.raises(ScenarioError, match="one of close"):
        scenario_from_spec({"changes": [{"demolish": "ANT"}]})
    with pytest.raises(ScenarioError, match="needs a value"):
        scenario_from_spec({"changes": [{"rooms": "ANT"}]})


def test_population_demand_splits_languages() -> None:
    d = population_demand()
    assert 11_000_000 < d.total < 12_000_000
    brussels = {lang for lang, r in zip(d.language, d.region, strict=True) if r == BRUSSELS}
    assert brussels == {"nl", "fr"}
    german = {lang for lang, r in zip(d.language, d.region, strict=True)
              if r == GERMAN_SPEAKING}
    assert german == {"de", "fr"}
    with pytest.raises(ValueError):
        d.weight[0] = 1.0


def test_homes_demand_takes_the_region_of_the_nearest_municipality() -> None:
    d = homes_demand([51.05, 50.64], [3.72, 5.57], ["nl", "fr"])
    assert d.region == ("Flanders", "Wallonia")
    assert d.province[0] == "Oost-Vlaanderen"
    with pytest.raises(Exception, match="one each per home"):
        homes_demand([51.0], [3.7, 4.0], ["nl"])
    with pytest.raises(Exception, match="unknown language"):
        homes_demand([51.0], [3.7], ["en"])
