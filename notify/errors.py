"""The exceptions of :mod:`notify`, documented in one place.

Vendor exceptions (twilio, requests, smtplib, phonenumbers) never leave ``notify``: they are
translated at the boundary (``raise ... from exc``) into this tree::

    NotifyError
    ├── TemplateError            a message kind or language without a template, a bad placeholder
    ├── InvalidPhoneNumber       refused at entry: says why (also a ValueError)
    ├── ForgedCallback           a provider callback whose signature does not check out
    └── DeliveryError            sending one message failed
        ├── TransientDeliveryError   try again later with backoff: 5xx, 429, time-out,
        │                            connection refused, SMTP 4xx
        │   └── DeliveryInDoubt      the provider may have accepted it (time-out after the
        │                            request left): look it up before sending again
        └── PermanentDeliveryError   retrying cannot help: invalid or landline number,
            │                        unsubscribed recipient, refused address; shown to planners
            └── RecipientUnsubscribed   the recipient sent STOP (Twilio 21610)

``DeliveryError.code`` carries the provider's error code (Twilio's 21211, an SMTP reply
code...) as a string, or ``None``.
"""

from __future__ import annotations


class NotifyError(Exception):
    """Base of every error raised by :mod:`notify`."""


class TemplateError(NotifyError):
    """A message kind or language without a template, or a template with a bad placeholder."""


class InvalidPhoneNumber(NotifyError, ValueError):
    """A phone number refused at entry; ``reason`` says why in plain words."""

    def __init__(self, raw: str, reason: str):
        super().__init__(f"invalid phone number {raw!r}: {reason}")
        self.raw = raw
        self.reason = reason


class ForgedCallback(NotifyError):
    """A provider callback refused: missing or wrong signature."""


class DeliveryError(NotifyError):
    """Sending one message failed."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class TransientDeliveryError(DeliveryError):
    """The provider or the network failed; the same message may go through later."""


class DeliveryInDoubt(TransientDeliveryError):
    """No answer after the request left: the provider may or may not have the message."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (invalid number, refused address...): marked failed for planners."""


class RecipientUnsubscribed(PermanentDeliveryError):
    """The recipient opted out of SMS (sent STOP); nothing is sent until they send START."""
