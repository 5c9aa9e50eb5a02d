"""A what-if scenario: a set of centres and a travel-mode mix, as immutable values.

Start from the shipped centres (:meth:`Scenario.current`) and derive others; every edit
returns a new scenario and records a line in :attr:`Scenario.changes`::

    base = Scenario.current()
    alt = (base.close("MON")
               .add("TOU", name="Tournai", station="Tournai", languages=("fr",))
               .move("CHA", postcode="6000")
               .with_rooms("BRU", 8)
               .with_opening("BRU", "08:00-18:00")
               .with_modes({"car": 0.7, "pt": 0.3})
               .renamed("Tournai instead of Mons"))

The same edits can be written as a JSON document (:func:`scenario_from_spec`), which is
what ``medex whatif compare --scenario FILE`` and the management page read::

    {"name": "Tournai instead of Mons", "modes": {"car": 0.7, "pt": 0.3},
     "changes": [{"close": "MON"},
                 {"add": "TOU", "name": "Tournai", "station": "Tournai", "languages": ["fr"]},
                 {"move": "CHA", "postcode": "6000"},
                 {"rooms": "BRU", "value": 8},
                 {"opening": "BRU", "value": "08:00-18:00"},
                 {"languages": "BRU", "value": ["nl", "fr", "de"]}]}

A travel-mode mix says which share of the demand travels how: ``best`` (the faster of car
and public transport for each trip), ``car`` or ``pt``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from geo.centres import LANGUAGES, CentreSite, load_centres, parse_opening
from geo.distance import unit_xyz
from geo.errors import GeoError
from geo.places import lookup_postcode, normalise
from geo.rail import Station, load_stations

MODE_KEYS = ("best", "car", "pt")


class ScenarioError(GeoError):
    """A scenario edit that cannot be applied; the message says what to change."""


@cache
def _stations() -> tuple[Station, ...]:
    return tuple(s for s in load_stations().values() if s.country == "be" and s.served)


@cache
def _station_tree() -> cKDTree:
    st = _stations()
    return cKDTree(unit_xyz(np.array([s.lat for s in st]), np.array([s.lon for s in st])))


def find_station(name_or_id: str) -> Station:
    """A Belgian served station by UIC id or name (case- and accent-insensitive)."""
    key = normalise(name_or_id)
    for s in _stations():
        if s.id == name_or_id.strip() or normalise(s.name) == key:
            return s
    close = sorted(s.name for s in _stations() if key and key in normalise(s.name))[:5]
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    raise ScenarioError(f"unknown station {name_or_id!r}{hint}")


def nearest_station(lat: float, lon: float) -> Station:
    idx = int(_station_tree().query(unit_xyz(np.array([lat]), np.array([lon])))[1][0])
    return _stations()[idx]


def _mix(modes: Mapping[str, float] | Sequence[tuple[str, float]]) -> tuple[tuple[str, float],
                                                                            ...]:
    items = list(modes.items()) if isinstance(modes, Mapping) else list(modes)
    if not items:
        raise ScenarioError("a mode mix needs at least one mode (best, car or pt)")
    out: dict[str, float] = {}
    for key, share in items:
        k = str(key).strip().lower()
        if k in ("public_transport", "train", "transit"):
            k = "pt"
        if k not in MODE_KEYS:
            raise ScenarioError(f"unknown travel mode {key!r}: use best, car or pt")
        if not float(share) >= 0:
            raise ScenarioError(f"mode share of {key} must be >= 0, got {share}")
        out[k] = out.get(k, 0.0) + float(share)
    total = sum(out.values())
    if total <= 0:
        raise ScenarioError("the mode shares add up to 0")
    return tuple((k, v / total) for k, v in sorted(out.items()) if v > 0)


@dataclass(frozen=True)
class Scenario:
    name: str
    centres: tuple[CentreSite, ...]
    modes: tuple[tuple[str, float], ...] = (("best", 1.0),)
    changes: tuple[str, ...] = ()

    @classmethod
    def current(cls, path: Path | None = None, name: str = "current centres") -> Scenario:
        return cls(name, tuple(load_centres(path)))

    # -- lookups ----------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.centres)

    def centre(self, centre_id: str) -> CentreSite:
        for c in self.centres:
            if c.id == centre_id:
                return c
        raise ScenarioError(f"no centre {centre_id!r} in scenario {self.name!r} (centres: "
                            f"{', '.join(self.ids)})")

    def _replace_centre(self, site: CentreSite, change: str) -> Scenario:
        centres = tuple(site if c.id == site.id else c for c in self.centres)
        return replace(self, centres=centres, changes=(*self.changes, change))

    # -- edits ------------------------------------------------------------------------
    def renamed(self, name: str) -> Scenario:
        return replace(self, name=name)

    def close(self, centre_id: str) -> Scenario:
        self.centre(centre_id)
        if len(self.centres) == 1:
            raise ScenarioError("cannot close the last centre")
        return replace(self, centres=tuple(c for c in self.centres if c.id != centre_id),
                       changes=(*self.changes, f"close {centre_id}"))

    @staticmethod
    def _place(station: str | None, postcode: str | None, lat: float | None,
               lon: float | None) -> tuple[float, float, str, Station, str]:
        given = sum(x is not None for x in (station, postcode)) + (lat is not None)
        if given != 1 or (lat is None) != (lon is None):
            raise ScenarioError("give exactly one place: station=..., postcode=..., or "
                                "lat=... with lon=...")
        if station is not None:
            st = find_station(station)
            pc = lookup_postcode_of(st.lat, st.lon)
            return st.lat, st.lon, pc, st, f"station {st.name}"
        if postcode is not None:
            place = lookup_postcode(postcode)
            st = nearest_station(place.lat, place.lon)
            return place.lat, place.lon, place.postcode, st, f"postcode {place.postcode}"
        assert lat is not None and lon is not None
        st = nearest_station(lat, lon)
        return lat, lon, lookup_postcode_of(lat, lon), st, f"({lat:.4f}, {lon:.4f})"

    def move(self, centre_id: str, *, station: str | None = None, postcode: str | None = None,
             lat: float | None = None, lon: float | None = None) -> Scenario:
        site = self.centre(centre_id)
        la, lo, pc, st, where = self._place(station, postcode, lat, lon)
        moved = replace(site, lat=la, lon=lo, postcode=pc, station_id=st.id,
                        station_name=st.name, address="", coords_approximate=True,
                        note=f"moved to {where}")
        return self._replace_centre(moved, f"move {centre_id} to {where}")

    def add(self, centre_id: str, *, name: str | None = None, station: str | None = None,
            postcode: str | None = None, lat: float | None = None, lon: float | None = None,
            rooms: int = 2, opening: str = "08:30-16:30",
            languages: Sequence[str] = ("nl",)) -> Scenario:
        if centre_id in self.ids:
            raise ScenarioError(f"centre {centre_id!r} already exists: choose another id")
        if not centre_id.strip():
            raise ScenarioError("a new centre needs an id")
        la, lo, pc, st, where = self._place(station, postcode, lat, lon)
        label = name or st.name
        site = CentreSite(
            id=centre_id, name_nl=label, name_fr=label, name_de=label, address="",
            postcode=pc, lat=la, lon=lo, station_id=st.id, station_name=st.name,
            rooms=_rooms(rooms), opening=_opening(opening), languages=_languages(languages),
            evidenced=False, note=f"what-if: new centre at {where}")
        return replace(self, centres=(*self.centres, site),
                       changes=(*self.changes, f"add {centre_id} ({label}) at {where}"))

    def with_rooms(self, centre_id: str, rooms: int) -> Scenario:
        site = replace(self.centre(centre_id), rooms=_rooms(rooms))
        return self._replace_centre(site, f"{centre_id}: {rooms} rooms")

    def with_opening(self, centre_id: str, opening: str) -> Scenario:
        site = replace(self.centre(centre_id), opening=_opening(opening))
        return self._replace_centre(site, f"{centre_id}: open {opening}")

    def with_languages(self, centre_id: str, languages: Sequence[str]) -> Scenario:
        site = replace(self.centre(centre_id), languages=_languages(languages))
        return self._replace_centre(site, f"{centre_id}: languages {'+'.join(site.languages)}")

    def with_modes(self, modes: Mapping[str, float] | Sequence[tuple[str, float]]) -> Scenario:
        mix = _mix(modes)
        text = ", ".join(f"{k} {100 * v:.0f}%" for k, v in mix)
        return replace(self, modes=mix, changes=(*self.changes, f"modes {text}"))


def lookup_postcode_of(lat: float, lon: float) -> str:
    """The main postcode of the municipality nearest to a coordinate."""
    from geo.places import municipalities

    muni = municipalities()
    xyz = unit_xyz(np.array([m.lat for m in muni]), np.array([m.lon for m in muni]))
    target = unit_xyz(np.array([lat]), np.array([lon]))[0]
    k = int(np.argmin(((xyz - target) ** 2).sum(axis=1)))
    return muni[k].postcodes[0] if muni[k].postcodes else "0000"


def _rooms(rooms: object) -> int:
    try:
        value = int(str(rooms))
    except ValueError:
        raise ScenarioError(f"rooms must be an integer, got {rooms!r}") from None
    if value < 1:
        raise ScenarioError(f"rooms must be at least 1, got {value}")
    return value


def _opening(text: str) -> tuple[tuple[str, str], ...]:
    try:
        return parse_opening(str(text))
    except ValueError as exc:
        raise ScenarioError(f"opening {text!r}: {exc}") from None


def _languages(languages: Sequence[str] | str) -> tuple[str, ...]:
    items = [languages] if isinstance(languages, str) else list(languages)
    langs = tuple(dict.fromkeys(x.strip() for part in items for x in str(part).replace(
        "+", ";").replace(",", ";").split(";") if x.strip()))
    bad = [x for x in langs if x not in LANGUAGES]
    if bad or not langs:
        raise ScenarioError(f"languages {', '.join(bad) or '(none)'} not among "
                            f"{', '.join(LANGUAGES)}")
    return langs


_EDITS = ("close", "move", "add", "rooms", "opening", "languages")


def scenario_from_spec(spec: Mapping[str, Any], base: Scenario | None = None) -> Scenario:
    """A scenario from its JSON form (see the module docstring); ``base`` defaults to the
    current centres.  Raises :class:`ScenarioError` naming the change that fails."""
    scen = base or Scenario.current()
    if not isinstance(spec, Mapping):
        raise ScenarioError("a scenario is a JSON object with name, changes and modes")
    for k, change in enumerate(spec.get("changes", []) or []):
        where = f"changes[{k}]"
        if not isinstance(change, Mapping):
            raise ScenarioError(f"{where}: expected an object like {{\"close\": \"MON\"}}")
        kinds = [e for e in _EDITS[:3] if e in change] or [e for e in _EDITS if e in change]
        if len(kinds) != 1:
            raise ScenarioError(f"{where}: one of {', '.join(_EDITS)} expected, got "
                                f"{', '.join(change) or 'nothing'}")
        kind = kinds[0]
        target = str(change[kind])
        place = {key: change.get(key) for key in ("station", "postcode", "lat", "lon")}
        try:
            if kind == "close":
                scen = scen.close(target)
            elif kind == "move":
                scen = scen.move(target, **place)
            elif kind == "add":
                scen = scen.add(target, name=change.get("name"), rooms=change.get("rooms", 2),
                                opening=change.get("opening", "08:30-16:30"),
                                languages=change.get("languages", ("nl",)), **place)
            elif "value" not in change:
                raise ScenarioError(f"{kind} needs a value")
            elif kind == "rooms":
                scen = scen.with_rooms(target, change["value"])
            elif kind == "opening":
                scen = scen.with_opening(target, change["value"])
            else:
                scen = scen.with_languages(target, change["value"])
        except GeoError as exc:
            raise ScenarioError(f"{where} ({kind} {target}): {exc}") from None
    if "modes" in spec:
        scen = scen.with_modes(spec["modes"])
    return scen.renamed(str(spec.get("name") or "scenario"))
