"""Shared steps of the service tests: convocations through the CSV import, plans run to
the end on either runner."""

from __future__ import annotations

import time
from typing import Any

from tests.api.conftest import Service, national_number

CONVOCATIONS_HEADER = ("national_number,name,language,postcode,phone,injury,accident_date,"
                       "request_date\n")


def convocations_csv(n: int, *, injury: str = "sprain", first_seq: int = 1) -> str:
    rows = []
    postcodes = ["1000", "1050", "1060", "1030", "1180", "1200"]
    for i in range(n):
        lang = "nl" if i % 2 == 0 else "fr"
        rows.append(f"{national_number('850730', first_seq + i)},Victim {i},{lang},"
                    f"{postcodes[i % len(postcodes)]},+3247012{i:04d},{injury},2026-11-20,"
                    "2026-12-01")
    return CONVOCATIONS_HEADER + "\n".join(rows) + "\n"


def import_convocations(svc: Service, n: int, **kw: Any) -> None:
    r = svc.client.post("/api/imports/convocations", headers=svc.as_("planner"),
                        files={"file": ("c.csv", convocations_csv(n, **kw), "text/csv")})
    assert r.status_code == 201, r.text


def run_plan(svc: Service, body: dict[str, Any], *, timeout: float = 120.0) -> dict[str, Any]:
    """POST a plan and wait for it to end (the worker runs it on PostgreSQL)."""
    r = svc.client.post("/api/plans", json=body, headers=svc.as_("planner"))
    assert r.status_code == 202, r.text
    plan_id = r.json()["id"]
    drain_queue(svc)
    return wait_plan(svc, plan_id, timeout=timeout)


def drain_queue(svc: Service) -> None:
    runner = svc.app.state.medex.runner
    if hasattr(runner, "app"):  # procrastinate: a worker takes the job from the queue
        runner.app.run_worker(queues=["planning"], wait=False, install_signal_handlers=False,
                              listen_notify=False)


def wait_plan(svc: Service, plan_id: str, *, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        got = svc.client.get(f"/api/plans/{plan_id}", headers=svc.as_("planner")).json()
        if got["status"] in ("done", "stopped", "failed", "published"):
            return dict(got)
        assert time.monotonic() < deadline, f"plan still {got['status']}"
        time.sleep(0.2)
