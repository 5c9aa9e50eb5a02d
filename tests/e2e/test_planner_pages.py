"""A planner in a real browser: log in, plan the week, publish, move an appointment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import PASSWORD, USERS, WEEK, LiveServer, Service
from tests.api.helpers import import_convocations
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.slow


def log_in(page: Any, email: str) -> None:
    """On the login page: the user's e-mail and password, and the button."""
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("#login")


def test_log_in_plan_publish_and_move(service: Service, live: LiveServer, browser: Any
                                      ) -> None:
    import_convocations(service, 3)
    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{live.url}/week?start={WEEK}")
    assert "/login" in page.url
    page.fill("#username", USERS["planner"])
    page.fill("#password", "wrong password")
    page.click("#login")
    assert "Wrong e-mail or password" in page.inner_text(".error")
    log_in(page, USERS["planner"])
    page.wait_for_url(f"**/week?start={WEEK}")
    assert page.inner_text("#kpi-scheduled") == "0"

    # plan the week and follow the job's progress
    page.fill("#time-limit", "2")
    page.click("#plan-week")
    page.wait_for_selector("#view-plan-ready")
    assert "3 scheduled" in page.inner_text("#plan-message")
    assert "cost" in page.inner_text("#job-status")
    page.click("#view-plan-ready")
    page.wait_for_selector("text=draft plan")
    assert page.locator(".appt").count() == 3
    assert page.inner_text("#kpi-scheduled") == "3"

    # publish: the agenda shows confirmed appointments with a move button
    page.click("#publish-plan")
    page.wait_for_selector("text=Published: 3 new")
    page.wait_for_url(f"**/week?start={WEEK}")
    page.wait_for_selector("button.move")
    assert page.locator("button.move").count() == 3

    # a move outside the doctor's sessions is refused, naming the rule
    first = page.locator("button.move").first
    ref = first.evaluate("b => b.closest('.appt').dataset.ref")
    first.click()
    friday = WEEK.replace(day=WEEK.day + 4).isoformat()
    page.fill("#move-start", f"{friday}T18:00")
    page.click("#move-save")
    page.wait_for_selector("#move-message:has-text('refused by rule')")
    assert "inside-session" in page.inner_text("#move-message")

    # a move into a free slot of the morning session is accepted
    page.fill("#move-start", f"{friday}T11:00")
    page.select_option("#move-doctor", str(service.ids["D001"]))
    with page.expect_navigation():
        page.click("#move-save")
    moved = page.locator(f".appt[data-ref='{ref}']")
    moved.wait_for()
    assert "11:00" in moved.inner_text() and "D001" in moved.inner_text()


def test_the_planners_pages_pass_axe_cores_wcag_aa_rules(service: Service, live: LiveServer,
                                                         browser: Any) -> None:
    """The login, the week per centre and for all, the messages, the what-if form and a
    doctor's agenda."""
    import_convocations(service, 3)
    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{live.url}/week?start={WEEK}")
    assert axe_violations(page) == [], "login"
    log_in(page, USERS["planner"])
    page.wait_for_url(f"**/week?start={WEEK}")
    for path in (f"/week?start={WEEK}", f"/week?start={WEEK}&centre=BRU", "/messages",
                 "/whatif"):
        page.goto(f"{live.url}{path}")
        assert axe_violations(page) == [], path
    page.close()
    doctor = browser.new_page()  # a doctor's own agenda, with the feed's address
    doctor.goto(f"{live.url}/agenda?start={WEEK}")
    log_in(doctor, USERS["doctor"])
    doctor.wait_for_url("**/agenda**")
    assert axe_violations(doctor) == [], "agenda"
    doctor.close()


def test_a_planner_gives_a_victim_a_new_link_and_the_old_one_stops(
        service: Service, live: LiveServer, browser: Any) -> None:
    from sqlmodel import col, select

    from api.tables import Convocation

    import_convocations(service, 1)
    with service.db.session() as s:
        conv = s.exec(select(Convocation).order_by(col(Convocation.id))).first()
    assert conv is not None and conv.id is not None
    old = service.app.state.medex.notices.links.token(conv.id, generation=0)
    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{live.url}/week?start={WEEK}")
    log_in(page, USERS["planner"])
    page.wait_for_url(f"**/week?start={WEEK}")
    page.fill("#link-ref", "NO-SUCH-REF")
    page.press("#link-ref", "Enter")
    page.wait_for_selector("#link-message:has-text('No convocation NO-SUCH-REF')")
    page.fill("#link-ref", conv.reference)
    page.press("#link-ref", "Enter")  # the withdrawal box is ticked by default
    page.wait_for_selector("#link-message:has-text('no longer work')")
    url = page.input_value("#link-url")
    assert url.startswith(service.settings.public_base_url + "/v/") and old not in url
    assert axe_violations(page) == [], "week with a new link"
    # a double submit withdraws once: the link shown is the one that works
    page.evaluate("() => { const f = document.getElementById('link-form');"
                  " f.requestSubmit(); f.requestSubmit(); }")
    page.wait_for_function(f"() => document.getElementById('link-url').value !== {url!r}"
                           " && document.getElementById('link-url').value !== ''")
    url = page.input_value("#link-url")
    with service.db.session() as s:
        again = s.get(Convocation, conv.id)
        assert again is not None and again.link_generation == 2
    victim = browser.new_page()
    gone = victim.goto(f"{live.url}/v/{old}")
    assert gone is not None and gone.status == 410
    assert victim.locator("#h-slots").count() == 0
    fresh = victim.goto(f"{live.url}/v/{url.rsplit('/v/', 1)[1]}")
    assert fresh is not None and fresh.status == 200
    assert victim.locator("#h-slots").count() == 1
    victim.close()
    page.close()
