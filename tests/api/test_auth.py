"""Staff log in with argon2-checked passwords; roles limit what they may do; a doctor sees
only their own agenda."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, USERS, WEEK, Service
from tests.api.helpers import import_convocations, run_plan


def test_login_gives_a_bearer_token_and_a_wrong_password_is_401(service: Service) -> None:
    ok = service.client.post("/api/auth/token", data={"username": USERS["planner"],
                                                      "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token_type"] == "bearer"
    bad = service.client.post("/api/auth/token", data={"username": USERS["planner"],
                                                       "password": "wrong password"})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthorized"


def test_the_session_cookie_is_httponly_and_lax(service: Service) -> None:
    r = service.client.post("/api/auth/login", data={"username": USERS["admin"],
                                                     "password": PASSWORD})
    assert r.status_code == 204
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    me = service.client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["role"] == "admin"
    service.client.post("/api/auth/logout")
    service.client.cookies.clear()
    assert service.client.get("/api/auth/me").status_code == 401


def test_no_token_no_data(service: Service) -> None:
    r = service.client.get("/api/convocations")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    forged = service.client.get("/api/convocations",
                                headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401


def test_roles(service: Service) -> None:
    c = service.client
    assert c.get("/api/users", headers=service.as_("planner")).status_code == 403
    assert c.get("/api/users", headers=service.as_("admin")).status_code == 200
    assert c.get("/api/convocations", headers=service.as_("doctor")).status_code == 403
    manager = c.post("/api/plans", json={"week_start": WEEK.isoformat()},
                     headers=service.as_("manager"))
    assert manager.status_code == 403 and "planner" in manager.json()["detail"]
    assert c.get("/api/convocations", headers=service.as_("manager")).status_code == 200


def test_an_admin_creates_a_user_whose_password_is_hashed(service: Service) -> None:
    r = service.client.post("/api/users", headers=service.as_("admin"), json={
        "email": "new@medex.test", "role": "planner", "password": "a long passphrase"})
    assert r.status_code == 201, r.text
    assert "password" not in r.text
    log = service.client.get("/api/audit", params={"entity": "user"},
                             headers=service.as_("admin")).json()["items"][0]
    assert "password_hash" not in (log["after"] or {})
    login = service.client.post("/api/auth/token", data={"username": "new@medex.test",
                                                         "password": "a long passphrase"})
    assert login.status_code == 200


def test_a_doctor_sees_only_their_own_agenda(service: Service) -> None:
    import_convocations(service, 6)
    plan = run_plan(service, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    service.client.post(f"/api/plans/{plan['id']}/publish", headers=service.as_("planner"))
    everyone = service.client.get("/api/appointments", headers=service.as_("planner")).json()
    mine = service.client.get("/api/appointments", headers=service.as_("doctor")).json()
    assert {a["doctor_id"] for a in mine["items"]} <= {service.ids["D001"]}
    other = [a for a in everyone["items"] if a["doctor_id"] != service.ids["D001"]]
    if other:
        r = service.client.get(f"/api/appointments/{other[0]['id']}",
                               headers=service.as_("doctor"))
        assert r.status_code == 403
    r = service.client.get("/api/appointments", params={"doctor_id": service.ids["D002"]},
                           headers=service.as_("doctor"))
    assert r.status_code == 403
