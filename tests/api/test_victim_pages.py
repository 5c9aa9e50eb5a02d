"""The victims' pages through the test client: each language, the errors a person can
cause (answered by a page in their language, never a 500 or JSON), booking, moving and
cancelling with POST-redirect-GET, what suits and the waitlist, HR scoping and the CSRF
field; and, on the sources, that every text is translated in the four catalogues and that
the colours of ``victim.css`` meet WCAG AA."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from babel.messages.extract import extract
from jinja2.ext import babel_extract

from api import i18n
from api.tables import Appointment
from tests.api.conftest import PASSWORD, WEEK
from tests.api.victim_fixtures import Victims, victims_fixture  # noqa: F401 (the fixture)

ROOT = Path(__file__).parents[2]
MEDICAL = ("sprain", "injury", "specialty", "complexity", "orthopaedics", "priority")


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The pages call the services that the JSON API's tests run on both databases; SQLite
    is enough here."""
    from tests.api.conftest import fresh_database

    yield from fresh_database("sqlite", request, tmp_path)


def get(v: Victims, key: str, rest: str = "", status: int = 200, **params: str) -> str:
    r = v.client.get(f"/v/{v.token(key)}{rest}", params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def post(v: Victims, key: str, action: str, data: dict[str, Any], status: int = 303) -> Any:
    r = v.client.post(f"/v/{v.token(key)}/{action}", data=data, follow_redirects=False)
    assert r.status_code == status, r.text
    return r


def slot_values(html: str) -> list[str]:
    return re.findall(r'name="slot" id="slot-\d+" value="([^"]+)"', html)


def lang_of(html: str) -> str:
    found = re.search(r'<html lang="([a-z]{2})">', html)
    assert found
    return found.group(1)


def t(language: str, msgid: str) -> str:
    """A text in ``language``, as the catalogue has it."""
    return i18n.translations(language).gettext(msgid)


# ------------------------------------------------------------------ languages


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_page_renders_in_each_language_and_remembers_it(victims: Victims,
                                                            language: str) -> None:
    html = get(victims, "ann", lang=language)
    assert lang_of(html) == language
    for msgid in ("Your Medex appointment", "What to bring", "How to get there",
                  "Cancel the appointment", "Skip to the content"):
        assert t(language, msgid) in unescape(html), msgid
    assert victims.client.cookies.get(i18n.COOKIE) == language
    assert lang_of(get(victims, "ann")) == language  # the cookie, without ?lang
    for code in i18n.LANGUAGES:  # the switch: each language named in itself
        assert f'lang="{code}" hreflang="{code}"' in html
    assert html.count('aria-current="true"') == 1


@pytest.mark.parametrize(("query", "cookie", "own", "accept", "expected"), [
    ("fr", "de", "nl", "en", "fr"),
    (None, "de", "nl", "en", "de"),
    ("xx", None, "nl", "fr", "nl"),
    (None, "zz", None, "de-BE,de;q=0.9,fr;q=0.8", "de"),
    (None, None, None, "es, fr;q=0.5, nl;q=0.7", "nl"),
    (None, None, None, "en-GB;q=nonsense, fr", "fr"),
    (None, None, None, "", "nl"),
    ("EN", None, None, "", "en"),
])
def test_the_language_asked_for_then_remembered_then_own_then_the_browsers(
        query: str | None, cookie: str | None, own: str | None, accept: str,
        expected: str) -> None:
    assert i18n.choose(query, cookie, own, accept) == expected


def test_the_victims_own_language_by_default(victims: Victims) -> None:
    assert lang_of(get(victims, "cleo")) == "fr"
    assert lang_of(get(victims, "ann")) == "nl"
    assert "Votre convocation par Medex" in get(victims, "cleo")


def test_the_page_shows_when_where_with_whom_and_the_way_but_nothing_medical(
        victims: Victims) -> None:
    html = get(victims, "ann", lang="en")
    when = re.search(r'id="appt-when">([^<]+)<', html)
    assert when and "8 December 2026" in when.group(1) and "09:00" in when.group(1)
    assert "Dr. Peeters" in html and "Medex Brussel/Bruxelles" in html
    assert "Brussel-Zuid/Bruxelles-Midi" in html and "min on foot" in html
    assert 'id="map"' in html and 'role="img"' in html and "aria-label=" in html
    assert "Your appointment is confirmed" in html
    assert f'href="/v/{victims.token("ann")}.ics"' in html
    r = victims.client.get(f"/v/{victims.token('ann')}")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "strict-origin"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    nl = get(victims, "ann", lang="nl")
    assert "Medex Brussel<" in nl or "Medex Brussel\n" in nl or "Medex Brussel," in nl
    for word in MEDICAL:
        assert word not in html.lower(), word


def test_the_invite_and_none_without_an_appointment(victims: Victims) -> None:
    r = victims.client.get(f"/v/{victims.token('ann')}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in r.content
    html = get(victims, "bert", ".ics", status=404)
    assert lang_of(html) == "nl"


# ------------------------------------------------------------------ bad links and input


def test_a_tampered_a_nonsense_and_an_expired_link_get_a_page_in_words(victims: Victims
                                                                       ) -> None:
    token = victims.token("ann")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "nonsense", "1.zz.AAAAAAAAAAA", token.replace(".", "..", 1)):
        r = victims.client.get(f"/v/{bad}", headers={"accept-language": "fr-BE,fr;q=0.9"})
        assert r.status_code == 404, bad
        assert "Ce lien n'est pas valable" in unescape(r.text) and lang_of(r.text) == "fr"
    expired = victims.links.token(victims.conv["ann"], generation=0,
                                  issued=WEEK - timedelta(days=200))
    r = victims.client.get(f"/v/{expired}?lang=de")
    assert r.status_code == 410 and "Dieser Link ist abgelaufen" in r.text
    r = victims.client.post(f"/v/{tampered}/cancel", data={"cancel_reason": "x"})
    assert r.status_code == 404 and "<html" in r.text


def test_nonsense_filters_are_dropped_with_a_message_at_their_field(victims: Victims
                                                                    ) -> None:
    html = get(victims, "bert", lang="en", day="2026-02-30", part="evening", centre="XYZ")
    assert "This is not a valid date. All days are shown." in html
    assert "Choose morning or afternoon." in html
    assert "This centre does not exist" in html
    assert 'id="f-day" name="day" aria-invalid="true" aria-describedby="err-day"' in html
    assert 'id="error-summary"' in html and 'href="#f-day"' in html
    assert slot_values(html)  # every slot is still offered
    days = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', html)
    assert days == [str(WEEK + timedelta(days=i)) for i in range(5)]  # the doctors' days
    html = get(victims, "bert", lang="en", day="2026-12-02")
    assert "No examination is possible on that day. All days are shown." in html
    wednesday = WEEK + timedelta(days=2)
    only = slot_values(get(victims, "bert", day=str(wednesday), part="afternoon"))
    assert only and all(v.split("|")[2].startswith(f"{wednesday}T1") for v in only)
    assert all(v.split("|")[2][11:13] >= "12" for v in only)


# ------------------------------------------------------------------ book, move, cancel


def test_book_then_move_then_cancel_with_post_redirect_get(victims: Victims) -> None:
    first = slot_values(get(victims, "bert"))[0]
    r = post(victims, "bert", "book", {"slot": first})
    assert r.headers["location"] == f"/v/{victims.token('bert')}?done=booked"
    html = get(victims, "bert", lang="en", done="booked")
    assert "Your appointment is booked." in html and 'role="status"' in html
    assert 'id="appt-when"' in html
    # moving needs a reason: refused next to the field, summarised at the top
    second = slot_values(html)[0]
    r = post(victims, "bert", "book", {"slot": second, "reason": "  "}, status=422)
    assert "Please give a reason." in r.text
    assert 'aria-invalid="true" aria-describedby="err-reason"' in r.text
    assert 'href="#book-reason"' in r.text and f'value="{second}" checked' in r.text
    token = victims.token("bert")
    assert f'href="/v/{token}?lang=fr"' in r.text  # the switch leads to the page, not the form
    back = victims.client.get(f"/v/{token}/book", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/v/{token}"
    post(victims, "bert", "book", {"slot": second, "reason": "I work that day"})
    html = get(victims, "bert", lang="en", done="moved")
    assert "Your appointment has been moved." in html
    start = second.split("|")[2]
    with victims.svc.db.session() as s:
        appt = s.exec(_confirmed(victims.conv["bert"])).first()
        assert appt is not None and appt.start.isoformat(timespec="minutes") == start
        assert appt.revision == 2
    # cancelling needs a reason too
    r = post(victims, "bert", "cancel", {"cancel_reason": ""}, status=422)
    assert "err-cancel_reason" in r.text
    post(victims, "bert", "cancel", {"cancel_reason": "I am back at work"})
    html = get(victims, "bert", lang="en", done="cancelled")
    assert "Your appointment has been cancelled." in html
    assert "was cancelled. Choose a new date below" in html
    assert 'id="appt-when"' not in html and slot_values(html)


def _confirmed(convocation_id: int) -> Any:
    from sqlmodel import select

    return select(Appointment).where(Appointment.convocation_id == convocation_id,
                                     Appointment.status == "confirmed")


def test_a_slot_taken_meanwhile_gets_a_friendly_message_and_fresh_times(victims: Victims
                                                                        ) -> None:
    offered = slot_values(get(victims, "dirk"))
    post(victims, "bert", "book", {"slot": offered[0]})  # bert is quicker
    r = post(victims, "dirk", "book", {"slot": offered[0]}, status=409)
    assert t("nl", "Sorry, someone else booked this time a moment ago. The free times below "
                   "are up to date: please choose another one.") in unescape(r.text)
    assert offered[0] not in slot_values(r.text) and slot_values(r.text)
    assert 'id="error-summary"' in r.text and "autofocus" in r.text
    r = post(victims, "dirk", "book", {"slot": "D001|BRU|not-a-date"}, status=422)
    assert "err-slot" in r.text


def test_preferences_bad_dates_each_named_then_saved(victims: Victims) -> None:
    def send(**data: Any) -> Any:
        return victims.client.post(f"/v/{victims.token('bert')}/preferences?lang=en",
                                   data={"weekdays": ["1"], "part": "morning", **data},
                                   follow_redirects=False)

    cases = {("2026-02-30", "2026-12-20"): ("away_from", "not a valid date"),
             ("2026-11-02", "2026-11-06"): ("away_from", "in the past"),
             ("2026-12-18", "2026-12-14"): ("away_to", "comes before the first day"),
             ("2027-03-01", "2027-03-05"): ("away_from", "the period of your file"),
             ("2026-12-14", ""): ("away_to", "Give the last day")}
    for (first, last), (name, words) in cases.items():
        r = send(away_from=first, away_to=last)
        assert r.status_code == 422, (first, last)
        assert words in r.text and f'aria-describedby="err-{name}' in r.text, (first, last)
    r = send(weekdays=["9"])
    assert r.status_code == 422 and "Monday to Friday" in r.text
    r = send(away_from="2026-12-14", away_to="2026-12-18")
    assert r.status_code == 303
    html = get(victims, "bert", lang="en", done="prefs")
    assert "we have saved what suits you" in html
    assert "Tuesday, in the morning" in html and "14 December 2026" in html
    assert 'id="wd-1" checked' in html and 'id="part-morning" checked' in html


def test_the_day_of_the_appointment_cannot_be_made_unavailable(victims: Victims) -> None:
    """Ann is booked on Tuesday 8 December: she is told, in her language, to move it first."""
    for lang, words in (("en", "Your appointment is on"), ("nl", "Uw afspraak is op")):
        r = victims.client.post(f"/v/{victims.token('ann')}/preferences?lang={lang}",
                                data={"away_from": "2026-12-07", "away_to": "2026-12-09"},
                                follow_redirects=False)
        assert r.status_code == 422, lang
        assert words in unescape(r.text) and 'aria-describedby="err-away_from' in r.text
    assert "8 December 2026" in get(victims, "ann", lang="en")  # still booked


def test_the_waitlist_is_joined_and_left(victims: Victims) -> None:
    post(victims, "ann", "waitlist", {"on": "1"})
    html = get(victims, "ann", lang="en", done="waitlist_on")
    assert "We will tell you if an earlier date frees up." in html
    assert "Stop telling me about earlier dates" in html
    post(victims, "ann", "waitlist", {"on": "0"})
    assert "Tell me if an earlier date frees up" in get(victims, "ann", lang="en")


def test_after_the_cut_off_the_page_says_so_and_offers_no_change(victims: Victims) -> None:
    victims.svc.app.state.medex.settings.victim_cutoff_hours = 48
    until = re.search(r'id="change-until">([^<]+)<', get(victims, "ann", lang="en"))
    assert until and "until Sunday 6 December 2026, 09:00" in until.group(1)
    victims.svc.app.state.medex.settings.victim_cutoff_hours = 24 * 30
    html = get(victims, "ann", lang="en")
    assert "can no longer be changed online" in html
    assert 'id="book-form"' not in html and 'id="cancel-form"' not in html
    assert 'id="prefs-form"' in html  # what suits still counts for the next planning run
    r = post(victims, "ann", "cancel", {"cancel_reason": "ill"}, status=422)
    assert "can no longer be changed online" in r.text


# ------------------------------------------------------------------ HR


def _login(v: Victims, email: str) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(v.svc.app)
    r = client.post("/login", data={"username": email, "password": PASSWORD,
                                    "next": "/hr"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/hr"
    return client


def test_hr_sees_and_acts_only_for_its_own_employees(victims: Victims) -> None:
    assert victims.client.get("/hr", follow_redirects=False).headers["location"].startswith(
        "/login")
    hr = _login(victims, "hr@a.example")
    listed = hr.get("/hr?lang=en")
    assert listed.status_code == 200
    assert "Ann Aerts" in listed.text and "Bert Bosmans" in listed.text
    assert "Cléo" not in listed.text and "Dirk" not in listed.text
    for other in (victims.conv["cleo"], victims.conv["dirk"], 99999):
        r = hr.get(f"/hr/c/{other}")
        assert r.status_code == 404 and "File not found" in r.text
        r = hr.post(f"/hr/c/{other}/waitlist", data={"on": "1", "csrf": "x"})
        assert r.status_code == 404
    assert hr.get("/hr/c/abc").status_code == 404
    bert = victims.conv["bert"]
    html = hr.get(f"/hr/c/{bert}").text
    assert "You are acting for Bert Bosmans" in html
    csrf = re.findall(r'name="csrf" value="([0-9a-f]+)"', html)
    assert csrf and len(set(csrf)) == 1
    slot = slot_values(html)[0]
    r = hr.post(f"/hr/c/{bert}/book", data={"slot": slot}, follow_redirects=False)
    assert r.status_code == 403 and "The form has expired" in r.text
    r = hr.post(f"/hr/c/{bert}/book", data={"slot": slot, "csrf": "0" * 32},
                follow_redirects=False)
    assert r.status_code == 403
    with victims.svc.db.session() as s:
        assert s.exec(_confirmed(bert)).first() is None
    r = hr.post(f"/hr/c/{bert}/book", data={"slot": slot, "csrf": csrf[0]},
                follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/hr/c/{bert}?done=booked"
    assert "Your appointment is booked." in hr.get(r.headers["location"]).text
    ics = hr.get(f"/hr/c/{bert}/invite.ics")
    assert ics.status_code == 200  # linking to the HR page, not to the victim's own link
    unfolded = ics.text.replace("\r\n ", "")
    assert f"/hr/c/{bert}" in unfolded and "/v/" not in unfolded
    # a staff account is not an HR user; another employer's HR sees none of A's files
    staff = _login_any(victims, "planner@medex.test")
    refused = staff.get("/hr?lang=en", follow_redirects=False)
    assert refused.status_code == 403 and "This page is for employers" in refused.text
    assert staff.get(f"/hr/c/{bert}", follow_redirects=False).status_code == 403
    hr_b = _login(victims, "hr@b.example")
    assert hr_b.get(f"/hr/c/{bert}").status_code == 404
    assert "Cléo Claes" in hr_b.get("/hr").text


def _login_any(v: Victims, email: str) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(v.svc.app)
    client.post("/login", data={"username": email, "password": PASSWORD},
                follow_redirects=False)
    return client


# ------------------------------------------------------------ structure for assistive technology


class Structure(HTMLParser):
    """The controls, labels, headings and radio groups of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.headings: list[int] = []
        self.ids: list[str] = []
        self.fieldsets: list[dict[str, Any]] = []
        self.radios_outside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a)
            if a.get("type") in ("radio", "checkbox"):
                if self.fieldsets:
                    self.fieldsets[-1]["controls"] += 1
                else:
                    self.radios_outside.append(a.get("id", "?"))
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "fieldset":
            self.fieldsets.append({"legend": False, "controls": 0})
        elif tag == "legend" and self.fieldsets:
            self.fieldsets[-1]["legend"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self.fieldsets:
            done = self.fieldsets.pop()
            assert done["legend"], "a fieldset without a legend"


def check_structure(html: str) -> Structure:
    found = Structure()
    found.feed(html)
    unlabelled = [c.get("id") or c.get("name") for c in found.controls
                  if c.get("id") not in found.labels and not c.get("aria-label")]
    assert unlabelled == []
    assert found.radios_outside == [], "radios and checkboxes belong in a fieldset"
    assert found.headings and found.headings[0] == 1 and found.headings.count(1) == 1
    for before, after in itertools.pairwise(found.headings):
        assert after <= before + 1, f"h{before} then h{after}"
    duplicates = {i for i in found.ids if found.ids.count(i) > 1}
    assert duplicates == set()
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for ref in described.split():
            assert ref in found.ids, ref
    return found


def test_every_control_has_a_label_and_the_headings_and_groups_are_in_order(
        victims: Victims) -> None:
    pages = [get(victims, key, lang=lang) for key, lang in (("ann", "nl"), ("bert", "fr"))]
    pages.append(get(victims, "bert", lang="en", day="nonsense", part="night"))
    pages.append(post(victims, "bert", "preferences", {"away_from": "2026-02-30",
                                                      "away_to": "x"}, status=422).text)
    for html in pages:
        found = check_structure(html)
        assert len(found.controls) > 10
    hr = _login(victims, "hr@a.example")
    check_structure(hr.get("/hr").text)
    check_structure(hr.get(f"/hr/c/{victims.conv['ann']}").text)
    check_structure(victims.client.get("/v/nonsense").text)


@pytest.mark.parametrize("bad", [
    '<h1>t</h1><input id="a" name="a">',
    '<h1>t</h1><fieldset><input type="radio" id="r"><label for="r">r</label></fieldset>',
    '<h1>t</h1><input type="checkbox" id="c"><label for="c">c</label>',
    '<h1>t</h1><h3>skipped a level</h3>',
    '<h2>no h1</h2>',
    '<h1>t</h1><p id="x"></p><p id="x"></p>',
    '<h1>t</h1><input id="a" aria-describedby="nowhere"><label for="a">a</label>',
])
def test_the_structure_check_catches_a_bad_page(bad: str) -> None:
    with pytest.raises(AssertionError):
        check_structure(bad)


# ------------------------------------------------------------------ the sources


def _msgids() -> set[str]:
    found: set[str] = set()
    sources: list[tuple[Path, Any, dict[str, str]]] = [
        (p, babel_extract, {"extensions": "jinja2.ext.i18n"})
        for p in sorted((ROOT / "api" / "templates" / "victim").glob("*.html"))]
    sources += [(ROOT / "api" / name, "python", {})
                for name in ("victim_pages.py", "victim_actions.py", "victim_forms.py",
                             "pages.py")]
    for path, method, options in sources:
        with path.open("rb") as fh:
            for _line, message, _comments, _context in extract(
                    method, fh, keywords={"_": None, "gettext": None}, options=options):
                found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_of_the_pages_is_translated_in_every_catalogue() -> None:
    wanted = _msgids()
    assert len(wanted) > 80
    for language in i18n.LANGUAGES:
        catalogue = i18n.catalogue(language)
        missing = sorted(m for m in wanted if m not in catalogue or not catalogue[m].string)
        assert missing == [], (language, missing)
        fuzzy = sorted(m.id for m in catalogue if m.id and m.fuzzy)
        assert fuzzy == [], (language, fuzzy)
        unused = sorted(str(m.id) for m in catalogue if m.id and m.id not in wanted)
        assert unused == [], (language, unused)
        for message in catalogue:
            if message.id:
                names = set(re.findall(r"%\((\w+)\)s", str(message.id)))
                assert set(re.findall(r"%\((\w+)\)s", str(message.string))) == names, \
                    (language, message.id)


def _luminance(hex_colour: str) -> float:
    """The WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


TEXT_PAIRS = [("text", "bg"), ("text", "card"), ("muted", "card"), ("muted", "bg"),
              ("link", "card"), ("link", "bg"), ("error", "card"), ("on-accent", "accent"),
              ("on-danger", "danger"), ("ok-text", "ok-bg")]
"""Text on its background: 4.5:1 (WCAG 1.4.3, AA)."""
UI_PAIRS = [("focus", "bg"), ("focus", "card"), ("line", "card"), ("on-accent", "accent")]
"""The focus ring and the fields' borders: 3:1 (WCAG 1.4.11)."""


def test_the_colours_of_the_pages_meet_wcag_aa() -> None:
    css = (ROOT / "api" / "static" / "victim.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;", css))
    assert len(colours) >= 12
    for fg, bg in TEXT_PAIRS:
        assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)
    for fg, bg in UI_PAIRS:
        assert contrast(colours[fg], colours[bg]) >= 3.0, (fg, bg)
    literal = set(re.findall(r"#[0-9a-fA-F]{6}\b", css.split("}", 1)[1]))
    assert literal <= {"#d5dae0", "#e3e6ea", "#1d4f91"}, literal  # separators, the map pin


def test_a_closed_file_says_so_and_its_forms_answer_with_a_page(victims: Victims) -> None:
    from api.tables import Convocation

    with victims.svc.db.session() as s:
        row = s.get(Convocation, victims.conv["ann"])
        assert row is not None
        row.status = "done"
        s.add(row)
    html = get(victims, "ann", lang="en")
    assert "The examination has taken place" in html and 'id="book-form"' not in html
    for action, data in (("waitlist", {"on": "1"}), ("cancel", {"cancel_reason": "x"}),
                         ("preferences", {"weekdays": ["1"]}),
                         ("book", {"slot": "D001|BRU|2026-12-09T09:00", "reason": "x"})):
        r = victims.client.post(f"/v/{victims.token('ann')}/{action}", data=data)
        assert r.status_code in (409, 422), (action, r.text)
        assert r.headers["content-type"].startswith("text/html"), action


WEIRD = ["", " ", "0", "-1", "x" * 5000, "2026-13-45", "9999-12-31", "D001|BRU|", "|||",
         "D001|home|2026-12-09T09:00", "D999|BRU|2026-12-09T09:00",
         "D001|BRU|2026-12-09T09:00+05:00", "<script>alert(1)</script>", "💥", "\x00"]


def test_no_input_makes_a_page_fail(victims: Victims) -> None:
    for value in WEIRD:
        _try_everything(victims, value)


def _try_everything(victims: Victims, value: str) -> None:
    token = victims.token("ann")
    sent = [("book", {"slot": value, "reason": value}),
            ("cancel", {"cancel_reason": value}),
            ("preferences", {"weekdays": [value, "1"], "part": value, "away_from": value,
                             "away_to": value, "forget": value}),
            ("waitlist", {"on": value})]
    for action, data in sent:
        r = victims.client.post(f"/v/{token}/{action}", data=data, follow_redirects=False)
        assert r.status_code < 500, (action, value, r.text[:300])
        assert r.status_code == 303 or r.headers["content-type"].startswith("text/html")
        assert "<script>alert" not in r.text
    for params in ({"day": value}, {"part": value}, {"centre": value}, {"lang": value},
                   {"done": value}):
        r = victims.client.get(f"/v/{token}", params=params)
        assert r.status_code == 200, (params, r.text[:300])
    odd = quote(value, safe="")
    for path in (f"/v/{odd}", f"/v/{token}{odd}", f"/hr/c/{odd}", f"/v/{token}/{odd}"):
        r = victims.client.get(path, follow_redirects=False)
        assert r.status_code < 500, path


def test_the_page_writes_dates_as_the_messages_do_in_each_language(victims: Victims) -> None:
    """Ann's appointment, Tuesday 8 December 2026: the page's date is the e-mails' and
    invites' (``date_long`` of notify/templates), German's with its comma and full stop."""
    expected = {"nl": "dinsdag 8 december 2026", "fr": "mardi 8 décembre 2026",
                "de": "Dienstag, 8. Dezember 2026", "en": "Tuesday 8 December 2026"}
    for lang, text in expected.items():
        html = unescape(get(victims, "ann", lang=lang))
        when = re.search(r'id="appt-when">([^<]*)<', html)
        assert when is not None and when.group(1).startswith(text + ", 09:00"), (lang, when)


def test_each_part_of_day_is_read_back_as_it_was_chosen(victims: Victims) -> None:
    """Tuesdays all day stay all day on the page, and saving the form again as the page
    shows it keeps them so; mornings and afternoons alike."""
    def save(part: str) -> str:
        r = victims.client.post(f"/v/{victims.token('bert')}/preferences?lang=en",
                                data={"weekdays": ["1"], "part": part},
                                follow_redirects=False)
        assert r.status_code == 303, r.text
        return get(victims, "bert", lang="en")

    for part, words in (("", "Tuesday, morning or afternoon"),
                        ("morning", "Tuesday, in the morning"),
                        ("afternoon", "Tuesday, in the afternoon")):
        html = save(part)
        assert words in html and f'id="part-{part or "any"}" checked' in html, part
        shown = re.search(r'name="part" value="(\w*)" id="[\w-]+" checked', html)
        assert shown is not None and words in save(shown.group(1)), part


def test_a_time_no_rule_allows_is_refused_as_such_on_the_page(victims: Victims) -> None:
    """A time off the agenda's grid (a form altered by hand) is refused as a time, not as a
    change no longer possible; a slot value with more than its three parts is no slot."""
    value = slot_values(get(victims, "ann", lang="en"))[0]
    doctor, centre, start = value.split("|")
    off_grid = f"{doctor}|{centre}|{start[:-2]}02"
    r = post(victims, "ann", "book", {"slot": off_grid, "reason": "a better day"}, 409)
    assert "This time cannot be booked" in unescape(r.text)
    assert "call Medex" not in unescape(r.text)
    r = post(victims, "ann", "book", {"slot": value + "|extra", "reason": "a better day"},
             422)
    assert "Choose one of the free times" in unescape(r.text)
    html = get(victims, "ann", lang="en")
    assert html.count('maxlength="500"') == 2  # the reason's limit is the service's
    assert "8 December 2026" in html  # still booked as before


def test_the_page_names_the_station_without_a_walk_where_the_place_is_approximate(
        victims: Victims) -> None:
    from api.tables import Centre

    html = unescape(get(victims, "ann", lang="en"))
    assert re.search(r"Nearest railway station: [^<]+ \(about \d+ min on foot\)\.", html)
    with victims.svc.db.session() as s:  # BRU where data/centres puts it: at its station
        bru = s.get(Centre, "BRU")
        assert bru is not None
        bru.lat, bru.lon = 50.835707, 4.336531
        s.add(bru)
    html = unescape(get(victims, "ann", lang="en"))
    assert "Nearest railway station: Brussel-Zuid/Bruxelles-Midi.</p>" in html
    assert "min on foot" not in html
    r = victims.client.get(victims.v("ann"))
    assert r.json()["appointment"]["place"]["station"]["walk_min"] is None


def test_a_home_visit_offers_no_centre_to_choose(victims: Victims) -> None:
    from api.tables import Convocation

    assert 'id="f-centre"' in get(victims, "bert", lang="en")
    with victims.svc.db.session() as s:
        conv = s.get(Convocation, victims.conv["bert"])
        assert conv is not None
        conv.home_visit = True
        s.add(conv)
    html = get(victims, "bert", lang="en", centre="BRU")
    assert 'id="f-centre"' not in html and "does not exist" not in html
    assert 'id="f-day"' in html and 'id="f-part"' in html


def test_a_waitlist_answer_that_is_neither_yes_nor_no_changes_nothing(victims: Victims
                                                                      ) -> None:
    post(victims, "ann", "waitlist", {"on": "1"})
    r = post(victims, "ann", "waitlist", {"on": "garbage"}, 422)
    assert 'id="err-waitlist"' in r.text
    assert "Stop telling me about earlier dates" in get(victims, "ann", lang="en")  # still on
