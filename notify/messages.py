"""The texts sent to victims: four kinds of message in Dutch, French, German and English.

Each language is one file, ``notify/templates/<language>.toml``, that a translator edits
without touching code: per kind (``convocation``, ``change``, ``cancellation``,
``reminder``) an ``sms``, an e-mail ``subject`` and ``body``, plus the texts of the calendar
invite and of a doctor's calendar feed.  Placeholders are ``{date}``, ``{date_long}``,
``{time}``, ``{where}`` and ``{link}`` (``{doctor}`` and ``{convocation}`` in the feed); every
language has the same placeholders per text.

Dates and times are formatted by Babel (``format_datetime``) in Europe/Brussels, with the
patterns and locale (``nl_BE``, ``fr_BE``, ``de_BE``, ``en_BE``) named in the language's file.

An SMS says when, where and the personal link, nothing medical, and never asks for a reply:
STOP, CANCEL and the like are opt-out keywords that carriers act on.
"""

from __future__ import annotations

import string
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from babel.dates import format_datetime

from notify.errors import TemplateError
from notify.model import LANGUAGES, Appointment, Kind
from scheduler.domain import BRUSSELS

TEXT_KEYS: dict[str, tuple[str, ...]] = {
    **{kind.value: ("sms", "subject", "body") for kind in Kind},
    "invite": ("summary", "description", "alarm"),
    "feed": ("name", "exam", "home_visit"),
}
"""Every section of a language file and the texts it must hold."""
SETTING_KEYS = ("locale", "date", "date_long", "time", "home")

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
"""Characters of the GSM 03.38 extension table: each counts twice."""
_GSM7_LOOKALIKE = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                   "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u202f": " "}


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str


def placeholders(template: str) -> frozenset[str]:
    """The ``{names}`` a template uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template)
                     if name is not None)


@cache
def catalogue(language: str) -> Mapping[str, Any]:
    """The parsed template file of ``language`` (cached), checked for completeness."""
    if language not in LANGUAGES:
        raise TemplateError(f"no messages in language {language!r}; "
                            f"known: {', '.join(LANGUAGES)}")
    source = resources.files("notify").joinpath("templates", f"{language}.toml")
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"templates/{language}.toml: {exc}") from exc
    missing = [k for k in SETTING_KEYS if not isinstance(data.get(k), str)]
    for section, keys in TEXT_KEYS.items():
        table = data.get(section)
        if not isinstance(table, dict):
            missing.append(f"[{section}]")
            continue
        missing += [f"{section}.{k}" for k in keys if not isinstance(table.get(k), str)]
    if missing:
        raise TemplateError(f"templates/{language}.toml lacks {', '.join(missing)}")
    return data


def template(language: str, section: str, key: str) -> str:
    """One raw template, e.g. ``template("nl", "reminder", "sms")``."""
    data = catalogue(language)
    try:
        return str(data[section][key]).strip()
    except KeyError as exc:
        raise TemplateError(f"templates/{language}.toml has no {section}.{key}") from exc


def _fill(language: str, section: str, key: str, values: Mapping[str, str]) -> str:
    text = template(language, section, key)
    unknown = placeholders(text) - values.keys()
    if unknown:
        raise TemplateError(f"templates/{language}.toml {section}.{key} uses unknown "
                            f"placeholder(s) {', '.join(sorted(unknown))}")
    return text.format_map(values)


@lru_cache(maxsize=4096)
def format_when(moment: datetime, language: str, pattern: str) -> str:
    """``moment`` in Europe/Brussels with the language's Babel pattern named ``pattern``
    (``date``, ``date_long`` or ``time``).  Kept for the last few thousand asked: each
    message formats its times several times, and Babel takes tens of microseconds."""
    data = catalogue(language)
    return format_datetime(moment, data[pattern], tzinfo=BRUSSELS, locale=data["locale"])


def where(appointment: Appointment) -> str:
    """The place in words: ``"Medex Gent, Kortrijksesteenweg 1, 9000 Gent"`` or the
    language's "at your home"."""
    venue = appointment.venue
    if venue.is_home:
        return str(catalogue(appointment.contact.language)["home"])
    return ", ".join(part for part in (venue.name, venue.address) if part)


def values(appointment: Appointment) -> dict[str, str]:
    """The placeholder values of the victim's messages about ``appointment``."""
    language = appointment.contact.language
    return {
        "date": format_when(appointment.start, language, "date"),
        "date_long": format_when(appointment.start, language, "date_long"),
        "time": format_when(appointment.start, language, "time"),
        "where": where(appointment),
        "link": appointment.link,
    }


def sms_text(appointment: Appointment, kind: Kind) -> str:
    """The SMS of ``kind`` about ``appointment`` in the victim's language, in the GSM-7
    alphabet (see :func:`to_gsm7`)."""
    return to_gsm7(_fill(appointment.contact.language, kind.value, "sms",
                         values(appointment)))


def to_gsm7(text: str) -> str:
    """``text`` with every character outside the GSM-7 alphabet replaced by its letter
    without accent (``août`` -> ``aout``, ``ê`` -> ``e``), or dropped.

    One character outside GSM-7 makes the whole SMS UCS-2, which holds 70 characters
    instead of 160: a French "août" would triple the cost of every reminder in August."""
    out = []
    for c in text:
        if c in GSM7_BASIC or c in GSM7_EXTENDED:
            out.append(c)
            continue
        base = unicodedata.normalize("NFD", c)[0]
        if base in GSM7_BASIC:
            out.append(base)
        elif c in _GSM7_LOOKALIKE:
            out.append(_GSM7_LOOKALIKE[c])
    return "".join(out)


def email_text(appointment: Appointment, kind: Kind) -> EmailText:
    """The e-mail of ``kind`` about ``appointment`` in the victim's language."""
    v = values(appointment)
    language = appointment.contact.language
    return EmailText(subject=_fill(language, kind.value, "subject", v),
                     body=_fill(language, kind.value, "body", v) + "\n")


def invite_text(appointment: Appointment, key: str) -> str:
    """A text of the calendar invite (``summary``, ``description`` or ``alarm``)."""
    return _fill(appointment.contact.language, "invite", key, values(appointment))


def feed_text(language: str, key: str, **fields: str) -> str:
    """A text of a doctor's calendar feed (``name``, ``exam`` or ``home_visit``)."""
    return _fill(language, "feed", key, fields)


def sms_segments(body: str) -> int:
    """How many SMS segments ``body`` takes: GSM-7 (160, or 153 per part when split), else
    UCS-2 (70, or 67 per part)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in body):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)
