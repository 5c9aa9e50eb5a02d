"""Calendar invites and feeds, parsed back and checked property by property (RFC 5545/5546)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from notify import ics
from notify.model import Venue
from tests.notify.conftest import NOW, ORGANIZER, make_appointment

BRUSSELS = ZoneInfo("Europe/Brussels")


def _parse(data: bytes) -> Calendar:
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines), "content lines are folded at 75 octets"
    assert b"\n" not in data.replace(b"\r\n", b"")
    return Calendar.from_ical(data)


def _event(cal: Calendar) -> object:
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def _check_vtimezone(cal: Calendar, day: date) -> None:
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Brussels"]
    kinds = {c.name for c in zones[0].subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}
    offsets = {(c.name, c["TZOFFSETTO"].td) for c in zones[0].subcomponents}
    assert ("STANDARD", timedelta(hours=1)) in offsets
    assert ("DAYLIGHT", timedelta(hours=2)) in offsets
    # the zone covers the appointment: it yields the right offset for that day
    tz = zones[0].to_tz()
    wall = datetime.combine(day, datetime.min.time()).replace(hour=12, tzinfo=tz)
    expected = datetime.combine(day, datetime.min.time()).replace(hour=12, tzinfo=BRUSSELS)
    assert wall.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("start", [datetime(2026, 12, 8, 9, 30), datetime(2027, 7, 6, 14, 0)])
def test_request_has_every_property(start: datetime) -> None:
    a = make_appointment(language="fr", start=start, revision=2, name="Jean Dupont")
    cal = _parse(ics.invite(a, organizer=ORGANIZER, now=NOW,
                            alarm_before=timedelta(hours=3)))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == ics.PRODID
    assert str(cal["METHOD"]) == "REQUEST"
    _check_vtimezone(cal, start.date())
    ev = _event(cal)
    assert str(ev["UID"]) == "A1@medex.belgium.be"
    assert int(ev["SEQUENCE"]) == 2
    assert str(ev["STATUS"]) == "CONFIRMED"
    dtstart, dtend = ev["DTSTART"], ev["DTEND"]
    assert dtstart.params["TZID"] == "Europe/Brussels"
    assert dtstart.dt == start.replace(tzinfo=BRUSSELS)
    assert dtend.dt == start.replace(tzinfo=BRUSSELS) + timedelta(minutes=30)
    assert dtstart.dt.utcoffset() == start.replace(tzinfo=BRUSSELS).utcoffset()
    stamp = ev["DTSTAMP"]
    assert stamp.dt == NOW and stamp.dt.utcoffset() == timedelta(0)
    assert b"DTSTAMP:20261201T080000Z" in ics.invite(a, organizer=ORGANIZER, now=NOW)
    organizer = ev["ORGANIZER"]
    assert str(organizer) == "mailto:planning@medex.example"
    assert organizer.params["CN"] == "Medex"
    attendee = ev["ATTENDEE"]
    assert str(attendee) == "mailto:victim@example.be"
    assert attendee.params["CN"] == "Jean Dupont"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert str(ev["LOCATION"]) == "Medex Gent, Kortrijksesteenweg 1, 9000 Gent"
    assert str(ev["SUMMARY"]) == "Rendez-vous chez Medex"
    assert a.link in str(ev["DESCRIPTION"]) and str(ev["URL"]) == a.link
    alarms = ev.walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0]["TRIGGER"].dt == -timedelta(hours=3)
    assert "Medex" in str(alarms[0]["DESCRIPTION"])


def test_uid_is_stable_and_sequence_follows_the_revision() -> None:
    first = make_appointment(revision=1)
    moved = dataclasses.replace(first, revision=2, start=first.start + timedelta(days=1),
                                end=first.end + timedelta(days=1))
    cancelled = dataclasses.replace(moved, revision=3, cancelled=True)
    events = [_event(_parse(ics.invite(a, organizer=ORGANIZER, now=NOW)))
              for a in (first, moved, cancelled)]
    assert len({str(e["UID"]) for e in events}) == 1
    assert [int(e["SEQUENCE"]) for e in events] == [1, 2, 3]


def test_cancel_has_method_cancel_status_cancelled_and_no_alarm() -> None:
    a = make_appointment(revision=4, cancelled=True)
    cal = _parse(ics.invite(a, organizer=ORGANIZER, now=NOW))
    assert str(cal["METHOD"]) == "CANCEL"
    _check_vtimezone(cal, a.start.date())
    ev = _event(cal)
    assert str(ev["STATUS"]) == "CANCELLED"
    assert int(ev["SEQUENCE"]) == 4
    assert str(ev["UID"]) == "A1@medex.belgium.be"
    for prop in ("DTSTAMP", "DTSTART", "ORGANIZER", "ATTENDEE", "LOCATION"):
        assert prop in ev
    assert ev.walk("VALARM") == []


def test_home_visit_location_and_nothing_medical() -> None:
    a = make_appointment(language="de", venue=Venue.home("Kirchstraße 3, 4700 Eupen"))
    data = ics.invite(a, organizer=ORGANIZER, now=NOW)
    ev = _event(_parse(data))
    assert str(ev["LOCATION"]) == "bei Ihnen zu Hause"
    assert str(ev["SUMMARY"]) == "Termin bei Medex"
    assert b"C1" not in data  # not even the convocation reference


def test_dtstamp_must_be_aware_and_alarm_positive() -> None:
    with pytest.raises(ValueError, match="aware"):
        ics.invite(make_appointment(), organizer=ORGANIZER, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="alarm"):
        ics.invite(make_appointment(), organizer=ORGANIZER, alarm_before=timedelta(0))


def test_doctor_feed_lists_the_doctors_appointments_only() -> None:
    mine = [make_appointment(n, start=datetime(2026, 12, 8 + n, 9, 0)) for n in range(1, 4)]
    mine.append(make_appointment(9, start=datetime(2027, 6, 1, 10, 0), cancelled=True))
    home = make_appointment(7, venue=Venue.home("Kerkstraat 1, 9000 Gent"),
                            start=datetime(2026, 12, 15, 14, 0))
    other = make_appointment(8, doctor="D2", name="Someone Else")
    data = ics.doctor_feed("D1", [*mine, home, other], language="nl", organizer=ORGANIZER,
                           now=NOW)
    cal = _parse(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Medex-agenda D1"
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    _check_vtimezone(cal, date(2026, 12, 8))
    events = cal.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(
        f"A{n}@medex.belgium.be" for n in (1, 2, 3, 7, 9))
    by_uid = {str(e["UID"]): e for e in events}
    assert str(by_uid["A9@medex.belgium.be"]["STATUS"]) == "CANCELLED"
    assert str(by_uid["A1@medex.belgium.be"]["SUMMARY"]) == "Onderzoek C1"
    assert str(by_uid["A7@medex.belgium.be"]["SUMMARY"]) == "Huisbezoek C7"
    for e in events:
        assert e["DTSTART"].params["TZID"] == "Europe/Brussels"
        assert e["DTSTAMP"].dt.utcoffset() == timedelta(0)
        assert "SEQUENCE" in e and "ORGANIZER" in e and "LOCATION" in e
        assert str(e["CLASS"]) == "CONFIDENTIAL"
    # the victim's contact details never reach a feed that calendar apps sync elsewhere
    for secret in (b"victim@example.be", b"+32470000001", b"Someone Else", b"/a/1x7Kq"):
        assert secret not in data


def test_empty_feed_is_still_a_valid_calendar() -> None:
    cal = _parse(ics.doctor_feed("D5", [], language="en", organizer=ORGANIZER, now=NOW))
    assert cal.walk("VEVENT") == [] and len(cal.walk("VTIMEZONE")) == 1


def test_feed_tokens() -> None:
    secret = b"s3cret-key"
    token = ics.feed_token(secret, "D1")
    assert len(token) >= 26 and token != ics.feed_token(secret, "D2")
    assert ics.check_feed_token(secret, "D1", token)
    assert not ics.check_feed_token(secret, "D2", token)
    assert not ics.check_feed_token(b"other", "D1", token)
    assert not ics.check_feed_token(secret, "D1", token, version=1)  # revoked by a bump
    url = ics.feed_url("https://medex.example/", secret, "D1")
    assert url == f"https://medex.example/calendar/D1/{token}.ics"


def test_now_defaults_to_utc_clock() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    ev = _event(_parse(ics.invite(make_appointment(), organizer=ORGANIZER)))
    assert before <= ev["DTSTAMP"].dt <= datetime.now(UTC)
