"""The exceptions of :mod:`geo`, documented in one place.

::

    GeoError                   any bad geographic input or data file
    ├── DataFileError          a shipped or edited data file is malformed (row, column, reason)
    ├── UnknownPostcode        a postcode (or postcode + locality) not in the postcode table
    ├── OutsideBelgium         a coordinate outside Belgium and its border band
    ├── UnknownStation         a station id that is not in the station table / graph
    ├── Unreachable            no route at all between two places in the requested mode
    ├── GtfsError              a GTFS feed that cannot be read into a station graph
    └── GeocoderError          the optional address geocoder is not configured or failed

Callers that only want "reachable or not" use :meth:`geo.travel.TravelModel.minutes`, which
reports unreachable centres as ``None`` instead of raising.
"""

from __future__ import annotations


class GeoError(Exception):
    """Base class of every error raised by :mod:`geo`."""


class DataFileError(GeoError):
    """A data file is malformed; the message names the file, row, column and reason."""

    def __init__(self, path: object, row: int | None, column: str | None, reason: str) -> None:
        where = f"{path}"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.row = row
        self.column = column
        self.reason = reason


class UnknownPostcode(GeoError):
    """A postcode, or a locality within a postcode, that the postcode table does not know."""


class OutsideBelgium(GeoError):
    """A coordinate outside Belgium and its border band."""

    def __init__(self, lat: float, lon: float, detail: str = "") -> None:
        msg = f"coordinate ({lat:.5f}, {lon:.5f}) lies outside Belgium and its border band"
        super().__init__(f"{msg}: {detail}" if detail else msg)
        self.lat = lat
        self.lon = lon


class UnknownStation(GeoError):
    """A station id that is not in the station table or not in the rail graph."""


class Unreachable(GeoError):
    """No route exists between two places in the requested mode."""


class GtfsError(GeoError):
    """A GTFS feed (zip or folder) that is missing files or columns."""


class GeocoderError(GeoError):
    """The optional address geocoder is not configured, unreachable, or found nothing."""
