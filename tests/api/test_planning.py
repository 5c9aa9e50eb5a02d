"""Planning jobs end to end on both databases: plan, analyze, publish, move, re-plan."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import WEEK, Service
from tests.api.helpers import import_convocations, run_plan

pytestmark = pytest.mark.slow


def _appointments(svc: Service, **params: Any) -> list[dict[str, Any]]:
    r = svc.client.get("/api/appointments", params={"limit": 500, **params},
                       headers=svc.as_("planner"))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_plan_analyze_publish_move_and_replan(service: Service) -> None:
    svc = service
    import_convocations(svc, 6)
    plan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    assert plan["status"] == "done", plan
    assert plan["scheduled"] == 6 and plan["unscheduled"] == 0
    assert plan["progress"]["best_cost"] is not None
    assert plan["progress"]["elapsed_s"] > 0

    analysis = svc.client.get(f"/api/plans/{plan['id']}/analysis",
                              headers=svc.as_("planner")).json()
    assert analysis["violations"] == []
    assert {r["rule"] for r in analysis["rules"]} == {"unscheduled", "travel", "waiting",
                                                      "preference"}
    assert sum(r["cost"] for r in analysis["rules"]) == analysis["total_cost"]

    pub = svc.client.post(f"/api/plans/{plan['id']}/publish", headers=svc.as_("planner"))
    assert pub.status_code == 200, pub.text
    assert pub.json()["created"] == 6
    again = svc.client.post(f"/api/plans/{plan['id']}/publish", headers=svc.as_("planner"))
    assert again.status_code == 409
    booked = _appointments(svc)
    assert len(booked) == 6
    convs = svc.client.get("/api/convocations", params={"status": "scheduled"},
                           headers=svc.as_("planner")).json()
    assert convs["total"] == 6

    # a manual move onto another exam of the same doctor is refused, naming the rule
    first, second = sorted(booked, key=lambda a: a["start"])[:2]
    clash = svc.client.post(f"/api/appointments/{second['id']}/move", headers=svc.as_("planner"),
                            json={"start": first["start"], "doctor_id": first["doctor_id"],
                                  "centre_id": first["centre_id"], "reason": "asked by phone"})
    assert clash.status_code == 409, clash.text
    assert clash.json()["rule"] in ("doctor-overlap", "inside-session", "language")
    assert "refused by rule" in clash.json()["detail"]
    # a move outside any session is refused too
    night = svc.client.post(f"/api/appointments/{second['id']}/move",
                            headers=svc.as_("planner"),
                            json={"start": f"{WEEK.isoformat()}T18:00", "reason": "late"})
    assert night.status_code == 409 and night.json()["rule"] == "inside-session"

    # re-plan after the doctor of one appointment falls ill that day
    victim = sorted(booked, key=lambda a: a["start"])[0]
    day = victim["start"][:10]
    r = svc.client.post("/api/absences", headers=svc.as_("planner"), json={
        "doctor_id": victim["doctor_id"], "first_day": day, "last_day": day,
        "reason": "ill"})
    assert r.status_code == 201, r.text
    replan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    assert replan["status"] == "done", replan
    moved = {c["convocation"]: c for c in replan["changes"]}
    assert victim["reference"] in moved
    assert "absent" in moved[victim["reference"]]["reason"]
    pub2 = svc.client.post(f"/api/plans/{replan['id']}/publish", headers=svc.as_("planner"))
    assert pub2.status_code == 200, pub2.text
    result = pub2.json()
    assert result["created"] == 0 and result["moved"] >= 1
    after = {a["reference"]: a for a in _appointments(svc)}
    assert after[victim["reference"]]["revision"] == 2
    assert after[victim["reference"]]["start"][:10] != day or \
        after[victim["reference"]]["doctor_id"] != victim["doctor_id"]
    assert "absent" in after[victim["reference"]]["change_reason"]
    # every exam of that doctor that day moved, with the reason; the others stay pinned
    for a in booked:
        hit = a["doctor_id"] == victim["doctor_id"] and a["start"][:10] == day
        now = after[a["reference"]]
        if hit:
            assert "absent" in moved[a["reference"]]["reason"]
            assert (now["start"][:10], now["doctor_id"]) != (day, victim["doctor_id"])
        else:
            assert a["reference"] not in moved
            assert (now["start"], now["doctor_id"], now["revision"]) == (
                a["start"], a["doctor_id"], 1)


def test_a_stopped_plan_keeps_its_best_schedule(service: Service) -> None:
    svc = service
    import_convocations(svc, 4)
    r = svc.client.post("/api/plans", json={"week_start": WEEK.isoformat(),
                                            "time_limit_s": 60},
                        headers=svc.as_("planner"))
    plan_id = r.json()["id"]
    if hasattr(svc.app.state.medex.runner, "app"):
        # stop requested before a worker takes it: the worker ends it at once
        svc.client.delete(f"/api/plans/{plan_id}", headers=svc.as_("planner"))
        from tests.api.helpers import drain_queue, wait_plan
        drain_queue(svc)
        got = wait_plan(svc, plan_id)
        assert got["status"] == "stopped"
        return
    import time

    from tests.api.helpers import wait_plan
    deadline = time.monotonic() + 60
    while True:
        got = svc.client.get(f"/api/plans/{plan_id}", headers=svc.as_("planner")).json()
        if got["scheduled"] is not None:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    stop = svc.client.delete(f"/api/plans/{plan_id}", headers=svc.as_("planner"))
    assert stop.status_code == 200
    got = wait_plan(svc, plan_id, timeout=30)
    assert got["status"] == "stopped"
    assert got["scheduled"] == 4
    assert got["progress"]["elapsed_s"] < 50
    pub = svc.client.post(f"/api/plans/{plan_id}/publish", headers=svc.as_("planner"))
    assert pub.status_code == 200 and pub.json()["created"] == 4


def test_a_plan_needs_a_monday(service: Service) -> None:
    r = service.client.post("/api/plans", json={"week_start": "2026-12-08"},
                            headers=service.as_("planner"))
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "week_start"


def test_replanning_without_pins_reports_what_moved_and_why(service: Service) -> None:
    svc = service
    import_convocations(svc, 4)
    plan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    svc.client.post(f"/api/plans/{plan['id']}/publish", headers=svc.as_("planner"))
    before = {a["reference"]: a for a in _appointments(svc)}
    import_convocations(svc, 2, first_seq=50)  # new convocations arrive
    replan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2,
                            "keep_published": False})
    assert replan["status"] == "done" and replan["scheduled"] == 6
    analysis = svc.client.get(f"/api/plans/{replan['id']}/analysis",
                              headers=svc.as_("planner")).json()
    assert analysis["violations"] == []
    for change in replan["changes"]:
        assert change["convocation"] in before and change["reason"]
    pub = svc.client.post(f"/api/plans/{replan['id']}/publish", headers=svc.as_("planner"))
    assert pub.status_code == 200, pub.text
    assert pub.json()["created"] == 2
    assert pub.json()["moved"] == len(replan["changes"])


def test_a_cancelled_convocation_frees_its_appointment(service: Service) -> None:
    svc = service
    import_convocations(svc, 2)
    plan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    svc.client.post(f"/api/plans/{plan['id']}/publish", headers=svc.as_("planner"))
    appt = _appointments(svc)[0]
    r = svc.client.patch(f"/api/convocations/{appt['convocation_id']}",
                         json={"status": "cancelled"}, headers=svc.as_("planner"))
    assert r.status_code == 200, r.text
    left = _appointments(svc)
    assert appt["id"] not in {a["id"] for a in left}
    gone = svc.client.get(f"/api/appointments/{appt['id']}", headers=svc.as_("planner")).json()
    assert gone["status"] == "cancelled" and gone["change_reason"] == "convocation cancelled"
    log = svc.client.get("/api/audit", params={"entity": "appointment"},
                         headers=svc.as_("planner")).json()["items"]
    assert log[0]["action"] == "cancel" and log[0]["before"]["status"] == "confirmed"
