"""What Twilio calls back: delivery reports and the victims' own messages (STOP, START).

The web routes live in ``api``; they hand the full public URL that Twilio called (with its
query string), the POSTed form and the ``X-Twilio-Signature`` header to
:class:`TwilioCallbacks`, which checks the signature with twilio's ``RequestValidator`` before
anything else: a forged or altered callback raises :class:`~notify.errors.ForgedCallback`
and changes nothing (the route answers 403).

* :meth:`TwilioCallbacks.status` records a delivery report on its outbox message (found by
  the ``key`` that :class:`notify.sms.TwilioSender` put in the callback URL, else by the
  message sid).  Statuses never go back (callbacks arrive out of order); ``undelivered``
  and ``failed`` are shown to planners with Twilio's error code.
* :meth:`TwilioCallbacks.inbound` honours opt-out and opt-in words: after STOP (or STOPALL,
  UNSUBSCRIBE, CANCEL, END, QUIT, ...) no SMS goes to that number until it sends START
  (or UNSTOP, YES).  Twilio's Advanced Opt-Out ``OptOutType`` field wins when present.
  The answer is an empty TwiML response: Twilio itself confirms the opt-out to the sender.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

from notify.errors import ForgedCallback
from notify.outbox import Clock, OptOuts, OutboxStore, utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT", "ARRET", "ARRÊT", "STOPP"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
UNSUBSCRIBED_CODES = frozenset({"21610"})


class OptAction(enum.StrEnum):
    STOP = "stop"
    START = "start"
    NONE = "none"


@dataclass(frozen=True)
class CallbackRequest:
    """A request from Twilio as the route received it."""

    url: str
    """The full public URL Twilio called, query string included (behind a proxy: the
    public one, not the one the app sees)."""
    params: Mapping[str, str]
    signature: str | None


@dataclass(frozen=True)
class StatusResult:
    key: str | None
    provider_id: str
    status: str
    recorded: bool
    """False when no outbox message matches (a message sent by hand, an old one)."""


@dataclass(frozen=True)
class InboundResult:
    phone: str
    action: OptAction
    twiml: str = EMPTY_TWIML


def opt_action(body: str, opt_out_type: str | None = None) -> OptAction:
    """What an inbound SMS asks: Twilio's ``OptOutType`` when given, else the whole body as
    one keyword (case and spaces ignored), as carriers read it."""
    if opt_out_type:
        kind = opt_out_type.strip().upper()
        return {"STOP": OptAction.STOP, "START": OptAction.START}.get(kind, OptAction.NONE)
    word = body.strip().strip(".!").upper()
    if word in STOP_WORDS:
        return OptAction.STOP
    if word in START_WORDS:
        return OptAction.START
    return OptAction.NONE


class TwilioCallbacks:
    def __init__(self, auth_token: str, store: OutboxStore, opt_outs: OptOuts, *,
                 clock: Clock = utcnow):
        if not auth_token:
            raise ValueError("the Twilio auth token is needed to check callback signatures")
        self.validator = RequestValidator(auth_token)
        self.store = store
        self.opt_outs = opt_outs
        self.clock = clock

    def verify(self, request: CallbackRequest) -> None:
        """Raise :class:`ForgedCallback` unless Twilio signed exactly this request."""
        if not request.signature:
            raise ForgedCallback(f"no {SIGNATURE_HEADER} header")
        if not self.validator.validate(request.url, dict(request.params), request.signature):
            raise ForgedCallback("the signature does not match the request")

    def status(self, request: CallbackRequest) -> StatusResult:
        """A delivery report (``MessageSid``, ``MessageStatus``, ``ErrorCode``)."""
        self.verify(request)
        p = request.params
        sid = p.get("MessageSid") or p.get("SmsSid") or ""
        status = (p.get("MessageStatus") or p.get("SmsStatus") or "").lower()
        if not sid or not status:
            raise ForgedCallback("a status callback without MessageSid or MessageStatus")
        key = parse_qs(urlsplit(request.url).query).get("key", [None])[0]
        error = p.get("ErrorCode") or None
        now = self.clock()
        recorded = self.store.record_status(key, sid, status, error, now)
        if error in UNSUBSCRIBED_CODES and p.get("To"):
            self.opt_outs.set_opted_out(p["To"], True, now, "delivery report")
        if not recorded:
            log.info("status %s for unknown message %s (key %s)", status, sid, key)
        return StatusResult(key, sid, status, recorded)

    def inbound(self, request: CallbackRequest) -> InboundResult:
        """An SMS from a victim: STOP and START are honoured, anything else ignored."""
        self.verify(request)
        phone = request.params.get("From", "")
        action = opt_action(request.params.get("Body", ""), request.params.get("OptOutType"))
        if phone and action is not OptAction.NONE:
            self.opt_outs.set_opted_out(phone, action is OptAction.STOP, self.clock(),
                                        "inbound")
            log.info("%s opted %s", phone, "out" if action is OptAction.STOP else "in")
        return InboundResult(phone, action)
