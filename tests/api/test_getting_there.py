"""How to get to a centre: its nearest station always, the walk only where the centre's
place is known (not where its coordinates are only its station's)."""

from __future__ import annotations

from api.getting_there import station_walk
from geo.centres import load_centres


def test_a_centre_placed_at_its_station_gets_the_station_and_no_walk() -> None:
    eupen = next(c for c in load_centres() if c.id == "EUP")
    assert eupen.coords_approximate
    walk = station_walk("EUP", eupen.lat, eupen.lon)
    assert walk is not None and walk.name and walk.walk_min is None


def test_a_centre_moved_to_its_real_place_gets_the_walk_again() -> None:
    eupen = next(c for c in load_centres() if c.id == "EUP")
    walk = station_walk("EUP", eupen.lat + 0.005, eupen.lon)  # about 560 m north
    assert walk is not None and walk.walk_min is not None and 5 <= walk.walk_min <= 15
    other = station_walk("NEW", eupen.lat + 0.005, eupen.lon)  # not in the file at all
    assert other is not None and other.walk_min == walk.walk_min
