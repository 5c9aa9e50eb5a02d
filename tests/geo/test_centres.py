from __future__ import annotations

from pathlib import Path

import pytest

from geo.centres import CentreSite, load_centres, parse_opening, sites
from geo.errors import DataFileError, GeoError

HEADER = ("id,name_nl,name_fr,name_de,address,postcode,lat,lon,coords_approximate,station_id,"
          "station_name,rooms,opening,languages,evidenced,note\n")
GOOD = ("ANT,Antwerpen,Anvers,Antwerpen,,2018,51.2172,4.4211,1,8821006,Antwerpen-Centraal,4,"
        "08:30-16:30,nl,1,\n")


def test_shipped_centres() -> None:
    centres = load_centres()
    ids = [c.id for c in centres]
    assert len(ids) == len(set(ids))
    assert {"ANT", "BRG", "GNT", "HAS", "LEU", "EUP", "LIB", "BRU"} <= set(ids)
    by_id = {c.id: c for c in centres}
    for cid in ("LIE", "NAM", "CHA", "MON"):
        assert not by_id[cid].evidenced
        assert "assumed" in by_id[cid].note.lower()
    for cid in ("ANT", "BRG", "GNT", "HAS", "LEU", "EUP", "LIB", "BRU"):
        assert by_id[cid].evidenced
    assert by_id["BRU"].languages == ("nl", "fr")
    assert by_id["EUP"].languages == ("de", "fr")
    assert by_id["BRU"].station_id == "8814001"
    assert by_id["EUP"].opening == (("08:30", "12:00"), ("13:00", "16:00"))
    assert all(isinstance(c, CentreSite) and c.rooms >= 1 for c in centres)
    assert sites(centres)[0] == (centres[0].id, centres[0].lat, centres[0].lon)


def test_parse_opening() -> None:
    assert parse_opening("08:30-12:00;13:00-16:30") == (("08:30", "12:00"), ("13:00", "16:30"))
    for bad in ("", "8:30-16:30", "16:30-08:30", "08:30-12:00;11:00-16:00", "08:30"):
        with pytest.raises(ValueError):
            parse_opening(bad)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (GOOD.replace(",4,08:30", ",four,08:30"), "rooms", "not an integer"),
        (GOOD.replace(",4,08:30", ",0,08:30"), "rooms", "at least 1"),
        (GOOD.replace("08:30-16:30", "16:30-08:30"), "opening", "ends before"),
        (GOOD.replace(",nl,1,", ",en,1,"), "languages", "en"),
        (GOOD.replace("51.2172", "48.0"), "lat", "outside Belgium"),
        (GOOD.replace("51.2172", "north"), "lat", "not a number"),
        (GOOD.replace(",2018,", ",20,"), "postcode", "4-digit"),
        (GOOD.replace(",nl,1,", ",nl,yes,"), "evidenced", "not 0 or 1"),
        (GOOD.replace("ANT,Antwerpen", ",Antwerpen"), "id", "empty"),
    ],
)
def test_bad_file_names_row_column_reason(tmp_path: Path, row: str, column: str,
                                          reason: str) -> None:
    path = tmp_path / "centres.csv"
    path.write_text(HEADER + GOOD.replace("ANT,", "BRG,", 1) + row, encoding="utf-8")
    with pytest.raises(GeoError) as info:
        load_centres(path)
    assert isinstance(info.value, DataFileError)
    msg = str(info.value)
    assert "row 3" in msg and repr(column) in msg and reason in msg


def test_duplicate_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_text(HEADER + GOOD + GOOD, encoding="utf-8")
    with pytest.raises(DataFileError, match="duplicate"):
        load_centres(path)
    path.write_text(HEADER.replace(",rooms", ",chambres") + GOOD, encoding="utf-8")
    with pytest.raises(DataFileError, match="rooms"):
        load_centres(path)
    with pytest.raises(DataFileError, match="cannot read"):
        load_centres(tmp_path / "absent.csv")


def test_centre_stations_exist_and_are_served() -> None:
    from geo.rail import RailGraph

    graph = RailGraph.default()
    for c in load_centres():
        station = graph.station(c.station_id)
        assert c.station_id in graph.served, c.id
        assert station.name == c.station_name, c.id
