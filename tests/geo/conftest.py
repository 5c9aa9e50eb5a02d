from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

# A tiny NMBS-like feed: line L1 A-B-(X passes)-C, line L2 C-D, an isolated line E-F,
# a replacement bus A-D (route_type 700, ignored), platforms folded onto stations.
FEED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                  "NMBS,NMBS/SNCB,http://www.belgianrail.be,Europe/Brussels\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
                 "S1000001,Alpha,50.4600,4.8600,1,\n"
                 "1000001,Alpha,50.4600,4.8600,0,S1000001\n"
                 "1000001_2 ,Alpha,50.4600,4.8600,0,S1000001\n"
                 "1000002,Beta (b),50.5000,4.9500,0,\n"
                 "1000009,Xray,50.5200,5.0000,0,\n"
                 "1000003,Gamma,50.5500,5.0500,0,\n"
                 "1000004,Delta,50.6000,5.2000,0,\n"
                 "1000005,Echo,50.2000,4.5000,0,\n"
                 "1000006,Foxtrot,50.2500,4.4000,0,\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                  "R1,NMBS,IC,Alpha -- Gamma,2\n"
                  "R2,NMBS,L,Gamma -- Delta,100\n"
                  "R3,NMBS,S9,Echo -- Foxtrot,103\n"
                  "RB,NMBS,BUS,Alpha -- Delta,700\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                    "start_date,end_date\n"
                    "WK,1,1,1,1,1,0,0,20240101,20241231\n",
    "calendar_dates.txt": "service_id,date,exception_type\n"
                          "WK,20240102,2\n"
                          "EXTRA,20240103,1\n",
    "trips.txt": "route_id,service_id,trip_id\n"
                 "R1,WK,t1\nR1,WK,t1b\nR1,EXTRA,t1x\nR2,WK,t2\nR3,WK,t3\nRB,WK,bus\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,"
                      "pickup_type,drop_off_type\n"
                      "t1,08:00:00,08:00:00,1000001_2 ,1,0,1\n"
                      "t1,08:10:00,08:11:00,1000002,2,0,0\n"
                      "t1,08:15:00,08:15:00,1000009,3,1,1\n"
                      "t1,08:20:00,08:20:00,1000003,4,1,0\n"
                      "t1b,09:00:00,09:00:00,1000001,1,0,1\n"
                      "t1b,09:12:00,09:13:00,1000002,2,0,0\n"
                      "t1b,09:22:00,09:22:00,1000003,3,1,0\n"
                      "t1x,10:00:00,10:00:00,1000001,1,0,1\n"
                      "t1x,10:10:00,10:10:00,1000002,2,0,0\n"
                      "t1x,10:20:00,10:20:00,1000003,3,1,0\n"
                      "t2,08:30:00,08:30:00,1000003,1,0,1\n"
                      "t2,08:45:00,08:45:00,1000004,2,1,0\n"
                      "t3,25:00:00,25:00:00,1000005,1,0,1\n"
                      "t3,25:20:00,25:20:00,1000006,2,1,0\n"
                      "bus,08:00:00,08:00:00,1000001,1,0,1\n"
                      "bus,08:30:00,08:30:00,1000004,2,1,0\n",
}


@pytest.fixture()
def tiny_feed(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    folder.mkdir()
    for name, text in FEED.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def tiny_zip(tmp_path: Path) -> Path:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in FEED.items():
            z.writestr(name, text)
    return path
