"""Where is a victim's home?  Offline first, an address geocoder only when configured.

:func:`resolve` accepts ``"lat,lon"``, ``"6600"``, ``"6600 Bastogne"`` or a street address.
Postcodes come from the shipped table (:func:`geo.places.lookup_postcode`).  Street
addresses go to an optional geopy geocoder (Nominatim), enabled by the environment:

* ``MEDEX_GEOCODER=nominatim`` (anything else, or unset: no online geocoder),
* ``MEDEX_GEOCODER_USER_AGENT`` (Nominatim's usage policy requires an identifying agent;
  default ``medex-planner``), ``MEDEX_GEOCODER_URL`` (own Nominatim server, optional),
  ``MEDEX_GEOCODER_TIMEOUT`` (seconds, default 5).

Results are cached per geocoder.  The geocoder is never required: when it is absent,
unreachable or finds nothing, :func:`resolve` falls back on a postcode found in the
address, and only fails (``GeocoderError``) when there is none.  Tests inject a fake
geocoder; nothing here touches the network unless configured.
"""

from __future__ import annotations

import logging
import os
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from geo.errors import GeocoderError, GeoError, OutsideBelgium
from geo.places import lookup_postcode

log = logging.getLogger(__name__)

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$")
_POSTCODE_ONLY = re.compile(r"^\s*(\d{4})(?:\s+(.+?))?\s*$")
_POSTCODE_IN = re.compile(r"(?:^|[\s,])(?:B-?)?([1-9]\d{3})(?=\s|,|$)")


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str
    source: str
    """``coordinates``, ``postcode`` or ``geocoder``."""
    postcode: str | None = None


class _GeopyLike(Protocol):
    def geocode(self, query: str, *args: Any, **kwargs: Any) -> Any: ...


class AddressGeocoder:
    """A cached wrapper around a geopy geocoder, restricted to Belgium."""

    def __init__(self, geocoder: _GeopyLike, cache_size: int = 2048) -> None:
        self._geocoder = geocoder
        self._cache: OrderedDict[str, tuple[float, float, str] | None] = OrderedDict()
        self._cache_size = cache_size
        self.calls = 0
        """Number of calls that reached the geocoder (cache misses)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AddressGeocoder | None:
        """The geocoder configured in the environment, or ``None``."""
        env = os.environ if env is None else env
        kind = env.get("MEDEX_GEOCODER", "").strip().lower()
        if not kind or kind in ("none", "off", "0"):
            return None
        if kind != "nominatim":
            raise GeocoderError(f"MEDEX_GEOCODER={kind!r}: only 'nominatim' is supported")
        from geopy.geocoders import Nominatim

        kwargs: dict[str, Any] = {
            "user_agent": env.get("MEDEX_GEOCODER_USER_AGENT", "medex-planner"),
            "timeout": float(env.get("MEDEX_GEOCODER_TIMEOUT", "5")),
        }
        url = env.get("MEDEX_GEOCODER_URL", "").strip()
        if url:
            scheme, _, domain = url.partition("://")
            kwargs.update(domain=domain or scheme, scheme=scheme if domain else "https")
        return cls(Nominatim(**kwargs))

    def geocode(self, address: str) -> tuple[float, float, str]:
        """``(lat, lon, label)`` of a Belgian address; raises :class:`GeocoderError`."""
        key = " ".join(address.split()).casefold()
        if key in self._cache:
            self._cache.move_to_end(key)
            hit = self._cache[key]
        else:
            from geopy.exc import GeopyError

            self.calls += 1
            try:
                found = self._geocoder.geocode(address, exactly_one=True, country_codes="be")
            except GeopyError as exc:
                raise GeocoderError(f"address geocoder failed for {address!r}: {exc}") from exc
            hit = None if found is None else (float(found.latitude), float(found.longitude),
                                              str(getattr(found, "address", address)))
            self._cache[key] = hit
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if hit is None:
            raise GeocoderError(f"address {address!r} not found by the geocoder")
        return hit


def resolve(text: str, geocoder: AddressGeocoder | None = None) -> Place:
    """A place from ``"lat,lon"``, a postcode (+ locality), or an address (see module doc).

    Raises :class:`~geo.errors.UnknownPostcode`, :class:`~geo.errors.GeocoderError` or
    :class:`~geo.errors.OutsideBelgium` (for an invalid coordinate pair); checking that a
    valid coordinate lies in Belgium is the travel model's job."""
    if not text or not text.strip():
        raise GeoError("empty place: give a postcode, 'lat,lon' or an address")
    m = _LATLON.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise OutsideBelgium(lat, lon, "not a valid latitude/longitude")
        return Place(lat, lon, f"{lat:.5f}, {lon:.5f}", "coordinates")
    if text.strip().isdigit():
        p = lookup_postcode(text.strip())
        return Place(p.lat, p.lon, f"{p.postcode} {p.locality}", "postcode", p.postcode)
    m = _POSTCODE_ONLY.match(text)
    if m:
        p = lookup_postcode(m.group(1), m.group(2))
        return Place(p.lat, p.lon, f"{p.postcode} {p.locality}", "postcode", p.postcode)
    if geocoder is not None:
        try:
            lat, lon, label = geocoder.geocode(text)
            return Place(lat, lon, label, "geocoder")
        except GeocoderError as exc:
            log.warning("%s; falling back on the postcode", exc)
    codes = _POSTCODE_IN.findall(text)
    if not codes:
        why = "no address geocoder configured (MEDEX_GEOCODER)" if geocoder is None \
            else "the address geocoder found nothing"
        raise GeocoderError(f"cannot place {text.strip()!r}: {why} and no postcode in it")
    p = lookup_postcode(codes[-1])
    return Place(p.lat, p.lon, f"{p.postcode} {p.locality} (postcode of {text.strip()!r})",
                 "postcode", p.postcode)
