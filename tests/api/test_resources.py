"""Resources through the API on both databases: validation naming the field, pagination,
filters, the audit log, and nothing half saved."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Service, national_number


def _victim(svc: Service, **kw: Any) -> dict[str, Any]:
    body = {"name": "An Janssens", "language": "nl", "postcode": "1000",
            "national_number": national_number(), "phone": "0470 12 34 56", **kw}
    r = svc.client.post("/api/victims", json=body, headers=svc.as_("planner"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_victim_is_located_and_its_phone_stored_in_e164(service: Service) -> None:
    v = _victim(service)
    assert v["phone"] == "+32470123456"
    assert 50.8 < v["lat"] < 50.9


def test_a_bad_victim_is_refused_naming_every_field_and_nothing_is_saved(service: Service
                                                                          ) -> None:
    r = service.client.post("/api/victims", json={
        "name": "X", "language": "nl", "postcode": "0000",
        "national_number": "85073003329", "phone": "12"}, headers=service.as_("planner"))
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["problems"]}
    assert fields == {"national_number", "postcode", "phone"}
    assert "checksum" in r.text
    listed = service.client.get("/api/victims", headers=service.as_("planner")).json()
    assert listed["total"] == 0


def test_convocation_intake_computes_the_deadline(service: Service) -> None:
    v = _victim(service)
    r = service.client.post("/api/convocations", json={
        "victim_id": v["id"], "injury": "fracture", "accident_date": "2026-11-02",
        "request_date": "2026-11-20"}, headers=service.as_("planner"))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["deadline"] == "2026-12-18" and c["duration_min"] == 45
    assert "within 1 month of the request" in c["deadline_rule"]
    assert c["reference"].startswith("C") and c["status"] == "pending"


def test_convocation_with_nonsense_dates_is_refused(service: Service) -> None:
    v = _victim(service)
    r = service.client.post("/api/convocations", json={
        "victim_id": v["id"], "injury": "fracture", "accident_date": "2026-11-25",
        "request_date": "2026-11-20"}, headers=service.as_("planner"))
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "accident_date"


def test_unknown_victim_is_404_with_an_error_body(service: Service) -> None:
    r = service.client.post("/api/convocations", json={
        "victim_id": 999, "injury": "sprain", "accident_date": "2026-11-02",
        "request_date": "2026-11-20"}, headers=service.as_("planner"))
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_lists_are_paginated_and_filtered(service: Service) -> None:
    h = service.as_("planner")
    r = service.client.get("/api/sessions", params={"limit": 3, "offset": 2}, headers=h)
    page = r.json()
    assert page["total"] == 10 and len(page["items"]) == 3 and page["offset"] == 2
    mine = service.client.get("/api/sessions", params={"doctor_id": service.ids["D002"]},
                              headers=h).json()
    assert mine["total"] == 5
    assert {s["doctor_id"] for s in mine["items"]} == {service.ids["D002"]}


def test_a_session_outside_the_opening_hours_is_refused(service: Service) -> None:
    r = service.client.post("/api/sessions", json={
        "doctor_id": service.ids["D002"], "centre_id": "GNT", "day": "2026-12-07",
        "start": "07:00", "end": "10:00"}, headers=service.as_("planner"))
    assert r.status_code == 422 and "opening hours" in r.text


def test_changes_are_in_the_audit_log_with_before_and_after(service: Service) -> None:
    h = service.as_("planner")
    r = service.client.patch(f"/api/doctors/{service.ids['D001']}",
                             json={"max_exams_per_day": 8}, headers=h)
    assert r.status_code == 200 and r.json()["max_exams_per_day"] == 8
    log = service.client.get("/api/audit", params={"entity": "doctor"}, headers=h).json()
    entry = log["items"][0]
    assert entry["action"] == "update"
    assert entry["before"]["max_exams_per_day"] == 12
    assert entry["after"]["max_exams_per_day"] == 8


def test_duplicate_code_is_a_conflict(service: Service) -> None:
    r = service.client.post("/api/doctors", json={"code": "D001", "name": "Again",
                                                  "languages": ["nl"]},
                            headers=service.as_("planner"))
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_deleting_a_centre_in_use_is_a_conflict(service: Service) -> None:
    r = service.client.delete("/api/centres/BRU", headers=service.as_("admin"))
    assert r.status_code == 409
    assert service.client.get("/api/centres/BRU", headers=service.as_("admin")).status_code \
        == 200


def test_openapi_documents_the_errors(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    post = spec["paths"]["/api/convocations"]["post"]["responses"]
    assert {"401", "403", "422", "409"} <= set(post)
    assert "ErrorOut" in str(post["422"])


def test_a_landline_is_refused_at_entry_with_the_reason(service: Service) -> None:
    svc = service
    body = {"name": "An", "language": "nl", "postcode": "1000",
            "national_number": national_number("850730", 90), "phone": "02 555 12 12"}
    r = svc.client.post("/api/victims", json=body, headers=svc.as_("planner"))
    assert r.status_code == 422
    [problem] = r.json()["problems"]
    assert problem["field"] == "phone" and "landline" in problem["reason"]

    bad_email = {**body, "phone": "0470 99 88 77", "email": "not-an-address"}
    r = svc.client.post("/api/victims", json=bad_email, headers=svc.as_("planner"))
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "email"
    good = {**bad_email, "email": "An.Janssens@Example.BE"}
    r = svc.client.post("/api/victims", json=good, headers=svc.as_("planner"))
    assert r.status_code == 201, r.text
    victim = r.json()
    assert victim["phone"] == "+32470998877" and victim["email"] == "An.Janssens@example.be"
    patch = svc.client.patch(f"/api/victims/{victim['id']}", json={"phone": "050 12 34 56"},
                             headers=svc.as_("planner"))
    assert patch.status_code == 422 and "landline" in patch.text
    patch = svc.client.patch(f"/api/victims/{victim['id']}",
                             json={"phone": "0470 99 88 66", "email": ""},
                             headers=svc.as_("planner"))
    assert patch.status_code == 200, patch.text
    assert patch.json()["phone"] == "+32470998866" and patch.json()["email"] is None

    csv = ("national_number,name,language,postcode,phone,email,injury,accident_date,"
           "request_date\n"
           f"{national_number('850730', 91)},A,nl,1000,09 223 45 67,,sprain,2026-11-20,"
           "2026-12-01\n"
           f"{national_number('850730', 92)},B,nl,1000,0470 11 22 33,,sprain,2026-11-20,"
           "2026-12-01\n"
           f"{national_number('850730', 93)},C,fr,1000,,jan@,sprain,2026-11-20,2026-12-01\n")
    r = svc.client.post("/api/imports/convocations", headers=svc.as_("planner"),
                        files={"file": ("c.csv", csv, "text/csv")})
    assert r.status_code == 422
    found = {(p["row"], p["column"]): p["reason"] for p in r.json()["problems"]}
    assert "landline" in found[(2, "phone")] and (4, "email") in found and len(found) == 2

    # a doctor's office number is a landline, and that is fine
    doctor = svc.client.post("/api/doctors", headers=svc.as_("planner"), json={
        "code": "D009", "name": "Dr. X", "languages": ["nl"], "phone": "02 555 12 12"})
    assert doctor.status_code == 201 and doctor.json()["phone"] == "+3225551212"
