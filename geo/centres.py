"""The Medex centres as data: ``data/centres/centres.csv`` (see its README for the columns)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from geo.errors import DataFileError
from geo.paths import centres_csv

LANGUAGES = ("nl", "fr", "de")
COLUMNS = (
    "id", "name_nl", "name_fr", "name_de", "address", "postcode", "lat", "lon",
    "station_id", "station_name", "rooms", "opening", "languages", "evidenced", "note",
)
"""Required columns; ``coords_approximate`` is optional (default 1)."""

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class CentreSite:
    """A Medex examination centre.  ``opening`` holds ``("HH:MM", "HH:MM")`` intervals."""

    id: str
    name_nl: str
    name_fr: str
    name_de: str
    address: str
    postcode: str
    lat: float
    lon: float
    station_id: str
    station_name: str
    rooms: int
    opening: tuple[tuple[str, str], ...]
    languages: tuple[str, ...]
    evidenced: bool
    note: str
    coords_approximate: bool = True

    def name(self, language: str = "nl") -> str:
        """The centre's name in ``language`` (nl, fr or de; Dutch otherwise)."""
        return {"fr": self.name_fr, "de": self.name_de}.get(language, self.name_nl)


def sites(centres: Iterable[CentreSite]) -> list[tuple[str, float, float]]:
    """``[(id, lat, lon)]``, the form :meth:`geo.travel.TravelModel.minutes` takes."""
    return [(c.id, c.lat, c.lon) for c in centres]


def parse_opening(text: str) -> tuple[tuple[str, str], ...]:
    """``"08:30-12:00;13:00-16:30"`` -> ``(("08:30", "12:00"), ("13:00", "16:30"))``.

    Intervals must be non-empty, ascending and non-overlapping; raises ``ValueError``."""
    out: list[tuple[str, str]] = []
    last_end = -1
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise ValueError("no opening interval (expected e.g. 08:30-16:30)")
    for part in parts:
        start, sep, end = (s.strip() for s in part.partition("-"))
        if not sep or not _HHMM.match(start) or not _HHMM.match(end):
            raise ValueError(f"interval {part!r} is not HH:MM-HH:MM")
        s, e = _minutes(start), _minutes(end)
        if s >= e:
            raise ValueError(f"interval {part!r} ends before it starts")
        if s < last_end:
            raise ValueError(f"interval {part!r} overlaps or precedes the previous one")
        last_end = e
        out.append((start, end))
    return tuple(out)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _flag(value: str) -> bool:
    if value.strip() not in ("0", "1"):
        raise ValueError(f"{value!r} is not 0 or 1")
    return value.strip() == "1"


def _row_to_site(row: dict[str, str], path: Path, line: int) -> CentreSite:
    def need(column: str) -> str:
        raw = (row.get(column) or "").strip()
        if not raw:
            raise DataFileError(path, line, column, "empty")
        return raw

    def flag(column: str, default: bool | None = None) -> bool:
        raw = (row.get(column) or "").strip()
        if not raw and default is not None:
            return default
        try:
            return _flag(raw)
        except ValueError as exc:
            raise DataFileError(path, line, column, str(exc)) from exc

    def coordinate(column: str, low: float, high: float) -> float:
        raw = need(column)
        try:
            value = float(raw)
        except ValueError as exc:
            raise DataFileError(path, line, column, f"{raw!r} is not a number") from exc
        if not low <= value <= high:
            raise DataFileError(path, line, column, f"{value} is outside Belgium [{low}, {high}]")
        return value

    postcode = need("postcode")
    if not re.fullmatch(r"\d{4}", postcode):
        raise DataFileError(path, line, "postcode", f"{postcode!r} is not a 4-digit postcode")
    rooms_raw = need("rooms")
    try:
        rooms = int(rooms_raw)
    except ValueError as exc:
        raise DataFileError(path, line, "rooms", f"{rooms_raw!r} is not an integer") from exc
    if rooms < 1:
        raise DataFileError(path, line, "rooms", f"{rooms} rooms; at least 1 needed")
    try:
        opening = parse_opening(need("opening"))
    except ValueError as exc:
        raise DataFileError(path, line, "opening", str(exc)) from exc
    langs = tuple(x.strip() for x in need("languages").replace("+", ";").split(";") if x.strip())
    bad = [x for x in langs if x not in LANGUAGES]
    if bad or not langs:
        raise DataFileError(path, line, "languages",
                            f"{', '.join(bad)} not among {', '.join(LANGUAGES)}")
    return CentreSite(
        id=need("id"),
        name_nl=need("name_nl"),
        name_fr=need("name_fr"),
        name_de=need("name_de"),
        address=(row.get("address") or "").strip(),
        postcode=postcode,
        lat=coordinate("lat", 49.4, 51.6),
        lon=coordinate("lon", 2.5, 6.5),
        station_id=need("station_id"),
        station_name=need("station_name"),
        rooms=rooms,
        opening=opening,
        languages=langs,
        evidenced=flag("evidenced"),
        note=(row.get("note") or "").strip(),
        coords_approximate=flag("coords_approximate", default=True),
    )


def load_centres(path: Path | None = None) -> list[CentreSite]:
    """The centres of ``path`` (default: the shipped ``data/centres/centres.csv``).

    Raises :class:`geo.errors.DataFileError` (a ``GeoError``) naming the row (line number in
    the file, header = 1), the column and the reason for a malformed file."""
    path = path or centres_csv()
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise DataFileError(path, 1, missing[0],
                                    f"missing column(s) {', '.join(missing)}")
            out: list[CentreSite] = []
            seen: set[str] = set()
            for i, row in enumerate(reader, start=2):
                if None in row:
                    raise DataFileError(path, i, None, "more fields than columns")
                site = _row_to_site(row, path, i)
                if site.id in seen:
                    raise DataFileError(path, i, "id", f"duplicate centre id {site.id!r}")
                seen.add(site.id)
                out.append(site)
    except OSError as exc:
        raise DataFileError(path, None, None, f"cannot read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, None, f"not UTF-8: {exc}") from exc
    if not out:
        raise DataFileError(path, None, None, "no centres")
    return out
