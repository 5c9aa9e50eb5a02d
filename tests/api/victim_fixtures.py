"""Two employers, their employees' convocations, their HR users, and a fixed present.

:class:`Victims` builds on the service of ``tests/api/conftest.py`` (two centres, two
doctors with sessions all of ``WEEK``): employer A with two employees (``ann``, booked on
Tuesday with Dr. Peeters at BRU; ``bert``, pending), employer B with one (``cleo``,
pending), and ``dirk`` with no employer.  ``hr_a`` / ``hr_b`` are the HR users of A and
B.  The present is Tuesday 1 December 2026, 09:00 in Brussels, for the links and the
slots alike (the notices' clock and the links' day).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.links import VictimLinks
from api.tables import Appointment, Convocation, Role, User
from tests.api.conftest import PASSWORD, WEEK, Service, _password_hash, national_number

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
"""09:00 in Brussels, the Tuesday before ``WEEK``."""
TODAY = date(2026, 12, 1)
PEOPLE = {  # key: (name, language, postcode, employer key, national number sequence)
    "ann": ("Ann Aerts", "nl", "1000", "A", 61),
    "bert": ("Bert Bosmans", "nl", "1050", "A", 62),
    "cleo": ("Cléo Claes", "fr", "1060", "B", 63),
    "dirk": ("Dirk Dierckx", "nl", "1030", None, 64),
}
HR = {"hr_a": ("hr@a.example", "A"), "hr_b": ("hr@b.example", "B")}


class Victims:
    """The service with employers, victims, convocations, HR users and tokens."""

    def __init__(self, svc: Service):
        self.svc = svc
        state = svc.app.state.medex
        state.notices = dataclasses.replace(
            state.notices, clock=lambda: NOW,
            links=dataclasses.replace(state.notices.links, today=lambda: TODAY))
        self.links: VictimLinks = state.notices.links
        planner = svc.as_("planner")
        self.employers: dict[str, int] = {}
        for key in ("A", "B"):
            r = svc.client.post("/api/employers", json={"name": f"Employer {key}"},
                                headers=planner)
            assert r.status_code == 201, r.text
            self.employers[key] = r.json()["id"]
        self.conv: dict[str, int] = {}
        self.victim: dict[str, int] = {}
        for key, (name, lang, postcode, employer, seq) in PEOPLE.items():
            r = svc.client.post("/api/victims", json={
                "name": name, "language": lang, "postcode": postcode,
                "national_number": national_number("850730", seq),
                "phone": f"+3247055{seq:04d}",
                "employer_id": self.employers[employer] if employer else None},
                headers=planner)
            assert r.status_code == 201, r.text
            self.victim[key] = r.json()["id"]
            r = svc.client.post("/api/convocations", json={
                "victim_id": self.victim[key], "injury": "sprain",
                "accident_date": "2026-11-20", "request_date": "2026-12-01",
                "employer_id": self.employers[employer] if employer else None},
                headers=planner)
            assert r.status_code == 201, r.text
            self.conv[key] = r.json()["id"]
        with svc.db.session() as s:
            s.add(Appointment(convocation_id=self.conv["ann"], doctor_id=svc.ids["D001"],
                              centre_id="BRU", start=datetime.combine(WEEK + timedelta(1),
                                                                      time(9)),
                              end=datetime.combine(WEEK + timedelta(1), time(9, 20)),
                              travel_min=25))
            for email, employer in HR.values():
                s.add(User(email=email, role=Role.EMPLOYER, password_hash=_password_hash(),
                           full_name=f"HR {employer}", employer_id=self.employers[employer]))
            s.add(User(email="hr@none.example", role=Role.EMPLOYER,
                       password_hash=_password_hash(), full_name="HR of nobody"))
        with svc.db.session() as s:
            row = s.get(Convocation, self.conv["ann"])
            assert row is not None
            row.status = "scheduled"
            s.add(row)
            hr = {u.email: u for u in s.exec(
                select(User).where(User.role == Role.EMPLOYER)).all()}
        tokens = state.tokens
        self.hr = {key: {"Authorization": f"Bearer {tokens.issue(hr[email])}"}
                   for key, (email, _) in HR.items()}
        self.hr["hr_none"] = {"Authorization":
                              f"Bearer {tokens.issue(hr['hr@none.example'])}"}

    @property
    def client(self) -> TestClient:
        return self.svc.client

    def token(self, key: str) -> str:
        return self.links.token(self.conv[key], generation=0)

    def v(self, key: str, rest: str = "") -> str:
        """The victim API's URL for ``key``'s own personal link."""
        return f"/api/v/{self.token(key)}{rest}"

    def cookie_client(self, email: str) -> TestClient:
        """A client logged in with the session cookie (as a browser is)."""
        client = TestClient(self.svc.app)
        r = client.post("/api/auth/login", data={"username": email, "password": PASSWORD})
        assert r.status_code == 204, r.text
        return client

    def person(self, key: str) -> dict[str, Any]:
        name, language, postcode, employer, _ = PEOPLE[key]
        return {"name": name, "language": language, "postcode": postcode,
                "employer": employer}


@pytest.fixture(name="victims")
def victims_fixture(service: Service) -> Iterator[Victims]:
    """Import it into a test module to use ``victims`` there."""
    yield Victims(service)


__all__ = ["NOW", "PEOPLE", "TODAY", "WEEK", "Victims", "victims_fixture"]
