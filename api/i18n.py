"""The victims' pages in Dutch, French, German and English: gettext catalogues and Jinja2.

The texts live in ``api/locales/<language>/LC_MESSAGES/messages.po`` (English message ids,
one catalogue per language, edited by translators with any PO editor).  They are read and
compiled in memory the first time a language is used, so there is no build step and no
``.mo`` file to forget.  Each language gets its own Jinja2 environment with the i18n
extension installed on that language's translations (new-style gettext: ``_("... %(x)s",
x=...)`` escapes and formats), so a template never needs to be told the language.

Which language a request gets (:func:`choose`): ``?lang=`` if it names one of the four, else
the ``medex_lang`` cookie (set when someone switches), else the person's own language
(the victim's), else the browser's ``Accept-Language``, else Dutch.

Dates and times are formatted by Babel in the Belgian locale of the language (``nl_BE``,
``fr_BE``, ``de_BE``, ``en_BE``), as the messages sent to victims are (:mod:`notify`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from notify import messages

LANGUAGES: tuple[str, ...] = ("nl", "fr", "de", "en")
DEFAULT_LANGUAGE = "nl"
COOKIE = "medex_lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
LOCALES = Path(__file__).resolve().parent / "locales"
TEMPLATES = Path(__file__).resolve().parent / "templates"
BABEL_LOCALE = {"nl": "nl_BE", "fr": "fr_BE", "de": "de_BE", "en": "en_BE"}
NATIVE_NAME = {"nl": "Nederlands", "fr": "Français", "de": "Deutsch", "en": "English"}
"""Each language named in itself: the switch must be readable by someone who does not
read the page's current language."""


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


@cache
def catalogue(language: str) -> Catalog:
    """The parsed PO catalogue of ``language`` (cached); ``KeyError`` for another one."""
    if language not in LANGUAGES:
        raise KeyError(f"no catalogue for language {language!r}")
    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=BABEL_LOCALE[language])


@cache
def translations(language: str) -> Translations:
    """The catalogue of ``language`` compiled in memory (cached)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalogue(language))
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str) -> Callable[..., str]:
    """``_(msgid, **values)`` in ``language`` for Python code (flash and error messages):
    the translation with ``%(name)s`` placeholders filled in."""
    found = translations(language)

    def _(message: str, **values: object) -> str:
        text = found.gettext(message)
        return text % values if values else text

    return _


def _date(language: str) -> Callable[[date, str | None], str]:
    long = str(messages.catalogue(language)["date_long"])  # the e-mails' and invites' own

    def fmt(value: date, pattern: str | None = None) -> str:
        return format_date(value, pattern or long, locale=BABEL_LOCALE[language])

    return fmt


def _datetime(language: str) -> Callable[[datetime, str], str]:
    def fmt(value: datetime, pattern: str = "HH:mm") -> str:
        return format_datetime(value, pattern, locale=BABEL_LOCALE[language])

    return fmt


@cache
def environment(language: str) -> Environment:
    """The Jinja2 environment of ``language``: the templates with its translations and its
    date filters (``|day`` for a date, ``|clock`` for a time of day)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(("html",)),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["day"] = _date(language)
    env.filters["clock"] = _datetime(language)
    env.globals.update(language=language, languages=LANGUAGES, native_name=NATIVE_NAME)
    return env


def _accepted(header: str) -> list[str]:
    """The primary languages of an ``Accept-Language`` header, most wanted first."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((-quality, i, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose(query: str | None, cookie: str | None, own: str | None,
           accept_language: str = "") -> str:
    """The language of a page: asked for, remembered, the person's own, the browser's."""
    for candidate in (query, cookie, own, *_accepted(accept_language)):
        if candidate and candidate.lower() in LANGUAGES:
            return candidate.lower()
    return DEFAULT_LANGUAGE
