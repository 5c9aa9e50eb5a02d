"""Belgian municipalities and postcode localities, offline from ``data/places/``.

* :func:`municipalities` — the 581 municipalities (2019–2024 geography) with their 2020
  population, province, region, language and postcodes.
* :func:`lookup_postcode` — a postcode (optionally with a locality) to coordinates: the
  offline geocoder.  Without a locality the postcode's main locality (the one named like its
  municipality) is used, else the mean of its localities.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from geo.errors import DataFileError, UnknownPostcode
from geo.paths import municipalities_csv, postcode_localities_csv

FLANDERS = "Flanders"
WALLONIA = "Wallonia"
BRUSSELS = "Brussels"
GERMAN_SPEAKING = "German-speaking Community"
REGIONS = (FLANDERS, WALLONIA, BRUSSELS, GERMAN_SPEAKING)

GERMAN_SPEAKING_NIS = frozenset(
    {"63001", "63012", "63013", "63023", "63040", "63048", "63061", "63067", "63087"}
)
"""Amel 63001, Büllingen 63012, Bütgenbach 63013, Eupen 63023, Kelmis 63040, Lontzen 63048,
Raeren 63061, Sankt Vith 63067, Burg-Reuland 63087 (NIS codes of the 2019 geography)."""

_REGION_NL = {
    "Vlaams Gewest": FLANDERS,
    "Waals Gewest": WALLONIA,
    "Brussels Hoofdstedelijk Gewest": BRUSSELS,
}
_LANGUAGE = {FLANDERS: "nl", WALLONIA: "fr", BRUSSELS: "nl/fr", GERMAN_SPEAKING: "de"}


@dataclass(frozen=True)
class Municipality:
    nis_code: str
    name_nl: str
    name_fr: str
    province: str
    """Dutch province name; ``''`` for the Brussels-Capital Region."""
    region: str
    """One of :data:`REGIONS`; the 9 German-speaking municipalities are their own region."""
    language: str
    """``'nl'``, ``'fr'``, ``'de'``, or ``'nl/fr'`` for Brussels."""
    population: int
    """Population on 1 January 2020 (Statbel)."""
    lat: float
    lon: float
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class Postcode:
    postcode: str
    locality: str
    lat: float
    lon: float
    nis_code: str
    municipality: str
    """Dutch municipality name."""


def _region(region_nl: str, nis_code: str) -> str:
    if nis_code in GERMAN_SPEAKING_NIS:
        return GERMAN_SPEAKING
    try:
        return _REGION_NL[region_nl]
    except KeyError:
        raise DataFileError(municipalities_csv(), None, "region_nl",
                            f"unknown region {region_nl!r} for NIS {nis_code}") from None


@cache
def _municipalities() -> tuple[Municipality, ...]:
    path = municipalities_csv()
    out: list[Municipality] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            try:
                nis = row["nis_code"].strip()
                region = _region(row["region_nl"].strip(), nis)
                out.append(Municipality(
                    nis_code=nis,
                    name_nl=row["municipality_nl"].strip(),
                    name_fr=row["municipality_fr"].strip(),
                    province=row["province_nl"].strip(),
                    region=region,
                    language=_LANGUAGE[region],
                    population=int(row["population_2020"]),
                    lat=float(row["centroid_lat"]),
                    lon=float(row["centroid_lon"]),
                    postcodes=tuple(p for p in row["postcodes"].split(";") if p),
                ))
            except (KeyError, ValueError) as exc:
                raise DataFileError(path, i, None, f"bad row: {exc}") from exc
    extra: dict[str, set[str]] = {}
    for code, locs in _localities().items():
        for loc in locs:
            if not loc.special:
                extra.setdefault(loc.nis_code, set()).add(code)
    return tuple(
        replace(m, postcodes=tuple(sorted(set(m.postcodes) | extra.get(m.nis_code, set()))))
        for m in out
    )


def municipalities() -> list[Municipality]:
    """All 581 municipalities (cached; a fresh list each call)."""
    return list(_municipalities())


@cache
def _municipality_index() -> dict[str, Municipality]:
    return {m.nis_code: m for m in _municipalities()}


def municipality(nis_code: str) -> Municipality:
    """The municipality with this NIS code; ``KeyError`` if none."""
    return _municipality_index()[nis_code]


def normalise(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key: ``"Sint-Pieters"`` -> ``"sintpieters"``."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


@dataclass(frozen=True)
class _Locality:
    postcode: str
    locality: str
    lat: float
    lon: float
    nis_code: str
    municipality_nl: str
    municipality_fr: str
    special: bool


def postcode_supplement_csv() -> Path:
    return postcode_localities_csv().with_name("postcode_supplement.csv")


@cache
def _localities() -> dict[str, tuple[_Locality, ...]]:
    by_code: dict[str, list[_Locality]] = {}
    _read_localities(postcode_localities_csv(), by_code)
    if postcode_supplement_csv().exists():
        _read_localities(postcode_supplement_csv(), by_code)
    return {k: tuple(v) for k, v in by_code.items()}


def _read_localities(path: Path, by_code: dict[str, list[_Locality]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            try:
                loc = _Locality(
                    postcode=row["postcode"].strip(),
                    locality=row["locality"].strip(),
                    lat=float(row["latitude"]),
                    lon=float(row["longitude"]),
                    nis_code=row["nis_code"].strip(),
                    municipality_nl=row["municipality_nl"].strip(),
                    municipality_fr=row["municipality_fr"].strip(),
                    special=row["special_postcode"].strip() == "1",
                )
            except (KeyError, ValueError) as exc:
                raise DataFileError(path, i, None, f"bad row: {exc}") from exc
            by_code.setdefault(loc.postcode, []).append(loc)


def locality_points() -> list[Postcode]:
    """Every postcode locality as a :class:`Postcode` (2,775 points; used for coverage)."""
    return [_to_postcode(loc) for locs in _localities().values() for loc in locs]


def postcodes() -> list[str]:
    """All known postcodes, sorted."""
    return sorted(_localities())


def _to_postcode(loc: _Locality) -> Postcode:
    return Postcode(loc.postcode, loc.locality, loc.lat, loc.lon, loc.nis_code,
                    loc.municipality_nl)


def lookup_postcode(code: str, locality: str | None = None) -> Postcode:
    """Coordinates of a postcode (and locality), offline.

    ``locality`` may be a locality of that postcode or its municipality name (Dutch or
    French), in any case and with or without accents.  Without one, the locality named like
    the municipality is taken (the main village), else the mean of the postcode's
    localities.  Raises :class:`geo.errors.UnknownPostcode` for an unknown postcode or a
    locality that does not belong to it."""
    key = str(code).strip()
    table = _localities()
    if key not in table:
        if not (len(key) == 4 and key.isdigit()):
            raise UnknownPostcode(f"{code!r} is not a Belgian postcode (4 digits expected)")
        raise UnknownPostcode(f"unknown postcode {key}: not in the bpost postcode table")
    locs = table[key]
    if locality is not None and locality.strip():
        wanted = normalise(locality)
        for loc in locs:
            if normalise(loc.locality) == wanted:
                return _to_postcode(loc)
        if not any(wanted in (normalise(loc.municipality_nl), normalise(loc.municipality_fr))
                   for loc in locs):
            known = ", ".join(sorted({loc.locality for loc in locs}))
            raise UnknownPostcode(
                f"postcode {key} has no locality {locality.strip()!r} (known: {known})")
    for loc in locs:
        if normalise(loc.locality) in (normalise(loc.municipality_nl),
                                       normalise(loc.municipality_fr)):
            return _to_postcode(loc)
    first = locs[0]
    lat = sum(loc.lat for loc in locs) / len(locs)
    lon = sum(loc.lon for loc in locs) / len(locs)
    name = " / ".join(loc.locality for loc in locs)
    return Postcode(key, name, lat, lon, first.nis_code, first.municipality_nl)
