"""Message texts: every kind in every language, same placeholders, short and GDPR-safe SMS."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from notify import messages
from notify.errors import TemplateError
from notify.model import LANGUAGES, Kind, Venue
from tests.notify.conftest import make_appointment

OPT_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
             "START", "UNSTOP", "YES", "HELP", "INFO", "ARRET", "STOPP")
REPLY_WORDS = ("reply", "respond", "text back", "antwoord", "beantwoord", "stuur",
               "répond", "repond", "envoyez", "antwort", "senden sie", "schicken sie")
MEDICAL_WORDS = ("letsel", "breuk", "verstuiking", "medisch", "ongeval", "lésion", "lesion",
                 "fracture", "entorse", "médical", "medical", "accident", "verletzung",
                 "bruch", "verstauchung", "ärztlich", "medizin", "unfall", "injury", "sprain",
                 "consolidat", "incapac", "arbeitsunf", "examen", "exam", "onderzoek",
                 "untersuchung", "doctor", "dokter", "médecin", "arzt")
TEXTS = [(k.value, key) for k in Kind for key in ("sms", "subject", "body")] + [
    ("invite", "summary"), ("invite", "description"), ("invite", "alarm"),
    ("feed", "name"), ("feed", "exam"), ("feed", "home_visit")]


@pytest.mark.parametrize(("section", "key"), TEXTS)
def test_every_text_exists_in_every_language_with_the_same_placeholders(section: str,
                                                                        key: str) -> None:
    found = {lang: messages.placeholders(messages.template(lang, section, key))
             for lang in LANGUAGES}
    assert all(messages.template(lang, section, key) for lang in LANGUAGES)
    assert len(set(found.values())) == 1, found


def test_sms_texts_carry_the_link_date_time_and_place() -> None:
    for lang in LANGUAGES:
        for kind in Kind:
            names = messages.placeholders(messages.template(lang, kind.value, "sms"))
            assert {"link", "date", "time"} <= names, (lang, kind)
            if kind is not Kind.CANCELLATION:
                assert "where" in names


def _all_sms() -> list[tuple[str, Kind, str]]:
    out = []
    for lang in LANGUAGES:
        for kind in Kind:
            a = make_appointment(language=lang, cancelled=kind is Kind.CANCELLATION)
            out.append((lang, kind, messages.sms_text(a, kind)))
            home = dataclasses.replace(a, venue=Venue.home("Kerkstraat 1, 9000 Gent"))
            out.append((lang, kind, messages.sms_text(home, kind)))
    return out


def test_no_sms_asks_for_a_reply_or_names_an_opt_out_keyword() -> None:
    for lang, kind, text in _all_sms():
        words = set(re.findall(r"[A-Za-zÀ-ÿ]+", text.upper()))
        assert not words & set(OPT_WORDS), (lang, kind, text)
        assert not any(w in text.lower() for w in REPLY_WORDS), (lang, kind, text)
        # and the raw templates, so no translation slips one in
        raw = messages.template(lang, kind.value, "sms").upper()
        assert not set(re.findall(r"[A-ZÀ-Ÿ]+", raw)) & set(OPT_WORDS)


def test_no_sms_says_anything_medical() -> None:
    for lang, kind, text in _all_sms():
        words = re.findall(r"\w+", text.split("https://")[0].lower())
        assert not [w for w in words if w.startswith(MEDICAL_WORDS)], (lang, kind, text)


def test_sms_fit_one_segment_with_a_typical_address_and_two_with_a_long_one() -> None:
    long_venue = Venue("BRU", "Medex Brussel-Bruxelles",
                       "Boulevard Simon Bolivar 30, Place Rogier, 1000 Brussel-Bruxelles")
    for lang in LANGUAGES:
        for kind in Kind:
            a = make_appointment(language=lang, cancelled=kind is Kind.CANCELLATION,
                                 start=datetime(2026, 9, 30, 14, 45))  # long month names
            text = messages.sms_text(a, kind)
            assert messages.sms_segments(text) == 1, (lang, kind, len(text), text)
            long = messages.sms_text(dataclasses.replace(a, venue=long_venue), kind)
            assert messages.sms_segments(long) <= 2, (lang, kind, long)


def test_sms_are_gsm7_even_for_august_in_french() -> None:
    a = make_appointment(language="fr", start=datetime(2026, 8, 3, 9, 0))
    text = messages.sms_text(a, Kind.REMINDER)
    assert "lundi 3 aout à 09:00" in text
    assert all(c in messages.GSM7_BASIC | messages.GSM7_EXTENDED for c in text)
    assert messages.to_gsm7("août, forêt, garçon, l’été") == "aout, foret, garcon, l'été"


@pytest.mark.parametrize(("lang", "expected"), [
    ("nl", "dinsdag 8 december om 09:30"),
    ("fr", "mardi 8 décembre à 09:30"),
    ("de", "Dienstag, 8. Dezember um 09:30 Uhr"),
    ("en", "Tuesday 8 December at 09:30"),
])
def test_dates_and_times_per_language(lang: str, expected: str) -> None:
    assert expected in messages.sms_text(make_appointment(language=lang), Kind.CONVOCATION)


def test_times_are_brussels_wall_clock_whatever_the_input_zone() -> None:
    summer = make_appointment(language="en", start=datetime(2026, 7, 1, 7, 30, tzinfo=UTC))
    winter = make_appointment(language="en", start=datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    assert "at 09:30" in messages.sms_text(summer, Kind.REMINDER)
    assert "at 09:30" in messages.sms_text(winter, Kind.REMINDER)


def test_sms_has_the_personal_link_and_the_place() -> None:
    a = make_appointment(language="nl")
    text = messages.sms_text(a, Kind.REMINDER)
    assert text.endswith(a.link)
    assert "Medex Gent, Kortrijksesteenweg 1, 9000 Gent" in text
    home = dataclasses.replace(a, venue=Venue.home("Kerkstraat 1, 9000 Gent"))
    assert "bij u thuis" in messages.sms_text(home, Kind.REMINDER)
    assert "Kerkstraat" not in messages.sms_text(home, Kind.REMINDER)


def test_emails_in_every_language() -> None:
    for lang in LANGUAGES:
        for kind in Kind:
            a = make_appointment(language=lang, cancelled=kind is Kind.CANCELLATION)
            mail = messages.email_text(a, kind)
            assert mail.subject and "\n" not in mail.subject
            assert a.link in mail.body
            assert "Medex Gent" in mail.body
            assert "2026" in mail.body and "09:30" in mail.body
            assert "{" not in mail.body and "}" not in mail.body


def test_cancellation_and_change_say_what_happened() -> None:
    a = make_appointment(language="en", cancelled=True)
    assert "cancelled" in messages.sms_text(a, Kind.CANCELLATION)
    assert "moved" in messages.sms_text(make_appointment(language="en"), Kind.CHANGE)
    assert "reminder" in messages.sms_text(make_appointment(language="en"), Kind.REMINDER)


def test_unknown_language_and_bad_placeholder_are_template_errors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TemplateError, match="language 'it'"):
        messages.catalogue("it")
    broken = dict(messages.catalogue("en"))
    broken["reminder"] = dict(broken["reminder"], sms="See {nowhere} {link}")
    monkeypatch.setattr(messages, "catalogue", lambda lang: broken)
    with pytest.raises(TemplateError, match="nowhere"):
        messages.sms_text(make_appointment(language="en"), Kind.REMINDER)


def test_sms_segments() -> None:
    assert messages.sms_segments("a" * 160) == 1
    assert messages.sms_segments("a" * 161) == 2
    assert messages.sms_segments("a" * 306) == 2
    assert messages.sms_segments("€" * 80) == 1  # extension table: two units each
    assert messages.sms_segments("€" * 81) == 2
    assert messages.sms_segments("û" * 70) == 1  # UCS-2
    assert messages.sms_segments("û" * 71) == 2
