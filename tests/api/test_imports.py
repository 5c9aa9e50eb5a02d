"""CSV import: a good file in one go; a bad file rejected whole with every problem."""

from __future__ import annotations

from tests.api.conftest import Service, national_number
from tests.api.helpers import convocations_csv


def _post(svc: Service, kind: str, text: str) -> object:
    return svc.client.post(f"/api/imports/{kind}", headers=svc.as_("planner"),
                           files={"file": (f"{kind}.csv", text, "text/csv")})


def test_doctors_and_their_sessions_are_imported(service: Service) -> None:
    r = _post(service, "doctors", "code;name;languages;specialties;max_exams_per_day;phone\n"
                                  "D010;Dr. Maes;nl fr;general|psychiatry;10;02 555 12 12\n"
                                  "D011;Dr. Wouters;nl;;;\n")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    s = _post(service, "sessions", "doctor,centre,date,start,end,base\n"
                                   "D010,GNT,2026-12-08,09:00,12:00,\n"
                                   "D011,home,2026-12-08,13:00,16:00,GNT\n")
    assert s.status_code == 201, s.text  # type: ignore[attr-defined]
    doctors = service.client.get("/api/doctors", params={"code": "D010"},
                                 headers=service.as_("planner")).json()["items"]
    assert doctors[0]["phone"] == "+3225551212"
    assert doctors[0]["specialties"] == ["general", "psychiatry"]


def test_convocations_get_their_deadline_at_import(service: Service) -> None:
    r = _post(service, "convocations", convocations_csv(3))
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    items = service.client.get("/api/convocations", headers=service.as_("planner")).json()
    assert items["total"] == 3
    assert all(c["deadline"] == "2026-12-31" for c in items["items"])


def test_a_bad_file_is_rejected_whole_with_every_problem(service: Service) -> None:
    good = f"{national_number('850730', 1)},Good,nl,1000,+32470000001,sprain,2026-11-20," \
           "2026-12-01"
    text = ("national_number,name,language,postcode,phone,injury,accident_date,request_date\n"
            f"{good}\n"
            "85073003329,Bad Number,nl,1000,,sprain,2026-11-20,2026-12-01\n"
            f"{national_number('850730', 3)},Bad Postcode,nl,9999,,sprain,2026-11-20,"
            "2026-12-01\n"
            f"{national_number('850730', 4)},Bad Phone,xx,1000,12,sprain,2026-11-20,"
            "2026-12-01\n"
            f"{national_number('850730', 5)},Bad Dates,fr,1000,,sprain,2026-12-20,2026-12-01\n"
            f"{national_number('850730', 6)},Bad Day,fr,1000,,sprain,2026-11-20,2026-13-01\n")
    r = _post(service, "convocations", text)
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert "nothing was imported" in body["detail"]
    found = {(p["row"], p["column"]) for p in body["problems"]}
    assert {(3, "national_number"), (4, "postcode"), (5, "language"), (5, "phone"),
            (6, "accident_date"), (7, "request_date")} <= found
    assert all(p["reason"] for p in body["problems"])
    h = service.as_("planner")
    assert service.client.get("/api/convocations", headers=h).json()["total"] == 0
    assert service.client.get("/api/victims", headers=h).json()["total"] == 0


def test_a_missing_column_and_an_unknown_doctor_are_named(service: Service) -> None:
    r = _post(service, "sessions", "doctor,centre,date,start\nD999,BRU,2026-12-08,09:00\n")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert {"row": 1, "column": "end"} in [
        {"row": p["row"], "column": p["column"]} for p in r.json()["problems"]]  # type: ignore[attr-defined]
    r = _post(service, "sessions", "doctor,centre,date,start,end\n"
                                   "D999,BRU,2026-12-08,09:00,12:00\n"
                                   "D001,BRU,2026-12-12,09:00,12:00\n"
                                   "D001,BRU,2026-12-08,07:00,09:00\n"
                                   "D001,BRU,2026-12-08,10:00,12:00\n")
    problems = {(p["row"], p["column"]) for p in r.json()["problems"]}  # type: ignore[attr-defined]
    assert {(2, "doctor"), (3, "date"), (4, "end"), (5, "start")} <= problems
