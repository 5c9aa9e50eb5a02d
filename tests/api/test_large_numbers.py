"""A number too large for the databases (above 2**63 - 1) in a path, a query or a body is
refused as invalid, naming the field, on every route: never a 500 (SQLite's driver raises
``OverflowError`` on such a number)."""

from __future__ import annotations

import re

from tests.api.victim_fixtures import Victims, victims_fixture  # noqa: F401

HUGE = str(2**64)


def test_every_route_with_an_id_in_its_path_refuses_a_huge_one(victims: Victims) -> None:
    planner, hr = victims.svc.as_("planner"), victims.hr["hr_a"]
    tried = 0
    for path, operations in victims.svc.app.openapi()["paths"].items():
        for name in re.findall(r"\{(\w+)\}", path):
            url = re.sub(r"\{(\w+)\}", lambda m, huge=name: HUGE if m.group(1) == huge else "1",
                         path)
            for method in operations:
                headers = hr if url.startswith("/api/hr/") else planner
                r = victims.client.request(method.upper(), url, headers=headers, json={})
                assert r.status_code < 500, (method, url, r.text[:300])
                if r.status_code == 422 and name != "token":
                    assert name in r.text, (method, url, r.text[:300])
                tried += 1
    assert tried >= 40, tried  # the convocations, appointments, HR files, plans...


def test_a_huge_number_in_a_query_or_a_body_is_invalid_and_named(victims: Victims) -> None:
    planner = victims.svc.as_("planner")
    for url in (f"/api/convocations?victim_id={HUGE}", f"/api/appointments?doctor_id={HUGE}",
                f"/api/audit?user_id={HUGE}", f"/api/convocations?offset={HUGE}"):
        r = victims.client.get(url, headers=planner)
        assert r.status_code == 422, (url, r.text)
        assert url.split("?")[1].split("=")[0] in r.json()["problems"][0]["field"], r.text
    r = victims.client.post("/api/convocations", headers=planner, json={
        "victim_id": 2**64, "injury": "sprain", "request_date": "2026-12-01"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "victim_id", r.text
    r = victims.client.post("/api/appointments/1/move", headers=planner, json={
        "start": "2026-12-08T09:00", "doctor_id": 2**64, "reason": "asked by phone"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "doctor_id", r.text
