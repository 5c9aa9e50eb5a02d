"""A hundred victims posting for the same last slot at once through the HTTP API of a live
uvicorn, on SQLite and PostgreSQL: one 200, ninety-nine 409 ``slot_taken`` with fresh
alternatives, never a 500; nothing double-booked, one message for the winner."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

import anyio.to_thread
import httpx
import pytest
from sqlalchemy import select as sa_select
from sqlmodel import select

from api.planning import build_week, published_schedule
from api.tables import OUTBOX, Appointment, Convocation, Victim
from scheduler.validate import check_schedule
from tests.api.conftest import WEEK, LiveServer, Service, national_number
from tests.api.victim_fixtures import NOW

pytestmark = pytest.mark.slow
RACERS = 100
THREADS = 200
"""The server's thread pool: above the number of requests at once (see the module doc of
bench/victim_slots.py: with fewer threads than requests, the requests waiting for the
database can starve the one holding it)."""


class _Threads:
    """Sets the event loop's thread pool on the first call (it belongs to the loop)."""

    def __init__(self, app: Any, tokens: int):
        self.app, self.tokens, self.done = app, tokens, False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.done:
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.tokens
            self.done = True
        await self.app(scope, receive, send)


@pytest.fixture
def server(service: Service) -> Iterator[LiveServer]:
    plain = service.app
    service.app = _Threads(plain, THREADS)  # type: ignore[assignment]
    live = LiveServer(service)
    service.app = plain
    yield live
    live.stop()


def _convocations(svc: Service, n: int) -> list[int]:
    out = []
    with svc.db.session() as s:
        for i in range(n):
            v = Victim(national_number=national_number("850730", 200 + i), name=f"V{i}",
                       language="nl", postcode="1000", lat=50.85, lon=4.35,
                       phone=f"+32472{i:06d}", travel_min={"BRU": 20, "GNT": 50})
            s.add(v)
            s.flush()
            c = Convocation(reference=f"R{i:05d}", victim_id=v.id or 0, injury="sprain",
                            complexity="standard", duration_min=30, specialty="general",
                            priority="normal", request_date=WEEK, release_date=WEEK,
                            deadline=WEEK)
            s.add(c)
            s.flush()
            out.append(c.id or 0)
    return out


def test_a_hundred_posts_for_the_last_slot_through_http(service: Service,
                                                        server: LiveServer) -> None:
    svc = service
    state = svc.app.state.medex  # the present: the Tuesday before WEEK, whatever the day
    state.notices = dataclasses.replace(state.notices, clock=lambda: NOW)
    convs = _convocations(svc, RACERS)
    links = svc.app.state.medex.notices.links
    start = datetime.combine(WEEK, time(9)).isoformat()
    barrier = threading.Barrier(RACERS)
    got: list[httpx.Response | None] = [None] * RACERS

    def go(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            barrier.wait()
            got[i] = client.post(f"/api/v/{links.token(convs[i], generation=0)}/booking",
                                 json={"doctor": "D001", "centre": "BRU", "start": start})

    threads = [threading.Thread(target=go, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    answers = [r for r in got if r is not None]
    codes = Counter(r.status_code for r in answers)
    assert codes == {200: 1, 409: RACERS - 1}, (codes, [r.text[:200] for r in answers
                                                         if r.status_code >= 500][:2])
    refused = [r.json() for r in answers if r.status_code == 409]
    assert {r["code"] for r in refused} == {"slot_taken"}
    taken = datetime.combine(WEEK, time(9))
    for r in refused:
        offered = {(a["doctor"], datetime.fromisoformat(a["start"]).replace(tzinfo=None))
                   for a in r["alternatives"]}
        assert offered and ("D001", taken) not in offered
    with svc.db.session() as s:
        confirmed = s.exec(select(Appointment).where(Appointment.status == "confirmed")).all()
        assert [(a.doctor_id, a.start) for a in confirmed] == [(svc.ids["D001"], taken)]
        messages = s.execute(sa_select(OUTBOX.c.appointment_id)).all()
        assert [m[0] for m in messages] == [str(confirmed[0].id)]
        built = build_week(s, WEEK, keep_published=False)
        assert check_schedule(built.week, published_schedule(built)).ok
