"""The pages render on both databases (server side); the browser tests are in tests/e2e."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, USERS, WEEK, Service
from tests.api.helpers import import_convocations, run_plan


def _login(svc: Service, who: str) -> None:
    r = svc.client.post("/login", data={"username": USERS[who], "password": PASSWORD,
                                        "next": "/"}, follow_redirects=False)
    assert r.status_code == 303


def test_pages_need_a_login(service: Service) -> None:
    r = service.client.get("/week", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    bad = service.client.post("/login", data={"username": USERS["planner"],
                                              "password": "nope"},
                              headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert bad.status_code == 401 and "Wrong e-mail or password" in bad.text
    assert 'aria-describedby="login-error"' in bad.text


def test_the_login_page_speaks_the_browsers_language_or_the_one_asked_for(
        service: Service) -> None:
    french = service.client.get("/login", headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert french.status_code == 200
    assert '<html lang="fr">' in french.text and "Mot de passe" in french.text
    german = service.client.get("/login?lang=de&next=/hr")
    assert '<html lang="de">' in german.text and "Passwort" in german.text
    assert 'name="next" value="/hr"' in german.text
    assert "/login?next=%2Fhr&amp;lang=nl" in german.text  # the other languages, same target
    remembered = service.client.get("/login")  # the cookie the switch set
    assert '<html lang="de">' in remembered.text
    wrong = service.client.post("/login", data={"username": USERS["planner"],
                                                "password": "nope"})
    assert wrong.status_code == 401 and "falsches Passwort" in wrong.text
    from tests.api.test_victim_pages import check_structure

    for page in (french, german, wrong):  # labels, headings, ids, described-by
        check_structure(page.text)


def test_week_grid_kpis_and_unscheduled_list(service: Service) -> None:
    import_convocations(service, 3)
    plan = run_plan(service, {"week_start": WEEK.isoformat(), "time_limit_s": 2})
    _login(service, "planner")
    draft = service.client.get(f"/week?start={WEEK}&plan={plan['id']}")
    assert draft.status_code == 200
    assert "draft plan" in draft.text and 'id="kpi"' in draft.text
    assert draft.text.count('class="appt"') == 3
    r = service.client.post(f"/api/plans/{plan['id']}/publish",
                            headers={"X-Medex": "1"})
    assert r.status_code == 200, r.text
    page = service.client.get(f"/week?start={WEEK}&centre=BRU")
    assert page.text.count('class="move"') == 3
    assert "Unscheduled (0)" in page.text


def test_a_cookie_change_without_the_header_is_refused(service: Service) -> None:
    _login(service, "planner")
    r = service.client.post("/api/plans", json={"week_start": WEEK.isoformat()})
    assert r.status_code == 403 and "X-Medex" in r.json()["detail"]


def test_a_doctor_lands_on_their_agenda(service: Service) -> None:
    _login(service, "doctor")
    r = service.client.get("/")
    assert r.url.path == "/agenda" and r.status_code == 200
    assert 'id="unscheduled"' not in r.text and 'id="planning"' not in r.text
