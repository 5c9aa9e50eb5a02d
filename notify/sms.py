"""SMS through Twilio, with the real ``twilio`` client.

:class:`TwilioSender` sends with ``client.messages.create`` and translates what can go wrong
into :mod:`notify.errors` at this boundary:

==========================================  ===========================================
HTTP 429, 503; connection refused            :class:`TransientDeliveryError` (backoff)
HTTP 500, 502, 504; read time-out; reset     :class:`DeliveryInDoubt` (look it up first)
21610 (unsubscribed: the recipient sent STOP) :class:`RecipientUnsubscribed`
21211, 21614, 21612, 21408, ... other 4xx     :class:`PermanentDeliveryError`
20003 and other 401/403                      :class:`TransientDeliveryError` (fix the
                                             credentials; nothing is lost meanwhile)
==========================================  ===========================================

Each message carries its outbox key in the status-callback URL (``?key=...``), so delivery
reports find their message even before the worker has recorded the provider's id, and
:meth:`TwilioSender.find_sent` asks Twilio for the recent messages to the same number to
tell whether an attempt in doubt got through.

``base_url`` points the client at another host (a local fake server in tests): the HTTP
client is a :class:`twilio.http.http_client.TwilioHttpClient` that rewrites the scheme and
host of every request, the way twilio-python's documentation customises its HTTP client.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notify.errors import (
    DeliveryError,
    DeliveryInDoubt,
    PermanentDeliveryError,
    RecipientUnsubscribed,
    TransientDeliveryError,
)
from notify.model import Channel
from notify.outbox import OutboxMessage

log = logging.getLogger(__name__)

UNSUBSCRIBED = 21610
PERMANENT_CODES: dict[int, str] = {
    21211: "invalid 'To' phone number",
    21214: "'To' phone number cannot be reached",
    21408: "SMS to this region is not enabled",
    21610: "the recipient unsubscribed (sent STOP)",
    21612: "the 'To' number cannot receive this message",
    21614: "'To' number is not a mobile number",
    21635: "'To' number cannot be a landline",
}
IN_DOUBT_STATUSES = frozenset({500, 502, 504})
"""The request may have been processed before the error: look it up before sending again."""


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_: str | None = None
    """A Twilio number or alphanumeric sender id ("Medex"); or use a messaging service."""
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    """Public URL of the delivery-status route; ``?key=<outbox key>`` is appended."""
    base_url: str | None = None
    """Another API host (``http://127.0.0.1:8123``); ``None``: Twilio's own."""
    timeout: float = 10.0
    validity: timedelta | None = timedelta(hours=4)
    """How long Twilio may keep trying to deliver; a stale reminder is worse than none."""

    def __post_init__(self) -> None:
        if not (self.from_ or self.messaging_service_sid):
            raise ValueError("Twilio needs a sender: from_ or messaging_service_sid")


class RedirectingHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client (requests), sending every request to ``base_url``."""

    def __init__(self, base_url: str, timeout: float | None = None):
        super().__init__(timeout=timeout, max_retries=0)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {base_url!r} is not http(s)://host[:port]")
        self.scheme, self.netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        parts = urlsplit(url)
        url = urlunsplit((self.scheme, self.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, params=params, data=data, headers=headers,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)


def translate(exc: Exception) -> DeliveryError:
    """A Twilio or requests exception as a :mod:`notify.errors` error."""
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {exc.msg}"
        code_s = str(code) if code is not None else str(status)
        if code == UNSUBSCRIBED:
            return RecipientUnsubscribed(text, code_s)
        if code in PERMANENT_CODES:
            return PermanentDeliveryError(f"{text} ({PERMANENT_CODES[code]})", code_s)
        if status in IN_DOUBT_STATUSES:
            return DeliveryInDoubt(text, code_s)
        if status >= 500 or status == 429 or status in (401, 403):
            return TransientDeliveryError(text, code_s)
        return PermanentDeliveryError(text, code_s)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientDeliveryError(f"could not connect to Twilio in time: {exc}", "timeout")
    if isinstance(exc, requests.exceptions.ConnectionError) and _refused(exc):
        return TransientDeliveryError(f"Twilio refused the connection: {exc}", "connection")
    if isinstance(exc, requests.exceptions.Timeout):
        return DeliveryInDoubt(f"no answer from Twilio in time: {exc}", "timeout")
    if isinstance(exc, requests.exceptions.RequestException):
        return DeliveryInDoubt(f"connection to Twilio lost: {exc}", "connection")
    return TransientDeliveryError(f"Twilio client error: {exc}")


def _refused(exc: requests.exceptions.ConnectionError) -> bool:
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


class TwilioSender:
    """Sends SMS through Twilio's Messages API."""

    channel = Channel.SMS

    def __init__(self, settings: TwilioSettings, client: Client | None = None):
        self.settings = settings
        self._given = client
        self._local = threading.local()

    @property
    def client(self) -> Client:
        """The twilio client: the one given, else one per thread (a requests session is not
        meant to be shared between threads)."""
        if self._given is not None:
            return self._given
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            s = self.settings
            http = (RedirectingHttpClient(s.base_url, timeout=s.timeout) if s.base_url
                    else TwilioHttpClient(timeout=s.timeout, max_retries=0))
            client = Client(s.account_sid, s.auth_token, http_client=http)
            self._local.client = client
        return client

    def callback_url(self, key: str) -> str | None:
        base = self.settings.status_callback
        if not base:
            return None
        return f"{base}{'&' if '?' in base else '?'}{urlencode({'key': key})}"

    def send(self, message: OutboxMessage, attempt: int) -> str:
        s = self.settings
        params: dict[str, Any] = {"to": message.recipient, "body": message.body,
                                  "attempt": attempt}
        if s.from_:
            params["from_"] = s.from_
        if s.messaging_service_sid:
            params["messaging_service_sid"] = s.messaging_service_sid
        callback = self.callback_url(message.key)
        if callback:
            params["status_callback"] = callback
        if s.validity is not None:
            params["validity_period"] = int(s.validity.total_seconds())
        try:
            sent = self.client.messages.create(**params)
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise translate(exc) from exc
        log.debug("SMS %s sent as %s", message.key, sent.sid)
        return str(sent.sid)

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None:
        """The sid of a message Twilio has to the same number with the same text, created
        after ``since`` (less a minute of clock skew), among the 50 most recent."""
        after = since - timedelta(minutes=1)
        try:
            recent = self.client.messages.list(to=message.recipient, limit=50, page_size=50)
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise translate(exc) from exc
        for m in recent:
            if m.body == message.body and (m.date_created is None or m.date_created >= after):
                return str(m.sid)
        return None
