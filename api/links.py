"""The victim's personal link: ``<public base URL>/v/<token>``, one convocation, no password.

A token is ``<convocation id>.<last valid day>.<signature>``: the id and the last day (days
since 1970-01-01) in base 36, then the first 64 bits of an HMAC-SHA256 of the two, in
URL-safe base64 (11 characters).  The key is derived from the service's secret key for
this use only, so a session token's signature can never pass for a link's.  For
convocation 48213 valid until 1 March 2027 the token reads ``1179.g3y.<11 characters>``
(20 characters): short enough for an SMS, and the whole URL stays under 50 characters
behind a public host such as ``https://medex.belgium.be``.

Reading a token tells two failures apart, each with a sentence a victim understands:
:class:`LinkInvalid` (mistyped, cut off or altered: answered as "no such link", a 404, so
that a guess reveals nothing) and :class:`LinkExpired` (genuine but past its last day:
410, saying how to get a new one).  The signature is checked before the date, so an
altered date is *invalid*, not *expired*.  Every message sent to the victim carries a
fresh link (valid ``link_valid_days`` from the day it is written).

**Withdrawing links.**  A link also carries and signs the convocation's ``link_generation``
(``<id>.<day>.<generation>.<signature>``; generation 0, that of every link made before
links could be withdrawn, is not written, so those links stay valid and as short).
Raising the generation withdraws every link issued before (a planner does, when a victim
has lost their phone or a letter went astray: :func:`api.personal_links.issue_link`), and
every later message carries a link of the new generation.  The signature is checked first,
without the database: a forgery is refused before any transaction; a genuine link of an
earlier generation than the convocation's is :class:`LinkWithdrawn` (410, "replaced by a
newer one": :meth:`VictimLinks.check_generation`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from api.config import Settings
from api.errors import NotFound, ServiceError
from scheduler.domain import BRUSSELS

PATH = "/v/"
"""Where the victim's page lives; the JSON API is under ``/api/v/``."""
SIGNATURE_BYTES = 8
"""64 bits of HMAC: 11 characters, far beyond what can be guessed online."""
EPOCH = date(1970, 1, 1)
_TOKEN = re.compile(
    r"^([0-9a-z]{1,12})\.([0-9a-z]{1,5})(?:\.([1-9a-z][0-9a-z]{0,5}))?\.([A-Za-z0-9_-]{11})$")
"""id, last day, generation (absent for 0, never with a leading zero), signature."""
MAX_GENERATION = 36 ** 6
"""Link generations are written in at most 6 base-36 digits."""
_KEY_LABEL = b"medex victim personal link v1"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_link(contact: str | None = None) -> str:
    """How a victim gets a new link: the phone number of their letter, or ``contact``."""
    written = f", or write to {contact}," if contact else ""
    return f"Call Medex at the number in your convocation letter{written} to receive a new link."


class LinkInvalid(NotFound):
    """The link is not one Medex made (mistyped, cut off, altered): 404, nothing revealed."""

    code = "link_invalid"

    def __init__(self, contact: str | None = None) -> None:
        super().__init__("This link is not valid. Check that it was copied completely, or "
                         "open it again from your letter, SMS or e-mail. " + new_link(contact))


class LinkWithdrawn(ServiceError):
    """A genuine link that Medex has since withdrawn (a newer one replaces it): 410 Gone,
    saying to use the newest link or to ask for a new one."""

    status, code = 410, "link_withdrawn"

    def __init__(self, contact: str | None = None) -> None:
        super().__init__("This link has been replaced by a newer one: use the newest link "
                         "Medex gave you. " + new_link(contact))


@dataclass(frozen=True)
class Opened:
    """A genuine, unexpired link, read: what it names and at which generation."""

    convocation_id: int
    generation: int
    last_day: date


class LinkExpired(ServiceError):
    """A genuine link past its last valid day: 410 Gone, saying how to get a new one."""

    status, code = 410, "link_expired"

    def __init__(self, last_day: date, contact: str | None = None) -> None:
        super().__init__(f"This link expired on {last_day.isoformat()}. " + new_link(contact))
        self.last_day = last_day


def base36(n: int) -> str:
    """``n`` (>= 0) in base 36, lower case, no leading zero."""
    if n < 0:
        raise ValueError(f"{n} is negative")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


def _brussels_today() -> date:
    return datetime.now(UTC).astimezone(BRUSSELS).date()


@dataclass(frozen=True)
class VictimLinks:
    """Makes and reads the personal links; ``today`` is the Brussels date (injectable);
    ``contact`` (an address victims may write to) goes into the errors' advice."""

    secret: bytes
    base_url: str
    valid_days: int = 90
    today: Callable[[], date] = _brussels_today
    contact: str | None = None
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.valid_days < 1:
            raise ValueError(f"valid_days {self.valid_days} is not at least 1")
        object.__setattr__(self, "_key", hmac.new(self.secret, _KEY_LABEL,
                                                  hashlib.sha256).digest())

    @classmethod
    def from_settings(cls, settings: Settings) -> VictimLinks:
        return cls(secret=settings.secret_key.get_secret_value().encode(),
                   base_url=settings.public_base_url, valid_days=settings.link_valid_days,
                   contact=settings.organizer_email)

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def token(self, convocation_id: int, *, generation: int, issued: date | None = None
              ) -> str:
        """The token of ``convocation_id`` at its ``generation`` (the convocation's
        ``link_generation``), valid ``valid_days`` from ``issued`` (today)."""
        if convocation_id < 1:
            raise ValueError(f"convocation id {convocation_id} is not positive")
        if not 0 <= generation < MAX_GENERATION:
            raise ValueError(f"link generation {generation} is not in 0..{MAX_GENERATION - 1}")
        last = (issued or self.today()) + timedelta(days=self.valid_days)
        body = f"{base36(convocation_id)}.{base36((last - EPOCH).days)}"
        if generation:
            body += f".{base36(generation)}"
        return f"{body}.{self._sign(body)}"

    def url(self, convocation_id: int, *, generation: int, issued: date | None = None
            ) -> str:
        """The whole personal link, as a message carries it."""
        return (f"{self.base_url}{PATH}"
                f"{self.token(convocation_id, generation=generation, issued=issued)}")

    def read(self, token: str) -> int:
        """The convocation id of a genuine, unexpired ``token`` (its generation still to be
        checked against the convocation's: :meth:`check_generation`); else
        :class:`LinkInvalid` or :class:`LinkExpired`."""
        return self.opened(token).convocation_id

    def opened(self, token: str) -> Opened:
        """:meth:`read`, with the token's generation and last day."""
        found = self._checked(token)
        if self.today() > found.last_day:
            raise LinkExpired(found.last_day, self.contact)
        return found

    def check_generation(self, opened: Opened, current: int) -> None:
        """A link of an earlier generation than the convocation's ``current`` one was
        withdrawn (:class:`LinkWithdrawn`); one of a later generation was never made."""
        if opened.generation < current:
            raise LinkWithdrawn(self.contact)
        if opened.generation > current:
            raise LinkInvalid(self.contact)

    def _checked(self, token: str) -> Opened:
        found = _TOKEN.match(token)
        if found is None:
            raise LinkInvalid(self.contact)
        ident, day, generation, signature = found.groups()
        body = f"{ident}.{day}" + (f".{generation}" if generation else "")
        if not hmac.compare_digest(self._sign(body), signature):
            raise LinkInvalid(self.contact)
        try:
            return Opened(int(ident, 36), int(generation or "0", 36),
                          EPOCH + timedelta(days=int(day, 36)))
        except OverflowError:  # signed by us, so never; but never a 500 either
            raise LinkInvalid(self.contact) from None
