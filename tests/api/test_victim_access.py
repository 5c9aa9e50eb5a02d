"""Who may see and change what, on both databases: the personal link opens one convocation
only, an HR user only its employer's, and neither reaches anything else.

Every route under ``/api/v/`` and ``/api/hr/`` is taken from the app itself (a new route is
tested without being listed here) and called with: another convocation's id in the token
(signed for the first), an altered signature, an altered date, an expired link, a link of
a convocation that does not exist, the HR user of another employer, an HR user of no
employer, a staff account, and no one.  Each answer is checked for its status and for the
absence of every other person's name; nothing may change.  404 is the same whether the
convocation exists or not (no existence is revealed).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import select as select_rows
from typer.testing import CliRunner

from api.cli import app
from api.db import Database
from api.links import LinkExpired, LinkInvalid, VictimLinks, base36
from api.tables import AuditEntry, Employer, User
from tests.api.victim_fixtures import PEOPLE, TODAY, Victims, victims_fixture  # noqa: F401

NAMES = [p[0] for p in PEOPLE.values()]
BODIES: dict[str, Any] = {
    "POST": {"doctor": "D001", "centre": "BRU", "start": "2026-12-09T09:00:00",
             "reason": "a test"},
    "DELETE": {"reason": "a test"},
    "PUT": {"on": True},
}
PREFERENCES = {"weekly": [{"weekday": 1, "part": "morning"}]}


def _routes(v: Victims, prefix: str) -> list[tuple[str, str]]:
    """``(method, path)`` of every API route under ``prefix``, from the app's OpenAPI."""
    paths = v.svc.app.openapi()["paths"]
    return [(m.upper(), p) for p, ops in sorted(paths.items()) if p.startswith(prefix)
            for m in sorted(ops)]


def _call(v: Victims, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    body = PREFERENCES if path.endswith("/preferences") else BODIES.get(method)
    return v.client.request(method, path, json=body, headers=headers or {})


def _audit(v: Victims) -> int:
    with v.svc.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _reveals_nobody(r: Any, *, allowed: tuple[str, ...] = ()) -> None:
    for name in NAMES:
        if name not in allowed:
            assert name not in r.text, (r.request.url, name)


# ------------------------------------------------------------------ the link itself


def test_a_link_is_read_back_and_every_alteration_is_invalid() -> None:
    links = VictimLinks(b"k" * 32, "https://medex.belgium.be", 90, today=lambda: TODAY)
    token = links.token(48213, generation=0)
    assert links.read(token) == 48213
    assert links.opened(token).last_day == TODAY + timedelta(days=90)
    ident, day, sig = token.split(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    for bad in (f"{ident}.{day}.{flipped}",                      # the signature
                f"{base36(48214)}.{day}.{sig}",                    # another convocation
                f"{ident}.{base36(int(day, 36) + 400)}.{sig}",     # a later last day
                f"0{ident}.{day}.{sig}", token.upper(), token[:-1], token + "A",
                "", "...", "a.b.c", "1.1." + "A" * 11, "x" * 5000,
                f"{'z' * 12}.{day}.{sig}"):
        with pytest.raises(LinkInvalid):
            links.read(bad)
    other = VictimLinks(b"o" * 32, "https://medex.belgium.be", 90, today=lambda: TODAY)
    with pytest.raises(LinkInvalid):
        other.read(token)


def test_an_expired_link_says_so_and_how_to_get_a_new_one() -> None:
    links = VictimLinks(b"k" * 32, "https://x.example", 10, today=lambda: date(2026, 1, 1))
    token = links.token(7, generation=0)
    assert links.read(token) == 7
    last = VictimLinks(b"k" * 32, "https://x.example", 10, today=lambda: date(2026, 1, 11))
    assert last.read(token) == 7  # valid through its last day
    with pytest.raises(LinkExpired) as caught:
        VictimLinks(b"k" * 32, "https://x.example", 10,
                    today=lambda: date(2026, 1, 12)).read(token)
    assert caught.value.last_day == date(2026, 1, 11)
    assert "expired" in caught.value.detail and "new link" in caught.value.detail


def test_the_link_is_short_enough_for_an_sms() -> None:
    from datetime import datetime

    from notify import messages
    from notify import model as n

    links = VictimLinks(b"k" * 32, "https://medex.belgium.be", 90, today=lambda: TODAY)
    url = links.url(999_999, generation=0)
    assert len(url) <= 48, url
    for language in n.LANGUAGES:
        for kind in n.Kind:
            appt = n.Appointment(
                id="987654", revision=3, convocation="C0123456", doctor="D001",
                start=datetime(2026, 12, 9, 14, 35), end=datetime(2026, 12, 9, 15),
                venue=n.Venue("BRU", "Medex Brussel/Bruxelles",
                              "Victor Hortaplein 40/10, 1060 Brussel"),
                contact=n.Contact(language=language, phone="+32470123456"), link=url)
            body = messages.sms_text(appt, kind)
            assert url in body and messages.sms_segments(body) <= 2, (language, kind, body)


# ------------------------------------------------------------------ through the personal link


def test_every_victim_route_refuses_an_altered_or_foreign_link(victims: Victims) -> None:
    routes = _routes(victims, "/api/v/")
    assert len(routes) >= 7, routes
    links = victims.links
    ann = victims.token("ann")
    ident, day, sig = ann.split(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    cleo = base36(victims.conv["cleo"])
    missing = links.token(999_999, generation=0)
    before = _audit(victims)
    for method, path in routes:
        for token in (f"{cleo}.{day}.{sig}", f"{ident}.{day}.{flipped}",
                      f"{ident}.{base36(int(day, 36) + 1)}.{sig}", missing, "nonsense"):
            r = _call(victims, method, path.replace("{token}", token))
            assert r.status_code == 404, (method, path, token, r.text)
            assert r.json()["code"] == "link_invalid", r.text
            _reveals_nobody(r)
    assert _audit(victims) == before
    assert victims.client.get(victims.v("cleo")).json()["waitlist"] is False


def test_every_victim_route_tells_an_expired_link_apart(victims: Victims) -> None:
    old = VictimLinks(links_secret(victims), victims.svc.settings.public_base_url, 90,
                      today=lambda: TODAY - timedelta(days=200))
    token = old.token(victims.conv["ann"], generation=0)
    before = _audit(victims)
    for method, path in _routes(victims, "/api/v/"):
        r = _call(victims, method, path.replace("{token}", token))
        assert r.status_code == 410, (method, path, r.text)
        body = r.json()
        assert body["code"] == "link_expired" and "new link" in body["detail"]
        assert victims.svc.settings.organizer_email in body["detail"]
        _reveals_nobody(r)
    assert _audit(victims) == before


def links_secret(v: Victims) -> bytes:
    return v.svc.settings.secret_key.get_secret_value().encode()


def test_a_link_opens_its_own_convocation_only(victims: Victims) -> None:
    for key in PEOPLE:
        r = victims.client.get(victims.v(key))
        assert r.status_code == 200
        _reveals_nobody(r, allowed=(PEOPLE[key][0],))
        slots = victims.client.get(victims.v(key, "/slots"))
        assert slots.status_code == 200
        _reveals_nobody(slots)


def test_a_victims_link_is_no_key_to_the_staff_or_hr_api(victims: Victims) -> None:
    token = victims.token("ann")
    for headers, cookies in (({"Authorization": f"Bearer {token}"}, {}),
                             ({}, {victims.svc.settings.session_cookie: token})):
        client = victims.client
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)
        for path in ("/api/convocations", "/api/victims", "/api/appointments",
                     "/api/auth/me", "/api/hr/convocations",
                     f"/api/hr/convocations/{victims.conv['ann']}"):
            r = client.get(path, headers=headers)
            assert r.status_code == 401, (path, r.text)
            _reveals_nobody(r)
        client.cookies.clear()


# ------------------------------------------------------------------ for an HR user


def _hr_paths(v: Victims, key: int | str) -> list[tuple[str, str]]:
    return [(m, p.replace("{key}", str(key))) for m, p in _routes(v, "/api/hr/convocations/")]


def test_an_hr_user_reaches_only_its_employers_convocations(victims: Victims) -> None:
    assert len(_hr_paths(victims, 1)) >= 6
    before = _audit(victims)
    for who, foreign in (("hr_a", "cleo"), ("hr_a", "dirk"), ("hr_b", "ann"),
                         ("hr_b", "bert")):
        for (method, path), (_, missing) in zip(
                _hr_paths(victims, victims.conv[foreign]), _hr_paths(victims, 999_999),
                strict=True):
            r = _call(victims, method, path, victims.hr[who])
            gone = _call(victims, method, missing, victims.hr[who])
            assert r.status_code == gone.status_code == 404, (who, method, path, r.text)
            assert r.json() == gone.json()  # the same whether it exists or not
            _reveals_nobody(r)
    assert _audit(victims) == before
    listed = victims.client.get("/api/hr/convocations", headers=victims.hr["hr_b"])
    assert [c["name"] for c in listed.json()["items"]] == ["Cléo Claes"]
    _reveals_nobody(listed, allowed=("Cléo Claes",))


def test_hr_routes_refuse_staff_an_hr_user_of_no_employer_and_no_one(victims: Victims
                                                                     ) -> None:
    paths = [("GET", "/api/hr/convocations"), ("GET", "/api/hr/me"),
             *_hr_paths(victims, victims.conv["ann"])]
    before = _audit(victims)
    for method, path in paths:
        for headers, status in ((victims.svc.as_("planner"), 403),
                                (victims.svc.as_("admin"), 403),
                                (victims.svc.as_("doctor"), 403),
                                (victims.hr["hr_none"], 403), ({}, 401)):
            r = _call(victims, method, path, headers)
            assert r.status_code == status, (method, path, headers, r.text)
            _reveals_nobody(r)
    assert _audit(victims) == before


def test_an_hr_user_is_refused_on_every_staff_route(victims: Victims) -> None:
    """Every route of the API outside ``/api/hr`` that needs a login refuses HR (403)."""
    open_routes = ("/api/auth/token", "/api/auth/login", "/api/auth/logout", "/api/v/",
                   "/api/hr/")
    hr = victims.hr["hr_a"]
    ids = {"key": str(victims.conv["ann"]), "plan_id": "x", "job_id": "x"}
    checked = 0
    for method, path in _routes(victims, "/api/"):
        if path.startswith(open_routes):
            continue
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", value)
        url = url.replace("{", "").replace("}", "")
        r = victims.client.request(method, url, headers=hr, json={})
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        _reveals_nobody(r)
        checked += 1
    assert checked >= 30


def test_an_hr_login_sees_no_staff_page(victims: Victims) -> None:
    browser = victims.cookie_client("hr@a.example")
    home = browser.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/hr"
    for page in ("/week", "/messages", "/agenda", "/whatif"):
        r = browser.get(page, follow_redirects=False)
        assert r.status_code in (303, 403), (page, r.status_code)
        assert r.headers.get("location", "/login").startswith("/login")
        _reveals_nobody(r)


# ------------------------------------------------------------------ making an HR user


def test_medex_create_user_makes_an_hr_user_of_one_employer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MEDEX_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    cli = CliRunner()
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(url)
    with db.session() as s:
        s.add(Employer(name="Acme", enterprise_number="0123456749"))
    args = ["create-user", "hr@acme.example", "--role", "employer", "--password", "a long one"]
    missing = cli.invoke(app, args)
    assert missing.exit_code == 2 and "--employer" in missing.output
    unknown = cli.invoke(app, [*args, "--employer", "0999999999"])
    assert unknown.exit_code == 2 and "no employer" in unknown.output
    made = cli.invoke(app, [*args, "--employer", "0123456749"])
    assert made.exit_code == 0, made.output
    again = cli.invoke(app, [*args, "--employer", "1"])
    assert again.exit_code == 2 and "exists already" in again.output
    wrong = cli.invoke(app, ["create-user", "p@medex.test", "--role", "planner",
                             "--password", "a long one", "--employer", "1"])
    assert wrong.exit_code == 2
    with db.session() as s:
        users = s.exec(select_rows(User)).all()
        assert [(u.email, u.role, u.employer_id) for u in users] == [
            ("hr@acme.example", "employer", 1)]
    db.dispose()


def test_an_admin_makes_an_hr_user_through_the_api_who_then_logs_in(victims: Victims
                                                                    ) -> None:
    admin = victims.svc.as_("admin")
    body = {"email": "new.hr@a.example", "role": "employer", "password": "a long passphrase"}
    r = victims.client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "employer_id"
    r = victims.client.post("/api/users", json={**body, "employer_id": 999}, headers=admin)
    assert r.status_code == 404
    r = victims.client.post("/api/users", json={**body, "role": "planner",
                                                "employer_id": victims.employers["A"]},
                            headers=admin)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "employer_id"
    r = victims.client.post("/api/users", json={**body, "employer_id": victims.employers["A"]},
                            headers=admin)
    assert r.status_code == 201 and r.json()["employer_id"] == victims.employers["A"]
    login = victims.client.post("/api/auth/token", data={"username": body["email"],
                                                         "password": body["password"]})
    hr = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = victims.client.get("/api/hr/convocations", headers=hr).json()
    assert {c["name"] for c in listed["items"]} == {"Ann Aerts", "Bert Bosmans"}
    assert victims.client.get("/api/users", headers=hr).status_code == 403


# ------------------------------------------------------------------ the pages too


PAGE_ROUTES = [("GET", "/v/{t}"), ("GET", "/v/{t}.ics"), ("GET", "/v/{t}/book"),
               ("POST", "/v/{t}/book"), ("POST", "/v/{t}/cancel"),
               ("POST", "/v/{t}/preferences"), ("POST", "/v/{t}/waitlist")]
HR_PAGE_ROUTES = [("GET", "/hr/c/{c}"), ("GET", "/hr/c/{c}/invite.ics"),
                  ("GET", "/hr/c/{c}/book"), ("POST", "/hr/c/{c}/book"),
                  ("POST", "/hr/c/{c}/cancel"), ("POST", "/hr/c/{c}/preferences"),
                  ("POST", "/hr/c/{c}/waitlist")]
FORM = {"doctor": "D001", "centre": "BRU", "start": "2026-12-09T09:00", "reason": "a test",
        "on": "1", "weekday": "1"}


def test_the_pages_refuse_a_foreign_altered_or_expired_link(victims: Victims) -> None:
    ident, day, sig = victims.token("ann").split(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    old = VictimLinks(links_secret(victims), "x", 90, today=lambda: TODAY - timedelta(200))
    expired = old.token(victims.conv["ann"], generation=0)
    before = _audit(victims)
    for method, path in PAGE_ROUTES:
        for token, status in ((f"{base36(victims.conv['cleo'])}.{day}.{sig}", 404),
                              (f"{ident}.{day}.{flipped}", 404), (expired, 410)):
            r = victims.client.request(method, path.replace("{t}", token), data=FORM,
                                       follow_redirects=False)
            if r.status_code == 303:  # a form's address opened: back to the page itself
                assert method == "GET" and r.headers["location"] == f"/v/{token}"
                continue
            assert r.status_code == status, (method, path, token, r.status_code)
            _reveals_nobody(r)
    assert _audit(victims) == before


def test_the_hr_pages_refuse_another_employers_convocation(victims: Victims) -> None:
    browser = victims.cookie_client("hr@a.example")
    page = browser.get("/hr")
    assert page.status_code == 200 and "Cléo Claes" not in page.text
    before = _audit(victims)
    for method, path in HR_PAGE_ROUTES:
        for key in (victims.conv["cleo"], victims.conv["dirk"], 999_999):
            r = browser.request(method, path.replace("{c}", str(key)), data=FORM,
                                follow_redirects=False)
            if r.status_code == 303:  # a form's address opened: back to the page itself
                assert method == "GET" and r.headers["location"] == f"/hr/c/{key}"
                continue
            assert r.status_code in (403, 404), (method, path, key, r.status_code)
            _reveals_nobody(r)
    assert _audit(victims) == before


def test_a_login_token_is_no_personal_link(victims: Victims) -> None:
    for headers in (victims.hr["hr_a"], victims.svc.as_("planner")):
        bearer = headers["Authorization"].removeprefix("Bearer ")
        for method, path in _routes(victims, "/api/v/"):
            r = _call(victims, method, path.replace("{token}", bearer), headers)
            assert r.status_code == 404 and r.json()["code"] == "link_invalid", (path, r.text)
            _reveals_nobody(r)


def test_hr_gets_nothing_from_the_victims_api_without_a_link(victims: Victims) -> None:
    for path in ("/api/v", "/api/v/", "/api/v//slots", "/api/v/%20", "/api/v/ /booking"):
        for method in ("GET", "POST", "PUT", "DELETE"):
            r = _call(victims, method, path, victims.hr["hr_a"])
            assert r.status_code in (404, 405), (method, path, r.status_code)
            _reveals_nobody(r)
