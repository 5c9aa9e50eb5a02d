from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from geopy.exc import GeocoderUnavailable

from geo.errors import GeocoderError, GeoError, OutsideBelgium, UnknownPostcode
from geo.geocode import AddressGeocoder, resolve


@dataclass
class _Location:
    latitude: float
    longitude: float
    address: str


class FakeGeocoder:
    """Stands in for geopy's Nominatim: no network in tests."""

    def __init__(self, answers: dict[str, _Location | None], fail: bool = False) -> None:
        self.answers = answers
        self.fail = fail
        self.queries: list[tuple[str, dict[str, Any]]] = []

    def geocode(self, query: str, *args: Any, **kwargs: Any) -> _Location | None:
        self.queries.append((query, kwargs))
        if self.fail:
            raise GeocoderUnavailable("service down")
        return self.answers.get(query)


def test_postcodes_and_coordinates() -> None:
    p = resolve("6600")
    assert (p.source, p.postcode, p.label) == ("postcode", "6600", "6600 Bastogne")
    assert resolve("8300 Knokke").label == "8300 Knokke"
    c = resolve(" 50.8466, 4.3528 ")
    assert (c.lat, c.lon, c.source) == (50.8466, 4.3528, "coordinates")
    with pytest.raises(UnknownPostcode, match="0000"):
        resolve("0000")
    with pytest.raises(UnknownPostcode, match="no locality"):
        resolve("6600 Knokke")
    with pytest.raises(OutsideBelgium):
        resolve("150.0, 4.0")
    with pytest.raises(GeoError, match="empty"):
        resolve("  ")


def test_address_without_geocoder_uses_its_postcode() -> None:
    p = resolve("Rue du Vivier 12, 6600 Bastogne")
    assert p.source == "postcode" and p.postcode == "6600"
    with pytest.raises(GeocoderError, match="no address geocoder configured"):
        resolve("Grote Markt 1, Brugge")


def test_geocoder_is_cached_and_restricted_to_belgium() -> None:
    fake = FakeGeocoder({"Grote Markt 1, Brugge": _Location(51.2089, 3.2242, "Markt, Brugge")})
    geocoder = AddressGeocoder(fake)
    p = resolve("Grote Markt 1, Brugge", geocoder)
    assert (p.lat, p.lon, p.source) == (51.2089, 3.2242, "geocoder")
    resolve("grote  markt 1,  brugge", geocoder)  # same key after normalising
    assert geocoder.calls == 1
    assert fake.queries[0][1]["country_codes"] == "be"


def test_geocoder_failure_falls_back_on_postcode() -> None:
    geocoder = AddressGeocoder(FakeGeocoder({}, fail=True))
    p = resolve("Kerkstraat 5, 8300 Knokke-Heist", geocoder)
    assert p.source == "postcode" and p.postcode == "8300"
    with pytest.raises(GeocoderError, match="found nothing"):
        resolve("Kerkstraat 5, Knokke", AddressGeocoder(FakeGeocoder({})))
    with pytest.raises(GeocoderError, match="service down"):
        AddressGeocoder(FakeGeocoder({}, fail=True)).geocode("x")


def test_from_env() -> None:
    assert AddressGeocoder.from_env({}) is None
    assert AddressGeocoder.from_env({"MEDEX_GEOCODER": "none"}) is None
    with pytest.raises(GeocoderError, match="only 'nominatim'"):
        AddressGeocoder.from_env({"MEDEX_GEOCODER": "google"})
    g = AddressGeocoder.from_env({"MEDEX_GEOCODER": "nominatim",
                                  "MEDEX_GEOCODER_URL": "http://localhost:8080"})
    assert g is not None and g.calls == 0  # built, never called
