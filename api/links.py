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

**Withdrawing links.**  The signature also covers the convocation's ``link_generation``
(not written in the token: the reader looks it up), so raising it withdraws every link
issued before (a planner does, when a victim has lost their phone or a letter went astray:
:func:`api.personal_links.issue_link`), while every later message carries a link of the
new generation.  A withdrawn link is told apart from a forgery (:class:`LinkWithdrawn`,
410: "replaced by a newer one") for the last ``WITHDRAWN_KNOWN`` generations.  Generation
0 signs what every link signed before, so the links already sent stay valid.
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
_TOKEN = re.compile(r"^([0-9a-z]{1,12})\.([0-9a-z]{1,5})\.([A-Za-z0-9_-]{11})$")
_KEY_LABEL = b"medex victim personal link v1"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
WITHDRAWN_KNOWN = 20
"""Earlier link generations told apart from a forgery ("replaced by a newer link"); older
ones are answered as invalid (the work of reading a link stays bounded)."""


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
    saying to use the latest message's link or to ask for a new one."""

    status, code = 410, "link_withdrawn"

    def __init__(self, contact: str | None = None) -> None:
        super().__init__("This link has been replaced by a newer one. Open the link of your "
                         "most recent letter, SMS or e-mail. " + new_link(contact))


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

    def _body(self, ident: str, day: str, generation: int) -> str:
        """What is signed: the token's id and day, and the convocation's link generation
        (not in the token: the reader takes it from the convocation).  Generation 0 signs
        the id and day alone, as every link did before links could be withdrawn."""
        if generation < 0:
            raise ValueError(f"link generation {generation} is negative")
        return f"{ident}.{day}" + (f".{base36(generation)}" if generation else "")

    def token(self, convocation_id: int, *, generation: int, issued: date | None = None
              ) -> str:
        """The token of ``convocation_id`` at its ``generation`` (the convocation's
        ``link_generation``), valid ``valid_days`` from ``issued`` (today)."""
        if convocation_id < 1:
            raise ValueError(f"convocation id {convocation_id} is not positive")
        last = (issued or self.today()) + timedelta(days=self.valid_days)
        ident, day = base36(convocation_id), base36((last - EPOCH).days)
        return f"{ident}.{day}.{self._sign(self._body(ident, day, generation))}"

    def url(self, convocation_id: int, *, generation: int, issued: date | None = None
            ) -> str:
        """The whole personal link, as a message carries it."""
        return (f"{self.base_url}{PATH}"
                f"{self.token(convocation_id, generation=generation, issued=issued)}")

    def claimed(self, token: str) -> int:
        """The convocation id ``token`` names, its signature not yet checked (to find the
        convocation's link generation); :class:`LinkInvalid` if it is no token at all."""
        found = _TOKEN.match(token)
        if found is None:
            raise LinkInvalid(self.contact)
        return int(found.group(1), 36)

    def last_day(self, token: str, *, generation: int) -> date:
        """The last day ``token`` is valid (its signature checked, not its date)."""
        return self._checked(token, generation)[1]

    def read(self, token: str, *, generation: int) -> int:
        """The convocation id of a genuine, unexpired ``token`` of the convocation's
        current link ``generation``; else :class:`LinkInvalid`, :class:`LinkWithdrawn`
        (genuine, of an earlier generation) or :class:`LinkExpired`."""
        convocation_id, last = self._checked(token, generation)
        if self.today() > last:
            raise LinkExpired(last, self.contact)
        return convocation_id

    def _checked(self, token: str, generation: int) -> tuple[int, date]:
        found = _TOKEN.match(token)
        if found is None:
            raise LinkInvalid(self.contact)
        ident, day, signature = found.groups()
        if not hmac.compare_digest(self._sign(self._body(ident, day, generation)), signature):
            for earlier in range(generation - 1, max(-1, generation - 1 - WITHDRAWN_KNOWN), -1):
                if hmac.compare_digest(self._sign(self._body(ident, day, earlier)), signature):
                    raise LinkWithdrawn(self.contact)
            raise LinkInvalid(self.contact)
        try:
            return int(ident, 36), EPOCH + timedelta(days=int(day, 36))
        except OverflowError:  # signed by us, so never; but never a 500 either
            raise LinkInvalid(self.contact) from None
