"""Concurrent requests never double-book a doctor, on both databases."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import WEEK, LiveServer, Service
from tests.api.helpers import import_convocations, run_plan

pytestmark = pytest.mark.slow


def _together(calls: list[tuple[str, dict[str, Any]]], base: str,
              headers: dict[str, str]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    out: list[httpx.Response | None] = [None] * len(calls)

    def go(i: int, path: str, body: dict[str, Any]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            barrier.wait()
            out[i] = client.post(path, json=body)

    threads = [threading.Thread(target=go, args=(i, p, b)) for i, (p, b) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in out if r is not None]


def _published(svc: Service, n: int) -> list[dict[str, Any]]:
    import_convocations(svc, n)
    plan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    r = svc.client.post(f"/api/plans/{plan['id']}/publish", headers=svc.as_("planner"))
    assert r.status_code == 200, r.text
    got = svc.client.get("/api/appointments", headers=svc.as_("planner")).json()["items"]
    return list(got)


def test_two_moves_into_overlapping_slots_of_one_doctor_one_wins(service: Service,
                                                                 live: LiveServer) -> None:
    a, b = _published(service, 2)[:2]
    doctor = service.ids["D001"]
    day = (WEEK + timedelta(days=2)).isoformat()
    for round_no, (s1, s2) in enumerate((("10:00", "10:10"), ("11:00", "11:00"))):
        calls = [(f"/api/appointments/{a['id']}/move",
                  {"start": f"{day}T{s1}", "doctor_id": doctor, "centre_id": "BRU",
                   "reason": f"round {round_no}"}),
                 (f"/api/appointments/{b['id']}/move",
                  {"start": f"{day}T{s2}", "doctor_id": doctor, "centre_id": "BRU",
                   "reason": f"round {round_no}"})]
        got = _together(calls, live.url, service.as_("planner"))
        codes = sorted(r.status_code for r in got)
        assert codes == [200, 409], [r.text for r in got]
        refused = next(r for r in got if r.status_code == 409).json()
        assert refused["code"] in ("rule_broken", "conflict")
    items = service.client.get("/api/appointments", params={"doctor_id": doctor},
                               headers=service.as_("planner")).json()["items"]
    spans = sorted((x["start"], x["end"]) for x in items)
    for (_, e1), (s2, _) in itertools.pairwise(spans):
        assert e1 <= s2, f"double booking: {spans}"


def test_the_same_plan_published_twice_at_once_is_published_once(service: Service,
                                                                 live: LiveServer) -> None:
    svc = service
    import_convocations(svc, 3)
    plan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    path = f"/api/plans/{plan['id']}/publish"
    got = _together([(path, {}), (path, {})], live.url, svc.as_("planner"))
    assert sorted(r.status_code for r in got) == [200, 409], [r.text for r in got]
    items = svc.client.get("/api/appointments", headers=svc.as_("planner")).json()
    assert items["total"] == 3
