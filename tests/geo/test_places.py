from __future__ import annotations

from collections import Counter

import pytest

from geo.errors import GeoError, UnknownPostcode
from geo.places import (
    BRUSSELS,
    GERMAN_SPEAKING,
    Municipality,
    lookup_postcode,
    municipalities,
    municipality,
)


def test_municipalities() -> None:
    ms = municipalities()
    assert len(ms) == 581
    assert all(isinstance(m, Municipality) for m in ms)
    assert sum(m.population for m in ms) == 11_492_641
    regions = Counter(m.region for m in ms)
    assert regions == {"Flanders": 300, "Wallonia": 253, BRUSSELS: 19, GERMAN_SPEAKING: 9}
    german = {m.name_nl for m in ms if m.region == GERMAN_SPEAKING}
    assert german == {"Amel", "Büllingen", "Burg-Reuland", "Bütgenbach", "Eupen", "Kelmis",
                      "Lontzen", "Raeren", "Sankt Vith"}
    assert all(m.language == "de" for m in ms if m.region == GERMAN_SPEAKING)
    brussels = [m for m in ms if m.region == BRUSSELS]
    assert all(m.province == "" and m.language == "nl/fr" for m in brussels)
    assert municipality("82003").name_fr == "Bastogne"
    assert "6600" in municipality("82003").postcodes


def test_lookup_postcode() -> None:
    bastogne = lookup_postcode("6600")
    assert bastogne.locality == "Bastogne" and bastogne.nis_code == "82003"
    assert abs(bastogne.lat - 50.0006) < 0.01 and abs(bastogne.lon - 5.7153) < 0.01
    assert lookup_postcode("6600", "noville").locality == "Noville"
    assert lookup_postcode("6600", "BASTOGNE").locality == "Bastogne"
    assert lookup_postcode("6600", "Bastenaken").locality == "Bastogne"  # municipality name
    assert lookup_postcode("8300").municipality == "Knokke-Heist"
    assert lookup_postcode(" 4000 ", "liege").locality == "Liège"


@pytest.mark.parametrize("code", ["0000", "9999", "12345", "abcd", ""])
def test_unknown_postcode(code: str) -> None:
    with pytest.raises(UnknownPostcode) as info:
        lookup_postcode(code)
    assert isinstance(info.value, GeoError)
    assert "postcode" in str(info.value)


def test_unknown_locality() -> None:
    with pytest.raises(UnknownPostcode, match=r"no locality 'Knokke'.*Bastogne"):
        lookup_postcode("6600", "Knokke")
