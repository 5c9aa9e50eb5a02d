"""A victim in a real browser, with the keyboard only (Tab, Shift+Tab, Enter, Space, the
arrow keys; no mouse): open the personal link, switch the language, pick a slot, move it,
cancel it; the error summary and the confirmation take the focus; an HR user does the
same for an employee; on a phone's screen nothing scrolls sideways.  The map's tiles are
refused (no internet in a test): the page must not need them, and hides the empty map."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import PASSWORD, LiveServer
from tests.api.victim_fixtures import Victims, victims_fixture  # noqa: F401 (the fixture)
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
ANSWERED = "Failed to load resource: the server responded with a status of 4"
"""How the browser logs a page answered 4xx (a refused form, an invalid link): expected."""


def new_page(browser: Any, **kw: Any) -> Any:
    """A page whose script errors and refused resources (CSP) are kept in ``page.problems``."""
    page = browser.new_page(**kw)
    page.set_default_timeout(15_000)
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(f"{msg.text} {msg.location}")
            if msg.type == "error" and "tile.openstreetmap.org" not in str(msg.location)
            and not msg.text.startswith(ANSWERED) else None)
    page.problems = problems
    return page


def focused(page: Any) -> str:
    """The id of the focused element ("" if it has none)."""
    return str(page.evaluate("document.activeElement && document.activeElement.id || ''"))


def tab_to(page: Any, element_id: str, *, back: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab with ``back``) until ``element_id`` has the focus."""
    for _ in range(limit):
        if focused(page) == element_id:
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"#{element_id} never got the focus (last: #{focused(page)})")


def checked_slot(page: Any) -> str:
    return str(page.evaluate(
        "(document.querySelector('input[name=slot]:checked') || {}).value || ''"))


def hr_log_in(page: Any) -> None:
    """On the login page: the HR user's e-mail and password, typed, and Enter."""
    tab_to(page, "username")
    page.keyboard.type("hr@a.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def book_first_slot(page: Any) -> None:
    """The first offered time chosen with Space and booked with Enter."""
    tab_to(page, "slot-1")
    page.keyboard.press("Space")
    tab_to(page, "book")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_open_switch_language_pick_move_and_cancel_with_the_keyboard(
        victims: Victims, live: LiveServer, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{live.url}/v/{victims.token('bert')}")
    assert page.get_attribute("html", "lang") == "nl"

    # the skip link comes first and leads to the content
    page.keyboard.press("Tab")
    assert focused(page) == "" and page.evaluate(
        "document.activeElement.classList.contains('skip')")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus
    page.keyboard.press("Enter")
    assert focused(page) == "main"

    # switch to French, then to English, from the language links
    tab_to(page, "lang-fr", back=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute("html", "lang") == "fr"
    assert "Choisir une date" in page.inner_text("#h-slots")
    tab_to(page, "lang-en")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#h-slots") == "Choose a date"

    # pick the second offered time: Tab into the radio group, arrow down, book
    tab_to(page, "slot-1")
    page.keyboard.press("ArrowDown")
    assert focused(page) == "slot-2"
    picked = checked_slot(page)
    assert picked
    tab_to(page, "book")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page) == "notice"  # the confirmation is read first
    assert "Your appointment is booked." in page.inner_text("#notice")
    assert page.get_attribute("#notice", "role") == "status"
    assert page.get_attribute("html", "lang") == "en"  # remembered
    assert "Dr. Peeters" in page.inner_text("#appt-doctor")
    # the way there in words, and the map (without its tiles) as a named picture
    assert "min on foot" in page.inner_text("#route-station")
    page.wait_for_selector("#map.leaflet-container", state="attached")
    assert page.get_attribute("#map", "role") == "img"
    assert page.get_attribute("#map", "aria-label")
    page.wait_for_function("document.getElementById('map').hidden")  # no tiles: no box

    # move it: another time, a reason typed in, Space on the button
    tab_to(page, "slot-1")
    page.keyboard.press("Space")
    moved_to = checked_slot(page)
    assert moved_to and moved_to != picked
    tab_to(page, "book-reason")
    page.keyboard.type("I have to work that day")
    tab_to(page, "book")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "has been moved" in page.inner_text("#notice")
    when = page.inner_text("#appt-when")
    assert moved_to.split("|")[2][11:16] in when

    # cancel it, with a reason
    tab_to(page, "cancel-reason")
    page.keyboard.type("I am back at work")
    tab_to(page, "cancel")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "has been cancelled" in page.inner_text("#notice")
    assert page.locator("#appt-when").count() == 0
    assert "was cancelled" in page.inner_text("#file-status")
    assert page.problems == []
    page.close()


def test_errors_take_the_focus_and_lead_to_their_field_on_a_phone(
        victims: Victims, live: LiveServer, browser: Any) -> None:
    page = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    base = f"{live.url}/v/{victims.token('ann')}"
    page.goto(f"{base}?lang=de&day=2026-02-30&part=abends")
    assert focused(page) == "error-summary"
    summary = page.inner_text("#error-summary")
    assert "kein gültiges Datum" in summary and "Vormittag oder Nachmittag" in summary
    page.keyboard.press("Tab")  # the summary's first link leads to the field
    page.keyboard.press("Enter")
    assert focused(page) == "f-day"
    assert page.get_attribute("#f-day", "aria-invalid") == "true"
    # a cancel without its reason: refused by the page (in German), the summary first
    tab_to(page, "cancel")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page) == "error-summary"
    assert "Bitte geben Sie einen Grund an." in page.inner_text("#error-summary")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "cancel-reason"
    assert page.get_attribute("#cancel-reason", "aria-describedby") == "err-cancel_reason"
    page.keyboard.type("Krank")
    tab_to(page, "cancel")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "abgesagt" in page.inner_text("#notice")
    for url in (base, f"{base}?lang=fr", f"{live.url}/v/{victims.token('bert')}"):
        page.goto(url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], (url, wide)
    assert page.problems == []
    page.goto(f"{live.url}/v/1.zz.AAAAAAAAAAA")
    assert "Ce lien n'est pas valable" in page.inner_text("h1")  # the language remembered
    page.close()


def test_an_hr_user_books_for_an_employee_with_the_keyboard(
        victims: Victims, live: LiveServer, browser: Any) -> None:
    page = new_page(browser, viewport=PHONE)
    page.goto(f"{live.url}/hr?lang=en")
    assert "/login" in page.url
    hr_log_in(page)
    assert page.url.endswith("/hr")
    assert "Bert Bosmans" in page.inner_text("#files") and "Cléo" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tab_to(page, f"file-{victims.conv['bert']}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "You are acting for Bert Bosmans" in page.inner_text("#acting")
    book_first_slot(page)
    assert "Your appointment is booked." in page.inner_text("#notice")
    assert page.problems == []
    page.close()


def test_the_pages_pass_axe_cores_wcag_aa_rules(victims: Victims, live: LiveServer,
                                               browser: Any) -> None:
    """The victim's page in its states (slots offered, booked with the way there, an error
    summary, a closed link), in each language and on a phone; the login and the HR pages."""
    base = f"{live.url}/v/{victims.token('bert')}"
    page = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    for url in (f"{base}?lang=nl", f"{base}?lang=fr", f"{base}?lang=de", f"{base}?lang=en",
                f"{base}?lang=en&day=2026-02-30&part=abends",
                f"{live.url}/v/1.zz.AAAAAAAAAAA", f"{live.url}/login?lang=en"):
        page.goto(url)
        assert axe_violations(page) == [], url
    page.goto(f"{base}?lang=en")  # booked: the appointment, the way there, the map's box
    book_first_slot(page)
    assert "Your appointment is booked." in page.inner_text("#notice")
    page.wait_for_selector("#map.leaflet-container", state="attached")
    assert axe_violations(page) == [], "booked"
    page.goto(f"{live.url}/login?lang=en")  # the HR user's list and an employee's file
    hr_log_in(page)
    assert page.url.endswith("/hr")
    assert axe_violations(page) == [], "hr"
    page.goto(f"{live.url}/hr/c/{victims.conv['ann']}")
    assert axe_violations(page) == [], "hr file"
    assert page.problems == []
    # the rules do run: a picture without a text and a nameless button are found
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<img src=\"data:,\"><button></button>')")
    found = " ".join(axe_violations(page))
    assert "image-alt" in found and "button-name" in found, found
    page.close()
